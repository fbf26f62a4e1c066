//! Every command rejects with core's `UserError` {code, message, field}: a stable code,
//! a sentence for people and the form field to fix. Core messages never hold secrets.

use rapport_core::{
    account::{AccountError, UserError},
    address_book::AddressBookError,
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
