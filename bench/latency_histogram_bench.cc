// Micro-benchmarks for LatencyHistogram. The goal for Record() is under 5 ns
// per value; each Record iteration records exactly one value, so the Time
// column is the cost per value.

#include "sluice/core/latency_histogram.h"

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <sstream>
#include <vector>

namespace sluice {
namespace {

constexpr size_t kValueCount = size_t{1} << 16;  // A power of two, for masking.

// Values precomputed so the benchmark times the histogram, not the RNG.
std::vector<int64_t> LogUniformValues(int64_t lo, int64_t hi) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> exponent(
      std::log(static_cast<double>(lo)), std::log(static_cast<double>(hi)));
  std::vector<int64_t> values(kValueCount);
  for (auto& v : values) v = std::llround(std::exp(exponent(rng)));
  return values;
}

// The common case in a run: latencies within two decades.
void BM_RecordNarrow(benchmark::State& state) {
  const std::vector<int64_t> values = LogUniformValues(100'000, 10'000'000);
  LatencyHistogram histogram;
  size_t i = 0;
  for (auto _ : state) histogram.Record(values[i++ & (kValueCount - 1)]);
  benchmark::DoNotOptimize(histogram.TotalCount());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecordNarrow);

// Worst case for the cache: values spread over seven decades touch most of
// the counts array.
void BM_RecordWide(benchmark::State& state) {
  const std::vector<int64_t> values = LogUniformValues(1'000, 10'000'000'000);
  LatencyHistogram histogram;
  size_t i = 0;
  for (auto _ : state) histogram.Record(values[i++ & (kValueCount - 1)]);
  benchmark::DoNotOptimize(histogram.TotalCount());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecordWide);

// Same value every time: one hot counter, a chain of dependent increments.
void BM_RecordConstant(benchmark::State& state) {
  LatencyHistogram histogram;
  int64_t value = 1'234'567;
  for (auto _ : state) {
    benchmark::DoNotOptimize(value);
    histogram.Record(value);
  }
  benchmark::DoNotOptimize(histogram.TotalCount());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecordConstant);

void BM_Merge(benchmark::State& state) {
  const std::vector<int64_t> values = LogUniformValues(1'000, 10'000'000'000);
  LatencyHistogram source;
  for (const int64_t v : values) source.Record(v);
  LatencyHistogram target;
  for (auto _ : state) {
    target.Merge(source);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(source.MemoryBytes()));
}
BENCHMARK(BM_Merge);

void BM_ValueAtPercentile(benchmark::State& state) {
  const std::vector<int64_t> values = LogUniformValues(1'000, 10'000'000'000);
  LatencyHistogram histogram;
  for (const int64_t v : values) histogram.Record(v);
  for (auto _ : state) {
    benchmark::DoNotOptimize(histogram.ValueAtPercentile(99.9));
  }
}
BENCHMARK(BM_ValueAtPercentile);

void BM_Summarize(benchmark::State& state) {
  const std::vector<int64_t> values = LogUniformValues(1'000, 10'000'000'000);
  LatencyHistogram histogram;
  for (const int64_t v : values) histogram.Record(v);
  for (auto _ : state) benchmark::DoNotOptimize(histogram.Summarize());
}
BENCHMARK(BM_Summarize);

void BM_WritePercentiles(benchmark::State& state) {
  const std::vector<int64_t> values = LogUniformValues(1'000, 10'000'000'000);
  LatencyHistogram histogram;
  for (const int64_t v : values) histogram.Record(v);
  for (auto _ : state) {
    std::ostringstream out;
    histogram.WritePercentiles(out, 1e6);
    benchmark::DoNotOptimize(out.str().size());
  }
}
BENCHMARK(BM_WritePercentiles);

}  // namespace
}  // namespace sluice
