#!/usr/bin/env bash
# The ctest fixture of the tests labelled real-kafka (see CMakeLists.txt):
#   up    start a fresh 3-broker cluster with tools/kafka-local, after taking
#         down whatever an interrupted earlier run left in the same run folder
#   down  take it down (always run by ctest, also when a test failed)
# The run folder and ports come from SLUICE_KAFKA_RUN and SLUICE_KAFKA_PORT,
# which CMake sets so that this cluster never meets a developer's own.
set -euo pipefail
KL=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/tools/kafka-local
: "${SLUICE_KAFKA_RUN:?must name the run folder of the test cluster}"

case ${1:-} in
  up)
    "$KL" down >/dev/null 2>&1 || true
    if ! "$KL" up --brokers 3; then
      "$KL" down >/dev/null 2>&1 || true
      exit 1
    fi
    ;;
  down)
    "$KL" down
    ;;
  *)
    echo "usage: $0 up|down" >&2
    exit 2
    ;;
esac
