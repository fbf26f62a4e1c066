//! Search: the query language people type, and running it over every account.
//!
//! Free words and `"quoted phrases"` search subject, body and addresses; `from:`, `to:`
//! and `subject:` narrow a term to people in that role or to the subject (values may be
//! quoted: `from:"Jan Novák"`); `has:attachment`, `before:YYYY-MM-DD` (earlier than
//! that day) and `after:YYYY-MM-DD` (that day or later) filter. Operators are
//! case-insensitive; a word with an unknown `name:` is searched as text. The last word
//! matches as a prefix while it is still being typed (no space after it, two letters or
//! more), so results come as you type. User text reaches FTS5 only as quoted phrases of
//! word characters, so nothing typed can change the FTS query's meaning or make it fail.

use chrono::{NaiveDate, TimeZone};
use serde::Deserialize;
use unicode_normalization::{char::is_combining_mark, UnicodeNormalization};

use crate::{
    account::UserError,
    store::{MessageListItem, Store, StoreError, TimelineCursor},
};

/// Why a search could not run. Messages name the operator and the form it expects.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("{operator} needs a date written as YYYY-MM-DD, e.g. {operator}2026-03-31; “{value}” is not a date.")]
    InvalidDate {
        operator: &'static str,
        value: String,
    },
    #[error("{operator} needs a value right after the colon, e.g. {example}.")]
    MissingValue {
        operator: &'static str,
        example: &'static str,
    },
    #[error(
        "has: only understands has:attachment; “{value}” is not something Rapport can look for."
    )]
    UnknownHas { value: String },
    #[error("Rapport's database failed while searching: {0}")]
    Store(#[from] StoreError),
}

impl SearchError {
    pub fn code(&self) -> &'static str {
        match self {
            SearchError::Store(_) => "store",
            _ => "invalid_query",
        }
    }

    pub fn to_user_error(&self) -> UserError {
        UserError {
            code: self.code(),
            message: self.to_string(),
            field: match self {
                SearchError::Store(_) => None,
                _ => Some("query"),
            },
        }
    }
}

/// A search as the UI and the CLI ask for it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchRequest {
    pub query: String,
    /// The last row shown; the page holds older messages. None: the newest.
    #[serde(default)]
    pub before: Option<TimelineCursor>,
    #[serde(default = "default_limit")]
    pub limit: i64,
}

fn default_limit() -> i64 {
    50
}

/// Parses `request.query` (dates in the computer's time zone) and runs it: matching
/// messages of every account, newest first, one keyset page.
pub async fn search(
    store: &Store,
    request: &SearchRequest,
) -> Result<Vec<MessageListItem>, SearchError> {
    let query = SearchQuery::parse(&request.query)?;
    Ok(store
        .search_messages(&query, request.before, request.limit)
        .await?)
}

/// The role a `from:` or `to:` term asks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonRole {
    /// The From header.
    From,
    /// To, Cc or Bcc: anyone the message was sent to.
    To,
}

impl PersonRole {
    /// The `participant.role` values this role covers.
    pub(crate) fn stored_roles(self) -> &'static [&'static str] {
        match self {
            PersonRole::From => &["from"],
            PersonRole::To => &["to", "cc", "bcc"],
        }
    }
}

/// A piece of text to find: the words as typed (punctuation removed) and whether the
/// last one may be the start of a longer word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phrase {
    text: String,
    prefix: bool,
}

impl Phrase {
    /// An FTS5 phrase that matches exactly these words, however hostile the input: no
    /// quote, ASCII punctuation or control character is left inside. With `completions` (the
    /// index's words that start with the word being typed), a prefix phrase becomes an
    /// OR of whole-word phrases, which FTS5 answers far faster than a prefix.
    fn fts(&self, completions: Option<&[String]>) -> String {
        match completions {
            Some(words) if self.prefix && !words.is_empty() => {
                let (head, _) = split_last_word(&self.text);
                let alternatives: Vec<String> = words
                    .iter()
                    .map(|word| quote(&format!("{head}{word}")))
                    .collect();
                format!("({})", alternatives.join(" OR "))
            }
            _ if self.prefix => format!("{}*", quote(&self.text)),
            _ => quote(&self.text),
        }
    }

