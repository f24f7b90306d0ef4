#!/usr/bin/env bash
# One command from a fresh clone: install what is missing, build, and run
# the whole test suite (unit, integration on the embedded broker, and the
# backpressure experiments of scenarios/ci/, whose results go to results/ci/).
# Arguments go to ctest, e.g. tools/test.sh -L unit
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh
tools/build.sh -DSLUICE_WERROR=ON
cd "${SLUICE_BUILD_DIR:-build}"
ctest --output-on-failure --timeout 600 "$@"
