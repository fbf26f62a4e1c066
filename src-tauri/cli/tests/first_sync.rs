//! The walking skeleton end to end on the command line: a real Dovecot over TLS with the
//! harness CA, a real Secret Service, a real SQLite file.

mod support;

use std::collections::{BTreeSet, HashMap};

use rapport_testkit::{
    seed::{write_maildir, SeedSpec},
    MailServer,
};
use support::*;

const OWNER: &str = "alice@rapport.test";

#[test]
fn first_sync_stores_500_messages_once_and_builds_timelines() {
    let server = MailServer::start().expect("start the harness mail server");
    server.add_user(OWNER, PASSWORD).expect("add user");
    let spec = SeedSpec {
        owner: OWNER.into(),
        owner_name: "Alice Test".into(),
        count: 500,
        seed: 7,
        newest: rapport_testkit::seed::now(),
        span_days: 120,
        sent_share_percent: 25,
    };
    let manifest = write_maildir(&server.maildir(OWNER), &spec).expect("seed mailbox");
    assert_eq!(manifest.messages.len(), 500);

    let data = tempfile::tempdir().unwrap();
    let added = cli_json(
        data.path(),
        &strs(&add_args(&server, OWNER)),
        Some(PASSWORD),
    );
    assert_eq!(added["email"], OWNER);
    assert_eq!(
        added["folderCount"], 2,
        "Inbox and Sent are selected by default"
    );

    let first = cli_json(data.path(), &["sync", "--once"], None);
    assert_eq!(first[0]["newMessages"], 500, "{first}");
    assert_eq!(first[0]["messageCount"], 500);

    let db = rapport_core::paths::database_file(data.path());
    let count = sqlite_count(&db, "SELECT count(*) FROM message");
    assert_eq!(count, 500);

    // Every participant the seeder wrote is stored.
    let mut expected_people: BTreeSet<String> = BTreeSet::new();
    for m in &manifest.messages {
        expected_people.insert(m.from.to_lowercase());
        expected_people.extend(m.to.iter().map(|a| a.to_lowercase()));
        expected_people.extend(m.cc.iter().map(|a| a.to_lowercase()));
    }
    let stored_people: BTreeSet<String> =
        sqlite_strings(&db, "SELECT DISTINCT address FROM participant")
            .into_iter()
            .collect();
    let missing: Vec<_> = expected_people.difference(&stored_people).collect();
    assert!(missing.is_empty(), "participants not stored: {missing:?}");

    // The correspondent with the most mail: their timeline is exactly their messages.
    let mut per_person: HashMap<String, usize> = HashMap::new();
    for address in expected_people.iter().filter(|a| *a != OWNER) {
        per_person.insert(address.clone(), manifest.messages_with(address).len());
    }
    let (known, expected_count) = per_person
        .into_iter()
        .max_by_key(|(a, n)| (*n, a.clone()))
        .unwrap();
    assert!(
        expected_count >= 3,
        "the seed should give someone a real history"
    );
    let expected_ids: BTreeSet<String> = manifest
        .messages_with(&known)
        .iter()
        .map(|m| m.message_id.trim_matches(['<', '>']).to_lowercase())
        .collect();
    let timeline = cli_json(data.path(), &["timeline", &known], None);
    let listed: Vec<String> = timeline
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["headerMessageId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        listed.iter().cloned().collect::<BTreeSet<_>>(),
        expected_ids,
        "timeline of {known}"
    );
    assert_eq!(listed.len(), expected_ids.len(), "no message listed twice");
    let dates: Vec<i64> = timeline
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["date"].as_i64().unwrap())
        .collect();
    assert!(
        dates.windows(2).all(|w| w[0] >= w[1]),
        "timeline is newest first"
    );

    // Contacts were made for correspondents; the owner is never one.
    let contacts = cli_json(data.path(), &["contacts"], None);
    let contact_emails: Vec<&str> = contacts
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["email"].as_str().unwrap())
        .collect();
    assert!(contact_emails.contains(&known.as_str()));
    assert!(!contact_emails.contains(&OWNER));

    // A second pass finds nothing new and stores nothing twice.
    let second = cli_json(data.path(), &["sync", "--once"], None);
    assert_eq!(second[0]["newMessages"], 0, "{second}");
    assert_eq!(sqlite_count(&db, "SELECT count(*) FROM message"), 500);
    assert_eq!(
        sqlite_count(&db, "SELECT count(*) FROM message_location"),
        500
    );

    // The password lives in the Secret Service, and nowhere in the database or logs.
    assert!(
        secret_tool_search().contains(PASSWORD),
        "password not found in the Secret Service"
    );
    assert!(
        !any_file_contains(data.path(), PASSWORD.as_bytes()),
        "password leaked into the data folder"
    );

    let list = cli_json(data.path(), &["account", "list"], None);
    assert_eq!(list[0]["messageCount"], 500);
    assert!(list[0]["lastSyncAt"].is_string());
    assert!(list[0].get("password").is_none());
}

