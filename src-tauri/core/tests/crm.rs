//! The CRM rules on seeded mail with known truth: which contacts each policy makes,
//! what never makes one, companies by domain, and edits that relink stored mail.

use std::collections::BTreeSet;

use rapport_core::{
    account::FetchWindow,
    crm::ContactPolicy,
    imap::{FolderRole, RemoteFolder},
    mime::parse,
    net::{Security, ServerSettings},
    store::{
        BatchContext, ContactFilter, ContactSort, FetchedMessage, KeepPolicy, MessageFlags,
        NewAccountRecord, TimelineCursor,
    },
    Store,
};

const ME: &str = "me@mycompany.cz";

/// Known mail: who wrote to whom.
fn corpus() -> Vec<String> {
    let m = |i: u32, from: &str, to: &str, extra: &str| {
        format!(
            "From: {from}\r\nTo: {to}\r\nSubject: message {i}\r\nMessage-ID: <m{i}@test>\r\nDate: Mon, {:02} Nov 2026 10:00:00 +0000\r\n{extra}\r\nbody {i}\r\n",
            1 + i % 28
        )
    };
    vec![
        // I write to Jan (company acme.cz) and Petra (gmail).
        m(1, "Me <me@mycompany.cz>", "Jan Novák <jan@acme.cz>", ""),
        m(2, "Me <me@mycompany.cz>", "Petra <petra@gmail.com>", ""),
        // Jan answers; Olena (another acme.cz person) writes first.
        m(
            3,
            "Jan Novák <jan@acme.cz>",
            "me@mycompany.cz",
            "In-Reply-To: <m1@test>\r\n",
        ),
        m(4, "Olena <olena@sales.acme.cz>", "me@mycompany.cz", ""),
        // Never contacts: a newsletter, a machine, a colleague (internal), an ignored domain.
        m(
            5,
            "Shop <news@shop.cz>",
            "me@mycompany.cz",
            "List-Unsubscribe: <mailto:u@shop.cz>\r\n",
        ),
        m(6, "no-reply@bank.cz", "me@mycompany.cz", ""),
        m(7, "Colleague <boss@mycompany.cz>", "me@mycompany.cz", ""),
        m(8, "Spammy <seller@ignored.cz>", "me@mycompany.cz", ""),
        // Jan's second address, not yet known to be his.
        m(9, "Jan Novák <jan.novak@gmail.com>", "me@mycompany.cz", ""),
    ]
}

async fn store_with(
    policy: ContactPolicy,
    leads: bool,
    ignore: &[&str],
) -> (Store, tempfile::TempDir) {
    store_with_mail(policy, leads, ignore, corpus()).await
}

async fn store_with_mail(
    policy: ContactPolicy,
    leads: bool,
    ignore: &[&str],
    mail: Vec<String>,
) -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).await.unwrap();
    for rule in ignore {
        store.add_ignore_rule(rule).await.unwrap();
    }
    let server = ServerSettings {
        host: "localhost".into(),
        port: 993,
        security: Security::Tls,
    };
    let record = NewAccountRecord {
        email: ME.into(),
        sender_name: "Me".into(),
        mailbox_name: "Work".into(),
        imap: server.clone(),
        smtp: server,
        username: ME.into(),
        ca_pem: None,
        pinned_sha256: None,
        fetch_since: FetchWindow::All,
        keep_policy: KeepPolicy::All,
        contact_policy: policy,
        poll_interval_secs: 300,
        leads_from_incoming: leads,
    };
    let mut conn = store.pool().acquire().await.unwrap();
    let account_id = Store::insert_account(&mut conn, &record).await.unwrap();
    drop(conn);
    let inbox = RemoteFolder {
        raw_name: "INBOX".into(),
        display_name: "INBOX".into(),
        delimiter: Some("/".into()),
        role: Some(FolderRole::Inbox),
        selectable: true,
    };
    store
        .upsert_folders(account_id, &[inbox], |_| true)
        .await
        .unwrap();
    let folder_id = store.folders(account_id).await.unwrap()[0].id;
    let account = store.account(account_id).await.unwrap();
    let ctx = BatchContext {
        account_id,
        folder_id,
        uidvalidity: 1,
        identity: store.account_identity(&account).await.unwrap(),
        ignore: store.ignore_rules().await.unwrap(),
        keep: KeepPolicy::All,
    };
    let batch: Vec<FetchedMessage> = mail
        .iter()
        .enumerate()
        .map(|(i, raw)| FetchedMessage {
            uid: i as u32 + 1,
            flags: MessageFlags::default(),
            modseq: None,
            parsed: parse(raw.as_bytes(), None),
        })
        .collect();
    store.store_batch(&ctx, &batch).await.unwrap();
    (store, dir)
}

async fn contact_emails(store: &Store) -> BTreeSet<String> {
    store
        .contacts()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.email)
        .collect()
}

