//! The CRM rules: what an address is, who is "me", and which correspondents become
//! contacts under an account's policy. The store applies these while it writes, so
//! linking happens at write time, never in a nightly job.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::mime::{ParsedMessage, ParticipantRole};

/// Which correspondents of an account become contacts automatically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContactPolicy {
    /// Only contacts the user creates.
    None,
    /// People the user writes to.
    Sent,
    /// People the user writes to and people who write to the user.
    All,
}

impl ContactPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            ContactPolicy::None => "none",
            ContactPolicy::Sent => "sent",
            ContactPolicy::All => "all",
        }
    }

    pub fn parse(text: &str) -> Option<ContactPolicy> {
        match text {
            "none" => Some(ContactPolicy::None),
            "sent" => Some(ContactPolicy::Sent),
            "all" => Some(ContactPolicy::All),
            _ => None,
        }
    }
}

/// Whether a message was written by the user or to the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    In,
    Out,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }
}

/// Free-mail providers: an address there says nothing about a company.
pub const FREE_MAIL_DOMAINS: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "msn.com",
    "yahoo.com",
    "ymail.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "aol.com",
    "proton.me",
    "protonmail.com",
    "gmx.com",
    "gmx.net",
    "gmx.de",
    "web.de",
    "mail.com",
    "zoho.com",
    "fastmail.com",
    "yandex.com",
    "yandex.ru",
    "mail.ru",
    "seznam.cz",
    "email.cz",
    "post.cz",
    "centrum.cz",
    "atlas.cz",
    "volny.cz",
    "tiscali.cz",
    "azet.sk",
    "centrum.sk",
    "post.sk",
    "zoznam.sk",
    "wp.pl",
    "o2.pl",
    "onet.pl",
    "onet.eu",
    "op.pl",
    "interia.pl",
    "interia.eu",
    "poczta.fm",
    "tlen.pl",
    "gazeta.pl",
    "ukr.net",
    "i.ua",
    "meta.ua",
    "bigmir.net",
    "outlook.cz",
    "hotmail.cz",
    "outlook.sk",
    "outlook.pl",
];

pub fn is_free_mail_domain(domain: &str) -> bool {
    FREE_MAIL_DOMAINS.contains(&domain)
}

/// The one way Rapport normalises an email address: trimmed, without angle brackets,
/// lower-cased, the domain in its ASCII (punycode) form. `None` if it is not an address.
pub fn normalize_address(raw: &str) -> Option<String> {
    let trimmed = raw
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim();
    let (local, domain) = trimmed.rsplit_once('@')?;
    let local = local.trim();
    let domain = domain.trim().trim_end_matches('.');
    if local.is_empty()
        || domain.is_empty()
        || local.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return None;
    }
    let domain = idna::domain_to_ascii(domain).ok()?;
    if domain.is_empty() || !domain.contains('.') && domain != "localhost" {
        return None;
    }
    Some(format!("{}@{}", local.to_lowercase(), domain))
}

/// The domain part of a normalised address.
pub fn domain_of(address: &str) -> &str {
    address.rsplit_once('@').map(|(_, d)| d).unwrap_or("")
}

/// Local parts (letters and digits only) that mark a machine. `store::followups` spells
/// the same list in SQL; a test there keeps the two in step.
pub(crate) const MACHINE_PREFIXES: &[&str] = &[
    "noreply",
    "donotreply",
    "notreply",
    "mailerdaemon",
    "postmaster",
    "bounce",
    "bounces",
    "notifications",
    "notification",
    "newsletter",
    "nevyplnovat",
    "neodpovidejte",
];

/// Senders that are machines, not people.
pub fn is_no_reply(address: &str) -> bool {
    let local = address.split('@').next().unwrap_or("");
    let squashed: String = local
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    MACHINE_PREFIXES.iter().any(|p| squashed.starts_with(p))
}

/// An ignore list: addresses and whole domains that never become contacts.
#[derive(Debug, Clone, Default)]
pub struct IgnoreRules {
    pub addresses: HashSet<String>,
    pub domains: HashSet<String>,
}

impl IgnoreRules {
    pub fn ignores(&self, address: &str) -> bool {
        self.addresses.contains(address) || self.domains.contains(domain_of(address))
    }
}

