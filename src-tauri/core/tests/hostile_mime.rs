//! Hostile MIME, generated: parsing never panics or overflows the stack, and storing any
//! batch of such messages never fails and never loses or duplicates one. This stands in
//! for a cargo-fuzz target, which needs a nightly toolchain.
//!
//! `PROPTEST_CASES` sets the cases per property (256 by default): `make test` runs a few,
//! `make fuzz` many. Failures are not persisted to files; a failing input is printed, and
//! belongs in `tests/fixtures/` once understood.

mod common;

use common::{active_html, base64};
use std::sync::atomic::{AtomicU32, Ordering};

use proptest::{
    prelude::*,
    sample::{select, Index},
    test_runner::{TestCaseError, TestRunner},
};
use rapport_core::{
    mime::parse,
    store::{BatchContext, FetchedMessage, MessageFlags},
    Store,
};

const INTERNAL_DATE: i64 = 1_774_000_000;

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    ProptestConfig {
        cases,
        failure_persistence: None,
        max_shrink_iters: 2048,
        ..ProptestConfig::default()
    }
}

/// Raw message bytes, printed as an escaped byte string when a case fails.
#[derive(Clone)]
struct Raw(Vec<u8>);

impl std::fmt::Debug for Raw {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "b\"{}\"", self.0.escape_ascii())
    }
}

// ------------------------------------------------------------------ generators

const HEADER_NAMES: &[&str] = &[
    "From",
    "To",
    "Cc",
    "Bcc",
    "Reply-To",
    "Sender",
    "Subject",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Content-Type",
    "Content-Transfer-Encoding",
    "Content-Disposition",
    "Content-ID",
    "MIME-Version",
    "List-Id",
    "List-Unsubscribe",
    "Precedence",
    "Auto-Submitted",
    "Resent-Date",
    "Received",
    "Return-Path",
    "X-Mailer",
];

const CONTENT_TYPES: &[&str] = &[
    "text/plain",
    "text/html",
    "text/calendar; method=REQUEST",
    "text/enriched",
    "application/octet-stream",
    "application/pdf",
    "application/ms-tnef",
    "image/png",
    "message/delivery-status",
    "text/rfc822-headers",
    "application/pgp-signature",
    "application/pkcs7-mime; smime-type=signed-data",
    "message/rfc822",
    "message/global",
    "multipart/mixed",
    "text",
    "/",
    "",
    "x-unknown/x-unknown",
];

const CHARSETS: &[&str] = &[
    "utf-8",
    "UTF-8",
    "us-ascii",
    "iso-8859-1",
    "iso-8859-2",
    "windows-1250",
    "windows-1252",
    "koi8-u",
    "koi8-r",
    "utf-7",
    "utf-16",
    "utf-16le",
    "shift_jis",
    "gb2312",
    "x-bogus",
    "",
];

const TRANSFER_ENCODINGS: &[&str] = &[
    "7bit",
    "8bit",
    "binary",
    "base64",
    "BASE64",
    "quoted-printable",
    "x-uuencode",
    "x-gzip64",
    "",
    "bogus",
];

const MULTIPART_TYPES: &[&str] = &[
    "multipart/mixed",
    "multipart/alternative",
    "multipart/related; type=\"text/html\"",
    "multipart/signed; protocol=\"application/pgp-signature\"; micalg=pgp-sha256",
    "multipart/report; report-type=delivery-status",
    "multipart/digest",
    "multipart/encrypted; protocol=\"application/pgp-encrypted\"",
    "multipart/x-unknown",
];

/// Few, short boundaries so that parents and children often share one by accident.
const COMMON_BOUNDARIES: &[&str] = &["b", "SAME", "=_b", "----=_Part_0", "b-", "b--"];

const HOSTILE_HTML: &[&str] = &[
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
    "<iframe src=\"https://evil.example/\"></iframe>",
    "<svg onload=alert(1)>",
    "<form action=\"https://evil.example/\"><input name=pw></form>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<body onload=alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<p>plain words</p>",
    "<!--",
    "</",
];

fn some_bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..max)
}

fn ascii(pattern: &'static str) -> BoxedStrategy<Vec<u8>> {
    pattern.prop_map(String::into_bytes).boxed()
}

