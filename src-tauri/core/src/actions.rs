//! What the user does to mail: mark read or unread, flag, archive, delete, move.
//!
//! An action changes the store at once, so every list shows it instantly and offline,
//! and queues one change per server location (`store::changes`). `push_pending` applies
//! an account's queue on its server: UID STORE for flags, UID MOVE (RFC 6851) or else
//! UID COPY + \Deleted + UID EXPUNGE (RFC 4315) for moves, \Deleted + UID EXPUNGE for a
//! permanent delete. The sync service pushes right after an action and at the start of
//! every pass, so what was done offline reaches the server once it is reachable. A push
//! that fails for a reason that may pass (no connection) keeps the change queued with its
//! error; one the server refuses for good (a folder gone) rolls the local change back.

use async_imap::imap_proto::{rfc4315::UidSetMember, Response, ResponseCode, Status};
use futures::TryStreamExt;
use serde::{Deserialize, Serialize};

use crate::{
    account::UserError,
    imap::{ImapError, ImapSession},
    store::{
        AccountRecord, ActionLocation, FolderRecord, LocalChange, MessageFlags, MessageView,
        PendingChange, PushedChange, Store, StoreError,
    },
    sync::SyncError,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ActionKind {
    MarkRead,
    MarkUnread,
    Flag,
    Unflag,
    /// Move to the account's Archive folder.
    Archive,
    /// Move to the account's Trash folder.
    Trash,
    /// Move to `target_folder_id`.
    Move,
    /// Delete for good; only messages in Trash.
    DeleteForever,
}

/// One action on some messages and whole conversations, taken in a list (`view`): moves
/// take the messages out of that list's folders and leave their other copies alone.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageAction {
    pub kind: ActionKind,
    #[serde(default)]
    pub message_ids: Vec<i64>,
    /// Every message of these threads.
    #[serde(default)]
    pub thread_ids: Vec<i64>,
    pub view: MessageView,
    #[serde(default)]
    pub target_folder_id: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionOutcome {
    /// Locations changed.
    pub changed: u64,
    /// Accounts with changes to push.
    pub accounts: Vec<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error("{account} has no Archive folder. Create one on the server (or in your webmail), or use Move to folder instead.")]
    NoArchive { account: String },
    #[error("{account} has no Trash folder. Create one on the server (or in your webmail); until then Rapport cannot delete its mail.")]
    NoTrash { account: String },
    #[error("Only messages in Trash can be deleted for good. Delete them first, then delete them again in Trash.")]
    NotInTrash,
    #[error("That folder is no longer in Rapport. Pick another one.")]
    UnknownFolder,
    #[error("{folder} cannot hold messages; it only groups other folders. Pick another one.")]
    NotSelectable { folder: String },
    #[error("These messages are not in {account}, so they cannot move to its folder {folder}. Rapport moves mail within one mailbox.")]
    OtherAccount { folder: String, account: String },
    #[error("Choose a folder to move to.")]
    NoTarget,
    #[error("Rapport's database failed: {0}")]
    Store(#[from] StoreError),
}

impl ActionError {
    pub fn to_user_error(&self) -> UserError {
        let code = match self {
            ActionError::NoArchive { .. } => "no_archive",
            ActionError::NoTrash { .. } => "no_trash",
            ActionError::NotInTrash => "not_in_trash",
            ActionError::UnknownFolder | ActionError::NoTarget => "invalid",
            ActionError::NotSelectable { .. } => "invalid",
            ActionError::OtherAccount { .. } => "other_account",
            ActionError::Store(_) => "store",
        };
        UserError {
            code,
            message: self.to_string(),
            field: None,
        }
    }
}

fn flags(seen: bool, flagged: bool) -> MessageFlags {
    MessageFlags {
        seen,
        flagged,
        ..MessageFlags::default()
    }
}

fn in_view(location: &ActionLocation, view: MessageView) -> bool {
    match view {
        MessageView::Inbox => location.role.as_deref() == Some("inbox"),
        MessageView::Folder(id) => location.folder_id == id,
    }
}

/// The account's folder with `role`, if it has one that can hold mail.
async fn folder_with_role(
    store: &Store,
    account_id: i64,
    role: &str,
) -> Result<Option<FolderRecord>, StoreError> {
    Ok(store
        .folders(account_id)
        .await?
        .into_iter()
        .find(|f| f.selectable && f.role.as_deref() == Some(role)))
}

/// Moves every location in the view to its account's folder with `role`.
async fn moves_to_role(
    store: &Store,
    locations: &[ActionLocation],
    view: MessageView,
    role: &str,
    missing: impl Fn(String) -> ActionError,
) -> Result<Vec<(ActionLocation, LocalChange)>, ActionError> {
    let mut targets: std::collections::HashMap<i64, i64> = std::collections::HashMap::new();
    let mut changes = Vec::new();
    for location in locations.iter().filter(|l| in_view(l, view)) {
        if location.role.as_deref() == Some(role) {
            continue;
        }
        let target = match targets.get(&location.account_id) {
            Some(target) => *target,
            None => {
                let Some(folder) = folder_with_role(store, location.account_id, role).await? else {
                    let account = store.account(location.account_id).await?;
                    return Err(missing(account.email));
                };
                targets.insert(location.account_id, folder.id);
                folder.id
            }
        };
        changes.push((
            location.clone(),
            LocalChange::Move {
                target_folder_id: target,
            },
        ));
    }
    Ok(changes)
}

/// Applies the action to the store and queues it for the servers. Nothing is changed
/// when the action cannot be done as a whole (an account without Archive, say).
pub async fn apply(store: &Store, action: &MessageAction) -> Result<ActionOutcome, ActionError> {
    let mut ids = action.message_ids.clone();
    ids.extend(store.thread_message_ids(&action.thread_ids).await?);
    ids.sort_unstable();
    ids.dedup();
    let locations = store.action_locations(&ids).await?;
    let every = |change: LocalChange| -> Vec<(ActionLocation, LocalChange)> {
        locations.iter().map(|l| (l.clone(), change)).collect()
    };
    let none = MessageFlags::default();
    let changes = match action.kind {
        ActionKind::MarkRead => every(LocalChange::Flags {
            add: flags(true, false),
            remove: none,
        }),
        ActionKind::MarkUnread => every(LocalChange::Flags {
            add: none,
            remove: flags(true, false),
        }),
        ActionKind::Flag => every(LocalChange::Flags {
            add: flags(false, true),
            remove: none,
        }),
        ActionKind::Unflag => every(LocalChange::Flags {
            add: none,
            remove: flags(false, true),
        }),
        ActionKind::Archive => {
            moves_to_role(store, &locations, action.view, "archive", |account| {
                ActionError::NoArchive { account }
            })
            .await?
        }
        ActionKind::Trash => {
            moves_to_role(store, &locations, action.view, "trash", |account| {
                ActionError::NoTrash { account }
            })
            .await?
        }
        ActionKind::Move => {
            let target_id = action.target_folder_id.ok_or(ActionError::NoTarget)?;
            let target = store
                .folder(target_id)
                .await?
                .ok_or(ActionError::UnknownFolder)?;
            if !target.selectable {
                return Err(ActionError::NotSelectable {
                    folder: target.display_name,
                });
            }
            let scoped: Vec<&ActionLocation> = locations
                .iter()
                .filter(|l| in_view(l, action.view))
                .collect();
            let movable: Vec<(ActionLocation, LocalChange)> = scoped
                .iter()
                .filter(|l| l.account_id == target.account_id)
                .map(|l| {
                    (
                        (*l).clone(),
                        LocalChange::Move {
                            target_folder_id: target.id,
                        },
                    )
                })
                .collect();
            if movable.is_empty() && !scoped.is_empty() {
                let account = store.account(target.account_id).await?;
                return Err(ActionError::OtherAccount {
                    folder: target.display_name,
                    account: account.email,
                });
            }
            movable
        }
        ActionKind::DeleteForever => {
            let scoped: Vec<&ActionLocation> = locations
                .iter()
                .filter(|l| in_view(l, action.view))
                .collect();
            let in_trash: Vec<(ActionLocation, LocalChange)> = scoped
                .iter()
                .filter(|l| l.role.as_deref() == Some("trash"))
                .map(|l| ((*l).clone(), LocalChange::Expunge))
                .collect();
            if in_trash.is_empty() && !scoped.is_empty() {
                return Err(ActionError::NotInTrash);
            }
            in_trash
        }
    };
    let changed = changes.len() as u64;
    let accounts = store.apply_local_changes(&changes).await?;
    Ok(ActionOutcome { changed, accounts })
}

/// What one push did for an account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PushReport {
    pub applied: u64,
    /// Changes still queued (waiting for a connection or an earlier change).
    pub waiting: u64,
    /// Sentences for the changes given up and rolled back.
    pub rolled_back: Vec<String>,
    /// Why the push stopped early (the connection failed); the rest stays queued.
    pub error: Option<String>,
}

