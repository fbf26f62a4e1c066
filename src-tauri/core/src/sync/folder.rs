//! One folder's state machine within a pass:
//!
//! 1. STATUS; if UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ (or, without CONDSTORE, MESSAGES)
//!    are as last time, the folder is skipped without selecting it.
//! 2. EXAMINE (read-only); a changed UIDVALIDITY resets this folder only.
//! 3. New mail: first pass `UID SEARCH SINCE` the window, later UIDs above the cursor;
//!    what the store lacks is fetched newest first in batches.
//! 4. After a complete pass: flag changes and expunges in one `CHANGEDSINCE … VANISHED`
//!    FETCH (QRESYNC); else flag changes through `CHANGEDSINCE` (CONDSTORE) or a
//!    `UID FETCH 1:* FLAGS` scan, and expunges through a UID list diff, only when the
//!    message count says something disappeared.

use std::{
    collections::HashSet,
    time::{Duration, Instant},
};

use futures::TryStreamExt;

use super::{BatchSizer, ChangeTracking, ProgressSink, SyncError, SyncProgress};
use crate::{
    crm::{AccountIdentity, IgnoreRules},
    imap::{ImapError, ImapSession},
    mime,
    store::{
        AccountRecord, BatchContext, FetchedMessage, FolderRecord, FolderServerState, MessageFlags,
        Store,
    },
};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FolderOutcome {
    pub new_messages: u64,
    pub flags_changed: u64,
    pub expunged: u64,
    pub unchanged: bool,
}

pub(super) struct FolderSync<'a> {
    pub store: &'a Store,
    pub account: &'a AccountRecord,
    pub folder: &'a FolderRecord,
    pub identity: &'a AccountIdentity,
    pub ignore: &'a IgnoreRules,
    pub tracking: ChangeTracking,
    pub progress: &'a ProgressSink,
    pub started: Instant,
}

fn flags_of(fetch: &async_imap::types::Fetch) -> MessageFlags {
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
    flags
}

