//! Reading mail for the daily view: message lists (one folder, or every account's inbox
//! as one) as keyset pages newest first, and one message with its people, bodies,
//! attachments and thread for the reader.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::{Result, Store, StoreError, TimelineCursor};
use crate::{
    attachments::{self, AttachmentInfo},
    safe_html,
};

/// Which messages a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum MessageView {
    /// Every account's folder with the role `inbox`, as one list.
    Inbox,
    /// One folder, by id.
    Folder(i64),
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageQuery {
    pub view: MessageView,
    /// The last row shown; the page holds older messages. None: the newest.
    #[serde(default)]
    pub before: Option<TimelineCursor>,
    #[serde(default = "default_page")]
    pub limit: i64,
}

fn default_page() -> i64 {
    100
}

/// One row of a message list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageListItem {
    pub id: i64,
    pub thread_id: i64,
    /// Messages in the thread, this one included.
    pub thread_count: i64,
    pub from_name: String,
    pub from_address: String,
    pub subject: String,
    pub snippet: String,
    pub date: i64,
    pub seen: bool,
    pub flagged: bool,
    pub has_attachments: bool,
    pub direction: String,
    /// Addresses of the accounts holding the message.
    pub accounts: Vec<String>,
}

#[derive(sqlx::FromRow)]
struct ListRow {
    id: i64,
    thread_id: i64,
    thread_count: i64,
    from_name: String,
    from_address: String,
    subject: String,
    snippet: String,
    date: i64,
    seen: bool,
    flagged: bool,
    has_attachments: bool,
    direction: String,
    accounts: String,
}

impl From<ListRow> for MessageListItem {
    fn from(r: ListRow) -> Self {
        MessageListItem {
            id: r.id,
            thread_id: r.thread_id,
            thread_count: r.thread_count,
            from_name: r.from_name,
            from_address: r.from_address,
            subject: r.subject,
            snippet: r.snippet,
            date: r.date,
            seen: r.seen,
            flagged: r.flagged,
            has_attachments: r.has_attachments,
            direction: r.direction,
            accounts: split_accounts(&r.accounts),
        }
    }
}

/// One conversation in a message list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ThreadListItem {
    pub thread_id: i64,
    /// The thread's newest message in this list: the row shows its sender, snippet, date.
    pub latest: MessageListItem,
    /// The conversation's name: the subject without reply and forward prefixes.
    pub subject: String,
    /// Messages in the thread, in any folder.
    pub message_count: i64,
    pub unread_count: i64,
    pub flagged: bool,
    pub has_attachments: bool,
}

/// A page of conversations and where the next one starts (None: this was the last).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ThreadPage {
    pub threads: Vec<ThreadListItem>,
    pub next: Option<TimelineCursor>,
}

/// A person in a message header; `contact_id` when the address belongs to a contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    pub name: String,
    pub address: String,
    pub contact_id: Option<i64>,
}

/// Everything the reader shows for one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageDetail {
    pub id: i64,
    pub thread_id: i64,
    pub subject: String,
    pub date: i64,
    pub direction: String,
    pub seen: bool,
    pub flagged: bool,
    pub from: Vec<Person>,
    pub to: Vec<Person>,
    pub cc: Vec<Person>,
    pub reply_to: Vec<Person>,
    /// The text part, or text made from the HTML when the message has none.
    pub text: String,
    /// Sanitised again on every read (`safe_html`), so mail stored under an older policy
    /// gets the current one; still shown only in a sandboxed frame.
    pub html: Option<String>,
    /// The HTML loads images from the network (blocked until the user allows them).
    pub remote_images: bool,
    /// The sender is on the "always show remote images" list.
    pub remote_images_allowed: bool,
    /// The HTML shows some of the message's own parts (`cid:` images), which
    /// `attachments::html_with_inline_images` fetches and embeds.
    pub inline_images: bool,
    /// The attachments, without the inline images the HTML shows in place.
    pub attachments: Vec<AttachmentInfo>,
    pub accounts: Vec<String>,
    /// The other messages of the thread, oldest first.
    pub thread: Vec<MessageListItem>,
}

