//! Signing in through the system browser (RFC 8252): the authorization code flow with
//! PKCE (S256), a redirect to a one-off listener on 127.0.0.1 at a random port, the
//! `state` checked, a page in the browser that says what happened, and an end on
//! success, refusal, timeout or cancellation.

use std::{future::Future, time::Duration};

use oauth2::{AuthorizationCode, CsrfToken, PkceCodeChallenge, Scope};
use sha2::{Digest, Sha256};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

use super::{client, token_error, AuthError, ProviderSettings, TokenSet};

/// How long the user has to finish in the browser.
pub const SIGN_IN_TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// The environment variable naming a command that opens the authorization URL instead
/// of the system browser (it gets the URL as its only argument): for kiosk setups and
/// for tests, which drive the "browser" themselves.
pub const BROWSER_ENV: &str = "RAPPORT_OAUTH_BROWSER";
const REQUEST_READ_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_REQUEST_HEAD: usize = 16 * 1024;

/// The sentences the browser page shows, in the user's language (the UI passes them).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BrowserPages {
    pub success_title: String,
    pub success_body: String,
    pub failure_title: String,
    pub failure_body: String,
}

impl Default for BrowserPages {
    fn default() -> Self {
        BrowserPages {
            success_title: "You are signed in".into(),
            success_body: "Rapport can now read and send your mail. You can close this tab and go back to Rapport.".into(),
            failure_title: "Sign-in did not finish".into(),
            failure_body: "Go back to Rapport to see what happened and try again.".into(),
        }
    }
}

/// What opens a URL in the user's browser (the app passes the opener plugin; the CLI
/// prints the URL as well).
pub type OpenUrl = dyn Fn(&str) -> Result<(), String> + Send + Sync;

/// Runs the whole sign-in. Ends with the tokens, or when the user refuses, the time
/// ([`SIGN_IN_TIMEOUT`]) is up or `cancelled` completes.
pub async fn sign_in<F>(
    settings: &ProviderSettings,
    login_hint: Option<&str>,
    open_url: &F,
    pages: &BrowserPages,
    cancelled: impl Future<Output = ()>,
) -> Result<TokenSet, AuthError>
where
    F: Fn(&str) -> Result<(), String> + Sync + ?Sized,
{
    sign_in_within(
        SIGN_IN_TIMEOUT,
        settings,
        login_hint,
        open_url,
        pages,
        cancelled,
    )
    .await
}

/// [`sign_in`] with another time limit.
pub async fn sign_in_within<F>(
    limit: Duration,
    settings: &ProviderSettings,
    login_hint: Option<&str>,
    open_url: &F,
    pages: &BrowserPages,
    cancelled: impl Future<Output = ()>,
) -> Result<TokenSet, AuthError>
where
    F: Fn(&str) -> Result<(), String> + Sync + ?Sized,
{
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .await
        .map_err(|e| AuthError::Loopback(e.to_string()))?;
    let port = listener
        .local_addr()
        .map_err(|e| AuthError::Loopback(e.to_string()))?
        .port();
    let redirect = format!("http://127.0.0.1:{port}/");
    let oauth = client(settings, Some(&redirect))?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = oauth
        .authorize_url(CsrfToken::new_random)
        .add_scopes(
            settings
                .provider
                .scopes()
                .iter()
                .map(|s| Scope::new((*s).to_owned())),
        )
        .set_pkce_challenge(challenge);
    for (name, value) in settings.provider.extra_auth_params() {
        request = request.add_extra_param(*name, *value);
    }
    if let Some(hint) = login_hint.filter(|h| !h.is_empty()) {
        request = request.add_extra_param("login_hint", hint.to_owned());
    }
    let (url, state) = request.url();
    open_browser(url.as_str(), open_url).await?;
    tracing::info!(
        provider = settings.provider.name(),
        port,
        "waiting for the browser sign-in"
    );

    let wait = async {
        let code = receive_code(&listener, state.secret(), pages).await?;
        let exchange = oauth
            .exchange_code(AuthorizationCode::new(code.code))
            .set_pkce_verifier(verifier)
            .request_async(&super::http::send)
            .await;
        let result = match exchange {
            Ok(response) => {
                TokenSet::from_response(&response, None).ok_or(AuthError::NoRefreshToken {
                    provider: settings.provider.name(),
                })
            }
            Err(e) => Err(token_error(settings.provider, e)),
        };
        let page = match &result {
            Ok(_) => page(&pages.success_title, &pages.success_body),
            Err(e) => page(&pages.failure_title, &format!("{} {e}", pages.failure_body)),
        };
        respond(code.stream, "200 OK", &page).await;
        result
    };
    tokio::select! {
        result = tokio::time::timeout(limit, wait) => result.unwrap_or(Err(AuthError::TimedOut)),
        _ = cancelled => Err(AuthError::Cancelled),
    }
}

