//! Signing in with Google and Microsoft (OAuth2) instead of a password.
//!
//! * `provider`: the providers, their endpoints and scopes, and where client ids come
//!   from (build, `oauth.json`, environment).
//! * `flow`: the browser sign-in (authorization code + PKCE, loopback redirect).
//! * `tokens`: the refresh token in the keyring, access tokens cached in memory and
//!   refreshed before they expire or once after the server refuses one; a refresh token
//!   the provider no longer honours (`invalid_grant`) marks the account "sign in again".
//! * `login`: IMAP and SMTP sessions for an account, whatever its kind of sign-in.
//! * `sasl`: XOAUTH2 and OAUTHBEARER.
//!
//! Tokens never leave Rust: the UI holds only an opaque grant id between the browser
//! sign-in and saving the account.

mod flow;
mod http;
mod login;
mod provider;
pub mod sasl;
mod tokens;

use std::time::Duration;

use oauth2::{
    basic::{BasicClient, BasicErrorResponseType, BasicTokenResponse},
    AuthType, AuthUrl, ClientId, ClientSecret, EndpointNotSet, EndpointSet, RedirectUrl,
    RequestTokenError, TokenResponse, TokenUrl,
};

pub use flow::{sign_in, sign_in_within, BrowserPages, OpenUrl, BROWSER_ENV, SIGN_IN_TIMEOUT};
pub use login::{imap_session, smtp_connection, LoginError};
pub use provider::{
    current as current_config, install as install_config, AuthKind, OAuthConfig, OAuthProvider,
    ProviderSettings, CONFIG_ENV, CONFIG_FILE,
};
pub use tokens::{
    access_token, forget_account, grant_access_token, hold_grant, revoke_refresh_token,
    seed_access_token, take_grant, GrantedTokens, TokenError, TokenSet,
};

/// Why a sign-in or a token refresh failed. Sentences for people are in
/// `account::errors`; this text is for logs and carries no token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("{provider} sign-in is not set up in this build: {detail}")]
    NotConfigured {
        provider: &'static str,
        detail: String,
    },
    #[error("the sign-in was cancelled")]
    Cancelled,
    #[error("the sign-in was not finished in time")]
    TimedOut,
    #[error("the sign-in was refused: {detail}")]
    Denied { detail: String },
    #[error("the browser returned an answer to a different sign-in request")]
    StateMismatch,
    #[error("the browser could not be opened: {0}")]
    Browser(String),
    #[error("Rapport could not wait for the browser's answer: {0}")]
    Loopback(String),
    #[error("{provider} could not be reached: {detail}")]
    Network {
        provider: &'static str,
        detail: String,
    },
    #[error("{provider} refused the request: {detail}")]
    Rejected {
        provider: &'static str,
        detail: String,
    },
    #[error("{provider} gave no refresh token")]
    NoRefreshToken { provider: &'static str },
    #[error("{provider} no longer accepts Rapport's sign-in for this account")]
    SignInAgain { provider: &'static str },
    #[error("the mail server did not accept the {provider} sign-in: {server_says}")]
    TokenRefused {
        provider: &'static str,
        server_says: String,
    },
    #[error("the sign-in expired before the mailbox was added")]
    GrantExpired,
    #[error("this mailbox signs in with {expected}, not {got}")]
    WrongProvider {
        expected: &'static str,
        got: &'static str,
    },
}

impl AuthError {
    /// Errors only the user can fix; a sync loop pauses on these instead of retrying.
    pub fn needs_user(&self) -> bool {
        !matches!(self, AuthError::Network { .. })
    }

    /// Stable codes for the UI.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::NotConfigured { .. } => "oauth_not_configured",
            AuthError::Cancelled => "oauth_cancelled",
            AuthError::TimedOut => "oauth_timeout",
            AuthError::Denied { .. } => "oauth_denied",
            AuthError::StateMismatch => "oauth_state",
            AuthError::Browser(_) => "oauth_browser",
            AuthError::Loopback(_) => "oauth_loopback",
            AuthError::Network { .. } => "oauth_network",
            AuthError::Rejected { .. } => "oauth_rejected",
            AuthError::NoRefreshToken { .. } => "oauth_no_refresh_token",
            AuthError::SignInAgain { .. } | AuthError::TokenRefused { .. } => "sign_in_again",
            AuthError::GrantExpired => "oauth_grant_expired",
            AuthError::WrongProvider { .. } => "oauth_wrong_provider",
        }
    }
}

