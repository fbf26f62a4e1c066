//! `rapport-cli account add --oauth google`: the browser sign-in from the command line
//! against the local authorization server (the "browser" is a script that hands the
//! address to the test, which follows it), then sync with the token, and a revoked
//! sign-in reported as such.

mod support;

use std::{
    os::unix::fs::PermissionsExt,
    process::{Command, Stdio},
    time::Duration,
};

use rapport_testkit::{
    oauth::{follow_in_browser, OAuthServer, CLIENT_ID},
    seed::{write_maildir, SeedSpec},
    MailServer,
};
use support::*;

const OWNER: &str = "cli.oauth@rapport.test";

#[test]
fn account_add_with_oauth_signs_in_in_the_browser_and_syncs() {
    let provider = OAuthServer::start().expect("authorization server");
    let server = MailServer::start_with_oauth(&provider.introspection_url()).expect("mail server");
    server.add_user(OWNER, "Unused-password-1").expect("user");
    let spec = SeedSpec {
        owner: OWNER.into(),
        owner_name: "Cli Oauth".into(),
        count: 15,
        seed: 5,
        newest: rapport_testkit::seed::now(),
        span_days: 30,
        sent_share_percent: 0,
    };
    write_maildir(&server.maildir(OWNER), &spec).expect("seed");
    let data = tempfile::tempdir().unwrap();
    std::fs::write(
        data.path().join("oauth.json"),
        serde_json::json!({"google": {
            "clientId": CLIENT_ID,
            "authUrl": provider.authorize_url(),
            "tokenUrl": provider.token_url(),
            "revokeUrl": provider.revoke_url(),
        }})
        .to_string(),
    )
    .unwrap();

    let mut args = add_args(&server, OWNER);
    args.retain(|a| a != "--password-stdin");
    args.extend(["--oauth".into(), "google".into(), "--json".into()]);
    let url_file = data.path().join("browser-url");
    let browser = data.path().join("browser.sh");
    std::fs::write(
        &browser,
        format!("#!/bin/sh\nprintf '%s' \"$1\" > '{}'\n", url_file.display()),
    )
    .unwrap();
    std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o755)).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_rapport-cli"))
        .arg("--data-dir")
        .arg(data.path())
        .args(&args)
        .env("RAPPORT_OAUTH_BROWSER", &browser)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start rapport-cli");
    let mut url = String::new();
    for _ in 0..200 {
        url = std::fs::read_to_string(&url_file).unwrap_or_default();
        if !url.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        url.starts_with(&provider.authorize_url()),
        "the browser got {url:?}"
    );
    let visit = follow_in_browser(&url).expect("browser");
    assert!(visit.body.contains("You are signed in"), "{}", visit.body);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let added: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(added["email"], OWNER);
    assert_eq!(added["authKind"], "google");

    let synced = cli_json(data.path(), &["sync", "--once"], None);
    assert_eq!(synced[0]["messageCount"], 15, "{synced}");

    // Revoked at the provider: the next sync says to sign in again.
    provider.revoke_user(OWNER);
    let out = cli(data.path(), &["sync", "--once"], None);
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("Sign in again"), "{said}");
}