impl PushReport {
    /// Nothing was queued and nothing happened.
    pub fn is_empty(&self) -> bool {
        self.applied == 0 && self.waiting == 0 && self.rolled_back.is_empty()
    }
}

/// What the server offers that a push can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerAbilities {
    /// RFC 6851 UID MOVE.
    pub uid_move: bool,
    /// RFC 4315: UID EXPUNGE and COPYUID.
    pub uidplus: bool,
}

impl ServerAbilities {
    pub async fn of(session: &mut ImapSession) -> Result<ServerAbilities, ImapError> {
        let caps = session.capabilities().await?;
        Ok(ServerAbilities {
            uid_move: caps.has_str("MOVE"),
            uidplus: caps.has_str("UIDPLUS"),
        })
    }
}

/// Why a change did not reach the server.
#[derive(Debug)]
enum PushFailure {
    /// The connection failed: the change stays queued and the push stops.
    Retry(String),
    /// The server will not do it: the change is rolled back. `restore_source`: the
    /// message is still where it was on the server.
    GiveUp {
        reason: String,
        restore_source: bool,
    },
}

impl From<async_imap::error::Error> for PushFailure {
    fn from(e: async_imap::error::Error) -> Self {
        match e {
            async_imap::error::Error::No(text) | async_imap::error::Error::Bad(text) => {
                PushFailure::GiveUp {
                    reason: format!("the server refused ({})", text.trim()),
                    restore_source: true,
                }
            }
            other => PushFailure::Retry(ImapError::from(other).to_string()),
        }
    }
}

