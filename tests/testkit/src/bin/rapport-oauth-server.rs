//! Runs the test OAuth2 authorization server (rapport_testkit::oauth) until killed, for
//! tests in other processes (the end-to-end tests). Prints its base URL on the first
//! line of stdout; endpoints: /authorize, /token, /revoke, /introspect, and the test
//! controls POST /test/expire-access-tokens, /test/revoke-user?user=, /test/decision?decision=deny|approve.

use std::io::Write;

use clap::Parser;
use rapport_testkit::oauth::OAuthServer;

#[derive(Parser)]
#[command(about = "A local OAuth2 authorization server for Rapport's tests")]
struct Args {
    /// Port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Lifetime of access tokens in seconds.
    #[arg(long, default_value_t = 3600)]
    access_token_lifetime: u64,
}

fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let server = OAuthServer::start_on(args.port)?;
    server.set_access_token_lifetime(std::time::Duration::from_secs(args.access_token_lifetime));
    let mut out = std::io::stdout();
    writeln!(out, "{}", server.base_url())?;
    out.flush()?;
    loop {
        std::thread::park();
    }
}
