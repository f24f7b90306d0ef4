#!/usr/bin/env bash
# The performance measurements, one command: builds, runs the Google
# Benchmark micro-benchmarks (JSON in results/microbench-<UTC>.json) and
# `sluice bench` (queued pipeline against the direct librdkafka loop, results
# folder under results/). Extra arguments go to `sluice bench`, e.g.
# tools/bench.sh --repeat 9.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh
tools/build.sh >/dev/null
build="${SLUICE_BUILD_DIR:-build}"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p results
"$build/sluice_bench" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
  --benchmark_min_time=0.2 --benchmark_out="results/microbench-$stamp.json" \
  --benchmark_out_format=json
"$build/sluice" bench "$@"
