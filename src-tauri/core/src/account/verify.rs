//! The connection test the wizard runs before anything is saved: IMAP and SMTP logged in
//! for real, side by side, each reported as passed or as the exact problem, with the
//! folder list (roles, counts) when IMAP works.

use serde::{Deserialize, Serialize};

use super::{validate_server, AccountError, UserError};
use crate::{
    auth::{self, AuthError, OAuthProvider},
    crm::normalize_address,
    discovery,
    imap::{self, FolderRole, RemoteFolder},
    net::ServerSettings,
    smtp,
    tls::{CertificateInfo, TrustSettings},
};

/// How many folders get a message count; STATUS is one round trip each.
const COUNTED_FOLDERS: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionRequest {
    pub email: String,
    pub username: String,
    pub password: String,
    pub imap: ServerSettings,
    pub smtp: ServerSettings,
    #[serde(default)]
    pub pinned_sha256: Option<String>,
    #[serde(default)]
    pub allow_plaintext: bool,
    /// A CA (PEM) to trust besides the public ones.
    #[serde(default)]
    pub ca_pem: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckResult {
    pub ok: bool,
    pub error: Option<UserError>,
    /// The certificate to offer for trust, when it was the problem.
    pub certificate: Option<CertificateInfo>,
}

impl CheckResult {
    fn passed() -> CheckResult {
        CheckResult {
            ok: true,
            error: None,
            certificate: None,
        }
    }

    fn failed(e: &AccountError) -> CheckResult {
        CheckResult {
            ok: false,
            error: Some(e.to_user_error()),
            certificate: e.untrusted_certificate().cloned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteFolderInfo {
    pub raw_name: String,
    pub display_name: String,
    pub role: Option<FolderRole>,
    pub selectable: bool,
    pub selected_by_default: bool,
    pub message_count: Option<u32>,
    /// Nesting level, for indentation.
    pub depth: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionReport {
    pub imap: CheckResult,
    pub smtp: CheckResult,
    pub folders: Vec<RemoteFolderInfo>,
}

/// The provider's advice for a wrong password (app passwords, enabling IMAP).
fn provider_help(email: &str) -> Option<String> {
    discovery::suggest(email)
        .and_then(|s| s.help)
        .map(|h| h.text)
}

/// What logs in: a password, or an OAuth2 access token of a provider.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    Password(String),
    AccessToken {
        provider: OAuthProvider,
        token: String,
    },
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::Password(_) => f.write_str("Password(..)"),
            Credential::AccessToken { provider, .. } => write!(f, "AccessToken({provider:?})"),
        }
    }
}

impl Credential {
    /// A refused login, as the sentence that fits the credential: a wrong password with
    /// the provider's help, or a sign-in the mail server did not accept.
    fn refusal(&self, e: AccountError, email: &str) -> AccountError {
        match (self, e) {
            (Credential::Password(_), e) => e.with_provider_help(provider_help(email)),
            (Credential::AccessToken { provider, .. }, AccountError::WrongPassword { .. }) => {
                AccountError::Auth(AuthError::TokenRefused {
                    provider: provider.name(),
                    server_says: String::new(),
                })
            }
            (_, e) => e,
        }
    }
}

/// Tests IMAP and SMTP concurrently. Server problems are reported in the result; only
/// invalid input is an error.
pub async fn test_connection(
    request: &ConnectionRequest,
) -> Result<ConnectionReport, AccountError> {
    normalize_address(&request.email).ok_or_else(|| {
        AccountError::invalid(
            "email",
            "Enter a full email address, like name@example.com.",
        )
    })?;
    if request.password.is_empty() {
        return Err(AccountError::invalid(
            "password",
            "Enter the password (or app password) for this mailbox.",
        ));
    }
    test_with(request, &Credential::Password(request.password.clone())).await
}

/// [`test_connection`] with the access token of a browser sign-in (`grant` is the id
/// it returned); `request.password` is ignored.
pub async fn test_connection_signed_in(
    request: &ConnectionRequest,
    grant: &str,
) -> Result<ConnectionReport, AccountError> {
    let granted = auth::grant_access_token(grant).await?;
    test_with(
        request,
        &Credential::AccessToken {
            provider: granted.provider,
            token: granted.tokens.access_token,
        },
    )
    .await
}

async fn test_with(
    request: &ConnectionRequest,
    credential: &Credential,
) -> Result<ConnectionReport, AccountError> {
    let email = normalize_address(&request.email).ok_or_else(|| {
        AccountError::invalid(
            "email",
            "Enter a full email address, like name@example.com.",
        )
    })?;
    if request.username.trim().is_empty() {
        return Err(AccountError::invalid(
            "username",
            "Enter the user name (usually the full address).",
        ));
    }
    let imap_server = validate_server(
        &request.imap,
        "imapHost",
        "imapPort",
        "imapSecurity",
        "incoming (IMAP)",
        request.allow_plaintext,
    )?;
    let smtp_server = validate_server(
        &request.smtp,
        "smtpHost",
        "smtpPort",
        "smtpSecurity",
        "outgoing (SMTP)",
        request.allow_plaintext,
    )?;
    let trust = TrustSettings {
        extra_ca_pem: request.ca_pem.clone(),
        pinned_sha256: super::validate_pins(request.pinned_sha256.as_deref())?,
    };
    let username = request.username.trim();
    let (imap_result, smtp_result) = tokio::join!(
        imap_check(&imap_server, username, credential, &trust),
        smtp_check(&smtp_server, username, credential, &trust),
    );
    let (imap, folders) = match imap_result {
        Ok(folders) => (CheckResult::passed(), folders),
        Err(e) => (
            CheckResult::failed(&credential.refusal(e, &email)),
            Vec::new(),
        ),
    };
    let smtp = match smtp_result {
        Ok(()) => CheckResult::passed(),
        Err(e) => CheckResult::failed(&credential.refusal(e, &email)),
    };
    Ok(ConnectionReport {
        imap,
        smtp,
        folders,
    })
}

/// Logs in to both servers; the first failure is the error. Returns the folder list.
pub(super) async fn verify_login(
    email: &str,
    imap_server: &ServerSettings,
    smtp_server: &ServerSettings,
    username: &str,
    credential: &Credential,
    trust: &TrustSettings,
) -> Result<Vec<RemoteFolder>, AccountError> {
    let (imap_result, smtp_result) = tokio::join!(
        imap_login_and_list(imap_server, username, credential, trust),
        smtp_check(smtp_server, username, credential, trust),
    );
    let folders = imap_result.map_err(|e| credential.refusal(e, email))?;
    smtp_result.map_err(|e| credential.refusal(e, email))?;
    Ok(folders)
}

async fn imap_login(
    server: &ServerSettings,
    username: &str,
    credential: &Credential,
    trust: &TrustSettings,
) -> Result<imap::ImapSession, AccountError> {
    Ok(match credential {
        Credential::Password(password) => imap::login(server, username, password, trust).await?,
        Credential::AccessToken { token, .. } => {
            imap::login_with_token(server, username, token, trust).await?
        }
    })
}

async fn imap_login_and_list(
    server: &ServerSettings,
    username: &str,
    credential: &Credential,
    trust: &TrustSettings,
) -> Result<Vec<RemoteFolder>, AccountError> {
    let mut session = imap_login(server, username, credential, trust).await?;
    let folders = imap::list_folders(&mut session).await?;
    let _ = session.logout().await;
    Ok(folders)
}

async fn imap_check(
    server: &ServerSettings,
    username: &str,
    credential: &Credential,
    trust: &TrustSettings,
) -> Result<Vec<RemoteFolderInfo>, AccountError> {
    let mut session = imap_login(server, username, credential, trust).await?;
    let folders = imap::list_folders(&mut session).await?;
    let mut infos = Vec::with_capacity(folders.len());
    for (index, folder) in folders.iter().enumerate() {
        let message_count = if folder.selectable && index < COUNTED_FOLDERS {
            session
                .status(&folder.raw_name, "(MESSAGES)")
                .await
                .ok()
                .map(|mailbox| mailbox.exists)
        } else {
            None
        };
        let depth = imap::folder_depth(&folder.raw_name, folder.delimiter.as_deref());
        infos.push(RemoteFolderInfo {
            raw_name: folder.raw_name.clone(),
            display_name: folder.display_name.clone(),
            role: folder.role,
            selectable: folder.selectable,
            selected_by_default: folder.selectable && FolderRole::selected_by_default(folder.role),
            message_count,
            depth,
        });
    }
    let _ = session.logout().await;
    // Inbox first, then the special folders, then the rest by name: how people scan a list.
    infos.sort_by_key(|f| {
        let rank = match f.role {
            Some(FolderRole::Inbox) => 0,
            Some(FolderRole::Sent) => 1,
            Some(FolderRole::Drafts) => 2,
            Some(FolderRole::Archive) => 3,
            Some(_) => 4,
            None => 5,
        };
        (rank, f.raw_name.to_lowercase())
    });
    Ok(infos)
}

async fn smtp_check(
    server: &ServerSettings,
    username: &str,
    credential: &Credential,
    trust: &TrustSettings,
) -> Result<(), AccountError> {
    let mut connection = match credential {
        Credential::Password(password) => smtp::login(server, username, password, trust).await?,
        Credential::AccessToken { token, .. } => {
            smtp::login_with_token(server, username, token, trust).await?
        }
    };
    let _ = connection.quit().await;
    Ok(())
}
