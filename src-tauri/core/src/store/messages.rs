//! Writing fetched mail: one transaction per batch, with dedup, threading, people,
//! contact linking, attachments and the full-text index kept in step.

use std::collections::{HashMap, HashSet};

use super::{now, KeepPolicy, Result, Store};
use crate::{
    crm::{self, AccountIdentity, Direction, IgnoreRules},
    mime::ParsedMessage,
};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MessageFlags {
    pub seen: bool,
    pub flagged: bool,
    pub answered: bool,
    pub draft: bool,
}

impl MessageFlags {
    /// The flags as stored on a location: IMAP system flag names, space separated.
    pub fn to_imap(self) -> String {
        let mut out = Vec::new();
        if self.seen {
            out.push("\\Seen");
        }
        if self.flagged {
            out.push("\\Flagged");
        }
        if self.answered {
            out.push("\\Answered");
        }
        if self.draft {
            out.push("\\Draft");
        }
        out.join(" ")
    }
}

/// One message as fetched from a folder.
#[derive(Debug, Clone)]
pub struct FetchedMessage {
    pub uid: u32,
    pub flags: MessageFlags,
    pub modseq: Option<u64>,
    pub parsed: ParsedMessage,
}

/// Everything a batch write needs to know besides the messages.
#[derive(Debug, Clone)]
pub struct BatchContext {
    pub account_id: i64,
    pub folder_id: i64,
    pub uidvalidity: u32,
    pub identity: AccountIdentity,
    pub ignore: IgnoreRules,
    pub keep: KeepPolicy,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    /// Messages stored for the first time.
    pub new_messages: u64,
    /// Messages already stored (another folder or account) that gained this location.
    pub new_locations: u64,
    /// Locations skipped because they were stored before (a resumed or repeated pass).
    pub already_stored: u64,
    /// Messages the keep policy left out.
    pub not_kept: u64,
    pub contacts_created: u64,
}

