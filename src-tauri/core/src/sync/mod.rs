//! Keeping the store in step with the servers.
//!
//! A *pass* (`sync_account_once`) logs in, refreshes the folder list and runs each
//! selected folder's state machine (`folder`): Inbox first, then Sent, then the rest.
//! Every batch is written in one transaction, so a pass cut off anywhere resumes with no
//! gap and no duplicate. The *service* (`service`) runs passes for one account for as
//! long as the app or `rapport-cli sync` runs: IDLE on Inbox, polling for the rest,
//! reconnecting with backoff and pausing the account after repeated failures.

mod folder;
pub mod service;

use std::time::Instant;

use serde::Serialize;

use crate::{
    account::{AccountError, UserError},
    imap::{self, ImapError, ImapSession},
    secrets::{self, SecretError, SecretKind, SecretRef},
    store::{AccountRecord, Store, StoreError},
};

pub use folder::FolderOutcome;

/// Messages fetched and written per transaction.
pub const BATCH_SIZE: usize = 100;

/// What a sync reports while it runs; streamed to the UI as it happens.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum SyncProgress {
    #[serde(rename_all = "camelCase")]
    Started { account_id: i64 },
    #[serde(rename_all = "camelCase")]
    Folder {
        account_id: i64,
        folder: String,
        done: u64,
        total: u64,
        /// Messages per second over this folder so far.
        rate: f64,
        /// Seconds left at that rate, once there is a rate.
        eta_secs: Option<u64>,
    },
    #[serde(rename_all = "camelCase")]
    Finished {
        account_id: i64,
        new_messages: u64,
        message_count: i64,
    },
    #[serde(rename_all = "camelCase")]
    Failed { account_id: i64, message: String },
    /// The account stopped syncing until the user reconnects it.
    #[serde(rename_all = "camelCase")]
    Paused { account_id: i64, reason: String },
}

/// Something that receives progress; cheap to call from any task.
pub type ProgressSink = dyn Fn(SyncProgress) + Send + Sync;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncOutcome {
    pub new_messages: u64,
    pub message_count: i64,
    /// Folders skipped because the server said nothing changed.
    pub unchanged_folders: u64,
    pub flags_changed: u64,
    pub expunged: u64,
    /// Folders that failed this pass, with the reason; the others were synced.
    pub failed_folders: Vec<(String, String)>,
}

