//! A small OAuth2 authorization server on 127.0.0.1 that stands in for Google or
//! Microsoft in tests: the authorization endpoint (which "signs in" at once, as the
//! user the test chose, and redirects), the token endpoint (authorization codes with a
//! PKCE S256 check, refresh tokens, optional rotation), revocation (RFC 7009) and an
//! introspection endpoint (RFC 7662) that Dovecot's oauth2 passdb asks, so the harness
//! IMAP and SMTP servers accept exactly the access tokens issued here.
//!
//! Tests control it directly ([`OAuthServer::expire_access_tokens`], ...) or, from
//! another process (the end-to-end tests), over `POST /test/...` endpoints.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use base64::Engine;
use sha2::{Digest, Sha256};

/// The client id the server accepts.
pub const CLIENT_ID: &str = "rapport-test-client";

/// What the "user" does in the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Signs in as the `login_hint`, or as this user when set.
    Approve { as_user: Option<String> },
    /// Refuses access (`error=access_denied`).
    Deny,
}

#[derive(Debug)]
struct PendingCode {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    user: String,
}

#[derive(Debug)]
struct AccessToken {
    user: String,
    expires: Instant,
    refresh: String,
}

#[derive(Debug)]
struct RefreshToken {
    user: String,
    active: bool,
}

#[derive(Debug)]
struct State {
    codes: HashMap<String, PendingCode>,
    access: HashMap<String, AccessToken>,
    refresh: HashMap<String, RefreshToken>,
    decision: Decision,
    access_lifetime: Duration,
    rotate_refresh_tokens: bool,
    issue_refresh_tokens: bool,
    counts: Counts,
}

/// How often each endpoint answered, for assertions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub authorizations: usize,
    pub code_exchanges: usize,
    pub refreshes: usize,
    pub refused_refreshes: usize,
    pub revocations: usize,
    pub introspections: usize,
    pub inactive_introspections: usize,
}

