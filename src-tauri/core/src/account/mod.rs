//! Adding, listing and removing mailboxes: validation, the real connection test, the
//! account row and its password in the keyring, created together or not at all.

use std::fmt;

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

mod errors;
mod verify;

pub use errors::{AccountError, Protocol, UserError};
pub use verify::{
    test_connection, test_connection_signed_in, CheckResult, ConnectionReport, ConnectionRequest,
    Credential, RemoteFolderInfo,
};

use crate::{
    auth::{self, AuthKind},
    crm::{normalize_address, ContactPolicy},
    imap::FolderRole,
    net::{Security, ServerSettings},
    secrets::{self, SecretKind, SecretRef},
    store::{AccountRecord, KeepPolicy, NewAccountRecord, Store, StoreError},
    tls,
};

/// How far back the first sync reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchWindow {
    Days(u32),
    Months(u32),
    Years(u32),
    All,
    Since(NaiveDate),
}

impl FetchWindow {
    /// Parses `7d`, `1m`, `3m`, `1y`, `all` (any number works) or a date `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Option<FetchWindow> {
        let text = text.trim().to_ascii_lowercase();
        if text == "all" {
            return Some(FetchWindow::All);
        }
        if let Ok(date) = NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
            return Some(FetchWindow::Since(date));
        }
        let (number, unit) = text.split_at(text.len().checked_sub(1)?);
        let n: u32 = number.parse().ok().filter(|n| *n > 0 && *n <= 100_000)?;
        match unit {
            "d" => Some(FetchWindow::Days(n)),
            "m" => Some(FetchWindow::Months(n)),
            "y" => Some(FetchWindow::Years(n)),
            _ => None,
        }
    }

    /// The first day whose mail is fetched, or `None` for all mail.
    pub fn since(self, today: NaiveDate) -> Option<NaiveDate> {
        match self {
            FetchWindow::All => None,
            FetchWindow::Since(date) => Some(date),
            FetchWindow::Days(n) => today.checked_sub_days(chrono::Days::new(n as u64)),
            FetchWindow::Months(n) => today.checked_sub_months(Months::new(n)),
            FetchWindow::Years(n) => today
                .checked_sub_months(Months::new(n.saturating_mul(12)))
                .or_else(|| NaiveDate::from_ymd_opt(today.year() - n as i32, 1, 1)),
        }
    }
}

impl fmt::Display for FetchWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchWindow::Days(n) => write!(f, "{n}d"),
            FetchWindow::Months(n) => write!(f, "{n}m"),
            FetchWindow::Years(n) => write!(f, "{n}y"),
            FetchWindow::All => f.write_str("all"),
            FetchWindow::Since(date) => write!(f, "{}", date.format("%Y-%m-%d")),
        }
    }
}

/// What a user enters to add a mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewAccount {
    pub email: String,
    pub sender_name: String,
    pub mailbox_name: Option<String>,
    pub username: Option<String>,
    pub password: String,
    pub imap: ServerSettings,
    pub smtp: ServerSettings,
    /// `7d`, `1m`, `3m`, `1y`, `all` or `YYYY-MM-DD`.
    pub since: String,
    /// Folders to sync (raw names, or "INBOX"); `None` means Inbox and Sent.
    #[serde(default)]
    pub folders: Option<Vec<String>>,
    #[serde(default = "default_contact_policy")]
    pub contact_policy: ContactPolicy,
    #[serde(default = "default_keep_policy")]
    pub keep_policy: KeepPolicy,
    #[serde(default = "default_poll_interval")]
    pub poll_interval_secs: i64,
    /// Extra CA certificates (PEM) to trust for this account's servers.
    #[serde(default)]
    pub ca_pem: Option<String>,
    /// SHA-256 fingerprints of server certificates the user chose to trust.
    #[serde(default)]
    pub pinned_sha256: Option<String>,
    /// The user explicitly accepted a connection without encryption.
    #[serde(default)]
    pub allow_plaintext: bool,
    /// New contacts from incoming mail start as leads.
    #[serde(default)]
    pub new_senders_are_leads: bool,
}

fn default_contact_policy() -> ContactPolicy {
    ContactPolicy::All
}

