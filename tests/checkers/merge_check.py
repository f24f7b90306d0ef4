"""Checks a merged results folder (sluice merge) against its shards and an
unsharded run of the same scenario, decoding the .hlog files with
HdrHistogram's own Python library (hdrhistogram on PyPI).

  merge_check.py MERGED UNSHARDED SHARD...

- merged scheduled within 2% of the unsharded run's;
- generated and delivered the sums of the shards'; the ledger balances;
- the merged end-to-end histogram is one histogram fed every shard's values:
  its count is the sum, and its p99 equals the p99 of the shards' decoded
  histograms added together by hdrhistogram itself.
"""
import csv
import os
import sys

from hdrh.histogram import HdrHistogram
from hdrh.log import HistogramLogReader


def row(folder):
    with open(os.path.join(folder, "report.csv")) as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 1, f"{folder}: expected one cell, got {len(rows)}"
    return rows[0]


def end_to_end(folder):
    reader = HistogramLogReader(os.path.join(folder, "0-0.hlog"), HdrHistogram(1, 7_200_000_000_000, 3))
    while True:
        h = reader.get_next_interval_histogram()
        if h is None:
            raise AssertionError(f"{folder}: no end_to_end histogram")
        if h.get_tag() == "end_to_end":
            return h


def main(merged, unsharded, shards):
    failures = []
    m, u, parts = row(merged), row(unsharded), [row(s) for s in shards]
    scheduled_m, scheduled_u = int(m["scheduled"]), int(u["scheduled"])
    off = abs(scheduled_m - scheduled_u) / scheduled_u
    print(f"scheduled: merged {scheduled_m}, unsharded {scheduled_u} ({off:.2%} apart)")
    if off > 0.02:
        failures.append(f"merged scheduled {scheduled_m} is {off:.2%} from the unsharded {scheduled_u}")
    for column in ("scheduled", "generated", "delivered", "latency.end_to_end.count"):
        total = sum(int(p[column]) for p in parts)
        print(f"{column}: merged {m[column]}, shards {' + '.join(p[column] for p in parts)} = {total}")
        if int(m[column]) != total:
            failures.append(f"{column}: merged {m[column]} != sum of shards {total}")
    if m["ledger_ok"] != "true":
        failures.append("the merged ledger does not balance")
    fed = HdrHistogram(1, 7_200_000_000_000, 3)
    for s in shards:
        fed.add(end_to_end(s))
    got = end_to_end(merged)
    print(f"end_to_end p99: merged {got.get_value_at_percentile(99)} ns, one histogram of every shard's "
          f"values {fed.get_value_at_percentile(99)} ns; report.csv {m['latency.end_to_end.p99_ms']} ms")
    if got.get_total_count() != fed.get_total_count():
        failures.append(f"merged count {got.get_total_count()} != {fed.get_total_count()}")
    if not fed.equivalent_values(got.get_value_at_percentile(99), fed.get_value_at_percentile(99)) \
            if hasattr(fed, "equivalent_values") else \
            abs(got.get_value_at_percentile(99) - fed.get_value_at_percentile(99)) > 0.001 * fed.get_value_at_percentile(99):
        failures.append(f"merged p99 {got.get_value_at_percentile(99)} != {fed.get_value_at_percentile(99)}")
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3:]))
