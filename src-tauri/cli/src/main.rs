//! `rapport-cli`: Rapport without a window, for scripting, servers and benchmarks.
//! The same core as the desktop app, on the same data folder.

use std::{
    io::{BufRead, IsTerminal, Write},
    path::PathBuf,
    process::ExitCode,
};

mod followups;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use rapport_core::{
    account::{AccountSummary, NewAccount},
    crm::ContactPolicy,
    discovery,
    net::{Security, ServerSettings},
    paths,
    store::KeepPolicy,
    sync::{self, SyncProgress},
    AccountService, Store,
};

#[derive(Parser)]
#[command(
    name = "rapport-cli",
    version,
    about = "Rapport mail-CRM on the command line"
)]
struct Cli {
    /// Data folder (default: the app's data folder).
    #[arg(long, global = true, env = "RAPPORT_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Print machine-readable JSON.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Add, list or remove mailboxes.
    #[command(subcommand)]
    Account(AccountCommand),
    /// Show the servers the setup wizard would propose for an address.
    Discover { address: String },
    /// Fetch new mail. With --once: one pass, then exit; otherwise keep syncing.
    Sync {
        /// Only this account (by address).
        #[arg(long)]
        account: Option<String>,
        #[arg(long)]
        once: bool,
    },
    /// Contacts with their message counts.
    Contacts,
    /// A contact's messages, newest first.
    Timeline { address: String },
    /// Work with one contact: create, set its stage, merge another into it.
    #[command(subcommand)]
    Contact(ContactCommand),
    /// Companies with their contacts and mail counts.
    Companies,
    /// Addresses in your mail that are not contacts yet, most mail first.
    Unlinked {
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Never make contacts of an address ("a@b.cz") or a domain ("@b.cz").
    Ignore { value: String },
    /// Stop ignoring an address or domain; its stored mail makes contacts again.
    Unignore { value: String },
    /// Search every account's mail, newest first: words, "phrases", from:, to:,
    /// subject:, has:attachment, before:YYYY-MM-DD, after:YYYY-MM-DD.
    Search {
        /// The query, as typed in the app's search field (several words are joined).
        #[arg(required = true, num_args = 1..)]
        query: Vec<String>,
        /// At most this many messages (1 to 500).
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
    /// Send a message through the account's SMTP server (queued in the outbox first:
    /// if the server cannot be reached it waits there and the app sends it later).
    Send(SendArgs),
    /// Who is waiting on me, whom am I waiting on, who is going cold, follow-up dates.
    Followups {
        /// Stages that can go cold (default: lead, prospect, customer); repeat or comma-separate.
        #[arg(long, value_delimiter = ',')]
        stage: Vec<String>,
        /// Only this contact's items (by address).
        #[arg(long)]
        contact: Option<String>,
        /// Items per list (counts are complete).
        #[arg(long, default_value_t = 200)]
        limit: usize,
    },
    /// Snooze or dismiss a waiting thread, change the follow-up settings or a contact's cadence.
    #[command(subcommand)]
    Followup(followups::FollowUpCommand),
}

#[derive(clap::Args)]
struct SendArgs {
    /// The account to send from (its address).
    #[arg(long)]
    from: String,
    #[arg(long, required = true)]
    to: Vec<String>,
    #[arg(long)]
    cc: Vec<String>,
    #[arg(long)]
    bcc: Vec<String>,
    #[arg(long)]
    subject: String,
    /// The body as plain text.
    #[arg(
        long,
        conflicts_with = "body_file",
        required_unless_present = "body_file"
    )]
    body: Option<String>,
    /// Read the body from a file (plain text, or HTML when it ends in .html/.htm).
    #[arg(long)]
    body_file: Option<PathBuf>,
    /// Attach a file (repeatable).
    #[arg(long)]
    attach: Vec<PathBuf>,
}

#[derive(Subcommand)]
enum ContactCommand {
    /// Make a contact of an address; its stored mail is linked at once.
    Create {
        address: String,
        #[arg(long)]
        name: Option<String>,
    },
    /// Set the stage (lead, prospect, customer, or your own word).
    Stage { address: String, stage: String },
    /// Merge the contact owning MERGE into the one owning KEEP.
    Merge { keep: String, merge: String },
}

// Parsed once per run: the size of `Add` costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum AccountCommand {
    /// Add a mailbox: tests the login for real, then saves it (password in the OS keyring).
    Add(AddArgs),
    /// List mailboxes.
    List,
    /// Remove a mailbox, its saved password and its local mail.
    Remove { address: String },
}

