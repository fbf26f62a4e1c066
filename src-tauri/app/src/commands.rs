//! Tauri commands: each one adapts IPC arguments to a core call and back.

use rapport_core::{
    account::{
        self, AccountSettingsUpdate, AccountSummary, ConnectionReport, ConnectionRequest,
        FolderInfo, NewAccount,
    },
    discovery::{self, DiscoveredSettings, DiscoveryNet},
    sync::{SyncOutcome, SyncProgress},
};
use tauri::{ipc::Channel, State};

use crate::{error::CommandError, AppState};

#[tauri::command]
pub async fn list_accounts(
    state: State<'_, AppState>,
) -> Result<Vec<AccountSummary>, CommandError> {
    let accounts = state.accounts.list().await?;
    Ok(accounts.iter().map(AccountSummary::from).collect())
}

#[tauri::command]
pub async fn discover_settings(email: String) -> Result<DiscoveredSettings, CommandError> {
    discovery::discover(&email, &DiscoveryNet::system())
        .await
        .ok_or_else(|| {
            account::AccountError::invalid(
                "email",
                "Enter a full email address, like name@example.com.",
            )
            .into()
        })
}

#[tauri::command]
pub async fn test_connection(request: ConnectionRequest) -> Result<ConnectionReport, CommandError> {
    Ok(account::test_connection(&request).await?)
}

#[tauri::command]
pub async fn add_account(
    state: State<'_, AppState>,
    account: NewAccount,
) -> Result<AccountSummary, CommandError> {
    let record = state.accounts.add(account).await?;
    Ok(AccountSummary::from(&record))
}

#[tauri::command]
pub async fn list_folders(
    state: State<'_, AppState>,
    account_id: i64,
) -> Result<Vec<FolderInfo>, CommandError> {
    Ok(state.accounts.folders(account_id).await?)
}

#[tauri::command]
pub async fn update_account(
    state: State<'_, AppState>,
    account_id: i64,
    update: AccountSettingsUpdate,
) -> Result<AccountSummary, CommandError> {
    let record = state.accounts.update(account_id, update).await?;
    state.scheduler.wake(account_id).await;
    Ok(AccountSummary::from(&record))
}

#[tauri::command]
pub async fn reconnect_account(
    state: State<'_, AppState>,
    account_id: i64,
) -> Result<AccountSummary, CommandError> {
    let record = state.accounts.reconnect(account_id).await?;
    state.scheduler.wake(account_id).await;
    Ok(AccountSummary::from(&record))
}

#[tauri::command]
pub async fn remove_account(
    state: State<'_, AppState>,
    account_id: i64,
) -> Result<(), CommandError> {
    state.scheduler.stop(account_id).await;
    Ok(state.accounts.remove(account_id).await?)
}

#[tauri::command]
pub async fn sync_account(
    state: State<'_, AppState>,
    account_id: i64,
    on_progress: Channel<SyncProgress>,
) -> Result<SyncOutcome, CommandError> {
    let report = move |event: SyncProgress| {
        // A closed window is not a reason to stop syncing.
        let _ = on_progress.send(event);
    };
    let result = state.scheduler.sync_now(account_id, &report).await;
    // From now on the account keeps itself up to date (IDLE and polling).
    state.scheduler.start(account_id).await;
    Ok(result?)
}
