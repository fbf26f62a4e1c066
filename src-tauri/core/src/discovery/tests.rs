use std::{
    collections::{HashMap, HashSet},
    sync::atomic::{AtomicUsize, Ordering},
};

use async_trait::async_trait;

use super::*;

/// DNS answering from tables, or never.
#[derive(Default)]
struct FakeDns {
    mx: HashMap<String, Vec<(u16, String)>>,
    srv: HashMap<String, Vec<SrvRecord>>,
    hang: bool,
    queries: AtomicUsize,
}

#[async_trait]
impl DnsLookup for FakeDns {
    async fn mx(&self, domain: &str) -> Vec<(u16, String)> {
        self.queries.fetch_add(1, Ordering::SeqCst);
        if self.hang {
            std::future::pending::<()>().await;
        }
        self.mx.get(domain).cloned().unwrap_or_default()
    }

    async fn srv(&self, name: &str) -> Vec<SrvRecord> {
        self.queries.fetch_add(1, Ordering::SeqCst);
        if self.hang {
            std::future::pending::<()>().await;
        }
        self.srv.get(name).cloned().unwrap_or_default()
    }
}

#[derive(Default)]
struct FakeHttp {
    pages: HashMap<String, String>,
    requests: AtomicUsize,
}

#[async_trait]
impl HttpFetch for FakeHttp {
    async fn get(&self, url: &str) -> Option<String> {
        self.requests.fetch_add(1, Ordering::SeqCst);
        self.pages.get(url).cloned()
    }
}

/// Answers on the listed host:port pairs only.
#[derive(Default)]
struct FakeProber {
    open: HashSet<(String, u16)>,
}

#[async_trait]
impl PortProbe for FakeProber {
    async fn probe(&self, host: &str, port: u16, _security: Security) -> bool {
        self.open.contains(&(host.to_owned(), port))
    }
}

fn net(dns: FakeDns, http: FakeHttp, prober: FakeProber) -> DiscoveryNet {
    DiscoveryNet {
        dns: Arc::new(dns),
        http: Arc::new(http),
        prober: Arc::new(prober),
        deadline: DEFAULT_DEADLINE,
        step_timeout: DEFAULT_STEP_TIMEOUT,
    }
}

fn server(host: &str, port: u16, security: Security) -> ServerSettings {
    ServerSettings {
        host: host.into(),
        port,
        security,
    }
}

const FIRMA_AUTOCONFIG: &str = r#"<?xml version="1.0"?>
<clientConfig version="1.1"><emailProvider id="firma.cz">
  <displayName>Firma</displayName>
  <incomingServer type="imap"><hostname>posta.firma.cz</hostname><port>993</port>
    <socketType>SSL</socketType><username>%EMAILLOCALPART%</username></incomingServer>
</emailProvider></clientConfig>"#;

const AUTOCONFIG_URL: &str =
    "https://autoconfig.firma.cz/mail/config-v1.1.xml?emailaddress=petr%40firma.cz";

#[test]
fn every_listed_provider_resolves_by_domain() {
    let cases = [
        ("jana@gmail.com", "Gmail", "imap.gmail.com"),
        ("jana@googlemail.com", "Gmail", "imap.gmail.com"),
        ("jana@outlook.com", "Outlook.com", "outlook.office365.com"),
        ("jana@hotmail.com", "Outlook.com", "outlook.office365.com"),
        ("jana@live.com", "Outlook.com", "outlook.office365.com"),
        (
            "jana@contoso.onmicrosoft.com",
            "Microsoft 365",
            "outlook.office365.com",
        ),
        ("jana@yahoo.com", "Yahoo", "imap.mail.yahoo.com"),
        ("jana@icloud.com", "iCloud", "imap.mail.me.com"),
        ("jana@fastmail.com", "Fastmail", "imap.fastmail.com"),
        ("jana@gmx.de", "GMX", "imap.gmx.net"),
        ("jana@gmx.com", "GMX", "imap.gmx.com"),
        ("jana@seznam.cz", "Seznam.cz", "imap.seznam.cz"),
        ("jana@centrum.cz", "Centrum.cz", "imap.centrum.cz"),
        ("jana@email.cz", "Email.cz", "imap.seznam.cz"),
        ("jan@wp.pl", "WP.pl", "imap.wp.pl"),
        ("jan@onet.pl", "Onet", "imap.poczta.onet.pl"),
        ("jan@interia.pl", "Interia", "poczta.interia.pl"),
        ("jan@o2.pl", "o2.pl", "poczta.o2.pl"),
        ("ivan@ukr.net", "ukr.net", "imap.ukr.net"),
        ("ivan@i.ua", "I.UA", "imap.i.ua"),
        ("ivan@meta.ua", "META.ua", "imap.meta.ua"),
        ("jana@zoho.com", "Zoho Mail", "imap.zoho.com"),
        ("jana@zohomail.eu", "Zoho Mail", "imap.zoho.eu"),
    ];
    for (address, provider, imap_host) in cases {
        let s = suggest(address).unwrap();
        assert_eq!(s.source, Source::Preset, "{address}");
        assert_eq!(s.provider.as_deref(), Some(provider), "{address}");
        assert_eq!(s.imap.host, imap_host, "{address}");
        assert!(s.help.is_some(), "{address} has no help");
    }
}

