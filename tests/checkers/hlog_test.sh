#!/usr/bin/env bash
# .hlog files decode with HdrHistogram's own Python library to what sluice
# recorded: a fixture of known histograms, and a real run's results folder
# against its report.csv. Usage: hlog_test.sh FIXTURE_BINARY SLUICE PYENV
set -euo pipefail
fixture=$1 sluice=$2 pyenv=$3
here=$(cd "$(dirname "$0")" && pwd)
"$here/../../tools/pyenv.sh" "$pyenv"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$fixture" "$work/fixture.hlog" > "$work/expected.json"
"$pyenv/bin/python" "$here/hlog_check.py" fixture "$work/fixture.hlog" "$work/expected.json"
"$sluice" run "$here/../../scenarios/quickstart.yaml" --set duration=2s --set warmup=500ms \
  --set producers.threads=1 --quiet --results "$work/results" > "$work/run.log" 2>&1 || { cat "$work/run.log"; exit 1; }
"$pyenv/bin/python" "$here/hlog_check.py" results "$work"/results/*/
