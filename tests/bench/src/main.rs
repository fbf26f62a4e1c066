//! `rapport-bench` (`make bench`): Rapport's sync against the harness Dovecot over TLS,
//! next to a minimal raw IMAP FETCH of the same mailbox in the same run, and timeline,
//! company page and search latency on a generated 1,000,000-message store. Prints a
//! table with each target's PASS/MISSED and writes everything to
//! `tests/bench/results/latest.json`.
//!
//! Run it inside a Secret Service session (`tests/bench/run.sh` does):
//! `tests/harness/with-keyring.sh target/release/rapport-bench [--sizes 10000,100000]`;
//! `--store-only` runs just the generated store (no mail server needed).
//! A missed target is a result, not an error: the exit code is 0 unless a step failed.

mod followups_store;
mod mail_text;
mod mailbox;
mod mbsync;
mod search_store;
mod timeline_store;
mod util;

use std::{
    path::{Path, PathBuf},
    process::{Command, ExitCode},
    time::Instant,
};

use anyhow::{bail, Context, Result};
use clap::Parser;
use rapport_testkit::{seed, MailServer};
use serde::Serialize;
use serde_json::Value;

use util::{median, ms, percentile, run_measured, Measured};

const OWNER: &str = "bench@rapport.test";
const PASSWORD: &str = "bench-password";
const MB: f64 = 1e6;

/// Targets from issue 4 (and our own for the timeline).
const TARGET_SYNC_RATIO: f64 = 0.5;
/// The goal: faster than mbsync on the same server.
const TARGET_MBSYNC_RATIO: f64 = 1.0;
const TARGET_RSS_MB: f64 = 300.0;
const TARGET_RSS_AT: usize = 100_000;
const TARGET_RESYNC_MS: f64 = 200.0;
const TARGET_TIMELINE_P95_MS: f64 = 50.0;
/// Issue 5: a contact's and a company's first page on the generated store.
const TARGET_CRM_PAGE_P95_MS: f64 = 20.0;
/// Issue 6: search on the generated store.
const TARGET_SEARCH_P95_MS: f64 = 100.0;
/// Issue 10: the four follow-up lists together on the generated store.
const TARGET_FOLLOWUPS_P95_MS: f64 = 50.0;

#[derive(Parser)]
#[command(
    name = "rapport-bench",
    about = "Rapport sync and timeline benchmark (make bench)"
)]
struct Args {
    /// Mailbox sizes (messages in total over the 10 synced folders).
    #[arg(
        long,
        env = "BENCH_SIZES",
        value_delimiter = ',',
        default_value = "10000,100000"
    )]
    sizes: Vec<usize>,
    /// Messages in each of the 8 folders beside INBOX and Sent.
    #[arg(long, env = "BENCH_EXTRA_PER_FOLDER", default_value_t = 100)]
    extra_per_folder: usize,
    /// Messages in the generated store for timeline latency (0 skips it).
    #[arg(long, env = "BENCH_TIMELINE_MESSAGES", default_value_t = 1_000_000)]
    timeline_messages: usize,
    /// Contacts in the generated store.
    #[arg(long, env = "BENCH_TIMELINE_CONTACTS", default_value_t = 20_000)]
    timeline_contacts: usize,
    /// Companies the generated store's contacts work for (a Zipf law of sizes).
    #[arg(long, env = "BENCH_TIMELINE_COMPANIES", default_value_t = 3_000)]
    timeline_companies: usize,
    /// Keep the generated store in this folder and reuse it on the next run with the
    /// same sizes (generating it takes minutes).
    #[arg(long, env = "BENCH_STORE_DIR")]
    store_dir: Option<PathBuf>,
    /// Only the generated store (timeline, company and search latency): no mail server,
    /// no sync.
    #[arg(long, env = "BENCH_STORE_ONLY")]
    store_only: bool,
    /// Timeline queries (random contacts) measured on the generated store.
    #[arg(long, default_value_t = 200)]
    timeline_queries: usize,
    /// Timeline runs for the busiest correspondent of each synced mailbox.
    #[arg(long, default_value_t = 50)]
    timeline_runs: usize,
    /// No-change resyncs per size (each as a CLI process and in-process).
    #[arg(long, default_value_t = 5)]
    resync_runs: usize,
    /// rapport-cli to benchmark (default: next to this binary).
    #[arg(long)]
    cli: Option<PathBuf>,
    /// rapport-rawfetch (default: next to this binary).
    #[arg(long)]
    rawfetch: Option<PathBuf>,
    /// Where to write the JSON results.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/results/latest.json"))]
    output: PathBuf,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RawResult {
    messages: u64,
    bytes: u64,
    /// Connect to LOGOUT, as rapport-rawfetch measured it.
    seconds: f64,
    fetch_seconds: f64,
    /// The rapport-rawfetch process, spawn to exit.
    process_seconds: f64,
    messages_per_sec: f64,
    mb_per_sec: f64,
    peak_rss_mb: f64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SyncResult {
    /// The `rapport-cli sync --once` process, spawn to exit.
    seconds: f64,
    new_messages: u64,
    message_count: u64,
    failed_folders: Value,
    messages_per_sec: f64,
    /// rawfetch's byte total (the same messages) over the sync's wall time.
    mb_per_sec: f64,
    peak_rss_mb: f64,
    user_cpu_seconds: f64,
    sys_cpu_seconds: f64,
    /// Sync messages/s over raw FETCH messages/s.
    ratio_to_raw: f64,
    /// Busy time of each pipeline stage over all folders, from the sync's log.
    stages: StageTimes,
}

/// Seconds each stage of the fetch pipeline was busy, summed over the folders (the
/// stages overlap, so they add up to more than `pipeline`). The writer being busy for
/// nearly all of `pipeline` means the database is the limit.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct StageTimes {
    /// Wall time of the folders' pipelines.
    pipeline: f64,
    fetch: f64,
    parse: f64,
    write: f64,
}

