//! Sending through the harness Postfix: the message arrives with the right headers,
//! threading and attachments; Bcc reaches its recipient without showing; the Sent copy
//! exists once on the server and once locally, in the recipient's timeline at once; the
//! outbox keeps a message while SMTP is down and delivers it exactly once when it is back,
//! across a restart of the app and after a send interrupted half-way; a copy into Sent
//! that failed or was cut off is saved later, once; replies thread onto what they answer;
//! template placeholders are filled from a contact.

use std::time::Duration;

use futures::TryStreamExt;
use rapport_core::{
    compose::{self, template, Draft, ReplyKind},
    mime,
    outbox::{self, Delivery},
    sync::{self, SyncProgress},
    Store,
};
use rapport_testkit::{seed::SeedSpec, MailServer};

mod common;

use common::{add_server_account, harness_imap, harness_trust, ServerAccount};

const PASSWORD: &str = "Send-pass-19";
const BOB: &str = "bob@rapport.test";
const DAVE: &str = "dave@acme.test";

fn quiet(_: SyncProgress) {}

async fn fixture(user: &str) -> ServerAccount {
    let spec = SeedSpec {
        owner: user.into(),
        owner_name: "Alice Sender".into(),
        count: 0,
        seed: 3,
        newest: rapport_testkit::seed::now(),
        span_days: 10,
        sent_share_percent: 0,
    };
    let f = add_server_account(
        MailServer::start().expect("harness"),
        spec,
        PASSWORD,
        None,
        async |server| {
            server.add_user(BOB, PASSWORD).expect("bob");
            server.add_user(DAVE, PASSWORD).expect("dave");
        },
    )
    .await;
    sync::sync_account_once(&f.store, f.account_id, &quiet)
        .await
        .expect("first sync");
    f
}

/// Every message in `user`'s `folder` whose Message-ID is `message_id`, raw.
async fn messages_with_id(
    server: &MailServer,
    user: &str,
    folder: &str,
    message_id: &str,
) -> Vec<Vec<u8>> {
    let mut session = rapport_core::imap::login(
        &harness_imap(server),
        user,
        PASSWORD,
        &harness_trust(server),
    )
    .await
    .expect("login");
    session.select(folder).await.expect("select");
    let uids = session
        .uid_search(format!("HEADER Message-ID \"<{message_id}>\""))
        .await
        .expect("search");
    let mut out = Vec::new();
    for uid in uids {
        let fetched: Vec<_> = session
            .uid_fetch(uid.to_string(), "BODY.PEEK[]")
            .await
            .expect("fetch")
            .try_collect()
            .await
            .expect("fetch stream");
        for f in fetched {
            out.push(f.body().expect("body").to_vec());
        }
    }
    let _ = session.logout().await;
    out
}

