// How much the source costs per event: arrival times, the event generator
// (type, size, key), and key formatting. The pacer's per-event budget at
// 1M events/s is 1000 ns; these are a few percent of it.
#include <benchmark/benchmark.h>

#include "sluice/pipeline/payload.h"
#include "sluice/core/bounded_queue.h"
#include "sluice/core/clock.h"
#include "sluice/pipeline/source.h"

#include <atomic>
#include <thread>
#include <vector>

namespace sluice {
namespace {

SyntheticSourceSpec Spec(ArrivalKind arrival) {
  SyntheticSourceSpec spec;
  spec.rate = 1e6;
  spec.arrival = arrival;
  EventTypeSpec create{"create", 0.86, {}};
  create.size.kind = SizeDistribution::Kind::kLognormal;
  create.size.median = 450;
  create.size.p99 = 2500;
  create.size.max = 20000;
  EventTypeSpec del{"delete", 0.12, {}};
  del.size.fixed = 180;
  EventTypeSpec update{"update", 0.02, {}};
  update.size = create.size;
  spec.events = {create, del, update};
  spec.keys.kind = KeySpec::Kind::kZipf;
  spec.keys.count = 100000;
  spec.keys.zipf_exponent = 1.1;
  return spec;
}

void BM_Arrival(benchmark::State& state) {
  ArrivalProcess arrivals(Spec(static_cast<ArrivalKind>(state.range(0))), 60'000'000'000, 1);
  for (auto _ : state) benchmark::DoNotOptimize(arrivals.Next());
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(ToString(static_cast<ArrivalKind>(state.range(0))));
}
BENCHMARK(BM_Arrival)->DenseRange(0, 3);

void BM_EventGenerator(benchmark::State& state) {
  EventGenerator generator(Spec(ArrivalKind::kPoisson), 60'000'000'000, 1);
  Event event;
  for (auto _ : state) {
    generator.Next(&event);
    benchmark::DoNotOptimize(event);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EventGenerator);

void BM_Zipf(benchmark::State& state) {
  ZipfSampler zipf(static_cast<uint64_t>(state.range(0)), 1.1);
  Rng rng(1);
  for (auto _ : state) benchmark::DoNotOptimize(zipf.Sample(rng));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Zipf)->Arg(1000)->Arg(1000000);

void BM_FormatKey(benchmark::State& state) {
  char key[24];
  uint32_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(FormatKey(i++ * 7919u, key));
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FormatKey);

}  // namespace
}  // namespace sluice

namespace sluice {
namespace {

// How close the pacer keeps to schedule, and what it costs: a constant
// stream at `rate` (first argument) for half a second, with source.timing
// sleep (second argument 0) or spin (1), into a queue that a consumer
// thread drains. The source runs on the benchmark's thread, so the CPU
// column is the pacer's own CPU per half second (the consumer's is not in
// it). Counters: the share of events handed over more than 1 ms late, the
// lag's p50, p99 and maximum (hand-over minus intended time), and the
// pacer's wake-ups per second.
void BM_PacerSchedule(benchmark::State& state) {
  Scenario scenario;
  scenario.duration_ns = 500'000'000;
  scenario.source = Spec(ArrivalKind::kConstant);
  scenario.source.rate = static_cast<double>(state.range(0));
  scenario.timing = state.range(1) == 0 ? SourceTiming::kSleep : SourceTiming::kSpin;
  scenario.queue.capacity = 1 << 20;
  scenario.queue.when_full = WhenFull::kDropNewest;
  double late = 0, p50_us = 0, p99_us = 0, max_lag_us = 0, events = 0, wakeups = 0;
  for (auto _ : state) {
    BoundedQueue<Event> queue(static_cast<size_t>(scenario.queue.capacity));
    Source source(scenario, queue, 1);
    std::atomic<bool> stop{false}, done{false};
    std::thread drain([&] {
      auto token = queue.MakeConsumerToken();
      std::vector<Event> batch(1024);
      while (!done.load() || queue.Depth() > 0) queue.PopBulk(token, batch.data(), batch.size(), 1000);
    });
    source.Run(NowNs() + 1'000'000, stop);
    done.store(true);
    drain.join();
    const SourceCounters& c = source.counters();
    events = static_cast<double>(c.generated.Get());
    late = static_cast<double>(c.late.Get()) / events;
    p50_us = static_cast<double>(source.lag().ValueAtPercentile(50)) / 1e3;
    p99_us = static_cast<double>(source.lag().ValueAtPercentile(99)) / 1e3;
    max_lag_us = static_cast<double>(c.max_lag_ns.Get()) / 1e3;
    wakeups = static_cast<double>(c.wakeups.Get()) / 0.5;
  }
  state.counters["events"] = events;
  state.counters["late_share"] = late;
  state.counters["lag_p50_us"] = p50_us;
  state.counters["lag_p99_us"] = p99_us;
  state.counters["lag_max_us"] = max_lag_us;
  state.counters["wakeups_per_s"] = wakeups;
  state.SetLabel(state.range(1) == 0 ? "sleep" : "spin");
}
BENCHMARK(BM_PacerSchedule)
    ->ArgsProduct({{1'000, 20'000, 100'000, 1'000'000}, {0, 1}})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

}  // namespace
}  // namespace sluice
