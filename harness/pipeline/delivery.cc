#include "sluice/pipeline/delivery.h"

#include <algorithm>
#include <cstdlib>
#include <string_view>

#include "sluice/core/clock.h"

namespace sluice {

DeliveryCounters::DeliveryCounters(size_t types)
    : delivered_by_type(new Counter[types]), failed_by_type(new Counter[types]) {}

namespace {
void QuietLog(const rd_kafka_t*, int, const char*, const char*) {}
}  // namespace

ProducerClient::ProducerClient(const Scenario& scenario, const std::string& bootstrap,
                               const std::string& topic, int workers)
    : warmup_ns_(scenario.warmup_ns),
      window_end_ns_(scenario.total_ns()),
      counters_(scenario.type_slots()),
      sync_(scenario.producers.delivery == DeliveryMode::kSync) {
  KafkaConf conf = BuildProducerConf(scenario, bootstrap);
  // Delivery reports (and errors) become events on the main queue, which the
  // listener thread serves; nothing needs rd_kafka_poll().
  rd_kafka_conf_set_events(conf.get(),
                           RD_KAFKA_EVENT_DR | RD_KAFKA_EVENT_ERROR | RD_KAFKA_EVENT_STATS);
  {
    char value[32] = {0};
    size_t size = sizeof value;
    if (rd_kafka_conf_get(conf.get(), "statistics.interval.ms", value, &size) == RD_KAFKA_CONF_OK) {
      statistics_interval_ms_ = std::atoll(value);
    }
  }
  (void)QuietLog;
  // Every message librdkafka may hold at once needs a slot: as many per
  // worker as the client accepts (queue.buffering.max.messages).
  size_t max_messages = 100'000;
  {
    char value[32] = {0};
    size_t size = sizeof value;
    if (rd_kafka_conf_get(conf.get(), "queue.buffering.max.messages", value, &size) == RD_KAFKA_CONF_OK) {
      // 0: librdkafka sets no limit (the pool's own cap then applies).
      const long long limit = std::atoll(value);
      max_messages = limit > 0 ? static_cast<size_t>(limit) : kMaxInFlightSlots;
    }
  }
  char errstr[512];
  rk_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), errstr, sizeof errstr));
  if (!rk_) throw KafkaSetupError(std::string("cannot create a producer: ") + errstr);
  conf.release();
  rkt_.reset(rd_kafka_topic_new(rk_.get(), topic.c_str(), nullptr));
  if (!rkt_) {
    throw KafkaSetupError("cannot create a topic handle for " + topic + ": " +
                          rd_kafka_err2str(rd_kafka_last_error()));
  }
  main_queue_.reset(rd_kafka_queue_get_main(rk_.get()));
  for (int i = 0; i < workers; ++i) {
    in_flight_.push_back(std::make_unique<InFlightPool>(max_messages));
    delivered_signal_.push_back(std::make_unique<moodycamel::LightweightSemaphore>(0));
  }
  listener_ = std::thread([this] { Listen(); });
}

