#!/usr/bin/env bash
# .hlog files decode with HdrHistogram's own Python library to what sluice
# recorded. Usage: hlog_test.sh FIXTURE_BINARY PYENV
set -euo pipefail
fixture=$1 pyenv=$2
here=$(cd "$(dirname "$0")" && pwd)
"$here/../../tools/pyenv.sh" "$pyenv"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$fixture" "$work/fixture.hlog" > "$work/expected.json"
"$pyenv/bin/python" "$here/hlog_check.py" "$work/fixture.hlog" "$work/expected.json"