/// List columns for the messages whose ids `$ids` selects (one `id` column).
macro_rules! list_query {
    ($ids:literal, $order:literal) => {
        concat!(
            "SELECT m.id, coalesce(m.thread_id, m.id) AS thread_id, ",
            "CASE WHEN m.thread_id IS NULL THEN 1 ELSE ",
            "  (SELECT count(*) FROM message t WHERE t.thread_id = m.thread_id) END AS thread_count, ",
            "coalesce(f.display_name, '') AS from_name, coalesce(f.address, '') AS from_address, ",
            "m.subject, m.snippet, m.date, m.seen, m.flagged, m.has_attachments, m.direction, ",
            "coalesce((SELECT group_concat(DISTINCT a.email) FROM message_location l ",
            "  JOIN folder fo ON fo.id = l.folder_id JOIN account a ON a.id = fo.account_id ",
            "  WHERE l.message_id = m.id), '') AS accounts ",
            "FROM message m ",
            "LEFT JOIN participant f ON f.message_id = m.id AND f.role = 'from' AND f.position = 0 ",
            "WHERE m.id IN (",
            $ids,
            ") ",
            $order
        )
    };
}

/// The accounts from `group_concat`, sorted so a row reads the same every time.
fn split_accounts(joined: &str) -> Vec<String> {
    let mut accounts: Vec<String> = joined
        .split(',')
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
        .collect();
    accounts.sort_unstable();
    accounts
}

impl Store {
    /// A page of a message list, newest first. Each folder is read as one index range
    /// (`message_location_folder_date`) and the folders' pages merged, so a page costs
    /// the same on a store of a hundred messages or a million.
    pub async fn list_messages(&self, query: &MessageQuery) -> Result<Vec<MessageListItem>> {
        let limit = query.limit.clamp(1, 500);
        let folders = self.view_folders(query.view).await?;
        let below = query
            .before
            .map(|c| (c.date, c.message_id))
            .unwrap_or((i64::MAX, i64::MAX));
        let page = self.scan_page(&folders, below, limit).await?;
        let ids: Vec<i64> = page.into_iter().map(|(_, id)| id).collect();
        self.list_items(&ids, false).await
    }

    /// The folders a view reads.
    async fn view_folders(&self, view: MessageView) -> Result<Vec<i64>> {
        Ok(match view {
            MessageView::Inbox => {
                sqlx::query_scalar("SELECT id FROM folder WHERE role = 'inbox' ORDER BY id")
                    .fetch_all(&self.pool)
                    .await?
            }
            MessageView::Folder(id) => vec![id],
        })
    }

