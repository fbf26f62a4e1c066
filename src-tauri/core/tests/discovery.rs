//! Discovery against real sockets on 127.0.0.1: the real HTTP client fetching autoconfig
//! files from a small local web server, the real prober reading greetings from fake
//! IMAP and SMTP servers, and DNS answers injected for the MX and SRV paths. Nothing
//! here leaves the machine.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use async_trait::async_trait;
use rapport_core::{
    discovery::{
        discover, DiscoveryNet, DnsLookup, GreetingProbe, HttpClient, HttpFetch, OAuthProvider,
        PortProbe, Source, SrvRecord,
    },
    net::{Security, ServerSettings},
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};

const DOMAIN: &str = "firma.test";
const ADDRESS: &str = "petr@firma.test";

const AUTOCONFIG_XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="firma.test">
    <domain>firma.test</domain>
    <displayName>Firma Mail</displayName>
    <incomingServer type="pop3">
      <hostname>pop.firma.test</hostname><port>995</port><socketType>SSL</socketType>
      <username>%EMAILADDRESS%</username>
    </incomingServer>
    <incomingServer type="imap">
      <hostname>imap.firma.test</hostname><port>143</port><socketType>STARTTLS</socketType>
      <username>%EMAILLOCALPART%</username>
    </incomingServer>
    <incomingServer type="imap">
      <hostname>imap.firma.test</hostname><port>993</port><socketType>SSL</socketType>
      <username>%EMAILLOCALPART%</username>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.firma.test</hostname><port>587</port><socketType>STARTTLS</socketType>
      <username>%EMAILLOCALPART%</username>
    </outgoingServer>
  </emailProvider>
</clientConfig>"#;

/// A canned HTTP response.
#[derive(Clone)]
enum Page {
    Ok(String),
    Chunked(String),
    Redirect(String),
}

/// A tiny HTTP/1.1 server on loopback. Paths are looked up without the query string;
/// anything unknown is a 404. Records every request line it gets.
struct WebServer {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<String>>>,
}

impl WebServer {
    async fn start(pages: HashMap<String, Page>) -> WebServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let pages = pages.clone();
                let seen = seen.clone();
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&head).into_owned();
                    let target = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
                    seen.lock().unwrap().push(head);
                    let path = target.split('?').next().unwrap_or("/");
                    let response = match pages.get(path) {
                        Some(Page::Ok(body)) => format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\n\
                             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                            body.len()
                        ),
                        Some(Page::Chunked(body)) => {
                            let (a, b) = body.split_at(body.len() / 2);
                            format!(
                                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\
                                 Connection: close\r\n\r\n{:x}\r\n{a}\r\n{:x}\r\n{b}\r\n0\r\n\r\n",
                                a.len(),
                                b.len()
                            )
                        }
                        Some(Page::Redirect(location)) => format!(
                            "HTTP/1.1 302 Found\r\nLocation: {location}\r\n\
                             Content-Length: 0\r\nConnection: close\r\n\r\n"
                        ),
                        None => "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\
                                 Connection: close\r\n\r\nnot found"
                            .to_owned(),
                    };
                    let _ = socket.write_all(response.as_bytes()).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        WebServer { addr, requests }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The real client, with `scheme://host/path` turned into
    /// `http://127.0.0.1:port/scheme/host/path` so one server plays every host.
    fn client(&self) -> HttpClient {
        let base = format!("http://{}", self.addr);
        HttpClient::with_url_rewrite(move |url| {
            if url.starts_with(&base) {
                return url.to_owned();
            }
            match url.split_once("://") {
                Some((scheme, rest)) => format!("{base}/{scheme}/{rest}"),
                None => url.to_owned(),
            }
        })
    }

    fn request_count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