    /// Whether these words appear, in order and next to each other, in `text` (folded
    /// like the index folds: case and accents ignored).
    pub fn found_in(&self, text: &str) -> bool {
        let wanted = words(&self.text);
        let have = words(text);
        if wanted.is_empty() || wanted.len() > have.len() {
            return false;
        }
        have.windows(wanted.len()).any(|window| {
            window.iter().zip(&wanted).enumerate().all(|(i, (h, w))| {
                if self.prefix && i == wanted.len() - 1 {
                    h.starts_with(w.as_str())
                } else {
                    h == w
                }
            })
        })
    }
}

/// `from:` / `to:`: a person in a given role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonTerm {
    pub role: PersonRole,
    pub phrase: Phrase,
}

/// A parsed search.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchQuery {
    /// Anywhere in subject, body or addresses.
    anywhere: Vec<Phrase>,
    subject: Vec<Phrase>,
    people: Vec<PersonTerm>,
    pub has_attachment: bool,
    /// Only messages dated before this instant (Unix seconds).
    pub before: Option<i64>,
    /// Only messages dated at or after this instant (Unix seconds).
    pub after: Option<i64>,
}

/// One whitespace-separated piece of the input.
struct Token {
    text: String,
    /// Written in double quotes (a phrase, or an operator's quoted value).
    quoted: bool,
    /// The input goes on without a space after it, or the quote is still open: the
    /// person may still be typing this word.
    open_end: bool,
    operator: Option<String>,
}

impl SearchQuery {
    /// Parses a query; dates are days in the computer's time zone.
    pub fn parse(input: &str) -> Result<SearchQuery, SearchError> {
        SearchQuery::parse_in(input, &chrono::Local)
    }

    /// Parses a query with dates as days in `zone`.
    pub fn parse_in<Tz: TimeZone>(input: &str, zone: &Tz) -> Result<SearchQuery, SearchError> {
        let tokens = tokenize(input);
        let mut query = SearchQuery::default();
        let last = tokens.len().saturating_sub(1);
        for (index, token) in tokens.into_iter().enumerate() {
            let is_last = index == last;
            let text = phrase_text(&token.text);
            // One letter would match a good part of the index: it waits for the second.
            let prefix = is_last && token.open_end && split_last_word(&text).1.chars().count() >= 2;
            let phrase = Phrase { text, prefix };
            let Some(operator) = token.operator else {
                query.push_text(phrase, None);
                continue;
            };
            let spec = OPERATORS
                .iter()
                .find(|o| o.name == operator)
                .copied()
                .unwrap_or(OPERATORS[0]);
            if token.text.trim().is_empty() {
                // "from:" or from:" with nothing yet at the very end: still being typed.
                if is_last && (!token.quoted || token.open_end) {
                    continue;
                }
                return Err(SearchError::MissingValue {
                    operator: spec.label,
                    example: spec.example,
                });
            }
            match spec.name {
                "from" => query.push_text(phrase, Some(PersonRole::From)),
                "to" => query.push_text(phrase, Some(PersonRole::To)),
                "subject" => {
                    if has_word(&phrase.text) {
                        query.subject.push(phrase);
                    }
                }
                "has" => match token.text.trim().to_lowercase().as_str() {
                    "attachment" | "attachments" => query.has_attachment = true,
                    _ => {
                        return Err(SearchError::UnknownHas {
                            value: token.text.trim().to_owned(),
                        })
                    }
                },
                "before" => {
                    let bound = day_start(spec.label, &token.text, zone)?;
                    query.before = Some(query.before.map_or(bound, |b| b.min(bound)));
                }
                "after" => {
                    let bound = day_start(spec.label, &token.text, zone)?;
                    query.after = Some(query.after.map_or(bound, |a| a.max(bound)));
                }
                _ => query.push_text(phrase, None),
            }
        }
        Ok(query)
    }

    fn push_text(&mut self, phrase: Phrase, role: Option<PersonRole>) {
        if !has_word(&phrase.text) {
            return;
        }
        match role {
            None => self.anywhere.push(phrase),
            Some(role) => self.people.push(PersonTerm { role, phrase }),
        }
    }

    /// Nothing to look for: no words and no filters.
    pub fn is_empty(&self) -> bool {
        self.fts_match().is_none()
            && !self.has_attachment
            && self.before.is_none()
            && self.after.is_none()
    }