fn encoded_word() -> BoxedStrategy<Vec<u8>> {
    ascii(
        "=\\?(utf-8|UTF-8|iso-8859-2|windows-1250|koi8-u|utf-7|x-bogus|)(\\*cs)?\\?[BbQqX]?\\?\
         [!-~]{0,30}(\\?=)?( =\\?utf-8\\?[bq]\\?[!-~]{0,10}\\?=){0,2}",
    )
}

fn address() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        ascii("[a-zA-Z0-9._+-]{0,12}@[a-zA-Z0-9.-]{0,12}"),
        ascii("\"?[ -~]{0,16}\"? <[a-zA-Z0-9._+-]{0,10}@[a-zA-Z0-9.-]{0,10}>"),
        (encoded_word(), ascii(" <[a-z]{1,8}@[a-z]{1,8}\\.example>"))
            .prop_map(|(name, addr)| [name, addr].concat()),
        (some_bytes(12), ascii(" <[a-z]{1,8}@[a-z]{1,8}\\.example>"))
            .prop_map(|(name, addr)| [name, addr].concat()),
        ascii("[a-zA-Z ]{1,10}:( [a-z]{1,5}@[a-z]{1,5}\\.cz,?){0,3};"),
        ascii("(<>|@@|<<>>|\\(comment \\(nested\\)\\)|undisclosed-recipients:;)"),
    ]
    .boxed()
}

fn message_id() -> BoxedStrategy<Vec<u8>> {
    // A small pool, spelled several ways, so batches hold the same message twice.
    prop_oneof![
        ascii("<id-[0-4]@pool\\.example>"),
        ascii(" {0,2}<? {0,2}ID-[0-4]@POOL\\.example {0,2}>? {0,2}"),
        ascii("<[a-z0-9.]{0,20}@[a-z0-9.]{0,10}>"),
        some_bytes(30),
    ]
    .boxed()
}

fn header_value() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        3 => ascii("[ -~]{0,60}"),
        2 => encoded_word(),
        2 => prop::collection::vec(address(), 0..5).prop_map(|list| list.join(&b", "[..])),
        1 => message_id(),
        1 => ascii("(Mon|Sun|Xyz), [0-9]{1,2} (Jan|Feb|Foo) [0-9]{1,6} [0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2} [+-][0-9]{1,4}"),
        // Anything, CR, LF and NUL included: a value that breaks out of its line.
        2 => some_bytes(60),
        1 => ascii("[ -~]{0,30}(\r\n[ \t][ -~]{0,30}){1,4}"),
        1 => Just(Vec::new()),
    ]
    .boxed()
}

fn header_line() -> BoxedStrategy<Vec<u8>> {
    let name = prop_oneof![
        6 => select(HEADER_NAMES).prop_map(|n| n.as_bytes().to_vec()),
        1 => ascii("[!-9;-~]{1,20}"),
        1 => some_bytes(12),
    ];
    (name, header_value())
        .prop_map(|(name, value)| [name, b": ".to_vec(), value, b"\r\n".to_vec()].concat())
        .boxed()
}

fn body() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        3 => some_bytes(300),
        3 => ascii("([ -~]{0,70}\r\n){0,8}"),
        2 => some_bytes(200).prop_map(|data| base64(&data).into_bytes()),
        1 => ascii("[A-Za-z0-9+/=!@#\r\n]{0,200}"),
        1 => ascii("([ -~]|=[0-9A-Fa-fZ]{0,2}|=\r\n){0,80}"),
        2 => prop::collection::vec(select(HOSTILE_HTML), 0..6).prop_map(|parts| parts.concat().into_bytes()),
        1 => ascii("begin 644 [a-z]{1,8}\\.txt\r\n([!-`]{0,61}\r\n){0,4}`\r\nend\r\n"),
    ]
    .boxed()
}

