//! Folder rows: what the server has, what the user chose to sync, and sync state.

use std::collections::HashSet;

use super::{now, Result, Store};
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
     uidvalidity, uidnext, highestmodseq, synced_uid_max, message_count, unread_count FROM folder";

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

    /// UIDs of `folder` already stored under `uidvalidity`.
    pub async fn stored_uids(&self, folder_id: i64, uidvalidity: u32) -> Result<HashSet<u32>> {
        let uids: Vec<i64> = sqlx::query_scalar(
            "SELECT uid FROM message_location WHERE folder_id = ? AND uidvalidity = ?",
        )
        .bind(folder_id)
        .bind(uidvalidity as i64)
        .fetch_all(&self.pool)
        .await?;
        Ok(uids.into_iter().map(|u| u as u32).collect())
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
        uidvalidity: u32,
        uidnext: Option<u32>,
        highestmodseq: Option<u64>,
        uid_max: u32,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE folder SET uidvalidity = ?, uidnext = ?, highestmodseq = ?, \
             synced_uid_max = max(synced_uid_max, ?), last_sync_at = ? WHERE id = ?",
        )
        .bind(uidvalidity as i64)
        .bind(uidnext.map(|u| u as i64))
        .bind(highestmodseq.map(|m| m as i64))
        .bind(uid_max as i64)
        .bind(now())
        .bind(folder_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
