//! SMTP submission: connecting with the same TLS path as IMAP (so a pinned certificate
//! or an account's CA is honoured), and logging in. lettre speaks the protocol; we hand
//! it a stream we secured ourselves.

use std::{
    io,
    net::SocketAddr,
    pin::Pin,
    task::{Context, Poll},
};

use lettre::transport::smtp::{
    authentication::{Credentials, Mechanism},
    client::{AsyncSmtpConnection, AsyncTokioStream},
    extension::ClientId,
};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader, ReadBuf};

use base64::Engine;

use crate::{
    auth::sasl::{self, TokenMechanism},
    net::{self, ConnectError, MailStream, Security, ServerSettings},
    tls::{self, TrustSettings},
};

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum SmtpError {
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error("the server rejected the user name or password: {server_says}")]
    AuthenticationFailed { server_says: String },
    #[error("the server offers no login method Rapport can use")]
    NoAuthMechanism,
    #[error("the account's trust settings are invalid: {0}")]
    Trust(String),
    #[error("SMTP protocol error: {0}")]
    Protocol(String),
    /// A permanent (5xx) answer to a message: sending it again would fail the same way.
    #[error("the server refused the message: {server_says}")]
    Refused { server_says: String },
}

impl From<lettre::transport::smtp::Error> for SmtpError {
    fn from(e: lettre::transport::smtp::Error) -> Self {
        SmtpError::Protocol(e.to_string())
    }
}

/// A secured stream for lettre. After a STARTTLS we performed ourselves, lettre still
/// expects to read a greeting first, so we replay one before the TLS bytes.
#[derive(Debug)]
struct SubmissionStream {
    replay: Option<io::Cursor<Vec<u8>>>,
    inner: MailStream,
    peer: SocketAddr,
}

impl AsyncRead for SubmissionStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if let Some(replay) = self.replay.as_mut() {
            let start = replay.position() as usize;
            let data = replay.get_ref();
            if start < data.len() {
                let n = (data.len() - start).min(buf.remaining());
                buf.put_slice(&data[start..start + n]);
                replay.set_position((start + n) as u64);
                return Poll::Ready(Ok(()));
            }
            self.replay = None;
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for SubmissionStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl AsyncTokioStream for SubmissionStream {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.peer)
    }
}

/// Connects to the submission server and logs in. The password is only sent over TLS,
/// unless the account is explicitly set to no encryption.
pub async fn login(
    server: &ServerSettings,
    username: &str,
    password: &str,
    trust: &TrustSettings,
) -> Result<AsyncSmtpConnection, SmtpError> {
    crate::logging::redact_secret(password);
    let mut connection = connect(server, trust).await?;
    let credentials = Credentials::new(username.to_owned(), password.to_owned());
    match connection
        .auth(&[Mechanism::Plain, Mechanism::Login], &credentials)
        .await
    {
        Ok(_) => Ok(connection),
        Err(e) if e.is_permanent() => Err(SmtpError::AuthenticationFailed {
            server_says: e.to_string(),
        }),
        Err(e)
            if e.to_string()
                .contains("No compatible authentication mechanism") =>
        {
            Err(SmtpError::NoAuthMechanism)
        }
        Err(e) => Err(e.into()),
    }
}

/// Connects to the submission server and logs in with an OAuth2 access token: XOAUTH2
/// when the server lists it, else OAUTHBEARER (RFC 7628). lettre knows only XOAUTH2,
/// and its XOAUTH2 cannot answer the error challenge of a refused token, so both are
/// spoken here over lettre's raw command channel.
pub async fn login_with_token(
    server: &ServerSettings,
    username: &str,
    access_token: &str,
    trust: &TrustSettings,
) -> Result<AsyncSmtpConnection, SmtpError> {
    if server.security == Security::None {
        // A bearer token is as good as a password to whoever reads it.
        return Err(SmtpError::NoAuthMechanism);
    }
    let mut connection = connect(server, trust).await?;
    let mechanism = if connection
        .server_info()
        .supports_auth_mechanism(Mechanism::Xoauth2)
    {
        TokenMechanism::XOAuth2
    } else {
        TokenMechanism::OAuthBearer
    };
    let initial = match mechanism {
        TokenMechanism::XOAuth2 => sasl::xoauth2(username, access_token),
        TokenMechanism::OAuthBearer => {
            sasl::oauthbearer(username, &server.host, server.port, access_token)
        }
    };
    let encoded = base64::engine::general_purpose::STANDARD.encode(initial);
    let command = RawCommand(format!("AUTH {} {encoded}\r\n", mechanism.name()));
    let refused = |e: lettre::transport::smtp::Error| {
        if e.is_permanent() || e.is_transient() {
            // 504/5.5.4 "unrecognized authentication type": neither mechanism is offered.
            if e.status().is_some_and(|code| code.to_string() == "504") {
                return SmtpError::NoAuthMechanism;
            }
            SmtpError::AuthenticationFailed {
                server_says: e.to_string(),
            }
        } else {
            SmtpError::Protocol(e.to_string())
        }
    };
    let response = connection.command(command).await.map_err(refused)?;
    if response.has_code(334) {
        // The token was refused; the JSON error challenge is answered with an empty
        // line to get the final 535 (RFC 7628 §3.2.3).
        let last = connection
            .command(RawCommand("\r\n".to_owned()))
            .await
            .map_err(refused)?;
        return Err(SmtpError::AuthenticationFailed {
            server_says: last.message().collect::<Vec<_>>().join(" "),
        });
    }
    if response.is_positive() {
        Ok(connection)
    } else {
        Err(SmtpError::AuthenticationFailed {
            server_says: response.message().collect::<Vec<_>>().join(" "),
        })
    }
}