fn default_keep_policy() -> KeepPolicy {
    KeepPolicy::All
}

fn default_poll_interval() -> i64 {
    300
}

/// Changes to an existing account's settings, as the settings screen sends them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountSettingsUpdate {
    pub sender_name: String,
    pub mailbox_name: String,
    pub since: String,
    pub keep_policy: KeepPolicy,
    pub contact_policy: ContactPolicy,
    /// New incoming senders start as leads; `None` keeps the saved choice.
    #[serde(default)]
    pub new_senders_are_leads: Option<bool>,
    pub poll_interval_secs: i64,
    /// Raw names of the folders to sync.
    pub folders: Vec<String>,
    pub imap: ServerSettings,
    pub smtp: ServerSettings,
    pub username: String,
    /// A new password; `None` keeps the saved one.
    pub password: Option<String>,
    #[serde(default)]
    pub pinned_sha256: Option<String>,
    #[serde(default)]
    pub allow_plaintext: bool,
}

/// A folder of an account as the settings screen lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FolderInfo {
    pub id: i64,
    pub raw_name: String,
    pub display_name: String,
    /// Nesting level, for indentation.
    pub depth: usize,
    pub role: Option<String>,
    pub selectable: bool,
    pub selected: bool,
    pub message_count: i64,
    pub unread_count: i64,
}

fn validate_server(
    server: &ServerSettings,
    host_field: &'static str,
    port_field: &'static str,
    security_field: &'static str,
    what: &str,
    allow_plaintext: bool,
) -> Result<ServerSettings, AccountError> {
    let host = server.host.trim().trim_end_matches('.').to_owned();
    if host.is_empty() {
        return Err(AccountError::invalid(
            host_field,
            format!("Enter the {what} server name, for example imap.example.com."),
        ));
    }
    let bracketed_ipv6 = host.starts_with('[');
    if host.contains(char::is_whitespace)
        || host.contains('/')
        || (host.contains(':') && !bracketed_ipv6)
    {
        return Err(AccountError::invalid(host_field, format!("The {what} server name may not contain spaces, slashes or a port; put the port in its own field.")));
    }
    if server.port == 0 {
        return Err(AccountError::invalid(
            port_field,
            format!("Enter the {what} server port (1–65535)."),
        ));
    }
    if server.security == Security::None && !allow_plaintext {
        return Err(AccountError::invalid(
            security_field,
            format!("Without encryption the {what} password travels in clear text. Choose SSL/TLS or STARTTLS, or explicitly allow an unencrypted connection."),
        ));
    }
    Ok(ServerSettings {
        host,
        port: server.port,
        security: server.security,
    })
}

fn validate_poll_interval(secs: i64) -> Result<i64, AccountError> {
    if (60..=86_400).contains(&secs) {
        Ok(secs)
    } else {
        Err(AccountError::invalid(
            "pollIntervalSecs",
            "Check for new mail every 1 minute to 24 hours.",
        ))
    }
}

fn validate_pins(pins: Option<&str>) -> Result<Option<String>, AccountError> {
    match pins.map(str::trim).filter(|p| !p.is_empty()) {
        Some(text) => {
            let parsed = tls::parse_pins(text).map_err(|e| {
                AccountError::invalid(
                    "pinnedSha256",
                    format!("The trusted certificate fingerprint is not valid: {e}."),
                )
            })?;
            Ok(Some(
                parsed.iter().map(hex::encode).collect::<Vec<_>>().join(","),
            ))
        }
        None => Ok(None),
    }
}

/// Checks a new account's fields and turns them into a record, or says which field is
/// wrong and how to fix it.
pub fn validate(new: &NewAccount) -> Result<NewAccountRecord, AccountError> {
    if new.password.is_empty() {
        normalize_address(&new.email).ok_or_else(|| {
            AccountError::invalid(
                "email",
                "Enter a full email address, like name@example.com.",
            )
        })?;
        return Err(AccountError::invalid(
            "password",
            "Enter the password (or app password) for this mailbox.",
        ));
    }
    validate_settings(new)
}

