#include "sluice/pipeline/verifier.h"

#include <algorithm>
#include <chrono>

#include "sluice/core/clock.h"

namespace sluice {

namespace {

void SetOrThrow(rd_kafka_conf_t* conf, const std::string& name, const std::string& value) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
    throw KafkaSetupError("verifier: librdkafka refused " + name + ": " + errstr);
  }
}

bool IsConnectionProperty(const std::string& name) {
  for (const char* prefix : {"security.", "sasl.", "ssl.", "client.dns.", "broker.address.family"}) {
    if (name.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

int TimeoutMs(int64_t ns) { return static_cast<int>(std::max<int64_t>(1, ns / 1'000'000)); }

// The partition's watermarks, asked again every few seconds until `deadline`
// (steady clock ns): right after a broker died, the client still names it
// as the leader, and one question would wait out the whole time-out there.
bool Watermarks(rd_kafka_t* rk, const std::string& topic, int partition, int64_t deadline, int64_t* low,
                int64_t* high) {
  do {
    const int64_t left = deadline - NowNs();
    const int wait_ms = TimeoutMs(std::clamp<int64_t>(left, 1'000'000, 3'000'000'000));
    if (rd_kafka_query_watermark_offsets(rk, topic.c_str(), partition, low, high, wait_ms) ==
        RD_KAFKA_RESP_ERR_NO_ERROR) {
      return true;
    }
  } while (NowNs() < deadline);
  return false;
}

}  // namespace

Verifier::Verifier(const Scenario& scenario, const std::string& bootstrap, const std::string& topic,
                   const Identity& cell)
    : warmup_ns_(scenario.warmup_ns),
      in_header_(scenario.verify.carrier == IdentityCarrier::kHeaders),
      topic_(topic),
      classifier_(cell.run, cell.cell, cell.repetition, scenario.type_slots(), in_header_) {
  KafkaConf conf(rd_kafka_conf_new());
  SetOrThrow(conf.get(), "bootstrap.servers", bootstrap);
  SetOrThrow(conf.get(), "client.id", "sluice-verifier");
  // Partitions are assigned, not subscribed: the group is never joined and
  // nothing is committed.
  SetOrThrow(conf.get(), "group.id", "sluice-verifier");
  SetOrThrow(conf.get(), "enable.auto.commit", "false");
  SetOrThrow(conf.get(), "enable.auto.offset.store", "false");
  // Offsets the broker dropped before they were read: go on from the
  // earliest one it still has (the jump is recorded).
  SetOrThrow(conf.get(), "auto.offset.reset", "earliest");
  // The embedded broker answers a fetch only after fetch.wait.max.ms (500
  // ms by default) even when it has data, which would put up to half a
  // second of waiting into latency.consume; a real broker answers as soon
  // as it has fetch.min.bytes (1). 10 ms bounds the first at little cost.
  SetOrThrow(conf.get(), "fetch.wait.max.ms", "10");
  for (const auto& prop : scenario.producers.kafka) {
    if (IsConnectionProperty(prop.name)) SetOrThrow(conf.get(), prop.name, prop.value);
  }
  char errstr[512];
  rk_.reset(rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), errstr, sizeof errstr));
  if (!rk_) throw KafkaSetupError(std::string("verifier: cannot create a consumer: ") + errstr);
  conf.release();

  KafkaTopic rkt(rd_kafka_topic_new(rk_.get(), topic.c_str(), nullptr));
  const rd_kafka_metadata_t* md = nullptr;
  const int64_t deadline = NowNs() + scenario.broker.connect_timeout_ns;
  std::string why = "no answer";
  while (partitions_ == 0 && NowNs() < deadline) {
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk_.get(), 0, rkt.get(), &md, TimeoutMs(deadline - NowNs()));
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        partitions_ = md->topics[0].partition_cnt;
      } else if (md->topic_cnt == 1) {
        why = rd_kafka_err2str(md->topics[0].err);
      }
      rd_kafka_metadata_destroy(md);
    } else {
      why = rd_kafka_err2str(err);
    }
    if (partitions_ == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (partitions_ == 0) throw KafkaSetupError("verifier: topic " + topic + " has no partitions: " + why);
  position_ = std::make_unique<std::atomic<int64_t>[]>(static_cast<size_t>(partitions_));
  for (int p = 0; p < partitions_; ++p) position_[static_cast<size_t>(p)].store(0);

  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions_);
  for (int p = 0; p < partitions_; ++p) {
    rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  const rd_kafka_resp_err_t err = rd_kafka_assign(rk_.get(), list);
  rd_kafka_topic_partition_list_destroy(list);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw KafkaSetupError(std::string("verifier: cannot assign ") + topic + ": " + rd_kafka_err2str(err));
  }
  // Where each partition ended before the cell: older offsets are someone
  // else's (a reused topic), never this cell's truncation.
  starts_.assign(static_cast<size_t>(partitions_), 0);
  for (int p = 0; p < partitions_; ++p) {
    int64_t low = 0, high = 0;
    if (Watermarks(rk_.get(), topic, p, NowNs() + scenario.broker.connect_timeout_ns, &low, &high)) {
      starts_[static_cast<size_t>(p)] = high;
    }
  }
}

Verifier::~Verifier() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  // No consumer close: it would wait for the group coordinator, which may
  // be the broker a fault took down (and is restarted only after the cell);
  // the verifier never joined the group nor committed anything.
  if (rk_) rd_kafka_destroy_flags(rk_.release(), RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
}

void Verifier::Start(int64_t epoch_ns) {
  epoch_ns_ = epoch_ns;
  thread_ = std::thread([this] { Read(); });
}