fn content_type() -> BoxedStrategy<Vec<u8>> {
    let params = prop::collection::vec(
        prop_oneof![
            select(CHARSETS).prop_map(|c| format!("charset=\"{c}\"").into_bytes()),
            ascii("name=\"[ -!#-~]{0,20}\""),
            ascii("name\\*=(utf-8|UTF-8|iso-8859-1)'[a-z]{0,2}'[A-Za-z0-9%]{0,30}"),
            ascii("name\\*[0-3]\\*?=\"?[A-Za-z0-9%.]{0,12}\"?"),
            (encoded_word()).prop_map(|w| [b"name=\"".to_vec(), w, b"\"".to_vec()].concat()),
            some_bytes(16).prop_map(|b| [b"name=\"".to_vec(), b, b"\"".to_vec()].concat()),
            ascii("(boundary=\"?[ -~]{0,20}\"?|method=REQUEST|format=flowed|;;|=)"),
        ],
        0..3,
    );
    (select(CONTENT_TYPES), params)
        .prop_map(|(ctype, params)| {
            let mut value = ctype.as_bytes().to_vec();
            for param in params {
                value.extend_from_slice(b"; ");
                value.extend(param);
            }
            value
        })
        .boxed()
}

/// A leaf part: its header block, a blank line, a body.
fn leaf_part() -> BoxedStrategy<Vec<u8>> {
    (
        prop::option::weighted(0.85, content_type()),
        prop::option::of(select(TRANSFER_ENCODINGS)),
        prop::option::of(ascii(
            "(inline|attachment|x-bogus|)(; filename=\"[ -!#-~]{0,20}\"|; filename\\*=utf-8''[A-Za-z%0-9]{0,20}|; size=[0-9]{1,12})?",
        )),
        prop::option::of(ascii("<[!-~]{0,20}>")),
        prop::collection::vec(header_line(), 0..2),
        body(),
    )
        .prop_map(|(ctype, encoding, disposition, content_id, extra, body)| {
            let mut part = Vec::new();
            if let Some(ctype) = ctype {
                part.extend_from_slice(b"Content-Type: ");
                part.extend(ctype);
                part.extend_from_slice(b"\r\n");
            }
            if let Some(encoding) = encoding {
                part.extend_from_slice(format!("Content-Transfer-Encoding: {encoding}\r\n").as_bytes());
            }
            if let Some(disposition) = disposition {
                part.extend_from_slice(b"Content-Disposition: ");
                part.extend(disposition);
                part.extend_from_slice(b"\r\n");
            }
            if let Some(id) = content_id {
                part.extend_from_slice(b"Content-ID: ");
                part.extend(id);
                part.extend_from_slice(b"\r\n");
            }
            part.extend(extra.concat());
            part.extend_from_slice(b"\r\n");
            part.extend(body);
            part
        })
        .boxed()
}

fn boundary() -> BoxedStrategy<String> {
    prop_oneof![
        3 => select(COMMON_BOUNDARIES).prop_map(str::to_owned),
        2 => "[0-9A-Za-z'()+_,./:=? -]{1,70}",
        1 => Just(String::new()),
    ]
    .boxed()
}

/// How a multipart is broken, if it is.
#[derive(Debug, Clone, Copy)]
enum BoundaryFault {
    None,
    /// The parts are delimited by another boundary than the one declared.
    WrongDelimiter,
    /// The closing delimiter is missing.
    NoClose,
    /// The boundary parameter is missing.
    NoParameter,
    /// Delimiters without the line break before them.
    NoLineBreaks,
}

fn boundary_fault() -> impl Strategy<Value = BoundaryFault> {
    prop_oneof![
        6 => Just(BoundaryFault::None),
        1 => Just(BoundaryFault::WrongDelimiter),
        1 => Just(BoundaryFault::NoClose),
        1 => Just(BoundaryFault::NoParameter),
        1 => Just(BoundaryFault::NoLineBreaks),
    ]
}

