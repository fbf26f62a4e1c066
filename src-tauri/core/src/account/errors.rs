//! The one place where failures become sentences for people: what went wrong, what to
//! do, and which form field to fix. Messages never contain a secret.

use serde::Serialize;

use crate::{
    auth::{AuthError, LoginError},
    imap::ImapError,
    net::ConnectError,
    secrets::SecretError,
    smtp::SmtpError,
    store::StoreError,
    tls::CertificateInfo,
};

/// Why adding, checking or using an account failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("{0} is already added to Rapport.")]
    Duplicate(String),
    #[error("{}", wrong_password_sentence(.protocol, .provider_help.as_deref()))]
    WrongPassword {
        protocol: Protocol,
        provider_help: Option<String>,
    },
    #[error("{}", imap_sentence(.0))]
    Imap(ImapError),
    #[error("{}", smtp_sentence(.0))]
    Smtp(SmtpError),
    #[error("{0}")]
    Secret(#[from] SecretError),
    #[error("That {0} no longer exists; the list may be out of date.")]
    NotFound(String),
    #[error("Rapport's database failed: {0}")]
    Store(StoreError),
    #[error("{}", auth_sentence(.0))]
    Auth(AuthError),
}

impl From<AuthError> for AccountError {
    fn from(e: AuthError) -> Self {
        AccountError::Auth(e)
    }
}

impl From<LoginError> for AccountError {
    fn from(e: LoginError) -> Self {
        match e {
            LoginError::Imap(e) => e.into(),
            LoginError::Smtp(e) => e.into(),
            LoginError::Auth(e) => e.into(),
            LoginError::Secret(e) => e.into(),
        }
    }
}

impl From<crate::auth::TokenError> for AccountError {
    fn from(e: crate::auth::TokenError) -> Self {
        match e {
            crate::auth::TokenError::Auth(e) => e.into(),
            crate::auth::TokenError::Secret(e) => e.into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Imap,
    Smtp,
}

/// What the UI and the CLI show for a failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserError {
    /// Stable, for code to switch on: invalid, duplicate, auth_failed,
    /// certificate_not_trusted, host_not_found, refused, timeout, tls, starttls,
    /// plaintext_refused, imap, smtp, keyring, store, sign_in_again, oauth_* (see
    /// `AuthError::code`).
    pub code: &'static str,
    pub message: String,
    /// The form field to fix, if one is to blame.
    pub field: Option<&'static str>,
}

impl From<StoreError> for AccountError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::DuplicateAccount(email) => AccountError::Duplicate(email),
            StoreError::Invalid { field, message } => AccountError::Invalid { field, message },
            StoreError::NotFound(what) => AccountError::NotFound(what),
            other => AccountError::Store(other),
        }
    }
}

impl From<ImapError> for AccountError {
    fn from(e: ImapError) -> Self {
        match e {
            ImapError::AuthenticationFailed { .. } => AccountError::WrongPassword {
                protocol: Protocol::Imap,
                provider_help: None,
            },
            other => AccountError::Imap(other),
        }
    }
}

impl From<SmtpError> for AccountError {
    fn from(e: SmtpError) -> Self {
        match e {
            SmtpError::AuthenticationFailed { .. } => AccountError::WrongPassword {
                protocol: Protocol::Smtp,
                provider_help: None,
            },
            other => AccountError::Smtp(other),
        }
    }
}

fn connect_error(e: &AccountError) -> Option<(&ConnectError, Protocol)> {
    match e {
        AccountError::Imap(ImapError::Connect(c)) => Some((c, Protocol::Imap)),
        AccountError::Smtp(SmtpError::Connect(c)) => Some((c, Protocol::Smtp)),
        _ => None,
    }
}

