//! Sending: a composed message goes into the outbox (SQLite) first and is delivered from
//! there, so a send offline or against a failing server waits and is retried with
//! backoff. A message is never sent twice: its Message-ID is made once and is the
//! outbox's unique key; a row is claimed by one conditional update; and a send that was
//! interrupted (the app stopped mid-way) is looked up in the Sent folder before it is
//! tried again. After delivery the message is appended to Sent (unless the provider
//! files it itself) and stored locally at its Sent location, so it is in the recipients'
//! timelines at once and the next sync of Sent finds it already stored. That copy is a
//! step of its own, claimed like the send: one that failed is tried again with backoff,
//! one cut off by a stop is taken up at the next start, and Sent is searched before
//! appending again so a copy is never made twice.

use std::{sync::Arc, time::Duration};

use serde::Serialize;
use tokio::{sync::Notify, task::JoinHandle};

use crate::{
    account::AccountError,
    auth,
    compose::{self, BuiltMessage, ComposeError, Draft},
    imap::{FolderRole, ImapSession},
    mime,
    smtp::{self, SmtpError},
    store::{
        AccountRecord, BatchContext, FetchedMessage, MessageFlags, NewOutboxItem, OutboxItem,
        Store, StoreError,
    },
    sync,
};

/// The longest a login or one message's submission may take. A submission cut off by it
/// may have reached the server, so it counts as interrupted: checked in Sent before a retry.
const SUBMISSION_TIMEOUT: Duration = Duration::from_secs(120);

/// How long the Sent folder of a provider that files sent mail itself is searched for it.
const PROVIDER_COPY_WAIT: Duration = Duration::from_secs(4);

/// What one delivery attempt of one message came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Delivery {
    Sent {
        id: i64,
    },
    /// Found in the Sent folder after an interrupted send: not sent again.
    AlreadySent {
        id: i64,
    },
    Retrying {
        id: i64,
        error: String,
        at: i64,
    },
    Failed {
        id: i64,
        error: String,
    },
}

/// Queued: the outbox row and the message's Message-ID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Queued {
    pub outbox_id: i64,
    pub message_id: String,
}

/// Builds the message of `draft` and queues it. Template placeholders still in the
/// subject or body stop it here, before anything leaves.
pub async fn queue(store: &Store, draft: &Draft) -> Result<Queued, ComposeError> {
    let mut unfilled = compose::template::unfilled(&draft.subject);
    for p in compose::template::unfilled(&draft.html) {
        if !unfilled.contains(&p) {
            unfilled.push(p);
        }
    }
    if !unfilled.is_empty() {
        let names: Vec<String> = unfilled.iter().map(|p| format!("{{{p}}}")).collect();
        return Err(ComposeError::UnfilledPlaceholders(names.join(", ")));
    }
    let account = store.account(draft.account_id).await?;
    let BuiltMessage {
        message_id,
        raw,
        envelope_from,
        recipients,
    } = compose::build(&account, draft)?;
    let outbox_id = store
        .enqueue_outgoing(&NewOutboxItem {
            account_id: account.id,
            message_id: message_id.clone(),
            raw,
            envelope_from,
            recipients,
            subject: draft.subject.trim().to_owned(),
        })
        .await?;
    Ok(Queued {
        outbox_id,
        message_id,
    })
}

/// Whether the provider files what is sent through its SMTP server in Sent itself
/// (an APPEND would make a second copy there).
pub fn provider_files_sent_mail(account: &AccountRecord) -> bool {
    let host = account.smtp.host.to_ascii_lowercase();
    [
        "smtp.gmail.com",
        "smtp.googlemail.com",
        "smtp.office365.com",
        "smtp-mail.outlook.com",
        "smtp.outlook.com",
    ]
    .contains(&host.as_str())
}

#[derive(Clone)]
enum Attempt {
    Sent,
    AlreadySent,
    /// Worth another try later (offline, server down, a 4xx answer).
    Retry(String),
    /// The server refused it for good, or only the user can fix it (password, certificate).
    Refused(String),
    /// The submission was cut off mid-way: the server may have the message.
    Unsure(String),
}

