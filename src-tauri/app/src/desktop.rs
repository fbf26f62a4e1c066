//! What makes Rapport a desktop app that stays open all day: one instance per data folder
//! (a second launch, or a `mailto:` link, goes to the running one), the tray icon with the
//! unread count and sync controls, closing to the tray, new-mail notifications (decided in
//! `rapport_core::new_mail`, only shown here), starting at login.

use std::{path::Path, sync::Mutex, time::Duration};

use rapport_core::{
    new_mail::{self, NewMailWatch},
    settings::{self, AppSettings},
};
use serde::{Deserialize, Serialize};
use tauri::{
    menu::{CheckMenuItem, Menu, MenuItem, PredefinedMenuItem},
    tray::{MouseButton, MouseButtonState, TrayIcon, TrayIconBuilder, TrayIconEvent},
    AppHandle, Emitter, Manager, Runtime, Url,
};

use crate::{links::MAIL_LINK_EVENT, AppState};

/// New mail worth a notification; the window words it in the user's language and asks
/// `show_notification` to show it. Payload: `NewMailNotice`.
pub const NEW_MAIL_EVENT: &str = "new-mail";
/// A notification was clicked: the window opens that conversation. Payload: `OpenMessage`.
pub const OPEN_MESSAGE_EVENT: &str = "open-message";
/// The tray's "Pause sync" changed. Payload: `bool` (paused).
pub const SYNC_PAUSED_EVENT: &str = "sync-paused";
/// Given to the app by the login item, so it starts in the tray rather than on screen.
pub const MINIMIZED_ARG: &str = "--minimized";

const TRAY_ID: &str = "main";
const MAIN_WINDOW: &str = "main";

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenMessage {
    pub thread_id: i64,
    pub message_id: i64,
}

#[derive(Debug, Clone, Serialize)]
struct LinkRequest {
    url: String,
}

/// The tray's words, in the window's language (it sends them when the language changes).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrayLabels {
    pub open: String,
    pub sync_now: String,
    pub pause_sync: String,
    pub quit: String,
    /// The tooltip with unread mail; `{count}` stands for the number.
    pub unread: String,
}

impl Default for TrayLabels {
    fn default() -> Self {
        TrayLabels {
            open: "Open Rapport".into(),
            sync_now: "Sync now".into(),
            pause_sync: "Pause sync".into(),
            quit: "Quit Rapport".into(),
            unread: "Rapport: {count} unread".into(),
        }
    }
}

struct TrayItems<R: Runtime> {
    open: MenuItem<R>,
    sync_now: MenuItem<R>,
    pause: CheckMenuItem<R>,
    quit: MenuItem<R>,
}

/// Desktop state beside `AppState`.
pub struct Desktop {
    pub settings: Mutex<AppSettings>,
    watch: tokio::sync::Mutex<Option<NewMailWatch>>,
    labels: Mutex<TrayLabels>,
    unread: Mutex<i64>,
    tray_items: Mutex<Option<TrayItems<tauri::Wry>>>,
    /// `mailto:` links from the command line of the first launch, until the window asks.
    launch_links: Mutex<Vec<String>>,
}

impl Desktop {
    pub fn new(settings: AppSettings, launch_links: Vec<String>) -> Desktop {
        Desktop {
            settings: Mutex::new(settings),
            watch: tokio::sync::Mutex::new(None),
            labels: Mutex::new(TrayLabels::default()),
            unread: Mutex::new(0),
            tray_items: Mutex::new(None),
            launch_links: Mutex::new(launch_links),
        }
    }

    pub fn settings(&self) -> AppSettings {
        self.settings.lock().map(|s| s.clone()).unwrap_or_default()
    }

    pub fn take_launch_links(&self) -> Vec<String> {
        self.launch_links
            .lock()
            .map(|mut links| std::mem::take(&mut *links))
            .unwrap_or_default()
    }
}

/// The `mailto:` URLs among command-line arguments (the desktop entry passes one as `%u`).
pub fn mail_links(args: impl IntoIterator<Item = String>) -> Vec<String> {
    args.into_iter()
        .skip(1)
        .filter_map(|arg| {
            let url = Url::parse(arg.trim()).ok()?;
            (url.scheme() == "mailto").then(|| url.to_string())
        })
        .collect()
}