/// Everything the auto-creation decision needs to know about the account.
#[derive(Debug, Clone)]
pub struct AccountIdentity {
    /// The account's own addresses and aliases, normalised.
    pub me: HashSet<String>,
    pub policy: ContactPolicy,
    /// New contacts from incoming mail start in the "lead" stage.
    pub leads_from_incoming: bool,
}

impl AccountIdentity {
    pub fn is_me(&self, address: &str) -> bool {
        self.me.contains(address)
    }

    pub fn direction_of(&self, message: &ParsedMessage) -> Direction {
        match message.from_address() {
            Some(from) if self.is_me(from) => Direction::Out,
            _ => Direction::In,
        }
    }

    /// My work domains: the domains of my addresses that are not free-mail.
    fn work_domains(&self) -> HashSet<&str> {
        self.me
            .iter()
            .map(|a| domain_of(a))
            .filter(|d| !is_free_mail_domain(d))
            .collect()
    }
}

/// A contact the policy asks to create for a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactCandidate {
    pub address: String,
    pub display_name: String,
}

/// The correspondents of `message` that should become contacts under the account's
/// policy. Bulk mail, machine senders, ignored addresses and internal mail (everyone on
/// my own work domain) never create contacts.
pub fn contacts_to_create(
    message: &ParsedMessage,
    identity: &AccountIdentity,
    ignore: &IgnoreRules,
) -> Vec<ContactCandidate> {
    if identity.policy == ContactPolicy::None || message.is_bulk {
        return Vec::new();
    }
    let direction = identity.direction_of(message);
    if direction == Direction::In && identity.policy != ContactPolicy::All {
        return Vec::new();
    }
    if message.from_address().is_some_and(is_no_reply) {
        return Vec::new();
    }
    let work_domains = identity.work_domains();
    let everyone_internal = !work_domains.is_empty()
        && message
            .participants
            .iter()
            .all(|p| work_domains.contains(domain_of(&p.address)));
    if everyone_internal {
        return Vec::new();
    }
    let wanted_roles: &[ParticipantRole] = match direction {
        Direction::Out => &[
            ParticipantRole::To,
            ParticipantRole::Cc,
            ParticipantRole::Bcc,
        ],
        Direction::In => &[
            ParticipantRole::From,
            ParticipantRole::ReplyTo,
            ParticipantRole::To,
            ParticipantRole::Cc,
        ],
    };
    let mut seen = HashSet::new();
    message
        .participants
        .iter()
        .filter(|p| wanted_roles.contains(&p.role))
        .filter(|p| !identity.is_me(&p.address))
        .filter(|p| !is_no_reply(&p.address) && !ignore.ignores(&p.address))
        .filter(|p| seen.insert(p.address.clone()))
        .map(|p| ContactCandidate {
            address: p.address.clone(),
            display_name: display_name_for(&p.display_name, &p.address),
        })
        .collect()
}

