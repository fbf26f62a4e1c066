//! Which newly stored messages deserve a notification. The desktop shell asks after each
//! sync pass that stored mail and only displays the answer, so the rules live here where
//! the harness can test them: new since the last look, in an Inbox, inbound, unread, not
//! bulk, recent, from a contact (or any sender when the user wants all mail), outside quiet
//! hours, and never the backlog of an account's first sync.

use std::collections::HashSet;

use serde::Serialize;
use sqlx::Row;

use crate::{
    settings::NotificationSettings,
    store::{Store, StoreError},
};

/// Mail older than this when it is first stored (a widened fetch window, a folder moved
/// into the Inbox) is not news.
pub const RECENT_SECS: i64 = 2 * 24 * 60 * 60;

/// At most this many messages are listed in one notice; the count covers the rest.
pub const NOTICE_LIST_LIMIT: usize = 5;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewMail {
    pub message_id: i64,
    /// The conversation to open for it.
    pub thread_id: i64,
    pub account_id: i64,
    pub subject: String,
    /// The contact's name, else the sender's display name, else the address.
    pub from_name: String,
    pub from_address: String,
    pub contact_id: Option<i64>,
    pub date: i64,
}

/// One notification for everything that arrived since the last look, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewMailNotice {
    pub messages: Vec<NewMail>,
    /// All messages this notice stands for (`messages` lists the newest few).
    pub total: usize,
    /// Distinct senders among them.
    pub senders: usize,
}

impl NewMailNotice {
    /// The message a click should open: the newest one.
    pub fn open_target(&self) -> Option<&NewMail> {
        self.messages.first()
    }
}

/// Remembers how far the store has been looked at, and which accounts had finished a
/// first sync, so each new message is considered exactly once.
#[derive(Debug, Clone)]
pub struct NewMailWatch {
    last_message_id: i64,
    synced_accounts: HashSet<i64>,
}

impl NewMailWatch {
    /// Starts watching from what is stored now: nothing already there is ever announced.
    pub async fn start(store: &Store) -> Result<NewMailWatch, StoreError> {
        Ok(NewMailWatch {
            last_message_id: max_message_id(store).await?,
            synced_accounts: synced_accounts(store).await?,
        })
    }

    /// The notice for messages stored since the last call, if any deserve one.
    /// `local_minute` is minutes after local midnight (quiet hours), `now` Unix seconds.
    pub async fn collect(
        &mut self,
        store: &Store,
        settings: &NotificationSettings,
        local_minute: u16,
        now: i64,
    ) -> Result<Option<NewMailNotice>, StoreError> {
        // An account whose first pass ends during this look was not synced before it: its
        // backlog is history, not news.
        let synced_before =
            std::mem::replace(&mut self.synced_accounts, synced_accounts(store).await?);
        let newest = max_message_id(store).await?;
        let since = self.last_message_id;
        self.last_message_id = newest.max(since);
        if newest <= since || !settings.enabled || settings.quiet_hours.contains(local_minute) {
            return Ok(None);
        }
        let rows = sqlx::query(
            "SELECT m.id, COALESCE(m.thread_id, m.id) AS thread_id, m.subject, m.date, \
                    (SELECT f.account_id FROM message_location l JOIN folder f ON f.id = l.folder_id \
                      WHERE l.message_id = m.id AND f.role = 'inbox' LIMIT 1) AS account_id, \
                    p.address, p.display_name, p.contact_id, c.display_name AS contact_name, \
                    MIN(p.position) \
             FROM message m \
             JOIN participant p ON p.message_id = m.id AND p.role = 'from' \
             LEFT JOIN contact c ON c.id = p.contact_id \
             WHERE m.id > ? AND m.id <= ? AND m.direction = 'in' AND m.is_bulk = 0 \
               AND m.seen = 0 AND m.date >= ? \
             GROUP BY m.id \
             ORDER BY m.date DESC, m.id DESC",
        )
        .bind(since)
        .bind(newest)
        .bind(now - RECENT_SECS)
        .fetch_all(store.pool())
        .await?;
        let mut messages = Vec::new();
        for row in rows {
            let Some(account_id) = row.try_get::<Option<i64>, _>("account_id")? else {
                continue;
            };
            let contact_id: Option<i64> = row.try_get("contact_id")?;
            if !synced_before.contains(&account_id) || (contact_id.is_none() && !settings.all_mail)
            {
                continue;
            }
            let from_address: String = row.try_get("address")?;
            let display_name: String = row.try_get("display_name")?;
            let contact_name: Option<String> = row.try_get("contact_name")?;
            let from_name = [contact_name.unwrap_or_default(), display_name]
                .into_iter()
                .find(|name| !name.trim().is_empty())
                .unwrap_or_else(|| from_address.clone());
            messages.push(NewMail {
                message_id: row.try_get("id")?,
                thread_id: row.try_get("thread_id")?,
                account_id,
                subject: row.try_get("subject")?,
                from_name,
                from_address,
                contact_id,
                date: row.try_get("date")?,
            });
        }
        if messages.is_empty() {
            return Ok(None);
        }
        let senders: HashSet<&str> = messages.iter().map(|m| m.from_address.as_str()).collect();
        let senders = senders.len();
        let total = messages.len();
        messages.truncate(NOTICE_LIST_LIMIT);
        Ok(Some(NewMailNotice {
            messages,
            total,
            senders,
        }))
    }
}

async fn max_message_id(store: &Store) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM message")
            .fetch_one(store.pool())
            .await?,
    )
}

async fn synced_accounts(store: &Store) -> Result<HashSet<i64>, StoreError> {
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM account WHERE last_sync_at IS NOT NULL")
        .fetch_all(store.pool())
        .await?;
    Ok(ids.into_iter().collect())
}

/// Unread messages in every synced Inbox: the tray's count.
pub async fn unread_in_inboxes(store: &Store) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT COALESCE(SUM(unread_count), 0) FROM folder WHERE role = 'inbox' AND selected = 1",
    )
    .fetch_one(store.pool())
    .await?)
}
