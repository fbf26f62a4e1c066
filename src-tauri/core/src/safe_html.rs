//! Mail HTML made safe to show. The reader puts the result in a sandboxed, script-less
//! frame with its own CSP; this is the layer under that: no scripts, event handlers,
//! forms, frames, objects, `<base>`, `<meta>`, SVG or MathML survive; links keep only
//! http(s) and mailto targets; images only http(s) (blocked until the user allows them),
//! the message's own `cid:` parts and embedded raster `data:` images. CSS is re-written
//! from its tokens: an allowlist of presentational properties, no positioning that could
//! cover the reader, no functions that load or compute from outside, and stylesheets
//! (`<style>`) may not load anything from the network at all, so a selector can never
//! turn into a request.

use std::{
    borrow::Cow,
    collections::{BTreeSet, HashMap},
    fmt::Write as _,
    sync::{Arc, Mutex, PoisonError},
};

use ammonia::{Builder, Url, UrlRelative};
use cssparser::{ParseError, Parser, ToCss, Token, TokenSerializationType};

/// Sanitised HTML and what it would load.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SafeHtml {
    pub html: String,
    /// It shows images from the network (blocked until the user allows them).
    pub remote_images: bool,
    /// Content-IDs of the message's own parts it shows (`cid:` URLs), decoded.
    pub content_ids: BTreeSet<String>,
}

/// Sanitises sender HTML; `cid:` images stay as they are.
pub fn sanitize(html: &str) -> SafeHtml {
    sanitize_with_images(html, &HashMap::new())
}

/// Sanitises sender HTML and replaces each `cid:` image whose Content-ID is a key of
/// `images` by the value, a `data:` URL of that part.
pub fn sanitize_with_images(html: &str, images: &HashMap<String, String>) -> SafeHtml {
    let findings = Arc::new(Mutex::new(Findings::default()));
    let images = Arc::new(images.clone());
    let filter_findings = findings.clone();
    let filter_images = images.clone();

    let cleaned = Builder::default()
        .add_tags(["font", "center", "style"])
        .rm_clean_content_tags(["style"])
        .add_generic_attributes([
            "style", "class", "align", "valign", "width", "height", "bgcolor", "dir",
        ])
        .add_tag_attributes("img", ["src", "alt", "width", "height", "border"])
        .add_tag_attributes("td", ["colspan", "rowspan", "bgcolor", "background"])
        .add_tag_attributes("th", ["bgcolor", "background"])
        .add_tag_attributes(
            "table",
            [
                "cellpadding",
                "cellspacing",
                "border",
                "bgcolor",
                "background",
            ],
        )
        .add_tag_attributes("font", ["color", "face", "size"])
        // ammonia's first gate; `attribute_filter` narrows it per attribute.
        .url_schemes(["http", "https", "mailto", "cid", "data"].into())
        // A relative URL in a srcdoc frame resolves against the app's own origin.
        .url_relative(UrlRelative::Deny)
        .link_rel(Some("noopener noreferrer"))
        .attribute_filter(move |_element, attribute, value| {
            let mut findings = filter_findings
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            filter_attribute(attribute, value, &filter_images, &mut findings)
        })
        .clean(html)
        .to_string();

    let mut findings = findings.lock().unwrap_or_else(PoisonError::into_inner);
    let html = sanitize_style_elements(&cleaned, &images, &mut findings);
    SafeHtml {
        html,
        remote_images: findings.remote_images,
        content_ids: std::mem::take(&mut findings.content_ids),
    }
}

#[derive(Debug, Default)]
struct Findings {
    remote_images: bool,
    content_ids: BTreeSet<String>,
}

fn filter_attribute<'u>(
    attribute: &str,
    value: &'u str,
    images: &HashMap<String, String>,
    findings: &mut Findings,
) -> Option<Cow<'u, str>> {
    // Keeps every `<` in the output a tag or a stylesheet's start: see
    // `sanitize_style_elements`. Attribute text with a `<` is rare in real mail.
    if value.contains('<') {
        return None;
    }
    match attribute {
        "style" => {
            let css = sanitize_declarations(value, UrlPlace::Element, images, findings);
            (!css.is_empty()).then_some(Cow::Owned(css))
        }
        "href" => safe_url(value, UrlPlace::Link, images, findings).map(Cow::Owned),
        "src" | "background" => {
            safe_url(value, UrlPlace::Element, images, findings).map(Cow::Owned)
        }
        // Quotation sources are URLs nobody follows from a mail.
        "cite" => None,
        _ => Some(Cow::Borrowed(value)),
    }
}