    /// The FTS5 MATCH expression for the words, or None when there are none.
    pub fn fts_match(&self) -> Option<String> {
        self.fts_match_completing(None)
    }

    /// The word being typed (the last word, matched as a prefix), folded as the index
    /// folds words; the store looks up the index's words that start with it.
    pub fn typed_word(&self) -> Option<String> {
        self.phrases()
            .find(|p| p.prefix)
            .map(|p| fold_word(split_last_word(&p.text).1))
    }

    /// The MATCH expression with the word being typed replaced by `completions` (the
    /// index's words starting with it); None or an empty list keeps the prefix.
    pub fn fts_match_completing(&self, completions: Option<&[String]>) -> Option<String> {
        let mut parts: Vec<String> = Vec::new();
        parts.extend(self.anywhere.iter().map(|p| p.fts(completions)));
        parts.extend(
            self.subject
                .iter()
                .map(|p| format!("subject : {}", p.fts(completions))),
        );
        // The addresses column mixes every role: it only narrows the candidates, and
        // the store then checks the role against the participants.
        parts.extend(
            self.people
                .iter()
                .map(|p| format!("addresses : {}", p.phrase.fts(completions))),
        );
        // Explicit ANDs: FTS5 allows no implicit AND after a parenthesised group.
        (!parts.is_empty()).then(|| parts.join(" AND "))
    }

    fn phrases(&self) -> impl Iterator<Item = &Phrase> {
        self.anywhere
            .iter()
            .chain(&self.subject)
            .chain(self.people.iter().map(|p| &p.phrase))
    }

    pub fn people(&self) -> &[PersonTerm] {
        &self.people
    }
}

#[derive(Clone, Copy)]
struct OperatorSpec {
    name: &'static str,
    label: &'static str,
    example: &'static str,
}

const OPERATORS: [OperatorSpec; 6] = [
    OperatorSpec {
        name: "from",
        label: "from:",
        example: "from:jan@example.com",
    },
    OperatorSpec {
        name: "to",
        label: "to:",
        example: "to:jan@example.com",
    },
    OperatorSpec {
        name: "subject",
        label: "subject:",
        example: "subject:invoice",
    },
    OperatorSpec {
        name: "has",
        label: "has:",
        example: "has:attachment",
    },
    OperatorSpec {
        name: "before",
        label: "before:",
        example: "before:2026-03-31",
    },
    OperatorSpec {
        name: "after",
        label: "after:",
        example: "after:2026-01-01",
    },
];

/// Splits the input into words, quoted phrases and `operator:value` pairs.
fn tokenize(input: &str) -> Vec<Token> {
    let chars: Vec<char> = input.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        if chars[i] == '"' {
            let (text, next, closed) = quoted(&chars, i + 1);
            i = next;
            tokens.push(Token {
                text,
                quoted: true,
                open_end: !closed,
                operator: None,
            });
            continue;
        }
        let start = i;
        while i < chars.len() && !chars[i].is_whitespace() && chars[i] != '"' {
            i += 1;
        }
        let word: String = chars[start..i].iter().collect();
        let operator = word.split_once(':').and_then(|(name, _)| {
            let name = name.to_lowercase();
            OPERATORS.iter().any(|o| o.name == name).then_some(name)
        });
        match operator {
            Some(name) => {
                let value = word.split_once(':').map(|(_, v)| v).unwrap_or_default();
                if value.is_empty() && chars.get(i) == Some(&'"') {
                    let (text, next, closed) = quoted(&chars, i + 1);
                    i = next;
                    tokens.push(Token {
                        text,
                        quoted: true,
                        open_end: !closed,
                        operator: Some(name),
                    });
                } else {
                    tokens.push(Token {
                        text: value.to_owned(),
                        quoted: false,
                        open_end: i == chars.len(),
                        operator: Some(name),
                    });
                }
            }
            None => tokens.push(Token {
                text: word,
                quoted: false,
                open_end: i == chars.len(),
                operator: None,
            }),
        }
    }
    tokens
}