impl SyncOutcome {
    /// "Folder: reason; …" for the folders that failed, if any did.
    pub fn failure_summary(&self) -> Option<String> {
        if self.failed_folders.is_empty() {
            return None;
        }
        Some(
            self.failed_folders
                .iter()
                .map(|(folder, error)| format!("{folder}: {error}"))
                .collect::<Vec<_>>()
                .join("; "),
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("{}", AccountError::from(.0.clone()))]
    Imap(#[from] ImapError),
    #[error("{0}")]
    Secret(#[from] SecretError),
    #[error("Rapport's database failed: {0}")]
    Store(#[from] StoreError),
    #[error("the server sent no UIDVALIDITY for {0}; the folder was skipped")]
    NoUidValidity(String),
}

impl SyncError {
    pub fn to_user_error(&self) -> UserError {
        match self {
            SyncError::Imap(e) => AccountError::from(e.clone()).to_user_error(),
            SyncError::Secret(e) => UserError {
                code: "keyring",
                message: e.to_string(),
                field: None,
            },
            SyncError::Store(_) => UserError {
                code: "store",
                message: self.to_string(),
                field: None,
            },
            SyncError::NoUidValidity(_) => UserError {
                code: "imap",
                message: self.to_string(),
                field: None,
            },
        }
    }

    /// Errors that another attempt cannot fix without the user (wrong password, a
    /// certificate that is not trusted): the service pauses at once for these.
    pub fn needs_user(&self) -> bool {
        matches!(
            self,
            SyncError::Imap(ImapError::AuthenticationFailed { .. })
                | SyncError::Imap(ImapError::PlainLoginRefused)
                | SyncError::Imap(ImapError::Connect(
                    crate::net::ConnectError::CertificateNotTrusted { .. }
                ))
                | SyncError::Secret(SecretError::Missing)
        )
    }
}

/// Logs in to the account's IMAP server with the password from the keyring.
pub async fn open_session(
    store: &Store,
    account: &AccountRecord,
) -> Result<ImapSession, SyncError> {
    let password =
        secrets::load_async(SecretRef::new(store, account.id, SecretKind::Password)).await?;
    Ok(imap::login(
        &account.imap,
        &account.username,
        &password,
        &account.trust(),
    )
    .await?)
}

/// Runs one full pass over the account's selected folders, recording the result on the
/// account (last sync time, or the error and the consecutive-failure count).
pub async fn sync_account_once(
    store: &Store,
    account_id: i64,
    progress: &ProgressSink,
) -> Result<SyncOutcome, SyncError> {
    progress(SyncProgress::Started { account_id });
    match run_pass(store, account_id, None, progress).await {
        Ok(outcome) => {
            match outcome.failure_summary() {
                None => store.record_sync_success(account_id).await?,
                Some(summary) => {
                    store.record_partial_sync(account_id, &summary).await?;
                }
            }
            progress(SyncProgress::Finished {
                account_id,
                new_messages: outcome.new_messages,
                message_count: outcome.message_count,
            });
            Ok(outcome)
        }
        Err(e) => {
            let message = e.to_user_error().message;
            tracing::warn!(account = account_id, error = %message, "sync failed");
            store.record_sync_failure(account_id, &message).await?;
            progress(SyncProgress::Failed {
                account_id,
                message,
            });
            Err(e)
        }
    }
}

/// One pass. With `session` given (the IDLE connection), it is reused; otherwise a new
/// one is opened and closed. A folder that fails does not stop the others: the session
/// is reopened and the pass goes on.
pub(crate) async fn run_pass(
    store: &Store,
    account_id: i64,
    session: Option<&mut ImapSession>,
    progress: &ProgressSink,
) -> Result<SyncOutcome, SyncError> {
    let account = store.account(account_id).await?;
    let mut own_session = None;
    let session: &mut ImapSession = match session {
        Some(s) => s,
        None => own_session.insert(open_session(store, &account).await?),
    };
    let condstore = session
        .capabilities()
        .await
        .map(|c| c.has_str("CONDSTORE"))
        .unwrap_or(false);

    let remote = imap::list_folders(session).await?;
    store
        .upsert_folders(account_id, &remote, |f| {
            imap::FolderRole::selected_by_default(f.role)
        })
        .await?;
    let identity = store.account_identity(&account).await?;
    let ignore = store.ignore_rules().await?;

    let mut outcome = SyncOutcome::default();
    let mut replacement: Option<ImapSession> = None;
    for record in store.selected_folders(account_id).await? {
        let active: &mut ImapSession = match replacement.as_mut() {
            Some(s) => s,
            None => &mut *session,
        };
        let started = Instant::now();
        let folder_sync = folder::FolderSync {
            store,
            account: &account,
            folder: &record,
            identity: &identity,
            ignore: &ignore,
            condstore,
            progress,
            started,
        };
        match folder_sync.run(active).await {
            Ok(done) => {
                outcome.new_messages += done.new_messages;
                outcome.flags_changed += done.flags_changed;
                outcome.expunged += done.expunged;
                outcome.unchanged_folders += done.unchanged as u64;
            }
            Err(SyncError::Store(e)) => return Err(SyncError::Store(e)),
            Err(e) => {
                tracing::warn!(folder = %record.display_name, error = %e, "folder sync failed; going on with the others");
                outcome
                    .failed_folders
                    .push((record.display_name.clone(), e.to_user_error().message));
                // The connection may be poisoned (async-imap stops parsing after an
                // unknown response): continue on a fresh one.
                replacement = Some(open_session(store, &account).await?);
            }
        }
    }
    if let Some(mut s) = replacement {
        let _ = s.logout().await;
    }
    if let Some(mut s) = own_session {
        let _ = s.logout().await;
    }
    outcome.message_count = store.account(account_id).await?.message_count;
    Ok(outcome)
}