/// The D-Bus name base of the single-instance lock: the app's identifier for the default
/// data folder; another data folder (`--data-dir`) is another instance, so a test or a
/// second profile never hands its launch to the wrong window.
pub fn instance_id(identifier: &str, data_dir: &Path, default_dir: Option<&Path>) -> String {
    if default_dir == Some(data_dir) {
        return identifier.to_owned();
    }
    use sha2::Digest;
    let digest = sha2::Sha256::digest(data_dir.to_string_lossy().as_bytes());
    let short: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
    // D-Bus name elements may not start with a digit.
    format!("{identifier}.d{short}")
}

/// A second launch: bring the window forward and pass on any `mailto:` link it carried.
pub fn on_second_launch<R: Runtime>(app: &AppHandle<R>, args: Vec<String>) {
    show_main_window(app);
    for url in mail_links(args) {
        tracing::info!("a second launch handed over a mailto: link");
        deliver_mail_link(app, url);
    }
}

/// A `mailto:` link from outside (a launch argument) goes to the window like a link
/// clicked in a message: as the `mail-link` event.
pub fn deliver_mail_link<R: Runtime>(app: &AppHandle<R>, url: String) {
    if let Err(e) = app.emit(MAIL_LINK_EVENT, LinkRequest { url }) {
        tracing::warn!(error = %e, "could not pass a mailto: link to the window");
    }
}

/// The running instance went away while this launch was handing over to it (it was
/// quitting): then this launch should become the instance itself.
pub fn is_failed_hand_over(error: &str) -> bool {
    error.contains("failed to forward arguments to the running instance")
}

const LAUNCH_ATTEMPT_ENV: &str = "RAPPORT_LAUNCH_ATTEMPT";

/// Starts this program again with the same arguments, a few times at most, once the
/// instance that was quitting has had a moment to release its lock.
pub fn launch_again() {
    let attempt: u32 = std::env::var(LAUNCH_ATTEMPT_ENV)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if attempt >= 3 {
        return;
    }
    let Ok(program) = std::env::current_exe() else {
        return;
    };
    tracing::info!(
        attempt,
        "the running instance quit during the hand-over; starting again"
    );
    std::thread::sleep(Duration::from_millis(500));
    let mut command = std::process::Command::new(program);
    command
        .args(std::env::args_os().skip(1))
        .env(LAUNCH_ATTEMPT_ENV, (attempt + 1).to_string());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let error = command.exec();
        tracing::warn!(error = %error, "could not start again");
    }
    #[cfg(not(unix))]
    match command.status() {
        Ok(status) => std::process::exit(status.code().unwrap_or(1)),
        Err(error) => tracing::warn!(error = %error, "could not start again"),
    }
}

pub fn show_main_window<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// Builds the tray icon. Without a tray (no status notifier on this desktop) the app still
/// works; closing the window then quits, since nothing would bring it back.
pub fn create_tray(app: &AppHandle) -> tauri::Result<TrayIcon> {
    let labels = TrayLabels::default();
    let open = MenuItem::with_id(app, "open", &labels.open, true, None::<&str>)?;
    let sync_now = MenuItem::with_id(app, "sync-now", &labels.sync_now, true, None::<&str>)?;
    let pause = CheckMenuItem::with_id(
        app,
        "pause-sync",
        &labels.pause_sync,
        true,
        false,
        None::<&str>,
    )?;
    let quit = MenuItem::with_id(app, "quit", &labels.quit, true, None::<&str>)?;
    let separator = PredefinedMenuItem::separator(app)?;
    let menu = Menu::with_items(app, &[&open, &sync_now, &pause, &separator, &quit])?;
    let mut builder = TrayIconBuilder::with_id(TRAY_ID)
        .menu(&menu)
        .tooltip("Rapport")
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| match event.id().as_ref() {
            "open" => show_main_window(app),
            "sync-now" => sync_all_now(app),
            "pause-sync" => toggle_pause(app),
            "quit" => app.exit(0),
            _ => {}
        })
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                show_main_window(tray.app_handle());
            }
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    let tray = builder.build(app)?;
    if let Some(desktop) = app.try_state::<Desktop>() {
        if let Ok(mut items) = desktop.tray_items.lock() {
            *items = Some(TrayItems {
                open,
                sync_now,
                pause,
                quit,
            });
        }
    }
    Ok(tray)
}

/// The window's words for the tray.
pub fn set_tray_labels(app: &AppHandle, labels: TrayLabels) {
    let Some(desktop) = app.try_state::<Desktop>() else {
        return;
    };
    if let Ok(items) = desktop.tray_items.lock() {
        if let Some(items) = items.as_ref() {
            let _ = items.open.set_text(&labels.open);
            let _ = items.sync_now.set_text(&labels.sync_now);
            let _ = items.pause.set_text(&labels.pause_sync);
            let _ = items.quit.set_text(&labels.quit);
        }
    }
    if let Ok(mut current) = desktop.labels.lock() {
        *current = labels;
    }
    show_unread(app);
}