#[test]
fn presets_fill_username_oauth_and_help() {
    let gmail = suggest("Jana.Novakova@Gmail.com").unwrap();
    assert_eq!(gmail.username, "jana.novakova@gmail.com");
    assert_eq!(gmail.oauth, Some(OAuthProvider::Google));
    let help = gmail.help.unwrap();
    assert_eq!(
        help.app_password_url.as_deref(),
        Some("https://myaccount.google.com/apppasswords")
    );
    assert!(help.text.contains("app password"));

    let o2 = suggest("jan.kowalski@o2.pl").unwrap();
    assert_eq!(o2.username, "jan.kowalski");
    assert_eq!(o2.oauth, None);

    let outlook = suggest("jana@hotmail.cz").unwrap();
    assert_eq!(outlook.oauth, Some(OAuthProvider::Microsoft));
    assert_eq!(
        outlook.smtp,
        server("smtp-mail.outlook.com", 587, Security::Starttls)
    );
}

#[test]
fn unknown_domain_gets_conventional_names() {
    let s = suggest("petr@firma.cz").unwrap();
    assert_eq!(s.source, Source::Guess);
    assert_eq!(s.imap, server("imap.firma.cz", 993, Security::Tls));
    assert_eq!(s.smtp, server("smtp.firma.cz", 465, Security::Tls));
    assert_eq!(s.username, "petr@firma.cz");
    assert!(s.provider.is_none() && s.help.is_none());
    assert!(suggest("nonsense").is_none());
}

#[test]
fn serialises_for_the_ui() {
    let json = serde_json::to_value(suggest("jana@gmail.com").unwrap()).unwrap();
    assert_eq!(json["source"], "preset");
    assert_eq!(json["oauth"], "google");
    assert_eq!(json["imap"]["security"], "tls");
    assert!(json["help"]["appPasswordUrl"].is_string());
    assert!(json["help"]["enableImapUrl"].is_null());
}

#[tokio::test]
async fn preset_answers_without_network() {
    let dns = Arc::new(FakeDns {
        hang: true,
        ..FakeDns::default()
    });
    let http = Arc::new(FakeHttp::default());
    let net = DiscoveryNet {
        dns: dns.clone(),
        http: http.clone(),
        prober: Arc::new(FakeProber::default()),
        deadline: DEFAULT_DEADLINE,
        step_timeout: DEFAULT_STEP_TIMEOUT,
    };
    let s = discover("jana@seznam.cz", &net).await.unwrap();
    assert_eq!(s.source, Source::Preset);
    assert_eq!(dns.queries.load(Ordering::SeqCst), 0);
    assert_eq!(http.requests.load(Ordering::SeqCst), 0);
    assert!(discover("not an address", &net).await.is_none());
}

#[tokio::test]
async fn google_workspace_is_recognised_from_mx() {
    let dns = FakeDns {
        mx: HashMap::from([(
            "firma.cz".to_owned(),
            vec![
                (10, "alt1.aspmx.l.google.com".to_owned()),
                (1, "aspmx.l.google.com".to_owned()),
            ],
        )]),
        ..FakeDns::default()
    };
    let s = discover(
        "petr@firma.cz",
        &net(dns, FakeHttp::default(), FakeProber::default()),
    )
    .await
    .unwrap();
    assert_eq!(s.source, Source::Mx);
    assert_eq!(s.provider.as_deref(), Some("Google Workspace"));
    assert_eq!(s.imap, server("imap.gmail.com", 993, Security::Tls));
    assert_eq!(s.username, "petr@firma.cz");
    assert_eq!(s.oauth, Some(OAuthProvider::Google));
}

