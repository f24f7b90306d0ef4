// ProducerClient: one librdkafka producer instance and the delivery listener
// thread that serves its delivery reports.
//
// Delivery reports arrive as events on the client's main queue; a dedicated
// listener thread per client blocks on that queue, so a report is handled as
// soon as librdkafka has it, whether the workers are busy, idle or blocked.
// The listener is the only writer of its DeliveryCounters and histograms: no
// locks, no shared counters on the hot path.
//
// Each message's opaque is its InFlight slot (in_flight.h): intended time,
// the times it was taken and handed to produce(), event type and worker
// index, so a report needs no lookup and no allocation. The listener records
// the four latencies of a measured delivered event from those readings and
// its own one reading of the clock per report batch, so
// queue_wait + worker + kafka = end_to_end for every event, exactly.
//
// Construction throws (KafkaSetupError, ScenarioError) during set-up. After
// that nothing throws: errors are counted by code.
#ifndef SLUICE_PIPELINE_DELIVERY_H_
#define SLUICE_PIPELINE_DELIVERY_H_

#include <concurrentqueue/blockingconcurrentqueue.h>  // brings lightweightsemaphore.h in order

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sluice/core/counters.h"
#include "sluice/pipeline/in_flight.h"
#include "sluice/pipeline/interval_histograms.h"
#include "sluice/pipeline/kafka_client.h"
#include "sluice/pipeline/verify.h"
#include "sluice/core/latency_histogram.h"
#include "sluice/scenario/scenario.h"

namespace sluice {

// What one client's delivery reports said. Counter fields may be read live;
// histograms and error maps only after the client has finished.
struct DeliveryCounters {
  DeliveryCounters(size_t types);

  Counter delivered;            // acknowledged by the broker
  Counter failed;               // a delivery report with an error
  Counter purged;               // still in flight at the flush deadline
  Counter delivered_bytes;
  Counter measured_delivered;   // delivered, intended after the warm-up
  // Delivered with the report inside the measured window (warm-up end to
  // run end), whatever the event's intended time: the throughput.
  Counter window_delivered;
  Counter window_delivered_bytes;
  // Totals from librdkafka's latest statistics event (STATISTICS.md):
  // tx_bytes, txmsgs and txmsg_bytes of this client.
  Counter wire_bytes;
  Counter wire_messages;
  Counter wire_payload_bytes;
  ErrorCounts failed_by_code;
  std::unique_ptr<Counter[]> delivered_by_type;
  std::unique_ptr<Counter[]> failed_by_type;
  // The breakdown of each measured delivered event (intended after the
  // warm-up), from the same clock readings, so the first three add up to
  // the fourth for every event:
  LatencyHistogram queue_wait;  // intended time -> taken by a worker
  LatencyHistogram worker;      // taken -> handed to the produce() call librdkafka accepted
  LatencyHistogram kafka;       // that produce() call -> delivery report
  LatencyHistogram end_to_end;  // intended time -> delivery report
};

class ProducerClient {
 public:
  // `workers`: how many workers share this client; each gets an InFlightPool
  // of queue.buffering.max.messages slots.
  ProducerClient(const Scenario& scenario, const std::string& bootstrap, const std::string& topic,
                 int workers);
  ~ProducerClient();
  ProducerClient(const ProducerClient&) = delete;
  ProducerClient& operator=(const ProducerClient&) = delete;

  // Waits until the client knows the topic's partitions and leaders, so the
  // first events do not pay for connection set-up. Throws KafkaSetupError.
  void AwaitTopicMetadata(int64_t timeout_ns);

  // Time 0 of the run's schedule (steady clock ns). Set before the first
  // event is produced.
  void SetEpoch(int64_t epoch_ns) { epoch_ns_.store(epoch_ns, std::memory_order_relaxed); }

