#!/usr/bin/env bash
# Installs Debian's chromium where it is missing: the browser test of
# `sluice plot` (ctest -L browser) and tools/screenshot.sh render report.html
# with it headless. Nothing else needs it; the browser test skips without it.
# Idempotent and quiet when it is present. Usage: tools/browser-deps.sh
set -euo pipefail
dpkg-query -W -f='${Status}' chromium 2>/dev/null | grep -q "install ok installed" && exit 0
echo "sluice: installing chromium (for the browser test of sluice plot)" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "sluice: need root or sudo to install chromium" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
