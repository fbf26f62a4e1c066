//! Tauri commands: each one adapts IPC arguments to a core call and back.

use std::path::PathBuf;

use rapport_core::{
    account::{
        self, AccountSettingsUpdate, AccountSummary, ConnectionReport, ConnectionRequest,
        FolderInfo, NewAccount,
    },
    actions::{self, ActionOutcome, MessageAction},
    address_book, attachments,
    discovery::{self, DiscoveredSettings, DiscoveryNet},
    search::{self, SearchRequest},
    settings::AppSettings,
    store::MessagePerson,
    store::{
        CompanyPage, CompanySummary, ContactCard, ContactFilter, ContactSummary, ContactUpdate,
        Correspondent, MessageDetail, MessageListItem, MessageQuery, TimelineCursor, TimelineEntry,
    },
    store::{ContactActivity, FollowUpLists, FollowUpQuery, FollowUpSettings},
    store::{PendingSummary, ThreadPage},
    sync::{SyncOutcome, SyncProgress},
};
use tauri::{ipc::Channel, AppHandle, State};
use tauri_plugin_dialog::DialogExt;
use tauri_plugin_opener::OpenerExt;

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

// ---- CRM: contacts and companies ----

#[tauri::command]
pub async fn list_contacts(
    state: State<'_, AppState>,
    filter: ContactFilter,
) -> Result<Vec<ContactSummary>, CommandError> {
    Ok(state.store.list_contacts(&filter).await?)
}

#[tauri::command]
pub async fn contact_card(
    state: State<'_, AppState>,
    contact_id: i64,
) -> Result<ContactCard, CommandError> {
    Ok(state.store.contact_card(contact_id).await?)
}

#[tauri::command]
pub async fn contact_timeline(
    state: State<'_, AppState>,
    contact_id: i64,
    before: Option<TimelineCursor>,
    limit: i64,
) -> Result<Vec<TimelineEntry>, CommandError> {
    Ok(state
        .store
        .contact_timeline(contact_id, before, limit)
        .await?)
}

#[tauri::command]
pub async fn update_contact(
    state: State<'_, AppState>,
    contact_id: i64,
    update: ContactUpdate,
) -> Result<ContactCard, CommandError> {
    state.store.update_contact(contact_id, &update).await?;
    Ok(state.store.contact_card(contact_id).await?)
}

#[tauri::command]
pub async fn create_contact(
    state: State<'_, AppState>,
    address: String,
    display_name: Option<String>,
) -> Result<ContactCard, CommandError> {
    let id = state
        .store
        .create_contact(&address, display_name.as_deref())
        .await?;
    Ok(state.store.contact_card(id).await?)
}

#[tauri::command]
pub async fn add_contact_address(
    state: State<'_, AppState>,
    contact_id: i64,
    address: String,
) -> Result<ContactCard, CommandError> {
    state
        .store
        .add_contact_address(contact_id, &address)
        .await?;
    Ok(state.store.contact_card(contact_id).await?)
}

#[tauri::command]
pub async fn remove_contact_address(
    state: State<'_, AppState>,
    contact_id: i64,
    address: String,
) -> Result<ContactCard, CommandError> {
    state
        .store
        .remove_contact_address(contact_id, &address)
        .await?;
    Ok(state.store.contact_card(contact_id).await?)
}

#[tauri::command]
pub async fn merge_contacts(
    state: State<'_, AppState>,
    keep_id: i64,
    merge_id: i64,
) -> Result<ContactCard, CommandError> {
    state.store.merge_contacts(keep_id, merge_id).await?;
    Ok(state.store.contact_card(keep_id).await?)
}

#[tauri::command]
pub async fn delete_contact(
    state: State<'_, AppState>,
    contact_id: i64,
) -> Result<(), CommandError> {
    Ok(state.store.delete_contact(contact_id).await?)
}

