//! Guessing a mailbox's servers from its address.
//!
//! Sources, most trusted first: built-in provider presets, the domain's autoconfig
//! file, its MX records mapped back to a known provider, RFC 6186 SRV records, probing
//! the usual host names and ports, and finally the conventional `imap.`/`smtp.` guess.
//! A preset answers at once; the network steps run side by side, each with its own
//! timeout, and [`discover`] answers within [`DiscoveryNet::deadline`] with the best it
//! has by then.

mod autoconfig;
mod dns;
mod http;
mod presets;
mod probe;

use std::{future::Future, pin::Pin, sync::Arc, time::Duration};

use futures::{stream::FuturesUnordered, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::{
    crm::{domain_of, normalize_address},
    net::{Security, ServerSettings},
};

pub use self::{
    dns::{DnsLookup, SrvRecord, SystemDns},
    http::{HttpClient, HttpFetch},
    presets::{
        preset_for_domain, preset_for_imap_host, preset_for_mx, ProviderPreset, ServerPreset,
        UsernameForm, PRESETS,
    },
    probe::{GreetingProbe, PortProbe},
};

/// Where a suggestion came from, so the UI can say how sure it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Preset,
    Autoconfig,
    Mx,
    Srv,
    Probe,
    Guess,
}

/// Providers the user can sign in with through their own login page.
pub use crate::auth::OAuthProvider;

/// What the user must do at the provider before a mail app may sign in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderHelp {
    pub app_password_url: Option<String>,
    pub enable_imap_url: Option<String>,
    /// One or two English sentences: what to turn on or create, and where.
    pub text: String,
}

/// The servers to propose for an address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiscoveredSettings {
    /// "Gmail", "Microsoft 365", "Seznam.cz"; `None` for an unknown provider.
    pub provider: Option<String>,
    /// Where the IMAP settings came from.
    pub source: Source,
    pub imap: ServerSettings,
    pub smtp: ServerSettings,
    /// The login name in the provider's form (full address or the part before the @).
    pub username: String,
    pub oauth: Option<OAuthProvider>,
    pub help: Option<ProviderHelp>,
}

/// The network as discovery sees it; each part can be replaced in tests.
#[derive(Clone)]
pub struct DiscoveryNet {
    pub dns: Arc<dyn DnsLookup>,
    pub http: Arc<dyn HttpFetch>,
    pub prober: Arc<dyn PortProbe>,
    /// [`discover`] answers by then, whatever is still running.
    pub deadline: Duration,
    /// How long one step (an autoconfig fetch, a DNS query, a probe) may take.
    pub step_timeout: Duration,
}

/// Leaves the wizard, which must show something within 5 s, room to draw it.
pub const DEFAULT_DEADLINE: Duration = Duration::from_millis(4500);
pub const DEFAULT_STEP_TIMEOUT: Duration = Duration::from_secs(3);

impl DiscoveryNet {
    /// Real DNS (the system's nameservers), real HTTP(S) and real TCP probing.
    pub fn system() -> DiscoveryNet {
        DiscoveryNet {
            dns: Arc::new(SystemDns::new()),
            http: Arc::new(HttpClient::new()),
            prober: Arc::new(GreetingProbe::new()),
            deadline: DEFAULT_DEADLINE,
            step_timeout: DEFAULT_STEP_TIMEOUT,
        }
    }
}

impl std::fmt::Debug for DiscoveryNet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DiscoveryNet")
            .field("deadline", &self.deadline)
            .field("step_timeout", &self.step_timeout)
            .finish_non_exhaustive()
    }
}

/// What one source found; either server may be missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Finding {
    pub source: Source,
    pub provider: Option<String>,
    pub imap: Option<ServerSettings>,
    pub smtp: Option<ServerSettings>,
    pub username: Option<String>,
    pub oauth: Option<OAuthProvider>,
    pub help: Option<ProviderHelp>,
}

impl Finding {
    fn from_preset(preset: &ProviderPreset, address: &str, source: Source) -> Finding {
        Finding {
            source,
            provider: Some(preset.name.to_owned()),
            imap: Some(preset.imap.settings()),
            smtp: Some(preset.smtp.settings()),
            username: Some(preset.username.apply(address)),
            oauth: preset.oauth,
            help: Some(help_of(preset)),
        }
    }

    fn guess(domain: &str) -> Finding {
        Finding {
            source: Source::Guess,
            provider: None,
            imap: Some(guessed_imap(domain)),
            smtp: Some(guessed_smtp(domain)),
            username: None,
            oauth: None,
            help: None,
        }
    }
}