/// A person's name: what their mail says, else their address's local part made readable
/// ("jan.novak" → "Jan Novak").
pub fn display_name_for(display_name: &str, address: &str) -> String {
    let name = display_name.trim().trim_matches(['"', '\'']).trim();
    if !name.is_empty() && !name.contains('@') {
        return name.to_owned();
    }
    let local = address.split('@').next().unwrap_or(address);
    let words: Vec<String> = local
        .split(['.', '_', '-', '+'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => String::new(),
            }
        })
        .collect();
    if words.is_empty() {
        address.to_owned()
    } else {
        words.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mime::parse;

    fn identity(policy: ContactPolicy) -> AccountIdentity {
        AccountIdentity {
            me: ["alice@rapport.test".to_owned()].into_iter().collect(),
            policy,
            leads_from_incoming: false,
        }
    }

    #[test]
    fn normalizes_case_brackets_and_idn() {
        assert_eq!(
            normalize_address(" <Jan.Novak@Firma.CZ> ").as_deref(),
            Some("jan.novak@firma.cz")
        );
        assert_eq!(
            normalize_address("petr@příklad.cz").as_deref(),
            Some("petr@xn--pklad-zsa96e.cz")
        );
        assert_eq!(normalize_address("not an address"), None);
        assert_eq!(normalize_address("@x.cz"), None);
        assert_eq!(normalize_address("a b@x.cz"), None);
    }

    #[test]
    fn recognises_machine_senders() {
        assert!(is_no_reply("no-reply@shop.cz"));
        assert!(is_no_reply("do_not_reply@bank.cz"));
        assert!(is_no_reply("mailer-daemon@x.cz"));
        assert!(!is_no_reply("jana@shop.cz"));
    }

    #[test]
    fn sent_only_policy_creates_contact_for_recipient() {
        let out = parse(
            b"From: alice@rapport.test\r\nTo: Jan Novak <jan@firma.cz>\r\nSubject: x\r\n\r\nhi\r\n",
            None,
        );
        let incoming = parse(
            b"From: petr@jina.cz\r\nTo: alice@rapport.test\r\nSubject: x\r\n\r\nhi\r\n",
            None,
        );
        let policy = identity(ContactPolicy::Sent);
        let created = contacts_to_create(&out, &policy, &IgnoreRules::default());
        assert_eq!(
            created,
            vec![ContactCandidate {
                address: "jan@firma.cz".into(),
                display_name: "Jan Novak".into()
            }]
        );
        assert!(contacts_to_create(&incoming, &policy, &IgnoreRules::default()).is_empty());
        let all = identity(ContactPolicy::All);
        assert_eq!(
            contacts_to_create(&incoming, &all, &IgnoreRules::default())[0].address,
            "petr@jina.cz"
        );
    }

    #[test]
    fn bulk_ignored_and_internal_mail_create_nothing() {
        let all = identity(ContactPolicy::All);
        let bulk = parse(b"From: shop@eshop.cz\r\nTo: alice@rapport.test\r\nList-Id: <news.eshop.cz>\r\n\r\nx\r\n", None);
        assert!(contacts_to_create(&bulk, &all, &IgnoreRules::default()).is_empty());
        let internal = parse(
            b"From: alice@rapport.test\r\nTo: bob@rapport.test\r\n\r\nx\r\n",
            None,
        );
        assert!(contacts_to_create(&internal, &all, &IgnoreRules::default()).is_empty());
        let mut ignore = IgnoreRules::default();
        ignore.domains.insert("firma.cz".into());
        let out = parse(
            b"From: alice@rapport.test\r\nTo: jan@firma.cz\r\n\r\nx\r\n",
            None,
        );
        assert!(contacts_to_create(&out, &all, &ignore).is_empty());
    }

    #[test]
    fn names_fall_back_to_readable_local_part() {
        assert_eq!(display_name_for("", "jan.novak@firma.cz"), "Jan Novak");
        assert_eq!(display_name_for("\"Olena\"", "o@x.ua"), "Olena");
        assert_eq!(display_name_for("o@x.ua", "o@x.ua"), "O");
    }
}

/// The registrable domain a company is known by ("mail.acme-logistics.cz" →
/// "acme-logistics.cz"), or `None` for free-mail and domains without a public suffix.
pub fn company_domain(address: &str) -> Option<String> {
    let domain = domain_of(address);
    if domain.is_empty() || is_free_mail_domain(domain) {
        return None;
    }
    let registrable = psl::domain_str(domain)?;
    if is_free_mail_domain(registrable) {
        return None;
    }
    Some(registrable.to_owned())
}

/// A company name made from its domain: "acme-logistics.cz" → "Acme Logistics".
pub fn company_name_for(domain: &str) -> String {
    let label = psl::domain(domain.as_bytes())
        .and_then(|d| {
            let suffix_len = d.suffix().as_bytes().len();
            let full = d.as_bytes();
            full.len()
                .checked_sub(suffix_len + 1)
                .map(|end| String::from_utf8_lossy(&full[..end]).into_owned())
        })
        .unwrap_or_else(|| domain.split('.').next().unwrap_or(domain).to_owned());
    display_name_for("", &format!("{label}@x"))
}

#[cfg(test)]
mod company_tests {
    use super::*;

    #[test]
    fn companies_come_from_registrable_domains_not_free_mail() {
        assert_eq!(
            company_domain("jan@mail.acme-logistics.cz").as_deref(),
            Some("acme-logistics.cz")
        );
        assert_eq!(
            company_domain("ann@sales.example.co.uk").as_deref(),
            Some("example.co.uk")
        );
        assert_eq!(company_domain("olena@ukr.net"), None);
        assert_eq!(company_domain("x@gmail.com"), None);
        assert_eq!(
            company_domain("jana@email.seznam.cz"),
            None,
            "subdomain of a free-mail provider"
        );
        assert_eq!(company_name_for("acme-logistics.cz"), "Acme Logistics");
        assert_eq!(company_name_for("example.co.uk"), "Example");
    }
}
