//! Mozilla-style autoconfig: the provider publishes an XML file describing its servers
//! (<https://wiki.mozilla.org/Thunderbird:Autoconfiguration:ConfigFileFormat>).

use crate::net::{Security, ServerSettings};

use super::{http::HttpFetch, Finding, ProviderHelp, Source};

/// Where a domain's autoconfig file may live, most trustworthy first. Plain HTTP comes
/// last because anyone on the path can rewrite it.
pub fn autoconfig_urls(address: &str, domain: &str) -> [String; 4] {
    let query = percent_encode(address);
    [
        format!("https://autoconfig.{domain}/mail/config-v1.1.xml?emailaddress={query}"),
        format!("https://{domain}/.well-known/autoconfig/mail/config-v1.1.xml"),
        format!("http://autoconfig.{domain}/mail/config-v1.1.xml?emailaddress={query}"),
        format!("http://{domain}/.well-known/autoconfig/mail/config-v1.1.xml"),
    ]
}

fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Fetches one autoconfig URL and parses it; `None` when there is nothing usable.
pub async fn fetch(http: &dyn HttpFetch, url: &str, address: &str) -> Option<Finding> {
    let body = http.get(url).await?;
    let finding = parse(&body, address);
    if finding.is_none() {
        tracing::debug!(url, "autoconfig file without usable IMAP or SMTP server");
    }
    finding
}

/// Reads an autoconfig document. Takes the best `imap` incoming and `smtp` outgoing
/// server (implicit TLS over STARTTLS over plain, then document order), ignores POP3,
/// Exchange and the rest. `None` if the document is not XML or has neither server.
pub fn parse(xml: &str, address: &str) -> Option<Finding> {
    let document = roxmltree::Document::parse(xml).ok()?;
    let provider_node = document
        .descendants()
        .find(|n| n.has_tag_name("emailProvider"))?;

    let mut imap: Option<(ServerSettings, Option<String>)> = None;
    let mut smtp: Option<(ServerSettings, Option<String>)> = None;
    for node in provider_node.children().filter(|n| n.is_element()) {
        let (slot, default_ports) = match (node.tag_name().name(), node.attribute("type")) {
            ("incomingServer", Some("imap")) => (&mut imap, (993, 143)),
            ("outgoingServer", Some("smtp")) => (&mut smtp, (465, 587)),
            _ => continue,
        };
        let Some(candidate) = read_server(node, address, default_ports) else {
            continue;
        };
        let better = slot
            .as_ref()
            .is_none_or(|(current, _)| rank(candidate.0.security) < rank(current.security));
        if better {
            *slot = Some(candidate);
        }
    }
    if imap.is_none() && smtp.is_none() {
        return None;
    }

    let provider = child_text(provider_node, "displayName")
        .or_else(|| child_text(provider_node, "displayShortName"));
    let username = imap
        .as_ref()
        .and_then(|(_, u)| u.clone())
        .or_else(|| smtp.as_ref().and_then(|(_, u)| u.clone()));
    Some(Finding {
        source: Source::Autoconfig,
        provider,
        imap: imap.map(|(s, _)| s),
        smtp: smtp.map(|(s, _)| s),
        username,
        oauth: None,
        help: enable_help(&document),
    })
}

fn rank(security: Security) -> u8 {
    match security {
        Security::Tls => 0,
        Security::Starttls => 1,
        Security::None => 2,
    }
}

fn read_server(
    node: roxmltree::Node<'_, '_>,
    address: &str,
    (tls_port, starttls_port): (u16, u16),
) -> Option<(ServerSettings, Option<String>)> {
    let host = substitute(&child_text(node, "hostname")?, address);
    if host.is_empty() || host.contains('%') || host.contains(char::is_whitespace) {
        return None;
    }
    let security = match child_text(node, "socketType")?
        .to_ascii_uppercase()
        .as_str()
    {
        "SSL" | "TLS" => Security::Tls,
        "STARTTLS" => Security::Starttls,
        "PLAIN" => Security::None,
        _ => return None,
    };
    let port = match child_text(node, "port").map(|p| p.parse::<u16>()) {
        Some(Ok(port)) if port != 0 => port,
        Some(_) => return None,
        None if security == Security::Tls => tls_port,
        None => starttls_port,
    };
    let username = child_text(node, "username")
        .map(|u| substitute(&u, address))
        .filter(|u| !u.is_empty() && !u.contains('%'));
    Some((
        ServerSettings {
            host: host.to_ascii_lowercase(),
            port,
            security,
        },
        username,
    ))
}

