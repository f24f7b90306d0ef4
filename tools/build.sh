#!/usr/bin/env bash
# Configures and builds sluice in build/ (or $SLUICE_BUILD_DIR).
# Extra arguments go to cmake's configure step, e.g. -DSLUICE_SANITIZE=thread.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${SLUICE_BUILD_DIR:-build}"
generator=()
command -v ninja >/dev/null && [ ! -f "$build/Makefile" ] && generator=(-G Ninja)
cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$build" --parallel "$(nproc)"
