#!/usr/bin/env bash
# The local proof of sharding (issue 15): two shards of quickstart as two
# processes against one `sluice broker`, begun together with --start-in,
# merged; against an unsharded run of the same scenario on the same broker.
# Then merge's refusals (exit 2). Usage: shard_merge_test.sh SLUICE PYENV
set -euo pipefail
sluice=$1 pyenv=$2
here=$(cd "$(dirname "$0")" && pwd)
"$here/../../tools/pyenv.sh" "$pyenv"
work=$(mktemp -d)
broker_pid=""
cleanup() {
  [ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null && wait "$broker_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# The mock cluster of another process does not serve CreateTopics: the
# topic is made by the broker, and every run reuses it.
"$sluice" broker --topic qs:6 > "$work/broker.txt" 2> "$work/broker.err" &
broker_pid=$!
for _ in $(seq 100); do [ -s "$work/broker.txt" ] && break; sleep 0.1; done
bootstrap=$(head -1 "$work/broker.txt")
[ -n "$bootstrap" ] || { cat "$work/broker.err"; exit 1; }

scenario="$here/../../scenarios/quickstart.yaml"
common=(--bootstrap "$bootstrap" --set topic.name=qs --set topic.reuse=true --set duration=2s
        --set warmup=500ms --set producers.threads=1 --quiet --no-expect)
# two_shards NAME SCENARIO ARGS...: shards 0/2 and 1/2 as two processes
# begun at one --start-at ($start), into $work/NAME0 and $work/NAME1.
two_shards() {
  local name=$1 file=$2 i
  shift 2
  start=$(date -u -d '+7 sec' +%Y-%m-%dT%H:%M:%S.000Z)  # whole seconds: 6 to 7 s to set up
  for i in 0 1; do
    "$sluice" run "$file" "$@" --shard "$i/2" --start-at "$start" \
      --results "$work/$name$i" > "$work/$name$i.log" 2>&1 &
    pids[$i]=$!
  done
  for i in 0 1; do wait "${pids[$i]}" || { cat "$work/$name$i.log"; exit 1; }; done
}
two_shards shard "$scenario" "${common[@]}"
"$sluice" run "$scenario" "${common[@]}" --results "$work/whole" > "$work/whole.log" 2>&1 ||
  { cat "$work/whole.log"; exit 1; }
shard0=$(echo "$work"/shard0/*/) shard1=$(echo "$work"/shard1/*/) whole=$(echo "$work"/whole/*/)
grep -q '"index": 1' "$shard1/shard.json"
grep -q '"count": 2' "$shard1/shard.json"
grep -q '"start_at": "'"$start"'"' "$shard0/shard.json"

"$sluice" merge "$shard0" "$shard1" -o "$work/merged"
"$pyenv/bin/python" "$here/merge_check.py" "$work/merged" "$whole" "$shard0" "$shard1"
"$pyenv/bin/python" "$here/hlog_check.py" results "$work/merged"
# The merged folder is an ordinary results folder.
"$sluice" compare "$whole" "$work/merged" > "$work/compare.txt"
"$sluice" plot "$work/merged" > /dev/null
# The shards' real time series, merged: the intervals' counts add up to the
# merged report's totals, and to the shards' own rows.
"$pyenv/bin/python" - "$work/merged" "$shard0" "$shard1" <<'PY'
import csv, sys
def rows(folder):
    return list(csv.DictReader(open(folder + "/timeseries.csv")))
merged, shards = rows(sys.argv[1]), [rows(f) for f in sys.argv[2:]]
report = next(csv.DictReader(open(sys.argv[1] + "/report.csv")))
for col, total in (("delivered", "delivered"), ("generated", "generated"), ("offered", "scheduled")):
    got = sum(int(r[col]) for r in merged)
    assert got == int(report[total]), f"timeseries {col} {got} != report.csv {total} {report[total]}"
    assert got == sum(int(r[col]) for s in shards for r in s), f"timeseries {col}: not the shards' sum"
assert any(r["latency.end_to_end.p99_ms"] for r in merged), "no interval latency in the merged series"
print(f"merged timeseries.csv: {len(merged)} rows, counts add up")
PY

# A sweep: every cell begins in its slot (start + the cells before it,
# each warm-up + duration + --cell-gap) on every shard, so each cell's
# windows line up, not only the first's; merge checks that of every cell.
{ cat "$scenario"; printf 'sweep:\n  producers.kafka.linger.ms: [0, 5]\n'; } > "$work/sweep.yaml"
sweep=(--bootstrap "$bootstrap" --set topic.name=qs --set topic.reuse=true --set duration=1s
       --set warmup=300ms --set producers.threads=1 --quiet --no-expect --cell-gap 3s)
two_shards sweep "$work/sweep.yaml" "${sweep[@]}"
sweep0=$(echo "$work"/sweep0/*/) sweep1=$(echo "$work"/sweep1/*/)
"$sluice" merge "$sweep0" "$sweep1" -o "$work/sweep-merged"
"$pyenv/bin/python" - "$work/sweep-merged" "$sweep0" "$sweep1" <<'PY'
import csv, json, sys
merged = list(csv.DictReader(open(sys.argv[1] + "/report.csv")))
assert len(merged) == 2, f"merged sweep: {len(merged)} rows, expected 2"
slots = []
for folder in sys.argv[2:]:
    m = json.load(open(folder + "/shard.json"))
    assert m["cell_gap_s"] == 3, m["cell_gap_s"]
    cells = m["cells"]
    assert [(c["cell"], c["repetition"]) for c in cells] == [(0, 0), (1, 0)], cells
    # Slot 1 = slot 0 + warm-up 0.3 s + duration 1 s + gap 3 s; no cell
    # begins before its slot (the clock's millisecond rounding aside).
    assert abs(cells[1]["slot_unix_s"] - cells[0]["slot_unix_s"] - 4.3) < 1e-6, cells
    for c in cells:
        assert c["started_unix_s"] >= c["slot_unix_s"] - 0.002, c
    slots.append([c["slot_unix_s"] for c in cells])
assert slots[0] == slots[1], f"the shards' slots differ: {slots}"
for cell in (0, 1):
    starts = []
    for folder in sys.argv[2:]:
        for line in open(f"{folder}/{cell}-0.hlog"):
            if line.startswith("#[StartTime: "):
                starts.append(float(line[13:].split()[0]))
                break
    print(f"cell {cell}: the shards began {abs(starts[0] - starts[1]) * 1000:.1f} ms apart")
for r in merged:
    assert int(r["delivered"]) > 0 and r["ledger_ok"] == "true", r
print("merged sweep: 2 cells, each in its slot on both shards")
PY
# A shard that began a later cell apart from the others is refused.
late=$work/sweep1-late
cp -r "$sweep1" "$late"
"$pyenv/bin/python" - "$late/1-0.hlog" <<'PY'
import re, sys
path = sys.argv[1]
text = open(path).read()
text = re.sub(r"#\[StartTime: ([0-9.]+)", lambda m: f"#[StartTime: {float(m.group(1)) + 10:.3f}", text, count=1)
open(path, "w").write(text)
PY

# timeseries.csv (per-interval rows, issue 10's format) when the shards
# have one: rows lined up by wall-clock time, counts summed, maxima kept.
for i in 0 1; do
  d=$(echo "$work/shard$i"/*/)
  cp -r "$d" "$work/ts$i"
  rm -f "$work/ts$i"/*.intervals.hlog  # the fixture's latency columns alone
  {
    echo "cell,repetition,t_s,offered,generated,dropped,delivered,failed,backpressure,depth_max,depth_mean,latency.end_to_end.p99_ms,faults"
    echo "0,0,1,10$i,10$i,0,9$i,0,$i,1$i,0.5,2.$i,"
    echo "0,0,2,20$i,20$i,1,19$i,0,0,2$i,1.5,3.$i,broker_down"
  } > "$work/ts$i/timeseries.csv"
done
"$sluice" merge "$work/ts0" "$work/ts1" -o "$work/ts-merged"
expected="cell,repetition,t_s,offered,generated,dropped,delivered,failed,backpressure,depth_max,depth_mean,latency.end_to_end.p99_ms,faults
0,0,1,201,201,0,181,0,1,11,1,2.100,
0,0,2,401,401,2,381,0,0,21,3,3.100,broker_down"
if [ "$(tr -d '\r' < "$work/ts-merged/timeseries.csv")" != "$expected" ]; then
  echo "merged timeseries.csv:"; cat "$work/ts-merged/timeseries.csv"; echo "expected:"; echo "$expected"; exit 1
fi

# Refusals: exit 2 with a message, and no output folder.
refuse() {
  local what=$1; shift
  set +e
  "$sluice" merge "$@" -o "$work/refused" 2> "$work/refused.txt"
  local rc=$?
  set -e
  if [ "$rc" -ne 2 ] || [ -e "$work/refused" ] || ! grep -q "$what" "$work/refused.txt"; then
    echo "merge $*: expected exit 2 saying '$what', got $rc:"; cat "$work/refused.txt"; exit 1
  fi
  echo "refused ($what): $(cat "$work/refused.txt")"
}
refuse "missing" "$shard0"
refuse "given twice" "$shard0" "$shard0" "$shard1"
refuse "shard.json" "$shard0" "$whole"
edit() {  # edit FOLDER FILE PYTHON-EXPRESSION-ON-d: a changed copy of a shard
  local copy="$work/edited-$RANDOM"
  cp -r "$1" "$copy"
  "$pyenv/bin/python" - "$copy/$2" "$3" <<'PY'
import json, sys
path, expr = sys.argv[1], sys.argv[2]
d = json.load(open(path))
exec(expr)
json.dump(d, open(path, "w"))
PY
  echo "$copy"
}
refuse "shard of" "$shard0" "$(edit "$shard1" shard.json 'd["count"] = 3')"
refuse "scenario differs" "$shard0" "$(edit "$shard1" report.json 'd["scenario"]["seed"] = 43')"
refuse "revision" "$shard0" "$(edit "$shard1" report.json 'd["environment"]["git_revision"] = "0000000"')"
cp -r "$shard1" "$work/no-ts1" && rm "$work/no-ts1/timeseries.csv"
refuse "missing, but other shards have one" "$work/ts0" "$work/no-ts1"
refuse "missing, but other shards have one" "$work/no-ts1" "$work/ts0"
refuse "apart" "$shard0" "$(edit "$shard1" shard.json 'd["started_unix_s"] += 2.5')"
refuse "cell 1 repetition 0: shard 1/2 began it [0-9.]* s after shard 0/2" "$sweep0" "$late"
refuse "ran with --cell-gap 4s, but" "$sweep0" "$(edit "$sweep1" shard.json 'd["cell_gap_s"] = 4')"
refuse "another start slot" "$sweep0" "$(edit "$sweep1" shard.json 'd["cells"][1]["slot_unix_s"] += 1')"
echo "shard merge: OK"
