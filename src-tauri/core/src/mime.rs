//! From raw RFC 5322 bytes to what Rapport stores: headers, people, bodies (HTML
//! sanitised), a snippet, attachment metadata with IMAP part numbers, and a dedup key.

use mail_parser::{Address, HeaderValue, MessageParser, MessagePart, MimeHeaders, PartType};
use sha2::{Digest, Sha256};

use crate::crm::normalize_address;

pub mod quoted;

/// Where a person appears in a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParticipantRole {
    From,
    Sender,
    ReplyTo,
    To,
    Cc,
    Bcc,
}

impl ParticipantRole {
    pub fn as_str(self) -> &'static str {
        match self {
            ParticipantRole::From => "from",
            ParticipantRole::Sender => "sender",
            ParticipantRole::ReplyTo => "reply_to",
            ParticipantRole::To => "to",
            ParticipantRole::Cc => "cc",
            ParticipantRole::Bcc => "bcc",
        }
    }

    pub fn parse(text: &str) -> Option<ParticipantRole> {
        [
            ParticipantRole::From,
            ParticipantRole::Sender,
            ParticipantRole::ReplyTo,
            ParticipantRole::To,
            ParticipantRole::Cc,
            ParticipantRole::Bcc,
        ]
        .into_iter()
        .find(|role| role.as_str() == text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedParticipant {
    pub role: ParticipantRole,
    /// Normalised address (see `crm::normalize_address`).
    pub address: String,
    pub display_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedAttachment {
    /// IMAP body section number ("2", "1.3") for fetching the bytes later.
    pub part_id: String,
    pub filename: String,
    pub mime_type: String,
    pub size: i64,
    pub content_id: Option<String>,
    pub is_inline: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedMessage {
    /// Normalised Message-ID, or "sha256:<hex>" of the content when there is none.
    pub dedup_key: String,
    pub message_id: Option<String>,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    pub subject: String,
    /// Unix seconds: the Date header, else the server's INTERNALDATE, else now.
    pub date: i64,
    pub snippet: String,
    pub text: String,
    /// The sender's HTML as written. Never shown as it is: the reader sanitises it
    /// (`safe_html`) each time it opens the message, so sanitising here too would only
    /// cost a sync a third of its parsing time.
    pub html: Option<String>,
    pub participants: Vec<ParsedParticipant>,
    pub attachments: Vec<ParsedAttachment>,
    /// Newsletters, notifications, auto-replies: never a reason to create a contact.
    pub is_bulk: bool,
    pub size: i64,
}

impl ParsedMessage {
    pub fn from_address(&self) -> Option<&str> {
        self.participants
            .iter()
            .find(|p| p.role == ParticipantRole::From)
            .map(|p| p.address.as_str())
    }

    pub fn has_attachments(&self) -> bool {
        self.attachments.iter().any(|a| !a.is_inline)
    }
}

const SNIPPET_CHARS: usize = 200;

/// Strips angle brackets and whitespace and lower-cases, so the same Message-ID written
/// differently by two servers dedups to one message.
pub fn normalize_message_id(raw: &str) -> Option<String> {
    let trimmed = raw
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim();
    if trimmed.is_empty() {
        None
    } else {
        Some(trimmed.to_lowercase())
    }
}

fn header_ids(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::Text(text) => text
            .split_whitespace()
            .filter_map(normalize_message_id)
            .collect(),
        HeaderValue::TextList(list) => list
            .iter()
            .filter_map(|t| normalize_message_id(t))
            .collect(),
        _ => Vec::new(),
    }
}

/// Stack for the threads that parse mail. mail-parser recurses once per nested part, and
/// a hostile message can nest thousands deep (a 35 KB message overflows the 2 MiB of a
/// default blocking-pool thread and would abort the app); the memory is only reserved,
/// pages are touched as the recursion goes.
pub const PARSER_STACK_BYTES: usize = 256 << 20;

/// Parses many messages on one thread with `PARSER_STACK_BYTES` of stack.
pub async fn parse_many(raw: Vec<(Vec<u8>, Option<i64>)>) -> std::io::Result<Vec<ParsedMessage>> {
    let (done, result) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("rapport-parser".into())
        .stack_size(PARSER_STACK_BYTES)
        .spawn(move || {
            let parsed = raw
                .iter()
                .map(|(bytes, internal_date)| parse(bytes, *internal_date))
                .collect::<Vec<_>>();
            let _ = done.send(parsed);
        })?;
    result
        .await
        .map_err(|_| std::io::Error::other("the parser thread stopped"))
}

/// Parses one message. Never fails: a message mail-parser cannot make sense of is kept
/// with what could be read (an empty subject, the raw size, a content hash as its key),
/// because losing mail is worse than showing it plainly.
pub fn parse(raw: &[u8], internal_date: Option<i64>) -> ParsedMessage {
    let size = raw.len() as i64;
    // A panic inside mail-parser (its debug assertions fire on some broken nesting) must
    // not take a sync down: such a message is kept like one it cannot parse at all.
    let parsed = std::panic::catch_unwind(|| MessageParser::default().parse(raw));
    let Some(message) = parsed.ok().flatten() else {
        return ParsedMessage {
            dedup_key: format!("sha256:{}", hex::encode(Sha256::digest(raw))),
            message_id: None,
            in_reply_to: None,
            references: Vec::new(),
            subject: String::new(),
            date: internal_date.unwrap_or_else(|| chrono::Utc::now().timestamp()),
            snippet: String::new(),
            text: String::from_utf8_lossy(raw).into_owned(),
            html: None,
            participants: Vec::new(),
            attachments: Vec::new(),
            is_bulk: false,
            size,
        };
    };

    let message_id = message.message_id().and_then(normalize_message_id);
    let in_reply_to = header_ids(message.in_reply_to()).into_iter().next();
    let references = header_ids(message.references());
    let subject = message.subject().unwrap_or_default().trim().to_owned();
    let date = message
        .date()
        .map(|d| d.to_timestamp())
        .or(internal_date)
        .unwrap_or_else(|| chrono::Utc::now().timestamp());

    let mut participants = Vec::new();
    let roles: [(ParticipantRole, Option<&Address<'_>>); 6] = [
        (ParticipantRole::From, message.from()),
        (ParticipantRole::Sender, message.sender()),
        (ParticipantRole::ReplyTo, message.reply_to()),
        (ParticipantRole::To, message.to()),
        (ParticipantRole::Cc, message.cc()),
        (ParticipantRole::Bcc, message.bcc()),
    ];
    for (role, address) in roles {
        let Some(address) = address else { continue };
        for addr in address.iter() {
            let Some(normalized) = addr.address().and_then(normalize_address) else {
                continue;
            };
            // A Sender identical to From adds nothing but noise.
            if role == ParticipantRole::Sender
                && participants.iter().any(|p: &ParsedParticipant| {
                    p.role == ParticipantRole::From && p.address == normalized
                })
            {
                continue;
            }
            participants.push(ParsedParticipant {
                role,
                address: normalized,
                display_name: addr.name().unwrap_or_default().trim().to_owned(),
            });
        }
    }

    let text = message
        .body_text(0)
        .map(|t| t.into_owned())
        .unwrap_or_default();
    let html = message
        .body_html(0)
        .filter(|_| message.html_body_count() > 0 && is_real_html(&message))
        .map(|h| h.into_owned());
    let snippet = snippet(&text);

    let attachments = collect_attachments(&message);
    let is_bulk = is_bulk(&message);
    drop_flat(message);

    let dedup_key = match &message_id {
        Some(id) => id.clone(),
        None => content_hash(&subject, date, &participants, &text, &attachments),
    };

    ParsedMessage {
        dedup_key,
        message_id,
        in_reply_to,
        references,
        subject,
        date,
        snippet,
        text,
        html,
        participants,
        attachments,
        is_bulk,
        size,
    }
}

/// Drops a message one nesting level at a time. mail-parser's own drop recurses through
/// message/rfc822 parts, and mail nesting them ~20,000 deep (1 MB) overflows a 2 MB stack
/// and aborts the process.
fn drop_flat(message: mail_parser::Message<'_>) {
    let mut pending = vec![message];
    while let Some(mut message) = pending.pop() {
        for part in &mut message.parts {
            if let PartType::Message(inner) = std::mem::take(&mut part.body) {
                pending.push(inner);
            }
        }
    }
}

/// mail-parser synthesises an HTML body from text/plain; only keep HTML the sender wrote.
fn is_real_html(message: &mail_parser::Message<'_>) -> bool {
    message
        .html_bodies()
        .any(|part| matches!(part.body, PartType::Html(_)))
}

/// A hash over what stays the same when a server rewrites headers in transit, so the
/// same Message-ID-less message in two folders is still stored once.
fn content_hash(
    subject: &str,
    date: i64,
    participants: &[ParsedParticipant],
    text: &str,
    attachments: &[ParsedAttachment],
) -> String {
    let mut hasher = Sha256::new();
    hasher.update(subject.as_bytes());
    hasher.update(date.to_le_bytes());
    for p in participants {
        hasher.update(p.role.as_str().as_bytes());
        hasher.update(p.address.as_bytes());
    }
    hasher.update(text.as_bytes());
    // Two scans from one printer in the same second differ only in their files; without
    // this the second was taken for the first and never stored. No attachments, no change.
    for a in attachments {
        hasher.update(a.filename.as_bytes());
        hasher.update(a.mime_type.as_bytes());
        hasher.update(a.size.to_le_bytes());
    }
    format!("sha256:{}", hex::encode(hasher.finalize()))
}

fn is_bulk(message: &mail_parser::Message<'_>) -> bool {
    if !message.list_unsubscribe().is_empty() || !message.list_id().is_empty() {
        return true;
    }
    let header_text = |name: &str| {
        message
            .header_raw(name)
            .map(|v| v.trim().to_ascii_lowercase())
    };
    if let Some(precedence) = header_text("Precedence") {
        if ["bulk", "list", "junk"].contains(&precedence.as_str()) {
            return true;
        }
    }
    // RFC 3834: anything but "no" marks an automatic message.
    matches!(header_text("Auto-Submitted"), Some(v) if v != "no")
}

/// Sanitises sender HTML for display (see `safe_html` for the policy). Remote images stay
/// in the markup; the reader decides whether to load them.
pub fn sanitize_html(html: &str) -> String {
    crate::safe_html::sanitize(html).html
}

/// The first words of what the sender wrote: quoted text and the line introducing it are
/// left out (see `quoted`), whitespace collapsed, the signature dropped.
pub fn snippet(text: &str) -> String {
    let mut out = String::with_capacity(SNIPPET_CHARS + 8);
    let reply = quoted::reply_text(text);
    for line in reply.lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if line == "--" || line == "-- " {
            break;
        }
        for word in line.split_whitespace() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(word);
        }
        if out.chars().count() >= SNIPPET_CHARS {
            break;
        }
    }
    if out.chars().count() > SNIPPET_CHARS {
        let cut: String = out.chars().take(SNIPPET_CHARS - 1).collect();
        return format!("{}…", cut.trim_end());
    }
    out
}

/// Attachments with the IMAP section number of each part, so its bytes can be fetched
/// alone later (RFC 3501 §6.4.5: children of a multipart are numbered from 1; a
/// single-part message's body is section 1).
fn collect_attachments(message: &mail_parser::Message<'_>) -> Vec<ParsedAttachment> {
    let sections = number_parts(message);
    let mut out = Vec::new();
    for id in &message.attachments {
        let Some(part) = message.parts.get(*id as usize) else {
            continue;
        };
        let section = sections
            .get(id)
            .cloned()
            .unwrap_or_else(|| (id + 1).to_string());
        out.push(describe_attachment(part, section));
    }
    out
}

/// IMAP section of every leaf part. An explicit stack, not recursion: hostile mail nests
/// multiparts thousands deep, which would overflow the stack and abort the process.
fn number_parts(message: &mail_parser::Message<'_>) -> std::collections::HashMap<u32, String> {
    let mut out = std::collections::HashMap::new();
    let mut pending = vec![(0u32, String::new())];
    while let Some((part_id, section)) = pending.pop() {
        let Some(part) = message.parts.get(part_id as usize) else {
            continue;
        };
        match &part.body {
            PartType::Multipart(children) => {
                // Children always come after their parent; the check rules out a cycle.
                for (index, child) in children.iter().enumerate().filter(|(_, c)| **c > part_id) {
                    let child_section = if section.is_empty() {
                        (index + 1).to_string()
                    } else {
                        format!("{section}.{}", index + 1)
                    };
                    pending.push((*child, child_section));
                }
            }
            _ => {
                let section = if section.is_empty() {
                    "1".to_owned()
                } else {
                    section
                };
                out.insert(part_id, section);
            }
        }
    }
    out
}

fn describe_attachment(part: &MessagePart<'_>, part_id: String) -> ParsedAttachment {
    let mime_type = part
        .content_type()
        .map(|ct| match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub).to_ascii_lowercase(),
            None => ct.ctype().to_ascii_lowercase(),
        })
        .unwrap_or_else(|| "application/octet-stream".to_owned());
    let is_inline = part
        .content_disposition()
        .map(|d| d.ctype().eq_ignore_ascii_case("inline"))
        .unwrap_or(false)
        && part.content_id().is_some();
    let filename = part
        .attachment_name()
        .map(str::to_owned)
        .unwrap_or_else(|| match &part.body {
            PartType::Message(inner) => {
                format!("{}.eml", inner.subject().unwrap_or("message").trim())
            }
            _ => String::new(),
        });
    ParsedAttachment {
        part_id,
        filename,
        mime_type,
        size: part.len() as i64,
        content_id: part
            .content_id()
            .map(|c| c.trim_matches(['<', '>']).to_owned()),
        is_inline,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const THREAD_REPLY: &[u8] =
        b"From: =?UTF-8?Q?Ji=C5=99=C3=AD_Dvo=C5=99=C3=A1k?= <Jiri@Acme-Logistics.CZ>\r\n\
To: Alice <alice@rapport.test>, bob@example.com\r\n\
Cc: \"Team\" <team@acme-logistics.cz>\r\n\
Subject: Re: =?UTF-8?Q?Nab=C3=ADdka?=\r\n\
Date: Tue, 10 Nov 2026 09:30:00 +0100\r\n\
Message-ID: <Reply-1@acme-logistics.cz>\r\n\
In-Reply-To: <offer-1@rapport.test>\r\n\
References: <start@rapport.test> <offer-1@rapport.test>\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
D\xc4\x9bkuji, pos\xc3\xadl\xc3\xa1me podklady.\r\n\
\r\n\
On Monday Alice wrote:\r\n\
> the original text\r\n";

    #[test]
    fn parses_people_threading_and_snippet() {
        let parsed = parse(THREAD_REPLY, None);
        assert_eq!(parsed.dedup_key, "reply-1@acme-logistics.cz");
        assert_eq!(parsed.in_reply_to.as_deref(), Some("offer-1@rapport.test"));
        assert_eq!(
            parsed.references,
            vec!["start@rapport.test", "offer-1@rapport.test"]
        );
        assert_eq!(parsed.subject, "Re: Nabídka");
        assert_eq!(parsed.from_address(), Some("jiri@acme-logistics.cz"));
        let from = &parsed.participants[0];
        assert_eq!(from.display_name, "Jiří Dvořák");
        let to: Vec<_> = parsed
            .participants
            .iter()
            .filter(|p| p.role == ParticipantRole::To)
            .map(|p| p.address.as_str())
            .collect();
        assert_eq!(to, vec!["alice@rapport.test", "bob@example.com"]);
        assert_eq!(parsed.snippet, "Děkuji, posíláme podklady.");
        assert_eq!(parsed.date, 1_794_299_400); // 2026-11-10T08:30:00Z
        assert!(!parsed.is_bulk);
        assert!(parsed.html.is_none());
    }

    #[test]
    fn snippet_leaves_out_an_outlook_quote() {
        let raw = "From: jan@firma.pl\r\nTo: anna@rapport.test\r\nSubject: RE: Umowa\r\n\
Content-Type: text/plain; charset=utf-8\r\n\r\n\
Przesyłam poprawioną wersję.\r\n\r\n\
-----Wiadomość oryginalna-----\r\nOd: Anna <anna@rapport.test>\r\n\
Wysłano: wtorek, 10 listopada 2026 09:30\r\n\r\nProszę o poprawki.\r\n";
        assert_eq!(
            parse(raw.as_bytes(), None).snippet,
            "Przesyłam poprawioną wersję."
        );
    }

    #[test]
    fn message_without_id_gets_a_stable_content_key() {
        let raw = b"From: a@x.cz\r\nTo: b@y.cz\r\nSubject: hi\r\nDate: Tue, 10 Nov 2026 09:30:00 +0100\r\n\r\nbody\r\n";
        let first = parse(raw, None);
        let again = parse(raw, Some(5));
        assert!(first.dedup_key.starts_with("sha256:"));
        assert_eq!(first.dedup_key, again.dedup_key);
    }

    #[test]
    fn newsletters_are_bulk() {
        let raw = b"From: news@shop.cz\r\nTo: a@x.cz\r\nList-Unsubscribe: <mailto:u@shop.cz>\r\nSubject: Sale\r\n\r\nbuy\r\n";
        assert!(parse(raw, None).is_bulk);
        let auto = b"From: a@shop.cz\r\nTo: a@x.cz\r\nAuto-Submitted: auto-replied\r\nSubject: Away\r\n\r\nx\r\n";
        assert!(parse(auto, None).is_bulk);
    }

    #[test]
    fn html_is_kept_as_sent_and_attachments_numbered() {
        let raw = b"From: a@x.cz\r\nTo: b@y.cz\r\nSubject: files\r\nMessage-ID: <m1@x.cz>\r\n\
Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n\
--outer\r\nContent-Type: multipart/alternative; boundary=\"inner\"\r\n\r\n\
--inner\r\nContent-Type: text/plain\r\n\r\nplain body\r\n\
--inner\r\nContent-Type: text/html\r\n\r\n<p onclick=\"x()\">html <script>alert(1)</script>body</p>\r\n\
--inner--\r\n\
--outer\r\nContent-Type: application/pdf; name=\"nab\xc3\xaddka.pdf\"\r\nContent-Disposition: attachment; filename=\"nab\xc3\xaddka.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n\
--outer--\r\n";
        let parsed = parse(raw, None);
        let html = parsed.html.clone().expect("html body");
        assert!(
            html.contains("<script>"),
            "sanitised on display, not at sync: {html}"
        );
        let shown = crate::safe_html::sanitize(&html).html;
        assert!(shown.contains("html"));
        assert!(!shown.contains("script"));
        assert!(!shown.contains("onclick"));
        assert_eq!(parsed.attachments.len(), 1);
        let attachment = &parsed.attachments[0];
        assert_eq!(attachment.part_id, "2");
        assert_eq!(attachment.filename, "nabídka.pdf");
        assert_eq!(attachment.mime_type, "application/pdf");
        assert!(parsed.has_attachments());
    }

    #[test]
    fn unparseable_input_is_kept_not_dropped() {
        let parsed = parse(b"", Some(42));
        assert_eq!(parsed.date, 42);
        assert!(parsed.dedup_key.starts_with("sha256:"));
    }
}
