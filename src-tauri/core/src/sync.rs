//! One sync pass over an account: folders in priority order (Inbox, Sent, the rest),
//! new mail newest first in batches, each batch and its progress committed together
//! so an interrupted pass resumes with no gap and no duplicate.

use std::collections::HashSet;

use futures::TryStreamExt;
use serde::Serialize;

use crate::{
    imap::{self, ImapError, ImapSession},
    mime,
    secrets::{self, SecretError, SecretKind, SecretRef},
    store::{
        AccountRecord, BatchContext, FetchedMessage, FolderRecord, MessageFlags, Store, StoreError,
    },
};

/// Messages fetched and written per transaction.
pub const BATCH_SIZE: usize = 100;

/// What a sync reports while it runs; streamed to the UI as it happens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    },
    #[serde(rename_all = "camelCase")]
    Finished {
        account_id: i64,
        new_messages: u64,
        message_count: i64,
    },
    #[serde(rename_all = "camelCase")]
    Failed { account_id: i64, message: String },
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncOutcome {
    pub new_messages: u64,
    pub message_count: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("{0}")]
    Imap(#[from] ImapError),
    #[error("{0}")]
    Secret(#[from] SecretError),
    #[error("Rapport's database failed: {0}")]
    Store(#[from] StoreError),
    #[error("the server sent no UIDVALIDITY for {0}; the folder was skipped")]
    NoUidValidity(String),
}

impl SyncError {
    pub fn to_user_error(&self) -> crate::account::UserError {
        match self {
            SyncError::Imap(e) => crate::account::AccountError::from(e.clone()).to_user_error(),
            SyncError::Secret(e) => crate::account::UserError {
                code: "keyring",
                message: e.to_string(),
                field: None,
            },
            SyncError::Store(e) => crate::account::UserError {
                code: "store",
                message: format!("Rapport's database failed: {e}"),
                field: None,
            },
            SyncError::NoUidValidity(_) => crate::account::UserError {
                code: "imap",
                message: self.to_string(),
                field: None,
            },
        }
    }
}

/// Runs one full pass over the account's selected folders.
pub async fn sync_account_once(
    store: &Store,
    account_id: i64,
    progress: &(dyn Fn(SyncProgress) + Send + Sync),
) -> Result<SyncOutcome, SyncError> {
    progress(SyncProgress::Started { account_id });
    match run_pass(store, account_id, progress).await {
        Ok(outcome) => {
            store.record_sync_success(account_id).await?;
            progress(SyncProgress::Finished {
                account_id,
                new_messages: outcome.new_messages,
                message_count: outcome.message_count,
            });
            Ok(outcome)
        }
        Err(e) => {
            let message = e.to_string();
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

async fn run_pass(
    store: &Store,
    account_id: i64,
    progress: &(dyn Fn(SyncProgress) + Send + Sync),
) -> Result<SyncOutcome, SyncError> {
    let account = store.account(account_id).await?;
    let password =
        secrets::load_async(SecretRef::new(store, account_id, SecretKind::Password)).await?;
    let mut session = imap::login(
        &account.imap,
        &account.username,
        &password,
        &account.trust(),
    )
    .await?;
    drop(password);

    let remote = imap::list_folders(&mut session).await?;
    store
        .upsert_folders(account_id, &remote, |f| {
            imap::FolderRole::selected_by_default(f.role)
        })
        .await?;

    let identity = store.account_identity(&account).await?;
    let ignore = store.ignore_rules().await?;
    let mut new_messages = 0;
    for folder in store.selected_folders(account_id).await? {
        let ctx = BatchContext {
            account_id,
            folder_id: folder.id,
            uidvalidity: 0,
            identity: identity.clone(),
            ignore: ignore.clone(),
            keep: account.keep_policy,
        };
        new_messages += sync_folder(store, &mut session, &account, &folder, ctx, progress).await?;
    }
    let _ = session.logout().await;
    let message_count = store.account(account_id).await?.message_count;
    Ok(SyncOutcome {
        new_messages,
        message_count,
    })
}

/// Fetches what the folder has that the store lacks, within the account's window.
async fn sync_folder(
    store: &Store,
    session: &mut ImapSession,
    account: &AccountRecord,
    folder: &FolderRecord,
    mut ctx: BatchContext,
    progress: &(dyn Fn(SyncProgress) + Send + Sync),
) -> Result<u64, SyncError> {
    // EXAMINE is read-only: syncing must not clear \Recent or change anything.
    let mailbox = session
        .examine(&folder.raw_name)
        .await
        .map_err(ImapError::from)?;
    // async-imap reports a poisoned connection as an empty SELECT; a missing
    // UIDVALIDITY is how that shows (BUILD-FACTS).
    let uidvalidity = mailbox
        .uid_validity
        .ok_or_else(|| SyncError::NoUidValidity(folder.display_name.clone()))?;
    let mut folder = folder.clone();
    if folder
        .uidvalidity
        .is_some_and(|known| known != uidvalidity as i64)
    {
        tracing::info!(folder = %folder.display_name, "UIDVALIDITY changed; resyncing this folder");
        store.reset_folder(folder.id, uidvalidity).await?;
        folder.synced_uid_max = 0;
    }
    ctx.uidvalidity = uidvalidity;

    let wanted: HashSet<u32> = if mailbox.exists == 0 {
        HashSet::new()
    } else if folder.synced_uid_max > 0 {
        // After a complete pass only UIDs above the cursor can be new. `n:*` always
        // matches the highest UID, even below n, hence the filter.
        let from = folder.synced_uid_max + 1;
        session
            .uid_search(format!("UID {from}:*"))
            .await
            .map_err(ImapError::from)?
            .into_iter()
            .filter(|uid| *uid as i64 > folder.synced_uid_max)
            .collect()
    } else {
        let today = chrono::Utc::now().date_naive();
        let query = match account.fetch_since.since(today) {
            Some(date) => format!("SINCE {}", date.format("%-d-%b-%Y")),
            None => "ALL".to_owned(),
        };
        session.uid_search(query).await.map_err(ImapError::from)?
    };
    let stored = store.stored_uids(folder.id, uidvalidity).await?;
    let mut missing: Vec<u32> = wanted.difference(&stored).copied().collect();
    // Newest first: the inbox fills from the top while the rest arrives.
    missing.sort_unstable_by(|a, b| b.cmp(a));
    let total = missing.len() as u64;
    let uid_max = wanted
        .iter()
        .chain(stored.iter())
        .copied()
        .max()
        .unwrap_or(0);

    let mut done = 0u64;
    let mut new_messages = 0u64;
    progress(SyncProgress::Folder {
        account_id: account.id,
        folder: folder.display_name.clone(),
        done,
        total,
    });
    for chunk in missing.chunks(BATCH_SIZE) {
        let fetched = fetch_batch(session, chunk).await?;
        let outcome = store.store_batch(&ctx, &fetched).await?;
        new_messages += outcome.new_messages;
        done += chunk.len() as u64;
        progress(SyncProgress::Folder {
            account_id: account.id,
            folder: folder.display_name.clone(),
            done,
            total,
        });
    }
    store
        .finish_folder_pass(
            folder.id,
            uidvalidity,
            mailbox.uid_next,
            mailbox.highest_modseq,
            uid_max,
        )
        .await?;
    Ok(new_messages)
}

/// Fetches full messages for `uids` and parses them off the async runtime.
async fn fetch_batch(
    session: &mut ImapSession,
    uids: &[u32],
) -> Result<Vec<FetchedMessage>, SyncError> {
    let set = uids
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",");
    // The stream is always drained to the end: leftovers would leak into the next command.
    let raw: Vec<(u32, MessageFlags, Option<u64>, Option<i64>, Vec<u8>)> = session
        .uid_fetch(&set, "(UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])")
        .await
        .map_err(ImapError::from)?
        .try_filter_map(|fetch| async move {
            let Some(uid) = fetch.uid else {
                return Ok(None);
            };
            let Some(body) = fetch.body() else {
                return Ok(None);
            };
            let mut flags = MessageFlags::default();
            for flag in fetch.flags() {
                match flag {
                    async_imap::types::Flag::Seen => flags.seen = true,
                    async_imap::types::Flag::Flagged => flags.flagged = true,
                    async_imap::types::Flag::Answered => flags.answered = true,
                    async_imap::types::Flag::Draft => flags.draft = true,
                    _ => {}
                }
            }
            let internal = fetch.internal_date().map(|d| d.timestamp());
            Ok(Some((uid, flags, fetch.modseq, internal, body.to_vec())))
        })
        .try_collect()
        .await
        .map_err(ImapError::from)?;
    let parsed = tokio::task::spawn_blocking(move || {
        raw.into_iter()
            .map(|(uid, flags, modseq, internal, body)| FetchedMessage {
                uid,
                flags,
                modseq,
                parsed: mime::parse(&body, internal),
            })
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| ImapError::Protocol(format!("parser task failed: {e}")))?;
    Ok(parsed)
}
