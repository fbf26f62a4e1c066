//! Connecting to mail servers: DNS, TCP with timeouts, TLS, and the one stream type
//! that IMAP and SMTP sessions run over.

use std::{
    io,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use serde::{Deserialize, Serialize};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::TcpStream,
};
use tokio_rustls::{client::TlsStream, rustls::pki_types::ServerName, TlsConnector};

use crate::tls::{AccountTls, CertificateInfo};

/// How long a single connection attempt may take before we call it a timeout.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// Transport security of a mail server connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// TLS from the first byte (IMAP 993, SMTP 465).
    Tls,
    /// Plain connection upgraded with STARTTLS before anything secret is sent.
    Starttls,
    /// No encryption at all; only when the user asks for it.
    None,
}

impl Security {
    pub fn as_str(self) -> &'static str {
        match self {
            Security::Tls => "tls",
            Security::Starttls => "starttls",
            Security::None => "none",
        }
    }

    pub fn parse(text: &str) -> Option<Security> {
        match text.trim().to_ascii_lowercase().as_str() {
            "tls" | "ssl" | "ssl/tls" | "implicit" => Some(Security::Tls),
            "starttls" => Some(Security::Starttls),
            "none" | "plain" => Some(Security::None),
            _ => None,
        }
    }
}

/// Host, port and security of one server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
}

/// Why a connection could not be made. Each variant maps to a sentence that tells the
/// user what to do; see `account::AccountError`.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ConnectError {
    #[error("the server name {host} could not be found")]
    HostNotFound { host: String },
    #[error("{host}:{port} refused the connection")]
    Refused { host: String, port: u16 },
    #[error("{host}:{port} did not answer in time")]
    Timeout { host: String, port: u16 },
    #[error("network error talking to {host}:{port}: {detail}")]
    Network {
        host: String,
        port: u16,
        detail: String,
    },
    #[error("the TLS handshake with {host} failed: {detail}")]
    TlsHandshake { host: String, detail: String },
    #[error("the certificate of {host} is not trusted: {detail}; SHA-256 fingerprint {}", .certificate.sha256)]
    CertificateNotTrusted {
        host: String,
        detail: String,
        certificate: Box<CertificateInfo>,
    },
    #[error("{host} does not offer STARTTLS")]
    StartTlsNotOffered { host: String },
}

/// A plain or TLS-wrapped TCP stream.
#[derive(Debug)]
pub enum MailStream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for MailStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MailStream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            MailStream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for MailStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            MailStream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            MailStream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MailStream::Plain(s) => Pin::new(s).poll_flush(cx),
            MailStream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MailStream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            MailStream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// Resolves `host` and connects to the first address that answers.
pub async fn tcp_connect(host: &str, port: u16) -> Result<TcpStream, ConnectError> {
    let addresses: Vec<_> =
        match tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::lookup_host((host, port))).await {
            Err(_) => {
                return Err(ConnectError::Timeout {
                    host: host.to_owned(),
                    port,
                })
            }
            Ok(Err(_)) => {
                return Err(ConnectError::HostNotFound {
                    host: host.to_owned(),
                })
            }
            Ok(Ok(found)) => found.collect(),
        };
    if addresses.is_empty() {
        return Err(ConnectError::HostNotFound {
            host: host.to_owned(),
        });
    }
    let mut last_error = None;
    for address in addresses {
        match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(address)).await {
            Ok(Ok(stream)) => {
                // Mail protocols are chatty request/response; Nagle only adds latency.
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Ok(Err(e)) if e.kind() == io::ErrorKind::ConnectionRefused => {
                last_error = Some(ConnectError::Refused {
                    host: host.to_owned(),
                    port,
                })
            }
            Ok(Err(e)) => {
                last_error = Some(ConnectError::Network {
                    host: host.to_owned(),
                    port,
                    detail: e.to_string(),
                })
            }
            Err(_) => {
                last_error = Some(ConnectError::Timeout {
                    host: host.to_owned(),
                    port,
                })
            }
        }
    }
    Err(last_error.unwrap_or(ConnectError::HostNotFound {
        host: host.to_owned(),
    }))
}