impl FolderSync<'_> {
    pub async fn run(&self, session: &mut ImapSession) -> Result<FolderOutcome, SyncError> {
        let folder = self.folder;
        let complete = folder.synced_uid_max > 0;
        let items = if self.tracking.has_modseq() {
            "(MESSAGES UIDNEXT UIDVALIDITY HIGHESTMODSEQ)"
        } else {
            "(MESSAGES UIDNEXT UIDVALIDITY)"
        };
        let status = session
            .status(&folder.raw_name, items)
            .await
            .map_err(ImapError::from)?;
        let unchanged = complete
            && status.uid_validity.map(i64::from) == folder.uidvalidity
            && status.uid_next.map(i64::from) == folder.uidnext
            && Some(status.exists as i64) == folder.server_exists
            && (!self.tracking.has_modseq()
                || status.highest_modseq.map(|m| m as i64) == folder.highestmodseq);
        if unchanged {
            return Ok(FolderOutcome {
                unchanged: true,
                ..Default::default()
            });
        }

        let mailbox = session
            .examine(&folder.raw_name)
            .await
            .map_err(ImapError::from)?;
        // async-imap reports a poisoned connection as an empty SELECT; a missing
        // UIDVALIDITY is how that shows (BUILD-FACTS).
        let uidvalidity = mailbox
            .uid_validity
            .ok_or_else(|| SyncError::NoUidValidity(folder.display_name.clone()))?;
        let mut cursor = folder.synced_uid_max;
        let mut previous_exists = folder.server_exists;
        if folder
            .uidvalidity
            .is_some_and(|known| known != uidvalidity as i64)
        {
            tracing::info!(folder = %folder.display_name, "UIDVALIDITY changed; resyncing this folder alone");
            self.store.reset_folder(folder.id, uidvalidity).await?;
            cursor = 0;
            previous_exists = None;
        }
        let state = FolderServerState {
            uidvalidity,
            uidnext: status.uid_next.or(mailbox.uid_next),
            highestmodseq: status.highest_modseq.or(mailbox.highest_modseq),
            exists: mailbox.exists,
        };
        let mut outcome = FolderOutcome::default();

        // New mail.
        let wanted: HashSet<u32> = if mailbox.exists == 0 {
            HashSet::new()
        } else if cursor > 0 {
            // `n:*` always matches the highest UID, even below n, hence the filter.
            session
                .uid_search(format!("UID {}:*", cursor + 1))
                .await
                .map_err(ImapError::from)?
                .into_iter()
                .filter(|uid| *uid as i64 > cursor)
                .collect()
        } else {
            let today = chrono::Utc::now().date_naive();
            let query = match self.account.fetch_since.since(today) {
                Some(date) => format!("SINCE {}", date.format("%-d-%b-%Y")),
                None => "ALL".to_owned(),
            };
            session.uid_search(query).await.map_err(ImapError::from)?
        };
        let arrived = wanted.len() as i64;

        // Flags and expunges of what is already stored, before fetching the new.
        let known_modseq = folder.highestmodseq.filter(|_| previous_exists.is_some());
        if let (true, ChangeTracking::Qresync, Some(modseq)) =
            (cursor > 0, self.tracking, known_modseq)
        {
            (outcome.flags_changed, outcome.expunged) = self
                .sync_changes_and_vanished(session, uidvalidity, modseq, cursor)
                .await?;
        } else if cursor > 0 {
            outcome.flags_changed = self.sync_flags(session, uidvalidity).await?;
            let vanished_count =
                previous_exists.map(|before| before + arrived - mailbox.exists as i64);
            if vanished_count.is_some_and(|n| n != 0) || previous_exists.is_none() {
                outcome.expunged = self.sync_expunges(session, uidvalidity, cursor).await?;
            }
        }

        let stored = self.store.stored_uids(folder.id, uidvalidity).await?;
        let mut missing: Vec<u32> = wanted.difference(&stored).copied().collect();
        // Newest first: the inbox fills from the top while the rest arrives.
        missing.sort_unstable_by(|a, b| b.cmp(a));
        let uid_max = wanted
            .iter()
            .chain(stored.iter())
            .copied()
            .max()
            .unwrap_or(0)
            .max(cursor as u32);
        outcome.new_messages = self.fetch_missing(session, uidvalidity, &missing).await?;
        self.store
            .finish_folder_pass(folder.id, &state, uid_max)
            .await?;
        Ok(outcome)
    }

    fn report(&self, done: u64, total: u64) {
        let elapsed = self.started.elapsed().as_secs_f64();
        let rate = if elapsed > 0.0 {
            done as f64 / elapsed
        } else {
            0.0
        };
        let eta_secs =
            (rate > 0.0 && total > done).then(|| ((total - done) as f64 / rate).ceil() as u64);
        (self.progress)(SyncProgress::Folder {
            account_id: self.account.id,
            folder: self.folder.display_name.clone(),
            done,
            total,
            rate,
            eta_secs,
        });
    }

    async fn fetch_missing(
        &self,
        session: &mut ImapSession,
        uidvalidity: u32,
        missing: &[u32],
    ) -> Result<u64, SyncError> {
        let ctx = BatchContext {
            account_id: self.account.id,
            folder_id: self.folder.id,
            uidvalidity,
            identity: self.identity.clone(),
            ignore: self.ignore.clone(),
            keep: self.account.keep_policy,
        };
        let total = missing.len() as u64;
        self.report(0, total);
        // Pipelined in three stages: while one batch is written, the next is parsed and
        // the one after is on the wire, so neither the network nor the disk waits.
        let (to_parser, mut fetched) = tokio::sync::mpsc::channel::<Vec<RawMessage>>(1);
        let (to_writer, mut parsed) = tokio::sync::mpsc::channel::<Vec<FetchedMessage>>(1);
        let reader = async move {
            let mut sizer = BatchSizer::new();
            let mut rest = missing;
            let mut busy = Duration::ZERO;
            while !rest.is_empty() {
                let (chunk, later) = rest.split_at(sizer.next().min(rest.len()));
                rest = later;
                let started = Instant::now();
                let raw = fetch_raw(session, chunk).await?;
                busy += started.elapsed();
                sizer.record(raw.len(), raw.iter().map(|m| m.4.len()).sum());
                // A dropped connection ends the FETCH stream early without an error; moving
                // the cursor past what never arrived would leave a gap, so fail the folder.
                if raw.len() < chunk.len() {
                    return Err(SyncError::Imap(ImapError::Protocol(format!(
                        "the server sent {} of {} requested messages (connection lost?)",
                        raw.len(),
                        chunk.len()
                    ))));
                }
                if to_parser.send(raw).await.is_err() {
                    break; // a later stage failed; its error is the one to report
                }
            }
            Ok(busy)
        };
        let parser = async move {
            let mut busy = Duration::ZERO;
            while let Some(raw) = fetched.recv().await {
                let started = Instant::now();
                let batch = parse_batch(raw).await?;
                busy += started.elapsed();
                if to_writer.send(batch).await.is_err() {
                    break;
                }
            }
            Ok::<Duration, SyncError>(busy)
        };
        // The writer is a task of its own, so building a batch's rows runs on another
        // thread than the IMAP reader's TLS and response parsing; it reports each stored
        // batch back here for the progress events.
        let (to_progress, mut stored) = tokio::sync::mpsc::unbounded_channel::<u64>();
        let store = self.store.clone();
        let writer = tokio::spawn(async move {
            let (mut new_messages, mut busy) = (0u64, Duration::ZERO);
            let mut writer = store.batch_writer().await?;
            loop {
                // An open transaction waits for the next batch only as long as it may
                // stay open; a slow network then gets it committed meanwhile.
                let next = match writer.time_left() {
                    None => parsed.recv().await,
                    Some(left) => match tokio::time::timeout(left, parsed.recv()).await {
                        Ok(next) => next,
                        Err(_) => {
                            writer.commit().await?;
                            continue;
                        }
                    },
                };
                let Some(batch) = next else { break };
                let started = Instant::now();
                new_messages += writer.store_batch(&ctx, &batch).await?.new_messages;
                busy += started.elapsed();
                let _ = to_progress.send(batch.len() as u64);
                // Freeing a batch's many strings is work the writer need not wait for.
                tokio::task::spawn_blocking(move || drop(batch));
            }
            writer.finish().await?;
            Ok::<(u64, Duration), SyncError>((new_messages, busy))
        });
        let progress = async {
            let mut done = 0u64;
            while let Some(count) = stored.recv().await {
                done += count;
                self.report(done, total);
            }
        };
        let pipeline_started = Instant::now();
        let (read, parsing, ()) = tokio::join!(reader, parser, progress);
        let (new_messages, writing) = writer.await.map_err(|e| {
            SyncError::Imap(ImapError::Protocol(format!("the writer task failed: {e}")))
        })??;
        let parsing = parsing?;
        let fetching = read?;
        log_stage_times(
            &self.folder.display_name,
            total,
            pipeline_started.elapsed(),
            [fetching, parsing, writing],
        );
        Ok(new_messages)
    }

    /// Flag changes on the server since the last pass: only the changed ones with
    /// CONDSTORE, otherwise every stored message's flags.
    async fn sync_flags(
        &self,
        session: &mut ImapSession,
        uidvalidity: u32,
    ) -> Result<u64, SyncError> {
        let query = match (self.tracking.has_modseq(), self.folder.highestmodseq) {
            (true, Some(modseq)) => format!("(UID FLAGS) (CHANGEDSINCE {modseq})"),
            _ => "(UID FLAGS)".to_owned(),
        };
        let changes = fetch_flags(session, "1:*", &query).await?;
        Ok(self
            .store
            .update_flags(self.folder.id, uidvalidity, &changes)
            .await?)
    }

    /// QRESYNC: one FETCH returns the flags changed since `modseq` and, as a VANISHED
    /// (EARLIER) response, the UIDs expunged since then (RFC 7162 §3.2.6).
    async fn sync_changes_and_vanished(
        &self,
        session: &mut ImapSession,
        uidvalidity: u32,
        modseq: i64,
        cursor: i64,
    ) -> Result<(u64, u64), SyncError> {
        // VANISHED arrives on the unsolicited channel, which holds 100 responses and
        // drops the rest: empty it first so this command's answer fits.
        while session.unsolicited_responses.try_recv().is_ok() {}
        let changes = fetch_flags(
            session,
            &format!("1:{cursor}"),
            &format!("(UID FLAGS) (CHANGEDSINCE {modseq} VANISHED)"),
        )
        .await?;
        let mut vanished: Vec<std::ops::RangeInclusive<u32>> = Vec::new();
        while let Ok(response) = session.unsolicited_responses.try_recv() {
            if let async_imap::types::UnsolicitedResponse::Other(data) = response {
                if let async_imap::imap_proto::Response::Vanished { uids, .. } = data.parsed() {
                    vanished.extend(uids.iter().cloned());
                }
            }
        }
        let flags_changed = self
            .store
            .update_flags(self.folder.id, uidvalidity, &changes)
            .await?;
        if vanished.is_empty() {
            return Ok((flags_changed, 0));
        }
        // A server may report more than it must (UIDs never stored here): only stored
        // locations are removed.
        let stored = self.store.stored_uids(self.folder.id, uidvalidity).await?;
        let gone: Vec<u32> = stored
            .into_iter()
            .filter(|uid| vanished.iter().any(|range| range.contains(uid)))
            .collect();
        let expunged = if gone.is_empty() {
            0
        } else {
            self.store
                .remove_locations(self.folder.id, uidvalidity, &gone)
                .await?
        };
        Ok((flags_changed, expunged))
    }

    /// Locations whose UID the server no longer has.
    async fn sync_expunges(
        &self,
        session: &mut ImapSession,
        uidvalidity: u32,
        cursor: i64,
    ) -> Result<u64, SyncError> {
        let on_server = session
            .uid_search(format!("UID 1:{cursor}"))
            .await
            .map_err(ImapError::from)?;
        let stored = self.store.stored_uids(self.folder.id, uidvalidity).await?;
        let gone: Vec<u32> = stored
            .into_iter()
            .filter(|uid| (*uid as i64) <= cursor && !on_server.contains(uid))
            .collect();
        if gone.is_empty() {
            return Ok(0);
        }
        Ok(self
            .store
            .remove_locations(self.folder.id, uidvalidity, &gone)
            .await?)
    }
}