#[test]
fn removing_an_account_deletes_its_password_and_mail() {
    let server = MailServer::start().expect("start the harness mail server");
    let owner = "remove-me@rapport.test";
    let password = "Remove-Me-Password-91";
    server.add_user(owner, password).unwrap();
    let spec = SeedSpec {
        owner: owner.into(),
        owner_name: "Remove Me".into(),
        count: 20,
        seed: 3,
        newest: rapport_testkit::seed::now(),
        span_days: 30,
        sent_share_percent: 20,
    };
    write_maildir(&server.maildir(owner), &spec).unwrap();
    let data = tempfile::tempdir().unwrap();
    cli_json(
        data.path(),
        &strs(&add_args(&server, owner)),
        Some(password),
    );
    cli_json(data.path(), &["sync", "--once"], None);
    assert!(secret_tool_search().contains(password));

    cli_json(data.path(), &["account", "remove", owner], None);
    assert!(
        !secret_tool_search().contains(password),
        "keyring entry left behind"
    );
    let db = rapport_core::paths::database_file(data.path());
    assert_eq!(sqlite_count(&db, "SELECT count(*) FROM account"), 0);
    assert_eq!(sqlite_count(&db, "SELECT count(*) FROM message"), 0);
    assert_eq!(sqlite_count(&db, "SELECT count(*) FROM contact"), 0);
}

#[test]
fn wrong_password_is_refused_with_advice_and_nothing_saved() {
    let server = MailServer::start().expect("start the harness mail server");
    server
        .add_user("wrong@rapport.test", "the-right-one")
        .unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut args = add_args(&server, "wrong@rapport.test");
    args.push("--json".into());
    let out = cli(data.path(), &strs(&args), Some("not-the-password"));
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("did not accept the user name or password"),
        "{stderr}"
    );
    assert!(stderr.contains("app password"), "{stderr}");
    assert!(
        !stderr.contains("not-the-password"),
        "the password must never be echoed"
    );
    let list = cli_json(data.path(), &["account", "list"], None);
    assert_eq!(list.as_array().unwrap().len(), 0);
}

#[test]
fn starttls_connection_works_too() {
    let server = MailServer::start().expect("start the harness mail server");
    let owner = "starttls@rapport.test";
    server.add_user(owner, PASSWORD).unwrap();
    let spec = SeedSpec {
        owner: owner.into(),
        owner_name: "Start Tls".into(),
        count: 10,
        seed: 11,
        newest: rapport_testkit::seed::now(),
        span_days: 10,
        sent_share_percent: 0,
    };
    write_maildir(&server.maildir(owner), &spec).unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut args = add_args(&server, owner);
    let port = args.iter().position(|a| a == "--imap-port").unwrap() + 1;
    args[port] = server.imap_starttls_port.to_string();
    let security = args.iter().position(|a| a == "--imap-security").unwrap() + 1;
    args[security] = "starttls".into();
    cli_json(data.path(), &strs(&args), Some(PASSWORD));
    let synced = cli_json(data.path(), &["sync", "--once", "--account", owner], None);
    assert_eq!(synced[0]["newMessages"], 10);
}

