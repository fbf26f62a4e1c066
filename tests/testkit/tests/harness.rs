//! The harness end to end: a real Dovecot serves seeded mail over TLS, and a real Postfix
//! accepts authenticated submission and delivers into a local mailbox. Talks to the servers
//! through `openssl s_client`, so no TLS crate is needed.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use rapport_testkit::seed::{self, SeedSpec};
use rapport_testkit::MailServer;

/// A line-oriented TLS session over `openssl s_client`.
struct TlsLines {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
}

impl TlsLines {
    fn connect(server: &MailServer, port: u16) -> TlsLines {
        let mut child = Command::new("openssl")
            .args([
                "s_client",
                "-quiet",
                "-nocommands",
                "-verify_return_error",
                "-verify_hostname",
                "localhost",
            ])
            .arg("-connect")
            .arg(format!("127.0.0.1:{port}"))
            .arg("-CAfile")
            .arg(&server.ca_file)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_client runs");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line.trim_end_matches('\r').to_string()).is_err() {
                    break;
                }
            }
        });
        TlsLines {
            child,
            stdin,
            lines,
        }
    }

    fn send(&mut self, line: &str) {
        self.stdin.write_all(line.as_bytes()).unwrap();
        self.stdin.write_all(b"\r\n").unwrap();
        self.stdin.flush().unwrap();
    }

    /// Reads lines until one satisfies `done`; returns all of them.
    fn read_until(&mut self, done: impl Fn(&str) -> bool) -> Vec<String> {
        let mut got = Vec::new();
        loop {
            match self.lines.recv_timeout(Duration::from_secs(10)) {
                Ok(line) => {
                    let last = done(&line);
                    got.push(line);
                    if last {
                        return got;
                    }
                }
                Err(e) => panic!("no answer ({e}); got so far: {got:#?}"),
            }
        }
    }
}

