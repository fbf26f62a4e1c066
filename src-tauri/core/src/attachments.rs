//! Attachments are listed at sync time and their bytes fetched only when opened: one
//! `UID FETCH` of that body part (with its MIME header, to undo the transfer encoding),
//! written to the attachment cache in the data folder and reused from there.

use std::path::{Path, PathBuf};

use async_imap::imap_proto::{MessageSection, SectionPath};
use futures::TryStreamExt;
use mail_parser::MessageParser;
use serde::Serialize;

use base64::{engine::general_purpose::STANDARD as BASE64, Engine as _};

use crate::{
    imap::ImapError,
    safe_html,
    store::{Store, StoreError},
    sync::{open_session, SyncError},
};

#[derive(Debug, thiserror::Error)]
pub enum AttachmentError {
    #[error("this attachment is not in Rapport's database")]
    Unknown,
    #[error("this message is no longer on the server, so its attachment cannot be downloaded")]
    GoneFromServer,
    #[error("{0}")]
    Sync(#[from] SyncError),
    #[error("the attachment could not be saved: {0}")]
    Io(#[from] std::io::Error),
}

impl From<StoreError> for AttachmentError {
    fn from(e: StoreError) -> Self {
        AttachmentError::Sync(SyncError::Store(e))
    }
}

impl From<ImapError> for AttachmentError {
    fn from(e: ImapError) -> Self {
        AttachmentError::Sync(SyncError::Imap(e))
    }
}

/// An attachment as lists show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct AttachmentInfo {
    pub id: i64,
    pub message_id: i64,
    pub filename: String,
    pub mime_type: String,
    pub size: i64,
    pub is_inline: bool,
    /// Downloaded already (opens offline).
    pub cached: bool,
}

/// Where cached attachment bytes live.
pub fn cache_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("attachments")
}

/// A file name that is safe on every OS and keeps the original's look.
fn safe_file_name(name: &str, part_id: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_control() || "/\\:*?\"<>|".contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.');
    if cleaned.is_empty() {
        format!("attachment-{part_id}")
    } else {
        cleaned.chars().take(120).collect()
    }
}

fn section_path(part_id: &str) -> Option<Vec<u32>> {
    part_id.split('.').map(|n| n.parse().ok()).collect()
}

pub async fn list_for_message(
    store: &Store,
    message_id: i64,
) -> Result<Vec<AttachmentInfo>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, message_id, filename, mime_type, size, is_inline, cache_path IS NOT NULL AS cached \
         FROM attachment WHERE message_id = ? ORDER BY part_id",
    )
    .bind(message_id)
    .fetch_all(store.pool())
    .await?)
}

/// Returns a local file with the attachment's bytes, downloading them on first use.
pub async fn open(
    store: &Store,
    data_dir: &Path,
    attachment_id: i64,
) -> Result<PathBuf, AttachmentError> {
    let row: Option<(i64, String, String, Option<String>)> = sqlx::query_as(
        "SELECT message_id, part_id, filename, cache_path FROM attachment WHERE id = ?",
    )
    .bind(attachment_id)
    .fetch_optional(store.pool())
    .await
    .map_err(StoreError::from)?;
    let (message_id, part_id, filename, cache_path) = row.ok_or(AttachmentError::Unknown)?;
    if let Some(path) = cache_path.map(PathBuf::from).filter(|p| p.is_file()) {
        return Ok(path);
    }
    let part = PartToFetch {
        attachment_id,
        part_id,
        filename,
    };
    let mut fetched = download(store, data_dir, message_id, vec![part]).await?;
    fetched
        .pop()
        .map(|(_, path)| path)
        .ok_or(AttachmentError::GoneFromServer)
}

struct PartToFetch {
    attachment_id: i64,
    part_id: String,
    filename: String,
}

