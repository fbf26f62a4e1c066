//! The local database: SQLite through sqlx, WAL, foreign keys, versioned migrations.
//! Everything the UI shows is read from here, so every view works offline.

mod accounts;
mod changes;
mod contacts;
mod folders;
mod followups;
mod messages;
mod messages_read;
mod outbox;
mod people;
mod remote_images;
mod search;
mod settings;

use std::{path::Path, str::FromStr, time::Duration};

use sqlx::{
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    SqlitePool,
};

/// Bytes per database page of a new database (see `Store::open_file`).
pub(crate) const PAGE_SIZE: u32 = 16_384;

/// 16 MiB of log between automatic checkpoints (see `Store::open_file`).
pub(crate) const WAL_AUTOCHECKPOINT_PAGES: u32 = (16 << 20) / PAGE_SIZE;

pub use accounts::{AccountRecord, AccountSettings, KeepPolicy, NewAccountRecord};
pub use changes::{
    ActionLocation, LocalChange, PendingChange, PendingSummary, PushedChange, RolledBack,
};
pub use contacts::ContactAttachment;
pub use contacts::{
    CompanyPage, CompanySummary, ContactCard, ContactDetails, ContactFilter, ContactSort,
    ContactSummary, ContactUpdate, Correspondent, TimelineCursor, TimelineEntry,
};
pub use folders::{FolderRecord, FolderServerState};
pub use followups::{
    ColdContact, ContactActivity, FollowUpCounts, FollowUpDate, FollowUpLists, FollowUpPerson,
    FollowUpQuery, FollowUpSettings, FollowUpStatus, MonthActivity, WaitingThread,
    DEFAULT_COLD_STAGES,
};
pub use messages::{BatchContext, BatchOutcome, BatchWriter, FetchedMessage, MessageFlags};
pub use messages_read::{MessageDetail, MessageListItem, MessageQuery, MessageView, Person};
pub use messages_read::{ThreadListItem, ThreadPage};
pub use outbox::{DraftRecord, NewOutboxItem, OutboxEntry, OutboxItem, Signature, TemplateRecord};
pub use people::MessagePerson;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("the database could not be upgraded: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("the data folder {path} could not be created: {detail}")]
    DataDir { path: String, detail: String },
    #[error("an account for {0} already exists")]
    DuplicateAccount(String),
    #[error("no account {0}")]
    NoSuchAccount(String),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("{0} was not found")]
    NotFound(String),
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// Handle to the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
    instance_id: String,
}

pub(crate) fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

impl Store {
    /// Opens (creating if needed) the database in `data_dir` and applies migrations.
    pub async fn open(data_dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(data_dir).map_err(|e| StoreError::DataDir {
            path: data_dir.display().to_string(),
            detail: e.to_string(),
        })?;
        Self::open_file(&crate::paths::database_file(data_dir)).await
    }

