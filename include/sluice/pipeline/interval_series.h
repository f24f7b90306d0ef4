// IntervalRecorder: builds a cell's interval series (interval_row.h), one
// row per report.interval from the schedule's time 0 to the end of the
// flush, on a thread of its own.
//
// Every millisecond it samples the queue depth (for its rows, and for the
// cell's QueueDepthStats). At each interval boundary it
// reads the running counters (source, workers) and the CPU figures
// (/proc/stat, getrusage); the interval's latencies and delivery counts come
// from each client's IntervalHistograms once every client has closed the
// interval (at most ~100 ms later, the listeners' poll time-out). The row is
// then complete: it is kept and handed to `on_row` (the status line, the
// Prometheus metrics). Stop(), after every client's listener stopped, writes the
// last (partial) interval and sets each row's `offered` from the source's
// counts by intended time, which are final only then (a source held back by
// a full queue schedules late): the live rows show what was counted so far.
//
// The rows' counts add up to the cell's totals exactly (interval_row.h).
//
// Threads: construct, AddClient(), Start(), Stop() and the results on the
// runner's thread; `on_row` runs on the recorder's thread. Allocates at
// construction and once per interval (the row's text), never per event.
// Nothing throws after Start().
#ifndef SLUICE_PIPELINE_INTERVAL_SERIES_H_
#define SLUICE_PIPELINE_INTERVAL_SERIES_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "sluice/core/counters.h"
#include "sluice/core/latency_histogram.h"
#include "sluice/pipeline/interval_histograms.h"
#include "sluice/pipeline/interval_row.h"
#include "sluice/scenario/scenario.h"

namespace sluice {

struct SourceCounters;   // source.h
struct WorkerCounters;   // producer_worker.h
class QueueDepthStats;   // queue_depth.h

// The cell's counts so far, at the end of a row.
struct IntervalTotals {
  uint64_t generated = 0, dropped = 0, delivered = 0, failed = 0, backpressure = 0;
};

// What the recorder reads. Every pointer outlives Stop().
struct IntervalInputs {
  const SourceCounters* source = nullptr;
  std::vector<const WorkerCounters*> workers;
  std::function<uint64_t()> depth;           // the queue's depth now (any thread)
  const std::atomic<bool>* source_done = nullptr;
  // Given every depth sample too, on the recorder's thread (optional).
  QueueDepthStats* depth_stats = nullptr;
};

// A whole machine's CPU time counters from /proc/stat (jiffies).
struct HostCpuSample {
  uint64_t busy = 0, total = 0;
};
HostCpuSample ReadHostCpu();
// Busy share between two samples, 0-100; NaN when no time passed.
double BusyPct(const HostCpuSample& from, const HostCpuSample& to);

class IntervalRecorder {
 public:
  using RowCallback = std::function<void(const IntervalRow&, const IntervalTotals&)>;

  IntervalRecorder(const Scenario& scenario, RowCallback on_row);
  ~IntervalRecorder();  // Stop()
  IntervalRecorder(const IntervalRecorder&) = delete;
  IntervalRecorder& operator=(const IntervalRecorder&) = delete;

  // One per client, before Start(): give it to ProducerClient::SetIntervals.
  IntervalHistograms& AddClient();
  // The array the source counts offered events into (Source::CountOfferedInto).
  Counter* offered() { return offered_.get(); }
  size_t offered_size() const { return offered_size_; }
  int64_t interval_ns() const { return interval_ns_; }

  void Start(int64_t epoch_ns, IntervalInputs inputs);
  // After every client's listener stopped and every thread that counts has
  // joined: the last rows. Idempotent.
  void Stop();

  std::vector<IntervalRow>& rows() { return rows_; }
  // The machine's busy share over the measured window (end of the warm-up
  // to the source's end), 0-100; NaN when the window was empty.
  double window_host_cpu_pct() const { return window_host_cpu_pct_; }

 private:
  void Run();
  void Tick(int64_t now_ns, bool last);
  // Snapshot the counters: the row of interval `index` ends at `end_ns`.
  void CloseCounts(int64_t index, int64_t end_ns);
  // Completes pending rows whose histograms every client has closed.
  void CompleteRows();
  IntervalTotals Totals() const;

  const Scenario& scenario_;
  const int64_t interval_ns_;
  RowCallback on_row_;
  std::vector<std::unique_ptr<IntervalHistograms>> clients_;
  std::unique_ptr<Counter[]> offered_;
  size_t offered_size_ = 0;
  IntervalInputs in_;
  int64_t epoch_ns_ = 0;
  int cores_ = 1;

  // Recorder thread's state.
  int64_t open_ = 0;  // the interval being sampled
  uint64_t depth_max_ = 0;
  double depth_sum_ = 0;
  uint64_t depth_samples_ = 0;
  IntervalTotals last_totals_;
  HostCpuSample last_host_;
  double last_cpu_s_ = 0;
  std::vector<IntervalRow> pending_;  // counted, waiting for the histograms
  int64_t completed_ = 0;             // rows completed (and released in every client)
  LatencyHistogram merged_e2e_, merged_kafka_;
  IntervalTotals delivered_so_far_;   // delivered and delivery failures from the histograms
  bool window_started_ = false, window_ended_ = false;
  HostCpuSample window_from_, window_to_;

  std::vector<IntervalRow> rows_;
  double window_host_cpu_pct_ = NAN;
  std::atomic<bool> stop_{false};
  bool stopped_ = false;
  std::thread thread_;
};

}  // namespace sluice

#endif  // SLUICE_PIPELINE_INTERVAL_SERIES_H_
