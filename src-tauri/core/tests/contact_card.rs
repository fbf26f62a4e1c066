//! The contact card's mail on a real store: snippets without the quoted text, a timeline
//! entry's full text in own and quoted runs, and attachments with the date and direction
//! of their message.

mod common;

use rapport_core::{
    mime::{parse, quoted::TextPart},
    store::{FetchedMessage, MessageFlags, StoreError},
    Store,
};

const ME: &str = "alice@rapport.test";
const JAN: &str = "jan@acme.cz";

fn with_attachment(
    from: &str,
    to: &str,
    subject: &str,
    id: &str,
    date: &str,
    file: &str,
) -> String {
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\nDate: {date}\r\n\
Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease see the file.\r\n\
--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"{file}\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b--\r\n"
    )
}

fn corpus() -> Vec<String> {
    vec![
        with_attachment(
            "Jan <jan@acme.cz>",
            ME,
            "Offer",
            "offer@acme.cz",
            "Mon, 02 Nov 2026 10:00:00 +0000",
            "offer.pdf",
        ),
        with_attachment(
            "Alice <alice@rapport.test>",
            JAN,
            "Signed",
            "signed@rapport.test",
            "Wed, 04 Nov 2026 10:00:00 +0000",
            "signed.pdf",
        ),
        "From: Jan <jan@acme.cz>\r\nTo: alice@rapport.test\r\nSubject: Re: Signed\r\n\
Message-ID: <thanks@acme.cz>\r\nIn-Reply-To: <signed@rapport.test>\r\n\
Date: Thu, 05 Nov 2026 10:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
Děkuji, máme vše.\r\n\r\nDne 4. 11. 2026 v 11:00 Alice napsal(a):\r\n> Please see the file.\r\n"
            .to_owned(),
    ]
}

async fn seeded() -> (Store, i64, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, inbox, _) = common::account_with_inbox_and_archive(dir.path()).await;
    let batch: Vec<FetchedMessage> = corpus()
        .iter()
        .enumerate()
        .map(|(i, raw)| FetchedMessage {
            uid: i as u32 + 1,
            flags: MessageFlags::default(),
            modseq: None,
            parsed: parse(raw.as_bytes(), None),
        })
        .collect();
    store.store_batch(&inbox, &batch).await.expect("batch");
    let jan = store
        .contacts()
        .await
        .expect("contacts")
        .into_iter()
        .find(|c| c.email == JAN)
        .expect("Jan became a contact");
    (store, jan.id, dir)
}

#[tokio::test]
async fn card_attachments_carry_their_message_date_and_direction() {
    let (store, jan, _dir) = seeded().await;
    let card = store.contact_card(jan).await.expect("card");
    let attachments: Vec<(&str, i64, &str)> = card
        .attachments
        .iter()
        .map(|a| (a.attachment.filename.as_str(), a.date, a.direction.as_str()))
        .collect();
    assert_eq!(
        attachments,
        vec![
            ("signed.pdf", 1_793_786_400, "out"), // 2026-11-04T10:00:00Z
            ("offer.pdf", 1_793_613_600, "in"),   // 2026-11-02T10:00:00Z
        ]
    );
    let json = serde_json::to_value(&card.attachments[0]).expect("json");
    assert_eq!(json["filename"], "signed.pdf");
    assert_eq!(json["direction"], "out");
    assert_eq!(json["date"], 1_793_786_400);
}

#[tokio::test]
async fn timeline_snippet_leaves_the_quote_out_and_the_full_text_folds_it() {
    let (store, jan, _dir) = seeded().await;
    let card = store.contact_card(jan).await.expect("card");
    let reply = card
        .timeline
        .iter()
        .find(|e| e.subject == "Re: Signed")
        .expect("the reply is on the timeline");
    assert_eq!(reply.snippet, "Děkuji, máme vše.");

    let parts = store.message_text(reply.message_id).await.expect("text");
    assert_eq!(
        parts,
        vec![
            TextPart {
                quoted: false,
                text: "Děkuji, máme vše.".into()
            },
            TextPart {
                quoted: true,
                text: "Dne 4. 11. 2026 v 11:00 Alice napsal(a):\n> Please see the file.".into()
            },
        ]
    );
}

#[tokio::test]
async fn the_text_of_a_missing_message_is_not_found() {
    let (store, _, _dir) = seeded().await;
    assert!(matches!(
        store.message_text(999_999).await,
        Err(StoreError::NotFound(_))
    ));
}
