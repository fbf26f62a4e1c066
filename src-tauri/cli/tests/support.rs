//! Shared helpers for the CLI's integration tests: run `rapport-cli` against a data
//! folder and a harness mail server, and read results back.

#![allow(dead_code)]

use std::{
    io::Write,
    path::Path,
    process::{Command, Output, Stdio},
};

use rapport_testkit::MailServer;

pub const PASSWORD: &str = "Tajne-heslo-7f3a9c";

/// Runs rapport-cli with `args`, feeding `stdin`, and returns its output.
pub fn cli(data_dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rapport-cli"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start rapport-cli");
    {
        let mut input = child.stdin.take().expect("stdin");
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).expect("write stdin");
        }
    }
    child.wait_with_output().expect("run rapport-cli")
}

/// Runs rapport-cli and parses its JSON output, failing the test with stderr if it failed.
pub fn cli_json(data_dir: &Path, args: &[&str], stdin: Option<&str>) -> serde_json::Value {
    let mut with_json = args.to_vec();
    with_json.push("--json");
    let out = cli(data_dir, &with_json, stdin);
    assert!(
        out.status.success(),
        "rapport-cli {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "rapport-cli {args:?} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// `account add` arguments for `address` on the harness server over implicit TLS,
/// trusting the harness CA through the same path a user would (`--ca-file`).
pub fn add_args(server: &MailServer, address: &str) -> Vec<String> {
    vec![
        "account".into(),
        "add".into(),
        "--email".into(),
        address.into(),
        "--name".into(),
        "Alice Test".into(),
        "--imap-host".into(),
        "localhost".into(),
        "--imap-port".into(),
        server.imap_tls_port.to_string(),
        "--imap-security".into(),
        "tls".into(),
        "--smtp-host".into(),
        "localhost".into(),
        "--smtp-port".into(),
        server.smtp_tls_port.to_string(),
        "--smtp-security".into(),
        "tls".into(),
        "--since".into(),
        "all".into(),
        "--ca-file".into(),
        server.ca_file.display().to_string(),
        "--password-stdin".into(),
    ]
}

pub fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// Asks the Secret Service (through libsecret's CLI) for what Rapport filed.
pub fn secret_tool_search() -> String {
    let out = Command::new("secret-tool")
        .args(["search", "--all", "--unlock", "service", "rapport"])
        .output()
        .expect("run secret-tool (install libsecret-tools)");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// True if `needle` occurs anywhere in the files under `dir`.
pub fn any_file_contains(dir: &Path, needle: &[u8]) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if any_file_contains(&path, needle) {
                return true;
            }
        } else if let Ok(bytes) = std::fs::read(&path) {
            if bytes.windows(needle.len()).any(|w| w == needle) {
                return true;
            }
        }
    }
    false
}
