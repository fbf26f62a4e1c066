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

fn entry(account_id: i64, kind: SecretKind) -> Result<keyring::Entry, SecretError> {
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
    keyring::Entry::new(SERVICE, &format!("account-{account_id}-{}", kind.suffix()))
        .map_err(map_error)
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
pub fn save(account_id: i64, kind: SecretKind, secret: &str) -> Result<(), SecretError> {
    let entry = entry(account_id, kind)?;
    entry.set_password(secret).map_err(map_error)?;
    match entry.get_password() {
        Ok(read_back) if read_back == secret => Ok(()),
        Ok(_) => Err(SecretError::Refused(
            "the keyring returned a different value than was saved".into(),
        )),
        Err(e) => Err(map_error(e)),
    }
}

pub fn load(account_id: i64, kind: SecretKind) -> Result<String, SecretError> {
    entry(account_id, kind)?.get_password().map_err(map_error)
}

/// Deletes a secret; a secret that is already gone is not an error.
pub fn delete(account_id: i64, kind: SecretKind) -> Result<(), SecretError> {
    match entry(account_id, kind)?.delete_credential() {
        Ok(()) => Ok(()),
        Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(map_error(e)),
    }
}