impl From<StoreError> for PushFailure {
    fn from(e: StoreError) -> Self {
        PushFailure::Retry(format!("Rapport's database failed: {e}"))
    }
}

/// Applies the account's queued changes on the server, through `session`. Stops at the
/// first connection failure, recording it on the changes left (`PushReport::error`); they
/// wait for the next push. Errs only when the store fails.
pub async fn push_pending(
    store: &Store,
    account: &AccountRecord,
    session: &mut ImapSession,
    abilities: ServerAbilities,
) -> Result<PushReport, SyncError> {
    let mut report = PushReport::default();
    // A move waiting for an earlier move of the same message can go once that one is
    // through, so a few rounds drain chains of actions.
    for _round in 0..4 {
        let queue = store.pending_changes(account.id).await?;
        let ready: Vec<&PendingChange> = queue
            .iter()
            .filter(|c| c.uidvalidity > 0 && c.uid > 0)
            .collect();
        if ready.is_empty() {
            break;
        }
        let mut progressed = false;
        let mut folders: Vec<i64> = Vec::new();
        for change in &ready {
            if !folders.contains(&change.folder_id) {
                folders.push(change.folder_id);
            }
        }
        for folder_id in folders {
            let changes: Vec<&PendingChange> = ready
                .iter()
                .copied()
                .filter(|c| c.folder_id == folder_id)
                .collect();
            match push_folder(store, session, abilities, folder_id, &changes, &mut report).await {
                Ok(any) => progressed |= any,
                Err(reason) => {
                    store.record_changes_failure(account.id, &reason).await?;
                    report.waiting = store.pending_changes(account.id).await?.len() as u64;
                    report.error = Some(reason);
                    return Ok(report);
                }
            }
        }
        if !progressed {
            break;
        }
    }
    report.waiting = store.pending_changes(account.id).await?.len() as u64;
    Ok(report)
}