    /// (date, message id) of the newest `limit` messages below `below` in these folders.
    async fn scan_page(
        &self,
        folders: &[i64],
        below: (i64, i64),
        limit: i64,
    ) -> Result<Vec<(i64, i64)>> {
        let (date, id) = below;
        // Every message of the merged page is within the first `limit` distinct
        // messages of each folder holding it, so `limit` per folder is enough.
        let mut page: Vec<(i64, i64)> = Vec::new();
        for folder in folders {
            let rows: Vec<(i64, i64)> = sqlx::query_as(
                "SELECT DISTINCT date, message_id FROM message_location \
                 WHERE folder_id = ?1 AND (date < ?2 OR (date = ?2 AND message_id < ?3)) \
                 ORDER BY date DESC, message_id DESC LIMIT ?4",
            )
            .bind(folder)
            .bind(date)
            .bind(id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
            page.extend(rows);
        }
        page.sort_unstable_by(|a, b| b.cmp(a));
        page.dedup();
        page.truncate(usize::try_from(limit).unwrap_or(500));
        Ok(page)
    }

    /// A page of a message list grouped into conversations, newest first: one row per
    /// thread, placed by its newest message in the view. Pages are keyset pages over the
    /// view's messages, like `list_messages`; a thread met again on a later page (an
    /// older message of it) is not repeated, because its newest message lies above the
    /// page's start.
    pub async fn list_threads(&self, query: &MessageQuery) -> Result<ThreadPage> {
        let limit = query.limit.clamp(1, 500);
        let folders = self.view_folders(query.view).await?;
        let folders_json = serde_json::to_string(&folders)
            .map_err(|e| StoreError::Corrupt(format!("folder ids: {e}")))?;
        let start = query.before.map(|c| (c.date, c.message_id));
        let mut below = start.unwrap_or((i64::MAX, i64::MAX));
        let mut shown: HashSet<i64> = HashSet::new();
        let mut latest: Vec<(i64, i64)> = Vec::new(); // (thread, message)
        let mut next = None;
        let chunk = limit.max(50);
        'scan: loop {
            let page = self.scan_page(&folders, below, chunk).await?;
            let ids_json = serde_json::to_string(&page.iter().map(|p| p.1).collect::<Vec<_>>())
                .map_err(|e| StoreError::Corrupt(format!("message ids: {e}")))?;
            let threads: HashMap<i64, i64> = sqlx::query_as::<_, (i64, i64)>(
                "SELECT id, coalesce(thread_id, id) FROM message WHERE id IN (SELECT value FROM json_each(?1))",
            )
            .bind(ids_json)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .collect();
            for &(date, id) in &page {
                below = (date, id);
                let thread = threads.get(&id).copied().unwrap_or(id);
                if !shown.insert(thread) {
                    continue;
                }
                if let Some((start_date, start_id)) = start {
                    let earlier: Option<i64> = sqlx::query_scalar(
                        "SELECT 1 FROM message t JOIN message_location l ON l.message_id = t.id \
                         WHERE (t.thread_id = ?1 OR t.id = ?1) \
                         AND l.folder_id IN (SELECT value FROM json_each(?2)) \
                         AND (l.date > ?3 OR (l.date = ?3 AND l.message_id >= ?4)) LIMIT 1",
                    )
                    .bind(thread)
                    .bind(&folders_json)
                    .bind(start_date)
                    .bind(start_id)
                    .fetch_optional(&self.pool)
                    .await?;
                    if earlier.is_some() {
                        continue;
                    }
                }
                latest.push((thread, id));
                if latest.len() as i64 == limit {
                    next = Some(TimelineCursor {
                        date,
                        message_id: id,
                    });
                    break 'scan;
                }
            }
            if (page.len() as i64) < chunk {
                break;
            }
        }
        self.thread_rows(&latest)
            .await
            .map(|threads| ThreadPage { threads, next })
    }

