//! MX and SRV lookups. The system resolver (getaddrinfo) only answers A/AAAA, so these
//! go through hickory with the nameservers from /etc/resolv.conf and short timeouts.

use std::time::Duration;

use async_trait::async_trait;
use hickory_resolver::{name_server::TokioConnectionProvider, TokioResolver};

/// One SRV record (RFC 2782).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrvRecord {
    pub priority: u16,
    pub weight: u16,
    pub port: u16,
    /// Host name without the trailing dot; `"."` in DNS (service not offered) is `""`.
    pub target: String,
}

/// DNS questions discovery asks. Errors and empty answers are both an empty list:
/// discovery only cares whether there is something to use.
#[async_trait]
pub trait DnsLookup: Send + Sync {
    /// `(preference, exchange host)` pairs, in no particular order.
    async fn mx(&self, domain: &str) -> Vec<(u16, String)>;
    /// The records of a full SRV name such as `_imaps._tcp.example.com`.
    async fn srv(&self, name: &str) -> Vec<SrvRecord>;
}

/// Per-query timeout; discovery as a whole has a deadline of a few seconds.
const QUERY_TIMEOUT: Duration = Duration::from_secs(2);

/// The machine's DNS servers, queried with hickory.
pub struct SystemDns {
    resolver: Option<TokioResolver>,
}

impl SystemDns {
    /// Reads the system's resolver configuration. If it cannot be read, lookups answer
    /// nothing and discovery falls back to probing and guessing.
    pub fn new() -> SystemDns {
        let resolver = match TokioResolver::builder(TokioConnectionProvider::default()) {
            Ok(mut builder) => {
                let options = builder.options_mut();
                options.timeout = QUERY_TIMEOUT;
                options.attempts = 1;
                Some(builder.build())
            }
            Err(e) => {
                tracing::warn!("no DNS configuration, MX and SRV discovery is off: {e}");
                None
            }
        };
        SystemDns { resolver }
    }
}

impl Default for SystemDns {
    fn default() -> Self {
        SystemDns::new()
    }
}

/// A trailing dot makes the name absolute, so the resolver's search list is not tried.
fn absolute(name: &str) -> String {
    let name = name.trim().trim_end_matches('.');
    format!("{name}.")
}

fn host_name(name: &hickory_resolver::Name) -> String {
    name.to_ascii().trim_end_matches('.').to_ascii_lowercase()
}

#[async_trait]
impl DnsLookup for SystemDns {
    async fn mx(&self, domain: &str) -> Vec<(u16, String)> {
        let Some(resolver) = &self.resolver else {
            return Vec::new();
        };
        match resolver.mx_lookup(absolute(domain)).await {
            Ok(found) => found
                .iter()
                .map(|mx| (mx.preference(), host_name(mx.exchange())))
                .collect(),
            Err(e) => {
                tracing::debug!(domain, "MX lookup: {e}");
                Vec::new()
            }
        }
    }

    async fn srv(&self, name: &str) -> Vec<SrvRecord> {
        let Some(resolver) = &self.resolver else {
            return Vec::new();
        };
        match resolver.srv_lookup(absolute(name)).await {
            Ok(found) => found
                .iter()
                .map(|srv| SrvRecord {
                    priority: srv.priority(),
                    weight: srv.weight(),
                    port: srv.port(),
                    target: host_name(srv.target()),
                })
                .collect(),
            Err(e) => {
                tracing::debug!(name, "SRV lookup: {e}");
                Vec::new()
            }
        }
    }
}

/// The SRV record to use: lowest priority, then highest weight (we connect to one
/// server, so weights only break ties). `None` when the only answer is `"."`.
pub fn best_srv(mut records: Vec<SrvRecord>) -> Option<SrvRecord> {
    records.sort_by_key(|r| (r.priority, std::cmp::Reverse(r.weight)));
    records
        .into_iter()
        .find(|r| !r.target.is_empty() && r.port != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(priority: u16, weight: u16, target: &str) -> SrvRecord {
        SrvRecord {
            priority,
            weight,
            port: 993,
            target: target.into(),
        }
    }

    #[test]
    fn best_srv_prefers_low_priority_then_high_weight() {
        let best = best_srv(vec![
            record(20, 100, "backup.example.com"),
            record(10, 5, "light.example.com"),
            record(10, 50, "heavy.example.com"),
        ]);
        assert_eq!(best.unwrap().target, "heavy.example.com");
    }

    #[test]
    fn dot_target_means_no_service() {
        assert!(best_srv(vec![record(0, 0, "")]).is_none());
        assert!(best_srv(Vec::new()).is_none());
    }

    #[test]
    fn names_are_made_absolute() {
        assert_eq!(absolute("example.com"), "example.com.");
        assert_eq!(
            absolute("_imaps._tcp.example.com."),
            "_imaps._tcp.example.com."
        );
    }
}
