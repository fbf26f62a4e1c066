//! `rapport-cli search` on a mailbox synced from the harness Dovecot, judged against the
//! seeder's manifest: who sent what to whom, which subject, which attachments, when.

mod support;

use std::collections::{BTreeSet, HashMap};

use rapport_testkit::{
    seed::{write_maildir, SeedManifest, SeedSpec, SeededMessage},
    MailServer,
};
use support::*;

const OWNER: &str = "searcher@rapport.test";

/// Header Message-IDs (no angle brackets, lower case) of a search's rows, in order.
fn search_ids(data: &std::path::Path, query: &str, ids: &HashMap<i64, String>) -> Vec<String> {
    let found = cli_json(data, &["search", "--limit", "500", query], None);
    found
        .as_array()
        .expect("a JSON list")
        .iter()
        .map(|m| ids[&m["id"].as_i64().expect("id")].clone())
        .collect()
}

fn header_id(m: &SeededMessage) -> String {
    m.message_id.trim_matches(['<', '>']).to_lowercase()
}

/// The manifest's messages passing `keep`.
fn expected(manifest: &SeedManifest, keep: impl Fn(&SeededMessage) -> bool) -> BTreeSet<String> {
    manifest
        .messages
        .iter()
        .filter(|m| keep(m))
        .map(header_id)
        .collect()
}

/// `listed` holds exactly `wanted`, once each, newest first.
fn assert_listing(
    manifest: &SeedManifest,
    listed: &[String],
    wanted: &BTreeSet<String>,
    what: &str,
) {
    let dates: HashMap<String, i64> = manifest
        .messages
        .iter()
        .map(|m| (header_id(m), m.date))
        .collect();
    assert_eq!(
        listed.iter().cloned().collect::<BTreeSet<_>>(),
        *wanted,
        "{what}"
    );
    assert_eq!(listed.len(), wanted.len(), "{what}: a message listed twice");
    assert!(
        listed.windows(2).all(|w| dates[&w[0]] >= dates[&w[1]]),
        "{what}: not newest first"
    );
}

fn subject_words(subject: &str) -> Vec<String> {
    subject
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// store id -> header Message-ID, read with its own connection.
fn header_ids(db: &std::path::Path) -> HashMap<i64, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        use sqlx::Connection;
        let mut conn =
            sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=ro", db.display()))
                .await
                .expect("open the database");
        let rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, message_id FROM message")
            .fetch_all(&mut conn)
            .await
            .expect("query");
        rows.into_iter()
            .map(|(id, header)| (id, header.to_lowercase()))
            .collect()
    })
}

#[test]
fn search_lists_exactly_the_seeded_messages_for_each_operator() {
    let server = MailServer::start().expect("start the harness mail server");
    server.add_user(OWNER, PASSWORD).expect("add user");
    let spec = SeedSpec {
        owner: OWNER.into(),
        owner_name: "Search Tester".into(),
        count: 300,
        seed: 11,
        newest: rapport_testkit::seed::now(),
        span_days: 90,
        sent_share_percent: 30,
    };
    let manifest = write_maildir(&server.maildir(OWNER), &spec).expect("seed mailbox");
    let data = tempfile::tempdir().unwrap();
    cli_json(
        data.path(),
        &strs(&add_args(&server, OWNER)),
        Some(PASSWORD),
    );
    cli_json(data.path(), &["sync", "--once"], None);
    let ids = header_ids(&rapport_core::paths::database_file(data.path()));

    // The correspondent in the most mail, both ways.
    let mut per_person: HashMap<String, usize> = HashMap::new();
    for m in &manifest.messages {
        for a in std::iter::once(&m.from).chain(&m.to).chain(&m.cc) {
            if !a.eq_ignore_ascii_case(OWNER) {
                *per_person.entry(a.to_lowercase()).or_default() += 1;
            }
        }
    }
    let (person, _) = per_person
        .into_iter()
        .max_by_key(|(a, n)| (*n, a.clone()))
        .unwrap();
    let is_from = |m: &SeededMessage| m.from.eq_ignore_ascii_case(&person);
    let is_to = |m: &SeededMessage| {
        m.to.iter()
            .chain(&m.cc)
            .any(|a| a.eq_ignore_ascii_case(&person))
    };
    let from_them = expected(&manifest, is_from);
    let to_them = expected(&manifest, is_to);
    assert!(
        from_them.len() >= 3 && !to_them.is_empty(),
        "the seed should give {person} mail both ways"
    );

    assert_listing(
        &manifest,
        &search_ids(data.path(), &format!("from:{person} "), &ids),
        &from_them,
        "from: is exactly what they sent",
    );
    assert_listing(
        &manifest,
        &search_ids(data.path(), &format!("to:{person} "), &ids),
        &to_them,
        "to: is exactly what was sent to them (To or Cc)",
    );

    // A word of their subjects, also in subjects of mail to them.
    let word = manifest
        .messages
        .iter()
        .filter(|m| is_from(m))
        .flat_map(|m| subject_words(&m.subject))
        .filter(|w| w.chars().count() >= 4 && !w.chars().all(|c| c.is_numeric()))
        .max_by_key(|w| {
            manifest
                .messages
                .iter()
                .filter(|m| is_to(m) && subject_words(&m.subject).contains(w))
                .count()
        })
        .expect("a subject word");
    let with_word = |m: &SeededMessage| subject_words(&m.subject).contains(&word);
    assert_listing(
        &manifest,
        &search_ids(data.path(), &format!("subject:{word} from:{person} "), &ids),
        &expected(&manifest, |m| is_from(m) && with_word(m)),
        "subject: and from:",
    );

    let with_attachment = expected(&manifest, |m| m.has_attachment);
    assert!(!with_attachment.is_empty(), "the seed attaches files");
    assert_listing(
        &manifest,
        &search_ids(data.path(), "has:attachment", &ids),
        &with_attachment,
        "has:attachment",
    );

    // Date bounds: the days of the manifest's middle message, in the local zone the
    // CLI uses, give exactly the messages on either side.
    let mut dates: Vec<i64> = manifest.messages.iter().map(|m| m.date).collect();
    dates.sort_unstable();
    let middle = chrono::DateTime::from_timestamp(dates[dates.len() / 2], 0)
        .unwrap()
        .with_timezone(&chrono::Local)
        .date_naive();
    let day_start = middle
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_local_timezone(chrono::Local)
        .earliest()
        .unwrap()
        .timestamp();
    let day = middle.format("%Y-%m-%d").to_string();
    assert_listing(
        &manifest,
        &search_ids(data.path(), &format!("after:{day}"), &ids),
        &expected(&manifest, |m| m.date >= day_start),
        "after:",
    );
    assert_listing(
        &manifest,
        &search_ids(data.path(), &format!("before:{day}"), &ids),
        &expected(&manifest, |m| m.date < day_start),
        "before:",
    );

    let all: BTreeSet<String> = manifest.messages.iter().map(header_id).collect();
    assert_eq!(all.len(), 300);

    // A query Rapport cannot read fails with the operator and the form it wants.
    let bad = cli(data.path(), &["search", "before:2026-13-45"], None);
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("before:") && stderr.contains("YYYY-MM-DD"),
        "{stderr}"
    );
}