/// Runs the TLS handshake over `tcp`, turning certificate refusals into
/// `CertificateNotTrusted` with the fingerprint the user would pin.
pub async fn tls_handshake(
    tcp: TcpStream,
    host: &str,
    port: u16,
    tls: &AccountTls,
) -> Result<TlsStream<TcpStream>, ConnectError> {
    let name = ServerName::try_from(host.to_owned()).map_err(|_| ConnectError::HostNotFound {
        host: host.to_owned(),
    })?;
    let connector = TlsConnector::from(tls.config.clone());
    match tokio::time::timeout(CONNECT_TIMEOUT, connector.connect(name, tcp)).await {
        Err(_) => Err(ConnectError::Timeout {
            host: host.to_owned(),
            port,
        }),
        Ok(Ok(stream)) => Ok(stream),
        Ok(Err(e)) => {
            let certificate_problem = e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<tokio_rustls::rustls::Error>())
                .and_then(|inner| match inner {
                    tokio_rustls::rustls::Error::InvalidCertificate(reason) => {
                        Some(describe_certificate_error(reason))
                    }
                    _ => None,
                });
            let presented = tls
                .presented
                .lock()
                .ok()
                .and_then(|slot| slot.as_ref().map(|c| c.info(host)));
            match (certificate_problem, presented) {
                (Some(detail), Some(certificate)) => Err(ConnectError::CertificateNotTrusted {
                    host: host.to_owned(),
                    detail,
                    certificate: Box::new(certificate),
                }),
                _ => Err(ConnectError::TlsHandshake {
                    host: host.to_owned(),
                    detail: e.to_string(),
                }),
            }
        }
    }
}

/// Why a certificate was refused, in words.
fn describe_certificate_error(reason: &tokio_rustls::rustls::CertificateError) -> String {
    use tokio_rustls::rustls::CertificateError as E;
    match reason {
        E::UnknownIssuer => "it is signed by an authority this computer does not know".into(),
        E::Expired | E::ExpiredContext { .. } => "it has expired".into(),
        E::NotValidYet | E::NotValidYetContext { .. } => "it is not valid yet".into(),
        E::NotValidForName | E::NotValidForNameContext { .. } => {
            "it was issued for a different server name".into()
        }
        E::Revoked => "it has been revoked".into(),
        E::BadSignature => "its signature is invalid".into(),
        other => format!("{other:?}"),
    }
}

/// Opens a connection to the origin of a web `uri` (TLS with the web PKI roots when
/// `secure`) and returns it with the value of its `Host` header. The discovery fetcher and
/// the OAuth token client share it; each keeps its own error type.
pub async fn connect_web<E>(
    uri: &hyper::Uri,
    secure: bool,
    default_port: u16,
) -> Result<(MailStream, String), E>
where
    E: From<ConnectError> + From<crate::tls::TlsError>,
{
    let host = uri.host().unwrap_or_default();
    // `Uri::host` keeps the brackets of an IPv6 literal; connecting needs it bare.
    let connect_host = host.trim_start_matches('[').trim_end_matches(']');
    let port = uri.port_u16().unwrap_or(default_port);
    let tcp = tcp_connect(connect_host, port).await?;
    let stream = if secure {
        let trust = crate::tls::client_config(&crate::tls::TrustSettings::default())?;
        MailStream::Tls(Box::new(
            tls_handshake(tcp, connect_host, port, &trust).await?,
        ))
    } else {
        MailStream::Plain(tcp)
    };
    let authority = match uri.port_u16() {
        Some(port) if port != default_port => format!("{host}:{port}"),
        _ => host.to_owned(),
    };
    Ok((stream, authority))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn security_parses_common_spellings() {
        assert_eq!(Security::parse("SSL"), Some(Security::Tls));
        assert_eq!(Security::parse("starttls"), Some(Security::Starttls));
        assert_eq!(Security::parse("none"), Some(Security::None));
        assert_eq!(Security::parse("maybe"), None);
    }

    #[tokio::test]
    async fn unknown_host_is_reported_as_not_found() {
        let err = tcp_connect("no-such-host.invalid", 993).await.unwrap_err();
        assert_eq!(
            err,
            ConnectError::HostNotFound {
                host: "no-such-host.invalid".into()
            }
        );
    }

    #[tokio::test]
    async fn closed_port_is_reported_as_refused() {
        // Bind then drop to find a port nothing listens on.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let err = tcp_connect("127.0.0.1", port).await.unwrap_err();
        assert!(matches!(err, ConnectError::Refused { .. }), "{err:?}");
    }
}
