//! Compose and send commands: thin calls into `rapport_core::compose` and `outbox`.
//! Files to attach are only those the user picked in the dialog or dropped on the window
//! (`ComposeFiles`), so the web view can never name a file to send away.

use std::{collections::HashSet, path::PathBuf, sync::Mutex};

use rapport_core::{
    compose::{self, mailto, template, Draft, ReplyDraft, ReplyKind},
    outbox::{self, OutboxWorker, Queued},
    store::{DraftRecord, OutboxEntry, TemplateRecord},
};
use serde::Serialize;
use tauri::{AppHandle, State};
use tauri_plugin_dialog::DialogExt;

use crate::{error::CommandError, AppState};

/// The event the window hears after each outbox round (state shown in the outbox view).
pub const OUTBOX_EVENT: &str = "outbox-changed";
/// Files dropped on the window, for an open compose form.
pub const FILES_DROPPED_EVENT: &str = "compose-files-dropped";

/// The background sender and the files the user chose to attach.
pub struct ComposeState {
    pub worker: OutboxWorker,
    pub files: Mutex<HashSet<PathBuf>>,
}

impl ComposeState {
    pub fn allow_files(&self, paths: &[PathBuf]) {
        if let Ok(mut files) = self.files.lock() {
            files.extend(paths.iter().cloned());
        }
    }

    fn allowed(&self, path: &PathBuf) -> bool {
        self.files.lock().map(|f| f.contains(path)).unwrap_or(false)
    }
}

fn not_chosen(path: &std::path::Path) -> CommandError {
    CommandError(rapport_core::account::UserError {
        code: "attachment_not_chosen",
        message: format!(
            "{} was not chosen as an attachment here. Attach it again with the paperclip or by dropping it on the window.",
            path.display()
        ),
        field: Some("attachments"),
    })
}

#[tauri::command]
pub async fn send_message(
    state: State<'_, AppState>,
    compose: State<'_, ComposeState>,
    draft: Draft,
) -> Result<Queued, CommandError> {
    if let Some(path) = draft.attachments.iter().find(|p| !compose.allowed(p)) {
        return Err(not_chosen(path));
    }
    let queued = outbox::queue(&state.store, &draft).await?;
    compose.worker.wake();
    Ok(queued)
}