impl StageTimes {
    /// Sums the "fetched new mail" lines the CLI logs for large fetches (folder.rs,
    /// `log_stage_times`) in the log files of `data`.
    fn from_logs(data: &Path) -> StageTimes {
        let mut times = StageTimes::default();
        let Ok(entries) = std::fs::read_dir(data.join("logs")) else {
            return times;
        };
        for entry in entries.flatten() {
            let Ok(text) = std::fs::read_to_string(entry.path()) else {
                continue;
            };
            for line in text.lines().filter(|l| l.contains("fetched new mail")) {
                for field in line.split_whitespace() {
                    let Some((key, value)) = field.split_once('=') else {
                        continue;
                    };
                    let Ok(ms) = value.parse::<f64>() else {
                        continue;
                    };
                    let slot = match key {
                        "total_ms" => &mut times.pipeline,
                        "fetch_ms" => &mut times.fetch,
                        "parse_ms" => &mut times.parse,
                        "write_ms" => &mut times.write,
                        _ => continue,
                    };
                    *slot += ms / 1000.0;
                }
            }
        }
        times
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ResyncResult {
    runs: usize,
    /// `rapport-cli sync --once` wall times with nothing changed.
    cli_wall_ms: Vec<f64>,
    cli_wall_ms_median: f64,
    /// Median of (run − a `rapport-cli account list` start-up run just before it).
    cli_minus_baseline_ms: f64,
    /// `sync_account_once` (what the CLI runs) called in this process: keyring lookup,
    /// TLS connect and login, LIST, and the 10 folders' STATUS checks, then logout.
    in_process_ms: Vec<f64>,
    in_process_ms_median: f64,
    unchanged_folders: u64,
    new_messages: u64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct TimelineResult {
    address: String,
    rows: usize,
    runs: usize,
    /// `Store::timeline` in this process on the synced store.
    p50_ms: f64,
    p95_ms: f64,
    /// `rapport-cli timeline ADDR --json` wall time (median of 10), and the median of
    /// (run − a start-up baseline run just before it).
    cli_wall_ms_median: f64,
    cli_minus_baseline_ms: f64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SizeResult {
    size: usize,
    folders: usize,
    seeded_inbox: usize,
    seeded_sent: usize,
    seeded_extra: usize,
    seed_seconds: f64,
    raw_cold: RawResult,
    raw: RawResult,
    /// mbsync copying the same folders (None when mbsync is not installed).
    mbsync: Option<mbsync::MbsyncResult>,
    account_add_seconds: f64,
    sync: SyncResult,
    db_bytes: u64,
    startup_baseline_ms: f64,
    resync: ResyncResult,
    timeline: TimelineResult,
    notes: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Target {
    name: String,
    value: f64,
    unit: &'static str,
    /// ">=" or "<=".
    op: &'static str,
    limit: f64,
    pass: bool,
}

impl Target {
    fn new(name: String, value: f64, unit: &'static str, op: &'static str, limit: f64) -> Target {
        let pass = match op {
            ">=" => value >= limit,
            _ => value <= limit,
        };
        Target {
            name,
            value,
            unit,
            op,
            limit,
            pass,
        }
    }

    fn verdict(&self) -> String {
        format!(
            "{} (target {} {}{})",
            if self.pass { "PASS" } else { "MISSED" },
            self.op,
            fmt_num(self.limit),
            self.unit
        )
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    generated_at: String,
    commit: String,
    machine: Value,
    /// /proc/loadavg (1, 5, 15 min) when the run started and ended: other work on the
    /// machine skews every figure.
    load_at_start: Vec<f64>,
    load_at_end: Vec<f64>,
    sizes: Vec<SizeResult>,
    timeline_store: Option<timeline_store::TimelineStoreResult>,
    targets: Vec<Target>,
    errors: Vec<String>,
}

fn fmt_num(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn sibling(name: &str) -> Result<PathBuf> {
    let exe = std::env::current_exe().context("locating this binary")?;
    let dir = exe.parent().context("this binary has no folder")?;
    Ok(dir.join(name))
}

fn machine() -> Value {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let cpu = read("/proc/cpuinfo")
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default();
    let mem_kb: u64 = read("/proc/meminfo")
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let os = read("/etc/os-release")
        .lines()
        .find(|l| l.starts_with("PRETTY_NAME="))
        .map(|l| {
            l.trim_start_matches("PRETTY_NAME=")
                .trim_matches('"')
                .to_owned()
        })
        .unwrap_or_default();
    let dovecot = Command::new("dovecot")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    serde_json::json!({
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "cpu": cpu,
        "memoryGiB": (mem_kb as f64 / 1024.0 / 1024.0 * 10.0).round() / 10.0,
        "os": os,
        "dovecot": dovecot,
    })
}

fn loadavg() -> Vec<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .filter_map(|v| v.parse().ok())
        .collect()
}

fn commit() -> String {
    let repo = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let head = Command::new("git")
        .args(["-C", repo, "rev-parse", "--short", "HEAD"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let dirty = Command::new("git")
        .args(["-C", repo, "status", "--porcelain", "--untracked-files=no"])
        .output()
        .map(|o| !o.stdout.is_empty())
        .unwrap_or(false);
    if dirty {
        format!("{head}+dirty")
    } else {
        head
    }
}

struct Bench {
    args: Args,
    cli: PathBuf,
    rawfetch: PathBuf,
    rt: tokio::runtime::Runtime,
}

impl Bench {
    fn cli(&self, data: &Path) -> Command {
        let mut cmd = Command::new(&self.cli);
        cmd.arg("--data-dir").arg(data);
        cmd
    }

    fn rawfetch(&self, server: &MailServer, folders: &[String]) -> Result<RawResult> {
        let mut cmd = Command::new(&self.rawfetch);
        cmd.args(["--host", &server.imap_host, "--server-name", "localhost"])
            .args(["--port", &server.imap_tls_port.to_string()])
            .arg("--ca-file")
            .arg(&server.ca_file)
            .args(["--user", OWNER, "--password-stdin"]);
        for f in folders {
            cmd.args(["--folder", f]);
        }
        let run = run_measured(&mut cmd, Some(&format!("{PASSWORD}\n")))?.ok("rapport-rawfetch")?;
        let out = run.json("rapport-rawfetch")?;
        let get = |k: &str| out.get(k).and_then(Value::as_f64).unwrap_or(0.0);
        let seconds = get("seconds");
        Ok(RawResult {
            messages: get("messages") as u64,
            bytes: get("bytes") as u64,
            seconds,
            fetch_seconds: get("fetchSeconds"),
            process_seconds: run.wall.as_secs_f64(),
            messages_per_sec: get("messages") / seconds,
            mb_per_sec: get("bytes") / MB / seconds,
            peak_rss_mb: run.max_rss_bytes as f64 / MB,
        })
    }

    /// Runs the CLI command `args` `runs` times, each right after a start-up baseline run
    /// (`account list`: start the process, open the store, print, exit), so load drifts
    /// hit both alike. Returns (wall ms, paired baseline ms, outputs).
    fn paired(
        &self,
        data: &Path,
        args: &[&str],
        runs: usize,
        what: &str,
    ) -> Result<(Vec<f64>, Vec<f64>, Vec<Measured>)> {
        let (mut walls, mut baselines, mut outputs) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..runs.max(1) {
            let base = run_measured(self.cli(data).args(["--json", "account", "list"]), None)?
                .ok("rapport-cli account list")?;
            baselines.push(ms(base.wall));
            let run = run_measured(self.cli(data).arg("--json").args(args), None)?.ok(what)?;
            walls.push(ms(run.wall));
            outputs.push(run);
        }
        Ok((walls, baselines, outputs))
    }

    fn size(&self, size: usize) -> Result<SizeResult> {
        let extra = self.args.extra_per_folder;
        let extra_total = extra * mailbox::EXTRA_FOLDERS.len();
        if size <= extra_total {
            bail!("size {size} must exceed the {extra_total} messages of the extra folders");
        }
        let mut notes = Vec::new();
        eprintln!("== {size} messages: starting the mail server");
        let server = MailServer::start().context("starting the harness mail server")?;
        server.add_user(OWNER, PASSWORD)?;

        let started = Instant::now();
        let spec = seed::SeedSpec {
            owner: OWNER.into(),
            owner_name: "Bench Owner".into(),
            count: size - extra_total,
            seed: 1,
            newest: seed::now(),
            span_days: 3 * 365,
            sent_share_percent: 25,
        };
        let manifest = server.seed(&spec).context("seeding INBOX and Sent")?;
        let seeded_sent = manifest
            .messages
            .iter()
            .filter(|m| m.folder == "Sent")
            .count();
        let seeded_inbox = manifest.messages.len() - seeded_sent;
        drop(manifest);
        let maildir = server.maildir(OWNER);
        let mut seeded_extra = 0;
        for (i, name) in mailbox::EXTRA_FOLDERS.iter().enumerate() {
            let folder_spec = seed::SeedSpec {
                count: extra,
                seed: 100 + i as u64,
                ..spec.clone()
            };
            seeded_extra += mailbox::write_folder(&maildir, name, &folder_spec)?.0 as usize;
        }
        let seed_seconds = started.elapsed().as_secs_f64();
        eprintln!(
            "   seeded {seeded_inbox} INBOX + {seeded_sent} Sent + {seeded_extra} in {} more folders in {seed_seconds:.1} s",
            mailbox::EXTRA_FOLDERS.len()
        );
        let folders: Vec<String> = ["INBOX", "Sent"]
            .iter()
            .chain(mailbox::EXTRA_FOLDERS.iter())
            .map(|s| (*s).to_owned())
            .collect();

        // The first FETCH after seeding also makes Dovecot index the new Maildir files;
        // it is reported as "cold", and the second, warm one is the reference.
        eprintln!("   raw FETCH (cold, builds Dovecot's indexes)");
        let raw_cold = self.rawfetch(&server, &folders)?;
        eprintln!("   raw FETCH (reference)");
        let raw = self.rawfetch(&server, &folders)?;
        let seeded_total = (seeded_inbox + seeded_sent + seeded_extra) as u64;
        if raw.messages != seeded_total {
            notes.push(format!(
                "rawfetch saw {} messages, {} were seeded",
                raw.messages, seeded_total
            ));
        }
        eprintln!(
            "   raw: {} messages, {:.1} MB in {:.2} s ({:.0} msg/s, {:.1} MB/s)",
            raw.messages,
            raw.bytes as f64 / MB,
            raw.seconds,
            raw.messages_per_sec,
            raw.mb_per_sec
        );

        let data_holder = tempfile::Builder::new()
            .prefix("rapport-bench-data-")
            .tempdir()?;
        let data = data_holder.path().join("data");
        let mut add = self.cli(&data);
        add.args([
            "--json",
            "account",
            "add",
            "--email",
            OWNER,
            "--name",
            "Bench Owner",
        ])
        .args([
            "--imap-host",
            "localhost",
            "--imap-port",
            &server.imap_tls_port.to_string(),
        ])
        .args(["--imap-security", "tls", "--smtp-host", "localhost"])
        .args([
            "--smtp-port",
            &server.smtp_tls_port.to_string(),
            "--smtp-security",
            "tls",
        ])
        .args(["--since", "all", "--ca-file"])
        .arg(&server.ca_file)
        .args(["--folders", &folders.join(","), "--password-stdin"]);
        let added = run_measured(&mut add, Some(&format!("{PASSWORD}\n")))?
            .ok("rapport-cli account add")?;
        let folder_count = added
            .json("rapport-cli account add")?
            .get("folderCount")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        if folder_count != folders.len() as u64 {
            notes.push(format!(
                "account add selected {folder_count} folders, expected {}",
                folders.len()
            ));
        }

        eprintln!("   rapport-cli sync --once (initial)");
        let synced = run_measured(self.cli(&data).args(["--json", "sync", "--once"]), None)?
            .ok("rapport-cli sync --once")?;
        let outcome = first_account(&synced)?;
        let seconds = synced.wall.as_secs_f64();
        let new_messages = outcome
            .get("newMessages")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let failed = outcome.get("failedFolders").cloned().unwrap_or(Value::Null);
        if failed.as_array().is_some_and(|a| !a.is_empty()) {
            notes.push(format!("initial sync: failed folders {failed}"));
        }
        if new_messages != raw.messages {
            notes.push(format!(
                "initial sync stored {new_messages} new messages; the server holds {}",
                raw.messages
            ));
        }
        let messages_per_sec = raw.messages as f64 / seconds;
        let sync = SyncResult {
            seconds,
            new_messages,
            message_count: outcome
                .get("messageCount")
                .and_then(Value::as_u64)
                .unwrap_or(0),
            failed_folders: failed,
            messages_per_sec,
            mb_per_sec: raw.bytes as f64 / MB / seconds,
            peak_rss_mb: synced.max_rss_bytes as f64 / MB,
            user_cpu_seconds: synced.user_cpu.as_secs_f64(),
            sys_cpu_seconds: synced.sys_cpu.as_secs_f64(),
            ratio_to_raw: messages_per_sec / raw.messages_per_sec,
            stages: StageTimes::from_logs(&data),
        };
        if sync.stages.pipeline == 0.0 {
            notes.push("the sync's log had no stage times (fetched new mail)".into());
        }
        eprintln!(
            "   sync: {} messages in {:.2} s ({:.0} msg/s, {:.1} MB/s, {:.2}x raw), peak RSS {:.0} MB",
            sync.new_messages, sync.seconds, sync.messages_per_sec, sync.mb_per_sec, sync.ratio_to_raw, sync.peak_rss_mb
        );
        // After the sync, so the Maildir mbsync writes cannot push the server's mail out
        // of the page cache before the sync reads it.
        let mbsync = match mbsync::version() {
            Some(version) => {
                eprintln!("   mbsync ({version}) into a fresh Maildir");
                let work = tempfile::Builder::new()
                    .prefix("rapport-bench-mbsync-")
                    .tempdir()?;
                let result = mbsync::run(&server, OWNER, PASSWORD, &folders, work.path(), version)?;
                if result.messages != raw.messages {
                    notes.push(format!(
                        "mbsync wrote {} messages; the server holds {}",
                        result.messages, raw.messages
                    ));
                }
                Some(result)
            }
            None => {
                notes.push(
                    "mbsync is not installed (apt-get install isync): no mbsync reference".into(),
                );
                None
            }
        };

        let db_bytes = std::fs::read_dir(&data)
            .map(|entries| {
                entries
                    .flatten()
                    .filter(|e| {
                        e.file_name()
                            .to_string_lossy()
                            .starts_with("rapport.sqlite3")
                    })
                    .filter_map(|e| e.metadata().ok())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0);

        eprintln!("   no-change resync ×{}", self.args.resync_runs);
        let (cli_wall, resync_baselines, outputs) = self.paired(
            &data,
            &["sync", "--once"],
            self.args.resync_runs,
            "rapport-cli sync --once (no change)",
        )?;
        let (mut unchanged, mut resync_new) = (u64::MAX, 0);
        for run in &outputs {
            let o = first_account(run)?;
            unchanged = unchanged.min(
                o.get("unchangedFolders")
                    .and_then(Value::as_u64)
                    .unwrap_or(0),
            );
            resync_new += o.get("newMessages").and_then(Value::as_u64).unwrap_or(0);
        }
        if unchanged != folders.len() as u64 || resync_new != 0 {
            notes.push(format!(
                "no-change resync: {unchanged} of {} folders reported unchanged, {resync_new} new messages",
                folders.len()
            ));
        }
        let in_process = self
            .rt
            .block_on(in_process_resyncs(&data, self.args.resync_runs.max(1)))?;
        let cli_median = median(&cli_wall);
        let resync = ResyncResult {
            runs: cli_wall.len(),
            cli_wall_ms_median: cli_median,
            cli_minus_baseline_ms: paired_difference(&cli_wall, &resync_baselines),
            cli_wall_ms: cli_wall,
            in_process_ms_median: median(&in_process),
            in_process_ms: in_process,
            unchanged_folders: unchanged,
            new_messages: resync_new,
        };

        eprintln!("   timeline of the busiest correspondent");
        let (address, rows, times) = self
            .rt
            .block_on(synced_timeline(&data, self.args.timeline_runs.max(1)))?;
        let (cli_times, timeline_baselines, _) =
            self.paired(&data, &["timeline", &address], 10, "rapport-cli timeline")?;
        let cli_timeline = median(&cli_times);
        let baselines: Vec<f64> = resync_baselines
            .iter()
            .chain(&timeline_baselines)
            .copied()
            .collect();
        let timeline = TimelineResult {
            address,
            rows,
            runs: times.len(),
            p50_ms: median(&times),
            p95_ms: percentile(&times, 0.95),
            cli_wall_ms_median: cli_timeline,
            cli_minus_baseline_ms: paired_difference(&cli_times, &timeline_baselines),
        };
        drop(server);
        Ok(SizeResult {
            size,
            folders: folders.len(),
            seeded_inbox,
            seeded_sent,
            seeded_extra,
            seed_seconds,
            raw_cold,
            raw,
            mbsync,
            account_add_seconds: added.wall.as_secs_f64(),
            sync,
            db_bytes,
            startup_baseline_ms: median(&baselines),
            resync,
            timeline,
            notes,
        })
    }
}

/// The median of run-minus-its-baseline differences.
fn paired_difference(walls: &[f64], baselines: &[f64]) -> f64 {
    let diffs: Vec<f64> = walls.iter().zip(baselines).map(|(w, b)| w - b).collect();
    median(&diffs)
}

/// The one account's entry in `sync --once --json` output, or its error.
fn first_account(run: &Measured) -> Result<Value> {
    let out = run.json("rapport-cli sync")?;
    let first = out
        .as_array()
        .and_then(|a| a.first())
        .cloned()
        .context("sync printed no account")?;
    if let Some(error) = first.get("error") {
        bail!("sync failed: {error}");
    }
    Ok(first)
}

async fn in_process_resyncs(data: &Path, runs: usize) -> Result<Vec<f64>> {
    let store = rapport_core::Store::open(data).await?;
    let account = store.account_by_email(OWNER).await?;
    let mut times = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let outcome = rapport_core::sync::sync_account_once(&store, account.id, &|_| {})
            .await
            .map_err(|e| anyhow::anyhow!("in-process resync: {e}"))?;
        times.push(ms(t.elapsed()));
        if outcome.new_messages != 0 {
            bail!(
                "in-process resync found {} new messages",
                outcome.new_messages
            );
        }
    }
    store.close().await;
    Ok(times)
}

/// The address of the contact with the most messages, its timeline length, and
/// `Store::timeline` times over `runs` runs (after 5 warm-up runs).
async fn synced_timeline(data: &Path, runs: usize) -> Result<(String, usize, Vec<f64>)> {
    let store = rapport_core::Store::open(data).await?;
    let address: String = sqlx::query_scalar(
        "SELECT e.address FROM contact_email e \
         JOIN (SELECT contact_id, count(DISTINCT message_id) AS n FROM participant \
               WHERE contact_id IS NOT NULL GROUP BY contact_id ORDER BY n DESC LIMIT 1) b \
           ON b.contact_id = e.contact_id \
         ORDER BY e.is_primary DESC, e.address LIMIT 1",
    )
    .fetch_optional(store.pool())
    .await?
    .context("the synced store has no contacts")?;
    let mut rows = 0;
    for _ in 0..5 {
        rows = store.timeline(&address).await?.len();
    }
    let mut times = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        store.timeline(&address).await?;
        times.push(ms(t.elapsed()));
    }
    store.close().await;
    Ok((address, rows, times))
}

fn targets(
    sizes: &[SizeResult],
    store: Option<&timeline_store::TimelineStoreResult>,
) -> Vec<Target> {
    let mut out = Vec::new();
    for s in sizes {
        out.push(Target::new(
            format!("{}: sync rate / raw FETCH rate", s.size),
            s.sync.ratio_to_raw,
            "x",
            ">=",
            TARGET_SYNC_RATIO,
        ));
        if let Some(m) = &s.mbsync {
            out.push(Target::new(
                format!("{}: sync rate / mbsync rate", s.size),
                s.sync.messages_per_sec / m.messages_per_sec,
                "x",
                ">=",
                TARGET_MBSYNC_RATIO,
            ));
        }
        if s.size >= TARGET_RSS_AT {
            out.push(Target::new(
                format!("{}: peak RSS of rapport-cli sync", s.size),
                s.sync.peak_rss_mb,
                " MB",
                "<=",
                TARGET_RSS_MB,
            ));
        }
        out.push(Target::new(
            format!(
                "{}: no-change resync of {} folders (in-process pass)",
                s.size, s.folders
            ),
            s.resync.in_process_ms_median,
            " ms",
            "<=",
            TARGET_RESYNC_MS,
        ));
        out.push(Target::new(
            format!(
                "{}: no-change resync of {} folders (CLI wall - start-up)",
                s.size, s.folders
            ),
            s.resync.cli_minus_baseline_ms,
            " ms",
            "<=",
            TARGET_RESYNC_MS,
        ));
    }
    if let Some(t) = store {
        out.push(Target::new(
            format!(
                "{} messages: timeline p95 over {} random contacts",
                t.messages, t.queries
            ),
            t.p95_ms,
            " ms",
            "<=",
            TARGET_TIMELINE_P95_MS,
        ));
        out.push(Target::new(
            format!("{} messages: contact card's first page p95", t.messages),
            t.first_page_p95_ms,
            " ms",
            "<=",
            TARGET_CRM_PAGE_P95_MS,
        ));
        out.push(Target::new(
            format!("{} messages: company page's first page p95", t.messages),
            t.companies.p95_ms,
            " ms",
            "<=",
            TARGET_CRM_PAGE_P95_MS,
        ));
        for (kind, figures) in [
            ("common word", &t.search.common_word),
            ("rare word", &t.search.rare_word),
            ("from: + word", &t.search.from_and_word),
        ] {
            out.push(Target::new(
                format!("{} messages: search p95, {kind}", t.messages),
                figures.p95_ms,
                " ms",
                "<=",
                TARGET_SEARCH_P95_MS,
            ));
        }
        out.push(Target::new(
            format!("{} messages: all four follow-up lists p95", t.messages),
            t.followups.p95_ms,
            " ms",
            "<=",
            TARGET_FOLLOWUPS_P95_MS,
        ));
    }
    out
}

fn print_report(report: &Report) {
    let find = |name: &str| report.targets.iter().find(|t| t.name == name);
    let verdict = |name: String| {
        find(&name)
            .map(|t| format!("  {}", t.verdict()))
            .unwrap_or_default()
    };
    println!();
    println!(
        "Rapport bench  {}  commit {}",
        report.generated_at, report.commit
    );
    println!(
        "machine: {} cores, {} GiB, {} / {}",
        report.machine["cores"],
        report.machine["memoryGiB"],
        report.machine["os"].as_str().unwrap_or(""),
        report.machine["dovecot"]
            .as_str()
            .map(|d| format!("Dovecot {d}"))
            .unwrap_or_default()
    );
    println!(
        "load average at start {:?}, at end {:?}{}",
        report.load_at_start,
        report.load_at_end,
        match report.machine["cores"].as_f64() {
            Some(cores) if report.load_at_start.first().is_some_and(|&l| l > cores) =>
                "  (WARNING: the machine was busy; figures are skewed)",
            _ => "",
        }
    );
    println!("(MB = 10^6 bytes; sync and raw times are whole-process wall times incl. connect and login)");
    for s in &report.sizes {
        println!();
        println!(
            "── mailbox of {} messages in {} folders ({} INBOX, {} Sent, {} in 8 others; {:.1} MB) ──",
            s.size,
            s.folders,
            s.seeded_inbox,
            s.seeded_sent,
            s.seeded_extra,
            s.raw.bytes as f64 / MB
        );
        let row = |label: &str, value: String, extra: String| {
            println!("  {label:<44} {value:>14}{extra}")
        };
        row(
            "raw FETCH, cold (Dovecot indexing)",
            format!("{:.0} msg/s", s.raw_cold.messages_per_sec),
            format!(
                "  {:.1} MB/s, {:.2} s",
                s.raw_cold.mb_per_sec, s.raw_cold.seconds
            ),
        );
        row(
            "raw FETCH (reference)",
            format!("{:.0} msg/s", s.raw.messages_per_sec),
            format!("  {:.1} MB/s, {:.2} s", s.raw.mb_per_sec, s.raw.seconds),
        );
        row(
            "initial sync (rapport-cli sync --once)",
            format!("{:.0} msg/s", s.sync.messages_per_sec),
            format!(
                "  {:.1} MB/s, {:.2} s, CPU {:.1} s user + {:.1} s sys",
                s.sync.mb_per_sec, s.sync.seconds, s.sync.user_cpu_seconds, s.sync.sys_cpu_seconds
            ),
        );
        row(
            "  busy per stage (they overlap)",
            format!("write {:.2} s", s.sync.stages.write),
            format!(
                "  fetch {:.2} s, parse {:.2} s, of {:.2} s in the pipelines",
                s.sync.stages.fetch, s.sync.stages.parse, s.sync.stages.pipeline
            ),
        );
        if let Some(m) = &s.mbsync {
            row(
                "mbsync (FSync no) into a Maildir",
                format!("{:.0} msg/s", m.messages_per_sec),
                format!(
                    "  {:.2} s, CPU {:.1} s user + {:.1} s sys",
                    m.seconds, m.user_cpu_seconds, m.sys_cpu_seconds
                ),
            );
        }
        row(
            "  sync / raw",
            format!("{:.2}x", s.sync.ratio_to_raw),
            verdict(format!("{}: sync rate / raw FETCH rate", s.size)),
        );
        if let Some(m) = &s.mbsync {
            row(
                "  sync / mbsync",
                format!("{:.1}x", s.sync.messages_per_sec / m.messages_per_sec),
                verdict(format!("{}: sync rate / mbsync rate", s.size)),
            );
        }
        row(
            "  peak RSS of rapport-cli",
            format!("{:.0} MB", s.sync.peak_rss_mb),
            verdict(format!("{}: peak RSS of rapport-cli sync", s.size)),
        );
        row(
            "  database size",
            format!("{:.0} MB", s.db_bytes as f64 / MB),
            String::new(),
        );
        row(
            "CLI start-up baseline (account list)",
            format!("{:.0} ms", s.startup_baseline_ms),
            String::new(),
        );
        row(
            &format!("no-change resync of {} folders, in-process", s.folders),
            format!("{:.0} ms", s.resync.in_process_ms_median),
            verdict(format!(
                "{}: no-change resync of {} folders (in-process pass)",
                s.size, s.folders
            )),
        );
        row(
            "  CLI wall",
            format!("{:.0} ms", s.resync.cli_wall_ms_median),
            String::new(),
        );
        row(
            "  CLI wall minus start-up baseline",
            format!("{:.0} ms", s.resync.cli_minus_baseline_ms),
            verdict(format!(
                "{}: no-change resync of {} folders (CLI wall - start-up)",
                s.size, s.folders
            )),
        );
        row(
            &format!(
                "timeline, busiest contact ({} msgs) p50/p95",
                s.timeline.rows
            ),
            format!("{:.1}/{:.1} ms", s.timeline.p50_ms, s.timeline.p95_ms),
            format!(
                "  CLI {:.0} ms - start-up = {:.0} ms",
                s.timeline.cli_wall_ms_median, s.timeline.cli_minus_baseline_ms
            ),
        );
        for note in &s.notes {
            println!("  NOTE: {note}");
        }
    }
    if let Some(t) = &report.timeline_store {
        println!();
        println!(
            "── generated store: {} messages, {} contacts, {} participants ({:.0} MB, built in {:.0} s) ──",
            t.messages, t.contacts, t.participants, t.db_bytes as f64 / MB, t.generate_seconds
        );
        println!(
            "  timeline over {} random contacts: p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms{}",
            t.queries,
            t.p50_ms,
            t.p95_ms,
            t.p99_ms,
            t.max_ms,
            verdict(format!("{} messages: timeline p95 over {} random contacts", t.messages, t.queries))
        );
        println!(
            "  rows per timeline (one page, at most 1000): median {:.0}, p95 {:.0}, max {:.0}",
            t.median_rows, t.p95_rows, t.max_rows
        );
        println!(
            "  contact card's first page (50): p50 {:.1} ms, p95 {:.1} ms{}",
            t.first_page_p50_ms,
            t.first_page_p95_ms,
            verdict(format!(
                "{} messages: contact card's first page p95",
                t.messages
            ))
        );
        println!(
            "  busiest contact ({} messages, page of {}): p50 {:.1} ms, max {:.1} ms (no target)",
            t.busiest.messages, t.busiest.rows, t.busiest.p50_ms, t.busiest.max_ms
        );
        let c = &t.companies;
        println!(
            "  company page's first page (50) over {} random companies of {} ({} with contacts): p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms{}",
            c.queries,
            c.companies,
            c.companies_with_contacts,
            c.p50_ms,
            c.p95_ms,
            c.max_ms,
            verdict(format!("{} messages: company page's first page p95", t.messages))
        );
        println!(
            "  five companies with the most mail (biggest: {} contacts, {} messages): p50 {:.1} ms, max {:.1} ms (no target)",
            c.busiest_contacts, c.busiest_messages, c.busiest_p50_ms, c.busiest_max_ms
        );
        for (kind, figures) in [
            ("common word", &t.search.common_word),
            ("rare word", &t.search.rare_word),
            ("from: + word", &t.search.from_and_word),
            ("3 letters typed", &t.search.typing_three_letters),
        ] {
            let words = if figures.median_word_messages > 0.0 {
                format!(", word in {:.0} messages", figures.median_word_messages)
            } else {
                String::new()
            };
            println!(
                "  search, {kind} (e.g. {:?}; {} queries{words}, {:.0} rows): p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms{}",
                figures.example,
                figures.queries,
                figures.median_rows,
                figures.p50_ms,
                figures.p95_ms,
                figures.max_ms,
                if kind == "3 letters typed" {
                    "  (no target)".to_owned()
                } else {
                    verdict(format!("{} messages: search p95, {kind}", t.messages))
                }
            );
        }
        let f = &t.followups;
        println!(
            "  follow-ups, all four lists ({} working days, {} days back: {} waiting for a reply, {} waiting on me, {} going cold, {} dates, {} due; {} runs): p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms{}",
            f.reply_wait_days,
            f.lookback_days,
            f.awaiting_reply,
            f.awaiting_me,
            f.going_cold,
            f.follow_up_dates,
            f.due,
            f.runs,
            f.p50_ms,
            f.p95_ms,
            f.max_ms,
            verdict(format!("{} messages: all four follow-up lists p95", t.messages))
        );
    }
    println!();
    let missed: Vec<&Target> = report.targets.iter().filter(|t| !t.pass).collect();
    println!(
        "TARGETS: {} of {} met",
        report.targets.len() - missed.len(),
        report.targets.len()
    );
    for t in missed {
        println!(
            "  MISSED: {} = {}{} (target {} {}{})",
            t.name,
            fmt_num(t.value),
            t.unit,
            t.op,
            fmt_num(t.limit),
            t.unit
        );
    }
    for e in &report.errors {
        println!("  ERROR: {e}");
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("rapport-bench: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Ok(false) when a step failed (the report is still written).
fn run() -> Result<bool> {
    let args = Args::parse();
    let cli = match &args.cli {
        Some(p) => p.clone(),
        None => sibling("rapport-cli")?,
    };
    let rawfetch = match &args.rawfetch {
        Some(p) => p.clone(),
        None => sibling("rapport-rawfetch")?,
    };
    for p in [&cli, &rawfetch] {
        if !p.exists() {
            bail!("{} is missing: build it first (cargo build --release -p rapport-cli -p rapport-bench)", p.display());
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let bench = Bench {
        args,
        cli,
        rawfetch,
        rt,
    };
    let load_at_start = loadavg();
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1) as f64;
    if load_at_start.first().is_some_and(|&l| l > cores) {
        eprintln!(
            "rapport-bench: WARNING: load average {:?} on {cores} cores: other work will skew the figures",
            load_at_start
        );
    }
    let mut errors = Vec::new();
    let mut sizes = Vec::new();
    let sizes_to_run: &[usize] = if bench.args.store_only {
        &[]
    } else {
        &bench.args.sizes
    };
    for &size in sizes_to_run {
        match bench.size(size) {
            Ok(r) => sizes.push(r),
            Err(e) => {
                eprintln!("rapport-bench: {size} messages: {e:#}");
                errors.push(format!("{size} messages: {e:#}"));
            }
        }
    }
    let timeline_store = if bench.args.timeline_messages > 0 {
        eprintln!(
            "== generated store of {} messages for timeline, company and search latency",
            bench.args.timeline_messages
        );
        let spec = timeline_store::Spec {
            messages: bench.args.timeline_messages,
            contacts: bench.args.timeline_contacts.max(1),
            companies: bench.args.timeline_companies.max(1),
            queries: bench.args.timeline_queries.max(1),
            seed: 7,
            keep_dir: bench.args.store_dir.clone(),
        };
        match bench.rt.block_on(timeline_store::run(&spec)) {
            Ok(r) => Some(r),
            Err(e) => {
                eprintln!("rapport-bench: timeline store: {e:#}");
                errors.push(format!("timeline store: {e:#}"));
                None
            }
        }
    } else {
        None
    };
    let report = Report {
        generated_at: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        commit: commit(),
        machine: machine(),
        load_at_start,
        load_at_end: loadavg(),
        targets: targets(&sizes, timeline_store.as_ref()),
        sizes,
        timeline_store,
        errors,
    };
    print_report(&report);
    if let Some(dir) = bench.args.output.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(&bench.args.output, serde_json::to_vec_pretty(&report)?)
        .with_context(|| format!("writing {}", bench.args.output.display()))?;
    println!("results: {}", bench.args.output.display());
    Ok(report.errors.is_empty())
}