fn multipart(
    ctype: &str,
    boundary: &str,
    fault: BoundaryFault,
    children: &[Vec<u8>],
    preamble: &[u8],
) -> Vec<u8> {
    let mut part = Vec::new();
    match fault {
        BoundaryFault::NoParameter => {
            part.extend_from_slice(format!("Content-Type: {ctype}\r\n\r\n").as_bytes())
        }
        _ => part.extend_from_slice(
            format!("Content-Type: {ctype}; boundary=\"{boundary}\"\r\n\r\n").as_bytes(),
        ),
    }
    part.extend_from_slice(preamble);
    let delimiter = match fault {
        BoundaryFault::WrongDelimiter => format!("{boundary}x"),
        _ => boundary.to_owned(),
    };
    let line_break: &[u8] = match fault {
        BoundaryFault::NoLineBreaks => b"",
        _ => b"\r\n",
    };
    for child in children {
        part.extend_from_slice(line_break);
        part.extend_from_slice(format!("--{delimiter}\r\n").as_bytes());
        part.extend_from_slice(child);
    }
    if !matches!(fault, BoundaryFault::NoClose) {
        part.extend_from_slice(line_break);
        part.extend_from_slice(format!("--{delimiter}--\r\n").as_bytes());
    }
    part
}

/// A message/rfc822 part around `inner`, which gets message headers of its own; base64
/// when `encoded` (mail-parser then parses it as a separate message).
fn message_part(inner: &[u8], headers: &[Vec<u8>], encoded: bool) -> Vec<u8> {
    let enclosed = [headers.concat(), inner.to_vec()].concat();
    if encoded {
        [
            b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n".to_vec(),
            base64(&enclosed).into_bytes(),
            b"\r\n".to_vec(),
        ]
        .concat()
    } else {
        [b"Content-Type: message/rfc822\r\n\r\n".to_vec(), enclosed].concat()
    }
}

/// A tree of parts a few levels deep: multiparts with odd or broken boundaries, leaves in
/// every encoding, messages inside messages.
fn part_tree() -> BoxedStrategy<Vec<u8>> {
    leaf_part()
        .prop_recursive(5, 40, 4, |inner| {
            prop_oneof![
                3 => (
                    select(MULTIPART_TYPES),
                    boundary(),
                    boundary_fault(),
                    prop::collection::vec(inner.clone(), 0..4),
                    prop_oneof![Just(Vec::new()), ascii("[ -~]{0,40}\r\n")],
                )
                    .prop_map(|(ctype, boundary, fault, children, preamble)| {
                        multipart(ctype, &boundary, fault, &children, &preamble)
                    }),
                1 => (inner, prop::collection::vec(header_line(), 0..4), any::<bool>())
                    .prop_map(|(inner, headers, encoded)| message_part(&inner, &headers, encoded)),
            ]
        })
        .boxed()
}

#[derive(Debug, Clone, Copy)]
enum LineEnding {
    Crlf,
    Lf,
    Cr,
    Mixed(u64),
}

fn line_ending() -> impl Strategy<Value = LineEnding> {
    prop_oneof![
        4 => Just(LineEnding::Crlf),
        2 => Just(LineEnding::Lf),
        1 => Just(LineEnding::Cr),
        2 => any::<u64>().prop_map(LineEnding::Mixed),
    ]
}

fn with_line_endings(raw: &[u8], ending: LineEnding) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut line = 0u32;
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'\r' && raw.get(i + 1) == Some(&b'\n') {
            let choice = match ending {
                LineEnding::Crlf => 0,
                LineEnding::Lf => 1,
                LineEnding::Cr => 2,
                LineEnding::Mixed(seed) => (seed.rotate_left(line % 64) % 3) as u8,
            };
            out.extend_from_slice([&b"\r\n"[..], b"\n", b"\r"][choice as usize]);
            line += 1;
            i += 2;
        } else {
            out.push(raw[i]);
            i += 1;
        }
    }
    out
}

fn hostile_message() -> BoxedStrategy<Raw> {
    (
        prop::option::weighted(0.7, message_id()),
        prop::option::weighted(
            0.8,
            ascii("[A-Za-z ]{0,10} <[a-z]{1,8}@[a-z]{1,8}\\.example>"),
        ),
        prop::option::weighted(0.7, header_value()),
        prop::collection::vec(header_line(), 0..8),
        part_tree(),
        line_ending(),
    )
        .prop_map(|(id, from, subject, headers, part, ending)| {
            let mut raw = Vec::new();
            if let Some(from) = from {
                raw.extend([b"From: ".to_vec(), from, b"\r\n".to_vec()].concat());
            }
            if let Some(subject) = subject {
                raw.extend([b"Subject: ".to_vec(), subject, b"\r\n".to_vec()].concat());
            }
            if let Some(id) = id {
                raw.extend([b"Message-ID: ".to_vec(), id, b"\r\n".to_vec()].concat());
            }
            raw.extend(headers.concat());
            raw.extend_from_slice(b"MIME-Version: 1.0\r\n");
            raw.extend(part);
            Raw(with_line_endings(&raw, ending))
        })
        .boxed()
}

