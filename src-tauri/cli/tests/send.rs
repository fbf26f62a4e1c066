//! `rapport-cli send` through the harness Postfix: the message reaches the recipient's
//! mailbox with its attachment; with SMTP down it stays in the outbox and says so.

mod support;

use std::time::{Duration, Instant};

use rapport_testkit::MailServer;
use support::*;

const OWNER: &str = "sender@rapport.test";
const BOB: &str = "bob@example.com";

fn wait_for(dir: &std::path::Path, needle: &[u8]) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if any_file_contains(dir, needle) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

#[test]
fn send_delivers_with_attachment_and_waits_in_the_outbox_while_smtp_is_down() {
    let server = MailServer::start().expect("harness");
    server.add_user(OWNER, PASSWORD).expect("add user");
    let data = tempfile::tempdir().unwrap();
    cli_json(
        data.path(),
        &strs(&add_args(&server, OWNER)),
        Some(PASSWORD),
    );
    let file = data.path().join("price-list.csv");
    std::fs::write(&file, "item,price\nwidget,10\n").unwrap();

    let sent = cli_json(
        data.path(),
        &[
            "send",
            "--from",
            OWNER,
            "--to",
            BOB,
            "--subject",
            "Price list from the CLI",
            "--body",
            "Hello Bob,\nthe list is attached.",
            "--attach",
            file.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(sent["state"], "sent", "{sent}");
    let inbox = server.maildir(BOB);
    assert!(
        wait_for(&inbox, b"Subject: Price list from the CLI"),
        "{}",
        server.log_tail(20)
    );
    assert!(any_file_contains(&inbox, b"price-list.csv"));
    assert!(any_file_contains(&inbox, b"the list is attached."));

    server.stop_smtp().expect("stop smtp");
    let out = cli(
        data.path(),
        &[
            "send",
            "--from",
            OWNER,
            "--to",
            BOB,
            "--subject",
            "While down",
            "--body",
            "later",
        ],
        None,
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("waits in the outbox"), "{stderr}");

    let missing = cli(
        data.path(),
        &[
            "send",
            "--from",
            OWNER,
            "--to",
            "not an address",
            "--subject",
            "x",
            "--body",
            "y",
        ],
        None,
    );
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(
        stderr.contains("not an email address") && stderr.contains("--to"),
        "{stderr}"
    );
}
