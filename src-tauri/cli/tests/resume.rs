//! Crash safety: a sync killed with SIGKILL at random points, or whose connection is cut
//! in the middle of a FETCH, resumes on the next run with nothing lost and nothing twice.

mod support;

use std::{
    io::{Read, Write},
    net::{Shutdown, TcpListener, TcpStream},
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use rapport_testkit::{
    seed::{write_maildir, SeedSpec},
    MailServer,
};
use support::*;

fn seeded(owner: &str, count: usize) -> (MailServer, usize) {
    let server = MailServer::start().expect("harness");
    server.add_user(owner, PASSWORD).unwrap();
    let spec = SeedSpec {
        owner: owner.into(),
        owner_name: "Resume Tester".into(),
        count,
        seed: 23,
        newest: rapport_testkit::seed::now(),
        span_days: 200,
        sent_share_percent: 20,
    };
    let manifest = write_maildir(&server.maildir(owner), &spec).unwrap();
    (server, manifest.messages.len())
}

async fn scalar(db: &std::path::Path, sql: &'static str) -> i64 {
    use sqlx::Connection;
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=ro", db.display()))
        .await
        .unwrap();
    sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap()
}

/// Every count that must agree after any number of interrupted runs.
fn assert_complete(data: &std::path::Path, expected: usize) {
    let db = rapport_core::paths::database_file(data);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let expected = expected as i64;
        assert_eq!(scalar(&db, "SELECT count(*) FROM message").await, expected, "messages");
        assert_eq!(scalar(&db, "SELECT count(*) FROM message_location").await, expected, "locations");
        assert_eq!(scalar(&db, "SELECT count(*) FROM message_fts").await, expected, "index rows");
        assert_eq!(scalar(&db, "SELECT message_count FROM account").await, expected, "account counter");
        assert_eq!(scalar(&db, "SELECT sum(message_count) FROM folder").await, expected, "folder counters");
        assert_eq!(
            scalar(&db, "SELECT count(*) FROM message m WHERE NOT EXISTS (SELECT 1 FROM message_body b WHERE b.message_id = m.id)").await,
            0,
            "every message has its body"
        );
        assert_eq!(
            scalar(&db, "SELECT count(*) FROM message m WHERE NOT EXISTS (SELECT 1 FROM participant p WHERE p.message_id = m.id)").await,
            0,
            "every message has its people"
        );
    });
}

#[test]
fn sync_killed_at_random_points_resumes_without_loss_or_duplicates() {
    let owner = "killed@rapport.test";
    // Large enough, and the delays short enough, that the 20 runs together cannot finish
    // the mailbox: each one must be killed with work left, whatever the machine's speed.
    let (server, expected) = seeded(owner, 10_000);
    let data = tempfile::tempdir().unwrap();
    cli_json(
        data.path(),
        &strs(&add_args(&server, owner)),
        Some(PASSWORD),
    );

    // A fixed pseudo-random sequence of kill delays, so a failure can be replayed.
    let mut state: u64 = 0x9E37_79B9;
    let mut kills = 0;
    for _ in 0..20 {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let delay = Duration::from_millis(30 + (state >> 33) % 220);
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_rapport-cli"))
            .arg("--data-dir")
            .arg(data.path())
            .args(["sync", "--once", "--json"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL: no cleanup, no chance to finish a batch
            kills += 1;
        }
        child.wait().unwrap();
    }
    assert!(
        kills >= 10,
        "most runs should have been killed mid-sync ({kills})"
    );
    let done = cli_json(data.path(), &["sync", "--once"], None);
    assert!(done[0]["error"].is_null(), "{done}");
    assert_complete(data.path(), expected);
    // And a run after that finds nothing to do.
    let again = cli_json(data.path(), &["sync", "--once"], None);
    assert_eq!(again[0]["newMessages"], 0);
    assert_complete(data.path(), expected);
}

/// A loopback TCP proxy that forwards to `upstream` and, while `cut_after` is non-zero,
/// drops each connection once that many bytes have come from the server.
fn start_proxy(upstream: u16, cut_after: Arc<AtomicU64>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let cut_after = cut_after.clone();
            std::thread::spawn(move || {
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                    return;
                };
                let (mut c_read, mut s_write) =
                    (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || {
                    let mut buf = [0u8; 16 * 1024];
                    while let Ok(n) = c_read.read(&mut buf) {
                        if n == 0 || s_write.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = s_write.shutdown(Shutdown::Both);
                });
                let (mut s_read, mut c_write) = (server, client);
                let limit = cut_after.load(Ordering::SeqCst);
                let mut forwarded = 0u64;
                let mut buf = [0u8; 16 * 1024];
                while let Ok(n) = s_read.read(&mut buf) {
                    if n == 0 || c_write.write_all(&buf[..n]).is_err() {
                        break;
                    }
                    forwarded += n as u64;
                    if limit > 0 && forwarded >= limit {
                        break;
                    }
                }
                let _ = c_write.shutdown(Shutdown::Both);
                let _ = s_read.shutdown(Shutdown::Both);
            });
        }
    });
    port
}

#[test]
fn connection_cut_mid_fetch_resumes_on_the_next_run() {
    let owner = "cut@rapport.test";
    let (server, expected) = seeded(owner, 1500);
    let cut_after = Arc::new(AtomicU64::new(0));
    let proxy_port = start_proxy(server.imap_tls_port, cut_after.clone());
    let data = tempfile::tempdir().unwrap();
    let mut args = add_args(&server, owner);
    let port = args.iter().position(|a| a == "--imap-port").unwrap() + 1;
    args[port] = proxy_port.to_string();
    cli_json(data.path(), &strs(&args), Some(PASSWORD));

    // Every connection now dies after ~600 KB from the server: well into the FETCH.
    cut_after.store(600 * 1024, Ordering::SeqCst);
    let first = cli(data.path(), &["sync", "--once", "--json"], None);
    assert!(
        !first.status.success(),
        "a cut connection must fail the pass, not pass silently: {}",
        String::from_utf8_lossy(&first.stdout)
    );
    let db = rapport_core::paths::database_file(data.path());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let stored = runtime.block_on(scalar(&db, "SELECT count(*) FROM message"));
    assert!(
        stored > 0 && (stored as usize) < expected,
        "partial progress kept: {stored} of {expected}"
    );

    // Each further run, still cut, resumes where the last stopped and gets further.
    let mut previous = stored;
    let mut runs = 1;
    loop {
        runs += 1;
        assert!(runs <= 20, "no progress after {runs} cut runs");
        let out = cli(data.path(), &["sync", "--once", "--json"], None);
        let now = runtime.block_on(scalar(&db, "SELECT count(*) FROM message"));
        if out.status.success() {
            break;
        }
        assert!(now > previous, "run {runs} made no progress ({now})");
        previous = now;
    }
    drop(runtime);
    assert!(runs >= 2);
    assert_complete(data.path(), expected);

    // With the connection healthy again, nothing is left to fetch.
    cut_after.store(0, Ordering::SeqCst);
    let done = cli_json(data.path(), &["sync", "--once"], None);
    assert_eq!(done[0]["newMessages"], 0, "{done}");
    assert_complete(data.path(), expected);
}
