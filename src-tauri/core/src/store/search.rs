//! Running a parsed search (`crate::search`) over every account: newest first, keyset
//! pages, the same rows as a message list.
//!
//! The full-text index drives (DESIGN.md §4): joining FTS5 to a filtered message scan
//! costs seconds on millions of rows. How its matches are put in date order depends on
//! how many there are:
//! - up to a few thousand are looked up and sorted;
//! - more (a common word) are read zone by zone: `message_zone` keeps the date range of
//!   every 4,096 consecutive message ids (a block range index, like PostgreSQL's BRIN),
//!   so the zones are visited newest first, each one an FTS5 rowid range, until no zone
//!   left can hold a newer match. Mail is stored in batches close in date, so a page of
//!   even the commonest word costs a zone or two;
//! - if the zones do not settle it (ids spread over all dates), the date index is walked
//!   newest first and each message checked against the matches.
//!
//! The word being typed is looked up in the index's vocabulary (`fts5vocab`) and searched
//! as the few whole words it can become: FTS5 would otherwise merge every word with that
//! prefix on each query. Filters (attachments, dates, the exact role of `from:`/`to:`)
//! apply to the rows the index gives.

use std::collections::HashMap;

use sqlx::SqliteConnection;

use super::{MessageListItem, Result, Store, TimelineCursor};
use crate::search::{PersonTerm, SearchQuery};

/// Up to this many matches are sorted by date; more are read zone by zone.
const SORT_MATCHES_UP_TO: i64 = 5_000;
/// `message_zone.zone` is `message.id >> ZONE_BITS` (see the migration).
const ZONE_BITS: u32 = 12;
/// Zones read for one page before walking the date index instead.
const MAX_ZONES: usize = 24;
/// A word being typed with more completions than this stays a prefix query.
const MAX_COMPLETIONS: usize = 128;

/// The cursor and the filters every query applies (?2..?6; ?7 is the limit).
macro_rules! after_fts {
    () => {
        "(m.date < ?2 OR (m.date = ?2 AND m.id < ?3)) AND m.date < ?4 AND m.date >= ?5 \
         AND (?6 = 0 OR m.has_attachments = 1) "
    };
}

/// The matches, looked up and sorted; CROSS JOIN keeps FTS5 in the outer loop.
macro_rules! sorted_matches {
    ($range:literal) => {
        concat!(
            "SELECT m.id, m.date FROM message_fts CROSS JOIN message m ON m.id = message_fts.rowid ",
            "WHERE message_fts MATCH ?1 AND ",
            after_fts!(),
            $range,
            "ORDER BY m.date DESC, m.id DESC LIMIT ?7"
        )
    };
}

const SORT_MATCHES_SQL: &str = sorted_matches!("");
const ZONE_MATCHES_SQL: &str = sorted_matches!("AND message_fts.rowid BETWEEN ?8 AND ?9 ");
const WALK_DATES_SQL: &str = concat!(
    "SELECT m.id, m.date FROM message m INDEXED BY message_date WHERE ",
    after_fts!(),
    "AND m.id IN (SELECT rowid FROM message_fts WHERE message_fts MATCH ?1) ",
    "ORDER BY m.date DESC, m.id DESC LIMIT ?7"
);
/// Zones that can hold a message dated at most ?1 and at least ?2, newest first.
const ZONES_SQL: &str = "SELECT zone, max_date FROM message_zone \
     WHERE min_date <= ?1 AND max_date >= ?2 ORDER BY max_date DESC";
// Filters only (?1, the words, is absent).
const ATTACHMENTS_SQL: &str = concat!(
    "SELECT m.id FROM message m INDEXED BY message_attachment_date ",
    "WHERE m.has_attachments = 1 AND ",
    after_fts!(),
    "ORDER BY m.date DESC, m.id DESC LIMIT ?7"
);
const DATES_SQL: &str = concat!(
    "SELECT m.id FROM message m INDEXED BY message_date WHERE ",
    after_fts!(),
    "ORDER BY m.date DESC, m.id DESC LIMIT ?7"
);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    /// Every match looked up and sorted by date.
    SortMatches,
    /// Zone by zone, newest first; when the zones do not settle it, the date index
    /// walked newest first with each message checked against the matches.
    Zones,
}

