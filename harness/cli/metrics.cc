#include "sluice/cli/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <array>
#include <cmath>
#include <map>
#include <sstream>

namespace sluice {
namespace {

enum CounterIndex { kOffered, kGenerated, kDropped, kDelivered, kFailed, kBackpressure, kCounters };

constexpr std::array<std::pair<const char*, const char*>, kCounters> kCounterNames = {{
    {"sluice_offered_events_total", "Events the arrival process scheduled (report.csv: scheduled)"},
    {"sluice_generated_events_total", "Events handed to the queue's when-full policy (generated)"},
    {"sluice_dropped_events_total", "Events a full queue dropped (dropped)"},
    {"sluice_delivered_events_total", "Events the broker acknowledged (delivered)"},
    {"sluice_failed_events_total", "Events refused by produce() or failed in a delivery report (failed)"},
    {"sluice_backpressure_total", "ERR__QUEUE_FULL answers from librdkafka, each retried (backpressure)"},
}};

}  // namespace

struct MetricsExporter::State {
  std::unique_ptr<prometheus::Exposer> exposer;
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  std::array<prometheus::Counter*, kCounters> counters{};
  // What the counters hold: the finished cells' totals plus the running
  // cell's figures so far (a counter only goes up, by the difference).
  std::array<double, kCounters> finished{}, shown{};
  prometheus::Gauge* depth = nullptr;
  prometheus::Gauge* offered_rate = nullptr;
  prometheus::Gauge* delivered_rate = nullptr;
  prometheus::Gauge* p99 = nullptr;
  // The last interval's quantiles (timeseries.csv's row), in seconds.
  prometheus::Gauge* interval_p50 = nullptr;
  prometheus::Gauge* interval_p99 = nullptr;
  prometheus::Gauge* interval_max = nullptr;
  prometheus::Gauge* interval_kafka_p99 = nullptr;
  // One series per fault action seen so far: 1 while active, else 0.
  prometheus::Family<prometheus::Gauge>* fault_family = nullptr;
  std::map<std::string, prometheus::Gauge*> faults;
  prometheus::Gauge* cell = nullptr;
  prometheus::Gauge* repetition = nullptr;
  prometheus::Gauge* running = nullptr;

