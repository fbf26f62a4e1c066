//! Seeding the benchmark mailbox: INBOX and Sent from the testkit seeder, plus small
//! extra folders written the same way (`Maildir/.<Name>/cur/`, one file per message,
//! mtime = message date, owned like the Maildir's parent), so ten folders are synced.

use std::{
    fs,
    io::{self, Write},
    path::Path,
    time::{Duration, SystemTime},
};

use anyhow::{Context, Result};
use rapport_testkit::seed::{self, SeedSpec};

/// The folders beside INBOX and Sent. The first four are the harness's special-use
/// folders (created empty at login anyway); the rest are plain user folders.
pub const EXTRA_FOLDERS: [&str; 8] = [
    "Drafts",
    "Trash",
    "Junk",
    "Archive",
    "Projects",
    "Invoices",
    "Newsletters",
    "Travel",
];

fn chown_like(path: &Path, like: &fs::Metadata) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    match std::os::unix::fs::chown(path, Some(like.uid()), Some(like.gid())) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => Ok(()),
        Err(e) => Err(e),
    }
}

/// Writes every message `spec` generates into the Maildir++ folder `.name` under
/// `maildir_root`. Returns (messages, bytes).
pub fn write_folder(maildir_root: &Path, name: &str, spec: &SeedSpec) -> Result<(u64, u64)> {
    let home = maildir_root.parent().unwrap_or(maildir_root);
    let owner = fs::metadata(home).with_context(|| format!("reading {}", home.display()))?;
    let folder = maildir_root.join(format!(".{name}"));
    for sub in ["cur", "new", "tmp"] {
        let dir = folder.join(sub);
        fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        chown_like(&dir, &owner)?;
    }
    chown_like(maildir_root, &owner)?;
    chown_like(&folder, &owner)?;
    let (mut count, mut bytes_total) = (0u64, 0u64);
    for (index, (message, bytes)) in seed::generate(spec).into_iter().enumerate() {
        let flags = if message.seen { "S" } else { "" };
        let file_name = format!(
            "{}.R{}I{}.rapport-seed,S={}:2,{}",
            message.date,
            spec.seed,
            index,
            bytes.len(),
            flags
        );
        let path = folder.join("cur").join(file_name);
        let mut file =
            fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        file.write_all(&bytes)?;
        file.set_modified(
            SystemTime::UNIX_EPOCH + Duration::from_secs(message.date.max(0) as u64),
        )?;
        drop(file);
        chown_like(&path, &owner)?;
        count += 1;
        bytes_total += bytes.len() as u64;
    }
    Ok((count, bytes_total))
}