/// Where a URL appears, which decides what it may point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UrlPlace {
    /// A link the user may follow (after seeing where it goes).
    Link,
    /// An image of one element (`src`, `background`, its `style`): remote ones allowed,
    /// the reader blocks them until the user says otherwise.
    Element,
    /// A stylesheet rule: conditional on selectors and media queries, so nothing remote.
    Stylesheet,
    /// A selector or media query: no URL at all.
    Nowhere,
}

const RASTER_IMAGE_TYPES: [&str; 6] = [
    "image/png",
    "image/jpeg",
    "image/jpg",
    "image/gif",
    "image/webp",
    "image/bmp",
];

/// The URL as it may be written back, or None to drop it.
fn safe_url(
    raw: &str,
    place: UrlPlace,
    images: &HashMap<String, String>,
    findings: &mut Findings,
) -> Option<String> {
    if place == UrlPlace::Nowhere {
        return None;
    }
    // WHATWG parsing, as the browser does: tabs and newlines inside a scheme do not hide it.
    let url = Url::parse(raw.trim()).ok()?;
    match (url.scheme(), place) {
        ("http" | "https", UrlPlace::Link) | ("mailto", UrlPlace::Link) => Some(url.to_string()),
        ("http" | "https", UrlPlace::Element) => {
            findings.remote_images = true;
            Some(url.to_string())
        }
        ("cid", UrlPlace::Element | UrlPlace::Stylesheet) => {
            let content_id = content_id_of(&url)?;
            let inlined = images.get(&content_id).cloned();
            findings.content_ids.insert(content_id);
            Some(inlined.unwrap_or_else(|| url.to_string()))
        }
        ("data", UrlPlace::Element | UrlPlace::Stylesheet) => {
            let media_type = url.path().split([';', ',']).next()?.trim();
            RASTER_IMAGE_TYPES
                .iter()
                .any(|t| media_type.eq_ignore_ascii_case(t))
                .then(|| url.to_string())
        }
        _ => None,
    }
}

/// RFC 2392: a `cid:` URL is the Content-ID without angle brackets, %-encoded.
fn content_id_of(url: &Url) -> Option<String> {
    let decoded = percent_encoding::percent_decode_str(url.path())
        .decode_utf8()
        .ok()?;
    let id = decoded.trim().trim_start_matches('<').trim_end_matches('>');
    (!id.is_empty()).then(|| id.to_owned())
}

