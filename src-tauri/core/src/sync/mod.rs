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
    actions,
    imap::{self, ImapError, ImapSession},
    secrets::SecretError,
    store::{AccountRecord, Store, StoreError},
};

pub use folder::FolderOutcome;

/// How many messages one FETCH (and one write transaction) asks for. Sized by bytes:
/// a folder of one-kilobyte notes is fetched in large batches (fewer round trips and
/// transactions), a folder of scanned contracts in small ones (bounded memory).
#[derive(Debug, Clone, Copy)]
pub struct BatchSizer {
    next: usize,
}

impl BatchSizer {
    /// Bytes a batch should hold; a few batches are in flight at once (fetching,
    /// parsing, writing), so this bounds the memory a sync needs.
    const TARGET_BYTES: usize = 8 << 20;
    const MIN: usize = 5;
    /// Each batch is a transaction; fewer, larger ones write each touched index page
    /// fewer times (measured at 100,000 small messages: 2,000 a batch took a fifth less
    /// time than 500).
    const MAX: usize = 2_000;
    const FIRST: usize = 100;

    pub fn new() -> BatchSizer {
        BatchSizer { next: Self::FIRST }
    }

    pub fn next(&self) -> usize {
        self.next
    }

    /// Learns from a batch just fetched: `count` messages of `bytes` in total.
    pub fn record(&mut self, count: usize, bytes: usize) {
        if count == 0 {
            return;
        }
        let average = (bytes / count).max(1);
        self.next = (Self::TARGET_BYTES / average).clamp(Self::MIN, Self::MAX);
    }
}

impl Default for BatchSizer {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod batch_tests {
    use super::BatchSizer;

    #[test]
    fn batches_grow_for_small_mail_and_shrink_for_large() {
        let mut sizer = BatchSizer::new();
        assert_eq!(sizer.next(), 100);
        sizer.record(100, 100 * 1_000);
        assert_eq!(sizer.next(), 2_000, "1 kB messages: the largest batch");
        sizer.record(500, 500 * 4_000_000);
        assert_eq!(sizer.next(), 5, "4 MB messages: the smallest batch");
        sizer.record(5, 5 * 200_000);
        assert_eq!(sizer.next(), 41);
        sizer.record(0, 0);
        assert_eq!(sizer.next(), 41, "an empty batch teaches nothing");
    }
}

/// How the server lets us find what changed in a folder since the last pass (RFC 7162).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeTracking {
    /// QRESYNC: changed flags (`CHANGEDSINCE`) and expunged UIDs (`VANISHED`) in one FETCH.
    Qresync,
    /// CONDSTORE: changed flags only; expunges are found by comparing UID lists.
    Condstore,
    /// Neither: every stored message's flags are read, expunges found by UID lists.
    Plain,
}

impl ChangeTracking {
    /// The strongest the server offers; QRESYNC must be switched on with ENABLE first.
    async fn negotiate(session: &mut ImapSession) -> ChangeTracking {
        let (qresync, condstore) = match session.capabilities().await {
            Ok(caps) => (caps.has_str("QRESYNC"), caps.has_str("CONDSTORE")),
            Err(_) => (false, false),
        };
        if qresync
            && session
                .run_command_and_check_ok("ENABLE QRESYNC")
                .await
                .is_ok()
        {
            ChangeTracking::Qresync
        } else if condstore || qresync {
            ChangeTracking::Condstore
        } else {
            ChangeTracking::Plain
        }
    }

    fn has_modseq(self) -> bool {
        self != ChangeTracking::Plain
    }
}

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
    /// The user's changes to mail were pushed to the server (or given up and undone).
    #[serde(rename_all = "camelCase")]
    Changes {
        account_id: i64,
        applied: u64,
        /// Still queued.
        waiting: u64,
        /// Sentences for the changes the server refused for good.
        rolled_back: Vec<String>,
        /// Why the push stopped, when the connection failed.
        error: Option<String>,
    },
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
    #[error("{}", AccountError::Auth(.0.clone()))]
    Auth(#[from] crate::auth::AuthError),
}

