//! "Copy diagnostics": a plain-text report a user can paste into a support request.
//! Versions, the OS, each account's state and last error, and the last warnings from the
//! log; never a password or token (the keyring is not read, and every line goes through
//! the log redaction), and addresses shortened to their domain.

use std::{fmt::Write, path::Path};

use crate::{
    logging,
    store::{Store, StoreError},
};

/// What the report says about the program itself.
#[derive(Debug, Clone)]
pub struct ProgramInfo {
    pub name: &'static str,
    pub version: &'static str,
    /// The UI toolkit's version (Tauri and the webview), if the face has one.
    pub toolkit: Option<String>,
}

const RECENT_PROBLEMS: usize = 20;

pub async fn report(
    store: &Store,
    program: &ProgramInfo,
    data_dir: &Path,
) -> Result<String, StoreError> {
    let mut out = String::new();
    let _ = writeln!(out, "{} {}", program.name, program.version);
    if let Some(toolkit) = &program.toolkit {
        let _ = writeln!(out, "{toolkit}");
    }
    let _ = writeln!(
        out,
        "OS: {} {} ({})",
        std::env::consts::OS,
        os_release().unwrap_or_default(),
        std::env::consts::ARCH
    );
    let schema: Option<i64> =
        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = 1")
            .fetch_one(store.pool())
            .await
            .unwrap_or(None);
    let _ = writeln!(out, "Database schema: {}", schema.unwrap_or(0));
    let messages: i64 = sqlx::query_scalar("SELECT count(*) FROM message")
        .fetch_one(store.pool())
        .await?;
    let contacts: i64 = sqlx::query_scalar("SELECT count(*) FROM contact")
        .fetch_one(store.pool())
        .await?;
    let _ = writeln!(out, "Stored: {messages} messages, {contacts} contacts");

    let accounts = store.accounts().await?;
    let _ = writeln!(out, "\nAccounts: {}", accounts.len());
    for account in &accounts {
        let domain = account.email.rsplit('@').next().unwrap_or("?");
        let state = match (&account.paused_reason, account.is_paused()) {
            (Some(reason), true) => format!("paused ({reason})"),
            (None, true) => "paused".to_owned(),
            _ => "active".to_owned(),
        };
        let _ = writeln!(
            out,
            "- #{} …@{domain}: IMAP {}:{} {:?}, SMTP {}:{} {:?}, {state}, \
             {} failures in a row, last sync {}, {} messages",
            account.id,
            account.imap.host,
            account.imap.port,
            account.imap.security,
            account.smtp.host,
            account.smtp.port,
            account.smtp.security,
            account.consecutive_failures,
            account
                .last_sync_at
                .and_then(crate::account::rfc3339)
                .unwrap_or_else(|| "never".into()),
            account.message_count,
        );
        if let Some(error) = &account.last_error {
            let _ = writeln!(out, "  last error: {error}");
        }
    }

    let problems =
        logging::recent_problems(&crate::paths::log_dir(data_dir), "rapport", RECENT_PROBLEMS);
    let _ = writeln!(out, "\nRecent warnings and errors: {}", problems.len());
    for line in problems {
        let _ = writeln!(out, "{line}");
    }
    Ok(logging::redact(&out).into_owned())
}

/// "Debian GNU/Linux 12 (bookworm)" and the like, where the OS says.
fn os_release() -> Option<String> {
    let text = std::fs::read_to_string("/etc/os-release").ok()?;
    text.lines()
        .find_map(|line| line.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim_matches('"').to_owned())
}
