//! Which OAuth2 providers Rapport signs in with, their endpoints and scopes, and where the
//! client ids come from: the build (`RAPPORT_GOOGLE_CLIENT_ID` etc. at compile time), a
//! JSON file (`<data dir>/oauth.json`, or the file `RAPPORT_OAUTH_CONFIG` names), or
//! environment variables at run time; later sources win field by field. No secret is
//! committed: a desktop client's "secret" (Google issues one) is not confidential
//! (RFC 8252 §8.5), but it still comes from the same places as the id.

use std::{
    path::{Path, PathBuf},
    sync::{Arc, RwLock},
};

use serde::{Deserialize, Serialize};

use super::AuthError;

/// How an account logs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthKind {
    Password,
    Google,
    Microsoft,
}

impl AuthKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthKind::Password => "password",
            AuthKind::Google => "google",
            AuthKind::Microsoft => "microsoft",
        }
    }

    pub fn parse(text: &str) -> Option<AuthKind> {
        match text {
            "password" => Some(AuthKind::Password),
            "google" => Some(AuthKind::Google),
            "microsoft" => Some(AuthKind::Microsoft),
            _ => None,
        }
    }

    pub fn provider(self) -> Option<OAuthProvider> {
        match self {
            AuthKind::Password => None,
            AuthKind::Google => Some(OAuthProvider::Google),
            AuthKind::Microsoft => Some(OAuthProvider::Microsoft),
        }
    }
}

/// A provider Rapport can sign in with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OAuthProvider {
    Google,
    Microsoft,
}

impl OAuthProvider {
    pub fn auth_kind(self) -> AuthKind {
        match self {
            OAuthProvider::Google => AuthKind::Google,
            OAuthProvider::Microsoft => AuthKind::Microsoft,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            OAuthProvider::Google => "Google",
            OAuthProvider::Microsoft => "Microsoft",
        }
    }

    fn env_prefix(self) -> &'static str {
        match self {
            OAuthProvider::Google => "RAPPORT_GOOGLE",
            OAuthProvider::Microsoft => "RAPPORT_MICROSOFT",
        }
    }

    fn built_in(self) -> ProviderOverrides {
        match self {
            OAuthProvider::Google => ProviderOverrides {
                client_id: option_env!("RAPPORT_GOOGLE_CLIENT_ID").map(str::to_owned),
                client_secret: option_env!("RAPPORT_GOOGLE_CLIENT_SECRET").map(str::to_owned),
                auth_url: Some("https://accounts.google.com/o/oauth2/v2/auth".into()),
                token_url: Some("https://oauth2.googleapis.com/token".into()),
                revoke_url: Some("https://oauth2.googleapis.com/revoke".into()),
            },
            // "common" takes both personal (outlook.com) and work or school accounts.
            OAuthProvider::Microsoft => ProviderOverrides {
                client_id: option_env!("RAPPORT_MICROSOFT_CLIENT_ID").map(str::to_owned),
                client_secret: option_env!("RAPPORT_MICROSOFT_CLIENT_SECRET").map(str::to_owned),
                auth_url: Some(
                    "https://login.microsoftonline.com/common/oauth2/v2.0/authorize".into(),
                ),
                token_url: Some(
                    "https://login.microsoftonline.com/common/oauth2/v2.0/token".into(),
                ),
                revoke_url: None,
            },
        }
    }

    /// What the access token must allow: full IMAP and SMTP, and a refresh token.
    pub fn scopes(self) -> &'static [&'static str] {
        match self {
            OAuthProvider::Google => &["https://mail.google.com/"],
            OAuthProvider::Microsoft => &[
                "https://outlook.office.com/IMAP.AccessAsUser.All",
                "https://outlook.office.com/SMTP.Send",
                "offline_access",
            ],
        }
    }

    /// Extra authorization parameters. Google hands out a refresh token only with
    /// `access_type=offline`, and on a second sign-in only with `prompt=consent` (the
    /// known "no refresh token on reconnect" failure).
    pub fn extra_auth_params(self) -> &'static [(&'static str, &'static str)] {
        match self {
            OAuthProvider::Google => &[("access_type", "offline"), ("prompt", "consent")],
            OAuthProvider::Microsoft => &[("prompt", "select_account")],
        }
    }
}