async fn timeline_subjects(store: &Store, address: &str) -> BTreeSet<String> {
    store
        .timeline(address)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.subject)
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn each_policy_creates_exactly_the_expected_contacts() {
    let (none, _d1) = store_with(ContactPolicy::None, false, &[]).await;
    assert!(contact_emails(&none).await.is_empty());

    let (sent, _d2) = store_with(ContactPolicy::Sent, false, &[]).await;
    assert_eq!(
        contact_emails(&sent).await,
        set(&["jan@acme.cz", "petra@gmail.com"])
    );

    let (all, _d3) = store_with(ContactPolicy::All, false, &["@ignored.cz"]).await;
    // Bulk, no-reply, internal and ignored senders make none.
    assert_eq!(
        contact_emails(&all).await,
        set(&[
            "jan@acme.cz",
            "petra@gmail.com",
            "olena@sales.acme.cz",
            "jan.novak@gmail.com"
        ])
    );
}

#[tokio::test]
async fn companies_come_from_work_domains_only() {
    let (store, _dir) = store_with(ContactPolicy::All, false, &["@ignored.cz"]).await;
    let companies = store.list_companies(None).await.unwrap();
    assert_eq!(companies.len(), 1, "{companies:?}");
    assert_eq!(companies[0].domain, "acme.cz");
    assert_eq!(companies[0].name, "Acme");
    assert_eq!(
        companies[0].contact_count, 2,
        "jan@ and olena@sales. share the registrable domain"
    );
    let timeline: BTreeSet<String> = store
        .company_timeline(companies[0].id, None, 50)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.subject)
        .collect();
    assert_eq!(timeline, set(&["message 1", "message 3", "message 4"]));
    let petra = store
        .contact_id_for("petra@gmail.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store.contact(petra).await.unwrap().summary.company_id,
        None,
        "free-mail makes no company"
    );
}

#[tokio::test]
async fn a_company_timeline_pages_through_each_message_once_newest_first() {
    // Three Globex people over 30 messages. The 12 newest are Ana's alone, every other
    // one naming her twice (To and Cc): a page must not run short where one person's
    // rows repeat a message. The older ones go to one or two people, several on the
    // same minute, so pages also meet ties.
    let people = ["ana@globex.com", "bo@globex.com", "cy@globex.com"];
    let mail: Vec<String> = (0..30u32)
        .map(|i| {
            let first = people[(i % 3) as usize];
            let (to, cc, minute) = if i >= 18 {
                let cc = if i % 2 == 0 { people[0] } else { "" };
                (people[0].to_owned(), cc, i)
            } else if i % 4 == 1 {
                let second = people[((i + 1) % 3) as usize];
                (format!("{first}, {second}"), "", i / 3)
            } else {
                (first.to_owned(), if i % 4 == 0 { first } else { "" }, i / 3)
            };
            let cc = if cc.is_empty() { String::new() } else { format!("Cc: {cc}\r\n") };
            format!(
                "From: Me <{ME}>\r\nTo: {to}\r\n{cc}Subject: globex {i}\r\nMessage-ID: <g{i}@test>\r\n\
                 Date: Tue, 10 Nov 2026 10:{minute:02}:00 +0000\r\n\r\nbody\r\n"
            )
        })
        .collect();
    let (store, _dir) = store_with_mail(ContactPolicy::All, false, &[], mail).await;
    let company = store.list_companies(None).await.unwrap()[0].id;
    let everything = store.company_timeline(company, None, 1000).await.unwrap();
    assert_eq!(everything.len(), 30);
    let keys: Vec<(i64, i64)> = everything.iter().map(|e| (e.date, e.message_id)).collect();
    let mut sorted = keys.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(keys, sorted, "newest first, ties by id");
    for limit in [1, 2, 3, 7] {
        let mut paged = Vec::new();
        let mut before = None;
        loop {
            let page = store
                .company_timeline(company, before, limit)
                .await
                .unwrap();
            let Some(last) = page.last() else { break };
            before = Some(TimelineCursor {
                date: last.date,
                message_id: last.message_id,
            });
            let full = page.len() as i64 == limit;
            paged.extend(page.iter().map(|e| (e.date, e.message_id)));
            if !full {
                break;
            }
        }
        assert_eq!(
            paged, keys,
            "pages of {limit}: every message once, in order, no short page"
        );
    }
}

