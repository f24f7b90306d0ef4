// BoundedQueue: the buffer between the source and the producer workers.
//
// moodycamel's ConcurrentQueue has no hard global bound (its capacity is per
// producer and rounded to blocks), so the exact bound lives here: a counting
// semaphore of free slots. A push first takes a slot, then enqueues; a pop
// dequeues, then returns slots. The number of items in the queue can therefore
// never exceed `capacity`, whatever the number of producer and consumer
// threads.
//
// What a push does when no slot is free is the caller's declared policy
// (WhenFull): drop the new item, evict the oldest one, or block.
//
// Thread-safety: every method is thread-safe. Pushers should each own a
// ProducerToken and poppers a ConsumerToken (moodycamel's tokens: FIFO per
// producer, and much faster). With up to `max_producers` producer tokens,
// pushes and pops never allocate once the queue is constructed (the blocks
// are pre-allocated and recycled); each further producer token may allocate
// blocks of its own the first time it fills up. Nothing throws after
// construction.
//
// drop_oldest evicts the oldest item of the producer queue the consumer token
// visits: with one producer (the Source) that is the oldest item overall.
#ifndef SLUICE_CORE_BOUNDED_QUEUE_H_
#define SLUICE_CORE_BOUNDED_QUEUE_H_

#include <concurrentqueue/blockingconcurrentqueue.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <stdexcept>

namespace sluice {

// moodycamel's blocking queue spins 10,000 times on its semaphore before it
// sleeps on a futex. A worker that finds the queue empty therefore burned
// 10 to 20 us of CPU per idle moment: at 20k/s, with the pacer waking the
// workers a few thousand times a second, that was about a tenth of a core
// (ProducerWorker::Run was the hottest symbol in `perf`). 100 spins (well
// under a microsecond) still catch an item pushed right away; the rest
// of the time the worker sleeps, and the push that wakes it costs one
// futex call, once per batch.
struct BoundedQueueTraits : moodycamel::ConcurrentQueueDefaultTraits {
  static const int MAX_SEMA_SPINS = 100;
};

template <typename T>
class BoundedQueue {
 public:
  using Inner = moodycamel::BlockingConcurrentQueue<T, BoundedQueueTraits>;
  using ProducerToken = moodycamel::ProducerToken;
  using ConsumerToken = moodycamel::ConsumerToken;

  // Allocates every block the queue can need. Throws std::invalid_argument
  // on capacity 0.
  explicit BoundedQueue(size_t capacity, size_t max_producers = 1)
      : capacity_(capacity),
        inner_(RoundUp(capacity) + 2 * Inner::BLOCK_SIZE * (max_producers + 1)),
        free_slots_(static_cast<ssize_t>(capacity)) {
    if (capacity == 0) throw std::invalid_argument("BoundedQueue capacity must be at least 1");
  }

  BoundedQueue(const BoundedQueue&) = delete;
  BoundedQueue& operator=(const BoundedQueue&) = delete;

  ProducerToken MakeProducerToken() { return ProducerToken(inner_); }
  ConsumerToken MakeConsumerToken() { return ConsumerToken(inner_); }

  // Enqueues `item` if a slot is free. Never blocks. Returns false when full
  // (the item is not enqueued: the caller counts it as dropped).
  bool TryPush(ProducerToken& token, const T& item) {
    if (!free_slots_.tryWait()) return false;
    inner_.enqueue(token, item);
    WakeAHelperIfNobodyWaits();
    return true;
  }

  // Enqueues up to `count` items from `items`, as many as there are free
  // slots for; returns how many were enqueued (a prefix of `items`). Never
  // blocks.
  size_t TryPushBulk(ProducerToken& token, const T* items, size_t count) {
    ssize_t got = free_slots_.tryWaitMany(static_cast<ssize_t>(count));
    if (got <= 0) return 0;
    inner_.enqueue_bulk(token, items, static_cast<size_t>(got));
    WakeAHelperIfNobodyWaits();
    return static_cast<size_t>(got);
  }

