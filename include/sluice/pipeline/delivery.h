// ProducerClient: one librdkafka producer instance and the delivery listener
// thread that serves its delivery reports.
//
// Delivery reports arrive as events on the client's main queue; a dedicated
// listener thread per client blocks on that queue, so a report is handled as
// soon as librdkafka has it, whether the workers are busy, idle or blocked.
// The listener is the only writer of its DeliveryCounters and histograms: no
// locks, no shared counters on the hot path.
//
// Each message's opaque carries its intended time, event type and worker
// index (see PackOpaque), so a report needs no lookup and no allocation.
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
#include "sluice/pipeline/kafka_client.h"
#include "sluice/core/latency_histogram.h"
#include "sluice/scenario/scenario.h"

namespace sluice {

// 48 bits of intended time (ns since the epoch: 78 hours), 8 bits of event
// type, 8 bits of worker index.
inline void* PackOpaque(int64_t intended_ns, uint16_t type, int worker) {
  uint64_t v = (static_cast<uint64_t>(intended_ns) & ((1ULL << 48) - 1)) |
               (static_cast<uint64_t>(type & 0xFF) << 48) |
               (static_cast<uint64_t>(worker & 0xFF) << 56);
  return reinterpret_cast<void*>(static_cast<uintptr_t>(v));
}
inline int64_t OpaqueIntended(void* p) {
  return static_cast<int64_t>(reinterpret_cast<uintptr_t>(p) & ((1ULL << 48) - 1));
}
inline uint16_t OpaqueType(void* p) {
  return static_cast<uint16_t>((reinterpret_cast<uintptr_t>(p) >> 48) & 0xFF);
}
inline int OpaqueWorker(void* p) {
  return static_cast<int>((reinterpret_cast<uintptr_t>(p) >> 56) & 0xFF);
}

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
  std::atomic<int64_t> live_p99_ns{0};  // published about once a second
  ErrorCounts failed_by_code;
  std::unique_ptr<Counter[]> delivered_by_type;
  std::unique_ptr<Counter[]> failed_by_type;
  // Intended time -> delivery report; and produce() call -> delivery report
  // (librdkafka's rd_kafka_message_latency, microsecond resolution).
  LatencyHistogram end_to_end;
  LatencyHistogram kafka;
};

class ProducerClient {
 public:
  // `workers`: how many workers share this client (for sync delivery).
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

  rd_kafka_t* handle() const { return rk_.get(); }
  rd_kafka_topic_t* topic() const { return rkt_.get(); }

  // Sync delivery: blocks until a delivery report for a message of worker
  // `worker` arrived, or `timeout_us` passed. Returns false on time-out.
  bool AwaitDelivery(int worker, int64_t timeout_us);

  // Flushes for at most `timeout_ns`; whatever is still queued or in flight
  // then is purged (counted as `purged`, i.e. unresolved). When statistics
  // are on, waits (at most three statistics intervals, and at most 2 s) for
  // statistics made after the flush, so the wire totals cover every message.
  // Then stops the listener. Call once, after the workers have stopped
  // producing.
  void Finish(int64_t timeout_ns);

  const DeliveryCounters& counters() const { return counters_; }

  // Non-empty if librdkafka raised a fatal error.
  std::string FatalError() const;

 private:
  void Listen();
  void OnDelivery(const rd_kafka_message_t* message, int64_t now_ns);
  void OnStatistics(const char* json);

  std::atomic<int64_t> epoch_ns_{0};
  const int64_t warmup_ns_;
  const int64_t end_ns_;
  KafkaHandle rk_;
  KafkaTopic rkt_;
  KafkaQueue main_queue_;
  DeliveryCounters counters_;
  std::vector<std::unique_ptr<moodycamel::LightweightSemaphore>> delivered_signal_;
  bool sync_;
  std::atomic<bool> stop_listener_{false};
  std::thread listener_;
  int64_t next_publish_ns_ = 0;
  int64_t statistics_interval_ms_ = 0;     // librdkafka's statistics.interval.ms
  std::atomic<int64_t> last_statistics_ns_{0};  // steady clock: when the latest statistics were made
  mutable std::mutex fatal_mu_;
  std::string fatal_;
};

}  // namespace sluice

#endif  // SLUICE_PIPELINE_DELIVERY_H_
