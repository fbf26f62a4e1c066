#!/usr/bin/env bash
# make bench: builds rapport-cli and the benchmark in release mode, then runs the benchmark
# inside a private Secret Service session. Arguments go to rapport-bench, e.g.
#   tests/bench/run.sh --sizes 10000 --timeline-messages 100000
# (or BENCH_SIZES=10000 BENCH_TIMELINE_MESSAGES=100000 tests/bench/run.sh).
# Prints a table with PASS/MISSED per target and writes tests/bench/results/latest.json.
# Exits 0 even when a target is missed; non-zero only when a step fails.
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo build --release -p rapport-cli -p rapport-bench
target_dir=${CARGO_TARGET_DIR:-target}
exec tests/harness/with-keyring.sh "$target_dir/release/rapport-bench" "$@"