impl AccountError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> AccountError {
        AccountError::Invalid {
            field,
            message: message.into(),
        }
    }

    /// Adds the provider's own steps (app password, enabling IMAP) to a wrong-password error.
    pub fn with_provider_help(self, help: Option<String>) -> AccountError {
        match self {
            AccountError::WrongPassword { protocol, .. } => AccountError::WrongPassword {
                protocol,
                provider_help: help,
            },
            other => other,
        }
    }

    /// The certificate the user may choose to trust, when that is the problem.
    pub fn untrusted_certificate(&self) -> Option<&CertificateInfo> {
        match connect_error(self) {
            Some((ConnectError::CertificateNotTrusted { certificate, .. }, _)) => Some(certificate),
            _ => None,
        }
    }

    pub fn code(&self) -> &'static str {
        if let Some((connect, _)) = connect_error(self) {
            return match connect {
                ConnectError::HostNotFound { .. } => "host_not_found",
                ConnectError::Refused { .. } => "refused",
                ConnectError::Timeout { .. } => "timeout",
                ConnectError::Network { .. } => "network",
                ConnectError::TlsHandshake { .. } => "tls",
                ConnectError::CertificateNotTrusted { .. } => "certificate_not_trusted",
                ConnectError::StartTlsNotOffered { .. } => "starttls",
            };
        }
        match self {
            AccountError::Invalid { field, .. } if field.ends_with("Security") => {
                "plaintext_refused"
            }
            AccountError::Invalid { .. } => "invalid",
            AccountError::Duplicate(_) => "duplicate",
            AccountError::WrongPassword { .. } => "auth_failed",
            AccountError::Imap(ImapError::PlainLoginRefused) => "plaintext_refused",
            AccountError::Imap(_) => "imap",
            AccountError::Smtp(_) => "smtp",
            AccountError::Secret(_) => "keyring",
            AccountError::NotFound(_) => "not_found",
            AccountError::Store(_) => "store",
            AccountError::Auth(e) => e.code(),
        }
    }

    pub fn field(&self) -> Option<&'static str> {
        if let Some((connect, protocol)) = connect_error(self) {
            let (host, port, security) = match protocol {
                Protocol::Imap => ("imapHost", "imapPort", "imapSecurity"),
                Protocol::Smtp => ("smtpHost", "smtpPort", "smtpSecurity"),
            };
            return match connect {
                ConnectError::HostNotFound { .. } => Some(host),
                ConnectError::Refused { .. } | ConnectError::Timeout { .. } => Some(port),
                ConnectError::TlsHandshake { .. } | ConnectError::StartTlsNotOffered { .. } => {
                    Some(security)
                }
                ConnectError::Network { .. } | ConnectError::CertificateNotTrusted { .. } => None,
            };
        }
        match self {
            AccountError::Invalid { field, .. } => Some(field),
            AccountError::Duplicate(_) => Some("email"),
            AccountError::WrongPassword { .. } => Some("password"),
            AccountError::Imap(ImapError::PlainLoginRefused) => Some("imapSecurity"),
            AccountError::Imap(ImapError::TokenLoginUnsupported) => Some("imapHost"),
            AccountError::Imap(ImapError::NoGreeting) => Some("imapPort"),
            _ => None,
        }
    }

    pub fn to_user_error(&self) -> UserError {
        UserError {
            code: self.code(),
            message: self.to_string(),
            field: self.field(),
        }
    }
}

fn wrong_password_sentence(protocol: &Protocol, provider_help: Option<&str>) -> String {
    let which = match protocol {
        Protocol::Imap => "The mail server",
        Protocol::Smtp => "The outgoing (SMTP) server",
    };
    let advice = provider_help.unwrap_or(
        "If your provider uses two-step verification, create an app password in its security settings and use that instead, and make sure IMAP access is turned on.",
    );
    format!("{which} did not accept the user name or password. Check both. {advice}")
}

fn connect_sentence(e: &ConnectError, role: &str, usual_ports: &str) -> String {
    match e {
        ConnectError::HostNotFound { host } => format!("The server {host} could not be found. Check the {role} server name for typos, and that you are online."),
        ConnectError::Refused { host, port } => format!("{host} refused a connection on port {port}. Check the {role} port: {usual_ports}."),
        ConnectError::Timeout { host, port } => format!("{host} did not answer on port {port} in time. Check the {role} server name and port, or whether a firewall blocks it."),
        ConnectError::Network { host, detail, .. } => format!("Could not reach {host}: {detail}. Check your connection and try again."),
        ConnectError::TlsHandshake { host, detail } => format!("A secure connection to {host} could not be set up ({detail}). Check that the {role} port matches the security setting: {usual_ports}."),
        ConnectError::CertificateNotTrusted { host, detail, certificate } => format!("The certificate of {host} is not trusted: {detail}. Only trust it if you know this server: its SHA-256 fingerprint is {}.", certificate.sha256),
        ConnectError::StartTlsNotOffered { host } => format!("{host} does not offer STARTTLS on this port. Choose SSL/TLS for the {role} server instead ({usual_ports})."),
    }
}

