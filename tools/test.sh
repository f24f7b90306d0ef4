#!/usr/bin/env bash
# One command from a fresh clone: install what is missing, build, and run
# the whole test suite: unit, integration on the embedded broker, the
# backpressure experiments of scenarios/ci/ (label experiments; results go to
# results/ci/), and the tests against a real 3-broker Kafka cluster on
# loopback (label real-kafka; tools/kafka-local setup installs Java 17 and
# Maven where missing and fetches the Kafka jars once), and the page of
# `sluice plot` in headless Chromium (label browser; tools/browser-deps.sh
# installs Chromium). Arguments go to
# ctest, e.g. tools/test.sh -L unit, or tools/test.sh -LE real-kafka.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh
tools/browser-deps.sh
tools/kafka-local setup
tools/build.sh -DSLUICE_WERROR=ON
cd "${SLUICE_BUILD_DIR:-build}"
ctest --output-on-failure --timeout 600 "$@"
