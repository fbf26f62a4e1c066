# Rapport: two commands do everything.
#   make run   installs what is missing, builds the UI and the app, and starts it
#   make test  installs what is missing and runs every test (Rust, UI, end-to-end)
# Other targets: make dev (hot-reloading UI), make mailserver (a local test mail server),
# make bench (sync throughput, memory, latency), make fuzz (a long run of the hostile-MIME
# property tests), make package (the .deb), make package-check (installs that .deb in a
# clean Debian 12 chroot and starts it), make clean.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
CARGO ?= cargo
APP_FEATURES := --features rapport/custom-protocol
TAURI := TAURI_FRONTEND_PATH=ui ui/node_modules/.bin/tauri

.PHONY: run dev test bench fuzz mailserver ui package package-check clean

run:
	.ci/bootstrap.sh run
	cd ui && npm run build
	$(CARGO) run $(APP_FEATURES) --bin rapport

dev:
	.ci/bootstrap.sh run
	$(TAURI) dev

test:
	.ci/bootstrap.sh test
	tests/run-all.sh

bench:
	.ci/bootstrap.sh bench
	tests/bench/run.sh

# The fuzz target of the parse-and-store path: proptest generators of hostile MIME (cargo
# fuzz needs a nightly toolchain this project does not require). FUZZ_CASES sets the length.
FUZZ_CASES ?= 20000
fuzz:
	PROPTEST_CASES=$(FUZZ_CASES) $(CARGO) test --release -p rapport-core --test hostile_mime

# A release build bundled as a .deb in target/release/bundle/deb/ (the AppImage needs a
# download that fails offline: see README, "Packages").
package:
	.ci/bootstrap.sh package
	$(TAURI) build --bundles deb

# Installs the .deb into a fresh Debian 12 chroot (debootstrap from the apt mirror), checks
# the desktop entry and the mailto: registration, and starts the app under Xvfb there.
# Needs root and takes 1-3 minutes (plus the release build), so it is not part of `make test`. Run `make package`
# first (a rebuild here would recompile the app for nothing).
package-check:
	.ci/bootstrap.sh package
	tests/package/check-deb.sh

mailserver:
	.ci/bootstrap.sh test
	tests/harness/mailserver.sh foreground

ui:
	cd ui && npm run build

clean:
	$(CARGO) clean
	rm -rf ui/dist ui/node_modules tests/e2e/node_modules