/// The flags (and MODSEQ) of the messages a `UID FETCH` of `uids` with `query` returns.
async fn fetch_flags(
    session: &mut ImapSession,
    uids: &str,
    query: &str,
) -> Result<Vec<(u32, MessageFlags, Option<u64>)>, SyncError> {
    Ok(session
        .uid_fetch(uids, query)
        .await
        .map_err(ImapError::from)?
        .try_filter_map(|fetch| async move {
            Ok(fetch.uid.map(|uid| (uid, flags_of(&fetch), fetch.modseq)))
        })
        .try_collect()
        .await
        .map_err(ImapError::from)?)
}

/// Where a folder's new mail spent its time: the busiest stage (fetch, parse, write) is
/// the one to improve. A large fetch (a first sync) is logged at info, so the figures are
/// in the log file without a debug filter (which would slow the parser's HTML crates down
/// and skew them); `make bench` reads them from there.
fn log_stage_times(
    folder: &str,
    messages: u64,
    total: Duration,
    [fetch, parse, write]: [Duration; 3],
) {
    const LARGE: u64 = 1_000;
    let ms = |d: Duration| d.as_millis() as u64;
    let (total_ms, fetch_ms, parse_ms, write_ms) = (ms(total), ms(fetch), ms(parse), ms(write));
    macro_rules! stage_times {
        ($level:ident) => {
            tracing::$level!(
                folder,
                messages,
                total_ms,
                fetch_ms,
                parse_ms,
                write_ms,
                "fetched new mail"
            )
        };
    }
    if messages >= LARGE {
        stage_times!(info);
    } else {
        stage_times!(debug);
    }
}

