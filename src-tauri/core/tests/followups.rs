//! The follow-up radar against the harness: a reply that arrives the way real mail does
//! (SMTP submission → Postfix → Dovecot → IMAP sync) takes its thread off "waiting for a
//! reply" at once.

use std::time::Duration;

use rapport_core::{
    net::{Security, ServerSettings},
    smtp,
    store::FollowUpQuery,
    sync::{self, SyncProgress},
    Store,
};
use rapport_testkit::{seed::SeedSpec, MailServer};

mod common;

use common::{add_server_account, harness_trust};

const PASSWORD: &str = "Radar-pass-10";
const JANA: &str = "jana@rapport.test";
const JANA_PASSWORD: &str = "Jana-pass-10";

fn quiet(_: SyncProgress) {}

async fn submit(server: &MailServer, user: &str, password: &str, to: &[&str], raw: &str) {
    let submission = ServerSettings {
        host: "localhost".into(),
        port: server.smtp_tls_port,
        security: Security::Tls,
    };
    let mut connection = smtp::login(&submission, user, password, &harness_trust(server))
        .await
        .expect("SMTP login");
    let recipients: Vec<String> = to.iter().map(|a| a.to_string()).collect();
    smtp::send(&mut connection, user, &recipients, raw.as_bytes())
        .await
        .expect("SMTP send");
    let _ = connection.quit().await;
}

/// Syncs until a message with this subject is stored (delivery takes a moment).
async fn sync_until_stored(store: &Store, account_id: i64, subject: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        sync::sync_account_once(store, account_id, &quiet)
            .await
            .expect("sync");
        let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM message WHERE subject = ?")
            .bind(subject)
            .fetch_one(store.pool())
            .await
            .expect("count");
        if stored > 0 {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{subject:?} never arrived"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_reply_through_smtp_and_sync_clears_waiting_for_a_reply() {
    let server = MailServer::start().expect("harness");
    server.add_user(JANA, JANA_PASSWORD).expect("second user");
    let spec = SeedSpec {
        owner: "radar@rapport.test".into(),
        owner_name: "Radar Tester".into(),
        count: 0,
        seed: 10,
        newest: rapport_testkit::seed::now(),
        span_days: 30,
        sent_share_percent: 0,
    };
    let f = add_server_account(server, spec, PASSWORD, None, async |_| {}).await;

    // My offer, ten days ago: to Jana, with myself in Cc so it lands in my synced Inbox.
    let ten_days_ago = (chrono::Utc::now() - chrono::Duration::days(10)).to_rfc2822();
    let offer = format!(
        "From: Radar Tester <{me}>\r\nTo: Jana <{JANA}>\r\nCc: {me}\r\nSubject: Offer for Jana\r\n\
         Message-ID: <offer-10@rapport.test>\r\nDate: {ten_days_ago}\r\n\r\nOur offer.\r\n",
        me = f.user
    );
    submit(&f.server, &f.user, PASSWORD, &[JANA, &f.user], &offer).await;
    sync_until_stored(&f.store, f.account_id, "Offer for Jana").await;

    let before = f.store.follow_ups(&FollowUpQuery::default()).await.unwrap();
    let waiting: Vec<&str> = before
        .awaiting_reply
        .iter()
        .map(|t| t.subject.as_str())
        .collect();
    assert_eq!(waiting, ["Offer for Jana"]);
    assert_eq!(before.awaiting_reply[0].person.address, JANA);
    assert!(
        before.awaiting_reply[0].working_days >= 6,
        "ten days hold at least six working days"
    );

    // Jana answers from her own mailbox, today.
    let reply = format!(
        "From: Jana <{JANA}>\r\nTo: {me}\r\nSubject: Re: Offer for Jana\r\n\
         Message-ID: <reply-10@rapport.test>\r\nIn-Reply-To: <offer-10@rapport.test>\r\n\
         References: <offer-10@rapport.test>\r\nDate: {now}\r\n\r\nThanks, we accept.\r\n",
        me = f.user,
        now = chrono::Utc::now().to_rfc2822()
    );
    submit(&f.server, JANA, JANA_PASSWORD, &[&f.user], &reply).await;
    sync_until_stored(&f.store, f.account_id, "Re: Offer for Jana").await;

    let after = f.store.follow_ups(&FollowUpQuery::default()).await.unwrap();
    assert!(
        after.awaiting_reply.is_empty(),
        "{:?}",
        after.awaiting_reply
    );
    assert_eq!(after.counts.awaiting_reply, 0);
    // Her reply is today's: not waiting on me yet either.
    assert!(after.awaiting_me.is_empty(), "{:?}", after.awaiting_me);
}
