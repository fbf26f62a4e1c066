//! IMAP sessions: connecting (implicit TLS, STARTTLS, or plain when asked), logging in,
//! listing folders with their roles. Folder synchronisation itself is in `sync`.
//!
//! async-imap quirk (BUILD-FACTS): a response its parser does not know poisons the
//! connection silently, so we never send ESEARCH/BINARY/NAMESPACE-style commands, and
//! treat any protocol error as fatal for the session.

use async_imap::types::NameAttribute;
use futures::TryStreamExt;
use serde::{Deserialize, Serialize};

use crate::{
    auth::sasl::{self, TokenAuthenticator, TokenMechanism},
    net::{self, ConnectError, MailStream, Security, ServerSettings},
    tls::{self, TrustSettings},
};

pub type ImapClient = async_imap::Client<MailStream>;
pub type ImapSession = async_imap::Session<MailStream>;

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ImapError {
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error("the server rejected the user name or password: {server_says}")]
    AuthenticationFailed { server_says: String },
    #[error("the server refuses to log in over an unencrypted connection")]
    PlainLoginRefused,
    #[error("the server offers neither XOAUTH2 nor OAUTHBEARER")]
    TokenLoginUnsupported,
    #[error("the account's trust settings are invalid: {0}")]
    Trust(String),
    #[error("the server did not greet us as an IMAP server")]
    NoGreeting,
    #[error("IMAP protocol error: {0}")]
    Protocol(String),
}

impl From<async_imap::error::Error> for ImapError {
    fn from(e: async_imap::error::Error) -> Self {
        ImapError::Protocol(e.to_string())
    }
}

/// What a folder is for (RFC 6154 special use, or guessed from its name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FolderRole {
    Inbox,
    Sent,
    Drafts,
    Trash,
    Junk,
    Archive,
    All,
    Flagged,
}

impl FolderRole {
    pub fn as_str(self) -> &'static str {
        match self {
            FolderRole::Inbox => "inbox",
            FolderRole::Sent => "sent",
            FolderRole::Drafts => "drafts",
            FolderRole::Trash => "trash",
            FolderRole::Junk => "junk",
            FolderRole::Archive => "archive",
            FolderRole::All => "all",
            FolderRole::Flagged => "flagged",
        }
    }

    pub fn parse(text: &str) -> Option<FolderRole> {
        Some(match text {
            "inbox" => FolderRole::Inbox,
            "sent" => FolderRole::Sent,
            "drafts" => FolderRole::Drafts,
            "trash" => FolderRole::Trash,
            "junk" => FolderRole::Junk,
            "archive" => FolderRole::Archive,
            "all" => FolderRole::All,
            "flagged" => FolderRole::Flagged,
            _ => return None,
        })
    }

    /// Folders synced unless the user says otherwise.
    pub fn selected_by_default(role: Option<FolderRole>) -> bool {
        matches!(role, Some(FolderRole::Inbox) | Some(FolderRole::Sent))
    }
}

/// A folder as the server lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteFolder {
    /// The exact (modified UTF-7) name to send back to the server.
    pub raw_name: String,
    /// The decoded name for people.
    pub display_name: String,
    pub delimiter: Option<String>,
    pub role: Option<FolderRole>,
    pub selectable: bool,
}

/// How deep a folder sits in the hierarchy (0 for top level), from its delimiter.
pub fn folder_depth(raw_name: &str, delimiter: Option<&str>) -> usize {
    match delimiter {
        Some(d) if !d.is_empty() => raw_name.matches(d).count(),
        _ => 0,
    }
}

/// Connects and logs in with a password.
pub async fn login(
    server: &ServerSettings,
    username: &str,
    password: &str,
    trust: &TrustSettings,
) -> Result<ImapSession, ImapError> {
    crate::logging::redact_secret(password);
    let mut client = connect(server, trust).await?;
    if server.security == Security::None && advertises(&mut client, "LOGINDISABLED").await? {
        return Err(ImapError::PlainLoginRefused);
    }
    match client.login(username, password).await {
        Ok(session) => Ok(session),
        Err((async_imap::error::Error::No(text), _)) => {
            Err(ImapError::AuthenticationFailed { server_says: text })
        }
        Err((async_imap::error::Error::Bad(text), _)) => {
            Err(ImapError::AuthenticationFailed { server_says: text })
        }
        Err((other, _)) => Err(other.into()),
    }
}

