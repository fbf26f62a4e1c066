//! Adding, listing and removing mailboxes: validation, the real connection test, the
//! account row and its password in the keyring, created together or not at all.

use std::fmt;

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::{
    crm::{normalize_address, ContactPolicy},
    imap::{self, FolderRole, ImapError},
    net::{ConnectError, Security, ServerSettings},
    secrets::{self, SecretError, SecretKind},
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
    /// Folder names to sync; `None` means Inbox and Sent.
    #[serde(default)]
    pub folders: Option<Vec<String>>,
    #[serde(default = "default_contact_policy")]
    pub contact_policy: ContactPolicy,
    #[serde(default = "default_keep_policy")]
    pub keep_policy: KeepPolicy,
    /// Extra CA certificates (PEM) to trust for this account's servers.
    #[serde(default)]
    pub ca_pem: Option<String>,
}

fn default_contact_policy() -> ContactPolicy {
    ContactPolicy::All
}

fn default_keep_policy() -> KeepPolicy {
    KeepPolicy::All
}

/// Why adding or using an account failed. `field` names the form field to fix, and
/// `to_string()` is the sentence to show: what went wrong and what to do.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("{0} is already added to Rapport.")]
    Duplicate(String),
    #[error("{}", imap_sentence(.0))]
    Imap(ImapError),
    #[error("{0}")]
    Secret(#[from] SecretError),
    #[error("Rapport's database failed: {0}")]
    Store(StoreError),
}

impl From<StoreError> for AccountError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::DuplicateAccount(email) => AccountError::Duplicate(email),
            other => AccountError::Store(other),
        }
    }
}

impl From<ImapError> for AccountError {
    fn from(e: ImapError) -> Self {
        AccountError::Imap(e)
    }
}

impl AccountError {
    /// A stable code the UI can switch on.
    pub fn code(&self) -> &'static str {
        match self {
            AccountError::Invalid { .. } => "invalid",
            AccountError::Duplicate(_) => "duplicate",
            AccountError::Imap(ImapError::AuthenticationFailed { .. }) => "auth_failed",
            AccountError::Imap(ImapError::Connect(ConnectError::CertificateNotTrusted {
                ..
            })) => "certificate_not_trusted",
            AccountError::Imap(_) => "imap",
            AccountError::Secret(_) => "keyring",
            AccountError::Store(_) => "store",
        }
    }

    /// The form field the user should fix, if one is to blame.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            AccountError::Invalid { field, .. } => Some(field),
            AccountError::Duplicate(_) => Some("email"),
            AccountError::Imap(e) => match e {
                ImapError::AuthenticationFailed { .. } => Some("password"),
                ImapError::Connect(ConnectError::HostNotFound { .. }) => Some("imapHost"),
                ImapError::Connect(ConnectError::Refused { .. })
                | ImapError::Connect(ConnectError::Timeout { .. })
                | ImapError::NoGreeting => Some("imapPort"),
                ImapError::Connect(ConnectError::StartTlsNotOffered { .. })
                | ImapError::PlainLoginRefused
                | ImapError::Connect(ConnectError::TlsHandshake { .. }) => Some("imapSecurity"),
                _ => None,
            },
            _ => None,
        }
    }
}