fn smtp_failure(e: SmtpError) -> Attempt {
    let permanent = matches!(
        e,
        SmtpError::Refused { .. }
            | SmtpError::AuthenticationFailed { .. }
            | SmtpError::NoAuthMechanism
            | SmtpError::Trust(_)
    ) || matches!(
        &e,
        SmtpError::Connect(crate::net::ConnectError::CertificateNotTrusted { .. })
    );
    let sentence = AccountError::from(e).to_user_error().message;
    if permanent {
        Attempt::Refused(sentence)
    } else {
        Attempt::Retry(sentence)
    }
}

/// Logs in to the account's submission server, with its password or its sign-in token.
async fn open_submission(
    store: &Store,
    account: &AccountRecord,
) -> Result<lettre::transport::smtp::client::AsyncSmtpConnection, Attempt> {
    match tokio::time::timeout(SUBMISSION_TIMEOUT, auth::smtp_connection(store, account)).await {
        Ok(Ok(connection)) => Ok(connection),
        Ok(Err(auth::LoginError::Smtp(e))) => Err(smtp_failure(e)),
        Ok(Err(other)) => {
            let error = sync::SyncError::from(other);
            let sentence = error.to_user_error().message;
            if error.needs_user() {
                Err(Attempt::Refused(sentence))
            } else {
                Err(Attempt::Retry(sentence))
            }
        }
        Err(_) => Err(Attempt::Retry(format!(
            "{} did not finish the login in time. Rapport tries again shortly.",
            account.smtp.host
        ))),
    }
}

/// Delivers every message that is due, one account connection at a time. Returns what
/// happened to each.
pub async fn deliver_due(store: &Store) -> Result<Vec<Delivery>, StoreError> {
    let mut results = Vec::new();
    let mut connections: Vec<(i64, lettre::transport::smtp::client::AsyncSmtpConnection)> =
        Vec::new();
    // An account whose server cannot be reached now is not tried again in this round.
    let mut unreachable: Vec<(i64, Attempt)> = Vec::new();
    for id in store.due_outgoing().await? {
        let Some(item) = store.claim_outgoing(id).await? else {
            continue;
        };
        let attempt = match unreachable.iter().find(|(a, _)| *a == item.account_id) {
            Some((_, failure)) => failure.clone(),
            None => {
                let account = store.account(item.account_id).await?;
                attempt_one(store, &account, &item, &mut connections, &mut unreachable).await
            }
        };
        results.push(record_attempt(store, &item, attempt).await?);
    }
    for (_, mut connection) in connections {
        let _ = connection.quit().await;
    }
    // What was just sent, and copies that failed before or were cut off by a stop.
    for id in store.due_sent_copies().await? {
        let Some(item) = store.claim_sent_copy(id).await? else {
            continue;
        };
        let account = store.account(item.account_id).await?;
        file_sent_copy(store, &account, &item).await?;
    }
    Ok(results)
}

async fn attempt_one(
    store: &Store,
    account: &AccountRecord,
    item: &OutboxItem,
    connections: &mut Vec<(i64, lettre::transport::smtp::client::AsyncSmtpConnection)>,
    unreachable: &mut Vec<(i64, Attempt)>,
) -> Attempt {
    if item.verify_before_send {
        match find_in_sent(store, account, &item.message_id).await {
            Ok(Some(_)) => return Attempt::AlreadySent,
            Ok(None) => {}
            // Sending blind could make a second copy: wait until Sent can be checked.
            Err(e) => {
                return Attempt::Retry(format!(
                    "An earlier attempt was interrupted and the Sent folder could not be checked yet: {e}"
                ))
            }
        }
    }
    let position = match connections.iter().position(|(a, _)| *a == account.id) {
        Some(p) => p,
        None => match open_submission(store, account).await {
            Ok(connection) => {
                connections.push((account.id, connection));
                connections.len() - 1
            }
            Err(failure) => {
                unreachable.push((account.id, failure.clone()));
                return failure;
            }
        },
    };
    let wire = compose::wire_form(&item.raw);
    let result = tokio::time::timeout(
        SUBMISSION_TIMEOUT,
        smtp::send(
            &mut connections[position].1,
            &item.envelope_from,
            &item.recipient_list(),
            &wire,
        ),
    )
    .await;
    match result {
        Ok(Ok(())) => Attempt::Sent,
        Err(_) => {
            connections.remove(position);
            Attempt::Unsure(format!(
                "{} stopped answering while the message was being sent. Rapport checks the Sent folder and tries again.",
                account.smtp.host
            ))
        }
        Ok(Err(e)) => {
            // The connection may be unusable after an error: open a fresh one next time.
            connections.remove(position);
            smtp_failure(e)
        }
    }
}