#[derive(Args)]
struct AddArgs {
    #[arg(long)]
    email: String,
    /// Your name as recipients see it.
    #[arg(long)]
    name: Option<String>,
    #[arg(long)]
    mailbox_name: Option<String>,
    #[arg(long)]
    imap_host: Option<String>,
    #[arg(long)]
    imap_port: Option<u16>,
    #[arg(long, value_parser = parse_security)]
    imap_security: Option<Security>,
    #[arg(long)]
    smtp_host: Option<String>,
    #[arg(long)]
    smtp_port: Option<u16>,
    #[arg(long, value_parser = parse_security)]
    smtp_security: Option<Security>,
    /// Login name, if not the address.
    #[arg(long)]
    username: Option<String>,
    /// Read the password from the first line of standard input.
    #[arg(long, conflicts_with = "oauth")]
    password_stdin: bool,
    /// Sign in with Google or Microsoft in the browser instead of a password (the
    /// sign-in address is printed too, for a browser on another screen).
    #[arg(long, value_parser = ["google", "microsoft"])]
    oauth: Option<String>,
    /// How far back to fetch: 7d, 1m, 3m, 1y, all, or YYYY-MM-DD.
    #[arg(long, default_value = "3m")]
    since: String,
    /// Folders to sync, comma separated (default: Inbox and Sent).
    #[arg(long, value_delimiter = ',')]
    folders: Option<Vec<String>>,
    /// Which correspondents become contacts.
    #[arg(long, default_value = "all", value_parser = ["none", "sent", "all"])]
    contacts: String,
    /// Which mail to keep.
    #[arg(long, default_value = "all", value_parser = ["received", "sent", "all"])]
    keep: String,
    /// Trust the CA certificate(s) in this PEM file for this account's servers.
    #[arg(long, value_name = "PEM")]
    ca_file: Option<PathBuf>,
    /// Trust the server certificate with this SHA-256 fingerprint (hex), as shown when
    /// a certificate is refused.
    #[arg(long, value_name = "SHA256")]
    trust_fingerprint: Option<String>,
    /// Check for new mail every this many seconds while `sync` keeps running.
    #[arg(long, default_value_t = 300)]
    poll_interval: i64,
    /// New contacts from incoming mail start in the "lead" stage.
    #[arg(long)]
    new_senders_are_leads: bool,
}

fn parse_security(text: &str) -> std::result::Result<Security, String> {
    Security::parse(text).ok_or_else(|| format!("'{text}' is not one of tls, starttls, none"))
}

fn default_port(security: Security, implicit: u16, starttls: u16) -> u16 {
    match security {
        Security::Tls => implicit,
        Security::Starttls | Security::None => starttls,
    }
}