/// The `<enable visiturl=…><instruction>…` block: what to turn on before IMAP works.
fn enable_help(document: &roxmltree::Document<'_>) -> Option<ProviderHelp> {
    let enable = document.descendants().find(|n| n.has_tag_name("enable"))?;
    let url = enable
        .attribute("visiturl")
        .map(str::trim)
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        .map(str::to_owned);
    let instructions: Vec<_> = enable
        .children()
        .filter(|n| n.has_tag_name("instruction"))
        .collect();
    let english = instructions
        .iter()
        .find(|n| n.attribute("lang").is_none_or(|l| l.starts_with("en")))
        .or(instructions.first())
        .and_then(|n| n.text())
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|t| !t.is_empty());
    if url.is_none() && english.is_none() {
        return None;
    }
    Some(ProviderHelp {
        app_password_url: None,
        enable_imap_url: url,
        text: english.unwrap_or_else(|| {
            "Your provider asks you to allow access for mail apps in its settings first.".into()
        }),
    })
}

fn child_text(node: roxmltree::Node<'_, '_>, name: &str) -> Option<String> {
    node.children()
        .find(|n| n.has_tag_name(name))
        .and_then(|n| n.text())
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
}

fn substitute(template: &str, address: &str) -> String {
    let (local, domain) = address.rsplit_once('@').unwrap_or((address, ""));
    template
        .replace("%EMAILADDRESS%", address)
        .replace("%EMAILLOCALPART%", local)
        .replace("%EMAILDOMAIN%", domain)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shaped like the ISPDB's Gmail file: POP3 and IMAP incoming, SMTP on 587 listed
    /// before 465, OAuth and webmail blocks, an enable instruction.
    const GMAIL_LIKE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="googlemail.com">
    <domain>gmail.com</domain>
    <displayName>Google Mail</displayName>
    <displayShortName>GMail</displayShortName>
    <incomingServer type="pop3">
      <hostname>pop.gmail.com</hostname>
      <port>995</port>
      <socketType>SSL</socketType>
      <username>%EMAILADDRESS%</username>
    </incomingServer>
    <incomingServer type="imap">
      <hostname>imap.gmail.com</hostname>
      <port>993</port>
      <socketType>SSL</socketType>
      <username>%EMAILADDRESS%</username>
      <authentication>OAuth2</authentication>
      <authentication>password-cleartext</authentication>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.gmail.com</hostname>
      <port>587</port>
      <socketType>STARTTLS</socketType>
      <username>%EMAILADDRESS%</username>
    </outgoingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.gmail.com</hostname>
      <port>465</port>
      <socketType>SSL</socketType>
      <username>%EMAILADDRESS%</username>
    </outgoingServer>
    <documentation url="http://mail.google.com/support/bin/answer.py?answer=13273">
      <descr>How to enable IMAP/POP3 in GMail</descr>
    </documentation>
  </emailProvider>
  <oAuth2>
    <issuer>accounts.google.com</issuer>
    <authURL>https://accounts.google.com/o/oauth2/auth</authURL>
  </oAuth2>
  <enable visiturl="https://mail.google.com/mail/?ui=2&amp;shva=1#settings/fwdandpop">
    <instruction>You need to enable IMAP access</instruction>
  </enable>
</clientConfig>"#;

    /// Shaped like the ISPDB's o2.pl file: local-part usernames everywhere.
    const LOCALPART: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="o2.pl">
    <domain>o2.pl</domain>
    <displayName>o2 Poczta</displayName>
    <incomingServer type="imap">
      <hostname>poczta.o2.pl</hostname>
      <port>993</port>
      <socketType>SSL</socketType>
      <authentication>password-cleartext</authentication>
      <username>%EMAILLOCALPART%</username>
    </incomingServer>
    <incomingServer type="pop3">
      <hostname>poczta.o2.pl</hostname>
      <port>995</port>
      <socketType>SSL</socketType>
      <username>%EMAILLOCALPART%</username>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>poczta.o2.pl</hostname>
      <port>465</port>
      <socketType>SSL</socketType>
      <username>%EMAILLOCALPART%</username>
      <restriction>client-IP-address</restriction>
    </outgoingServer>
  </emailProvider>
</clientConfig>"#;

    #[test]
    fn picks_imap_over_pop3_and_ssl_over_starttls() {
        let f = parse(GMAIL_LIKE, "jana@gmail.com").unwrap();
        assert_eq!(f.source, Source::Autoconfig);
        assert_eq!(f.provider.as_deref(), Some("Google Mail"));
        let imap = f.imap.unwrap();
        assert_eq!(
            (imap.host.as_str(), imap.port, imap.security),
            ("imap.gmail.com", 993, Security::Tls)
        );
        let smtp = f.smtp.unwrap();
        assert_eq!(
            (smtp.host.as_str(), smtp.port, smtp.security),
            ("smtp.gmail.com", 465, Security::Tls)
        );
        assert_eq!(f.username.as_deref(), Some("jana@gmail.com"));
        let help = f.help.unwrap();
        assert_eq!(help.text, "You need to enable IMAP access");
        assert_eq!(
            help.enable_imap_url.as_deref(),
            Some("https://mail.google.com/mail/?ui=2&shva=1#settings/fwdandpop")
        );
    }

    #[test]
    fn local_part_usernames_are_filled_in() {
        let f = parse(LOCALPART, "jan.kowalski@o2.pl").unwrap();
        assert_eq!(f.username.as_deref(), Some("jan.kowalski"));
        assert_eq!(f.imap.unwrap().host, "poczta.o2.pl");
        assert!(f.help.is_none());
    }

    #[test]
    fn missing_outgoing_server_leaves_smtp_empty() {
        let xml = r#"<clientConfig version="1.1"><emailProvider id="firma.cz">
            <incomingServer type="imap">
              <hostname>mail.%EMAILDOMAIN%</hostname>
              <socketType>STARTTLS</socketType>
              <username>%EMAILADDRESS%</username>
            </incomingServer>
          </emailProvider></clientConfig>"#;
        let f = parse(xml, "petr@firma.cz").unwrap();
        let imap = f.imap.unwrap();
        assert_eq!(
            (imap.host.as_str(), imap.port, imap.security),
            ("mail.firma.cz", 143, Security::Starttls)
        );
        assert!(f.smtp.is_none());
        assert!(f.provider.is_none());
    }

    #[test]
    fn plain_socket_type_is_reported_as_no_security_and_ranked_last() {
        let xml = r#"<clientConfig><emailProvider id="x">
            <incomingServer type="imap"><hostname>imap.x.org</hostname><port>143</port>
              <socketType>plain</socketType></incomingServer>
            <incomingServer type="imap"><hostname>imap.x.org</hostname><port>143</port>
              <socketType>STARTTLS</socketType></incomingServer>
            <outgoingServer type="smtp"><hostname>smtp.x.org</hostname><port>25</port>
              <socketType>plain</socketType></outgoingServer>
          </emailProvider></clientConfig>"#;
        let f = parse(xml, "a@x.org").unwrap();
        assert_eq!(f.imap.unwrap().security, Security::Starttls);
        assert_eq!(f.smtp.unwrap().security, Security::None);
        assert!(f.username.is_none());
    }

    #[test]
    fn unusable_documents_give_nothing() {
        assert!(parse("<html><body>Not found</body></html>", "a@b.cz").is_none());
        assert!(parse("not xml at all", "a@b.cz").is_none());
        let pop_only = r#"<clientConfig><emailProvider id="x">
            <incomingServer type="pop3"><hostname>pop.x.org</hostname><port>995</port>
              <socketType>SSL</socketType></incomingServer>
          </emailProvider></clientConfig>"#;
        assert!(parse(pop_only, "a@x.org").is_none());
        let bad_port = r#"<clientConfig><emailProvider id="x">
            <incomingServer type="imap"><hostname>imap.x.org</hostname><port>99999</port>
              <socketType>SSL</socketType></incomingServer>
          </emailProvider></clientConfig>"#;
        assert!(parse(bad_port, "a@x.org").is_none());
    }

    #[test]
    fn urls_try_https_first_and_encode_the_address() {
        let urls = autoconfig_urls("jana+crm@firma.cz", "firma.cz");
        assert_eq!(
            urls[0],
            "https://autoconfig.firma.cz/mail/config-v1.1.xml?emailaddress=jana%2Bcrm%40firma.cz"
        );
        assert_eq!(
            urls[1],
            "https://firma.cz/.well-known/autoconfig/mail/config-v1.1.xml"
        );
        assert!(urls[2].starts_with("http://autoconfig.firma.cz/"));
        assert!(urls[3].starts_with("http://firma.cz/.well-known/"));
    }
}
