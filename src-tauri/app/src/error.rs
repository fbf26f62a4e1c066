//! Every command rejects with core's `UserError` {code, message, field}: a stable code,
//! a sentence for people and the form field to fix. Core messages never hold secrets.

use rapport_core::{
    account::{AccountError, UserError},
    actions::ActionError,
    address_book::AddressBookError,
    attachments::AttachmentError,
    search::SearchError,
    store::StoreError,
    sync::SyncError,
};
use serde::Serialize;

#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct CommandError(pub UserError);

impl From<AccountError> for CommandError {
    fn from(e: AccountError) -> Self {
        CommandError(e.to_user_error())
    }
}

impl From<StoreError> for CommandError {
    fn from(e: StoreError) -> Self {
        AccountError::from(e).into()
    }
}

impl From<AddressBookError> for CommandError {
    fn from(e: AddressBookError) -> Self {
        match e {
            AddressBookError::Store(e) => e.into(),
            other => CommandError(UserError {
                code: "file",
                message: format!("{}.", capitalized(&other.to_string())),
                field: None,
            }),
        }
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

impl From<SyncError> for CommandError {
    fn from(e: SyncError) -> Self {
        CommandError(e.to_user_error())
    }
}

impl From<ActionError> for CommandError {
    fn from(e: ActionError) -> Self {
        match e {
            ActionError::Store(e) => e.into(),
            other => CommandError(other.to_user_error()),
        }
    }
}

impl From<AttachmentError> for CommandError {
    fn from(e: AttachmentError) -> Self {
        match e {
            AttachmentError::Sync(e) => e.into(),
            AttachmentError::Unknown => CommandError(UserError {
                code: "not_found",
                message: "This attachment is no longer in Rapport. Reopen the message and try again.".into(),
                field: None,
            }),
            AttachmentError::GoneFromServer => CommandError(UserError {
                code: "gone",
                message: "This message is no longer on the server, so its attachment cannot be downloaded.".into(),
                field: None,
            }),
            AttachmentError::Io(e) => CommandError(UserError {
                code: "file",
                message: format!("The attachment could not be saved: {e}. Check that the disk has room."),
                field: None,
            }),
        }
    }
}

impl From<SearchError> for CommandError {
    fn from(e: SearchError) -> Self {
        match e {
            SearchError::Store(e) => e.into(),
            other => CommandError(other.to_user_error()),
        }
    }
}

impl CommandError {
    /// The system could not open a downloaded file (no app for its type, say).
    pub fn opening(e: impl std::fmt::Display) -> Self {
        CommandError(UserError {
            code: "open",
            message: format!("Rapport downloaded the file but the system could not open it: {e}."),
            field: None,
        })
    }

    /// The chosen place to save a file is not a path on this computer.
    pub fn saving(e: impl std::fmt::Display) -> Self {
        CommandError(UserError {
            code: "file",
            message: format!(
                "Rapport cannot save to the place chosen ({e}). Choose a folder on this computer."
            ),
            field: None,
        })
    }
}

impl From<rapport_core::compose::ComposeError> for CommandError {
    fn from(e: rapport_core::compose::ComposeError) -> Self {
        match e {
            rapport_core::compose::ComposeError::Store(e) => e.into(),
            other => CommandError(UserError {
                code: other.code(),
                message: other.to_string(),
                field: other.field(),
            }),
        }
    }
}
