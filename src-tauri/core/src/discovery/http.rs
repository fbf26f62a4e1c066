//! A small HTTP/1.1 GET for autoconfig files: hyper's client connection over our own
//! TCP and rustls code (`crate::net`), so there is one TLS stack and one place that
//! connects to servers.

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use http_body_util::{BodyExt, Empty, Limited};
use hyper::{body::Bytes, header, Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;

use crate::{net, tls};

/// Fetches a small document over HTTP(S).
#[async_trait]
pub trait HttpFetch: Send + Sync {
    /// The body of a `200 OK` (after at most a few redirects), or `None` for any other
    /// status, a network error or a body over [`MAX_BODY`].
    async fn get(&self, url: &str) -> Option<String>;
}

/// Autoconfig files are a few kilobytes; anything near this is not one.
pub const MAX_BODY: usize = 1024 * 1024;
const MAX_REDIRECTS: usize = 3;
const FETCH_TIMEOUT: Duration = Duration::from_secs(4);

/// Changes a URL just before it is fetched; tests point the client at loopback with it.
type UrlRewrite = Arc<dyn Fn(&str) -> String + Send + Sync>;

/// The real HTTP client. HTTPS uses the web PKI roots, like every other connection.
#[derive(Clone, Default)]
pub struct HttpClient {
    rewrite: Option<UrlRewrite>,
}

impl HttpClient {
    pub fn new() -> HttpClient {
        HttpClient::default()
    }

    /// A client that fetches `rewrite(url)` instead of `url`, redirects included.
    pub fn with_url_rewrite(rewrite: impl Fn(&str) -> String + Send + Sync + 'static) -> Self {
        HttpClient {
            rewrite: Some(Arc::new(rewrite)),
        }
    }

    async fn get_following_redirects(&self, url: &str) -> Option<String> {
        let mut url = url.to_owned();
        for _ in 0..=MAX_REDIRECTS {
            let target = match &self.rewrite {
                Some(rewrite) => rewrite(&url),
                None => url.clone(),
            };
            let uri: Uri = match target.parse() {
                Ok(uri) => uri,
                Err(e) => {
                    tracing::debug!(url = target, "not a URL: {e}");
                    return None;
                }
            };
            match fetch_once(&uri).await {
                Ok(Reply::Body(body)) => return Some(body),
                Ok(Reply::Redirect(location)) => url = resolve(&uri, &location)?,
                Ok(Reply::Status(status)) => {
                    tracing::debug!(url = target, %status, "no document");
                    return None;
                }
                Err(e) => {
                    tracing::debug!(url = target, "fetch failed: {e}");
                    return None;
                }
            }
        }
        tracing::debug!(url, "too many redirects");
        None
    }
}

#[async_trait]
impl HttpFetch for HttpClient {
    async fn get(&self, url: &str) -> Option<String> {
        tokio::time::timeout(FETCH_TIMEOUT, self.get_following_redirects(url))
            .await
            .ok()
            .flatten()
    }
}

enum Reply {
    Body(String),
    Redirect(String),
    Status(StatusCode),
}

#[derive(Debug, thiserror::Error)]
enum FetchError {
    #[error("unsupported URL")]
    BadUrl,
    #[error(transparent)]
    Connect(#[from] net::ConnectError),
    #[error("TLS setup: {0}")]
    Tls(#[from] tls::TlsError),
    #[error("HTTP: {0}")]
    Http(#[from] hyper::Error),
    #[error("request: {0}")]
    Request(#[from] hyper::http::Error),
    #[error("the body is larger than {MAX_BODY} bytes or broke off")]
    Body,
}

async fn fetch_once(uri: &Uri) -> Result<Reply, FetchError> {
    uri.host().ok_or(FetchError::BadUrl)?;
    let (secure, default_port) = match uri.scheme_str() {
        Some("https") => (true, 443),
        Some("http") => (false, 80),
        _ => return Err(FetchError::BadUrl),
    };
    let (stream, authority) = net::connect_web::<FetchError>(uri, secure, default_port).await?;
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let request = Request::get(path)
        .header(header::HOST, authority)
        .header(
            header::USER_AGENT,
            concat!("Rapport/", env!("CARGO_PKG_VERSION")),
        )
        .header(header::ACCEPT, "application/xml, text/xml, */*")
        .header(header::CONNECTION, "close")
        .body(Empty::<Bytes>::new())?;

    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    let exchange = async move {
        let response = sender.send_request(request).await?;
        let status = response.status();
        if status.is_redirection() {
            let location = response
                .headers()
                .get(header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .map(str::to_owned);
            return Ok(match location {
                Some(location) => Reply::Redirect(location),
                None => Reply::Status(status),
            });
        }
        if status != StatusCode::OK {
            return Ok(Reply::Status(status));
        }
        let body = Limited::new(response.into_body(), MAX_BODY)
            .collect()
            .await
            .map_err(|_| FetchError::Body)?
            .to_bytes();
        Ok(Reply::Body(String::from_utf8_lossy(&body).into_owned()))
    };
    // The connection future does the socket I/O; it ends once the exchange is done and
    // `sender` is dropped, or the server closes.
    let (reply, _) = tokio::join!(exchange, connection);
    reply
}

/// Turns a `Location` header into an absolute URL.
fn resolve(base: &Uri, location: &str) -> Option<String> {
    let location = location.trim();
    if location.starts_with("http://") || location.starts_with("https://") {
        return Some(location.to_owned());
    }
    let scheme = base.scheme_str()?;
    let authority = base.authority()?.as_str();
    if let Some(rest) = location.strip_prefix("//") {
        return Some(format!("{scheme}://{rest}"));
    }
    if location.starts_with('/') {
        return Some(format!("{scheme}://{authority}{location}"));
    }
    let dir = base.path().rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    Some(format!("{scheme}://{authority}{dir}/{location}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_locations_resolve_against_the_request() {
        let base: Uri = "https://firma.cz/.well-known/autoconfig/mail/config-v1.1.xml"
            .parse()
            .unwrap();
        assert_eq!(
            resolve(&base, "https://mail.firma.cz/x.xml").as_deref(),
            Some("https://mail.firma.cz/x.xml")
        );
        assert_eq!(
            resolve(&base, "/config.xml").as_deref(),
            Some("https://firma.cz/config.xml")
        );
        assert_eq!(
            resolve(&base, "other.xml").as_deref(),
            Some("https://firma.cz/.well-known/autoconfig/mail/other.xml")
        );
        assert_eq!(
            resolve(&base, "//cdn.firma.cz/a.xml").as_deref(),
            Some("https://cdn.firma.cz/a.xml")
        );
    }
}