/// The conventional names, on the implicit-TLS ports (RFC 8314).
fn guessed_imap(domain: &str) -> ServerSettings {
    ServerSettings {
        host: format!("imap.{domain}"),
        port: 993,
        security: Security::Tls,
    }
}

fn guessed_smtp(domain: &str) -> ServerSettings {
    ServerSettings {
        host: format!("smtp.{domain}"),
        port: 465,
        security: Security::Tls,
    }
}

fn help_of(preset: &ProviderPreset) -> ProviderHelp {
    ProviderHelp {
        app_password_url: preset.app_password_url.map(str::to_owned),
        enable_imap_url: preset.enable_imap_url.map(str::to_owned),
        text: preset.help.to_owned(),
    }
}

/// Proposes servers for `address` without touching the network: a preset, or the
/// conventional names. `None` if it is not an email address.
pub fn suggest(address: &str) -> Option<DiscoveredSettings> {
    let address = normalize_address(address)?;
    let domain = domain_of(&address);
    let finding = match preset_for_domain(domain) {
        Some(preset) => Finding::from_preset(preset, &address, Source::Preset),
        None => Finding::guess(domain),
    };
    Some(merge(&address, domain, [finding]))
}

/// Finds the servers for `address`, using the network when no preset knows the domain.
/// Always answers within `net.deadline`; `None` only if `address` is not an address.
pub async fn discover(address: &str, net: &DiscoveryNet) -> Option<DiscoveredSettings> {
    let address = normalize_address(address)?;
    let domain = domain_of(&address).to_owned();
    if let Some(preset) = preset_for_domain(&domain) {
        return Some(merge(
            &address,
            &domain,
            [Finding::from_preset(preset, &address, Source::Preset)],
        ));
    }

    let deadline = Instant::now() + net.deadline;
    let steps: Vec<Step<'_, Finding>> = vec![
        Box::pin(autoconfig_step(&address, &domain, net)),
        Box::pin(mx_step(&address, &domain, net)),
        Box::pin(srv_step(&domain, net)),
        Box::pin(probe_step(&domain, net)),
    ];
    let slots = gather(steps, Some(deadline), |slots| {
        settled(slots, |f| f.imap.is_some()) && settled(slots, |f| f.smtp.is_some())
    })
    .await;
    let findings = slots.into_iter().flatten().flatten();
    Some(merge(&address, &domain, findings))
}

type Step<'a, T> = Pin<Box<dyn Future<Output = Option<T>> + Send + 'a>>;

/// What the step at each index produced: `None` while it runs, `Some(None)` when it
/// found nothing.
type Slots<T> = Vec<Option<Option<T>>>;

/// Runs `steps` side by side and records what each found, until `done` says the
/// results in hand can no longer improve, every step has finished, or `deadline`.
async fn gather<'a, T>(
    steps: Vec<Step<'a, T>>,
    deadline: Option<Instant>,
    done: impl Fn(&Slots<T>) -> bool,
) -> Slots<T> {
    let mut slots: Slots<T> = steps.iter().map(|_| None).collect();
    let mut running: FuturesUnordered<_> = steps
        .into_iter()
        .enumerate()
        .map(|(index, step)| async move { (index, step.await) })
        .collect();
    let expiry = async {
        match deadline {
            Some(at) => tokio::time::sleep_until(at).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(expiry);
    while !done(&slots) {
        tokio::select! {
            next = running.next() => match next {
                Some((index, found)) => slots[index] = Some(found),
                None => break,
            },
            () = &mut expiry => break,
        }
    }
    slots
}

/// True once the best possible answer for one aspect is known: the first step (in
/// preference order) that has it has finished, and every step before it finished
/// without it. Steps after it cannot change the answer, so nobody waits for them.
fn settled<T>(slots: &Slots<T>, has: impl Fn(&T) -> bool) -> bool {
    for slot in slots {
        match slot {
            None => return false,
            Some(Some(found)) if has(found) => return true,
            Some(_) => {}
        }
    }
    true
}

/// The first step, in preference order, that found something.
async fn first_found<T>(steps: Vec<Step<'_, T>>) -> Option<T> {
    gather(steps, None, |slots| settled(slots, |_| true))
        .await
        .into_iter()
        .flatten()
        .flatten()
        .next()
}

/// `step` with the per-step timeout; a step that runs out found nothing.
fn timed<'a, T: Send + 'a>(
    limit: Duration,
    step: impl Future<Output = Option<T>> + Send + 'a,
) -> Step<'a, T> {
    Box::pin(async move { tokio::time::timeout(limit, step).await.ok().flatten() })
}

async fn autoconfig_step(address: &str, domain: &str, net: &DiscoveryNet) -> Option<Finding> {
    let http = net.http.as_ref();
    let steps = autoconfig::autoconfig_urls(address, domain)
        .into_iter()
        .map(|url| {
            timed(net.step_timeout, async move {
                autoconfig::fetch(http, &url, address).await
            })
        })
        .collect();
    first_found(steps).await
}

async fn mx_step(address: &str, domain: &str, net: &DiscoveryNet) -> Option<Finding> {
    let mut records = tokio::time::timeout(net.step_timeout, net.dns.mx(domain))
        .await
        .unwrap_or_default();
    records.sort_by_key(|(preference, _)| *preference);
    let preset = records.iter().find_map(|(_, host)| preset_for_mx(host))?;
    tracing::debug!(
        domain,
        provider = preset.name,
        "recognised the provider from MX"
    );
    Some(Finding::from_preset(preset, address, Source::Mx))
}

/// RFC 6186 (and RFC 8314 for `_submissions`): implicit TLS first.
async fn srv_step(domain: &str, net: &DiscoveryNet) -> Option<Finding> {
    let lookup = |service: &'static str, security: Security| {
        let name = format!("{service}._tcp.{domain}");
        timed(net.step_timeout, async move {
            dns::best_srv(net.dns.srv(&name).await).map(|record| ServerSettings {
                host: record.target,
                port: record.port,
                security,
            })
        })
    };
    let (imap, smtp) = tokio::join!(
        first_found(vec![
            lookup("_imaps", Security::Tls),
            lookup("_imap", Security::Starttls),
        ]),
        first_found(vec![
            lookup("_submissions", Security::Tls),
            lookup("_submission", Security::Starttls),
        ]),
    );
    if imap.is_none() && smtp.is_none() {
        return None;
    }
    Some(Finding {
        source: Source::Srv,
        provider: None,
        imap,
        smtp,
        username: None,
        oauth: None,
        help: None,
    })
}