/// One provider's settings as a file or the environment may give them (all optional).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProviderOverrides {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub auth_url: Option<String>,
    pub token_url: Option<String>,
    pub revoke_url: Option<String>,
}

impl ProviderOverrides {
    fn over(self, base: ProviderOverrides) -> ProviderOverrides {
        let pick = |a: Option<String>, b: Option<String>| a.filter(|v| !v.trim().is_empty()).or(b);
        ProviderOverrides {
            client_id: pick(self.client_id, base.client_id),
            client_secret: pick(self.client_secret, base.client_secret),
            auth_url: pick(self.auth_url, base.auth_url),
            token_url: pick(self.token_url, base.token_url),
            revoke_url: pick(self.revoke_url, base.revoke_url),
        }
    }

    fn from_env(provider: OAuthProvider) -> ProviderOverrides {
        let var = |suffix: &str| {
            std::env::var(format!("{}_{suffix}", provider.env_prefix()))
                .ok()
                .filter(|v| !v.trim().is_empty())
        };
        ProviderOverrides {
            client_id: var("CLIENT_ID"),
            client_secret: var("CLIENT_SECRET"),
            auth_url: var("AUTH_URL"),
            token_url: var("TOKEN_URL"),
            revoke_url: var("REVOKE_URL"),
        }
    }
}

/// The file's shape: `{"google": {...}, "microsoft": {...}}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    google: Option<ProviderOverrides>,
    #[serde(default)]
    microsoft: Option<ProviderOverrides>,
}

/// A provider ready to use: a client id and the endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderSettings {
    pub provider: OAuthProvider,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub auth_url: String,
    pub token_url: String,
    pub revoke_url: Option<String>,
}

/// The providers' settings as this run of Rapport sees them.
#[derive(Debug, Clone, Default)]
pub struct OAuthConfig {
    google: ProviderOverrides,
    microsoft: ProviderOverrides,
    /// The file the settings came from, for error messages.
    source: Option<PathBuf>,
    /// Why the file could not be used, reported when a provider is needed.
    file_problem: Option<String>,
}

/// The environment variable naming the OAuth configuration file.
pub const CONFIG_ENV: &str = "RAPPORT_OAUTH_CONFIG";
/// The configuration file's name inside the data folder.
pub const CONFIG_FILE: &str = "oauth.json";

impl OAuthConfig {
    /// Built-in settings, then the file (`RAPPORT_OAUTH_CONFIG`, else
    /// `<data_dir>/oauth.json` when it exists), then the environment.
    pub fn load(data_dir: Option<&Path>) -> OAuthConfig {
        let file = std::env::var_os(CONFIG_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                data_dir
                    .map(|d| d.join(CONFIG_FILE))
                    .filter(|path| path.exists())
            });
        let (from_file, file_problem) = match &file {
            Some(path) => match std::fs::read_to_string(path)
                .map_err(|e| e.to_string())
                .and_then(|text| {
                    serde_json::from_str::<ConfigFile>(&text).map_err(|e| e.to_string())
                }) {
                Ok(parsed) => (parsed, None),
                Err(e) => {
                    tracing::warn!(file = %path.display(), error = %e, "the OAuth configuration file is not usable");
                    (ConfigFile::default(), Some(e))
                }
            },
            None => (ConfigFile::default(), None),
        };
        let layer = |provider: OAuthProvider, file: Option<ProviderOverrides>| {
            ProviderOverrides::from_env(provider)
                .over(file.unwrap_or_default().over(provider.built_in()))
        };
        OAuthConfig {
            google: layer(OAuthProvider::Google, from_file.google),
            microsoft: layer(OAuthProvider::Microsoft, from_file.microsoft),
            source: file,
            file_problem,
        }
    }

    /// The settings of `provider`, or why it cannot be used.
    pub fn provider(&self, provider: OAuthProvider) -> Result<ProviderSettings, AuthError> {
        let raw = match provider {
            OAuthProvider::Google => &self.google,
            OAuthProvider::Microsoft => &self.microsoft,
        };
        let not_configured = || AuthError::NotConfigured {
            provider: provider.name(),
            detail: match (&self.file_problem, &self.source) {
                (Some(problem), Some(path)) => format!("{}: {problem}", path.display()),
                _ => format!(
                    "no client id: set {}_CLIENT_ID or add it to {CONFIG_FILE} in the data folder",
                    provider.env_prefix()
                ),
            },
        };
        let client_id = raw.client_id.clone().ok_or_else(not_configured)?;
        let auth_url = raw.auth_url.clone().ok_or_else(not_configured)?;
        let token_url = raw.token_url.clone().ok_or_else(not_configured)?;
        for url in [Some(&auth_url), Some(&token_url), raw.revoke_url.as_ref()]
            .into_iter()
            .flatten()
        {
            check_endpoint(url).map_err(|detail| AuthError::NotConfigured {
                provider: provider.name(),
                detail,
            })?;
        }
        Ok(ProviderSettings {
            provider,
            client_id,
            client_secret: raw.client_secret.clone(),
            auth_url,
            token_url,
            revoke_url: raw.revoke_url.clone(),
        })
    }

    /// Whether `provider` has a client id, so the wizard can offer it.
    pub fn is_configured(&self, provider: OAuthProvider) -> bool {
        self.provider(provider).is_ok()
    }
}

