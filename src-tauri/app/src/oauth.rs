//! The commands of "Sign in with Google / Microsoft": the browser sign-in (one at a
//! time, cancellable), and the connection test, new account, renewed sign-in and switch
//! between a password and a sign-in that use its result. Only an opaque grant id
//! crosses IPC; tokens stay in the core (a password crosses once, to the keyring).

use std::sync::{Arc, Mutex};

use rapport_core::{
    account::{self, AccountSummary, ConnectionReport, ConnectionRequest, NewAccount},
    auth::{self, AuthError, BrowserPages, OAuthProvider},
};
use tauri::{AppHandle, State};
use tauri_plugin_opener::OpenerExt;
use tokio::sync::Notify;

use crate::{error::CommandError, AppState};

/// The sign-in waiting for the browser, so "Cancel" can end it.
#[derive(Default)]
pub struct PendingSignIn {
    cancel: Mutex<Option<Arc<Notify>>>,
}

/// The providers this build can sign in with (those with a client id).
#[tauri::command]
pub fn oauth_providers() -> Vec<OAuthProvider> {
    let config = auth::current_config();
    [OAuthProvider::Google, OAuthProvider::Microsoft]
        .into_iter()
        .filter(|p| config.is_configured(*p))
        .collect()
}

/// Opens the provider's sign-in page in the browser and waits for it (at most 5
/// minutes). Resolves to a grant id for the calls below. A sign-in already waiting is
/// cancelled: the newest click wins.
#[tauri::command]
pub async fn oauth_sign_in(
    app: AppHandle,
    pending: State<'_, PendingSignIn>,
    provider: OAuthProvider,
    email: String,
    pages: Option<BrowserPages>,
) -> Result<String, CommandError> {
    let settings = auth::current_config()
        .provider(provider)
        .map_err(account::AccountError::from)?;
    let cancel = Arc::new(Notify::new());
    if let Ok(mut slot) = pending.cancel.lock() {
        if let Some(previous) = slot.replace(cancel.clone()) {
            previous.notify_one();
        }
    }
    let open = |url: &str| {
        app.opener()
            .open_url(url, None::<&str>)
            .map_err(|e| e.to_string())
    };
    let hint = email.trim();
    let result = auth::sign_in(
        &settings,
        (!hint.is_empty()).then_some(hint),
        &open,
        &pages.unwrap_or_default(),
        cancel.notified(),
    )
    .await;
    if let Ok(mut slot) = pending.cancel.lock() {
        if slot.as_ref().is_some_and(|c| Arc::ptr_eq(c, &cancel)) {
            *slot = None;
        }
    }
    match result {
        Ok(tokens) => Ok(auth::hold_grant(provider, tokens)),
        Err(e) => {
            if !matches!(e, AuthError::Cancelled) {
                tracing::warn!(provider = provider.name(), error = %e, "sign-in failed");
            }
            Err(account::AccountError::from(e).into())
        }
    }
}

/// Ends the sign-in waiting for the browser, if any.
#[tauri::command]
pub fn cancel_oauth_sign_in(pending: State<'_, PendingSignIn>) {
    if let Ok(mut slot) = pending.cancel.lock() {
        if let Some(cancel) = slot.take() {
            cancel.notify_one();
        }
    }
}

/// The wizard's connection test with a sign-in instead of a password.
#[tauri::command]
pub async fn test_connection_signed_in(
    request: ConnectionRequest,
    grant: String,
) -> Result<ConnectionReport, CommandError> {
    Ok(account::test_connection_signed_in(&request, &grant).await?)
}

#[tauri::command]
pub async fn add_account_signed_in(
    state: State<'_, AppState>,
    account: NewAccount,
    grant: String,
) -> Result<AccountSummary, CommandError> {
    let record = state.accounts.add_signed_in(account, &grant).await?;
    Ok(AccountSummary::from(&record))
}

/// Replaces a refused sign-in ("Sign in again") and resumes syncing.
#[tauri::command]
pub async fn sign_in_again(
    state: State<'_, AppState>,
    account_id: i64,
    grant: String,
) -> Result<AccountSummary, CommandError> {
    let record = state.accounts.sign_in_again(account_id, &grant).await?;
    state.scheduler.wake(account_id).await;
    Ok(AccountSummary::from(&record))
}

/// Moves a password account to the provider's sign-in (from its settings) and syncs it.
#[tauri::command]
pub async fn use_sign_in(
    state: State<'_, AppState>,
    account_id: i64,
    grant: String,
) -> Result<AccountSummary, CommandError> {
    let record = state.accounts.use_sign_in(account_id, &grant).await?;
    state.scheduler.wake(account_id).await;
    Ok(AccountSummary::from(&record))
}

/// Moves a signed-in account to a password (from its settings) and syncs it.
#[tauri::command]
pub async fn use_password(
    state: State<'_, AppState>,
    account_id: i64,
    password: String,
) -> Result<AccountSummary, CommandError> {
    let record = state.accounts.use_password(account_id, password).await?;
    state.scheduler.wake(account_id).await;
    Ok(AccountSummary::from(&record))
}