impl Store {
    /// Writes a batch in one transaction. Idempotent: a location already stored is
    /// skipped, a message already stored (same dedup key) only gains a location.
    pub async fn store_batch(
        &self,
        ctx: &BatchContext,
        batch: &[FetchedMessage],
    ) -> Result<BatchOutcome> {
        let mut outcome = BatchOutcome::default();
        let mut tx = self.pool.begin().await?;
        let mut unread_delta = 0i64;
        // Contacts whose mail changed in this batch: their counts are refreshed once at the end.
        let mut touched: HashSet<i64> = HashSet::new();
        let mut account_delta = 0i64;
        for fetched in batch {
            let exists: Option<i64> = sqlx::query_scalar(
                "SELECT 1 FROM message_location WHERE folder_id = ? AND uidvalidity = ? AND uid = ?",
            )
            .bind(ctx.folder_id)
            .bind(ctx.uidvalidity as i64)
            .bind(fetched.uid as i64)
            .fetch_optional(&mut *tx)
            .await?;
            if exists.is_some() {
                outcome.already_stored += 1;
                continue;
            }
            let parsed = &fetched.parsed;
            let direction = ctx.identity.direction_of(parsed);
            let kept = match ctx.keep {
                KeepPolicy::All => true,
                KeepPolicy::Received => direction == Direction::In,
                KeepPolicy::Sent => direction == Direction::Out,
            };
            if !kept {
                outcome.not_kept += 1;
                continue;
            }
            let existing: Option<i64> =
                sqlx::query_scalar("SELECT id FROM message WHERE dedup_key = ?")
                    .bind(&parsed.dedup_key)
                    .fetch_optional(&mut *tx)
                    .await?;
            let message_id = match existing {
                Some(id) => {
                    outcome.new_locations += 1;
                    id
                }
                None => {
                    outcome.new_messages += 1;
                    let (id, created) = insert_message(
                        &mut tx,
                        ctx,
                        parsed,
                        direction,
                        fetched.flags,
                        &mut touched,
                    )
                    .await?;
                    outcome.contacts_created += created;
                    id
                }
            };
            let account_had_it: Option<i64> = sqlx::query_scalar(
                "SELECT 1 FROM message_location l JOIN folder f ON f.id = l.folder_id \
                 WHERE l.message_id = ? AND f.account_id = ? LIMIT 1",
            )
            .bind(message_id)
            .bind(ctx.account_id)
            .fetch_optional(&mut *tx)
            .await?;
            if account_had_it.is_none() {
                account_delta += 1;
            }
            sqlx::query(
                "INSERT INTO message_location (folder_id, uidvalidity, uid, message_id, flags, modseq, date) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, (SELECT date FROM message WHERE id = ?4))",
            )
            .bind(ctx.folder_id)
            .bind(ctx.uidvalidity as i64)
            .bind(fetched.uid as i64)
            .bind(message_id)
            .bind(fetched.flags.to_imap())
            .bind(fetched.modseq.map(|m| m as i64))
            .execute(&mut *tx)
            .await?;
            if !fetched.flags.seen {
                unread_delta += 1;
            }
        }
        let added = (outcome.new_messages + outcome.new_locations) as i64;
        if added > 0 {
            sqlx::query(
                "UPDATE folder SET message_count = message_count + ?, unread_count = unread_count + ? WHERE id = ?",
            )
            .bind(added)
            .bind(unread_delta)
            .bind(ctx.folder_id)
            .execute(&mut *tx)
            .await?;
        }
        super::contacts::refresh_contact_stats(&mut tx, &touched).await?;
        if account_delta > 0 {
            sqlx::query("UPDATE account SET message_count = message_count + ? WHERE id = ?")
                .bind(account_delta)
                .bind(ctx.account_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(outcome)
    }
}

/// Inserts a new message with its body, people, attachments and index row; creates the
/// contacts the policy asks for. Returns the id and how many contacts were created.
async fn insert_message(
    tx: &mut sqlx::SqliteConnection,
    ctx: &BatchContext,
    parsed: &ParsedMessage,
    direction: Direction,
    flags: MessageFlags,
    touched: &mut HashSet<i64>,
) -> Result<(i64, u64)> {
    let references = parsed.references.join(" ");
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO message (dedup_key, message_id, in_reply_to, references_ids, subject, date, snippet, \
         direction, is_bulk, size, has_attachments, seen, flagged, answered, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(&parsed.dedup_key)
    .bind(&parsed.message_id)
    .bind(&parsed.in_reply_to)
    .bind(&references)
    .bind(&parsed.subject)
    .bind(parsed.date)
    .bind(&parsed.snippet)
    .bind(direction.as_str())
    .bind(parsed.is_bulk)
    .bind(parsed.size)
    .bind(parsed.has_attachments())
    .bind(flags.seen)
    .bind(flags.flagged)
    .bind(flags.answered)
    .bind(now())
    .fetch_one(&mut *tx)
    .await?;

    assign_thread(tx, id, parsed).await?;

    sqlx::query("INSERT INTO message_body (message_id, text, html) VALUES (?, ?, ?)")
        .bind(id)
        .bind(&parsed.text)
        .bind(&parsed.html)
        .execute(&mut *tx)
        .await?;

    let mut created = 0u64;
    for candidate in crm::contacts_to_create(parsed, &ctx.identity, &ctx.ignore) {
        if create_contact_if_missing(tx, &candidate, direction, ctx.identity.leads_from_incoming)
            .await?
        {
            created += 1;
        }
    }

    let mut positions: HashMap<&str, i64> = HashMap::new();
    let mut addresses = String::new();
    for participant in &parsed.participants {
        let role = participant.role.as_str();
        let position = positions.entry(role).or_insert(0);
        let contact_id: Option<i64> = if ctx.identity.is_me(&participant.address) {
            None
        } else {
            sqlx::query_scalar("SELECT contact_id FROM contact_email WHERE address = ?")
                .bind(&participant.address)
                .fetch_optional(&mut *tx)
                .await?
        };
        if let Some(contact) = contact_id {
            touched.insert(contact);
        }
        sqlx::query(
            "INSERT OR IGNORE INTO participant (message_id, role, position, address, display_name, contact_id, date) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(role)
        .bind(*position)
        .bind(&participant.address)
        .bind(&participant.display_name)
        .bind(contact_id)
        .bind(parsed.date)
        .execute(&mut *tx)
        .await?;
        *position += 1;
        addresses.push_str(&participant.display_name);
        addresses.push(' ');
        addresses.push_str(&participant.address);
        addresses.push(' ');
    }

    for attachment in &parsed.attachments {
        sqlx::query(
            "INSERT OR IGNORE INTO attachment (message_id, part_id, filename, mime_type, size, content_id, is_inline) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(&attachment.part_id)
        .bind(&attachment.filename)
        .bind(&attachment.mime_type)
        .bind(attachment.size)
        .bind(&attachment.content_id)
        .bind(attachment.is_inline)
        .execute(&mut *tx)
        .await?;
    }

    sqlx::query("INSERT INTO message_fts (rowid, subject, body, addresses) VALUES (?, ?, ?, ?)")
        .bind(id)
        .bind(&parsed.subject)
        .bind(&parsed.text)
        .bind(&addresses)
        .execute(&mut *tx)
        .await?;

    Ok((id, created))
}

/// Puts the message in the thread of the messages it answers, and pulls in replies
/// stored before it (newest-first sync stores replies before what they answer).
async fn assign_thread(
    tx: &mut sqlx::SqliteConnection,
    id: i64,
    parsed: &ParsedMessage,
) -> Result<()> {
    let mut threads: Vec<i64> = Vec::new();
    let parents = parsed.in_reply_to.iter().chain(parsed.references.iter());
    for parent in parents {
        let found: Option<Option<i64>> =
            sqlx::query_scalar("SELECT thread_id FROM message WHERE message_id = ? LIMIT 1")
                .bind(parent)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(Some(thread)) = found {
            threads.push(thread);
        }
    }
    if let Some(own_id) = &parsed.message_id {
        let children: Vec<Option<i64>> =
            sqlx::query_scalar("SELECT thread_id FROM message WHERE in_reply_to = ?")
                .bind(own_id)
                .fetch_all(&mut *tx)
                .await?;
        threads.extend(children.into_iter().flatten());
    }
    let thread = threads.iter().copied().min().unwrap_or(id).min(id);
    sqlx::query("UPDATE message SET thread_id = ? WHERE id = ?")
        .bind(thread)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    threads.sort_unstable();
    threads.dedup();
    for other in threads.into_iter().filter(|t| *t != thread) {
        sqlx::query("UPDATE message SET thread_id = ? WHERE thread_id = ?")
            .bind(thread)
            .bind(other)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// Creates a contact for the address unless one exists, and links every message already
/// stored with that address to it (linking is retroactive).
async fn create_contact_if_missing(
    tx: &mut sqlx::SqliteConnection,
    candidate: &crm::ContactCandidate,
    direction: Direction,
    new_senders_are_leads: bool,
) -> Result<bool> {
    let known: Option<i64> =
        sqlx::query_scalar("SELECT contact_id FROM contact_email WHERE address = ?")
            .bind(&candidate.address)
            .fetch_optional(&mut *tx)
            .await?;
    if known.is_some() {
        return Ok(false);
    }
    let (origin, stage) = match direction {
        Direction::Out => ("sent", "contact"),
        Direction::In if new_senders_are_leads => ("received", "lead"),
        Direction::In => ("received", "contact"),
    };
    super::contacts::insert_contact(
        tx,
        &candidate.address,
        &candidate.display_name,
        origin,
        stage,
    )
    .await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{crm::ContactPolicy, mime::parse, store::test_support::temp_store};

    async fn context(store: &Store, account_id: i64, folder_id: i64) -> BatchContext {
        let account = store.account(account_id).await.unwrap();
        BatchContext {
            account_id,
            folder_id,
            uidvalidity: 1,
            identity: store.account_identity(&account).await.unwrap(),
            ignore: store.ignore_rules().await.unwrap(),
            keep: KeepPolicy::All,
        }
    }

    fn fetched(uid: u32, raw: &str) -> FetchedMessage {
        FetchedMessage {
            uid,
            flags: MessageFlags::default(),
            modseq: None,
            parsed: parse(raw.as_bytes(), None),
        }
    }

    const OFFER: &str = "From: Alice <alice@rapport.test>\r\nTo: Jan Novak <jan@firma.cz>\r\nSubject: Offer\r\nMessage-ID: <offer@rapport.test>\r\nDate: Mon, 09 Nov 2026 10:00:00 +0000\r\n\r\nOur offer\r\n";
    const REPLY: &str = "From: Jan Novak <jan@firma.cz>\r\nTo: alice@rapport.test\r\nSubject: Re: Offer\r\nMessage-ID: <reply@firma.cz>\r\nIn-Reply-To: <offer@rapport.test>\r\nDate: Tue, 10 Nov 2026 10:00:00 +0000\r\n\r\nThanks\r\n";

    #[tokio::test]
    async fn storing_the_same_batch_twice_stores_nothing_twice() {
        let (store, _dir) = temp_store().await;
        let (account, inbox, _) = crate::store::test_support::account_with_folders(
            &store,
            "alice@rapport.test",
            ContactPolicy::All,
        )
        .await;
        let ctx = context(&store, account, inbox).await;
        let batch = vec![fetched(1, OFFER), fetched(2, REPLY)];
        let first = store.store_batch(&ctx, &batch).await.unwrap();
        assert_eq!(first.new_messages, 2);
        let again = store.store_batch(&ctx, &batch).await.unwrap();
        assert_eq!(again.new_messages, 0);
        assert_eq!(again.already_stored, 2);
        assert_eq!(store.account(account).await.unwrap().message_count, 2);
        let fts: i64 =
            sqlx::query_scalar("SELECT count(*) FROM message_fts WHERE message_fts MATCH 'thanks'")
                .fetch_one(store.pool())
                .await
                .unwrap();
        assert_eq!(fts, 1);
    }

    #[tokio::test]
    async fn a_message_in_two_folders_is_stored_once_with_two_locations() {
        let (store, _dir) = temp_store().await;
        let (account, inbox, archive) = crate::store::test_support::account_with_folders(
            &store,
            "alice@rapport.test",
            ContactPolicy::All,
        )
        .await;
        store
            .store_batch(&context(&store, account, inbox).await, &[fetched(7, OFFER)])
            .await
            .unwrap();
        let outcome = store
            .store_batch(
                &context(&store, account, archive).await,
                &[fetched(3, OFFER)],
            )
            .await
            .unwrap();
        assert_eq!(outcome.new_messages, 0);
        assert_eq!(outcome.new_locations, 1);
        let messages: i64 = sqlx::query_scalar("SELECT count(*) FROM message")
            .fetch_one(store.pool())
            .await
            .unwrap();
        let locations: i64 = sqlx::query_scalar("SELECT count(*) FROM message_location")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!((messages, locations), (1, 2));
        assert_eq!(
            store.account(account).await.unwrap().message_count,
            1,
            "counted once per account"
        );
    }

    #[tokio::test]
    async fn reply_stored_first_joins_the_thread_of_what_it_answers() {
        let (store, _dir) = temp_store().await;
        let (account, inbox, _) = crate::store::test_support::account_with_folders(
            &store,
            "alice@rapport.test",
            ContactPolicy::All,
        )
        .await;
        let ctx = context(&store, account, inbox).await;
        store.store_batch(&ctx, &[fetched(2, REPLY)]).await.unwrap();
        store.store_batch(&ctx, &[fetched(1, OFFER)]).await.unwrap();
        let threads: Vec<i64> = sqlx::query_scalar("SELECT DISTINCT thread_id FROM message")
            .fetch_all(store.pool())
            .await
            .unwrap();
        assert_eq!(threads.len(), 1);
    }

    #[tokio::test]
    async fn sent_only_policy_links_earlier_mail_when_the_contact_appears() {
        let (store, _dir) = temp_store().await;
        let (account, inbox, _) = crate::store::test_support::account_with_folders(
            &store,
            "alice@rapport.test",
            ContactPolicy::Sent,
        )
        .await;
        let ctx = context(&store, account, inbox).await;
        // Jan writes first: under "sent" policy that alone makes no contact.
        store.store_batch(&ctx, &[fetched(2, REPLY)]).await.unwrap();
        assert!(store.contacts().await.unwrap().is_empty());
        // Alice writes to Jan: Jan becomes a contact, and his earlier mail is linked.
        let outcome = store.store_batch(&ctx, &[fetched(1, OFFER)]).await.unwrap();
        assert_eq!(outcome.contacts_created, 1);
        let contacts = store.contacts().await.unwrap();
        assert_eq!(contacts.len(), 1);
        assert_eq!(contacts[0].email, "jan@firma.cz");
        assert_eq!(contacts[0].display_name, "Jan Novak");
        assert_eq!(contacts[0].message_count, 2);
        assert_eq!((contacts[0].sent_count, contacts[0].received_count), (1, 1));
        let timeline = store.timeline("Jan@Firma.cz").await.unwrap();
        assert_eq!(timeline.len(), 2);
        assert_eq!(timeline[0].subject, "Re: Offer", "newest first");
        assert_eq!(timeline[0].direction, "in");
        assert_eq!(timeline[1].direction, "out");
        assert_eq!(timeline[0].accounts, "alice@rapport.test");
    }

    #[tokio::test]
    async fn removing_the_account_removes_its_mail_and_automatic_contacts() {
        let (store, _dir) = temp_store().await;
        let (account, inbox, _) = crate::store::test_support::account_with_folders(
            &store,
            "alice@rapport.test",
            ContactPolicy::All,
        )
        .await;
        store
            .store_batch(&context(&store, account, inbox).await, &[fetched(1, OFFER)])
            .await
            .unwrap();
        store.delete_account(account).await.unwrap();
        for table in [
            "SELECT count(*) FROM message",
            "SELECT count(*) FROM contact",
            "SELECT count(*) FROM folder",
        ] {
            let n: i64 = sqlx::query_scalar(table)
                .fetch_one(store.pool())
                .await
                .unwrap();
            assert_eq!(n, 0, "{table}");
        }
    }

    #[tokio::test]
    async fn uidvalidity_reset_keeps_messages_held_elsewhere() {
        let (store, _dir) = temp_store().await;
        let (account, inbox, archive) = crate::store::test_support::account_with_folders(
            &store,
            "alice@rapport.test",
            ContactPolicy::All,
        )
        .await;
        store
            .store_batch(
                &context(&store, account, inbox).await,
                &[fetched(1, OFFER), fetched(2, REPLY)],
            )
            .await
            .unwrap();
        store
            .store_batch(
                &context(&store, account, archive).await,
                &[fetched(1, OFFER)],
            )
            .await
            .unwrap();
        store.reset_folder(inbox, 99).await.unwrap();
        let subjects: Vec<String> = sqlx::query_scalar("SELECT subject FROM message")
            .fetch_all(store.pool())
            .await
            .unwrap();
        assert_eq!(subjects, vec!["Offer".to_owned()]);
        assert_eq!(store.account(account).await.unwrap().message_count, 1);
        assert!(store.stored_uids(inbox, 1).await.unwrap().is_empty());
    }
}
