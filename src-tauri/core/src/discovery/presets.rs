//! Built-in settings of the providers most of our users are on. Values follow each
//! provider's own help pages and the Thunderbird ISPDB.

use crate::net::{Security, ServerSettings};

use super::OAuthProvider;

/// How a provider wants the login name written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsernameForm {
    /// `jana@example.com`
    Address,
    /// `jana`
    LocalPart,
}

impl UsernameForm {
    pub fn apply(self, address: &str) -> String {
        match self {
            UsernameForm::Address => address.to_owned(),
            UsernameForm::LocalPart => address
                .rsplit_once('@')
                .map(|(local, _)| local.to_owned())
                .unwrap_or_else(|| address.to_owned()),
        }
    }
}

/// One server of a preset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerPreset {
    pub host: &'static str,
    pub port: u16,
    pub security: Security,
}

impl ServerPreset {
    pub fn settings(&self) -> ServerSettings {
        ServerSettings {
            host: self.host.to_owned(),
            port: self.port,
            security: self.security,
        }
    }
}

/// A provider Rapport knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderPreset {
    pub name: &'static str,
    /// Address domains served by this provider; subdomains match too (`x.onmicrosoft.com`).
    pub domains: &'static [&'static str],
    /// MX hosts under these names mean a custom domain is hosted here.
    pub mx_suffixes: &'static [&'static str],
    pub imap: ServerPreset,
    pub smtp: ServerPreset,
    pub username: UsernameForm,
    pub oauth: Option<OAuthProvider>,
    /// Where the user creates an app password.
    pub app_password_url: Option<&'static str>,
    /// Where the user turns on IMAP access.
    pub enable_imap_url: Option<&'static str>,
    /// What the user has to turn on or create before a mail app may sign in.
    pub help: &'static str,
}

const fn tls(host: &'static str, port: u16) -> ServerPreset {
    ServerPreset {
        host,
        port,
        security: Security::Tls,
    }
}

const fn starttls(host: &'static str, port: u16) -> ServerPreset {
    ServerPreset {
        host,
        port,
        security: Security::Starttls,
    }
}

const GMAIL_HELP: &str = "Gmail needs an app password for Rapport when 2-Step Verification \
    is on: open Google's App passwords page, create one, paste it here. Or use Sign in with \
    Google. IMAP is always on for Gmail.";
const WORKSPACE_HELP: &str = "Sign in with Google is the easiest. With a password, Google \
    Workspace needs an app password when 2-Step Verification is on (Google's App passwords \
    page), and your administrator must allow IMAP in the Admin console (Apps > Google \
    Workspace > Gmail > End User Access).";
const M365_HELP: &str = "Use Sign in with Microsoft: Microsoft 365 does not accept passwords \
    from mail apps. If signing in works but the server still refuses, your administrator \
    must turn on IMAP and authenticated SMTP for your mailbox.";
const OUTLOOK_HELP: &str = "Use Sign in with Microsoft: Outlook.com is phasing out passwords \
    for mail apps. With a password and two-step verification on, create an app password on \
    your Microsoft account's security page. IMAP must be on in Outlook.com: Settings > Mail \
    > Forwarding and IMAP.";
const YAHOO_HELP: &str = "Yahoo Mail needs an app password for Rapport: open Yahoo's Account \
    security page, choose Generate app password, and paste it here. Your normal Yahoo \
    password does not work in mail apps.";
const ICLOUD_HELP: &str = "iCloud Mail needs an app-specific password: sign in at \
    account.apple.com, open Sign-In and Security > App-Specific Passwords, create one and \
    paste it here. Two-factor authentication must be on for your Apple Account.";
const FASTMAIL_HELP: &str = "Fastmail needs an app password for Rapport: in Fastmail open \
    Settings > Privacy & Security > App passwords, create one with IMAP and SMTP access, \
    and paste it here.";
const GMX_HELP: &str = "GMX lets mail apps in only after you allow it once: in GMX webmail \
    open Settings > POP3 & IMAP and turn on access via POP3 and IMAP. With two-factor \
    authentication on, create an application-specific password and paste it here.";
