//! Writing mail: the message a compose form becomes (HTML with a plain-text alternative
//! made from it, inline images, attachments, threading headers, a Message-ID made once),
//! the prefilled forms of reply, reply all and forward, `mailto:` links (RFC 6068) and
//! templates with placeholders. Queuing it is `outbox::queue`.

pub mod mailto;
pub mod template;

use std::{path::PathBuf, time::SystemTime};

use lettre::message::{header::ContentType, Attachment, Mailbox, MultiPart, SinglePart};
use serde::{Deserialize, Serialize};

use crate::{
    conversation,
    store::{AccountRecord, Person, Signature, Store, StoreError},
};

/// Attachments above this total are refused before queuing: most servers refuse
/// messages over 25 MB, and base64 grows them by a third.
pub const MAX_ATTACHMENT_BYTES: u64 = 18 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("Add at least one recipient in To, Cc or Bcc.")]
    NoRecipients,
    #[error("“{address}” in {} is not an email address. Correct it or remove it.", field_label(.field))]
    InvalidAddress {
        field: &'static str,
        address: String,
    },
    #[error("The attachment {name} could not be read: {detail}")]
    Attachment { name: String, detail: String },
    #[error("The attachments add up to {megabytes} MB; most servers refuse more than 18 MB. Remove some, or share them as a link.")]
    TooLarge { megabytes: u64 },
    #[error(
        "The message still has placeholders without a value: {0}. Fill them in or remove them."
    )]
    UnfilledPlaceholders(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn field_label(field: &str) -> &'static str {
    match field {
        "cc" => "Cc",
        "bcc" => "Bcc",
        "from" => "From",
        _ => "To",
    }
}

impl ComposeError {
    /// The form field to fix.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            ComposeError::NoRecipients => Some("to"),
            ComposeError::InvalidAddress { field, .. } => Some(field),
            ComposeError::Attachment { .. } | ComposeError::TooLarge { .. } => Some("attachments"),
            ComposeError::UnfilledPlaceholders(_) => Some("body"),
            ComposeError::Store(StoreError::Invalid { field, .. }) => Some(field),
            ComposeError::Store(_) => None,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ComposeError::NoRecipients => "no_recipients",
            ComposeError::InvalidAddress { .. } => "invalid_address",
            ComposeError::Attachment { .. } => "attachment_unreadable",
            ComposeError::TooLarge { .. } => "attachments_too_large",
            ComposeError::UnfilledPlaceholders(_) => "unfilled_placeholders",
            ComposeError::Store(_) => "store",
        }
    }
}

/// The compose form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Draft {
    pub account_id: i64,
    /// Each "Name <address>" or a bare address.
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub bcc: Vec<String>,
    pub subject: String,
    /// The body as HTML (the compose editor's content); `data:` images become inline parts.
    pub html: String,
    /// Files to attach, by path.
    pub attachments: Vec<PathBuf>,
    /// Normalised Message-ID (no angle brackets) of the message answered.
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
}

/// A message ready for the outbox.
#[derive(Debug, Clone)]
pub struct BuiltMessage {
    /// Without angle brackets.
    pub message_id: String,
    /// The message with its Bcc header: the Sent copy. [`wire_form`] strips it for SMTP.
    pub raw: Vec<u8>,
    pub envelope_from: String,
    pub recipients: Vec<String>,
}

fn parse_mailboxes(field: &'static str, values: &[String]) -> Result<Vec<Mailbox>, ComposeError> {
    values
        .iter()
        .flat_map(|v| split_addresses(v))
        .map(|v| {
            v.parse::<Mailbox>()
                .map_err(|_| ComposeError::InvalidAddress {
                    field,
                    address: v.clone(),
                })
        })
        .collect()
}

/// Splits "a@x, Name <b@y>; c@z" into its addresses (commas inside quotes stay).
pub fn split_addresses(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            ',' | ';' | '\n' if !quoted => {
                out.push(std::mem::take(&mut current));
            }
            _ => current.push(c),
        }
    }
    out.push(current);
    out.into_iter()
        .map(|a| a.trim().to_owned())
        .filter(|a| !a.is_empty())
        .collect()
}

