#!/usr/bin/env bash
# Renders the report.html of real runs in headless Chromium and checks, from
# the page's own DOM after load, that every chart drew, that no script error
# happened and that no request was made (the page's Content-Security-Policy
# refuses every request and the page marks any refusal on <body>), then that
# a screenshot is not blank. Two runs: quickstart (one cell) and a 3-value
# linger.ms sweep with two repetitions (tests/data/plot-sweep.yaml); and the
# page of `sluice compare --plot` of the sweep against itself.
#
# Usage: plot_browser_test.sh SLUICE PNG_COLOURS SOURCE_DIR
# Installs nothing: tools/browser-deps.sh installs Chromium. Without
# /usr/bin/chromium (or $SLUICE_CHROMIUM) it skips with exit code 77.
set -euo pipefail
sluice=$1 png_colours=$2 source_dir=$3
chromium=${SLUICE_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
  echo "SKIPPED: no $chromium (tools/browser-deps.sh installs Debian's chromium)"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

browser() {
  # No first-run, sync, update or background traffic of the browser itself.
  "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --disable-default-apps --user-data-dir="$(mktemp -d -p "$work")" "$@" 2>>"$work/chromium.log"
}

fail() { echo "FAIL: $*"; exit 1; }

"$sluice" run "$source_dir/scenarios/quickstart.yaml" --set duration=1s --set warmup=0s \
  --results "$work/results" --quiet --no-expect --plot > "$work/run1.log" ||
  { cat "$work/run1.log"; fail "sluice run --plot"; }
"$sluice" run "$source_dir/tests/data/plot-sweep.yaml" --results "$work/results" --quiet \
  --no-expect > "$work/run2.log" || { cat "$work/run2.log"; fail "sluice run (sweep)"; }
sweep=$(ls -d "$work"/results/plot-sweep-*)
"$sluice" plot "$sweep" || fail "sluice plot $sweep"

# Expected charts: quickstart 1 overview + 1 per cell; the sweep 1 overview,
# 4 metrics x 1 key, 6 cells (3 values x 2 repetitions).
check() {
  local page=$1 expected=$2 name=$3 table=${4:-table}
  [ -s "$page" ] || fail "$page not written"
  local dom
  dom=$(browser --virtual-time-budget=10000 --dump-dom "file://$page")
  body=$(grep -o '<body[^>]*>' <<<"$dom" | head -1)
  echo "$name: $body"
  grep -q 'data-sluice-status="ok"' <<<"$body" || {
    grep -o '<pre id="sluice-errors">[^<]*' <<<"$dom" || true
    fail "$name: the page did not finish drawing without error"
  }
  grep -q "data-sluice-charts=\"$expected\"" <<<"$body" || fail "$name: expected $expected charts"
  grep -q "data-sluice-drawn=\"$expected\"" <<<"$body" || fail "$name: not every chart drew"
  grep -q 'data-sluice-blocked' <<<"$body" && fail "$name: the page made a request"
  [ "$(grep -o '<canvas[^>]*data-drawn="1"' <<<"$dom" | wc -l)" -eq "$expected" ] ||
    fail "$name: a canvas did not draw"
  if [ "$table" = table ]; then grep -q '<table class="figures"' <<<"$dom" || fail "$name: no table"; fi
  browser --virtual-time-budget=10000 --hide-scrollbars --window-size=1200,900 \
    --screenshot="$work/$name.png" "file://$page" >/dev/null
  read -r width height colours other < <("$png_colours" "$work/$name.png")
  echo "$name: screenshot ${width}x${height}, $colours colours, $other not background"
  [ "$colours" -gt 50 ] || fail "$name: the screenshot is blank ($colours colours)"
  awk -v o="$other" 'BEGIN { exit !(o > 0.02) }' || fail "$name: the screenshot is nearly empty"
}
check "$(ls -d "$work"/results/quickstart-*)/report.html" 2 quickstart
check "$sweep/report.html" 11 sweep
# compare: 1 chart of overlaid curves, 1 bar chart per default metric (5).
(cd "$work" && "$sluice" compare "$sweep" "$sweep" --plot > "$work/compare.log") ||
  { cat "$work/compare.log"; fail "sluice compare --plot"; }
check "$work/compare.html" 6 compare notable
echo "PASS"
