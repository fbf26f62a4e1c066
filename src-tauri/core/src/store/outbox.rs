//! The outbox (table `outbox`): messages waiting for the SMTP server. A row is claimed
//! (`queued` → `sending`) by one conditional update, so two senders (the app's worker and
//! `rapport-cli send`) can never both take it; the Message-ID is unique, so the same
//! message cannot be queued twice either.

use serde::Serialize;

use super::{now, Result, Store, StoreError};

/// A message to queue.
#[derive(Debug, Clone)]
pub struct NewOutboxItem {
    pub account_id: i64,
    /// Without angle brackets.
    pub message_id: String,
    pub raw: Vec<u8>,
    pub envelope_from: String,
    pub recipients: Vec<String>,
    pub subject: String,
}

/// A queued message as the sender reads it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxItem {
    pub id: i64,
    pub account_id: i64,
    pub message_id: String,
    pub raw: Vec<u8>,
    pub envelope_from: String,
    pub recipients: String,
    pub attempts: i64,
    pub verify_before_send: bool,
}

impl OutboxItem {
    pub fn recipient_list(&self) -> Vec<String> {
        serde_json::from_str(&self.recipients).unwrap_or_default()
    }
}

/// What the user sees of the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct OutboxEntry {
    pub id: i64,
    pub account_id: i64,
    pub account_email: String,
    pub message_id: String,
    pub subject: String,
    pub recipients: String,
    /// queued, sending, sent, failed
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    /// pending, copying, done, provider, none, failed
    pub copy_state: String,
    /// When a failed copy into Sent is tried again.
    pub copy_next_at: i64,
}

/// A saved draft: the compose form as the UI wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct DraftRecord {
    pub id: i64,
    pub account_id: Option<i64>,
    pub content: String,
    pub subject: String,
    pub updated_at: i64,
}

/// A message template (placeholders filled by `compose::template`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct TemplateRecord {
    pub id: i64,
    pub name: String,
    pub subject: String,
    pub html: String,
}

impl Store {
    /// Queues a message, due at once. A Message-ID already queued is refused: it is the
    /// idempotency key, a message is never queued (or sent) twice.
    pub async fn enqueue_outgoing(&self, item: &NewOutboxItem) -> Result<i64> {
        let at = now();
        let recipients = serde_json::to_string(&item.recipients).unwrap_or_else(|_| "[]".into());
        let inserted = sqlx::query_scalar::<_, i64>(
            "INSERT INTO outbox (account_id, message_id, raw, envelope_from, recipients, subject, \
                                 state, attempts, next_attempt_at, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?) \
             ON CONFLICT (message_id) DO NOTHING RETURNING id",
        )
        .bind(item.account_id)
        .bind(&item.message_id)
        .bind(&item.raw)
        .bind(&item.envelope_from)
        .bind(&recipients)
        .bind(&item.subject)
        .bind(at)
        .bind(at)
        .fetch_optional(&self.pool)
        .await?;
        inserted.ok_or_else(|| StoreError::Invalid {
            field: "messageId",
            message: format!(
                "The message <{}> is already in the outbox.",
                item.message_id
            ),
        })
    }

