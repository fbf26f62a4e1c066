//! The sync engine against the harness Dovecot: flag changes and expunges reflected, a
//! message in three folders stored once, a UIDVALIDITY reset of one folder, unchanged
//! folders skipped, and new mail pushed through IDLE within 2 s of an SMTP send.

use std::{sync::Arc, time::Duration};

use futures::TryStreamExt;
use rapport_core::{
    imap::{self, ImapSession},
    net::{Security, ServerSettings},
    smtp,
    sync::{self, service::SyncScheduler, SyncProgress},
    Store,
};
use rapport_testkit::{seed::SeedSpec, MailServer};

const PASSWORD: &str = "Sync-pass-31";

mod common;

use common::{add_server_account, harness_trust as trust, ServerAccount as Fixture};

async fn fixture(
    user: &str,
    count: usize,
    folders: Option<Vec<String>>,
    before_add: impl AsyncFnOnce(&MailServer),
) -> Fixture {
    let server = MailServer::start().expect("harness");
    fixture_on(server, user, count, folders, before_add).await
}

async fn fixture_on(
    server: MailServer,
    user: &str,
    count: usize,
    folders: Option<Vec<String>>,
    before_add: impl AsyncFnOnce(&MailServer),
) -> Fixture {
    let spec = SeedSpec {
        owner: user.into(),
        owner_name: "Sync Tester".into(),
        count,
        seed: 5,
        newest: rapport_testkit::seed::now(),
        span_days: 60,
        sent_share_percent: 0,
    };
    add_server_account(server, spec, PASSWORD, folders, before_add).await
}

async fn session(f: &Fixture) -> ImapSession {
    f.session().await
}

fn quiet(_: SyncProgress) {}