  void Show(int which, double value) {
    if (value > shown[which]) {
      counters[which]->Increment(value - shown[which]);
      shown[which] = value;
    }
  }
};

MetricsExporter::MetricsExporter(int port, const std::string& scenario, const Shard& shard,
                                 const std::string& run_id)
    : state_(std::make_unique<State>()) {
  State& s = *state_;
  const prometheus::Labels labels = {{"scenario", scenario},
                                     {"shard", std::to_string(shard.index)},
                                     {"shards", std::to_string(shard.count)},
                                     {"run", run_id}};
  for (int i = 0; i < kCounters; ++i) {
    auto& family = prometheus::BuildCounter()
                       .Name(kCounterNames[i].first)
                       .Help(kCounterNames[i].second)
                       .Labels(labels)
                       .Register(*s.registry);
    s.counters[i] = &family.Add({});
  }
  auto gauge = [&](const char* name, const char* help, const prometheus::Labels& extra = {}) {
    return &prometheus::BuildGauge().Name(name).Help(help).Labels(labels).Register(*s.registry).Add(extra);
  };
  s.depth = gauge("sluice_queue_depth", "Events in the bounded queue now");
  s.offered_rate = gauge("sluice_offered_rate", "Events generated per second over the last interval");
  s.delivered_rate = gauge("sluice_delivered_rate", "Events delivered per second over the last interval");
  s.p99 = gauge("sluice_latency_seconds", "End-to-end latency quantile of the last interval, all clients merged",
                {{"kind", "end_to_end"}, {"quantile", "0.99"}});
  auto interval = [&](const char* kind, const char* quantile) {
    return &prometheus::BuildGauge()
                .Name("sluice_interval_latency_seconds")
                .Help("Latency of the events delivered in the last interval (timeseries.csv's row); NaN: none")
                .Labels(labels)
                .Register(*s.registry)
                .Add({{"kind", kind}, {"quantile", quantile}});
  };
  s.interval_p50 = interval("end_to_end", "0.5");
  s.interval_p99 = interval("end_to_end", "0.99");
  s.interval_max = interval("end_to_end", "1");
  s.interval_kafka_p99 = interval("kafka", "0.99");
  // No value before the first interval ends.
  for (prometheus::Gauge* g : {s.p99, s.interval_p50, s.interval_p99, s.interval_max, s.interval_kafka_p99}) {
    g->Set(NAN);
  }
  s.fault_family = &prometheus::BuildGauge()
                        .Name("sluice_fault_active")
                        .Help("1 while the fault action (faults: in the scenario) is active in the interval")
                        .Labels(labels)
                        .Register(*s.registry);
  s.cell = gauge("sluice_cell", "Index of the running (or last) cell");
  s.repetition = gauge("sluice_repetition", "Repetition of the running (or last) cell");
  s.running = gauge("sluice_running", "1 while the run goes on, 0 once it ended");
  s.running->Set(1);
  s.exposer = std::make_unique<prometheus::Exposer>("0.0.0.0:" + std::to_string(port));
  s.exposer->RegisterCollectable(s.registry);
}

MetricsExporter::~MetricsExporter() = default;

void MetricsExporter::Update(const StatusSnapshot& status) {
  State& s = *state_;
  const IntervalTotals& t = status.totals;
  s.Show(kOffered, s.finished[kOffered] + static_cast<double>(status.scheduled));
  s.Show(kGenerated, s.finished[kGenerated] + static_cast<double>(t.generated));
  s.Show(kDropped, s.finished[kDropped] + static_cast<double>(t.dropped));
  s.Show(kDelivered, s.finished[kDelivered] + static_cast<double>(t.delivered));
  s.Show(kFailed, s.finished[kFailed] + static_cast<double>(t.failed));
  s.Show(kBackpressure, s.finished[kBackpressure] + static_cast<double>(t.backpressure));
  s.depth->Set(static_cast<double>(status.depth));
  s.offered_rate->Set(status.offered_per_s);
  s.delivered_rate->Set(status.delivered_per_s);
  s.p99->Set(status.p99_ns < 0 ? NAN : static_cast<double>(status.p99_ns) / 1e9);
  const IntervalRow& row = status.interval;
  s.interval_p50->Set(row.e2e_p50_ms / 1e3);  // NaN stays NaN: nothing delivered
  s.interval_p99->Set(row.e2e_p99_ms / 1e3);
  s.interval_max->Set(row.e2e_max_ms / 1e3);
  s.interval_kafka_p99->Set(row.kafka_p99_ms / 1e3);
  for (auto& [label, g] : s.faults) g->Set(0);
  std::istringstream active(row.faults);
  for (std::string label; std::getline(active, label, ';');) {
    if (label.empty()) continue;
    auto it = s.faults.find(label);
    if (it == s.faults.end()) it = s.faults.emplace(label, &s.fault_family->Add({{"fault", label}})).first;
    it->second->Set(1);
  }
  s.cell->Set(status.cell);
  s.repetition->Set(status.repetition);
}

void MetricsExporter::CellDone(const CellResult& r) {
  State& s = *state_;
  const std::array<uint64_t, kCounters> final = {r.scheduled, r.generated, r.dropped(), r.delivered,
                                                 r.failed, r.backpressure};
  for (int i = 0; i < kCounters; ++i) {
    s.finished[i] += static_cast<double>(final[i]);
    s.Show(i, s.finished[i]);
  }
  s.depth->Set(0);
  for (auto& [label, g] : s.faults) g->Set(0);
  s.cell->Set(r.cell);
  s.repetition->Set(r.repetition);
}

void MetricsExporter::RunDone() { state_->running->Set(0); }

}  // namespace sluice
