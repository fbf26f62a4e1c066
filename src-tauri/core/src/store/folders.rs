//! Folder rows: what the server has, what the user chose to sync, and sync state.

use std::collections::HashSet;

use super::{now, MessageFlags, Result, Store};

/// What STATUS/SELECT told us about a folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FolderServerState {
    pub uidvalidity: u32,
    pub uidnext: Option<u32>,
    pub highestmodseq: Option<u64>,
    pub exists: u32,
}

async fn recount_unread(tx: &mut sqlx::SqliteConnection, folder_id: i64) -> Result<()> {
    sqlx::query(
        "UPDATE folder SET unread_count = (SELECT count(*) FROM message_location \
         WHERE folder_id = ?1 AND instr(flags, '\\Seen') = 0) WHERE id = ?1",
    )
    .bind(folder_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
use crate::imap::{FolderRole, RemoteFolder};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FolderRecord {
    pub id: i64,
    pub account_id: i64,
    pub raw_name: String,
    pub display_name: String,
    pub delimiter: Option<String>,
    pub role: Option<String>,
    pub selectable: bool,
    pub selected: bool,
    pub uidvalidity: Option<i64>,
    pub uidnext: Option<i64>,
    pub highestmodseq: Option<i64>,
    pub synced_uid_max: i64,
    pub server_exists: Option<i64>,
    pub message_count: i64,
    pub unread_count: i64,
}

impl FolderRecord {
    /// How deep the folder sits in the server's hierarchy (0 for top level).
    pub fn depth(&self) -> usize {
        crate::imap::folder_depth(&self.raw_name, self.delimiter.as_deref())
    }

    pub fn role(&self) -> Option<FolderRole> {
        self.role.as_deref().and_then(FolderRole::parse)
    }

    /// Inbox first, then Sent, then the rest by name: the order a user wants mail in.
    fn priority(&self) -> (u8, String) {
        let rank = match self.role() {
            Some(FolderRole::Inbox) => 0,
            Some(FolderRole::Sent) => 1,
            _ => 2,
        };
        (rank, self.display_name.to_lowercase())
    }
}

const FOLDER_COLUMNS: &str =
    "SELECT id, account_id, raw_name, display_name, delimiter, role, selectable, selected, \
     uidvalidity, uidnext, highestmodseq, synced_uid_max, server_exists, message_count, unread_count \
     FROM folder";

impl Store {
    /// Records the server's folder list. New folders are selected if `choose` says so
    /// (the first time: the user's choice or the defaults); known folders keep the
    /// user's choice; folders gone from the server are dropped with their locations.
    pub async fn upsert_folders(
        &self,
        account_id: i64,
        remote: &[RemoteFolder],
        choose: impl Fn(&RemoteFolder) -> bool,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for folder in remote {
            sqlx::query(
                "INSERT INTO folder (account_id, raw_name, display_name, delimiter, role, selectable, selected) \
                 VALUES (?, ?, ?, ?, ?, ?, ?) \
                 ON CONFLICT (account_id, raw_name) DO UPDATE SET display_name = excluded.display_name, \
                 delimiter = excluded.delimiter, role = excluded.role, selectable = excluded.selectable",
            )
            .bind(account_id)
            .bind(&folder.raw_name)
            .bind(&folder.display_name)
            .bind(&folder.delimiter)
            .bind(folder.role.map(FolderRole::as_str))
            .bind(folder.selectable)
            .bind(folder.selectable && choose(folder))
            .execute(&mut *tx)
            .await?;
        }
        let present: HashSet<&str> = remote.iter().map(|f| f.raw_name.as_str()).collect();
        let known: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, raw_name FROM folder WHERE account_id = ?")
                .bind(account_id)
                .fetch_all(&mut *tx)
                .await?;
        for (id, name) in known {
            if !present.contains(name.as_str()) {
                sqlx::query("DELETE FROM folder WHERE id = ?")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn folders(&self, account_id: i64) -> Result<Vec<FolderRecord>> {
        let mut folders: Vec<FolderRecord> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{FOLDER_COLUMNS} WHERE account_id = ?"
        )))
        .bind(account_id)
        .fetch_all(&self.pool)
        .await?;
        folders.sort_by_key(FolderRecord::priority);
        Ok(folders)
    }

    /// One folder, if it is still known.
    pub async fn folder(&self, folder_id: i64) -> Result<Option<FolderRecord>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{FOLDER_COLUMNS} WHERE id = ?"
        )))
        .bind(folder_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The folders to sync, in sync order.
    pub async fn selected_folders(&self, account_id: i64) -> Result<Vec<FolderRecord>> {
        Ok(self
            .folders(account_id)
            .await?
            .into_iter()
            .filter(|f| f.selected && f.selectable)
            .collect())
    }

    /// Selects exactly the folders named (raw names) for syncing.
    pub async fn select_folders(&self, account_id: i64, raw_names: &[String]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE folder SET selected = 0 WHERE account_id = ?")
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
        for name in raw_names {
            sqlx::query("UPDATE folder SET selected = 1 WHERE account_id = ? AND raw_name = ? AND selectable = 1")
                .bind(account_id)
                .bind(name)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// UIDs of `folder` already stored under `uidvalidity`, and those the user moved or
    /// deleted here while the server does not know yet (refetching them would undo that).
    pub async fn stored_uids(&self, folder_id: i64, uidvalidity: u32) -> Result<HashSet<u32>> {
        let uids: Vec<i64> = sqlx::query_scalar(
            "SELECT uid FROM message_location WHERE folder_id = ? AND uidvalidity = ?",
        )
        .bind(folder_id)
        .bind(uidvalidity as i64)
        .fetch_all(&self.pool)
        .await?;
        let mut stored: HashSet<u32> = uids.into_iter().map(|u| u as u32).collect();
        stored.extend(self.uids_moved_away(folder_id, uidvalidity).await?);
        Ok(stored)
    }

    /// The server reset the folder's UIDs (UIDVALIDITY changed): forget its locations and
    /// cursor so it is fetched again. Messages still present elsewhere are kept; those
    /// left with no location go.
    pub async fn reset_folder(&self, folder_id: i64, uidvalidity: u32) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM message_location WHERE folder_id = ?")
            .bind(folder_id)
            .execute(&mut *tx)
            .await?;
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
            "UPDATE folder SET uidvalidity = ?, uidnext = NULL, highestmodseq = NULL, synced_uid_max = 0, \
             message_count = 0, unread_count = 0 WHERE id = ?",
        )
        .bind(uidvalidity as i64)
        .bind(folder_id)
        .execute(&mut *tx)
        .await?;
        super::contacts::refresh_all_contact_stats(&mut tx).await?;
        sqlx::query(
            "UPDATE account SET message_count = (SELECT count(DISTINCT l.message_id) FROM message_location l \
             JOIN folder f ON f.id = l.folder_id WHERE f.account_id = account.id) \
             WHERE id = (SELECT account_id FROM folder WHERE id = ?)",
        )
        .bind(folder_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Marks the folder as complete up to `uid_max` with the server state seen.
    pub async fn finish_folder_pass(
        &self,
        folder_id: i64,
        state: &FolderServerState,
        uid_max: u32,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE folder SET uidvalidity = ?, uidnext = ?, highestmodseq = ?, server_exists = ?, \
             synced_uid_max = max(synced_uid_max, ?), last_sync_at = ? WHERE id = ?",
        )
        .bind(state.uidvalidity as i64)
        .bind(state.uidnext.map(|u| u as i64))
        .bind(state.highestmodseq.map(|m| m as i64))
        .bind(state.exists as i64)
        .bind(uid_max as i64)
        .bind(now())
        .bind(folder_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Applies flag changes seen on the server to stored locations and their messages.
    /// Returns how many stored locations changed.
    pub async fn update_flags(
        &self,
        folder_id: i64,
        uidvalidity: u32,
        changes: &[(u32, MessageFlags, Option<u64>)],
    ) -> Result<u64> {
        // IMMEDIATE: it reads the queue before writing, and a user's action may commit between.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        // The user's changes not yet on the server win over what the server reports.
        let queued = super::changes::queued_flags(&mut tx, folder_id, uidvalidity).await?;
        let mut changed = 0;
        for (uid, server_flags, modseq) in changes {
            let flags = match queued.get(uid) {
                Some((add, remove)) => {
                    super::changes::minus(super::changes::union(*server_flags, *add), *remove)
                }
                None => *server_flags,
            };
            let message_id: Option<i64> = sqlx::query_scalar(
                "UPDATE message_location SET flags = ?, modseq = coalesce(?, modseq) \
                 WHERE folder_id = ? AND uidvalidity = ? AND uid = ? AND flags <> ? RETURNING message_id",
            )
            .bind(flags.to_imap())
            .bind(modseq.map(|m| m as i64))
            .bind(folder_id)
            .bind(uidvalidity as i64)
            .bind(*uid as i64)
            .bind(flags.to_imap())
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(message_id) = message_id {
                changed += 1;
                sqlx::query("UPDATE message SET seen = ?, flagged = ?, answered = ? WHERE id = ?")
                    .bind(flags.seen)
                    .bind(flags.flagged)
                    .bind(flags.answered)
                    .bind(message_id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        if changed > 0 {
            recount_unread(&mut tx, folder_id).await?;
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// Forgets locations the server expunged. A message left with no location anywhere
    /// is deleted with its index row; counts follow.
    pub async fn remove_locations(
        &self,
        folder_id: i64,
        uidvalidity: u32,
        uids: &[u32],
    ) -> Result<u64> {
        let mut tx = self.pool.begin().await?;
        let account_id: i64 = sqlx::query_scalar("SELECT account_id FROM folder WHERE id = ?")
            .bind(folder_id)
            .fetch_one(&mut *tx)
            .await?;
        let mut removed = 0;
        let mut touched = std::collections::HashSet::new();
        for uid in uids {
            let message_id: Option<i64> = sqlx::query_scalar(
                "DELETE FROM message_location WHERE folder_id = ? AND uidvalidity = ? AND uid = ? RETURNING message_id",
            )
            .bind(folder_id)
            .bind(uidvalidity as i64)
            .bind(*uid as i64)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(message_id) = message_id else {
                continue;
            };
            removed += 1;
            let still_in_account: Option<i64> = sqlx::query_scalar(
                "SELECT 1 FROM message_location l JOIN folder f ON f.id = l.folder_id \
                 WHERE l.message_id = ? AND f.account_id = ? LIMIT 1",
            )
            .bind(message_id)
            .bind(account_id)
            .fetch_optional(&mut *tx)
            .await?;
            if still_in_account.is_none() {
                sqlx::query(
                    "UPDATE account SET message_count = max(message_count - 1, 0) WHERE id = ?",
                )
                .bind(account_id)
                .execute(&mut *tx)
                .await?;
            }
            let anywhere: Option<i64> =
                sqlx::query_scalar("SELECT 1 FROM message_location WHERE message_id = ? LIMIT 1")
                    .bind(message_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if anywhere.is_none() {
                let contacts: Vec<i64> = sqlx::query_scalar(
                    "SELECT DISTINCT contact_id FROM participant WHERE message_id = ? AND contact_id IS NOT NULL",
                )
                .bind(message_id)
                .fetch_all(&mut *tx)
                .await?;
                touched.extend(contacts);
                sqlx::query("DELETE FROM message_fts WHERE rowid = ?")
                    .bind(message_id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM message WHERE id = ?")
                    .bind(message_id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        if removed > 0 {
            sqlx::query("UPDATE folder SET message_count = max(message_count - ?, 0) WHERE id = ?")
                .bind(removed as i64)
                .bind(folder_id)
                .execute(&mut *tx)
                .await?;
            recount_unread(&mut tx, folder_id).await?;
        }
        super::contacts::refresh_contact_stats(&mut tx, &touched).await?;
        tx.commit().await?;
        Ok(removed)
    }
}
