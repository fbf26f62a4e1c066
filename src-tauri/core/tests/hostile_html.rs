//! The reader's sanitiser against the hostile corpus the end-to-end test renders
//! (`tests/e2e/hostile/`): after parsing as at sync and sanitising as on display, nothing in the HTML can run, load
//! a `/leak/` URL, or load anything before the user allows remote images; what is left
//! is stable under sanitising again.

mod common;

use std::{collections::HashMap, path::PathBuf};

use common::active_html;
use rapport_core::{mime::parse, safe_html};

const LEAK: &str = "http://127.0.0.1:9";

fn corpus() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/e2e/hostile");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "eml"))
        .collect();
    files.sort();
    assert!(files.len() >= 8, "the corpus is in {}", dir.display());
    files
        .into_iter()
        .map(|path| {
            let raw = std::fs::read_to_string(&path)
                .unwrap()
                .replace("{{LEAK}}", LEAK);
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            (name, raw)
        })
        .collect()
}

/// The HTML as the reader shows it: stored at sync as the sender wrote it, sanitised
/// when the message is opened.
fn stored_html(raw: &str) -> String {
    let stored = parse(raw.as_bytes(), None).html.unwrap_or_default();
    safe_html::sanitize(&stored).html
}

/// The tags of sanitised HTML (from `<` to the `>` outside quotes, lower-cased) and the
/// text of its stylesheets. Text between tags is escaped, so it cannot act; this is what can.
fn tags_and_stylesheets(html: &str) -> (Vec<String>, Vec<String>) {
    let bytes = html.as_bytes();
    let (mut tags, mut sheets) = (Vec::new(), Vec::new());
    let mut i = 0;
    while let Some(found) = html[i..].find('<') {
        let start = i + found + 1;
        let mut end = start;
        let mut quote = None;
        while end < bytes.len() {
            match (quote, bytes[end]) {
                (None, b'"' | b'\'') => quote = Some(bytes[end]),
                (Some(q), c) if c == q => quote = None,
                (None, b'>') => break,
                _ => {}
            }
            end += 1;
        }
        let tag = html[start..end.min(bytes.len())].to_ascii_lowercase();
        i = (end + 1).min(bytes.len());
        if tag == "style" {
            let css_end = html[i..].find("</style").map_or(bytes.len(), |at| i + at);
            sheets.push(html[i..css_end].to_owned());
            i = css_end;
        }
        tags.push(tag);
    }
    (tags, sheets)
}

#[test]
fn nothing_in_the_corpus_can_run_after_sanitising() {
    for (name, raw) in corpus() {
        let html = stored_html(&raw);
        assert!(!html.is_empty(), "{name}: the HTML part is kept");
        if let Some(reason) = active_html(&html) {
            panic!("{name}: {reason} survived in {html}");
        }
        let (tags, sheets) = tags_and_stylesheets(&html);
        for tag in &tags {
            let element = tag
                .trim_start_matches('/')
                .split_whitespace()
                .next()
                .unwrap_or("");
            assert!(
                [
                    "p", "a", "img", "div", "span", "table", "tbody", "tr", "td", "details",
                    "summary", "style", "br", "b", "i", "font", "center"
                ]
                .contains(&element),
                "{name}: <{tag}> survived"
            );
            for banned in [
                "javascript:",
                "vbscript:",
                "data:text",
                "data:image/svg",
                "srcset",
                "ping=",
                "target=",
                "formaction",
                "poster",
                "lowsrc",
                "dynsrc",
                "xlink",
                "/leak/",
            ] {
                assert!(!tag.contains(banned), "{name}: {banned} in <{tag}>");
            }
            assert!(
                !tag.split_whitespace()
                    .skip(1)
                    .any(|attr| attr.starts_with("on")),
                "{name}: event handler in <{tag}>"
            );
        }
        for sheet in sheets {
            assert!(
                !sheet.contains('<') && !sheet.contains("url("),
                "{name}: stylesheet {sheet}"
            );
        }
    }
}

