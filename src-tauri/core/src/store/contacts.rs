//! The CRM side of the store: contacts and companies, their timelines, and the edits
//! that relink stored mail at once (create, add or remove an address, merge, delete,
//! ignore). Per-contact counts are kept in step here, never recounted for a list.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::{now, Result, Store, StoreError};
use crate::crm::{self, company_domain, company_name_for, normalize_address};
use crate::mime::quoted::{split_quoted, TextPart};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactSummary {
    pub id: i64,
    pub display_name: String,
    pub email: String,
    pub stage: String,
    pub company_id: Option<i64>,
    pub company_name: Option<String>,
    pub tags: Vec<String>,
    pub message_count: i64,
    pub sent_count: i64,
    pub received_count: i64,
    pub last_contact_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct ContactRow {
    id: i64,
    display_name: String,
    email: String,
    stage: String,
    company_id: Option<i64>,
    company_name: Option<String>,
    tags: String,
    message_count: i64,
    sent_count: i64,
    received_count: i64,
    last_contact_at: Option<i64>,
}

impl From<ContactRow> for ContactSummary {
    fn from(r: ContactRow) -> Self {
        ContactSummary {
            id: r.id,
            display_name: r.display_name,
            email: r.email,
            stage: r.stage,
            company_id: r.company_id,
            company_name: r.company_name,
            tags: r
                .tags
                .split('\u{1f}')
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect(),
            message_count: r.message_count,
            sent_count: r.sent_count,
            received_count: r.received_count,
            last_contact_at: r.last_contact_at,
        }
    }
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

/// Where a timeline page ends: the last entry shown. The next page is older.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimelineCursor {
    pub date: i64,
    pub message_id: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ContactSort {
    #[default]
    LastContact,
    Name,
    Messages,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ContactFilter {
    pub query: Option<String>,
    pub stage: Option<String>,
    pub tag: Option<String>,
    pub company_id: Option<i64>,
    pub sort: ContactSort,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactDetails {
    pub summary: ContactSummary,
    pub emails: Vec<String>,
    pub notes: String,
    pub follow_up_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactUpdate {
    pub display_name: String,
    pub stage: String,
    pub tags: Vec<String>,
    pub notes: String,
    pub follow_up_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct CompanySummary {
    pub id: i64,
    pub name: String,
    pub domain: String,
    pub contact_count: i64,
    pub message_count: i64,
    pub last_contact_at: Option<i64>,
}

/// An address that appears in mail but belongs to no contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct Correspondent {
    pub address: String,
    pub display_name: String,
    pub message_count: i64,
    pub last_at: i64,
}

/// The timeline columns for a page of messages chosen by `$ids` (a subquery yielding
/// `message_id, date` already ordered and limited), newest first.
macro_rules! timeline_query {
    ($ids:literal) => {
        concat!(
            "SELECT m.id AS message_id, m.message_id AS header_message_id, m.subject, m.date, m.snippet, ",
            "m.direction, m.has_attachments, ",
            "coalesce(f.address, '') AS from_address, coalesce(f.display_name, '') AS from_name, ",
            "coalesce((SELECT group_concat(DISTINCT a.email) FROM message_location l ",
            "  JOIN folder fo ON fo.id = l.folder_id JOIN account a ON a.id = fo.account_id ",
            "  WHERE l.message_id = m.id), '') AS accounts ",
            "FROM (",
            $ids,
            ") page JOIN message m ON m.id = page.message_id ",
            "LEFT JOIN participant f ON f.message_id = m.id AND f.role = 'from' AND f.position = 0 ",
            "ORDER BY m.date DESC, m.id DESC"
        )
    };
}

/// Contact columns with the company, primary address and tags.
macro_rules! contact_query {
    ($($tail:tt)+) => {
        concat!(
            "SELECT c.id, c.display_name, c.stage, c.company_id, co.name AS company_name, ",
            "coalesce((SELECT address FROM contact_email e WHERE e.contact_id = c.id ",
            "  ORDER BY e.is_primary DESC, e.address LIMIT 1), '') AS email, ",
            "coalesce((SELECT group_concat(tag, char(31)) FROM contact_tag t WHERE t.contact_id = c.id), '') AS tags, ",
            "c.message_count, c.sent_count, c.received_count, c.last_contact_at ",
            "FROM contact c LEFT JOIN company co ON co.id = c.company_id ",
            $($tail)+
        )
    };
}

fn invalid_address(address: &str) -> StoreError {
    StoreError::Invalid {
        field: "address",
        message: format!("“{address}” is not an email address."),
    }
}

/// Recomputes the kept-in-step counts of `contacts` from their links.
pub(crate) async fn refresh_contact_stats(
    tx: &mut sqlx::SqliteConnection,
    contacts: &HashSet<i64>,
) -> Result<()> {
    for id in contacts {
        sqlx::query(
            "UPDATE contact SET \
               message_count = (SELECT count(DISTINCT message_id) FROM participant WHERE contact_id = ?1), \
               sent_count = (SELECT count(DISTINCT p.message_id) FROM participant p JOIN message m ON m.id = p.message_id \
                             WHERE p.contact_id = ?1 AND m.direction = 'out'), \
               received_count = (SELECT count(DISTINCT p.message_id) FROM participant p JOIN message m ON m.id = p.message_id \
                                 WHERE p.contact_id = ?1 AND m.direction = 'in'), \
               last_contact_at = (SELECT max(date) FROM participant WHERE contact_id = ?1) \
             WHERE id = ?1",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// Recomputes the counts of every contact whose id is `first` or above (the ones a sync
/// batch just created) in one statement.
pub(crate) async fn refresh_contact_stats_from(
    tx: &mut sqlx::SqliteConnection,
    first: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE contact SET \
           message_count = (SELECT count(DISTINCT message_id) FROM participant WHERE contact_id = contact.id), \
           sent_count = (SELECT count(DISTINCT p.message_id) FROM participant p JOIN message m ON m.id = p.message_id \
                         WHERE p.contact_id = contact.id AND m.direction = 'out'), \
           received_count = (SELECT count(DISTINCT p.message_id) FROM participant p JOIN message m ON m.id = p.message_id \
                             WHERE p.contact_id = contact.id AND m.direction = 'in'), \
           last_contact_at = (SELECT max(date) FROM participant WHERE contact_id = contact.id) \
         WHERE id >= ?",
    )
    .bind(first)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Recomputes every contact's counts (after bulk deletes such as removing an account).
pub(crate) async fn refresh_all_contact_stats(tx: &mut sqlx::SqliteConnection) -> Result<()> {
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM contact")
        .fetch_all(&mut *tx)
        .await?;
    refresh_contact_stats(tx, &ids.into_iter().collect()).await
}

/// The company for an address's registrable domain, created if missing; `None` for
/// free-mail and unknown suffixes.
pub(crate) async fn company_for(
    tx: &mut sqlx::SqliteConnection,
    address: &str,
) -> Result<Option<i64>> {
    let Some(domain) = company_domain(address) else {
        return Ok(None);
    };
    sqlx::query("INSERT OR IGNORE INTO company (name, domain, created_at) VALUES (?, ?, ?)")
        .bind(company_name_for(&domain))
        .bind(&domain)
        .bind(now())
        .execute(&mut *tx)
        .await?;
    Ok(Some(
        sqlx::query_scalar("SELECT id FROM company WHERE domain = ?")
            .bind(&domain)
            .fetch_one(&mut *tx)
            .await?,
    ))
}

/// Creates a contact with one address (which must be free) and links all stored mail
/// with that address to it.
pub(crate) async fn insert_contact(
    tx: &mut sqlx::SqliteConnection,
    address: &str,
    display_name: &str,
    origin: &str,
    stage: &str,
) -> Result<i64> {
    let company = company_for(tx, address).await?;
    let at = now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO contact (display_name, company_id, stage, origin, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(display_name)
    .bind(company)
    .bind(stage)
    .bind(origin)
    .bind(at)
    .bind(at)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO contact_email (address, contact_id, is_primary) VALUES (?, ?, 1)")
        .bind(address)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    link_address(tx, address, id).await?;
    Ok(id)
}

/// Links every stored participant with `address` to `contact_id`, except where the
/// address is one of my own.
async fn link_address(
    tx: &mut sqlx::SqliteConnection,
    address: &str,
    contact_id: i64,
) -> Result<()> {
    sqlx::query("UPDATE participant SET contact_id = ? WHERE address = ?")
        .bind(contact_id)
        .bind(address)
        .execute(&mut *tx)
        .await?;
    refresh_contact_stats(tx, &[contact_id].into_iter().collect()).await
}

async fn is_mine(tx: &mut sqlx::SqliteConnection, address: &str) -> Result<bool> {
    let mine: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM account WHERE email = ?1 UNION SELECT 1 FROM account_alias WHERE address = ?1 LIMIT 1",
    )
    .bind(address)
    .fetch_optional(&mut *tx)
    .await?;
    Ok(mine.is_some())
}

async fn owner_of(tx: &mut sqlx::SqliteConnection, address: &str) -> Result<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT contact_id FROM contact_email WHERE address = ?")
            .bind(address)
            .fetch_optional(&mut *tx)
            .await?,
    )
}

impl Store {
    /// Contacts matching `filter`, sorted and paged.
    pub async fn list_contacts(&self, filter: &ContactFilter) -> Result<Vec<ContactSummary>> {
        let query = filter
            .query
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty());
        let pattern = query.map(|q| format!("%{}%", q.to_lowercase()));
        // The filters are the same for every order; only ORDER BY differs.
        macro_rules! filtered {
            ($order:literal) => {
                contact_query!(
                    "WHERE (?1 IS NULL OR lower(c.display_name) LIKE ?1 \
                       OR EXISTS (SELECT 1 FROM contact_email e WHERE e.contact_id = c.id AND e.address LIKE ?1) \
                       OR lower(coalesce(co.name, '')) LIKE ?1) \
                     AND (?2 IS NULL OR c.stage = ?2) \
                     AND (?3 IS NULL OR EXISTS (SELECT 1 FROM contact_tag t WHERE t.contact_id = c.id AND t.tag = ?3)) \
                     AND (?4 IS NULL OR c.company_id = ?4) ",
                    $order,
                    " LIMIT ?5 OFFSET ?6"
                )
            };
        }
        let sql = match filter.sort {
            ContactSort::LastContact => {
                filtered!("ORDER BY c.last_contact_at IS NULL, c.last_contact_at DESC, c.id DESC")
            }
            ContactSort::Name => filtered!("ORDER BY lower(c.display_name), c.id"),
            ContactSort::Messages => filtered!("ORDER BY c.message_count DESC, c.id"),
        };
        let rows: Vec<ContactRow> = sqlx::query_as(sql)
            .bind(pattern)
            .bind(filter.stage.as_deref().filter(|s| !s.is_empty()))
            .bind(filter.tag.as_deref().filter(|s| !s.is_empty()))
            .bind(filter.company_id)
            .bind(filter.limit.unwrap_or(500).clamp(1, 10_000))
            .bind(filter.offset.unwrap_or(0).max(0))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(ContactSummary::from).collect())
    }

    /// Every contact, most recently in touch first (the CLI's `contacts`).
    pub async fn contacts(&self) -> Result<Vec<ContactSummary>> {
        self.list_contacts(&ContactFilter {
            limit: Some(10_000),
            ..ContactFilter::default()
        })
        .await
    }

    pub async fn contact(&self, id: i64) -> Result<ContactDetails> {
        let row: ContactRow = sqlx::query_as(contact_query!("WHERE c.id = ?"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("contact {id}")))?;
        let emails: Vec<String> = sqlx::query_scalar(
            "SELECT address FROM contact_email WHERE contact_id = ? ORDER BY is_primary DESC, address",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let (notes, follow_up_at): (String, Option<i64>) =
            sqlx::query_as("SELECT notes, follow_up_at FROM contact WHERE id = ?")
                .bind(id)
                .fetch_one(&self.pool)
                .await?;
        Ok(ContactDetails {
            summary: row.into(),
            emails,
            notes,
            follow_up_at,
        })
    }

    /// The contact owning a (normalised) address, if any.
    pub async fn contact_id_for(&self, address: &str) -> Result<Option<i64>> {
        let normalized = normalize_address(address).ok_or_else(|| invalid_address(address))?;
        Ok(
            sqlx::query_scalar("SELECT contact_id FROM contact_email WHERE address = ?")
                .bind(normalized)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// A page of a contact's timeline (all its addresses, all accounts), newest first.
    pub async fn contact_timeline(
        &self,
        contact_id: i64,
        before: Option<TimelineCursor>,
        limit: i64,
    ) -> Result<Vec<TimelineEntry>> {
        let (date, id) = before
            .map(|c| (c.date, c.message_id))
            .unwrap_or((i64::MAX, i64::MAX));
        Ok(sqlx::query_as(timeline_query!(
            "SELECT DISTINCT message_id, date FROM participant WHERE contact_id = ?1 \
             AND (date < ?2 OR (date = ?2 AND message_id < ?3)) ORDER BY date DESC, message_id DESC LIMIT ?4"
        ))
        .bind(contact_id)
        .bind(date)
        .bind(id)
        .bind(limit.clamp(1, 1000))
        .fetch_all(&self.pool)
        .await?)
    }

    /// The timeline for an address: all mail with the contact that owns it (across all
    /// its addresses and all accounts), or, if no contact owns it, all mail with that
    /// address. Newest first.
    pub async fn timeline(&self, address: &str) -> Result<Vec<TimelineEntry>> {
        let normalized = normalize_address(address).unwrap_or_else(|| address.to_lowercase());
        match self.contact_id_for(&normalized).await.ok().flatten() {
            Some(contact_id) => self.contact_timeline(contact_id, None, 1000).await,
            None => Ok(sqlx::query_as(timeline_query!(
                "SELECT DISTINCT message_id, date FROM participant WHERE address = ?1 ORDER BY date DESC, message_id DESC LIMIT 1000"
            ))
            .bind(&normalized)
            .fetch_all(&self.pool)
            .await?),
        }
    }

    /// Creates a contact for an address and links all stored mail with it.
    pub async fn create_contact(&self, address: &str, display_name: Option<&str>) -> Result<i64> {
        let address = normalize_address(address).ok_or_else(|| invalid_address(address))?;
        let mut tx = self.pool.begin().await?;
        if is_mine(&mut tx, &address).await? {
            return Err(StoreError::Invalid {
                field: "address",
                message: format!(
                    "{address} is one of your own addresses, so it cannot be a contact."
                ),
            });
        }
        if let Some(owner) = owner_of(&mut tx, &address).await? {
            return Err(StoreError::Invalid {
                field: "address",
                message: format!("{address} already belongs to contact {owner}."),
            });
        }
        let seen_name: Option<String> = sqlx::query_scalar(
            "SELECT display_name FROM participant WHERE address = ? AND display_name <> '' ORDER BY date DESC LIMIT 1",
        )
        .bind(&address)
        .fetch_optional(&mut *tx)
        .await?;
        let name = display_name
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned)
            .unwrap_or_else(|| crm::display_name_for(seen_name.as_deref().unwrap_or(""), &address));
        let id = insert_contact(&mut tx, &address, &name, "manual", "contact").await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Adds an address to a contact and links its stored mail.
    pub async fn add_contact_address(&self, contact_id: i64, address: &str) -> Result<()> {
        let address = normalize_address(address).ok_or_else(|| invalid_address(address))?;
        let mut tx = self.pool.begin().await?;
        if is_mine(&mut tx, &address).await? {
            return Err(StoreError::Invalid {
                field: "address",
                message: format!("{address} is one of your own addresses."),
            });
        }
        match owner_of(&mut tx, &address).await? {
            Some(owner) if owner == contact_id => return Ok(()),
            Some(_) => {
                return Err(StoreError::Invalid {
                    field: "address",
                    message: format!(
                        "{address} belongs to another contact. Merge the two contacts instead."
                    ),
                })
            }
            None => {}
        }
        sqlx::query("INSERT INTO contact_email (address, contact_id, is_primary) VALUES (?, ?, 0)")
            .bind(&address)
            .bind(contact_id)
            .execute(&mut *tx)
            .await?;
        link_address(&mut tx, &address, contact_id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes an address from a contact; its mail is no longer linked to the contact.
    pub async fn remove_contact_address(&self, contact_id: i64, address: &str) -> Result<()> {
        let address = normalize_address(address).ok_or_else(|| invalid_address(address))?;
        let mut tx = self.pool.begin().await?;
        let count: i64 =
            sqlx::query_scalar("SELECT count(*) FROM contact_email WHERE contact_id = ?")
                .bind(contact_id)
                .fetch_one(&mut *tx)
                .await?;
        if count <= 1 {
            return Err(StoreError::Invalid {
                field: "address",
                message: "A contact needs at least one address; delete the contact instead.".into(),
            });
        }
        sqlx::query("DELETE FROM contact_email WHERE contact_id = ? AND address = ?")
            .bind(contact_id)
            .bind(&address)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE participant SET contact_id = NULL WHERE contact_id = ? AND address = ?",
        )
        .bind(contact_id)
        .bind(&address)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE contact_email SET is_primary = 1 WHERE contact_id = ?1 AND address = \
             (SELECT address FROM contact_email WHERE contact_id = ?1 ORDER BY is_primary DESC, address LIMIT 1)",
        )
        .bind(contact_id)
        .execute(&mut *tx)
        .await?;
        refresh_contact_stats(&mut tx, &[contact_id].into_iter().collect()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Merges `merge` into `keep`: addresses, links, tags, notes and the earlier
    /// follow-up move over; `merge` is deleted.
    pub async fn merge_contacts(&self, keep: i64, merge: i64) -> Result<()> {
        if keep == merge {
            return Err(StoreError::Invalid {
                field: "mergeId",
                message: "Choose a different contact to merge.".into(),
            });
        }
        let mut tx = self.pool.begin().await?;
        for id in [keep, merge] {
            let exists: Option<i64> = sqlx::query_scalar("SELECT 1 FROM contact WHERE id = ?")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            exists.ok_or_else(|| StoreError::NotFound(format!("contact {id}")))?;
        }
        sqlx::query("UPDATE contact_email SET contact_id = ?, is_primary = 0 WHERE contact_id = ?")
            .bind(keep)
            .bind(merge)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE participant SET contact_id = ? WHERE contact_id = ?")
            .bind(keep)
            .bind(merge)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT OR IGNORE INTO contact_tag (contact_id, tag) SELECT ?, tag FROM contact_tag WHERE contact_id = ?")
            .bind(keep)
            .bind(merge)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE contact SET \
               notes = CASE WHEN (SELECT notes FROM contact WHERE id = ?2) = '' THEN notes \
                            WHEN notes = '' THEN (SELECT notes FROM contact WHERE id = ?2) \
                            ELSE notes || char(10) || char(10) || (SELECT notes FROM contact WHERE id = ?2) END, \
               follow_up_at = CASE WHEN follow_up_at IS NULL THEN (SELECT follow_up_at FROM contact WHERE id = ?2) \
                                   ELSE min(follow_up_at, coalesce((SELECT follow_up_at FROM contact WHERE id = ?2), follow_up_at)) END, \
               company_id = coalesce(company_id, (SELECT company_id FROM contact WHERE id = ?2)), \
               stage = CASE WHEN stage = 'contact' THEN (SELECT stage FROM contact WHERE id = ?2) ELSE stage END, \
               updated_at = ?3 \
             WHERE id = ?1",
        )
        .bind(keep)
        .bind(merge)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM contact WHERE id = ?")
            .bind(merge)
            .execute(&mut *tx)
            .await?;
        refresh_contact_stats(&mut tx, &[keep].into_iter().collect()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes a contact; its mail stays, unlinked.
    pub async fn delete_contact(&self, id: i64) -> Result<()> {
        let done = sqlx::query("DELETE FROM contact WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("contact {id}")));
        }
        Ok(())
    }

    pub async fn update_contact(&self, id: i64, update: &ContactUpdate) -> Result<()> {
        let name = update.display_name.trim();
        if name.is_empty() {
            return Err(StoreError::Invalid {
                field: "displayName",
                message: "Give the contact a name.".into(),
            });
        }
        let stage = update.stage.trim();
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE contact SET display_name = ?, stage = ?, notes = ?, follow_up_at = ?, updated_at = ? WHERE id = ?",
        )
        .bind(name)
        .bind(if stage.is_empty() { "contact" } else { stage })
        .bind(&update.notes)
        .bind(update.follow_up_at)
        .bind(now())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("contact {id}")));
        }
        sqlx::query("DELETE FROM contact_tag WHERE contact_id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        for tag in update
            .tags
            .iter()
            .map(|t| t.trim())
            .filter(|t| !t.is_empty())
        {
            sqlx::query("INSERT OR IGNORE INTO contact_tag (contact_id, tag) VALUES (?, ?)")
                .bind(id)
                .bind(tag)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Ignores an address ("a@b.cz") or a domain ("@b.cz"): automatic contacts for it
    /// that the user never touched (no notes, no tags) are removed and their mail
    /// unlinked; contacts the user made stay.
    pub async fn add_ignore_rule(&self, value: &str) -> Result<()> {
        let value = value.trim().to_lowercase();
        let (kind, pattern) = if let Some(domain) = value.strip_prefix('@') {
            if domain.is_empty() || !domain.contains('.') {
                return Err(StoreError::Invalid {
                    field: "value",
                    message: "Write a domain like @example.com.".into(),
                });
            }
            ("ignore_domain", format!("%@{domain}"))
        } else {
            let address = normalize_address(&value).ok_or_else(|| invalid_address(&value))?;
            ("ignore_address", address)
        };
        let stored = if kind == "ignore_domain" {
            value.clone()
        } else {
            pattern.clone()
        };
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT OR IGNORE INTO rule (kind, value, created_at) VALUES (?, ?, ?)")
            .bind(kind)
            .bind(&stored)
            .bind(now())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "DELETE FROM contact WHERE origin IN ('sent', 'received') AND notes = '' \
             AND NOT EXISTS (SELECT 1 FROM contact_tag t WHERE t.contact_id = contact.id) \
             AND id IN (SELECT contact_id FROM contact_email WHERE address LIKE ?)",
        )
        .bind(&pattern)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stops ignoring an address or "@domain": stored mail with it is judged again by
    /// each account's contact policy, so the contacts it would have made appear now.
    /// Returns how many contacts were created.
    pub async fn remove_ignore_rule(&self, value: &str) -> Result<u64> {
        let value = value.trim().to_lowercase();
        let (kind, stored, pattern) = match value.strip_prefix('@') {
            Some(domain) => ("ignore_domain", value.clone(), format!("%@{domain}")),
            None => {
                let address = normalize_address(&value).ok_or_else(|| invalid_address(&value))?;
                ("ignore_address", address.clone(), address)
            }
        };
        sqlx::query("DELETE FROM rule WHERE kind = ? AND value = ?")
            .bind(kind)
            .bind(&stored)
            .execute(&self.pool)
            .await?;
        let ignore = self.ignore_rules().await?;
        let messages: Vec<(i64, bool, i64)> = sqlx::query_as(
            "SELECT DISTINCT m.id, m.is_bulk, f.account_id FROM participant p \
             JOIN message m ON m.id = p.message_id \
             JOIN message_location l ON l.message_id = m.id JOIN folder f ON f.id = l.folder_id \
             WHERE p.address LIKE ? AND p.contact_id IS NULL ORDER BY m.date",
        )
        .bind(&pattern)
        .fetch_all(&self.pool)
        .await?;
        let mut identities = std::collections::HashMap::new();
        let mut created = 0;
        let mut tx = self.pool.begin().await?;
        for (message_id, is_bulk, account_id) in messages {
            if let std::collections::hash_map::Entry::Vacant(slot) = identities.entry(account_id) {
                let account = self.account(account_id).await?;
                slot.insert(self.account_identity(&account).await?);
            }
            let identity = &identities[&account_id];
            let people: Vec<(String, String, String)> = sqlx::query_as(
                "SELECT role, address, display_name FROM participant WHERE message_id = ? ORDER BY role, position",
            )
            .bind(message_id)
            .fetch_all(&mut *tx)
            .await?;
            // The CRM rules look only at the people and the bulk mark.
            let message = crate::mime::ParsedMessage {
                dedup_key: String::new(),
                message_id: None,
                in_reply_to: None,
                references: Vec::new(),
                subject: String::new(),
                date: 0,
                snippet: String::new(),
                text: String::new(),
                html: None,
                participants: people
                    .into_iter()
                    .filter_map(|(role, address, display_name)| {
                        Some(crate::mime::ParsedParticipant {
                            role: crate::mime::ParticipantRole::parse(&role)?,
                            address,
                            display_name,
                        })
                    })
                    .collect(),
                attachments: Vec::new(),
                is_bulk,
                size: 0,
            };
            let direction = identity.direction_of(&message);
            for candidate in crm::contacts_to_create(&message, identity, &ignore) {
                let matches = match value.strip_prefix('@') {
                    Some(domain) => crm::domain_of(&candidate.address) == domain,
                    None => candidate.address == stored,
                };
                if !matches || owner_of(&mut tx, &candidate.address).await?.is_some() {
                    continue;
                }
                let (origin, stage) = match direction {
                    crm::Direction::Out => ("sent", "contact"),
                    crm::Direction::In if identity.leads_from_incoming => ("received", "lead"),
                    crm::Direction::In => ("received", "contact"),
                };
                insert_contact(
                    &mut tx,
                    &candidate.address,
                    &candidate.display_name,
                    origin,
                    stage,
                )
                .await?;
                created += 1;
            }
        }
        tx.commit().await?;
        Ok(created)
    }

    /// Addresses in stored mail that belong to no contact, most mail first: people to
    /// turn into contacts in one click. Bulk mail, machine senders, my own addresses
    /// and ignored ones are left out.
    pub async fn unlinked_correspondents(&self, limit: i64) -> Result<Vec<Correspondent>> {
        let rows: Vec<Correspondent> = sqlx::query_as(
            "SELECT p.address, max(p.display_name) AS display_name, count(DISTINCT p.message_id) AS message_count, \
                    max(p.date) AS last_at \
             FROM participant p JOIN message m ON m.id = p.message_id \
             WHERE p.contact_id IS NULL AND m.is_bulk = 0 \
               AND p.address NOT IN (SELECT email FROM account) \
               AND p.address NOT IN (SELECT address FROM account_alias) \
             GROUP BY p.address ORDER BY message_count DESC, last_at DESC LIMIT ?",
        )
        .bind((limit.clamp(1, 1000)) * 2)
        .fetch_all(&self.pool)
        .await?;
        let ignore = self.ignore_rules().await?;
        Ok(rows
            .into_iter()
            .filter(|c| !crm::is_no_reply(&c.address) && !ignore.ignores(&c.address))
            .take(limit.clamp(1, 1000) as usize)
            .collect())
    }

    pub async fn list_companies(&self, query: Option<&str>) -> Result<Vec<CompanySummary>> {
        let pattern = query
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(|q| format!("%{}%", q.to_lowercase()));
        Ok(sqlx::query_as(
            "SELECT co.id, co.name, co.domain, count(c.id) AS contact_count, \
                    coalesce(sum(c.message_count), 0) AS message_count, max(c.last_contact_at) AS last_contact_at \
             FROM company co LEFT JOIN contact c ON c.company_id = co.id \
             WHERE ?1 IS NULL OR lower(co.name) LIKE ?1 OR co.domain LIKE ?1 \
             GROUP BY co.id ORDER BY last_contact_at IS NULL, last_contact_at DESC, co.name",
        )
        .bind(pattern)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn company(&self, id: i64) -> Result<CompanySummary> {
        sqlx::query_as(
            "SELECT co.id, co.name, co.domain, count(c.id) AS contact_count, \
                    coalesce(sum(c.message_count), 0) AS message_count, max(c.last_contact_at) AS last_contact_at \
             FROM company co LEFT JOIN contact c ON c.company_id = co.id WHERE co.id = ? GROUP BY co.id",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("company {id}")))
    }

    /// A page of the company's timeline: the mail of all its contacts, newest first.
    pub async fn company_timeline(
        &self,
        company_id: i64,
        before: Option<TimelineCursor>,
        limit: i64,
    ) -> Result<Vec<TimelineEntry>> {
        let (date, id) = before
            .map(|c| (c.date, c.message_id))
            .unwrap_or((i64::MAX, i64::MAX));
        // Each contact's own index range is read only as far as its `limit` newest
        // messages before the cursor (the date of the last of them bounds the range):
        // no page can need more from one person. A big company's page so sorts at most
        // `limit` rows per contact instead of all its mail (SQLite on a synthetic
        // 139,000 participant rows of 200 contacts: 45 ms a page before, 8 ms after).
        Ok(sqlx::query_as(timeline_query!(
            "SELECT DISTINCT x.message_id, x.date FROM contact c JOIN participant x ON x.contact_id = c.id \
             WHERE c.company_id = ?1 AND (x.date < ?2 OR (x.date = ?2 AND x.message_id < ?3)) \
               AND x.date >= (SELECT min(date) FROM ( \
                     SELECT DISTINCT date, message_id FROM participant \
                     WHERE contact_id = c.id AND (date < ?2 OR (date = ?2 AND message_id < ?3)) \
                     ORDER BY date DESC, message_id DESC LIMIT ?4)) \
             ORDER BY x.date DESC, x.message_id DESC LIMIT ?4"
        ))
        .bind(company_id)
        .bind(date)
        .bind(id)
        .bind(limit.clamp(1, 1000))
        .fetch_all(&self.pool)
        .await?)
    }
}

/// Everything the contact card shows, in one read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactCard {
    pub id: i64,
    pub display_name: String,
    pub emails: Vec<String>,
    pub company_id: Option<i64>,
    pub company_name: Option<String>,
    pub stage: String,
    pub tags: Vec<String>,
    pub notes: String,
    pub follow_up_at: Option<i64>,
    pub sent_count: i64,
    pub received_count: i64,
    pub last_contact_at: Option<i64>,
    /// The newest 50; older pages through `contact_timeline`.
    pub timeline: Vec<TimelineEntry>,
    /// Every attachment exchanged with this person, newest message first.
    pub attachments: Vec<ContactAttachment>,
}

/// An attachment on a contact's card, with the date and direction of its message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct ContactAttachment {
    #[serde(flatten)]
    #[sqlx(flatten)]
    pub attachment: crate::attachments::AttachmentInfo,
    pub date: i64,
    /// "in" received, "out" sent, as on the timeline.
    pub direction: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CompanyPage {
    pub company: CompanySummary,
    pub contacts: Vec<ContactSummary>,
    pub timeline: Vec<TimelineEntry>,
}

/// Newest first page size of cards and company pages.
pub const FIRST_PAGE: i64 = 50;

impl Store {
    pub async fn contact_card(&self, id: i64) -> Result<ContactCard> {
        let details = self.contact(id).await?;
        let timeline = self.contact_timeline(id, None, FIRST_PAGE).await?;
        let attachments = sqlx::query_as(
            "SELECT a.id, a.message_id, a.filename, a.mime_type, a.size, a.is_inline, a.cache_path IS NOT NULL AS cached, \
             m.date, m.direction \
             FROM attachment a JOIN message m ON m.id = a.message_id \
             WHERE a.is_inline = 0 AND a.message_id IN (SELECT message_id FROM participant WHERE contact_id = ?) \
             ORDER BY m.date DESC, a.id LIMIT 500",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let s = details.summary;
        Ok(ContactCard {
            id: s.id,
            display_name: s.display_name,
            emails: details.emails,
            company_id: s.company_id,
            company_name: s.company_name,
            stage: s.stage,
            tags: s.tags,
            notes: details.notes,
            follow_up_at: details.follow_up_at,
            sent_count: s.sent_count,
            received_count: s.received_count,
            last_contact_at: s.last_contact_at,
            timeline,
            attachments,
        })
    }

    /// A message's plain text in runs of the sender's own and quoted text, for a timeline
    /// entry opened in place (the quoted runs start folded).
    pub async fn message_text(&self, message_id: i64) -> Result<Vec<TextPart>> {
        let text: Option<String> =
            sqlx::query_scalar("SELECT text FROM message_body WHERE message_id = ?")
                .bind(message_id)
                .fetch_optional(&self.pool)
                .await?;
        match text {
            Some(text) => Ok(split_quoted(&text)),
            None => {
                let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM message WHERE id = ?")
                    .bind(message_id)
                    .fetch_optional(&self.pool)
                    .await?;
                match exists {
                    Some(_) => Ok(Vec::new()),
                    None => Err(StoreError::NotFound(format!("message {message_id}"))),
                }
            }
        }
    }

    pub async fn company_page(&self, id: i64) -> Result<CompanyPage> {
        Ok(CompanyPage {
            company: self.company(id).await?,
            contacts: self
                .list_contacts(&ContactFilter {
                    company_id: Some(id),
                    limit: Some(1000),
                    ..ContactFilter::default()
                })
                .await?,
            timeline: self.company_timeline(id, None, FIRST_PAGE).await?,
        })
    }
}