/// Sanitises the contents of every `<style>` element of ammonia's output. That output is
/// a serialisation we know: `style` keeps no attribute, so its start tag is exactly
/// `<style>`; text is escaped and no attribute value holds a `<` (`filter_attribute`),
/// so every `<style>` is a real element; and its raw text ends at the first `</style`
/// followed by a tag-name terminator, as in the browser's tokenizer.
fn sanitize_style_elements(
    html: &str,
    images: &HashMap<String, String>,
    findings: &mut Findings,
) -> String {
    const START: &str = "<style>";
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find(START) {
        let content_start = start + START.len();
        out.push_str(&rest[..content_start]);
        let after = &rest[content_start..];
        let end = style_end(after).unwrap_or(after.len());
        out.push_str(&sanitize_stylesheet(&after[..end], images, findings));
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

fn style_end(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(found) = text[from..].find("</") {
        let at = from + found;
        let name = bytes.get(at + 2..at + 7)?;
        let terminator = bytes.get(at + 7).copied();
        if name.eq_ignore_ascii_case(b"style")
            && matches!(
                terminator,
                None | Some(b'\t' | b'\n' | b'\x0c' | b'\r' | b' ' | b'/' | b'>')
            )
        {
            return Some(at);
        }
        from = at + 2;
    }
    None
}

// ---- CSS ----

/// Presentational properties mail layouts use. Left out on purpose: `position` other
/// than static/relative, `z-index`, `transform` (content drawn over other content),
/// `cursor`, `list-style-image`, `filter`, `mask`, `clip-path`, `content`, `behavior`,
/// `-moz-binding` (URLs or code), animations and transitions.
const PROPERTIES: &[&str] = &[
    "background",
    "background-color",
    "background-image",
    "background-position",
    "background-repeat",
    "background-size",
    "border",
    "border-top",
    "border-right",
    "border-bottom",
    "border-left",
    "border-color",
    "border-style",
    "border-width",
    "border-top-color",
    "border-right-color",
    "border-bottom-color",
    "border-left-color",
    "border-top-style",
    "border-right-style",
    "border-bottom-style",
    "border-left-style",
    "border-top-width",
    "border-right-width",
    "border-bottom-width",
    "border-left-width",
    "border-radius",
    "border-top-left-radius",
    "border-top-right-radius",
    "border-bottom-left-radius",
    "border-bottom-right-radius",
    "border-collapse",
    "border-spacing",
    "bottom",
    "box-shadow",
    "box-sizing",
    "caption-side",
    "clear",
    "color",
    "column-count",
    "column-gap",
    "direction",
    "display",
    "empty-cells",
    "float",
    "font",
    "font-family",
    "font-size",
    "font-style",
    "font-variant",
    "font-weight",
    "height",
    "hyphens",
    "left",
    "letter-spacing",
    "line-height",
    "list-style",
    "list-style-position",
    "list-style-type",
    "margin",
    "margin-top",
    "margin-right",
    "margin-bottom",
    "margin-left",
    "max-height",
    "max-width",
    "min-height",
    "min-width",
    "opacity",
    "outline",
    "overflow",
    "overflow-wrap",
    "overflow-x",
    "overflow-y",
    "padding",
    "padding-top",
    "padding-right",
    "padding-bottom",
    "padding-left",
    "position",
    "right",
    "table-layout",
    "text-align",
    "text-decoration",
    "text-decoration-color",
    "text-decoration-line",
    "text-decoration-style",
    "text-indent",
    "text-overflow",
    "text-shadow",
    "text-transform",
    "top",
    "vertical-align",
    "visibility",
    "white-space",
    "width",
    "word-break",
    "word-spacing",
    "word-wrap",
];

/// Functions that only compute a value from their arguments.
const VALUE_FUNCTIONS: &[&str] = &[
    "rgb",
    "rgba",
    "hsl",
    "hsla",
    "calc",
    "min",
    "max",
    "clamp",
    "linear-gradient",
    "radial-gradient",
    "repeating-linear-gradient",
    "repeating-radial-gradient",
];

/// Functional pseudo-classes a selector may use.
const SELECTOR_FUNCTIONS: &[&str] = &[
    "not",
    "is",
    "where",
    "nth-child",
    "nth-last-child",
    "nth-of-type",
    "nth-last-of-type",
    "lang",
    "dir",
];

/// Deeper nesting than this is not mail layout; it is dropped.
const MAX_CSS_DEPTH: u8 = 12;

struct CssContext<'a> {
    place: UrlPlace,
    functions: &'a [&'a str],
    images: &'a HashMap<String, String>,
    findings: &'a mut Findings,
}

/// Sanitised declarations of a `style` attribute, or "" when none is kept.
fn sanitize_declarations(
    css: &str,
    place: UrlPlace,
    images: &HashMap<String, String>,
    findings: &mut Findings,
) -> String {
    stable(css, |input| {
        let mut out = String::new();
        let mut parser = Parser::new(input);
        let mut cx = CssContext {
            place,
            functions: VALUE_FUNCTIONS,
            images,
            findings: &mut *findings,
        };
        declarations(&mut parser, &mut out, &mut cx, 0);
        out
    })
}

/// A sanitised stylesheet (the text of a `<style>` element).
fn sanitize_stylesheet(
    css: &str,
    images: &HashMap<String, String>,
    findings: &mut Findings,
) -> String {
    stable(css, |input| {
        let mut out = String::new();
        let mut parser = Parser::new(input);
        rules(&mut parser, &mut out, images, &mut *findings, 0);
        out
    })
}

