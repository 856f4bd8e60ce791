#!/usr/bin/env bash
# Install the Debian "chromium" package when /usr/bin/chromium is absent, for the
# review page's end-to-end test (Playwright drives this browser through its
# executable path; Playwright downloads no browser). Also installs a small CJK
# font (fonts-wqy-microhei, 1.6 MB) when absent, so that the screenshots show the
# HJ 633 level names (优, 良, 轻度污染, …) instead of empty boxes.
#
#   bash scripts/ci_chromium.sh
#
# Idempotent and quiet: when both are there it does nothing; otherwise it runs
# apt-get update and install (as root, or through sudo) with the output kept in a
# temporary log. On success it prints nothing; on failure it prints the log and
# an error to stderr and exits non-zero.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
CJK_FONT=/usr/share/fonts/truetype/wqy/wqy-microhei.ttc

die() { echo "ci_chromium: error: $*" >&2; exit 1; }

packages=()
[ -x "$CHROMIUM" ] || packages+=(chromium)
[ -f "$CJK_FONT" ] || packages+=(fonts-wqy-microhei)
[ "${#packages[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
    as_root() { "$@"; }
else
    command -v sudo >/dev/null 2>&1 || die "run as root (or install sudo)"
    as_root() { sudo -n "$@"; }
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
if ! {
    as_root apt-get update -qq &&
        as_root apt-get install -y -qq --no-install-recommends "${packages[@]}"
} >"$log" 2>&1; then
    cat "$log" >&2
    die "apt-get could not install: ${packages[*]}"
fi

[ -x "$CHROMIUM" ] || die "chromium installed but $CHROMIUM is missing"