#[tokio::test]
async fn counts_are_kept_in_step() {
    let (store, _dir) = store_with(ContactPolicy::All, false, &[]).await;
    let jan = store.contact_id_for("jan@acme.cz").await.unwrap().unwrap();
    let card = store.contact(jan).await.unwrap().summary;
    assert_eq!(
        (card.message_count, card.sent_count, card.received_count),
        (2, 1, 1)
    );
    assert!(card.last_contact_at.is_some());
    let by_messages = store
        .list_contacts(&ContactFilter {
            sort: ContactSort::Messages,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(by_messages[0].email, "jan@acme.cz");
    let searched = store
        .list_contacts(&ContactFilter {
            query: Some("acme".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(searched.len(), 2, "search matches the company name");
}

#[tokio::test]
async fn creating_adding_removing_and_merging_relink_stored_mail() {
    let (store, _dir) = store_with(ContactPolicy::Sent, false, &[]).await;
    // Olena wrote but was never written to: under "sent" she is unlinked, listed to create.
    let unlinked: Vec<String> = store
        .unlinked_correspondents(50)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.address)
        .collect();
    assert!(unlinked.contains(&"olena@sales.acme.cz".to_owned()));
    assert!(!unlinked
        .iter()
        .any(|a| a.contains("no-reply") || a.contains("shop.cz") || a == ME));
    let olena = store
        .create_contact("olena@sales.acme.cz", None)
        .await
        .unwrap();
    assert_eq!(
        store.contact(olena).await.unwrap().summary.display_name,
        "Olena",
        "name from her mail"
    );
    assert_eq!(
        timeline_subjects(&store, "olena@sales.acme.cz").await,
        set(&["message 4"])
    );

    // Jan's gmail address is added to him: its mail joins his timeline at once.
    let jan = store.contact_id_for("jan@acme.cz").await.unwrap().unwrap();
    store
        .add_contact_address(jan, "Jan.Novak@gmail.com")
        .await
        .unwrap();
    assert_eq!(
        timeline_subjects(&store, "jan@acme.cz").await,
        set(&["message 1", "message 3", "message 9"])
    );
    assert_eq!(store.contact(jan).await.unwrap().summary.message_count, 3);
    // Another contact's address cannot be taken.
    let petra = store
        .contact_id_for("petra@gmail.com")
        .await
        .unwrap()
        .unwrap();
    let taken = store
        .add_contact_address(petra, "jan@acme.cz")
        .await
        .unwrap_err();
    assert!(taken.to_string().contains("Merge"), "{taken}");

    // Removing it again unlinks that mail.
    store
        .remove_contact_address(jan, "jan.novak@gmail.com")
        .await
        .unwrap();
    assert_eq!(
        timeline_subjects(&store, "jan@acme.cz").await,
        set(&["message 1", "message 3"])
    );

    // Merging Petra into Jan: one contact, the union of both timelines.
    store.merge_contacts(jan, petra).await.unwrap();
    assert_eq!(
        timeline_subjects(&store, "petra@gmail.com").await,
        set(&["message 1", "message 2", "message 3"])
    );
    assert!(
        store.contact(petra).await.is_err(),
        "merged contact is gone"
    );
    assert_eq!(
        store.contact(jan).await.unwrap().emails,
        vec!["jan@acme.cz", "petra@gmail.com"]
    );

    // Deleting a contact keeps the mail, unlinked.
    store.delete_contact(olena).await.unwrap();
    assert_eq!(
        timeline_subjects(&store, "olena@sales.acme.cz").await,
        set(&["message 4"])
    );
    assert!(store
        .contact_id_for("olena@sales.acme.cz")
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn ignoring_an_address_removes_its_automatic_contact_and_link() {
    let (store, _dir) = store_with(ContactPolicy::All, false, &[]).await;
    assert!(contact_emails(&store).await.contains("olena@sales.acme.cz"));
    store.add_ignore_rule("olena@sales.acme.cz").await.unwrap();
    assert!(!contact_emails(&store).await.contains("olena@sales.acme.cz"));
    let unlinked: Vec<String> = store
        .unlinked_correspondents(50)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.address)
        .collect();
    assert!(
        !unlinked.contains(&"olena@sales.acme.cz".to_owned()),
        "ignored addresses are not offered"
    );
    // A domain rule takes every automatic contact there.
    store.add_ignore_rule("@gmail.com").await.unwrap();
    assert_eq!(
        contact_emails(&store).await,
        set(&["jan@acme.cz", "seller@ignored.cz"])
    );
    assert!(store.add_ignore_rule("@nodot").await.is_err());

    // Removing the rules judges the stored mail again: the contacts come back, linked.
    assert_eq!(store.remove_ignore_rule("@gmail.com").await.unwrap(), 2);
    assert!(contact_emails(&store).await.contains("petra@gmail.com"));
    assert_eq!(
        timeline_subjects(&store, "petra@gmail.com").await,
        set(&["message 2"])
    );
    assert_eq!(
        store
            .remove_ignore_rule("olena@sales.acme.cz")
            .await
            .unwrap(),
        1
    );
    let olena = store
        .contact_id_for("olena@sales.acme.cz")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(store.contact(olena).await.unwrap().summary.message_count, 1);
}

#[tokio::test]
async fn new_incoming_senders_can_start_as_leads() {
    let (store, _dir) = store_with(ContactPolicy::All, true, &[]).await;
    let olena = store
        .contact_id_for("olena@sales.acme.cz")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(store.contact(olena).await.unwrap().summary.stage, "lead");
    let petra = store
        .contact_id_for("petra@gmail.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store.contact(petra).await.unwrap().summary.stage,
        "contact",
        "people I wrote to first are not leads"
    );
    let leads = store
        .list_contacts(&ContactFilter {
            stage: Some("lead".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(leads.iter().all(|c| c.stage == "lead") && !leads.is_empty());
}