/// Runs `sanitize` twice and keeps the result only when the second pass changes nothing:
/// if writing the tokens back had let them re-tokenise into something else, the text
/// would not be a fixed point, and it is dropped rather than trusted. Nor may it hold a
/// `<`, which could end the `<style>` element it goes back into.
fn stable(css: &str, mut sanitize: impl FnMut(&str) -> String) -> String {
    let once = sanitize(css);
    if once.contains('<') || sanitize(&once) != once {
        return String::new();
    }
    once
}

fn rules(
    parser: &mut Parser<'_>,
    out: &mut String,
    images: &HashMap<String, String>,
    findings: &mut Findings,
    depth: u8,
) {
    loop {
        let token = match parser.next() {
            Ok(token) => token.clone(),
            Err(_) => return,
        };
        match token {
            Token::CDO | Token::CDC => {}
            Token::AtKeyword(name) => {
                if name.eq_ignore_ascii_case("media") && depth < MAX_CSS_DEPTH {
                    media_rule(parser, out, images, findings, depth);
                } else {
                    // @import, @font-face, @namespace, @keyframes...: skipped whole, up
                    // to their `;` or past their block (never entered).
                    skip_at_rule(parser);
                }
            }
            first => style_rule(parser, first, out, images, findings, depth),
        }
    }
}

fn skip_at_rule(parser: &mut Parser<'_>) {
    while let Ok(token) = parser.next() {
        if matches!(token, Token::Semicolon | Token::CurlyBracketBlock) {
            return;
        }
    }
}

fn media_rule(
    parser: &mut Parser<'_>,
    out: &mut String,
    images: &HashMap<String, String>,
    findings: &mut Findings,
    depth: u8,
) {
    let mut prelude = String::new();
    let mut ok = true;
    let mut writer = TokenWriter::default();
    loop {
        let token = match parser.next_including_whitespace() {
            Ok(token) => token.clone(),
            Err(_) => return,
        };
        match token {
            Token::Semicolon => return,
            Token::CurlyBracketBlock => {
                let mut body = String::new();
                let nested = parser.parse_nested_block(|p| {
                    rules(p, &mut body, images, &mut *findings, depth + 1);
                    Ok::<_, ParseError<()>>(())
                });
                if ok && nested.is_ok() && !body.is_empty() {
                    let _ = write!(out, "@media {}{{{}}}", prelude.trim(), body);
                }
                return;
            }
            other => {
                let mut cx = CssContext {
                    place: UrlPlace::Nowhere,
                    functions: &[],
                    images,
                    findings: &mut *findings,
                };
                ok &= copy_component(parser, other, &mut prelude, &mut writer, &mut cx, depth);
            }
        }
    }
}

fn style_rule(
    parser: &mut Parser<'_>,
    first: Token<'_>,
    out: &mut String,
    images: &HashMap<String, String>,
    findings: &mut Findings,
    depth: u8,
) {
    let mut selector = String::new();
    let mut writer = TokenWriter::default();
    let mut ok = true;
    let mut token = first;
    loop {
        if matches!(token, Token::CurlyBracketBlock) {
            let mut body = String::new();
            let nested = parser.parse_nested_block(|p| {
                let mut cx = CssContext {
                    place: UrlPlace::Stylesheet,
                    functions: VALUE_FUNCTIONS,
                    images,
                    findings: &mut *findings,
                };
                declarations(p, &mut body, &mut cx, depth + 1);
                Ok::<_, ParseError<()>>(())
            });
            let selector = selector.trim();
            if ok && nested.is_ok() && !selector.is_empty() && !body.is_empty() {
                let _ = write!(out, "{selector}{{{body}}}");
            }
            return;
        }
        let mut cx = CssContext {
            place: UrlPlace::Nowhere,
            functions: SELECTOR_FUNCTIONS,
            images,
            findings: &mut *findings,
        };
        ok &= copy_component(parser, token, &mut selector, &mut writer, &mut cx, depth);
        token = match parser.next_including_whitespace() {
            Ok(next) => next.clone(),
            Err(_) => return,
        };
    }
}

fn declarations(parser: &mut Parser<'_>, out: &mut String, cx: &mut CssContext<'_>, depth: u8) {
    while !parser.is_exhausted() {
        let mut kept = None;
        let _ = parser.parse_until_after(cssparser::Delimiter::Semicolon, |p| {
            kept = declaration(p, cx, depth);
            // Whatever is left of a dropped declaration is skipped to its `;`.
            while p.next().is_ok() {}
            Ok::<_, ParseError<()>>(())
        });
        if let Some(declaration) = kept {
            if !out.is_empty() {
                out.push(';');
            }
            out.push_str(&declaration);
        }
    }
}

