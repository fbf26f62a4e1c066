//! Secrets never reach the log files: with every crate logging at TRACE (the IMAP and SMTP
//! libraries included), a wizard's connection test, adding the account, a full sync, an
//! SMTP login and a send against the harness leave no password in the logs, in clear or in
//! the base64 of a SASL exchange; nor does a token that an error message happens to carry.
//! One test per binary, because logging is set up once per process.

use base64::Engine;
use rapport_core::{
    account::{test_connection, ConnectionRequest},
    diagnostics, logging,
    net::{Security, ServerSettings},
    smtp,
    sync::{self, SyncProgress},
};
use rapport_testkit::seed::SeedSpec;

mod common;
use common::{add_server_account, harness_imap, harness_trust};

const PASSWORD: &str = "Log-secret-Zq81-wild";
const TOKEN: &str = "ya29.A0ARrdaM-leaky-access-token-5521";

fn quiet(_: SyncProgress) {}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_password_or_token_reaches_the_log_files() {
    let logs = tempfile::tempdir().expect("log dir");
    // SAFETY: set before any other thread of this test binary reads the environment.
    unsafe { std::env::set_var("RUST_LOG", "trace") };
    let guard = logging::init(logs.path(), "rapport", tracing::Level::ERROR);

    let server = rapport_testkit::MailServer::start().expect("harness");
    let user = "logs@rapport.test";
    let smtp_server = ServerSettings {
        host: "localhost".into(),
        port: server.smtp_tls_port,
        security: Security::Tls,
    };
    server.add_user(user, PASSWORD).expect("harness user");
    // The wizard's connection test, before anything is saved.
    let report = test_connection(&ConnectionRequest {
        email: user.into(),
        username: user.into(),
        password: PASSWORD.into(),
        imap: harness_imap(&server),
        smtp: smtp_server.clone(),
        pinned_sha256: None,
        allow_plaintext: false,
        ca_pem: Some(std::fs::read_to_string(&server.ca_file).expect("CA")),
    })
    .await
    .expect("connection test");
    assert!(report.imap.ok && report.smtp.ok, "{report:?}");
    // A wrong password too: its failure is logged.
    let _ = smtp::login(
        &smtp_server,
        user,
        "Wrong-secret-Qx77",
        &harness_trust(&server),
    )
    .await;

    let spec = SeedSpec {
        owner: user.into(),
        owner_name: "Log Tester".into(),
        count: 20,
        seed: 3,
        newest: rapport_testkit::seed::now(),
        span_days: 10,
        sent_share_percent: 20,
    };
    let f = add_server_account(server, spec, PASSWORD, None, async |_| {}).await;
    sync::sync_account_once(&f.store, f.account_id, &quiet)
        .await
        .expect("sync");

    let mut connection = smtp::login(&smtp_server, user, PASSWORD, &harness_trust(&f.server))
        .await
        .expect("smtp login");
    let raw = format!(
        "From: {user}\r\nTo: {user}\r\nSubject: Logged send\r\nMessage-ID: <log-send@rapport.test>\r\nDate: {}\r\n\r\nBody.\r\n",
        chrono::Utc::now().to_rfc2822()
    );
    smtp::send(&mut connection, user, &[user.to_owned()], raw.as_bytes())
        .await
        .expect("send");
    let _ = connection.quit().await;

    // A token the program knows of, and one shaped like a credential in a provider's reply.
    logging::redact_secret(TOKEN);
    tracing::warn!("token refresh failed for {TOKEN}");
    tracing::info!(
        r#"provider said {{"access_token":"ya29.unregistered-9912","expires_in":3599}}"#
    );
    drop(guard);

    let mut text = String::new();
    let files = logging::RollingLog::files(logs.path(), "rapport");
    assert!(!files.is_empty(), "no log file written");
    for file in files {
        text.push_str(&std::fs::read_to_string(file).expect("log file"));
    }
    assert!(
        text.lines().count() > 50,
        "the logs are too thin to prove anything:\n{text}"
    );
    assert!(
        text.contains("Logged send") || text.contains("sync"),
        "{text}"
    );
    let engine = base64::engine::general_purpose::STANDARD;
    for (what, secret) in [
        ("password", PASSWORD.to_owned()),
        ("wrong password", "Wrong-secret-Qx77".to_owned()),
        ("token", TOKEN.to_owned()),
        ("unregistered token", "ya29.unregistered-9912".to_owned()),
        ("SASL PLAIN", engine.encode(format!("\0{user}\0{PASSWORD}"))),
        ("SASL LOGIN", engine.encode(PASSWORD)),
    ] {
        assert!(!text.contains(&secret), "the {what} is in the logs");
    }
    assert!(
        text.contains(logging::REDACTED),
        "nothing was redacted at all"
    );

    // The diagnostics report: the account's state, no secret, no full address.
    let report = diagnostics::report(
        &f.store,
        &diagnostics::ProgramInfo {
            name: "Rapport",
            version: "test",
            toolkit: None,
        },
        logs.path(),
    )
    .await
    .expect("report");
    assert!(report.contains("…@rapport.test"), "{report}");
    assert!(report.contains("active"), "{report}");
    assert!(!report.contains(user), "{report}");
    assert!(
        !report.contains(PASSWORD) && !report.contains(TOKEN),
        "{report}"
    );
}
