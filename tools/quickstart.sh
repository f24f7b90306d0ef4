#!/usr/bin/env bash
# One command from a fresh clone: install what is missing, build, and run
# scenarios/quickstart.yaml on the embedded broker. Extra arguments go to
# `sluice run`, e.g. tools/quickstart.sh --set producers.threads=4
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh
tools/build.sh
exec "${SLUICE_BUILD_DIR:-build}/sluice" run scenarios/quickstart.yaml "$@"
