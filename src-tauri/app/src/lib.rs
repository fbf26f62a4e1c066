//! The desktop shell: opens the store, holds shared state and exposes thin commands over
//! rapport-core to the web UI. No business logic lives here.

mod commands;
mod compose;
mod desktop;
mod error;
mod links;
mod oauth;

use std::path::PathBuf;

use std::sync::{Arc, OnceLock};

use rapport_core::{
    paths,
    settings::AppSettings,
    sync::{service::SyncScheduler, ProgressSink, SyncProgress},
    AccountService, Store,
};
use tauri::{AppHandle, Emitter, Manager};

/// The event that carries background sync progress to the window.
pub const SYNC_PROGRESS_EVENT: &str = "sync-progress";

/// State shared by every command.
pub struct AppState {
    pub store: Store,
    pub accounts: AccountService,
    /// One long-running sync loop per account; also serialises "Sync now".
    pub scheduler: Arc<SyncScheduler>,
    /// The data folder (the attachment cache lives in it).
    pub data_dir: PathBuf,
    /// Where background passes report (also used by the tray's "Sync now").
    pub progress: Arc<ProgressSink>,
}

impl AppState {
    pub async fn open(
        data_dir: &std::path::Path,
        sink: Arc<ProgressSink>,
    ) -> Result<AppState, rapport_core::store::StoreError> {
        let store = Store::open(data_dir).await?;
        Ok(AppState {
            accounts: AccountService::new(store.clone()),
            scheduler: Arc::new(SyncScheduler::new(store.clone(), sink.clone())),
            store,
            data_dir: data_dir.to_path_buf(),
            progress: sink,
        })
    }
}

/// `--data-dir DIR` (or `--data-dir=DIR`) from the command line, if given.
fn data_dir_argument(args: impl Iterator<Item = String>) -> Option<PathBuf> {
    let mut args = args.skip(1);
    while let Some(arg) = args.next() {
        if arg == "--data-dir" {
            return args.next().map(PathBuf::from);
        }
        if let Some(value) = arg.strip_prefix("--data-dir=") {
            return Some(PathBuf::from(value));
        }
    }
    None
}

