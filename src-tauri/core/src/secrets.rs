//! Secrets (passwords, OAuth tokens) live only in the OS keyring: the macOS Keychain,
//! the Windows Credential Manager, or a Secret Service (GNOME Keyring, KWallet) on Linux.
//! The store is chosen explicitly per OS; if none answers we refuse to save rather than
//! fall back to memory or a file.

use std::sync::Once;

/// Keyring service name under which every Rapport secret is filed.
pub const SERVICE: &str = "rapport";

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("no system keyring is available to keep the password safely ({0}). On Linux, start GNOME Keyring or KWallet (a Secret Service) and unlock it, then try again.")]
    Unavailable(String),
    #[error("the system keyring refused the request: {0}")]
    Refused(String),
    #[error("no saved password was found for this account; enter it again")]
    Missing,
}

/// Which secret of an account an entry holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    Password,
    RefreshToken,
}

impl SecretKind {
    fn suffix(self) -> &'static str {
        match self {
            SecretKind::Password => "password",
            SecretKind::RefreshToken => "refresh-token",
        }
    }
}

fn select_platform_store() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        #[cfg(target_os = "linux")]
        keyring::set_default_credential_builder(
            keyring::secret_service::default_credential_builder(),
        );
        #[cfg(target_os = "macos")]
        keyring::set_default_credential_builder(keyring::macos::default_credential_builder());
        #[cfg(target_os = "windows")]
        keyring::set_default_credential_builder(keyring::windows::default_credential_builder());
    });
}

/// Which secret: the database instance (so two data folders never collide), the
/// account, and the kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretRef {
    pub store_instance: String,
    pub account_id: i64,
    pub kind: SecretKind,
}

impl SecretRef {
    pub fn new(store: &crate::Store, account_id: i64, kind: SecretKind) -> SecretRef {
        SecretRef {
            store_instance: store.instance_id().to_owned(),
            account_id,
            kind,
        }
    }

    fn user(&self) -> String {
        format!(
            "{}/account-{}/{}",
            self.store_instance,
            self.account_id,
            self.kind.suffix()
        )
    }
}

fn entry(secret: &SecretRef) -> Result<keyring::Entry, SecretError> {
    if !cfg!(any(
        target_os = "linux",
        target_os = "macos",
        target_os = "windows"
    )) {
        return Err(SecretError::Unavailable(
            "this operating system has no supported keyring".into(),
        ));
    }
    select_platform_store();
    keyring::Entry::new(SERVICE, &secret.user()).map_err(map_error)
}

fn map_error(e: keyring::Error) -> SecretError {
    match e {
        keyring::Error::NoEntry => SecretError::Missing,
        keyring::Error::NoStorageAccess(inner) | keyring::Error::PlatformFailure(inner) => {
            SecretError::Unavailable(inner.to_string())
        }
        other => SecretError::Refused(other.to_string()),
    }
}

/// Saves a secret and reads it back, so a store that silently drops writes is caught
/// before the account is created.
pub fn save(which: &SecretRef, secret: &str) -> Result<(), SecretError> {
    crate::logging::redact_secret(secret);
    let entry = entry(which)?;
    entry.set_password(secret).map_err(map_error)?;
    match entry.get_password() {
        Ok(read_back) if read_back == secret => Ok(()),
        Ok(_) => Err(SecretError::Refused(
            "the keyring returned a different value than was saved".into(),
        )),
        Err(e) => Err(map_error(e)),
    }
}

pub fn load(which: &SecretRef) -> Result<String, SecretError> {
    let secret = entry(which)?.get_password().map_err(map_error)?;
    crate::logging::redact_secret(&secret);
    Ok(secret)
}

/// Deletes a secret; a secret that is already gone is not an error.
pub fn delete(which: &SecretRef) -> Result<(), SecretError> {
    match entry(which)?.delete_credential() {
        Ok(()) => Ok(()),
        Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(map_error(e)),
    }
}

/// The keyring APIs block (D-Bus round trips); these run them off the async runtime.
pub async fn save_async(which: SecretRef, secret: String) -> Result<(), SecretError> {
    tokio::task::spawn_blocking(move || save(&which, &secret))
        .await
        .map_err(|e| SecretError::Refused(e.to_string()))?
}

pub async fn load_async(which: SecretRef) -> Result<String, SecretError> {
    tokio::task::spawn_blocking(move || load(&which))
        .await
        .map_err(|e| SecretError::Refused(e.to_string()))?
}

pub async fn delete_async(which: SecretRef) -> Result<(), SecretError> {
    tokio::task::spawn_blocking(move || delete(&which))
        .await
        .map_err(|e| SecretError::Refused(e.to_string()))?
}