async fn probe_step(domain: &str, net: &DiscoveryNet) -> Option<Finding> {
    let prober = net.prober.as_ref();
    let candidates = |names: [&str; 2], ports: [(u16, Security); 2]| {
        let mut steps = Vec::new();
        for (port, security) in ports {
            for name in names {
                let host = format!("{name}.{domain}");
                steps.push(timed(net.step_timeout, async move {
                    let answered = prober.probe(&host, port, security).await;
                    answered.then_some(ServerSettings {
                        host,
                        port,
                        security,
                    })
                }));
            }
        }
        steps
    };
    let (imap, smtp) = tokio::join!(
        first_found(candidates(
            ["imap", "mail"],
            [(993, Security::Tls), (143, Security::Starttls)],
        )),
        first_found(candidates(
            ["smtp", "mail"],
            [(465, Security::Tls), (587, Security::Starttls)],
        )),
    );
    if imap.is_none() && smtp.is_none() {
        return None;
    }
    Some(Finding {
        source: Source::Probe,
        provider: None,
        imap,
        smtp,
        username: None,
        oauth: None,
        help: None,
    })
}

/// Combines findings given in preference order: IMAP and SMTP each from the first
/// finding that has one, the conventional guess for whatever is still missing. Provider,
/// username, sign-in and help come with the IMAP server; a known provider's IMAP host
/// (say a custom domain whose autoconfig points at `imap.gmail.com`) brings its sign-in
/// and help along.
fn merge(
    address: &str,
    domain: &str,
    findings: impl IntoIterator<Item = Finding>,
) -> DiscoveredSettings {
    let findings: Vec<Finding> = findings.into_iter().collect();
    let smtp = findings
        .iter()
        .find_map(|f| f.smtp.clone())
        .unwrap_or_else(|| guessed_smtp(domain));
    let mut primary = findings
        .into_iter()
        .find(|f| f.imap.is_some())
        .unwrap_or_else(|| Finding::guess(domain));
    let imap = primary.imap.take().unwrap_or_else(|| guessed_imap(domain));
    if primary.source != Source::Guess {
        if let Some(known) = preset_for_imap_host(&imap.host) {
            primary.oauth = primary.oauth.or(known.oauth);
            primary.help = primary.help.or_else(|| Some(help_of(known)));
            primary.provider = primary.provider.or_else(|| Some(known.name.to_owned()));
            if primary.username.is_none() {
                primary.username = Some(known.username.apply(address));
            }
        }
    }
    DiscoveredSettings {
        provider: primary.provider,
        source: primary.source,
        imap,
        smtp,
        username: primary.username.unwrap_or_else(|| address.to_owned()),
        oauth: primary.oauth,
        help: primary.help,
    }
}

#[cfg(test)]
mod tests;