    pub async fn open_file(file: &Path) -> Result<Store> {
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(file)
            .create_if_missing(true)
            // Set before WAL, and only taken by a new database. A first sync inserts into a
            // dozen B-trees in key orders all over the place; bigger pages split and
            // rebalance less often (measured at 100,000 messages: about 10% less wall time
            // than 4 KiB pages, with timeline and search latency unchanged on a
            // 300,000-message store).
            .page_size(PAGE_SIZE)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL is durable across application crashes in WAL mode; only a power
            // loss can drop the last commits, which the next sync refetches.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("temp_store", "memory")
            .pragma("cache_size", "-32000")
            // A sync rewrites the same index pages batch after batch; checkpointing every
            // 16 MB instead of SQLite's 4 MB copies each of them back to the database
            // file less often (measured: checkpoints were 5% of an initial sync's CPU).
            .pragma("wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES.to_string())
            // Once a long write (a first sync) is copied into the database, its log is
            // cut back to this size rather than kept at its longest.
            .pragma("journal_size_limit", "16777216");
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            // A ping before each use is a round trip to the connection's thread that a
            // local file never needs.
            .test_before_acquire(false)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        let instance_id = Self::ensure_instance_id(&pool, file).await?;
        Ok(Store { pool, instance_id })
    }

    /// A random id made once per database; see the `store_meta` table.
    async fn ensure_instance_id(pool: &SqlitePool, file: &Path) -> Result<String> {
        use sha2::{Digest, Sha256};
        let mut seed = Sha256::new();
        seed.update(format!("{:?}", std::time::SystemTime::now()));
        seed.update(std::process::id().to_le_bytes());
        seed.update(file.to_string_lossy().as_bytes());
        let fresh = hex::encode(&seed.finalize()[..12]);
        sqlx::query("INSERT OR IGNORE INTO store_meta (key, value) VALUES ('instance_id', ?)")
            .bind(&fresh)
            .execute(pool)
            .await?;
        Ok(
            sqlx::query_scalar("SELECT value FROM store_meta WHERE key = 'instance_id'")
                .fetch_one(pool)
                .await?,
        )
    }

    /// This database's instance id (keys its keyring entries).
    pub fn instance_id(&self) -> &str {
        &self.instance_id
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Closes every connection, checkpointing the WAL.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;

    pub async fn temp_store() -> (Store, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path()).await.expect("open store");
        (store, dir)
    }

    /// Adds an account `email` with INBOX and Archive; returns (account, inbox, archive).
    pub async fn account_with_folders(
        store: &Store,
        email: &str,
        policy: crate::crm::ContactPolicy,
    ) -> (i64, i64, i64) {
        use crate::{
            account::FetchWindow,
            imap::{FolderRole, RemoteFolder},
            net::{Security, ServerSettings},
        };
        let server = ServerSettings {
            host: "localhost".into(),
            port: 993,
            security: Security::Tls,
        };
        let record = NewAccountRecord {
            email: email.into(),
            sender_name: "Alice".into(),
            mailbox_name: email.into(),
            imap: server.clone(),
            smtp: server,
            username: email.into(),
            ca_pem: None,
            pinned_sha256: None,
            fetch_since: FetchWindow::All,
            keep_policy: KeepPolicy::All,
            contact_policy: policy,
            poll_interval_secs: 300,
            leads_from_incoming: false,
        };
        let mut conn = store.pool().acquire().await.expect("connection");
        let id = Store::insert_account(&mut conn, &record)
            .await
            .expect("account");
        drop(conn);
        let folder = |name: &str, role| RemoteFolder {
            raw_name: name.into(),
            display_name: name.into(),
            delimiter: Some("/".into()),
            role: Some(role),
            selectable: true,
        };
        store
            .upsert_folders(
                id,
                &[
                    folder("INBOX", FolderRole::Inbox),
                    folder("Archive", FolderRole::Archive),
                ],
                |_| true,
            )
            .await
            .expect("folders");
        let folders = store.folders(id).await.expect("folder list");
        (id, folders[0].id, folders[1].id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn opens_with_wal_and_foreign_keys() {
        let (store, _dir) = test_support::temp_store().await;
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        // The page size must be set before the database turns to WAL, or it is ignored.
        let page_size: i64 = sqlx::query_scalar("PRAGMA page_size")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(page_size, i64::from(PAGE_SIZE));
        let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(fk, 1);
        let fts: i64 =
            sqlx::query_scalar("SELECT count(*) FROM sqlite_master WHERE name = 'message_fts'")
                .fetch_one(store.pool())
                .await
                .unwrap();
        assert_eq!(fts, 1);
    }

    #[tokio::test]
    async fn reopening_keeps_data_and_skips_applied_migrations() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        sqlx::query(
            "INSERT INTO rule (kind, value, created_at) VALUES ('ignore_domain', 'x.cz', 0)",
        )
        .execute(store.pool())
        .await
        .unwrap();
        store.close().await;
        let again = Store::open(dir.path()).await.unwrap();
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM rule")
            .fetch_one(again.pool())
            .await
            .unwrap();
        assert_eq!(count, 1);
    }
}