fn show_unread(app: &AppHandle) {
    let (Some(desktop), Some(tray)) = (app.try_state::<Desktop>(), app.tray_by_id(TRAY_ID)) else {
        return;
    };
    let count = desktop.unread.lock().map(|c| *c).unwrap_or(0);
    let template = desktop
        .labels
        .lock()
        .map(|l| l.unread.clone())
        .unwrap_or_default();
    let text = if count > 0 {
        template.replace("{count}", &count.to_string())
    } else {
        "Rapport".to_owned()
    };
    let _ = tray.set_tooltip(Some(&text));
    // The indicator on Linux shows a title beside the icon rather than a tooltip.
    let _ = tray.set_title(Some(if count > 0 {
        count.to_string()
    } else {
        String::new()
    }));
}

/// Re-reads the unread count of every Inbox into the tray.
pub async fn refresh_unread(app: &AppHandle) {
    let Some(state) = app.try_state::<AppState>() else {
        return;
    };
    match new_mail::unread_in_inboxes(&state.store).await {
        Ok(count) => {
            if let Some(desktop) = app.try_state::<Desktop>() {
                if let Ok(mut unread) = desktop.unread.lock() {
                    *unread = count;
                }
            }
            show_unread(app);
        }
        Err(e) => tracing::warn!(error = %e, "could not count unread mail"),
    }
}

/// Keeps the tray's count current while mail is read in the window or elsewhere.
pub fn spawn_unread_refresh(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        loop {
            refresh_unread(&app).await;
            tokio::time::sleep(Duration::from_secs(20)).await;
        }
    });
}

fn sync_all_now(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let Some(state) = app.try_state::<AppState>() else {
            return;
        };
        let accounts = match state.store.accounts().await {
            Ok(accounts) => accounts,
            Err(e) => {
                tracing::warn!(error = %e, "could not list accounts to sync");
                return;
            }
        };
        for account in accounts {
            if state.scheduler.is_paused() {
                // Paused loops stay stopped; "Sync now" still means one pass now.
                let sink = state.progress.clone();
                if let Err(e) = state.scheduler.sync_now(account.id, &*sink).await {
                    tracing::warn!(account = account.id, error = %e, "sync now failed");
                }
            } else {
                state.scheduler.wake(account.id).await;
            }
        }
    });
}

fn toggle_pause(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let Some(paused) = app.try_state::<AppState>().map(|s| s.scheduler.is_paused()) else {
            return;
        };
        set_sync_paused(&app, !paused).await;
    });
}

/// Pauses or resumes the background sync of every account (the tray's "Pause sync" and
/// the window's "Resume"), keeps the tray's check mark in step and tells the window.
pub async fn set_sync_paused(app: &AppHandle, pause: bool) {
    let Some(state) = app.try_state::<AppState>() else {
        return;
    };
    if pause {
        state.scheduler.pause_all().await;
    } else if let Err(e) = state.scheduler.resume_all().await {
        tracing::warn!(error = %e, "could not resume syncing");
    }
    tracing::info!(paused = pause, "background sync paused by the user");
    if let Some(desktop) = app.try_state::<Desktop>() {
        if let Ok(items) = desktop.tray_items.lock() {
            if let Some(items) = items.as_ref() {
                let _ = items.pause.set_checked(pause);
            }
        }
    }
    let _ = app.emit(SYNC_PAUSED_EVENT, pause);
}

/// After a pass stored mail: asks the core which new messages deserve a notification and
/// hands the notice to the window to word and show.
pub async fn check_new_mail(app: &AppHandle) {
    let (Some(state), Some(desktop)) = (app.try_state::<AppState>(), app.try_state::<Desktop>())
    else {
        return;
    };
    let settings = desktop.settings().notifications;
    let mut watch = desktop.watch.lock().await;
    if watch.is_none() {
        match NewMailWatch::start(&state.store).await {
            Ok(started) => *watch = Some(started),
            Err(e) => {
                tracing::warn!(error = %e, "could not watch for new mail");
                return;
            }
        }
    }
    let Some(watch) = watch.as_mut() else {
        return;
    };
    let now = unix_now();
    match watch
        .collect(&state.store, &settings, settings::local_minute_now(), now)
        .await
    {
        Ok(Some(notice)) => {
            tracing::info!(
                messages = notice.total,
                senders = notice.senders,
                "new mail to announce"
            );
            if let Err(e) = app.emit(NEW_MAIL_EVENT, &notice) {
                tracing::warn!(error = %e, "could not pass new mail to the window");
            }
        }
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "could not look for new mail"),
    }
}