/// A well-formed message of the usual shapes, for truncation.
fn well_formed_message() -> Vec<u8> {
    let ics = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nSUMMARY:Review\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    format!(
        "From: =?UTF-8?Q?Ji=C5=99=C3=AD?= <jiri@acme.example>\r\n\
         To: Alice <alice@rapport.test>, \"Bob, B.\" <bob@acme.example>\r\n\
         Subject: =?UTF-8?B?TmFiw61ka2E=?= and more\r\n\
         Date: Tue, 10 Nov 2026 09:30:00 +0100\r\n\
         Message-ID: <well-formed@acme.example>\r\n\
         References: <a@acme.example> <b@acme.example>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n\
         preamble\r\n\
         --outer\r\nContent-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n\
         --alt\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
         D=C4=9Bkuji, pos=C3=ADl=C3=A1me podklady.\r\n\
         --alt\r\nContent-Type: multipart/related; boundary=\"rel\"\r\n\r\n\
         --rel\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p onclick=x()>D&#283;kuji <img src=\"cid:logo@acme\"></p>\r\n\
         --rel\r\nContent-Type: image/png\r\nContent-ID: <logo@acme>\r\nContent-Disposition: inline\r\nContent-Transfer-Encoding: base64\r\n\r\n\
         iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==\r\n\
         --rel--\r\n\
         --alt\r\nContent-Type: text/calendar; method=REQUEST; charset=utf-8\r\n\r\n{ics}\
         --alt--\r\n\
         --outer\r\nContent-Type: application/pdf; name*0*=UTF-8''Nab%C3%ADdka; name*1=\".pdf\"\r\n\
         Content-Disposition: attachment; filename*=UTF-8''Nab%C3%ADdka.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n\
         JVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFIvRmlsdGVyIC9GbGF0ZURlY29kZT4+\r\n\
         --outer\r\nContent-Type: message/rfc822\r\n\r\n\
         From: orig@acme.example\r\nSubject: original\r\nContent-Type: multipart/mixed; boundary=\"inner\"\r\n\r\n\
         --inner\r\nContent-Type: text/plain\r\n\r\nthe original\r\n--inner--\r\n\
         --outer--\r\nepilogue\r\n"
    )
    .into_bytes()
}

fn fixtures() -> &'static [Vec<u8>] {
    static FIXTURES: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    FIXTURES.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .expect("fixtures folder")
            .map(|e| e.expect("fixture").path())
            .collect();
        paths.sort();
        paths
            .iter()
            .map(|p| std::fs::read(p).expect("fixture"))
            // The huge ones only slow mutation down; their shapes are tested in corpus.rs.
            .filter(|raw| raw.len() < 20_000)
            .collect()
    })
}

/// A prefix of a well-formed or hostile message: a connection cut mid-FETCH, a server
/// that stored half a message.
fn truncated_message() -> BoxedStrategy<Raw> {
    let whole = prop_oneof![
        Just(well_formed_message()),
        hostile_message().prop_map(|raw| raw.0),
        any::<Index>().prop_map(|i| i.get(fixtures()).clone()),
    ];
    (whole, any::<Index>())
        .prop_map(|(raw, cut)| Raw(raw[..cut.index(raw.len() + 1)].to_vec()))
        .boxed()
}

#[derive(Debug, Clone)]
enum Mutation {
    Set(Index, u8),
    Insert(Index, Vec<u8>),
    Remove(Index, u8),
    Duplicate(Index, u16),
}

/// Bytes that mean something to a MIME parser, for insertion at random places.
const SYNTAX_BYTES: &[&[u8]] = &[
    b"\r\n",
    b"\r\n\r\n",
    b"--",
    b"=?",
    b"?=",
    b"\"",
    b"<",
    b">",
    b";",
    b"\0",
    b"\xff",
];

