//! Local changes the server does not have yet (the `pending_change` table): applying an
//! action to the store at once, the queue the push reads, what a push that went through
//! leaves behind (the placeholder of a move becomes the real location), the rollback of a
//! change the server refused for good, and the overlay that keeps the sync from undoing
//! what is still queued.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::{now, MessageFlags, Result, Store};

/// What the user did to one location.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalChange {
    Flags {
        add: MessageFlags,
        remove: MessageFlags,
    },
    Move {
        target_folder_id: i64,
    },
    /// Delete permanently.
    Expunge,
}

/// A location of a message, as actions choose them.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ActionLocation {
    pub message_id: i64,
    pub folder_id: i64,
    pub account_id: i64,
    pub role: Option<String>,
    pub uidvalidity: i64,
    pub uid: i64,
}

/// A queued change as the push reads it. The source is where the message is on the
/// server (`uidvalidity` 0 while it waits for an earlier move of the same message).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PendingChange {
    pub id: i64,
    pub account_id: i64,
    pub folder_id: i64,
    pub uidvalidity: i64,
    pub uid: i64,
    pub message_id: i64,
    pub add_flags: String,
    pub remove_flags: String,
    pub target_folder_id: Option<i64>,
    pub expunge: bool,
    pub revision: i64,
    pub attempts: i64,
    pub last_error: Option<String>,
}

impl PendingChange {
    pub fn add(&self) -> MessageFlags {
        parse_flags(&self.add_flags)
    }

    pub fn remove(&self) -> MessageFlags {
        parse_flags(&self.remove_flags)
    }
}

/// What the server did with a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushedChange {
    /// The flags were stored; nothing else was asked.
    Stored,
    /// Moved to the change's target; the new (UIDVALIDITY, UID) when the server said.
    Moved(Option<(u32, u32)>),
    Expunged,
}

/// A change given up, for telling the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolledBack {
    pub subject: String,
    /// The folder the message is shown in again, when it was put back.
    pub restored_to: Option<String>,
}

/// Changes of one account still waiting for its server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct PendingSummary {
    pub account_id: i64,
    pub waiting: i64,
    /// Why the last attempt failed, if it did.
    pub last_error: Option<String>,
}

const CHANGE_COLUMNS: &str =
    "SELECT id, account_id, folder_id, uidvalidity, uid, message_id, add_flags, \
     remove_flags, target_folder_id, expunge, revision, attempts, last_error FROM pending_change";

/// Flags as stored on a location ("\Seen \Flagged"); other keywords are not ours to keep.
pub(crate) fn parse_flags(text: &str) -> MessageFlags {
    let mut flags = MessageFlags::default();
    for word in text.split_whitespace() {
        match word.to_ascii_lowercase().as_str() {
            "\\seen" => flags.seen = true,
            "\\flagged" => flags.flagged = true,
            "\\answered" => flags.answered = true,
            "\\draft" => flags.draft = true,
            _ => {}
        }
    }
    flags
}

pub(crate) fn union(a: MessageFlags, b: MessageFlags) -> MessageFlags {
    MessageFlags {
        seen: a.seen || b.seen,
        flagged: a.flagged || b.flagged,
        answered: a.answered || b.answered,
        draft: a.draft || b.draft,
    }
}

pub(crate) fn minus(a: MessageFlags, b: MessageFlags) -> MessageFlags {
    MessageFlags {
        seen: a.seen && !b.seen,
        flagged: a.flagged && !b.flagged,
        answered: a.answered && !b.answered,
        draft: a.draft && !b.draft,
    }
}

fn is_empty(flags: MessageFlags) -> bool {
    flags == MessageFlags::default()
}

/// A placeholder location (UIDVALIDITY 0, UID = -change id) stands for a moved message
/// until the server tells its new UID.
fn placeholder_change(uidvalidity: i64, uid: i64) -> Option<i64> {
    (uidvalidity == 0 && uid < 0).then_some(-uid)
}

type Tx = sqlx::SqliteConnection;