#[test]
fn untrusted_certificate_is_refused_with_its_fingerprint() {
    let server = MailServer::start().expect("start the harness mail server");
    server.add_user("cert@rapport.test", PASSWORD).unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut args = add_args(&server, "cert@rapport.test");
    // Without --ca-file the harness certificate chains to nothing we trust.
    let ca = args.iter().position(|a| a == "--ca-file").unwrap();
    args.drain(ca..ca + 2);
    let out = cli(data.path(), &strs(&args), Some(PASSWORD));
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("is not trusted"), "{stderr}");
    assert!(stderr.contains("SHA-256 fingerprint"), "{stderr}");
}

#[test]
fn global_options_work_before_and_after_the_subcommand() {
    let data = tempfile::tempdir().unwrap();
    let before = std::process::Command::new(env!("CARGO_BIN_EXE_rapport-cli"))
        .args(["--json", "--data-dir"])
        .arg(data.path())
        .args(["account", "list"])
        .output()
        .unwrap();
    assert!(before.status.success());
    assert_eq!(String::from_utf8_lossy(&before.stdout).trim(), "[]");
    let after = std::process::Command::new(env!("CARGO_BIN_EXE_rapport-cli"))
        .args(["account", "list", "--data-dir"])
        .arg(data.path())
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&after.stdout).trim(), "[]");
    let from_env = std::process::Command::new(env!("CARGO_BIN_EXE_rapport-cli"))
        .env("RAPPORT_DATA_DIR", data.path())
        .args(["account", "list", "--json"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&from_env.stdout).trim(), "[]");
    assert!(rapport_core::paths::database_file(data.path()).exists());
}

#[test]
fn password_is_never_taken_from_an_argument() {
    let data = tempfile::tempdir().unwrap();
    let out = cli(
        data.path(),
        &[
            "account",
            "add",
            "--email",
            "x@rapport.test",
            "--password",
            "hunter22",
        ],
        None,
    );
    assert!(!out.status.success());
    // Without --password-stdin and with no terminal, it says how to pass the password.
    let out = cli(
        data.path(),
        &["account", "add", "--email", "x@rapport.test"],
        None,
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--password-stdin"));
}

fn sqlite_count(db: &std::path::Path, sql: &'static str) -> i64 {
    sqlite_strings(db, sql)[0].parse().unwrap()
}

/// Reads the database with its own SQLite connection rather than the store's queries,
/// which are what is under test.
fn sqlite_strings(db: &std::path::Path, sql: &'static str) -> Vec<String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        use sqlx::{Connection, Row};
        let mut conn =
            sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=ro", db.display()))
                .await
                .expect("open the database");
        let rows = sqlx::query(sql).fetch_all(&mut conn).await.expect("query");
        rows.iter()
            .map(|row| match row.try_get::<String, _>(0) {
                Ok(text) => text,
                Err(_) => row.get::<i64, _>(0).to_string(),
            })
            .collect()
    })
}

#[test]
fn without_a_keyring_nothing_is_saved_and_the_user_is_told_why() {
    let server = MailServer::start().expect("start the harness mail server");
    let owner = "nokeyring@rapport.test";
    let password = "No-Keyring-Password-3";
    server.add_user(owner, password).unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_rapport-cli"))
        .arg("--data-dir")
        .arg(data.path())
        .args(strs(&add_args(&server, owner)))
        // A session bus that does not exist: no Secret Service is reachable.
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .env_remove("DISPLAY")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(password.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no system keyring is available"),
        "{stderr}"
    );
    assert!(!stderr.contains(password));
    let list = cli_json(data.path(), &["account", "list"], None);
    assert_eq!(
        list.as_array().unwrap().len(),
        0,
        "no account without its password"
    );
    assert!(
        !any_file_contains(data.path(), password.as_bytes()),
        "nothing in plaintext"
    );
}
