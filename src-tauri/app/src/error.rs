//! The one error shape every command rejects with: a stable code, a sentence for people
//! and the form field to fix. Built from core errors, whose messages never hold secrets.

use rapport_core::{account::AccountError, store::StoreError, sync::SyncError};
use serde::Serialize;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CommandError {
    pub code: &'static str,
    pub message: String,
    pub field: Option<&'static str>,
}

impl From<AccountError> for CommandError {
    fn from(e: AccountError) -> Self {
        CommandError {
            code: e.code(),
            field: e.field(),
            message: e.to_string(),
        }
    }
}

impl From<StoreError> for CommandError {
    fn from(e: StoreError) -> Self {
        AccountError::from(e).into()
    }
}

impl From<SyncError> for CommandError {
    fn from(e: SyncError) -> Self {
        let code = match &e {
            SyncError::Imap(_) => "imap",
            SyncError::Secret(_) => "keyring",
            SyncError::Store(_) => "store",
            SyncError::NoUidValidity(_) => "imap",
        };
        CommandError {
            code,
            message: e.to_string(),
            field: None,
        }
    }
}

impl CommandError {
    pub fn busy(message: impl Into<String>) -> Self {
        CommandError {
            code: "busy",
            message: message.into(),
            field: None,
        }
    }
}
