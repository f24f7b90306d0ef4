// FaultInjector: applies a cell's `faults:` (scenario.h) at their times, on
// a thread of its own, and undoes each at at + duration.
//
// What each action does:
//   rtt          embedded: rd_kafka_mock_broker_set_rtt on every broker (or
//                `brokers`), back to broker.embedded.rtt at the end. The mock
//                delays each response of that broker by the RTT; requests
//                still pipeline up to max.in.flight per connection.
//   broker_down  embedded: rd_kafka_mock_broker_set_down, set_up at the end.
//                The mock closes the broker's connections and refuses new
//                ones; it does NOT move partition leadership (librdkafka
//                2.0.2's rdkafka_mock.h), so the partitions it leads take no
//                writes until it is up again: the producer retries them
//                (message.timeout.ms bounds how long) while the other
//                brokers' partitions go on.
//   errors       embedded: rd_kafka_mock_push_request_errors_array: the next
//                `count` requests of that type (cluster-wide, whatever the
//                broker) fail with `error`; with a duration, whatever is left
//                of them is cleared (rd_kafka_mock_clear_request_errors) at
//                the end. Retriable errors are retried by librdkafka.
//   leader       embedded: rd_kafka_mock_partition_set_leader for `partition`
//                (or every partition) of the cell's topic: the producer
//                learns it from a NOT_LEADER answer and a metadata refresh.
//   pause, kill  a cluster from tools/kafka-local: `kafka-local pause N` /
//                `resume N`, `kill N` / `start N` (its run folder and ports
//                from the environment, SLUICE_KAFKA_RUN and friends).
//   exec         any cluster: `sh -c RUN` at `at`, `sh -c UNDO` at the end.
// Commands run to completion (the fault thread waits for them); their exit
// code and first lines of output are kept.
//
// A fault that cannot be applied (the mock answers an error, a command exits
// non-zero, an embedded action against a real cluster or the reverse) is
// recorded in its outcome and in error(): the runner fails the cell with it
// (exit 3). Nothing is skipped silently. Stop() runs the undo of every
// applied fault that is still active, so the cluster is left as it was.
//
// Thread-safety: construct, Start() and Stop() on the runner's thread; the
// outcomes and error() after Stop().
#ifndef SLUICE_PIPELINE_FAULTS_H_
#define SLUICE_PIPELINE_FAULTS_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sluice/pipeline/interval_row.h"
#include "sluice/scenario/scenario.h"

struct rd_kafka_mock_cluster_s;

namespace sluice {

// What the faults act on.
struct FaultTarget {
  rd_kafka_mock_cluster_s* mock = nullptr;  // the embedded cluster; null on a real one
  int64_t base_rtt_ns = 0;                  // broker.embedded.rtt, restored after rtt
  std::string topic;                        // the cell's topic (leader)
  int partitions = 0;
  std::string kafka_local;                  // path of tools/kafka-local ("" if unknown)
};

class FaultInjector {
 public:
  FaultInjector(std::vector<FaultSpec> faults, FaultTarget target);
  ~FaultInjector();  // Stop()
  FaultInjector(const FaultInjector&) = delete;
  FaultInjector& operator=(const FaultInjector&) = delete;

  // Starts the thread; times are from `epoch_ns` (steady clock).
  void Start(int64_t epoch_ns);
  // Undoes what is still active, then joins. Idempotent.
  void Stop();

  const std::vector<FaultOutcome>& outcomes() const { return outcomes_; }
  // The first failure, e.g. "fault 1 (broker_down 2 at 8s, file.yaml:12): ...";
  // "" when every action applied.
  const std::string& error() const { return error_; }

 private:
  void Run();
  void Apply(size_t i);
  void Undo(size_t i);
  // Runs `command` with sh -c: its exit code and first lines into outcome i.
  bool RunCommand(size_t i, const std::string& command);
  void Fail(size_t i, const std::string& why);
  double Now() const;

  std::vector<FaultSpec> faults_;
  FaultTarget target_;
  std::vector<FaultOutcome> outcomes_;
  std::vector<bool> active_;  // applied, undo pending
  std::string error_;
  int64_t epoch_ns_ = 0;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

// The labels of the faults active in [from_s, to_s) (an instant action is
// active in the interval that holds its `at`), joined by ';'.
std::string ActiveFaults(const std::vector<FaultSpec>& faults, double from_s, double to_s);

}  // namespace sluice

#endif  // SLUICE_PIPELINE_FAULTS_H_