/// Connects and logs in with an OAuth2 access token: OAUTHBEARER (RFC 7628) when the
/// server offers it, else XOAUTH2 (Gmail, Outlook).
pub async fn login_with_token(
    server: &ServerSettings,
    username: &str,
    access_token: &str,
    trust: &TrustSettings,
) -> Result<ImapSession, ImapError> {
    let mut client = connect(server, trust).await?;
    let capabilities = pre_login_capabilities(&mut client).await?;
    let offers = |name: &str| {
        capabilities
            .iter()
            .any(|c| c.eq_ignore_ascii_case(&format!("AUTH={name}")))
    };
    let mechanism = if offers(TokenMechanism::OAuthBearer.name()) {
        TokenMechanism::OAuthBearer
    } else if offers(TokenMechanism::XOAuth2.name()) {
        TokenMechanism::XOAuth2
    } else {
        // Trying anyway would read as a refused token and ask the user to sign in again.
        return Err(ImapError::TokenLoginUnsupported);
    };
    authenticate_with_token(client, server, username, access_token, mechanism).await
}

/// Logs in on a connected client with an access token and the given mechanism.
pub async fn authenticate_with_token(
    client: ImapClient,
    server: &ServerSettings,
    username: &str,
    access_token: &str,
    mechanism: TokenMechanism,
) -> Result<ImapSession, ImapError> {
    if server.security == Security::None {
        // A bearer token is as good as a password to whoever reads it.
        return Err(ImapError::PlainLoginRefused);
    }
    let initial = match mechanism {
        TokenMechanism::XOAuth2 => sasl::xoauth2(username, access_token),
        TokenMechanism::OAuthBearer => {
            sasl::oauthbearer(username, &server.host, server.port, access_token)
        }
    };
    match client
        .authenticate(mechanism.name(), TokenAuthenticator::new(initial))
        .await
    {
        Ok(session) => Ok(session),
        Err((async_imap::error::Error::No(text), _))
        | Err((async_imap::error::Error::Bad(text), _)) => {
            Err(ImapError::AuthenticationFailed { server_says: text })
        }
        Err((other, _)) => Err(other.into()),
    }
}

/// Opens the transport the settings ask for and reads the server greeting.
pub async fn connect(
    server: &ServerSettings,
    trust: &TrustSettings,
) -> Result<ImapClient, ImapError> {
    let account_tls = tls::client_config(trust).map_err(|e| ImapError::Trust(e.to_string()))?;
    let tcp = net::tcp_connect(&server.host, server.port).await?;
    match server.security {
        Security::Tls => {
            let stream = net::tls_handshake(tcp, &server.host, server.port, &account_tls).await?;
            let mut client = async_imap::Client::new(MailStream::Tls(Box::new(stream)));
            read_greeting(&mut client).await?;
            Ok(client)
        }
        Security::Starttls => {
            let mut client = async_imap::Client::new(MailStream::Plain(tcp));
            read_greeting(&mut client).await?;
            if client
                .run_command_and_check_ok("STARTTLS", None)
                .await
                .is_err()
            {
                return Err(ConnectError::StartTlsNotOffered {
                    host: server.host.clone(),
                }
                .into());
            }
            let MailStream::Plain(tcp) = client.into_inner() else {
                return Err(ImapError::Protocol("unexpected stream state".into()));
            };
            let stream = net::tls_handshake(tcp, &server.host, server.port, &account_tls).await?;
            Ok(async_imap::Client::new(MailStream::Tls(Box::new(stream))))
        }
        Security::None => {
            let mut client = async_imap::Client::new(MailStream::Plain(tcp));
            read_greeting(&mut client).await?;
            Ok(client)
        }
    }
}

async fn read_greeting(client: &mut ImapClient) -> Result<(), ImapError> {
    match tokio::time::timeout(net::CONNECT_TIMEOUT, client.read_response()).await {
        Ok(Ok(Some(_))) => Ok(()),
        Ok(Ok(None)) | Ok(Err(_)) | Err(_) => Err(ImapError::NoGreeting),
    }
}

