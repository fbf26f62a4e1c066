//! Finding a mail server by knocking: connect, and see whether what answers greets us
//! like an IMAP or SMTP server.

use std::time::Duration;

use async_trait::async_trait;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

use crate::{
    net::{self, MailStream, Security},
    tls::{self, TrustSettings},
};

/// Checks whether a mail server answers on a port.
#[async_trait]
pub trait PortProbe: Send + Sync {
    /// True if `host:port` answered like an IMAP (`* OK`, `* PREAUTH`) or SMTP (`220`)
    /// server. For [`Security::Tls`] that needs a TLS handshake the web PKI accepts;
    /// for the others the plain greeting is enough (STARTTLS comes after it).
    async fn probe(&self, host: &str, port: u16, security: Security) -> bool;
}

/// Greetings are one short line; a server that sends more before a newline is not one
/// we want.
const MAX_GREETING: u64 = 1024;
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// The real prober over `crate::net`.
#[derive(Debug, Clone)]
pub struct GreetingProbe {
    timeout: Duration,
}

impl GreetingProbe {
    pub fn new() -> GreetingProbe {
        GreetingProbe {
            timeout: PROBE_TIMEOUT,
        }
    }

    /// A prober that gives up on a server after `timeout`.
    pub fn with_timeout(timeout: Duration) -> GreetingProbe {
        GreetingProbe { timeout }
    }

    async fn greeting(&self, host: &str, port: u16, security: Security) -> Option<Vec<u8>> {
        let tcp = net::tcp_connect(host, port).await.ok()?;
        let stream = match security {
            Security::Tls => {
                let trust = tls::client_config(&TrustSettings::default()).ok()?;
                match net::tls_handshake(tcp, host, port, &trust).await {
                    Ok(stream) => MailStream::Tls(Box::new(stream)),
                    Err(e) => {
                        tracing::debug!(host, port, "probe: {e}");
                        return None;
                    }
                }
            }
            Security::Starttls | Security::None => MailStream::Plain(tcp),
        };
        let mut line = Vec::new();
        BufReader::new(stream.take(MAX_GREETING))
            .read_until(b'\n', &mut line)
            .await
            .ok()?;
        Some(line)
    }
}

impl Default for GreetingProbe {
    fn default() -> Self {
        GreetingProbe::new()
    }
}

#[async_trait]
impl PortProbe for GreetingProbe {
    async fn probe(&self, host: &str, port: u16, security: Security) -> bool {
        match tokio::time::timeout(self.timeout, self.greeting(host, port, security)).await {
            Ok(Some(line)) => is_mail_greeting(&line),
            _ => false,
        }
    }
}

/// IMAP greets with `* OK` or `* PREAUTH` (RFC 9051 §7.1), SMTP with `220` (RFC 5321
/// §4.2); a `* BYE` or `554` greeting means the server will not talk to us.
pub fn is_mail_greeting(line: &[u8]) -> bool {
    let line = String::from_utf8_lossy(line).to_ascii_uppercase();
    line.ends_with('\n')
        && (line.starts_with("* OK")
            || line.starts_with("* PREAUTH")
            || line.starts_with("220 ")
            || line.starts_with("220-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_imap_and_smtp_greetings() {
        assert!(is_mail_greeting(
            b"* OK [CAPABILITY IMAP4rev1] Dovecot ready.\r\n"
        ));
        assert!(is_mail_greeting(b"* ok imap ready\r\n"));
        assert!(is_mail_greeting(b"* PREAUTH logged in\r\n"));
        assert!(is_mail_greeting(b"220 mx.example.com ESMTP Postfix\r\n"));
        assert!(is_mail_greeting(b"220-mx.example.com hello\r\n"));
        assert!(!is_mail_greeting(b"* BYE too many connections\r\n"));
        assert!(!is_mail_greeting(b"554 go away\r\n"));
        assert!(!is_mail_greeting(b"HTTP/1.1 400 Bad Request\r\n"));
        assert!(!is_mail_greeting(b"* OK but cut off"));
        assert!(!is_mail_greeting(b""));
    }
}