pub fn run() {
    let Some(data_dir) = paths::data_dir(data_dir_argument(std::env::args())) else {
        eprintln!("Rapport cannot find a folder for its data; start it with --data-dir DIR.");
        std::process::exit(2);
    };
    let _log =
        rapport_core::logging::init(&paths::log_dir(&data_dir), "rapport", tracing::Level::WARN);
    tracing::info!(data_dir = %data_dir.display(), "starting Rapport {}", env!("CARGO_PKG_VERSION"));
    rapport_core::auth::install_config(rapport_core::auth::OAuthConfig::load(Some(&data_dir)));

    // Background passes report to the window as events ("Sync now" has its own channel).
    // The window exists only once the app is set up, hence the late-bound handle.
    let window_handle: Arc<OnceLock<AppHandle>> = Arc::new(OnceLock::new());
    let events = window_handle.clone();
    let sink: Arc<ProgressSink> = Arc::new(move |event| {
        if let Some(handle) = events.get() {
            let _ = handle.emit(SYNC_PROGRESS_EVENT, &event);
            if let SyncProgress::Finished { new_messages, .. } = event {
                let handle = handle.clone();
                tauri::async_runtime::spawn(async move {
                    if new_messages > 0 {
                        desktop::check_new_mail(&handle).await;
                    }
                    desktop::refresh_unread(&handle).await;
                });
            }
        }
    });
    let state = match tauri::async_runtime::block_on(AppState::open(&data_dir, sink)) {
        Ok(state) => state,
        Err(e) => {
            tracing::error!(error = %e, "could not open the database");
            eprintln!(
                "Rapport could not open its database in {}: {e}",
                data_dir.display()
            );
            std::process::exit(1);
        }
    };

    let settings =
        tauri::async_runtime::block_on(AppSettings::load(&state.store)).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "could not read the app settings; using the defaults");
            AppSettings::default()
        });
    let args: Vec<String> = std::env::args().collect();
    let start_minimized = args.iter().any(|a| a == desktop::MINIMIZED_ARG);
    let desktop_state = desktop::Desktop::new(settings, desktop::mail_links(args));
    let instance = desktop::instance_id(
        paths::APP_IDENTIFIER,
        &data_dir,
        paths::data_dir(None).as_deref(),
    );

    let result = tauri::Builder::default()
        // First: a second launch must hand over and exit before anything else starts.
        .plugin(
            tauri_plugin_single_instance::Builder::new()
                .dbus_id(instance)
                .callback(|app, args, _cwd| desktop::on_second_launch(app, args))
                .build(),
        )
        .plugin(
            tauri_plugin_window_state::Builder::default()
                // Closed to the tray is not how the next launch should start.
                .with_state_flags(
                    tauri_plugin_window_state::StateFlags::all()
                        - tauri_plugin_window_state::StateFlags::VISIBLE,
                )
                .build(),
        )
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec![desktop::MINIMIZED_ARG]),
        ))
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_dialog::init())
        .plugin(links::init())
        .setup(move |app| {
            let _ = window_handle.set(app.handle().clone());
            let scheduler = state.scheduler.clone();
            let outbox_events = app.handle().clone();
            let outbox_store = state.store.clone();
            let worker = tauri::async_runtime::block_on(async move {
                rapport_core::outbox::OutboxWorker::start(
                    outbox_store,
                    Arc::new(move |deliveries: &[rapport_core::outbox::Delivery]| {
                        let _ = outbox_events.emit(compose::OUTBOX_EVENT, deliveries);
                    }),
                )
            });
            app.manage(compose::ComposeState {
                worker,
                files: Default::default(),
            });
            app.manage(state);
            app.manage(oauth::PendingSignIn::default());
            app.manage(desktop_state);
            let tray_ready = match desktop::create_tray(app.handle()) {
                Ok(_) => true,
                Err(e) => {
                    tracing::warn!(error = %e, "no tray icon; closing the window will quit");
                    false
                }
            };
            app.manage(desktop::TrayPresence(tray_ready));
            if start_minimized && tray_ready {
                if let Some(window) = app.get_webview_window("main") {
                    let _ = window.hide();
                }
            }
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                desktop::start_new_mail_watch(&handle).await;
                desktop::spawn_unread_refresh(handle);
            });
            tauri::async_runtime::spawn(async move {
                if let Err(e) = scheduler.start_all().await {
                    tracing::error!(error = %e, "could not start syncing");
                }
            });
            Ok(())
        })
        .on_window_event(|window, event| {
            desktop::on_window_event(window, event);
            // Files dropped on the window may be attached: the compose form hears of them.
            if let tauri::WindowEvent::DragDrop(tauri::DragDropEvent::Drop { paths, .. }) = event {
                if let Some(compose) = window.try_state::<compose::ComposeState>() {
                    compose.allow_files(paths);
                }
                let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
                let _ = window.emit(compose::FILES_DROPPED_EVENT, names);
            }
        })
        .invoke_handler(tauri::generate_handler![
            commands::list_accounts,
            commands::discover_settings,
            commands::test_connection,
            commands::add_account,
            commands::list_folders,
            commands::update_account,
            commands::reconnect_account,
            commands::remove_account,
            commands::sync_account,
            commands::list_contacts,
            commands::contact_card,
            commands::contact_timeline,
            commands::update_contact,
            commands::create_contact,
            commands::add_contact_address,
            commands::remove_contact_address,
            commands::merge_contacts,
            commands::delete_contact,
            commands::ignore_correspondent,
            commands::unlinked_correspondents,
            commands::list_companies,
            commands::company_page,
            commands::export_contacts,
            commands::import_contacts,
            commands::list_messages,
            commands::message_detail,
            commands::open_attachment,
            commands::message_text,
            commands::message_inline_images,
            commands::set_remote_images_allowed,
            commands::message_people,
            commands::save_attachment,
            commands::list_threads,
            commands::thread_messages,
            commands::apply_action,
            commands::pending_changes,
            commands::search_messages,
            oauth::oauth_providers,
            oauth::oauth_sign_in,
            oauth::cancel_oauth_sign_in,
            oauth::test_connection_signed_in,
            oauth::add_account_signed_in,
            oauth::sign_in_again,
            oauth::use_sign_in,
            oauth::use_password,
            compose::send_message,
            compose::reply_draft,
            compose::parse_mailto,
            compose::outbox_entries,
            compose::retry_outgoing,
            compose::cancel_outgoing,
            compose::default_send_account,
            compose::set_default_send_account,
            compose::address_suggestions,
            compose::pick_attachments,
            compose::list_templates,
            compose::save_template,
            compose::delete_template,
            compose::fill_template,
            compose::save_draft,
            compose::list_drafts,
            compose::delete_draft,
            compose::get_signature,
            compose::save_signature,
            compose::forward_attachments,
            compose::keep_draft,
            commands::list_follow_ups,
            commands::snooze_follow_up,
            commands::restore_follow_up,
            commands::update_follow_up_settings,
            commands::contact_activity,
            commands::set_contact_cadence,
            commands::app_settings,
            commands::set_app_settings,
            commands::set_tray_labels,
            commands::sync_paused,
            commands::set_sync_paused,
            commands::show_notification,
            commands::deliver_launch_links,
            commands::diagnostics,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        if desktop::is_failed_hand_over(&e.to_string()) {
            drop(_log);
            desktop::launch_again();
        }
        tracing::error!(error = %e, "the app stopped with an error");
        eprintln!("Rapport stopped with an error: {e}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_dir_argument_forms() {
        let args = |v: &[&str]| {
            v.iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .into_iter()
        };
        assert_eq!(
            data_dir_argument(args(&["rapport", "--data-dir", "/x"])),
            Some(PathBuf::from("/x"))
        );
        assert_eq!(
            data_dir_argument(args(&["rapport", "--data-dir=/y"])),
            Some(PathBuf::from("/y"))
        );
        assert_eq!(data_dir_argument(args(&["rapport"])), None);
    }
}