ProducerClient::~ProducerClient() {
  stop_listener_.store(true);
  if (main_queue_) rd_kafka_queue_yield(main_queue_.get());
  if (listener_.joinable()) listener_.join();
  main_queue_.reset();
  rkt_.reset();
  if (rk_) {
    // Nothing may stay behind: anything left is purged (Finish() was not
    // called, e.g. the run failed).
    rd_kafka_purge(rk_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rk_.reset();
  }
}

void ProducerClient::AwaitTopicMetadata(int64_t timeout_ns) {
  const rd_kafka_metadata_t* md = nullptr;
  const int64_t deadline = NowNs() + timeout_ns;
  std::string why = "no answer";
  while (NowNs() < deadline) {
    int left_ms = static_cast<int>(std::max<int64_t>(1, (deadline - NowNs()) / 1'000'000));
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk_.get(), 0, rkt_.get(), &md, left_ms);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      bool ready = md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR &&
                   md->topics[0].partition_cnt > 0;
      if (ready) {
        for (int p = 0; p < md->topics[0].partition_cnt; ++p) {
          if (md->topics[0].partitions[p].leader < 0) ready = false;
        }
      }
      if (!ready && md->topic_cnt == 1) why = rd_kafka_err2str(md->topics[0].err);
      rd_kafka_metadata_destroy(md);
      if (ready) return;
    } else {
      why = rd_kafka_err2str(err);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  throw KafkaSetupError(std::string("topic ") + rd_kafka_topic_name(rkt_.get()) +
                        " has no leaders after waiting: " + why);
}

void ProducerClient::Listen() {
  while (true) {
    // Checked before every poll: statistics events arrive every 100 ms, so
    // the poll may never time out. Finish() serves what is left after this.
    if (stop_listener_.load()) return;
    rd_kafka_event_t* event = rd_kafka_queue_poll(main_queue_.get(), 100);
    // Time passes for the interval series even when no report comes (at
    // least every 100 ms): the intervals before now are closed.
    IntervalHistograms* intervals = intervals_.load(std::memory_order_acquire);
    const int64_t epoch = epoch_ns_.load(std::memory_order_relaxed);
    if (intervals != nullptr && epoch != 0) intervals->Enter(NowNs() - epoch);
    if (event == nullptr) continue;
    switch (rd_kafka_event_type(event)) {
      case RD_KAFKA_EVENT_DR: {
        // One reading for the batch: every report in it arrived now. The
        // same reading ends both end_to_end and kafka of each message.
        const int64_t now = NowNs() - epoch_ns_.load(std::memory_order_relaxed);
        if (intervals != nullptr) intervals->Enter(now);
        while (const rd_kafka_message_t* m = rd_kafka_event_message_next(event)) OnDelivery(m, now);
        break;
      }
      case RD_KAFKA_EVENT_STATS:
        OnStatistics(rd_kafka_event_stats(event));
        break;
      case RD_KAFKA_EVENT_ERROR:
        if (rd_kafka_event_error_is_fatal(event)) {
          char reason[512];
          rd_kafka_resp_err_t err = rd_kafka_fatal_error(rk_.get(), reason, sizeof reason);
          std::lock_guard<std::mutex> lock(fatal_mu_);
          fatal_ = std::string(rd_kafka_err2name(err)) + ": " + reason;
        }
        break;
      default:
        break;
    }
    rd_kafka_event_destroy(event);
  }
}

void ProducerClient::OnDelivery(const rd_kafka_message_t* m, int64_t now_ns) {
  // Copy what the report needs, then give the slot back to its worker.
  auto* slot = static_cast<InFlight*>(m->_private);
  const InFlight sent = *slot;
  in_flight_[sent.worker]->Release(slot);
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    counters_.delivered.Add();
    counters_.delivered_bytes.Add(m->len);
    counters_.delivered_by_type[sent.type].Add();
    if (ledger_on_) ledger_.Acked(sent.producer, sent.type, sent.seq, m->partition, m->offset);
    if (now_ns >= warmup_ns_ && now_ns < window_end_ns_.load(std::memory_order_relaxed)) {
      counters_.window_delivered.Add();
      counters_.window_delivered_bytes.Add(m->len);
    }
    if (IntervalHistograms* intervals = intervals_.load(std::memory_order_relaxed)) {
      intervals->Record(now_ns - sent.intended_ns, now_ns - sent.handed_ns);
    }
    if (sent.intended_ns >= warmup_ns_) {
      counters_.measured_delivered.Add();
      counters_.queue_wait.Record(sent.taken_ns - sent.intended_ns);
      counters_.worker.Record(sent.handed_ns - sent.taken_ns);
      counters_.kafka.Record(now_ns - sent.handed_ns);
      counters_.end_to_end.Record(now_ns - sent.intended_ns);
    }
  } else if (m->err == RD_KAFKA_RESP_ERR__PURGE_QUEUE || m->err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT) {
    counters_.purged.Add();
  } else {
    counters_.failed.Add();
    counters_.failed_by_type[sent.type].Add();
    ++counters_.failed_by_code[m->err];
    if (IntervalHistograms* intervals = intervals_.load(std::memory_order_relaxed)) intervals->RecordFailed();
  }
  if (sync_ && sent.worker < delivered_signal_.size()) delivered_signal_[sent.worker]->signal();
}

