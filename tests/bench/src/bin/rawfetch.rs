//! `rapport-rawfetch`: the "raw FETCH rate" reference for `make bench`.
//!
//! A deliberately minimal IMAP client: implicit TLS (tokio-rustls, ring), LOGIN, then per
//! folder `SELECT` and `UID FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])`
//! (the same items Rapport's sync asks for), reading every literal into memory and
//! parsing nothing beyond response lines and literal sizes. Prints one JSON object:
//! `{"messages", "bytes", "seconds", "fetchSeconds", "folders": [...]}` where `seconds`
//! runs from the TCP connect to the end of LOGOUT and `fetchSeconds` covers the FETCHes.

use std::{io::BufRead, path::PathBuf, sync::Arc, time::Instant};

use anyhow::{bail, Context, Result};
use clap::Parser;
use rustls_pki_types::{pem::PemObject, CertificateDer, ServerName};
use serde::Serialize;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio_rustls::{rustls, TlsConnector};

#[derive(Parser)]
#[command(
    name = "rapport-rawfetch",
    about = "Fetch whole folders over IMAP with implicit TLS, as a raw-rate reference"
)]
struct Args {
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    #[arg(long)]
    port: u16,
    /// The name the server certificate must be valid for.
    #[arg(long, default_value = "localhost")]
    server_name: String,
    /// PEM file of the CA(s) to trust.
    #[arg(long)]
    ca_file: PathBuf,
    #[arg(long)]
    user: String,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    password_stdin: bool,
    /// A folder to fetch (repeat for several), as the server spells it.
    #[arg(long = "folder", required = true)]
    folders: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FolderResult {
    name: String,
    messages: u64,
    bytes: u64,
    seconds: f64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Output {
    messages: u64,
    bytes: u64,
    seconds: f64,
    fetch_seconds: f64,
    connect_seconds: f64,
    folders: Vec<FolderResult>,
}

fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// The size of a literal announced at the end of a response line (`... {123}\r\n`).
fn literal_size(line: &[u8]) -> Option<usize> {
    let line = line
        .strip_suffix(b"\r\n")
        .or_else(|| line.strip_suffix(b"\n"))?;
    let body = line.strip_suffix(b"}")?;
    let open = body.iter().rposition(|&b| b == b'{')?;
    let digits = &body[open + 1..];
    let digits = digits.strip_suffix(b"+").unwrap_or(digits);
    std::str::from_utf8(digits).ok()?.parse().ok()
}

struct Conn<S> {
    stream: BufReader<S>,
    line: Vec<u8>,
    literal: Vec<u8>,
    next_tag: u32,
}

/// What a command's responses held: untagged responses that started with `* N FETCH`,
/// and the total size of all literals.
#[derive(Default)]
struct Tally {
    fetches: u64,
    literal_bytes: u64,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Conn<S> {
    async fn read_line(&mut self) -> Result<()> {
        self.line.clear();
        let n = self.stream.read_until(b'\n', &mut self.line).await?;
        if n == 0 {
            bail!("the server closed the connection");
        }
        Ok(())
    }

    /// Reads one whole response (a line plus any literals and their continuation lines).
    /// Returns the first line's text (up to its first literal) for inspection.
    async fn read_response(&mut self, tally: &mut Tally) -> Result<String> {
        self.read_line().await?;
        let first = String::from_utf8_lossy(&self.line).into_owned();
        while let Some(size) = literal_size(&self.line) {
            self.literal.resize(size, 0);
            self.stream.read_exact(&mut self.literal).await?;
            tally.literal_bytes += size as u64;
            self.read_line().await?;
        }
        Ok(first)
    }

    async fn command(&mut self, text: &str) -> Result<Tally> {
        self.next_tag += 1;
        let tag = format!("r{}", self.next_tag);
        let wire = format!("{tag} {text}\r\n");
        let stream = self.stream.get_mut();
        stream.write_all(wire.as_bytes()).await?;
        stream.flush().await?;
        let mut tally = Tally::default();
        let tagged = format!("{tag} ");
        loop {
            let first = self.read_response(&mut tally).await?;
            if let Some(rest) = first.strip_prefix(&tagged) {
                if rest.starts_with("OK") {
                    return Ok(tally);
                }
                let shown = if text.starts_with("LOGIN") {
                    "LOGIN ..."
                } else {
                    text
                };
                bail!("`{shown}` failed: {}", rest.trim_end());
            }
            if let Some(rest) = first.strip_prefix("* ") {
                let mut words = rest.split(' ');
                let _number = words.next();
                if words
                    .next()
                    .is_some_and(|w| w.eq_ignore_ascii_case("FETCH"))
                {
                    tally.fetches += 1;
                }
            }
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rapport-rawfetch: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<()> {
    let args = Args::parse();
    let password = if args.password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        bail!("pass the password on standard input with --password-stdin");
    };

    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(&args.ca_file)
        .with_context(|| format!("reading {}", args.ca_file.display()))?
    {
        roots.add(cert.with_context(|| format!("parsing {}", args.ca_file.display()))?)?;
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let server_name = ServerName::try_from(args.server_name.clone())?;

    let started = Instant::now();
    let tcp = tokio::net::TcpStream::connect((args.host.as_str(), args.port))
        .await
        .with_context(|| format!("connecting to {}:{}", args.host, args.port))?;
    tcp.set_nodelay(true)?;
    let tls = TlsConnector::from(Arc::new(config))
        .connect(server_name, tcp)
        .await
        .context("TLS handshake")?;
    let mut conn = Conn {
        stream: BufReader::with_capacity(256 * 1024, tls),
        line: Vec::with_capacity(1024),
        literal: Vec::new(),
        next_tag: 0,
    };
    let greeting = conn.read_response(&mut Tally::default()).await?;
    if !greeting.starts_with("* OK") {
        bail!("unexpected greeting: {}", greeting.trim_end());
    }
    conn.command(&format!("LOGIN {} {}", quote(&args.user), quote(&password)))
        .await?;
    let connect_seconds = started.elapsed().as_secs_f64();

    let mut folders = Vec::new();
    let fetch_started = Instant::now();
    for name in &args.folders {
        let folder_started = Instant::now();
        conn.command(&format!("SELECT {}", quote(name))).await?;
        let tally = conn
            .command("UID FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])")
            .await?;
        folders.push(FolderResult {
            name: name.clone(),
            messages: tally.fetches,
            bytes: tally.literal_bytes,
            seconds: folder_started.elapsed().as_secs_f64(),
        });
    }
    let fetch_seconds = fetch_started.elapsed().as_secs_f64();
    conn.command("LOGOUT").await?;
    let output = Output {
        messages: folders.iter().map(|f| f.messages).sum(),
        bytes: folders.iter().map(|f| f.bytes).sum(),
        seconds: started.elapsed().as_secs_f64(),
        fetch_seconds,
        connect_seconds,
        folders,
    };
    println!("{}", serde_json::to_string_pretty(&output)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::literal_size;

    #[test]
    fn finds_literal_sizes() {
        assert_eq!(
            literal_size(b"* 1 FETCH (UID 5 BODY[] {1234}\r\n"),
            Some(1234)
        );
        assert_eq!(literal_size(b"* 1 FETCH (UID 5 FLAGS ())\r\n"), None);
        assert_eq!(literal_size(b"x {12+}\r\n"), Some(12));
        assert_eq!(literal_size(b"{}\r\n"), None);
    }
}
