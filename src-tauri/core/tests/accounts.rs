//! Account lifecycle against the harness and the real Secret Service: add with a pinned
//! certificate, folders with decoded names and roles, settings updates that re-test the
//! login, reconnect after a pause, removal.

use rapport_core::{
    account::{AccountSettingsUpdate, NewAccount},
    crm::ContactPolicy,
    imap,
    net::{Security, ServerSettings},
    store::KeepPolicy,
    AccountService, Store,
};
use rapport_testkit::MailServer;

const USER: &str = "settings@rapport.test";
const PASSWORD: &str = "Settings-pass-77";

fn new_account(server: &MailServer) -> NewAccount {
    NewAccount {
        email: USER.into(),
        sender_name: "Settings Tester".into(),
        mailbox_name: None,
        username: None,
        password: PASSWORD.into(),
        imap: ServerSettings {
            host: "localhost".into(),
            port: server.imap_tls_port,
            security: Security::Tls,
        },
        smtp: ServerSettings {
            host: "localhost".into(),
            port: server.smtp_starttls_port,
            security: Security::Starttls,
        },
        since: "1m".into(),
        folders: None,
        contact_policy: ContactPolicy::Sent,
        keep_policy: KeepPolicy::All,
        poll_interval_secs: 120,
        ca_pem: Some(std::fs::read_to_string(&server.ca_file).unwrap()),
        pinned_sha256: None,
        allow_plaintext: false,
        new_senders_are_leads: false,
    }
}

fn update_from(
    service_account: &rapport_core::store::AccountRecord,
    folders: Vec<String>,
) -> AccountSettingsUpdate {
    AccountSettingsUpdate {
        sender_name: service_account.sender_name.clone(),
        mailbox_name: service_account.mailbox_name.clone(),
        since: service_account.fetch_since.to_string(),
        keep_policy: service_account.keep_policy,
        contact_policy: service_account.contact_policy,
        new_senders_are_leads: None,
        poll_interval_secs: service_account.poll_interval_secs,
        folders,
        imap: service_account.imap.clone(),
        smtp: service_account.smtp.clone(),
        username: service_account.username.clone(),
        password: None,
        pinned_sha256: None,
        allow_plaintext: false,
    }
}

#[tokio::test]
async fn add_update_reconnect_and_remove_an_account() {
    let server = MailServer::start().expect("harness");
    server.add_user(USER, PASSWORD).unwrap();
    // A folder with a non-ASCII name, created over IMAP in its modified UTF-7 form.
    {
        let trust = rapport_core::tls::TrustSettings {
            extra_ca_pem: Some(std::fs::read_to_string(&server.ca_file).unwrap()),
            pinned_sha256: None,
        };
        let imap_server = ServerSettings {
            host: "localhost".into(),
            port: server.imap_tls_port,
            security: Security::Tls,
        };
        let mut session = imap::login(&imap_server, USER, PASSWORD, &trust)
            .await
            .unwrap();
        session.create("Wys&AUI-ane").await.unwrap();
        session.create("Projects/Acme").await.unwrap();
        let _ = session.logout().await;
    }
    let data = tempfile::tempdir().unwrap();
    let store = Store::open(data.path()).await.unwrap();
    let service = AccountService::new(store.clone());

    let account = service.add(new_account(&server)).await.expect("add");
    assert_eq!(account.poll_interval_secs, 120);
    assert_eq!(account.contact_policy, ContactPolicy::Sent);
    let folders = service.folders(account.id).await.unwrap();
    let polish = folders
        .iter()
        .find(|f| f.raw_name == "Wys&AUI-ane")
        .expect("folder listed");
    assert_eq!(polish.display_name, "Wysłane");
    assert_eq!(
        polish.role.as_deref(),
        Some("sent"),
        "guessed from its Polish name"
    );
    let nested = folders
        .iter()
        .find(|f| f.raw_name == "Projects/Acme")
        .unwrap();
    assert_eq!(nested.depth, 1);
    let selected: Vec<&str> = folders
        .iter()
        .filter(|f| f.selected)
        .map(|f| f.raw_name.as_str())
        .collect();
    assert!(
        selected.contains(&"INBOX") && selected.contains(&"Sent"),
        "{selected:?}"
    );
    assert!(!folders
        .iter()
        .any(|f| f.selected && f.role.as_deref() == Some("junk")));

    // A wrong new password is tested and refused; nothing changes.
    let mut update = update_from(&account, vec!["INBOX".into()]);
    update.password = Some("wrong-password".into());
    let refused = service.update(account.id, update).await.unwrap_err();
    assert_eq!(refused.field(), Some("password"));
    assert_eq!(
        store.account(account.id).await.unwrap().poll_interval_secs,
        120
    );

    // A plain settings change saves without touching the password.
    let mut update = update_from(&account, vec!["INBOX".into(), "Projects/Acme".into()]);
    update.poll_interval_secs = 900;
    update.sender_name = "Renamed Tester".into();
    update.since = "all".into();
    update.new_senders_are_leads = Some(true);
    let saved = service.update(account.id, update).await.unwrap();
    assert!(saved.leads_from_incoming);
    assert_eq!(saved.poll_interval_secs, 900);
    assert_eq!(saved.sender_name, "Renamed Tester");
    assert_eq!(saved.fetch_since.to_string(), "all");
    let selected: Vec<String> = service
        .folders(account.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|f| f.selected)
        .map(|f| f.raw_name)
        .collect();
    assert_eq!(selected.len(), 2);
    assert!(selected.contains(&"Projects/Acme".to_owned()));

    // Empty folder selection is refused with the field to fix.
    let empty = service
        .update(account.id, update_from(&saved, vec![]))
        .await
        .unwrap_err();
    assert_eq!(empty.field(), Some("folders"));

    // Reconnect takes a paused account back into service.
    store
        .pause_account(account.id, "the server kept refusing the login")
        .await
        .unwrap();
    assert!(store.account(account.id).await.unwrap().is_paused());
    let resumed = service.reconnect(account.id).await.unwrap();
    assert!(!resumed.is_paused());
    assert_eq!(resumed.consecutive_failures, 0);

    service.remove(account.id).await.unwrap();
    assert!(service.list().await.unwrap().is_empty());
}
