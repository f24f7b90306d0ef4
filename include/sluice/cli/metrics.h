// `sluice run --metrics-port PORT`: the run's live figures in Prometheus'
// text format, served over HTTP by prometheus-cpp (Debian's
// prometheus-cpp-dev), so that a Prometheus scraping a Job's pods sees a
// sharded run as it goes.
//
//   counters (over the whole run, every cell so far; at the end each equals
//   the sum of its report.csv column): sluice_offered_events_total
//   (scheduled), sluice_generated_events_total, sluice_dropped_events_total,
//   sluice_delivered_events_total, sluice_failed_events_total,
//   sluice_backpressure_total
//   gauges: sluice_queue_depth, sluice_offered_rate and
//   sluice_delivered_rate (events/s over the last interval),
//   sluice_latency_seconds{kind="end_to_end",quantile="0.99"} (the last
//   interval's, every client merged), sluice_interval_latency_seconds{kind=
//   "end_to_end"|"kafka",quantile="0.5"|"0.99"|"1"} (timeseries.csv's row of
//   the last interval; NaN when nothing was delivered in it),
//   sluice_fault_active{fault="rtt 200ms"} (1 while that fault action is
//   active, 0 after), sluice_cell, sluice_repetition, sluice_running (1
//   while a cell runs, 0 after the last)
//   labels on every series: scenario, shard (I), shards (N), run (its id)
//
// Thread-safety: Update() from the status callback (the interval recorder's
// thread, once per interval), CellDone() from the runner's thread after the
// cell (and its recorder) ended, never at the same time; the HTTP server
// reads on its own threads (the metric values are atomic). The constructor
// throws std::runtime_error when the port cannot be bound.
#ifndef SLUICE_CLI_METRICS_H_
#define SLUICE_CLI_METRICS_H_

#include <memory>
#include <string>

#include "sluice/pipeline/run_result.h"
#include "sluice/pipeline/runner.h"
#include "sluice/scenario/shard.h"

namespace sluice {

class MetricsExporter {
 public:
  // Serves on 0.0.0.0:port (IPv4, every interface: a pod's IP).
  MetricsExporter(int port, const std::string& scenario, const Shard& shard, const std::string& run_id);
  ~MetricsExporter();
  MetricsExporter(const MetricsExporter&) = delete;
  MetricsExporter& operator=(const MetricsExporter&) = delete;

  // A status snapshot of the running cell (RunOptions::on_status).
  void Update(const StatusSnapshot& status);
  // The cell ended: the counters take its final figures.
  void CellDone(const CellResult& result);
  // The run ended: sluice_running goes to 0.
  void RunDone();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace sluice

#endif  // SLUICE_CLI_METRICS_H_
