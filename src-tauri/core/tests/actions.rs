//! The user's actions against the harness Dovecot: read and flag marks reach the server,
//! archive and delete move the message there and the local location follows, a move to a
//! folder deleted meanwhile is rolled back, actions taken offline wait in the queue and
//! go out later, a sync pass between the action and its push does not undo it, and the
//! fallback for servers without MOVE/UIDPLUS (a plain EXPUNGE only when it removes nothing
//! another client merely marked deleted).

use futures::TryStreamExt;
use rapport_core::{
    actions::{self, ActionKind, MessageAction, ServerAbilities},
    imap::ImapSession,
    store::MessageView,
    sync::{self, SyncProgress},
    Store,
};
use rapport_testkit::{seed::SeedSpec, MailServer};

const PASSWORD: &str = "Actions-pass-62";

mod common;

use common::{add_server_account, ServerAccount as Fixture};

fn quiet(_: SyncProgress) {}

async fn fixture(user: &str, count: usize) -> Fixture {
    let spec = SeedSpec {
        owner: user.into(),
        owner_name: "Action Tester".into(),
        count,
        seed: 11,
        newest: rapport_testkit::seed::now(),
        span_days: 30,
        sent_share_percent: 0,
    };
    let f = add_server_account(
        MailServer::start().expect("harness"),
        spec,
        PASSWORD,
        None,
        async |_| {},
    )
    .await;
    let first = sync::sync_account_once(&f.store, f.account_id, &quiet)
        .await
        .unwrap();
    assert_eq!(first.new_messages, count as u64);
    f
}

async fn session(f: &Fixture) -> ImapSession {
    f.session().await
}

/// A stored Inbox message: (message id, Message-ID header, seen).
async fn inbox_messages(store: &Store) -> Vec<(i64, String, bool)> {
    sqlx::query_as(
        "SELECT m.id, m.message_id, m.seen FROM message m JOIN message_location l ON l.message_id = m.id \
         JOIN folder f ON f.id = l.folder_id WHERE f.role = 'inbox' ORDER BY m.date DESC",
    )
    .fetch_all(store.pool())
    .await
    .unwrap()
}

async fn folder_id(store: &Store, raw_name: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM folder WHERE raw_name = ?")
        .bind(raw_name)
        .fetch_one(store.pool())
        .await
        .unwrap()
}

/// Where the store has the message: (folder raw name, UIDVALIDITY, UID).
async fn local_locations(store: &Store, message_id: i64) -> Vec<(String, i64, i64)> {
    sqlx::query_as(
        "SELECT f.raw_name, l.uidvalidity, l.uid FROM message_location l JOIN folder f ON f.id = l.folder_id \
         WHERE l.message_id = ? ORDER BY f.raw_name",
    )
    .bind(message_id)
    .fetch_all(store.pool())
    .await
    .unwrap()
}

/// The server's (UIDVALIDITY, UID, flags) of the message with this Message-ID in `folder`.
async fn on_server(
    s: &mut ImapSession,
    folder: &str,
    message_id: &str,
) -> Option<(u32, u32, String)> {
    let mailbox = s.examine(folder).await.unwrap();
    let uids = s
        .uid_search(format!("HEADER Message-ID \"<{message_id}>\""))
        .await
        .unwrap();
    let uid = uids.into_iter().max()?;
    let fetches: Vec<_> = s
        .uid_fetch(uid.to_string(), "(UID FLAGS)")
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let flags = fetches
        .iter()
        .flat_map(|f| f.flags())
        .map(|flag| format!("{flag:?}"))
        .collect::<Vec<_>>()
        .join(" ");
    Some((mailbox.uid_validity.unwrap(), uid, flags))
}

fn act(kind: ActionKind, message_ids: Vec<i64>, view: MessageView) -> MessageAction {
    MessageAction {
        kind,
        message_ids,
        thread_ids: Vec::new(),
        view,
        target_folder_id: None,
    }
}

async fn push(f: &Fixture) -> actions::PushReport {
    sync::push_account_changes(&f.store, f.account_id, &quiet)
        .await
        .unwrap()
}

async fn queued(store: &Store, account_id: i64) -> usize {
    store.pending_changes(account_id).await.unwrap().len()
}

