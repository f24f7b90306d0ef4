// Verifier: a librdkafka consumer that reads a cell's topic back while the
// cell runs, and after the flush until the log has settled (Finish()), feeding
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
#include <memory>
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

  // Call once, after the producers' flush. Reads until the log has
  // settled, for at most `timeout_ns`, then stops the consumer, reads the
  // low watermarks and classifies what was read against `acked`.
  //
  // Settled: the consumer is at every partition's high watermark, the
  // watermarks have not moved for `settle_ns`, every partition has a leader
  // and each replica missing from its in-sync set is a broker the cluster
  // no longer lists (fenced). The high watermark, not the end offset after
  // the flush, is what consumers can read, and it lags the leader's log
  // while followers catch up: with acks=0 or 1 the flush returns before
  // that (a run read 14,514 of the 17,910 messages a later consumer read).
  // While an acknowledged offset lies above the watermark the log must stay
  // still for max(settle_ns, kAckedSettleNs) instead (longer than the
  // default broker session time-out of a KRaft cluster, 9 s; a ZooKeeper
  // cluster's session is 18 s: raise verify.settle there): a follower that
  // died holds the watermark back until it is fenced, and a leader that died
  // with offsets it acknowledged (acks=1; acks=0 reports carry none) loses
  // them for good. `settle_ns` 0 (the embedded broker, whose watermark is its
  // log end) ends as soon as the consumer is there, without looking at the
  // replicas or waiting for acknowledged offsets.
  //
  // What is not seen: a follower that died less than a session time-out
  // before the end, with acks=0, holds the watermark still for longer than
  // `settle_ns`; messages it releases later are not counted.
  void Finish(const AckLedger& acked, int64_t timeout_ns, int64_t settle_ns);
  static constexpr int64_t kAckedSettleNs = 10'000'000'000;

  const VerifyClassifier& classifier() const { return classifier_; }
  const LatencyHistogram& consume() const { return consume_; }
  // False when the time-out came before the log settled: the counts are of
  // what was read by then.
  bool reached_end() const { return reached_end_; }
  // Consumer errors seen (other than reaching a partition's end).
  uint64_t errors() const { return errors_; }

 private:
  void Read();
  // The cluster's view of the topic: every partition has a leader and its
  // missing in-sync replicas are brokers no longer listed.
  bool ReplicasSettled(int64_t deadline);

  const int64_t warmup_ns_;
  const bool in_header_;
  const std::string topic_;
  KafkaHandle rk_;
  int partitions_ = 0;
  int64_t epoch_ns_ = 0;
  VerifyClassifier classifier_;
  LatencyHistogram consume_;
  // By partition: the offset after the last one read (written by the
  // consumer thread, read by Finish).
  std::unique_ptr<std::atomic<int64_t>[]> position_;
  std::vector<int64_t> starts_;  // by partition: its high watermark when the cell began
  std::atomic<bool> stop_{false};
  bool reached_end_ = false;
  uint64_t errors_ = 0;
  std::thread thread_;
};

}  // namespace sluice

#endif  // SLUICE_PIPELINE_VERIFIER_H_