/// Downloads parts of one message in one session and one `UID FETCH`, caches them and
/// returns (attachment id, file) for each part the server still had.
async fn download(
    store: &Store,
    data_dir: &Path,
    message_id: i64,
    parts: Vec<PartToFetch>,
) -> Result<Vec<(i64, PathBuf)>, AttachmentError> {
    // Any folder that holds the message will do.
    let location: Option<(i64, String, i64, i64)> = sqlx::query_as(
        "SELECT f.account_id, f.raw_name, l.uidvalidity, l.uid FROM message_location l \
         JOIN folder f ON f.id = l.folder_id WHERE l.message_id = ? AND l.uid > 0 \
         ORDER BY f.selected DESC LIMIT 1",
    )
    .bind(message_id)
    .fetch_optional(store.pool())
    .await
    .map_err(StoreError::from)?;
    let (account_id, folder, uidvalidity, uid) = location.ok_or(AttachmentError::GoneFromServer)?;
    let parts: Vec<(PartToFetch, Vec<u32>)> = parts
        .into_iter()
        .map(|p| section_path(&p.part_id).map(|path| (p, path)))
        .collect::<Option<_>>()
        .ok_or(AttachmentError::Unknown)?;
    if parts.is_empty() {
        return Ok(Vec::new());
    }

    let account = store.account(account_id).await?;
    let mut session = open_session(store, &account).await?;
    let mailbox = session.examine(&folder).await.map_err(ImapError::from)?;
    if mailbox.uid_validity.map(i64::from) != Some(uidvalidity) {
        let _ = session.logout().await;
        return Err(AttachmentError::GoneFromServer);
    }
    let sections: Vec<String> = parts
        .iter()
        .map(|(p, _)| format!("BODY.PEEK[{0}.MIME] BODY.PEEK[{0}]", p.part_id))
        .collect();
    let query = format!("(UID {})", sections.join(" "));
    let fetches: Vec<_> = session
        .uid_fetch(uid.to_string(), &query)
        .await
        .map_err(ImapError::from)?
        .try_collect()
        .await
        .map_err(ImapError::from)?;
    let _ = session.logout().await;
    let fetch = fetches
        .iter()
        .find(|f| f.uid == Some(uid as u32))
        .ok_or(AttachmentError::GoneFromServer)?;

    let dir = cache_dir(data_dir).join(message_id.to_string());
    tokio::fs::create_dir_all(&dir).await?;
    let mut out = Vec::with_capacity(parts.len());
    for (part, path_numbers) in parts {
        let Some(body) = fetch.section(&SectionPath::Part(path_numbers.clone(), None)) else {
            continue;
        };
        let mime = fetch
            .section(&SectionPath::Part(path_numbers, Some(MessageSection::Mime)))
            .unwrap_or_default();
        let bytes = decode_part(mime, body);
        let path = dir.join(format!(
            "{}-{}",
            part.part_id,
            safe_file_name(&part.filename, &part.part_id)
        ));
        tokio::fs::write(&path, &bytes).await?;
        sqlx::query("UPDATE attachment SET cache_path = ? WHERE id = ?")
            .bind(path.to_string_lossy().as_ref())
            .bind(part.attachment_id)
            .execute(store.pool())
            .await
            .map_err(StoreError::from)?;
        out.push((part.attachment_id, path));
    }
    Ok(out)
}

/// One attachment's name and size, for the save dialog.
pub async fn info(store: &Store, attachment_id: i64) -> Result<AttachmentInfo, AttachmentError> {
    sqlx::query_as(
        "SELECT id, message_id, filename, mime_type, size, is_inline, cache_path IS NOT NULL AS cached \
         FROM attachment WHERE id = ?",
    )
    .bind(attachment_id)
    .fetch_optional(store.pool())
    .await
    .map_err(StoreError::from)?
    .ok_or(AttachmentError::Unknown)
}

/// Copies the attachment (downloaded first if needed) to `destination`.
pub async fn save_to(
    store: &Store,
    data_dir: &Path,
    attachment_id: i64,
    destination: &Path,
) -> Result<(), AttachmentError> {
    let cached = open(store, data_dir, attachment_id).await?;
    tokio::fs::copy(&cached, destination).await?;
    Ok(())
}

/// Largest inline image the reader embeds; a bigger one stays a plain attachment.
pub const INLINE_IMAGE_MAX_BYTES: usize = 5 << 20;
/// All inline images of one message together.
const INLINE_IMAGES_MAX_BYTES: usize = 25 << 20;