#[tokio::test]
async fn read_and_flag_marks_reach_the_server() {
    let f = fixture("marks@rapport.test", 12).await;
    let messages = inbox_messages(&f.store).await;
    let (unread, unread_mid, _) = messages
        .iter()
        .find(|m| !m.2)
        .cloned()
        .expect("an unread message");
    let (other, other_mid, _) = messages.iter().find(|m| m.0 != unread).cloned().unwrap();

    let outcome = actions::apply(
        &f.store,
        &act(ActionKind::MarkRead, vec![unread], MessageView::Inbox),
    )
    .await
    .unwrap();
    assert_eq!(
        (outcome.changed, outcome.accounts.clone()),
        (1, vec![f.account_id])
    );
    actions::apply(
        &f.store,
        &act(ActionKind::Flag, vec![other], MessageView::Inbox),
    )
    .await
    .unwrap();
    assert_eq!(queued(&f.store, f.account_id).await, 2);

    let report = push(&f).await;
    assert_eq!((report.applied, report.waiting), (2, 0), "{report:?}");
    let mut s = session(&f).await;
    let (_, _, flags) = on_server(&mut s, "INBOX", &unread_mid).await.unwrap();
    assert!(flags.contains("Seen"), "{flags}");
    let (_, _, flags) = on_server(&mut s, "INBOX", &other_mid).await.unwrap();
    assert!(flags.contains("Flagged"), "{flags}");

    // And back: unread and unflagged on the server too.
    actions::apply(
        &f.store,
        &act(ActionKind::MarkUnread, vec![unread], MessageView::Inbox),
    )
    .await
    .unwrap();
    actions::apply(
        &f.store,
        &act(ActionKind::Unflag, vec![other], MessageView::Inbox),
    )
    .await
    .unwrap();
    push(&f).await;
    let (_, _, flags) = on_server(&mut s, "INBOX", &unread_mid).await.unwrap();
    assert!(!flags.contains("Seen"), "{flags}");
    let (_, _, flags) = on_server(&mut s, "INBOX", &other_mid).await.unwrap();
    assert!(!flags.contains("Flagged"), "{flags}");
    let _ = s.logout().await;
    assert_eq!(queued(&f.store, f.account_id).await, 0);
}

#[tokio::test]
async fn archive_moves_the_message_on_the_server_and_the_local_location_follows() {
    let f = fixture("archive@rapport.test", 10).await;
    let (id, mid, _) = inbox_messages(&f.store).await[0].clone();
    let inbox = folder_id(&f.store, "INBOX").await;

    let inbox_count = |store: Store| async move {
        sqlx::query_scalar::<_, i64>("SELECT message_count FROM folder WHERE id = ?")
            .bind(inbox)
            .fetch_one(store.pool())
            .await
            .unwrap()
    };
    let before = inbox_count(f.store.clone()).await;
    actions::apply(
        &f.store,
        &act(ActionKind::Archive, vec![id], MessageView::Inbox),
    )
    .await
    .unwrap();
    // At once, before the server knows: shown in Archive, gone from Inbox.
    let local = local_locations(&f.store, id).await;
    assert_eq!(local.len(), 1);
    assert_eq!(local[0].0, "Archive");

    let report = push(&f).await;
    assert_eq!(report.applied, 1, "{report:?}");
    let mut s = session(&f).await;
    assert_eq!(on_server(&mut s, "INBOX", &mid).await, None);
    let (validity, uid, _) = on_server(&mut s, "Archive", &mid)
        .await
        .expect("in Archive");
    let _ = s.logout().await;
    assert_eq!(
        local_locations(&f.store, id).await,
        [("Archive".to_owned(), i64::from(validity), i64::from(uid))],
        "the placeholder took the server's UID"
    );

    // The next pass agrees: nothing comes back to Inbox, nothing is stored twice.
    let outcome = sync::sync_account_once(&f.store, f.account_id, &quiet)
        .await
        .unwrap();
    assert!(outcome.failed_folders.is_empty(), "{outcome:?}");
    assert_eq!(local_locations(&f.store, id).await.len(), 1);
    assert_eq!(inbox_count(f.store.clone()).await, before - 1);
    // Counts kept in step through placeholder and resolution.
    for folder in ["INBOX", "Archive"] {
        let (kept, counted): (i64, i64) = sqlx::query_as(
            "SELECT f.unread_count, (SELECT count(*) FROM message_location l WHERE l.folder_id = f.id \
             AND instr(l.flags, '\\Seen') = 0) FROM folder f WHERE f.raw_name = ?",
        )
        .bind(folder)
        .fetch_one(f.store.pool())
        .await
        .unwrap();
        assert_eq!(kept, counted, "{folder}");
    }
}