/// Endpoints must be HTTPS; plain HTTP only to this machine (a test or a local proxy),
/// since codes and tokens travel through them.
pub fn check_endpoint(url: &str) -> Result<(), String> {
    let parsed = oauth2::url::Url::parse(url).map_err(|e| format!("{url} is not a URL: {e}"))?;
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if is_loopback_host(parsed.host_str().unwrap_or("")) => Ok(()),
        _ => Err(format!(
            "{url} must be an https:// address (http:// only for 127.0.0.1 or localhost)"
        )),
    }
}

pub(crate) fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

static CONFIG: RwLock<Option<Arc<OAuthConfig>>> = RwLock::new(None);

/// Makes `config` the one this process uses (the app and the CLI call it at start with
/// their data folder; tests with their own authorization server).
pub fn install(config: OAuthConfig) {
    if let Ok(mut slot) = CONFIG.write() {
        *slot = Some(Arc::new(config));
    }
}

/// The installed configuration, or one loaded from the environment alone.
pub fn current() -> Arc<OAuthConfig> {
    if let Some(config) = CONFIG.read().ok().and_then(|slot| slot.clone()) {
        return config;
    }
    let config = Arc::new(OAuthConfig::load(None));
    if let Ok(mut slot) = CONFIG.write() {
        slot.get_or_insert_with(|| config.clone());
    }
    config
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_settings_override_the_built_in_endpoints() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(CONFIG_FILE),
            r#"{"google": {"clientId": "abc.apps.googleusercontent.com", "tokenUrl": "http://127.0.0.1:9/token"}}"#,
        )
        .unwrap();
        let config = OAuthConfig::load(Some(dir.path()));
        let google = config.provider(OAuthProvider::Google).unwrap();
        assert_eq!(google.client_id, "abc.apps.googleusercontent.com");
        assert_eq!(google.token_url, "http://127.0.0.1:9/token");
        assert_eq!(
            google.auth_url,
            "https://accounts.google.com/o/oauth2/v2/auth"
        );
    }

    #[test]
    fn a_missing_client_id_says_where_to_put_one() {
        let config = OAuthConfig::default();
        let e = config.provider(OAuthProvider::Microsoft).unwrap_err();
        assert!(e.to_string().contains("RAPPORT_MICROSOFT_CLIENT_ID"), "{e}");
    }

    #[test]
    fn endpoints_must_be_https_unless_on_this_machine() {
        assert!(check_endpoint("https://login.example.com/token").is_ok());
        assert!(check_endpoint("http://127.0.0.1:8080/token").is_ok());
        assert!(check_endpoint("http://localhost/token").is_ok());
        assert!(check_endpoint("http://login.example.com/token").is_err());
        assert!(check_endpoint("file:///etc/passwd").is_err());
    }

    #[test]
    fn a_broken_file_is_reported_not_ignored() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(CONFIG_FILE), "{ not json").unwrap();
        let config = OAuthConfig::load(Some(dir.path()));
        let e = config.provider(OAuthProvider::Google).unwrap_err();
        assert!(e.to_string().contains(CONFIG_FILE), "{e}");
    }
}