/// Whether the pre-login CAPABILITY response lists `capability`.
async fn advertises(client: &mut ImapClient, capability: &str) -> Result<bool, ImapError> {
    Ok(pre_login_capabilities(client)
        .await?
        .iter()
        .any(|c| c.eq_ignore_ascii_case(capability)))
}

/// The capabilities the server lists before login (atoms such as `AUTH=XOAUTH2`).
pub async fn pre_login_capabilities(client: &mut ImapClient) -> Result<Vec<String>, ImapError> {
    use async_imap::imap_proto::{Capability, Response};
    use tokio::io::AsyncWriteExt;
    // async-imap offers CAPABILITY only after login, so before it we write the command
    // ourselves and read the untagged reply up to our tag.
    const TAG: &str = "RPCAP";
    let stream = client.get_mut();
    stream
        .write_all(format!("{TAG} CAPABILITY\r\n").as_bytes())
        .await
        .map_err(|e| ImapError::Protocol(e.to_string()))?;
    stream
        .flush()
        .await
        .map_err(|e| ImapError::Protocol(e.to_string()))?;
    let mut found = Vec::new();
    loop {
        let response = tokio::time::timeout(net::CONNECT_TIMEOUT, client.read_response())
            .await
            .map_err(|_| ImapError::Protocol("no answer to CAPABILITY".into()))?
            .map_err(|e| ImapError::Protocol(e.to_string()))?
            .ok_or_else(|| ImapError::Protocol("connection closed".into()))?;
        match response.parsed() {
            Response::Capabilities(list) => {
                found.extend(list.iter().map(|c| match c {
                    Capability::Imap4rev1 => "IMAP4rev1".to_owned(),
                    Capability::Auth(mechanism) => format!("AUTH={mechanism}"),
                    Capability::Atom(atom) => atom.to_string(),
                }));
            }
            Response::Done { tag, .. } if tag.0 == TAG => return Ok(found),
            _ => {}
        }
    }
}

/// Whether the server offers UID EXPUNGE (RFC 4315 UIDPLUS).
pub async fn has_uidplus(session: &mut ImapSession) -> Result<bool, async_imap::error::Error> {
    Ok(session.capabilities().await?.has_str("UIDPLUS"))
}

/// Removes `uid`, already marked `\Deleted`, from the selected folder for good. With
/// UIDPLUS only that UID goes. Without it a plain EXPUNGE would also remove what other
/// clients only marked deleted, so it runs only when nothing else in the folder is
/// marked; otherwise the message stays marked (hidden in most clients) until someone
/// expunges the folder. Returns whether it is gone.
pub async fn expunge_marked(
    session: &mut ImapSession,
    uid: u32,
    uidplus: bool,
) -> Result<bool, async_imap::error::Error> {
    if uidplus {
        let _: Vec<_> = session
            .uid_expunge(uid.to_string())
            .await?
            .try_collect()
            .await?;
        return Ok(true);
    }
    let marked = session.uid_search("DELETED").await?;
    if marked.iter().any(|&other| other != uid) {
        return Ok(false);
    }
    let _: Vec<_> = session.expunge().await?.try_collect().await?;
    Ok(true)
}

/// Lists every folder with its role; `\Noselect` containers are kept but marked.
pub async fn list_folders(session: &mut ImapSession) -> Result<Vec<RemoteFolder>, ImapError> {
    let names: Vec<_> = session
        .list(Some(""), Some("*"))
        .await?
        .try_collect()
        .await?;
    let mut folders = Vec::with_capacity(names.len());
    for name in &names {
        let raw_name = name.name().to_owned();
        let display_name = utf7_imap::decode_utf7_imap(raw_name.clone());
        let attributes = name.attributes();
        let selectable = !attributes
            .iter()
            .any(|a| matches!(a, NameAttribute::NoSelect))
            && !attributes.iter().any(|a| match a {
                NameAttribute::Extension(ext) => ext.eq_ignore_ascii_case("\\NonExistent"),
                _ => false,
            });
        let role = role_from_attributes(attributes).or_else(|| {
            guess_role(
                &display_name,
                name.delimiter().map(str::to_owned).as_deref(),
            )
        });
        folders.push(RemoteFolder {
            raw_name,
            display_name,
            delimiter: name.delimiter().map(str::to_owned),
            role,
            selectable,
        });
    }
    Ok(folders)
}

