//! Signing in with OAuth2 end to end, against a local authorization server standing in
//! for Google (tests/testkit `OAuthServer`) and the harness Dovecot + Postfix checking
//! every access token at that server's introspection endpoint: the browser sign-in with
//! PKCE through the loopback redirect, sync and send with XOAUTH2/OAUTHBEARER, an
//! expired access token refreshed without the user noticing, and a revoked refresh
//! token putting the account in the "sign in again" state (paused with that reason,
//! never a silent stop) until a new sign-in; a password account switched to a sign-in
//! and back, each credential tested before it replaces the other.
//!
//! Run under a keyring: `tests/harness/with-keyring.sh cargo test -p rapport-core --test oauth`.

mod common;

use std::{
    sync::{Arc, LazyLock, Mutex},
    time::Duration,
};

use rapport_core::{
    account::{ConnectionRequest, NewAccount},
    auth::{self, AuthError, AuthKind, BrowserPages, OAuthConfig, OAuthProvider},
    crm::ContactPolicy,
    imap::{self, ImapError},
    net::{Security, ServerSettings},
    secrets::{self, SecretKind, SecretRef},
    smtp,
    store::KeepPolicy,
    sync::{self, service::SyncScheduler, SyncError, SyncProgress},
    AccountService, Store,
};
use rapport_testkit::{
    oauth::{follow_in_browser, BrowserVisit, Decision, OAuthServer, CLIENT_ID},
    seed::SeedSpec,
    MailServer,
};

/// One authorization server for this test binary: the provider configuration is
/// process-wide, as in the app.
static PROVIDER: LazyLock<OAuthServer> = LazyLock::new(|| {
    let server = OAuthServer::start().expect("authorization server");
    let dir = tempfile::tempdir().expect("config dir");
    std::fs::write(
        dir.path().join(auth::CONFIG_FILE),
        serde_json::json!({
            "google": {
                "clientId": CLIENT_ID,
                "authUrl": server.authorize_url(),
                "tokenUrl": server.token_url(),
                "revokeUrl": server.revoke_url(),
            }
        })
        .to_string(),
    )
    .expect("config file");
    auth::install_config(OAuthConfig::load(Some(dir.path())));
    server
});

/// The tests change server-wide settings (decision, lifetimes): one at a time.
/// An async lock: it is held across the tests' awaits (and a failed test does not
/// poison it for the next).
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn serial() -> tokio::sync::MutexGuard<'static, ()> {
    SERIAL.lock().await
}

fn google() -> rapport_core::auth::ProviderSettings {
    auth::current_config()
        .provider(OAuthProvider::Google)
        .expect("google configured")
}

/// A browser that signs in at once and records what it saw.
fn browser() -> (Arc<Mutex<Vec<BrowserVisit>>>, Box<auth::OpenUrl>) {
    let visits = Arc::new(Mutex::new(Vec::new()));
    let seen = visits.clone();
    let open: Box<auth::OpenUrl> = Box::new(move |url: &str| {
        let url = url.to_owned();
        let seen = seen.clone();
        std::thread::spawn(move || {
            let visit = follow_in_browser(&url).expect("browser");
            seen.lock().unwrap().push(visit);
        });
        Ok(())
    });
    (visits, open)
}

