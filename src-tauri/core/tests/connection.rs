//! The wizard's connection test against the real harness servers (Dovecot + Postfix on
//! loopback with a private CA): every outcome the user can meet.

use rapport_core::{
    account::{test_connection, ConnectionRequest},
    imap::FolderRole,
    net::{Security, ServerSettings},
};
use rapport_testkit::MailServer;

const USER: &str = "wizard@rapport.test";
const PASSWORD: &str = "Wizard-pass-42";

fn request(server: &MailServer) -> ConnectionRequest {
    ConnectionRequest {
        email: USER.into(),
        username: USER.into(),
        password: PASSWORD.into(),
        imap: ServerSettings {
            host: "localhost".into(),
            port: server.imap_tls_port,
            security: Security::Tls,
        },
        smtp: ServerSettings {
            host: "localhost".into(),
            port: server.smtp_tls_port,
            security: Security::Tls,
        },
        pinned_sha256: None,
        allow_plaintext: false,
        ca_pem: Some(std::fs::read_to_string(&server.ca_file).expect("harness CA")),
    }
}

fn started() -> MailServer {
    let server = MailServer::start().expect("start the harness mail server");
    server.add_user(USER, PASSWORD).expect("add user");
    server
}

#[tokio::test]
async fn right_password_verifies_both_servers_and_lists_folders() {
    let server = started();
    let report = test_connection(&request(&server)).await.unwrap();
    assert!(report.imap.ok, "{:?}", report.imap.error);
    assert!(report.smtp.ok, "{:?}", report.smtp.error);
    let inbox = report
        .folders
        .iter()
        .find(|f| f.role == Some(FolderRole::Inbox))
        .expect("inbox listed");
    assert!(inbox.selected_by_default);
    let sent = report
        .folders
        .iter()
        .find(|f| f.role == Some(FolderRole::Sent))
        .expect("sent listed");
    assert!(sent.selected_by_default);
    for role in [FolderRole::Junk, FolderRole::Trash] {
        let folder = report
            .folders
            .iter()
            .find(|f| f.role == Some(role))
            .expect("special folder listed");
        assert!(
            !folder.selected_by_default,
            "{role:?} must start unselected"
        );
    }
    assert_eq!(inbox.message_count, Some(0));
}

#[tokio::test]
async fn starttls_ports_verify_too() {
    let server = started();
    let mut req = request(&server);
    req.imap = ServerSettings {
        host: "localhost".into(),
        port: server.imap_starttls_port,
        security: Security::Starttls,
    };
    req.smtp = ServerSettings {
        host: "localhost".into(),
        port: server.smtp_starttls_port,
        security: Security::Starttls,
    };
    let report = test_connection(&req).await.unwrap();
    assert!(report.imap.ok, "{:?}", report.imap.error);
    assert!(report.smtp.ok, "{:?}", report.smtp.error);
}

#[tokio::test]
async fn wrong_password_gives_the_wrong_password_error_on_both() {
    let server = started();
    let mut req = request(&server);
    req.password = "not-it".into();
    let report = test_connection(&req).await.unwrap();
    for check in [&report.imap, &report.smtp] {
        assert!(!check.ok);
        let error = check.error.as_ref().unwrap();
        assert_eq!(error.code, "auth_failed");
        assert_eq!(error.field, Some("password"));
        assert!(
            error
                .message
                .contains("did not accept the user name or password"),
            "{}",
            error.message
        );
        assert!(!error.message.contains("not-it"));
    }
    assert!(report.folders.is_empty());
}

#[tokio::test]
async fn untrusted_certificate_is_shown_and_verifies_once_pinned() {
    let server = started();
    let mut req = request(&server);
    req.ca_pem = None;
    let report = test_connection(&req).await.unwrap();
    let error = report.imap.error.as_ref().expect("imap refused");
    assert_eq!(error.code, "certificate_not_trusted");
    let certificate = report
        .imap
        .certificate
        .clone()
        .expect("certificate offered for trust");
    assert_eq!(certificate.sha256.len(), 64);
    assert!(
        certificate.subject.contains("localhost") || certificate.subject.contains("CN="),
        "{}",
        certificate.subject
    );
    assert!(!certificate.issuer.is_empty());
    assert!(!certificate.not_after.is_empty());
    assert!(error.message.contains(&certificate.sha256));
    let smtp_certificate = report
        .smtp
        .certificate
        .clone()
        .expect("smtp certificate offered too");

    // Trusting exactly these certificates makes both checks pass.
    req.pinned_sha256 = Some(format!(
        "{},{}",
        certificate.sha256, smtp_certificate.sha256
    ));
    let pinned = test_connection(&req).await.unwrap();
    assert!(pinned.imap.ok, "{:?}", pinned.imap.error);
    assert!(pinned.smtp.ok, "{:?}", pinned.smtp.error);

    // A different pin is no trust at all.
    req.pinned_sha256 = Some("00".repeat(32));
    let wrong_pin = test_connection(&req).await.unwrap();
    assert_eq!(
        wrong_pin.imap.error.unwrap().code,
        "certificate_not_trusted"
    );
}

#[tokio::test]
async fn plaintext_is_refused_unless_explicitly_allowed() {
    let server = started();
    let mut req = request(&server);
    req.imap = ServerSettings {
        host: "localhost".into(),
        port: server.imap_starttls_port,
        security: Security::None,
    };
    let refused = test_connection(&req).await.unwrap_err();
    assert_eq!(refused.code(), "plaintext_refused");
    assert_eq!(refused.field(), Some("imapSecurity"));
    req.allow_plaintext = true;
    let report = test_connection(&req).await.unwrap();
    assert!(report.imap.ok, "{:?}", report.imap.error);
}

#[tokio::test]
async fn closed_port_and_unknown_host_name_the_field_to_fix() {
    let server = started();
    let mut req = request(&server);
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    req.imap.port = closed;
    req.smtp.host = "no-such-host.invalid".into();
    let report = test_connection(&req).await.unwrap();
    let imap = report.imap.error.unwrap();
    assert_eq!((imap.code, imap.field), ("refused", Some("imapPort")));
    let smtp = report.smtp.error.unwrap();
    assert_eq!(
        (smtp.code, smtp.field),
        ("host_not_found", Some("smtpHost"))
    );
}

#[tokio::test]
async fn tls_against_a_starttls_port_says_to_check_the_port() {
    let server = started();
    let mut req = request(&server);
    req.imap.port = server.imap_starttls_port; // TLS expected, plain greeting received
    let report = test_connection(&req).await.unwrap();
    let error = report.imap.error.unwrap();
    assert_eq!(error.field, Some("imapSecurity"), "{}", error.message);
}