/// The checks of [`validate`] except the password (an OAuth2 account has none).
fn validate_settings(new: &NewAccount) -> Result<NewAccountRecord, AccountError> {
    let email = normalize_address(&new.email).ok_or_else(|| {
        AccountError::invalid(
            "email",
            "Enter a full email address, like name@example.com.",
        )
    })?;
    let imap = validate_server(
        &new.imap,
        "imapHost",
        "imapPort",
        "imapSecurity",
        "incoming (IMAP)",
        new.allow_plaintext,
    )?;
    let smtp = validate_server(
        &new.smtp,
        "smtpHost",
        "smtpPort",
        "smtpSecurity",
        "outgoing (SMTP)",
        new.allow_plaintext,
    )?;
    let since = parse_window(&new.since)?;
    let ca_pem = match new
        .ca_pem
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        Some(pem) => {
            tls::validate_ca_pem(pem).map_err(|e| {
                AccountError::invalid(
                    "caFile",
                    format!("The CA certificate file is not usable: {e}."),
                )
            })?;
            Some(pem.to_owned())
        }
        None => None,
    };
    let sender_name = new.sender_name.trim();
    let mailbox_name = new
        .mailbox_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(&email)
        .to_owned();
    let username = new
        .username
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .unwrap_or(new.email.trim())
        .to_owned();
    Ok(NewAccountRecord {
        sender_name: if sender_name.is_empty() {
            crate::crm::display_name_for("", &email)
        } else {
            sender_name.to_owned()
        },
        email,
        mailbox_name,
        imap,
        smtp,
        username,
        ca_pem,
        pinned_sha256: validate_pins(new.pinned_sha256.as_deref())?,
        fetch_since: since,
        keep_policy: new.keep_policy,
        contact_policy: new.contact_policy,
        poll_interval_secs: validate_poll_interval(new.poll_interval_secs)?,
        leads_from_incoming: new.new_senders_are_leads,
    })
}

fn parse_window(text: &str) -> Result<FetchWindow, AccountError> {
    FetchWindow::parse(text).ok_or_else(|| {
        AccountError::invalid(
            "since",
            "Choose how far back to fetch mail: 7d, 1m, 3m, 1y, all, or a date like 2026-01-31.",
        )
    })
}

/// Whether a remote folder is one the user asked for by name.
fn folder_wanted(names: &[String], folder: &crate::imap::RemoteFolder) -> bool {
    names.iter().any(|n| {
        n == &folder.raw_name
            || n.eq_ignore_ascii_case(&folder.display_name)
            || (folder.role == Some(FolderRole::Inbox) && n.eq_ignore_ascii_case("inbox"))
    })
}

/// Account operations over a store. Secrets go to the keyring, never to the store.
#[derive(Clone, Debug)]
pub struct AccountService {
    store: Store,
}