fn declaration(parser: &mut Parser<'_>, cx: &mut CssContext<'_>, depth: u8) -> Option<String> {
    let name = match parser.next() {
        Ok(Token::Ident(name)) => name.to_ascii_lowercase(),
        _ => return None,
    };
    parser.expect_colon().ok()?;
    if !PROPERTIES.contains(&name.as_str()) {
        return None;
    }
    let mut value = String::new();
    let mut writer = TokenWriter::default();
    let mut words: Vec<String> = Vec::new();
    while let Ok(token) = parser.next_including_whitespace() {
        let token = token.clone();
        if let Token::Ident(word) = &token {
            words.push(word.to_ascii_lowercase());
        }
        if !copy_component(parser, token, &mut value, &mut writer, cx, depth) {
            return None;
        }
    }
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if name == "position"
        && !words
            .iter()
            .all(|w| matches!(w.as_str(), "static" | "relative" | "important"))
    {
        return None;
    }
    Some(format!("{name}:{value}"))
}

/// Writes tokens back, with an empty comment where two would otherwise run together
/// (as cssparser's own serialiser does).
#[derive(Default)]
struct TokenWriter {
    previous: Option<TokenSerializationType>,
}

impl TokenWriter {
    fn write(&mut self, out: &mut String, token: &Token<'_>, text: &str) {
        let kind = token.serialization_type();
        if let Some(previous) = self.previous {
            if previous.needs_separator_when_before(kind) {
                out.push_str("/**/");
            }
        }
        out.push_str(text);
        self.previous = Some(kind);
    }

    fn reset(&mut self) {
        self.previous = None;
    }
}

/// Copies one component value (a token, or a function or block with its contents) to
/// `out` if the policy allows it; false when it does not, and the whole declaration or
/// rule is dropped.
fn copy_component(
    parser: &mut Parser<'_>,
    token: Token<'_>,
    out: &mut String,
    writer: &mut TokenWriter,
    cx: &mut CssContext<'_>,
    depth: u8,
) -> bool {
    if depth > MAX_CSS_DEPTH {
        return false;
    }
    match &token {
        Token::WhiteSpace(_) => {
            out.push(' ');
            writer.reset();
            true
        }
        Token::Comment(_) => true,
        Token::Ident(text) | Token::Hash(text) | Token::IDHash(text) => {
            if text.contains(['<', '\\']) {
                return false;
            }
            writer.write(out, &token, &token.to_css_string());
            true
        }
        Token::QuotedString(text) => {
            writer.write(out, &token, &css_string(text));
            true
        }
        Token::UnquotedUrl(url) => match safe_url(url, cx.place, cx.images, cx.findings) {
            Some(url) => {
                writer.write(out, &token, &format!("url({})", css_string(&url)));
                true
            }
            None => false,
        },
        Token::Function(name) => {
            let name = name.to_ascii_lowercase();
            if name == "url" {
                return quoted_url(parser, &token, out, writer, cx);
            }
            if !cx.functions.contains(&name.as_str()) {
                return false;
            }
            writer.write(out, &token, &format!("{name}("));
            let ok = nested_components(parser, out, cx, depth);
            out.push(')');
            writer.reset();
            ok
        }
        Token::ParenthesisBlock | Token::SquareBracketBlock => {
            let (open, close) = if matches!(token, Token::ParenthesisBlock) {
                ('(', ')')
            } else {
                ('[', ']')
            };
            out.push(open);
            writer.reset();
            let ok = nested_components(parser, out, cx, depth);
            out.push(close);
            writer.reset();
            ok
        }
        Token::Delim(c) => {
            if matches!(c, '<' | '\\' | '@') {
                return false;
            }
            writer.write(out, &token, &token.to_css_string());
            true
        }
        Token::Number { .. }
        | Token::Percentage { .. }
        | Token::Dimension { .. }
        | Token::Colon
        | Token::Comma
        | Token::IncludeMatch
        | Token::DashMatch
        | Token::PrefixMatch
        | Token::SuffixMatch
        | Token::SubstringMatch => {
            if let Token::Dimension { unit, .. } = &token {
                if unit.contains(['<', '\\']) {
                    return false;
                }
            }
            writer.write(out, &token, &token.to_css_string());
            true
        }
        // Blocks in values, at-keywords, bad strings and URLs, stray closers, CDO/CDC.
        _ => false,
    }
}

