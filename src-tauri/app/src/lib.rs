//! The desktop shell: opens the store, holds shared state and exposes thin commands over
//! rapport-core to the web UI. No business logic lives here.

mod commands;
mod error;

use std::path::PathBuf;

use rapport_core::{paths, AccountService, Store};
use tauri::Manager;

/// State shared by every command.
pub struct AppState {
    pub store: Store,
    pub accounts: AccountService,
    /// Accounts with a sync running, so a second "Sync now" does not start another.
    pub syncing: tokio::sync::Mutex<std::collections::HashSet<i64>>,
}

impl AppState {
    pub async fn open(
        data_dir: &std::path::Path,
    ) -> Result<AppState, rapport_core::store::StoreError> {
        let store = Store::open(data_dir).await?;
        Ok(AppState {
            accounts: AccountService::new(store.clone()),
            store,
            syncing: Default::default(),
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

    let state = match tauri::async_runtime::block_on(AppState::open(&data_dir)) {
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

    let result = tauri::Builder::default()
        .plugin(tauri_plugin_opener::init())
        .setup(move |app| {
            app.manage(state);
            Ok(())
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
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
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
