#!/usr/bin/env bash
# Fails when a file of a lower layer includes a header of a higher one, when
# a file outside the cli layer includes CLI11, or when a header sits outside
# the layer folders. The layers, lowest first (harness/CMakeLists.txt):
#   core < scenario < pipeline < report < analysis < cli
# core/bounded_queue.h and core/latency_histogram.h include nothing of the
# project at all. Usage: tests/layering_test.sh [SOURCE_DIR]
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"
layers=(core scenario pipeline report analysis cli)
rank() { local i; for i in "${!layers[@]}"; do [ "${layers[$i]}" = "$1" ] && { echo "$i"; return; }; done; echo -1; }

bad=0
checked=0
for dir in harness include/sluice; do
  for layer in "${layers[@]}"; do
    [ -d "$dir/$layer" ] || continue
    mine=$(rank "$layer")
    while IFS= read -r file; do
      checked=$((checked + 1))
      while IFS= read -r inc; do
        other=${inc%%/*}
        r=$(rank "$other")
        if [ "$r" -lt 0 ]; then
          echo "$file: includes sluice/$inc, which is in no layer"; bad=1
        elif [ "$r" -gt "$mine" ]; then
          echo "$file: layer '$layer' includes sluice/$inc of the higher layer '$other'"; bad=1
        fi
      done < <(grep -oE '^#include "sluice/[^"]+"' "$file" | sed -E 's/^#include "sluice\/(.*)"/\1/')
      if [ "$layer" != cli ] && grep -qE '^#include [<"]CLI/' "$file"; then
        echo "$file: includes CLI11 outside the cli layer"; bad=1
      fi
    done < <(find "$dir/$layer" -name '*.h' -o -name '*.cc' | sort)
  done
done
for f in include/sluice/core/bounded_queue.h include/sluice/core/latency_histogram.h; do
  [ -f "$f" ] || continue
  if grep -qE '^#include "sluice/' "$f"; then echo "$f: must not depend on the project"; bad=1; fi
done
stray=$(find include/sluice harness -maxdepth 1 -type f \( -name '*.h' -o -name '*.cc' \) | sort)
if [ -n "$stray" ]; then echo "outside the layer folders:"; echo "$stray"; bad=1; fi
# Tests, benchmarks and tools may include anything; nothing else includes CLI11.
for f in $(grep -rlE '^#include [<"]CLI/' tests bench 2>/dev/null); do echo "$f: includes CLI11"; bad=1; done
[ "$checked" -gt 20 ] || { echo "only $checked files found: wrong folder?"; exit 1; }
[ $bad -eq 0 ] && echo "layering: $checked files, every include goes down"
exit $bad