#[tauri::command]
pub async fn ignore_correspondent(
    state: State<'_, AppState>,
    value: String,
) -> Result<(), CommandError> {
    Ok(state.store.add_ignore_rule(&value).await?)
}

#[tauri::command]
pub async fn unlinked_correspondents(
    state: State<'_, AppState>,
    limit: i64,
) -> Result<Vec<Correspondent>, CommandError> {
    Ok(state.store.unlinked_correspondents(limit).await?)
}

#[tauri::command]
pub async fn list_companies(
    state: State<'_, AppState>,
    query: Option<String>,
) -> Result<Vec<CompanySummary>, CommandError> {
    Ok(state.store.list_companies(query.as_deref()).await?)
}

#[tauri::command]
pub async fn company_page(
    state: State<'_, AppState>,
    company_id: i64,
) -> Result<CompanyPage, CommandError> {
    Ok(state.store.company_page(company_id).await?)
}

#[tauri::command]
pub async fn export_contacts(
    state: State<'_, AppState>,
    format: address_book::Format,
    path: PathBuf,
) -> Result<usize, CommandError> {
    Ok(address_book::export(&state.store, format, &path).await?)
}

#[tauri::command]
pub async fn import_contacts(
    state: State<'_, AppState>,
    format: address_book::Format,
    path: PathBuf,
) -> Result<address_book::ImportReport, CommandError> {
    Ok(address_book::import(&state.store, format, &path).await?)
}

#[tauri::command]
pub async fn list_messages(
    state: State<'_, AppState>,
    query: MessageQuery,
) -> Result<Vec<MessageListItem>, CommandError> {
    Ok(state.store.list_messages(&query).await?)
}

#[tauri::command]
pub async fn message_detail(
    state: State<'_, AppState>,
    message_id: i64,
) -> Result<MessageDetail, CommandError> {
    Ok(state.store.message_detail(message_id).await?)
}

/// Downloads the attachment if it is not cached yet and opens it with the system's
/// default app. Opening from Rust needs no `opener:allow-open-path` scope for the window,
/// so the frontend cannot be made to open arbitrary paths.
#[tauri::command]
pub async fn open_attachment(
    app: AppHandle,
    state: State<'_, AppState>,
    attachment_id: i64,
) -> Result<(), CommandError> {
    let path = attachments::open(&state.store, &state.data_dir, attachment_id).await?;
    app.opener()
        .open_path(path.to_string_lossy(), None::<&str>)
        .map_err(CommandError::opening)
}

/// A timeline entry's text in runs of the sender's own and quoted text.
#[tauri::command]
pub async fn message_text(
    state: State<'_, AppState>,
    message_id: i64,
) -> Result<Vec<rapport_core::mime::quoted::TextPart>, CommandError> {
    Ok(state.store.message_text(message_id).await?)
}

/// The message's HTML with its inline (`cid:`) images embedded; downloads them if needed.
#[tauri::command]
pub async fn message_inline_images(
    state: State<'_, AppState>,
    message_id: i64,
) -> Result<String, CommandError> {
    Ok(attachments::html_with_inline_images(&state.store, &state.data_dir, message_id).await?)
}

/// "Always show remote images from this sender" on (`allowed`) or off again.
#[tauri::command]
pub async fn set_remote_images_allowed(
    state: State<'_, AppState>,
    address: String,
    allowed: bool,
) -> Result<(), CommandError> {
    if allowed {
        state.store.allow_remote_images(&address).await?;
    } else {
        state.store.block_remote_images(&address).await?;
    }
    Ok(())
}

#[tauri::command]
pub async fn message_people(
    state: State<'_, AppState>,
    message_id: i64,
) -> Result<Vec<MessagePerson>, CommandError> {
    Ok(state.store.message_people(message_id).await?)
}

