// InFlight and InFlightPool: what a produced message's delivery report needs
// to know about it, kept in a preallocated slot whose address travels as the
// message's opaque.
//
// Why a slot and not the opaque's 64 bits: the latency breakdown needs three
// clock readings per message (intended, taken by a worker, handed to the
// produce() call librdkafka accepted) so that, with the delivery report's
// reading, queue_wait + worker + kafka = end_to_end exactly for every event.
// Three times do not fit in one pointer.
//
// One pool per worker, owned by the worker's ProducerClient. The worker
// acquires a slot before producing; the client's delivery listener releases
// it when the report arrives. That is a single-producer single-consumer
// exchange of slot indices through a ring: no lock, no allocation after
// construction. librdkafka holds at most queue.buffering.max.messages
// messages per client (a report's slot is released before librdkafka counts
// the message out), so a pool of that capacity never runs dry. A pool capped
// below it (kMaxInFlightSlots, when that property is 0, "no limit", or
// larger) makes the worker wait as on QUEUE_FULL when it runs dry, and the
// wait is counted as backpressure.
//
// Memory is reserved, not touched: a slot's page becomes resident only once a
// message has used it, so a default pool (100,000 slots, 4 MB) costs what
// the run actually keeps in flight.
#ifndef SLUICE_PIPELINE_IN_FLIGHT_H_
#define SLUICE_PIPELINE_IN_FLIGHT_H_

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

namespace sluice {

// All times in ns since the run's epoch, from NowNs().
struct InFlight {
  int64_t intended_ns;  // the event's intended time (Event::intended_ns)
  int64_t taken_ns;     // taken from the queue by a worker (direct: handed over by the source)
  int64_t handed_ns;    // the start of the produce() call that librdkafka accepted
  uint16_t type;        // event type slot
  uint16_t worker;      // index among the workers sharing the client
  // With verify: the event's identity (verify.h): its producer and its
  // sequence number in its stream, for the acknowledgement ledger.
  uint32_t producer;
  uint64_t seq;
};

// The most slots a pool holds, whatever queue.buffering.max.messages says
// (librdkafka accepts 0, no limit, or up to 2^31 - 1): 40 MiB of address
// space, touched only as far as used.
inline constexpr size_t kMaxInFlightSlots = size_t{1} << 20;

class InFlightPool {
 public:
  // Reserves `capacity` slots (at least 1, at most kMaxInFlightSlots). Runs
  // at set-up; throws std::bad_alloc.
  explicit InFlightPool(size_t capacity)
      : capacity_(std::clamp<size_t>(capacity, 1, kMaxInFlightSlots)),
        mask_(std::bit_ceil(capacity_) - 1),
        slots_(new InFlight[capacity_]),
        freed_(new uint32_t[mask_ + 1]) {}
  InFlightPool(const InFlightPool&) = delete;
  InFlightPool& operator=(const InFlightPool&) = delete;

  // A free slot, or nullptr when every slot is in flight. Called by the one
  // thread that produces with this pool (its worker). Never allocates.
  InFlight* Acquire() {
    if (unused_ != nullptr) return std::exchange(unused_, nullptr);
    if (freed_head_ == tail_cache_) tail_cache_ = freed_tail_.load(std::memory_order_acquire);
    if (freed_head_ != tail_cache_) return &slots_[freed_[freed_head_++ & mask_]];
    if (fresh_ < capacity_) return &slots_[fresh_++];
    return nullptr;
  }

  // Takes back the slot just acquired, whose message librdkafka refused, for
  // the next Acquire(). The acquiring thread only; it holds at most one
  // slot that is not in flight at a time. Never allocates.
  void Unuse(InFlight* slot) { unused_ = slot; }

  // Gives back a slot whose message librdkafka reported. Called by one thread at a time
  // (the client's delivery listener, or Finish() after it has joined it).
  // Never allocates.
  void Release(InFlight* slot) {
    const uint64_t tail = freed_tail_.load(std::memory_order_relaxed);
    freed_[tail & mask_] = static_cast<uint32_t>(slot - slots_.get());
    freed_tail_.store(tail + 1, std::memory_order_release);
  }

  size_t capacity() const { return capacity_; }

  // Optional: `stride` bytes of value per slot, for messages whose value
  // sluice composes (the identity carried in front of the value): the slot
  // outlives its message until the delivery report, so librdkafka can take
  // the value without a copy (msgflags 0). Reserved, not touched, like the
  // slots. False, and nothing reserved, when capacity x stride would pass
  // kMaxValueBytes. Call at set-up, before the first Acquire(); throws
  // std::bad_alloc.
  static constexpr size_t kMaxValueBytes = size_t{256} << 20;
  bool ReserveValues(size_t stride) {
    if (stride == 0 || stride > kMaxValueBytes / capacity_) return false;
    values_.reset(new char[capacity_ * stride]);
    stride_ = stride;
    return true;
  }
  // `slot`'s value bytes (ReserveValues() returned true).
  char* Value(const InFlight* slot) { return values_.get() + static_cast<size_t>(slot - slots_.get()) * stride_; }

 private:
  const size_t capacity_;
  const size_t mask_;                  // ring size - 1 (a power of two >= capacity)
  std::unique_ptr<InFlight[]> slots_;  // default-initialised: not touched until used
  std::unique_ptr<uint32_t[]> freed_;  // ring of released slot indices
  alignas(64) std::atomic<uint64_t> freed_tail_{0};  // written by the releasing thread
  alignas(64) uint64_t freed_head_ = 0;              // the acquiring thread's
  uint64_t tail_cache_ = 0;                          // its last look at freed_tail_
  size_t fresh_ = 0;                                 // slots never handed out start here
  InFlight* unused_ = nullptr;                       // see Unuse()
  std::unique_ptr<char[]> values_;                   // ReserveValues(): not touched until used
  size_t stride_ = 0;
};

}  // namespace sluice

#endif  // SLUICE_PIPELINE_IN_FLIGHT_H_
