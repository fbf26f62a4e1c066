//! Tokens: the refresh token lives in the keyring (as the account's `RefreshToken`
//! secret); access tokens live only in this process's memory and are refreshed before
//! they expire, or once after a server refused one. A refresh the provider answers with
//! `invalid_grant` (revoked, expired, password changed) marks the account "sign in again".
//!
//! Between the browser sign-in and saving the account the tokens are held here as a
//! *grant* under a random id, so the UI never sees a token.

use std::{
    collections::HashMap,
    fmt,
    sync::{Arc, LazyLock, Mutex},
    time::Duration,
};

use oauth2::RefreshToken;
use tokio::time::Instant;

use super::{
    client, provider, token_error, AuthError, OAuthProvider, ProviderSettings, REFRESH_MARGIN,
};
use crate::{
    secrets::{self, SecretError, SecretKind, SecretRef},
    store::{AccountRecord, Store},
};

/// An access token, the refresh token that renews it, and when the access token expires.
#[derive(Clone)]
pub struct TokenSet {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_at: Instant,
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl TokenSet {
    fn fresh(&self) -> bool {
        self.expires_at > Instant::now() + REFRESH_MARGIN
    }
}

/// A grant is dropped if the account is not saved within this time.
const GRANT_LIFETIME: Duration = Duration::from_secs(60 * 60);

struct Grant {
    provider: OAuthProvider,
    tokens: TokenSet,
    created: Instant,
}

static GRANTS: LazyLock<Mutex<HashMap<String, Grant>>> = LazyLock::new(Default::default);

/// What a finished sign-in hands to the account code.
#[derive(Debug, Clone)]
pub struct GrantedTokens {
    pub provider: OAuthProvider,
    pub tokens: TokenSet,
}

/// Keeps the tokens of a finished sign-in and returns the id the UI passes back.
pub fn hold_grant(provider: OAuthProvider, tokens: TokenSet) -> String {
    let id = oauth2::CsrfToken::new_random().secret().clone();
    if let Ok(mut grants) = GRANTS.lock() {
        grants.retain(|_, g| g.created.elapsed() < GRANT_LIFETIME);
        grants.insert(
            id.clone(),
            Grant {
                provider,
                tokens,
                created: Instant::now(),
            },
        );
    }
    id
}

/// A grant's provider and a usable access token (refreshed if it went stale while the
/// user was in the wizard).
pub async fn grant_access_token(id: &str) -> Result<GrantedTokens, AuthError> {
    let (provider, tokens) = {
        let grants = GRANTS.lock().map_err(|_| AuthError::GrantExpired)?;
        let grant = grants
            .get(id)
            .filter(|g| g.created.elapsed() < GRANT_LIFETIME)
            .ok_or(AuthError::GrantExpired)?;
        (grant.provider, grant.tokens.clone())
    };
    if tokens.fresh() {
        return Ok(GrantedTokens { provider, tokens });
    }
    let settings = provider::current().provider(provider)?;
    let renewed = refresh(&settings, &tokens.refresh_token).await?;
    if let Ok(mut grants) = GRANTS.lock() {
        if let Some(grant) = grants.get_mut(id) {
            grant.tokens = renewed.clone();
        }
    }
    Ok(GrantedTokens {
        provider,
        tokens: renewed,
    })
}

/// Removes a grant once its tokens are saved.
pub fn take_grant(id: &str) {
    if let Ok(mut grants) = GRANTS.lock() {
        grants.remove(id);
    }
}

type Slot = Arc<tokio::sync::Mutex<Option<TokenSet>>>;

/// Access tokens by (database instance, account id). One lock per account makes
/// concurrent logins share one refresh: a provider that rotates refresh tokens would
/// otherwise see the old one used twice.
static ACCESS: LazyLock<Mutex<HashMap<(String, i64), Slot>>> = LazyLock::new(Default::default);

fn slot(store: &Store, account_id: i64) -> Slot {
    let key = (store.instance_id().to_owned(), account_id);
    match ACCESS.lock() {
        Ok(mut map) => map.entry(key).or_default().clone(),
        // A poisoned map only costs a refresh.
        Err(_) => Slot::default(),
    }
}

/// Why a token could not be had: the provider's answer, or the keyring.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Secret(#[from] SecretError),
}