/// A command line sent as is (with its CRLF).
struct RawCommand(String);

impl std::fmt::Display for RawCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Opens the transport the settings ask for and greets the server (EHLO).
pub async fn connect(
    server: &ServerSettings,
    trust: &TrustSettings,
) -> Result<AsyncSmtpConnection, SmtpError> {
    let account_tls = tls::client_config(trust).map_err(|e| SmtpError::Trust(e.to_string()))?;
    let tcp = net::tcp_connect(&server.host, server.port).await?;
    let peer = tcp
        .peer_addr()
        .map_err(|e| SmtpError::Protocol(e.to_string()))?;
    let hello = ClientId::default();
    let (inner, replay) = match server.security {
        Security::Tls => {
            let stream = net::tls_handshake(tcp, &server.host, server.port, &account_tls).await?;
            (MailStream::Tls(Box::new(stream)), None)
        }
        Security::Starttls => {
            let tcp = starttls_dialog(tcp, &server.host, &hello).await?;
            let stream = net::tls_handshake(tcp, &server.host, server.port, &account_tls).await?;
            (
                MailStream::Tls(Box::new(stream)),
                Some(io::Cursor::new(b"220 ready after STARTTLS\r\n".to_vec())),
            )
        }
        Security::None => (MailStream::Plain(tcp), None),
    };
    let stream = SubmissionStream {
        replay,
        inner,
        peer,
    };
    let connection = tokio::time::timeout(
        net::CONNECT_TIMEOUT,
        AsyncSmtpConnection::connect_with_transport(Box::new(stream), &hello),
    )
    .await
    .map_err(|_| ConnectError::Timeout {
        host: server.host.clone(),
        port: server.port,
    })??;
    Ok(connection)
}

/// RFC 3207: greeting, EHLO, STARTTLS, "220". Returns the plain stream, ready for TLS.
async fn starttls_dialog(
    tcp: tokio::net::TcpStream,
    host: &str,
    hello: &ClientId,
) -> Result<tokio::net::TcpStream, SmtpError> {
    let timeout = net::CONNECT_TIMEOUT;
    let mut reader = BufReader::new(tcp);
    let protocol = |what: &str| SmtpError::Protocol(what.to_owned());
    let greeting = tokio::time::timeout(timeout, read_reply(&mut reader))
        .await
        .map_err(|_| protocol("no greeting"))??;
    if !greeting.0.starts_with('2') {
        return Err(protocol(&format!("server greeting: {}", greeting.1)));
    }
    reader
        .get_mut()
        .write_all(format!("EHLO {hello}\r\n").as_bytes())
        .await
        .map_err(|e| protocol(&e.to_string()))?;
    let (code, lines) = tokio::time::timeout(timeout, read_reply(&mut reader))
        .await
        .map_err(|_| protocol("no answer to EHLO"))??;
    let offers_starttls = code == "250"
        && lines
            .lines()
            .any(|l| l.trim().eq_ignore_ascii_case("STARTTLS"));
    if !offers_starttls {
        return Err(ConnectError::StartTlsNotOffered {
            host: host.to_owned(),
        }
        .into());
    }
    reader
        .get_mut()
        .write_all(b"STARTTLS\r\n")
        .await
        .map_err(|e| protocol(&e.to_string()))?;
    let (code, text) = tokio::time::timeout(timeout, read_reply(&mut reader))
        .await
        .map_err(|_| protocol("no answer to STARTTLS"))??;
    if code != "220" {
        return Err(ConnectError::StartTlsNotOffered {
            host: format!("{host} ({text})"),
        }
        .into());
    }
    if !reader.buffer().is_empty() {
        // Bytes after "220" before the handshake would be an injection attempt (CVE-2011-0411 class).
        return Err(protocol("unexpected data after STARTTLS"));
    }
    Ok(reader.into_inner())
}

/// Reads one (possibly multi-line) SMTP reply: the code and the text lines.
async fn read_reply(
    reader: &mut BufReader<tokio::net::TcpStream>,
) -> Result<(String, String), SmtpError> {
    let mut text = String::new();
    loop {
        let mut line = String::new();
        let n = reader
            .read_line(&mut line)
            .await
            .map_err(|e| SmtpError::Protocol(e.to_string()))?;
        if n == 0 || line.len() < 4 {
            return Err(SmtpError::Protocol("connection closed".into()));
        }
        let (code, rest) = line.split_at(3);
        text.push_str(rest[1..].trim_end());
        text.push('\n');
        if !rest.starts_with('-') {
            return Ok((code.to_owned(), text));
        }
    }
}

/// Sends one message on a logged-in connection. `from` is the envelope sender and
/// `recipients` every To/Cc/Bcc address; `raw` is the complete RFC 5322 message.
pub async fn send(
    connection: &mut AsyncSmtpConnection,
    from: &str,
    recipients: &[String],
    raw: &[u8],
) -> Result<(), SmtpError> {
    let parse = |a: &str| {
        a.parse::<lettre::Address>()
            .map_err(|e| SmtpError::Protocol(format!("invalid address {a}: {e}")))
    };
    let to = recipients
        .iter()
        .map(|r| parse(r))
        .collect::<Result<Vec<_>, _>>()?;
    let envelope = lettre::address::Envelope::new(Some(parse(from)?), to)
        .map_err(|e| SmtpError::Protocol(e.to_string()))?;
    match connection.send(&envelope, raw).await {
        Ok(_) => Ok(()),
        Err(e) if e.is_permanent() => Err(SmtpError::Refused {
            server_says: e.to_string(),
        }),
        Err(e) => Err(e.into()),
    }
}