/// The browser's last page (it may still be reading it when the sign-in ends).
async fn last_visit(visits: &Mutex<Vec<BrowserVisit>>) -> BrowserVisit {
    for _ in 0..100 {
        if let Some(visit) = visits.lock().unwrap().last() {
            return visit.clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the browser was not opened");
}

async fn sign_in_as(user: &str) -> Result<auth::TokenSet, AuthError> {
    let (_, open) = browser();
    auth::sign_in(
        &google(),
        Some(user),
        &*open,
        &BrowserPages::default(),
        std::future::pending(),
    )
    .await
}

fn oauth_server() -> MailServer {
    MailServer::start_with_oauth(&PROVIDER.introspection_url()).expect("mail server")
}

fn settings(server: &MailServer) -> (ServerSettings, ServerSettings) {
    (
        ServerSettings {
            host: "localhost".into(),
            port: server.imap_tls_port,
            security: Security::Tls,
        },
        ServerSettings {
            host: "localhost".into(),
            port: server.smtp_starttls_port,
            security: Security::Starttls,
        },
    )
}

fn new_account(server: &MailServer, user: &str) -> NewAccount {
    let (imap, smtp) = settings(server);
    NewAccount {
        email: user.into(),
        sender_name: "Olga".into(),
        mailbox_name: None,
        username: None,
        password: String::new(),
        imap,
        smtp,
        since: "all".into(),
        folders: None,
        contact_policy: ContactPolicy::All,
        keep_policy: KeepPolicy::All,
        poll_interval_secs: 300,
        ca_pem: Some(std::fs::read_to_string(&server.ca_file).expect("CA")),
        pinned_sha256: None,
        allow_plaintext: false,
        new_senders_are_leads: false,
    }
}

fn message(from: &str, to: &str, subject: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{}@rapport.test>\r\n\
         Date: Mon, 23 Nov 2026 08:00:00 +0000\r\n\r\nHello.\r\n",
        subject.replace(' ', ".")
    )
    .into_bytes()
}

/// Sends one message through the account's own login path.
async fn send_as(store: &Store, account_id: i64, to: &str, subject: &str) {
    let account = store.account(account_id).await.expect("account");
    let mut connection = auth::smtp_connection(store, &account)
        .await
        .expect("SMTP login");
    smtp::send(
        &mut connection,
        &account.email,
        &[to.to_owned()],
        &message(&account.email, to, subject),
    )
    .await
    .expect("send");
    let _ = connection.quit().await;
}

/// Waits until `n` messages are in `maildir`'s new/ folder.
async fn wait_for_delivery(server: &MailServer, user: &str, n: usize) {
    let new = server.maildir(user).join("new");
    for _ in 0..100 {
        let count = std::fs::read_dir(&new).map(|d| d.count()).unwrap_or(0);
        if count >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("mail did not arrive:\n{}", server.log_tail(30));
}

#[tokio::test]
async fn sign_in_sync_send_refresh_revoke_and_sign_in_again() {
    let _serial = serial().await;
    let provider = &*PROVIDER;
    provider.set_decision(Decision::Approve { as_user: None });
    provider.set_access_token_lifetime(Duration::from_secs(3600));
    let server = oauth_server();
    let user = "olga@rapport.test";
    // Dovecot's userdb must know the user; the password is never used.
    server.add_user(user, "unused-password").unwrap();
    let spec = SeedSpec {
        owner: user.into(),
        owner_name: "Olga".into(),
        count: 12,
        seed: 3,
        newest: rapport_testkit::seed::now(),
        span_days: 30,
        sent_share_percent: 0,
    };
    let seeded = rapport_testkit::seed::write_maildir(&server.maildir(user), &spec).expect("seed");

    // The browser sign-in: authorize -> loopback redirect -> code exchanged with PKCE.
    let (visits, open) = browser();
    let tokens = auth::sign_in(
        &google(),
        Some(user),
        &*open,
        &BrowserPages::default(),
        std::future::pending(),
    )
    .await
    .expect("sign-in");
    let visit = last_visit(&visits).await;
    assert_eq!(visit.status, 200);
    assert!(visit.body.contains("You are signed in"), "{}", visit.body);
    let authorize = &visit.urls[0];
    for part in [
        "code_challenge_method=S256",
        "code_challenge=",
        "state=",
        "login_hint=olga",
        "access_type=offline",
        "prompt=consent",
        "redirect_uri=http%3A%2F%2F127.0.0.1%3A",
    ] {
        assert!(authorize.contains(part), "{part} missing from {authorize}");
    }
    assert!(
        visit.urls[1].starts_with("http://127.0.0.1:"),
        "{:?}",
        visit.urls
    );
    assert!(!tokens.refresh_token.is_empty());

    // The wizard's connection test and the account, with the grant id only.
    let grant = auth::hold_grant(OAuthProvider::Google, tokens);
    let (imap_server, smtp_server) = settings(&server);
    let report = rapport_core::account::test_connection_signed_in(
        &ConnectionRequest {
            email: user.into(),
            username: user.into(),
            password: String::new(),
            imap: imap_server,
            smtp: smtp_server,
            pinned_sha256: None,
            allow_plaintext: false,
            ca_pem: Some(std::fs::read_to_string(&server.ca_file).unwrap()),
        },
        &grant,
    )
    .await
    .expect("connection test");
    assert!(report.imap.ok, "{:?}", report.imap.error);
    assert!(report.smtp.ok, "{:?}", report.smtp.error);
    assert!(report.folders.iter().any(|f| f.raw_name == "INBOX"));

    let data = tempfile::tempdir().unwrap();
    let store = Store::open(data.path()).await.unwrap();
    let accounts = AccountService::new(store.clone());
    let account = accounts
        .add_signed_in(new_account(&server, user), &grant)
        .await
        .expect("add with sign-in");
    assert_eq!(account.auth_kind, AuthKind::Google);
    let saved = secrets::load(&SecretRef::new(
        &store,
        account.id,
        SecretKind::RefreshToken,
    ))
    .expect("refresh token in the keyring");
    assert!(saved.starts_with("rt-"));
    assert!(matches!(
        secrets::load(&SecretRef::new(&store, account.id, SecretKind::Password)),
        Err(secrets::SecretError::Missing)
    ));
    let grant_reused = accounts
        .add_signed_in(new_account(&server, "x@rapport.test"), &grant)
        .await;
    assert_eq!(grant_reused.unwrap_err().code(), "oauth_grant_expired");

    // Sync and send with the token.
    let outcome = sync::sync_account_once(&store, account.id, &|_| {})
        .await
        .expect("sync");
    assert_eq!(outcome.message_count as usize, seeded.messages.len());
    let before = provider.counts();
    send_as(&store, account.id, "bob@rapport.test", "first with a token").await;
    wait_for_delivery(&server, "bob@rapport.test", 1).await;
    assert_eq!(
        provider.counts().refreshes,
        before.refreshes,
        "a fresh token needs no refresh"
    );

    // The access token expires behind Rapport's back: the server refuses it, Rapport
    // refreshes once and goes on; nothing reaches the user.
    provider.expire_access_tokens();
    let before = provider.counts();
    sync::sync_account_once(&store, account.id, &|_| {})
        .await
        .expect("sync after expiry");
    send_as(
        &store,
        account.id,
        "bob@rapport.test",
        "second after expiry",
    )
    .await;
    wait_for_delivery(&server, "bob@rapport.test", 2).await;
    let after = provider.counts();
    assert_eq!(
        after.refreshes,
        before.refreshes + 1,
        "one refresh serves IMAP and SMTP"
    );
    assert!(after.inactive_introspections > before.inactive_introspections);

    // Short-lived tokens are renewed before they expire, so no login is refused.
    provider.set_access_token_lifetime(Duration::from_secs(30));
    provider.expire_access_tokens();
    let before = provider.counts();
    for _ in 0..2 {
        sync::sync_account_once(&store, account.id, &|_| {})
            .await
            .expect("sync with short-lived tokens");
    }
    let after = provider.counts();
    assert_eq!(after.refreshes, before.refreshes + 2, "{after:?}");
    assert_eq!(
        after.inactive_introspections,
        before.inactive_introspections + 1,
        "{after:?}"
    );
    provider.set_access_token_lifetime(Duration::from_secs(3600));

    // The user revokes Rapport's access at the provider: the next pass stops with a
    // "sign in again" error, and the background sync pauses with that reason.
    provider.revoke_user(user);
    let error = sync::sync_account_once(&store, account.id, &|_| {})
        .await
        .expect_err("a revoked grant fails");
    assert!(
        matches!(error, SyncError::Auth(AuthError::SignInAgain { .. })),
        "{error:?}"
    );
    assert!(error.needs_user());
    assert_eq!(error.to_user_error().code, "sign_in_again");
    assert!(error.to_user_error().message.contains("Sign in again"));
    assert!(store.account(account.id).await.unwrap().sign_in_required);

    let paused = Arc::new(Mutex::new(None));
    let seen = paused.clone();
    let scheduler = SyncScheduler::new(
        store.clone(),
        Arc::new(move |event| {
            if let SyncProgress::Paused { reason, .. } = event {
                *seen.lock().unwrap() = Some(reason);
            }
        }),
    );
    scheduler.start(account.id).await;
    for _ in 0..100 {
        if paused.lock().unwrap().is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    scheduler.shutdown().await;
    let reason = paused
        .lock()
        .unwrap()
        .clone()
        .expect("the account was paused");
    assert!(reason.contains("Sign in again"), "{reason}");
    let stored = store.account(account.id).await.unwrap();
    assert!(stored.is_paused() && stored.sign_in_required);

    // Signing in again brings it back.
    let grant = auth::hold_grant(
        OAuthProvider::Google,
        sign_in_as(user).await.expect("sign-in"),
    );
    let renewed = accounts
        .sign_in_again(account.id, &grant)
        .await
        .expect("sign in again");
    assert!(!renewed.sign_in_required && !renewed.is_paused());
    sync::sync_account_once(&store, account.id, &|_| {})
        .await
        .expect("sync after signing in again");

    // Revoked between a pass and the IDLE that follows it: the IDLE's login is refused,
    // and the account pauses then, not at the next poll a minute or more later.
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = events.clone();
    let scheduler = SyncScheduler::new(
        store.clone(),
        Arc::new(move |event| {
            if let SyncProgress::Finished { .. } = event {
                PROVIDER.revoke_user(user);
            }
            seen.lock().unwrap().push(event);
        }),
    );
    scheduler.start(account.id).await;
    let paused_in = |events: &[SyncProgress]| {
        events.iter().find_map(|e| match e {
            SyncProgress::Paused { reason, .. } => Some(reason.clone()),
            _ => None,
        })
    };
    for _ in 0..100 {
        if paused_in(&events.lock().unwrap()).is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    scheduler.shutdown().await;
    let events = events.lock().unwrap().clone();
    let reason = paused_in(&events).expect("the account paused when the IDLE was refused");
    assert!(reason.contains("Sign in again"), "{reason}");
    let passes = events
        .iter()
        .filter(|e| matches!(e, SyncProgress::Started { .. }))
        .count();
    assert_eq!(
        passes, 1,
        "the pause came from the IDLE, not a second pass: {events:?}"
    );
    assert!(store.account(account.id).await.unwrap().sign_in_required);
    let grant = auth::hold_grant(
        OAuthProvider::Google,
        sign_in_as(user).await.expect("sign-in"),
    );
    accounts
        .sign_in_again(account.id, &grant)
        .await
        .expect("sign in again after the IDLE's refusal");

    // Removing the mailbox revokes the refresh token at the provider.
    let before = provider.counts();
    accounts.remove(account.id).await.expect("remove");
    assert_eq!(provider.counts().revocations, before.revocations + 1);
    assert_eq!(provider.active_refresh_tokens(user), 0);
}

#[tokio::test]
async fn rotated_refresh_tokens_are_kept() {
    let _serial = serial().await;
    let provider = &*PROVIDER;
    provider.set_decision(Decision::Approve { as_user: None });
    provider.set_access_token_lifetime(Duration::from_secs(3600));
    let server = oauth_server();
    let user = "rotor@rapport.test";
    server.add_user(user, "unused-password").unwrap();
    let grant = auth::hold_grant(OAuthProvider::Google, sign_in_as(user).await.unwrap());
    let data = tempfile::tempdir().unwrap();
    let store = Store::open(data.path()).await.unwrap();
    let account = AccountService::new(store.clone())
        .add_signed_in(new_account(&server, user), &grant)
        .await
        .expect("add");
    let first = secrets::load(&SecretRef::new(
        &store,
        account.id,
        SecretKind::RefreshToken,
    ))
    .unwrap();

    provider.set_rotate_refresh_tokens(true);
    provider.expire_access_tokens();
    sync::sync_account_once(&store, account.id, &|_| {})
        .await
        .expect("sync with rotation");
    let second = secrets::load(&SecretRef::new(
        &store,
        account.id,
        SecretKind::RefreshToken,
    ))
    .unwrap();
    assert_ne!(
        first, second,
        "the rotated refresh token replaces the old one"
    );

    // As after a restart: nothing cached, the old token retired, the new one works.
    auth::forget_account(&store, account.id);
    provider.expire_access_tokens();
    sync::sync_account_once(&store, account.id, &|_| {})
        .await
        .expect("sync after restart");
    provider.set_rotate_refresh_tokens(false);
    AccountService::new(store).remove(account.id).await.unwrap();
}

#[tokio::test]
async fn refused_consent_wrong_state_and_cancel_end_the_sign_in() {
    let _serial = serial().await;
    let provider = &*PROVIDER;

    provider.set_decision(Decision::Deny);
    let (visits, open) = browser();
    let denied = auth::sign_in(
        &google(),
        Some("a@rapport.test"),
        &*open,
        &BrowserPages::default(),
        std::future::pending(),
    )
    .await;
    assert!(
        matches!(denied, Err(AuthError::Denied { .. })),
        "{denied:?}"
    );
    provider.set_decision(Decision::Approve { as_user: None });
    // The browser still got a page that says it did not work.
    for _ in 0..50 {
        if !visits.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(visits.lock().unwrap()[0]
        .body
        .contains("Sign-in did not finish"));

    // A redirect carrying someone else's state is refused, and its code never exchanged.
    let before = provider.counts();
    let forged: Box<auth::OpenUrl> = Box::new(|url: &str| {
        let url = url.replace("state=", "state=forged");
        std::thread::spawn(move || {
            let _ = follow_in_browser(&url);
        });
        Ok(())
    });
    let mismatch = auth::sign_in(
        &google(),
        Some("a@rapport.test"),
        &*forged,
        &BrowserPages::default(),
        std::future::pending(),
    )
    .await;
    assert!(
        matches!(mismatch, Err(AuthError::StateMismatch)),
        "{mismatch:?}"
    );
    assert_eq!(provider.counts().code_exchanges, before.code_exchanges);

    // Cancelled while the browser is open: ends at once.
    let nothing: Box<auth::OpenUrl> = Box::new(|_| Ok(()));
    let started = std::time::Instant::now();
    let cancelled = auth::sign_in(
        &google(),
        None,
        &*nothing,
        &BrowserPages::default(),
        tokio::time::sleep(Duration::from_millis(200)),
    )
    .await;
    assert!(
        matches!(cancelled, Err(AuthError::Cancelled)),
        "{cancelled:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));

    // Nobody finishes in the browser: the time limit ends the wait.
    let started = std::time::Instant::now();
    let timed_out = auth::sign_in_within(
        Duration::from_millis(300),
        &google(),
        None,
        &*nothing,
        &BrowserPages::default(),
        std::future::pending(),
    )
    .await;
    assert!(
        matches!(timed_out, Err(AuthError::TimedOut)),
        "{timed_out:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));

    // A provider that signs in without a refresh token would leave an account that
    // stops after an hour: refused at once, with a sentence that says what to do.
    provider.set_issue_refresh_tokens(false);
    let no_refresh = sign_in_as("a@rapport.test").await;
    provider.set_issue_refresh_tokens(true);
    assert!(
        matches!(no_refresh, Err(AuthError::NoRefreshToken { .. })),
        "{no_refresh:?}"
    );

    // A browser that cannot be opened says so.
    let broken: Box<auth::OpenUrl> = Box::new(|_| Err("no browser installed".into()));
    let failed = auth::sign_in(
        &google(),
        None,
        &*broken,
        &BrowserPages::default(),
        std::future::pending(),
    )
    .await;
    assert!(matches!(failed, Err(AuthError::Browser(_))), "{failed:?}");
}

#[tokio::test]
async fn imap_takes_xoauth2_and_oauthbearer_and_refuses_a_bad_token() {
    let _serial = serial().await;
    let provider = &*PROVIDER;
    provider.set_decision(Decision::Approve { as_user: None });
    provider.set_access_token_lifetime(Duration::from_secs(3600));
    let server = oauth_server();
    let user = "mech@rapport.test";
    server.add_user(user, "unused-password").unwrap();
    let tokens = sign_in_as(user).await.unwrap();
    let (imap_server, smtp_server) = settings(&server);
    let trust = common::harness_trust(&server);
    for mechanism in [
        auth::sasl::TokenMechanism::XOAuth2,
        auth::sasl::TokenMechanism::OAuthBearer,
    ] {
        let client = imap::connect(&imap_server, &trust).await.unwrap();
        let mut session = imap::authenticate_with_token(
            client,
            &imap_server,
            user,
            &tokens.access_token,
            mechanism,
        )
        .await
        .unwrap_or_else(|e| panic!("{mechanism:?}: {e}\n{}", server.log_tail(20)));
        session.select("INBOX").await.expect("select");
        session.logout().await.unwrap();

        let client = imap::connect(&imap_server, &trust).await.unwrap();
        let refused =
            imap::authenticate_with_token(client, &imap_server, user, "not-a-token", mechanism)
                .await;
        assert!(
            matches!(refused, Err(ImapError::AuthenticationFailed { .. })),
            "{mechanism:?}: {refused:?}"
        );
    }
    // A server without token logins says so, rather than "sign in again".
    let password_only = MailServer::start().expect("password-only server");
    let (password_imap, _) = settings(&password_only);
    let unsupported = imap::login_with_token(
        &password_imap,
        user,
        &tokens.access_token,
        &common::harness_trust(&password_only),
    )
    .await;
    assert!(
        matches!(unsupported, Err(ImapError::TokenLoginUnsupported)),
        "{:?}",
        unsupported.err()
    );

    // Another user's token is not this user's.
    let refused = imap::login_with_token(
        &imap_server,
        "someone@rapport.test",
        &tokens.access_token,
        &trust,
    )
    .await;
    assert!(
        matches!(refused, Err(ImapError::AuthenticationFailed { .. })),
        "{refused:?}"
    );

    let mut connection = smtp::login_with_token(&smtp_server, user, &tokens.access_token, &trust)
        .await
        .expect("SMTP with a token");
    let _ = connection.quit().await;
    let refused = smtp::login_with_token(&smtp_server, user, "not-a-token", &trust).await;
    assert!(
        matches!(refused, Err(smtp::SmtpError::AuthenticationFailed { .. })),
        "{:?}",
        refused.err()
    );
}

#[tokio::test]
async fn changed_servers_of_a_signed_in_account_are_tested_with_its_token() {
    let _serial = serial().await;
    let provider = &*PROVIDER;
    provider.set_decision(Decision::Approve { as_user: None });
    provider.set_access_token_lifetime(Duration::from_secs(3600));
    let server = oauth_server();
    let user = "settings@rapport.test";
    server.add_user(user, "unused-password").unwrap();
    let grant = auth::hold_grant(OAuthProvider::Google, sign_in_as(user).await.unwrap());
    let data = tempfile::tempdir().unwrap();
    let store = Store::open(data.path()).await.unwrap();
    let accounts = AccountService::new(store.clone());
    let account = accounts
        .add_signed_in(new_account(&server, user), &grant)
        .await
        .expect("add");
    let update = |smtp: ServerSettings, password: Option<String>| {
        rapport_core::account::AccountSettingsUpdate {
            sender_name: "Olga".into(),
            mailbox_name: "Work".into(),
            since: "all".into(),
            keep_policy: KeepPolicy::All,
            contact_policy: ContactPolicy::All,
            new_senders_are_leads: None,
            poll_interval_secs: 300,
            folders: vec!["INBOX".into()],
            imap: account.imap.clone(),
            smtp,
            username: user.into(),
            password,
            pinned_sha256: None,
            allow_plaintext: false,
        }
    };

    // Implicit TLS instead of STARTTLS: logged in again, with the token, before saving.
    let tls = ServerSettings {
        host: "localhost".into(),
        port: server.smtp_tls_port,
        security: Security::Tls,
    };
    let saved = accounts
        .update(account.id, update(tls.clone(), Some("ignored".into())))
        .await
        .expect("update with the token");
    assert_eq!(saved.smtp, tls);
    assert!(
        matches!(
            secrets::load(&SecretRef::new(&store, account.id, SecretKind::Password)),
            Err(secrets::SecretError::Missing)
        ),
        "a password typed for a signed-in account is not kept"
    );

    // A wrong port is refused, and nothing is saved.
    let wrong = ServerSettings {
        port: server.imap_tls_port,
        ..tls.clone()
    };
    assert!(accounts
        .update(account.id, update(wrong, None))
        .await
        .is_err());
    assert_eq!(store.account(account.id).await.unwrap().smtp, tls);
    accounts.remove(account.id).await.unwrap();
}

/// How many messages wait in `user`'s new/ folder.
fn in_new(server: &MailServer, user: &str) -> usize {
    std::fs::read_dir(server.maildir(user).join("new"))
        .map(|d| d.count())
        .unwrap_or(0)
}

#[tokio::test]
async fn a_password_account_switches_to_a_sign_in_and_back_keeping_its_mail() {
    let _serial = serial().await;
    let provider = &*PROVIDER;
    provider.set_decision(Decision::Approve { as_user: None });
    provider.set_access_token_lifetime(Duration::from_secs(3600));
    let server = oauth_server();
    let user = "switch@rapport.test";
    let password = "Switch-pass-41";
    server.add_user(user, password).unwrap();
    let spec = SeedSpec {
        owner: user.into(),
        owner_name: "Olga".into(),
        count: 6,
        seed: 5,
        newest: rapport_testkit::seed::now(),
        span_days: 30,
        sent_share_percent: 0,
    };
    rapport_testkit::seed::write_maildir(&server.maildir(user), &spec).expect("seed");
    let data = tempfile::tempdir().unwrap();
    let store = Store::open(data.path()).await.unwrap();
    let accounts = AccountService::new(store.clone());
    let account = accounts
        .add(NewAccount {
            password: password.into(),
            ..new_account(&server, user)
        })
        .await
        .expect("add with a password");
    let quiet = |_: SyncProgress| {};
    sync::sync_account_once(&store, account.id, &quiet)
        .await
        .expect("sync with the password");
    let messages = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM message")
            .fetch_one(store.pool())
            .await
            .unwrap()
    };
    assert_eq!(messages().await, 6);
    let secret = |kind| SecretRef::new(&store, account.id, kind);

    // A sign-in for another mailbox is refused by the server, and nothing changes.
    provider.set_decision(Decision::Approve {
        as_user: Some("someone-else@rapport.test".into()),
    });
    let wrong = auth::hold_grant(OAuthProvider::Google, sign_in_as(user).await.unwrap());
    assert!(accounts.use_sign_in(account.id, &wrong).await.is_err());
    assert_eq!(
        store.account(account.id).await.unwrap().auth_kind,
        AuthKind::Password
    );
    assert!(secrets::load(&secret(SecretKind::Password)).is_ok());
    provider.set_decision(Decision::Approve { as_user: None });

    // Password -> Google: the refresh token is kept, the password leaves the keyring.
    let grant = auth::hold_grant(OAuthProvider::Google, sign_in_as(user).await.unwrap());
    let switched = accounts
        .use_sign_in(account.id, &grant)
        .await
        .expect("switch to the sign-in");
    assert_eq!(switched.auth_kind, AuthKind::Google);
    assert!(secrets::load(&secret(SecretKind::RefreshToken)).is_ok());
    assert!(matches!(
        secrets::load(&secret(SecretKind::Password)),
        Err(secrets::SecretError::Missing)
    ));
    let introspections = provider.counts().introspections;
    // Sent through the account's own SMTP login (the token now), to itself.
    let waiting = in_new(&server, user);
    send_as(&store, account.id, user, "After the switch").await;
    wait_for_delivery(&server, user, waiting + 1).await;
    let report = sync::sync_account_once(&store, account.id, &quiet)
        .await
        .expect("sync with the token");
    assert_eq!(report.new_messages, 1);
    assert!(
        provider.counts().introspections > introspections,
        "the server checked a token"
    );
    assert_eq!(messages().await, 7, "the mail stayed");

    // Google -> a password: a wrong one changes nothing ...
    let refused = accounts
        .use_password(account.id, "not-the-password".into())
        .await;
    assert!(refused.is_err());
    assert_eq!(
        store.account(account.id).await.unwrap().auth_kind,
        AuthKind::Google
    );
    let empty = accounts.use_password(account.id, String::new()).await;
    assert!(
        matches!(&empty, Err(e) if e.to_user_error().field == Some("password")),
        "{empty:?}"
    );
    // ... the right one replaces the sign-in, which is revoked at the provider.
    let revocations = provider.counts().revocations;
    let back = accounts
        .use_password(account.id, password.into())
        .await
        .expect("switch to the password");
    assert_eq!(back.auth_kind, AuthKind::Password);
    assert_eq!(provider.counts().revocations, revocations + 1);
    assert!(matches!(
        secrets::load(&secret(SecretKind::RefreshToken)),
        Err(secrets::SecretError::Missing)
    ));
    assert_eq!(
        secrets::load(&secret(SecretKind::Password)).unwrap(),
        password
    );
    let waiting = in_new(&server, user);
    send_as(&store, account.id, user, "Back to the password").await;
    wait_for_delivery(&server, user, waiting + 1).await;
    let report = sync::sync_account_once(&store, account.id, &quiet)
        .await
        .expect("sync with the password again");
    assert_eq!(report.new_messages, 1);
    assert_eq!(messages().await, 8);
    accounts.remove(account.id).await.unwrap();
}