/// An access token for the account. `rejected` is a token a server just refused: it is
/// never returned again, a refreshed one is (unless another login refreshed meanwhile).
pub async fn access_token(
    store: &Store,
    account: &AccountRecord,
    rejected: Option<&str>,
) -> Result<String, TokenError> {
    let provider = account
        .auth_kind
        .provider()
        .ok_or(AuthError::WrongProvider {
            expected: "a password",
            got: "a sign-in",
        })?;
    let slot = slot(store, account.id);
    let mut cached = slot.lock().await;
    if let Some(tokens) = cached.as_ref() {
        if tokens.fresh() && Some(tokens.access_token.as_str()) != rejected {
            return Ok(tokens.access_token.clone());
        }
    }
    let refresh_ref = SecretRef::new(store, account.id, SecretKind::RefreshToken);
    let refresh_token = match secrets::load_async(refresh_ref.clone()).await {
        Ok(token) => token,
        Err(SecretError::Missing) => {
            mark_sign_in_required(store, account.id).await;
            return Err(AuthError::SignInAgain {
                provider: provider.name(),
            }
            .into());
        }
        Err(e) => return Err(e.into()),
    };
    let settings = provider::current().provider(provider)?;
    match refresh(&settings, &refresh_token).await {
        Ok(tokens) => {
            if tokens.refresh_token != refresh_token {
                // Microsoft rotates refresh tokens: keep the newest, or the next start fails.
                secrets::save_async(refresh_ref, tokens.refresh_token.clone()).await?;
            }
            tracing::debug!(account = account.id, "access token refreshed");
            let access = tokens.access_token.clone();
            *cached = Some(tokens);
            Ok(access)
        }
        Err(e @ AuthError::SignInAgain { .. }) => {
            *cached = None;
            mark_sign_in_required(store, account.id).await;
            tracing::warn!(
                account = account.id,
                "the provider refused the refresh token; the account needs a new sign-in"
            );
            Err(e.into())
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn mark_sign_in_required(store: &Store, account_id: i64) {
    if let Err(e) = store.set_sign_in_required(account_id, true).await {
        tracing::warn!(account = account_id, error = %e, "could not record that the account needs a new sign-in");
    }
}

/// Starts the account's cache with the tokens of a sign-in just made.
pub async fn seed_access_token(store: &Store, account_id: i64, tokens: TokenSet) {
    *slot(store, account_id).lock().await = Some(tokens);
}

/// Drops what is cached for an account (removed, or signed in anew).
pub fn forget_account(store: &Store, account_id: i64) {
    if let Ok(mut map) = ACCESS.lock() {
        map.remove(&(store.instance_id().to_owned(), account_id));
    }
}

/// Exchanges a refresh token for new tokens.
pub(super) async fn refresh(
    settings: &ProviderSettings,
    refresh_token: &str,
) -> Result<TokenSet, AuthError> {
    let oauth = client(settings, None)?;
    let token = RefreshToken::new(refresh_token.to_owned());
    let response = oauth
        .exchange_refresh_token(&token)
        .request_async(&super::http::send)
        .await
        .map_err(|e| token_error(settings.provider, e))?;
    TokenSet::from_response(&response, Some(refresh_token)).ok_or(AuthError::NoRefreshToken {
        provider: settings.provider.name(),
    })
}

/// Tells the provider to revoke a refresh token (RFC 7009; when a mailbox is removed).
/// Providers without a revocation endpoint (Microsoft) are skipped; failures are only
/// logged, since the token is deleted from the keyring either way. The request is built
/// here rather than by the oauth2 crate, which refuses any non-https endpoint, so that a
/// loopback authorization server (tests, a local proxy) can be told too; our HTTP client
/// still sends tokens over plain http to this machine only.
pub async fn revoke_refresh_token(provider: OAuthProvider, refresh_token: &str) {
    let Ok(settings) = provider::current().provider(provider) else {
        return;
    };
    let Some(url) = settings.revoke_url.clone() else {
        return;
    };
    // Built in a block: the serializer is not Send and must not live across the await.
    let body = {
        let mut form = oauth2::url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("token", refresh_token)
            .append_pair("token_type_hint", "refresh_token")
            .append_pair("client_id", &settings.client_id);
        if let Some(secret) = &settings.client_secret {
            form.append_pair("client_secret", secret);
        }
        form.finish()
    };
    let request = oauth2::http::Request::post(url)
        .header(
            oauth2::http::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(body.into_bytes());
    let Ok(request) = request else {
        return;
    };
    match super::http::send(request).await {
        Ok(response) if response.status().is_success() => {
            tracing::info!(provider = provider.name(), "refresh token revoked")
        }
        Ok(response) => {
            tracing::warn!(provider = provider.name(), status = %response.status(), "the provider did not revoke the refresh token")
        }
        Err(e) => {
            tracing::warn!(provider = provider.name(), error = %e, "revoking the refresh token failed")
        }
    }
}
