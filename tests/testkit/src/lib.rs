//! Test support for Rapport.
//!
//! * [`MailServer`]: a throwaway Dovecot (IMAP, STARTTLS and implicit TLS) + Postfix
//!   (submission, STARTTLS and implicit TLS) on 127.0.0.1, started by
//!   `tests/harness/mailserver.sh` in a fresh temp dir and stopped on drop.
//! * [`seed`]: deterministic, realistic mailboxes written straight into a user's Maildir.
//!
//! ```ignore
//! use rapport_testkit::{seed, MailServer};
//!
//! let server = MailServer::start().unwrap();
//! server.add_user("alice@rapport.test", "secret").unwrap();
//! let spec = seed::SeedSpec::new("alice@rapport.test", 200);
//! let manifest = server.seed(&spec).unwrap();
//! // connect to server.imap_host:server.imap_tls_port trusting server.ca_file ...
//! # let _ = manifest;
//! ```

pub mod oauth;
pub mod seed;

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Path of the harness script (`tests/harness/mailserver.sh`), or `$RAPPORT_MAILSERVER_SH`.
pub fn mailserver_script() -> PathBuf {
    match std::env::var_os("RAPPORT_MAILSERVER_SH") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../harness/mailserver.sh"),
    }
}

/// A running Dovecot + Postfix pair on 127.0.0.1 with its own CA, ports and mail dirs.
/// Stopped, and its directory removed, when dropped.
///
/// Mail to any address in `rapport.test`, `example.com` or `acme.test` is delivered to that
/// address's mailbox (see [`MailServer::maildir`]); anything else goes to
/// `sink@rapport.test`. Log in with [`MailServer::add_user`] accounts (full address as the
/// login name); SMTP AUTH (PLAIN/LOGIN) is offered only after TLS.
#[derive(Debug)]
pub struct MailServer {
    /// The server's directory: configs, certificates, logs, mail.
    pub dir: PathBuf,
    /// Always `127.0.0.1` (the certificate is also valid for `localhost`).
    pub imap_host: String,
    /// IMAP with implicit TLS.
    pub imap_tls_port: u16,
    /// IMAP with STARTTLS.
    pub imap_starttls_port: u16,
    /// Submission with implicit TLS.
    pub smtp_tls_port: u16,
    /// Submission with STARTTLS.
    pub smtp_starttls_port: u16,
    /// PEM of the CA that issued the servers' certificate (for `localhost` and 127.0.0.1).
    pub ca_file: PathBuf,
    /// Everything `DIR/env` holds (also LMTP_PORT, MAIL_ROOT, logs...).
    pub env: BTreeMap<String, String>,
    _tempdir: tempfile::TempDir,
}

fn run_script(args: &[&std::ffi::OsStr]) -> io::Result<String> {
    run_script_with(args, &[])
}