fn nested_components(
    parser: &mut Parser<'_>,
    out: &mut String,
    cx: &mut CssContext<'_>,
    depth: u8,
) -> bool {
    let mut ok = true;
    let result = parser.parse_nested_block(|p| {
        let mut writer = TokenWriter::default();
        while let Ok(token) = p.next_including_whitespace() {
            let token = token.clone();
            if !copy_component(p, token, out, &mut writer, cx, depth + 1) {
                ok = false;
            }
        }
        Ok::<_, ParseError<()>>(())
    });
    ok && result.is_ok()
}

/// `url("...")`: one string and nothing else.
fn quoted_url(
    parser: &mut Parser<'_>,
    token: &Token<'_>,
    out: &mut String,
    writer: &mut TokenWriter,
    cx: &mut CssContext<'_>,
) -> bool {
    let url = parser.parse_nested_block(|p| {
        let url = p.expect_string()?.as_ref().to_owned();
        p.expect_exhausted()?;
        Ok::<_, ParseError<()>>(url)
    });
    let Ok(url) = url else { return false };
    match safe_url(&url, cx.place, cx.images, cx.findings) {
        Some(url) => {
            writer.write(out, token, &format!("url({})", css_string(&url)));
            writer.reset();
            true
        }
        None => false,
    }
}

