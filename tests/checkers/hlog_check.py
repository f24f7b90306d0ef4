"""Decodes .hlog files written by sluice with HdrHistogram's own Python
library (hdrhistogram on PyPI) and compares them with what sluice says they
hold.

  hlog_check.py fixture FILE.hlog EXPECTED.json
      EXPECTED maps each tag to {count, max, p50, p99} in nanoseconds.
  hlog_check.py results RESULTS_DIR
      every <cell>-<rep>.hlog of a results folder against report.csv:
      latency.<kind>.count exactly, p50/p99/max within 2%.

Counts must match exactly; values within HdrHistogram's precision (3
significant digits: 0.1%; 0.2% for the fixture to allow for the two
libraries' rank rounding; against report.csv 2% plus the 0.5 us its
three decimals of milliseconds round by).
"""
import csv
import json
import os
import sys

from hdrh.histogram import HdrHistogram
from hdrh.log import HistogramLogReader


def read_hlog(path):
    reader = HistogramLogReader(path, HdrHistogram(1, 7_200_000_000_000, 3))
    seen = {}
    while True:
        h = reader.get_next_interval_histogram()
        if h is None:
            return seen
        seen[h.get_tag()] = h


def compare(label, h, want, tolerance, failures, rounding_ns=1):
    if h is None and want["count"] == 0:
        return  # nothing recorded, nothing written
    if h is None:
        failures.append(f"{label}: no interval with this tag")
        return
    if h.get_total_count() != want["count"]:
        failures.append(f"{label}: count {h.get_total_count()} != {want['count']}")
    if want["count"] == 0:
        return
    for name, got in (("max", h.get_max_value()), ("p50", h.get_value_at_percentile(50)),
                      ("p99", h.get_value_at_percentile(99))):
        if name in want and abs(got - want[name]) > tolerance * want[name] + rounding_ns:
            failures.append(f"{label}: {name} {got} != {want[name]}")
    print(f"{label}: count {h.get_total_count()}, p50 {h.get_value_at_percentile(50)} ns, "
          f"p99 {h.get_value_at_percentile(99)} ns, max {h.get_max_value()} ns")


def check_fixture(path, expected_path, failures):
    with open(expected_path) as f:
        expected = json.load(f)
    seen = read_hlog(path)
    for tag, want in expected.items():
        compare(tag, seen.get(tag), want, 0.002, failures)
    return len(expected)


def check_results(folder, failures):
    with open(os.path.join(folder, "report.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    checked = 0
    for row in rows:
        path = os.path.join(folder, f"{row['cell']}-{row['repetition']}.hlog")
        seen = read_hlog(path)
        for kind in ("end_to_end", "queue_wait", "worker", "kafka"):
            count = row.get(f"latency.{kind}.count", "")
            if count == "":
                continue
            want = {"count": int(count)}
            for name, column in (("p50", "p50_ms"), ("p99", "p99_ms"), ("max", "max_ms")):
                value = row.get(f"latency.{kind}.{column}", "")
                if value != "":
                    want[name] = float(value) * 1e6
            # report.csv rounds to 0.001 ms: half of that on top of 2%.
            compare(f"{os.path.basename(path)} {kind}", seen.get(kind), want, 0.02, failures,
                    rounding_ns=500)
            checked += 1
    if checked == 0:
        failures.append(f"{folder}: no latency histogram to check")
    return checked


def main():
    failures = []
    if sys.argv[1] == "fixture":
        checked = check_fixture(sys.argv[2], sys.argv[3], failures)
    else:
        checked = check_results(sys.argv[2], failures)
    if failures:
        print("\n".join(failures))
        return 1
    print(f"hlog: {checked} histograms decoded by hdrhistogram and equal")
    return 0


if __name__ == "__main__":
    sys.exit(main())
