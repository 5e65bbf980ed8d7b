#!/usr/bin/env bash
# Proves that a brand-new Debian 12 machine sets itself up: builds a minimal chroot (mmdebstrap
# --variant=minbase: no samba, chromium, ldap-utils, fonts, openssl...), copies this checkout's tracked
# files and node_modules into it, and runs `npm test`'s runner there, so every system package it needs
# must come from scripts/system-packages.txt. Root only; needs Debian's package mirror. Usage:
#   sudo bash scripts/fresh-debian-check.sh [step ...]   (steps as for scripts/test.mjs; default: all)
# Not part of npm test (it takes minutes and builds a 500 MB chroot); docs/testing.md has its results.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "fresh-debian-check: must run as root (chroot, mount)"; exit 2; }
[ -d "$root/node_modules" ] || { echo "fresh-debian-check: run npm ci first"; exit 2; }
command -v mmdebstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends mmdebstrap
dir=$(mktemp -d /var/tmp/syncdrift-fresh.XXXXXX)
cleanup() {
  for m in dev/shm dev/pts dev sys proc; do umount -l "$dir/$m" 2>/dev/null || true; done
  rm -rf --one-file-system "$dir"
}
trap cleanup EXIT
echo "fresh-debian-check: minimal Debian 12 in $dir"
mmdebstrap --variant=minbase --quiet bookworm "$dir" \
  "deb http://deb.debian.org/debian bookworm main" "deb http://deb.debian.org/debian bookworm-updates main" \
  "deb http://deb.debian.org/debian-security bookworm-security main"
mkdir -p "$dir/repo"
git -C "$root" archive HEAD | tar -x -C "$dir/repo"
cp -a "$root/node_modules" "$dir/repo/node_modules"
for m in proc sys dev dev/pts dev/shm; do mkdir -p "$dir/$m"; mount --bind "/$m" "$dir/$m"; done
cp /etc/resolv.conf "$dir/etc/resolv.conf"
echo "fresh-debian-check: packages the chroot has of the declared list, before:"
chroot "$dir" /repo/node_modules/.bin/node /repo/scripts/system-packages.mjs --check || true
start=$(date +%s)
chroot "$dir" /usr/bin/env -i PATH=/repo/node_modules/.bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root CI=true \
  sh -c 'cd /repo && node scripts/test.mjs "$@"' sh "$@"
echo "fresh-debian-check: passed in $(( $(date +%s) - start )) s (set-up included)"