/// Pushes the changes of one source folder. Ok(true) if any went through or was given
/// up; Err with the reason when the connection failed.
async fn push_folder(
    store: &Store,
    session: &mut ImapSession,
    abilities: ServerAbilities,
    folder_id: i64,
    changes: &[&PendingChange],
    report: &mut PushReport,
) -> Result<bool, String> {
    let give_up_all = async |reason: String, report: &mut PushReport| -> Result<bool, String> {
        for change in changes {
            roll_back(store, change.id, &reason, false, report)
                .await
                .map_err(|e| e.to_string())?;
        }
        Ok(true)
    };
    let Some(folder) = store.folder(folder_id).await.map_err(|e| e.to_string())? else {
        return give_up_all("its folder is no longer on the server".into(), report).await;
    };
    let mailbox = match session.select(&folder.raw_name).await {
        Ok(mailbox) => mailbox,
        Err(async_imap::error::Error::No(_)) => {
            let reason = format!(
                "the folder {} is no longer on the server",
                folder.display_name
            );
            return give_up_all(reason, report).await;
        }
        Err(e) => return Err(ImapError::from(e).to_string()),
    };
    // async-imap shows a broken connection as a SELECT without UIDVALIDITY (BUILD-FACTS).
    let Some(uidvalidity) = mailbox.uid_validity else {
        return Err(format!(
            "the server sent no UIDVALIDITY for {}",
            folder.display_name
        ));
    };
    let mut progressed = false;
    for change in changes {
        if change.uidvalidity != i64::from(uidvalidity) {
            let reason = format!("the server renumbered the folder {}", folder.display_name);
            roll_back(store, change.id, &reason, false, report)
                .await
                .map_err(|e| e.to_string())?;
            progressed = true;
            continue;
        }
        match push_change(store, session, abilities, &folder, change).await {
            Ok(pushed) => {
                store
                    .complete_change(change, pushed)
                    .await
                    .map_err(|e| e.to_string())?;
                report.applied += 1;
                progressed = true;
            }
            Err(PushFailure::GiveUp {
                reason,
                restore_source,
            }) => {
                roll_back(store, change.id, &reason, restore_source, report)
                    .await
                    .map_err(|e| e.to_string())?;
                progressed = true;
            }
            Err(PushFailure::Retry(reason)) => return Err(reason),
        }
    }
    Ok(progressed)
}

async fn roll_back(
    store: &Store,
    change_id: i64,
    reason: &str,
    restore_source: bool,
    report: &mut PushReport,
) -> Result<(), StoreError> {
    if let Some(rolled) = store.roll_back_change(change_id, restore_source).await? {
        let subject = if rolled.subject.trim().is_empty() {
            "A message without subject".to_owned()
        } else {
            format!("“{}”", rolled.subject.trim())
        };
        let back = match rolled.restored_to {
            Some(folder) => format!(" It is back in {folder}."),
            None => String::new(),
        };
        let sentence = format!("{subject} could not be changed on the server: {reason}.{back}");
        tracing::warn!(change = change_id, %reason, "a change was rolled back");
        report.rolled_back.push(sentence);
    }
    Ok(())
}

fn flag_list(flags: MessageFlags) -> String {
    format!("({})", flags.to_imap())
}

async fn store_flags(
    session: &mut ImapSession,
    uid: i64,
    operation: &str,
    flags: &str,
) -> Result<(), PushFailure> {
    // The stream must be read to its end, or its leftovers leak into the next command.
    let _: Vec<_> = session
        .uid_store(uid.to_string(), format!("{operation} {flags}"))
        .await?
        .try_collect()
        .await?;
    Ok(())
}

