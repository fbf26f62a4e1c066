//! Shared by the core's integration tests: a store with a ready account, and the checks
//! that sanitised HTML cannot run anything.

#![allow(dead_code)]

use std::path::Path;

use rapport_core::{
    account::FetchWindow,
    crm::ContactPolicy,
    imap::{FolderRole, RemoteFolder},
    net::{Security, ServerSettings},
    store::{BatchContext, KeepPolicy, NewAccountRecord},
    Store,
};

/// Opens a store in `dir` with the account alice@rapport.test (contacts from all mail,
/// new senders as leads, so every insert path runs) and returns the batch contexts of
/// its Inbox and Archive.
pub async fn account_with_inbox_and_archive(dir: &Path) -> (Store, BatchContext, BatchContext) {
    let store = Store::open(dir).await.expect("store");
    let server = ServerSettings {
        host: "localhost".into(),
        port: 993,
        security: Security::Tls,
    };
    let record = NewAccountRecord {
        email: "alice@rapport.test".into(),
        sender_name: "Alice".into(),
        mailbox_name: "Work".into(),
        imap: server.clone(),
        smtp: server,
        username: "alice".into(),
        ca_pem: None,
        pinned_sha256: None,
        fetch_since: FetchWindow::All,
        keep_policy: KeepPolicy::All,
        contact_policy: ContactPolicy::All,
        poll_interval_secs: 300,
        leads_from_incoming: true,
    };
    let mut conn = store.pool().acquire().await.expect("connection");
    let account_id = Store::insert_account(&mut conn, &record)
        .await
        .expect("account");
    drop(conn);
    let folder = |name: &str, role| RemoteFolder {
        raw_name: name.into(),
        display_name: name.into(),
        delimiter: Some("/".into()),
        role: Some(role),
        selectable: true,
    };
    store
        .upsert_folders(
            account_id,
            &[
                folder("INBOX", FolderRole::Inbox),
                folder("Archive", FolderRole::Archive),
            ],
            |_| true,
        )
        .await
        .expect("folders");
    let folders = store.folders(account_id).await.expect("folder list");
    let folder_id = |name: &str| {
        folders
            .iter()
            .find(|f| f.raw_name == name)
            .map(|f| f.id)
            .expect("folder")
    };
    let account = store.account(account_id).await.expect("account record");
    let inbox = BatchContext {
        account_id,
        folder_id: folder_id("INBOX"),
        uidvalidity: 1,
        identity: store.account_identity(&account).await.expect("identity"),
        ignore: store.ignore_rules().await.expect("rules"),
        keep: KeepPolicy::All,
    };
    let archive = BatchContext {
        folder_id: folder_id("Archive"),
        ..inbox.clone()
    };
    (store, inbox, archive)
}

pub fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len() * 4 / 3 + data.len() / 38 + 4);
    for (index, chunk) in data.chunks(3).enumerate() {
        if index > 0 && index % 19 == 0 {
            out.push_str("\r\n");
        }
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as usize) << 16 | (b[1] as usize) << 8 | b[2] as usize;
        out.push(ALPHABET[n >> 18 & 63] as char);
        out.push(ALPHABET[n >> 12 & 63] as char);
        out.push(if chunk.len() > 1 {
            ALPHABET[n >> 6 & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            ALPHABET[n & 63] as char
        } else {
            '='
        });
    }
    out
}

/// Why sanitised HTML could still run something, if it could: a script-capable element,
/// an event handler attribute, a script URL (however obfuscated). Text is escaped on
/// output, so "javascript:" in text is inert; CSS inside `style` is left to the webview.
pub fn active_html(html: &str) -> Option<String> {
    const FORBIDDEN_TAGS: &[&str] = &[
        "script", "iframe", "frame", "frameset", "form", "input", "button", "textarea", "select",
        "object", "embed", "applet", "meta", "base", "link", "svg", "math",
    ];
    const URL_ATTRIBUTES: &[&str] = &[
        "href",
        "src",
        "action",
        "formaction",
        "background",
        "poster",
        "data",
        "lowsrc",
        "dynsrc",
        "xlink:href",
        "srcset",
    ];
    let lower = html.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'<' || !bytes.get(i + 1).is_some_and(|b| b.is_ascii_alphabetic()) {
            i += 1;
            continue;
        }
        let start = i + 1;
        let mut end = start;
        while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'-') {
            end += 1;
        }
        let tag = &lower[start..end];
        if FORBIDDEN_TAGS.contains(&tag) {
            return Some(format!("<{tag}> element"));
        }
        // Attributes up to the closing '>', quoted values read as a whole.
        let mut j = end;
        while j < bytes.len() && bytes[j] != b'>' {
            if bytes[j].is_ascii_whitespace() || bytes[j] == b'/' {
                j += 1;
                continue;
            }
            let attr_start = j;
            while j < bytes.len() && !b" \t\r\n/>=".contains(&bytes[j]) {
                j += 1;
            }
            let attribute = &lower[attr_start..j];
            if attribute.starts_with("on") {
                return Some(format!("event handler {attribute}"));
            }
            let mut value = String::new();
            if bytes.get(j) == Some(&b'=') {
                j += 1;
                let quote = bytes.get(j).copied().unwrap_or(b'>');
                if quote == b'"' || quote == b'\'' {
                    j += 1;
                    while j < bytes.len() && bytes[j] != quote {
                        value.push(bytes[j] as char);
                        j += 1;
                    }
                    j += 1;
                } else {
                    while j < bytes.len() && !bytes[j].is_ascii_whitespace() && bytes[j] != b'>' {
                        value.push(bytes[j] as char);
                        j += 1;
                    }
                }
            }
            let value = decode_entities(&value);
            if URL_ATTRIBUTES.contains(&attribute) {
                // Browsers drop whitespace and control characters inside a URL's scheme.
                let compact: String = value
                    .chars()
                    .filter(|c| !c.is_whitespace() && !c.is_control())
                    .collect();
                if ["javascript:", "vbscript:", "livescript:"]
                    .iter()
                    .any(|scheme| compact.starts_with(scheme))
                {
                    return Some(format!("{attribute}={value:?}"));
                }
            }
        }
        // A <style> element's text is CSS, not markup.
        if tag == "style" {
            j = lower[j..].find("</style").map_or(bytes.len(), |at| j + at);
        }
        i = j + 1;
    }
    None
}