async fn adjust_folder(tx: &mut Tx, folder_id: i64, messages: i64, unread: i64) -> Result<()> {
    if messages == 0 && unread == 0 {
        return Ok(());
    }
    sqlx::query(
        "UPDATE folder SET message_count = max(message_count + ?1, 0), \
         unread_count = max(unread_count + ?2, 0) WHERE id = ?3",
    )
    .bind(messages)
    .bind(unread)
    .bind(folder_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn set_message_flags(tx: &mut Tx, message_id: i64, flags: MessageFlags) -> Result<()> {
    sqlx::query("UPDATE message SET seen = ?, flagged = ?, answered = ? WHERE id = ?")
        .bind(flags.seen)
        .bind(flags.flagged)
        .bind(flags.answered)
        .bind(message_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

async fn in_account(tx: &mut Tx, message_id: i64, account_id: i64) -> Result<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM message_location l JOIN folder f ON f.id = l.folder_id \
         WHERE l.message_id = ? AND f.account_id = ? LIMIT 1",
    )
    .bind(message_id)
    .bind(account_id)
    .fetch_optional(&mut *tx)
    .await?;
    Ok(found.is_some())
}

async fn adjust_account(tx: &mut Tx, account_id: i64, delta: i64) -> Result<()> {
    sqlx::query("UPDATE account SET message_count = max(message_count + ?, 0) WHERE id = ?")
        .bind(delta)
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Deletes one location with the counts that follow. True if it existed.
async fn drop_location(
    tx: &mut Tx,
    account_id: i64,
    folder_id: i64,
    uidvalidity: i64,
    uid: i64,
) -> Result<bool> {
    let removed: Option<(i64, String)> = sqlx::query_as(
        "DELETE FROM message_location WHERE folder_id = ? AND uidvalidity = ? AND uid = ? \
         RETURNING message_id, flags",
    )
    .bind(folder_id)
    .bind(uidvalidity)
    .bind(uid)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((message_id, flags)) = removed else {
        return Ok(false);
    };
    adjust_folder(tx, folder_id, -1, -i64::from(!parse_flags(&flags).seen)).await?;
    if !in_account(tx, message_id, account_id).await? {
        adjust_account(tx, account_id, -1).await?;
    }
    Ok(true)
}

/// A message left with no location anywhere goes, with its index row and contact counts.
async fn delete_if_orphan(tx: &mut Tx, message_id: i64) -> Result<()> {
    let anywhere: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM message_location WHERE message_id = ? LIMIT 1")
            .bind(message_id)
            .fetch_optional(&mut *tx)
            .await?;
    if anywhere.is_some() {
        return Ok(());
    }
    // A later change may still be queued for it (another account's copy): keep it then.
    let queued: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM pending_change WHERE message_id = ? LIMIT 1")
            .bind(message_id)
            .fetch_optional(&mut *tx)
            .await?;
    if queued.is_some() {
        return Ok(());
    }
    let contacts: HashSet<i64> = sqlx::query_scalar(
        "SELECT DISTINCT contact_id FROM participant WHERE message_id = ? AND contact_id IS NOT NULL",
    )
    .bind(message_id)
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .collect();
    sqlx::query("DELETE FROM message_fts WHERE rowid = ?")
        .bind(message_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM message WHERE id = ?")
        .bind(message_id)
        .execute(&mut *tx)
        .await?;
    super::contacts::refresh_contact_stats(tx, &contacts).await?;
    Ok(())
}

async fn change_by_id(tx: &mut Tx, id: i64) -> Result<Option<PendingChange>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{CHANGE_COLUMNS} WHERE id = ?"
    )))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?)
}

