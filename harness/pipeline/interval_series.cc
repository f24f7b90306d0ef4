#include "sluice/pipeline/interval_series.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

#include "sluice/core/clock.h"
#include "sluice/core/hdr_log.h"
#include "sluice/pipeline/faults.h"
#include "sluice/pipeline/producer_worker.h"
#include "sluice/pipeline/queue_depth.h"
#include "sluice/pipeline/source.h"

namespace sluice {

HostCpuSample ReadHostCpu() {
  HostCpuSample s;
  std::ifstream stat("/proc/stat");
  std::string line;
  if (!std::getline(stat, line) || line.rfind("cpu ", 0) != 0) return s;
  std::istringstream fields(line.substr(4));
  // user nice system idle iowait irq softirq steal (guest time is in user).
  uint64_t v[8] = {};
  for (uint64_t& x : v) fields >> x;
  for (uint64_t x : v) s.total += x;
  s.busy = s.total - v[3] - v[4];
  return s;
}

double BusyPct(const HostCpuSample& from, const HostCpuSample& to) {
  if (to.total <= from.total) return NAN;
  return 100.0 * static_cast<double>(to.busy - from.busy) / static_cast<double>(to.total - from.total);
}

namespace {

double ProcessCpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

}  // namespace

IntervalRecorder::IntervalRecorder(const Scenario& scenario, RowCallback on_row)
    : scenario_(scenario), interval_ns_(scenario.report.interval_ns), on_row_(std::move(on_row)) {
  offered_size_ = static_cast<size_t>(scenario.total_ns() / interval_ns_) + 1;
  offered_ = std::make_unique<Counter[]>(offered_size_);
  cores_ = std::max(1u, std::thread::hardware_concurrency());
}

IntervalRecorder::~IntervalRecorder() { Stop(); }

IntervalHistograms& IntervalRecorder::AddClient() {
  clients_.push_back(std::make_unique<IntervalHistograms>(interval_ns_));
  return *clients_.back();
}

void IntervalRecorder::Start(int64_t epoch_ns, IntervalInputs inputs) {
  epoch_ns_ = epoch_ns;
  in_ = std::move(inputs);
  last_host_ = ReadHostCpu();
  last_cpu_s_ = ProcessCpuSeconds();
  thread_ = std::thread([this] { Run(); });
}

void IntervalRecorder::Run() {
  while (!stop_.load(std::memory_order_acquire)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    Tick(NowNs(), false);
  }
}

IntervalTotals IntervalRecorder::Totals() const {
  IntervalTotals t;
  t.generated = in_.source->generated.Get();
  t.dropped = in_.source->dropped_newest.Get() + in_.source->dropped_oldest.Get();
  for (const WorkerCounters* w : in_.workers) {
    t.failed += w->failed.Get();
    t.backpressure += w->backpressure.Get();
  }
  return t;
}

void IntervalRecorder::Tick(int64_t now_ns, bool last) {
  const int64_t t = now_ns - epoch_ns_;
  if (t < 0) return;
  const int64_t k = t / interval_ns_;
  while (open_ < k) {
    CloseCounts(open_, (open_ + 1) * interval_ns_);
    ++open_;
  }
  if (!last) {
    const uint64_t depth = in_.depth ? in_.depth() : 0;
    depth_max_ = std::max(depth_max_, depth);
    depth_sum_ += static_cast<double>(depth);
    ++depth_samples_;
    if (in_.depth_stats != nullptr) {
      in_.depth_stats->Sample(now_ns, depth, in_.source_done != nullptr && in_.source_done->load());
    }
  }
  if (!window_started_ && t >= scenario_.warmup_ns) {
    window_started_ = true;
    window_from_ = ReadHostCpu();
  }
  if (window_started_ && !window_ended_ && (last || (in_.source_done && in_.source_done->load()))) {
    window_ended_ = true;
    window_to_ = ReadHostCpu();
    window_host_cpu_pct_ = BusyPct(window_from_, window_to_);
  }
  CompleteRows();
}

void IntervalRecorder::CloseCounts(int64_t index, int64_t end_ns) {
  IntervalRow row;
  row.t_s = index * (interval_ns_ / 1e9);
  row.length_s = (end_ns - index * interval_ns_) / 1e9;
  const IntervalTotals now = Totals();
  row.offered = static_cast<size_t>(index) < offered_size_ ? offered_[index].Get() : 0;
  row.generated = now.generated - last_totals_.generated;
  row.dropped = now.dropped - last_totals_.dropped;
  row.failed = now.failed - last_totals_.failed;  // the delivery reports' are added when complete
  row.backpressure = now.backpressure - last_totals_.backpressure;
  last_totals_ = now;
  row.depth_max = depth_max_;
  row.depth_mean = depth_samples_ ? depth_sum_ / static_cast<double>(depth_samples_) : 0.0;
  depth_max_ = 0;
  depth_sum_ = 0;
  depth_samples_ = 0;
  const HostCpuSample host = ReadHostCpu();
  row.host_cpu_pct = BusyPct(last_host_, host);
  last_host_ = host;
  const double cpu_s = ProcessCpuSeconds();
  if (row.length_s > 0) row.sluice_cpu_pct = 100.0 * (cpu_s - last_cpu_s_) / (row.length_s * cores_);
  last_cpu_s_ = cpu_s;
  row.faults = ActiveFaults(scenario_.faults, row.t_s, row.t_s + row.length_s);
  pending_.push_back(std::move(row));
}

void IntervalRecorder::CompleteRows() {
  while (!pending_.empty()) {
    const int64_t index = completed_;
    for (const auto& c : clients_) {
      if (c->Closed() <= index) return;
    }
    IntervalRow row = std::move(pending_.front());
    pending_.erase(pending_.begin());
    merged_e2e_.Reset();
    merged_kafka_.Reset();
    uint64_t delivery_failed = 0;
    for (const auto& c : clients_) {
      const IntervalHistograms::Slot& slot = c->Get(index);
      merged_e2e_.Merge(slot.end_to_end);
      merged_kafka_.Merge(slot.kafka);
      delivery_failed += slot.failed;
      c->Release(index);
    }
    row.delivered = static_cast<uint64_t>(merged_e2e_.TotalCount());
    row.failed += delivery_failed;
    delivered_so_far_.delivered += row.delivered;
    delivered_so_far_.failed += delivery_failed;
    if (row.delivered > 0) {
      row.e2e_p50_ms = merged_e2e_.ValueAtPercentile(50) / 1e6;
      row.e2e_p99_ms = merged_e2e_.ValueAtPercentile(99) / 1e6;
      row.e2e_max_ms = merged_e2e_.Max() / 1e6;
      row.kafka_p99_ms = merged_kafka_.ValueAtPercentile(99) / 1e6;
      row.e2e_max_ms_for_log = row.e2e_max_ms;
      row.kafka_max_ms_for_log = merged_kafka_.Max() / 1e6;
      row.end_to_end_hist = EncodeCompressedV2(merged_e2e_);
      row.kafka_hist = EncodeCompressedV2(merged_kafka_);
    }
    ++completed_;
    if (on_row_) {
      IntervalTotals totals = last_totals_;
      totals.delivered = delivered_so_far_.delivered;
      totals.failed += delivered_so_far_.failed;
      on_row_(row, totals);
    }
    rows_.push_back(std::move(row));
  }
}

void IntervalRecorder::Stop() {
  if (stopped_) return;
  stopped_ = true;
  stop_.store(true, std::memory_order_release);
  if (thread_.joinable()) thread_.join();
  if (epoch_ns_ == 0) return;  // never started
  for (const auto& c : clients_) c->Close();
  const int64_t now = NowNs();
  Tick(now, true);
  CloseCounts(open_, now - epoch_ns_);
  CompleteRows();
  // Offered by intended time, final now.
  for (size_t j = 0; j < rows_.size(); ++j) rows_[j].offered = j < offered_size_ ? offered_[j].Get() : 0;
  if (!rows_.empty()) {
    for (size_t j = rows_.size(); j < offered_size_; ++j) rows_.back().offered += offered_[j].Get();
  }
}

}  // namespace sluice