/// A Message-ID made once per message: random enough to be unique, on the sender's domain.
pub fn new_message_id(from: &str) -> String {
    use sha2::{Digest, Sha256};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut seed = Sha256::new();
    seed.update(format!("{:?}", SystemTime::now()));
    seed.update(std::process::id().to_le_bytes());
    seed.update(COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    seed.update(from.as_bytes());
    let domain = from
        .rsplit('@')
        .next()
        .filter(|d| !d.is_empty())
        .unwrap_or("rapport.invalid");
    format!(
        "{}.{}@{}",
        hex::encode(&seed.finalize()[..12]),
        chrono::Utc::now().timestamp(),
        domain.to_ascii_lowercase()
    )
}

/// The plain-text alternative of an HTML body.
pub fn plain_text(html: &str) -> String {
    html2text::from_read(html.as_bytes(), 78)
        .unwrap_or_else(|_| crate::mime::snippet(html))
        .trim_end()
        .to_owned()
}

/// Pasted images arrive as `data:` URLs; mail clients show `cid:` parts far more reliably,
/// so each becomes an inline part of a multipart/related body.
fn extract_inline_images(html: &str, domain: &str) -> (String, Vec<(String, String, Vec<u8>)>) {
    use base64::Engine;
    let mut out = String::with_capacity(html.len());
    let mut images = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find("src=\"data:") {
        out.push_str(&rest[..at]);
        let value_start = at + 5;
        let Some(end) = rest[value_start..].find('"') else {
            break;
        };
        let url = &rest[value_start..value_start + end];
        let parsed = url
            .strip_prefix("data:")
            .and_then(|u| u.split_once(";base64,"))
            .filter(|(mime, _)| mime.starts_with("image/"))
            .and_then(|(mime, data)| {
                let data: String = data.chars().filter(|c| !c.is_whitespace()).collect();
                base64::engine::general_purpose::STANDARD
                    .decode(data)
                    .ok()
                    .map(|bytes| (mime.to_owned(), bytes))
            });
        match parsed {
            Some((mime, bytes)) => {
                let cid = format!(
                    "image{}.{}@{}",
                    images.len() + 1,
                    chrono::Utc::now().timestamp(),
                    domain
                );
                out.push_str(&format!("src=\"cid:{cid}\""));
                images.push((cid, mime, bytes));
            }
            None => out.push_str(&rest[at..value_start + end + 1]),
        }
        rest = &rest[value_start + end + 1..];
    }
    out.push_str(rest);
    (out, images)
}

/// Builds the message of `draft` sent from `account`.
pub fn build(account: &AccountRecord, draft: &Draft) -> Result<BuiltMessage, ComposeError> {
    let to = parse_mailboxes("to", &draft.to)?;
    let cc = parse_mailboxes("cc", &draft.cc)?;
    let bcc = parse_mailboxes("bcc", &draft.bcc)?;
    if to.is_empty() && cc.is_empty() && bcc.is_empty() {
        return Err(ComposeError::NoRecipients);
    }
    let from_address =
        account
            .email
            .parse::<lettre::Address>()
            .map_err(|_| ComposeError::InvalidAddress {
                field: "from",
                address: account.email.clone(),
            })?;
    let sender_name = Some(account.sender_name.trim().to_owned()).filter(|n| !n.is_empty());
    let from = Mailbox::new(sender_name, from_address);
    let message_id = new_message_id(&account.email);

    let mut builder = lettre::Message::builder()
        .from(from)
        .message_id(Some(format!("<{message_id}>")))
        .date(SystemTime::now())
        .subject(draft.subject.trim())
        .user_agent("Rapport".to_owned())
        // Bcc stays in the Sent copy so the sender sees who got it; `wire_form` removes
        // it before SMTP.
        .keep_bcc();
    for m in &to {
        builder = builder.to(m.clone());
    }
    for m in &cc {
        builder = builder.cc(m.clone());
    }
    for m in &bcc {
        builder = builder.bcc(m.clone());
    }
    if let Some(parent) = &draft.in_reply_to {
        builder = builder.in_reply_to(format!("<{parent}>"));
        let mut references: Vec<String> = draft.references.clone();
        if !references.contains(parent) {
            references.push(parent.clone());
        }
        let header = references
            .iter()
            .map(|r| format!("<{r}>"))
            .collect::<Vec<_>>()
            .join(" ");
        builder = builder.references(header);
    }

    let domain = crate::crm::domain_of(&account.email).to_owned();
    let (html, images) = extract_inline_images(&draft.html, &domain);
    let text = plain_text(&html);
    let html_document = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>{html}</body></html>"
    );
    let html_part = if images.is_empty() {
        MultiPart::alternative()
            .singlepart(SinglePart::plain(text))
            .singlepart(SinglePart::html(html_document))
    } else {
        let mut related = MultiPart::related().singlepart(SinglePart::html(html_document));
        for (cid, mime, bytes) in images {
            let content_type = ContentType::parse(&mime).unwrap_or(ContentType::TEXT_PLAIN);
            related = related.singlepart(Attachment::new_inline(cid).body(bytes, content_type));
        }
        MultiPart::alternative()
            .singlepart(SinglePart::plain(text))
            .multipart(related)
    };

    let mut total = 0u64;
    let mut files = Vec::new();
    for path in &draft.attachments {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        let bytes = std::fs::read(path).map_err(|e| ComposeError::Attachment {
            name: name.clone(),
            detail: e.to_string(),
        })?;
        total += bytes.len() as u64;
        files.push((name, bytes));
    }
    if total > MAX_ATTACHMENT_BYTES {
        return Err(ComposeError::TooLarge {
            megabytes: total.div_ceil(1024 * 1024),
        });
    }
    let body = if files.is_empty() {
        html_part
    } else {
        let mut mixed = MultiPart::mixed().multipart(html_part);
        for (name, bytes) in files {
            let content_type =
                ContentType::parse(guess_content_type(&name)).unwrap_or(ContentType::TEXT_PLAIN);
            mixed = mixed.singlepart(Attachment::new(name).body(bytes, content_type));
        }
        mixed
    };
    // Recipients and sender were checked above; lettre refuses nothing else here.
    let message = builder
        .multipart(body)
        .map_err(|_| ComposeError::NoRecipients)?;
    let recipients: Vec<String> = message
        .envelope()
        .to()
        .iter()
        .map(|a| a.to_string())
        .collect();
    Ok(BuiltMessage {
        message_id,
        raw: message.formatted(),
        envelope_from: account.email.clone(),
        recipients,
    })
}