/// The queued change of a location, made if there is none yet.
async fn change_for_location(
    tx: &mut Tx,
    location: &ActionLocation,
    flags: &str,
) -> Result<Option<i64>> {
    if let Some(id) = placeholder_change(location.uidvalidity, location.uid) {
        return Ok(change_by_id(tx, id).await?.map(|c| c.id));
    }
    let known: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM pending_change WHERE folder_id = ? AND uidvalidity = ? AND uid = ?",
    )
    .bind(location.folder_id)
    .bind(location.uidvalidity)
    .bind(location.uid)
    .fetch_optional(&mut *tx)
    .await?;
    if known.is_some() {
        return Ok(known);
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO pending_change (account_id, folder_id, uidvalidity, uid, message_id, prior_flags, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(location.account_id)
    .bind(location.folder_id)
    .bind(location.uidvalidity)
    .bind(location.uid)
    .bind(location.message_id)
    .bind(flags)
    .bind(now())
    .fetch_one(&mut *tx)
    .await?;
    Ok(Some(id))
}

/// A change with nothing left to do once its source is where it belongs.
fn settled(change: &PendingChange) -> bool {
    is_empty(change.add())
        && is_empty(change.remove())
        && !change.expunge
        && change
            .target_folder_id
            .is_none_or(|target| target == change.folder_id)
}

impl Store {
    /// Every location of these messages, with its folder's account and role.
    pub async fn action_locations(&self, message_ids: &[i64]) -> Result<Vec<ActionLocation>> {
        if message_ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids = serde_json::to_string(message_ids)
            .map_err(|e| super::StoreError::Corrupt(format!("message ids: {e}")))?;
        Ok(sqlx::query_as(
            "SELECT l.message_id, l.folder_id, f.account_id, f.role, l.uidvalidity, l.uid \
             FROM message_location l JOIN folder f ON f.id = l.folder_id \
             WHERE l.message_id IN (SELECT value FROM json_each(?1)) \
             ORDER BY l.message_id, l.folder_id, l.uid",
        )
        .bind(ids)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The messages of these threads (a message with no thread is its own).
    pub async fn thread_message_ids(&self, thread_ids: &[i64]) -> Result<Vec<i64>> {
        if thread_ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids = serde_json::to_string(thread_ids)
            .map_err(|e| super::StoreError::Corrupt(format!("thread ids: {e}")))?;
        Ok(sqlx::query_scalar(
            "SELECT id FROM message WHERE thread_id IN (SELECT value FROM json_each(?1)) \
             UNION SELECT id FROM message WHERE id IN (SELECT value FROM json_each(?1)) AND thread_id IS NULL",
        )
        .bind(ids)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Applies the user's changes to the store in one transaction and queues them for the
    /// server. Locations that vanished meanwhile are skipped. Returns the accounts whose
    /// queue grew.
    pub async fn apply_local_changes(
        &self,
        changes: &[(ActionLocation, LocalChange)],
    ) -> Result<Vec<i64>> {
        // IMMEDIATE: the sync writes from other connections; a deferred transaction that
        // reads first could not upgrade to write after one of its commits.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let mut accounts: Vec<i64> = Vec::new();
        for (location, change) in changes {
            let current: Option<String> = sqlx::query_scalar(
                "SELECT flags FROM message_location WHERE folder_id = ? AND uidvalidity = ? AND uid = ?",
            )
            .bind(location.folder_id)
            .bind(location.uidvalidity)
            .bind(location.uid)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(flag_text) = current else {
                continue;
            };
            let old = parse_flags(&flag_text);
            let applied = match *change {
                LocalChange::Flags { add, remove } => {
                    let new = minus(union(old, add), remove);
                    if new == old {
                        continue;
                    }
                    let Some(id) = change_for_location(&mut tx, location, &flag_text).await? else {
                        continue;
                    };
                    sqlx::query(
                        "UPDATE message_location SET flags = ? WHERE folder_id = ? AND uidvalidity = ? AND uid = ?",
                    )
                    .bind(new.to_imap())
                    .bind(location.folder_id)
                    .bind(location.uidvalidity)
                    .bind(location.uid)
                    .execute(&mut *tx)
                    .await?;
                    set_message_flags(&mut tx, location.message_id, new).await?;
                    adjust_folder(
                        &mut tx,
                        location.folder_id,
                        0,
                        i64::from(old.seen) - i64::from(new.seen),
                    )
                    .await?;
                    let queued = change_by_id(&mut tx, id).await?;
                    if let Some(queued) = queued {
                        let queued_add = minus(union(queued.add(), add), remove);
                        let queued_remove = minus(union(queued.remove(), remove), add);
                        sqlx::query(
                            "UPDATE pending_change SET add_flags = ?, remove_flags = ?, revision = revision + 1 \
                             WHERE id = ?",
                        )
                        .bind(queued_add.to_imap())
                        .bind(queued_remove.to_imap())
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    }
                    true
                }
                LocalChange::Move { target_folder_id } => {
                    if target_folder_id == location.folder_id {
                        continue;
                    }
                    let Some(id) = change_for_location(&mut tx, location, &flag_text).await? else {
                        continue;
                    };
                    if placeholder_change(location.uidvalidity, location.uid).is_some() {
                        sqlx::query(
                            "UPDATE message_location SET folder_id = ? WHERE folder_id = ? AND uidvalidity = ? AND uid = ?",
                        )
                        .bind(target_folder_id)
                        .bind(location.folder_id)
                        .bind(location.uidvalidity)
                        .bind(location.uid)
                        .execute(&mut *tx)
                        .await?;
                    } else {
                        sqlx::query(
                            "DELETE FROM message_location WHERE folder_id = ? AND uidvalidity = ? AND uid = ?",
                        )
                        .bind(location.folder_id)
                        .bind(location.uidvalidity)
                        .bind(location.uid)
                        .execute(&mut *tx)
                        .await?;
                        sqlx::query(
                            "INSERT INTO message_location (folder_id, uidvalidity, uid, message_id, flags, date) \
                             VALUES (?1, 0, ?2, ?3, ?4, (SELECT date FROM message WHERE id = ?3))",
                        )
                        .bind(target_folder_id)
                        .bind(-id)
                        .bind(location.message_id)
                        .bind(&flag_text)
                        .execute(&mut *tx)
                        .await?;
                    }
                    let unread = i64::from(!old.seen);
                    adjust_folder(&mut tx, location.folder_id, -1, -unread).await?;
                    adjust_folder(&mut tx, target_folder_id, 1, unread).await?;
                    sqlx::query(
                        "UPDATE pending_change SET target_folder_id = ?, revision = revision + 1 WHERE id = ?",
                    )
                    .bind(target_folder_id)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                    true
                }
                LocalChange::Expunge => {
                    let Some(id) = change_for_location(&mut tx, location, &flag_text).await? else {
                        continue;
                    };
                    drop_location(
                        &mut tx,
                        location.account_id,
                        location.folder_id,
                        location.uidvalidity,
                        location.uid,
                    )
                    .await?;
                    // The message row stays until the server confirms, so a refusal can
                    // put the location back.
                    sqlx::query(
                        "UPDATE pending_change SET expunge = 1, target_folder_id = NULL, revision = revision + 1 \
                         WHERE id = ?",
                    )
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                    true
                }
            };
            if applied && !accounts.contains(&location.account_id) {
                accounts.push(location.account_id);
            }
        }
        tx.commit().await?;
        Ok(accounts)
    }

    /// The account's queue, oldest first.
    pub async fn pending_changes(&self, account_id: i64) -> Result<Vec<PendingChange>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{CHANGE_COLUMNS} WHERE account_id = ? ORDER BY id"
        )))
        .bind(account_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// How many changes wait for each account's server, and the last failure.
    pub async fn pending_summary(&self) -> Result<Vec<PendingSummary>> {
        Ok(sqlx::query_as(
            "SELECT account_id, count(*) AS waiting, \
             (SELECT p2.last_error FROM pending_change p2 WHERE p2.account_id = p.account_id \
              AND p2.last_error IS NOT NULL ORDER BY p2.id DESC LIMIT 1) AS last_error \
             FROM pending_change p GROUP BY account_id ORDER BY account_id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Keeps the account's queued changes with the reason the push failed.
    pub async fn record_changes_failure(&self, account_id: i64, error: &str) -> Result<()> {
        sqlx::query(
            "UPDATE pending_change SET attempts = attempts + 1, last_error = ? WHERE account_id = ?",
        )
        .bind(error)
        .bind(account_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records that the server did what `pushed` says for the change as it was read
    /// (`sent`). If the user changed it meanwhile, what is newer stays queued.
    pub async fn complete_change(&self, sent: &PendingChange, pushed: PushedChange) -> Result<()> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let Some(mut current) = change_by_id(&mut tx, sent.id).await? else {
            tx.commit().await?;
            return Ok(());
        };
        // The server's new location of the message, if it moved.
        let moved_to: Option<Option<(i64, i64, i64)>> = match pushed {
            PushedChange::Stored => None,
            PushedChange::Expunged => {
                sqlx::query("DELETE FROM pending_change WHERE id = ?")
                    .bind(sent.id)
                    .execute(&mut *tx)
                    .await?;
                delete_if_orphan(&mut tx, sent.message_id).await?;
                tx.commit().await?;
                return Ok(());
            }
            PushedChange::Moved(new) => sent.target_folder_id.map(|target| {
                if target == sent.folder_id {
                    Some((target, sent.uidvalidity, sent.uid))
                } else {
                    new.map(|(v, uid)| (target, i64::from(v), i64::from(uid)))
                }
            }),
        };
        if let Some(None) = moved_to {
            // Moved, but the server did not say where to: the target's next sync finds it.
            if let Some(target) = current.target_folder_id {
                drop_location(&mut tx, current.account_id, target, 0, -current.id).await?;
            }
            sqlx::query("DELETE FROM pending_change WHERE id = ?")
                .bind(current.id)
                .execute(&mut *tx)
                .await?;
            delete_if_orphan(&mut tx, current.message_id).await?;
            tx.commit().await?;
            return Ok(());
        }
        if current.revision == sent.revision {
            current.add_flags.clear();
            current.remove_flags.clear();
        } else {
            current.add_flags = minus(current.add(), sent.add()).to_imap();
            current.remove_flags = minus(current.remove(), sent.remove()).to_imap();
        }
        if let Some(Some((folder, uidvalidity, uid))) = moved_to {
            current.folder_id = folder;
            current.uidvalidity = uidvalidity;
            current.uid = uid;
        }
        if settled(&current) {
            if let Some(target) = current.target_folder_id {
                resolve_placeholder(&mut tx, &current, target).await?;
            }
            sqlx::query("DELETE FROM pending_change WHERE id = ?")
                .bind(current.id)
                .execute(&mut *tx)
                .await?;
        } else {
            sqlx::query(
                "UPDATE pending_change SET folder_id = ?, uidvalidity = ?, uid = ?, add_flags = ?, \
                 remove_flags = ?, attempts = 0, last_error = NULL WHERE id = ?",
            )
            .bind(current.folder_id)
            .bind(current.uidvalidity)
            .bind(current.uid)
            .bind(&current.add_flags)
            .bind(&current.remove_flags)
            .bind(current.id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Gives a change up: the local store goes back to what the server has. With
    /// `restore_source`, a moved or deleted message reappears where it was (the server
    /// still has it there); without, it only loses what the change showed.
    pub async fn roll_back_change(
        &self,
        id: i64,
        restore_source: bool,
    ) -> Result<Option<RolledBack>> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let Some(change) = change_by_id(&mut tx, id).await? else {
            tx.commit().await?;
            return Ok(None);
        };
        let (prior_text,): (String,) =
            sqlx::query_as("SELECT prior_flags FROM pending_change WHERE id = ?")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
        let prior = parse_flags(&prior_text);
        let subject: String = sqlx::query_scalar("SELECT subject FROM message WHERE id = ?")
            .bind(change.message_id)
            .fetch_optional(&mut *tx)
            .await?
            .unwrap_or_default();
        let mut restored_to = None;

        let in_place: Option<String> = sqlx::query_scalar(
            "SELECT flags FROM message_location WHERE folder_id = ? AND uidvalidity = ? AND uid = ?",
        )
        .bind(change.folder_id)
        .bind(change.uidvalidity)
        .bind(change.uid)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(flags) = in_place {
            let old = parse_flags(&flags);
            sqlx::query(
                "UPDATE message_location SET flags = ? WHERE folder_id = ? AND uidvalidity = ? AND uid = ?",
            )
            .bind(prior.to_imap())
            .bind(change.folder_id)
            .bind(change.uidvalidity)
            .bind(change.uid)
            .execute(&mut *tx)
            .await?;
            set_message_flags(&mut tx, change.message_id, prior).await?;
            adjust_folder(
                &mut tx,
                change.folder_id,
                0,
                i64::from(old.seen) - i64::from(prior.seen),
            )
            .await?;
        }
        if let Some(target) = change.target_folder_id {
            drop_location(&mut tx, change.account_id, target, 0, -change.id).await?;
        }
        let message_exists: Option<i64> = sqlx::query_scalar("SELECT 1 FROM message WHERE id = ?")
            .bind(change.message_id)
            .fetch_optional(&mut *tx)
            .await?;
        let source: Option<(String, Option<i64>)> =
            sqlx::query_as("SELECT display_name, uidvalidity FROM folder WHERE id = ?")
                .bind(change.folder_id)
                .fetch_optional(&mut *tx)
                .await?;
        let was_moved = change.target_folder_id.is_some() || change.expunge;
        if let (true, true, Some(_), Some((name, folder_validity))) =
            (was_moved, restore_source, message_exists, source)
        {
            let same_uids = folder_validity.is_none_or(|v| v == change.uidvalidity);
            if same_uids && change.uidvalidity > 0 && change.uid > 0 {
                let had_account = in_account(&mut tx, change.message_id, change.account_id).await?;
                let inserted = sqlx::query(
                    "INSERT OR IGNORE INTO message_location (folder_id, uidvalidity, uid, message_id, flags, date) \
                     VALUES (?1, ?2, ?3, ?4, ?5, (SELECT date FROM message WHERE id = ?4))",
                )
                .bind(change.folder_id)
                .bind(change.uidvalidity)
                .bind(change.uid)
                .bind(change.message_id)
                .bind(prior.to_imap())
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if inserted > 0 {
                    adjust_folder(&mut tx, change.folder_id, 1, i64::from(!prior.seen)).await?;
                    if !had_account {
                        adjust_account(&mut tx, change.account_id, 1).await?;
                    }
                    set_message_flags(&mut tx, change.message_id, prior).await?;
                    restored_to = Some(name);
                }
            }
        }
        sqlx::query("DELETE FROM pending_change WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        delete_if_orphan(&mut tx, change.message_id).await?;
        tx.commit().await?;
        Ok(Some(RolledBack {
            subject,
            restored_to,
        }))
    }

    /// UIDs the sync must treat as stored in `folder`: those with a location, and those
    /// moved or deleted here but not yet on the server (fetching them again would undo
    /// the user's change).
    pub(crate) async fn uids_moved_away(
        &self,
        folder_id: i64,
        uidvalidity: u32,
    ) -> Result<HashSet<u32>> {
        let uids: Vec<i64> = sqlx::query_scalar(
            "SELECT uid FROM pending_change WHERE folder_id = ? AND uidvalidity = ? \
             AND (target_folder_id IS NOT NULL OR expunge = 1)",
        )
        .bind(folder_id)
        .bind(i64::from(uidvalidity))
        .fetch_all(&self.pool)
        .await?;
        Ok(uids
            .into_iter()
            .filter_map(|u| u32::try_from(u).ok())
            .collect())
    }
}

/// Queued flag changes of a folder's locations, to lay over what the server reports.
pub(crate) async fn queued_flags(
    tx: &mut Tx,
    folder_id: i64,
    uidvalidity: u32,
) -> Result<HashMap<u32, (MessageFlags, MessageFlags)>> {
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT uid, add_flags, remove_flags FROM pending_change WHERE folder_id = ? AND uidvalidity = ? \
         AND target_folder_id IS NULL AND expunge = 0",
    )
    .bind(folder_id)
    .bind(i64::from(uidvalidity))
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(uid, add, remove)| {
            u32::try_from(uid)
                .ok()
                .map(|uid| (uid, (parse_flags(&add), parse_flags(&remove))))
        })
        .collect())
}

/// The placeholder of a settled move becomes the server's location.
async fn resolve_placeholder(tx: &mut Tx, change: &PendingChange, target: i64) -> Result<()> {
    let taken: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM message_location WHERE folder_id = ? AND uidvalidity = ? AND uid = ?",
    )
    .bind(target)
    .bind(change.uidvalidity)
    .bind(change.uid)
    .fetch_optional(&mut *tx)
    .await?;
    if taken.is_some() {
        drop_location(tx, change.account_id, target, 0, -change.id).await?;
    } else {
        sqlx::query(
            "UPDATE message_location SET uidvalidity = ?, uid = ? WHERE folder_id = ? AND uidvalidity = 0 AND uid = ?",
        )
        .bind(change.uidvalidity)
        .bind(change.uid)
        .bind(target)
        .bind(-change.id)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        crm::ContactPolicy,
        mime::parse,
        store::{
            test_support::{account_with_folders, temp_store},
            BatchContext, FetchedMessage, KeepPolicy, MessageQuery, MessageView,
        },
    };

    const SEEN: MessageFlags = MessageFlags {
        seen: true,
        flagged: false,
        answered: false,
        draft: false,
    };
    const NONE: MessageFlags = MessageFlags {
        seen: false,
        flagged: false,
        answered: false,
        draft: false,
    };

    struct Setup {
        store: Store,
        _dir: tempfile::TempDir,
        inbox: i64,
        archive: i64,
    }

    /// alice's account with three unread messages in INBOX (UIDs 1-3).
    async fn setup() -> Setup {
        let (store, dir) = temp_store().await;
        let (account, inbox, archive) =
            account_with_folders(&store, "alice@rapport.test", ContactPolicy::All).await;
        let record = store.account(account).await.unwrap();
        let ctx = BatchContext {
            account_id: account,
            folder_id: inbox,
            uidvalidity: 7,
            identity: store.account_identity(&record).await.unwrap(),
            ignore: store.ignore_rules().await.unwrap(),
            keep: KeepPolicy::All,
        };
        let batch: Vec<FetchedMessage> = (1..=3u32)
            .map(|n| FetchedMessage {
                uid: n,
                flags: MessageFlags::default(),
                modseq: None,
                parsed: parse(
                    format!(
                        "From: jan@firma.cz\r\nTo: alice@rapport.test\r\nSubject: Message {n}\r\n\
                         Message-ID: <m{n}@firma.cz>\r\nDate: 0{n} Nov 2026 10:00:00 +0000\r\n\r\nBody\r\n"
                    )
                    .as_bytes(),
                    None,
                ),
            })
            .collect();
        store.store_batch(&ctx, &batch).await.unwrap();
        Setup {
            store,
            _dir: dir,
            inbox,
            archive,
        }
    }

    async fn location(store: &Store, uid: i64) -> ActionLocation {
        store
            .action_locations(&all_ids(store).await)
            .await
            .unwrap()
            .into_iter()
            .find(|l| l.uid == uid)
            .expect("location")
    }

    async fn all_ids(store: &Store) -> Vec<i64> {
        sqlx::query_scalar("SELECT id FROM message ORDER BY id")
            .fetch_all(store.pool())
            .await
            .unwrap()
    }

    async fn counts(store: &Store, folder: i64) -> (i64, i64) {
        sqlx::query_as("SELECT message_count, unread_count FROM folder WHERE id = ?")
            .bind(folder)
            .fetch_one(store.pool())
            .await
            .unwrap()
    }

    async fn subjects(store: &Store, folder: i64) -> Vec<String> {
        store
            .list_messages(&MessageQuery {
                view: MessageView::Folder(folder),
                before: None,
                limit: 50,
            })
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.subject)
            .collect()
    }

    #[tokio::test]
    async fn flag_changes_show_at_once_and_coalesce_per_location() {
        let s = setup().await;
        let one = location(&s.store, 1).await;
        let read = LocalChange::Flags {
            add: SEEN,
            remove: NONE,
        };
        let accounts = s
            .store
            .apply_local_changes(&[(one.clone(), read)])
            .await
            .unwrap();
        assert_eq!(accounts, [one.account_id]);
        assert_eq!(counts(&s.store, s.inbox).await, (3, 2));
        let seen: bool = sqlx::query_scalar("SELECT seen FROM message WHERE id = ?")
            .bind(one.message_id)
            .fetch_one(s.store.pool())
            .await
            .unwrap();
        assert!(seen);
        // Read again: nothing to do. Unread: one row that now removes \Seen.
        s.store
            .apply_local_changes(&[(one.clone(), read)])
            .await
            .unwrap();
        s.store
            .apply_local_changes(&[(
                one.clone(),
                LocalChange::Flags {
                    add: NONE,
                    remove: SEEN,
                },
            )])
            .await
            .unwrap();
        let queue = s.store.pending_changes(one.account_id).await.unwrap();
        assert_eq!(queue.len(), 1);
        assert_eq!((queue[0].add(), queue[0].remove()), (NONE, SEEN));
        assert_eq!(counts(&s.store, s.inbox).await, (3, 3));
    }

    #[tokio::test]
    async fn the_flag_scan_keeps_a_queued_change_and_the_source_keeps_a_moved_uid() {
        let s = setup().await;
        let one = location(&s.store, 1).await;
        let two = location(&s.store, 2).await;
        s.store
            .apply_local_changes(&[
                (
                    one.clone(),
                    LocalChange::Flags {
                        add: SEEN,
                        remove: NONE,
                    },
                ),
                (
                    two.clone(),
                    LocalChange::Move {
                        target_folder_id: s.archive,
                    },
                ),
            ])
            .await
            .unwrap();
        // The server still says unread, and flags message 3 meanwhile.
        let flagged = MessageFlags {
            flagged: true,
            ..NONE
        };
        s.store
            .update_flags(s.inbox, 7, &[(1, NONE, None), (3, flagged, None)])
            .await
            .unwrap();
        let flags: Vec<(i64, String)> = sqlx::query_as(
            "SELECT uid, flags FROM message_location WHERE folder_id = ? ORDER BY uid",
        )
        .bind(s.inbox)
        .fetch_all(s.store.pool())
        .await
        .unwrap();
        assert_eq!(
            flags,
            [(1, "\\Seen".to_owned()), (3, "\\Flagged".to_owned())]
        );
        // UID 2 counts as stored, so no pass fetches it back into Inbox.
        let stored = s.store.stored_uids(s.inbox, 7).await.unwrap();
        assert!(stored.contains(&2), "{stored:?}");
        assert_eq!(
            subjects(&s.store, s.inbox).await,
            ["Message 3", "Message 1"]
        );
        assert_eq!(subjects(&s.store, s.archive).await, ["Message 2"]);
        assert_eq!(counts(&s.store, s.inbox).await, (2, 1));
        assert_eq!(counts(&s.store, s.archive).await, (1, 1));
    }

    #[tokio::test]
    async fn a_move_becomes_the_servers_location_and_a_later_change_stays_queued() {
        let s = setup().await;
        let one = location(&s.store, 1).await;
        let archive = LocalChange::Move {
            target_folder_id: s.archive,
        };
        s.store
            .apply_local_changes(&[(one.clone(), archive)])
            .await
            .unwrap();
        let sent = s.store.pending_changes(one.account_id).await.unwrap()[0].clone();
        // While the push is on the wire the user marks the archived copy read.
        let placeholder = location(&s.store, -sent.id).await;
        assert_eq!(placeholder.folder_id, s.archive);
        s.store
            .apply_local_changes(&[(
                placeholder,
                LocalChange::Flags {
                    add: SEEN,
                    remove: NONE,
                },
            )])
            .await
            .unwrap();
        s.store
            .complete_change(&sent, PushedChange::Moved(Some((9, 40))))
            .await
            .unwrap();
        let queue = s.store.pending_changes(one.account_id).await.unwrap();
        assert_eq!(queue.len(), 1, "the read mark still has to go");
        let left = &queue[0];
        assert_eq!(
            (left.folder_id, left.uidvalidity, left.uid, left.add()),
            (s.archive, 9, 40, SEEN)
        );
        // Pushing that settles it: the placeholder takes the server's UID.
        s.store
            .complete_change(left, PushedChange::Moved(None))
            .await
            .unwrap();
        assert!(s
            .store
            .pending_changes(one.account_id)
            .await
            .unwrap()
            .is_empty());
        let real: (i64, i64, String) = sqlx::query_as(
            "SELECT uidvalidity, uid, flags FROM message_location WHERE folder_id = ?",
        )
        .bind(s.archive)
        .fetch_one(s.store.pool())
        .await
        .unwrap();
        assert_eq!(real, (9, 40, "\\Seen".to_owned()));
    }

    #[tokio::test]
    async fn a_refused_move_is_rolled_back_to_where_the_message_was() {
        let s = setup().await;
        let one = location(&s.store, 1).await;
        s.store
            .apply_local_changes(&[(
                one.clone(),
                LocalChange::Move {
                    target_folder_id: s.archive,
                },
            )])
            .await
            .unwrap();
        let id = s.store.pending_changes(one.account_id).await.unwrap()[0].id;
        let rolled = s.store.roll_back_change(id, true).await.unwrap().unwrap();
        assert_eq!(rolled.subject, "Message 1");
        assert_eq!(rolled.restored_to.as_deref(), Some("INBOX"));
        assert_eq!(
            subjects(&s.store, s.inbox).await,
            ["Message 3", "Message 2", "Message 1"]
        );
        assert!(subjects(&s.store, s.archive).await.is_empty());
        assert_eq!(counts(&s.store, s.inbox).await, (3, 3));
        assert_eq!(counts(&s.store, s.archive).await, (0, 0));
        assert!(s
            .store
            .pending_changes(one.account_id)
            .await
            .unwrap()
            .is_empty());
    }

    #[tokio::test]
    async fn a_permanent_delete_keeps_the_message_until_the_server_confirms() {
        let s = setup().await;
        let one = location(&s.store, 1).await;
        s.store
            .apply_local_changes(&[(one.clone(), LocalChange::Expunge)])
            .await
            .unwrap();
        assert_eq!(counts(&s.store, s.inbox).await, (2, 2));
        assert_eq!(
            s.store.account(one.account_id).await.unwrap().message_count,
            2
        );
        let exists = |store: Store, id: i64| async move {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM message WHERE id = ?")
                .bind(id)
                .fetch_one(store.pool())
                .await
                .unwrap()
        };
        assert_eq!(exists(s.store.clone(), one.message_id).await, 1);
        let sent = s.store.pending_changes(one.account_id).await.unwrap()[0].clone();
        s.store
            .complete_change(&sent, PushedChange::Expunged)
            .await
            .unwrap();
        assert_eq!(exists(s.store.clone(), one.message_id).await, 0);
        let fts: i64 = sqlx::query_scalar("SELECT count(*) FROM message_fts WHERE rowid = ?")
            .bind(one.message_id)
            .fetch_one(s.store.pool())
            .await
            .unwrap();
        assert_eq!(fts, 0);
    }

    #[test]
    fn flags_parse_from_their_stored_form() {
        let flags = parse_flags("\\Seen \\Flagged $Junk");
        assert!(flags.seen && flags.flagged && !flags.answered);
        assert_eq!(minus(union(flags, SEEN), SEEN).to_imap(), "\\Flagged");
    }
}