/// The text up to the closing quote (or the end), the index after it, and whether the
/// quote was closed.
fn quoted(chars: &[char], from: usize) -> (String, usize, bool) {
    match chars[from.min(chars.len())..]
        .iter()
        .position(|&c| c == '"')
    {
        Some(len) => (
            chars[from..from + len].iter().collect(),
            from + len + 1,
            true,
        ),
        None => (
            chars[from.min(chars.len())..].iter().collect(),
            chars.len(),
            false,
        ),
    }
}

/// The words of a term as FTS5 should see them: ASCII punctuation, symbols and control
/// characters become spaces (SQLite's tokenizer treats them as separators anyway, and
/// this keeps quotes, `*`, `:` and NUL out of the MATCH expression). Other characters
/// are left for SQLite's tokenizer to judge, so its own case and accent folding applies.
fn phrase_text(term: &str) -> String {
    let spaced: String = term
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || (!c.is_ascii() && !c.is_control() && !c.is_whitespace())
            {
                c
            } else {
                ' '
            }
        })
        .collect();
    spaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A phrase in FTS5 quotes.
fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// Whether SQLite's tokenizer keeps `c` inside a word (letters, digits, and the accents
/// it folds away).
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_combining_mark(c)
}

/// The phrase up to its last word, and its last word.
fn split_last_word(text: &str) -> (&str, &str) {
    let start = text
        .char_indices()
        .rev()
        .take_while(|&(_, c)| is_word_char(c))
        .last()
        .map_or(text.len(), |(i, _)| i);
    text.split_at(start)
}

/// A word as `unicode61 remove_diacritics 2` stores it: lower case, and a letter that
/// is an ASCII letter plus accents becomes that ASCII letter (é → e, ř → r); letters
/// built on others keep theirs (й, ї and ł stay).
fn fold_word(word: &str) -> String {
    let mut folded = String::with_capacity(word.len());
    for c in word.chars().flat_map(char::to_lowercase) {
        let c = if c == 'ς' { 'σ' } else { c };
        let parts: Vec<char> = std::iter::once(c).nfd().collect();
        match parts.split_first() {
            Some((&base, accents))
                if base.is_ascii() && accents.iter().all(|&a| is_combining_mark(a)) =>
            {
                folded.push(base)
            }
            _ if is_combining_mark(c) => {}
            _ => folded.push(c),
        }
    }
    folded
}

fn has_word(text: &str) -> bool {
    text.chars().any(char::is_alphanumeric)
}

/// Words folded as the index folds them: lower case, accents of ASCII letters dropped,
/// anything but letters and digits a separator.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !is_word_char(c))
        .filter(|w| !w.is_empty())
        .map(fold_word)
        .filter(|w| !w.is_empty())
        .collect()
}

