// ProducerWorker: one of the threads that drain the bounded queue into
// librdkafka.
//
// A worker takes events from the queue in bulk and produces each through its
// ProducerClient (its own, or one shared by all workers). Each message
// carries an InFlight slot (in_flight.h) with its intended time, the time the
// worker took it (one clock reading per batch taken) and the time of the
// produce() call librdkafka accepted (one reading per attempt); the client's
// delivery listener turns them into the latency breakdown. When librdkafka's own queue is full
// (ERR__QUEUE_FULL) it counts a backpressure event, waits for delivery
// reports to make room, and retries. Any other produce error is counted by
// code as a failure. With sync delivery it waits for each message's report
// before taking the next (the seed course's synchronous producer).
//
// Payloads: synthetic text is handed to librdkafka without a copy (the pool
// outlives the clients); synthetic documents are composed into the worker's
// own buffer and replayed lines live in the replay arena, so both are
// produced with RD_KAFKA_MSG_F_COPY, after which a replayed line's slot is
// released.
//
// Run() executes on the worker's thread; the counters are written by that
// thread only. Nothing throws and nothing allocates per event.
#ifndef SLUICE_PIPELINE_PRODUCER_WORKER_H_
#define SLUICE_PIPELINE_PRODUCER_WORKER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "sluice/core/bounded_queue.h"
#include "sluice/core/counters.h"
#include "sluice/pipeline/delivery.h"
#include "sluice/core/event.h"
#include "sluice/core/latency_histogram.h"
#include "sluice/pipeline/payload.h"
#include "sluice/pipeline/replay.h"
#include "sluice/scenario/scenario.h"
#include "sluice/pipeline/source.h"
#include "sluice/pipeline/verify.h"

namespace sluice {

// Shared by the runner and the workers of one cell.
struct WorkerControl {
  int64_t epoch_ns = 0;
  // Set (release) once the source has pushed its last event.
  std::atomic<bool> source_done{false};
  // Absolute time after which workers stop producing and discard what is
  // left in the queue as unresolved; set when the source is done.
  std::atomic<int64_t> drain_deadline_abs_ns{INT64_MAX};
  // The epoch on the wall clock (us since the Unix epoch): synthetic
  // documents carry their intended time as a real date.
  int64_t wall_epoch_us = 0;
  // Set on SIGINT: stop now.
  const std::atomic<bool>* interrupted = nullptr;
};

struct WorkerCounters {
  explicit WorkerCounters(size_t types) : failed_by_type(new Counter[types]) {}

  Counter taken;          // events taken from the queue
  Counter produced;       // accepted by rd_kafka_produce
  Counter backpressure;   // ERR__QUEUE_FULL answers, each followed by a retry
  Counter failed;         // refused by rd_kafka_produce with another error
  Counter abandoned;      // taken or left in the queue after the drain deadline
  ErrorCounts failed_by_code;
  std::unique_ptr<Counter[]> failed_by_type;
};

class ProducerWorker : public EventSink {
 public:
  // `replay`: the arena of a replay source (events carry slots), else null.
  ProducerWorker(int index, const Scenario& scenario, BoundedQueue<Event>& queue,
                 ProducerClient& client, const PayloadPool& payloads, WorkerControl& control,
                 ReplayArena* replay = nullptr);

  // Queued pipeline: drains the queue until the source is done and the
  // queue is empty (or the drain deadline passes), on the worker's thread.
  void Run();
  // Direct pipeline: produces `event` now, on the caller's (the source's)
  // thread; `now_ns` is the source's hand-over reading, so its queue wait is
  // the source's lag.
  void Take(const Event& event, int64_t now_ns) override { Produce(event, now_ns); }
  const WorkerCounters& counters() const { return counters_; }

  // With verify: every event carries its identity (verify.h): `stamp`'s
  // run, cell, repetition and producer, the event's type and intended time,
  // and a sequence number per type counted by this worker from 0; in a
  // record header, or (IdentityCarrier::kValue) in front of the value, which
  // is then copied. Call before Run() or Take(). Allocates (set-up).
  void EnableIdentity(const Identity& stamp, IdentityCarrier carrier);

 private:
  void Produce(const Event& event, int64_t taken_ns);
  void ProduceBytes(const Event& event, int64_t taken_ns, void* payload, int msgflags,
                    const char* key, size_t key_len);
  bool PastDrainDeadline() const;
  // Whether to stop waiting for room (interrupted, or past the drain
  // deadline); counts the event as abandoned if so.
  bool GiveUpWaiting();

  const int index_;
  const bool sync_;
  BoundedQueue<Event>& queue_;
  ProducerClient& client_;
  const PayloadPool& payloads_;
  WorkerControl& control_;
  ReplayArena* replay_;
  size_t largest_ = 0;             // the largest synthetic event, bytes (0: a replay)
  bool values_in_slots_ = false;   // the value carrier composes into in_flight_'s slots
  InFlightPool& in_flight_;  // this worker's slots, in its client
  std::vector<char> scratch_;  // composed synthetic documents
  std::vector<Event> batch_;
  WorkerCounters counters_;
  bool identity_ = false;
  IdentityCarrier carrier_ = IdentityCarrier::kHeaders;
  size_t prefix_ = 0;  // bytes before the payload in scratch_ (the value carrier's identity)
  Identity stamp_;
  std::vector<uint64_t> next_seq_;        // by type
  unsigned char header_[kIdentityBytes];  // the header carrier's encoded identity
};

}  // namespace sluice

#endif  // SLUICE_PIPELINE_PRODUCER_WORKER_H_
