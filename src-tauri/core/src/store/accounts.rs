//! Account rows. No secret is ever stored here.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::{now, Result, Store, StoreError};
use crate::{
    account::FetchWindow,
    auth::AuthKind,
    crm::{normalize_address, AccountIdentity, ContactPolicy, IgnoreRules},
    net::{Security, ServerSettings},
};

/// Which mail of an account is kept in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeepPolicy {
    Received,
    Sent,
    All,
}

impl KeepPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            KeepPolicy::Received => "received",
            KeepPolicy::Sent => "sent",
            KeepPolicy::All => "all",
        }
    }

    pub fn parse(text: &str) -> Option<KeepPolicy> {
        match text {
            "received" => Some(KeepPolicy::Received),
            "sent" => Some(KeepPolicy::Sent),
            "all" => Some(KeepPolicy::All),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccountRecord {
    pub email: String,
    pub sender_name: String,
    pub mailbox_name: String,
    pub imap: ServerSettings,
    pub smtp: ServerSettings,
    pub username: String,
    pub ca_pem: Option<String>,
    pub pinned_sha256: Option<String>,
    pub fetch_since: FetchWindow,
    pub keep_policy: KeepPolicy,
    pub contact_policy: ContactPolicy,
    pub poll_interval_secs: i64,
    pub leads_from_incoming: bool,
}

/// The settings a user can change after adding an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSettings {
    pub sender_name: String,
    pub mailbox_name: String,
    pub fetch_since: FetchWindow,
    pub keep_policy: KeepPolicy,
    pub contact_policy: ContactPolicy,
    pub leads_from_incoming: bool,
    pub poll_interval_secs: i64,
    pub imap: ServerSettings,
    pub smtp: ServerSettings,
    pub username: String,
    pub pinned_sha256: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRecord {
    pub id: i64,
    pub email: String,
    pub sender_name: String,
    pub mailbox_name: String,
    pub imap: ServerSettings,
    pub smtp: ServerSettings,
    pub username: String,
    pub ca_pem: Option<String>,
    pub pinned_sha256: Option<String>,
    pub fetch_since: FetchWindow,
    pub keep_policy: KeepPolicy,
    pub contact_policy: ContactPolicy,
    pub poll_interval_secs: i64,
    pub leads_from_incoming: bool,
    pub paused_reason: Option<String>,
    pub consecutive_failures: i64,
    pub last_error: Option<String>,
    pub last_sync_at: Option<i64>,
    pub message_count: i64,
    pub folder_count: i64,
    pub created_at: i64,
    /// Password, or which provider's OAuth2 sign-in.
    pub auth_kind: AuthKind,
    /// The provider no longer honours the saved sign-in: only a new one brings it back.
    pub sign_in_required: bool,
}

impl AccountRecord {
    pub fn is_paused(&self) -> bool {
        self.paused_reason.is_some()
    }

    pub fn trust(&self) -> crate::tls::TrustSettings {
        crate::tls::TrustSettings {
            extra_ca_pem: self.ca_pem.clone(),
            pinned_sha256: self.pinned_sha256.clone(),
        }
    }
}

/// The account query with a tail (WHERE/ORDER BY), as one static string.
macro_rules! select_account {
    ($tail:literal) => {
        concat!(
            "SELECT a.*, (SELECT count(*) FROM folder f WHERE f.account_id = a.id AND f.selected = 1) ",
            "AS folder_count FROM account a ",
            $tail
        )
    };
}

fn security(text: &str) -> Result<Security> {
    Security::parse(text).ok_or_else(|| StoreError::Corrupt(format!("security {text}")))
}

fn from_row(row: &sqlx::sqlite::SqliteRow) -> Result<AccountRecord> {
    let fetch_since: String = row.try_get("fetch_since")?;
    let keep: String = row.try_get("keep_policy")?;
    let contacts: String = row.try_get("contact_policy")?;
    let state: String = row.try_get("state")?;
    let paused_reason: Option<String> = row.try_get("paused_reason")?;
    let auth_kind: String = row.try_get("auth_kind")?;
    Ok(AccountRecord {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        sender_name: row.try_get("sender_name")?,
        mailbox_name: row.try_get("mailbox_name")?,
        imap: ServerSettings {
            host: row.try_get("imap_host")?,
            port: row.try_get::<i64, _>("imap_port")? as u16,
            security: security(row.try_get("imap_security")?)?,
        },
        smtp: ServerSettings {
            host: row.try_get("smtp_host")?,
            port: row.try_get::<i64, _>("smtp_port")? as u16,
            security: security(row.try_get("smtp_security")?)?,
        },
        username: row.try_get("username")?,
        ca_pem: row.try_get("ca_pem")?,
        pinned_sha256: row.try_get("pinned_sha256")?,
        fetch_since: FetchWindow::parse(&fetch_since)
            .ok_or_else(|| StoreError::Corrupt(format!("fetch window {fetch_since}")))?,
        keep_policy: KeepPolicy::parse(&keep)
            .ok_or_else(|| StoreError::Corrupt(format!("keep policy {keep}")))?,
        contact_policy: ContactPolicy::parse(&contacts)
            .ok_or_else(|| StoreError::Corrupt(format!("contact policy {contacts}")))?,
        poll_interval_secs: row.try_get("poll_interval_secs")?,
        leads_from_incoming: row.try_get("leads_from_incoming")?,
        paused_reason: if state == "paused" {
            Some(paused_reason.unwrap_or_default())
        } else {
            None
        },
        consecutive_failures: row.try_get("consecutive_failures")?,
        last_error: row.try_get("last_error")?,
        last_sync_at: row.try_get("last_sync_at")?,
        message_count: row.try_get("message_count")?,
        folder_count: row.try_get("folder_count")?,
        created_at: row.try_get("created_at")?,
        auth_kind: AuthKind::parse(&auth_kind)
            .ok_or_else(|| StoreError::Corrupt(format!("auth kind {auth_kind}")))?,
        sign_in_required: row.try_get("sign_in_required")?,
    })
}

impl Store {
    /// Inserts an account inside `tx`, so the caller can roll it back if saving the
    /// password in the keyring fails.
    pub async fn insert_account(
        tx: &mut sqlx::SqliteConnection,
        new: &NewAccountRecord,
    ) -> Result<i64> {
        let result = sqlx::query(
            "INSERT INTO account (email, sender_name, mailbox_name, imap_host, imap_port, imap_security, \
             smtp_host, smtp_port, smtp_security, username, ca_pem, pinned_sha256, fetch_since, keep_policy, \
             contact_policy, poll_interval_secs, leads_from_incoming, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&new.email)
        .bind(&new.sender_name)
        .bind(&new.mailbox_name)
        .bind(&new.imap.host)
        .bind(new.imap.port as i64)
        .bind(new.imap.security.as_str())
        .bind(&new.smtp.host)
        .bind(new.smtp.port as i64)
        .bind(new.smtp.security.as_str())
        .bind(&new.username)
        .bind(&new.ca_pem)
        .bind(&new.pinned_sha256)
        .bind(new.fetch_since.to_string())
        .bind(new.keep_policy.as_str())
        .bind(new.contact_policy.as_str())
        .bind(new.poll_interval_secs)
        .bind(new.leads_from_incoming)
        .bind(now())
        .execute(&mut *tx)
        .await;
        match result {
            Ok(done) => Ok(done.last_insert_rowid()),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(StoreError::DuplicateAccount(new.email.clone()))
            }
            Err(e) => Err(e.into()),
        }
    }

    pub async fn accounts(&self) -> Result<Vec<AccountRecord>> {
        let rows = sqlx::query(select_account!("ORDER BY a.id"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(from_row).collect()
    }

    pub async fn account(&self, id: i64) -> Result<AccountRecord> {
        let row = sqlx::query(select_account!("WHERE a.id = ?"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NoSuchAccount(id.to_string()))?;
        from_row(&row)
    }

    /// Finds an account by its address (normalised before comparing).
    pub async fn account_by_email(&self, email: &str) -> Result<AccountRecord> {
        let normalized = normalize_address(email).unwrap_or_else(|| email.to_owned());
        let row = sqlx::query(select_account!("WHERE a.email = ?"))
            .bind(&normalized)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NoSuchAccount(email.to_owned()))?;
        from_row(&row)
    }

    /// Removes an account and everything only it had: its folders and message
    /// locations, messages no other account holds, and automatic contacts left with no
    /// mail and no notes. Contacts the user made or annotated stay.
    pub async fn delete_account(&self, id: i64) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let deleted = sqlx::query("DELETE FROM account WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NoSuchAccount(id.to_string()));
        }
        sqlx::query(
            "DELETE FROM message_fts WHERE rowid IN (SELECT id FROM message m WHERE NOT EXISTS \
             (SELECT 1 FROM message_location l WHERE l.message_id = m.id))",
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM message WHERE NOT EXISTS (SELECT 1 FROM message_location l WHERE l.message_id = message.id)",
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM contact WHERE origin IN ('sent', 'received') AND notes = '' \
             AND NOT EXISTS (SELECT 1 FROM participant p WHERE p.contact_id = contact.id)",
        )
        .execute(&mut *tx)
        .await?;
        super::contacts::refresh_all_contact_stats(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn update_account_settings(&self, id: i64, s: &AccountSettings) -> Result<()> {
        let done = sqlx::query(
            "UPDATE account SET sender_name = ?, mailbox_name = ?, fetch_since = ?, keep_policy = ?, \
             contact_policy = ?, leads_from_incoming = ?, poll_interval_secs = ?, imap_host = ?, imap_port = ?, imap_security = ?, \
             smtp_host = ?, smtp_port = ?, smtp_security = ?, username = ?, pinned_sha256 = ? WHERE id = ?",
        )
        .bind(&s.sender_name)
        .bind(&s.mailbox_name)
        .bind(s.fetch_since.to_string())
        .bind(s.keep_policy.as_str())
        .bind(s.contact_policy.as_str())
        .bind(s.leads_from_incoming)
        .bind(s.poll_interval_secs)
        .bind(&s.imap.host)
        .bind(s.imap.port as i64)
        .bind(s.imap.security.as_str())
        .bind(&s.smtp.host)
        .bind(s.smtp.port as i64)
        .bind(s.smtp.security.as_str())
        .bind(&s.username)
        .bind(&s.pinned_sha256)
        .bind(id)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NoSuchAccount(id.to_string()));
        }
        Ok(())
    }

    /// Sets how an account signs in, inside the transaction that inserts it.
    pub async fn set_account_auth_kind(
        tx: &mut sqlx::SqliteConnection,
        id: i64,
        kind: AuthKind,
    ) -> Result<()> {
        sqlx::query("UPDATE account SET auth_kind = ? WHERE id = ?")
            .bind(kind.as_str())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        Ok(())
    }

    /// Records that the account's OAuth2 sign-in must be renewed by the user (or that it was).
    pub async fn set_sign_in_required(&self, id: i64, required: bool) -> Result<()> {
        sqlx::query("UPDATE account SET sign_in_required = ? WHERE id = ?")
            .bind(required)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Takes a paused account back into service with a clean failure count.
    pub async fn resume_account(&self, id: i64) -> Result<()> {
        sqlx::query(
            "UPDATE account SET state = 'active', paused_reason = NULL, consecutive_failures = 0 WHERE id = ?",
        )
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Stops syncing the account until the user reconnects it, with the reason shown.
    pub async fn pause_account(&self, id: i64, reason: &str) -> Result<()> {
        sqlx::query("UPDATE account SET state = 'paused', paused_reason = ? WHERE id = ?")
            .bind(reason)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn record_sync_success(&self, id: i64) -> Result<()> {
        sqlx::query(
            "UPDATE account SET last_sync_at = ?, last_error = NULL, consecutive_failures = 0 WHERE id = ?",
        )
        .bind(now())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A pass that synced some folders but not all: the time moves on, the error is
    /// kept and counts as a failure, so retries back off and a folder that never works
    /// eventually pauses the account with its reason.
    pub async fn record_partial_sync(&self, id: i64, summary: &str) -> Result<i64> {
        let failures: i64 = sqlx::query_scalar(
            "UPDATE account SET last_sync_at = ?, last_error = ?, consecutive_failures = consecutive_failures + 1 \
             WHERE id = ? RETURNING consecutive_failures",
        )
        .bind(now())
        .bind(summary)
        .bind(id)
        .fetch_one(&self.pool)
        .await?;
        Ok(failures)
    }

    /// Counts a failed sync; returns the number of consecutive failures so far.
    pub async fn record_sync_failure(&self, id: i64, error: &str) -> Result<i64> {
        let failures: i64 = sqlx::query_scalar(
            "UPDATE account SET last_error = ?, consecutive_failures = consecutive_failures + 1 \
             WHERE id = ? RETURNING consecutive_failures",
        )
        .bind(error)
        .bind(id)
        .fetch_one(&self.pool)
        .await?;
        Ok(failures)
    }

    /// What the CRM rules need to know about an account: its own addresses and policy.
    pub async fn account_identity(&self, account: &AccountRecord) -> Result<AccountIdentity> {
        let aliases: Vec<String> =
            sqlx::query_scalar("SELECT address FROM account_alias WHERE account_id = ?")
                .bind(account.id)
                .fetch_all(&self.pool)
                .await?;
        // Mail between my own accounts is never from a correspondent.
        let others: Vec<String> = sqlx::query_scalar("SELECT email FROM account")
            .fetch_all(&self.pool)
            .await?;
        let mut me: std::collections::HashSet<String> = aliases.into_iter().collect();
        me.extend(others);
        me.insert(account.email.clone());
        Ok(AccountIdentity {
            me,
            policy: account.contact_policy,
            leads_from_incoming: account.leads_from_incoming,
        })
    }

    pub async fn ignore_rules(&self) -> Result<IgnoreRules> {
        let rows: Vec<(String, String)> = sqlx::query_as("SELECT kind, value FROM rule")
            .fetch_all(&self.pool)
            .await?;
        let mut rules = IgnoreRules::default();
        for (kind, value) in rows {
            match kind.as_str() {
                "ignore_address" => {
                    rules.addresses.insert(value);
                }
                "ignore_domain" => {
                    rules
                        .domains
                        .insert(value.trim_start_matches('@').to_owned());
                }
                _ => {}
            }
        }
        Ok(rules)
    }
}