const SEZNAM_HELP: &str = "Seznam lets mail apps in only when access over IMAP, POP3 and \
    SMTP is allowed in Seznam Email settings. With two-step verification on, create an app \
    password in your Seznam account settings and paste it here.";
const CENTRUM_HELP: &str = "Centrum Mail lets mail apps in only after you turn on IMAP/POP3 \
    access in the mail settings. Sign in with your full address and mail password.";
const WP_HELP: &str = "WP Poczta lets mail apps in only after you allow it: in WP Poczta \
    settings turn on access for mail programs (IMAP, POP3 and SMTP), then sign in with your \
    full address and password.";
const O2_HELP: &str = "o2 Poczta lets mail apps in only after you activate access for mail \
    programs in the o2 Poczta settings. Sign in with your login (the part before the @) and \
    password.";
const ONET_HELP: &str = "Onet Poczta lets mail apps in only after you turn on IMAP, POP3 and \
    SMTP access in the Onet Poczta settings. Sign in with your full address and password.";
const INTERIA_HELP: &str = "Interia Poczta lets mail apps in only after you turn on access \
    for mail programs (IMAP, POP3 and SMTP) in the Interia Poczta settings. Sign in with \
    your full address and password.";
const UKRNET_HELP: &str = "ukr.net lets mail apps in only with IMAP access on and a separate \
    password for mail programs: in ukr.net Mail open Settings > Mail programs, turn access \
    on, create the password there and paste it here.";
const IUA_HELP: &str = "I.UA lets mail apps in only after you turn on IMAP, POP3 and SMTP \
    access in the mailbox settings. Sign in with your full address and password.";
const METAUA_HELP: &str = "META.ua lets mail apps in only after you turn on IMAP and SMTP \
    access in the mailbox settings. Sign in with your full address and password.";
const ZOHO_HELP: &str = "Zoho Mail lets mail apps in only after IMAP access is on: Settings \
    > Mail Accounts > IMAP Access. With two-factor authentication on, create an \
    app-specific password in Zoho Accounts > Security > App Passwords and paste it here.";

const OUTLOOK_DOMAINS: &[&str] = &[
    "outlook.com",
    "hotmail.com",
    "live.com",
    "msn.com",
    "windowslive.com",
    "outlook.cz",
    "outlook.sk",
    "outlook.de",
    "outlook.at",
    "outlook.fr",
    "outlook.it",
    "outlook.es",
    "hotmail.cz",
    "hotmail.sk",
    "hotmail.de",
    "hotmail.fr",
    "hotmail.it",
    "hotmail.es",
    "hotmail.co.uk",
    "live.co.uk",
    "live.de",
    "live.at",
    "live.fr",
    "live.it",
    "live.nl",
    "live.ru",
];

