//! The two SASL mechanisms that carry an OAuth2 access token: Google's XOAUTH2 (what
//! Gmail and Outlook both take) and the standard OAUTHBEARER (RFC 7628).

/// Which mechanism to log in with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenMechanism {
    XOAuth2,
    OAuthBearer,
}

impl TokenMechanism {
    pub fn name(self) -> &'static str {
        match self {
            TokenMechanism::XOAuth2 => "XOAUTH2",
            TokenMechanism::OAuthBearer => "OAUTHBEARER",
        }
    }
}

/// The XOAUTH2 initial response (before base64).
pub fn xoauth2(user: &str, access_token: &str) -> String {
    format!("user={user}\x01auth=Bearer {access_token}\x01\x01")
}

/// The OAUTHBEARER initial response (RFC 7628 §3.1), with the GS2 header's authzid
/// escaped as RFC 5801 asks (`,` and `=`).
pub fn oauthbearer(user: &str, host: &str, port: u16, access_token: &str) -> String {
    let authzid = user.replace('=', "=3D").replace(',', "=2C");
    format!("n,a={authzid},\x01host={host}\x01port={port}\x01auth=Bearer {access_token}\x01\x01")
}

/// Answers IMAP AUTHENTICATE: the token first; after a failure the server sends a JSON
/// error as a challenge, which must be answered with an empty line to get the final NO
/// (RFC 7628 §3.2.3; Gmail does the same for XOAUTH2).
pub struct TokenAuthenticator {
    initial: Option<String>,
}

impl TokenAuthenticator {
    pub fn new(initial_response: String) -> TokenAuthenticator {
        TokenAuthenticator {
            initial: Some(initial_response),
        }
    }
}

impl async_imap::Authenticator for TokenAuthenticator {
    type Response = Vec<u8>;

    fn process(&mut self, challenge: &[u8]) -> Vec<u8> {
        match self.initial.take() {
            Some(response) => response.into_bytes(),
            None => {
                tracing::debug!(
                    challenge = %String::from_utf8_lossy(challenge),
                    "the server refused the access token"
                );
                Vec::new()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_imap::Authenticator;

    #[test]
    fn initial_responses_follow_the_specs() {
        assert_eq!(
            xoauth2("a@b.c", "tok"),
            "user=a@b.c\u{1}auth=Bearer tok\u{1}\u{1}"
        );
        assert_eq!(
            oauthbearer("a,b=c@d.e", "imap.d.e", 993, "tok"),
            "n,a=a=2Cb=3Dc@d.e,\u{1}host=imap.d.e\u{1}port=993\u{1}auth=Bearer tok\u{1}\u{1}"
        );
    }

    #[test]
    fn a_refusal_is_answered_with_an_empty_response() {
        let mut auth = TokenAuthenticator::new("first".into());
        assert_eq!(auth.process(b""), b"first".to_vec());
        assert_eq!(auth.process(br#"{"status":"401"}"#), Vec::<u8>::new());
    }
}
