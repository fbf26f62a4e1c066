#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with an unlocked GNOME Keyring (a real
# Secret Service), with throwaway XDG data/runtime/config folders. HOME is kept, so
# cargo and rustup keep working. Exits with the command's status.
#   with-keyring.sh CMD [ARGS...]
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: with-keyring.sh CMD [ARGS...]" >&2; exit 2; }

if [ -z "${RAPPORT_IN_KEYRING_SESSION:-}" ]; then
  command -v dbus-run-session >/dev/null || { echo "with-keyring.sh: dbus-run-session missing (apt-get install dbus)" >&2; exit 1; }
  command -v gnome-keyring-daemon >/dev/null || { echo "with-keyring.sh: gnome-keyring-daemon missing (apt-get install gnome-keyring)" >&2; exit 1; }
  export RAPPORT_IN_KEYRING_SESSION=1
  exec dbus-run-session -- "$0" "$@"
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export XDG_DATA_HOME=$scratch/data XDG_CONFIG_HOME=$scratch/config XDG_RUNTIME_DIR=$scratch/runtime
mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"

# --unlock reads the login keyring's password from stdin and creates that keyring, which
# becomes the default collection the keyring crate writes to.
printf 'rapport-test-keyring' | gnome-keyring-daemon --unlock --components=secrets --daemonize >/dev/null

# The daemon claims org.freedesktop.secrets in the background after --daemonize returns.
# Asking the Secret Service before that would make D-Bus activate a second, locked daemon,
# so wait for the name to be owned without touching it.
owned() {
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q "boolean true"
}
for _ in $(seq 1 100); do owned && break; sleep 0.1; done

# Prove the Secret Service works before running anything that depends on it.
probe="probe-$$"
ready=""
for _ in $(seq 1 50); do
  if printf '%s' "$probe" | secret-tool store --label "rapport probe" rapport-probe "$probe" 2>"$scratch/probe.err" \
     && [ "$(secret-tool lookup rapport-probe "$probe" 2>/dev/null)" = "$probe" ]; then
    ready=1
    break
  fi
  sleep 0.2
done
if [ -z "$ready" ]; then
  echo "with-keyring.sh: the Secret Service does not work:" >&2
  cat "$scratch/probe.err" >&2
  exit 1
fi
secret-tool clear rapport-probe "$probe" || true

status=0
"$@" || status=$?
exit "$status"
