#!/usr/bin/env bash
# Installs what `make run` (bootstrap.sh run), `make test` (bootstrap.sh test) or
# `make bench` (bootstrap.sh bench: the test packages and mbsync) needs
# on Debian 12 / Ubuntu: system packages via apt (with sudo when not root), npm
# packages, and tauri-driver for the end-to-end tests. Safe to run again: it only
# installs what is missing. Prerequisites it does not install: Rust (rustup), Node 20+.
set -euo pipefail

mode=${1:-run}
root=$(cd "$(dirname "$0")/.." && pwd)

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

command -v cargo >/dev/null || die "Rust is missing. Install it with rustup (https://rustup.rs), then run make again."
command -v node >/dev/null || die "Node.js 20 or newer is missing. Install it (e.g. from NodeSource or nvm); Debian's own nodejs 18 is too old."
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || die "Node.js $(node --version) is too old: Vite needs 20 or newer."
command -v npm >/dev/null || die "npm is missing; it comes with Node.js."

build_packages=(libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev
  libsoup-3.0-dev build-essential pkg-config libssl-dev libxdo-dev file patchelf)
test_packages=(xvfb webkit2gtk-driver xdotool dbus-x11 at-spi2-core dbus
  dovecot-imapd dovecot-lmtpd postfix gnome-keyring libsecret-tools openssl)
# make bench compares the sync with mbsync (isync) on the same server.
bench_packages=(isync)

packages=("${build_packages[@]}")
[ "$mode" = test ] || [ "$mode" = bench ] && packages+=("${test_packages[@]}")
[ "$mode" = bench ] && packages+=("${bench_packages[@]}")
# `make package-check` builds a clean Debian chroot and validates the desktop entry.
[ "$mode" = package ] && packages+=(debootstrap desktop-file-utils)

if command -v dpkg-query >/dev/null; then
  missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    say "Installing system packages: ${missing[*]}"
    # Postfix must not ask questions or configure a system mail server; the tests run
    # their own instance from a private config.
    echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  fi
else
  say "Not a Debian/Ubuntu system: install the equivalents of ${packages[*]} yourself (see README)."
fi

npm_install() {
  local dir=$1
  # npm ci is reproducible; only rerun it when the lock file changed.
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    say "Installing npm packages in ${dir#$root/}"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}
npm_install "$root/ui"

if [ "$mode" = test ]; then
  npm_install "$root/tests/e2e"
  if ! command -v tauri-driver >/dev/null && [ ! -x "${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver" ]; then
    say "Installing tauri-driver"
    cargo install tauri-driver --locked --version 2.0.6
  fi
fi