async fn record_attempt(
    store: &Store,
    item: &OutboxItem,
    attempt: Attempt,
) -> Result<Delivery, StoreError> {
    Ok(match attempt {
        Attempt::Sent => {
            store.mark_outgoing_sent(item.id).await?;
            tracing::info!(outbox = item.id, "message sent");
            Delivery::Sent { id: item.id }
        }
        Attempt::AlreadySent => {
            store.mark_outgoing_sent(item.id).await?;
            store.set_outgoing_copy_state(item.id, "done", None).await?;
            Delivery::AlreadySent { id: item.id }
        }
        Attempt::Retry(error) => {
            let at = retry_at(item.attempts);
            store.requeue_outgoing(item.id, &error, at).await?;
            tracing::info!(
                outbox = item.id,
                attempts = item.attempts,
                "send postponed: {error}"
            );
            Delivery::Retrying {
                id: item.id,
                error,
                at,
            }
        }
        Attempt::Unsure(error) => {
            let at = retry_at(item.attempts);
            store.requeue_outgoing_unsure(item.id, &error, at).await?;
            Delivery::Retrying {
                id: item.id,
                error,
                at,
            }
        }
        Attempt::Refused(error) => {
            store.fail_outgoing(item.id, &error).await?;
            tracing::warn!(outbox = item.id, "send refused: {error}");
            Delivery::Failed { id: item.id, error }
        }
    })
}

/// When attempt number `attempts` + 1 is due: the sync's backoff, in Unix seconds.
fn retry_at(attempts: i64) -> i64 {
    let delay = sync::service::backoff(attempts, jitter());
    chrono::Utc::now().timestamp() + delay.as_secs().max(1) as i64
}

fn jitter() -> f64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    (nanos % 1000) as f64 / 1000.0
}

/// The Sent folder's (UIDVALIDITY, UID) of the message with `message_id`, if it is there.
async fn search_sent(
    session: &mut ImapSession,
    folder: &str,
    message_id: &str,
) -> Result<Option<(u32, u32)>, String> {
    if message_id.contains(['"', '\\', '\r', '\n']) {
        return Ok(None);
    }
    let mailbox = session.examine(folder).await.map_err(|e| e.to_string())?;
    let validity = mailbox
        .uid_validity
        .ok_or_else(|| format!("the server sent no UIDVALIDITY for {folder}"))?;
    let uids = session
        .uid_search(format!("HEADER Message-ID \"<{message_id}>\""))
        .await
        .map_err(|e| e.to_string())?;
    Ok(uids.into_iter().max().map(|uid| (validity, uid)))
}

async fn find_in_sent(
    store: &Store,
    account: &AccountRecord,
    message_id: &str,
) -> Result<Option<(u32, u32)>, String> {
    let Some(sent) = sent_folder(store, account.id)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(None);
    };
    let mut session = sync::open_session(store, account)
        .await
        .map_err(|e| e.to_user_error().message)?;
    let found = search_sent(&mut session, &sent.raw_name, message_id).await;
    let _ = session.logout().await;
    found
}

async fn sent_folder(
    store: &Store,
    account_id: i64,
) -> Result<Option<crate::store::FolderRecord>, StoreError> {
    role_folder(store, account_id, FolderRole::Sent).await
}

async fn role_folder(
    store: &Store,
    account_id: i64,
    role: FolderRole,
) -> Result<Option<crate::store::FolderRecord>, StoreError> {
    Ok(store
        .folders(account_id)
        .await?
        .into_iter()
        .find(|f| f.role() == Some(role)))
}

