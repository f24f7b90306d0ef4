"""Decodes an .hlog written by sluice with HdrHistogram's own Python library
(hdrhistogram on PyPI) and compares it with what sluice says it holds.

Usage: hlog_check.py FILE.hlog EXPECTED.json
EXPECTED maps each tag to {count, max, p50, p99} in nanoseconds. Counts must
match exactly; percentiles and the maximum within HdrHistogram's precision
(3 significant digits: 0.1%, checked at 0.2% to allow for the two libraries'
rank rounding).
"""
import json
import sys

from hdrh.histogram import HdrHistogram
from hdrh.log import HistogramLogReader


def main():
    path, expected_path = sys.argv[1], sys.argv[2]
    with open(expected_path) as f:
        expected = json.load(f)
    reader = HistogramLogReader(path, HdrHistogram(1, 7_200_000_000_000, 3))
    seen = {}
    while True:
        h = reader.get_next_interval_histogram()
        if h is None:
            break
        seen[h.get_tag()] = h
    failures = []
    for tag, want in expected.items():
        h = seen.get(tag)
        if h is None:
            failures.append(f"{tag}: no interval with this tag")
            continue
        if h.get_total_count() != want["count"]:
            failures.append(f"{tag}: count {h.get_total_count()} != {want['count']}")
        if want["count"] == 0:
            continue
        for name, got in (("max", h.get_max_value()), ("p50", h.get_value_at_percentile(50)),
                          ("p99", h.get_value_at_percentile(99))):
            if abs(got - want[name]) > 0.002 * want[name] + 1:
                failures.append(f"{tag}: {name} {got} != {want[name]}")
        print(f"{tag}: count {h.get_total_count()}, p50 {h.get_value_at_percentile(50)} ns, "
              f"p99 {h.get_value_at_percentile(99)} ns, max {h.get_max_value()} ns")
    if failures:
        print("\n".join(failures))
        return 1
    print(f"hlog: {len(expected)} histograms decoded by hdrhistogram and equal")
    return 0


if __name__ == "__main__":
    sys.exit(main())
