#!/usr/bin/env bash
# Remakes the picture in README.md's "Pictures" section: runs the shipped
# scenarios/sweep-batching.yaml (linger.ms x batch.size, 9 cells) briefly on
# the embedded broker, draws it with `sluice plot` and photographs the top of
# report.html with headless Chromium (tools/browser-deps.sh installs it).
# Needs a build (tools/build.sh). Usage: tools/screenshot.sh [OUTPUT.png]
# (default docs/report.png).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/report.png}
build="${SLUICE_BUILD_DIR:-build}"
sluice="$build/sluice"
[ -x "$sluice" ] || sluice="$build/harness/cli/sluice"  # where the layered build puts it
[ -x "$sluice" ] || { echo "screenshot.sh: no $sluice: run tools/build.sh first" >&2; exit 1; }
tools/browser-deps.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# 2 s per cell: the shape of the sweep shows; the figures are not for quoting.
"$sluice" run scenarios/sweep-batching.yaml --set duration=2s --set warmup=1s --quiet --no-expect \
  --results "$work" --plot
page=$(ls "$work"/sweep-batching-*/report.html)
mkdir -p "$(dirname "$out")"
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$work/profile" --virtual-time-budget=10000 --hide-scrollbars \
  --window-size=1000,1040 --force-device-scale-factor=0.85 --screenshot="$out" "file://$page" 2>/dev/null
echo "wrote $out ($(stat -c %s "$out") bytes)"