/// One candidate query: the words, the filters and where the page starts.
struct Candidates<'a> {
    fts: &'a str,
    query: &'a SearchQuery,
    cursor: Option<TimelineCursor>,
    limit: i64,
}

impl Candidates<'_> {
    fn cursor(&self) -> (i64, i64) {
        self.cursor
            .map(|c| (c.date, c.message_id))
            .unwrap_or((i64::MAX, i64::MAX))
    }

    /// (id, date) rows of `sql` with this query's parameters, and `extra` after them.
    async fn fetch(
        &self,
        conn: &mut SqliteConnection,
        sql: &'static str,
        extra: &[i64],
    ) -> Result<Vec<(i64, i64)>> {
        let (date, id) = self.cursor();
        let mut statement = sqlx::query_as(sql)
            .bind(self.fts)
            .bind(date)
            .bind(id)
            .bind(self.query.before.unwrap_or(i64::MAX))
            .bind(self.query.after.unwrap_or(i64::MIN))
            .bind(self.query.has_attachment)
            .bind(self.limit);
        for value in extra {
            statement = statement.bind(*value);
        }
        Ok(statement.fetch_all(&mut *conn).await?)
    }

    /// The page read zone by zone; None when the zones do not settle it.
    async fn by_zone(&self, conn: &mut SqliteConnection) -> Result<Option<Vec<(i64, i64)>>> {
        let (cursor_date, _) = self.cursor();
        let newest = cursor_date.min(self.query.before.map_or(i64::MAX, |b| b - 1));
        let zones: Vec<(i64, i64)> = sqlx::query_as(ZONES_SQL)
            .bind(newest)
            .bind(self.query.after.unwrap_or(i64::MIN))
            .fetch_all(&mut *conn)
            .await?;
        let limit = usize::try_from(self.limit).unwrap_or(1);
        // Newest first as (date, id), at most `limit`.
        let mut page: Vec<(i64, i64)> = Vec::new();
        for (visited, (zone, max_date)) in zones.into_iter().enumerate() {
            if page.len() >= limit && page.last().is_some_and(|&(date, _)| max_date < date) {
                break;
            }
            if visited == MAX_ZONES {
                return Ok(None);
            }
            let first = zone << ZONE_BITS;
            let last = first + (1 << ZONE_BITS) - 1;
            let rows = self.fetch(conn, ZONE_MATCHES_SQL, &[first, last]).await?;
            page.extend(rows.into_iter().map(|(id, date)| (date, id)));
            page.sort_unstable_by(|a, b| b.cmp(a));
            page.truncate(limit);
        }
        Ok(Some(
            page.into_iter().map(|(date, id)| (id, date)).collect(),
        ))
    }
}

impl Store {
    /// One page of messages matching `query`, newest first, older than `before`.
    pub async fn search_messages(
        &self,
        query: &SearchQuery,
        before: Option<TimelineCursor>,
        limit: i64,
    ) -> Result<Vec<MessageListItem>> {
        let limit = limit.clamp(1, 500);
        if query.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.pool.acquire().await?;
        let completions = match query.typed_word() {
            Some(word) => completions(&mut conn, &word).await?,
            None => None,
        };
        let Some(fts) = query.fts_match_completing(completions.as_deref()) else {
            drop(conn);
            let ids = self.filtered_page(query, before, limit).await?;
            return self.list_items(&ids, false).await;
        };
        let plan = plan_for(&mut conn, &fts).await?;
        let people = query.people();
        // Role checks drop some candidates (the person was only a recipient, say): ask
        // for more than a page so one round is usually enough.
        let batch = if people.is_empty() {
            limit
        } else {
            (limit * 2).max(100)
        };
        let mut page: Vec<i64> = Vec::new();
        let mut cursor = before;
        loop {
            let request = Candidates {
                fts: &fts,
                query,
                cursor,
                limit: batch,
            };
            let candidates = candidates(&mut conn, plan, &request).await?;
            let exhausted = (candidates.len() as i64) < batch;
            if let Some(&(id, date)) = candidates.last() {
                cursor = Some(TimelineCursor {
                    date,
                    message_id: id,
                });
            }
            page.extend(in_roles(&mut conn, people, &candidates).await?);
            if page.len() as i64 >= limit || exhausted {
                break;
            }
        }
        drop(conn);
        page.truncate(limit as usize);
        self.list_items(&page, false).await
    }