#[tokio::test]
async fn microsoft_365_is_recognised_from_mx() {
    let dns = FakeDns {
        mx: HashMap::from([(
            "firma.cz".to_owned(),
            vec![(0, "firma-cz.mail.protection.outlook.com".to_owned())],
        )]),
        ..FakeDns::default()
    };
    let s = discover(
        "petr@firma.cz",
        &net(dns, FakeHttp::default(), FakeProber::default()),
    )
    .await
    .unwrap();
    assert_eq!(s.source, Source::Mx);
    assert_eq!(s.provider.as_deref(), Some("Microsoft 365"));
    assert_eq!(
        s.smtp,
        server("smtp.office365.com", 587, Security::Starttls)
    );
    assert_eq!(s.oauth, Some(OAuthProvider::Microsoft));
}

#[tokio::test]
async fn srv_records_are_used_when_nothing_better_exists() {
    let record = |target: &str, port| SrvRecord {
        priority: 0,
        weight: 1,
        port,
        target: target.into(),
    };
    let dns = FakeDns {
        srv: HashMap::from([
            // "." for _imaps: no implicit-TLS IMAP, so _imap (STARTTLS) is used.
            ("_imaps._tcp.firma.cz".to_owned(), vec![record("", 0)]),
            (
                "_imap._tcp.firma.cz".to_owned(),
                vec![record("mx.firma.cz", 143)],
            ),
            (
                "_submission._tcp.firma.cz".to_owned(),
                vec![record("mx.firma.cz", 587)],
            ),
        ]),
        ..FakeDns::default()
    };
    let s = discover(
        "petr@firma.cz",
        &net(dns, FakeHttp::default(), FakeProber::default()),
    )
    .await
    .unwrap();
    assert_eq!(s.source, Source::Srv);
    assert_eq!(s.imap, server("mx.firma.cz", 143, Security::Starttls));
    assert_eq!(s.smtp, server("mx.firma.cz", 587, Security::Starttls));
}

#[tokio::test]
async fn probing_prefers_implicit_tls_and_the_imap_name() {
    let prober = FakeProber {
        open: HashSet::from([
            ("mail.firma.cz".to_owned(), 993),
            ("imap.firma.cz".to_owned(), 143),
            ("mail.firma.cz".to_owned(), 587),
        ]),
    };
    let s = discover(
        "petr@firma.cz",
        &net(FakeDns::default(), FakeHttp::default(), prober),
    )
    .await
    .unwrap();
    assert_eq!(s.source, Source::Probe);
    assert_eq!(s.imap, server("mail.firma.cz", 993, Security::Tls));
    assert_eq!(s.smtp, server("mail.firma.cz", 587, Security::Starttls));
}

#[tokio::test]
async fn autoconfig_wins_and_missing_smtp_comes_from_the_next_source() {
    let dns = FakeDns {
        mx: HashMap::from([(
            "firma.cz".to_owned(),
            vec![(0, "aspmx.l.google.com".to_owned())],
        )]),
        ..FakeDns::default()
    };
    let http = FakeHttp {
        pages: HashMap::from([(AUTOCONFIG_URL.to_owned(), FIRMA_AUTOCONFIG.to_owned())]),
        ..FakeHttp::default()
    };
    let prober = FakeProber {
        open: HashSet::from([("smtp.firma.cz".to_owned(), 465)]),
    };
    let s = discover("petr@firma.cz", &net(dns, http, prober))
        .await
        .unwrap();
    assert_eq!(s.source, Source::Autoconfig);
    assert_eq!(s.provider.as_deref(), Some("Firma"));
    assert_eq!(s.imap, server("posta.firma.cz", 993, Security::Tls));
    assert_eq!(s.username, "petr");
    // The autoconfig file has no SMTP server: the MX step (Google) is next in line.
    assert_eq!(s.smtp, server("smtp.gmail.com", 465, Security::Tls));
}