async fn count(store: &Store, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(store.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn flag_changes_and_expunges_on_the_server_are_reflected() {
    // Dovecot offers QRESYNC: flags and expunges come from one CHANGEDSINCE/VANISHED FETCH.
    let f = fixture("flags@rapport.test", 30, None, async |_| {}).await;
    flags_and_expunges_follow_the_server(f).await;
}

#[tokio::test]
async fn without_condstore_flags_and_expunges_come_from_uid_scans() {
    let server =
        MailServer::start_with_imap_capability("IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT UIDPLUS MOVE NAMESPACE SPECIAL-USE")
            .expect("harness");
    let f = fixture_on(server, "plain@rapport.test", 30, None, async |_| {}).await;
    let mut s = session(&f).await;
    let caps = s.capabilities().await.unwrap();
    assert!(!caps.has_str("CONDSTORE") && !caps.has_str("QRESYNC"));
    let _ = s.logout().await;
    flags_and_expunges_follow_the_server(f).await;
}

async fn flags_and_expunges_follow_the_server(f: Fixture) {
    let first = sync::sync_account_once(&f.store, f.account_id, &quiet)
        .await
        .unwrap();
    assert_eq!(first.new_messages, 30);

    let mut s = session(&f).await;
    s.select("INBOX").await.unwrap();
    let _: Vec<_> = s
        .uid_store("1:3", "+FLAGS.SILENT (\\Flagged)")
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let _: Vec<_> = s
        .uid_store("4,5", "+FLAGS.SILENT (\\Deleted)")
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let _: Vec<_> = s
        .uid_expunge("4,5")
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let _ = s.logout().await;

    let second = sync::sync_account_once(&f.store, f.account_id, &quiet)
        .await
        .unwrap();
    assert_eq!(second.expunged, 2, "{second:?}");
    assert!(second.flags_changed >= 3, "{second:?}");
    assert_eq!(count(&f.store, "SELECT count(*) FROM message").await, 28);
    assert_eq!(
        count(&f.store, "SELECT count(*) FROM message_fts").await,
        28,
        "index follows deletes"
    );
    assert_eq!(
        count(&f.store, "SELECT count(*) FROM message WHERE flagged = 1").await,
        3
    );
    assert_eq!(
        f.store.account(f.account_id).await.unwrap().message_count,
        28
    );

    // Nothing changed since: every folder is skipped on STATUS alone.
    let third = sync::sync_account_once(&f.store, f.account_id, &quiet)
        .await
        .unwrap();
    assert_eq!(
        (third.new_messages, third.flags_changed, third.expunged),
        (0, 0, 0)
    );
    assert_eq!(third.unchanged_folders, 2, "{third:?}");
}

#[tokio::test]
async fn a_message_copied_into_three_folders_is_stored_once_with_three_locations() {
    let f = fixture(
        "copies@rapport.test",
        5,
        Some(vec!["INBOX".into(), "Archive".into(), "Projects".into()]),
        async |server: &MailServer| {
            let mut s = imap::login(
                &common::harness_imap(server),
                "copies@rapport.test",
                PASSWORD,
                &trust(server),
            )
            .await
            .unwrap();
            s.create("Projects").await.unwrap();
            s.select("INBOX").await.unwrap();
            s.uid_copy("1", "Archive").await.unwrap();
            s.uid_copy("1", "Projects").await.unwrap();
            let _ = s.logout().await;
        },
    )
    .await;
    let outcome = sync::sync_account_once(&f.store, f.account_id, &quiet)
        .await
        .unwrap();
    assert_eq!(outcome.new_messages, 5);
    assert_eq!(count(&f.store, "SELECT count(*) FROM message").await, 5);
    assert_eq!(
        count(&f.store, "SELECT count(*) FROM message_location").await,
        7
    );
    let most: i64 = count(
        &f.store,
        "SELECT max(n) FROM (SELECT count(*) AS n FROM message_location GROUP BY message_id)",
    )
    .await;
    assert_eq!(most, 3);
    assert_eq!(
        f.store.account(f.account_id).await.unwrap().message_count,
        5,
        "counted once"
    );
}

#[tokio::test]
async fn a_uidvalidity_change_resyncs_that_folder_alone() {
    let f = fixture(
        "uidvalidity@rapport.test",
        8,
        Some(vec!["INBOX".into(), "Projects".into()]),
        async |server: &MailServer| {
            let mut s = imap::login(
                &common::harness_imap(server),
                "uidvalidity@rapport.test",
                PASSWORD,
                &trust(server),
            )
            .await
            .unwrap();
            s.create("Projects").await.unwrap();
            s.select("INBOX").await.unwrap();
            s.uid_copy("1:3", "Projects").await.unwrap();
            let _ = s.logout().await;
        },
    )
    .await;
    sync::sync_account_once(&f.store, f.account_id, &quiet)
        .await
        .unwrap();
    let inbox_before = count(&f.store, "SELECT count(*) FROM message_location l JOIN folder f ON f.id = l.folder_id WHERE f.raw_name = 'INBOX'").await;
    assert_eq!(inbox_before, 8);

    // Recreating the folder gives it a new UIDVALIDITY, and here one more message.
    let mut s = session(&f).await;
    s.rename("Projects", "Projects-old").await.unwrap();
    s.create("Projects").await.unwrap();
    s.select("INBOX").await.unwrap();
    s.uid_copy("1:4", "Projects").await.unwrap();
    let _ = s.logout().await;

    let outcome = sync::sync_account_once(&f.store, f.account_id, &quiet)
        .await
        .unwrap();
    assert!(outcome.failed_folders.is_empty(), "{outcome:?}");
    let projects = count(&f.store, "SELECT count(*) FROM message_location l JOIN folder f ON f.id = l.folder_id WHERE f.raw_name = 'Projects'").await;
    assert_eq!(projects, 4);
    let inbox_after = count(&f.store, "SELECT count(*) FROM message_location l JOIN folder f ON f.id = l.folder_id WHERE f.raw_name = 'INBOX'").await;
    assert_eq!(inbox_after, 8, "Inbox untouched");
    assert_eq!(
        count(&f.store, "SELECT count(*) FROM message").await,
        8,
        "no duplicates"
    );
}

#[tokio::test]
async fn new_mail_arrives_through_idle_within_two_seconds() {
    let f = fixture("idle@rapport.test", 3, None, async |_| {}).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let scheduler = SyncScheduler::new(
        f.store.clone(),
        Arc::new(move |event| {
            let _ = tx.send(event);
        }),
    );
    scheduler.start(f.account_id).await;
    // Wait for the first pass to finish, then give the loop a moment to enter IDLE.
    loop {
        match tokio::time::timeout(Duration::from_secs(30), rx.recv())
            .await
            .expect("first pass")
            .unwrap()
        {
            SyncProgress::Finished { message_count, .. } => {
                assert_eq!(message_count, 3);
                break;
            }
            SyncProgress::Failed { message, .. } => panic!("{message}"),
            _ => {}
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    let smtp_server = ServerSettings {
        host: "localhost".into(),
        port: f.server.smtp_tls_port,
        security: Security::Tls,
    };
    let mut connection = smtp::login(&smtp_server, &f.user, PASSWORD, &trust(&f.server))
        .await
        .unwrap();
    let raw = b"From: Pushy Sender <pushy@example.com>\r\nTo: idle@rapport.test\r\nSubject: Pushed\r\nMessage-ID: <pushed-1@example.com>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\nNew mail.\r\n";
    let sent_at = std::time::Instant::now();
    smtp::send(&mut connection, &f.user, std::slice::from_ref(&f.user), raw)
        .await
        .unwrap();
    let _ = connection.quit().await;

    let deadline = sent_at + Duration::from_secs(2);
    loop {
        let stored: i64 = count(
            &f.store,
            "SELECT count(*) FROM message WHERE subject = 'Pushed'",
        )
        .await;
        if stored == 1 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the pushed message was not stored within 2 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!(
        "pushed message stored {} ms after the SMTP send",
        sent_at.elapsed().as_millis()
    );
    scheduler.shutdown().await;
}

#[tokio::test]
async fn a_wrong_password_pauses_the_account_with_the_reason() {
    let f = fixture("pause@rapport.test", 1, None, async |_| {}).await;
    // The password changes on the server: the saved one no longer works.
    f.server
        .add_user("pause@rapport.test", "changed-elsewhere")
        .unwrap();
    // Dovecot notices a changed passwd-file by its mtime, which has one-second resolution.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let scheduler = SyncScheduler::new(
        f.store.clone(),
        Arc::new(move |event| {
            let _ = tx.send(event);
        }),
    );
    scheduler.start(f.account_id).await;
    let reason = loop {
        let event = tokio::time::timeout(Duration::from_secs(30), rx.recv())
            .await
            .expect("an event")
            .unwrap();
        if let SyncProgress::Paused { reason, .. } = event {
            break reason;
        }
    };
    assert!(
        reason.contains("did not accept the user name or password"),
        "{reason}"
    );
    let account = f.store.account(f.account_id).await.unwrap();
    assert!(account.is_paused());
    assert_eq!(account.paused_reason.as_deref(), Some(reason.as_str()));
    scheduler.shutdown().await;
}

#[tokio::test]
async fn attachments_download_when_opened_and_then_work_offline() {
    let f = fixture("files@rapport.test", 80, None, async |_| {}).await;
    sync::sync_account_once(&f.store, f.account_id, &quiet)
        .await
        .unwrap();
    let attachments: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT a.id, a.message_id, a.filename FROM attachment a WHERE a.filename LIKE '%.csv' ORDER BY a.id",
    )
    .fetch_all(f.store.pool())
    .await
    .unwrap();
    assert!(attachments.len() >= 2, "the seed has CSV attachments");
    let data_dir = f.data.path().to_path_buf();
    let (first_id, first_message, _) = attachments[0].clone();
    let listed = rapport_core::attachments::list_for_message(&f.store, first_message)
        .await
        .unwrap();
    assert!(listed.iter().any(|a| a.id == first_id && !a.cached));

    let path = rapport_core::attachments::open(&f.store, &data_dir, first_id)
        .await
        .unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert!(
        bytes.starts_with(b"item;qty;price"),
        "decoded from base64: {:?}",
        String::from_utf8_lossy(&bytes)
    );
    assert!(path.starts_with(rapport_core::attachments::cache_dir(&data_dir)));

    // The second message's attachment is deleted on the server before it was ever opened.
    let (second_id, second_message, _) = attachments[1].clone();
    let (uid, folder): (i64, String) = sqlx::query_as(
        "SELECT l.uid, f.raw_name FROM message_location l JOIN folder f ON f.id = l.folder_id WHERE l.message_id = ?",
    )
    .bind(second_message)
    .fetch_one(f.store.pool())
    .await
    .unwrap();
    let mut s = session(&f).await;
    s.select(&folder).await.unwrap();
    let _: Vec<_> = s
        .uid_store(uid.to_string(), "+FLAGS.SILENT (\\Deleted)")
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let _: Vec<_> = s
        .uid_expunge(uid.to_string())
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let _ = s.logout().await;
    let gone = rapport_core::attachments::open(&f.store, &data_dir, second_id)
        .await
        .unwrap_err();
    assert!(
        matches!(
            gone,
            rapport_core::attachments::AttachmentError::GoneFromServer
        ),
        "{gone:?}"
    );
    assert!(gone.to_string().contains("no longer on the server"));

    // With the server gone entirely, the opened attachment still opens from the cache.
    let Fixture {
        server,
        store,
        data,
        ..
    } = f;
    drop(server);
    let again = rapport_core::attachments::open(&store, data.path(), first_id)
        .await
        .unwrap();
    assert_eq!(again, path);
}
