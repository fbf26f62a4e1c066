//! The long-running sync of each account: a pass at start, IDLE on Inbox so new mail
//! shows within seconds, a pass over every folder at the account's poll interval,
//! reconnection with exponential backoff and jitter, and a pause (with the reason, until
//! the user reconnects) after repeated failures or one that only the user can fix.
//!
//! Passes of one account never overlap: the background loop and "Sync now" take the same
//! per-account lock, because two writers racing on one folder would fight over it. The
//! user's changes to mail (read, flag, archive, ...) are pushed under that lock too, right
//! after the action (`SyncScheduler::push`), without waiting for the next pass.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use tokio::{
    sync::{watch, Mutex, Notify},
    task::JoinHandle,
    time::Instant,
};

use super::{
    open_session, push_account_changes, sync_account_once, ProgressSink, SyncError, SyncOutcome,
    SyncProgress,
};
use crate::store::Store;

/// After this many failed passes in a row the account is paused.
pub const MAX_CONSECUTIVE_FAILURES: i64 = 10;
/// Servers may drop an IDLE after 30 minutes (RFC 2177); re-issue well before.
const IDLE_REISSUE: Duration = Duration::from_secs(25 * 60);
const BACKOFF_BASE: Duration = Duration::from_secs(2);
const BACKOFF_MAX: Duration = Duration::from_secs(15 * 60);

/// Delay before retry number `failures` (1-based): doubling from 2 s up to 15 min, with
/// ±50 % jitter so many clients do not retry in step.
pub fn backoff(failures: i64, jitter_unit: f64) -> Duration {
    let exponent = (failures.max(1) - 1).min(20) as u32;
    let base = BACKOFF_BASE
        .saturating_mul(2u32.saturating_pow(exponent))
        .min(BACKOFF_MAX);
    base.mul_f64(0.5 + jitter_unit.clamp(0.0, 1.0))
}

fn jitter() -> f64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    (nanos % 1000) as f64 / 1000.0
}

struct Runner {
    pass_lock: Arc<Mutex<()>>,
    wake: Arc<Notify>,
    /// Rings when the user changed mail that the server should learn about.
    push: Arc<Notify>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// Runs one sync loop per account and serialises passes.
pub struct SyncScheduler {
    store: Store,
    sink: Arc<ProgressSink>,
    runners: Mutex<HashMap<i64, Runner>>,
    /// The user paused background sync for every account: no loop starts until resumed.
    paused: AtomicBool,
}

impl SyncScheduler {
    /// `sink` receives the progress of background passes.
    pub fn new(store: Store, sink: Arc<ProgressSink>) -> SyncScheduler {
        SyncScheduler {
            store,
            sink,
            runners: Mutex::new(HashMap::new()),
            paused: AtomicBool::new(false),
        }
    }

    /// Starts the loop of every account in the store.
    pub async fn start_all(&self) -> Result<(), SyncError> {
        for account in self.store.accounts().await? {
            self.start(account.id).await;
        }
        Ok(())
    }

    /// Starts the account's loop unless it runs already.
    pub async fn start(&self, account_id: i64) {
        if self.is_paused() {
            return;
        }
        let mut runners = self.runners.lock().await;
        if runners
            .get(&account_id)
            .is_some_and(|r| !r.task.is_finished())
        {
            return;
        }
        let pass_lock = Arc::new(Mutex::new(()));
        let wake = Arc::new(Notify::new());
        let push = Arc::new(Notify::new());
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(account_loop(
            self.store.clone(),
            account_id,
            self.sink.clone(),
            Signals {
                pass_lock: pass_lock.clone(),
                wake: wake.clone(),
                push: push.clone(),
            },
            stopped,
        ));
        runners.insert(
            account_id,
            Runner {
                pass_lock,
                wake,
                push,
                stop,
                task,
            },
        );
    }

    /// Stops the account's loop (before removing the account).
    pub async fn stop(&self, account_id: i64) {
        if let Some(runner) = self.runners.lock().await.remove(&account_id) {
            let _ = runner.stop.send(true);
            runner.wake.notify_one();
            // Let a pass in progress finish its batch rather than cut it mid-write.
            let _ = runner.pass_lock.lock().await;
            runner.task.abort();
        }
    }

    /// Makes the loop run a pass now (after a reconnect or a settings change).
    pub async fn wake(&self, account_id: i64) {
        match self.runners.lock().await.get(&account_id) {
            Some(runner) if !runner.task.is_finished() => runner.wake.notify_one(),
            _ => {}
        }
        self.start(account_id).await;
    }