impl AccountService {
    pub fn new(store: Store) -> AccountService {
        AccountService { store }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Validates, logs in to IMAP and SMTP for real, then saves the account and its
    /// password together: if the keyring cannot keep the password, nothing is saved.
    pub async fn add(&self, new: NewAccount) -> Result<AccountRecord, AccountError> {
        let record = validate(&new)?;
        if self.store.account_by_email(&record.email).await.is_ok() {
            return Err(AccountError::Duplicate(record.email));
        }
        let trust = tls::TrustSettings {
            extra_ca_pem: record.ca_pem.clone(),
            pinned_sha256: record.pinned_sha256.clone(),
        };
        if record.imap.security == Security::None || record.smtp.security == Security::None {
            tracing::warn!(account = %record.email, "account uses a connection without encryption, as the user asked");
        }
        let folders = verify::verify_login(
            &record.email,
            &record.imap,
            &record.smtp,
            &record.username,
            &Credential::Password(new.password.clone()),
            &trust,
        )
        .await?;

        let mut tx = self.store.pool().begin().await.map_err(StoreError::from)?;
        let id = Store::insert_account(&mut tx, &record).await?;
        let password_ref = SecretRef::new(&self.store, id, SecretKind::Password);
        if let Err(e) = secrets::save_async(password_ref.clone(), new.password.clone()).await {
            // Dropping the transaction rolls the account back: no account without its password.
            drop(tx);
            return Err(e.into());
        }
        if let Err(e) = tx.commit().await {
            let _ = secrets::delete_async(password_ref).await;
            return Err(StoreError::from(e).into());
        }

        let wanted = new.folders.clone();
        self.store
            .upsert_folders(id, &folders, |folder| match &wanted {
                Some(names) => folder_wanted(names, folder),
                None => FolderRole::selected_by_default(folder.role),
            })
            .await?;
        tracing::info!(account = id, folders = folders.len(), "account added");
        Ok(self.store.account(id).await?)
    }

    pub async fn list(&self) -> Result<Vec<AccountRecord>, AccountError> {
        Ok(self.store.accounts().await?)
    }

    pub async fn folders(&self, id: i64) -> Result<Vec<FolderInfo>, AccountError> {
        Ok(self
            .store
            .folders(id)
            .await?
            .into_iter()
            .map(|f| FolderInfo {
                depth: f.depth(),
                id: f.id,
                raw_name: f.raw_name,
                display_name: f.display_name,
                role: f.role,
                selectable: f.selectable,
                selected: f.selected,
                message_count: f.message_count,
                unread_count: f.unread_count,
            })
            .collect())
    }

    /// Saves new settings. When the servers, user name, password or trusted certificate
    /// change, the login is tested first and nothing is saved if it fails.
    pub async fn update(
        &self,
        id: i64,
        update: AccountSettingsUpdate,
    ) -> Result<AccountRecord, AccountError> {
        let current = self.store.account(id).await?;
        let imap = validate_server(
            &update.imap,
            "imapHost",
            "imapPort",
            "imapSecurity",
            "incoming (IMAP)",
            update.allow_plaintext
                || current.imap.security == Security::None
                    && update.imap.security == Security::None,
        )?;
        let smtp = validate_server(
            &update.smtp,
            "smtpHost",
            "smtpPort",
            "smtpSecurity",
            "outgoing (SMTP)",
            update.allow_plaintext
                || current.smtp.security == Security::None
                    && update.smtp.security == Security::None,
        )?;
        let username = update.username.trim().to_owned();
        if username.is_empty() {
            return Err(AccountError::invalid(
                "username",
                "Enter the user name for this mailbox (usually the full address).",
            ));
        }
        if update.folders.is_empty() {
            return Err(AccountError::invalid(
                "folders",
                "Choose at least one folder to sync.",
            ));
        }
        let pins =
            validate_pins(update.pinned_sha256.as_deref())?.or(current.pinned_sha256.clone());
        let new_password = update.password.filter(|p| !p.is_empty());
        let connection_changed = imap != current.imap
            || smtp != current.smtp
            || username != current.username
            || pins != current.pinned_sha256
            || new_password.is_some();
        let oauth_provider = current.auth_kind.provider();
        let is_oauth = oauth_provider.is_some();
        if connection_changed {
            // A signed-in account is tested with its token; a password typed for it is ignored.
            let credential = match (oauth_provider, &new_password) {
                (Some(provider), _) => Credential::AccessToken {
                    provider,
                    token: auth::access_token(&self.store, &current, None).await?,
                },
                (None, Some(p)) => Credential::Password(p.clone()),
                (None, None) => Credential::Password(
                    secrets::load_async(SecretRef::new(&self.store, id, SecretKind::Password))
                        .await?,
                ),
            };
            let trust = tls::TrustSettings {
                extra_ca_pem: current.ca_pem.clone(),
                pinned_sha256: pins.clone(),
            };
            verify::verify_login(&current.email, &imap, &smtp, &username, &credential, &trust)
                .await?;
        }
        let mailbox_name = update.mailbox_name.trim();
        let settings = crate::store::AccountSettings {
            sender_name: update.sender_name.trim().to_owned(),
            mailbox_name: if mailbox_name.is_empty() {
                current.email.clone()
            } else {
                mailbox_name.to_owned()
            },
            fetch_since: parse_window(&update.since)?,
            keep_policy: update.keep_policy,
            contact_policy: update.contact_policy,
            leads_from_incoming: update
                .new_senders_are_leads
                .unwrap_or(current.leads_from_incoming),
            poll_interval_secs: validate_poll_interval(update.poll_interval_secs)?,
            imap,
            smtp,
            username,
            pinned_sha256: pins,
        };
        if let Some(password) = new_password.filter(|_| !is_oauth) {
            secrets::save_async(
                SecretRef::new(&self.store, id, SecretKind::Password),
                password,
            )
            .await?;
        }
        self.store.update_account_settings(id, &settings).await?;
        self.store.select_folders(id, &update.folders).await?;
        Ok(self.store.account(id).await?)
    }

    /// Clears a paused state so syncing resumes.
    pub async fn reconnect(&self, id: i64) -> Result<AccountRecord, AccountError> {
        self.store.resume_account(id).await?;
        Ok(self.store.account(id).await?)
    }

    /// Adds a mailbox that signs in with Google or Microsoft: `grant` is the id a
    /// finished browser sign-in returned. Like [`AccountService::add`], IMAP and SMTP are
    /// logged in to for real first, and the account and its refresh token are saved
    /// together or not at all. `new.password` is ignored.
    pub async fn add_signed_in(
        &self,
        new: NewAccount,
        grant: &str,
    ) -> Result<AccountRecord, AccountError> {
        let record = validate_settings(&new)?;
        if self.store.account_by_email(&record.email).await.is_ok() {
            return Err(AccountError::Duplicate(record.email));
        }
        let granted = auth::grant_access_token(grant).await?;
        let trust = tls::TrustSettings {
            extra_ca_pem: record.ca_pem.clone(),
            pinned_sha256: record.pinned_sha256.clone(),
        };
        let folders = verify::verify_login(
            &record.email,
            &record.imap,
            &record.smtp,
            &record.username,
            &token_credential(&granted),
            &trust,
        )
        .await?;

        let mut tx = self.store.pool().begin().await.map_err(StoreError::from)?;
        let id = Store::insert_account(&mut tx, &record).await?;
        Store::set_account_auth_kind(&mut tx, id, granted.provider.auth_kind()).await?;
        let token_ref = SecretRef::new(&self.store, id, SecretKind::RefreshToken);
        if let Err(e) =
            secrets::save_async(token_ref.clone(), granted.tokens.refresh_token.clone()).await
        {
            drop(tx);
            return Err(e.into());
        }
        if let Err(e) = tx.commit().await {
            let _ = secrets::delete_async(token_ref).await;
            return Err(StoreError::from(e).into());
        }
        auth::take_grant(grant);
        auth::seed_access_token(&self.store, id, granted.tokens).await;

        let wanted = new.folders.clone();
        self.store
            .upsert_folders(id, &folders, |folder| match &wanted {
                Some(names) => folder_wanted(names, folder),
                None => FolderRole::selected_by_default(folder.role),
            })
            .await?;
        tracing::info!(
            account = id,
            provider = granted.provider.name(),
            folders = folders.len(),
            "account added with a sign-in"
        );
        Ok(self.store.account(id).await?)
    }

    /// Replaces an account's sign-in with a new one (after "Sign in again"): tested on
    /// IMAP and SMTP first, then saved, and the account taken back into service.
    pub async fn sign_in_again(&self, id: i64, grant: &str) -> Result<AccountRecord, AccountError> {
        let current = self.store.account(id).await?;
        let granted = auth::grant_access_token(grant).await?;
        let expected = current
            .auth_kind
            .provider()
            .ok_or(auth::AuthError::WrongProvider {
                expected: "a password",
                got: granted.provider.name(),
            })?;
        if expected != granted.provider {
            return Err(auth::AuthError::WrongProvider {
                expected: expected.name(),
                got: granted.provider.name(),
            }
            .into());
        }
        verify_account_login(&current, &token_credential(&granted)).await?;
        secrets::save_async(
            SecretRef::new(&self.store, id, SecretKind::RefreshToken),
            granted.tokens.refresh_token.clone(),
        )
        .await?;
        self.resume_signed_in(id, grant, granted.tokens).await?;
        tracing::info!(account = id, "signed in again");
        Ok(self.store.account(id).await?)
    }

    /// Moves a password account to "Sign in with Google / Microsoft" (`grant` from a
    /// finished browser sign-in), keeping its mail and contacts. The sign-in is tested on
    /// IMAP and SMTP first and nothing changes if that fails; then the refresh token is
    /// kept, the password removed from the keyring, and syncing resumes. For an account
    /// that signs in already this is "Sign in again".
    pub async fn use_sign_in(&self, id: i64, grant: &str) -> Result<AccountRecord, AccountError> {
        let current = self.store.account(id).await?;
        if current.auth_kind.provider().is_some() {
            return self.sign_in_again(id, grant).await;
        }
        let granted = auth::grant_access_token(grant).await?;
        verify_account_login(&current, &token_credential(&granted)).await?;
        let token_ref = SecretRef::new(&self.store, id, SecretKind::RefreshToken);
        secrets::save_async(token_ref.clone(), granted.tokens.refresh_token.clone()).await?;
        if let Err(e) = self.set_auth_kind(id, granted.provider.auth_kind()).await {
            let _ = secrets::delete_async(token_ref).await;
            return Err(e.into());
        }
        let password_ref = SecretRef::new(&self.store, id, SecretKind::Password);
        if let Err(e) = secrets::delete_async(password_ref).await {
            // The account no longer reads it; only a stale keyring entry is left.
            tracing::warn!(account = id, "the old password stayed in the keyring: {e}");
        }
        let provider = granted.provider.name();
        self.resume_signed_in(id, grant, granted.tokens).await?;
        tracing::info!(
            account = id,
            provider,
            "switched from a password to a sign-in"
        );
        Ok(self.store.account(id).await?)
    }

    /// Moves a signed-in account to a password (an app password, say), keeping its mail
    /// and contacts. The password is tested on IMAP and SMTP first and nothing changes if
    /// that fails; then it is kept in the keyring, and the sign-in's refresh token is
    /// revoked at the provider and removed.
    pub async fn use_password(
        &self,
        id: i64,
        password: String,
    ) -> Result<AccountRecord, AccountError> {
        let current = self.store.account(id).await?;
        if password.is_empty() {
            return Err(AccountError::invalid(
                "password",
                "Enter the password (or app password) for this mailbox.",
            ));
        }
        verify_account_login(&current, &Credential::Password(password.clone())).await?;
        secrets::save_async(
            SecretRef::new(&self.store, id, SecretKind::Password),
            password,
        )
        .await?;
        self.set_auth_kind(id, AuthKind::Password).await?;
        if let Some(provider) = current.auth_kind.provider() {
            let token_ref = SecretRef::new(&self.store, id, SecretKind::RefreshToken);
            if let Ok(token) = secrets::load_async(token_ref.clone()).await {
                auth::revoke_refresh_token(provider, &token).await;
            }
            if let Err(e) = secrets::delete_async(token_ref).await {
                tracing::warn!(account = id, "the old sign-in stayed in the keyring: {e}");
            }
            auth::forget_account(&self.store, id);
            tracing::info!(
                account = id,
                provider = provider.name(),
                "switched from a sign-in to a password"
            );
        }
        self.store.set_sign_in_required(id, false).await?;
        self.store.resume_account(id).await?;
        Ok(self.store.account(id).await?)
    }

    /// After a new sign-in was saved for account `id`: the grant is used up, its access
    /// token serves at once, and the account is back in service.
    async fn resume_signed_in(
        &self,
        id: i64,
        grant: &str,
        tokens: auth::TokenSet,
    ) -> Result<(), AccountError> {
        auth::take_grant(grant);
        auth::forget_account(&self.store, id);
        auth::seed_access_token(&self.store, id, tokens).await;
        self.store.set_sign_in_required(id, false).await?;
        self.store.resume_account(id).await?;
        Ok(())
    }

    async fn set_auth_kind(&self, id: i64, kind: AuthKind) -> Result<(), StoreError> {
        let mut connection = self.store.pool().acquire().await?;
        Store::set_account_auth_kind(&mut connection, id, kind).await
    }

    /// Removes the account's password from the keyring and its data from the store.
    /// An OAuth2 refresh token is also revoked at the provider (where it offers that).
    pub async fn remove(&self, id: i64) -> Result<(), AccountError> {
        let account = self.store.account(id).await?;
        if let Some(provider) = account.auth_kind.provider() {
            let token_ref = SecretRef::new(&self.store, id, SecretKind::RefreshToken);
            if let Ok(token) = secrets::load_async(token_ref).await {
                auth::revoke_refresh_token(provider, &token).await;
            }
            auth::forget_account(&self.store, id);
        }
        for kind in [SecretKind::Password, SecretKind::RefreshToken] {
            secrets::delete_async(SecretRef::new(&self.store, id, kind)).await?;
        }
        self.store.delete_account(id).await?;
        tracing::info!(account = id, "account removed");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> NewAccount {
        NewAccount {
            email: "Alice@Example.org".into(),
            sender_name: "".into(),
            mailbox_name: None,
            username: None,
            password: "pw-1".into(),
            imap: ServerSettings {
                host: "imap.example.org".into(),
                port: 993,
                security: Security::Tls,
            },
            smtp: ServerSettings {
                host: "smtp.example.org".into(),
                port: 465,
                security: Security::Tls,
            },
            since: "3m".into(),
            folders: None,
            contact_policy: ContactPolicy::All,
            keep_policy: KeepPolicy::All,
            ca_pem: None,
            poll_interval_secs: 300,
            pinned_sha256: None,
            allow_plaintext: false,
            new_senders_are_leads: false,
        }
    }

    #[test]
    fn fetch_windows_parse_and_print() {
        for text in ["7d", "1m", "3m", "1y", "all", "2026-01-31"] {
            assert_eq!(FetchWindow::parse(text).unwrap().to_string(), text);
        }
        assert_eq!(FetchWindow::parse("0d"), None);
        assert_eq!(FetchWindow::parse("soon"), None);
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        assert_eq!(
            FetchWindow::parse("1m").unwrap().since(today),
            NaiveDate::from_ymd_opt(2026, 10, 23)
        );
        assert_eq!(
            FetchWindow::parse("7d").unwrap().since(today),
            NaiveDate::from_ymd_opt(2026, 11, 16)
        );
        assert_eq!(FetchWindow::All.since(today), None);
    }

    #[test]
    fn validation_names_the_field_to_fix() {
        let mut bad = sample();
        bad.email = "alice".into();
        assert_eq!(validate(&bad).unwrap_err().field(), Some("email"));
        let mut bad = sample();
        bad.password.clear();
        assert_eq!(validate(&bad).unwrap_err().field(), Some("password"));
        let mut bad = sample();
        bad.imap.host = "imap.example.org:993".into();
        assert_eq!(validate(&bad).unwrap_err().field(), Some("imapHost"));
        let mut bad = sample();
        bad.smtp.port = 0;
        assert_eq!(validate(&bad).unwrap_err().field(), Some("smtpPort"));
        let mut bad = sample();
        bad.since = "forever".into();
        assert_eq!(validate(&bad).unwrap_err().field(), Some("since"));
        let mut bad = sample();
        bad.poll_interval_secs = 5;
        assert_eq!(
            validate(&bad).unwrap_err().field(),
            Some("pollIntervalSecs")
        );
        let mut bad = sample();
        bad.pinned_sha256 = Some("zz".into());
        assert_eq!(validate(&bad).unwrap_err().field(), Some("pinnedSha256"));
    }

    #[test]
    fn validation_fills_defaults() {
        let record = validate(&sample()).unwrap();
        assert_eq!(record.email, "alice@example.org");
        assert_eq!(record.mailbox_name, "alice@example.org");
        assert_eq!(record.username, "Alice@Example.org");
        assert_eq!(record.sender_name, "Alice");
    }

    #[test]
    fn plaintext_needs_explicit_consent() {
        let mut plain = sample();
        plain.imap.security = Security::None;
        let e = validate(&plain).unwrap_err();
        assert_eq!(e.field(), Some("imapSecurity"));
        assert_eq!(e.code(), "plaintext_refused");
        plain.allow_plaintext = true;
        assert!(validate(&plain).is_ok());
    }

    #[test]
    fn wrong_password_sentence_says_what_to_do() {
        let e = AccountError::from(crate::imap::ImapError::AuthenticationFailed {
            server_says: "x".into(),
        });
        assert_eq!(e.field(), Some("password"));
        assert!(e.to_string().contains("app password"));
        assert!(!e.to_string().contains("AUTHENTICATIONFAILED"));
    }
}

/// An account as the UI and the CLI's JSON show it: no secret, times in RFC 3339.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountSummary {
    pub id: i64,
    pub email: String,
    pub sender_name: String,
    pub mailbox_name: String,
    pub imap: ServerSettings,
    pub smtp: ServerSettings,
    pub username: String,
    pub since: String,
    pub keep_policy: KeepPolicy,
    pub contact_policy: ContactPolicy,
    pub new_senders_are_leads: bool,
    pub poll_interval_secs: i64,
    /// Fingerprints of certificates the user trusted for this account (not secret).
    pub pinned_sha256: Option<String>,
    /// The account uses a connection without encryption, as the user allowed.
    pub allow_plaintext: bool,
    pub state: &'static str,
    pub paused_reason: Option<String>,
    pub message_count: i64,
    pub folder_count: i64,
    pub last_sync_at: Option<String>,
    pub last_error: Option<String>,
    /// password, google or microsoft.
    pub auth_kind: AuthKind,
    /// The provider no longer honours the sign-in: the UI offers "Sign in again".
    pub sign_in_required: bool,
    /// For a password account on a provider that also offers "Sign in with …" (and that
    /// this build can sign in with): that provider, for the switch in its settings.
    pub sign_in_offer: Option<auth::OAuthProvider>,
}

/// Logs in to the account's own IMAP and SMTP servers with `credential`, before it
/// replaces the one the account uses.
async fn verify_account_login(
    account: &AccountRecord,
    credential: &Credential,
) -> Result<(), AccountError> {
    verify::verify_login(
        &account.email,
        &account.imap,
        &account.smtp,
        &account.username,
        credential,
        &account.trust(),
    )
    .await?;
    Ok(())
}

/// What a finished sign-in logs in with: its access token.
fn token_credential(granted: &auth::GrantedTokens) -> Credential {
    Credential::AccessToken {
        provider: granted.provider,
        token: granted.tokens.access_token.clone(),
    }
}

fn sign_in_offer(account: &AccountRecord) -> Option<auth::OAuthProvider> {
    if account.auth_kind != AuthKind::Password {
        return None;
    }
    crate::discovery::preset_for_imap_host(&account.imap.host)
        .and_then(|preset| preset.oauth)
        .filter(|provider| auth::current_config().is_configured(*provider))
}

/// Unix seconds as RFC 3339 (UTC).
pub fn rfc3339(seconds: i64) -> Option<String> {
    chrono::DateTime::from_timestamp(seconds, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

impl From<&AccountRecord> for AccountSummary {
    fn from(a: &AccountRecord) -> Self {
        AccountSummary {
            id: a.id,
            email: a.email.clone(),
            sender_name: a.sender_name.clone(),
            mailbox_name: a.mailbox_name.clone(),
            imap: a.imap.clone(),
            smtp: a.smtp.clone(),
            username: a.username.clone(),
            since: a.fetch_since.to_string(),
            keep_policy: a.keep_policy,
            contact_policy: a.contact_policy,
            new_senders_are_leads: a.leads_from_incoming,
            poll_interval_secs: a.poll_interval_secs,
            pinned_sha256: a.pinned_sha256.clone(),
            allow_plaintext: a.imap.security == Security::None || a.smtp.security == Security::None,
            state: if a.is_paused() { "paused" } else { "active" },
            paused_reason: a.paused_reason.clone(),
            message_count: a.message_count,
            folder_count: a.folder_count,
            last_sync_at: a.last_sync_at.and_then(rfc3339),
            last_error: a.last_error.clone(),
            auth_kind: a.auth_kind,
            sign_in_required: a.sign_in_required,
            sign_in_offer: sign_in_offer(a),
        }
    }
}
