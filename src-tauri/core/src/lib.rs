//! Rapport's engine. Everything that is not UI lives here: the local store, IMAP sync,
//! secrets in the OS keyring, MIME parsing and CRM linking. The desktop app and the
//! command line are two thin faces over this crate; it has no dependency on either.

pub mod account;
pub mod actions;
pub mod address_book;
pub mod attachments;
pub mod auth;
pub mod compose;
pub mod conversation;
pub mod crm;
pub mod diagnostics;
pub mod discovery;
pub mod followups;
pub mod imap;
pub mod logging;
pub mod mime;
pub mod net;
pub mod new_mail;
pub mod outbox;
pub mod paths;
pub mod safe_html;
pub mod search;
pub mod secrets;
pub mod settings;
pub mod smtp;
pub mod store;
pub mod sync;
pub mod tls;

pub use account::{AccountService, NewAccount};
pub use store::Store;
