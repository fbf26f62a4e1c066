//! The mbsync reference: the goal is an initial sync faster than mbsync (isync)
//! on the same server while also parsing, indexing and linking. mbsync copies the
//! folders into a Maildir and does nothing else, so it is timed as it stands, with its
//! fastest setting (`FSync no`: no fsync per message; Rapport's sync makes each
//! transaction durable, so this favours mbsync).

use std::{path::Path, process::Command};

use anyhow::{bail, Context, Result};
use rapport_testkit::MailServer;
use serde::Serialize;

use crate::util::run_measured;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MbsyncResult {
    /// The mbsync process, spawn to exit (connect, login, fetch, write the Maildir).
    pub seconds: f64,
    /// Message files mbsync wrote.
    pub messages: u64,
    pub messages_per_sec: f64,
    pub user_cpu_seconds: f64,
    pub sys_cpu_seconds: f64,
    pub version: String,
}

/// mbsync's version, or `None` when it is not installed (`make bench` installs isync;
/// a bench run by hand without it skips this reference).
pub fn version() -> Option<String> {
    let out = Command::new("mbsync").arg("--version").output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Copies `folders` of `user` into a fresh Maildir under `work` with mbsync.
pub fn run(
    server: &MailServer,
    user: &str,
    password: &str,
    folders: &[String],
    work: &Path,
    version: String,
) -> Result<MbsyncResult> {
    let store = work.join("maildir");
    std::fs::create_dir_all(&store)?;
    let config = work.join("mbsyncrc");
    // Folder names here are plain words (INBOX, Sent, Archive...); mbsync's patterns
    // would need quoting for spaces.
    if folders.iter().any(|f| f.contains([' ', '"', '*', '%'])) {
        bail!("mbsync reference: folder names must be plain words");
    }
    std::fs::write(
        &config,
        format!(
            "FSync no\n\n\
             IMAPAccount bench\n\
             Host {host}\nPort {port}\nUser {user}\nPass \"{password}\"\n\
             SSLType IMAPS\nCertificateFile {ca}\nAuthMechs LOGIN\n\n\
             IMAPStore remote\nAccount bench\n\n\
             MaildirStore local\nPath {store}/\nInbox {store}/INBOX\nSubFolders Verbatim\n\n\
             Channel bench\nFar :remote:\nNear :local:\nPatterns {patterns}\n\
             Create Near\nSyncState *\n",
            // The certificate is issued to localhost, and mbsync checks the name it dials.
            host = "localhost",
            port = server.imap_tls_port,
            ca = server.ca_file.display(),
            store = store.display(),
            patterns = folders.join(" "),
        ),
    )?;
    let run = run_measured(
        Command::new("mbsync")
            .arg("--config")
            .arg(&config)
            .args(["--quiet", "bench"]),
        None,
    )?
    .ok("mbsync")?;
    let messages = count_message_files(&store)?;
    let seconds = run.wall.as_secs_f64();
    Ok(MbsyncResult {
        seconds,
        messages,
        messages_per_sec: messages as f64 / seconds,
        user_cpu_seconds: run.user_cpu.as_secs_f64(),
        sys_cpu_seconds: run.sys_cpu.as_secs_f64(),
        version,
    })
}

/// Files in the `cur` and `new` folders of every mailbox below `store`.
fn count_message_files(store: &Path) -> Result<u64> {
    let mut count = 0;
    let mut pending = vec![store.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?
        {
            let entry = entry?;
            if !entry.file_type()?.is_dir() {
                continue;
            }
            let name = entry.file_name();
            if name == "cur" || name == "new" {
                count += std::fs::read_dir(entry.path())?.count() as u64;
            } else if name != "tmp" {
                pending.push(entry.path());
            }
        }
    }
    Ok(count)
}
