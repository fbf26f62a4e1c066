//! IMAP and SMTP sessions for a saved account, whatever its kind of sign-in: the password
//! from the keyring, or an access token (refreshed once if the server refuses it, and
//! the account marked "sign in again" if even a fresh token is refused).

use lettre::transport::smtp::client::AsyncSmtpConnection;

use super::{
    tokens::{access_token, mark_sign_in_required, TokenError},
    AuthError, OAuthProvider,
};
use crate::{
    imap::{self, ImapError, ImapSession},
    secrets::{self, SecretError, SecretKind, SecretRef},
    smtp::{self, SmtpError},
    store::{AccountRecord, Store},
};

/// Why an account could not log in.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error(transparent)]
    Imap(#[from] ImapError),
    #[error(transparent)]
    Smtp(#[from] SmtpError),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Secret(#[from] SecretError),
}

impl From<TokenError> for LoginError {
    fn from(e: TokenError) -> Self {
        match e {
            TokenError::Auth(e) => LoginError::Auth(e),
            TokenError::Secret(e) => LoginError::Secret(e),
        }
    }
}

/// Logs in to the account's IMAP server.
pub async fn imap_session(
    store: &Store,
    account: &AccountRecord,
) -> Result<ImapSession, LoginError> {
    let trust = account.trust();
    let Some(provider) = account.auth_kind.provider() else {
        let password =
            secrets::load_async(SecretRef::new(store, account.id, SecretKind::Password)).await?;
        return Ok(imap::login(&account.imap, &account.username, &password, &trust).await?);
    };
    let token = access_token(store, account, None).await?;
    match imap::login_with_token(&account.imap, &account.username, &token, &trust).await {
        Err(ImapError::AuthenticationFailed { .. }) => {
            let renewed = access_token(store, account, Some(&token)).await?;
            match imap::login_with_token(&account.imap, &account.username, &renewed, &trust).await {
                Err(ImapError::AuthenticationFailed { server_says }) => {
                    Err(refused_twice(store, account, provider, server_says).await)
                }
                other => Ok(other?),
            }
        }
        other => Ok(other?),
    }
}

/// Logs in to the account's submission server.
pub async fn smtp_connection(
    store: &Store,
    account: &AccountRecord,
) -> Result<AsyncSmtpConnection, LoginError> {
    let trust = account.trust();
    let Some(provider) = account.auth_kind.provider() else {
        let password =
            secrets::load_async(SecretRef::new(store, account.id, SecretKind::Password)).await?;
        return Ok(smtp::login(&account.smtp, &account.username, &password, &trust).await?);
    };
    let token = access_token(store, account, None).await?;
    match smtp::login_with_token(&account.smtp, &account.username, &token, &trust).await {
        Err(SmtpError::AuthenticationFailed { .. }) => {
            let renewed = access_token(store, account, Some(&token)).await?;
            match smtp::login_with_token(&account.smtp, &account.username, &renewed, &trust).await {
                Err(SmtpError::AuthenticationFailed { server_says }) => {
                    Err(refused_twice(store, account, provider, server_says).await)
                }
                other => Ok(other?),
            }
        }
        other => Ok(other?),
    }
}

/// A freshly refreshed token refused too: the grant is no good for this mailbox (another
/// account chosen in the browser, IMAP turned off, consent withdrawn). Only a new
/// sign-in can fix that, so the account says so instead of retrying.
async fn refused_twice(
    store: &Store,
    account: &AccountRecord,
    provider: OAuthProvider,
    server_says: String,
) -> LoginError {
    mark_sign_in_required(store, account.id).await;
    LoginError::Auth(AuthError::TokenRefused {
        provider: provider.name(),
        server_says,
    })
}