/// Starts watching at launch, so mail already stored is never announced.
pub async fn start_new_mail_watch(app: &AppHandle) {
    let (Some(state), Some(desktop)) = (app.try_state::<AppState>(), app.try_state::<Desktop>())
    else {
        return;
    };
    let mut watch = desktop.watch.lock().await;
    if watch.is_none() {
        match NewMailWatch::start(&state.store).await {
            Ok(started) => *watch = Some(started),
            Err(e) => tracing::warn!(error = %e, "could not watch for new mail"),
        }
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Shows a notification worded by the window; a click opens the conversation.
pub fn show_notification(app: &AppHandle, title: &str, body: &str, target: Option<OpenMessage>) {
    #[cfg(target_os = "linux")]
    {
        let mut notification = notify_rust::Notification::new();
        notification
            .appname("Rapport")
            .summary(title)
            .body(body)
            .icon("rapport")
            .action("default", title);
        match notification.show() {
            Ok(handle) => {
                let app = app.clone();
                std::thread::spawn(move || {
                    handle.wait_for_action(|action| {
                        if action == "default" {
                            show_main_window(&app);
                            if let Some(target) = target {
                                let _ = app.emit(OPEN_MESSAGE_EVENT, target);
                            }
                        }
                    });
                });
            }
            Err(e) => tracing::warn!(error = %e, "could not show a notification"),
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        // The plugin does not report clicks on macOS and Windows: the notification brings
        // the app to mind, and the new mail is at the top of the inbox.
        use tauri_plugin_notification::NotificationExt;
        let _ = target;
        if let Err(e) = app.notification().builder().title(title).body(body).show() {
            tracing::warn!(error = %e, "could not show a notification");
        }
    }
}

/// Whether the tray icon could be made (closing to the tray needs it).
pub struct TrayPresence(pub bool);

/// Closing the main window hides it when the user keeps Rapport in the tray: sync goes on.
pub fn on_window_event(window: &tauri::Window, event: &tauri::WindowEvent) {
    let tauri::WindowEvent::CloseRequested { api, .. } = event else {
        return;
    };
    if window.label() != MAIN_WINDOW {
        return;
    }
    // Under WebDriver (tauri-driver sets this) ending a session closes the window and
    // expects the app to go with it.
    if std::env::var("TAURI_WEBVIEW_AUTOMATION").is_ok_and(|v| v == "true") {
        return;
    }
    let app = window.app_handle();
    let has_tray = app.try_state::<TrayPresence>().is_some_and(|t| t.0);
    let to_tray = app
        .try_state::<Desktop>()
        .is_some_and(|d| d.settings().close_to_tray);
    if has_tray && to_tray {
        api.prevent_close();
        let _ = window.hide();
    }
}

/// Applies the login-item choice to the OS.
pub fn apply_start_at_login(app: &AppHandle, enabled: bool) -> Result<(), String> {
    use tauri_plugin_autostart::ManagerExt;
    let autostart = app.autolaunch();
    let current = autostart.is_enabled().unwrap_or(false);
    let result = match (enabled, current) {
        (true, false) => autostart.enable(),
        (false, true) => autostart.disable(),
        _ => Ok(()),
    };
    result.map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn only_mailto_arguments_are_links() {
        assert_eq!(
            mail_links(args(&[
                "/usr/bin/rapport",
                "--data-dir",
                "/tmp/x",
                "mailto:ann@example.com?subject=Hi%20there",
                "https://example.com",
                "--minimized",
            ])),
            vec!["mailto:ann@example.com?subject=Hi%20there".to_owned()]
        );
        assert!(mail_links(args(&["rapport", "mailto:"])).len() <= 1);
        assert!(mail_links(args(&["mailto:first-arg-is-the-program@example.com"])).is_empty());
    }

    #[test]
    fn another_data_folder_is_another_instance() {
        let default = Path::new("/home/a/.local/share/app.rapport.desktop");
        assert_eq!(
            instance_id("app.rapport.desktop", default, Some(default)),
            "app.rapport.desktop"
        );
        let other = instance_id(
            "app.rapport.desktop",
            Path::new("/tmp/e2e/seeded"),
            Some(default),
        );
        assert!(other.starts_with("app.rapport.desktop.d"), "{other}");
        assert_ne!(
            other,
            instance_id(
                "app.rapport.desktop",
                Path::new("/tmp/e2e/empty"),
                Some(default)
            )
        );
    }
}
