// Runner: runs one cell of a plan, start to finish.
//
//   broker (embedded cluster or real one) + a topic of the cell's own
//   -> ProducerClients (one per worker, or one shared) with their listeners
//   -> BoundedQueue <- Source thread
//   -> ProducerWorker threads
//   -> drain, flush, count -> CellResult
//
// The calling thread monitors: it samples the queue depth every millisecond
// and reports a StatusSnapshot about once a second. Set-up failures (broker
// unreachable, topic refused) are caught and recorded in CellResult::error;
// scenario errors were refused before any run started.
#ifndef SLUICE_PIPELINE_RUNNER_H_
#define SLUICE_PIPELINE_RUNNER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

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
  int64_t p99_ns = 0;          // end-to-end p99 so far (worst client's)
};

struct RunOptions {
  // Non-empty: use this real cluster whatever the scenario says.
  std::string bootstrap;
  // Goes into topic names so runs against a real cluster do not collide.
  std::string run_id = "run";
  // Set on SIGINT/SIGTERM; the cell stops early and says so.
  const std::atomic<bool>* interrupted = nullptr;
  std::function<void(const StatusSnapshot&)> on_status;
};

class Runner {
 public:
  explicit Runner(RunOptions options);

  CellResult RunCell(const Scenario& scenario, int cell, int cells, int repetition);

 private:
  void RunPipeline(const Scenario& scenario, const std::string& bootstrap, CellResult& result,
                   int cell, int cells, int repetition);

  RunOptions options_;
  std::atomic<bool> never_{false};
};

// Reads VmHWM (peak RSS) from /proc/self/status and resets it through
// /proc/self/clear_refs, so each cell reports its own peak.
int64_t PeakRssBytes();
void ResetPeakRss();

}  // namespace sluice

#endif  // SLUICE_PIPELINE_RUNNER_H_