/// A server that sends one greeting line to whoever connects, then hangs up.
async fn greeting_server(greeting: &'static str) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let _ = socket.write_all(greeting.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    port
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[derive(Default)]
struct TableDns {
    mx: HashMap<String, Vec<(u16, String)>>,
    srv: HashMap<String, Vec<SrvRecord>>,
}

#[async_trait]
impl DnsLookup for TableDns {
    async fn mx(&self, domain: &str) -> Vec<(u16, String)> {
        self.mx.get(domain).cloned().unwrap_or_default()
    }

    async fn srv(&self, name: &str) -> Vec<SrvRecord> {
        self.srv.get(name).cloned().unwrap_or_default()
    }
}

/// The real prober, with each (host, port) it is asked about sent to a loopback port
/// instead; pairs not in the table go to a closed port.
struct LoopbackProber {
    ports: HashMap<(String, u16), u16>,
    closed: u16,
    real: GreetingProbe,
}

#[async_trait]
impl PortProbe for LoopbackProber {
    async fn probe(&self, host: &str, port: u16, security: Security) -> bool {
        let local = self
            .ports
            .get(&(host.to_owned(), port))
            .copied()
            .unwrap_or(self.closed);
        self.real.probe("127.0.0.1", local, security).await
    }
}

fn nothing_answers() -> LoopbackProber {
    LoopbackProber {
        ports: HashMap::new(),
        closed: closed_port(),
        real: GreetingProbe::with_timeout(Duration::from_secs(1)),
    }
}

fn net(dns: TableDns, http: HttpClient, prober: LoopbackProber) -> DiscoveryNet {
    DiscoveryNet {
        dns: Arc::new(dns),
        http: Arc::new(http),
        prober: Arc::new(prober),
        deadline: Duration::from_millis(4500),
        step_timeout: Duration::from_secs(3),
    }
}

fn server(host: &str, port: u16, security: Security) -> ServerSettings {
    ServerSettings {
        host: host.into(),
        port,
        security,
    }
}

#[tokio::test]
async fn http_client_fetches_documents_over_loopback() {
    // Over the client's 1 MiB cap.
    let big = "x".repeat(1024 * 1024 + 1);
    let web = WebServer::start(HashMap::from([
        ("/plain.xml".to_owned(), Page::Ok("<a/>".to_owned())),
        (
            "/chunked.xml".to_owned(),
            Page::Chunked("<chunked>yes</chunked>".to_owned()),
        ),
        ("/moved".to_owned(), Page::Redirect("/plain.xml".to_owned())),
        ("/loop".to_owned(), Page::Redirect("/loop".to_owned())),
        ("/big.xml".to_owned(), Page::Ok(big)),
    ]))
    .await;
    let client = HttpClient::new();
    assert_eq!(
        client.get(&web.url("/plain.xml")).await.as_deref(),
        Some("<a/>")
    );
    assert_eq!(
        client.get(&web.url("/chunked.xml")).await.as_deref(),
        Some("<chunked>yes</chunked>")
    );
    assert_eq!(
        client.get(&web.url("/moved")).await.as_deref(),
        Some("<a/>")
    );
    assert_eq!(client.get(&web.url("/missing.xml")).await, None);
    assert_eq!(client.get(&web.url("/loop")).await, None);
    assert_eq!(client.get(&web.url("/big.xml")).await, None);
    assert_eq!(
        client
            .get(&format!("http://127.0.0.1:{}/", closed_port()))
            .await,
        None
    );
    assert_eq!(client.get("ftp://127.0.0.1/x").await, None);

    let requests = web.requests.lock().unwrap().clone();
    let first = &requests[0];
    assert!(first.starts_with("GET /plain.xml HTTP/1.1\r\n"), "{first}");
    assert!(
        first
            .to_ascii_lowercase()
            .contains(&format!("host: {}", web.addr)),
        "{first}"
    );
}

#[tokio::test]
async fn autoconfig_over_https_is_preferred_and_its_best_servers_are_taken() {
    let web = WebServer::start(HashMap::from([
        (
            "/https/autoconfig.firma.test/mail/config-v1.1.xml".to_owned(),
            Page::Ok(AUTOCONFIG_XML.to_owned()),
        ),
        (
            "/http/firma.test/.well-known/autoconfig/mail/config-v1.1.xml".to_owned(),
            Page::Ok(AUTOCONFIG_XML.replace("imap.firma.test", "plain-http.firma.test")),
        ),
    ]))
    .await;
    let s = discover(
        ADDRESS,
        &net(TableDns::default(), web.client(), nothing_answers()),
    )
    .await
    .unwrap();
    assert_eq!(s.source, Source::Autoconfig);
    assert_eq!(s.provider.as_deref(), Some("Firma Mail"));
    assert_eq!(s.imap, server("imap.firma.test", 993, Security::Tls));
    assert_eq!(s.smtp, server("smtp.firma.test", 587, Security::Starttls));
    assert_eq!(s.username, "petr");

    let requests = web.requests.lock().unwrap().clone();
    assert!(
        requests
            .iter()
            .any(|r| r.contains("emailaddress=petr%40firma.test")),
        "{requests:?}"
    );
}

#[tokio::test]
async fn autoconfig_found_only_over_plain_http_is_used() {
    let web = WebServer::start(HashMap::from([
        (
            "/http/autoconfig.firma.test/mail/config-v1.1.xml".to_owned(),
            Page::Redirect("/http/firma.test/mail/moved.xml".to_owned()),
        ),
        (
            "/http/firma.test/mail/moved.xml".to_owned(),
            Page::Chunked(AUTOCONFIG_XML.to_owned()),
        ),
    ]))
    .await;
    let s = discover(
        ADDRESS,
        &net(TableDns::default(), web.client(), nothing_answers()),
    )
    .await
    .unwrap();
    assert_eq!(s.source, Source::Autoconfig);
    assert_eq!(s.imap.host, "imap.firma.test");
    assert!(web.request_count() >= 4);
}

#[tokio::test]
async fn custom_domain_on_google_is_recognised_from_mx() {
    let web = WebServer::start(HashMap::new()).await;
    let dns = TableDns {
        mx: HashMap::from([(
            DOMAIN.to_owned(),
            vec![
                (5, "alt1.aspmx.l.google.com".to_owned()),
                (1, "aspmx.l.google.com".to_owned()),
            ],
        )]),
        ..TableDns::default()
    };
    let s = discover(ADDRESS, &net(dns, web.client(), nothing_answers()))
        .await
        .unwrap();
    assert_eq!(s.source, Source::Mx);
    assert_eq!(s.provider.as_deref(), Some("Google Workspace"));
    assert_eq!(s.imap, server("imap.gmail.com", 993, Security::Tls));
    assert_eq!(s.username, ADDRESS);
    assert_eq!(s.oauth, Some(OAuthProvider::Google));
    assert!(s.help.unwrap().app_password_url.is_some());
    // Every autoconfig location was asked first (and said 404).
    assert_eq!(web.request_count(), 4);
}

#[tokio::test]
async fn custom_domain_on_microsoft_365_is_recognised_from_mx() {
    let web = WebServer::start(HashMap::new()).await;
    let dns = TableDns {
        mx: HashMap::from([(
            DOMAIN.to_owned(),
            vec![(0, "firma-test.mail.protection.outlook.com.".to_owned())],
        )]),
        ..TableDns::default()
    };
    let s = discover(ADDRESS, &net(dns, web.client(), nothing_answers()))
        .await
        .unwrap();
    assert_eq!(s.source, Source::Mx);
    assert_eq!(s.provider.as_deref(), Some("Microsoft 365"));
    assert_eq!(s.oauth, Some(OAuthProvider::Microsoft));
}

#[tokio::test]
async fn srv_records_point_at_the_servers() {
    let web = WebServer::start(HashMap::new()).await;
    let record = |target: &str, priority, port| SrvRecord {
        priority,
        weight: 0,
        port,
        target: target.into(),
    };
    let dns = TableDns {
        srv: HashMap::from([
            (
                "_imaps._tcp.firma.test".to_owned(),
                vec![
                    record("backup.firma.test", 20, 993),
                    record("mx.firma.test", 10, 993),
                ],
            ),
            (
                "_imap._tcp.firma.test".to_owned(),
                vec![record("mx.firma.test", 0, 143)],
            ),
            (
                "_submissions._tcp.firma.test".to_owned(),
                vec![record("", 0, 0)],
            ),
            (
                "_submission._tcp.firma.test".to_owned(),
                vec![record("mx.firma.test", 0, 587)],
            ),
        ]),
        ..TableDns::default()
    };
    let s = discover(ADDRESS, &net(dns, web.client(), nothing_answers()))
        .await
        .unwrap();
    assert_eq!(s.source, Source::Srv);
    assert_eq!(s.imap, server("mx.firma.test", 993, Security::Tls));
    assert_eq!(s.smtp, server("mx.firma.test", 587, Security::Starttls));
    assert_eq!(s.username, ADDRESS);
}

#[tokio::test]
async fn greeting_probe_tells_mail_servers_from_others() {
    let imap = greeting_server("* OK IMAP ready\r\n").await;
    let smtp = greeting_server("220 mx.firma.test ESMTP ready\r\n").await;
    let bye = greeting_server("* BYE go away\r\n").await;
    let web = WebServer::start(HashMap::new()).await;
    let probe = GreetingProbe::with_timeout(Duration::from_millis(500));

    assert!(probe.probe("127.0.0.1", imap, Security::Starttls).await);
    assert!(probe.probe("127.0.0.1", smtp, Security::Starttls).await);
    assert!(!probe.probe("127.0.0.1", bye, Security::Starttls).await);
    // A web server waits for a request and never greets.
    assert!(
        !probe
            .probe("127.0.0.1", web.addr.port(), Security::Starttls)
            .await
    );
    assert!(
        !probe
            .probe("127.0.0.1", closed_port(), Security::Starttls)
            .await
    );
    // Implicit TLS needs a handshake; a plain-text greeting is not one.
    assert!(!probe.probe("127.0.0.1", imap, Security::Tls).await);
}

#[tokio::test]
async fn probing_finds_servers_that_greet() {
    let web = WebServer::start(HashMap::new()).await;
    let imap = greeting_server("* OK IMAP ready\r\n").await;
    let smtp = greeting_server("220 mail.firma.test ESMTP\r\n").await;
    let prober = LoopbackProber {
        ports: HashMap::from([
            (("imap.firma.test".to_owned(), 143), imap),
            (("mail.firma.test".to_owned(), 587), smtp),
        ]),
        closed: closed_port(),
        real: GreetingProbe::with_timeout(Duration::from_secs(1)),
    };
    let s = discover(ADDRESS, &net(TableDns::default(), web.client(), prober))
        .await
        .unwrap();
    assert_eq!(s.source, Source::Probe);
    assert_eq!(s.imap, server("imap.firma.test", 143, Security::Starttls));
    assert_eq!(s.smtp, server("mail.firma.test", 587, Security::Starttls));
}

#[tokio::test]
async fn nothing_found_gives_the_conventional_guess() {
    let web = WebServer::start(HashMap::new()).await;
    let s = discover(
        ADDRESS,
        &net(TableDns::default(), web.client(), nothing_answers()),
    )
    .await
    .unwrap();
    assert_eq!(s.source, Source::Guess);
    assert_eq!(s.imap, server("imap.firma.test", 993, Security::Tls));
    assert_eq!(s.smtp, server("smtp.firma.test", 465, Security::Tls));
}
