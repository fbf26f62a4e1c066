//! Issue 10: the follow-up radar's four lists (waiting for a reply, waiting on me, going
//! cold, follow-up dates) computed on the generated store through `Store::follow_ups`,
//! the call behind the app's Follow-ups view and `rapport-cli followups`.

use std::time::Instant;

use anyhow::Result;
use rapport_core::{store::FollowUpQuery, Store};
use serde::Serialize;

use crate::util::{median, ms, percentile};

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FollowUpFigures {
    pub runs: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub max_ms: f64,
    /// What the lists held (complete counts; each list returns at most 200 items).
    pub awaiting_reply: usize,
    pub awaiting_me: usize,
    pub going_cold: usize,
    pub follow_up_dates: usize,
    pub due: usize,
    pub reply_wait_days: i64,
    pub lookback_days: i64,
}

pub async fn run(store: &Store, runs: usize) -> Result<FollowUpFigures> {
    let query = FollowUpQuery::default();
    for _ in 0..5.min(runs) {
        store.follow_ups(&query).await?;
    }
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        let lists = store.follow_ups(&query).await?;
        times.push(ms(t.elapsed()));
        last = Some(lists);
    }
    let lists = match last {
        Some(lists) => lists,
        None => store.follow_ups(&query).await?,
    };
    Ok(FollowUpFigures {
        runs,
        p50_ms: median(&times),
        p95_ms: percentile(&times, 0.95),
        max_ms: percentile(&times, 1.0),
        awaiting_reply: lists.counts.awaiting_reply,
        awaiting_me: lists.counts.awaiting_me,
        going_cold: lists.counts.going_cold,
        follow_up_dates: lists.follow_ups.len(),
        due: lists.counts.due,
        reply_wait_days: lists.settings.reply_wait_days,
        lookback_days: lists.settings.lookback_days,
    })
}