fn run_script_with(args: &[&std::ffi::OsStr], env: &[(&str, &str)]) -> io::Result<String> {
    let script = mailserver_script();
    let out = Command::new("bash")
        .arg(&script)
        .args(args)
        .envs(env.iter().copied())
        .output()?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "{} {:?} failed ({}):\n{}{}",
            script.display(),
            args,
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn parse_env(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

impl MailServer {
    /// Starts a new server pair in a fresh temp dir (takes well under a second).
    pub fn start() -> io::Result<MailServer> {
        Self::start_with_env(&[])
    }

    /// Starts a server whose IMAP CAPABILITY lists only `capability` (e.g. no CONDSTORE
    /// or QRESYNC), to test what a client does with an older server.
    pub fn start_with_imap_capability(capability: &str) -> io::Result<MailServer> {
        Self::start_with_env(&[("IMAP_CAPABILITY", capability)])
    }

    /// Starts a server whose IMAP and submission also accept XOAUTH2 and OAUTHBEARER,
    /// checking each access token at `introspection_url` (RFC 7662, e.g. an
    /// [`oauth::OAuthServer`]'s). Password logins work as with [`MailServer::start`].
    pub fn start_with_oauth(introspection_url: &str) -> io::Result<MailServer> {
        Self::start_with_env(&[("OAUTH_INTROSPECTION_URL", introspection_url)])
    }

    fn start_with_env(env: &[(&str, &str)]) -> io::Result<MailServer> {
        let tempdir = tempfile::Builder::new().prefix("rapport-mail-").tempdir()?;
        let dir = tempdir.path().to_path_buf();
        run_script_with(&["start".as_ref(), dir.as_os_str()], env)?;
        let env = parse_env(&std::fs::read_to_string(dir.join("env"))?);
        let get = |k: &str| -> io::Result<String> {
            env.get(k)
                .cloned()
                .ok_or_else(|| io::Error::other(format!("{k} missing from {}/env", dir.display())))
        };
        let port = |k: &str| -> io::Result<u16> {
            get(k)?
                .parse()
                .map_err(|e| io::Error::other(format!("{k}: {e}")))
        };
        Ok(MailServer {
            imap_host: get("IMAP_HOST")?,
            imap_tls_port: port("IMAP_TLS_PORT")?,
            imap_starttls_port: port("IMAP_STARTTLS_PORT")?,
            smtp_tls_port: port("SMTP_TLS_PORT")?,
            smtp_starttls_port: port("SMTP_STARTTLS_PORT")?,
            ca_file: PathBuf::from(get("CA_FILE")?),
            env,
            dir,
            _tempdir: tempdir,
        })
    }

    /// Adds a login (the full address) for IMAP and SMTP AUTH, usable at once. Passwords
    /// must not contain `:` or line breaks.
    pub fn add_user(&self, address: &str, password: &str) -> io::Result<()> {
        run_script(&[
            "adduser".as_ref(),
            self.dir.as_os_str(),
            address.as_ref(),
            password.as_ref(),
        ])?;
        Ok(())
    }

    /// Stops the submission server (Postfix) alone; IMAP goes on. Connections to the SMTP
    /// ports are refused until [`MailServer::start_smtp`].
    pub fn stop_smtp(&self) -> io::Result<()> {
        run_script(&["smtp-stop".as_ref(), self.dir.as_os_str()])?;
        Ok(())
    }

    /// Starts the submission server again on the same ports.
    pub fn start_smtp(&self) -> io::Result<()> {
        run_script(&["smtp-start".as_ref(), self.dir.as_os_str()])?;
        Ok(())
    }

    /// The Maildir root of `address` (INBOX; other folders are `.Name` inside it).
    pub fn maildir(&self, address: &str) -> PathBuf {
        self.dir
            .join("mail")
            .join(address.to_ascii_lowercase())
            .join("Maildir")
    }

    /// Writes the mailbox of `spec` into the Maildir of `spec.owner` (see
    /// [`seed::write_maildir`]).
    pub fn seed(&self, spec: &seed::SeedSpec) -> io::Result<seed::SeedManifest> {
        seed::write_maildir(&self.maildir(&spec.owner), spec)
    }

    /// The last lines of the Dovecot and Postfix logs, for assertion messages.
    pub fn log_tail(&self, lines: usize) -> String {
        let mut out = String::new();
        for name in ["dovecot.log", "postfix.log"] {
            let path = self.dir.join("log").join(name);
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let all: Vec<&str> = text.lines().collect();
            out.push_str(&format!("--- {} ---\n", path.display()));
            for l in &all[all.len().saturating_sub(lines)..] {
                out.push_str(l);
                out.push('\n');
            }
        }
        out
    }
}

impl Drop for MailServer {
    fn drop(&mut self) {
        if let Err(e) = run_script(&["stop".as_ref(), self.dir.as_os_str()]) {
            eprintln!("rapport-testkit: stopping the mail server failed: {e}");
        }
    }
}