/// A fixture or the well-formed message with a few bytes changed, inserted or removed.
fn mutated_message() -> BoxedStrategy<Raw> {
    let seed = prop_oneof![
        1 => Just(well_formed_message()),
        4 => any::<Index>().prop_map(|i| i.get(fixtures()).clone()),
    ];
    let mutation = prop_oneof![
        (any::<Index>(), any::<u8>()).prop_map(|(at, b)| Mutation::Set(at, b)),
        (
            any::<Index>(),
            prop_oneof![some_bytes(8), select(SYNTAX_BYTES).prop_map(<[u8]>::to_vec),]
        )
            .prop_map(|(at, bytes)| Mutation::Insert(at, bytes)),
        (any::<Index>(), 1..64u8).prop_map(|(at, n)| Mutation::Remove(at, n)),
        (any::<Index>(), 1..2000u16).prop_map(|(at, n)| Mutation::Duplicate(at, n)),
    ];
    (seed, prop::collection::vec(mutation, 1..8))
        .prop_map(|(mut raw, mutations)| {
            for mutation in mutations {
                match mutation {
                    Mutation::Set(at, b) if !raw.is_empty() => {
                        let i = at.index(raw.len());
                        raw[i] = b;
                    }
                    Mutation::Set(..) => {}
                    Mutation::Insert(at, bytes) => {
                        let i = at.index(raw.len() + 1);
                        raw.splice(i..i, bytes);
                    }
                    Mutation::Remove(at, n) => {
                        let i = at.index(raw.len() + 1);
                        let end = (i + n as usize).min(raw.len());
                        raw.drain(i..end);
                    }
                    Mutation::Duplicate(at, n) => {
                        let i = at.index(raw.len() + 1);
                        let end = (i + n as usize).min(raw.len());
                        let copy = raw[i..end].to_vec();
                        raw.splice(i..i, copy);
                    }
                }
            }
            Raw(raw)
        })
        .boxed()
}

/// One level of a deep chain of containers.
#[derive(Debug, Clone)]
enum Level {
    Multipart { boundary: usize, closed: bool },
    Message,
}

/// Containers nested hundreds to thousands deep, boundaries reused between levels.
fn deep_message() -> BoxedStrategy<Raw> {
    let level = prop_oneof![
        4 => (0..COMMON_BOUNDARIES.len(), prop::bool::weighted(0.9))
            .prop_map(|(boundary, closed)| Level::Multipart { boundary, closed }),
        1 => Just(Level::Message),
    ];
    (prop::collection::vec(level, 0..3000), leaf_part())
        .prop_map(|(levels, leaf)| {
            let mut raw = b"From: deep@nest.example\r\nSubject: deep\r\n".to_vec();
            for level in &levels {
                match level {
                    Level::Multipart { boundary, .. } => {
                        let b = COMMON_BOUNDARIES[*boundary];
                        raw.extend(
                            format!(
                                "Content-Type: multipart/mixed; boundary=\"{b}\"\r\n\r\n--{b}\r\n"
                            )
                            .bytes(),
                        );
                    }
                    Level::Message => raw.extend_from_slice(
                        b"Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n",
                    ),
                }
            }
            raw.extend(leaf);
            for level in levels.iter().rev() {
                if let Level::Multipart {
                    boundary,
                    closed: true,
                } = level
                {
                    raw.extend(format!("\r\n--{}--\r\n", COMMON_BOUNDARIES[*boundary]).bytes());
                }
            }
            Raw(raw)
        })
        .boxed()
}

fn any_hostile_message() -> BoxedStrategy<Raw> {
    prop_oneof![
        4 => hostile_message(),
        2 => truncated_message(),
        2 => mutated_message(),
        1 => deep_message(),
    ]
    .boxed()
}

// ------------------------------------------------------------------ properties