  // Enqueues `item`; when full, first removes the oldest item still queued
  // and stores it in `*evicted`. Returns true when something was evicted.
  // Never blocks for long: it retries while consumers race it for the
  // oldest item.
  bool PushEvictingOldest(ProducerToken& token, ConsumerToken& ctoken, const T& item,
                          T* evicted) {
    bool did_evict = false;
    while (!free_slots_.tryWait()) {
      // The queue is full: take the oldest item and keep its slot.
      if (inner_.try_dequeue(ctoken, *evicted)) {
        did_evict = true;
        break;
      }
      // A consumer dequeued concurrently and is about to return slots.
    }
    inner_.enqueue(token, item);
    WakeAHelperIfNobodyWaits();
    return did_evict;
  }

  // Enqueues `item`, waiting for a free slot at most `timeout_us`
  // microseconds (-1: forever). Returns false on time-out.
  bool PushBlocking(ProducerToken& token, const T& item, int64_t timeout_us) {
    if (!free_slots_.wait(timeout_us)) return false;
    inner_.enqueue(token, item);
    WakeAHelperIfNobodyWaits();
    return true;
  }

  // Dequeues up to `max` items into `out`, waiting up to `timeout_us` for the
  // first one. Returns how many were dequeued (0 on time-out).
  //
  // Several consumers: at most one of them waits on the queue itself; the
  // others wait (up to `timeout_us`, then look again) until the one that
  // was woken finds more than it took, or a push finds nobody waiting on
  // the queue (the one that waited is busy with what it took). moodycamel's semaphore wakes as many
  // waiters as a bulk push has items, so every idle consumer used to wake
  // for every batch, and all but one found nothing (at 20k/s with two
  // workers, 2 x 1,800 wake-ups a second for 1,800 batches). While the
  // queue has a backlog every consumer takes items without waiting.
  size_t PopBulk(ConsumerToken& token, T* out, size_t max, int64_t timeout_us) {
    size_t n = inner_.try_dequeue_bulk(token, out, max);
    if (n == 0) {
      bool free = false;
      if (waiter_.compare_exchange_strong(free, true, std::memory_order_acq_rel)) {
        n = inner_.wait_dequeue_bulk_timed(token, out, max, timeout_us);
        // Seq_cst store, then look at the queue: a push either sees the
        // place free (and wakes a helper) or is seen here.
        waiter_.store(false);
        std::atomic_thread_fence(std::memory_order_seq_cst);
        // Work left behind: bring in an idle consumer.
        if (n > 0 && idle_.load() > 0 && inner_.size_approx() > 0) helpers_.signal(1);
      } else {
        idle_.fetch_add(1);
        helpers_.wait(timeout_us);
        idle_.fetch_sub(1);
        n = inner_.try_dequeue_bulk(token, out, max);
      }
    }
    if (n > 0) free_slots_.signal(static_cast<ssize_t>(n));
    return n;
  }

  // Dequeues up to `max` items without waiting.
  size_t TryPopBulk(ConsumerToken& token, T* out, size_t max) {
    size_t n = inner_.try_dequeue_bulk(token, out, max);
    if (n > 0) free_slots_.signal(static_cast<ssize_t>(n));
    return n;
  }

  // Items queued or being pushed right now; exact when the queue is quiet,
  // approximate (never above capacity) while pushes and pops are under way.
  size_t Depth() const {
    size_t free = free_slots_.availableApprox();
    return free >= capacity_ ? 0 : capacity_ - free;
  }

  size_t capacity() const { return capacity_; }

 private:
  // After a push: with nobody waiting on the queue itself (the consumer
  // that did is busy) an idle consumer takes the new items. Two loads in
  // the usual case.
  void WakeAHelperIfNobodyWaits() {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (idle_.load() > 0 && !waiter_.load()) helpers_.signal(1);
  }

  static size_t RoundUp(size_t n) {
    return (n + Inner::BLOCK_SIZE - 1) / Inner::BLOCK_SIZE * Inner::BLOCK_SIZE;
  }

  const size_t capacity_;
  Inner inner_;
  moodycamel::LightweightSemaphore free_slots_;
  // PopBulk: whether a consumer waits on the queue, how many wait on
  // `helpers_` instead, and their wake-up.
  std::atomic<bool> waiter_{false};
  std::atomic<int> idle_{0};
  moodycamel::LightweightSemaphore helpers_{0, BoundedQueueTraits::MAX_SEMA_SPINS};
};

}  // namespace sluice

#endif  // SLUICE_CORE_BOUNDED_QUEUE_H_