/// The message as the recipients get it: without its Bcc header field (RFC 5322 §3.6.3).
pub fn wire_form(raw: &[u8]) -> Vec<u8> {
    let header_end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 2)
        .unwrap_or(raw.len());
    let mut out = Vec::with_capacity(raw.len());
    let mut skipping = false;
    let mut line_start = 0;
    while line_start < header_end {
        let line_end = raw[line_start..header_end]
            .windows(2)
            .position(|w| w == b"\r\n")
            .map(|p| line_start + p + 2)
            .unwrap_or(header_end);
        let line = &raw[line_start..line_end];
        let continuation = line.first().is_some_and(|b| *b == b' ' || *b == b'\t');
        if !continuation {
            skipping = line.len() >= 4 && line[..4].eq_ignore_ascii_case(b"bcc:");
        }
        if !skipping {
            out.extend_from_slice(line);
        }
        line_start = line_end;
    }
    out.extend_from_slice(&raw[header_end..]);
    out
}

fn guess_content_type(name: &str) -> &'static str {
    let extension = name.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match extension.as_str() {
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "txt" => "text/plain; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "html" | "htm" => "text/html; charset=utf-8",
        "zip" => "application/zip",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "odt" => "application/vnd.oasis.opendocument.text",
        "ods" => "application/vnd.oasis.opendocument.spreadsheet",
        "ics" => "text/calendar; charset=utf-8",
        "eml" => "message/rfc822",
        _ => "application/octet-stream",
    }
}

/// How the compose form starts from a stored message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ReplyKind {
    Reply,
    ReplyAll,
    Forward,
}

/// A prefilled compose form. The HTML is the quote only; the UI puts the cursor above it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplyDraft {
    pub account_id: i64,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub subject: String,
    pub quote_html: String,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
}