#[tauri::command]
pub async fn reply_draft(
    state: State<'_, AppState>,
    message_id: i64,
    kind: ReplyKind,
    attribution: String,
) -> Result<ReplyDraft, CommandError> {
    Ok(compose::reply_draft(&state.store, message_id, kind, &attribution).await?)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MailtoForm {
    #[serde(flatten)]
    pub fields: mailto::MailtoDraft,
    pub body_html: String,
}

#[tauri::command]
pub fn parse_mailto(url: String) -> Result<MailtoForm, CommandError> {
    let fields = mailto::parse(&url).map_err(|e| {
        CommandError(rapport_core::account::UserError {
            code: "invalid",
            message: e.to_string(),
            field: None,
        })
    })?;
    let body_html = mailto::text_to_html(&fields.body);
    Ok(MailtoForm { fields, body_html })
}

#[tauri::command]
pub async fn outbox_entries(state: State<'_, AppState>) -> Result<Vec<OutboxEntry>, CommandError> {
    // Sent messages stay listed for a day, so the user sees they went.
    Ok(state.store.outbox_entries(24 * 3600).await?)
}

#[tauri::command]
pub async fn retry_outgoing(
    state: State<'_, AppState>,
    compose: State<'_, ComposeState>,
    id: i64,
) -> Result<(), CommandError> {
    state.store.retry_outgoing_now(id).await?;
    compose.worker.wake();
    Ok(())
}

#[tauri::command]
pub async fn cancel_outgoing(state: State<'_, AppState>, id: i64) -> Result<(), CommandError> {
    Ok(state.store.cancel_outgoing(id).await?)
}

#[tauri::command]
pub async fn default_send_account(state: State<'_, AppState>) -> Result<Option<i64>, CommandError> {
    Ok(state.store.default_send_account().await?)
}

#[tauri::command]
pub async fn set_default_send_account(
    state: State<'_, AppState>,
    account_id: i64,
) -> Result<(), CommandError> {
    Ok(state.store.set_default_send_account(account_id).await?)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AddressSuggestion {
    pub name: String,
    pub address: String,
    pub is_contact: bool,
}

#[tauri::command]
pub async fn address_suggestions(
    state: State<'_, AppState>,
    query: String,
) -> Result<Vec<AddressSuggestion>, CommandError> {
    let rows = state.store.address_suggestions(&query, 8).await?;
    Ok(rows
        .into_iter()
        .map(|(name, address, is_contact)| AddressSuggestion {
            name,
            address,
            is_contact,
        })
        .collect())
}

/// The attachment picker; resolves to the chosen paths (empty when cancelled).
#[tauri::command]
pub async fn pick_attachments(
    app: AppHandle,
    compose: State<'_, ComposeState>,
) -> Result<Vec<String>, CommandError> {
    let (chosen, choice) = tokio::sync::oneshot::channel();
    app.dialog().file().pick_files(move |paths| {
        let _ = chosen.send(paths);
    });
    let paths: Vec<PathBuf> = choice
        .await
        .ok()
        .flatten()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|p| p.into_path().ok())
        .collect();
    compose.allow_files(&paths);
    Ok(paths.iter().map(|p| p.display().to_string()).collect())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FilledTemplate {
    pub subject: String,
    pub html: String,
    pub missing: Vec<String>,
}

#[tauri::command]
pub async fn list_templates(
    state: State<'_, AppState>,
) -> Result<Vec<TemplateRecord>, CommandError> {
    Ok(state.store.templates().await?)
}

/// Saves a template, its HTML sanitised like mail (it is shown in the compose window).
#[tauri::command]
pub async fn save_template(
    state: State<'_, AppState>,
    template: TemplateRecord,
) -> Result<i64, CommandError> {
    let clean = TemplateRecord {
        html: rapport_core::mime::sanitize_html(&template.html),
        ..template
    };
    Ok(state.store.save_template(&clean).await?)
}

#[tauri::command]
pub async fn delete_template(state: State<'_, AppState>, id: i64) -> Result<(), CommandError> {
    Ok(state.store.delete_template(id).await?)
}

/// A template filled for the first recipient; `today` and `now` come formatted in the
/// user's language from the window.
#[tauri::command]
pub async fn fill_template(
    state: State<'_, AppState>,
    template_id: i64,
    account_id: i64,
    recipient: Option<String>,
    today: String,
    now: String,
) -> Result<FilledTemplate, CommandError> {
    let record = state
        .store
        .templates()
        .await?
        .into_iter()
        .find(|t| t.id == template_id)
        .ok_or_else(|| {
            rapport_core::store::StoreError::NotFound(format!("template {template_id}"))
        })?;
    let values =
        template::values_for(&state.store, account_id, recipient.as_deref(), today, now).await?;
    let subject = template::fill(&record.subject, &values, false);
    let html = template::fill(&record.html, &values, true);
    let mut missing = subject.missing;
    missing.extend(
        html.missing
            .into_iter()
            .filter(|m| !missing.contains(m))
            .collect::<Vec<_>>(),
    );
    Ok(FilledTemplate {
        subject: subject.text,
        html: html.text,
        missing,
    })
}

#[tauri::command]
pub async fn save_draft(
    state: State<'_, AppState>,
    id: Option<i64>,
    account_id: Option<i64>,
    subject: String,
    content: String,
) -> Result<i64, CommandError> {
    Ok(state
        .store
        .save_draft(id, account_id, &subject, &content)
        .await?)
}

#[tauri::command]
pub async fn list_drafts(state: State<'_, AppState>) -> Result<Vec<DraftRecord>, CommandError> {
    Ok(state.store.drafts().await?)
}

/// Deletes a draft (sent or discarded); its copy in the server's Drafts folder goes in
/// the background.
#[tauri::command]
pub async fn delete_draft(state: State<'_, AppState>, id: i64) -> Result<(), CommandError> {
    let place = state.store.server_draft(id).await?;
    state.store.delete_draft(id).await?;
    if let Some(place) = place {
        let store = state.store.clone();
        tauri::async_runtime::spawn(async move {
            if let Err(e) = outbox::remove_server_draft(&store, place).await {
                tracing::warn!("the server copy of a draft could not be removed: {e}");
            }
        });
    }
    Ok(())
}

/// Saves the draft locally and keeps a copy in the account's Drafts folder (replacing
/// the previous one). Resolves to the local id and whether the server has a copy; a
/// server that cannot be reached leaves the local draft, with the reason.
#[tauri::command]
pub async fn keep_draft(
    state: State<'_, AppState>,
    id: Option<i64>,
    draft: Draft,
    content: String,
) -> Result<KeptDraft, CommandError> {
    let id = state
        .store
        .save_draft(id, Some(draft.account_id), &draft.subject, &content)
        .await?;
    let (on_server, server_error) = match outbox::save_server_draft(&state.store, id, &draft).await
    {
        Ok(on_server) => (on_server, None),
        Err(e) => (false, Some(e)),
    };
    Ok(KeptDraft {
        id,
        on_server,
        server_error,
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeptDraft {
    pub id: i64,
    pub on_server: bool,
    pub server_error: Option<String>,
}

#[tauri::command]
pub async fn get_signature(
    state: State<'_, AppState>,
    account_id: i64,
) -> Result<rapport_core::store::Signature, CommandError> {
    Ok(state.store.signature(account_id).await?)
}

/// Saves an account's signatures; resolves to them as stored (sanitised).
#[tauri::command]
pub async fn save_signature(
    state: State<'_, AppState>,
    signature: rapport_core::store::Signature,
) -> Result<rapport_core::store::Signature, CommandError> {
    Ok(compose::save_signature(&state.store, &signature).await?)
}

/// The attachments of a message being forwarded, downloaded if needed, as files the
/// compose form may attach.
#[tauri::command]
pub async fn forward_attachments(
    state: State<'_, AppState>,
    compose: State<'_, ComposeState>,
    message_id: i64,
) -> Result<Vec<String>, CommandError> {
    let mut paths = Vec::new();
    for info in rapport_core::attachments::list_for_message(&state.store, message_id).await? {
        if info.is_inline {
            continue;
        }
        paths.push(rapport_core::attachments::open(&state.store, &state.data_dir, info.id).await?);
    }
    compose.allow_files(&paths);
    Ok(paths.iter().map(|p| p.display().to_string()).collect())
}