impl From<crate::auth::LoginError> for SyncError {
    fn from(e: crate::auth::LoginError) -> Self {
        use crate::auth::LoginError;
        match e {
            LoginError::Imap(e) => SyncError::Imap(e),
            LoginError::Auth(e) => SyncError::Auth(e),
            LoginError::Secret(e) => SyncError::Secret(e),
            LoginError::Smtp(e) => SyncError::Imap(ImapError::Protocol(e.to_string())),
        }
    }
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
            SyncError::Auth(e) => AccountError::Auth(e.clone()).to_user_error(),
        }
    }

    /// Errors that another attempt cannot fix without the user (wrong password, a
    /// certificate that is not trusted): the service pauses at once for these.
    pub fn needs_user(&self) -> bool {
        matches!(
            self,
            SyncError::Imap(ImapError::AuthenticationFailed { .. })
                | SyncError::Imap(ImapError::PlainLoginRefused)
                | SyncError::Imap(ImapError::TokenLoginUnsupported)
                | SyncError::Imap(ImapError::Connect(
                    crate::net::ConnectError::CertificateNotTrusted { .. }
                ))
                | SyncError::Secret(SecretError::Missing)
        ) || matches!(self, SyncError::Auth(e) if e.needs_user())
    }
}

/// Logs in to the account's IMAP server with its password or OAuth2 token.
pub async fn open_session(
    store: &Store,
    account: &AccountRecord,
) -> Result<ImapSession, SyncError> {
    Ok(crate::auth::imap_session(store, account).await?)
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

/// Pushes the account's queued changes through `session` and reports what happened.
async fn push_with_session(
    store: &Store,
    account: &AccountRecord,
    session: &mut ImapSession,
    progress: &ProgressSink,
) -> Result<actions::PushReport, SyncError> {
    if store.pending_changes(account.id).await?.is_empty() {
        return Ok(actions::PushReport::default());
    }
    let report = match actions::ServerAbilities::of(session).await {
        Ok(abilities) => actions::push_pending(store, account, session, abilities).await?,
        Err(e) => {
            let reason = e.to_string();
            store.record_changes_failure(account.id, &reason).await?;
            actions::PushReport {
                waiting: store.pending_changes(account.id).await?.len() as u64,
                error: Some(reason),
                ..Default::default()
            }
        }
    };
    progress(SyncProgress::Changes {
        account_id: account.id,
        applied: report.applied,
        waiting: report.waiting,
        rolled_back: report.rolled_back.clone(),
        error: report.error.clone(),
    });
    Ok(report)
}

/// Pushes the account's queued changes now, on a connection of its own. A connection
/// that fails leaves them queued with the reason.
pub async fn push_account_changes(
    store: &Store,
    account_id: i64,
    progress: &ProgressSink,
) -> Result<actions::PushReport, SyncError> {
    if store.pending_changes(account_id).await?.is_empty() {
        return Ok(actions::PushReport::default());
    }
    let account = store.account(account_id).await?;
    let mut session = match open_session(store, &account).await {
        Ok(session) => session,
        Err(SyncError::Store(e)) => return Err(SyncError::Store(e)),
        Err(e) => {
            let reason = e.to_user_error().message;
            store.record_changes_failure(account_id, &reason).await?;
            let report = actions::PushReport {
                waiting: store.pending_changes(account_id).await?.len() as u64,
                error: Some(reason),
                ..Default::default()
            };
            progress(SyncProgress::Changes {
                account_id,
                applied: 0,
                waiting: report.waiting,
                rolled_back: Vec::new(),
                error: report.error.clone(),
            });
            return Ok(report);
        }
    };
    let report = push_with_session(store, &account, &mut session, progress).await;
    let _ = session.logout().await;
    report
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
    let tracking = ChangeTracking::negotiate(session).await;

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
            tracking,
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
    // Last, so that this pass's flag scans and expunge diffs meet queued changes (and
    // keep them) rather than a server that has them already half applied.
    let active: &mut ImapSession = match replacement.as_mut() {
        Some(s) => s,
        None => &mut *session,
    };
    push_with_session(store, &account, active, progress).await?;
    if let Some(mut s) = replacement {
        let _ = s.logout().await;
    }
    if let Some(mut s) = own_session {
        let _ = s.logout().await;
    }
    outcome.message_count = store.account(account_id).await?.message_count;
    Ok(outcome)
}
