//! The HTTP client the oauth2 crate talks to token endpoints through: hyper over our own
//! TCP and rustls code, so there is one TLS stack (no reqwest, no second set of roots).

use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use oauth2::{HttpRequest, HttpResponse};

use crate::{net, tls};

/// Token responses are a few hundred bytes.
const MAX_BODY: usize = 256 * 1024;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Connect(#[from] net::ConnectError),
    #[error("TLS setup: {0}")]
    Tls(#[from] tls::TlsError),
    #[error("HTTP: {0}")]
    Http(#[from] hyper::Error),
    #[error("request: {0}")]
    Request(#[from] hyper::http::Error),
    #[error("the answer was larger than {MAX_BODY} bytes or broke off")]
    Body,
    #[error("no answer within {} s", REQUEST_TIMEOUT.as_secs())]
    Timeout,
}

impl HttpError {
    /// Whether the provider could not be reached at all (offline), as opposed to an answer.
    pub fn is_network(&self) -> bool {
        matches!(
            self,
            HttpError::Connect(_) | HttpError::Http(_) | HttpError::Timeout | HttpError::Body
        )
    }
}

/// Sends one request; `oauth2`'s `request_async` takes this function as its client.
pub async fn send(request: HttpRequest) -> Result<HttpResponse, HttpError> {
    tokio::time::timeout(REQUEST_TIMEOUT, send_once(request))
        .await
        .map_err(|_| HttpError::Timeout)?
}

async fn send_once(request: HttpRequest) -> Result<HttpResponse, HttpError> {
    let uri = request.uri().clone();
    let host = uri
        .host()
        .ok_or_else(|| HttpError::Refused(format!("{uri} has no host")))?;
    let connect_host = host.trim_start_matches('[').trim_end_matches(']');
    let (secure, default_port) = match uri.scheme_str() {
        Some("https") => (true, 443),
        Some("http") if super::provider::is_loopback_host(connect_host) => (false, 80),
        _ => {
            return Err(HttpError::Refused(format!(
                "{uri}: tokens are only sent over https (or http to this machine)"
            )))
        }
    };
    let (stream, authority) = net::connect_web::<HttpError>(&uri, secure, default_port).await?;
    let (parts, body) = request.into_parts();
    let mut builder = hyper::Request::builder()
        .method(parts.method)
        .uri(uri.path_and_query().map(|p| p.as_str()).unwrap_or("/"))
        .header(hyper::header::HOST, authority)
        .header(
            hyper::header::USER_AGENT,
            concat!("Rapport/", env!("CARGO_PKG_VERSION")),
        )
        .header(hyper::header::CONNECTION, "close");
    for (name, value) in parts.headers.iter() {
        builder = builder.header(name, value);
    }
    let request = builder.body(Full::new(Bytes::from(body)))?;

    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    let exchange = async move {
        let response = sender.send_request(request).await?;
        let (parts, body) = response.into_parts();
        let body = Limited::new(body, MAX_BODY)
            .collect()
            .await
            .map_err(|_| HttpError::Body)?
            .to_bytes();
        Ok(HttpResponse::from_parts(parts, body.to_vec()))
    };
    let (reply, _) = tokio::join!(exchange, connection);
    reply
}