    /// A page for a query of filters only (no words): one range of a date index.
    async fn filtered_page(
        &self,
        query: &SearchQuery,
        cursor: Option<TimelineCursor>,
        limit: i64,
    ) -> Result<Vec<i64>> {
        let sql = if query.has_attachment {
            ATTACHMENTS_SQL
        } else {
            DATES_SQL
        };
        let (date, id) = cursor
            .map(|c| (c.date, c.message_id))
            .unwrap_or((i64::MAX, i64::MAX));
        Ok(sqlx::query_scalar(sql)
            .bind(None::<String>)
            .bind(date)
            .bind(id)
            .bind(query.before.unwrap_or(i64::MAX))
            .bind(query.after.unwrap_or(i64::MIN))
            .bind(query.has_attachment)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }
}

/// The index's words that start with `word` (already folded like the index), or None
/// when there are none or too many to list.
async fn completions(conn: &mut SqliteConnection, word: &str) -> Result<Option<Vec<String>>> {
    // Per connection, in the temporary schema: a view of the index's vocabulary.
    sqlx::query(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.message_fts_words \
         USING fts5vocab(main, 'message_fts', 'row')",
    )
    .execute(&mut *conn)
    .await?;
    let words: Vec<String> = sqlx::query_scalar(
        "SELECT term FROM temp.message_fts_words WHERE term >= ?1 AND term < ?2 \
         ORDER BY term LIMIT ?3",
    )
    .bind(word)
    .bind(format!("{word}\u{10FFFF}"))
    .bind(MAX_COMPLETIONS as i64 + 1)
    .fetch_all(&mut *conn)
    .await?;
    let words: Vec<String> = words.into_iter().filter(|w| w.starts_with(word)).collect();
    Ok((!words.is_empty() && words.len() <= MAX_COMPLETIONS).then_some(words))
}

async fn plan_for(conn: &mut SqliteConnection, fts: &str) -> Result<Plan> {
    let matches: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT 1 FROM message_fts WHERE message_fts MATCH ?1 LIMIT ?2)",
    )
    .bind(fts)
    .bind(SORT_MATCHES_UP_TO + 1)
    .fetch_one(&mut *conn)
    .await?;
    Ok(if matches > SORT_MATCHES_UP_TO {
        Plan::Zones
    } else {
        Plan::SortMatches
    })
}

/// (id, date) of up to `limit` matching messages older than the cursor, newest first,
/// with every filter but the people roles applied.
async fn candidates(
    conn: &mut SqliteConnection,
    plan: Plan,
    request: &Candidates<'_>,
) -> Result<Vec<(i64, i64)>> {
    match plan {
        Plan::SortMatches => request.fetch(conn, SORT_MATCHES_SQL, &[]).await,
        Plan::Zones => match request.by_zone(conn).await? {
            Some(page) => Ok(page),
            None => request.fetch(conn, WALK_DATES_SQL, &[]).await,
        },
    }
}