    /// Ids of the messages due now, oldest first.
    pub async fn due_outgoing(&self) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM outbox WHERE state = 'queued' AND next_attempt_at <= ? ORDER BY id",
        )
        .bind(now())
        .fetch_all(&self.pool)
        .await?)
    }

    /// When the next queued message or the next copy into Sent is due, if any waits.
    pub async fn next_outgoing_at(&self) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT min(at) FROM ( \
                 SELECT next_attempt_at AS at FROM outbox WHERE state = 'queued' \
                 UNION ALL \
                 SELECT copy_next_at FROM outbox \
                 WHERE state = 'sent' AND copy_state IN ('pending', 'failed'))",
        )
        .fetch_one(&self.pool)
        .await?)
    }

    /// Ids of the sent messages whose copy in Sent is due to be saved: just sent, or
    /// tried before without success. Oldest first.
    pub async fn due_sent_copies(&self) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM outbox WHERE state = 'sent' AND copy_state IN ('pending', 'failed') \
             AND copy_next_at <= ? ORDER BY id",
        )
        .bind(now())
        .fetch_all(&self.pool)
        .await?)
    }

    /// Takes a due copy into Sent, so that two senders never append the same message.
    /// `None` when another sender took it first or it is no longer due. The item's
    /// `attempts` counts the copy's attempts, this one included.
    pub async fn claim_sent_copy(&self, id: i64) -> Result<Option<OutboxItem>> {
        Ok(sqlx::query_as(
            "UPDATE outbox SET copy_state = 'copying', copy_attempts = copy_attempts + 1 \
             WHERE id = ? AND state = 'sent' AND copy_state IN ('pending', 'failed') \
               AND copy_next_at <= ? \
             RETURNING id, account_id, message_id, raw, envelope_from, recipients, \
                       copy_attempts AS attempts, verify_before_send",
        )
        .bind(id)
        .bind(now())
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The copy into Sent failed: `note` says why, and it is tried again at `retry_at`.
    pub async fn fail_sent_copy(&self, id: i64, note: &str, retry_at: i64) -> Result<()> {
        sqlx::query(
            "UPDATE outbox SET copy_state = 'failed', last_error = ?, copy_next_at = ? WHERE id = ?",
        )
        .bind(note)
        .bind(retry_at)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Takes a due message for sending. `None` when another sender took it first or it
    /// is no longer due.
    pub async fn claim_outgoing(&self, id: i64) -> Result<Option<OutboxItem>> {
        Ok(sqlx::query_as(
            "UPDATE outbox SET state = 'sending', attempts = attempts + 1 \
             WHERE id = ? AND state = 'queued' AND next_attempt_at <= ? \
             RETURNING id, account_id, message_id, raw, envelope_from, recipients, attempts, \
                       verify_before_send",
        )
        .bind(id)
        .bind(now())
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The server took the message.
    pub async fn mark_outgoing_sent(&self, id: i64) -> Result<()> {
        sqlx::query(
            "UPDATE outbox SET state = 'sent', sent_at = ?, last_error = NULL, verify_before_send = 0 \
             WHERE id = ?",
        )
        .bind(now())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The attempt failed for a reason that may pass: queued again for `retry_at`.
    pub async fn requeue_outgoing(&self, id: i64, error: &str, retry_at: i64) -> Result<()> {
        sqlx::query(
            "UPDATE outbox SET state = 'queued', last_error = ?, next_attempt_at = ? WHERE id = ?",
        )
        .bind(error)
        .bind(retry_at)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Like `requeue_outgoing`, for an attempt cut off mid-way: the Sent folder is
    /// searched for the message before it is sent again.
    pub async fn requeue_outgoing_unsure(&self, id: i64, error: &str, retry_at: i64) -> Result<()> {
        sqlx::query(
            "UPDATE outbox SET state = 'queued', verify_before_send = 1, last_error = ?, \
             next_attempt_at = ? WHERE id = ?",
        )
        .bind(error)
        .bind(retry_at)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The server refused the message for good: it waits for the user.
    pub async fn fail_outgoing(&self, id: i64, error: &str) -> Result<()> {
        sqlx::query("UPDATE outbox SET state = 'failed', last_error = ? WHERE id = ?")
            .bind(error)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Sends were interrupted (the app stopped while `sending`): queue them again, to be
    /// checked against the Sent folder first. Returns how many.
    /// Copies into Sent that were under way are due again (the copy step searches Sent
    /// before it appends, so one that reached the server is not made twice).
    pub async fn recover_interrupted_outgoing(&self) -> Result<u64> {
        let mut tx = self.pool.begin().await?;
        let sends = sqlx::query(
            "UPDATE outbox SET state = 'queued', verify_before_send = 1, next_attempt_at = ? \
             WHERE state = 'sending'",
        )
        .bind(now())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query(
            "UPDATE outbox SET copy_state = 'pending', copy_next_at = 0 \
             WHERE state = 'sent' AND copy_state = 'copying'",
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(sends)
    }

    /// The user asks to try a queued or failed message now, or, for a sent message whose
    /// copy in Sent failed, that copy.
    pub async fn retry_outgoing_now(&self, id: i64) -> Result<()> {
        let changed = sqlx::query(
            "UPDATE outbox SET state = 'queued', next_attempt_at = ? \
             WHERE id = ? AND state IN ('queued', 'failed')",
        )
        .bind(now())
        .bind(id)
        .execute(&self.pool)
        .await?
        .rows_affected()
            + sqlx::query(
                "UPDATE outbox SET copy_next_at = ? \
                 WHERE id = ? AND state = 'sent' AND copy_state = 'failed'",
            )
            .bind(now())
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound(format!("outgoing message {id}")));
        }
        Ok(())
    }

    /// Removes a message that has not been sent (queued or failed).
    pub async fn cancel_outgoing(&self, id: i64) -> Result<()> {
        let changed =
            sqlx::query("DELETE FROM outbox WHERE id = ? AND state IN ('queued', 'failed')")
                .bind(id)
                .execute(&self.pool)
                .await?
                .rows_affected();
        if changed == 0 {
            return Err(StoreError::Invalid {
                field: "id",
                message:
                    "This message is being sent or was sent already; it can no longer be cancelled."
                        .into(),
            });
        }
        Ok(())
    }

    pub async fn set_outgoing_copy_state(
        &self,
        id: i64,
        copy_state: &str,
        note: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE outbox SET copy_state = ?, last_error = coalesce(?, last_error) WHERE id = ?",
        )
        .bind(copy_state)
        .bind(note)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Messages not sent yet, those sent in the last `sent_within_secs`, and those whose
    /// copy in Sent failed, newest first.
    pub async fn outbox_entries(&self, sent_within_secs: i64) -> Result<Vec<OutboxEntry>> {
        Ok(sqlx::query_as(
            "SELECT o.id, o.account_id, a.email AS account_email, o.message_id, o.subject, \
                    o.recipients, o.state, o.attempts, o.next_attempt_at, o.last_error, \
                    o.created_at, o.sent_at, o.copy_state, o.copy_next_at \
             FROM outbox o JOIN account a ON a.id = o.account_id \
             WHERE o.state != 'sent' OR o.sent_at >= ? OR o.copy_state = 'failed' \
             ORDER BY o.id DESC",
        )
        .bind(now() - sent_within_secs)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn outbox_entry(&self, id: i64) -> Result<OutboxEntry> {
        sqlx::query_as(
            "SELECT o.id, o.account_id, a.email AS account_email, o.message_id, o.subject, \
                    o.recipients, o.state, o.attempts, o.next_attempt_at, o.last_error, \
                    o.created_at, o.sent_at, o.copy_state, o.copy_next_at \
             FROM outbox o JOIN account a ON a.id = o.account_id WHERE o.id = ?",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("outgoing message {id}")))
    }

    /// The account new mail is sent from unless the user picks another.
    pub async fn default_send_account(&self) -> Result<Option<i64>> {
        let chosen: Option<String> =
            sqlx::query_scalar("SELECT value FROM store_meta WHERE key = 'default_send_account'")
                .fetch_optional(&self.pool)
                .await?;
        let chosen = chosen.and_then(|v| v.parse::<i64>().ok());
        // A removed account falls back to the first one.
        Ok(
            sqlx::query_scalar("SELECT id FROM account ORDER BY (id = ?) DESC, id LIMIT 1")
                .bind(chosen)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn set_default_send_account(&self, account_id: i64) -> Result<()> {
        self.account(account_id).await?;
        sqlx::query(
            "INSERT INTO store_meta (key, value) VALUES ('default_send_account', ?) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(account_id.to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// What a reply to stored message `id` needs: its own Message-ID, its References,
    /// and the accounts that hold it.
    pub async fn threading_of(&self, id: i64) -> Result<(Option<String>, Vec<String>, Vec<i64>)> {
        let row: Option<(Option<String>, Option<String>)> =
            sqlx::query_as("SELECT message_id, references_ids FROM message WHERE id = ?")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        let (own, references) = row.ok_or_else(|| StoreError::NotFound(format!("message {id}")))?;
        let holders = sqlx::query_scalar(
            "SELECT DISTINCT f.account_id FROM message_location l JOIN folder f ON f.id = l.folder_id \
             WHERE l.message_id = ?",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let references = references
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        Ok((own, references, holders))
    }

    /// Saves a draft (a new one when `id` is `None`); returns its id.
    pub async fn save_draft(
        &self,
        id: Option<i64>,
        account_id: Option<i64>,
        subject: &str,
        content: &str,
    ) -> Result<i64> {
        let at = now();
        if let Some(id) = id {
            let changed = sqlx::query(
                "UPDATE draft SET account_id = ?, subject = ?, content = ?, updated_at = ? WHERE id = ?",
            )
            .bind(account_id)
            .bind(subject)
            .bind(content)
            .bind(at)
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected();
            if changed == 1 {
                return Ok(id);
            }
        }
        Ok(sqlx::query_scalar(
            "INSERT INTO draft (account_id, subject, content, updated_at) VALUES (?, ?, ?, ?) RETURNING id",
        )
        .bind(account_id)
        .bind(subject)
        .bind(content)
        .bind(at)
        .fetch_one(&self.pool)
        .await?)
    }

    pub async fn drafts(&self) -> Result<Vec<DraftRecord>> {
        Ok(sqlx::query_as(
            "SELECT id, account_id, content, subject, updated_at FROM draft ORDER BY updated_at DESC",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Where the server copy of draft `id` is: (folder, UIDVALIDITY, UID).
    pub async fn server_draft(&self, id: i64) -> Result<Option<(i64, u32, u32)>> {
        let row: Option<(Option<i64>, Option<i64>, Option<i64>)> = sqlx::query_as(
            "SELECT server_folder_id, server_uidvalidity, server_uid FROM draft WHERE id = ?",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            Some((Some(folder), Some(validity), Some(uid))) => {
                Some((folder, validity as u32, uid as u32))
            }
            _ => None,
        })
    }

    pub async fn set_server_draft(&self, id: i64, place: Option<(i64, u32, u32)>) -> Result<()> {
        sqlx::query(
            "UPDATE draft SET server_folder_id = ?, server_uidvalidity = ?, server_uid = ? WHERE id = ?",
        )
        .bind(place.map(|p| p.0))
        .bind(place.map(|p| p.1 as i64))
        .bind(place.map(|p| p.2 as i64))
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn delete_draft(&self, id: i64) -> Result<()> {
        sqlx::query("DELETE FROM draft WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// An account's signatures (sanitised HTML).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct Signature {
    pub account_id: i64,
    pub new_html: String,
    pub reply_html: String,
    /// In replies: above the quoted message (else below it).
    pub above_quote: bool,
}

impl Store {
    /// The account's signatures; empty ones when none were set.
    pub async fn signature(&self, account_id: i64) -> Result<Signature> {
        let found: Option<Signature> = sqlx::query_as(
            "SELECT account_id, new_html, reply_html, above_quote FROM signature WHERE account_id = ?",
        )
        .bind(account_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.unwrap_or(Signature {
            account_id,
            ..Signature::default()
        }))
    }

    /// Saves the signatures as given; the caller sanitises them (`compose::save_signature`).
    pub async fn save_signature(&self, signature: &Signature) -> Result<()> {
        self.account(signature.account_id).await?;
        sqlx::query(
            "INSERT INTO signature (account_id, new_html, reply_html, above_quote, updated_at) \
             VALUES (?, ?, ?, ?, ?) \
             ON CONFLICT (account_id) DO UPDATE SET new_html = excluded.new_html, \
               reply_html = excluded.reply_html, above_quote = excluded.above_quote, \
               updated_at = excluded.updated_at",
        )
        .bind(signature.account_id)
        .bind(&signature.new_html)
        .bind(&signature.reply_html)
        .bind(signature.above_quote)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Addresses for the To/Cc/Bcc fields: contacts whose name or address starts with
    /// `query` first, then addresses from recent mail. (name, address, is a contact)
    pub async fn address_suggestions(
        &self,
        query: &str,
        limit: i64,
    ) -> Result<Vec<(String, String, bool)>> {
        let query = query.trim().to_lowercase();
        if query.is_empty() {
            return Ok(Vec::new());
        }
        let escaped = query
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let prefix = format!("{escaped}%");
        let word = format!("% {escaped}%");
        let mut out: Vec<(String, String, bool)> = sqlx::query_as::<_, (String, String)>(
            "SELECT c.display_name, e.address FROM contact_email e JOIN contact c ON c.id = e.contact_id \
             WHERE e.address LIKE ?1 ESCAPE '\\' OR c.display_name LIKE ?1 ESCAPE '\\' \
                OR c.display_name LIKE ?2 ESCAPE '\\' \
             ORDER BY c.last_contact_at DESC NULLS LAST LIMIT ?3",
        )
        .bind(&prefix)
        .bind(&word)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|(name, address)| (name, address, true))
        .collect();
        if (out.len() as i64) < limit {
            // A prefix range on the (address, date) index rather than a scan.
            let upper = format!("{query}\u{10ffff}");
            let recent: Vec<(String, String)> = sqlx::query_as(
                "SELECT max(display_name), address FROM participant \
                 WHERE address >= ? AND address < ? GROUP BY address ORDER BY max(date) DESC LIMIT ?",
            )
            .bind(&query)
            .bind(&upper)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
            for (name, address) in recent {
                if out.len() as i64 >= limit {
                    break;
                }
                if !out.iter().any(|(_, a, _)| *a == address) {
                    out.push((name, address, false));
                }
            }
        }
        Ok(out)
    }

    pub async fn templates(&self) -> Result<Vec<TemplateRecord>> {
        Ok(sqlx::query_as(
            "SELECT id, name, subject, html FROM template ORDER BY name COLLATE NOCASE",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Saves a template (a new one when `id` is 0); returns its id.
    pub async fn save_template(&self, template: &TemplateRecord) -> Result<i64> {
        let name = template.name.trim();
        if name.is_empty() {
            return Err(StoreError::Invalid {
                field: "name",
                message: "Give the template a name.".into(),
            });
        }
        if template.id > 0 {
            let changed = sqlx::query(
                "UPDATE template SET name = ?, subject = ?, html = ?, updated_at = ? WHERE id = ?",
            )
            .bind(name)
            .bind(&template.subject)
            .bind(&template.html)
            .bind(now())
            .bind(template.id)
            .execute(&self.pool)
            .await?
            .rows_affected();
            if changed == 0 {
                return Err(StoreError::NotFound(format!("template {}", template.id)));
            }
            return Ok(template.id);
        }
        Ok(sqlx::query_scalar(
            "INSERT INTO template (name, subject, html, updated_at) VALUES (?, ?, ?, ?) RETURNING id",
        )
        .bind(name)
        .bind(&template.subject)
        .bind(&template.html)
        .bind(now())
        .fetch_one(&self.pool)
        .await?)
    }

    pub async fn delete_template(&self, id: i64) -> Result<()> {
        sqlx::query("DELETE FROM template WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::{account_with_folders, temp_store};

    fn item(account_id: i64, message_id: &str) -> NewOutboxItem {
        NewOutboxItem {
            account_id,
            message_id: message_id.into(),
            raw: b"Subject: x\r\n\r\nbody".to_vec(),
            envelope_from: "alice@rapport.test".into(),
            recipients: vec!["bob@example.com".into()],
            subject: "x".into(),
        }
    }

    #[tokio::test]
    async fn a_message_id_is_queued_once_and_claimed_once() {
        let (store, _dir) = temp_store().await;
        let (account, _, _) =
            account_with_folders(&store, "alice@rapport.test", crate::crm::ContactPolicy::All)
                .await;
        let id = store.enqueue_outgoing(&item(account, "a@x")).await.unwrap();
        assert!(store.enqueue_outgoing(&item(account, "a@x")).await.is_err());
        assert_eq!(store.due_outgoing().await.unwrap(), vec![id]);
        let claimed = store.claim_outgoing(id).await.unwrap().expect("claimed");
        assert_eq!(claimed.recipient_list(), vec!["bob@example.com"]);
        assert!(store.claim_outgoing(id).await.unwrap().is_none());
        // An interrupted send comes back, marked to be checked before it is sent again.
        assert_eq!(store.recover_interrupted_outgoing().await.unwrap(), 1);
        let again = store
            .claim_outgoing(id)
            .await
            .unwrap()
            .expect("claimed again");
        assert!(again.verify_before_send);
        assert_eq!(again.attempts, 2);
        store.mark_outgoing_sent(id).await.unwrap();
        assert!(store.cancel_outgoing(id).await.is_err());
        assert_eq!(store.outbox_entry(id).await.unwrap().state, "sent");
    }

    #[tokio::test]
    async fn a_requeued_message_waits_until_it_is_due() {
        let (store, _dir) = temp_store().await;
        let (account, _, _) =
            account_with_folders(&store, "alice@rapport.test", crate::crm::ContactPolicy::All)
                .await;
        let id = store.enqueue_outgoing(&item(account, "b@x")).await.unwrap();
        store.claim_outgoing(id).await.unwrap().expect("claimed");
        store
            .requeue_outgoing(id, "connection refused", now() + 60)
            .await
            .unwrap();
        assert!(store.due_outgoing().await.unwrap().is_empty());
        assert!(store.claim_outgoing(id).await.unwrap().is_none());
        store.retry_outgoing_now(id).await.unwrap();
        assert_eq!(store.due_outgoing().await.unwrap(), vec![id]);
        let entry = store.outbox_entry(id).await.unwrap();
        assert_eq!(entry.last_error.as_deref(), Some("connection refused"));
    }
}