/// A CSS string literal; `<` is escaped so the text can never close its `<style>`.
fn css_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '<' => out.push_str("\\3c "),
            '\n' => out.push_str("\\a "),
            '\0' => out.push('\u{fffd}'),
            c if c.is_control() => {
                let _ = write!(out, "\\{:x} ", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn clean(html: &str) -> String {
        sanitize(html).html
    }

    /// The text of every tag in sanitised HTML: each `<` there starts one.
    fn tags(html: &str) -> Vec<&str> {
        html.split('<')
            .skip(1)
            .map(|t| t.split('>').next().unwrap_or(t))
            .collect()
    }
    /// Every distinct `href` in sanitised HTML.
    fn link_targets(safe: &str) -> HashSet<String> {
        let mut out = HashSet::new();
        let mut rest = safe;
        while let Some(at) = rest.find("href=\"") {
            let after = &rest[at + 6..];
            let end = after.find('"').unwrap_or(after.len());
            out.insert(after[..end].replace("&amp;", "&"));
            rest = &after[end..];
        }
        out
    }

    #[test]
    fn scripts_handlers_and_active_elements_are_removed() {
        let out = clean(
            "<p onclick=\"x()\" onmouseover=x>hi<script>alert(1)</script></p>\
             <iframe src=\"https://e.test\"></iframe><object data=x></object><embed src=x>\
             <form action=\"https://e.test\"><input name=a><button>go</button></form>\
             <meta http-equiv=refresh content=\"0;url=https://e.test\"><base href=\"https://e.test/\">\
             <link rel=stylesheet href=\"https://e.test/a.css\">",
        );
        for tag in tags(&out) {
            for banned in [
                "script", "iframe", "object", "embed", "form", "input", "button", "meta", "base",
                "link",
            ] {
                assert!(
                    !tag.trim_start_matches('/').starts_with(banned),
                    "<{tag}> in {out}"
                );
            }
            assert!(!tag.contains(" on"), "<{tag}> in {out}");
        }
        assert!(!out.contains("e.test"), "{out}");
        assert!(out.contains("hi"));
    }

    #[test]
    fn svg_and_mathml_are_flattened_to_text() {
        let out = clean(
            "<svg onload=alert(1)><script>alert(2)</script><a xlink:href=\"javascript:alert(3)\">s</a>\
             <foreignObject><img src=x onerror=alert(4)></foreignObject><animate attributeName=href to=javascript:alert(6) /></svg>\
             <math><mtext><table><mglyph><style><img src=x onerror=alert(5)></style></mglyph></table></mtext></math>\
             <math href=\"javascript:alert(7)\"><mi xlink:href=\"javascript:alert(8)\">m</mi></math>",
        );
        assert!(!out.contains("alert(2)"), "{out}");
        for tag in tags(&out) {
            let tag = tag.to_ascii_lowercase();
            let name = tag
                .trim_start_matches('/')
                .split_whitespace()
                .next()
                .unwrap_or("");
            assert!(
                ![
                    "svg",
                    "math",
                    "animate",
                    "foreignobject",
                    "mglyph",
                    "mi",
                    "mtext",
                    "script"
                ]
                .contains(&name),
                "<{tag}> in {out}"
            );
            for banned in [" on", "javascript", "xlink"] {
                assert!(!tag.contains(banned), "<{tag}> in {out}");
            }
        }
    }

    #[test]
    fn links_keep_only_web_and_mail_targets() {
        let out = clean(
            "<a href=\"javascript:alert(1)\">a</a><a href=\"jav&#x09;ascript:alert(1)\">b</a>\
             <a href=\"data:text/html,<script>alert(1)</script>\">c</a><a href=\"vbscript:x\">d</a>\
             <a href=\"/relative\">e</a><a href=\"#top\">f</a><a href=\"file:///etc/passwd\">g</a>\
             <a href=\"https://ok.test/a?b=1&amp;c=2\" target=\"_blank\">h</a><a href=\"mailto:a@b.test\">i</a>",
        );
        assert_eq!(
            link_targets(&out),
            HashSet::from([
                "https://ok.test/a?b=1&c=2".to_owned(),
                "mailto:a@b.test".to_owned()
            ])
        );
        assert!(!out.contains("target"), "{out}");
        assert!(out.contains("rel=\"noopener noreferrer\""));
    }

    #[test]
    fn images_remote_inline_and_embedded() {
        let safe = sanitize(
            "<img src=\"https://t.test/p.gif\"><img src=\"cid:logo%40acme.test\">\
             <img src=\"data:image/png;base64,iVBORw0KGgo=\"><img src=\"data:image/svg+xml,<svg onload=alert(1)>\">\
             <img src=\"data:text/html,x\"><img src=\"javascript:alert(1)\">",
        );
        assert!(safe.remote_images);
        assert_eq!(
            safe.content_ids,
            BTreeSet::from(["logo@acme.test".to_owned()])
        );
        assert!(safe.html.contains("src=\"https://t.test/p.gif\""));
        assert!(safe.html.contains("data:image/png;base64,iVBORw0KGgo="));
        for banned in ["svg", "text/html", "javascript"] {
            assert!(!safe.html.contains(banned), "{banned} in {}", safe.html);
        }
        assert!(!sanitize("<img src=\"cid:x\"><p>hi</p>").remote_images);
    }

    #[test]
    fn cid_images_are_replaced_by_the_parts_given() {
        let images = HashMap::from([(
            "logo@acme.test".to_owned(),
            "data:image/png;base64,AAAA".to_owned(),
        )]);
        let safe = sanitize_with_images(
            "<img src=\"cid:logo@acme.test\"><table><tr><td background=\"cid:other\"></td></tr></table>\
             <div style=\"background-image:url(cid:logo@acme.test)\"></div>",
            &images,
        );
        assert_eq!(
            safe.html.matches("data:image/png;base64,AAAA").count(),
            2,
            "{}",
            safe.html
        );
        assert!(
            safe.html.contains("background=\"cid:other\""),
            "{}",
            safe.html
        );
        assert_eq!(
            safe.content_ids,
            BTreeSet::from(["logo@acme.test".to_owned(), "other".to_owned()])
        );
    }

    #[test]
    fn inline_styles_keep_layout_and_lose_what_loads_or_overlays() {
        let out = sanitize_declarations(
            "color: red; position: fixed; top: 0; z-index: 99999; \
             background: url(https://t.test/bg.png) no-repeat; behavior: url(x.htc); \
             -moz-binding: url(x.xml#y); width: expression(alert(1)); \
             background-image: image-set(\"https://t.test/x.png\" 1x); cursor: url(https://t.test/c.cur), auto; \
             margin: 0 auto; font-family: 'Helvetica Neue', Arial",
            UrlPlace::Element,
            &HashMap::new(),
            &mut Findings::default(),
        );
        assert_eq!(
            out,
            "color:red;top:0;background:url(\"https://t.test/bg.png\") no-repeat;margin:0 auto;\
             font-family:\"Helvetica Neue\", Arial"
        );
        let relative = sanitize_declarations(
            "position: relative; position: absolute",
            UrlPlace::Element,
            &HashMap::new(),
            &mut Findings::default(),
        );
        assert_eq!(relative, "position:relative");
    }

    #[test]
    fn css_escapes_do_not_smuggle_urls_or_functions() {
        for css in [
            "background: u\\72l(https://t.test/a.png)",
            "background: \\75 rl(https://t.test/a.png)",
            "width: expr\\65ssion(alert(1))",
            "background-image: url(\"java\\73 cript:alert(1)\")",
            "color: red\\;background:url(https://t.test/a.png)",
        ] {
            let mut findings = Findings::default();
            let out =
                sanitize_declarations(css, UrlPlace::Stylesheet, &HashMap::new(), &mut findings);
            assert!(
                !out.contains("t.test") && !out.contains("script") && !out.contains("alert"),
                "{css} -> {out}"
            );
            assert!(!findings.remote_images);
        }
    }

    #[test]
    fn stylesheets_cannot_load_anything_or_import() {
        let out = clean(
            "<style>@import url(https://t.test/a.css); @import 'https://t.test/b.css';\
             @font-face { font-family: x; src: url(https://t.test/f.woff) }\
             a[href^=\"https://secret\"] { background: url(https://t.test/leak) }\
             p { color: blue; background-image: url(https://t.test/bg.png) }\
             @media (max-width: 600px) { td { display: block !important; width: 100% } }\
             .x { position: absolute; top: 0 } </style><p class=\"x\">hi</p>",
        );
        assert!(!out.contains("t.test"), "{out}");
        assert!(
            !out.contains("@import") && !out.contains("font-face"),
            "{out}"
        );
        assert!(out.contains("p{color:blue}"), "{out}");
        assert!(
            out.contains("@media (max-width: 600px){td{display:block !important;width:100%}}"),
            "{out}"
        );
        assert!(!out.contains("absolute"), "{out}");
    }

    #[test]
    fn a_style_element_cannot_be_closed_from_inside() {
        let out = clean(
            "<style>p { font-family: \"</style><script>alert(1)</script>\" }</style>\
             <style>p::after { font-family: \"\\3c /style>\\3c img src=x onerror=alert(1)>\" }</style>",
        );
        // Only the four style tags: the escaped `<` stays escaped inside the CSS string.
        assert_eq!(tags(&out), ["style", "/style", "style", "/style"], "{out}");
        assert!(out.contains("\\3c /style>"), "{out}");
    }

    #[test]
    fn attribute_text_with_angle_brackets_is_dropped() {
        let out = clean("<p title=\"<style>x{}</style>\">a</p><img alt=\"a<b\" src=\"cid:x\">");
        assert_eq!(out.matches("<style>").count(), 0, "{out}");
        assert!(!out.contains("title") && !out.contains("alt="), "{out}");
    }

    #[test]
    fn deeply_nested_css_is_dropped_not_overflowing() {
        let css = format!(
            "p {{ width: {}1px{} }}",
            "calc(".repeat(5000),
            ")".repeat(5000)
        );
        let out = clean(&format!("<style>{css}</style><p style=\"{css}\">x</p>"));
        assert!(!out.contains("calc"), "{out}");
    }

    #[test]
    fn real_newsletter_markup_survives() {
        let out = clean(
            "<table width=\"600\" cellpadding=\"0\" bgcolor=\"#ffffff\" style=\"border-collapse:collapse\">\
             <tr><td align=\"center\" style=\"padding: 8px 16px; font: 14px/1.4 Arial, sans-serif\">\
             <a href=\"https://shop.test/sale?utm=1\" style=\"color:#0a66c2;text-decoration:none\">Sale</a>\
             </td></tr></table>",
        );
        assert!(out.contains("cellpadding=\"0\""), "{out}");
        assert!(
            out.contains("style=\"padding:8px 16px;font:14px/1.4 Arial, sans-serif\""),
            "{out}"
        );
        assert!(
            out.contains("href=\"https://shop.test/sale?utm=1\""),
            "{out}"
        );
    }
}