/// The running server; stopped when dropped.
#[derive(Debug)]
pub struct OAuthServer {
    pub port: u16,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl OAuthServer {
    /// Starts on a free port of 127.0.0.1.
    pub fn start() -> io::Result<OAuthServer> {
        Self::start_on(0)
    }

    pub fn start_on(port: u16) -> io::Result<OAuthServer> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let port = listener.local_addr()?.port();
        let state = Arc::new(Mutex::new(State {
            codes: HashMap::new(),
            access: HashMap::new(),
            refresh: HashMap::new(),
            decision: Decision::Approve { as_user: None },
            access_lifetime: Duration::from_secs(3600),
            rotate_refresh_tokens: false,
            issue_refresh_tokens: true,
            counts: Counts::default(),
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let state = state.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let state = state.clone();
                    std::thread::spawn(move || {
                        if let Err(e) = serve(stream, &state) {
                            eprintln!("oauth test server: {e}");
                        }
                    });
                }
            })
        };
        Ok(OAuthServer {
            port,
            state,
            stop,
            thread: Some(thread),
        })
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
    pub fn authorize_url(&self) -> String {
        format!("{}/authorize", self.base_url())
    }
    pub fn token_url(&self) -> String {
        format!("{}/token", self.base_url())
    }
    pub fn revoke_url(&self) -> String {
        format!("{}/revoke", self.base_url())
    }
    pub fn introspection_url(&self) -> String {
        format!("{}/introspect", self.base_url())
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// What the next authorization does.
    pub fn set_decision(&self, decision: Decision) {
        self.state().decision = decision;
    }

    /// Lifetime of access tokens issued from now on.
    pub fn set_access_token_lifetime(&self, lifetime: Duration) {
        self.state().access_lifetime = lifetime;
    }

    /// Each refresh issues a new refresh token and retires the old one (as Microsoft does).
    pub fn set_rotate_refresh_tokens(&self, rotate: bool) {
        self.state().rotate_refresh_tokens = rotate;
    }

    /// Whether a code exchange includes a refresh token (Google leaves it out when a user
    /// who consented before signs in again without `prompt=consent`).
    pub fn set_issue_refresh_tokens(&self, issue: bool) {
        self.state().issue_refresh_tokens = issue;
    }

    /// Makes every access token issued so far expired.
    pub fn expire_access_tokens(&self) {
        expire_access_tokens(&mut self.state());
    }

    /// Revokes every refresh token (and its access tokens) of `user`, as a user does in
    /// the provider's security settings.
    pub fn revoke_user(&self, user: &str) {
        revoke_user(&mut self.state(), user);
    }

    pub fn counts(&self) -> Counts {
        self.state().counts.clone()
    }

    /// Active refresh tokens of `user`.
    pub fn active_refresh_tokens(&self, user: &str) -> usize {
        self.state()
            .refresh
            .values()
            .filter(|r| r.active && r.user.eq_ignore_ascii_case(user))
            .count()
    }
}

impl Drop for OAuthServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so it sees the stop flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn expire_access_tokens(state: &mut State) {
    let past = Instant::now() - Duration::from_secs(1);
    for token in state.access.values_mut() {
        token.expires = past;
    }
}

fn revoke_user(state: &mut State, user: &str) {
    for token in state.refresh.values_mut() {
        if token.user.eq_ignore_ascii_case(user) {
            token.active = false;
        }
    }
    state
        .access
        .retain(|_, t| !t.user.eq_ignore_ascii_case(user));
}

fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 24];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        let _ = f.read_exact(&mut bytes);
    }
    format!(
        "{prefix}-{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// Decodes `application/x-www-form-urlencoded` (also a query string).
pub fn parse_form(text: &str) -> HashMap<String, String> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'+', _) => out.push(b' '),
            (b'%', Some(b)) => {
                out.push(b);
                i += 2;
            }
            (b, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

struct Request {
    method: String,
    path: String,
    query: HashMap<String, String>,
    form: HashMap<String, String>,
    bearer: Option<String>,
}

fn read_request(stream: &TcpStream) -> io::Result<Option<Request>> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut words = line.split_whitespace();
    let (Some(method), Some(target)) = (words.next(), words.next()) else {
        return Ok(None);
    };
    let mut content_length = 0usize;
    let mut bearer = None;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                content_length = value.parse().unwrap_or(0);
            } else if name.eq_ignore_ascii_case("authorization") {
                bearer = value.strip_prefix("Bearer ").map(|t| t.trim().to_owned());
            }
        }
    }
    let mut body = vec![0u8; content_length.min(1 << 20)];
    reader.read_exact(&mut body)?;
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    Ok(Some(Request {
        method: method.to_owned(),
        path: path.to_owned(),
        query: parse_form(query),
        form: parse_form(&String::from_utf8_lossy(&body)),
        bearer,
    }))
}

fn reply(
    mut stream: &TcpStream,
    status: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    stream.flush()
}

fn json(stream: &TcpStream, status: &str, value: serde_json::Value) -> io::Result<()> {
    reply(
        stream,
        status,
        &[("Content-Type", "application/json")],
        &value.to_string(),
    )
}

fn oauth_error(stream: &TcpStream, error: &str, description: &str) -> io::Result<()> {
    json(
        stream,
        "400 Bad Request",
        serde_json::json!({"error": error, "error_description": description}),
    )
}

