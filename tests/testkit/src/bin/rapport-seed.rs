//! Fills a Maildir with deterministic, realistic test mail (see rapport_testkit::seed).

use std::path::PathBuf;

use clap::Parser;
use rapport_testkit::seed::{self, SeedSpec};

#[derive(Parser)]
#[command(about = "Fill a Maildir with deterministic, realistic test mail")]
struct Args {
    /// The Maildir root (…/Maildir).
    #[arg(long)]
    maildir: PathBuf,
    /// The mailbox owner's address.
    #[arg(long)]
    owner: String,
    #[arg(long, default_value = "Rapport Tester")]
    owner_name: String,
    #[arg(long)]
    count: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long, default_value_t = 180)]
    span_days: u32,
    #[arg(long, default_value_t = 25)]
    sent_share: u8,
    /// Write the list of generated messages here as JSON.
    #[arg(long)]
    manifest: Option<PathBuf>,
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let spec = SeedSpec {
        owner: args.owner,
        owner_name: args.owner_name,
        count: args.count,
        seed: args.seed,
        newest: seed::now(),
        span_days: args.span_days,
        sent_share_percent: args.sent_share.min(100),
    };
    let started = std::time::Instant::now();
    let manifest = match seed::write_maildir(&args.maildir, &spec) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: writing {}: {e}", args.maildir.display());
            return std::process::ExitCode::FAILURE;
        }
    };
    if let Some(path) = args.manifest {
        let json = serde_json::to_vec_pretty(&manifest).unwrap_or_default();
        if let Err(e) = std::fs::write(&path, json) {
            eprintln!("error: writing {}: {e}", path.display());
            return std::process::ExitCode::FAILURE;
        }
    }
    println!(
        "wrote {} messages to {} in {:.2} s",
        manifest.messages.len(),
        args.maildir.display(),
        started.elapsed().as_secs_f64()
    );
    std::process::ExitCode::SUCCESS
}