/// Waits for Postfix to hand the message to Dovecot (LMTP takes a fraction of a second).
async fn delivered(server: &MailServer, user: &str, message_id: &str) -> Vec<Vec<u8>> {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let found = messages_with_id(server, user, "INBOX", message_id).await;
        if !found.is_empty() || std::time::Instant::now() > deadline {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn scalar(store: &Store, sql: &'static str, bind: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(bind)
        .fetch_one(store.pool())
        .await
        .expect(sql)
}

#[tokio::test]
async fn a_sent_message_arrives_with_headers_attachments_and_one_sent_copy() {
    let f = fixture("alice@rapport.test").await;
    let attachment_dir = tempfile::tempdir().unwrap();
    let attachment = attachment_dir.path().join("offer.pdf");
    std::fs::write(&attachment, b"%PDF-1.4 pretend offer").unwrap();
    let draft = Draft {
        account_id: f.account_id,
        to: vec![format!("Bob Builder <{BOB}>")],
        cc: vec![],
        bcc: vec![DAVE.into()],
        subject: "Offer for Q1".into(),
        html: "<p>Hello <b>Bob</b>,</p><p>the offer is attached. <img src=\"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==\"></p>".into(),
        attachments: vec![attachment],
        in_reply_to: Some("earlier-1@example.com".into()),
        references: vec!["root-0@example.com".into()],
    };
    let queued = outbox::queue(&f.store, &draft).await.expect("queued");
    let results = outbox::deliver_due(&f.store).await.expect("round");
    assert_eq!(
        results,
        vec![Delivery::Sent {
            id: queued.outbox_id
        }],
        "{}",
        f.server.log_tail(20)
    );

    let received = delivered(&f.server, BOB, &queued.message_id).await;
    assert_eq!(received.len(), 1, "{}", f.server.log_tail(20));
    let raw = &received[0];
    let parsed = mime::parse(raw, None);
    assert_eq!(parsed.subject, "Offer for Q1");
    assert_eq!(parsed.in_reply_to.as_deref(), Some("earlier-1@example.com"));
    assert_eq!(
        parsed.references,
        vec!["root-0@example.com", "earlier-1@example.com"]
    );
    assert!(
        parsed.text.contains("the offer is attached"),
        "{}",
        parsed.text
    );
    assert!(parsed.html.as_deref().unwrap_or("").contains("<b>Bob</b>"));
    let names: Vec<&str> = parsed
        .attachments
        .iter()
        .map(|a| a.filename.as_str())
        .collect();
    assert!(names.contains(&"offer.pdf"), "{names:?}");
    assert!(
        parsed
            .attachments
            .iter()
            .any(|a| a.is_inline && a.mime_type == "image/png"),
        "the pasted image travels as an inline part"
    );
    let text = String::from_utf8_lossy(raw);
    assert!(
        !text.to_ascii_lowercase().contains("\nbcc:"),
        "Bcc must not reach recipients"
    );
    assert!(
        text.contains("From: \"Alice Sender\" <alice@rapport.test>")
            || text.contains("From: Alice Sender <alice@rapport.test>"),
        "{text}"
    );
    // Bcc delivered, unseen by the others.
    assert_eq!(
        delivered(&f.server, DAVE, &queued.message_id).await.len(),
        1
    );

    // One copy in Sent on the server (with the Bcc for the sender's eyes) ...
    let sent = messages_with_id(&f.server, &f.user, "Sent", &queued.message_id).await;
    assert_eq!(sent.len(), 1);
    assert!(String::from_utf8_lossy(&sent[0]).contains(DAVE));
    // ... and one locally, already in Bob's timeline, that a sync of Sent does not double.
    let bob = f
        .store
        .contact_id_for(BOB)
        .await
        .unwrap()
        .expect("Bob became a contact from mail I sent");
    let timeline = f.store.timeline(BOB).await.unwrap();
    assert_eq!(timeline.len(), 1, "in Bob's timeline at once");
    let _ = bob;
    sync::sync_account_once(&f.store, f.account_id, &quiet)
        .await
        .expect("sync after send");
    let id = queued.message_id.to_lowercase();
    assert_eq!(
        scalar(
            &f.store,
            "SELECT count(*) FROM message WHERE message_id = ?",
            &id
        )
        .await,
        1
    );
    assert_eq!(
        scalar(
            &f.store,
            "SELECT count(*) FROM message_location l JOIN message m ON m.id = l.message_id WHERE m.message_id = ?",
            &id
        )
        .await,
        1,
        "the sync of Sent finds the copy already stored"
    );
    assert_eq!(
        f.store
            .outbox_entry(queued.outbox_id)
            .await
            .unwrap()
            .copy_state,
        "done"
    );
}

#[tokio::test]
async fn the_outbox_waits_for_smtp_and_delivers_exactly_once_across_a_restart() {
    let f = fixture("carol@rapport.test").await;
    f.server.stop_smtp().expect("stop smtp");
    let draft = Draft {
        account_id: f.account_id,
        to: vec![BOB.into()],
        subject: "Queued while offline".into(),
        html: "<p>Written on a train.</p>".into(),
        ..Draft::default()
    };
    let queued = outbox::queue(&f.store, &draft).await.expect("queued");
    let results = outbox::deliver_due(&f.store).await.expect("round");
    assert!(
        matches!(&results[..], [Delivery::Retrying { id, .. }] if *id == queued.outbox_id),
        "{results:?}"
    );
    let entry = f.store.outbox_entry(queued.outbox_id).await.unwrap();
    assert_eq!(entry.state, "queued");
    assert!(entry.last_error.is_some_and(|e| e.contains("refused")));
    // Not due yet: another round sends nothing.
    assert!(outbox::deliver_due(&f.store).await.unwrap().is_empty());

    // The app quits and starts again; the server comes back meanwhile.
    f.store.close().await;
    let store = Store::open(f.data.path()).await.expect("reopen");
    f.server.start_smtp().expect("start smtp");
    assert_eq!(store.recover_interrupted_outgoing().await.unwrap(), 0);
    store.retry_outgoing_now(queued.outbox_id).await.unwrap();
    let results = outbox::deliver_due(&store)
        .await
        .expect("round after restart");
    assert_eq!(
        results,
        vec![Delivery::Sent {
            id: queued.outbox_id
        }]
    );
    assert!(outbox::deliver_due(&store).await.unwrap().is_empty());
    assert_eq!(delivered(&f.server, BOB, &queued.message_id).await.len(), 1);

    // A crash after the server took it but before the outbox heard: the next start
    // finds the message in Sent and does not send it again.
    sqlx::query("UPDATE outbox SET state = 'sending' WHERE id = ?")
        .bind(queued.outbox_id)
        .execute(store.pool())
        .await
        .unwrap();
    assert_eq!(store.recover_interrupted_outgoing().await.unwrap(), 1);
    let results = outbox::deliver_due(&store).await.unwrap();
    assert_eq!(
        results,
        vec![Delivery::AlreadySent {
            id: queued.outbox_id
        }]
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(delivered(&f.server, BOB, &queued.message_id).await.len(), 1);
    assert_eq!(
        messages_with_id(&f.server, &f.user, "Sent", &queued.message_id)
            .await
            .len(),
        1
    );
}

async fn copy_state(store: &Store, id: i64) -> (String, i64, Option<String>) {
    sqlx::query_as("SELECT copy_state, copy_attempts, last_error FROM outbox WHERE id = ?")
        .bind(id)
        .fetch_one(store.pool())
        .await
        .expect("outbox row")
}

#[tokio::test]
async fn a_sent_copy_that_failed_or_was_cut_off_is_saved_later_exactly_once() {
    let f = fixture("erin@rapport.test").await;
    // The server refuses the copy: here, the Sent folder Rapport knows is gone.
    let set_sent_name = async |name: &str| {
        sqlx::query("UPDATE folder SET raw_name = ? WHERE account_id = ? AND role = 'sent'")
            .bind(name)
            .bind(f.account_id)
            .execute(f.store.pool())
            .await
            .expect("rename Sent");
    };
    set_sent_name("Sent-removed").await;
    let draft = Draft {
        account_id: f.account_id,
        to: vec![BOB.into()],
        subject: "Copy later".into(),
        html: "<p>The copy comes later.</p>".into(),
        ..Draft::default()
    };
    let queued = outbox::queue(&f.store, &draft).await.expect("queued");
    let id = queued.outbox_id;
    let results = outbox::deliver_due(&f.store).await.expect("round");
    assert_eq!(results, vec![Delivery::Sent { id }]);
    assert_eq!(delivered(&f.server, BOB, &queued.message_id).await.len(), 1);
    let (state, attempts, note) = copy_state(&f.store, id).await;
    assert_eq!((state.as_str(), attempts), ("failed", 1));
    assert!(
        note.as_deref().unwrap_or("").contains("could not be saved"),
        "{note:?}"
    );
    // The user sees it even once the message is old news.
    sqlx::query("UPDATE outbox SET sent_at = sent_at - 3 * 86400 WHERE id = ?")
        .bind(id)
        .execute(f.store.pool())
        .await
        .unwrap();
    let listed = f.store.outbox_entries(24 * 3600).await.unwrap();
    assert!(listed
        .iter()
        .any(|e| e.id == id && e.copy_state == "failed"));
    // Backoff: the next round does not try again at once, and never sends twice.
    assert!(outbox::deliver_due(&f.store).await.unwrap().is_empty());
    assert_eq!(copy_state(&f.store, id).await.1, 1, "not due yet");
    let due_at: i64 = sqlx::query_scalar("SELECT copy_next_at FROM outbox WHERE id = ?")
        .bind(id)
        .fetch_one(f.store.pool())
        .await
        .unwrap();
    assert!(due_at > chrono::Utc::now().timestamp());
    assert_eq!(
        f.store.next_outgoing_at().await.unwrap(),
        Some(due_at),
        "the worker wakes for it"
    );

    // Sent is back; the user asks to try now.
    set_sent_name("Sent").await;
    f.store
        .retry_outgoing_now(id)
        .await
        .expect("retry the copy");
    assert!(outbox::deliver_due(&f.store).await.unwrap().is_empty());
    assert_eq!(copy_state(&f.store, id).await.0, "done");
    assert_eq!(
        messages_with_id(&f.server, &f.user, "Sent", &queued.message_id)
            .await
            .len(),
        1
    );
    let local = "SELECT count(*) FROM message_location l JOIN message m ON m.id = l.message_id \
                 WHERE m.message_id = ?";
    let message_id = queued.message_id.to_lowercase();
    assert_eq!(scalar(&f.store, local, &message_id).await, 1);
    assert!(!f
        .store
        .outbox_entries(24 * 3600)
        .await
        .unwrap()
        .iter()
        .any(|e| e.id == id));
    assert_eq!(delivered(&f.server, BOB, &queued.message_id).await.len(), 1);

    // The app stopped after the APPEND but before it wrote that down: at the next start
    // the copy step finds the copy in Sent and does not append a second one.
    sqlx::query("UPDATE outbox SET copy_state = 'copying' WHERE id = ?")
        .bind(id)
        .execute(f.store.pool())
        .await
        .unwrap();
    assert_eq!(f.store.recover_interrupted_outgoing().await.unwrap(), 0);
    assert_eq!(copy_state(&f.store, id).await.0, "pending");
    assert!(outbox::deliver_due(&f.store).await.unwrap().is_empty());
    assert_eq!(copy_state(&f.store, id).await.0, "done");
    assert_eq!(
        messages_with_id(&f.server, &f.user, "Sent", &queued.message_id)
            .await
            .len(),
        1,
        "one copy in Sent"
    );
    assert_eq!(scalar(&f.store, local, &message_id).await, 1);
    assert_eq!(delivered(&f.server, BOB, &queued.message_id).await.len(), 1);
}

#[tokio::test]
async fn a_reply_threads_onto_the_message_and_excludes_me() {
    let f = fixture("erin@rapport.test").await;
    // Bob writes to Erin and Dave.
    let incoming = format!(
        "From: Bob Builder <{BOB}>\r\nTo: erin@rapport.test, {DAVE}\r\nSubject: Meeting on Monday\r\n\
         Message-ID: <meeting-1@rapport.test>\r\nDate: Mon, 23 Nov 2026 08:00:00 +0000\r\n\r\nCan we meet?\r\n"
    );
    let new_dir = f.server.maildir(&f.user).join("new");
    std::fs::write(new_dir.join("1700000000.meeting.host"), incoming).unwrap();
    sync::sync_account_once(&f.store, f.account_id, &quiet)
        .await
        .expect("sync incoming");
    let original: i64 =
        sqlx::query_scalar("SELECT id FROM message WHERE message_id = 'meeting-1@rapport.test'")
            .fetch_one(f.store.pool())
            .await
            .unwrap();

    let reply = compose::reply_draft(&f.store, original, ReplyKind::ReplyAll, "Bob wrote:")
        .await
        .unwrap();
    assert_eq!(reply.account_id, f.account_id);
    assert_eq!(reply.subject, "Re: Meeting on Monday");
    assert_eq!(reply.to, vec![format!("\"Bob Builder\" <{BOB}>")]);
    assert_eq!(reply.cc, vec![DAVE.to_owned()], "reply all leaves me out");
    assert_eq!(reply.in_reply_to.as_deref(), Some("meeting-1@rapport.test"));
    assert!(reply.quote_html.contains("Can we meet?"));
    let forward = compose::reply_draft(&f.store, original, ReplyKind::Forward, "")
        .await
        .unwrap();
    assert!(forward.to.is_empty() && forward.in_reply_to.is_none());
    assert_eq!(forward.subject, "Fwd: Meeting on Monday");

    let queued = outbox::queue(
        &f.store,
        &Draft {
            account_id: reply.account_id,
            to: reply.to.clone(),
            cc: reply.cc.clone(),
            subject: reply.subject.clone(),
            html: format!("<p>Yes, 10:00.</p>{}", reply.quote_html),
            in_reply_to: reply.in_reply_to.clone(),
            references: reply.references.clone(),
            ..Draft::default()
        },
    )
    .await
    .unwrap();
    assert!(matches!(
        &outbox::deliver_due(&f.store).await.unwrap()[..],
        [Delivery::Sent { .. }]
    ));
    let (thread_of_original, thread_of_reply): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT thread_id FROM message WHERE id = ?), \
                (SELECT thread_id FROM message WHERE message_id = ?)",
    )
    .bind(original)
    .bind(queued.message_id.to_lowercase())
    .fetch_one(f.store.pool())
    .await
    .unwrap();
    assert_eq!(thread_of_original, thread_of_reply);
    let bob_timeline = f.store.timeline(BOB).await.unwrap();
    assert_eq!(bob_timeline.len(), 2, "the question and the reply");
    let received = delivered(&f.server, BOB, &queued.message_id).await;
    let parsed = mime::parse(&received[0], None);
    assert_eq!(
        parsed.in_reply_to.as_deref(),
        Some("meeting-1@rapport.test")
    );
}

#[tokio::test]
async fn template_placeholders_are_filled_from_the_contact() {
    let f = fixture("frank@rapport.test").await;
    let contact = f
        .store
        .create_contact(DAVE, Some("Dave Miller"))
        .await
        .unwrap();
    let values = template::values_for(
        &f.store,
        f.account_id,
        Some(&format!("Dave <{DAVE}>")),
        "23 November 2026".into(),
        "23 November 2026 09:00".into(),
    )
    .await
    .unwrap();
    let _ = contact;
    let body = template::fill(
        "<p>Dear {Contact.firstName},</p><p>as agreed with {Company.name} on {today}.</p><p>{Me.name}</p>",
        &values,
        true,
    );
    assert!(body.missing.is_empty(), "{:?}", body.missing);
    let subject = template::fill("Offer for {Company.name}", &values, false);

    // A placeholder left unfilled stops the message before it is queued.
    let refused = outbox::queue(
        &f.store,
        &Draft {
            account_id: f.account_id,
            to: vec![DAVE.into()],
            subject: "Hi {Contact.firstName}".into(),
            html: "<p>x</p>".into(),
            ..Draft::default()
        },
    )
    .await;
    assert!(matches!(
        refused,
        Err(compose::ComposeError::UnfilledPlaceholders(_))
    ));

    let queued = outbox::queue(
        &f.store,
        &Draft {
            account_id: f.account_id,
            to: vec![DAVE.into()],
            subject: subject.text,
            html: body.text,
            ..Draft::default()
        },
    )
    .await
    .unwrap();
    outbox::deliver_due(&f.store).await.unwrap();
    let received = delivered(&f.server, DAVE, &queued.message_id).await;
    let parsed = mime::parse(&received[0], None);
    assert_eq!(parsed.subject, "Offer for Acme");
    assert!(parsed.text.contains("Dear Dave,"), "{}", parsed.text);
    assert!(
        parsed
            .text
            .contains("as agreed with Acme on 23 November 2026."),
        "{}",
        parsed.text
    );
    assert!(parsed.text.contains("Alice Sender"), "{}", parsed.text);
}

/// Every message in `user`'s `folder` whose subject contains `subject`, counted.
async fn count_by_subject(server: &MailServer, user: &str, folder: &str, subject: &str) -> usize {
    let mut session = rapport_core::imap::login(
        &harness_imap(server),
        user,
        PASSWORD,
        &harness_trust(server),
    )
    .await
    .expect("login");
    session.select(folder).await.expect("select");
    let found = session
        .uid_search(format!("SUBJECT \"{subject}\""))
        .await
        .expect("search")
        .len();
    let _ = session.logout().await;
    found
}

#[tokio::test]
async fn a_draft_kept_on_the_server_is_replaced_on_each_save_and_removed_at_the_end() {
    let f = fixture("gina@rapport.test").await;
    let draft_id = f
        .store
        .save_draft(None, Some(f.account_id), "Plan", "{}")
        .await
        .unwrap();
    let mut draft = Draft {
        account_id: f.account_id,
        to: vec![BOB.into()],
        subject: "Plan for spring".into(),
        html: "<p>First thoughts</p>".into(),
        ..Draft::default()
    };
    assert!(outbox::save_server_draft(&f.store, draft_id, &draft)
        .await
        .unwrap());
    draft.html = "<p>Second thoughts</p>".into();
    assert!(outbox::save_server_draft(&f.store, draft_id, &draft)
        .await
        .unwrap());
    assert_eq!(
        count_by_subject(&f.server, &f.user, "Drafts", "Plan for spring").await,
        1
    );
    // Without recipients there is no message to keep; the local draft is enough.
    let empty = Draft {
        to: vec![],
        ..draft.clone()
    };
    assert!(!outbox::save_server_draft(&f.store, draft_id, &empty)
        .await
        .unwrap());
    let place = f
        .store
        .server_draft(draft_id)
        .await
        .unwrap()
        .expect("a server copy");
    f.store.delete_draft(draft_id).await.unwrap();
    outbox::remove_server_draft(&f.store, place).await.unwrap();
    assert_eq!(
        count_by_subject(&f.server, &f.user, "Drafts", "Plan for spring").await,
        0
    );
}