fn role_from_attributes(attributes: &[NameAttribute<'_>]) -> Option<FolderRole> {
    attributes.iter().find_map(|a| match a {
        NameAttribute::Sent => Some(FolderRole::Sent),
        NameAttribute::Drafts => Some(FolderRole::Drafts),
        NameAttribute::Trash => Some(FolderRole::Trash),
        NameAttribute::Junk => Some(FolderRole::Junk),
        NameAttribute::Archive => Some(FolderRole::Archive),
        NameAttribute::All => Some(FolderRole::All),
        NameAttribute::Flagged => Some(FolderRole::Flagged),
        _ => None,
    })
}

/// Guesses a role from a folder's name, in the languages our users write in, for
/// servers without RFC 6154 special-use attributes.
pub fn guess_role(display_name: &str, delimiter: Option<&str>) -> Option<FolderRole> {
    if display_name.eq_ignore_ascii_case("INBOX") {
        return Some(FolderRole::Inbox);
    }
    let leaf = match delimiter {
        Some(d) if !d.is_empty() => display_name.rsplit(d).next().unwrap_or(display_name),
        _ => display_name,
    };
    let leaf = leaf.trim().to_lowercase();
    const NAMES: &[(FolderRole, &[&str])] = &[
        (
            FolderRole::Sent,
            &[
                "sent",
                "sent items",
                "sent mail",
                "sent messages",
                "odeslané",
                "odeslaná pošta",
                "odoslané",
                "odoslaná pošta",
                "wysłane",
                "elementy wysłane",
                "надіслані",
                "відправлені",
                "отправленные",
            ],
        ),
        (
            FolderRole::Drafts,
            &[
                "drafts",
                "draft",
                "koncepty",
                "rozepsané",
                "wersje robocze",
                "чернетки",
                "черновики",
            ],
        ),
        (
            FolderRole::Trash,
            &[
                "trash",
                "deleted",
                "deleted items",
                "deleted messages",
                "bin",
                "koš",
                "kôš",
                "odstránené",
                "kosz",
                "usunięte",
                "кошик",
                "видалені",
                "корзина",
            ],
        ),
        (
            FolderRole::Junk,
            &[
                "junk",
                "spam",
                "junk e-mail",
                "junk email",
                "bulk mail",
                "nevyžádaná pošta",
                "nevyžiadaná pošta",
                "wiadomości-śmieci",
                "спам",
            ],
        ),
        (
            FolderRole::Archive,
            &[
                "archive",
                "archives",
                "archiv",
                "archív",
                "archiwum",
                "архів",
                "архив",
            ],
        ),
    ];
    NAMES
        .iter()
        .find(|(_, names)| names.contains(&leaf.as_str()))
        .map(|(role, _)| *role)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guesses_roles_in_our_languages() {
        assert_eq!(guess_role("INBOX", Some("/")), Some(FolderRole::Inbox));
        assert_eq!(guess_role("Odeslané", Some("/")), Some(FolderRole::Sent));
        assert_eq!(
            guess_role("INBOX.Wysłane", Some(".")),
            Some(FolderRole::Sent)
        );
        assert_eq!(guess_role("Кошик", None), Some(FolderRole::Trash));
        assert_eq!(
            guess_role("[Gmail]/Spam", Some("/")),
            Some(FolderRole::Junk)
        );
        assert_eq!(guess_role("Projects", Some("/")), None);
    }

    #[test]
    fn modified_utf7_names_decode() {
        assert_eq!(
            utf7_imap::decode_utf7_imap("Odeslan&AOk-".into()),
            "Odeslané"
        );
        assert_eq!(utf7_imap::decode_utf7_imap("&BCEEPwQwBDw-".into()), "Спам");
        assert_eq!(guess_role("Спам", None), Some(FolderRole::Junk));
    }

    #[test]
    fn inbox_and_sent_are_selected_by_default() {
        assert!(FolderRole::selected_by_default(Some(FolderRole::Inbox)));
        assert!(FolderRole::selected_by_default(Some(FolderRole::Sent)));
        assert!(!FolderRole::selected_by_default(Some(FolderRole::Junk)));
        assert!(!FolderRole::selected_by_default(None));
    }
}
