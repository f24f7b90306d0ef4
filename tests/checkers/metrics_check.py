"""sluice run --metrics-port, scraped as Prometheus would, parsed by
Prometheus' own Python parser (prometheus_client): live during the run
(counters that only go up, the shard's identity as labels), and at the end
(--metrics-hold) every counter equal to report.csv's column.

  metrics_check.py SLUICE SCENARIO RESULTS_ROOT
"""
import csv
import os
import socket
import subprocess
import sys
import time
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

COUNTERS = {
    "sluice_offered_events": "scheduled",
    "sluice_generated_events": "generated",
    "sluice_dropped_events": "dropped",
    "sluice_delivered_events": "delivered",
    "sluice_failed_events": "failed",
    "sluice_backpressure": "backpressure",
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(port):
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2).read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name.startswith("sluice_"):
                samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def value(samples, name):
    found = [v for (n, labels), v in samples.items() if n == name]
    assert len(found) == 1, f"{name}: {len(found)} series"
    return found[0]


def main(sluice, scenario, results):
    port = free_port()
    proc = subprocess.Popen(
        [sluice, "run", scenario, "--set", "duration=3s", "--set", "warmup=500ms", "--quiet", "--no-expect",
         "--shard", "1/3", "--metrics-port", str(port), "--metrics-hold", "20s", "--results", results],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    failures = []
    live = []
    try:
        deadline = time.time() + 60
        folder = None
        while time.time() < deadline and folder is None:
            try:
                samples = scrape(port)
                if value(samples, "sluice_running") == 1:
                    live.append(samples)
            except (OSError, AssertionError):
                pass
            if os.path.isdir(results):
                done = [d for d in os.listdir(results)
                        if os.path.exists(os.path.join(results, d, "report.json"))
                        and '"partial": false' in open(os.path.join(results, d, "report.json")).read()]
                if done:
                    folder = os.path.join(results, done[0])
            time.sleep(0.3)
        assert folder is not None, "the run did not finish"
        time.sleep(0.5)
        final = scrape(port)
        if value(final, "sluice_running") != 0:
            failures.append("sluice_running is not 0 after the run")
        with open(os.path.join(folder, "report.csv")) as f:
            row = list(csv.DictReader(f))[0]
        print(f"{len(live)} scrapes during the run")
        if len(live) < 2:
            failures.append(f"only {len(live)} scrapes while the run went on")
        for name, column in COUNTERS.items():
            series = [value(s, name + "_total") for s in live] + [value(final, name + "_total")]
            if any(b < a for a, b in zip(series, series[1:])):
                failures.append(f"{name}_total went down: {series}")
            print(f"{name}_total: live {series[:-1][-3:]}, final {series[-1]:.0f}, report.csv {column} {row[column]}")
            if series[-1] != float(row[column]):
                failures.append(f"{name}_total {series[-1]} != report.csv {column} {row[column]}")
        if live and max(value(s, "sluice_delivered_events_total") for s in live) <= 0:
            failures.append("nothing delivered while the run went on")
        labels = dict(next(l for (n, l) in final if n == "sluice_delivered_events_total"))
        if labels.get("shard") != "1" or labels.get("shards") != "3" or labels.get("scenario") != "quickstart":
            failures.append(f"labels {labels}: expected shard 1 of 3 of quickstart")
        for n in ("sluice_queue_depth", "sluice_latency_seconds", "sluice_delivered_rate"):
            value(final, n)
        # The last interval's quantiles, as timeseries.csv's rows: four
        # series, and a finite end-to-end p99 in some interval of the run.
        interval = [(dict(l), v) for s in live for (n, l), v in s.items() if n == "sluice_interval_latency_seconds"]
        kinds = {(l["kind"], l["quantile"]) for l, _ in interval}
        if kinds != {("end_to_end", "0.5"), ("end_to_end", "0.99"), ("end_to_end", "1"), ("kafka", "0.99")}:
            failures.append(f"sluice_interval_latency_seconds series: {sorted(kinds)}")
        p99s = [v for l, v in interval if l["kind"] == "end_to_end" and l["quantile"] == "0.99" and v == v]
        if not p99s or not all(0 < v < 60 for v in p99s):
            failures.append(f"interval end-to-end p99 during the run: {p99s}")
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    if failures:
        print(out)
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
