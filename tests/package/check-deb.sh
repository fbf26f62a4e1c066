#!/usr/bin/env bash
# Checks the .deb that `make package` built, the way a user meets it: the package fields,
# the desktop entry (valid, registers as the mailto: handler, passes the link on as %u),
# then installs it with apt into a clean Debian 12 chroot made by debootstrap from the apt
# mirror, and starts the installed app there under Xvfb: it must still be running after
# a few seconds and have written its log. `make package-check` runs it; it needs root.
#   DEB=path/to.deb       the package (default: the newest in target/release/bundle/deb)
#   MIRROR=URL            the Debian mirror (default: the one apt uses here)
#   KEEP_CHROOT=1         leave the chroot in place for a look afterwards
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
start=$(date +%s)
say() { printf '\033[1m==> %s\033[0m (%ss)\n' "$*" "$(( $(date +%s) - start ))"; }
fail() { printf 'package-check: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "needs root (debootstrap and chroot); run it with sudo"
command -v debootstrap >/dev/null || fail "debootstrap is missing (apt-get install debootstrap)"
deb=${DEB:-$(ls -t "$root"/target/release/bundle/deb/*.deb 2>/dev/null | head -n1 || true)}
[ -f "$deb" ] || fail "no .deb found; run 'make package' first"
version=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$root/tauri.conf.json" | head -n1)

say "Package fields of ${deb#$root/}"
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = rapport ] || fail "package name is $(field Package), expected rapport"
[ "$(field Version)" = "$version" ] || fail "version is $(field Version), expected $version (tauri.conf.json)"
field Depends | grep -q libwebkit2gtk-4.1-0 || fail "Depends lacks the webview: $(field Depends)"
field Depends | grep -q libayatana-appindicator3-1 || fail "Depends lacks the tray library: $(field Depends)"

work=$(mktemp -d)
chroot_dir=$work/chroot
mounted=()
cleanup() {
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null || true; done
  if [ -n "${KEEP_CHROOT:-}" ]; then echo "chroot kept in $chroot_dir"; else rm -rf "$work"; fi
}
trap cleanup EXIT

say "Files and desktop entry"
dpkg-deb -x "$deb" "$work/extracted"
[ -x "$work/extracted/usr/bin/rapport" ] || fail "no /usr/bin/rapport in the package"
desktop_file=$(ls "$work"/extracted/usr/share/applications/*.desktop 2>/dev/null | head -n1)
[ -f "$desktop_file" ] || fail "no desktop entry in /usr/share/applications"
grep -q '^MimeType=.*x-scheme-handler/mailto;' "$desktop_file" || fail "the desktop entry does not register for mailto: links"
grep -q '^Exec=rapport %u$' "$desktop_file" || fail "the desktop entry does not pass the link on (Exec=rapport %u): $(grep ^Exec "$desktop_file")"
grep -q '^Icon=rapport$' "$desktop_file" || fail "unexpected icon name: $(grep ^Icon "$desktop_file")"
ls "$work"/extracted/usr/share/icons/hicolor/*/apps/rapport.png >/dev/null 2>&1 || fail "no icons under /usr/share/icons/hicolor"
if command -v desktop-file-validate >/dev/null; then
  desktop-file-validate "$desktop_file" || fail "desktop-file-validate refused the entry"
fi

mirror=${MIRROR:-$(sed -n 's/^URIs: *\(http[^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)}
mirror=${mirror:-http://deb.debian.org/debian}
say "A clean Debian 12 (bookworm, minbase) from $mirror"
debootstrap --variant=minbase bookworm "$chroot_dir" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -n 20 "$work/debootstrap.log" >&2; fail "debootstrap failed"; }
for fs in proc sys dev dev/pts; do
  mkdir -p "$chroot_dir/$fs"
  mount --bind "/$fs" "$chroot_dir/$fs"
  mounted+=("$chroot_dir/$fs")
done
cp /etc/resolv.conf "$chroot_dir/etc/resolv.conf"
cp "$deb" "$chroot_dir/tmp/rapport.deb"
in_chroot() { chroot "$chroot_dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root DEBIAN_FRONTEND=noninteractive "$@"; }
# No service may start inside the chroot while packages install.
printf '#!/bin/sh\nexit 101\n' >"$chroot_dir/usr/sbin/policy-rc.d"
chmod +x "$chroot_dir/usr/sbin/policy-rc.d"

say "apt install ./rapport.deb (its dependencies from the mirror)"
in_chroot apt-get update -qq
in_chroot apt-get install -y -qq --no-install-recommends /tmp/rapport.deb >"$work/install.log" 2>&1 \
  || { tail -n 30 "$work/install.log" >&2; fail "the package does not install on a clean Debian 12"; }
in_chroot dpkg -s rapport | grep -q '^Status: install ok installed' || fail "dpkg does not list rapport as installed"

say "mailto: registration"
in_chroot apt-get install -y -qq --no-install-recommends desktop-file-utils xvfb xauth >>"$work/install.log" 2>&1 \
  || { tail -n 30 "$work/install.log" >&2; fail "could not install the check's own tools"; }
in_chroot update-desktop-database /usr/share/applications
grep -q '^x-scheme-handler/mailto=.*[Rr]apport.desktop' "$chroot_dir/usr/share/applications/mimeinfo.cache" \
  || fail "the desktop database does not list Rapport for mailto: ($(grep mailto "$chroot_dir/usr/share/applications/mimeinfo.cache" || echo none))"

say "Start the installed app (Xvfb, 15 s)"
in_chroot mkdir -p /tmp/rapport-data /tmp/rapport-home
set +e
in_chroot env HOME=/tmp/rapport-home XDG_RUNTIME_DIR=/tmp/rapport-home \
  timeout 15 xvfb-run -a /usr/bin/rapport --data-dir /tmp/rapport-data >"$work/run.log" 2>&1
status=$?
set -e
# 124: still running when the timeout stopped it, which is what a started app does.
[ "$status" -eq 124 ] || { cat "$work/run.log" >&2; fail "the app exited with status $status instead of running"; }
[ -f "$chroot_dir/tmp/rapport-data/rapport.sqlite3" ] || { cat "$work/run.log" >&2; fail "the app did not create its database"; }
ls "$chroot_dir"/tmp/rapport-data/logs/rapport.*.log >/dev/null 2>&1 || fail "the app wrote no log file"
grep -q "starting Rapport $version" "$chroot_dir"/tmp/rapport-data/logs/rapport.*.log \
  || fail "the log does not show the start of Rapport $version"

say "package-check passed: $(basename "$deb") installs on a clean Debian 12, registers for mailto: and starts"