/// The sentence for an IMAP failure: what happened, then what to do.
fn imap_sentence(e: &ImapError) -> String {
    match e {
        ImapError::AuthenticationFailed { .. } => "The mail server did not accept the user name or password. Check both; if your provider uses two-step verification (Gmail, Outlook, Seznam, ukr.net), create an app password in its security settings and use that instead, and make sure IMAP access is turned on.".into(),
        ImapError::PlainLoginRefused => "The server refuses passwords over an unencrypted connection. Choose SSL/TLS or STARTTLS for the incoming server.".into(),
        ImapError::Connect(ConnectError::HostNotFound { host }) => format!("The server {host} could not be found. Check the incoming server name for typos, and that you are online."),
        ImapError::Connect(ConnectError::Refused { host, port }) => format!("{host} refused a connection on port {port}. Check the port: IMAP is usually 993 with SSL/TLS or 143 with STARTTLS."),
        ImapError::Connect(ConnectError::Timeout { host, port }) => format!("{host} did not answer on port {port} in time. Check the server name and port, or whether a firewall blocks it."),
        ImapError::Connect(ConnectError::Network { host, detail, .. }) => format!("Could not reach {host}: {detail}. Check your connection and try again."),
        ImapError::Connect(ConnectError::TlsHandshake { host, detail }) => format!("A secure connection to {host} could not be set up ({detail}). Check that the port matches the security setting (993 for SSL/TLS, 143 for STARTTLS)."),
        ImapError::Connect(ConnectError::CertificateNotTrusted { host, detail, fingerprint }) => format!("The certificate of {host} is not trusted ({detail}). Only continue if you know this server: its SHA-256 fingerprint is {fingerprint}."),
        ImapError::Connect(ConnectError::StartTlsNotOffered { host }) => format!("{host} does not offer STARTTLS. Choose SSL/TLS (usually port 993) for the incoming server."),
        ImapError::Trust(detail) => format!("The trusted certificate settings are not valid: {detail}."),
        ImapError::NoGreeting => "The server did not answer like an IMAP server. Check the incoming server port.".into(),
        ImapError::Protocol(detail) => format!("The mail server answered in a way Rapport did not expect ({detail}). Try again; if it keeps happening, report it."),
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> AccountError {
    AccountError::Invalid {
        field,
        message: message.into(),
    }
}

fn validate_server(
    server: &ServerSettings,
    host_field: &'static str,
    port_field: &'static str,
    what: &str,
) -> Result<ServerSettings, AccountError> {
    let host = server.host.trim().trim_end_matches('.').to_owned();
    if host.is_empty() {
        return Err(invalid(
            host_field,
            format!("Enter the {what} server name, for example imap.example.com."),
        ));
    }
    let bracketed_ipv6 = host.starts_with('[');
    if host.contains(char::is_whitespace)
        || host.contains('/')
        || (host.contains(':') && !bracketed_ipv6)
    {
        return Err(invalid(host_field, format!("The {what} server name may not contain spaces, slashes or a port; put the port in its own field.")));
    }
    if server.port == 0 {
        return Err(invalid(
            port_field,
            format!("Enter the {what} server port (1–65535)."),
        ));
    }
    Ok(ServerSettings {
        host,
        port: server.port,
        security: server.security,
    })
}

/// Checks a new account's fields and turns them into a record, or says which field is
/// wrong and how to fix it.
pub fn validate(new: &NewAccount) -> Result<NewAccountRecord, AccountError> {
    let email = normalize_address(&new.email).ok_or_else(|| {
        invalid(
            "email",
            "Enter a full email address, like name@example.com.",
        )
    })?;
    if new.password.is_empty() {
        return Err(invalid(
            "password",
            "Enter the password (or app password) for this mailbox.",
        ));
    }
    let imap = validate_server(&new.imap, "imapHost", "imapPort", "incoming (IMAP)")?;
    let smtp = validate_server(&new.smtp, "smtpHost", "smtpPort", "outgoing (SMTP)")?;
    let since = FetchWindow::parse(&new.since).ok_or_else(|| {
        invalid(
            "since",
            "Choose how far back to fetch mail: 7d, 1m, 3m, 1y, all, or a date like 2026-01-31.",
        )
    })?;
    let ca_pem = match new
        .ca_pem
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        Some(pem) => {
            tls::validate_ca_pem(pem).map_err(|e| {
                invalid(
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
        pinned_sha256: None,
        fetch_since: since,
        keep_policy: new.keep_policy,
        contact_policy: new.contact_policy,
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

    /// Validates, logs in for real, lists folders, then saves the account and its
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
        if record.imap.security == Security::None {
            tracing::warn!(host = %record.imap.host, "account uses IMAP without encryption, as the user asked");
        }
        let mut session =
            imap::login(&record.imap, &record.username, &new.password, &trust).await?;
        let folders = imap::list_folders(&mut session).await?;
        let _ = session.logout().await;

        let mut tx = self.store.pool().begin().await.map_err(StoreError::from)?;
        let id = Store::insert_account(&mut tx, &record).await?;
        let password = new.password.clone();
        let saved =
            tokio::task::spawn_blocking(move || secrets::save(id, SecretKind::Password, &password))
                .await
                .map_err(|e| SecretError::Refused(e.to_string()))?;
        if let Err(e) = saved {
            // Dropping the transaction rolls the account back: no account without its password.
            drop(tx);
            return Err(e.into());
        }
        if let Err(e) = tx.commit().await {
            let _ = tokio::task::spawn_blocking(move || secrets::delete(id, SecretKind::Password))
                .await;
            return Err(StoreError::from(e).into());
        }

        let wanted: Option<Vec<String>> = new.folders.clone();
        self.store
            .upsert_folders(id, &folders, |folder| match &wanted {
                Some(names) => names.iter().any(|n| {
                    n == &folder.raw_name
                        || n.eq_ignore_ascii_case(&folder.display_name)
                        || (folder.role == Some(FolderRole::Inbox)
                            && n.eq_ignore_ascii_case("inbox"))
                }),
                None => FolderRole::selected_by_default(folder.role),
            })
            .await?;
        tracing::info!(account = id, folders = folders.len(), "account added");
        Ok(self.store.account(id).await?)
    }

    pub async fn list(&self) -> Result<Vec<AccountRecord>, AccountError> {
        Ok(self.store.accounts().await?)
    }

    /// Removes the account's password from the keyring and its data from the store.
    pub async fn remove(&self, id: i64) -> Result<(), AccountError> {
        self.store.account(id).await?;
        tokio::task::spawn_blocking(move || {
            secrets::delete(id, SecretKind::Password)?;
            secrets::delete(id, SecretKind::RefreshToken)
        })
        .await
        .map_err(|e| SecretError::Refused(e.to_string()))??;
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
            password: "secret".into(),
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
    fn wrong_password_sentence_says_what_to_do() {
        let e = AccountError::Imap(ImapError::AuthenticationFailed {
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
    pub state: &'static str,
    pub paused_reason: Option<String>,
    pub message_count: i64,
    pub folder_count: i64,
    pub last_sync_at: Option<String>,
    pub last_error: Option<String>,
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
            state: if a.is_paused() { "paused" } else { "active" },
            paused_reason: a.paused_reason.clone(),
            message_count: a.message_count,
            folder_count: a.folder_count,
            last_sync_at: a.last_sync_at.and_then(rfc3339),
            last_error: a.last_error.clone(),
        }
    }
}
