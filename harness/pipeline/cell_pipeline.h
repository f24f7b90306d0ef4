// CellPipeline: one cell's traffic, start to finish, in the stages the
// runner calls in order (private to the pipeline layer):
//
//   CellPipeline(...)  set up: queue, replay stream, interval recorder,
//                      fault injector, clients (connected, topic metadata
//                      known), verifier, source and workers
//   Start()            fix the epoch (after the start barrier, if any) and
//                      start every thread
//   AwaitTraffic()     wait for the source and the workers to end
//   Drain()            what the workers left, the flush, the statistics
//                      made after it, the listeners, faults and series
//   Verify()           the verifier's read-back (verify: only)
//   Collect()          the counters and histograms into the CellResult
//
// Nothing of the hot path is here: the source, the workers and the
// listeners run on their own threads with their own counters, read once the
// threads have joined (or live, through relaxed atomics, by the recorder).
//
// Thread-safety: one thread calls the stages, each once, in order. The
// constructor throws (KafkaSetupError, ScenarioError, TraceError) while it
// sets up; the stages after it do not.
#ifndef SLUICE_HARNESS_PIPELINE_CELL_PIPELINE_H_
#define SLUICE_HARNESS_PIPELINE_CELL_PIPELINE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sluice/core/bounded_queue.h"
#include "sluice/core/event.h"
#include "sluice/pipeline/delivery.h"
#include "sluice/pipeline/faults.h"
#include "sluice/pipeline/interval_series.h"
#include "sluice/pipeline/payload.h"
#include "sluice/pipeline/producer_worker.h"
#include "sluice/pipeline/queue_depth.h"
#include "sluice/pipeline/replay.h"
#include "sluice/pipeline/run_result.h"
#include "sluice/pipeline/runner.h"
#include "sluice/pipeline/source.h"
#include "sluice/pipeline/verifier.h"
#include "sluice/pipeline/verify.h"

namespace sluice::internal {

// What the runner hands one cell beside its scenario.
struct CellContext {
  const RunOptions* options = nullptr;  // interrupted, on_status, kafka_local
  const PayloadPool* payloads = nullptr;
  rd_kafka_mock_cluster_s* mock = nullptr;  // the embedded cluster; null on a real one
  Identity identity;                        // the cell's, in every event's identity
  int cell = 0, cells = 1, repetition = 0;
  int64_t cell_start_ns = 0;                // steady clock: RunCell began
};

class CellPipeline {
 public:
  CellPipeline(const Scenario& scenario, const std::string& bootstrap, CellResult& result,
               const CellContext& context);
  ~CellPipeline();
  CellPipeline(const CellPipeline&) = delete;
  CellPipeline& operator=(const CellPipeline&) = delete;

  // `start_unix_ns` > 0: the schedule begins at that wall-clock time (the
  // start barrier of shards; interruptible), or at once when it is past.
  // Returns how long it waited for it.
  int64_t Start(int64_t start_unix_ns);
  void AwaitTraffic();
  void Drain();
  void Verify();
  void Collect();

  // What this cell sent to the brokers, at least its payloads (for the
  // embedded cluster's memory budget). After Collect().
  uint64_t sent_bytes() const { return sent_bytes_; }

 private:
  void MakeClients(const std::string& bootstrap);
  void MakeVerifier(const std::string& bootstrap);
  void MakeWorkers();
  void OnRow(const IntervalRow& row, const IntervalTotals& totals) const;
  int64_t AwaitStartBarrier(int64_t start_unix_ns, int64_t* epoch);
  void StartThreads();
  void RunSource();
  void WaitForStatistics();

  void CollectSource();
  void CollectDeliveries(std::vector<TypeCounts>& by_type);
  void CollectTypes(std::vector<TypeCounts>& by_type);
  void CollectReplay();
  void CollectLittle();
  void CollectWindow();
  void CollectTransients();
  void CollectErrors();

  const Scenario& scenario_;
  CellResult& result_;
  const CellContext context_;
  const std::atomic<bool>& interrupted_;
  const int threads_;
  const bool shared_, replay_, direct_;

  BoundedQueue<Event> queue_;
  std::unique_ptr<ReplayStream> replay_stream_;
  WorkerControl control_;
  // Declared before the clients, so that they outlive their listeners.
  std::unique_ptr<IntervalRecorder> recorder_;
  std::unique_ptr<FaultInjector> injector_;
  std::vector<std::unique_ptr<ProducerClient>> clients_;
  std::unique_ptr<Verifier> verifier_;
  std::unique_ptr<Source> source_;
  std::unique_ptr<QueueDepthStats> depth_;
  std::vector<std::unique_ptr<ProducerWorker>> workers_;

  int64_t epoch_ = 0;
  std::atomic<bool> source_finished_{false};
  // Where the source stopped, in ns since the epoch, when a signal stopped
  // it before the end of the run; else the end of the run.
  int64_t source_end_ = 0;
  std::thread source_thread_;
  std::vector<std::thread> worker_threads_;
  uint64_t left_in_queue_ = 0;  // taken back from the queue after the workers ended
  uint64_t sent_bytes_ = 0;
};

}  // namespace sluice::internal

#endif  // SLUICE_HARNESS_PIPELINE_CELL_PIPELINE_H_