/// Appends the sent message to Sent (unless the provider files it) and stores it at
/// that location, linked to its recipients. After an earlier attempt Sent is searched
/// first: a copy that attempt appended before it was cut off is not made twice. A
/// failure is recorded on the outbox row and tried again with backoff: the message
/// itself went out.
async fn file_sent_copy(
    store: &Store,
    account: &AccountRecord,
    item: &OutboxItem,
) -> Result<(), StoreError> {
    let Some(sent) = sent_folder(store, account.id).await? else {
        store.set_outgoing_copy_state(item.id, "none", None).await?;
        return Ok(());
    };
    let provider = provider_files_sent_mail(account);
    let outcome: Result<Option<(u32, u32)>, String> = async {
        let mut session = sync::open_session(store, account)
            .await
            .map_err(|e| e.to_user_error().message)?;
        let found = if provider {
            let deadline = tokio::time::Instant::now() + PROVIDER_COPY_WAIT;
            loop {
                let found = search_sent(&mut session, &sent.raw_name, &item.message_id).await?;
                if found.is_some() || tokio::time::Instant::now() >= deadline {
                    break found;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        } else {
            // Only an earlier attempt (failed, or cut off by a stop) can have put it there;
            // a HEADER search may read every message in Sent, so a first copy skips it.
            let earlier = if item.attempts > 1 {
                search_sent(&mut session, &sent.raw_name, &item.message_id).await?
            } else {
                None
            };
            match earlier {
                Some(found) => Some(found),
                None => {
                    session
                        .append(&sent.raw_name, Some("(\\Seen)"), None, &item.raw)
                        .await
                        .map_err(|e| e.to_string())?;
                    search_sent(&mut session, &sent.raw_name, &item.message_id).await?
                }
            }
        };
        let _ = session.logout().await;
        Ok(found)
    }
    .await;
    match outcome {
        Ok(Some((uidvalidity, uid))) => {
            let ctx = BatchContext {
                account_id: account.id,
                folder_id: sent.id,
                uidvalidity,
                identity: store.account_identity(account).await?,
                ignore: store.ignore_rules().await?,
                keep: account.keep_policy,
            };
            let fetched = FetchedMessage {
                uid,
                flags: MessageFlags {
                    seen: true,
                    ..MessageFlags::default()
                },
                modseq: None,
                parsed: mime::parse(&item.raw, None),
            };
            store.store_batch(&ctx, &[fetched]).await?;
            let state = if provider { "provider" } else { "done" };
            store.set_outgoing_copy_state(item.id, state, None).await?;
        }
        // The provider has not filed it yet: the next sync of Sent brings it.
        Ok(None) => {
            store
                .set_outgoing_copy_state(item.id, "provider", None)
                .await?;
        }
        Err(e) => {
            let note = format!(
                "Sent, but the copy in {} could not be saved: {e}",
                sent.display_name
            );
            let at = retry_at(item.attempts);
            tracing::info!(outbox = item.id, attempts = item.attempts, "{note}");
            store.fail_sent_copy(item.id, &note, at).await?;
        }
    }
    Ok(())
}

/// Keeps a copy of draft `draft_id` in the account's Drafts folder, replacing the copy
/// saved before. A draft without recipients stays local (a message needs one to be
/// built). Returns whether a copy is on the server now.
pub async fn save_server_draft(
    store: &Store,
    draft_id: i64,
    draft: &Draft,
) -> Result<bool, String> {
    let account = store
        .account(draft.account_id)
        .await
        .map_err(|e| e.to_string())?;
    let Some(folder) = role_folder(store, account.id, FolderRole::Drafts)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(false);
    };
    let built = match compose::build(&account, draft) {
        Ok(built) => built,
        Err(ComposeError::NoRecipients) => return Ok(false),
        Err(e) => return Err(e.to_string()),
    };
    let mut session = sync::open_session(store, &account)
        .await
        .map_err(|e| e.to_user_error().message)?;
    let result = async {
        session
            .append(&folder.raw_name, Some("(\\Draft \\Seen)"), None, &built.raw)
            .await
            .map_err(|e| e.to_string())?;
        let place = search_sent(&mut session, &folder.raw_name, &built.message_id).await?;
        remove_server_draft_with(store, &mut session, draft_id).await?;
        store
            .set_server_draft(
                draft_id,
                place.map(|(validity, uid)| (folder.id, validity, uid)),
            )
            .await
            .map_err(|e| e.to_string())?;
        Ok(place.is_some())
    }
    .await;
    let _ = session.logout().await;
    result
}

/// Removes the server copy of a draft (sent or discarded): `place` is what
/// `Store::server_draft` said, read before the local draft was deleted.
pub async fn remove_server_draft(store: &Store, place: (i64, u32, u32)) -> Result<(), String> {
    let folder = store
        .folder(place.0)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "the Drafts folder is gone".to_owned())?;
    let account = store
        .account(folder.account_id)
        .await
        .map_err(|e| e.to_string())?;
    let mut session = sync::open_session(store, &account)
        .await
        .map_err(|e| e.to_user_error().message)?;
    let result = expunge_draft_copy(&mut session, &folder.raw_name, place).await;
    let _ = session.logout().await;
    result
}