/// What must hold for any input: no panic or stack overflow (a test failure, or the test
/// process dying), the size and key as documented, the same result every time (the key
/// is what dedups), part ids the store can keep apart, no script left in the HTML.
fn check_parsed(raw: &[u8]) -> Result<(), TestCaseError> {
    let parsed = parse(raw, Some(INTERNAL_DATE));
    prop_assert_eq!(parsed.size, raw.len() as i64);
    match &parsed.message_id {
        Some(id) => prop_assert_eq!(&parsed.dedup_key, id),
        None => prop_assert!(
            parsed.dedup_key.starts_with("sha256:"),
            "key {}",
            parsed.dedup_key
        ),
    }
    prop_assert_eq!(
        &parse(raw, Some(INTERNAL_DATE)),
        &parsed,
        "parsing is deterministic"
    );
    let mut part_ids = std::collections::HashSet::new();
    for attachment in &parsed.attachments {
        prop_assert!(
            part_ids.insert(attachment.part_id.as_str()),
            "part id {} used twice: {:?}",
            attachment.part_id,
            parsed.attachments
        );
    }
    // Stored as sent; what the reader shows is sanitised on the way out.
    if let Some(html) = &parsed.html {
        let shown = rapport_core::safe_html::sanitize(html).html;
        prop_assert_eq!(active_html(&shown), None, "sanitised HTML: {}", shown);
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn generated_mime_parses_without_panic(raw in hostile_message()) {
        check_parsed(&raw.0)?;
    }

    #[test]
    fn truncated_messages_parse_without_panic(raw in truncated_message()) {
        check_parsed(&raw.0)?;
    }

    #[test]
    fn mutated_fixtures_parse_without_panic(raw in mutated_message()) {
        check_parsed(&raw.0)?;
    }

    #[test]
    fn deeply_nested_containers_parse_without_overflow(raw in deep_message()) {
        check_parsed(&raw.0)?;
    }

    #[test]
    fn arbitrary_bytes_parse_without_panic(raw in some_bytes(2000)) {
        check_parsed(&raw)?;
    }
}

// ------------------------------------------------------------------ storing

/// One store for every case, each case in a fresh UIDVALIDITY so its UIDs are new.
struct StoreHarness {
    runtime: tokio::runtime::Runtime,
    store: Store,
    inbox: BatchContext,
    archive: BatchContext,
    next_uidvalidity: AtomicU32,
    _dir: tempfile::TempDir,
}

impl StoreHarness {
    fn new() -> StoreHarness {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, inbox, archive) =
            runtime.block_on(common::account_with_inbox_and_archive(dir.path()));
        StoreHarness {
            runtime,
            store,
            inbox,
            archive,
            next_uidvalidity: AtomicU32::new(1),
            _dir: dir,
        }
    }

    /// Stores the batch three times (fresh, repeated, into another folder) and checks that
    /// every message is there once, where it was fetched from, with its index row.
    fn check(&self, batch: &[Raw]) -> Result<(), TestCaseError> {
        let uidvalidity = self.next_uidvalidity.fetch_add(1, Ordering::Relaxed);
        let inbox = BatchContext {
            uidvalidity,
            ..self.inbox.clone()
        };
        let archive = BatchContext {
            uidvalidity,
            ..self.archive.clone()
        };
        let fetched: Vec<FetchedMessage> = batch
            .iter()
            .enumerate()
            .map(|(index, raw)| FetchedMessage {
                uid: index as u32 + 1,
                flags: MessageFlags {
                    seen: index % 2 == 0,
                    ..MessageFlags::default()
                },
                modseq: Some(index as u64),
                parsed: parse(&raw.0, Some(INTERNAL_DATE)),
            })
            .collect();
        let keys: std::collections::HashSet<&str> = fetched
            .iter()
            .map(|f| f.parsed.dedup_key.as_str())
            .collect();
        self.runtime.block_on(async {
            let store = &self.store;
            let first = store.store_batch(&inbox, &fetched).await;
            let first = first.map_err(|e| TestCaseError::fail(format!("store_batch failed: {e}")))?;
            prop_assert_eq!((first.new_messages + first.new_locations) as usize, fetched.len());
            prop_assert_eq!(first.not_kept + first.already_stored, 0);

            for message in &fetched {
                let stored: Option<(i64, String)> = sqlx::query_as(
                    "SELECT m.id, m.dedup_key FROM message_location l JOIN message m ON m.id = l.message_id \
                     WHERE l.folder_id = ? AND l.uidvalidity = ? AND l.uid = ?",
                )
                .bind(inbox.folder_id)
                .bind(uidvalidity as i64)
                .bind(message.uid as i64)
                .fetch_optional(store.pool())
                .await
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
                let Some((id, key)) = stored else {
                    return Err(TestCaseError::fail(format!("uid {} was not stored", message.uid)));
                };
                prop_assert_eq!(&key, &message.parsed.dedup_key);
                let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM message WHERE dedup_key = ?")
                    .bind(&key)
                    .fetch_one(store.pool())
                    .await
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(rows, 1, "{} stored once", key);
                let indexed: i64 = sqlx::query_scalar("SELECT count(*) FROM message_fts WHERE rowid = ?")
                    .bind(id)
                    .fetch_one(store.pool())
                    .await
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(indexed, 1, "{} has an index row", key);
            }
            let distinct: i64 = sqlx::query_scalar(
                "SELECT count(DISTINCT message_id) FROM message_location WHERE folder_id = ? AND uidvalidity = ?",
            )
            .bind(inbox.folder_id)
            .bind(uidvalidity as i64)
            .fetch_one(store.pool())
            .await
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(distinct as usize, keys.len(), "one row per distinct key");

            let again = store
                .store_batch(&inbox, &fetched)
                .await
                .map_err(|e| TestCaseError::fail(format!("second store_batch failed: {e}")))?;
            prop_assert_eq!(again.already_stored as usize, fetched.len());
            prop_assert_eq!(again.new_messages + again.new_locations, 0);

            let elsewhere = store
                .store_batch(&archive, &fetched)
                .await
                .map_err(|e| TestCaseError::fail(format!("archive store_batch failed: {e}")))?;
            prop_assert_eq!(elsewhere.new_messages, 0, "already stored from the inbox");
            prop_assert_eq!(elsewhere.new_locations as usize, fetched.len());

            let (messages, indexed): (i64, i64) = sqlx::query_as(
                "SELECT (SELECT count(*) FROM message), (SELECT count(*) FROM message_fts)",
            )
            .fetch_one(store.pool())
            .await
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(messages, indexed, "the index stays in step with the messages");
            Ok(())
        })
    }
}