#[tokio::test]
async fn delete_moves_to_trash_and_deleting_in_trash_removes_it_for_good() {
    let f = fixture("trash@rapport.test", 6).await;
    let (id, mid, _) = inbox_messages(&f.store).await[0].clone();
    actions::apply(
        &f.store,
        &act(ActionKind::Trash, vec![id], MessageView::Inbox),
    )
    .await
    .unwrap();
    push(&f).await;
    let mut s = session(&f).await;
    assert_eq!(on_server(&mut s, "INBOX", &mid).await, None);
    assert!(on_server(&mut s, "Trash", &mid).await.is_some());
    assert_eq!(local_locations(&f.store, id).await[0].0, "Trash");

    // Deleting for good is for Trash only.
    let refused = actions::apply(
        &f.store,
        &act(ActionKind::DeleteForever, vec![id], MessageView::Inbox),
    )
    .await;
    assert!(
        refused.is_ok(),
        "nothing of it is in Inbox, so nothing to refuse"
    );
    let trash = folder_id(&f.store, "Trash").await;
    actions::apply(
        &f.store,
        &act(
            ActionKind::DeleteForever,
            vec![id],
            MessageView::Folder(trash),
        ),
    )
    .await
    .unwrap();
    let report = push(&f).await;
    assert_eq!(report.applied, 1, "{report:?}");
    assert_eq!(on_server(&mut s, "Trash", &mid).await, None);
    let _ = s.logout().await;
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM message WHERE id = ?")
        .bind(id)
        .fetch_one(f.store.pool())
        .await
        .unwrap();
    assert_eq!(left, 0);
    let (other, ..) = inbox_messages(&f.store).await[0].clone();
    let wrong = actions::apply(
        &f.store,
        &act(ActionKind::DeleteForever, vec![other], MessageView::Inbox),
    )
    .await;
    assert!(
        matches!(wrong, Err(actions::ActionError::NotInTrash)),
        "{wrong:?}"
    );
}

#[tokio::test]
async fn actions_taken_offline_wait_in_the_queue_and_go_out_later() {
    let f = fixture("offline@rapport.test", 8).await;
    let messages = inbox_messages(&f.store).await;
    let (unread, unread_mid, _) = messages
        .iter()
        .find(|m| !m.2)
        .cloned()
        .expect("an unread message");
    let (archived, archived_mid, _) = messages.iter().find(|m| m.0 != unread).cloned().unwrap();
    // The server becomes unreachable: nothing listens on the account's port any more.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    sqlx::query("UPDATE account SET imap_port = ? WHERE id = ?")
        .bind(i64::from(closed_port))
        .bind(f.account_id)
        .execute(f.store.pool())
        .await
        .unwrap();

    actions::apply(
        &f.store,
        &act(ActionKind::MarkRead, vec![unread], MessageView::Inbox),
    )
    .await
    .unwrap();
    actions::apply(
        &f.store,
        &act(ActionKind::Archive, vec![archived], MessageView::Inbox),
    )
    .await
    .unwrap();
    let report = push(&f).await;
    assert_eq!((report.applied, report.waiting), (0, 2), "{report:?}");
    assert!(report.error.is_some());
    let summary = f.store.pending_summary().await.unwrap();
    assert_eq!(summary.len(), 1);
    assert_eq!(summary[0].waiting, 2);
    assert!(summary[0].last_error.is_some(), "{summary:?}");
    // Locally the actions stand meanwhile.
    assert_eq!(local_locations(&f.store, archived).await[0].0, "Archive");

    // Back online: the next pass sends them.
    sqlx::query("UPDATE account SET imap_port = ? WHERE id = ?")
        .bind(i64::from(f.server.imap_tls_port))
        .bind(f.account_id)
        .execute(f.store.pool())
        .await
        .unwrap();
    sync::sync_account_once(&f.store, f.account_id, &quiet)
        .await
        .unwrap();
    assert_eq!(queued(&f.store, f.account_id).await, 0);
    let mut s = session(&f).await;
    let (_, _, flags) = on_server(&mut s, "INBOX", &unread_mid).await.unwrap();
    assert!(flags.contains("Seen"), "{flags}");
    assert_eq!(on_server(&mut s, "INBOX", &archived_mid).await, None);
    assert!(on_server(&mut s, "Archive", &archived_mid).await.is_some());
    let _ = s.logout().await;
}

