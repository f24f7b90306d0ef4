// Verifier: a librdkafka consumer that reads a cell's topic back while the
// cell runs, and after the flush until the end offsets seen then, feeding
// every message to a VerifyClassifier (verify.h) and recording each event's
// consume latency (intended time -> read by the verifier; what the
// OpenMessaging Benchmark calls end-to-end latency).
//
// It assigns every partition from its beginning (no consumer group, no
// commits), so it reads what the topic holds, including other runs'
// messages in a reused topic (counted as foreign). When the broker dropped
// offsets before it could read them (the embedded broker keeps about 5 MiB
// or 100,000 batches per partition), librdkafka resets it to the earliest
// offset; the jump is recorded and, with the low watermarks read after the
// run, turns acknowledged-but-unread events into `truncated`, not `lost`.
//
// Thread-safety: the runner's thread calls the constructor, Start() and
// Finish(); the consumer thread owns the classifier and the histogram until
// Finish() has joined it. Construction throws KafkaSetupError; after that
// nothing throws.
#ifndef SLUICE_PIPELINE_VERIFIER_H_
#define SLUICE_PIPELINE_VERIFIER_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "sluice/core/latency_histogram.h"
#include "sluice/pipeline/kafka_client.h"
#include "sluice/pipeline/verify.h"
#include "sluice/scenario/scenario.h"

namespace sluice {

class Verifier {
 public:
  // `cell`: the run, cell and repetition whose events are this cell's.
  // Connects to `bootstrap` (with the scenario's security.*, sasl.* and
  // ssl.* producer properties) and learns `topic`'s partitions. Throws
  // KafkaSetupError.
  Verifier(const Scenario& scenario, const std::string& bootstrap, const std::string& topic,
           const Identity& cell);
  ~Verifier();
  Verifier(const Verifier&) = delete;
  Verifier& operator=(const Verifier&) = delete;

  // Starts reading, on a thread of its own. `epoch_ns`: time 0 of the
  // cell's schedule (steady clock), which the identities' times count from.
  void Start(int64_t epoch_ns);

  // Call once, after the producers' flush: reads the end offsets, lets the
  // consumer reach them and every offset `acked` holds (an acknowledged
  // event becomes visible only when the replicas have it) for at most
  // `timeout_ns`, stops it, reads the low watermarks and classifies what was
  // read against `acked`. At the time-out the end counts as reached when
  // the consumer is at the high watermarks then (acknowledged offsets the
  // log lost are never reached).
  void Finish(const AckLedger& acked, int64_t timeout_ns);

  const VerifyClassifier& classifier() const { return classifier_; }
  const LatencyHistogram& consume() const { return consume_; }
  // False when the time-out came before the end offsets: the counts are of
  // what was read by then.
  bool reached_end() const { return reached_end_; }
  // Consumer errors seen (other than reaching a partition's end).
  uint64_t errors() const { return errors_; }

 private:
  void Read();
  bool AtEnd() const;  // the consumer thread's: every partition read up to its target

  const int64_t warmup_ns_;
  const bool in_header_;
  const std::string topic_;
  KafkaHandle rk_;
  int partitions_ = 0;
  int64_t epoch_ns_ = 0;
  VerifyClassifier classifier_;
  LatencyHistogram consume_;
  std::vector<int64_t> position_;  // by partition: the offset after the last one read (consumer thread)
  std::vector<int64_t> target_;    // by partition: the end offsets after the flush
  std::atomic<bool> targets_set_{false};
  std::atomic<bool> stop_{false};
  std::atomic<bool> done_{false};
  bool reached_end_ = false;
  uint64_t errors_ = 0;
  std::thread thread_;
};

}  // namespace sluice

#endif  // SLUICE_PIPELINE_VERIFIER_H_