  // Where the measured window ends, in ns since the epoch: reports after it
  // do not count as delivered within the window (window_delivered). The end
  // of the run unless the runner moves it earlier (the source was
  // interrupted). Thread-safe.
  void SetWindowEnd(int64_t end_ns) { window_end_ns_.store(end_ns, std::memory_order_relaxed); }

  // Where the listener records each report's latencies per report interval
  // too (interval_histograms.h); it must outlive StopListener(), which
  // closes it. Set before the epoch; optional.
  void SetIntervals(IntervalHistograms* intervals) { intervals_.store(intervals, std::memory_order_release); }

  // The slots of worker `worker` (0 .. workers-1): only that worker's thread
  // acquires from it.
  InFlightPool& in_flight(int worker) { return *in_flight_[static_cast<size_t>(worker)]; }

  rd_kafka_t* handle() const { return rk_.get(); }
  rd_kafka_topic_t* topic() const { return rkt_.get(); }

  // Sync delivery: blocks until a delivery report for a message of worker
  // `worker` arrived, or `timeout_us` passed. Returns false on time-out.
  bool AwaitDelivery(int worker, int64_t timeout_us);

  // Ending a client, in three steps so that a runner with several clients
  // waits for their statistics at once (Finish() does all three):
  //
  // 1. Flushes for at most `timeout_ns`; whatever is still queued or in
  //    flight then is purged (counted as `purged`, i.e. unresolved). Call
  //    once, after the workers have stopped producing.
  void Flush(int64_t timeout_ns);
  // 2. When statistics are on, whether librdkafka has made statistics at or
  //    after `since_ns` (steady clock; e.g. the end of the flush), so that
  //    the wire totals cover every message sent before it. Always true when
  //    statistics are off. Thread-safe.
  bool HasStatisticsSince(int64_t since_ns) const;
  // How long to wait for those statistics at most: 2 s, whatever the
  // interval, as the thread that emits them may run late on a busy machine
  // (with a statistics.interval.ms above 2 s from the scenario the totals
  // may miss what was sent last); 0 when they are off.
  int64_t StatisticsWaitNs() const;
  // 3. Stops the listener (waking it at once) and serves the reports still
  //    queued. Call once, after Flush().
  void StopListener();
  // All three, for a client on its own.
  void Finish(int64_t timeout_ns);

  const DeliveryCounters& counters() const { return counters_; }

  // With verify: the listener records every acknowledged event (its
  // identity, partition and offset) in the ledger. Call before the first
  // produce(); read ledger() after StopListener().
  void EnableLedger() { ledger_on_ = true; }
  const AckLedger& ledger() const { return ledger_; }

  // Non-empty if librdkafka raised a fatal error.
  std::string FatalError() const;

 private:
  void Listen();
  void OnDelivery(const rd_kafka_message_t* message, int64_t now_ns);
  void OnStatistics(const char* json);

  std::atomic<int64_t> epoch_ns_{0};
  const int64_t warmup_ns_;
  std::atomic<int64_t> window_end_ns_;
  std::atomic<IntervalHistograms*> intervals_{nullptr};
  KafkaHandle rk_;
  KafkaTopic rkt_;
  KafkaQueue main_queue_;
  DeliveryCounters counters_;
  bool ledger_on_ = false;
  AckLedger ledger_;  // the listener's
  std::vector<std::unique_ptr<InFlightPool>> in_flight_;  // one per worker
  std::vector<std::unique_ptr<moodycamel::LightweightSemaphore>> delivered_signal_;
  bool sync_;
  std::atomic<bool> stop_listener_{false};
  std::thread listener_;
  int64_t statistics_interval_ms_ = 0;     // librdkafka's statistics.interval.ms
  std::atomic<int64_t> last_statistics_ns_{0};  // steady clock: when the latest statistics were made
  mutable std::mutex fatal_mu_;
  std::string fatal_;
};

}  // namespace sluice

#endif  // SLUICE_PIPELINE_DELIVERY_H_