/// The message's sanitised HTML with its `cid:` images embedded as `data:` URLs. The
/// parts are downloaded (once, then cached) in one session; only raster images within
/// the size limits are embedded, the rest stay unresolved and the frame's CSP blocks them.
pub async fn html_with_inline_images(
    store: &Store,
    data_dir: &Path,
    message_id: i64,
) -> Result<String, AttachmentError> {
    let html: Option<String> =
        sqlx::query_scalar("SELECT html FROM message_body WHERE message_id = ?")
            .bind(message_id)
            .fetch_optional(store.pool())
            .await
            .map_err(StoreError::from)?
            .flatten();
    let Some(html) = html else {
        return Ok(String::new());
    };
    let wanted = safe_html::sanitize(&html).content_ids;
    let candidates: Vec<(i64, String, String, String, i64, Option<String>)> = sqlx::query_as(
        "SELECT id, part_id, filename, content_id, size, cache_path FROM attachment \
         WHERE message_id = ? AND content_id IS NOT NULL AND mime_type IN \
         ('image/png', 'image/jpeg', 'image/jpg', 'image/gif', 'image/webp', 'image/bmp') ORDER BY part_id",
    )
    .bind(message_id)
    .fetch_all(store.pool())
    .await
    .map_err(StoreError::from)?;

    let mut by_attachment: Vec<(i64, String)> = Vec::new();
    let mut cached: Vec<(i64, PathBuf)> = Vec::new();
    let mut to_fetch = Vec::new();
    for (id, part_id, filename, content_id, size, cache_path) in candidates {
        let content_id = content_id.trim_matches(['<', '>']).to_owned();
        // The stored size is the encoded part; base64 makes it a third larger than the image.
        let too_big = usize::try_from(size).map_or(true, |s| s / 4 * 3 > INLINE_IMAGE_MAX_BYTES);
        if !wanted.contains(&content_id) || too_big {
            continue;
        }
        by_attachment.push((id, content_id));
        match cache_path.map(PathBuf::from).filter(|p| p.is_file()) {
            Some(path) => cached.push((id, path)),
            None => to_fetch.push(PartToFetch {
                attachment_id: id,
                part_id,
                filename,
            }),
        }
    }
    if !to_fetch.is_empty() {
        match download(store, data_dir, message_id, to_fetch).await {
            Ok(fetched) => cached.extend(fetched),
            // Shown as far as the cache allows; the rest stays blocked in the frame.
            Err(AttachmentError::GoneFromServer) => {}
            Err(e) if cached.is_empty() => return Err(e),
            Err(e) => tracing::warn!(message_id, error = %e, "inline images not downloaded"),
        }
    }

    let mut images = std::collections::HashMap::new();
    let mut total = 0usize;
    for (id, path) in cached {
        let Some((_, content_id)) = by_attachment.iter().find(|(a, _)| *a == id) else {
            continue;
        };
        let mime_type: String = sqlx::query_scalar("SELECT mime_type FROM attachment WHERE id = ?")
            .bind(id)
            .fetch_one(store.pool())
            .await
            .map_err(StoreError::from)?;
        let bytes = tokio::fs::read(&path).await?;
        if bytes.len() > INLINE_IMAGE_MAX_BYTES || total + bytes.len() > INLINE_IMAGES_MAX_BYTES {
            continue;
        }
        total += bytes.len();
        images.insert(
            content_id.clone(),
            format!("data:{mime_type};base64,{}", BASE64.encode(&bytes)),
        );
    }
    Ok(safe_html::sanitize_with_images(&html, &images).html)
}

/// Undoes the part's Content-Transfer-Encoding by parsing its MIME header and body as a
/// one-part message.
fn decode_part(mime_header: &[u8], body: &[u8]) -> Vec<u8> {
    let mut raw = Vec::with_capacity(mime_header.len() + body.len() + 2);
    raw.extend_from_slice(mime_header);
    if !mime_header.ends_with(b"\r\n\r\n") && !mime_header.ends_with(b"\n\n") {
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(body);
    match MessageParser::default().parse(&raw) {
        Some(message) => message
            .parts
            .first()
            .map(|p| p.contents().to_vec())
            .unwrap_or_else(|| body.to_vec()),
        None => body.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_parts_are_decoded() {
        let header = b"Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n";
        assert_eq!(decode_part(header, b"JVBERi0xLjQK\r\n"), b"%PDF-1.4\n");
        let qp = b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n";
        assert_eq!(decode_part(qp, b"caf=C3=A9"), "café".as_bytes());
    }

    #[test]
    fn file_names_are_made_safe() {
        assert_eq!(safe_file_name("../../etc/passwd", "2"), "_.._etc_passwd");
        assert_eq!(safe_file_name("nabídka.pdf", "2"), "nabídka.pdf");
        assert_eq!(safe_file_name("", "1.2"), "attachment-1.2");
    }
}