/// Order matters where two presets share a server: a custom domain whose settings point
/// at `outlook.office365.com` or `imap.gmail.com` is more likely Microsoft 365 or Google
/// Workspace than a personal account, so those come first.
pub const PRESETS: &[ProviderPreset] = &[
    ProviderPreset {
        name: "Google Workspace",
        domains: &[],
        mx_suffixes: &["google.com", "googlemail.com"],
        imap: tls("imap.gmail.com", 993),
        smtp: tls("smtp.gmail.com", 465),
        username: UsernameForm::Address,
        oauth: Some(OAuthProvider::Google),
        app_password_url: Some("https://myaccount.google.com/apppasswords"),
        enable_imap_url: None,
        help: WORKSPACE_HELP,
    },
    ProviderPreset {
        name: "Gmail",
        domains: &["gmail.com", "googlemail.com"],
        mx_suffixes: &[],
        imap: tls("imap.gmail.com", 993),
        smtp: tls("smtp.gmail.com", 465),
        username: UsernameForm::Address,
        oauth: Some(OAuthProvider::Google),
        app_password_url: Some("https://myaccount.google.com/apppasswords"),
        enable_imap_url: None,
        help: GMAIL_HELP,
    },
    ProviderPreset {
        name: "Microsoft 365",
        domains: &["onmicrosoft.com"],
        mx_suffixes: &["mail.protection.outlook.com"],
        imap: tls("outlook.office365.com", 993),
        smtp: starttls("smtp.office365.com", 587),
        username: UsernameForm::Address,
        oauth: Some(OAuthProvider::Microsoft),
        app_password_url: None,
        enable_imap_url: None,
        help: M365_HELP,
    },
    ProviderPreset {
        name: "Outlook.com",
        domains: OUTLOOK_DOMAINS,
        mx_suffixes: &["olc.protection.outlook.com"],
        imap: tls("outlook.office365.com", 993),
        smtp: starttls("smtp-mail.outlook.com", 587),
        username: UsernameForm::Address,
        oauth: Some(OAuthProvider::Microsoft),
        app_password_url: Some("https://account.live.com/proofs/AppPassword"),
        enable_imap_url: Some("https://outlook.live.com/mail/0/options/mail/forwarding"),
        help: OUTLOOK_HELP,
    },
    ProviderPreset {
        name: "Yahoo",
        domains: &[
            "yahoo.com",
            "ymail.com",
            "rocketmail.com",
            "myyahoo.com",
            "yahoo.co.uk",
            "yahoo.de",
            "yahoo.fr",
            "yahoo.it",
            "yahoo.es",
        ],
        mx_suffixes: &["yahoodns.net"],
        imap: tls("imap.mail.yahoo.com", 993),
        smtp: tls("smtp.mail.yahoo.com", 465),
        username: UsernameForm::Address,
        oauth: None,
        app_password_url: Some("https://login.yahoo.com/account/security"),
        enable_imap_url: None,
        help: YAHOO_HELP,
    },
    ProviderPreset {
        name: "iCloud",
        domains: &["icloud.com", "me.com", "mac.com"],
        mx_suffixes: &["mail.icloud.com"],
        imap: tls("imap.mail.me.com", 993),
        // Apple documents only 587 with STARTTLS for iCloud SMTP.
        smtp: starttls("smtp.mail.me.com", 587),
        username: UsernameForm::Address,
        oauth: None,
        app_password_url: Some("https://account.apple.com/account/manage"),
        enable_imap_url: None,
        help: ICLOUD_HELP,
    },
    ProviderPreset {
        name: "Fastmail",
        domains: &["fastmail.com", "fastmail.fm", "messagingengine.com"],
        mx_suffixes: &["messagingengine.com"],
        imap: tls("imap.fastmail.com", 993),
        smtp: tls("smtp.fastmail.com", 465),
        username: UsernameForm::Address,
        oauth: None,
        app_password_url: Some("https://app.fastmail.com/settings/security/devicekeys"),
        enable_imap_url: None,
        help: FASTMAIL_HELP,
    },
    ProviderPreset {
        name: "GMX",
        domains: &[
            "gmx.net", "gmx.de", "gmx.at", "gmx.ch", "gmx.eu", "gmx.biz", "gmx.org", "gmx.info",
        ],
        mx_suffixes: &["gmx.net"],
        imap: tls("imap.gmx.net", 993),
        smtp: tls("mail.gmx.net", 465),
        username: UsernameForm::Address,
        oauth: None,
        app_password_url: None,
        enable_imap_url: Some("https://hilfe.gmx.net/pop-imap/einschalten.html"),
        help: GMX_HELP,
    },
    ProviderPreset {
        // gmx.com is the same company with different access servers.
        name: "GMX",
        domains: &["gmx.com", "gmx.us", "gmx.co.uk"],
        mx_suffixes: &["gmx.com"],
        imap: tls("imap.gmx.com", 993),
        smtp: tls("mail.gmx.com", 465),
        username: UsernameForm::Address,
        oauth: None,
        app_password_url: None,
        enable_imap_url: None,
        help: GMX_HELP,
    },
    ProviderPreset {
        name: "Seznam.cz",
        domains: &["seznam.cz", "post.cz", "spoluzaci.cz"],
        mx_suffixes: &["seznam.cz"],
        imap: tls("imap.seznam.cz", 993),
        smtp: tls("smtp.seznam.cz", 465),
        username: UsernameForm::Address,
        oauth: None,
        app_password_url: None,
        enable_imap_url: Some("https://napoveda.seznam.cz/cz/email/imap-pop3-smtp/"),
        help: SEZNAM_HELP,
    },
    ProviderPreset {
        // Email.cz belongs to Seznam and uses its servers.
        name: "Email.cz",
        domains: &["email.cz"],
        mx_suffixes: &[],
        imap: tls("imap.seznam.cz", 993),
        smtp: tls("smtp.seznam.cz", 465),
        username: UsernameForm::Address,
        oauth: None,
        app_password_url: None,
        enable_imap_url: Some("https://napoveda.seznam.cz/cz/email/imap-pop3-smtp/"),
        help: SEZNAM_HELP,
    },
    ProviderPreset {
        name: "Centrum.cz",
        domains: &["centrum.cz"],
        mx_suffixes: &[],
        imap: tls("imap.centrum.cz", 993),
        smtp: tls("smtp.centrum.cz", 465),
        username: UsernameForm::Address,
        oauth: None,
        app_password_url: None,
        enable_imap_url: None,
        help: CENTRUM_HELP,
    },
    ProviderPreset {
        name: "WP.pl",
        domains: &["wp.pl"],
        mx_suffixes: &[],
        imap: tls("imap.wp.pl", 993),
        smtp: tls("smtp.wp.pl", 465),
        username: UsernameForm::Address,
        oauth: None,
        app_password_url: None,
        enable_imap_url: None,
        help: WP_HELP,
    },
    ProviderPreset {
        name: "o2.pl",
        domains: &["o2.pl", "go2.pl", "tlen.pl", "prokonto.pl"],
        mx_suffixes: &[],
        imap: tls("poczta.o2.pl", 993),
        smtp: tls("poczta.o2.pl", 465),
        username: UsernameForm::LocalPart,
        oauth: None,
        app_password_url: None,
        enable_imap_url: Some("https://pomoc.o2.pl/aktywacja-dostepu-dla-programow-pocztowych"),
        help: O2_HELP,
    },
    ProviderPreset {
        name: "Onet",
        domains: &[
            "onet.pl",
            "op.pl",
            "poczta.onet.pl",
            "onet.eu",
            "vp.pl",
            "spoko.pl",
            "autograf.pl",
            "buziaczek.pl",
        ],
        mx_suffixes: &[],
        imap: tls("imap.poczta.onet.pl", 993),
        smtp: tls("smtp.poczta.onet.pl", 465),
        username: UsernameForm::Address,
        oauth: None,
        app_password_url: None,
        enable_imap_url: None,
        help: ONET_HELP,
    },
    ProviderPreset {
        name: "Interia",
        domains: &[
            "interia.pl",
            "interia.eu",
            "interia.com",
            "poczta.fm",
            "intmail.pl",
            "adresik.net",
        ],
        mx_suffixes: &[],
        imap: tls("poczta.interia.pl", 993),
        smtp: tls("poczta.interia.pl", 465),
        username: UsernameForm::Address,
        oauth: None,
        app_password_url: None,
        enable_imap_url: None,
        help: INTERIA_HELP,
    },
    ProviderPreset {
        name: "ukr.net",
        domains: &["ukr.net"],
        mx_suffixes: &[],
        imap: tls("imap.ukr.net", 993),
        smtp: tls("smtp.ukr.net", 465),
        username: UsernameForm::Address,
        oauth: None,
        app_password_url: Some("https://mail.ukr.net/desktop#settings/imap"),
        enable_imap_url: Some("https://mail.ukr.net/desktop#settings/imap"),
        help: UKRNET_HELP,
    },
    ProviderPreset {
        name: "I.UA",
        domains: &["i.ua", "email.ua", "ua.fm"],
        mx_suffixes: &[],
        imap: tls("imap.i.ua", 993),
        smtp: tls("smtp.i.ua", 465),
        username: UsernameForm::Address,
        oauth: None,
        app_password_url: None,
        enable_imap_url: None,
        help: IUA_HELP,
    },
    ProviderPreset {
        name: "META.ua",
        domains: &["meta.ua"],
        mx_suffixes: &[],
        imap: tls("imap.meta.ua", 993),
        smtp: tls("smtp.meta.ua", 465),
        username: UsernameForm::Address,
        oauth: None,
        app_password_url: None,
        enable_imap_url: None,
        help: METAUA_HELP,
    },
    // Zoho serves personal and organisation mailboxes from different hosts and keeps
    // each region (US, EU, India) on its own servers.
    ProviderPreset {
        name: "Zoho Mail",
        domains: &[],
        mx_suffixes: &["zoho.com"],
        imap: tls("imappro.zoho.com", 993),
        smtp: tls("smtppro.zoho.com", 465),
        username: UsernameForm::Address,
        oauth: None,
        app_password_url: Some("https://accounts.zoho.com/home#security/app_password"),
        enable_imap_url: Some("https://mail.zoho.com/zm/#settings/all/mailaccounts"),
        help: ZOHO_HELP,
    },
    ProviderPreset {
        name: "Zoho Mail",
        domains: &[],
        mx_suffixes: &["zoho.eu"],
        imap: tls("imappro.zoho.eu", 993),
        smtp: tls("smtppro.zoho.eu", 465),
        username: UsernameForm::Address,
        oauth: None,
        app_password_url: Some("https://accounts.zoho.eu/home#security/app_password"),
        enable_imap_url: Some("https://mail.zoho.eu/zm/#settings/all/mailaccounts"),
        help: ZOHO_HELP,
    },
    ProviderPreset {
        name: "Zoho Mail",
        domains: &[],
        mx_suffixes: &["zoho.in"],
        imap: tls("imappro.zoho.in", 993),
        smtp: tls("smtppro.zoho.in", 465),
        username: UsernameForm::Address,
        oauth: None,
        app_password_url: Some("https://accounts.zoho.in/home#security/app_password"),
        enable_imap_url: Some("https://mail.zoho.in/zm/#settings/all/mailaccounts"),
        help: ZOHO_HELP,
    },
    ProviderPreset {
        name: "Zoho Mail",
        domains: &["zoho.com", "zohomail.com"],
        mx_suffixes: &[],
        imap: tls("imap.zoho.com", 993),
        smtp: tls("smtp.zoho.com", 465),
        username: UsernameForm::Address,
        oauth: None,
        app_password_url: Some("https://accounts.zoho.com/home#security/app_password"),
        enable_imap_url: Some("https://mail.zoho.com/zm/#settings/all/mailaccounts"),
        help: ZOHO_HELP,
    },
    ProviderPreset {
        name: "Zoho Mail",
        domains: &["zoho.eu", "zohomail.eu"],
        mx_suffixes: &[],
        imap: tls("imap.zoho.eu", 993),
        smtp: tls("smtp.zoho.eu", 465),
        username: UsernameForm::Address,
        oauth: None,
        app_password_url: Some("https://accounts.zoho.eu/home#security/app_password"),
        enable_imap_url: Some("https://mail.zoho.eu/zm/#settings/all/mailaccounts"),
        help: ZOHO_HELP,
    },
    ProviderPreset {
        name: "Zoho Mail",
        domains: &["zoho.in", "zohomail.in"],
        mx_suffixes: &[],
        imap: tls("imap.zoho.in", 993),
        smtp: tls("smtp.zoho.in", 465),
        username: UsernameForm::Address,
        oauth: None,
        app_password_url: Some("https://accounts.zoho.in/home#security/app_password"),
        enable_imap_url: Some("https://mail.zoho.in/zm/#settings/all/mailaccounts"),
        help: ZOHO_HELP,
    },
];

