//! Search latency on the generated store, through `rapport_core::search::search`: the
//! exact call the app's `search_messages` command and `rapport-cli search` make (parse,
//! full-text match, filters, the first page of 50 rows).
//!
//! Four kinds of query, each typed as a person types it (no space after the last word,
//! so it also matches as a prefix): a common word (in tens of thousands of messages or
//! more), a rare word (a project name found in a handful of messages), `from:ADDRESS
//! word` for a correspondent drawn as the generator draws them, and, without a target,
//! the three-letter start of a common word (what the list shows while typing).

use std::time::Instant;

use anyhow::Result;
use rapport_core::{
    search::{self, SearchRequest},
    Store,
};
use serde::Serialize;

use crate::{
    mail_text::tail_word,
    timeline_store::Population,
    util::{median, ms, percentile, Rng},
};

/// The page the search list loads first.
const PAGE: i64 = 50;
/// Words from the generated sentences, each in many thousands of messages.
const COMMON_WORDS: &[&str] = &[
    "prosím",
    "please",
    "delivery",
    "termín",
    "dziękujemy",
    "замовлення",
];
/// Tail ranks whose words the generator puts in roughly 5 to 30 messages.
const RARE_RANKS: std::ops::Range<usize> = 8_000..30_000;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchFigures {
    pub queries: usize,
    /// An example of the queries run.
    pub example: String,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub max_ms: f64,
    /// Rows on the page (at most 50).
    pub median_rows: f64,
    /// Messages holding the word (for word queries), median over the queries.
    pub median_word_messages: f64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchStoreResult {
    pub common_word: SearchFigures,
    pub rare_word: SearchFigures,
    pub from_and_word: SearchFigures,
    pub typing_three_letters: SearchFigures,
}

async fn word_messages(store: &Store, word: &str) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT count(*) FROM message_fts WHERE message_fts MATCH ?")
            .bind(format!("\"{word}\""))
            .fetch_one(store.pool())
            .await?,
    )
}

/// Runs `queries` (text, the word whose message count to report) after 5 warm-up runs.
async fn measure(store: &Store, queries: &[(String, Option<String>)]) -> Result<SearchFigures> {
    for (text, _) in queries.iter().take(5) {
        run_one(store, text).await?;
    }
    let (mut times, mut rows, mut counts) = (Vec::new(), Vec::new(), Vec::new());
    let mut known: std::collections::HashMap<&str, f64> = std::collections::HashMap::new();
    for (text, word) in queries {
        let t = Instant::now();
        let found = run_one(store, text).await?;
        times.push(ms(t.elapsed()));
        rows.push(found as f64);
        if let Some(word) = word {
            let count = match known.get(word.as_str()) {
                Some(&count) => count,
                None => word_messages(store, word).await? as f64,
            };
            known.insert(word, count);
            counts.push(count);
        }
    }
    Ok(SearchFigures {
        queries: queries.len(),
        example: queries.first().map(|q| q.0.clone()).unwrap_or_default(),
        p50_ms: median(&times),
        p95_ms: percentile(&times, 0.95),
        max_ms: percentile(&times, 1.0),
        median_rows: median(&rows),
        median_word_messages: median(&counts),
    })
}

async fn run_one(store: &Store, text: &str) -> Result<usize> {
    let request = SearchRequest {
        query: text.to_owned(),
        before: None,
        limit: PAGE,
    };
    Ok(search::search(store, &request).await?.len())
}

pub async fn run(
    store: &Store,
    population: &Population,
    queries: usize,
    rng: &mut Rng,
) -> Result<SearchStoreResult> {
    let queries = queries.max(5);
    let common: Vec<(String, Option<String>)> = (0..queries)
        .map(|i| {
            let word = COMMON_WORDS[i % COMMON_WORDS.len()];
            (word.to_owned(), Some(word.to_owned()))
        })
        .collect();
    let rare: Vec<(String, Option<String>)> = (0..queries)
        .map(|_| {
            let word = tail_word(RARE_RANKS.start + rng.below(RARE_RANKS.len()));
            (word.clone(), Some(word))
        })
        .collect();
    let from: Vec<(String, Option<String>)> = (0..queries)
        .map(|_| {
            let person = population.correspondent(rng);
            let word = rng.pick(COMMON_WORDS);
            (format!("from:{} {word}", person.primary), None)
        })
        .collect();
    let typing: Vec<(String, Option<String>)> = (0..queries)
        .map(|i| {
            let word = COMMON_WORDS[i % COMMON_WORDS.len()];
            (word.chars().take(3).collect(), None)
        })
        .collect();
    eprintln!("  search: common words");
    let common_word = measure(store, &common).await?;
    eprintln!("  search: rare words");
    let rare_word = measure(store, &rare).await?;
    eprintln!("  search: from: + word");
    let from_and_word = measure(store, &from).await?;
    eprintln!("  search: three letters typed");
    let typing_three_letters = measure(store, &typing).await?;
    Ok(SearchStoreResult {
        common_word,
        rare_word,
        from_and_word,
        typing_three_letters,
    })
}