#[tokio::test]
async fn a_sync_pass_between_the_action_and_its_push_does_not_undo_it() {
    let f = fixture("race@rapport.test", 10).await;
    let messages = inbox_messages(&f.store).await;
    let (read, read_mid, _) = messages
        .iter()
        .find(|m| !m.2)
        .cloned()
        .expect("an unread message");
    let (moved, moved_mid, _) = messages.iter().find(|m| m.0 != read).cloned().unwrap();
    let (gone, gone_mid, _) = messages
        .iter()
        .find(|m| m.0 != read && m.0 != moved)
        .cloned()
        .unwrap();
    actions::apply(
        &f.store,
        &act(ActionKind::MarkRead, vec![read], MessageView::Inbox),
    )
    .await
    .unwrap();
    actions::apply(
        &f.store,
        &act(ActionKind::Archive, vec![moved], MessageView::Inbox),
    )
    .await
    .unwrap();

    // Meanwhile another client flags the message read here (so the pass's flag scan
    // reports it, still unread) and expunges a third one (so the expunge diff runs).
    let mut s = session(&f).await;
    let (_, read_uid, _) = on_server(&mut s, "INBOX", &read_mid).await.unwrap();
    let (_, gone_uid, _) = on_server(&mut s, "INBOX", &gone_mid).await.unwrap();
    s.select("INBOX").await.unwrap();
    let _: Vec<_> = s
        .uid_store(read_uid.to_string(), "+FLAGS.SILENT (\\Flagged)")
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let _: Vec<_> = s
        .uid_store(gone_uid.to_string(), "+FLAGS.SILENT (\\Deleted)")
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let _: Vec<_> = s
        .uid_expunge(gone_uid.to_string())
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();

    // The pass scans flags and expunges first and pushes last (see sync::run_pass).
    let outcome = sync::sync_account_once(&f.store, f.account_id, &quiet)
        .await
        .unwrap();
    assert_eq!(outcome.expunged, 1, "{outcome:?}");
    assert!(outcome.flags_changed >= 1, "{outcome:?}");
    let (seen, flagged): (bool, bool) =
        sqlx::query_as("SELECT seen, flagged FROM message WHERE id = ?")
            .bind(read)
            .fetch_one(f.store.pool())
            .await
            .unwrap();
    assert!(seen, "the read mark survived the flag scan");
    assert!(flagged, "and the other client's flag arrived");
    let local = local_locations(&f.store, moved).await;
    assert_eq!(local.len(), 1, "{local:?}");
    assert_eq!(local[0].0, "Archive");
    assert!(local[0].2 > 0, "settled on the server's UID");
    assert!(local_locations(&f.store, gone).await.is_empty());

    let (_, _, flags) = on_server(&mut s, "INBOX", &read_mid).await.unwrap();
    assert!(
        flags.contains("Seen") && flags.contains("Flagged"),
        "{flags}"
    );
    assert_eq!(on_server(&mut s, "INBOX", &moved_mid).await, None);
    assert!(on_server(&mut s, "Archive", &moved_mid).await.is_some());
    let _ = s.logout().await;

    // And one more pass changes nothing.
    let again = sync::sync_account_once(&f.store, f.account_id, &quiet)
        .await
        .unwrap();
    assert_eq!((again.new_messages, again.expunged), (0, 0), "{again:?}");
    assert_eq!(local_locations(&f.store, moved).await, local);
}

