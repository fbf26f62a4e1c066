//! TLS for IMAP and SMTP: rustls with the web PKI roots, plus what a user trusted
//! explicitly for one account (a CA in PEM, or one server certificate pinned by its
//! SHA-256 fingerprint). Certificate checks are never switched off.

use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};
use tokio_rustls::rustls::{
    self,
    client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier},
    client::WebPkiServerVerifier,
    pki_types::{pem::PemObject, CertificateDer, ServerName, UnixTime},
    ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

/// What an account trusts beyond the public web PKI.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustSettings {
    /// Extra certificate authorities, PEM encoded (e.g. a company's private CA).
    pub extra_ca_pem: Option<String>,
    /// Hex SHA-256 fingerprints of server certificates the user chose to trust,
    /// separated by commas or spaces (IMAP and SMTP may present different ones).
    pub pinned_sha256: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("the CA certificate file holds no PEM certificate")]
    NoCertificateInPem,
    #[error("the CA certificate could not be read: {0}")]
    BadCertificate(String),
    #[error("the pinned fingerprint is not a SHA-256 fingerprint in hex")]
    BadFingerprint,
}

/// The certificate a server presented in the last handshake, so a refusal can show
/// the user what exactly they would be trusting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentedCertificate {
    pub sha256: String,
    pub der: Vec<u8>,
}

/// What a person needs to decide whether to trust a certificate.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateInfo {
    pub host: String,
    pub subject: String,
    pub issuer: String,
    /// RFC 3339.
    pub not_after: String,
    /// Lower-case hex SHA-256 of the DER certificate: what gets pinned.
    pub sha256: String,
}

impl PresentedCertificate {
    pub fn info(&self, host: &str) -> CertificateInfo {
        let (subject, issuer, not_after) = match x509_parser::parse_x509_certificate(&self.der) {
            Ok((_, cert)) => (
                cert.subject().to_string(),
                cert.issuer().to_string(),
                crate::account::rfc3339(cert.validity().not_after.timestamp()).unwrap_or_default(),
            ),
            Err(_) => (String::new(), String::new(), String::new()),
        };
        CertificateInfo {
            host: host.to_owned(),
            subject,
            issuer,
            not_after,
            sha256: self.sha256.clone(),
        }
    }
}

/// A rustls client configuration for one account, and the slot where the verifier
/// records what the server presented.
pub struct AccountTls {
    pub config: Arc<ClientConfig>,
    pub presented: Arc<Mutex<Option<PresentedCertificate>>>,
}

/// Hex SHA-256 of a DER certificate, lower case without separators.
pub fn fingerprint(der: &[u8]) -> String {
    hex::encode(Sha256::digest(der))
}

/// Parses a list of pinned fingerprints (comma or whitespace separated).
pub fn parse_pins(text: &str) -> Result<Vec<[u8; 32]>, TlsError> {
    text.split([',', ' ', '\n', ';'])
        .filter(|p| !p.trim().is_empty())
        .map(parse_fingerprint)
        .collect()
}

fn parse_fingerprint(text: &str) -> Result<[u8; 32], TlsError> {
    let cleaned: String = text.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    let bytes = hex::decode(cleaned).map_err(|_| TlsError::BadFingerprint)?;
    bytes.try_into().map_err(|_| TlsError::BadFingerprint)
}

/// Checks that `pem` holds at least one certificate; used before saving a CA file.
pub fn validate_ca_pem(pem: &str) -> Result<usize, TlsError> {
    let mut count = 0;
    for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
        cert.map_err(|e| TlsError::BadCertificate(e.to_string()))?;
        count += 1;
    }
    if count == 0 {
        return Err(TlsError::NoCertificateInPem);
    }
    Ok(count)
}

pub fn client_config(trust: &TrustSettings) -> Result<AccountTls, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(pem) = &trust.extra_ca_pem {
        validate_ca_pem(pem)?;
        for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            let cert = cert.map_err(|e| TlsError::BadCertificate(e.to_string()))?;
            roots
                .add(cert)
                .map_err(|e| TlsError::BadCertificate(e.to_string()))?;
        }
    }
    let pinned = trust
        .pinned_sha256
        .as_deref()
        .map(parse_pins)
        .transpose()?
        .unwrap_or_default();
    let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| TlsError::BadCertificate(e.to_string()))?;
    let presented = Arc::new(Mutex::new(None));
    let verifier = RecordingVerifier {
        inner,
        pinned,
        presented: presented.clone(),
    };
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::BadCertificate(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(AccountTls {
        config: Arc::new(config),
        presented,
    })
}

/// Web PKI verification, except that a certificate whose fingerprint the user pinned is
/// accepted as is (that is what "trust this certificate" means). Records the presented
/// certificate either way.
#[derive(Debug)]
struct RecordingVerifier {
    inner: Arc<WebPkiServerVerifier>,
    pinned: Vec<[u8; 32]>,
    presented: Arc<Mutex<Option<PresentedCertificate>>>,
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let digest: [u8; 32] = Sha256::digest(end_entity.as_ref()).into();
        if let Ok(mut slot) = self.presented.lock() {
            *slot = Some(PresentedCertificate {
                sha256: hex::encode(digest),
                der: end_entity.as_ref().to_vec(),
            });
        }
        if self.pinned.contains(&digest) {
            return Ok(ServerCertVerified::assertion());
        }
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_accepts_colons_and_case() {
        let fp = "AB:".repeat(31) + "AB";
        assert_eq!(parse_fingerprint(&fp).unwrap(), [0xab; 32]);
        assert!(parse_fingerprint("abcd").is_err());
        let two = format!("{}, {}", "ab".repeat(32), "cd".repeat(32));
        assert_eq!(parse_pins(&two).unwrap(), vec![[0xab; 32], [0xcd; 32]]);
    }

    #[test]
    fn ca_pem_without_certificate_is_refused() {
        assert!(matches!(
            validate_ca_pem("not a pem"),
            Err(TlsError::NoCertificateInPem)
        ));
    }
}
