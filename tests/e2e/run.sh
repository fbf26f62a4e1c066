#!/usr/bin/env bash
# Runs the WebDriver tests against the built app (target/debug/rapport with the UI
# embedded): a harness mail server with two seeded mailboxes, one added and synced through
# rapport-cli into one data folder, the other left for the wizard to connect; a third
# mailbox holding the hostile corpus (tests/e2e/hostile) synced into its own data folder;
# two empty data folders, Xvfb and tauri-driver. E2E_ONLY="a.test.mjs b.test.mjs" runs
# only those files.
# Must run inside tests/harness/with-keyring.sh so the app finds the saved password.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${CARGO_TARGET_DIR:-$root/target}/debug
owner=e2e@rapport.test
password=E2e-password-5c1d
count=500
wizard_owner=wizard@rapport.test
wizard_password=Wizard-password-7e2a
wizard_count=120
hostile_owner=hostile@rapport.test
hostile_password=Hostile-password-3f9b

for tool in "$bin/rapport" "$bin/rapport-cli" "$bin/rapport-seed"; do
  [ -x "$tool" ] || { echo "e2e: $tool is missing; build with 'cargo build --workspace --bins --features rapport/custom-protocol'" >&2; exit 1; }
done
driver=$(command -v tauri-driver || echo "${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver")
[ -x "$driver" ] || { echo "e2e: tauri-driver is missing (cargo install tauri-driver --locked)" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  "$root/tests/harness/mailserver.sh" stop "$work/mail" >/dev/null 2>&1 || true
  "$root/tests/harness/mailserver.sh" stop "$work/oauth-mail" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/mail" "$work/empty" "$work/seeded" "$work/wizard" "$work/hostile"
"$root/tests/harness/mailserver.sh" start "$work/mail" >/dev/null
# shellcheck disable=SC1091
source "$work/mail/env"
"$root/tests/harness/mailserver.sh" adduser "$work/mail" "$owner" "$password"
"$bin/rapport-seed" --maildir "$MAIL_ROOT/$owner/Maildir" --owner "$owner" --count "$count" --seed 42 >/dev/null
printf '%s' "$password" | "$bin/rapport-cli" --data-dir "$work/seeded" account add --email "$owner" \
  --name "E2E Tester" --imap-host localhost --imap-port "$IMAP_TLS_PORT" --imap-security tls \
  --smtp-host localhost --smtp-port "$SMTP_TLS_PORT" --smtp-security tls --since all \
  --ca-file "$CA_FILE" --password-stdin >/dev/null
"$bin/rapport-cli" --data-dir "$work/seeded" sync --once >/dev/null
# The wizard's mailbox: on the server only; the app finds it through the wizard.
"$root/tests/harness/mailserver.sh" adduser "$work/mail" "$wizard_owner" "$wizard_password"
"$bin/rapport-seed" --maildir "$MAIL_ROOT/$wizard_owner/Maildir" --owner "$wizard_owner" --count "$wizard_count" --seed 7 >/dev/null

# Sign in with Google, end to end: a local authorization server stands in for Google, a
# second mail server accepts only the tokens it issued (checked at its introspection
# endpoint), a data folder's oauth.json points Rapport at it, and the "system browser" is
# a script the test controls (RAPPORT_OAUTH_BROWSER, inherited by the app through
# tauri-driver). A gmail.com address makes the wizard offer Google.
[ -x "$bin/rapport-oauth-server" ] || { echo "e2e: $bin/rapport-oauth-server is missing; build with 'cargo build --workspace --bins'" >&2; exit 1; }
oauth_owner=oauth.e2e@gmail.com
oauth_count=20
"$bin/rapport-oauth-server" >"$work/oauth-server.url" &
pids+=($!)
for _ in $(seq 1 100); do [ -s "$work/oauth-server.url" ] && break; sleep 0.1; done
oauth_url=$(head -n1 "$work/oauth-server.url")
[ -n "$oauth_url" ] || { echo "e2e: the OAuth test server did not start" >&2; exit 1; }
mkdir -p "$work/oauth-mail" "$work/oauth"
OAUTH_INTROSPECTION_URL="$oauth_url/introspect" "$root/tests/harness/mailserver.sh" start "$work/oauth-mail" >/dev/null
oauth_env() { sed -n "s/^$1=//p" "$work/oauth-mail/env"; }
# Dovecot's userdb needs the login; its password serves when the test switches the
# signed-in account to a password.
oauth_password=App-password-9d3e
"$root/tests/harness/mailserver.sh" adduser "$work/oauth-mail" "$oauth_owner" "$oauth_password"
"$bin/rapport-seed" --maildir "$(oauth_env MAIL_ROOT)/$oauth_owner/Maildir" --owner "$oauth_owner" --count "$oauth_count" --seed 11 >/dev/null
printf '{"google": {"clientId": "rapport-test-client", "authUrl": "%s/authorize", "tokenUrl": "%s/token", "revokeUrl": "%s/revoke"}}\n' \
  "$oauth_url" "$oauth_url" "$oauth_url" >"$work/oauth/oauth.json"
export RAPPORT_OAUTH_BROWSER="$here/oauth-browser.mjs"
export E2E_OAUTH_BROWSER_LOG="$work/oauth-browser.log"
export E2E_OAUTH_URL="$oauth_url" E2E_OAUTH_EMAIL="$oauth_owner" E2E_OAUTH_COUNT="$oauth_count"
export E2E_OAUTH_PASSWORD="$oauth_password"
export E2E_OAUTH_DATA_DIR="$work/oauth"
E2E_OAUTH_IMAP_TLS_PORT=$(oauth_env IMAP_TLS_PORT)
E2E_OAUTH_SMTP_TLS_PORT=$(oauth_env SMTP_TLS_PORT)
export E2E_OAUTH_IMAP_TLS_PORT E2E_OAUTH_SMTP_TLS_PORT

# A free X display chosen by Xvfb itself, so parallel runs do not collide.
exec 3>"$work/display"
Xvfb -displayfd 3 -screen 0 1400x900x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
pids+=($!)
exec 3>&-
for _ in $(seq 1 100); do [ -s "$work/display" ] && break; sleep 0.1; done
[ -s "$work/display" ] || { echo "e2e: Xvfb did not start" >&2; cat "$work/xvfb.log" >&2; exit 1; }
export DISPLAY=":$(head -n1 "$work/display")"

# Two free neighbouring ports for tauri-driver and WebKitWebDriver.
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
while :; do
  port=$((20000 + RANDOM % 40000))
  listening "$port" || listening $((port + 1)) || break
done
native_port=$((port + 1))
"$driver" --port "$port" --native-port "$native_port" >"$work/tauri-driver.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  listening "$port" && break
  sleep 0.1
done

# The hostile corpus: every URL in it points at a loopback port that hostile.test.mjs
# listens on, so any request the reader lets out is seen.
while :; do
  leak_port=$((20000 + RANDOM % 40000))
  [ "$leak_port" -ne "$port" ] && [ "$leak_port" -ne "$native_port" ] && ! listening "$leak_port" && break
done
"$root/tests/harness/mailserver.sh" adduser "$work/mail" "$hostile_owner" "$hostile_password"
hostile_maildir="$MAIL_ROOT/$hostile_owner/Maildir"
"$bin/rapport-seed" --maildir "$hostile_maildir" --owner "$hostile_owner" --count 0 >/dev/null
n=0
for eml in "$here"/hostile/*.eml; do
  n=$((n + 1))
  delivered="$hostile_maildir/cur/$(date +%s).hostile$n.rapport:2,"
  sed "s|{{LEAK}}|http://127.0.0.1:$leak_port|g" "$eml" >"$delivered"
  if [ "$(id -u)" -eq 0 ]; then chown "$MAIL_UID:$MAIL_GID" "$delivered"; fi
done
printf '%s' "$hostile_password" | "$bin/rapport-cli" --data-dir "$work/hostile" account add --email "$hostile_owner" \
  --name "Hostile Tester" --imap-host localhost --imap-port "$IMAP_TLS_PORT" --imap-security tls \
  --smtp-host localhost --smtp-port "$SMTP_TLS_PORT" --smtp-security tls --since all --contacts none \
  --ca-file "$CA_FILE" --password-stdin >/dev/null
"$bin/rapport-cli" --data-dir "$work/hostile" sync --once >/dev/null

# A mailbox for compose.test.mjs, in its own data folder so what it sends changes no other
# test's counts: one question from a correspondent whose own mailbox is on this server.
compose_owner=composer@rapport.test
compose_password=Compose-password-8d4e
compose_peer=jana@acme.test
"$root/tests/harness/mailserver.sh" adduser "$work/mail" "$compose_owner" "$compose_password"
"$bin/rapport-seed" --maildir "$MAIL_ROOT/$compose_owner/Maildir" --owner "$compose_owner" --count 0 >/dev/null
question="$MAIL_ROOT/$compose_owner/Maildir/cur/$(date +%s).question.rapport:2,"
printf 'From: Jana Novakova <%s>\r\nTo: %s\r\nSubject: Quarterly offer\r\nMessage-ID: <question-1@acme.test>\r\nDate: %s\r\n\r\nCould you send the quarterly offer?\r\n' \
  "$compose_peer" "$compose_owner" "$(date -R)" >"$question"
if [ "$(id -u)" -eq 0 ]; then chown "$MAIL_UID:$MAIL_GID" "$question"; fi
mkdir -p "$work/compose"
printf '%s' "$compose_password" | "$bin/rapport-cli" --data-dir "$work/compose" account add --email "$compose_owner" \
  --name "Compose Tester" --imap-host localhost --imap-port "$IMAP_TLS_PORT" --imap-security tls \
  --smtp-host localhost --smtp-port "$SMTP_TLS_PORT" --smtp-security tls --since all --contacts all \
  --ca-file "$CA_FILE" --password-stdin >/dev/null
"$bin/rapport-cli" --data-dir "$work/compose" sync --once >/dev/null
export E2E_COMPOSE_DATA_DIR="$work/compose"
export E2E_COMPOSE_PEER="$compose_peer"
export E2E_COMPOSE_PEER_MAILDIR="$MAIL_ROOT/$compose_peer/Maildir"

export E2E_DRIVER_PORT=$port
export E2E_APP="$bin/rapport"
export E2E_EMPTY_DATA_DIR="$work/empty"
export E2E_SEEDED_DATA_DIR="$work/seeded"
export E2E_SEEDED_EMAIL="$owner"
export E2E_SEEDED_COUNT="$count"
export E2E_SEEDED_MAILDIR="$MAIL_ROOT/$owner/Maildir"
export E2E_CLI="$bin/rapport-cli"
# A correspondent with mail both ways, and the counts the CLI reports for it.
"$bin/rapport-cli" --data-dir "$work/seeded" contacts --json >"$work/contacts.json"
read -r E2E_CONTACT_EMAIL E2E_CONTACT_SENT E2E_CONTACT_RECEIVED < <(node -e '
  const contacts = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const c = contacts.find((c) => c.sentCount > 0 && c.receivedCount > 0) ?? contacts[0];
  console.log(c.email, c.sentCount, c.receivedCount);
' "$work/contacts.json")
export E2E_CONTACT_EMAIL E2E_CONTACT_SENT E2E_CONTACT_RECEIVED
# Search: a word in that correspondent's subjects, both in mail from them and in mail to
# them (so from: must tell the two apart), and what rapport-cli finds for it.
"$bin/rapport-cli" --data-dir "$work/seeded" timeline "$E2E_CONTACT_EMAIL" --json >"$work/timeline.json"
E2E_SEARCH_WORD=$(node -e '
  const [file, email] = process.argv.slice(1);
  const fold = (s) => s.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
  const words = (s) => s.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => w.length >= 4 && !/^\p{N}+$/u.test(w));
  const counts = new Map();
  for (const e of JSON.parse(require("fs").readFileSync(file, "utf8"))) {
    const text = fold(`${e.subject} ${e.snippet}`).split(/[^\p{L}\p{N}]+/u);
    for (const w of new Set(words(e.subject))) {
      if (!text.includes(fold(w))) continue;
      const c = counts.get(w) ?? { from: 0, to: 0 };
      if (e.fromAddress === email) c.from += 1; else c.to += 1;
      counts.set(w, c);
    }
  }
  const ranked = [...counts].sort(([, a], [, b]) => (Math.min(b.from, b.to) - Math.min(a.from, a.to)) || (b.from - a.from));
  console.log(ranked[0]?.[0] ?? "");
' "$work/timeline.json" "$E2E_CONTACT_EMAIL")
export E2E_SEARCH_WORD
export E2E_SEARCH_QUERY="from:$E2E_CONTACT_EMAIL $E2E_SEARCH_WORD "
"$bin/rapport-cli" --data-dir "$work/seeded" search --json --limit 500 "$E2E_SEARCH_QUERY" >"$work/search.json"
export E2E_SEARCH_RESULTS="$work/search.json" E2E_SEARCH_TIMELINE="$work/timeline.json"
# The harness certificate names localhost; the app is not given its CA, so the wizard pins it.
export E2E_IMAP_HOST=localhost
export E2E_IMAP_TLS_PORT="$IMAP_TLS_PORT"
export E2E_SMTP_TLS_PORT="$SMTP_TLS_PORT"
export E2E_WIZARD_EMAIL="$wizard_owner"
export E2E_WIZARD_PASSWORD="$wizard_password"
export E2E_WIZARD_DATA_DIR="$work/wizard"
export E2E_WIZARD_COUNT="$wizard_count"
export E2E_HOSTILE_DATA_DIR="$work/hostile"
export E2E_HOSTILE_COUNT="$n"
export E2E_LEAK_PORT="$leak_port"
cd "$here"
# E2E_ONLY="language.test.mjs timeline.test.mjs" runs just those files.
if [ -n "${E2E_ONLY:-}" ]; then
  # shellcheck disable=SC2086
  run_tests() { node --test --test-concurrency=1 --test-timeout=180000 $E2E_ONLY; }
else
  run_tests() { npm test; }
fi
if ! run_tests; then
  echo "e2e: failed; tauri-driver log:" >&2
  tail -n 50 "$work/tauri-driver.log" >&2
  exit 1
fi
