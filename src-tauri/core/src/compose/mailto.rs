//! `mailto:` URLs (RFC 6068) as a compose form: the addresses of the path and of `to=`,
//! `cc=`, `bcc=`, `subject=` and `body=`; other header fields are ignored (§6: a client
//! must not act on ones it does not know to be safe).

use percent_encoding::percent_decode_str;
use serde::Serialize;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MailtoDraft {
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub bcc: Vec<String>,
    pub subject: String,
    /// Plain text, line breaks as `\n`.
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("“{0}” is not a mailto: link.")]
pub struct NotMailto(pub String);

fn decode(text: &str) -> String {
    percent_decode_str(text).decode_utf8_lossy().into_owned()
}

fn addresses(text: &str) -> Vec<String> {
    // Commas separate addresses after decoding: RFC 6068 §2 lets `%2C` stand for one.
    super::split_addresses(&decode(text))
}

/// Parses a `mailto:` URL.
pub fn parse(url: &str) -> Result<MailtoDraft, NotMailto> {
    let trimmed = url.trim();
    let rest = trimmed
        .get(..7)
        .filter(|scheme| scheme.eq_ignore_ascii_case("mailto:"))
        .map(|_| &trimmed[7..])
        .ok_or_else(|| NotMailto(url.chars().take(80).collect()))?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut draft = MailtoDraft {
        to: addresses(path),
        ..MailtoDraft::default()
    };
    for field in query.split('&').filter(|f| !f.is_empty()) {
        let (name, value) = field.split_once('=').unwrap_or((field, ""));
        match decode(name).to_ascii_lowercase().as_str() {
            "to" => draft.to.extend(addresses(value)),
            "cc" => draft.cc.extend(addresses(value)),
            "bcc" => draft.bcc.extend(addresses(value)),
            "subject" => draft.subject = decode(value),
            "body" => draft.body = decode(value).replace("\r\n", "\n"),
            _ => {}
        }
    }
    Ok(draft)
}

/// Plain text as the compose editor's HTML.
pub fn text_to_html(text: &str) -> String {
    text.split('\n')
        .map(|line| {
            let escaped = line
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;");
            if escaped.is_empty() {
                "<p><br></p>".to_owned()
            } else {
                format!("<p>{escaped}</p>")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6068_examples() {
        let d = parse("mailto:chris@example.com").unwrap();
        assert_eq!(d.to, vec!["chris@example.com"]);
        let d = parse("mailto:infobot@example.com?subject=current-issue").unwrap();
        assert_eq!(d.subject, "current-issue");
        let d =
            parse("mailto:list@example.org?In-Reply-To=%3C3469A91.D10AF4C@example.com%3E").unwrap();
        assert_eq!(d.to, vec!["list@example.org"]);
        let d = parse("mailto:joe@example.com?cc=bob@example.com&body=hello").unwrap();
        assert_eq!(
            (d.cc, d.body.as_str()),
            (vec!["bob@example.com".to_owned()], "hello")
        );
        let d = parse("mailto:?to=joe@example.com&cc=bob@example.com&body=hello").unwrap();
        assert_eq!(d.to, vec!["joe@example.com"]);
        let d = parse("mailto:gorby%25kremvax@example.com").unwrap();
        assert_eq!(d.to, vec!["gorby%kremvax@example.com"]);
        let d = parse("MAILTO:a@x.test,b@y.test?subject=Hello%20there&body=Line%201%0D%0ALine%202&bcc=c@z.test").unwrap();
        assert_eq!(d.to, vec!["a@x.test", "b@y.test"]);
        assert_eq!(d.bcc, vec!["c@z.test"]);
        assert_eq!(d.subject, "Hello there");
        assert_eq!(d.body, "Line 1\nLine 2");
        let d = parse("mailto:?subject=%E2%82%AC%20price").unwrap();
        assert_eq!(d.subject, "€ price");
        assert!(parse("https://example.com").is_err());
    }

    #[test]
    fn body_text_becomes_escaped_paragraphs() {
        assert_eq!(text_to_html("a<b\n\nc"), "<p>a&lt;b</p><p><br></p><p>c</p>");
    }
}
