#!/usr/bin/env bash
# sluice run --metrics-port, scraped during the run and parsed with
# prometheus_client; its final counters equal report.csv's.
# Usage: metrics_test.sh SLUICE PYENV
set -euo pipefail
sluice=$1 pyenv=$2
here=$(cd "$(dirname "$0")" && pwd)
"$here/../../tools/pyenv.sh" "$pyenv"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$pyenv/bin/python" "$here/metrics_check.py" "$sluice" "$here/../../scenarios/quickstart.yaml" "$work/results"
echo "metrics: OK"