fn mailbox_text(person: &Person) -> String {
    let name = person.name.trim();
    if name.is_empty() || name.eq_ignore_ascii_case(&person.address) {
        person.address.clone()
    } else {
        let quoted = name.replace('\\', "\\\\").replace('"', "\\\"");
        format!("\"{quoted}\" <{}>", person.address)
    }
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Saves an account's signatures, sanitised like mail HTML (they are shown in the app's
/// own window while composing, and pasted HTML can hold anything).
pub async fn save_signature(
    store: &Store,
    signature: &Signature,
) -> Result<Signature, ComposeError> {
    let clean = Signature {
        account_id: signature.account_id,
        new_html: crate::mime::sanitize_html(&signature.new_html),
        reply_html: crate::mime::sanitize_html(&signature.reply_html),
        above_quote: signature.above_quote,
    };
    store.save_signature(&clean).await?;
    Ok(clean)
}

/// Drops `<img>` elements that load from the network: quoting a message must not fetch
/// its tracking pixels in the compose window.
pub fn without_remote_images(html: &str) -> String {
    // ASCII lower-casing keeps byte offsets, so positions found in `lower` cut `html`.
    let lower = html.to_ascii_lowercase();
    let mut out = String::with_capacity(html.len());
    let mut at = 0;
    while let Some(found) = lower[at..].find("<img") {
        let start = at + found;
        out.push_str(&html[at..start]);
        let Some(end) = lower[start..].find('>').map(|e| start + e + 1) else {
            return out;
        };
        let tag = &lower[start..end];
        let remote = ["src=\"http:", "src=\"https:", "src=\"//", "srcset="]
            .iter()
            .any(|p| tag.contains(p));
        if !remote {
            out.push_str(&html[start..end]);
        }
        at = end;
    }
    out.push_str(&html[at..]);
    out
}

/// The subject with one "Re: " or "Fwd: " in front of what the thread is about.
pub fn prefixed_subject(kind: ReplyKind, subject: &str) -> String {
    let topic = conversation::normalize_subject(subject);
    match kind {
        ReplyKind::Forward => format!("Fwd: {topic}"),
        ReplyKind::Reply | ReplyKind::ReplyAll => format!("Re: {topic}"),
    }
}

/// The compose form for answering or forwarding stored message `message_id`.
/// `attribution` is the line above the quote, e.g. "On 3 May 2026, Jana wrote:".
pub async fn reply_draft(
    store: &Store,
    message_id: i64,
    kind: ReplyKind,
    attribution: &str,
) -> Result<ReplyDraft, ComposeError> {
    let detail = store.message_detail(message_id).await?;
    let (own_id, references, holders) = store.threading_of(message_id).await?;
    let accounts = store.accounts().await?;
    // Answer from the account the message was addressed to, else one holding it.
    let addressed: Vec<&str> = detail
        .to
        .iter()
        .chain(detail.cc.iter())
        .map(|p| p.address.as_str())
        .collect();
    let account = accounts
        .iter()
        .find(|a| addressed.iter().any(|x| x.eq_ignore_ascii_case(&a.email)))
        .or_else(|| accounts.iter().find(|a| holders.contains(&a.id)))
        .or(accounts.first())
        .ok_or_else(|| StoreError::NotFound("a mailbox to send from".into()))?;
    let identity = store.account_identity(account).await?;
    let is_me = |p: &Person| identity.is_me(&p.address.to_lowercase());

    let (to, cc) = match kind {
        ReplyKind::Forward => (Vec::new(), Vec::new()),
        _ => {
            // My own message: a reply goes to its recipients again.
            let mut to: Vec<&Person> = if detail.from.iter().all(is_me) && !detail.from.is_empty() {
                detail.to.iter().collect()
            } else if !detail.reply_to.is_empty() {
                detail.reply_to.iter().collect()
            } else {
                detail.from.iter().collect()
            };
            let mut cc: Vec<&Person> = Vec::new();
            if kind == ReplyKind::ReplyAll {
                for person in detail.to.iter().chain(detail.cc.iter()) {
                    let taken = to
                        .iter()
                        .chain(cc.iter())
                        .any(|p| p.address.eq_ignore_ascii_case(&person.address));
                    if !taken && !is_me(person) {
                        cc.push(person);
                    }
                }
            }
            if to.is_empty() {
                to = detail.from.iter().collect();
            }
            (
                to.into_iter().map(mailbox_text).collect(),
                cc.into_iter().map(mailbox_text).collect(),
            )
        }
    };

    let original = match &detail.html {
        Some(html) => without_remote_images(html),
        None => format!(
            "<pre style=\"white-space:pre-wrap;font-family:inherit\">{}</pre>",
            escape_html(&detail.text)
        ),
    };
    let quote_html = match kind {
        ReplyKind::Forward => {
            let people = |list: &[Person]| {
                escape_html(&list.iter().map(mailbox_text).collect::<Vec<_>>().join(", "))
            };
            let date = chrono::DateTime::from_timestamp(detail.date, 0)
                .map(|d| d.to_rfc2822())
                .unwrap_or_default();
            format!(
                "<p><br></p><div class=\"rapport-forward\"><p>---------- Forwarded message ----------<br>\
                 From: {}<br>Date: {}<br>Subject: {}<br>To: {}{}</p>{original}</div>",
                people(&detail.from),
                escape_html(&date),
                escape_html(&detail.subject),
                people(&detail.to),
                if detail.cc.is_empty() {
                    String::new()
                } else {
                    format!("<br>Cc: {}", people(&detail.cc))
                },
            )
        }
        _ => format!(
            "<p><br></p><div class=\"rapport-quote\"><p>{}</p>\
             <blockquote type=\"cite\" style=\"margin:0 0 0 .8ex;border-left:1px solid #ccc;padding-left:1ex\">{original}</blockquote></div>",
            escape_html(attribution)
        ),
    };
    let (in_reply_to, references) = match kind {
        ReplyKind::Forward => (None, Vec::new()),
        _ => (own_id, references),
    };
    Ok(ReplyDraft {
        account_id: account.id,
        to,
        cc,
        subject: prefixed_subject(kind, &detail.subject),
        quote_html,
        in_reply_to,
        references,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invalid_address_names_its_field_as_the_form_shows_it() {
        let e = ComposeError::InvalidAddress {
            field: "cc",
            address: "nobody".into(),
        };
        assert_eq!(
            e.to_string(),
            "“nobody” in Cc is not an email address. Correct it or remove it."
        );
        assert_eq!(e.field(), Some("cc"));
    }

    #[test]
    fn bcc_is_removed_with_its_folded_lines_and_nothing_else() {
        let raw = b"From: a@x\r\nBcc: b@y,\r\n c@z\r\nTo: d@w\r\nSubject: Bcc: in subject\r\n\r\nBcc: in body\r\n";
        let wire = wire_form(raw);
        assert_eq!(
            String::from_utf8(wire).unwrap(),
            "From: a@x\r\nTo: d@w\r\nSubject: Bcc: in subject\r\n\r\nBcc: in body\r\n"
        );
    }

    #[test]
    fn addresses_split_on_commas_outside_quotes() {
        assert_eq!(
            split_addresses("a@x, \"Doe, Jane\" <j@y>; c@z,"),
            vec!["a@x", "\"Doe, Jane\" <j@y>", "c@z"]
        );
    }

    #[test]
    fn subjects_get_one_prefix() {
        assert_eq!(
            prefixed_subject(ReplyKind::Reply, "Re: RE: Offer"),
            "Re: Offer"
        );
        assert_eq!(prefixed_subject(ReplyKind::ReplyAll, "Offer"), "Re: Offer");
        assert_eq!(
            prefixed_subject(ReplyKind::Forward, "Odp: Offer"),
            "Fwd: Offer"
        );
    }

    #[test]
    fn pasted_images_become_cid_parts() {
        let html = "<p>Logo <img src=\"data:image/png;base64,iVBORw0KGgo=\"> and <img src=\"https://x/y.png\"></p>";
        let (out, images) = extract_inline_images(html, "rapport.test");
        assert_eq!(images.len(), 1);
        assert_eq!(images[0].1, "image/png");
        assert!(out.contains(&format!("src=\"cid:{}\"", images[0].0)));
        assert!(out.contains("src=\"https://x/y.png\""));
    }

    #[test]
    fn quotes_keep_embedded_images_and_drop_remote_ones() {
        let html = "<p>a<img src=\"https://t.example/p.gif\" width=\"1\">b<img src=\"data:image/png;base64,AA\"><IMG SRC=\"http://x/y\"></p>";
        assert_eq!(
            without_remote_images(html),
            "<p>ab<img src=\"data:image/png;base64,AA\"></p>"
        );
    }

    #[test]
    fn message_ids_are_unique_and_on_the_senders_domain() {
        let a = new_message_id("alice@Rapport.test");
        let b = new_message_id("alice@Rapport.test");
        assert_ne!(a, b);
        assert!(a.ends_with("@rapport.test"));
    }

    #[test]
    fn plain_text_keeps_words_and_links() {
        let text = plain_text(
            "<p>Hello <b>Jana</b>,</p><p>see <a href=\"https://x.test/\">the offer</a></p>",
        );
        assert!(text.contains("Hello"), "{text}");
        assert!(text.contains("Jana"), "{text}");
        assert!(text.contains("https://x.test/"), "{text}");
    }
}
