//! Logging for both faces: log files in the data folder's `logs/` (a new file each day and
//! whenever one grows past a size, the oldest deleted beyond a count), and warnings on
//! stderr. Code never passes a secret to `tracing` on purpose; as a second line of defence
//! every line is redacted on its way out: the secrets the program handled (passwords and
//! tokens, registered with [`redact_secret`], with their SASL encodings) and anything shaped
//! like a credential (`password=…`, `Bearer …`, IMAP `LOGIN user pass`, SASL responses).

use std::{
    borrow::Cow,
    fs::{self, File, OpenOptions},
    io::{self, Write},
    path::{Path, PathBuf},
    sync::{LazyLock, RwLock},
};

use base64::Engine;
use regex::Regex;
use tracing_subscriber::{fmt, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter, Layer};

/// What replaces a secret in a log line.
pub const REDACTED: &str = "[redacted]";

/// One log file stops growing at this size; the next line starts a new file.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;
/// Log files kept; the oldest beyond this are deleted.
pub const MAX_FILES: usize = 14;

/// Keeps the background log writer alive; drop it last so buffered lines are written.
pub struct LogGuard(#[allow(dead_code)] Option<tracing_appender::non_blocking::WorkerGuard>);

/// Starts logging to `log_dir/<file_prefix>.YYYY-MM-DD[.N].log` (info and up, or
/// `RUST_LOG`) and to stderr at `stderr_level`, both redacted. If the log folder cannot be
/// created, logs go to stderr only rather than failing the program.
pub fn init(log_dir: &Path, file_prefix: &str, stderr_level: tracing::Level) -> LogGuard {
    let file_filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,async_imap=warn"));
    let stderr_layer = fmt::layer()
        .with_writer(|| Redacting(io::stderr()))
        .with_target(false)
        .with_filter(tracing_subscriber::filter::LevelFilter::from_level(
            stderr_level,
        ));
    let (file_layer, guard) = match RollingLog::open(log_dir, file_prefix) {
        Ok(log) => {
            let (writer, guard) = tracing_appender::non_blocking(Redacting(log));
            let layer = fmt::layer()
                .with_writer(writer)
                .with_ansi(false)
                .with_filter(file_filter);
            (Some(layer), Some(guard))
        }
        Err(e) => {
            eprintln!(
                "Rapport cannot write logs to {}: {e}; logging to the terminal only.",
                log_dir.display()
            );
            (None, None)
        }
    };
    let _ = tracing_subscriber::registry()
        .with(stderr_layer)
        .with(file_layer)
        .try_init();
    LogGuard(guard)
}

static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Shorter strings would blank out ordinary words.
const MIN_SECRET_LEN: usize = 4;

/// Remembers a secret (a password, an access or refresh token) so that it never reaches a
/// log line, in clear or in the base64 forms SASL sends it in (PLAIN, XOAUTH2, LOGIN).
pub fn redact_secret(secret: &str) {
    if secret.chars().count() < MIN_SECRET_LEN {
        return;
    }
    let engine = base64::engine::general_purpose::STANDARD;
    let mut forms = vec![secret.to_owned()];
    // Inside a longer base64 string ("\0user\0secret" for PLAIN) the secret's bytes may
    // start at any of three alignments; the characters of the groups made of its bytes
    // alone are the same whatever surrounds it.
    let length = secret.len();
    for offset in 0..3usize {
        let mut padded = vec![0u8; offset];
        padded.extend_from_slice(secret.as_bytes());
        let encoded = engine.encode(&padded);
        let start = if offset == 0 { 0 } else { 4 };
        let end = ((offset + length) / 3) * 4;
        if end >= start + 8 {
            forms.push(encoded[start..end].to_owned());
        }
    }
    let Ok(mut secrets) = SECRETS.write() else {
        return;
    };
    for form in forms {
        if !secrets.contains(&form) {
            secrets.push(form);
        }
    }
    // Longest first, so a secret that contains another is replaced whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
}

static CREDENTIAL_PATTERNS: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    let pattern = |re: &str| Regex::new(re).ok();
    [
        // key=value, key: value, "key":"value" for credential-looking keys.
        (
            pattern(
                r#"(?i)\b((?:[a-z_]*password|passwd|[a-z_]*secret|[a-z_]*token|authorization|api_?key)"?\s*[:=]\s*"?)(?:bearer\s+|basic\s+)?[^\s",;&}\]]+"#,
            ),
            "${1}[redacted]",
        ),
        (
            pattern(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"),
            "${1} [redacted]",
        ),
        // IMAP LOGIN as it appears in a protocol trace: `a1 LOGIN user pass`.
        (
            pattern(r#"\b(LOGIN\s+(?:"[^"]*"|\S+)\s+)(?:"(?:[^"\\]|\\.)*"|\S+)"#),
            "${1}[redacted]",
        ),
        // SASL initial responses and continuations.
        (
            pattern(
                r"(?i)\b(AUTH(?:ENTICATE)?\s+(?:PLAIN|LOGIN|XOAUTH2|OAUTHBEARER)\s+)[A-Za-z0-9+/=]+",
            ),
            "${1}[redacted]",
        ),
    ]
    .into_iter()
    .filter_map(|(re, with)| re.map(|re| (re, with)))
    .collect()
});

/// `line` with every registered secret and every credential-shaped value replaced.
pub fn redact(line: &str) -> Cow<'_, str> {
    let mut text = Cow::Borrowed(line);
    if let Ok(secrets) = SECRETS.read() {
        for secret in secrets.iter() {
            if text.contains(secret.as_str()) {
                text = Cow::Owned(text.replace(secret.as_str(), REDACTED));
            }
        }
    }
    for (pattern, replacement) in CREDENTIAL_PATTERNS.iter() {
        if let Cow::Owned(replaced) = pattern.replace_all(&text, *replacement) {
            text = Cow::Owned(replaced);
        }
    }
    text
}