/// Numeric character references and the few named ones that spell a URL scheme.
pub fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(semi) = rest.find(';').filter(|semi| *semi < 12) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..semi];
        let decoded = match entity {
            "colon" => Some(':'),
            "tab" => Some('\t'),
            "newline" => Some('\n'),
            _ => entity
                .strip_prefix("#x")
                .map(|hex| u32::from_str_radix(hex, 16).ok())
                .unwrap_or_else(|| entity.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A mailbox on the harness Dovecot and a store holding it as an account.
pub struct ServerAccount {
    pub server: rapport_testkit::MailServer,
    pub user: String,
    pub password: &'static str,
    pub store: Store,
    pub account_id: i64,
    /// The data folder (the store, downloaded attachments); removed when dropped.
    pub data: tempfile::TempDir,
}

/// Trust the harness CA for this server alone, as a user would.
pub fn harness_trust(server: &rapport_testkit::MailServer) -> rapport_core::tls::TrustSettings {
    rapport_core::tls::TrustSettings {
        extra_ca_pem: Some(std::fs::read_to_string(&server.ca_file).expect("CA file")),
        pinned_sha256: None,
    }
}

pub fn harness_imap(server: &rapport_testkit::MailServer) -> ServerSettings {
    ServerSettings {
        host: "localhost".into(),
        port: server.imap_tls_port,
        security: Security::Tls,
    }
}

/// Adds `spec.owner` to `server` with `password`, seeds its Maildir from `spec`, runs
/// `before_add` (to change the server first), then adds the account to a fresh store
/// through the same service the wizard uses. Nothing is synced yet.
pub async fn add_server_account(
    server: rapport_testkit::MailServer,
    spec: rapport_testkit::seed::SeedSpec,
    password: &'static str,
    folders: Option<Vec<String>>,
    before_add: impl AsyncFnOnce(&rapport_testkit::MailServer),
) -> ServerAccount {
    let user = spec.owner.clone();
    server.add_user(&user, password).expect("harness user");
    rapport_testkit::seed::write_maildir(&server.maildir(&user), &spec).expect("seed");
    before_add(&server).await;
    let data = tempfile::tempdir().expect("data dir");
    let store = Store::open(data.path()).await.expect("store");
    let account = rapport_core::AccountService::new(store.clone())
        .add(rapport_core::account::NewAccount {
            email: user.clone(),
            sender_name: spec.owner_name.clone(),
            mailbox_name: None,
            username: None,
            password: password.into(),
            imap: harness_imap(&server),
            smtp: ServerSettings {
                host: "localhost".into(),
                port: server.smtp_tls_port,
                security: Security::Tls,
            },
            since: "all".into(),
            folders,
            contact_policy: ContactPolicy::All,
            keep_policy: KeepPolicy::All,
            poll_interval_secs: 300,
            ca_pem: Some(std::fs::read_to_string(&server.ca_file).expect("CA file")),
            pinned_sha256: None,
            allow_plaintext: false,
            new_senders_are_leads: false,
        })
        .await
        .expect("add account");
    ServerAccount {
        server,
        user,
        password,
        store,
        account_id: account.id,
        data,
    }
}

impl ServerAccount {
    /// A second client on the same mailbox, to change things behind Rapport's back.
    pub async fn session(&self) -> rapport_core::imap::ImapSession {
        rapport_core::imap::login(
            &harness_imap(&self.server),
            &self.user,
            self.password,
            &harness_trust(&self.server),
        )
        .await
        .expect("login")
    }
}