fn imap_sentence(e: &ImapError) -> String {
    match e {
        ImapError::Connect(c) => connect_sentence(c, "incoming (IMAP)", "usually 993 with SSL/TLS or 143 with STARTTLS"),
        ImapError::AuthenticationFailed { .. } => wrong_password_sentence(&Protocol::Imap, None),
        ImapError::PlainLoginRefused => "The server refuses passwords over an unencrypted connection. Choose SSL/TLS or STARTTLS for the incoming server.".into(),
        ImapError::TokenLoginUnsupported => "This incoming server does not accept a sign-in with Google or Microsoft (it offers neither XOAUTH2 nor OAUTHBEARER). Check the incoming server name, or use a password instead.".into(),
        ImapError::Trust(detail) => format!("The trusted certificate settings are not valid: {detail}."),
        ImapError::NoGreeting => "The server did not answer like an IMAP server. Check the incoming server port.".into(),
        ImapError::Protocol(detail) => format!("The mail server answered in a way Rapport did not expect ({detail}). Try again; if it keeps happening, report it."),
    }
}

fn smtp_sentence(e: &SmtpError) -> String {
    match e {
        SmtpError::Connect(c) => connect_sentence(c, "outgoing (SMTP)", "usually 465 with SSL/TLS or 587 with STARTTLS"),
        SmtpError::AuthenticationFailed { .. } => wrong_password_sentence(&Protocol::Smtp, None),
        SmtpError::NoAuthMechanism => "The outgoing server offers no login method Rapport can use. Check the SMTP port and security (465 with SSL/TLS or 587 with STARTTLS).".into(),
        SmtpError::Trust(detail) => format!("The trusted certificate settings are not valid: {detail}."),
        SmtpError::Protocol(detail) => format!("The outgoing server answered in a way Rapport did not expect ({detail}). Check the SMTP port and security, then try again."),
        SmtpError::Refused { server_says } => format!("The outgoing server refused this message ({server_says}). Check the recipients and the attachments' size, then send it again."),
    }
}

fn auth_sentence(e: &AuthError) -> String {
    match e {
        AuthError::NotConfigured { provider, detail } => format!("Sign-in with {provider} is not set up in this copy of Rapport ({detail}). See \"Sign in with Google or Microsoft\" in the README, or use a password or app password instead."),
        AuthError::Cancelled => "The sign-in was cancelled. Start it again when you are ready.".into(),
        AuthError::TimedOut => "The sign-in in the browser was not finished within 5 minutes. Start it again and complete it in the browser window that opens.".into(),
        AuthError::Denied { detail } if detail.is_empty() => "Access was not granted in the browser, so Rapport cannot read this mailbox. Start the sign-in again and allow access.".into(),
        AuthError::Denied { detail } => format!("Access was not granted in the browser ({detail}). Start the sign-in again and allow access."),
        AuthError::StateMismatch => "The browser sent back an answer that does not belong to this sign-in, so it was ignored for your safety. Start the sign-in again.".into(),
        AuthError::Browser(detail) => format!("Rapport could not open your web browser ({detail}). Check that a default browser is set, then try again."),
        AuthError::Loopback(detail) => format!("Rapport could not receive the browser's answer on this computer ({detail}). Check that no security software blocks local connections, then try again."),
        AuthError::Network { provider, .. } => format!("{provider} could not be reached to renew the sign-in. Check your connection; Rapport tries again by itself."),
        AuthError::Rejected { provider, detail } => format!("{provider} refused Rapport's request ({detail}). Try signing in again; if it keeps happening, the client id in Rapport's OAuth settings may be wrong."),
        AuthError::NoRefreshToken { provider } => format!("{provider} signed you in but did not allow Rapport to stay signed in. Sign in again and accept all the permissions Rapport asks for."),
        AuthError::SignInAgain { provider } => format!("{provider} no longer accepts Rapport's sign-in for this mailbox (it was revoked, expired or your password changed). Click \"Sign in again\" to renew it."),
        AuthError::TokenRefused { provider, .. } => format!("The mail server did not accept the {provider} sign-in. Check that you signed in with this mailbox's account and that IMAP is enabled for it, then click \"Sign in again\"."),
        AuthError::GrantExpired => "The sign-in is too old to use. Sign in with your provider again.".into(),
        AuthError::WrongProvider { expected, got } => format!("This mailbox signs in with {expected}, not with {got}."),
    }
}
