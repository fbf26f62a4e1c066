//! Reading the CRM side: contacts with their counts, and timelines.

use serde::Serialize;

use super::{Result, Store};
use crate::crm::normalize_address;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct ContactSummary {
    pub id: i64,
    pub display_name: String,
    pub email: String,
    pub stage: String,
    pub message_count: i64,
    pub sent_count: i64,
    pub received_count: i64,
    pub last_contact_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct TimelineEntry {
    pub message_id: i64,
    pub header_message_id: Option<String>,
    pub subject: String,
    pub date: i64,
    pub snippet: String,
    pub direction: String,
    pub from_address: String,
    pub from_name: String,
    pub has_attachments: bool,
    /// Addresses of the accounts holding the message, comma separated.
    pub accounts: String,
}

/// The timeline columns for the messages a subquery selects, newest first.
macro_rules! timeline_query {
    ($ids:literal) => {
        concat!(
            "SELECT m.id AS message_id, m.message_id AS header_message_id, m.subject, m.date, m.snippet, ",
            "m.direction, m.has_attachments, ",
            "coalesce(f.address, '') AS from_address, coalesce(f.display_name, '') AS from_name, ",
            "coalesce((SELECT group_concat(DISTINCT a.email) FROM message_location l ",
            "  JOIN folder fo ON fo.id = l.folder_id JOIN account a ON a.id = fo.account_id ",
            "  WHERE l.message_id = m.id), '') AS accounts ",
            "FROM message m ",
            "LEFT JOIN participant f ON f.message_id = m.id AND f.role = 'from' AND f.position = 0 ",
            "WHERE m.id IN (",
            $ids,
            ") ORDER BY m.date DESC, m.id DESC"
        )
    };
}

impl Store {
    /// Every contact with message counts, most recently in touch first.
    pub async fn contacts(&self) -> Result<Vec<ContactSummary>> {
        Ok(sqlx::query_as(
            "SELECT c.id, c.display_name, c.stage, \
               coalesce((SELECT address FROM contact_email e WHERE e.contact_id = c.id \
                         ORDER BY e.is_primary DESC, e.address LIMIT 1), '') AS email, \
               count(DISTINCT p.message_id) AS message_count, \
               count(DISTINCT CASE WHEN m.direction = 'out' THEN m.id END) AS sent_count, \
               count(DISTINCT CASE WHEN m.direction = 'in' THEN m.id END) AS received_count, \
               max(p.date) AS last_contact_at \
             FROM contact c \
             LEFT JOIN participant p ON p.contact_id = c.id \
             LEFT JOIN message m ON m.id = p.message_id \
             GROUP BY c.id \
             ORDER BY last_contact_at DESC NULLS LAST, c.display_name",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// The timeline for an address: all mail with the contact that owns it (across all
    /// its addresses and all accounts), or, if no contact owns it, all mail with that
    /// address. Newest first.
    pub async fn timeline(&self, address: &str) -> Result<Vec<TimelineEntry>> {
        let normalized = normalize_address(address).unwrap_or_else(|| address.to_lowercase());
        let contact_id: Option<i64> =
            sqlx::query_scalar("SELECT contact_id FROM contact_email WHERE address = ?")
                .bind(&normalized)
                .fetch_optional(&self.pool)
                .await?;
        let entries = match contact_id {
            Some(contact_id) => {
                sqlx::query_as(timeline_query!(
                    "SELECT DISTINCT message_id FROM participant WHERE contact_id = ?"
                ))
                .bind(contact_id)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query_as(timeline_query!(
                    "SELECT DISTINCT message_id FROM participant WHERE address = ?"
                ))
                .bind(&normalized)
                .fetch_all(&self.pool)
                .await?
            }
        };
        Ok(entries)
    }
}