namespace {

// The integer after the first (or last) occurrence of `"key":` in `json`, or
// -1. The client-wide totals (tx_bytes, txmsgs, txmsg_bytes) are the last
// fields of librdkafka's statistics object, after the per-broker and
// per-partition objects that reuse some of the names, and its time stamp
// "ts" is the first field after the client's names (STATISTICS.md), so
// these occurrences are the top-level ones. No allocation.
int64_t IntegerField(std::string_view json, std::string_view quoted_key, bool last) {
  size_t at = last ? json.rfind(quoted_key) : json.find(quoted_key);
  if (at == std::string_view::npos) return -1;
  at += quoted_key.size();
  while (at < json.size() && (json[at] == ' ' || json[at] == ':')) ++at;
  int64_t value = 0;
  bool any = false;
  while (at < json.size() && json[at] >= '0' && json[at] <= '9') {
    value = value * 10 + (json[at] - '0');
    any = true;
    ++at;
  }
  return any ? value : -1;
}

}  // namespace

void ProducerClient::OnStatistics(const char* json) {
  if (json == nullptr) return;
  const std::string_view text(json);
  const int64_t bytes = IntegerField(text, "\"tx_bytes\"", true);
  const int64_t messages = IntegerField(text, "\"txmsgs\"", true);
  const int64_t payload = IntegerField(text, "\"txmsg_bytes\"", true);
  // When librdkafka made these statistics: its monotonic clock in
  // microseconds, the clock NowNs() reads (CLOCK_MONOTONIC). They may be
  // served well after they were made.
  const int64_t made_us = IntegerField(text, "\"ts\"", false);
  // Cumulative totals: they only grow.
  if (bytes >= 0) counters_.wire_bytes.Max(static_cast<uint64_t>(bytes));
  if (messages >= 0) counters_.wire_messages.Max(static_cast<uint64_t>(messages));
  if (payload >= 0) counters_.wire_payload_bytes.Max(static_cast<uint64_t>(payload));
  last_statistics_ns_.store(made_us >= 0 ? made_us * 1000 : NowNs(), std::memory_order_release);
}

bool ProducerClient::AwaitDelivery(int worker, int64_t timeout_us) {
  return delivered_signal_[worker]->wait(timeout_us);
}

void ProducerClient::Flush(int64_t timeout_ns) {
  int timeout_ms = static_cast<int>(timeout_ns / 1'000'000);
  if (rd_kafka_flush(rk_.get(), timeout_ms) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    // The deadline passed: what is left is unresolved. Purging makes
    // librdkafka report each such message once, with a __PURGE_* error.
    rd_kafka_purge(rk_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_flush(rk_.get(), 5000);
  }
}

bool ProducerClient::HasStatisticsSince(int64_t since_ns) const {
  return statistics_interval_ms_ <= 0 || last_statistics_ns_.load(std::memory_order_acquire) > since_ns;
}

int64_t ProducerClient::StatisticsWaitNs() const {
  if (statistics_interval_ms_ <= 0) return 0;
  // Statistics are emitted on a timer, every statistics.interval.ms, by a
  // thread that a busy machine may run late: up to 2 s, whatever the
  // interval (the wait ends at the first statistics after the flush).
  return 2'000'000'000;
}

void ProducerClient::StopListener() {
  stop_listener_.store(true);
  // Wakes a listener blocked in rd_kafka_queue_poll now rather than at its
  // time-out (up to 100 ms per client, per cell).
  if (main_queue_) rd_kafka_queue_yield(main_queue_.get());
  if (listener_.joinable()) listener_.join();
  // Reports already queued when the listener stopped.
  const int64_t now = NowNs() - epoch_ns_.load(std::memory_order_relaxed);
  IntervalHistograms* intervals = intervals_.load(std::memory_order_acquire);
  if (intervals != nullptr && epoch_ns_.load(std::memory_order_relaxed) != 0) intervals->Enter(now);
  while (rd_kafka_event_t* event = rd_kafka_queue_poll(main_queue_.get(), 0)) {
    if (rd_kafka_event_type(event) == RD_KAFKA_EVENT_DR) {
      while (const rd_kafka_message_t* m = rd_kafka_event_message_next(event)) OnDelivery(m, now);
    }
    rd_kafka_event_destroy(event);
  }
  if (intervals != nullptr) intervals->Close();
}

void ProducerClient::Finish(int64_t timeout_ns) {
  Flush(timeout_ns);
  const int64_t flushed = NowNs();
  const int64_t give_up = flushed + StatisticsWaitNs();
  while (!HasStatisticsSince(flushed) && NowNs() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  StopListener();
}

std::string ProducerClient::FatalError() const {
  std::lock_guard<std::mutex> lock(fatal_mu_);
  return fatal_;
}

}  // namespace sluice
