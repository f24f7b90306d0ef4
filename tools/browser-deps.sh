#!/usr/bin/env bash
# Installs Debian's chromium where it is missing: the browser test of
# `sluice plot` (ctest -L browser) and tools/screenshot.sh render report.html
# with it headless. Nothing else needs it; the browser test skips without it.
# Idempotent and quiet when it is present. Usage: tools/browser-deps.sh
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh chromium