/// Opens the URL with the command in [`BROWSER_ENV`] if set, else with `open_url`.
async fn open_browser<F>(url: &str, open_url: &F) -> Result<(), AuthError>
where
    F: Fn(&str) -> Result<(), String> + ?Sized,
{
    match std::env::var_os(BROWSER_ENV).filter(|v| !v.is_empty()) {
        Some(command) => {
            let mut child = tokio::process::Command::new(&command)
                .arg(url)
                .stdin(std::process::Stdio::null())
                .spawn()
                .map_err(|e| AuthError::Browser(format!("{}: {e}", command.to_string_lossy())))?;
            // Reaped in the background: the "browser" may stay open after the redirect.
            tokio::spawn(async move {
                let _ = child.wait().await;
            });
            Ok(())
        }
        None => open_url(url).map_err(AuthError::Browser),
    }
}

struct ReceivedCode {
    code: String,
    stream: TcpStream,
}

/// Serves the loopback listener until the provider's redirect arrives. Other requests
/// (a favicon, a port scan) get a 404 and are otherwise ignored.
async fn receive_code(
    listener: &TcpListener,
    expected_state: &str,
    pages: &BrowserPages,
) -> Result<ReceivedCode, AuthError> {
    loop {
        let (mut stream, _) = listener
            .accept()
            .await
            .map_err(|e| AuthError::Loopback(e.to_string()))?;
        let Some(target) = read_request_target(&mut stream).await else {
            continue;
        };
        let (path, query) = target.split_once('?').unwrap_or((&target, ""));
        if path != "/" {
            respond(stream, "404 Not Found", "").await;
            continue;
        }
        let params: Vec<(String, String)> = oauth2::url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let param = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        if param("code").is_none() && param("error").is_none() {
            respond(stream, "400 Bad Request", "").await;
            continue;
        }
        // A redirect that is not the answer to our request (RFC 6749 §10.12) ends the
        // sign-in: the code in it may be an attacker's.
        let state_ok = param("state").is_some_and(|s| same_secret(&s, expected_state));
        if !state_ok {
            respond(
                stream,
                "400 Bad Request",
                &page(&pages.failure_title, &pages.failure_body),
            )
            .await;
            return Err(AuthError::StateMismatch);
        }
        if let Some(error) = param("error") {
            respond(
                stream,
                "200 OK",
                &page(&pages.failure_title, &pages.failure_body),
            )
            .await;
            let detail = param("error_description").unwrap_or_default();
            return Err(if error == "access_denied" {
                AuthError::Denied { detail }
            } else {
                AuthError::Denied {
                    detail: format!("{error} {detail}").trim().to_owned(),
                }
            });
        }
        match param("code").filter(|c| !c.is_empty()) {
            Some(code) => return Ok(ReceivedCode { code, stream }),
            None => respond(stream, "400 Bad Request", "").await,
        }
    }
}

/// Compares by SHA-256 so the comparison takes the same time wherever they differ.
fn same_secret(a: &str, b: &str) -> bool {
    Sha256::digest(a.as_bytes()) == Sha256::digest(b.as_bytes())
}

/// Reads a request head and returns its target (`/path?query`) for a GET.
async fn read_request_target(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 2048];
    let read = async {
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_REQUEST_HEAD {
            let n = stream.read(&mut buf).await.ok()?;
            if n == 0 {
                return None;
            }
            head.extend_from_slice(&buf[..n]);
        }
        Some(())
    };
    tokio::time::timeout(REQUEST_READ_TIMEOUT, read)
        .await
        .ok()
        .flatten()?;
    let text = String::from_utf8_lossy(&head);
    let mut words = text.lines().next()?.split_whitespace();
    match (words.next(), words.next()) {
        (Some("GET"), Some(target)) => Some(target.to_owned()),
        _ => None,
    }
}

async fn respond(mut stream: TcpStream, status: &str, html: &str) {
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nContent-Security-Policy: default-src 'none'; style-src 'unsafe-inline'\r\n\
         Connection: close\r\n\r\n{html}",
        html.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The page the browser shows at the end: a title and a sentence, nothing to load.
fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Rapport: {title}</title>\
         <style>body{{font:16px system-ui,sans-serif;max-width:32rem;margin:15vh auto;padding:0 1rem;color:#1f2328}}\
         h1{{font-size:1.4rem}}@media (prefers-color-scheme:dark){{body{{background:#16181d;color:#e6e8eb}}}}</style>\
         </head><body><h1>{title}</h1><p>{body}</p></body></html>",
        title = escape(title),
        body = escape(body)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_escape_what_they_show() {
        let html = page("<b>", "a & \"b\"");
        assert!(html.contains("&lt;b&gt;"));
        assert!(html.contains("a &amp; &quot;b&quot;"));
        assert!(!html.contains("<b>"));
    }

    #[test]
    fn secrets_compare_by_value() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
    }
}