fn hostile_batch() -> impl Strategy<Value = Vec<Raw>> {
    // Copies of messages already in the batch: the same message fetched twice.
    (
        prop::collection::vec(any_hostile_message(), 1..8),
        prop::collection::vec(any::<Index>(), 0..3),
    )
        .prop_map(|(mut batch, copies)| {
            for copy in copies {
                let raw = copy.get(&batch).clone();
                batch.push(raw);
            }
            batch
        })
}

#[test]
fn storing_hostile_batches_never_fails_loses_or_duplicates() {
    let harness = StoreHarness::new();
    let mut runner = TestRunner::new(config());
    if let Err(failure) = runner.run(&hostile_batch(), |batch| harness.check(&batch)) {
        panic!("{failure}");
    }
}

/// mail-parser 0.11 recurses in `MessagePart::into_owned` through every message/rfc822
/// nested inside a base64 or quoted-printable message/rfc822 part: ~700 levels (a 35 KB
/// message) overflow a 2 MiB stack and abort the process. The sync engine therefore parses
/// on threads with `mime::PARSER_STACK_BYTES` of stack; this checks that is enough.
#[test]
fn encoded_message_with_deeply_nested_forwards_does_not_abort() {
    let mut inner = String::new();
    for level in 0..1000 {
        inner.push_str(&format!(
            "Subject: level {level}\r\nContent-Type: message/rfc822\r\n\r\n"
        ));
    }
    inner.push_str("Subject: inner\r\n\r\nthe original\r\n");
    let raw = format!(
        "From: a@b.example\r\nSubject: outer\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n\
         --x\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--x--\r\n",
        base64(inner.as_bytes())
    );
    // Parsed the way the sync engine parses: on a parser thread with its deep stack.
    let parsed = std::thread::Builder::new()
        .stack_size(rapport_core::mime::PARSER_STACK_BYTES)
        .spawn(move || parse(raw.as_bytes(), Some(INTERNAL_DATE)))
        .expect("thread")
        .join()
        .expect("no panic");
    assert_eq!(parsed.attachments.len(), 1);
}