#[test]
fn nothing_loads_but_images_and_only_images_the_user_may_allow() {
    for (name, raw) in corpus() {
        let html = stored_html(&raw);
        let (tags, _) = tags_and_stylesheets(&html);
        for tag in tags.iter().filter(|tag| tag.contains("127.0.0.1")) {
            let is_image = tag.starts_with("img ")
                || tag.starts_with("td ")
                || tag.contains("background-image:url(");
            let is_link = tag.starts_with("a ");
            assert!(
                (is_image && tag.contains("/img/")) || (is_link && tag.contains("/link/")),
                "{name}: <{tag}> points at the server as something other than an image or link"
            );
        }
        let safe = safe_html::sanitize(&html);
        assert_eq!(
            safe.remote_images,
            name == "06-images",
            "{name}: remote images reported as {}",
            safe.remote_images
        );
        // Stored mail is sanitised once more when read: it must come out the same.
        assert_eq!(safe.html, html, "{name}: sanitising is not stable");
    }
}

#[test]
fn stylesheets_in_the_corpus_keep_no_import_font_or_url() {
    let (_, raw) = corpus()
        .into_iter()
        .find(|(name, _)| name == "04-css")
        .unwrap();
    let html = stored_html(&raw);
    let style = html
        .split("<style>")
        .nth(1)
        .and_then(|rest| rest.split("</style>").next())
        .unwrap_or_default();
    for banned in [
        "@import",
        "@font-face",
        "url(",
        "image-set",
        "expression",
        "behavior",
        "binding",
        "cursor",
        "content",
    ] {
        assert!(
            !style.contains(banned),
            "{banned} in the stylesheet {style}"
        );
    }
    assert!(
        !html.contains("position:fixed") && !html.contains("position:absolute"),
        "{html}"
    );
    assert!(
        !html.contains("z-index") && !html.contains("transform"),
        "{html}"
    );
    assert!(
        html.contains("FAKE OVERLAY"),
        "the text stays, only its styling goes"
    );
}

#[test]
fn links_keep_their_real_targets_and_nothing_else() {
    let (_, raw) = corpus()
        .into_iter()
        .find(|(name, _)| name == "02-links")
        .unwrap();
    let html = stored_html(&raw);
    let targets: Vec<&str> = html
        .split("href=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap_or(rest))
        .collect();
    assert_eq!(
        targets,
        [
            "http://127.0.0.1:9/link/landing?from=mail",
            "http://127.0.0.1:9/link/with-target",
            "http://127.0.0.1:9/link/ping",
            "mailto:ceo@firma.cz",
        ]
    );
    assert!(html.contains("class=\"deceptive\""), "{html}");
}

#[test]
fn inline_images_resolve_to_the_parts_given_and_the_rest_stay_blocked() {
    let (_, raw) = corpus()
        .into_iter()
        .find(|(name, _)| name == "08-inline")
        .unwrap();
    let parsed = parse(raw.as_bytes(), None);
    let html = parsed.html.unwrap();
    let safe = safe_html::sanitize(&html);
    assert!(!safe.remote_images);
    assert_eq!(
        safe.content_ids
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        ["logo.2x2@hostile.test", "missing@hostile.test"]
    );
    let logo = parsed
        .attachments
        .iter()
        .find(|a| a.content_id.as_deref() == Some("logo.2x2@hostile.test"))
        .expect("the logo part");
    assert!(logo.is_inline && logo.mime_type == "image/png");
    let images = HashMap::from([(
        "logo.2x2@hostile.test".to_owned(),
        "data:image/png;base64,iVBORw0KGgo=".to_owned(),
    )]);
    let shown = safe_html::sanitize_with_images(&html, &images).html;
    assert!(
        shown.contains("src=\"data:image/png;base64,iVBORw0KGgo=\""),
        "{shown}"
    );
    assert!(
        shown.contains("src=\"cid:missing@hostile.test\""),
        "{shown}"
    );
}