/// Access tokens are refreshed this long before they expire, so a login never races
/// the expiry.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(120);

type ConfiguredClient =
    BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

fn client(
    settings: &ProviderSettings,
    redirect: Option<&str>,
) -> Result<ConfiguredClient, AuthError> {
    let invalid = |what: &str, e: oauth2::url::ParseError| AuthError::NotConfigured {
        provider: settings.provider.name(),
        detail: format!("{what}: {e}"),
    };
    let mut client = BasicClient::new(ClientId::new(settings.client_id.clone()))
        .set_auth_uri(
            AuthUrl::new(settings.auth_url.clone()).map_err(|e| invalid("authorization URL", e))?,
        )
        .set_token_uri(
            TokenUrl::new(settings.token_url.clone()).map_err(|e| invalid("token URL", e))?,
        )
        // A desktop app is a public client: the client id goes in the body, not in Basic auth.
        .set_auth_type(AuthType::RequestBody);
    if let Some(secret) = &settings.client_secret {
        client = client.set_client_secret(ClientSecret::new(secret.clone()));
    }
    if let Some(redirect) = redirect {
        client = client.set_redirect_uri(
            RedirectUrl::new(redirect.to_owned()).map_err(|e| invalid("redirect URL", e))?,
        );
    }
    Ok(client)
}

/// A token endpoint's refusal or a failure to reach it, as an `AuthError`.
fn token_error(
    provider: OAuthProvider,
    e: RequestTokenError<http::HttpError, oauth2::StandardErrorResponse<BasicErrorResponseType>>,
) -> AuthError {
    let name = provider.name();
    match e {
        RequestTokenError::ServerResponse(response) => match response.error() {
            BasicErrorResponseType::InvalidGrant => AuthError::SignInAgain { provider: name },
            other => AuthError::Rejected {
                provider: name,
                detail: match response.error_description() {
                    Some(description) => format!("{} ({description})", other.as_ref()),
                    None => other.as_ref().to_owned(),
                },
            },
        },
        RequestTokenError::Request(e) if e.is_network() => AuthError::Network {
            provider: name,
            detail: e.to_string(),
        },
        RequestTokenError::Request(e) => AuthError::Rejected {
            provider: name,
            detail: e.to_string(),
        },
        RequestTokenError::Parse(e, _) => AuthError::Rejected {
            provider: name,
            detail: format!("unexpected answer: {e}"),
        },
        RequestTokenError::Other(detail) => AuthError::Rejected {
            provider: name,
            detail,
        },
    }
}

impl TokenSet {
    /// The tokens of a token response. A refresh response may leave the refresh token
    /// out (it stays what it was); `None` when there is no refresh token at all.
    fn from_response(response: &BasicTokenResponse, previous: Option<&str>) -> Option<TokenSet> {
        let refresh_token = response
            .refresh_token()
            .map(|t| t.secret().clone())
            .or_else(|| previous.map(str::to_owned))?;
        // Providers state the lifetime; a missing one is treated as short.
        let lifetime = response.expires_in().unwrap_or(Duration::from_secs(600));
        // Every token Rapport receives is born here: the log filter learns it at once.
        crate::logging::redact_secret(response.access_token().secret());
        crate::logging::redact_secret(&refresh_token);
        Some(TokenSet {
            access_token: response.access_token().secret().clone(),
            refresh_token,
            expires_at: tokio::time::Instant::now() + lifetime,
        })
    }
}