async fn expunge_uid(
    session: &mut ImapSession,
    uid: i64,
    abilities: ServerAbilities,
) -> Result<(), PushFailure> {
    let Ok(uid) = u32::try_from(uid) else {
        return Ok(());
    };
    crate::imap::expunge_marked(session, uid, abilities.uidplus).await?;
    Ok(())
}

async fn push_change(
    store: &Store,
    session: &mut ImapSession,
    abilities: ServerAbilities,
    source: &FolderRecord,
    change: &PendingChange,
) -> Result<PushedChange, PushFailure> {
    let (add, remove) = (change.add(), change.remove());
    if add != MessageFlags::default() {
        store_flags(session, change.uid, "+FLAGS.SILENT", &flag_list(add)).await?;
    }
    if remove != MessageFlags::default() {
        store_flags(session, change.uid, "-FLAGS.SILENT", &flag_list(remove)).await?;
    }
    if change.expunge {
        store_flags(session, change.uid, "+FLAGS.SILENT", "(\\Deleted)").await?;
        expunge_uid(session, change.uid, abilities).await?;
        return Ok(PushedChange::Expunged);
    }
    let Some(target_id) = change.target_folder_id else {
        return Ok(PushedChange::Stored);
    };
    if target_id == change.folder_id {
        return Ok(PushedChange::Moved(None));
    }
    let Some(target) = store.folder(target_id).await? else {
        return Err(PushFailure::GiveUp {
            reason: "the folder it was moved to is no longer on the server".into(),
            restore_source: true,
        });
    };
    let new_location = if abilities.uid_move {
        copy_or_move(session, "UID MOVE", change.uid, &target).await?
    } else {
        let copied = copy_or_move(session, "UID COPY", change.uid, &target).await?;
        store_flags(session, change.uid, "+FLAGS.SILENT", "(\\Deleted)").await?;
        expunge_uid(session, change.uid, abilities).await?;
        copied
    };
    if let Some(found) = new_location {
        return Ok(PushedChange::Moved(Some(found)));
    }
    // No COPYUID: a server without UIDPLUS, or nothing was there to move (an earlier
    // attempt may have moved it before its answer was lost). Look in the target.
    let found = find_by_message_id(store, session, &target, change.message_id).await?;
    // Back to the source: the next change of this folder expects it selected.
    session.select(&source.raw_name).await?;
    match found {
        Some(found) => Ok(PushedChange::Moved(Some(found))),
        // With UIDPLUS the server names every copy it made: none means nothing was there.
        None if abilities.uidplus => Err(PushFailure::GiveUp {
            reason: "the message is no longer on the server".into(),
            restore_source: false,
        }),
        None => Ok(PushedChange::Moved(None)),
    }
}

