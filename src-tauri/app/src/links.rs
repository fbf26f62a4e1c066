//! Links in mail never navigate inside the app. The message frame is sandboxed without
//! scripts, so nothing in it can be listened to; but every navigation, the frame's
//! included, goes through the webview's navigation policy (WebKitGTK's `decide-policy`,
//! WKWebView's and WebView2's equivalents), which Tauri hands to plugins. Here a link
//! click in the frame is refused and turned into an event: the reader shows where the
//! link really goes and opens it in the system browser only if the user says so.

use serde::Serialize;
use tauri::{
    plugin::{Builder, TauriPlugin},
    Emitter, Manager, Runtime, Url,
};

/// The event a refused link navigation becomes; its payload is `LinkRequest`.
pub const MAIL_LINK_EVENT: &str = "mail-link";

#[derive(Debug, Clone, Serialize)]
struct LinkRequest {
    url: String,
}

pub fn init<R: Runtime>() -> TauriPlugin<R> {
    Builder::new("mail-links")
        .on_navigation(|webview, url| {
            let dev_url = webview.config().build.dev_url.clone();
            if is_app_page(url, dev_url.as_ref()) {
                return true;
            }
            if is_external_link(url) {
                let request = LinkRequest {
                    url: url.to_string(),
                };
                if let Err(e) = webview.emit(MAIL_LINK_EVENT, request) {
                    tracing::warn!(error = %e, "could not pass a link click to the window");
                }
            }
            false
        })
        .build()
}

/// The app's own pages (and the empty and srcdoc documents of frames): the only places
/// the window may show.
fn is_app_page(url: &Url, dev_url: Option<&Url>) -> bool {
    match url.scheme() {
        "tauri" => url.host_str() == Some("localhost"),
        "about" => matches!(url.path(), "blank" | "srcdoc"),
        // Windows serves the app from http(s)://tauri.localhost.
        "http" | "https" if url.host_str() == Some("tauri.localhost") => true,
        "http" | "https" => {
            tauri::is_dev() && dev_url.is_some_and(|dev| dev.origin() == url.origin())
        }
        _ => false,
    }
}

/// What the user may choose to open outside: web pages and mail addresses.
fn is_external_link(url: &Url) -> bool {
    matches!(url.scheme(), "http" | "https" | "mailto")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn only_the_app_and_frame_documents_may_load_in_the_window() {
        for allowed in [
            "tauri://localhost/",
            "tauri://localhost/index.html",
            "about:blank",
            "about:srcdoc",
            "http://tauri.localhost/",
            "https://tauri.localhost/assets/x.js",
        ] {
            assert!(is_app_page(&url(allowed), None), "{allowed}");
        }
        for refused in [
            "https://example.com/",
            "http://127.0.0.1:8000/leak",
            "tauri://evil.example/",
            "data:text/html,<script>alert(1)</script>",
            "javascript:alert(1)",
            "file:///etc/passwd",
            "about:config",
            "mailto:a@b.test",
        ] {
            assert!(!is_app_page(&url(refused), None), "{refused}");
        }
    }

    #[test]
    fn the_dev_server_counts_only_in_development_builds() {
        let dev = url("http://localhost:5173");
        assert_eq!(
            is_app_page(&url("http://localhost:5173/src/main.ts"), Some(&dev)),
            tauri::is_dev()
        );
        assert!(!is_app_page(&url("http://localhost:8080/"), Some(&dev)));
    }

    #[test]
    fn web_and_mail_links_are_offered_the_rest_dropped() {
        assert!(is_external_link(&url("https://example.com/a?b=1")));
        assert!(is_external_link(&url("mailto:jan@firma.cz")));
        assert!(!is_external_link(&url("javascript:alert(1)")));
        assert!(!is_external_link(&url("data:text/html,x")));
        assert!(!is_external_link(&url("file:///etc/passwd")));
    }
}
