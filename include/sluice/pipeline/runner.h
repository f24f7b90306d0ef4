// Runner: runs the cells of a plan, one at a time, each start to finish.
//
//   broker (embedded cluster or real one) + a topic of the cell's own
//   -> ProducerClients (one per worker, or one shared) with their listeners
//   -> BoundedQueue <- Source thread
//   -> ProducerWorker threads
//   -> drain, flush, count -> CellResult
//
// The stages of one cell are harness/pipeline/cell_pipeline.h's. The calling
// thread waits for them; an IntervalRecorder (interval_series.h) samples
// the queue depth every millisecond, builds the cell's interval series and
// reports a StatusSnapshot per interval; a FaultInjector (faults.h) applies
// the scenario's faults. A cell with faults on the embedded cluster
// leaves it to the next cell only after a restart. Set-up failures (broker
// unreachable, topic refused) are caught and recorded in CellResult::error;
// scenario errors were refused before any run started.
//
// The embedded cluster outlives the cell: a Runner keeps one and reuses it
// for the next cell while the broker spec (brokers, rtt) is the same, each
// cell on a topic of its own, so a sweep does not pay a cluster start and a
// cold connection per cell. It starts a fresh cluster when the spec changes,
// when the cell's topic exists on it already (topic.reuse: every cell then
// starts on an empty topic, as on a fresh cluster), after a cell that failed
// or was interrupted, and once the cells on it have sent more than
// kEmbeddedRetainedBudget bytes (the mock keeps what it was sent and cannot
// delete a topic, so memory stays bounded whatever the number of cells).
// Likewise the read-only payload pool is kept while the next cell's would
// hold the same bytes.
//
// Thread-safety: one thread calls RunCell at a time.
#ifndef SLUICE_PIPELINE_RUNNER_H_
#define SLUICE_PIPELINE_RUNNER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "sluice/pipeline/interval_series.h"
#include "sluice/pipeline/run_result.h"
#include "sluice/scenario/scenario.h"

namespace sluice {

struct StatusSnapshot {
  int cell = 0, cells = 1, repetition = 0, repetitions = 1;
  double elapsed_s = 0, total_s = 0;
  double offered_per_s = 0;    // generated in the last interval
  double delivered_per_s = 0;  // delivered in the last interval
  uint64_t depth = 0;
  uint64_t dropped = 0;        // so far in this cell
  int64_t p99_ns = -1;         // end-to-end p99 of the interval, all clients merged; -1: none delivered
  // The interval's row, as timeseries.csv will hold it (its `offered` is
  // what was counted so far), and the cell's counts up to its end.
  IntervalRow interval;
  IntervalTotals totals;
  uint64_t scheduled = 0;      // so far in this cell, as report.csv's `scheduled` (for --metrics-port)
};

struct RunOptions {
  // Non-empty: use this real cluster whatever the scenario says.
  std::string bootstrap;
  // Goes into topic names so runs against a real cluster do not collide.
  std::string run_id = "run";
  // Set on SIGINT/SIGTERM; the cell stops early and says so.
  const std::atomic<bool>* interrupted = nullptr;
  // Called once per report interval (report.interval), when its row is
  // complete, from the interval recorder's thread (interval_series.h).
  std::function<void(const StatusSnapshot&)> on_status;
  // tools/kafka-local, for the pause and kill faults ("": not available).
  std::string kafka_local;
};

class EmbeddedCluster;  // kafka_client.h
class PayloadPool;      // payload.h

// What the cells on one embedded cluster may send before it is restarted.
inline constexpr uint64_t kEmbeddedRetainedBudget = 2ull << 20;

class Runner {
 public:
  explicit Runner(RunOptions options);
  ~Runner();

  // Runs one cell. Never throws for a broker, Kafka or replay failure: the
  // cell's `error` says what happened.
  CellResult RunCell(const Scenario& scenario, int cell, int cells, int repetition);

  // The next RunCell's schedule (its warm-up) begins at this wall-clock
  // time, nanoseconds since the Unix epoch, so that shards in several
  // processes line up (`run --start-at`, and each later cell's slot): the
  // cell is set up first and then waits, interruptibly. Past already, it
  // begins as soon as it is set up, and its CellResult::epoch_unix_s says
  // how late. Used by one cell; without it a cell begins when ready.
  void BeginNextCellAt(int64_t unix_ns) { next_start_unix_ns_ = unix_ns; }

 private:
  // The embedded cluster for `scenario`, started or reused (see above).
  EmbeddedCluster& EmbeddedFor(const Scenario& scenario, const std::string& topic);
  // The payload pool for `scenario`: built, or the last cell's when its
  // bytes would be the same (same seed, sizes, payload format and types).
  const PayloadPool& PayloadsFor(const Scenario& scenario);
  void RunPipeline(const Scenario& scenario, const std::string& bootstrap, CellResult& result,
                   int cell, int cells, int repetition, int64_t cell_start_ns);

  RunOptions options_;
  int64_t next_start_unix_ns_ = 0;  // BeginNextCellAt; 0: when ready
  int64_t barrier_wait_ns_ = 0;     // how long this cell waited for it (not in its wall_s)
  std::atomic<bool> never_{false};
  std::unique_ptr<EmbeddedCluster> cluster_;
  EmbeddedCluster* cell_cluster_ = nullptr;  // the embedded cluster of the running cell, if any
  uint64_t cluster_sent_bytes_ = 0;  // by the cells on cluster_ so far
  uint64_t cell_sent_bytes_ = 0;     // by the last cell (RunPipeline)
  std::unique_ptr<const PayloadPool> payloads_;
  std::string payloads_key_;
  // The run in every event's identity (verify.h): random per Runner, plus
  // one per RunCell call, so that a cell run again on the same topic (the
  // probes of rate: max on a real cluster) never takes an earlier run's
  // messages for its own.
  const uint64_t identity_run_;
  uint64_t identity_runs_ = 0;
};

// Reads VmHWM (peak RSS) from /proc/self/status and resets it through
// /proc/self/clear_refs, so each cell reports its own peak.
int64_t PeakRssBytes();
void ResetPeakRss();

}  // namespace sluice

#endif  // SLUICE_PIPELINE_RUNNER_H_
