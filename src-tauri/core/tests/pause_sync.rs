//! "Pause sync" in the tray: a paused scheduler starts no account loop until resumed.

use std::{sync::Arc, time::Duration};

use rapport_core::sync::{service::SyncScheduler, ProgressSink, SyncProgress};
use tokio::sync::mpsc;

mod common;

#[tokio::test]
async fn a_paused_scheduler_starts_no_loop_until_resumed() {
    let dir = tempfile::tempdir().unwrap();
    let (store, inbox, _) = common::account_with_inbox_and_archive(dir.path()).await;
    let (events, mut received) = mpsc::unbounded_channel();
    let sink: Arc<ProgressSink> = Arc::new(move |event: SyncProgress| {
        let _ = events.send(event);
    });
    let scheduler = SyncScheduler::new(store, sink);
    scheduler.pause_all().await;
    assert!(scheduler.is_paused());
    scheduler.start_all().await.unwrap();
    scheduler.wake(inbox.account_id).await;
    let nothing = tokio::time::timeout(Duration::from_millis(500), received.recv()).await;
    assert!(nothing.is_err(), "a loop ran while paused: {nothing:?}");

    scheduler.resume_all().await.unwrap();
    assert!(!scheduler.is_paused());
    let started = tokio::time::timeout(Duration::from_secs(5), received.recv())
        .await
        .expect("the loop starts once resumed");
    assert_eq!(
        started,
        Some(SyncProgress::Started {
            account_id: inbox.account_id
        })
    );
    scheduler.shutdown().await;
}