/// A message as fetched, before parsing: UID, flags, MODSEQ, INTERNALDATE, bytes.
type RawMessage = (u32, MessageFlags, Option<u64>, Option<i64>, Vec<u8>);

/// Fetches full messages for `uids`, draining the stream to its end (leftovers would
/// leak into the next command).
async fn fetch_raw(session: &mut ImapSession, uids: &[u32]) -> Result<Vec<RawMessage>, SyncError> {
    let set = uids
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let raw = session
        .uid_fetch(&set, "(UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])")
        .await
        .map_err(ImapError::from)?
        .try_filter_map(|fetch| async move {
            let (Some(uid), Some(body)) = (fetch.uid, fetch.body()) else {
                return Ok(None);
            };
            let internal = fetch.internal_date().map(|d| d.timestamp());
            Ok(Some((
                uid,
                flags_of(&fetch),
                fetch.modseq,
                internal,
                body.to_vec(),
            )))
        })
        .try_collect()
        .await
        .map_err(ImapError::from)?;
    Ok(raw)
}

/// Parses a batch on a parser thread (CPU work, and a deep stack for hostile nesting).
async fn parse_batch(raw: Vec<RawMessage>) -> Result<Vec<FetchedMessage>, SyncError> {
    let (meta, bodies): (Vec<_>, Vec<_>) = raw
        .into_iter()
        .map(|(uid, flags, modseq, internal, body)| ((uid, flags, modseq), (body, internal)))
        .unzip();
    let parsed = mime::parse_many(bodies)
        .await
        .map_err(|e| SyncError::Imap(ImapError::Protocol(format!("parser thread failed: {e}"))))?;
    Ok(meta
        .into_iter()
        .zip(parsed)
        .map(|((uid, flags, modseq), parsed)| FetchedMessage {
            uid,
            flags,
            modseq,
            parsed,
        })
        .collect())
}