impl Drop for TlsLines {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn imap(session: &mut TlsLines, tag: &str, command: &str) -> Vec<String> {
    session.send(&format!("{tag} {command}"));
    let lines = session.read_until(|l| l.starts_with(&format!("{tag} ")));
    assert!(
        lines.last().unwrap().starts_with(&format!("{tag} OK")),
        "{command}: {lines:#?}"
    );
    lines
}

fn smtp(session: &mut TlsLines, command: &str, code: &str) -> Vec<String> {
    session.send(command);
    let lines = session.read_until(|l| l.len() >= 4 && &l[3..4] == " ");
    assert!(
        lines.last().unwrap().starts_with(code),
        "{command}: {lines:#?}"
    );
    lines
}

fn base64(data: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn dovecot_serves_seeded_mail_and_postfix_delivers_submissions() {
    let started = Instant::now();
    let server = MailServer::start().expect("mail server starts");
    eprintln!("mail server started in {:?}: {server:?}", started.elapsed());
    server.add_user("alice@rapport.test", "alice-pw").unwrap();
    server.add_user("bob@rapport.test", "bob-pw").unwrap();

    let spec = SeedSpec {
        owner: "alice@rapport.test".to_string(),
        owner_name: "Alice Nováková".to_string(),
        count: 50,
        seed: 1234,
        newest: seed::now(),
        span_days: 90,
        sent_share_percent: 30,
    };
    let manifest = seed::write_maildir(&server.maildir("alice@rapport.test"), &spec).unwrap();
    let inbox = manifest
        .messages
        .iter()
        .filter(|m| m.folder == "INBOX")
        .count();
    let sent = manifest
        .messages
        .iter()
        .filter(|m| m.folder == "Sent")
        .count();
    assert_eq!(inbox + sent, 50);

    // IMAP over implicit TLS: the seeded counts, the special-use folders.
    let mut s = TlsLines::connect(&server, server.imap_tls_port);
    let greeting = s.read_until(|l| l.starts_with("* "));
    assert!(greeting[0].starts_with("* OK"), "{greeting:?}");
    let caps = imap(&mut s, "a0", "LOGIN alice@rapport.test alice-pw");
    assert!(
        caps.iter()
            .any(|l| l.contains("CONDSTORE") && l.contains("QRESYNC") && l.contains("IDLE")),
        "{caps:?}"
    );
    let status = imap(&mut s, "a1", "STATUS INBOX (MESSAGES)");
    assert!(
        status.contains(&format!("* STATUS INBOX (MESSAGES {inbox})")),
        "{status:?}\n{}",
        server.log_tail(20)
    );
    let status = imap(&mut s, "a2", "STATUS Sent (MESSAGES)");
    assert!(
        status.contains(&format!("* STATUS Sent (MESSAGES {sent})")),
        "{status:?}"
    );
    let list = imap(&mut s, "a3", "LIST \"\" \"*\"");
    for special in ["\\Sent", "\\Drafts", "\\Trash", "\\Junk", "\\Archive"] {
        assert!(
            list.iter().any(|l| l.contains(special)),
            "{special} missing: {list:?}"
        );
    }
    // INTERNALDATE comes from the file mtime: the newest seeded message is found by SINCE.
    let newest = manifest
        .messages
        .iter()
        .filter(|m| m.folder == "INBOX")
        .map(|m| m.date)
        .max()
        .unwrap();
    let day = chrono::DateTime::from_timestamp(newest, 0)
        .unwrap()
        .format("%-d-%b-%Y")
        .to_string();
    imap(&mut s, "a4", "SELECT INBOX");
    let found = imap(&mut s, "a5", &format!("SEARCH SINCE {day}"));
    assert!(
        found[0].starts_with("* SEARCH ") && found[0].len() > "* SEARCH ".len(),
        "{found:?}"
    );
    imap(&mut s, "a6", "LOGOUT");
    drop(s);

    // SMTP submission over implicit TLS with AUTH PLAIN, delivered to bob's Maildir.
    let mut m = TlsLines::connect(&server, server.smtp_tls_port);
    let greeting = m.read_until(|l| l.len() >= 4 && &l[3..4] == " ");
    assert!(greeting.last().unwrap().starts_with("220"), "{greeting:?}");
    let ehlo = smtp(&mut m, "EHLO client.rapport.test", "250");
    assert!(
        ehlo.iter()
            .any(|l| l.contains("AUTH") && l.contains("PLAIN")),
        "{ehlo:?}"
    );
    smtp(
        &mut m,
        &format!("AUTH PLAIN {}", base64(b"\0alice@rapport.test\0alice-pw")),
        "235",
    );
    smtp(&mut m, "MAIL FROM:<alice@rapport.test>", "250");
    smtp(&mut m, "RCPT TO:<bob@rapport.test>", "250");
    smtp(&mut m, "DATA", "354");
    for line in [
        "From: Alice <alice@rapport.test>",
        "To: Bob <bob@rapport.test>",
        "Subject: harness check",
        "Message-ID: <harness-check@rapport.test>",
        "",
        "Hello Bob.",
    ] {
        m.send(line);
    }
    smtp(&mut m, ".", "250");
    smtp(&mut m, "QUIT", "221");
    drop(m);

    let bob_new = server.maildir("bob@rapport.test").join("new");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let delivered = std::fs::read_dir(&bob_new)
            .map(|d| {
                d.filter_map(Result::ok).any(|e| {
                    std::fs::read_to_string(e.path())
                        .is_ok_and(|t| t.contains("harness-check@rapport.test"))
                })
            })
            .unwrap_or(false);
        if delivered {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not delivered to bob within 5 s\n{}",
            server.log_tail(30)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn several_servers_run_side_by_side() {
    let a = MailServer::start().unwrap();
    let b = MailServer::start().unwrap();
    assert_ne!(a.imap_tls_port, b.imap_tls_port);
    assert_ne!(a.dir, b.dir);
    let dir = a.dir.clone();
    drop(a);
    assert!(!dir.exists(), "dropping the server removes its directory");
    b.add_user("carol@acme.test", "pw").unwrap();
    assert!(b.maildir("carol@acme.test").join("cur").is_dir());
}