/// A writer that redacts what passes through it. The formatter hands over one whole event
/// per `write`, so a secret is never split across two calls.
pub struct Redacting<W: Write>(pub W);

impl<W: Write> Write for Redacting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.0.write_all(redact(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Log files named `<prefix>.<YYYY-MM-DD>.log`, then `<prefix>.<date>.1.log`, `.2.log`…
/// when a day's file reaches the size limit; at most `max_files` are kept.
pub struct RollingLog {
    dir: PathBuf,
    prefix: String,
    max_file_bytes: u64,
    max_files: usize,
    current: Option<OpenLog>,
}

struct OpenLog {
    file: File,
    day: String,
    index: u32,
    written: u64,
}

impl RollingLog {
    pub fn open(dir: &Path, prefix: &str) -> io::Result<RollingLog> {
        RollingLog::with_limits(dir, prefix, MAX_FILE_BYTES, MAX_FILES)
    }

    pub fn with_limits(
        dir: &Path,
        prefix: &str,
        max_file_bytes: u64,
        max_files: usize,
    ) -> io::Result<RollingLog> {
        fs::create_dir_all(dir)?;
        let mut log = RollingLog {
            dir: dir.to_path_buf(),
            prefix: prefix.to_owned(),
            max_file_bytes,
            max_files: max_files.max(1),
            current: None,
        };
        log.roll(&today())?;
        Ok(log)
    }

    /// The log files in `dir` written under `prefix`, oldest first.
    pub fn files(dir: &Path, prefix: &str) -> Vec<PathBuf> {
        let Ok(entries) = fs::read_dir(dir) else {
            return Vec::new();
        };
        let mut files: Vec<((String, u32), PathBuf)> = entries
            .filter_map(|entry| entry.ok())
            .filter_map(|entry| {
                let name = entry.file_name().to_str()?.to_owned();
                Some((parse_log_name(&name, prefix)?, entry.path()))
            })
            .collect();
        files.sort();
        files.into_iter().map(|(_, path)| path).collect()
    }

    fn path(&self, day: &str, index: u32) -> PathBuf {
        let name = match index {
            0 => format!("{}.{day}.log", self.prefix),
            n => format!("{}.{day}.{n}.log", self.prefix),
        };
        self.dir.join(name)
    }

    /// Continues today's newest file if it has room, else starts the next one; then
    /// deletes the oldest files beyond the limit.
    fn roll(&mut self, day: &str) -> io::Result<()> {
        let mut index = match &self.current {
            Some(open) if open.day == day => open.index + 1,
            _ => (0..)
                .take_while(|n| self.path(day, *n).exists())
                .last()
                .unwrap_or(0),
        };
        let mut written = fs::metadata(self.path(day, index))
            .map(|m| m.len())
            .unwrap_or(0);
        if written >= self.max_file_bytes {
            index += 1;
            written = 0;
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.path(day, index))?;
        self.current = Some(OpenLog {
            file,
            day: day.to_owned(),
            index,
            written,
        });
        self.prune();
        Ok(())
    }

    fn prune(&self) {
        let files = RollingLog::files(&self.dir, &self.prefix);
        let excess = files.len().saturating_sub(self.max_files);
        for old in &files[..excess] {
            let _ = fs::remove_file(old);
        }
    }
}

impl Write for RollingLog {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let day = today();
        let needs_roll = match &self.current {
            None => true,
            Some(open) => {
                open.day != day
                    || (open.written > 0 && open.written + buf.len() as u64 > self.max_file_bytes)
            }
        };
        if needs_roll {
            self.roll(&day)?;
        }
        let Some(open) = self.current.as_mut() else {
            return Err(io::Error::other("no log file open"));
        };
        open.file.write_all(buf)?;
        open.written += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.current.as_mut() {
            Some(open) => open.file.flush(),
            None => Ok(()),
        }
    }
}

fn today() -> String {
    chrono::Local::now().format("%Y-%m-%d").to_string()
}

/// (day, index) of a file named by [`RollingLog`] under `prefix`.
fn parse_log_name(name: &str, prefix: &str) -> Option<(String, u32)> {
    let rest = name.strip_prefix(prefix)?.strip_prefix('.')?;
    let rest = rest.strip_suffix(".log")?;
    let (day, index) = match rest.split_once('.') {
        Some((day, index)) => (day, index.parse().ok()?),
        None => (rest, 0),
    };
    let is_date = day.len() == 10
        && day.chars().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                c == '-'
            } else {
                c.is_ascii_digit()
            }
        });
    is_date.then(|| (day.to_owned(), index))
}