    /// Pushes the account's queued changes to its server soon, without a full pass: the
    /// account's loop does it between passes (an IDLE in progress keeps running). With no
    /// loop (the account is being added), a one-off push runs under the same lock.
    pub async fn push(&self, account_id: i64) {
        let runners = self.runners.lock().await;
        if let Some(runner) = runners.get(&account_id) {
            if !runner.task.is_finished() {
                runner.push.notify_one();
                return;
            }
        }
        drop(runners);
        let lock = self.lock_for(account_id).await;
        let store = self.store.clone();
        let sink = self.sink.clone();
        tokio::spawn(async move {
            let _guard = lock.lock().await;
            if let Err(e) = push_account_changes(&store, account_id, &*sink).await {
                tracing::warn!(account = account_id, error = %e, "pushing changes failed");
            }
        });
    }

    /// Runs a pass now with its own progress sink, after any pass in progress.
    pub async fn sync_now(
        &self,
        account_id: i64,
        progress: &ProgressSink,
    ) -> Result<SyncOutcome, SyncError> {
        let lock = self.lock_for(account_id).await;
        let _guard = lock.lock().await;
        sync_account_once(&self.store, account_id, progress).await
    }

    async fn lock_for(&self, account_id: i64) -> Arc<Mutex<()>> {
        if let Some(runner) = self.runners.lock().await.get(&account_id) {
            return runner.pass_lock.clone();
        }
        // No loop (e.g. `sync --once`): a lock of its own is enough.
        Arc::new(Mutex::new(()))
    }

    /// Stops every loop and keeps them stopped ("Pause sync"); a pass the user asks for
    /// with `sync_now` still runs.
    pub async fn pause_all(&self) {
        self.paused.store(true, Ordering::SeqCst);
        self.shutdown().await;
    }

    /// Starts every account's loop again after `pause_all`.
    pub async fn resume_all(&self) -> Result<(), SyncError> {
        self.paused.store(false, Ordering::SeqCst);
        self.start_all().await
    }

    pub fn is_paused(&self) -> bool {
        self.paused.load(Ordering::SeqCst)
    }

    /// Stops every loop.
    pub async fn shutdown(&self) {
        let ids: Vec<i64> = self.runners.lock().await.keys().copied().collect();
        for id in ids {
            self.stop(id).await;
        }
    }
}

/// What an account's loop listens to besides its stop signal.
struct Signals {
    pass_lock: Arc<Mutex<()>>,
    wake: Arc<Notify>,
    push: Arc<Notify>,
}

impl Signals {
    /// Pushes queued changes under the pass lock.
    async fn push_now(&self, store: &Store, account_id: i64, sink: &ProgressSink) {
        let _guard = self.pass_lock.lock().await;
        if let Err(e) = push_account_changes(store, account_id, sink).await {
            tracing::warn!(account = account_id, error = %e, "pushing changes failed");
        }
    }

    /// Waits until `until`, a wake-up or a stop, pushing changes whenever asked.
    /// True if stopped.
    async fn wait_until(
        &self,
        until: Instant,
        store: &Store,
        account_id: i64,
        sink: &ProgressSink,
        stopped: &mut watch::Receiver<bool>,
    ) -> bool {
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(until) => return false,
                _ = self.wake.notified() => return false,
                _ = stopped.changed() => return true,
                _ = self.push.notified() => self.push_now(store, account_id, sink).await,
            }
        }
    }
}

/// Waits for `duration`, a wake-up or a stop, whichever comes first. True if stopped.
async fn pause_for(duration: Duration, wake: &Notify, stopped: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(duration) => false,
        _ = wake.notified() => false,
        _ = stopped.changed() => true,
    }
}

async fn account_loop(
    store: Store,
    account_id: i64,
    sink: Arc<ProgressSink>,
    signals: Signals,
    mut stopped: watch::Receiver<bool>,
) {
    let Signals {
        pass_lock, wake, ..
    } = &signals;
    loop {
        if *stopped.borrow() {
            return;
        }
        let account = match store.account(account_id).await {
            Ok(a) => a,
            Err(_) => return, // removed
        };
        if account.is_paused() {
            // Only the user (Reconnect) or a settings change brings it back.
            if pause_for(Duration::from_secs(3600), wake, &mut stopped).await {
                return;
            }
            continue;
        }
        let result = {
            let _guard = pass_lock.lock().await;
            sync_account_once(&store, account_id, &*sink).await
        };
        // A pass where some folders failed is retried with backoff like a failed one.
        let failure = match result {
            Ok(outcome) => outcome.failure_summary().map(|summary| (summary, false)),
            Err(e) => Some((e.to_user_error().message, e.needs_user())),
        };
        if let Some((reason, needs_user)) = failure {
            let failures = store
                .account(account_id)
                .await
                .map(|a| a.consecutive_failures)
                .unwrap_or(1);
            if needs_user || failures >= MAX_CONSECUTIVE_FAILURES {
                pause_account(&store, account_id, reason, &*sink).await;
                continue;
            }
            // Offline: an action still tries its push, which keeps it queued with the reason.
            let retry_at = Instant::now() + backoff(failures, jitter());
            if signals
                .wait_until(retry_at, &store, account_id, &*sink, &mut stopped)
                .await
            {
                return;
            }
            continue;
        }
        let poll = Duration::from_secs(account.poll_interval_secs.max(60) as u64);
        let due = Instant::now() + poll;
        match idle_until(&store, account_id, due, &signals, &*sink, &mut stopped).await {
            IdleEnd::Stopped => return,
            IdleEnd::NewMail | IdleEnd::Due | IdleEnd::Woken => {}
            IdleEnd::NeedsUser(e) => {
                pause_account(&store, account_id, e.to_user_error().message, &*sink).await
            }
            IdleEnd::Unavailable => {
                if signals
                    .wait_until(due, &store, account_id, &*sink, &mut stopped)
                    .await
                {
                    return;
                }
            }
        }
    }
}