/// An IMAP quoted string.
fn quoted(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    out.push('"');
    for c in name.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// The UID `uid` became in the target, from a COPYUID response code (RFC 4315).
fn copied_uid(uid: i64, from: &[UidSetMember], to: &[UidSetMember]) -> Option<u32> {
    let expand = |set: &[UidSetMember]| -> Vec<u32> {
        set.iter()
            .flat_map(|member| match member {
                UidSetMember::Uid(u) => *u..=*u,
                UidSetMember::UidRange(range) => {
                    let (a, b) = (*range.start(), *range.end());
                    a.min(b)..=a.max(b)
                }
            })
            .collect()
    };
    let position = expand(from).iter().position(|u| i64::from(*u) == uid)?;
    expand(to).get(position).copied()
}

/// Sends UID COPY or UID MOVE itself, because async-imap drops the COPYUID code that
/// names the message's new UID. Returns (UIDVALIDITY, UID) in the target when told.
async fn copy_or_move(
    session: &mut ImapSession,
    verb: &str,
    uid: i64,
    target: &FolderRecord,
) -> Result<Option<(u32, u32)>, PushFailure> {
    let tag = session
        .run_command(format!("{verb} {uid} {}", quoted(&target.raw_name)))
        .await?;
    let mut found = None;
    loop {
        let response = session
            .read_response()
            .await
            .map_err(|e| PushFailure::Retry(format!("the connection failed: {e}")))?
            .ok_or_else(|| PushFailure::Retry("the server closed the connection".into()))?;
        match response.parsed() {
            // MOVE reports it untagged before the EXPUNGE; COPY in the tagged OK.
            Response::Data {
                status: Status::Ok,
                outcome,
            } => {
                if let Some(ResponseCode::CopyUid(validity, from, to)) = &outcome.code {
                    found = copied_uid(uid, from, to)
                        .map(|new| (*validity, new))
                        .or(found);
                }
            }
            Response::Done {
                tag: done,
                status,
                outcome,
            } if *done == tag => {
                if let Some(ResponseCode::CopyUid(validity, from, to)) = &outcome.code {
                    found = copied_uid(uid, from, to)
                        .map(|new| (*validity, new))
                        .or(found);
                }
                let said = outcome
                    .information
                    .as_deref()
                    .unwrap_or("")
                    .trim()
                    .to_owned();
                return match status {
                    Status::Ok => Ok(found),
                    _ if matches!(outcome.code, Some(ResponseCode::TryCreate)) => {
                        Err(PushFailure::GiveUp {
                            reason: format!(
                                "the folder {} is no longer on the server",
                                target.display_name
                            ),
                            restore_source: true,
                        })
                    }
                    _ => Err(PushFailure::GiveUp {
                        reason: format!("the server refused ({said})"),
                        restore_source: true,
                    }),
                };
            }
            _ => {}
        }
    }
}

/// Where a copy landed, found by its Message-ID, for servers without UIDPLUS.
async fn find_by_message_id(
    store: &Store,
    session: &mut ImapSession,
    target: &FolderRecord,
    message_id: i64,
) -> Result<Option<(u32, u32)>, PushFailure> {
    let header: Option<Option<String>> =
        sqlx::query_scalar("SELECT message_id FROM message WHERE id = ?")
            .bind(message_id)
            .fetch_optional(store.pool())
            .await
            .map_err(StoreError::from)?;
    let Some(id) = header.flatten() else {
        return Ok(None);
    };
    if id.contains(['"', '\\', '\r', '\n']) {
        return Ok(None);
    }
    let mailbox = session.examine(&target.raw_name).await?;
    let Some(validity) = mailbox.uid_validity else {
        return Err(PushFailure::Retry(format!(
            "the server sent no UIDVALIDITY for {}",
            target.display_name
        )));
    };
    let uids = session
        .uid_search(format!("HEADER Message-ID \"<{id}>\""))
        .await?;
    Ok(uids.into_iter().max().map(|uid| (validity, uid)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    // `3..=1` is how a server's "3:1" arrives; it is meant, not empty.
    #[allow(clippy::reversed_empty_ranges)]
    fn copyuid_sets_map_the_source_uid_to_its_copy() {
        let from = vec![UidSetMember::Uid(304), UidSetMember::UidRange(319..=320)];
        let to = vec![UidSetMember::UidRange(3956..=3958)];
        assert_eq!(copied_uid(304, &from, &to), Some(3956));
        assert_eq!(copied_uid(320, &from, &to), Some(3958));
        assert_eq!(copied_uid(5, &from, &to), None);
        // A range may be written high to low.
        assert_eq!(
            copied_uid(
                2,
                &[UidSetMember::UidRange(3..=1)],
                &[UidSetMember::UidRange(10..=12)]
            ),
            Some(11)
        );
    }

    #[test]
    fn mailbox_names_are_quoted_for_imap() {
        assert_eq!(quoted("Archive"), "\"Archive\"");
        assert_eq!(quoted("a\"b\\c"), "\"a\\\"b\\\\c\"");
    }
}
