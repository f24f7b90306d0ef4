// Writes an .hlog of known histograms for tests/checkers/hlog_check.py, and
// prints what HdrHistogram's own library must read back from it: per tag,
// the count, the exact maximum and the p50/p99 as sluice computes them.
// Usage: hlog_fixture OUT.hlog
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>

#include "sluice/core/hdr_log.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: hlog_fixture OUT.hlog\n");
    return 2;
  }
  std::ofstream out(argv[1]);
  sluice::HlogWriter writer(out, 1764467296.25, "sluice hlog fixture");
  std::mt19937_64 rng(11);
  std::printf("{");
  const char* tags[] = {"end_to_end", "queue_wait", "empty"};
  for (int t = 0; t < 3; ++t) {
    sluice::LatencyHistogram h;
    std::lognormal_distribution<double> latency(std::log(1e6 * (t + 1)), 1.5);
    const int n = t == 2 ? 0 : 50000 * (t + 1);
    for (int i = 0; i < n; ++i) h.Record(static_cast<int64_t>(latency(rng)));
    writer.WriteInterval(tags[t], t * 1.0, 1.0, h);
    std::printf("%s\"%s\": {\"count\": %lld, \"max\": %lld, \"p50\": %lld, \"p99\": %lld}",
                t ? ", " : "", tags[t], static_cast<long long>(h.TotalCount()),
                static_cast<long long>(h.Max()), static_cast<long long>(h.ValueAtPercentile(50)),
                static_cast<long long>(h.ValueAtPercentile(99)));
  }
  std::printf("}\n");
  return out.good() ? 0 : 1;
}
