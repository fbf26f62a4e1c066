//! New-mail notifications decided against the harness Dovecot: after a real sync, only
//! new, unread, recent, non-bulk Inbox mail from a contact is announced (any sender when
//! the user asks for all mail), grouped into one notice; an account's first-sync backlog
//! and anything arriving in quiet hours are not.

use rapport_core::{
    new_mail::NewMailWatch,
    settings::{NotificationSettings, QuietHours},
    sync::{self, SyncProgress},
    Store,
};
use rapport_testkit::seed::SeedSpec;

mod common;
use common::{add_server_account, ServerAccount};

const PASSWORD: &str = "Notify-pass-58";
const NOON: u16 = 12 * 60;

fn quiet(_: SyncProgress) {}

async fn sync_once(f: &ServerAccount) {
    sync::sync_account_once(&f.store, f.account_id, &quiet)
        .await
        .expect("sync");
}

fn message(
    from: &str,
    to: &str,
    subject: &str,
    date: chrono::DateTime<chrono::Utc>,
    extra: &str,
) -> String {
    let id = format!("{:x}", rand_id(subject));
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: {}\r\nMessage-ID: <{id}@notify.test>\r\n{extra}\
         Content-Type: text/plain; charset=utf-8\r\n\r\nHello, {subject}.\r\n",
        date.to_rfc2822()
    )
}

fn rand_id(text: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut hasher);
    chrono::Utc::now().timestamp_nanos_opt().hash(&mut hasher);
    hasher.finish()
}

async fn deliver(f: &ServerAccount, raw: &str, flags: Option<&str>) {
    let mut session = f.session().await;
    session
        .append("INBOX", flags, None, raw.as_bytes())
        .await
        .expect("append");
    let _ = session.logout().await;
}

async fn look(
    watch: &mut NewMailWatch,
    store: &Store,
    settings: &NotificationSettings,
    minute: u16,
) -> Option<rapport_core::new_mail::NewMailNotice> {
    watch
        .collect(store, settings, minute, chrono::Utc::now().timestamp())
        .await
        .expect("collect")
}

#[tokio::test]
async fn only_new_unread_mail_from_contacts_is_announced_and_grouped() {
    let spec = SeedSpec {
        owner: "notify@rapport.test".into(),
        owner_name: "Notify Tester".into(),
        count: 12,
        seed: 9,
        newest: rapport_testkit::seed::now(),
        span_days: 1,
        sent_share_percent: 0,
    };
    let f = add_server_account(
        rapport_testkit::MailServer::start().expect("harness"),
        spec,
        PASSWORD,
        None,
        async |_| {},
    )
    .await;
    let settings = NotificationSettings::default();

    // The first sync's backlog is history, even though it is recent, unread and from
    // people who became contacts.
    let mut watch = NewMailWatch::start(&f.store).await.expect("watch");
    sync_once(&f).await;
    assert_eq!(look(&mut watch, &f.store, &settings, NOON).await, None);

    let contact: String =
        sqlx::query_scalar("SELECT address FROM contact_email ORDER BY address LIMIT 1")
            .fetch_one(f.store.pool())
            .await
            .expect("a contact from the first sync");
    // From now on strangers stay strangers.
    sqlx::query("UPDATE account SET contact_policy = 'sent'")
        .execute(f.store.pool())
        .await
        .unwrap();

    let now = chrono::Utc::now();
    let me = &f.user;
    deliver(
        &f,
        &message(&contact, me, "Quarterly numbers", now, ""),
        None,
    )
    .await;
    deliver(
        &f,
        &message(
            &contact,
            me,
            "Our newsletter",
            now,
            "List-Unsubscribe: <mailto:unsub@notify.test>\r\n",
        ),
        None,
    )
    .await;
    deliver(
        &f,
        &message(&contact, me, "Already read", now, ""),
        Some("(\\Seen)"),
    )
    .await;
    deliver(
        &f,
        &message(
            &contact,
            me,
            "Ancient history",
            now - chrono::Duration::days(30),
            "",
        ),
        None,
    )
    .await;
    deliver(
        &f,
        &message("stranger@elsewhere.test", me, "Cold pitch", now, ""),
        None,
    )
    .await;
    sync_once(&f).await;

    let notice = look(&mut watch, &f.store, &settings, NOON)
        .await
        .expect("a notice for the contact's new mail");
    assert_eq!(notice.total, 1, "{notice:?}");
    assert_eq!(notice.senders, 1);
    let newest = notice.open_target().expect("a message to open");
    assert_eq!(newest.subject, "Quarterly numbers");
    assert_eq!(newest.from_address, contact);
    assert!(newest.contact_id.is_some());
    assert_eq!(newest.account_id, f.account_id);
    // The message a click opens is the stored one.
    let stored_subject: String = sqlx::query_scalar("SELECT subject FROM message WHERE id = ?")
        .bind(newest.message_id)
        .fetch_one(f.store.pool())
        .await
        .unwrap();
    assert_eq!(stored_subject, "Quarterly numbers");
    // The tray's count: every unread message in the Inbox, the new ones included.
    let unread_in_inbox: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT m.id) FROM message m JOIN message_location l ON l.message_id = m.id \
         JOIN folder f ON f.id = l.folder_id WHERE f.role = 'inbox' AND m.seen = 0",
    )
    .fetch_one(f.store.pool())
    .await
    .unwrap();
    assert!(unread_in_inbox >= 5);
    assert_eq!(
        rapport_core::new_mail::unread_in_inboxes(&f.store)
            .await
            .unwrap(),
        unread_in_inbox
    );
    // Each message is considered once.
    assert_eq!(look(&mut watch, &f.store, &settings, NOON).await, None);

    // All mail: the stranger counts too, and two messages make one grouped notice.
    let all_mail = NotificationSettings {
        all_mail: true,
        ..settings.clone()
    };
    deliver(
        &f,
        &message(&contact, me, "Follow-up on numbers", now, ""),
        None,
    )
    .await;
    deliver(
        &f,
        &message("stranger@elsewhere.test", me, "Second pitch", now, ""),
        None,
    )
    .await;
    sync_once(&f).await;
    let notice = look(&mut watch, &f.store, &all_mail, NOON)
        .await
        .expect("a grouped notice");
    assert_eq!(notice.total, 2, "{notice:?}");
    assert_eq!(notice.senders, 2);

    // Quiet hours: nothing is shown, and nothing is saved up for later either.
    let night = NotificationSettings {
        quiet_hours: QuietHours {
            enabled: true,
            start_minute: 22 * 60,
            end_minute: 7 * 60,
        },
        ..settings.clone()
    };
    deliver(&f, &message(&contact, me, "Late thought", now, ""), None).await;
    sync_once(&f).await;
    assert_eq!(look(&mut watch, &f.store, &night, 23 * 60).await, None);
    assert_eq!(look(&mut watch, &f.store, &night, NOON).await, None);

    // Notifications off: likewise.
    let off = NotificationSettings {
        enabled: false,
        ..settings.clone()
    };
    deliver(&f, &message(&contact, me, "While muted", now, ""), None).await;
    sync_once(&f).await;
    assert_eq!(look(&mut watch, &f.store, &off, NOON).await, None);
}
