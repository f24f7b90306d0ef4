#!/usr/bin/env bash
# Makes the Python virtual environment of the test checkers (PyPI packages
# listed in tests/checkers/requirements.txt) in $SLUICE_BUILD_DIR/pyenv, or
# the folder given. Python is used only by tests and tooling, never by
# sluice itself. Idempotent: reinstalls only when the requirements changed.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${1:-${SLUICE_BUILD_DIR:-build}/pyenv}"
req=tests/checkers/requirements.txt
if [ -x "$venv/bin/python" ] && cmp -s "$req" "$venv/requirements.txt"; then exit 0; fi
command -v python3 >/dev/null || { echo "sluice: python3 is needed for the test checkers" >&2; exit 1; }
if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
  tools/deps.sh python3-venv
fi
python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check -r "$req"
cp "$req" "$venv/requirements.txt"