/// Asks where to save the attachment and copies it there; resolves to the path, or None
/// when the user cancels. The dialog runs here, not in the window, so the window cannot
/// name a path to write to.
#[tauri::command]
pub async fn save_attachment(
    app: AppHandle,
    state: State<'_, AppState>,
    attachment_id: i64,
) -> Result<Option<String>, CommandError> {
    let info = attachments::info(&state.store, attachment_id).await?;
    // Downloaded before asking, so a part gone from the server fails before the dialog.
    attachments::open(&state.store, &state.data_dir, attachment_id).await?;
    let name = if info.filename.trim().is_empty() {
        "attachment".to_owned()
    } else {
        info.filename
    };
    let (chosen, choice) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_file_name(name)
        .save_file(move |path| {
            let _ = chosen.send(path);
        });
    let Some(path) = choice.await.ok().flatten() else {
        return Ok(None);
    };
    let path = path.into_path().map_err(CommandError::saving)?;
    attachments::save_to(&state.store, &state.data_dir, attachment_id, &path).await?;
    Ok(Some(path.display().to_string()))
}

// ---- Mail actions and conversations ----

#[tauri::command]
pub async fn list_threads(
    state: State<'_, AppState>,
    query: MessageQuery,
) -> Result<ThreadPage, CommandError> {
    Ok(state.store.list_threads(&query).await?)
}

#[tauri::command]
pub async fn thread_messages(
    state: State<'_, AppState>,
    thread_id: i64,
) -> Result<Vec<MessageListItem>, CommandError> {
    Ok(state.store.thread_messages(thread_id).await?)
}

/// Changes the store at once and has each account's sync loop push it to the server.
#[tauri::command]
pub async fn apply_action(
    state: State<'_, AppState>,
    action: MessageAction,
) -> Result<ActionOutcome, CommandError> {
    let outcome = actions::apply(&state.store, &action).await?;
    for account_id in &outcome.accounts {
        state.scheduler.push(*account_id).await;
    }
    Ok(outcome)
}

#[tauri::command]
pub async fn pending_changes(
    state: State<'_, AppState>,
) -> Result<Vec<PendingSummary>, CommandError> {
    Ok(state.store.pending_summary().await?)
}

/// Messages of every account matching a search (`from:`, `to:`, `subject:`,
/// `has:attachment`, `before:`, `after:` and words), newest first, one page.
#[tauri::command]
pub async fn search_messages(
    state: State<'_, AppState>,
    request: SearchRequest,
) -> Result<Vec<MessageListItem>, CommandError> {
    Ok(search::search(&state.store, &request).await?)
}

/// The follow-up radar's four lists with their counts, as of now in the local time zone.
#[tauri::command]
pub async fn list_follow_ups(
    state: State<'_, AppState>,
    query: FollowUpQuery,
) -> Result<FollowUpLists, CommandError> {
    Ok(state.store.follow_ups(&query).await?)
}

/// Hides a waiting thread until `until` (Unix seconds), or until it moves on when `None`.
#[tauri::command]
pub async fn snooze_follow_up(
    state: State<'_, AppState>,
    message_id: i64,
    until: Option<i64>,
) -> Result<(), CommandError> {
    Ok(state.store.snooze_follow_up(message_id, until).await?)
}

#[tauri::command]
pub async fn restore_follow_up(
    state: State<'_, AppState>,
    message_id: i64,
) -> Result<(), CommandError> {
    Ok(state.store.restore_follow_up(message_id).await?)
}

#[tauri::command]
pub async fn update_follow_up_settings(
    state: State<'_, AppState>,
    settings: FollowUpSettings,
) -> Result<FollowUpSettings, CommandError> {
    state.store.set_followup_settings(&settings).await?;
    Ok(state.store.followup_settings().await?)
}

/// A contact card's activity: mail per month, reply times, cadence.
#[tauri::command]
pub async fn contact_activity(
    state: State<'_, AppState>,
    contact_id: i64,
) -> Result<ContactActivity, CommandError> {
    Ok(state.store.contact_activity(contact_id).await?)
}