fn read_password(from_stdin: bool) -> Result<String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        let password = line.trim_end_matches(['\r', '\n']).to_owned();
        if password.is_empty() {
            bail!("standard input held no password; pipe it in, e.g. `printf %s \"$PASS\" | rapport-cli account add ... --password-stdin`");
        }
        return Ok(password);
    }
    if !std::io::stdin().is_terminal() {
        bail!("no password given: use --password-stdin and pipe the password in (it is never accepted as an argument)");
    }
    rpassword::prompt_password("Password: ").context("reading the password")
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let Some(data_dir) = paths::data_dir(cli.data_dir.clone()) else {
        eprintln!("error: no data folder could be determined; pass --data-dir DIR");
        return ExitCode::from(2);
    };
    let _log = rapport_core::logging::init(
        &paths::log_dir(&data_dir),
        "rapport-cli",
        tracing::Level::WARN,
    );
    // Accounts that sign in with Google or Microsoft refresh their tokens with the same
    // client settings as the app (oauth.json in the data folder, or the environment).
    rapport_core::auth::install_config(rapport_core::auth::OAuthConfig::load(Some(&data_dir)));
    match run(cli, data_dir).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli, data_dir: PathBuf) -> Result<()> {
    let json = cli.json;
    let command = match cli.command {
        Command::Discover { address } => return discover_command(&address, json).await,
        other => other,
    };
    let store = Store::open(&data_dir)
        .await
        .with_context(|| format!("opening the database in {}", data_dir.display()))?;
    let accounts = AccountService::new(store.clone());
    let result = match command {
        Command::Account(AccountCommand::Add(args)) => add_account(&accounts, args, json).await,
        Command::Account(AccountCommand::List) => {
            let list: Vec<AccountSummary> = accounts
                .list()
                .await?
                .iter()
                .map(AccountSummary::from)
                .collect();
            print(json, &list, || {
                if list.is_empty() {
                    return "No accounts. Add one with `rapport-cli account add --email ADDR --password-stdin`.".into();
                }
                list.iter()
                    .map(|a| {
                        format!(
                            "{}  {}  {} messages  last sync {}{}",
                            a.email,
                            a.imap.host,
                            a.message_count,
                            a.last_sync_at.as_deref().unwrap_or("never"),
                            a.paused_reason
                                .as_deref()
                                .map(|r| format!("  PAUSED: {r}"))
                                .unwrap_or_default()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        Command::Account(AccountCommand::Remove { address }) => {
            let account = store.account_by_email(&address).await?;
            accounts.remove(account.id).await?;
            print(
                json,
                &serde_json::json!({ "removed": account.email }),
                || {
                    format!(
                        "Removed {} with its local mail and saved password.",
                        account.email
                    )
                },
            )
        }
        Command::Sync { account, once } => sync_command(&store, account, once, json).await,
        Command::Contacts => {
            let contacts = store.contacts().await?;
            print(json, &contacts, || {
                contacts
                    .iter()
                    .map(|c| {
                        format!(
                            "{}  <{}>  {} messages",
                            c.display_name, c.email, c.message_count
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        Command::Timeline { address } => {
            let entries = store.timeline(&address).await?;
            print(json, &entries, || {
                entries
                    .iter()
                    .map(|e| {
                        format!(
                            "{}  {}  {}  {}",
                            rapport_core::account::rfc3339(e.date).unwrap_or_default(),
                            if e.direction == "out" { "→" } else { "←" },
                            e.from_address,
                            e.subject
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        Command::Discover { address } => discover_command(&address, json).await,
        Command::Contact(command) => contact_command(&store, command, json).await,
        Command::Companies => {
            let companies = store.list_companies(None).await?;
            print(json, &companies, || {
                companies
                    .iter()
                    .map(|c| {
                        format!(
                            "{}  ({})  {} contacts  {} messages",
                            c.name, c.domain, c.contact_count, c.message_count
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        Command::Unlinked { limit } => {
            let people = store.unlinked_correspondents(limit).await?;
            print(json, &people, || {
                people
                    .iter()
                    .map(|p| {
                        format!(
                            "{}  <{}>  {} messages",
                            p.display_name, p.address, p.message_count
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        Command::Unignore { value } => {
            let created = store.remove_ignore_rule(&value).await?;
            print(
                json,
                &serde_json::json!({ "unignored": value, "contactsCreated": created }),
                || format!("No longer ignoring {value}; {created} contacts made from stored mail."),
            )
        }
        Command::Ignore { value } => {
            store.add_ignore_rule(&value).await?;
            print(json, &serde_json::json!({ "ignored": value }), || {
                format!("Ignoring {value}: it will not become a contact.")
            })
        }
        Command::Search { query, limit } => {
            search_command(&store, &query.join(" "), limit, json).await
        }
        Command::Send(args) => send_command(&store, args, json).await,
        Command::Followups {
            stage,
            contact,
            limit,
        } => followups::list(&store, stage, contact, limit, json).await,
        Command::Followup(command) => followups::command(&store, command, json).await,
    };
    store.close().await;
    result
}

async fn send_command(store: &Store, args: SendArgs, json: bool) -> Result<()> {
    use rapport_core::{
        compose::{mailto, Draft},
        outbox::{self, Delivery},
    };
    let account = store.account_by_email(&args.from).await.map_err(|_| {
        anyhow::anyhow!("No account {} (see `rapport-cli account list`).", args.from)
    })?;
    let html = match (&args.body, &args.body_file) {
        (Some(text), _) => mailto::text_to_html(text),
        (None, Some(path)) => {
            let content = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("--body-file {}: {e}", path.display()))?;
            let is_html = path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"));
            if is_html {
                content
            } else {
                mailto::text_to_html(&content)
            }
        }
        (None, None) => anyhow::bail!("Give the body with --body TEXT or --body-file FILE."),
    };
    let draft = Draft {
        account_id: account.id,
        to: args.to,
        cc: args.cc,
        bcc: args.bcc,
        subject: args.subject,
        html,
        attachments: args.attach,
        ..Draft::default()
    };
    let queued = outbox::queue(store, &draft)
        .await
        .map_err(|e| match e.field() {
            Some(field) => anyhow::anyhow!("{e} (--{})", field.replace("attachments", "attach")),
            None => anyhow::anyhow!("{e}"),
        })?;
    let results = outbox::deliver_due(store).await?;
    let ours = results.iter().find(|d| {
        matches!(d, Delivery::Sent { id } | Delivery::AlreadySent { id } | Delivery::Retrying { id, .. } | Delivery::Failed { id, .. } if *id == queued.outbox_id)
    });
    let entry = store.outbox_entry(queued.outbox_id).await?;
    let sent = matches!(
        ours,
        Some(Delivery::Sent { .. } | Delivery::AlreadySent { .. })
    );
    if json || sent {
        print(json, &entry, || format!("Sent <{}>.", queued.message_id))?;
    }
    match ours {
        _ if sent => Ok(()),
        Some(Delivery::Failed { error, .. }) => anyhow::bail!("Not sent: {error}"),
        _ => anyhow::bail!(
            "Not sent yet: {}. The message <{}> waits in the outbox; Rapport sends it when the server can be reached.",
            entry.last_error.as_deref().unwrap_or("another sender is handling it"),
            queued.message_id
        ),
    }
}

async fn contact_command(store: &Store, command: ContactCommand, json: bool) -> Result<()> {
    let owner = |address: String| async move {
        store.contact_id_for(&address).await?.with_context(|| {
            format!(
                "{address} is not a contact; create it with `rapport-cli contact create {address}`"
            )
        })
    };
    let id = match command {
        ContactCommand::Create { address, name } => {
            store.create_contact(&address, name.as_deref()).await?
        }
        ContactCommand::Stage { address, stage } => {
            let id = owner(address).await?;
            let details = store.contact(id).await?;
            store
                .update_contact(
                    id,
                    &rapport_core::store::ContactUpdate {
                        display_name: details.summary.display_name,
                        stage,
                        tags: details.summary.tags,
                        notes: details.notes,
                        follow_up_at: details.follow_up_at,
                    },
                )
                .await?;
            id
        }
        ContactCommand::Merge { keep, merge } => {
            let keep = owner(keep).await?;
            let merge = owner(merge).await?;
            store.merge_contacts(keep, merge).await?;
            keep
        }
    };
    let details = store.contact(id).await?;
    print(json, &details, || {
        format!(
            "{} <{}>  stage {}  {} messages",
            details.summary.display_name,
            details.emails.join(", "),
            details.summary.stage,
            details.summary.message_count
        )
    })
}

async fn search_command(store: &Store, query: &str, limit: i64, json: bool) -> Result<()> {
    if !(1..=500).contains(&limit) {
        bail!("--limit must be between 1 and 500");
    }
    let request = rapport_core::search::SearchRequest {
        query: query.to_owned(),
        before: None,
        limit,
    };
    let found = rapport_core::search::search(store, &request)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    print(json, &found, || {
        if found.is_empty() {
            return "No messages match.".into();
        }
        found
            .iter()
            .map(|m| {
                format!(
                    "{}  {}{}  {}",
                    rapport_core::account::rfc3339(m.date).unwrap_or_default(),
                    if m.direction == "out" { "→ " } else { "← " },
                    m.from_address,
                    m.subject
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    })
}

async fn discover_command(address: &str, json: bool) -> Result<()> {
    let found = discovery::discover(address, &discovery::DiscoveryNet::system())
        .await
        .with_context(|| format!("'{address}' is not an email address"))?;
    print(json, &found, || {
        format!(
            "IMAP  {}:{} ({})\nSMTP  {}:{} ({})\nuser  {}\nfrom  {:?}{}",
            found.imap.host,
            found.imap.port,
            found.imap.security.as_str(),
            found.smtp.host,
            found.smtp.port,
            found.smtp.security.as_str(),
            found.username,
            found.source,
            found
                .provider
                .as_deref()
                .map(|p| format!(" ({p})"))
                .unwrap_or_default()
        )
    })
}

async fn add_account(accounts: &AccountService, args: AddArgs, json: bool) -> Result<()> {
    let suggestion = discovery::suggest(&args.email);
    let explicit_plaintext =
        args.imap_security == Some(Security::None) || args.smtp_security == Some(Security::None);
    // Each server setting not given comes from the provider preset (or the imap./smtp.
    // guess); a given security without a port gets that security's usual port.
    let server = |host: Option<String>,
                  port: Option<u16>,
                  security: Option<Security>,
                  suggested: Option<&ServerSettings>,
                  ports: (u16, u16),
                  flag: &str|
     -> Result<ServerSettings> {
        let host = host
            .or_else(|| suggested.map(|s| s.host.clone()))
            .with_context(|| {
                format!("{flag} is needed: the address has no domain to guess from")
            })?;
        let security = security
            .or_else(|| suggested.map(|s| s.security))
            .unwrap_or(Security::Tls);
        let port = port.unwrap_or_else(|| match suggested {
            Some(s) if s.security == security => s.port,
            _ => default_port(security, ports.0, ports.1),
        });
        Ok(ServerSettings {
            host,
            port,
            security,
        })
    };
    let imap = server(
        args.imap_host,
        args.imap_port,
        args.imap_security,
        suggestion.as_ref().map(|s| &s.imap),
        (993, 143),
        "--imap-host",
    )?;
    let smtp = server(
        args.smtp_host,
        args.smtp_port,
        args.smtp_security,
        suggestion.as_ref().map(|s| &s.smtp),
        (465, 587),
        "--smtp-host",
    )?;
    let username = args
        .username
        .or_else(|| suggestion.as_ref().map(|s| s.username.clone()));
    let ca_pem = match &args.ca_file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("reading the CA file {}", path.display()))?,
        ),
        None => None,
    };
    let oauth = args.oauth.as_deref().map(|name| match name {
        "microsoft" => rapport_core::auth::OAuthProvider::Microsoft,
        _ => rapport_core::auth::OAuthProvider::Google,
    });
    let password = match oauth {
        Some(_) => String::new(),
        None => read_password(args.password_stdin)?,
    };
    let new = NewAccount {
        email: args.email,
        sender_name: args.name.unwrap_or_default(),
        mailbox_name: args.mailbox_name,
        username,
        password,
        imap,
        smtp,
        since: args.since,
        folders: args.folders,
        contact_policy: ContactPolicy::parse(&args.contacts).unwrap_or(ContactPolicy::All),
        keep_policy: KeepPolicy::parse(&args.keep).unwrap_or(KeepPolicy::All),
        poll_interval_secs: args.poll_interval,
        ca_pem,
        pinned_sha256: args.trust_fingerprint,
        // Asking for `--imap-security none` or `--smtp-security none` by name is the consent.
        allow_plaintext: explicit_plaintext,
        new_senders_are_leads: args.new_senders_are_leads,
    };
    let added = match oauth {
        Some(provider) => {
            let grant = sign_in_in_browser(provider, &new.email).await?;
            accounts.add_signed_in(new, &grant).await
        }
        None => accounts.add(new).await,
    };
    let record = added.map_err(|e| match e.field() {
        Some(field) => anyhow::anyhow!("{e} (field: {})", cli_flag(field)),
        None => anyhow::anyhow!("{e}"),
    })?;
    let summary = AccountSummary::from(&record);
    print(json, &summary, || {
        format!(
            "Added {} ({} folders to sync). Run `rapport-cli sync --once` to fetch mail.",
            summary.email, summary.folder_count
        )
    })
}

/// The browser sign-in for `account add --oauth`; Ctrl-C cancels it. Returns the grant id.
async fn sign_in_in_browser(
    provider: rapport_core::auth::OAuthProvider,
    email: &str,
) -> Result<String> {
    use rapport_core::auth;
    let settings = auth::current_config()
        .provider(provider)
        .map_err(|e| anyhow::anyhow!("{}", rapport_core::account::AccountError::from(e)))?;
    let open = |url: &str| {
        eprintln!(
            "Sign in with {} in your browser. If it does not open, visit:\n  {url}",
            provider.name()
        );
        open_system_browser(url)
    };
    let cancelled = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let tokens = auth::sign_in(
        &settings,
        Some(email),
        &open,
        &auth::BrowserPages::default(),
        cancelled,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{}", rapport_core::account::AccountError::from(e)))?;
    Ok(auth::hold_grant(provider, tokens))
}

/// Asks the desktop to open a URL; failing that, the printed address is enough.
fn open_system_browser(url: &str) -> std::result::Result<(), String> {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(target_os = "windows") {
        "explorer"
    } else {
        "xdg-open"
    };
    if let Err(e) = std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        eprintln!("({opener} could not be started: {e})");
    }
    Ok(())
}

/// The command-line option that corresponds to a form field named in an error.
fn cli_flag(field: &str) -> &'static str {
    match field {
        "email" => "--email",
        "password" => "the password",
        "imapHost" => "--imap-host",
        "imapPort" => "--imap-port",
        "imapSecurity" => "--imap-security",
        "smtpHost" => "--smtp-host",
        "smtpPort" => "--smtp-port",
        "smtpSecurity" => "--smtp-security",
        "since" => "--since",
        "caFile" => "--ca-file",
        "pinnedSha256" => "--trust-fingerprint",
        "pollIntervalSecs" => "--poll-interval",
        _ => "input",
    }
}

async fn sync_command(store: &Store, only: Option<String>, once: bool, json: bool) -> Result<()> {
    let ids: Vec<i64> = match &only {
        Some(address) => vec![store.account_by_email(address).await?.id],
        None => store.accounts().await?.iter().map(|a| a.id).collect(),
    };
    if ids.is_empty() {
        bail!("no accounts to sync; add one with `rapport-cli account add`");
    }
    let show_progress = !json && std::io::stderr().is_terminal();
    let report = move |event: SyncProgress| {
        if let (
            true,
            SyncProgress::Folder {
                folder,
                done,
                total,
                ..
            },
        ) = (show_progress, &event)
        {
            eprint!("\r{folder}: {done}/{total}   ");
            let _ = std::io::stderr().flush();
        }
    };
    if !once {
        return keep_syncing(store, ids, json).await;
    }
    let mut results = Vec::new();
    let mut failures = 0;
    for id in &ids {
        let email = store.account(*id).await?.email;
        match sync::sync_account_once(store, *id, &report).await {
            Ok(outcome) => {
                if show_progress {
                    eprintln!();
                }
                results.push(serde_json::json!({
                    "account": email,
                    "newMessages": outcome.new_messages,
                    "messageCount": outcome.message_count,
                    "unchangedFolders": outcome.unchanged_folders,
                    "flagsChanged": outcome.flags_changed,
                    "expunged": outcome.expunged,
                    "failedFolders": outcome.failed_folders,
                }));
                if !json {
                    println!(
                        "{email}: {} new, {} in total",
                        outcome.new_messages, outcome.message_count
                    );
                }
                if let Some(summary) = outcome.failure_summary() {
                    failures += 1;
                    if !json {
                        eprintln!("{email}: some folders failed: {summary}");
                    }
                }
            }
            Err(e) => {
                failures += 1;
                let message = e.to_user_error().message;
                if !json {
                    eprintln!("{email}: sync failed: {message}");
                }
                results.push(serde_json::json!({ "account": email, "error": message }));
            }
        }
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&results)?);
    }
    if failures > 0 {
        bail!("{failures} of {} accounts failed to sync", ids.len());
    }
    Ok(())
}

/// Runs every account's sync loop (IDLE on Inbox, polling the rest) until Ctrl-C,
/// printing one line per finished pass (a JSON object per line with --json).
async fn keep_syncing(store: &Store, ids: Vec<i64>, json: bool) -> Result<()> {
    let sink: std::sync::Arc<rapport_core::sync::ProgressSink> =
        std::sync::Arc::new(move |event: SyncProgress| {
            let line = match &event {
                SyncProgress::Finished { .. }
                | SyncProgress::Failed { .. }
                | SyncProgress::Paused { .. }
                    if json =>
                {
                    serde_json::to_string(&event).unwrap_or_default()
                }
                SyncProgress::Finished {
                    account_id,
                    new_messages,
                    message_count,
                } => {
                    format!("account {account_id}: {new_messages} new, {message_count} in total")
                }
                SyncProgress::Failed {
                    account_id,
                    message,
                } => format!("account {account_id}: sync failed: {message}"),
                SyncProgress::Paused { account_id, reason } => {
                    format!("account {account_id}: paused until you reconnect it: {reason}")
                }
                _ => return,
            };
            println!("{line}");
            let _ = std::io::stdout().flush();
        });
    let scheduler = rapport_core::sync::service::SyncScheduler::new(store.clone(), sink);
    for id in &ids {
        scheduler.start(*id).await;
    }
    if !json {
        eprintln!(
            "Syncing {} account(s); new mail arrives as it comes. Ctrl-C stops.",
            ids.len()
        );
    }
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    scheduler.shutdown().await;
    Ok(())
}

fn print<T: serde::Serialize>(json: bool, value: &T, human: impl FnOnce() -> String) -> Result<()> {
    let text = if json {
        serde_json::to_string_pretty(value)?
    } else {
        human()
    };
    if text.is_empty() {
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        // `rapport-cli contacts | head` closes the pipe early: that is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