/// Replaces nothing when the draft has no server copy yet.
async fn remove_server_draft_with(
    store: &Store,
    session: &mut ImapSession,
    draft_id: i64,
) -> Result<(), String> {
    let Some(place) = store
        .server_draft(draft_id)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(());
    };
    if let Some(folder) = store.folder(place.0).await.map_err(|e| e.to_string())? {
        expunge_draft_copy(session, &folder.raw_name, place).await?;
    }
    store
        .set_server_draft(draft_id, None)
        .await
        .map_err(|e| e.to_string())
}

async fn expunge_draft_copy(
    session: &mut ImapSession,
    folder: &str,
    (_, validity, uid): (i64, u32, u32),
) -> Result<(), String> {
    use futures::TryStreamExt;
    let mailbox = session.select(folder).await.map_err(|e| e.to_string())?;
    // A different UIDVALIDITY means the old copy's UID names nothing any more.
    if mailbox.uid_validity != Some(validity) {
        return Ok(());
    }
    let _: Vec<_> = session
        .uid_store(uid.to_string(), "+FLAGS.SILENT (\\Deleted)")
        .await
        .map_err(|e| e.to_string())?
        .try_collect()
        .await
        .map_err(|e| e.to_string())?;
    let uidplus = crate::imap::has_uidplus(session)
        .await
        .map_err(|e| e.to_string())?;
    crate::imap::expunge_marked(session, uid, uidplus)
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// What the app hears from the worker after each round.
pub type OutboxListener = Arc<dyn Fn(&[Delivery]) + Send + Sync>;

/// The background sender: delivers what is due, sleeps until the next retry (or until
/// woken by a new message, or a minute at most) and starts over.
pub struct OutboxWorker {
    wake: Arc<Notify>,
    task: JoinHandle<()>,
}

/// The longest the worker sleeps: a queued message waiting for a network that came back
/// goes out within this.
const IDLE_CHECK: Duration = Duration::from_secs(60);

impl OutboxWorker {
    pub fn start(store: Store, listener: OutboxListener) -> OutboxWorker {
        let wake = Arc::new(Notify::new());
        let task = tokio::spawn(worker_loop(store, wake.clone(), listener));
        OutboxWorker { wake, task }
    }

    /// A message was queued or the user asked to retry: deliver now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

impl Drop for OutboxWorker {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn worker_loop(store: Store, wake: Arc<Notify>, listener: OutboxListener) {
    match store.recover_interrupted_outgoing().await {
        Ok(0) => {}
        Ok(n) => tracing::info!("{n} interrupted sends will be checked against Sent"),
        Err(e) => tracing::warn!("outbox recovery failed: {e}"),
    }
    loop {
        match deliver_due(&store).await {
            Ok(results) if !results.is_empty() => listener(&results),
            Ok(_) => {}
            Err(e) => tracing::warn!("outbox round failed: {e}"),
        }
        let now = chrono::Utc::now().timestamp();
        let sleep = match store.next_outgoing_at().await {
            Ok(Some(at)) => {
                Duration::from_secs((at - now).clamp(0, IDLE_CHECK.as_secs() as i64) as u64)
            }
            _ => IDLE_CHECK,
        };
        tokio::select! {
            _ = tokio::time::sleep(sleep.max(Duration::from_millis(200))) => {}
            _ = wake.notified() => {}
        }
    }
}
