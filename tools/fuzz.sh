#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ with clang under ASan and
# UBSan, in a build folder of their own, and runs each for a fixed budget.
#
#   tools/fuzz.sh [SECONDS] [TARGET...]
#
# SECONDS: the budget of each target (default 30, or $SLUICE_FUZZ_SECONDS);
# TARGETs: names from tests/fuzz/CMakeLists.txt (default: all).
# The build folder is $SLUICE_FUZZ_BUILD_DIR (default build-fuzz/). The seed
# corpus is made afresh from the shipped scenarios and traces at every run
# (seeds/NAME); what the fuzzer learns is kept in corpus/NAME; a crash is
# written to artifacts/NAME/ and fails the script (exit 1): turn it into a
# regression test and a fix, and its input goes to tests/fuzz/regressions/NAME/
# (run as seeds from then on). Installs clang-14 and its libFuzzer runtime
# (Debian's libclang-rt-14-dev) where missing.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
seconds="${1:-${SLUICE_FUZZ_SECONDS:-30}}"
[ $# -gt 0 ] && shift
build="${SLUICE_FUZZ_BUILD_DIR:-build-fuzz}"
case "$build" in /*) ;; *) build="$root/$build" ;; esac

# ---- clang and libFuzzer, from Debian ---------------------------------------
tools/deps.sh clang-14 libclang-rt-14-dev

# ---- build ------------------------------------------------------------------
generator=()
command -v ninja >/dev/null && [ ! -f "$build/Makefile" ] && generator=(-G Ninja)
cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++-14 \
  -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" \
  -DSLUICE_BUILD_FUZZERS=ON -DSLUICE_BUILD_TESTS=OFF -DSLUICE_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build "$build" --target sluice_fuzzers --parallel "$(nproc)"

# ---- seeds --------------------------------------------------------------------
# make_seeds FORM OUTDIR FILE...: see tests/fuzz/CMakeLists.txt.
make_seeds() {
  local form="$1" out="$2"
  shift 2
  rm -rf "$out"
  mkdir -p "$out"
  local n=0 f
  for f in "$@"; do
    [ -f "$f" ] || continue
    n=$((n + 1))
    local cat=(cat)
    case "$f" in *.gz) cat=(gzip -dc) ;; esac
    case "$form" in
      file) "${cat[@]}" "$f" >"$out/seed-$n" ;;
      # head closes the pipe early: the decompressor's SIGPIPE is no error.
      lines) { "${cat[@]}" "$f" 2>/dev/null || true; } | head -n 400 | split -l 16 - "$out/seed-$n-" ;;
      sse)
        { "${cat[@]}" "$f" 2>/dev/null || true; } | head -n 400 | split -l 16 - "$out/raw-$n-"
        local r
        for r in "$out"/raw-"$n"-*; do
          awk '{ print "data: " $0; print "" } NR % 5 == 0 { print ": keep-alive" }' "$r" >"${r/raw-/seed-}"
          rm "$r"
        done
        ;;
      *) echo "sluice fuzz: unknown seed form '$form'" >&2; exit 2 ;;
    esac
  done
}

# ---- run ------------------------------------------------------------------------
status=0
ran=0
while IFS='|' read -r name binary form globs; do
  [ -n "$name" ] || continue
  if [ $# -gt 0 ] && ! printf '%s\n' "$@" | grep -qx "$name"; then continue; fi
  # shellcheck disable=SC2086 # the globs are meant to expand
  files=($(cd "$root" && for g in $globs; do ls $g 2>/dev/null || true; done))
  make_seeds "$form" "$build/seeds/$name" "${files[@]/#/$root/}"
  mkdir -p "$build/corpus/$name" "$build/artifacts/$name"
  # Inputs that once crashed or hung a target (tests/fuzz/regressions/NAME)
  # are seeds too: each is also a regression test of its own elsewhere.
  regressions=()
  [ -d "$root/tests/fuzz/regressions/$name" ] && regressions=("$root/tests/fuzz/regressions/$name")
  echo "sluice fuzz: $name for ${seconds}s ($(ls "$build/seeds/$name" | wc -l) seeds)"
  if ! (cd "$build" && "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
          -print_final_stats=1 -artifact_prefix="$build/artifacts/$name/" \
          "$build/corpus/$name" "$build/seeds/$name" "${regressions[@]}" \
          >"$build/fuzz-$name.log" 2>&1); then
    echo "sluice fuzz: $name FOUND A CRASH; see $build/fuzz-$name.log and $build/artifacts/$name/" >&2
    tail -n 40 "$build/fuzz-$name.log" >&2
    status=1
  else
    grep -E "stat::number_of_executed_runs|cov:" "$build/fuzz-$name.log" | tail -n 2 || true
  fi
  ran=$((ran + 1))
done <"$build/fuzz_targets.txt"
[ "$ran" -gt 0 ] || { echo "sluice fuzz: no target matched" >&2; exit 2; }
exit $status