/// The candidates (in order) that have, for every `from:`/`to:` term, a person in
/// that role whose name or address holds the term's words.
async fn in_roles(
    conn: &mut SqliteConnection,
    people: &[PersonTerm],
    candidates: &[(i64, i64)],
) -> Result<Vec<i64>> {
    let ids: Vec<i64> = candidates.iter().map(|&(id, _)| id).collect();
    if people.is_empty() || ids.is_empty() {
        return Ok(ids);
    }
    let ids_json = serde_json::to_string(&ids)
        .map_err(|e| super::StoreError::Corrupt(format!("message ids: {e}")))?;
    let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
        "SELECT message_id, role, address, display_name FROM participant \
         WHERE message_id IN (SELECT value FROM json_each(?1)) \
         AND role IN ('from', 'to', 'cc', 'bcc')",
    )
    .bind(ids_json)
    .fetch_all(&mut *conn)
    .await?;
    let mut by_message: HashMap<i64, Vec<(String, String, String)>> = HashMap::new();
    for (message, role, address, name) in rows {
        by_message
            .entry(message)
            .or_default()
            .push((role, address, name));
    }
    Ok(ids
        .into_iter()
        .filter(|id| {
            let Some(present) = by_message.get(id) else {
                return false;
            };
            people.iter().all(|term| {
                present.iter().any(|(role, address, name)| {
                    term.role.stored_roles().contains(&role.as_str())
                        && (term.phrase.found_in(name) || term.phrase.found_in(address))
                })
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        crm::ContactPolicy,
        mime::parse,
        search::SearchQuery,
        store::{
            test_support::{account_with_folders, temp_store},
            BatchContext, FetchedMessage, KeepPolicy, MessageFlags,
        },
    };

    /// One message as the sync writer stores it (full-text row and people included).
    struct Mail<'a> {
        n: u32,
        from: &'a str,
        to: &'a str,
        cc: &'a str,
        subject: &'a str,
        body: &'a str,
        /// Day of November 2026.
        day: u32,
        attachment: bool,
    }

    impl Mail<'_> {
        fn raw(&self) -> String {
            let cc = if self.cc.is_empty() {
                String::new()
            } else {
                format!("Cc: {}\r\n", self.cc)
            };
            let head = format!(
                "From: {}\r\nTo: {}\r\n{cc}Subject: {}\r\nMessage-ID: <s{}@rapport.test>\r\n\
                 Date: {:02} Nov 2026 10:{:02}:00 +0000\r\nMIME-Version: 1.0\r\n",
                self.from,
                self.to,
                self.subject,
                self.n,
                self.day,
                self.n % 60
            );
            if self.attachment {
                format!(
                    "{head}Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
                     --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n\
                     --b\r\nContent-Type: application/pdf; name=\"offer.pdf\"\r\n\
                     Content-Disposition: attachment; filename=\"offer.pdf\"\r\n\
                     Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b--\r\n",
                    self.body
                )
            } else {
                format!(
                    "{head}Content-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n",
                    self.body
                )
            }
        }
    }

    fn mail<'a>(n: u32, from: &'a str, to: &'a str, subject: &'a str, day: u32) -> Mail<'a> {
        Mail {
            n,
            from,
            to,
            cc: "",
            subject,
            body: "",
            day,
            attachment: false,
        }
    }

    async fn store_mail(store: &Store, account: i64, folder: i64, mails: &[Mail<'_>]) {
        let record = store.account(account).await.unwrap();
        let ctx = BatchContext {
            account_id: account,
            folder_id: folder,
            uidvalidity: 1,
            identity: store.account_identity(&record).await.unwrap(),
            ignore: store.ignore_rules().await.unwrap(),
            keep: KeepPolicy::All,
        };
        let batch: Vec<FetchedMessage> = mails
            .iter()
            .map(|m| FetchedMessage {
                uid: m.n,
                flags: MessageFlags::default(),
                modseq: None,
                parsed: parse(m.raw().as_bytes(), None),
            })
            .collect();
        store.store_batch(&ctx, &batch).await.unwrap();
    }

    async fn find(store: &Store, query: &str) -> Vec<String> {
        let query = SearchQuery::parse_in(query, &chrono::Utc).unwrap();
        subjects(&store.search_messages(&query, None, 100).await.unwrap())
    }

    fn subjects(items: &[MessageListItem]) -> Vec<String> {
        items.iter().map(|m| m.subject.clone()).collect()
    }

    const ALICE: &str = "Alice <alice@rapport.test>";
    const JAN: &str = "Jan Novák <jan@firma.cz>";
    const EVA: &str = "Eva Dvořáková <eva@studio.cz>";

    /// Jan writes to Alice, Alice writes to Jan, Eva writes with Jan in Cc, and Petr
    /// (another person at Jan's company) writes too.
    async fn people_store() -> (Store, tempfile::TempDir) {
        let (store, dir) = temp_store().await;
        let (alice, inbox, archive) =
            account_with_folders(&store, "alice@rapport.test", ContactPolicy::Sent).await;
        store_mail(
            &store,
            alice,
            inbox,
            &[
                Mail {
                    body: "Here is the offer for spring.",
                    ..mail(1, JAN, ALICE, "Jan's offer", 1)
                },
                Mail {
                    body: "Thanks for the offer, Jan.",
                    ..mail(2, ALICE, JAN, "Re: Jan's offer", 2)
                },
                Mail {
                    cc: JAN,
                    body: "My offer, with Jan in copy.",
                    ..mail(3, EVA, ALICE, "Eva's offer", 3)
                },
                Mail {
                    body: "Another offer from the firm.",
                    ..mail(4, "Petr Malý <petr@firma.cz>", ALICE, "Petr's offer", 4)
                },
                Mail {
                    body: "Invoice attached.",
                    attachment: true,
                    ..mail(5, JAN, ALICE, "Jan's invoice", 5)
                },
            ],
        )
        .await;
        // An archived message is found too: search spans every folder and account.
        store_mail(
            &store,
            alice,
            archive,
            &[Mail {
                body: "Old offer, archived.",
                ..mail(6, JAN, ALICE, "Jan's archived offer", 6)
            }],
        )
        .await;
        (store, dir)
    }

    #[tokio::test]
    async fn from_finds_exactly_what_the_person_sent_not_what_they_received() {
        let (store, _dir) = people_store().await;
        assert_eq!(
            find(&store, "from:jan@firma.cz offer ").await,
            ["Jan's archived offer", "Jan's offer"]
        );
        assert_eq!(
            find(&store, "from:jan@firma.cz").await,
            ["Jan's archived offer", "Jan's invoice", "Jan's offer"]
        );
        // By name, accents ignored, and as the name is being typed.
        assert_eq!(
            find(&store, "from:novak").await,
            ["Jan's archived offer", "Jan's invoice", "Jan's offer"]
        );
        assert_eq!(
            find(&store, r#"from:"Jan Nov"#).await,
            ["Jan's archived offer", "Jan's invoice", "Jan's offer"]
        );
        // A domain: everyone writing from it.
        assert_eq!(
            find(&store, "from:firma.cz offer ").await,
            ["Jan's archived offer", "Petr's offer", "Jan's offer"]
        );
        assert_eq!(find(&store, "from:dvorakova").await, ["Eva's offer"]);
    }

    #[tokio::test]
    async fn to_covers_to_and_cc_but_not_the_sender() {
        let (store, _dir) = people_store().await;
        assert_eq!(
            find(&store, "to:jan@firma.cz").await,
            ["Eva's offer", "Re: Jan's offer"]
        );
        assert_eq!(find(&store, "to:jan from:eva").await, ["Eva's offer"]);
        assert!(find(&store, "to:petr").await.is_empty());
    }

    #[tokio::test]
    async fn words_search_subject_body_and_addresses() {
        let (store, _dir) = people_store().await;
        assert_eq!(find(&store, "spring").await, ["Jan's offer"]);
        assert_eq!(
            find(&store, "invoi").await,
            ["Jan's invoice"],
            "prefix while typing"
        );
        assert!(
            find(&store, "invoi ").await.is_empty(),
            "a finished word is whole"
        );
        assert_eq!(find(&store, "subject:invoice").await, ["Jan's invoice"]);
        assert!(
            find(&store, "subject:spring").await.is_empty(),
            "spring is only in a body"
        );
        assert_eq!(find(&store, r#""offer for spring""#).await, ["Jan's offer"]);
        assert_eq!(find(&store, "dvorakova").await, ["Eva's offer"]);
        assert_eq!(find(&store, "OFFER Eva").await, ["Eva's offer"]);
    }

    #[tokio::test]
    async fn has_attachment_and_date_bounds_filter_the_matches() {
        let (store, _dir) = people_store().await;
        assert_eq!(find(&store, "has:attachment").await, ["Jan's invoice"]);
        assert_eq!(
            find(&store, "from:jan has:attachment").await,
            ["Jan's invoice"]
        );
        assert!(find(&store, "offer has:attachment").await.is_empty());
        // after: is that day or later, before: is earlier than that day.
        assert_eq!(
            find(&store, "offer after:2026-11-03 before:2026-11-05").await,
            ["Petr's offer", "Eva's offer"]
        );
        assert_eq!(
            find(&store, "after:2026-11-05").await,
            ["Jan's archived offer", "Jan's invoice"]
        );
        assert_eq!(find(&store, "before:2026-11-02").await, ["Jan's offer"]);
        assert!(find(&store, "after:2026-11-05 before:2026-11-05")
            .await
            .is_empty());
    }

    #[tokio::test]
    async fn hostile_input_is_searched_as_text_and_never_fails() {
        let (store, _dir) = people_store().await;
        for hostile in [
            "\"",
            "offer\"",
            "\"offer",
            "*",
            "offer*",
            "NEAR(offer spring)",
            "offer OR invoice",
            "offer NOT spring",
            "subject:\"offer",
            "from:\"",
            "x\0y",
            "{subject}: offer",
            "^offer",
            "offer:",
            "'; DELETE FROM message; --",
            "\u{202e}offer",
            "ǅ ß й ١٢٣",
        ] {
            let query = SearchQuery::parse_in(hostile, &chrono::Utc).unwrap();
            store
                .search_messages(&query, None, 50)
                .await
                .unwrap_or_else(|e| panic!("{hostile:?}: {e}"));
        }
        assert_eq!(
            find(&store, "(spring)").await,
            ["Jan's offer"],
            "parentheses are nothing"
        );
        assert!(
            find(&store, "NEAR(offer spring)").await.is_empty(),
            "NEAR is a word"
        );
        assert!(
            find(&store, "offer OR invoice").await.is_empty(),
            "OR is a word here"
        );
        assert_eq!(find(&store, "*").await, Vec::<String>::new());
        let messages: i64 = sqlx::query_scalar("SELECT count(*) FROM message")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(messages, 6);
    }

    #[tokio::test]
    async fn pages_follow_the_cursor_across_accounts_and_role_checks() {
        let (store, _dir) = temp_store().await;
        let (work, work_inbox, _) =
            account_with_folders(&store, "alice@rapport.test", ContactPolicy::Sent).await;
        let (home, home_inbox, _) =
            account_with_folders(&store, "alice@home.test", ContactPolicy::Sent).await;
        // Twelve "report" mails over twelve days; Jan sends the odd ones and receives
        // the even ones, so from: drops every other candidate.
        let subjects: Vec<String> = (1..=12).map(|n| format!("Report {n:02}")).collect();
        let mails: Vec<Mail> = (1..=12u32)
            .map(|n| {
                let (from, to) = if n % 2 == 1 {
                    (JAN, ALICE)
                } else {
                    (ALICE, JAN)
                };
                Mail {
                    body: "weekly report",
                    ..mail(n, from, to, &subjects[n as usize - 1], n)
                }
            })
            .collect();
        let (first, second) = mails.split_at(6);
        store_mail(&store, work, work_inbox, first).await;
        store_mail(&store, home, home_inbox, second).await;

        let all = pages(&store, "report", 5).await;
        assert_eq!(all.len(), 3);
        assert_eq!(
            all.concat(),
            (1..=12)
                .rev()
                .map(|n| format!("Report {n:02}"))
                .collect::<Vec<_>>()
        );
        let from_jan = pages(&store, "from:jan report", 2).await;
        assert_eq!(
            from_jan,
            [
                vec!["Report 11", "Report 09"],
                vec!["Report 07", "Report 05"],
                vec!["Report 03", "Report 01"],
            ]
        );
        let home_rows = find_rows(&store, "report after:2026-11-12").await;
        assert_eq!(home_rows[0].accounts, ["alice@home.test"]);
    }

    #[tokio::test]
    async fn role_checks_read_on_until_the_page_is_full() {
        let (store, _dir) = temp_store().await;
        let (alice, inbox, _) =
            account_with_folders(&store, "alice@rapport.test", ContactPolicy::Sent).await;
        // 155 notes with Jan: he sent only the five oldest, so the role check throws
        // away more than a whole batch of candidates before it finds them.
        let subjects: Vec<String> = (1..=155).map(|n| format!("Note {n:03}")).collect();
        let mails: Vec<Mail> = (1..=155u32)
            .map(|n| {
                let (from, to) = if n <= 5 { (JAN, ALICE) } else { (ALICE, JAN) };
                mail(n, from, to, &subjects[n as usize - 1], 1 + n / 60)
            })
            .collect();
        store_mail(&store, alice, inbox, &mails).await;
        assert_eq!(
            find(&store, "from:jan").await,
            ["Note 005", "Note 004", "Note 003", "Note 002", "Note 001"]
        );
        assert_eq!(find(&store, "to:jan note").await.len(), 100, "a full page");
    }

    async fn find_rows(store: &Store, text: &str) -> Vec<MessageListItem> {
        let query = SearchQuery::parse_in(text, &chrono::Utc).unwrap();
        store.search_messages(&query, None, 100).await.unwrap()
    }

    /// Every page of `text`, `limit` at a time, following the cursor to the end.
    async fn pages(store: &Store, text: &str, limit: i64) -> Vec<Vec<String>> {
        let query = SearchQuery::parse_in(text, &chrono::Utc).unwrap();
        let mut out = Vec::new();
        let mut before = None;
        loop {
            let page = store.search_messages(&query, before, limit).await.unwrap();
            if page.is_empty() {
                break;
            }
            before = page.last().map(|m| TimelineCursor {
                date: m.date,
                message_id: m.id,
            });
            out.push(subjects(&page));
            assert!(out.len() < 20, "paging does not end");
        }
        out
    }

    #[tokio::test]
    async fn both_plans_give_the_same_pages() {
        let (store, _dir) = people_store().await;
        for text in [
            "offer",
            "from:jan offer",
            "offer has:attachment",
            "offer after:2026-11-02",
            "invoice",
        ] {
            let query = SearchQuery::parse_in(text, &chrono::Utc).unwrap();
            let fts = query.fts_match().unwrap();
            for limit in [1, 2, 10] {
                assert_plans_agree(&store, &fts, &query, None, limit).await;
            }
        }
    }

    /// Every plan gives the same candidates for this page.
    async fn assert_plans_agree(
        store: &Store,
        fts: &str,
        query: &SearchQuery,
        cursor: Option<TimelineCursor>,
        limit: i64,
    ) -> Vec<(i64, i64)> {
        let mut conn = store.pool().acquire().await.unwrap();
        let request = Candidates {
            fts,
            query,
            cursor,
            limit,
        };
        let sorted = candidates(&mut conn, Plan::SortMatches, &request)
            .await
            .unwrap();
        let walked = request.fetch(&mut conn, WALK_DATES_SQL, &[]).await.unwrap();
        let zoned = request.by_zone(&mut conn).await.unwrap();
        assert_eq!(sorted, walked, "{fts} from {cursor:?}, {limit}");
        if let Some(zoned) = zoned {
            assert_eq!(sorted, zoned, "{fts} from {cursor:?}, {limit} by zone");
        }
        sorted
    }

    /// Messages written straight into the tables (ids chosen by the test), with their
    /// full-text rows: `(id, date, subject)`.
    async fn insert_raw(store: &Store, rows: &[(i64, i64, String)]) {
        for (id, date, subject) in rows {
            sqlx::query(
                "INSERT INTO message (id, dedup_key, subject, date, direction, created_at) \
                 VALUES (?1, 'raw' || ?1, ?2, ?3, 'in', 0)",
            )
            .bind(id)
            .bind(subject)
            .bind(date)
            .execute(store.pool())
            .await
            .unwrap();
            sqlx::query(
                "INSERT INTO message_fts (rowid, subject, body, addresses) VALUES (?, ?, '', '')",
            )
            .bind(id)
            .bind(subject)
            .execute(store.pool())
            .await
            .unwrap();
        }
    }

    #[tokio::test]
    async fn zones_give_the_newest_matches_whatever_the_order_of_ids() {
        let (store, _dir) = temp_store().await;
        // 600 messages over 30 zones. Zone z holds dates from a block chosen out of
        // order, like a first sync that stores newest first; every third is "common".
        let mut rows = Vec::new();
        for z in 0..30i64 {
            let block = (z * 7) % 30;
            for k in 0..20i64 {
                let id = (z << ZONE_BITS) + 1 + k * 37;
                let date = 1_700_000_000 + block * 10_000 + (19 - k) * 100;
                let subject = if id % 3 == 0 { "common word" } else { "other" };
                rows.push((id, date, subject.to_owned()));
            }
        }
        insert_raw(&store, &rows).await;
        let zones: i64 = sqlx::query_scalar("SELECT count(*) FROM message_zone")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(zones, 30, "the triggers keep one zone per 4,096 ids");

        let query = SearchQuery::parse_in("common ", &chrono::Utc).unwrap();
        let fts = query.fts_match().unwrap();
        let mut expected: Vec<(i64, i64)> = rows
            .iter()
            .filter(|(id, ..)| id % 3 == 0)
            .map(|(id, date, _)| (*date, *id))
            .collect();
        expected.sort_unstable_by(|a, b| b.cmp(a));
        // Every page, at several sizes, from the start and from cursors.
        for limit in [1, 7, 50, 500] {
            let mut cursor = None;
            let mut seen = Vec::new();
            loop {
                let page = assert_plans_agree(&store, &fts, &query, cursor, limit).await;
                let Some(&(id, date)) = page.last() else {
                    break;
                };
                seen.extend(page.iter().map(|&(id, date)| (date, id)));
                cursor = Some(TimelineCursor {
                    date,
                    message_id: id,
                });
            }
            assert_eq!(seen, expected, "limit {limit}");
        }
        // With a date bound, too.
        let mut bounded = query.clone();
        bounded.before = Some(1_700_000_000 + 150_000);
        assert_plans_agree(&store, &fts, &bounded, None, 10).await;

        // A page the zones cannot settle in a few reads falls back to the date index.
        let mut conn = store.pool().acquire().await.unwrap();
        let late = SearchQuery::parse_in("other ", &chrono::Utc).unwrap();
        let fts_late = late.fts_match().unwrap();
        let request = Candidates {
            fts: &fts_late,
            query: &late,
            cursor: None,
            limit: 500,
        };
        assert_eq!(request.by_zone(&mut conn).await.unwrap(), None);
        let all = candidates(&mut conn, Plan::Zones, &request).await.unwrap();
        assert_eq!(
            all.len(),
            rows.iter().filter(|(id, ..)| id % 3 != 0).count()
        );
    }

    #[tokio::test]
    async fn the_word_being_typed_is_completed_from_the_index() {
        let (store, _dir) = people_store().await;
        let mut conn = store.pool().acquire().await.unwrap();
        assert_eq!(
            completions(&mut conn, "inv").await.unwrap(),
            Some(vec!["invoice".to_owned()])
        );
        assert_eq!(
            completions(&mut conn, "no").await.unwrap(),
            Some(vec!["novak".to_owned()])
        );
        assert_eq!(completions(&mut conn, "zzz").await.unwrap(), None);
        drop(conn);
        // Czech letters: typed with or without accents, the same messages.
        assert_eq!(
            find(&store, "from:Nová").await,
            find(&store, "from:nova").await
        );
        assert_eq!(find(&store, "Dvořák").await, ["Eva's offer"]);
    }

    /// The query plan's steps of `sql` (`extra`: parameters after the seven shared ones).
    async fn plan_of(store: &Store, sql: &str, extra: &[i64]) -> Vec<String> {
        let mut statement =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")))
                .bind("\"offer\"")
                .bind(1)
                .bind(1)
                .bind(1)
                .bind(1)
                .bind(false)
                .bind(10);
        for value in extra {
            statement = statement.bind(*value);
        }
        let rows: Vec<(i64, i64, i64, String)> = statement.fetch_all(store.pool()).await.unwrap();
        rows.into_iter().map(|r| r.3).collect()
    }

    #[tokio::test]
    async fn the_index_drives_each_plan() {
        let (store, _dir) = temp_store().await;
        let sort = plan_of(&store, SORT_MATCHES_SQL, &[]).await;
        assert!(sort[0].contains("message_fts"), "FTS first: {sort:?}");
        assert!(
            sort.iter().any(|d| d.contains("INTEGER PRIMARY KEY")),
            "{sort:?}"
        );
        let zone = plan_of(&store, ZONE_MATCHES_SQL, &[0, 4095]).await;
        assert!(zone[0].contains("message_fts"), "FTS first: {zone:?}");
        let walk = plan_of(&store, WALK_DATES_SQL, &[]).await;
        assert!(walk.iter().any(|d| d.contains("message_date")), "{walk:?}");
        assert!(
            !walk.iter().any(|d| d.contains("TEMP B-TREE FOR ORDER BY")),
            "{walk:?}"
        );
        let filters = plan_of(&store, ATTACHMENTS_SQL, &[]).await;
        assert!(
            filters
                .iter()
                .any(|d| d.contains("message_attachment_date")),
            "{filters:?}"
        );
        assert!(
            !filters.iter().any(|d| d.contains("TEMP B-TREE")),
            "{filters:?}"
        );
    }
}