/// `host` is `parent` or a name under it (label boundary, not a plain string suffix).
fn is_within(host: &str, parent: &str) -> bool {
    host == parent
        || host
            .strip_suffix(parent)
            .is_some_and(|head| head.ends_with('.'))
}

fn clean(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// The preset for an address domain (`gmail.com`, `contoso.onmicrosoft.com`).
pub fn preset_for_domain(domain: &str) -> Option<&'static ProviderPreset> {
    let domain = clean(domain);
    PRESETS
        .iter()
        .find(|p| p.domains.iter().any(|d| is_within(&domain, d)))
}

/// The provider behind an MX host: first the MX names providers give custom domains,
/// then the provider's own domains (`mx1.seznam.cz`).
pub fn preset_for_mx(mx_host: &str) -> Option<&'static ProviderPreset> {
    let host = clean(mx_host);
    if host.is_empty() {
        return None;
    }
    PRESETS
        .iter()
        .find(|p| p.mx_suffixes.iter().any(|s| is_within(&host, s)))
        .or_else(|| {
            PRESETS
                .iter()
                .find(|p| p.domains.iter().any(|d| is_within(&host, d)))
        })
}

/// The preset whose IMAP server is `host`, to recognise a known provider behind
/// settings found some other way (autoconfig, SRV).
pub fn preset_for_imap_host(host: &str) -> Option<&'static ProviderPreset> {
    let host = clean(host);
    PRESETS.iter().find(|p| p.imap.host == host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_match_respects_label_boundaries() {
        assert!(is_within("contoso.onmicrosoft.com", "onmicrosoft.com"));
        assert!(is_within("o2.pl", "o2.pl"));
        assert!(!is_within("go2.pl", "o2.pl"));
        assert!(!is_within("notgmail.com", "gmail.com"));
    }

    #[test]
    fn every_preset_is_complete_and_consistent() {
        for p in PRESETS {
            assert!(!p.name.is_empty());
            assert!(
                !p.domains.is_empty() || !p.mx_suffixes.is_empty(),
                "{} can never match",
                p.name
            );
            for server in [p.imap, p.smtp] {
                assert!(server.host.contains('.'), "{}: {}", p.name, server.host);
                assert_ne!(server.security, Security::None, "{}", p.name);
            }
            assert!(matches!(
                (p.imap.port, p.imap.security),
                (993, Security::Tls) | (143, Security::Starttls)
            ));
            assert!(matches!(
                (p.smtp.port, p.smtp.security),
                (465, Security::Tls) | (587, Security::Starttls)
            ));
            assert!(p.help.len() > 40, "{} needs help text", p.name);
            for url in [p.app_password_url, p.enable_imap_url]
                .into_iter()
                .flatten()
            {
                assert!(url.starts_with("https://"), "{url}");
            }
        }
    }

    #[test]
    fn only_google_and_microsoft_offer_oauth() {
        for p in PRESETS {
            let expected = match p.imap.host {
                "imap.gmail.com" => Some(OAuthProvider::Google),
                "outlook.office365.com" => Some(OAuthProvider::Microsoft),
                _ => None,
            };
            assert_eq!(p.oauth, expected, "{}", p.name);
        }
    }

    #[test]
    fn mx_hosts_map_to_their_provider() {
        let cases = [
            ("aspmx.l.google.com.", "Google Workspace"),
            ("ALT1.ASPMX.L.GOOGLE.COM", "Google Workspace"),
            ("aspmx2.googlemail.com", "Google Workspace"),
            ("contoso-com.mail.protection.outlook.com.", "Microsoft 365"),
            ("eur.olc.protection.outlook.com", "Outlook.com"),
            ("mx1.seznam.cz", "Seznam.cz"),
            ("mx.zoho.eu", "Zoho Mail"),
            ("in1-smtp.messagingengine.com", "Fastmail"),
            ("mx01.mail.icloud.com", "iCloud"),
            ("mta5.am0.yahoodns.net", "Yahoo"),
            ("mx00.gmx.net", "GMX"),
            ("mx.ukr.net", "ukr.net"),
        ];
        for (mx, provider) in cases {
            assert_eq!(preset_for_mx(mx).map(|p| p.name), Some(provider), "{mx}");
        }
        assert_eq!(
            preset_for_mx("mx.zoho.eu").map(|p| p.imap.host),
            Some("imappro.zoho.eu")
        );
        assert!(preset_for_mx("mail.firma.cz").is_none());
        assert!(preset_for_mx(".").is_none());
    }

    #[test]
    fn username_forms() {
        assert_eq!(UsernameForm::Address.apply("jan@o2.pl"), "jan@o2.pl");
        assert_eq!(UsernameForm::LocalPart.apply("jan@o2.pl"), "jan");
    }
}