#[tauri::command]
pub async fn set_contact_cadence(
    state: State<'_, AppState>,
    contact_id: i64,
    days: Option<i64>,
) -> Result<ContactActivity, CommandError> {
    state.store.set_contact_cadence(contact_id, days).await?;
    Ok(state.store.contact_activity(contact_id).await?)
}

#[tauri::command]
pub async fn app_settings(
    desktop: State<'_, crate::desktop::Desktop>,
) -> Result<AppSettings, CommandError> {
    Ok(desktop.settings())
}

/// Saves the settings and applies them: the login item at once, the rest when next needed.
#[tauri::command]
pub async fn set_app_settings(
    app: AppHandle,
    state: State<'_, AppState>,
    desktop: State<'_, crate::desktop::Desktop>,
    settings: AppSettings,
) -> Result<AppSettings, CommandError> {
    let previous = desktop.settings();
    settings.save(&state.store).await?;
    if settings.start_at_login != previous.start_at_login {
        if let Err(e) = crate::desktop::apply_start_at_login(&app, settings.start_at_login) {
            tracing::warn!(error = %e, "could not change the login item");
            let mut kept = settings.clone();
            kept.start_at_login = previous.start_at_login;
            kept.save(&state.store).await?;
            if let Ok(mut current) = desktop.settings.lock() {
                *current = kept;
            }
            return Err(CommandError(rapport_core::account::UserError {
                code: "startAtLogin",
                message: format!("Rapport could not change whether it starts at login: {e}."),
                field: Some("startAtLogin"),
            }));
        }
    }
    if let Ok(mut current) = desktop.settings.lock() {
        *current = settings.clone();
    }
    Ok(settings)
}

/// Whether background sync is paused (see `set_sync_paused`).
#[tauri::command]
pub fn sync_paused(state: State<'_, AppState>) -> bool {
    state.scheduler.is_paused()
}

#[tauri::command]
pub async fn set_sync_paused(app: AppHandle, paused: bool) {
    crate::desktop::set_sync_paused(&app, paused).await;
}

#[tauri::command]
pub async fn set_tray_labels(app: AppHandle, labels: crate::desktop::TrayLabels) {
    crate::desktop::set_tray_labels(&app, labels);
}

/// Shows a new-mail notification the window worded; a click opens `thread_id`.
#[tauri::command]
pub async fn show_notification(
    app: AppHandle,
    title: String,
    body: String,
    thread_id: Option<i64>,
    message_id: Option<i64>,
) {
    let target = thread_id.map(|thread_id| crate::desktop::OpenMessage {
        thread_id,
        message_id: message_id.unwrap_or(thread_id),
    });
    crate::desktop::show_notification(&app, &title, &body, target);
}

/// Sends the `mailto:` links the app was started with as `mail-link` events, once; the
/// window calls it when its listeners are in place, so a first launch's link arrives the
/// same way as a later launch's.
#[tauri::command]
pub fn deliver_launch_links(app: AppHandle, desktop: State<'_, crate::desktop::Desktop>) -> usize {
    let links = desktop.take_launch_links();
    for url in &links {
        crate::desktop::deliver_mail_link(&app, url.clone());
    }
    links.len()
}

/// The "Copy diagnostics" text: versions, account states, recent problems; no secrets.
#[tauri::command]
pub async fn diagnostics(state: State<'_, AppState>) -> Result<String, CommandError> {
    let toolkit = format!(
        "Tauri {} (webview {})",
        tauri::VERSION,
        tauri::webview_version().unwrap_or_else(|_| "unknown".into())
    );
    let program = rapport_core::diagnostics::ProgramInfo {
        name: "Rapport",
        version: env!("CARGO_PKG_VERSION"),
        toolkit: Some(toolkit),
    };
    Ok(rapport_core::diagnostics::report(&state.store, &program, &state.data_dir).await?)
}
