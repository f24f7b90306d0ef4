#include "sluice/pipeline/producer_worker.h"

#include <algorithm>
#include <cstring>
#include <thread>

#include "sluice/core/clock.h"

namespace sluice {

namespace {
// How long a worker waits on an empty queue before it looks at the run's
// state again. Waiting does not delay events: a push wakes it at once.
constexpr int64_t kIdleWaitUs = 5'000;
// How long a worker waits for room after ERR__QUEUE_FULL before retrying.
constexpr auto kBackpressureWait = std::chrono::microseconds(200);
}  // namespace

ProducerWorker::ProducerWorker(int index, const Scenario& scenario, BoundedQueue<Event>& queue,
                               ProducerClient& client, const PayloadPool& payloads,
                               WorkerControl& control, ReplayArena* replay)
    : index_(index),
      sync_(scenario.producers.delivery == DeliveryMode::kSync),
      queue_(queue),
      client_(client),
      payloads_(payloads),
      control_(control),
      replay_(replay),
      in_flight_(client.in_flight(index)),
      // A sync worker holds one event at a time: taking a batch would hide
      // the backlog from the queue (and from its when-full policy).
      batch_(sync_ ? 1 : static_cast<size_t>(scenario.producers.dequeue_batch)),
      counters_(scenario.type_slots()) {
  if (replay_ == nullptr) {
    for (const auto& t : scenario.source.events) {
      largest_ = std::max<size_t>(largest_, static_cast<size_t>(t.size.kind == SizeDistribution::Kind::kFixed
                                                                    ? t.size.fixed
                                                                    : t.size.max));
    }
  }
  if (payloads_.documents() != nullptr) scratch_.resize(std::max<size_t>(largest_, 1));
}

void ProducerWorker::EnableIdentity(const Identity& stamp, IdentityCarrier carrier) {
  identity_ = true;
  carrier_ = carrier;
  stamp_ = stamp;
  // Scenario::type_slots() is at most 256 (255 named types, or a replay's
  // 256 slots).
  next_seq_.assign(256, 0);
  if (carrier == IdentityCarrier::kValue) {
    prefix_ = kIdentityBytes;
    // Identity and payload composed in the message's slot, which librdkafka
    // takes without a copy; a replay (lines of any length) or a pool too
    // large for it copies through scratch_ instead.
    values_in_slots_ = largest_ > 0 && in_flight_.ReserveValues(prefix_ + largest_);
    // Documents are composed after the prefix; other payloads are copied
    // there (the buffer grows to the largest one, then stays).
    if (!scratch_.empty()) scratch_.resize(scratch_.size() + prefix_);
  }
}

bool ProducerWorker::PastDrainDeadline() const {
  return NowNs() > control_.drain_deadline_abs_ns.load(std::memory_order_relaxed);
}

void ProducerWorker::Run() {
  auto token = queue_.MakeConsumerToken();
  while (!control_.interrupted->load(std::memory_order_relaxed)) {
    // Read before popping: if the source was done and the pop finds nothing,
    // nothing more will come.
    bool source_done = control_.source_done.load(std::memory_order_acquire);
    size_t n = queue_.PopBulk(token, batch_.data(), batch_.size(), kIdleWaitUs);
    if (n == 0) {
      if (source_done) return;
      continue;
    }
    counters_.taken.Add(n);
    // One reading for the batch: every event in it was taken now. From here
    // on an event's time is the worker's, until its produce() call.
    const int64_t taken = NowNs() - control_.epoch_ns;
    for (size_t i = 0; i < n; ++i) {
      if (control_.source_done.load(std::memory_order_relaxed) && PastDrainDeadline()) {
        counters_.abandoned.Add(n - i);
        break;
      }
      Produce(batch_[i], taken);
    }
  }
}

void ProducerWorker::Produce(const Event& event, int64_t taken_ns) {
  if (replay_ != nullptr) {
    // The line waits in the arena; librdkafka copies it (and the key), then
    // the slot goes back to the source.
    std::string_view line = replay_->Line(event.slot);
    std::string_view key = event.key != Event::kNoKey ? replay_->Key(event.slot) : std::string_view();
    ProduceBytes(event, taken_ns, const_cast<char*>(line.data()), RD_KAFKA_MSG_F_COPY, key.data(),
                 key.size());
    replay_->Release(event.slot);
    return;
  }
  char key[24];
  size_t key_len = 0;
  if (event.key != Event::kNoKey) key_len = FormatKey(event.key, key);
  if (const DocumentPool* documents = payloads_.documents()) {
    documents->Write(event, control_.wall_epoch_us, scratch_.data() + prefix_);
    ProduceBytes(event, taken_ns, scratch_.data() + prefix_, RD_KAFKA_MSG_F_COPY, key, key_len);
    return;
  }
  // The payload points into the run's pool, which outlives the client: no
  // copy (msgflags 0) and no free.
  void* payload = const_cast<char*>(payloads_.Slice(event.seq, event.size));
  ProduceBytes(event, taken_ns, payload, 0, key, key_len);
}

bool ProducerWorker::GiveUpWaiting() {
  if (control_.interrupted->load(std::memory_order_relaxed) ||
      (control_.source_done.load(std::memory_order_relaxed) && PastDrainDeadline())) {
    counters_.abandoned.Add();
    return true;
  }
  return false;
}

void ProducerWorker::ProduceBytes(const Event& event, int64_t taken_ns, void* payload, int msgflags,
                                  const char* key, size_t key_len) {
  // The slot travels as the message's opaque; the delivery listener gives it
  // back. None free means librdkafka holds as many messages as the pool has
  // slots: wait for reports, as on QUEUE_FULL.
  InFlight* slot = in_flight_.Acquire();
  while (slot == nullptr) {
    counters_.backpressure.Add();
    if (GiveUpWaiting()) return;
    std::this_thread::sleep_for(kBackpressureWait);
    slot = in_flight_.Acquire();
  }
  slot->intended_ns = event.intended_ns;
  slot->taken_ns = taken_ns;
  slot->type = event.type;
  slot->worker = static_cast<uint16_t>(index_);
  void* value = payload;
  size_t value_len = event.size;
  if (identity_) {
    Identity id = stamp_;
    id.type = event.type;
    id.seq = next_seq_[event.type]++;
    id.intended_ns = event.intended_ns;
    slot->producer = id.producer;
    slot->seq = id.seq;
    if (carrier_ == IdentityCarrier::kValue && values_in_slots_ && event.size <= largest_) {
      char* composed = in_flight_.Value(slot);
      std::memcpy(composed + prefix_, payload, event.size);
      EncodeIdentity(id, composed + prefix_, event.size, reinterpret_cast<unsigned char*>(composed));
      value = composed;
      value_len = prefix_ + event.size;
      msgflags = 0;  // the slot holds it until the delivery report
    } else if (carrier_ == IdentityCarrier::kValue) {
      char* after = scratch_.data() + prefix_;
      if (payload != after) {
        if (scratch_.size() < prefix_ + event.size) scratch_.resize(prefix_ + event.size);
        after = scratch_.data() + prefix_;
        std::memcpy(after, payload, event.size);
      }
      EncodeIdentity(id, after, event.size, reinterpret_cast<unsigned char*>(scratch_.data()));
      value = scratch_.data();
      value_len = prefix_ + event.size;
      msgflags = RD_KAFKA_MSG_F_COPY;
    } else {
      EncodeIdentity(id, payload, event.size, header_);
    }
  }
  const bool in_header = identity_ && carrier_ == IdentityCarrier::kHeaders;
  while (true) {
    // Read before the call, written before librdkafka may hand the message
    // to the listener: the reading of the attempt that is accepted ends
    // `worker` and starts `kafka`. Waits after QUEUE_FULL are the worker's.
    slot->handed_ns = NowNs() - control_.epoch_ns;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (in_header) {
      // librdkafka copies the header into a header list of its own.
      err = rd_kafka_producev(client_.handle(), RD_KAFKA_V_RKT(client_.topic()),
                              RD_KAFKA_V_PARTITION(RD_KAFKA_PARTITION_UA), RD_KAFKA_V_MSGFLAGS(msgflags),
                              RD_KAFKA_V_VALUE(value, value_len),
                              RD_KAFKA_V_KEY(key_len ? key : nullptr, key_len),
                              RD_KAFKA_V_HEADER(kIdentityHeader, header_, static_cast<ssize_t>(kIdentityBytes)),
                              RD_KAFKA_V_OPAQUE(slot), RD_KAFKA_V_END);
    } else if (rd_kafka_produce(client_.topic(), RD_KAFKA_PARTITION_UA, msgflags, value, value_len,
                                key_len ? key : nullptr, key_len, slot) != 0) {
      err = rd_kafka_last_error();
    }
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      counters_.produced.Add();
      break;
    }
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      counters_.backpressure.Add();
      if (GiveUpWaiting()) {
        in_flight_.Unuse(slot);
        return;
      }
      std::this_thread::sleep_for(kBackpressureWait);
      continue;
    }
    in_flight_.Unuse(slot);
    counters_.failed.Add();
    counters_.failed_by_type[event.type].Add();
    ++counters_.failed_by_code[err];
    return;
  }
  if (sync_) {
    // Wait for this message's report; give up only when the run is over
    // (the message then stays in flight and is counted as unresolved).
    while (!client_.AwaitDelivery(index_, 100'000)) {
      if (control_.interrupted->load(std::memory_order_relaxed)) return;
      if (control_.source_done.load(std::memory_order_relaxed) && PastDrainDeadline()) return;
    }
  }
}

}  // namespace sluice
