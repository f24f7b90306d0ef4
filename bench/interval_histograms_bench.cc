// What the interval series (pipeline/interval_histograms.h) costs a delivery
// report: the listener records each delivered event's four latencies into
// the cell's histograms (as ProducerClient::OnDelivery does), and with the
// interval series also its end-to-end and kafka latencies into the open
// interval's histograms, after one Enter() per report batch. Each iteration
// is one event; the difference between the two benchmarks is the cost the
// interval series adds per event: two Record() calls and no allocation.
//
// Measured (CPU time, median of 3, the 2-core development machine under a
// load average of 20): the cell's four histograms 17.4 ns per event, with
// the interval series 31.7 ns, the interval series alone 11.2 ns: the two
// interval records cost what two records cost (BM_RecordNarrow: 4.4 ns
// each) plus the cache lines of two more histograms.
#include "sluice/pipeline/interval_histograms.h"

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "sluice/core/latency_histogram.h"

namespace sluice {
namespace {

constexpr size_t kValueCount = size_t{1} << 16;

std::vector<int64_t> Latencies() {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> ms(std::log(5e6), 0.8);  // about 5 ms
  std::vector<int64_t> values(kValueCount);
  for (auto& v : values) v = std::llround(ms(rng));
  return values;
}

struct CellHistograms {
  LatencyHistogram queue_wait, worker, kafka, end_to_end;
};

// Today's listener: the four histograms of the cell.
void BM_DeliveryCellHistograms(benchmark::State& state) {
  const std::vector<int64_t> v = Latencies();
  CellHistograms h;
  size_t i = 0;
  for (auto _ : state) {
    const int64_t e2e = v[i++ & (kValueCount - 1)];
    h.queue_wait.Record(e2e / 50);
    h.worker.Record(e2e / 100);
    h.kafka.Record(e2e - e2e / 50 - e2e / 100);
    h.end_to_end.Record(e2e);
  }
  benchmark::DoNotOptimize(h.end_to_end.TotalCount());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DeliveryCellHistograms);

// With the interval series: the same, plus Enter() (one per report batch;
// here one per event, the worst case) and the interval's two Record()s.
// The clock advances 1 ns per event, so a 1 s interval never closes in
// the benchmark (a close costs the recorder, on its own thread).
void BM_DeliveryCellAndIntervalHistograms(benchmark::State& state) {
  const std::vector<int64_t> v = Latencies();
  CellHistograms h;
  IntervalHistograms intervals(1'000'000'000);
  size_t i = 0;
  int64_t now = 0;
  for (auto _ : state) {
    const int64_t e2e = v[i++ & (kValueCount - 1)];
    intervals.Enter(++now);
    h.queue_wait.Record(e2e / 50);
    h.worker.Record(e2e / 100);
    const int64_t kafka = e2e - e2e / 50 - e2e / 100;
    h.kafka.Record(kafka);
    h.end_to_end.Record(e2e);
    intervals.Record(e2e, kafka);
  }
  benchmark::DoNotOptimize(h.end_to_end.TotalCount());
  benchmark::DoNotOptimize(intervals.Get(0).end_to_end.TotalCount());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DeliveryCellAndIntervalHistograms);

// The interval series alone: Enter() and two Record()s per event.
void BM_IntervalHistogramsOnly(benchmark::State& state) {
  const std::vector<int64_t> v = Latencies();
  IntervalHistograms intervals(1'000'000'000);
  size_t i = 0;
  int64_t now = 0;
  for (auto _ : state) {
    const int64_t e2e = v[i++ & (kValueCount - 1)];
    intervals.Enter(++now);
    intervals.Record(e2e, e2e - e2e / 50);
  }
  benchmark::DoNotOptimize(intervals.Get(0).end_to_end.TotalCount());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_IntervalHistogramsOnly);

}  // namespace
}  // namespace sluice
