//! Guessing a mailbox's servers from its address. This holds the built-in provider
//! presets; a domain without a preset gets the conventional imap./smtp. names.

use serde::Serialize;

use crate::{
    crm::{domain_of, normalize_address},
    net::{Security, ServerSettings},
};

/// Where a suggestion came from, so the UI can say how sure it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Preset,
    Guess,
}

/// A provider Rapport knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderPreset {
    pub name: &'static str,
    pub domains: &'static [&'static str],
    pub imap_host: &'static str,
    pub smtp_host: &'static str,
    /// Where the user turns on IMAP or creates an app password.
    pub help_url: &'static str,
}

pub const PRESETS: &[ProviderPreset] = &[
    ProviderPreset {
        name: "Gmail",
        domains: &["gmail.com", "googlemail.com"],
        imap_host: "imap.gmail.com",
        smtp_host: "smtp.gmail.com",
        help_url: "https://myaccount.google.com/apppasswords",
    },
    ProviderPreset {
        name: "Outlook.com",
        domains: &[
            "outlook.com",
            "hotmail.com",
            "live.com",
            "msn.com",
            "outlook.cz",
            "hotmail.cz",
        ],
        imap_host: "outlook.office365.com",
        smtp_host: "smtp-mail.outlook.com",
        help_url: "https://account.live.com/proofs/AppPassword",
    },
    ProviderPreset {
        name: "Seznam.cz",
        domains: &["seznam.cz", "email.cz", "post.cz", "spoluzaci.cz"],
        imap_host: "imap.seznam.cz",
        smtp_host: "smtp.seznam.cz",
        help_url: "https://napoveda.seznam.cz/cz/email/imap-pop3-smtp/",
    },
    ProviderPreset {
        name: "ukr.net",
        domains: &["ukr.net"],
        imap_host: "imap.ukr.net",
        smtp_host: "smtp.ukr.net",
        help_url: "https://mail.ukr.net/desktop#settings/imap",
    },
    ProviderPreset {
        name: "Yahoo",
        domains: &["yahoo.com", "ymail.com"],
        imap_host: "imap.mail.yahoo.com",
        smtp_host: "smtp.mail.yahoo.com",
        help_url: "https://login.yahoo.com/account/security",
    },
    ProviderPreset {
        name: "iCloud",
        domains: &["icloud.com", "me.com", "mac.com"],
        imap_host: "imap.mail.me.com",
        smtp_host: "smtp.mail.me.com",
        help_url: "https://account.apple.com",
    },
    ProviderPreset {
        name: "Fastmail",
        domains: &["fastmail.com", "fastmail.fm"],
        imap_host: "imap.fastmail.com",
        smtp_host: "smtp.fastmail.com",
        help_url: "https://app.fastmail.com/settings/security/devicekeys",
    },
];

/// The servers to propose for an address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiscoveredSettings {
    pub provider: Option<String>,
    pub source: Source,
    pub imap: ServerSettings,
    pub smtp: ServerSettings,
    pub username: String,
    pub help_url: Option<String>,
}

pub fn preset_for_domain(domain: &str) -> Option<&'static ProviderPreset> {
    PRESETS.iter().find(|p| p.domains.contains(&domain))
}

/// Proposes servers for `address` without touching the network.
pub fn suggest(address: &str) -> Option<DiscoveredSettings> {
    let address = normalize_address(address)?;
    let domain = domain_of(&address).to_owned();
    let settings = match preset_for_domain(&domain) {
        Some(preset) => DiscoveredSettings {
            provider: Some(preset.name.to_owned()),
            source: Source::Preset,
            imap: ServerSettings {
                host: preset.imap_host.into(),
                port: 993,
                security: Security::Tls,
            },
            smtp: ServerSettings {
                host: preset.smtp_host.into(),
                port: 465,
                security: Security::Tls,
            },
            username: address.clone(),
            help_url: Some(preset.help_url.to_owned()),
        },
        None => DiscoveredSettings {
            provider: None,
            source: Source::Guess,
            imap: ServerSettings {
                host: format!("imap.{domain}"),
                port: 993,
                security: Security::Tls,
            },
            smtp: ServerSettings {
                host: format!("smtp.{domain}"),
                port: 465,
                security: Security::Tls,
            },
            username: address.clone(),
            help_url: None,
        },
    };
    Some(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_provider_uses_its_preset() {
        let s = suggest("Jana@Seznam.cz").unwrap();
        assert_eq!(s.source, Source::Preset);
        assert_eq!(s.imap.host, "imap.seznam.cz");
        assert_eq!(s.provider.as_deref(), Some("Seznam.cz"));
    }

    #[test]
    fn unknown_domain_gets_conventional_names() {
        let s = suggest("petr@firma.cz").unwrap();
        assert_eq!(s.source, Source::Guess);
        assert_eq!(s.imap.host, "imap.firma.cz");
        assert_eq!(s.smtp.port, 465);
        assert!(suggest("nonsense").is_none());
    }
}