    /// Thread rows for (thread, newest message in the view), in that order.
    async fn thread_rows(&self, latest: &[(i64, i64)]) -> Result<Vec<ThreadListItem>> {
        let message_ids: Vec<i64> = latest.iter().map(|l| l.1).collect();
        let mut items: HashMap<i64, MessageListItem> = self
            .list_items(&message_ids, false)
            .await?
            .into_iter()
            .map(|item| (item.id, item))
            .collect();
        let thread_ids = serde_json::to_string(&latest.iter().map(|l| l.0).collect::<Vec<_>>())
            .map_err(|e| StoreError::Corrupt(format!("thread ids: {e}")))?;
        type Totals = (i64, i64, i64, bool, bool);
        let totals: HashMap<i64, Totals> = sqlx::query_as::<_, Totals>(
            "SELECT thread_id, count(*), sum(seen = 0), max(flagged), max(has_attachments) FROM message \
             WHERE thread_id IN (SELECT value FROM json_each(?1)) GROUP BY thread_id",
        )
        .bind(thread_ids)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|t| (t.0, t))
        .collect();
        Ok(latest
            .iter()
            .filter_map(|(thread, message)| {
                let latest = items.remove(message)?;
                let (_, count, unread, flagged, attachments) =
                    totals.get(thread).copied().unwrap_or((
                        *thread,
                        1,
                        i64::from(!latest.seen),
                        latest.flagged,
                        latest.has_attachments,
                    ));
                let subject = if count > 1 {
                    crate::conversation::normalize_subject(&latest.subject).to_owned()
                } else {
                    latest.subject.clone()
                };
                Some(ThreadListItem {
                    thread_id: *thread,
                    subject,
                    message_count: count,
                    unread_count: unread,
                    flagged,
                    has_attachments: attachments,
                    latest,
                })
            })
            .collect())
    }

    /// Every message of a thread, oldest first (the conversation view).
    pub async fn thread_messages(&self, thread_id: i64) -> Result<Vec<MessageListItem>> {
        // Threads are conversations, not mailing-list archives: a few hundred is plenty.
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM message WHERE thread_id = ?1 OR (id = ?1 AND thread_id IS NULL) \
             ORDER BY date, id LIMIT 500",
        )
        .bind(thread_id)
        .fetch_all(&self.pool)
        .await?;
        if ids.is_empty() {
            return Err(StoreError::NotFound(format!("conversation {thread_id}")));
        }
        self.list_items(&ids, true).await
    }

    /// The rows for these messages, newest first (or oldest first).
    pub(super) async fn list_items(
        &self,
        ids: &[i64],
        oldest_first: bool,
    ) -> Result<Vec<MessageListItem>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // json_each keeps it one prepared statement whatever the page size.
        let ids_json = serde_json::to_string(ids)
            .map_err(|e| StoreError::Corrupt(format!("message ids: {e}")))?;
        let sql = if oldest_first {
            list_query!(
                "SELECT value FROM json_each(?1)",
                "ORDER BY m.date ASC, m.id ASC"
            )
        } else {
            list_query!(
                "SELECT value FROM json_each(?1)",
                "ORDER BY m.date DESC, m.id DESC"
            )
        };
        let rows: Vec<ListRow> = sqlx::query_as(sql)
            .bind(ids_json)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(MessageListItem::from).collect())
    }

    /// One message for the reader.
    pub async fn message_detail(&self, message_id: i64) -> Result<MessageDetail> {
        type Head = (i64, String, i64, String, bool, bool);
        let (thread_id, subject, date, direction, seen, flagged): Head = sqlx::query_as(
            "SELECT coalesce(thread_id, id), subject, date, direction, seen, flagged \
             FROM message WHERE id = ?",
        )
        .bind(message_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("message {message_id}")))?;

        let people: Vec<(String, String, String, Option<i64>)> = sqlx::query_as(
            "SELECT role, display_name, address, contact_id FROM participant \
             WHERE message_id = ? ORDER BY role, position",
        )
        .bind(message_id)
        .fetch_all(&self.pool)
        .await?;
        let with_role = |role: &str| -> Vec<Person> {
            people
                .iter()
                .filter(|(r, ..)| r == role)
                .map(|(_, name, address, contact_id)| Person {
                    name: name.clone(),
                    address: address.clone(),
                    contact_id: *contact_id,
                })
                .collect()
        };

        let body: Option<(String, Option<String>)> =
            sqlx::query_as("SELECT text, html FROM message_body WHERE message_id = ?")
                .bind(message_id)
                .fetch_optional(&self.pool)
                .await?;
        let (mut text, stored_html) = body.unwrap_or_default();
        let stored_html = stored_html.filter(|h| !h.trim().is_empty());
        let safe = stored_html.as_deref().map(safe_html::sanitize);
        if text.trim().is_empty() {
            if let Some(html) = &stored_html {
                text = mail_parser::decoders::html::html_to_text(html);
            }
        }
        let content_ids = safe
            .as_ref()
            .map(|s| s.content_ids.clone())
            .unwrap_or_default();
        let inline_parts: Vec<(i64, String)> = sqlx::query_as(
            "SELECT id, content_id FROM attachment WHERE message_id = ? AND content_id IS NOT NULL",
        )
        .bind(message_id)
        .fetch_all(&self.pool)
        .await?;
        let shown_inline: Vec<i64> = inline_parts
            .iter()
            .filter(|(_, cid)| content_ids.contains(cid.trim_matches(['<', '>'])))
            .map(|(id, _)| *id)
            .collect();
        let mut attachments = attachments::list_for_message(self, message_id).await?;
        attachments.retain(|a| !(a.is_inline && shown_inline.contains(&a.id)));
        let remote_images_allowed = match people.iter().find(|(role, ..)| role == "from") {
            Some((_, _, address, _)) => self.remote_images_allowed(address).await?,
            None => false,
        };

        let accounts: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT a.email FROM message_location l JOIN folder f ON f.id = l.folder_id \
             JOIN account a ON a.id = f.account_id WHERE l.message_id = ? ORDER BY a.email",
        )
        .bind(message_id)
        .fetch_all(&self.pool)
        .await?;

        // Threads are conversations, not mailing-list archives: a few hundred is plenty.
        let others: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM message WHERE thread_id = ?1 AND id <> ?2 ORDER BY date, id LIMIT 500",
        )
        .bind(thread_id)
        .bind(message_id)
        .fetch_all(&self.pool)
        .await?;
        let thread = self.list_items(&others, true).await?;

        Ok(MessageDetail {
            id: message_id,
            thread_id,
            subject,
            date,
            direction,
            seen,
            flagged,
            from: with_role("from"),
            to: with_role("to"),
            cc: with_role("cc"),
            reply_to: with_role("reply_to"),
            text,
            remote_images: safe.as_ref().is_some_and(|s| s.remote_images),
            remote_images_allowed,
            inline_images: !shown_inline.is_empty(),
            html: safe.map(|s| s.html).filter(|h| !h.trim().is_empty()),
            attachments,
            accounts,
            thread,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        crm::ContactPolicy,
        mime::parse,
        store::{test_support::temp_store, BatchContext, FetchedMessage, KeepPolicy, MessageFlags},
    };

    async fn store_in(store: &Store, account: i64, folder: i64, messages: &[(u32, String)]) {
        let record = store.account(account).await.unwrap();
        let ctx = BatchContext {
            account_id: account,
            folder_id: folder,
            uidvalidity: 1,
            identity: store.account_identity(&record).await.unwrap(),
            ignore: store.ignore_rules().await.unwrap(),
            keep: KeepPolicy::All,
        };
        let batch: Vec<FetchedMessage> = messages
            .iter()
            .map(|(uid, raw)| FetchedMessage {
                uid: *uid,
                flags: MessageFlags {
                    seen: *uid % 2 == 0,
                    ..MessageFlags::default()
                },
                modseq: None,
                parsed: parse(raw.as_bytes(), None),
            })
            .collect();
        store.store_batch(&ctx, &batch).await.unwrap();
    }

    /// A message from `from` to alice on day `day` of November 2026.
    fn mail(n: u32, from: &str, to: &str, day: u32, extra: &str) -> String {
        format!(
            "From: {from}\r\nTo: {to}\r\nSubject: Message {n}\r\nMessage-ID: <m{n}@rapport.test>\r\n{extra}\
             Date: {day:02} Nov 2026 10:{n:02}:00 +0000\r\n\r\nBody {n}\r\n"
        )
    }

    fn id_of(items: &[MessageListItem]) -> Vec<String> {
        items.iter().map(|m| m.subject.clone()).collect()
    }

    #[tokio::test]
    async fn unified_inbox_pages_newest_first_across_accounts_without_duplicates() {
        let (store, _dir) = temp_store().await;
        let (work, work_inbox, work_archive) = crate::store::test_support::account_with_folders(
            &store,
            "alice@rapport.test",
            ContactPolicy::Sent,
        )
        .await;
        let (home, home_inbox, _) = crate::store::test_support::account_with_folders(
            &store,
            "alice@home.test",
            ContactPolicy::Sent,
        )
        .await;
        let work_mail: Vec<(u32, String)> = (1..=5)
            .map(|n| {
                (
                    n,
                    mail(n, "Jan <jan@firma.cz>", "alice@rapport.test", n, ""),
                )
            })
            .collect();
        store_in(&store, work, work_inbox, &work_mail).await;
        // Message 3 is also in the home inbox (both addresses got it): one row, two accounts.
        let home_mail = vec![
            (
                1,
                mail(
                    3,
                    "Jan <jan@firma.cz>",
                    "alice@rapport.test, alice@home.test",
                    3,
                    "",
                ),
            ),
            (2, mail(6, "Eva <eva@x.cz>", "alice@home.test", 6, "")),
        ];
        store_in(&store, home, home_inbox, &home_mail).await;
        // Archived mail is not in the inbox.
        store_in(
            &store,
            work,
            work_archive,
            &[(1, mail(9, "Eva <eva@x.cz>", "alice@rapport.test", 9, ""))],
        )
        .await;

        let first = store
            .list_messages(&MessageQuery {
                view: MessageView::Inbox,
                before: None,
                limit: 4,
            })
            .await
            .unwrap();
        assert_eq!(
            id_of(&first),
            ["Message 6", "Message 5", "Message 4", "Message 3"]
        );
        assert_eq!(first[0].accounts, ["alice@home.test"]);
        assert_eq!(first[3].accounts, ["alice@home.test", "alice@rapport.test"]);
        assert_eq!(
            (first[0].from_name.as_str(), first[0].from_address.as_str()),
            ("Eva", "eva@x.cz")
        );
        let last = first.last().unwrap();
        let rest = store
            .list_messages(&MessageQuery {
                view: MessageView::Inbox,
                before: Some(TimelineCursor {
                    date: last.date,
                    message_id: last.id,
                }),
                limit: 4,
            })
            .await
            .unwrap();
        assert_eq!(id_of(&rest), ["Message 2", "Message 1"]);

        let archive = store
            .list_messages(&MessageQuery {
                view: MessageView::Folder(work_archive),
                before: None,
                limit: 50,
            })
            .await
            .unwrap();
        assert_eq!(id_of(&archive), ["Message 9"]);
    }

    #[tokio::test]
    async fn list_rows_carry_flags_and_thread_size() {
        let (store, _dir) = temp_store().await;
        let (work, inbox, _) = crate::store::test_support::account_with_folders(
            &store,
            "alice@rapport.test",
            ContactPolicy::Sent,
        )
        .await;
        let reply = mail(
            2,
            "Jan <jan@firma.cz>",
            "alice@rapport.test",
            2,
            "In-Reply-To: <m1@rapport.test>\r\n",
        );
        store_in(
            &store,
            work,
            inbox,
            &[
                (
                    1,
                    mail(1, "Jan <jan@firma.cz>", "alice@rapport.test", 1, ""),
                ),
                (2, reply),
            ],
        )
        .await;
        let rows = store
            .list_messages(&MessageQuery {
                view: MessageView::Inbox,
                before: None,
                limit: 10,
            })
            .await
            .unwrap();
        assert_eq!(rows.len(), 2, "one row per message");
        assert!(rows
            .iter()
            .all(|r| r.thread_count == 2 && r.thread_id == rows[0].thread_id));
        assert!(rows[0].seen, "uid 2 was stored as seen");
        assert!(!rows[1].seen);
        assert_eq!(rows[0].direction, "in");
    }

    #[tokio::test]
    async fn the_page_is_read_from_the_folder_date_index() {
        let (store, _dir) = temp_store().await;
        let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(
            "EXPLAIN QUERY PLAN SELECT DISTINCT date, message_id FROM message_location \
             WHERE folder_id = ?1 AND (date < ?2 OR (date = ?2 AND message_id < ?3)) \
             ORDER BY date DESC, message_id DESC LIMIT ?4",
        )
        .bind(1)
        .bind(1)
        .bind(1)
        .bind(1)
        .fetch_all(store.pool())
        .await
        .unwrap();
        let detail: Vec<&str> = plan.iter().map(|r| r.3.as_str()).collect();
        assert!(
            detail
                .iter()
                .any(|d| d.contains("message_location_folder_date")),
            "{detail:?}"
        );
        assert!(
            !detail
                .iter()
                .any(|d| d.contains("TEMP B-TREE FOR ORDER BY")),
            "{detail:?}"
        );
    }

    #[tokio::test]
    async fn every_location_carries_its_message_date() {
        let (store, _dir) = temp_store().await;
        let (work, inbox, archive) = crate::store::test_support::account_with_folders(
            &store,
            "alice@rapport.test",
            ContactPolicy::Sent,
        )
        .await;
        store_in(
            &store,
            work,
            inbox,
            &[(1, mail(1, "jan@firma.cz", "alice@rapport.test", 1, ""))],
        )
        .await;
        // A writer that does not know the column (the bench generator) gets it filled.
        sqlx::query("INSERT INTO message_location (folder_id, uidvalidity, uid, message_id) SELECT ?, 1, 5, id FROM message")
            .bind(archive)
            .execute(store.pool())
            .await
            .unwrap();
        let wrong: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM message_location l JOIN message m ON m.id = l.message_id WHERE l.date <> m.date",
        )
        .fetch_one(store.pool())
        .await
        .unwrap();
        assert_eq!(wrong, 0);
    }

    #[tokio::test]
    async fn detail_has_people_bodies_images_and_thread() {
        let (store, _dir) = temp_store().await;
        let (work, inbox, _) = crate::store::test_support::account_with_folders(
            &store,
            "alice@rapport.test",
            ContactPolicy::Sent,
        )
        .await;
        let jan = store
            .create_contact("jan@firma.cz", Some("Jan Novak"))
            .await
            .unwrap();
        let html = "From: Jan <jan@firma.cz>\r\nTo: alice@rapport.test, Petr <petr@firma.cz>\r\n\
            Cc: eva@x.cz\r\nReply-To: sales@firma.cz\r\nSubject: Offer\r\nMessage-ID: <m2@rapport.test>\r\n\
            In-Reply-To: <m1@rapport.test>\r\nDate: 02 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n\
            Content-Type: text/html; charset=utf-8\r\n\r\n\
            <p>Hello <img src=\"https://tracker.example/p.gif\"> <script>alert(1)</script></p>\r\n";
        store_in(
            &store,
            work,
            inbox,
            &[
                (1, mail(1, "alice@rapport.test", "jan@firma.cz", 1, "")),
                (2, html.into()),
            ],
        )
        .await;
        let rows = store
            .list_messages(&MessageQuery {
                view: MessageView::Inbox,
                before: None,
                limit: 10,
            })
            .await
            .unwrap();
        let detail = store.message_detail(rows[0].id).await.unwrap();
        assert_eq!(detail.subject, "Offer");
        assert_eq!(
            detail.from,
            [Person {
                name: "Jan".into(),
                address: "jan@firma.cz".into(),
                contact_id: Some(jan)
            }]
        );
        let to: Vec<&str> = detail.to.iter().map(|p| p.address.as_str()).collect();
        assert_eq!(to, ["alice@rapport.test", "petr@firma.cz"]);
        assert_eq!(detail.cc[0].address, "eva@x.cz");
        assert_eq!(detail.cc[0].contact_id, None);
        assert_eq!(detail.reply_to[0].address, "sales@firma.cz");
        let body = detail.html.as_deref().unwrap();
        assert!(
            body.contains("Hello") && !body.contains("<script"),
            "{body}"
        );
        assert!(detail.remote_images);
        assert_eq!(detail.accounts, ["alice@rapport.test"]);
        assert_eq!(id_of(&detail.thread), ["Message 1"]);

        let plain = store.message_detail(rows[1].id).await.unwrap();
        assert_eq!(plain.html, None);
        assert!(!plain.remote_images);
        assert!(plain.text.contains("Body 1"));
        assert!(plain.attachments.is_empty());
        assert!(matches!(
            store.message_detail(9999).await,
            Err(StoreError::NotFound(_))
        ));
    }

    #[tokio::test]
    async fn threads_list_once_at_their_newest_message_across_pages() {
        let (store, _dir) = temp_store().await;
        let (work, inbox, _) = crate::store::test_support::account_with_folders(
            &store,
            "alice@rapport.test",
            ContactPolicy::Sent,
        )
        .await;
        let jan = "Jan <jan@firma.cz>";
        let me = "alice@rapport.test";
        // A thread of three spread over the list (days 1, 5, 9), answered with localized
        // prefixes, once through In-Reply-To and once through References alone.
        let mut messages = vec![
            (1, mail(1, jan, me, 1, "")),
            (
                10,
                mail(5, me, jan, 5, "In-Reply-To: <m1@rapport.test>\r\n")
                    .replace("Subject: Message 5", "Subject: Odp: Message 1"),
            ),
            (
                9,
                mail(
                    9,
                    jan,
                    me,
                    9,
                    "References: <m1@rapport.test> <m5@rapport.test>\r\n",
                )
                .replace("Subject: Message 9", "Subject: Від: Re: Message 1"),
            ),
        ];
        // Same subject, no threading headers: not the same conversation.
        messages.push((
            3,
            mail(3, jan, me, 3, "").replace("Subject: Message 3", "Subject: Re: Message 1"),
        ));
        for n in [2, 4, 6, 7, 8] {
            messages.push((n, mail(n, "Eva <eva@x.cz>", me, n, "")));
        }
        store_in(&store, work, inbox, &messages).await;

        let mut rows: Vec<ThreadListItem> = Vec::new();
        let mut before = None;
        let mut pages = 0;
        loop {
            let page = store
                .list_threads(&MessageQuery {
                    view: MessageView::Inbox,
                    before,
                    limit: 2,
                })
                .await
                .unwrap();
            pages += 1;
            rows.extend(page.threads);
            match page.next {
                Some(next) => before = Some(next),
                None => break,
            }
        }
        assert!(pages >= 4, "{pages}");
        let listed: Vec<(String, i64)> = rows
            .iter()
            .map(|r| (r.subject.clone(), r.message_count))
            .collect();
        assert_eq!(
            listed,
            [
                ("Message 1".to_owned(), 3),
                ("Message 8".to_owned(), 1),
                ("Message 7".to_owned(), 1),
                ("Message 6".to_owned(), 1),
                ("Message 4".to_owned(), 1),
                ("Re: Message 1".to_owned(), 1),
                ("Message 2".to_owned(), 1),
            ]
        );
        let thread = &rows[0];
        assert_eq!(thread.latest.subject, "Від: Re: Message 1");
        // Stored seen when the UID is even (store_in): the reply has UID 10.
        assert_eq!(thread.unread_count, 2);
        let conversation = store.thread_messages(thread.thread_id).await.unwrap();
        let order: Vec<&str> = conversation.iter().map(|m| m.subject.as_str()).collect();
        assert_eq!(
            order,
            ["Message 1", "Odp: Message 1", "Від: Re: Message 1"],
            "oldest first"
        );
    }
}