#[test]
fn merge_takes_each_server_from_the_most_trusted_source() {
    let finding = |source, imap: Option<&str>, smtp: Option<&str>| Finding {
        source,
        provider: None,
        imap: imap.map(|h| server(h, 993, Security::Tls)),
        smtp: smtp.map(|h| server(h, 465, Security::Tls)),
        username: None,
        oauth: None,
        help: None,
    };
    let s = merge(
        "a@firma.cz",
        "firma.cz",
        [
            finding(Source::Srv, None, Some("srv-smtp.firma.cz")),
            finding(
                Source::Probe,
                Some("probe-imap.firma.cz"),
                Some("probe-smtp"),
            ),
        ],
    );
    assert_eq!(s.source, Source::Probe);
    assert_eq!(s.imap.host, "probe-imap.firma.cz");
    assert_eq!(s.smtp.host, "srv-smtp.firma.cz");
    assert_eq!(s.username, "a@firma.cz");

    let nothing = merge("a@firma.cz", "firma.cz", []);
    assert_eq!(nothing.source, Source::Guess);
    assert_eq!(nothing.imap.host, "imap.firma.cz");
    assert_eq!(nothing.smtp.host, "smtp.firma.cz");
}

#[test]
fn a_known_imap_host_brings_its_provider_sign_in_and_help() {
    let s = merge(
        "a@firma.cz",
        "firma.cz",
        [Finding {
            source: Source::Srv,
            provider: None,
            imap: Some(server("outlook.office365.com", 993, Security::Tls)),
            smtp: None,
            username: None,
            oauth: None,
            help: None,
        }],
    );
    assert_eq!(s.provider.as_deref(), Some("Microsoft 365"));
    assert_eq!(s.oauth, Some(OAuthProvider::Microsoft));
    assert!(s.help.is_some());
}

// Real time with short deadlines: tokio's paused clock needs its `test-util` feature,
// which this crate's dev-dependencies do not enable.
#[tokio::test]
async fn hanging_dns_still_gives_a_guess_by_the_deadline() {
    let dns = FakeDns {
        hang: true,
        ..FakeDns::default()
    };
    let mut net = net(dns, FakeHttp::default(), FakeProber::default());
    net.deadline = Duration::from_millis(300);
    // Steps may not give up on their own before the deadline: only the deadline helps.
    net.step_timeout = Duration::from_secs(60);
    let started = std::time::Instant::now();
    let s = discover("petr@firma.cz", &net).await.unwrap();
    let took = started.elapsed();
    assert_eq!(s.source, Source::Guess);
    assert_eq!(s.imap.host, "imap.firma.cz");
    assert!(took >= net.deadline, "{took:?}");
    assert!(took < net.deadline + Duration::from_secs(1), "{took:?}");
}

#[tokio::test]
async fn a_probe_found_before_the_deadline_is_kept_when_dns_hangs() {
    let dns = FakeDns {
        hang: true,
        ..FakeDns::default()
    };
    let prober = FakeProber {
        open: HashSet::from([("imap.firma.cz".to_owned(), 143)]),
    };
    let mut net = net(dns, FakeHttp::default(), prober);
    net.deadline = Duration::from_millis(300);
    let s = discover("petr@firma.cz", &net).await.unwrap();
    assert_eq!(s.source, Source::Probe);
    assert_eq!(s.imap, server("imap.firma.cz", 143, Security::Starttls));
    // Nothing answered for SMTP: the guess fills it in.
    assert_eq!(s.smtp, server("smtp.firma.cz", 465, Security::Tls));
}

#[tokio::test]
async fn autoconfig_answers_at_once_even_when_dns_hangs() {
    let dns = FakeDns {
        hang: true,
        ..FakeDns::default()
    };
    let xml = FIRMA_AUTOCONFIG.replace(
        "</emailProvider>",
        r#"<outgoingServer type="smtp"><hostname>posta.firma.cz</hostname><port>465</port>
             <socketType>SSL</socketType></outgoingServer></emailProvider>"#,
    );
    let http = FakeHttp {
        pages: HashMap::from([(AUTOCONFIG_URL.to_owned(), xml)]),
        ..FakeHttp::default()
    };
    let net = net(dns, http, FakeProber::default());
    let started = std::time::Instant::now();
    let s = discover("petr@firma.cz", &net).await.unwrap();
    assert_eq!(s.source, Source::Autoconfig);
    assert_eq!(s.smtp.host, "posta.firma.cz");
    // Nothing below autoconfig can beat it, so nobody waits for DNS.
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn system_net_builds_outside_a_runtime() {
    // The app builds it during setup, before any Tokio runtime exists.
    let net = DiscoveryNet::system();
    assert_eq!(net.deadline, DEFAULT_DEADLINE);
}

#[test]
fn discover_can_run_on_any_thread() {
    // Tauri commands and spawned tasks need a `Send` future.
    fn assert_send<T: Send>(_: &T) {}
    let net = DiscoveryNet::system();
    let future = discover("petr@firma.cz", &net);
    assert_send(&future);
}
