#!/usr/bin/env bash
# Every test of the project, in the order that fails fastest. Called by `make test`
# after .ci/bootstrap.sh has installed what is needed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
start=$(date +%s)
step() { printf '\n\033[1m==> %s\033[0m (%ss)\n' "$*" "$(( $(date +%s) - start ))"; }

step "UI: type check, unit tests, production build"
(cd ui && npm run check && npm test && npm run build)

step "Rust: formatting"
cargo fmt --all -- --check

step "Rust: build (app with the UI embedded, CLI, test tools)"
cargo build --workspace --bins --features rapport/custom-protocol
cargo test --workspace --features rapport/custom-protocol --no-run

step "Rust: unit and integration tests (real Dovecot + Postfix, real Secret Service)"
# The hostile-MIME property tests run briefly here; `make fuzz` runs them long.
PROPTEST_CASES=${PROPTEST_CASES:-64} tests/harness/with-keyring.sh cargo test --workspace --features rapport/custom-protocol

step "End-to-end: the app window over WebDriver"
tests/harness/with-keyring.sh tests/e2e/run.sh

step "All tests passed"