fn serve(stream: TcpStream, shared: &Mutex<State>) -> io::Result<()> {
    let Some(request) = read_request(&stream)? else {
        return Ok(());
    };
    let mut state = shared.lock().unwrap_or_else(|p| p.into_inner());
    match (request.method.as_str(), request.path.as_str()) {
        ("GET", "/authorize") => authorize(&stream, &mut state, &request.query),
        ("POST", "/token") => token(&stream, &mut state, &request.form),
        ("POST", "/revoke") => {
            let token = request.form.get("token").cloned().unwrap_or_default();
            state.counts.revocations += 1;
            if let Some(r) = state.refresh.get_mut(&token) {
                r.active = false;
                state.access.retain(|_, a| a.refresh != token);
            }
            state.access.remove(&token);
            reply(&stream, "200 OK", &[], "")
        }
        (_, "/introspect") => {
            let token = request
                .form
                .get("token")
                .or(request.query.get("token"))
                .cloned()
                .or(request.bearer.clone())
                .unwrap_or_default();
            state.counts.introspections += 1;
            let now = Instant::now();
            match state.access.get(&token).filter(|a| a.expires > now) {
                Some(access) => {
                    let user = access.user.clone();
                    json(
                        &stream,
                        "200 OK",
                        serde_json::json!({"active": true, "username": user, "scope": "mail"}),
                    )
                }
                None => {
                    state.counts.inactive_introspections += 1;
                    json(&stream, "200 OK", serde_json::json!({"active": false}))
                }
            }
        }
        ("POST", "/test/expire-access-tokens") => {
            expire_access_tokens(&mut state);
            reply(&stream, "204 No Content", &[], "")
        }
        ("POST", "/test/revoke-user") => {
            let user = request.query.get("user").cloned().unwrap_or_default();
            revoke_user(&mut state, &user);
            reply(&stream, "204 No Content", &[], "")
        }
        ("POST", "/test/decision") => {
            state.decision = match request.query.get("decision").map(String::as_str) {
                Some("deny") => Decision::Deny,
                _ => Decision::Approve {
                    as_user: request.query.get("user").cloned(),
                },
            };
            reply(&stream, "204 No Content", &[], "")
        }
        ("GET", "/test/counts") => {
            let c = &state.counts;
            json(
                &stream,
                "200 OK",
                serde_json::json!({
                    "authorizations": c.authorizations, "codeExchanges": c.code_exchanges,
                    "refreshes": c.refreshes, "refusedRefreshes": c.refused_refreshes,
                    "revocations": c.revocations, "introspections": c.introspections,
                }),
            )
        }
        _ => reply(&stream, "404 Not Found", &[], ""),
    }
}

fn is_loopback_redirect(uri: &str) -> bool {
    uri.starts_with("http://127.0.0.1:") || uri.starts_with("http://localhost:")
}

fn authorize(
    stream: &TcpStream,
    state: &mut State,
    query: &HashMap<String, String>,
) -> io::Result<()> {
    let get = |k: &str| query.get(k).cloned().unwrap_or_default();
    let redirect = get("redirect_uri");
    // Errors in the client or redirect must not be sent to the redirect (RFC 6749 §4.1.2.1).
    if get("client_id") != CLIENT_ID || !is_loopback_redirect(&redirect) {
        return reply(stream, "400 Bad Request", &[], "unknown client or redirect");
    }
    let state_param = get("state");
    let separator = if redirect.contains('?') { '&' } else { '?' };
    let fail = |error: &str| {
        format!(
            "{redirect}{separator}error={error}&state={}",
            percent_encode(&state_param)
        )
    };
    if get("response_type") != "code"
        || get("code_challenge_method") != "S256"
        || get("code_challenge").is_empty()
    {
        return reply(
            stream,
            "302 Found",
            &[("Location", &fail("invalid_request"))],
            "",
        );
    }
    let user = match &state.decision {
        Decision::Deny => {
            return reply(
                stream,
                "302 Found",
                &[("Location", &fail("access_denied"))],
                "",
            )
        }
        Decision::Approve {
            as_user: Some(user),
        } => user.clone(),
        Decision::Approve { as_user: None } => get("login_hint"),
    };
    if user.is_empty() {
        return reply(
            stream,
            "302 Found",
            &[("Location", &fail("login_required"))],
            "",
        );
    }
    state.counts.authorizations += 1;
    let code = random_token("code");
    state.codes.insert(
        code.clone(),
        PendingCode {
            client_id: get("client_id"),
            redirect_uri: redirect.clone(),
            challenge: get("code_challenge"),
            user,
        },
    );
    let location = format!(
        "{redirect}{separator}code={}&state={}",
        percent_encode(&code),
        percent_encode(&state_param)
    );
    reply(stream, "302 Found", &[("Location", &location)], "")
}

fn issue(state: &mut State, user: &str, refresh: String) -> (String, u64) {
    let access = random_token("at");
    let lifetime = state.access_lifetime;
    state.access.insert(
        access.clone(),
        AccessToken {
            user: user.to_owned(),
            expires: Instant::now() + lifetime,
            refresh,
        },
    );
    (access, lifetime.as_secs())
}

