# Rapport: two commands do everything.
#   make run   installs what is missing, builds the UI and the app, and starts it
#   make test  installs what is missing and runs every test (Rust, UI, end-to-end)
# Other targets: make dev (hot-reloading UI), make mailserver (a local test mail server),
# make clean.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
CARGO ?= cargo
APP_FEATURES := --features rapport/custom-protocol
TAURI := TAURI_FRONTEND_PATH=ui ui/node_modules/.bin/tauri

.PHONY: run dev test mailserver ui clean

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

mailserver:
	.ci/bootstrap.sh test
	tests/harness/mailserver.sh foreground

ui:
	cd ui && npm run build

clean:
	$(CARGO) clean
	rm -rf ui/dist ui/node_modules tests/e2e/node_modules