void Verifier::Read() {
  Identity identity;
  while (!stop_.load(std::memory_order_relaxed)) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_.get(), 50);
    if (m == nullptr) continue;
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) ++errors_;
      rd_kafka_message_destroy(m);
      continue;
    }
    const int64_t now = NowNs() - epoch_ns_;
    const void* carried = nullptr;
    size_t carried_len = 0;
    const auto* payload = static_cast<const unsigned char*>(m->payload);
    size_t len = m->len;
    if (in_header_) {
      rd_kafka_headers_t* headers = nullptr;
      if (rd_kafka_message_headers(m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR &&
          rd_kafka_header_get_last(headers, kIdentityHeader, &carried, &carried_len) !=
              RD_KAFKA_RESP_ERR_NO_ERROR) {
        carried = nullptr;
        carried_len = 0;
      }
    } else if (len >= kIdentityBytes) {
      carried = payload;
      carried_len = kIdentityBytes;
      payload += kIdentityBytes;
      len -= kIdentityBytes;
    }
    const ReadClass c =
        classifier_.OnMessage(carried, carried_len, payload, len, m->partition, m->offset, &identity);
    if (c == ReadClass::kFirst && identity.intended_ns >= warmup_ns_) {
      consume_.Record(now - identity.intended_ns);
    }
    if (m->partition >= 0 && m->partition < partitions_) {
      std::atomic<int64_t>& at = position_[static_cast<size_t>(m->partition)];
      if (m->offset + 1 > at.load(std::memory_order_relaxed)) at.store(m->offset + 1, std::memory_order_release);
    }
    rd_kafka_message_destroy(m);
  }
}

bool Verifier::ReplicasSettled(int64_t deadline) {
  KafkaTopic rkt(rd_kafka_topic_new(rk_.get(), topic_.c_str(), nullptr));
  const rd_kafka_metadata_t* md = nullptr;
  const int wait_ms = TimeoutMs(std::clamp<int64_t>(deadline - NowNs(), 1'000'000, 3'000'000'000));
  if (rd_kafka_metadata(rk_.get(), 0, rkt.get(), &md, wait_ms) != RD_KAFKA_RESP_ERR_NO_ERROR) return false;
  bool settled = md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR;
  auto listed = [md](int32_t id) {
    for (int b = 0; b < md->broker_cnt; ++b) {
      if (md->brokers[b].id == id) return true;
    }
    return false;
  };
  for (int i = 0; settled && i < md->topics[0].partition_cnt; ++i) {
    const rd_kafka_metadata_partition_t& p = md->topics[0].partitions[i];
    if (p.leader < 0 || !listed(p.leader)) settled = false;
    for (int r = 0; settled && r < p.replica_cnt; ++r) {
      const int32_t id = p.replicas[r];
      const bool in_sync = std::find(p.isrs, p.isrs + p.isr_cnt, id) != p.isrs + p.isr_cnt;
      if (!in_sync && listed(id)) settled = false;  // alive and catching up
    }
  }
  rd_kafka_metadata_destroy(md);
  return settled;
}

void Verifier::Finish(const AckLedger& acked, int64_t timeout_ns, int64_t settle_ns) {
  const int64_t deadline = NowNs() + timeout_ns;
  std::vector<int64_t> highs(static_cast<size_t>(partitions_), -1);
  int64_t still_since = 0;  // when the watermarks were last seen to move (0: not yet read)
  std::vector<int64_t> lows(static_cast<size_t>(partitions_), 0);
  // Read up to partition i: at its high watermark, or nothing left there
  // (the log's start is its end: everything was deleted).
  auto done = [&](size_t i) { return position_[i].load(std::memory_order_acquire) >= highs[i] || lows[i] >= highs[i]; };
  auto behind_known = [&] {  // still reading up to watermarks already seen
    for (size_t i = 0; i < highs.size(); ++i) {
      if (highs[i] >= 0 && !done(i)) return true;
    }
    return false;
  };
  int64_t asked = 0;
  while (NowNs() < deadline) {
    // While the consumer catches up with what the brokers said last, ask
    // them again only every second (watermarks grow, except after an
    // unclean leader election).
    if (behind_known() && NowNs() - asked < 1'000'000'000) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    asked = NowNs();
    bool at_end = true, moved = false, acked_above = false;
    for (int p = 0; p < partitions_; ++p) {
      const auto i = static_cast<size_t>(p);
      int64_t low = 0, high = 0;
      if (!Watermarks(rk_.get(), topic_, p, deadline, &low, &high)) {
        at_end = false;
        continue;
      }
      if (high != highs[i]) moved = true;
      highs[i] = high;
      lows[i] = low;
      if (!done(i)) at_end = false;
      const auto& acked_offsets = acked.offsets(p).ranges();
      if (!acked_offsets.empty() && static_cast<int64_t>(acked_offsets.back().hi) > high) acked_above = true;
    }
    if (moved || still_since == 0) still_since = NowNs();
    if (at_end) {
      const int64_t needed = settle_ns == 0 ? 0 : acked_above ? std::max(settle_ns, kAckedSettleNs) : settle_ns;
      if (NowNs() - still_since >= needed && (settle_ns == 0 || ReplicasSettled(deadline))) {
        reached_end_ = true;
        break;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(at_end ? 100 : 10));
  }
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  // The earliest offsets the broker still has: below them it dropped what
  // it held (retention; the embedded broker's truncation).
  std::vector<int64_t> final_lows(static_cast<size_t>(partitions_), 0);
  for (int p = 0; p < partitions_; ++p) {
    int64_t low = 0, high = 0;
    if (Watermarks(rk_.get(), topic_, p, NowNs() + 10'000'000'000, &low, &high)) {
      final_lows[static_cast<size_t>(p)] = low;
    } else {
      ++errors_;
    }
  }
  classifier_.Finish(acked, final_lows, starts_);
}

}  // namespace sluice