fn token(stream: &TcpStream, state: &mut State, form: &HashMap<String, String>) -> io::Result<()> {
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    if get("client_id") != CLIENT_ID {
        return json(
            stream,
            "401 Unauthorized",
            serde_json::json!({"error": "invalid_client"}),
        );
    }
    match get("grant_type").as_str() {
        "authorization_code" => {
            let Some(pending) = state.codes.remove(&get("code")) else {
                return oauth_error(stream, "invalid_grant", "unknown or used code");
            };
            let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(Sha256::digest(get("code_verifier").as_bytes()));
            if pending.client_id != get("client_id")
                || pending.redirect_uri != get("redirect_uri")
                || challenge != pending.challenge
            {
                return oauth_error(stream, "invalid_grant", "PKCE or redirect mismatch");
            }
            state.counts.code_exchanges += 1;
            let refresh = random_token("rt");
            state.refresh.insert(
                refresh.clone(),
                RefreshToken {
                    user: pending.user.clone(),
                    active: true,
                },
            );
            let (access, expires_in) = issue(state, &pending.user, refresh.clone());
            let mut body = serde_json::json!({
                "access_token": access, "token_type": "Bearer", "expires_in": expires_in, "scope": "mail",
            });
            if state.issue_refresh_tokens {
                body["refresh_token"] = serde_json::Value::String(refresh);
            }
            json(stream, "200 OK", body)
        }
        "refresh_token" => {
            let presented = get("refresh_token");
            let user = match state.refresh.get(&presented) {
                Some(r) if r.active => r.user.clone(),
                _ => {
                    state.counts.refused_refreshes += 1;
                    return oauth_error(
                        stream,
                        "invalid_grant",
                        "refresh token revoked or unknown",
                    );
                }
            };
            state.counts.refreshes += 1;
            let refresh = if state.rotate_refresh_tokens {
                if let Some(old) = state.refresh.get_mut(&presented) {
                    old.active = false;
                }
                let new = random_token("rt");
                state.refresh.insert(
                    new.clone(),
                    RefreshToken {
                        user: user.clone(),
                        active: true,
                    },
                );
                new
            } else {
                presented
            };
            let (access, expires_in) = issue(state, &user, refresh.clone());
            let mut body = serde_json::json!({
                "access_token": access, "token_type": "Bearer", "expires_in": expires_in, "scope": "mail",
            });
            if state.rotate_refresh_tokens {
                body["refresh_token"] = serde_json::Value::String(refresh);
            }
            json(stream, "200 OK", body)
        }
        _ => oauth_error(stream, "unsupported_grant_type", "unsupported grant type"),
    }
}

/// What a test's "browser" saw at the end of a sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowserVisit {
    /// The URLs requested, in order (the authorization URL, then the redirects).
    pub urls: Vec<String>,
    pub status: u16,
    pub body: String,
}

/// Plays the user's browser: GETs `url` and follows redirects (plain http on loopback
/// only, which is all a test needs), returning the last page.
pub fn follow_in_browser(url: &str) -> io::Result<BrowserVisit> {
    let mut urls = Vec::new();
    let mut current = url.to_owned();
    for _ in 0..5 {
        urls.push(current.clone());
        let rest = current
            .strip_prefix("http://")
            .ok_or_else(|| io::Error::other(format!("not an http URL: {current}")))?;
        let (authority, target) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let mut stream = TcpStream::connect(authority)?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        write!(
            stream,
            "GET {target} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
        )?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        let status: u16 = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let location = head.lines().find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("location")
                .then(|| value.trim().to_owned())
        });
        match (status, location) {
            (300..=399, Some(location)) => current = location,
            _ => {
                return Ok(BrowserVisit {
                    urls,
                    status,
                    body: body.to_owned(),
                })
            }
        }
    }
    Err(io::Error::other("too many redirects"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_decode() {
        let form = parse_form("a=b%20c&d=e+f&g=%2F%3A&h=");
        assert_eq!(form["a"], "b c");
        assert_eq!(form["d"], "e f");
        assert_eq!(form["g"], "/:");
        assert_eq!(form["h"], "");
        assert_eq!(percent_encode("a b/c"), "a%20b%2Fc");
    }
}
