//! The follow-up radar: threads waiting for their reply, threads waiting for mine,
//! contacts going cold, and follow-up dates. Waiting threads are an index range of
//! `thread_latest` (each thread's newest message, kept by triggers); contact lists scan
//! the contact table, which is small next to the mail.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Local, TimeZone};
use serde::{Deserialize, Serialize};

use super::{now, Result, Store, StoreError};
use crate::followups;

/// The stages whose silence matters unless the user picks others.
pub const DEFAULT_COLD_STAGES: [&str; 3] = ["lead", "prospect", "customer"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct FollowUpSettings {
    /// Working days after which an unanswered thread shows up.
    pub reply_wait_days: i64,
    /// How far back waiting threads are looked for; older silence is "going cold"'s job.
    pub lookback_days: i64,
    /// Days without an exchange before a contact goes cold, unless the contact says otherwise.
    pub cadence_days: i64,
}

/// What to list: which stages may go cold, and optionally one contact's items only.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FollowUpQuery {
    /// `None`: lead, prospect and customer.
    pub stages: Option<Vec<String>>,
    pub contact_id: Option<i64>,
    /// Items per list (the counts are always complete); 0 means 200.
    pub limit: usize,
}

/// The other side of a waiting thread: the sender of mail waiting on me, the (first)
/// recipient of mail waiting for a reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FollowUpPerson {
    pub contact_id: Option<i64>,
    pub address: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WaitingThread {
    pub thread_id: i64,
    /// The thread's newest message: the one waiting. Snooze and dismiss name it.
    pub message_id: i64,
    pub subject: String,
    pub date: i64,
    pub working_days: i64,
    pub person: FollowUpPerson,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct ColdContact {
    pub contact_id: i64,
    pub display_name: String,
    pub email: String,
    pub stage: String,
    pub last_contact_at: Option<i64>,
    pub cadence_days: i64,
    /// Whole days past the cadence.
    pub overdue_days: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum FollowUpStatus {
    /// The date was an earlier day.
    Overdue,
    /// The date is today.
    Due,
    Upcoming,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FollowUpDate {
    pub contact_id: i64,
    pub display_name: String,
    pub email: String,
    pub stage: String,
    pub follow_up_at: i64,
    pub status: FollowUpStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FollowUpCounts {
    pub awaiting_reply: usize,
    pub awaiting_me: usize,
    pub going_cold: usize,
    /// Follow-up dates that are due or overdue (upcoming ones are listed, not counted).
    pub due: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FollowUpLists {
    pub settings: FollowUpSettings,
    pub counts: FollowUpCounts,
    /// My message is the newest in the thread: waiting for their reply, longest first.
    pub awaiting_reply: Vec<WaitingThread>,
    /// A contact's message is the newest: waiting for mine, longest first.
    pub awaiting_me: Vec<WaitingThread>,
    /// Most overdue first.
    pub going_cold: Vec<ColdContact>,
    /// Earliest first.
    pub follow_ups: Vec<FollowUpDate>,
}

#[derive(sqlx::FromRow)]
struct WaitingRow {
    thread_id: i64,
    message_id: i64,
    date: i64,
    subject: String,
    /// `[address, name, contact id]` of the person picked in SQL.
    person: String,
    /// Every row the list holds, before the page limit.
    total: i64,
}

#[derive(sqlx::FromRow)]
struct ColdRow {
    contact_id: i64,
    display_name: String,
    email: String,
    stage: String,
    last_contact_at: Option<i64>,
    cadence_days: i64,
    overdue_days: i64,
    total: i64,
}

#[derive(sqlx::FromRow)]
struct FollowUpRow {
    contact_id: i64,
    display_name: String,
    email: String,
    stage: String,
    follow_up_at: i64,
}

#[derive(sqlx::FromRow)]
struct FollowUpPageRow {
    contact_id: i64,
    display_name: String,
    email: String,
    stage: String,
    follow_up_at: i64,
    due: i64,
}

/// Contacts with their follow-up date (and `$columns`), chosen and ordered by `$rest`.
macro_rules! follow_up_query {
    ($columns:literal, $rest:literal) => {
        concat!(
            "SELECT c.id AS contact_id, c.display_name, c.stage, c.follow_up_at, ",
            "coalesce((SELECT e.address FROM contact_email e WHERE e.contact_id = c.id ",
            "ORDER BY e.is_primary DESC, e.address LIMIT 1), '') AS email",
            $columns,
            " FROM contact c ",
            $rest
        )
    };
}

/// True when the address in `$column` is a machine's: its local part without separators
/// starts with one of `crm::MACHINE_PREFIXES` (spelt out here so SQLite checks thousands
/// of rows fast; a test holds the two lists together). The first character is looked at
/// first, since every prefix starts with one of a few letters.
macro_rules! machine_address {
    ($column:literal) => {
        concat!(
            "(substr(",
            $column,
            ", 1, 1) IN ('n', 'd', 'm', 'p', 'b', '.', '-', '_', '+') AND ",
            "(SELECT s GLOB 'noreply*' OR s GLOB 'donotreply*' OR s GLOB 'notreply*' ",
            "OR s GLOB 'mailerdaemon*' OR s GLOB 'postmaster*' OR s GLOB 'bounce*' ",
            "OR s GLOB 'notification*' OR s GLOB 'newsletter*' OR s GLOB 'nevyplnovat*' ",
            "OR s GLOB 'neodpovidejte*' FROM (SELECT replace(replace(replace(replace(",
            "substr(",
            $column,
            ", 1, instr(",
            $column,
            ", '@') - 1), '.', ''), '-', ''), '_', ''), '+', '') AS s)))"
        )
    };
}

/// Snoozed until after `$now`, or dismissed.
macro_rules! hidden {
    ($now:literal) => {
        concat!(
            "EXISTS (SELECT 1 FROM followup_dismissal d WHERE d.message_id = t.message_id ",
            "AND (d.until IS NULL OR d.until > ",
            $now,
            "))"
        )
    };
}

// The lists are filtered, counted (`count(*) OVER ()`) and paged inside SQLite: on a big
// store thousands of threads can wait, and only a page of them should cross into Rust.
// ?1 since, ?2 cutoff, ?3 now, ?4 contact or NULL, ?5 page size.

/// A recipient of `p`'s message worth waiting on: not me, not a machine.
macro_rules! awaited_recipient {
    () => {
        concat!(
            "p.role IN ('to', 'cc') ",
            "AND p.address NOT IN (SELECT email FROM account UNION ALL SELECT address FROM account_alias) ",
            "AND NOT ",
            machine_address!("p.address")
        )
    };
}

// Each query picks and counts its page on narrow rows first, then reads subjects and
// people for the page alone.

/// My message is the newest: the person is the recipient most worth waiting on (a
/// contact before a stranger, To before Cc, then the order named).
const WAITING_FOR_THEM: &str = concat!(
    "SELECT w.thread_id, w.message_id, w.date, m.subject, w.total, ",
    "(SELECT json_array(p.address, coalesce(k.display_name, p.display_name), p.contact_id) ",
    " FROM participant p LEFT JOIN contact k ON k.id = p.contact_id ",
    " WHERE p.message_id = w.message_id AND ",
    awaited_recipient!(),
    " ORDER BY p.contact_id IS NULL, p.role <> 'to', p.position LIMIT 1) AS person ",
    "FROM (SELECT t.thread_id, t.message_id, t.date, count(*) OVER () AS total ",
    " FROM thread_latest t ",
    " WHERE t.direction = 'out' AND t.is_bulk = 0 AND t.date >= ?1 AND t.date < ?2 ",
    " AND NOT ",
    hidden!("?3"),
    " AND EXISTS (SELECT 1 FROM participant p WHERE p.message_id = t.message_id AND ",
    awaited_recipient!(),
    ")",
    " AND (?4 IS NULL OR EXISTS (SELECT 1 FROM participant q WHERE q.message_id = t.message_id ",
    " AND q.role IN ('to', 'cc') AND q.contact_id = ?4))",
    " ORDER BY t.date, t.message_id LIMIT ?5) w ",
    "JOIN message m ON m.id = w.message_id ORDER BY w.date, w.message_id"
);

/// A contact's message is the newest, not a mailing list's or a machine's, and not
/// answered from another client either (the \Answered flag).
const WAITING_FOR_ME: &str =
    concat!(
    "SELECT w.thread_id, w.message_id, w.date, m.subject, w.total, ",
    "json_array(p.address, coalesce(k.display_name, p.display_name), p.contact_id) AS person ",
    "FROM (SELECT t.thread_id, t.message_id, t.date, count(*) OVER () AS total ",
    " FROM thread_latest t JOIN message m ON m.id = t.message_id ",
    " JOIN participant p ON p.message_id = t.message_id AND p.role = 'from' AND p.position = 0 ",
    " WHERE t.direction = 'in' AND t.is_bulk = 0 AND t.date >= ?1 AND t.date < ?2 ",
    " AND p.contact_id IS NOT NULL AND m.answered = 0 ",
    " AND NOT ", hidden!("?3"),
    " AND NOT ", machine_address!("p.address"),
    " AND (?4 IS NULL OR p.contact_id = ?4) ",
    " ORDER BY t.date, t.message_id LIMIT ?5) w ",
    "JOIN message m ON m.id = w.message_id ",
    "JOIN participant p ON p.message_id = w.message_id AND p.role = 'from' AND p.position = 0 ",
    "LEFT JOIN contact k ON k.id = p.contact_id ",
    "ORDER BY w.date, w.message_id"
);

/// ?1 usual cadence, ?2 now, ?3 stages (JSON), ?4 contact or NULL, ?5 page size.
const GOING_COLD: &str = concat!(
    "SELECT c.id AS contact_id, c.display_name, c.stage, c.last_contact_at, s.cadence_days, ",
    "s.overdue / 86400 AS overdue_days, s.total, ",
    "coalesce((SELECT e.address FROM contact_email e WHERE e.contact_id = c.id ",
    "ORDER BY e.is_primary DESC, e.address LIMIT 1), '') AS email ",
    "FROM (SELECT id, cadence_days, overdue, count(*) OVER () AS total FROM (",
    "  SELECT c.id, coalesce(c.cadence_days, ?1) AS cadence_days, ",
    "  ?2 - coalesce(c.last_contact_at, c.created_at) - coalesce(c.cadence_days, ?1) * 86400 AS overdue ",
    "  FROM contact c WHERE c.stage IN (SELECT value FROM json_each(?3)) AND (?4 IS NULL OR c.id = ?4)",
    ") WHERE overdue > 0 ORDER BY overdue DESC, id LIMIT ?5) s ",
    "JOIN contact c ON c.id = s.id ORDER BY s.overdue DESC, c.id"
);

/// Which waiting threads to list: sent in [since, cutoff), optionally one contact's.
struct WaitingWindow {
    since: i64,
    cutoff: i64,
    contact: Option<i64>,
    limit: i64,
}

fn invalid(field: &'static str, message: String) -> StoreError {
    StoreError::Invalid { field, message }
}

impl Store {
    pub async fn followup_settings(&self) -> Result<FollowUpSettings> {
        Ok(sqlx::query_as(
            "SELECT reply_wait_days, lookback_days, cadence_days FROM followup_setting WHERE id = 1",
        )
        .fetch_one(&self.pool)
        .await?)
    }

    pub async fn set_followup_settings(&self, settings: &FollowUpSettings) -> Result<()> {
        if !(1..=60).contains(&settings.reply_wait_days) {
            return Err(invalid(
                "replyWaitDays",
                "Waiting time must be between 1 and 60 working days.".into(),
            ));
        }
        if !(7..=365).contains(&settings.lookback_days) {
            return Err(invalid(
                "lookbackDays",
                "Look back between 7 and 365 days.".into(),
            ));
        }
        if !(1..=3650).contains(&settings.cadence_days) {
            return Err(invalid(
                "cadenceDays",
                "The usual cadence must be between 1 and 3650 days.".into(),
            ));
        }
        sqlx::query(
            "UPDATE followup_setting SET reply_wait_days = ?, lookback_days = ?, cadence_days = ? WHERE id = 1",
        )
        .bind(settings.reply_wait_days)
        .bind(settings.lookback_days)
        .bind(settings.cadence_days)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// How often a contact should hear from me; `None` returns it to the usual cadence.
    pub async fn set_contact_cadence(&self, contact_id: i64, days: Option<i64>) -> Result<()> {
        if let Some(days) = days {
            if !(1..=3650).contains(&days) {
                return Err(invalid(
                    "cadenceDays",
                    "The cadence must be between 1 and 3650 days.".into(),
                ));
            }
        }
        let done = sqlx::query("UPDATE contact SET cadence_days = ?, updated_at = ? WHERE id = ?")
            .bind(days)
            .bind(now())
            .bind(contact_id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("contact {contact_id}")));
        }
        Ok(())
    }

    /// The four lists as of now, in the local time zone.
    pub async fn follow_ups(&self, query: &FollowUpQuery) -> Result<FollowUpLists> {
        self.follow_ups_at(query, &Local::now()).await
    }

    /// The four lists as of `now`, whose time zone decides where days begin.
    pub async fn follow_ups_at<Tz: TimeZone>(
        &self,
        query: &FollowUpQuery,
        now: &DateTime<Tz>,
    ) -> Result<FollowUpLists> {
        let settings = self.followup_settings().await?;
        let limit = if query.limit == 0 { 200 } else { query.limit } as i64;
        let window = WaitingWindow {
            since: now.timestamp() - settings.lookback_days * 86_400,
            cutoff: followups::waiting_cutoff(now, settings.reply_wait_days as u32),
            contact: query.contact_id,
            limit,
        };
        // Four independent reads on the pool's connections: on two cores they overlap.
        let (
            (awaiting_reply, awaiting_reply_count),
            (awaiting_me, awaiting_me_count),
            (going_cold, going_cold_count),
            (follow_ups, due),
        ) = futures::try_join!(
            self.waiting(WAITING_FOR_THEM, &window, now),
            self.waiting(WAITING_FOR_ME, &window, now),
            self.going_cold(query, &settings, now.timestamp(), limit),
            self.follow_up_dates(query.contact_id, now, limit),
        )?;
        Ok(FollowUpLists {
            settings,
            counts: FollowUpCounts {
                awaiting_reply: awaiting_reply_count,
                awaiting_me: awaiting_me_count,
                going_cold: going_cold_count,
                due,
            },
            awaiting_reply,
            awaiting_me,
            going_cold,
            follow_ups,
        })
    }

    /// A page of waiting threads (`WAITING_FOR_THEM` or `WAITING_FOR_ME`) and how many
    /// wait in all.
    async fn waiting<Tz: TimeZone>(
        &self,
        sql: &'static str,
        window: &WaitingWindow,
        now: &DateTime<Tz>,
    ) -> Result<(Vec<WaitingThread>, usize)> {
        let rows: Vec<WaitingRow> = sqlx::query_as(sql)
            .bind(window.since)
            .bind(window.cutoff)
            .bind(now.timestamp())
            .bind(window.contact)
            .bind(window.limit)
            .fetch_all(&self.pool)
            .await?;
        let total = rows.first().map_or(0, |r| r.total as usize);
        let threads = rows
            .into_iter()
            .map(|row| {
                let (address, name, contact_id): (String, String, Option<i64>) =
                    serde_json::from_str(&row.person).map_err(|e| {
                        StoreError::Corrupt(format!("person of message {}: {e}", row.message_id))
                    })?;
                Ok(WaitingThread {
                    thread_id: row.thread_id,
                    message_id: row.message_id,
                    subject: row.subject,
                    date: row.date,
                    working_days: followups::working_days_since(now, row.date),
                    person: FollowUpPerson {
                        contact_id,
                        address,
                        name,
                    },
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((threads, total))
    }

    async fn going_cold(
        &self,
        query: &FollowUpQuery,
        settings: &FollowUpSettings,
        now: i64,
        limit: i64,
    ) -> Result<(Vec<ColdContact>, usize)> {
        let stages: Vec<&str> = match &query.stages {
            None => DEFAULT_COLD_STAGES.to_vec(),
            Some(stages) => stages.iter().map(String::as_str).collect(),
        };
        let stages = serde_json::to_string(&stages)
            .map_err(|e| StoreError::Corrupt(format!("stage list: {e}")))?;
        let rows: Vec<ColdRow> = sqlx::query_as(GOING_COLD)
            .bind(settings.cadence_days)
            .bind(now)
            .bind(stages)
            .bind(query.contact_id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        let total = rows.first().map_or(0, |r| r.total as usize);
        let contacts = rows
            .into_iter()
            .map(|r| ColdContact {
                contact_id: r.contact_id,
                display_name: r.display_name,
                email: r.email,
                stage: r.stage,
                last_contact_at: r.last_contact_at,
                cadence_days: r.cadence_days,
                overdue_days: r.overdue_days,
            })
            .collect();
        Ok((contacts, total))
    }

    /// Follow-up dates, earliest first, and how many are due today or overdue.
    async fn follow_up_dates<Tz: TimeZone>(
        &self,
        contact: Option<i64>,
        now: &DateTime<Tz>,
        limit: i64,
    ) -> Result<(Vec<FollowUpDate>, usize)> {
        let (today, tomorrow) = (followups::start_of_today(now), followups::end_of_today(now));
        let rows: Vec<FollowUpPageRow> = sqlx::query_as(follow_up_query!(
            ", sum(c.follow_up_at < ?1) OVER () AS due",
            "WHERE c.follow_up_at IS NOT NULL AND (?2 IS NULL OR c.id = ?2) \
             ORDER BY c.follow_up_at, c.id LIMIT ?3"
        ))
        .bind(tomorrow)
        .bind(contact)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let due = rows.first().map_or(0, |r| r.due as usize);
        let dates = rows
            .into_iter()
            .map(|r| {
                let row = FollowUpRow {
                    contact_id: r.contact_id,
                    display_name: r.display_name,
                    email: r.email,
                    stage: r.stage,
                    follow_up_at: r.follow_up_at,
                };
                follow_up_date(row, today, tomorrow)
            })
            .collect();
        Ok((dates, due))
    }

    /// Follow-up dates that came due after `since` and by `now`: what a notifier that last
    /// looked at `since` should announce. A date is a local midnight, so it falls due as
    /// its day begins.
    pub async fn follow_ups_due_between(&self, since: i64, now: i64) -> Result<Vec<FollowUpDate>> {
        let rows: Vec<FollowUpRow> = sqlx::query_as(follow_up_query!(
            "",
            "WHERE c.follow_up_at > ? AND c.follow_up_at <= ? ORDER BY c.follow_up_at, c.id"
        ))
        .bind(since)
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        let local = Local
            .timestamp_opt(now, 0)
            .earliest()
            .unwrap_or_else(Local::now);
        let (today, tomorrow) = (
            followups::start_of_today(&local),
            followups::end_of_today(&local),
        );
        Ok(rows
            .into_iter()
            .map(|row| follow_up_date(row, today, tomorrow))
            .collect())
    }

    /// Hides a waiting thread until `until` (Unix seconds), or for good with `None`, as
    /// long as `message_id` is still the thread's newest message.
    pub async fn snooze_follow_up(&self, message_id: i64, until: Option<i64>) -> Result<()> {
        if let Some(until) = until {
            if until <= now() {
                return Err(invalid(
                    "until",
                    "Snooze until a time in the future.".into(),
                ));
            }
        }
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM message WHERE id = ?")
            .bind(message_id)
            .fetch_optional(&self.pool)
            .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound(format!("message {message_id}")));
        }
        sqlx::query(
            "INSERT INTO followup_dismissal (message_id, until, created_at) VALUES (?, ?, ?) \
             ON CONFLICT (message_id) DO UPDATE SET until = excluded.until, created_at = excluded.created_at",
        )
        .bind(message_id)
        .bind(until)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn dismiss_follow_up(&self, message_id: i64) -> Result<()> {
        self.snooze_follow_up(message_id, None).await
    }

    /// Undoes a snooze or a dismissal.
    pub async fn restore_follow_up(&self, message_id: i64) -> Result<()> {
        sqlx::query("DELETE FROM followup_dismissal WHERE message_id = ?")
            .bind(message_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// Mail with one contact in one calendar month (local time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MonthActivity {
    /// "YYYY-MM".
    pub month: String,
    pub sent: i64,
    pub received: i64,
}

/// What a contact card shows about the rhythm of the relationship.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactActivity {
    pub contact_id: i64,
    /// The last twelve months, oldest first, the current month last.
    pub months: Vec<MonthActivity>,
    /// Median seconds from their message to my answer in the same thread.
    pub my_median_reply_secs: Option<i64>,
    /// Median seconds from my message to their answer in the same thread.
    pub their_median_reply_secs: Option<i64>,
    pub last_inbound_at: Option<i64>,
    pub last_outbound_at: Option<i64>,
    /// The contact's own cadence; `None` follows `default_cadence_days`.
    pub cadence_days: Option<i64>,
    pub default_cadence_days: i64,
}

impl Store {
    pub async fn contact_activity(&self, contact_id: i64) -> Result<ContactActivity> {
        self.contact_activity_at(contact_id, &Local::now()).await
    }

    pub async fn contact_activity_at<Tz: TimeZone>(
        &self,
        contact_id: i64,
        now: &DateTime<Tz>,
    ) -> Result<ContactActivity> {
        let cadence: Option<Option<i64>> =
            sqlx::query_scalar("SELECT cadence_days FROM contact WHERE id = ?")
                .bind(contact_id)
                .fetch_optional(&self.pool)
                .await?;
        let Some(cadence_days) = cadence else {
            return Err(StoreError::NotFound(format!("contact {contact_id}")));
        };
        let settings = self.followup_settings().await?;
        let (last_inbound_at, last_outbound_at): (Option<i64>, Option<i64>) = sqlx::query_as(
            "SELECT (SELECT max(p.date) FROM participant p JOIN message m ON m.id = p.message_id \
                     WHERE p.contact_id = ?1 AND m.direction = 'in'), \
                    (SELECT max(p.date) FROM participant p JOIN message m ON m.id = p.message_id \
                     WHERE p.contact_id = ?1 AND m.direction = 'out')",
        )
        .bind(contact_id)
        .fetch_one(&self.pool)
        .await?;

        let zone = now.timezone();
        let this_month = now.date_naive().with_day(1).unwrap_or(now.date_naive());
        let first_month = (0..11).fold(this_month, |month, _| {
            (month - chrono::Duration::days(1))
                .with_day(1)
                .unwrap_or(month)
        });
        let since = first_month
            .and_hms_opt(0, 0, 0)
            .and_then(|t| zone.from_local_datetime(&t).earliest())
            .map(|t| t.timestamp())
            .unwrap_or(0);
        let rows: Vec<(i64, i64, Option<i64>, String)> = sqlx::query_as(
            "SELECT DISTINCT p.message_id, p.date, m.thread_id, m.direction \
             FROM participant p JOIN message m ON m.id = p.message_id \
             WHERE p.contact_id = ? AND p.date >= ? ORDER BY p.date, p.message_id",
        )
        .bind(contact_id)
        .bind(since)
        .fetch_all(&self.pool)
        .await?;

        let mut months: Vec<MonthActivity> = Vec::with_capacity(12);
        let mut month = first_month;
        for _ in 0..12 {
            months.push(MonthActivity {
                month: month.format("%Y-%m").to_string(),
                sent: 0,
                received: 0,
            });
            month = (month + chrono::Duration::days(32))
                .with_day(1)
                .unwrap_or(month);
        }
        let mut last_in_thread: HashMap<i64, (i64, bool)> = HashMap::new();
        let (mut mine, mut theirs) = (Vec::new(), Vec::new());
        for (_, date, thread, direction) in &rows {
            let outgoing = direction == "out";
            if let Some(local) = zone.timestamp_opt(*date, 0).earliest() {
                let key = local.date_naive().format("%Y-%m").to_string();
                if let Some(m) = months.iter_mut().find(|m| m.month == key) {
                    if outgoing {
                        m.sent += 1;
                    } else {
                        m.received += 1;
                    }
                }
            }
            let Some(thread) = thread else { continue };
            if let Some((previous, previous_out)) = last_in_thread.get(thread) {
                if *previous_out != outgoing {
                    let delay = date - previous;
                    if outgoing {
                        mine.push(delay);
                    } else {
                        theirs.push(delay);
                    }
                }
            }
            last_in_thread.insert(*thread, (*date, outgoing));
        }
        Ok(ContactActivity {
            contact_id,
            months,
            my_median_reply_secs: median(&mut mine),
            their_median_reply_secs: median(&mut theirs),
            last_inbound_at,
            last_outbound_at,
            cadence_days,
            default_cadence_days: settings.cadence_days,
        })
    }
}

fn median(values: &mut [i64]) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2
    } else {
        values[mid]
    })
}

fn follow_up_date(row: FollowUpRow, today: i64, tomorrow: i64) -> FollowUpDate {
    let status = if row.follow_up_at < today {
        FollowUpStatus::Overdue
    } else if row.follow_up_at < tomorrow {
        FollowUpStatus::Due
    } else {
        FollowUpStatus::Upcoming
    };
    FollowUpDate {
        contact_id: row.contact_id,
        display_name: row.display_name,
        email: row.email,
        stage: row.stage,
        follow_up_at: row.follow_up_at,
        status,
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::{
        crm::{self, ContactPolicy},
        mime::parse,
        store::{
            test_support::{account_with_folders, temp_store},
            BatchContext, FetchedMessage, KeepPolicy, MessageFlags,
        },
    };

    const ME: &str = "alice@rapport.test";

    /// Wednesday 16 January 2030, 15:00 UTC. Three working days back: Monday 00:00.
    fn wednesday() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2030, 1, 16, 15, 0, 0).unwrap()
    }

    fn mail(id: &str, from: &str, to: &str, date: &str, extra: &str) -> String {
        format!(
            "From: {from}\r\nTo: {to}\r\nSubject: {id}\r\nMessage-ID: <{id}@test>\r\n{extra}\
             Date: {date}\r\n\r\nAbout {id}\r\n"
        )
    }

    async fn store_mail(
        store: &Store,
        account: i64,
        folder: i64,
        uid: u32,
        raw: &str,
        answered: bool,
    ) {
        let account_record = store.account(account).await.unwrap();
        let ctx = BatchContext {
            account_id: account,
            folder_id: folder,
            uidvalidity: 1,
            identity: store.account_identity(&account_record).await.unwrap(),
            ignore: store.ignore_rules().await.unwrap(),
            keep: KeepPolicy::All,
        };
        let message = FetchedMessage {
            uid,
            flags: MessageFlags {
                answered,
                ..MessageFlags::default()
            },
            modseq: None,
            parsed: parse(raw.as_bytes(), None),
        };
        store.store_batch(&ctx, &[message]).await.unwrap();
    }

    /// Threads with a known answer at `wednesday()` with three working days.
    async fn seeded() -> (Store, tempfile::TempDir, i64, i64) {
        let (store, dir) = temp_store().await;
        let (account, inbox, _) = account_with_folders(&store, ME, ContactPolicy::All).await;
        let seed: &[(&str, &str, &str, &str, &str, bool)] = &[
            // Mine, Friday: waiting for Jan's reply.
            (
                "offer",
                ME,
                "Jan Novak <jan@firma.cz>",
                "Fri, 11 Jan 2030 10:00:00 +0000",
                "",
                false,
            ),
            // Mine, Tuesday: too recent.
            (
                "quote",
                ME,
                "eva@firma.cz",
                "Tue, 15 Jan 2030 10:00:00 +0000",
                "",
                false,
            ),
            // Mine, long ago: beyond the lookback window.
            (
                "ancient",
                ME,
                "jan@firma.cz",
                "Mon, 03 Sep 2029 10:00:00 +0000",
                "",
                false,
            ),
            // Petr wrote on Saturday: the weekend does not count, but Mon-Wed do.
            (
                "question",
                "Petr <petr@klient.cz>",
                ME,
                "Sat, 12 Jan 2030 10:00:00 +0000",
                "",
                false,
            ),
            // Petr wrote on Monday: two working days only.
            (
                "monday",
                "petr@klient.cz",
                ME,
                "Mon, 14 Jan 2030 09:00:00 +0000",
                "",
                false,
            ),
            // A newsletter and a machine: never waiting on me.
            (
                "deals",
                "Shop <deals@shop.cz>",
                ME,
                "Thu, 10 Jan 2030 10:00:00 +0000",
                "List-Unsubscribe: <mailto:out@shop.cz>\r\n",
                false,
            ),
            (
                "statement",
                "noreply@bank.cz",
                ME,
                "Thu, 10 Jan 2030 10:00:00 +0000",
                "",
                false,
            ),
            // Answered from another client: the \Answered flag says so.
            (
                "answered",
                "eva@firma.cz",
                ME,
                "Thu, 10 Jan 2030 10:00:00 +0000",
                "",
                true,
            ),
            // A conversation: Jan asked, I answered last, on Thursday.
            (
                "meeting",
                "jan@firma.cz",
                ME,
                "Tue, 08 Jan 2030 10:00:00 +0000",
                "",
                false,
            ),
            (
                "re-meeting",
                ME,
                "jan@firma.cz",
                "Thu, 10 Jan 2030 10:00:00 +0000",
                "In-Reply-To: <meeting@test>\r\n",
                false,
            ),
        ];
        for (uid, (id, from, to, date, extra, answered)) in seed.iter().enumerate() {
            store_mail(
                &store,
                account,
                inbox,
                uid as u32 + 1,
                &mail(id, from, to, date, extra),
                *answered,
            )
            .await;
        }
        (store, dir, account, inbox)
    }

    fn subjects(threads: &[WaitingThread]) -> Vec<&str> {
        threads.iter().map(|t| t.subject.as_str()).collect()
    }

    #[tokio::test]
    async fn each_waiting_list_holds_exactly_the_expected_threads() {
        let (store, _dir, _, _) = seeded().await;
        let lists = store
            .follow_ups_at(&FollowUpQuery::default(), &wednesday())
            .await
            .unwrap();
        assert_eq!(subjects(&lists.awaiting_reply), ["re-meeting", "offer"]);
        assert_eq!(subjects(&lists.awaiting_me), ["question"]);
        assert_eq!(lists.counts.awaiting_reply, 2);
        assert_eq!(lists.counts.awaiting_me, 1);
        let offer = &lists.awaiting_reply[1];
        assert_eq!(offer.person.address, "jan@firma.cz");
        assert_eq!(offer.person.name, "Jan Novak");
        assert!(offer.person.contact_id.is_some());
        assert_eq!(offer.working_days, 3);
        assert_eq!(lists.awaiting_me[0].working_days, 3, "Mon, Tue, Wed");
    }

    #[tokio::test]
    async fn a_shorter_wait_admits_more_and_a_longer_one_fewer() {
        let (store, _dir, _, _) = seeded().await;
        let mut settings = store.followup_settings().await.unwrap();
        assert_eq!(settings.reply_wait_days, 3, "the default");
        settings.reply_wait_days = 1;
        store.set_followup_settings(&settings).await.unwrap();
        let lists = store
            .follow_ups_at(&FollowUpQuery::default(), &wednesday())
            .await
            .unwrap();
        assert_eq!(
            subjects(&lists.awaiting_reply),
            ["re-meeting", "offer", "quote"]
        );
        assert_eq!(subjects(&lists.awaiting_me), ["question", "monday"]);
        settings.reply_wait_days = 4;
        store.set_followup_settings(&settings).await.unwrap();
        let lists = store
            .follow_ups_at(&FollowUpQuery::default(), &wednesday())
            .await
            .unwrap();
        assert_eq!(subjects(&lists.awaiting_reply), ["re-meeting"]);
        assert!(lists.awaiting_me.is_empty());
        settings.reply_wait_days = 0;
        let err = store.set_followup_settings(&settings).await.unwrap_err();
        assert!(matches!(
            err,
            StoreError::Invalid {
                field: "replyWaitDays",
                ..
            }
        ));
    }

    #[tokio::test]
    async fn a_reply_clears_the_thread_from_waiting_for_a_reply() {
        let (store, _dir, account, inbox) = seeded().await;
        let reply = mail(
            "re-offer",
            "Jan Novak <jan@firma.cz>",
            ME,
            "Mon, 14 Jan 2030 08:00:00 +0000",
            "In-Reply-To: <offer@test>\r\n",
        );
        store_mail(&store, account, inbox, 50, &reply, false).await;
        let lists = store
            .follow_ups_at(&FollowUpQuery::default(), &wednesday())
            .await
            .unwrap();
        assert_eq!(subjects(&lists.awaiting_reply), ["re-meeting"]);
        // Monday's reply has waited two working days: not yet on me.
        assert_eq!(subjects(&lists.awaiting_me), ["question"]);
    }

    #[tokio::test]
    async fn a_thread_merged_by_a_late_parent_keeps_its_newest_message() {
        let (store, _dir, account, inbox) = temp_store_with_account().await;
        // Newest first, as sync fetches: the reply arrives before what it answers.
        let reply = mail(
            "b",
            ME,
            "jan@firma.cz",
            "Fri, 11 Jan 2030 10:00:00 +0000",
            "In-Reply-To: <a@test>\r\n",
        );
        store_mail(&store, account, inbox, 2, &reply, false).await;
        let first = mail(
            "a",
            "jan@firma.cz",
            ME,
            "Thu, 10 Jan 2030 10:00:00 +0000",
            "",
        );
        store_mail(&store, account, inbox, 1, &first, false).await;
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT t.thread_id, m.subject FROM thread_latest t JOIN message m ON m.id = t.message_id")
                .fetch_all(store.pool())
                .await
                .unwrap();
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0].1, "b");
        let lists = store
            .follow_ups_at(&FollowUpQuery::default(), &wednesday())
            .await
            .unwrap();
        assert_eq!(subjects(&lists.awaiting_reply), ["b"]);
        assert!(lists.awaiting_me.is_empty());
        // Deleting the newest message hands the thread back to Jan's.
        sqlx::query("DELETE FROM message WHERE subject = 'b'")
            .execute(store.pool())
            .await
            .unwrap();
        let lists = store
            .follow_ups_at(&FollowUpQuery::default(), &wednesday())
            .await
            .unwrap();
        assert!(lists.awaiting_reply.is_empty());
        assert_eq!(subjects(&lists.awaiting_me), ["a"]);
    }

    async fn temp_store_with_account() -> (Store, tempfile::TempDir, i64, i64) {
        let (store, dir) = temp_store().await;
        let (account, inbox, _) = account_with_folders(&store, ME, ContactPolicy::All).await;
        (store, dir, account, inbox)
    }

    #[tokio::test]
    async fn snooze_and_dismiss_persist_across_restarts() {
        let (store, dir, _, _) = seeded().await;
        let lists = store
            .follow_ups_at(&FollowUpQuery::default(), &wednesday())
            .await
            .unwrap();
        let offer = lists.awaiting_reply[1].message_id;
        let question = lists.awaiting_me[0].message_id;
        let friday = Utc.with_ymd_and_hms(2030, 1, 18, 0, 0, 0).unwrap();
        store
            .snooze_follow_up(offer, Some(friday.timestamp()))
            .await
            .unwrap();
        store.dismiss_follow_up(question).await.unwrap();
        store.close().await;

        let store = Store::open(dir.path()).await.unwrap();
        let lists = store
            .follow_ups_at(&FollowUpQuery::default(), &wednesday())
            .await
            .unwrap();
        assert_eq!(subjects(&lists.awaiting_reply), ["re-meeting"]);
        assert!(lists.awaiting_me.is_empty());
        // The snooze ends on Friday; the dismissal does not.
        let saturday = Utc.with_ymd_and_hms(2030, 1, 19, 9, 0, 0).unwrap();
        let later = store
            .follow_ups_at(&FollowUpQuery::default(), &saturday)
            .await
            .unwrap();
        assert!(subjects(&later.awaiting_reply).contains(&"offer"));
        assert!(!subjects(&later.awaiting_me).contains(&"question"));
        store.restore_follow_up(question).await.unwrap();
        let restored = store
            .follow_ups_at(&FollowUpQuery::default(), &saturday)
            .await
            .unwrap();
        assert!(subjects(&restored.awaiting_me).contains(&"question"));

        let past = store.snooze_follow_up(offer, Some(0)).await.unwrap_err();
        assert!(matches!(past, StoreError::Invalid { field: "until", .. }));
        assert!(matches!(
            store.dismiss_follow_up(999_999).await.unwrap_err(),
            StoreError::NotFound(_)
        ));
    }

    async fn contact_named(store: &Store, address: &str) -> i64 {
        store.contact_id_for(address).await.unwrap().unwrap()
    }

    #[tokio::test]
    async fn going_cold_lists_chosen_stages_past_their_cadence_most_overdue_first() {
        let (store, _dir, _, _) = seeded().await;
        let jan = contact_named(&store, "jan@firma.cz").await;
        let petr = contact_named(&store, "petr@klient.cz").await;
        let eva = contact_named(&store, "eva@firma.cz").await;
        let dormant = store
            .create_contact("dormant@old.cz", Some("Dormant"))
            .await
            .unwrap();
        let quiet = store
            .create_contact("quiet@old.cz", Some("Quiet"))
            .await
            .unwrap();
        let set = |id: i64, stage: &'static str, last: Option<i64>| {
            let store = store.clone();
            async move {
                sqlx::query("UPDATE contact SET stage = ?, last_contact_at = coalesce(?, last_contact_at) WHERE id = ?")
                    .bind(stage)
                    .bind(last)
                    .bind(id)
                    .execute(store.pool())
                    .await
                    .unwrap();
            }
        };
        let november = Utc
            .with_ymd_and_hms(2029, 11, 1, 12, 0, 0)
            .unwrap()
            .timestamp();
        set(jan, "lead", None).await;
        set(petr, "customer", None).await;
        set(eva, "prospect", None).await;
        set(dormant, "prospect", Some(november)).await;
        set(quiet, "contact", Some(november)).await;
        // Jan's last exchange was Friday: cold only with a short cadence of his own.
        store.set_contact_cadence(jan, Some(2)).await.unwrap();

        let lists = store
            .follow_ups_at(&FollowUpQuery::default(), &wednesday())
            .await
            .unwrap();
        let cold: Vec<(i64, i64)> = lists
            .going_cold
            .iter()
            .map(|c| (c.contact_id, c.overdue_days))
            .collect();
        // Dormant: 76 days since 1 November, 30-day cadence. Jan: 5 days since Friday, 2-day cadence.
        assert_eq!(cold, [(dormant, 46), (jan, 3)]);
        assert_eq!(lists.going_cold[1].cadence_days, 2);

        let customers = store
            .follow_ups_at(
                &FollowUpQuery {
                    stages: Some(vec!["contact".into()]),
                    ..FollowUpQuery::default()
                },
                &wednesday(),
            )
            .await
            .unwrap();
        assert_eq!(
            customers
                .going_cold
                .iter()
                .map(|c| c.contact_id)
                .collect::<Vec<_>>(),
            [quiet]
        );
        assert!(matches!(
            store.set_contact_cadence(jan, Some(0)).await.unwrap_err(),
            StoreError::Invalid {
                field: "cadenceDays",
                ..
            }
        ));
    }

    #[tokio::test]
    async fn follow_up_dates_are_marked_due_and_overdue_by_local_day() {
        let (store, _dir, _, _) = seeded().await;
        let jan = contact_named(&store, "jan@firma.cz").await;
        let petr = contact_named(&store, "petr@klient.cz").await;
        let eva = contact_named(&store, "eva@firma.cz").await;
        let day = |d: u32| {
            Utc.with_ymd_and_hms(2030, 1, d, 0, 0, 0)
                .unwrap()
                .timestamp()
        };
        for (id, at) in [(jan, day(15)), (petr, day(16)), (eva, day(21))] {
            sqlx::query("UPDATE contact SET follow_up_at = ? WHERE id = ?")
                .bind(at)
                .bind(id)
                .execute(store.pool())
                .await
                .unwrap();
        }
        let lists = store
            .follow_ups_at(&FollowUpQuery::default(), &wednesday())
            .await
            .unwrap();
        let marks: Vec<(i64, FollowUpStatus)> = lists
            .follow_ups
            .iter()
            .map(|f| (f.contact_id, f.status))
            .collect();
        assert_eq!(
            marks,
            [
                (jan, FollowUpStatus::Overdue),
                (petr, FollowUpStatus::Due),
                (eva, FollowUpStatus::Upcoming)
            ]
        );
        assert_eq!(lists.counts.due, 2);
        // What a notifier that last looked on Tuesday evening announces on Wednesday.
        let fell_due = store
            .follow_ups_due_between(day(15) + 20 * 3600, wednesday().timestamp())
            .await
            .unwrap();
        assert_eq!(
            fell_due.iter().map(|f| f.contact_id).collect::<Vec<_>>(),
            [petr]
        );

        let only_jan = store
            .follow_ups_at(
                &FollowUpQuery {
                    contact_id: Some(jan),
                    ..FollowUpQuery::default()
                },
                &wednesday(),
            )
            .await
            .unwrap();
        assert_eq!(only_jan.follow_ups.len(), 1);
        assert_eq!(subjects(&only_jan.awaiting_reply), ["re-meeting", "offer"]);
        assert!(only_jan.awaiting_me.is_empty());
    }
    #[tokio::test]
    async fn contact_activity_counts_months_and_reply_times_both_ways() {
        let (store, _dir, account, inbox) = seeded().await;
        let reply = mail(
            "re-offer",
            "jan@firma.cz",
            ME,
            "Mon, 14 Jan 2030 08:00:00 +0000",
            "In-Reply-To: <offer@test>\r\n",
        );
        store_mail(&store, account, inbox, 50, &reply, false).await;
        let jan = contact_named(&store, "jan@firma.cz").await;
        let activity = store.contact_activity_at(jan, &wednesday()).await.unwrap();
        assert_eq!(activity.months.len(), 12);
        assert_eq!(activity.months[0].month, "2029-02");
        let last = &activity.months[11];
        assert_eq!(
            (last.month.as_str(), last.sent, last.received),
            ("2030-01", 2, 2)
        );
        let september = activity
            .months
            .iter()
            .find(|m| m.month == "2029-09")
            .unwrap();
        assert_eq!((september.sent, september.received), (1, 0));
        assert_eq!(
            activity.my_median_reply_secs,
            Some(2 * 86_400),
            "meeting answered in two days"
        );
        assert_eq!(
            activity.their_median_reply_secs,
            Some(2 * 86_400 + 22 * 3600)
        );
        let day = |d: u32, h: u32| {
            Utc.with_ymd_and_hms(2030, 1, d, h, 0, 0)
                .unwrap()
                .timestamp()
        };
        assert_eq!(activity.last_inbound_at, Some(day(14, 8)));
        assert_eq!(activity.last_outbound_at, Some(day(11, 10)));
        assert_eq!(
            (activity.cadence_days, activity.default_cadence_days),
            (None, 30)
        );
    }
    #[tokio::test]
    async fn the_sql_machine_check_agrees_with_the_crm_one() {
        let (store, _dir) = temp_store().await;
        let mut addresses: Vec<String> = crm::MACHINE_PREFIXES
            .iter()
            .flat_map(|p| [format!("{p}@x.cz"), format!("{p}-2024@x.cz")])
            .collect();
        addresses.extend(
            [
                "noreply@shop.cz",
                "no-reply@shop.cz",
                "no_reply@bank.cz",
                "do.not.reply@x.pl",
                "mailer-daemon@x.cz",
                "bounces+123@list.org",
                "notifications@github.com",
                "newsletter@news.ua",
                "neodpovidejte@firma.cz",
                "jana@shop.cz",
                "norbert@firma.cz",
                "post@firma.cz",
                "-noreply@x.cz",
                "bob@x.cz",
            ]
            .map(String::from),
        );
        for address in &addresses {
            let sql: bool = sqlx::query_scalar(concat!("SELECT ", machine_address!("?1")))
                .bind(address)
                .fetch_one(store.pool())
                .await
                .unwrap();
            assert_eq!(sql, crm::is_no_reply(address), "{address}");
        }
    }

    #[tokio::test]
    async fn counts_stay_complete_when_the_page_is_short() {
        let (store, _dir, account, inbox) = seeded().await;
        let to_machine = mail(
            "receipt",
            ME,
            "noreply@bank.cz",
            "Thu, 10 Jan 2030 10:00:00 +0000",
            "",
        );
        store_mail(&store, account, inbox, 60, &to_machine, false).await;
        let page = store
            .follow_ups_at(
                &FollowUpQuery {
                    limit: 1,
                    ..FollowUpQuery::default()
                },
                &wednesday(),
            )
            .await
            .unwrap();
        assert_eq!(subjects(&page.awaiting_reply), ["re-meeting"]);
        assert_eq!(
            page.counts.awaiting_reply, 2,
            "mail to a machine waits for nobody"
        );
    }
}
