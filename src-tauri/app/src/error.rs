//! Every command rejects with core's `UserError` {code, message, field}: a stable code,
//! a sentence for people and the form field to fix. Core messages never hold secrets.

use rapport_core::{
    account::{AccountError, UserError},
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

impl From<SyncError> for CommandError {
    fn from(e: SyncError) -> Self {
        CommandError(e.to_user_error())
    }
}
