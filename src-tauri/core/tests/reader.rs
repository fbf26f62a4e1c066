//! The reader's lazy parts against the harness Dovecot: inline (cid:) images embedded as
//! data: URLs after one download of all of them, hidden from the attachment list, shown
//! again offline from the cache; an attachment saved to a chosen path.

use rapport_core::{
    account::NewAccount,
    attachments,
    crm::ContactPolicy,
    net::{Security, ServerSettings},
    store::KeepPolicy,
    sync::{self, SyncProgress},
    AccountService, Store,
};
use rapport_testkit::{seed::SeedSpec, MailServer};

const USER: &str = "reader@rapport.test";
const PASSWORD: &str = "Reader-pass-58";
/// A valid 2×2 PNG.
const PNG_BASE64: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGOwjr4NRAwQCgAl6gXFeHrwyQAAAABJRU5ErkJggg==";

fn message() -> String {
    [
        "From: Jan <jan@firma.cz>",
        "To: reader@rapport.test",
        "Subject: Logo and banner",
        "Date: Mon, 16 Nov 2026 09:00:00 +0000",
        "Message-ID: <inline-1@firma.cz>",
        "MIME-Version: 1.0",
        "Content-Type: multipart/mixed; boundary=\"mix\"",
        "",
        "--mix",
        "Content-Type: multipart/related; boundary=\"rel\"",
        "",
        "--rel",
        "Content-Type: text/html; charset=utf-8",
        "",
        "<p><img src=\"cid:logo@firma.cz\"> <img src=\"cid:banner%40firma.cz\"></p>",
        "--rel",
        "Content-Type: image/png",
        "Content-Transfer-Encoding: base64",
        "Content-ID: <logo@firma.cz>",
        "Content-Disposition: inline; filename=\"logo.png\"",
        "",
        PNG_BASE64,
        "--rel",
        "Content-Type: image/png",
        "Content-Transfer-Encoding: base64",
        "Content-ID: <banner@firma.cz>",
        "Content-Disposition: inline; filename=\"banner.png\"",
        "",
        PNG_BASE64,
        "--rel--",
        "--mix",
        "Content-Type: text/plain; name=\"notes.txt\"",
        "Content-Disposition: attachment; filename=\"notes.txt\"",
        "",
        "Notes for the meeting.",
        "--mix--",
        "",
    ]
    .join("\r\n")
}

#[tokio::test]
async fn inline_images_are_embedded_after_one_download_and_attachments_save() {
    let server = MailServer::start().expect("harness");
    server.add_user(USER, PASSWORD).unwrap();
    // An empty mailbox with the right owner, then the message as a Maildir file.
    server
        .seed(&SeedSpec {
            owner: USER.into(),
            owner_name: "Reader".into(),
            count: 0,
            seed: 1,
            newest: rapport_testkit::seed::now(),
            span_days: 1,
            sent_share_percent: 0,
        })
        .unwrap();
    let file = server
        .maildir(USER)
        .join("cur")
        .join("1763283600.inline.rapport:2,");
    std::fs::write(&file, message()).unwrap();

    let data = tempfile::tempdir().unwrap();
    let store = Store::open(data.path()).await.unwrap();
    let account = AccountService::new(store.clone())
        .add(NewAccount {
            email: USER.into(),
            sender_name: "Reader".into(),
            mailbox_name: None,
            username: None,
            password: PASSWORD.into(),
            imap: ServerSettings {
                host: "localhost".into(),
                port: server.imap_tls_port,
                security: Security::Tls,
            },
            smtp: ServerSettings {
                host: "localhost".into(),
                port: server.smtp_tls_port,
                security: Security::Tls,
            },
            since: "all".into(),
            folders: None,
            contact_policy: ContactPolicy::None,
            keep_policy: KeepPolicy::All,
            poll_interval_secs: 300,
            ca_pem: Some(std::fs::read_to_string(&server.ca_file).unwrap()),
            pinned_sha256: None,
            allow_plaintext: false,
            new_senders_are_leads: false,
        })
        .await
        .expect("add account");
    sync::sync_account_once(&store, account.id, &|_: SyncProgress| {})
        .await
        .unwrap();
    let id: i64 = sqlx::query_scalar("SELECT id FROM message WHERE subject = 'Logo and banner'")
        .fetch_one(store.pool())
        .await
        .unwrap();

    let detail = store.message_detail(id).await.unwrap();
    assert!(detail.inline_images);
    assert!(!detail.remote_images);
    let listed: Vec<&str> = detail
        .attachments
        .iter()
        .map(|a| a.filename.as_str())
        .collect();
    assert_eq!(
        listed,
        ["notes.txt"],
        "the images show in place, not in the list"
    );
    assert!(detail
        .html
        .as_deref()
        .unwrap()
        .contains("src=\"cid:logo@firma.cz\""));

    let html = attachments::html_with_inline_images(&store, data.path(), id)
        .await
        .unwrap();
    let embedded = format!("src=\"data:image/png;base64,{PNG_BASE64}\"");
    assert_eq!(html.matches(&embedded).count(), 2, "{html}");
    assert!(!html.contains("cid:"), "{html}");
    let cached: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM attachment WHERE message_id = ? AND is_inline AND cache_path IS NOT NULL",
    )
    .bind(id)
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!(cached, 2, "both parts came in the one download");

    let notes = &detail.attachments[0];
    let destination = data.path().join("saved-notes.txt");
    attachments::save_to(&store, data.path(), notes.id, &destination)
        .await
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(&destination).unwrap().trim_end(),
        "Notes for the meeting."
    );
    assert_eq!(
        attachments::info(&store, notes.id).await.unwrap().filename,
        "notes.txt"
    );

    // With the server gone, the embedded images come from the cache.
    drop(server);
    let offline = attachments::html_with_inline_images(&store, data.path(), id)
        .await
        .unwrap();
    assert_eq!(offline, html);
}