/// Pauses the account with its reason and tells the UI, which offers Reconnect (or
/// "Sign in again").
async fn pause_account(store: &Store, account_id: i64, reason: String, sink: &ProgressSink) {
    if store.pause_account(account_id, &reason).await.is_ok() {
        sink(SyncProgress::Paused { account_id, reason });
    }
}

enum IdleEnd {
    NewMail,
    Due,
    Woken,
    Stopped,
    /// The server has no IDLE or the connection failed: fall back to polling.
    Unavailable,
    /// The login was refused in a way only the user can fix (a revoked sign-in, a
    /// changed password): the account pauses now rather than at the next poll.
    NeedsUser(SyncError),
}

/// Holds an IDLE on Inbox until new mail, the deadline, a wake-up or a stop. Changes the
/// user makes meanwhile are pushed on a connection of their own while the IDLE goes on.
async fn idle_until(
    store: &Store,
    account_id: i64,
    deadline: Instant,
    signals: &Signals,
    sink: &ProgressSink,
    stopped: &mut watch::Receiver<bool>,
) -> IdleEnd {
    let Ok(account) = store.account(account_id).await else {
        return IdleEnd::Stopped;
    };
    let mut session = match open_session(store, &account).await {
        Ok(session) => session,
        Err(e) if e.needs_user() => return IdleEnd::NeedsUser(e),
        Err(_) => return IdleEnd::Unavailable,
    };
    let supports_idle = session
        .capabilities()
        .await
        .map(|c| c.has_str("IDLE"))
        .unwrap_or(false);
    if !supports_idle || session.examine("INBOX").await.is_err() {
        let _ = session.logout().await;
        return IdleEnd::Unavailable;
    }
    loop {
        let now = Instant::now();
        if now >= deadline {
            let _ = session.logout().await;
            return IdleEnd::Due;
        }
        let slice = (deadline - now).min(IDLE_REISSUE);
        let mut handle = session.idle();
        if handle.init().await.is_err() {
            return IdleEnd::Unavailable;
        }
        let outcome = {
            let (wait, interrupt) = handle.wait_with_timeout(slice);
            tokio::pin!(wait);
            let slice_end = Instant::now() + slice;
            let outcome = loop {
                tokio::select! {
                    r = &mut wait => break match r {
                        Ok(async_imap::extensions::idle::IdleResponse::NewData(_)) => Some(IdleEnd::NewMail),
                        Ok(_) => None,
                        Err(_) => Some(IdleEnd::Unavailable),
                    },
                    _ = tokio::time::sleep_until(slice_end) => break None,
                    _ = signals.wake.notified() => break Some(IdleEnd::Woken),
                    _ = stopped.changed() => break Some(IdleEnd::Stopped),
                    _ = signals.push.notified() => signals.push_now(store, account_id, sink).await,
                }
            };
            drop(interrupt);
            outcome
        };
        session = match handle.done().await {
            Ok(s) => s,
            Err(_) => return outcome.unwrap_or(IdleEnd::Unavailable),
        };
        if let Some(end) = outcome {
            let _ = session.logout().await;
            return end;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        assert_eq!(backoff(1, 0.5), Duration::from_secs(2));
        assert_eq!(backoff(2, 0.5), Duration::from_secs(4));
        assert_eq!(backoff(5, 0.5), Duration::from_secs(32));
        assert_eq!(backoff(30, 0.5), BACKOFF_MAX);
        assert_eq!(backoff(3, 0.0), Duration::from_secs(4));
        assert_eq!(backoff(3, 1.0), Duration::from_secs(12));
    }
}