/// The last `limit` warning and error lines of the newest log files, newest last: what the
/// diagnostics report shows as recent problems. They were redacted when written.
pub fn recent_problems(log_dir: &Path, prefix: &str, limit: usize) -> Vec<String> {
    let mut problems = Vec::new();
    for file in RollingLog::files(log_dir, prefix).iter().rev().take(3) {
        let Ok(text) = fs::read_to_string(file) else {
            continue;
        };
        let lines: Vec<&str> = text
            .lines()
            .filter(|line| line.contains(" WARN ") || line.contains(" ERROR "))
            .collect();
        for line in lines.into_iter().rev() {
            if problems.len() == limit {
                break;
            }
            problems.push(redact(line).into_owned());
        }
        if problems.len() == limit {
            break;
        }
    }
    problems.reverse();
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_secrets_and_their_sasl_encodings_are_redacted() {
        // Made at run time: a test value, not a credential anyone uses.
        let registered = format!("fixture-{}", std::process::id());
        let password = registered.as_str();
        redact_secret(password);
        let plain = base64::engine::general_purpose::STANDARD
            .encode(format!("\0alice@example.com\0{password}"));
        let line = format!("login with {password} then AUTH data {plain} and more");
        let out = redact(&line);
        assert!(!out.contains(password), "{out}");
        assert!(!out.contains(&plain), "{out}");
        assert!(out.contains(REDACTED));
        assert!(out.starts_with("login with [redacted]"));
    }

    #[test]
    fn credential_shaped_values_are_redacted() {
        for (line, secret) in [
            ("password=hunter2hunter", "hunter2hunter"),
            (r#"{"access_token":"ya29.a0AfH6SM","x":1}"#, "ya29.a0AfH6SM"),
            ("refresh_token: 1//0gLmNoPq", "1//0gLmNoPq"),
            (
                "Authorization: Bearer eyJhbGciOi.J9.abc",
                "eyJhbGciOi.J9.abc",
            ),
            ("a1 LOGIN alice \"p4ss word\"", "p4ss word"),
            ("a1 LOGIN alice s3cr3tpw", "s3cr3tpw"),
            ("C: AUTHENTICATE XOAUTH2 dXNlcj1h", "dXNlcj1h"),
            ("AUTH PLAIN AGFsaWNlAHNlY3JldA==", "AGFsaWNlAHNlY3JldA=="),
            ("client_secret=GOCSPX-abcdef", "GOCSPX-abcdef"),
        ] {
            let out = redact(line);
            assert!(!out.contains(secret), "{line} -> {out}");
            assert!(out.contains(REDACTED), "{line} -> {out}");
        }
    }

    #[test]
    fn ordinary_lines_pass_unchanged() {
        let line = "INFO sync: account=3 folder=INBOX new=12 login ok for alice@example.com";
        assert!(matches!(redact(line), Cow::Borrowed(_)));
    }

    #[test]
    fn a_full_file_rolls_over_and_old_files_are_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = RollingLog::with_limits(dir.path(), "app", 100, 3).unwrap();
        let line = [b'x'; 60];
        for _ in 0..5 {
            log.write_all(&line).unwrap();
        }
        log.flush().unwrap();
        let files = RollingLog::files(dir.path(), "app");
        assert_eq!(files.len(), 3, "{files:?}");
        let day = today();
        let names: Vec<String> = files
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            vec![
                format!("app.{day}.2.log"),
                format!("app.{day}.3.log"),
                format!("app.{day}.4.log")
            ]
        );
        for file in files {
            assert!(fs::metadata(file).unwrap().len() <= 100);
        }
    }

    #[test]
    fn files_of_other_days_count_towards_the_limit_and_go_first() {
        let dir = tempfile::tempdir().unwrap();
        for day in ["2020-01-01", "2020-01-02", "2020-01-03"] {
            fs::write(dir.path().join(format!("app.{day}.log")), "old\n").unwrap();
        }
        fs::write(dir.path().join("other.txt"), "not a log").unwrap();
        let mut log = RollingLog::with_limits(dir.path(), "app", 1000, 2).unwrap();
        log.write_all(b"new\n").unwrap();
        let names: Vec<String> = RollingLog::files(dir.path(), "app")
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            vec![
                "app.2020-01-03.log".to_owned(),
                format!("app.{}.log", today())
            ]
        );
        assert!(dir.path().join("other.txt").exists());
    }

    #[test]
    fn recent_problems_are_the_last_warnings_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join(format!("app.{}.log", today())),
            "t  INFO a: fine\nt  WARN a: first\nt ERROR a: second password=abcdefgh\nt  WARN a: third\n",
        )
        .unwrap();
        let problems = recent_problems(dir.path(), "app", 2);
        assert_eq!(problems.len(), 2);
        assert!(problems[0].contains("second password=[redacted]"));
        assert!(problems[1].contains("third"));
    }
}