/// The first instant of the day `value` (YYYY-MM-DD, or with slashes) in `zone`.
fn day_start<Tz: TimeZone>(
    operator: &'static str,
    value: &str,
    zone: &Tz,
) -> Result<i64, SearchError> {
    let invalid = || SearchError::InvalidDate {
        operator,
        value: value.trim().to_owned(),
    };
    let text = value.trim().replace('/', "-");
    let shaped =
        text.split('-').count() == 3 && text.split('-').next().is_some_and(|year| year.len() == 4);
    if !shaped {
        return Err(invalid());
    }
    let date = NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|_| invalid())?;
    let midnight = date.and_hms_opt(0, 0, 0).ok_or_else(invalid)?;
    // A day that starts inside a daylight-saving gap starts at the gap's end.
    Ok(zone
        .from_local_datetime(&midnight)
        .earliest()
        .map(|t| t.timestamp())
        .unwrap_or_else(|| midnight.and_utc().timestamp()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{FixedOffset, Utc};

    fn parse(input: &str) -> SearchQuery {
        SearchQuery::parse_in(input, &Utc).unwrap()
    }

    fn error(input: &str) -> String {
        SearchQuery::parse_in(input, &Utc).unwrap_err().to_string()
    }

    #[test]
    fn free_words_are_phrases_and_the_last_one_being_typed_is_a_prefix() {
        assert_eq!(
            parse("offer spring").fts_match().unwrap(),
            r#""offer" AND "spring"*"#
        );
        assert_eq!(
            parse("offer spring ").fts_match().unwrap(),
            r#""offer" AND "spring""#,
            "a space after the word: it is complete"
        );
        assert_eq!(parse("").fts_match(), None);
        assert!(parse("   ").is_empty());
    }

    #[test]
    fn quoted_phrases_stay_together_and_are_not_prefixes_once_closed() {
        assert_eq!(
            parse(r#""jan novak" offer"#).fts_match().unwrap(),
            r#""jan novak" AND "offer"*"#
        );
        assert_eq!(
            parse(r#"offer "jan novak""#).fts_match().unwrap(),
            r#""offer" AND "jan novak""#
        );
        assert_eq!(
            parse(r#"offer "jan nov"#).fts_match().unwrap(),
            r#""offer" AND "jan nov"*"#,
            "an open quote is still being typed"
        );
    }

    #[test]
    fn each_operator_becomes_its_column_or_filter() {
        let q = parse("from:jan@firma.cz to:eva subject:offer has:attachment report");
        assert_eq!(
            q.fts_match().unwrap(),
            r#""report"* AND subject : "offer" AND addresses : "jan firma cz" AND addresses : "eva""#
        );
        assert_eq!(q.people()[0].role, PersonRole::From);
        assert_eq!(q.people()[1].role, PersonRole::To);
        assert!(q.has_attachment);

        let dated = parse("before:2026-03-31 after:2026-01-01");
        assert_eq!(dated.before, Some(1_774_915_200)); // 2026-03-31T00:00:00Z
        assert_eq!(dated.after, Some(1_767_225_600)); // 2026-01-01T00:00:00Z
        assert_eq!(dated.fts_match(), None);
        assert!(!dated.is_empty());
        assert_eq!(parse("before:2026/03/31").before, Some(1_774_915_200));
    }

    #[test]
    fn operators_are_case_insensitive_and_values_may_be_quoted() {
        let q = parse(r#"FROM:"Jan Novák" Subject:Offer HAS:Attachment"#);
        assert_eq!(
            q.fts_match().unwrap(),
            r#"subject : "Offer" AND addresses : "Jan Novák""#
        );
        assert!(q.has_attachment);
        assert_eq!(q.people()[0].role, PersonRole::From);
    }

    #[test]
    fn dates_are_days_in_the_given_time_zone() {
        let prague = FixedOffset::east_opt(3600).unwrap();
        let q = SearchQuery::parse_in("after:2026-01-01", &prague).unwrap();
        assert_eq!(q.after, Some(1_767_225_600 - 3600));
    }

    #[test]
    fn unknown_operators_are_searched_as_text() {
        assert_eq!(parse("re:meeting").fts_match().unwrap(), r#""re meeting"*"#);
        assert_eq!(
            parse("https://example.com/x ").fts_match().unwrap(),
            r#""https example com x""#
        );
    }

    #[test]
    fn bad_dates_name_the_operator_and_the_format() {
        let message = error("before:2026-13-45");
        assert!(message.contains("before:"), "{message}");
        assert!(message.contains("YYYY-MM-DD"), "{message}");
        assert!(message.contains("2026-13-45"), "{message}");
        assert!(error("after:yesterday").contains("after:"));
        assert!(error("after:26-01-01").contains("after:"));
        assert!(error("before:2026-02-30").contains("2026-02-30"));
        let err = SearchQuery::parse_in("before:2026-13-45", &Utc).unwrap_err();
        let user = err.to_user_error();
        assert_eq!((user.code, user.field), ("invalid_query", Some("query")));
    }

    #[test]
    fn an_operator_without_a_value_is_an_error_unless_still_being_typed() {
        assert_eq!(parse("offer from:"), parse("offer "));
        assert_eq!(parse(r#"offer from:""#), parse("offer "));
        assert!(error("from: jan").contains("from:jan@example.com"));
        assert!(error(r#"to:"" offer"#).contains("to:"));
        assert!(error("has:pictures").contains("has:attachment"));
        assert_eq!(parse("offer has:"), parse("offer "));
    }

    #[test]
    fn hostile_input_never_leaves_the_quotes() {
        for hostile in [
            r#"a" OR "b"#,
            "NEAR(a b)",
            "*",
            "a*b",
            "\"",
            "\"\"\"",
            "subject:\"",
            "x\0y",
            "col : a",
            "^start",
            "a AND OR NOT b",
            "{subject body}: x",
            "-minus +plus",
            "'; DROP TABLE message; --",
        ] {
            let query = parse(hostile);
            let completions = ["sx".to_owned(), "s\"x".to_owned()];
            for expr in [
                query.fts_match(),
                query.fts_match_completing(Some(&completions)),
            ]
            .into_iter()
            .flatten()
            {
                for part in expr.split(" AND ") {
                    let phrase = part
                        .trim_start_matches("subject : ")
                        .trim_start_matches("addresses : ");
                    assert!(
                        phrase.starts_with('"') || phrase.starts_with("(\""),
                        "{hostile:?} gave {expr:?}"
                    );
                    for quoted in phrase
                        .trim_matches(|c| c == '(' || c == ')' || c == '*')
                        .split(" OR ")
                    {
                        let inner = quoted
                            .strip_prefix('"')
                            .and_then(|q| q.strip_suffix('"'))
                            .unwrap_or_else(|| panic!("{hostile:?} gave {expr:?}"));
                        assert!(
                            !inner.replace("\"\"", "").contains('"'),
                            "{hostile:?} gave {expr:?}"
                        );
                    }
                }
            }
        }
        assert_eq!(parse("*").fts_match(), None, "no words: nothing to match");
        assert_eq!(
            parse("a AND OR NOT b").fts_match().unwrap(),
            r#""a" AND "AND" AND "OR" AND "NOT" AND "b""#,
            "FTS keywords are only words here"
        );
    }

    #[test]
    fn the_word_being_typed_can_be_completed_from_the_index() {
        let q = parse("from:jan Nabídk");
        assert_eq!(q.typed_word().as_deref(), Some("nabidk"));
        let words = ["nabidka".to_owned(), "nabidku".to_owned()];
        assert_eq!(
            q.fts_match_completing(Some(&words)).unwrap(),
            r#"("nabidka" OR "nabidku") AND addresses : "jan""#
        );
        assert_eq!(
            q.fts_match_completing(Some(&[])).unwrap(),
            r#""Nabídk"* AND addresses : "jan""#,
            "no completions: the prefix stays"
        );
        let phrase = parse(r#"subject:"spring off"#);
        assert_eq!(phrase.typed_word().as_deref(), Some("off"));
        assert_eq!(
            phrase
                .fts_match_completing(Some(&["offer".to_owned()]))
                .unwrap(),
            r#"subject : ("spring offer")"#
        );
        assert_eq!(parse("offer ").typed_word(), None);
        assert_eq!(
            parse("offer j").typed_word(),
            None,
            "one letter is not completed"
        );
        assert_eq!(parse("offer j").fts_match().unwrap(), r#""offer" AND "j""#);
    }

    #[test]
    fn words_fold_as_the_index_folds_them() {
        assert_eq!(fold_word("Příliš"), "prilis");
        assert_eq!(fold_word("ŁÓDŹ"), "łodz");
        assert_eq!(fold_word("Київ"), "київ", "ї is a letter of its own");
        assert_eq!(fold_word("й"), "й");
        assert_eq!(fold_word("ǅ"), "ǆ");
        assert_eq!(fold_word("e\u{301}x"), "ex");
        assert_eq!(split_last_word("jan firma cz"), ("jan firma ", "cz"));
        assert_eq!(split_last_word("x€y"), ("x€", "y"));
        assert_eq!(split_last_word("novák"), ("", "novák"));
    }

    #[test]
    fn person_phrases_match_folded_words_in_order() {
        let phrase = |text: &str, prefix| Phrase {
            text: text.into(),
            prefix,
        };
        assert!(phrase("novak", false).found_in("Jan Novák"));
        assert!(phrase("jan novak", false).found_in("JAN NOVÁK"));
        assert!(!phrase("novak jan", false).found_in("Jan Novák"));
        assert!(phrase("firma cz", false).found_in("jan@firma.cz"));
        assert!(!phrase("firm", false).found_in("jan@firma.cz"));
        assert!(phrase("firm", true).found_in("jan@firma.cz"));
        assert!(phrase("Łukasz", false).found_in("łukasz@x.pl"));
        assert!(phrase("олена", false).found_in("Олена Шевченко"));
    }
}