#[tokio::test]
async fn a_move_into_a_folder_deleted_meanwhile_is_rolled_back() {
    let f = fixture("rollback@rapport.test", 5).await;
    let mut s = session(&f).await;
    s.create("Projects").await.unwrap();
    sync::sync_account_once(&f.store, f.account_id, &quiet)
        .await
        .unwrap();
    let projects = folder_id(&f.store, "Projects").await;
    let (id, mid, _) = inbox_messages(&f.store).await[0].clone();
    let mut action = act(ActionKind::Move, vec![id], MessageView::Inbox);
    action.target_folder_id = Some(projects);
    actions::apply(&f.store, &action).await.unwrap();
    assert_eq!(local_locations(&f.store, id).await[0].0, "Projects");

    s.delete("Projects").await.unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let report = sync::push_account_changes(&f.store, f.account_id, &move |event| {
        let _ = tx.send(event);
    })
    .await
    .unwrap();
    assert_eq!(report.rolled_back.len(), 1, "{report:?}");
    let sentence = &report.rolled_back[0];
    assert!(
        sentence.contains("Projects is no longer on the server")
            && sentence.contains("back in INBOX"),
        "{sentence}"
    );
    match rx.recv().await {
        Some(SyncProgress::Changes { rolled_back, .. }) => {
            assert_eq!(&rolled_back, &report.rolled_back)
        }
        other => panic!("{other:?}"),
    }
    let local = local_locations(&f.store, id).await;
    assert_eq!(local.len(), 1);
    assert_eq!(local[0].0, "INBOX");
    assert!(on_server(&mut s, "INBOX", &mid).await.is_some());
    assert_eq!(queued(&f.store, f.account_id).await, 0);
    let _ = s.logout().await;
}

/// Archives `id` through a push that may use neither MOVE nor UIDPLUS.
async fn archive_without_move_and_uidplus(f: &Fixture, id: i64) {
    actions::apply(
        &f.store,
        &act(ActionKind::Archive, vec![id], MessageView::Inbox),
    )
    .await
    .unwrap();
    let account = f.store.account(f.account_id).await.unwrap();
    let mut s = sync::open_session(&f.store, &account).await.unwrap();
    let plain = ServerAbilities {
        uid_move: false,
        uidplus: false,
    };
    let report = actions::push_pending(&f.store, &account, &mut s, plain)
        .await
        .unwrap();
    assert_eq!(report.applied, 1, "{report:?}");
    let _ = s.logout().await;
}

#[tokio::test]
async fn without_move_and_uidplus_a_move_is_found_by_message_id_and_expunged_only_alone() {
    let f = fixture("plain@rapport.test", 4).await;
    let (id, mid, _) = inbox_messages(&f.store).await[0].clone();
    archive_without_move_and_uidplus(&f, id).await;

    let mut s = session(&f).await;
    let (validity, uid, _) = on_server(&mut s, "Archive", &mid).await.expect("copied");
    // Nothing else in Inbox was marked deleted, so a plain EXPUNGE removed only this one.
    assert_eq!(on_server(&mut s, "INBOX", &mid).await, None);
    assert_eq!(
        local_locations(&f.store, id).await,
        [("Archive".to_owned(), i64::from(validity), i64::from(uid))]
    );

    // Another client marked a message deleted without expunging it: a plain EXPUNGE
    // would take that one too, so the archived original is only marked.
    let (theirs, their_mid, _) = inbox_messages(&f.store).await[0].clone();
    let (_, their_uid, _) = on_server(&mut s, "INBOX", &their_mid).await.unwrap();
    s.select("INBOX").await.unwrap();
    let _: Vec<_> = s
        .uid_store(their_uid.to_string(), "+FLAGS.SILENT (\\Deleted)")
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let (mine, my_mid, _) = inbox_messages(&f.store).await[1].clone();
    assert_ne!(mine, theirs);
    archive_without_move_and_uidplus(&f, mine).await;
    assert!(on_server(&mut s, "Archive", &my_mid).await.is_some());
    let (_, _, flags) = on_server(&mut s, "INBOX", &my_mid)
        .await
        .expect("still there");
    assert!(flags.contains("Deleted"), "{flags}");
    let (_, _, flags) = on_server(&mut s, "INBOX", &their_mid)
        .await
        .expect("the other client's message is not expunged");
    assert!(flags.contains("Deleted"), "{flags}");
    let _ = s.logout().await;
}
