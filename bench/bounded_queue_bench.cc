// Micro-benchmarks for BoundedQueue against the obvious alternative, a
// std::deque behind a mutex and a condition variable, both behind the same
// small interface (TryPush / TryPushBulk / PopBulk), the way moodycamel's own
// benchmarks put rival queues side by side.
//
// BM_Transfer moves kItems items from N producer threads to N consumer
// threads (N = the argument), one item per call or kBatch per call; the
// items/s counter is the throughput of the whole transfer, wall clock. A
// producer that finds the queue full yields and retries, as the harness's
// source does under the block policy. BM_SameThread is one thread pushing and
// popping: the cost of the operations themselves, without contention.

#include "sluice/core/bounded_queue.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace sluice {
namespace {

constexpr size_t kCapacity = 1024;
constexpr size_t kBatch = 64;
constexpr uint64_t kItems = uint64_t{1} << 18;
constexpr int64_t kPopWaitUs = 1000;

// The rival: a bounded FIFO under one lock. Consumers wait on a condition
// variable; producers never wait (they get false when the queue is full).
class MutexBoundedQueue {
 public:
  explicit MutexBoundedQueue(size_t capacity) : capacity_(capacity) {}

  bool TryPush(uint64_t item) { return TryPushBulk(&item, 1) == 1; }

  size_t TryPushBulk(const uint64_t* items, size_t count) {
    size_t n;
    bool wake;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      n = std::min(count, capacity_ - items_.size());
      items_.insert(items_.end(), items, items + n);
      wake = n > 0 && waiting_ > 0;
    }
    if (wake) nonempty_.notify_one();
    return n;
  }

  size_t PopBulk(uint64_t* out, size_t max, int64_t timeout_us) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (items_.empty()) {
      ++waiting_;
      nonempty_.wait_for(lock, std::chrono::microseconds(timeout_us),
                         [&] { return !items_.empty(); });
      --waiting_;
    }
    const size_t n = std::min(max, items_.size());
    std::copy_n(items_.begin(), n, out);
    items_.erase(items_.begin(), items_.begin() + static_cast<ptrdiff_t>(n));
    return n;
  }

 private:
  const size_t capacity_;
  std::mutex mutex_;
  std::condition_variable nonempty_;
  std::deque<uint64_t> items_;
  int waiting_ = 0;
};

// The common interface: a queue hands out per-thread producer and consumer
// handles (BoundedQueue's hold moodycamel tokens; the mutex queue's are thin).
class SluiceQueue {
 public:
  SluiceQueue(size_t capacity, int producers)
      : queue_(capacity, static_cast<size_t>(producers)) {}

  class Producer {
   public:
    explicit Producer(BoundedQueue<uint64_t>& q) : q_(q), token_(q.MakeProducerToken()) {}
    bool TryPush(uint64_t item) { return q_.TryPush(token_, item); }
    size_t TryPushBulk(const uint64_t* items, size_t n) { return q_.TryPushBulk(token_, items, n); }

   private:
    BoundedQueue<uint64_t>& q_;
    BoundedQueue<uint64_t>::ProducerToken token_;
  };
  class Consumer {
   public:
    explicit Consumer(BoundedQueue<uint64_t>& q) : q_(q), token_(q.MakeConsumerToken()) {}
    size_t PopBulk(uint64_t* out, size_t max, int64_t timeout_us) {
      return q_.PopBulk(token_, out, max, timeout_us);
    }

   private:
    BoundedQueue<uint64_t>& q_;
    BoundedQueue<uint64_t>::ConsumerToken token_;
  };

  Producer MakeProducer() { return Producer(queue_); }
  Consumer MakeConsumer() { return Consumer(queue_); }

 private:
  BoundedQueue<uint64_t> queue_;
};

class MutexQueue {
 public:
  MutexQueue(size_t capacity, int /*producers*/) : queue_(capacity) {}

  class Producer {
   public:
    explicit Producer(MutexBoundedQueue& q) : q_(q) {}
    bool TryPush(uint64_t item) { return q_.TryPush(item); }
    size_t TryPushBulk(const uint64_t* items, size_t n) { return q_.TryPushBulk(items, n); }

   private:
    MutexBoundedQueue& q_;
  };
  class Consumer {
   public:
    explicit Consumer(MutexBoundedQueue& q) : q_(q) {}
    size_t PopBulk(uint64_t* out, size_t max, int64_t timeout_us) {
      return q_.PopBulk(out, max, timeout_us);
    }

   private:
    MutexBoundedQueue& q_;
  };

  Producer MakeProducer() { return Producer(queue_); }
  Consumer MakeConsumer() { return Consumer(queue_); }

 private:
  MutexBoundedQueue queue_;
};

template <typename Q, bool kBulk>
void BM_Transfer(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  const uint64_t per_producer = kItems / static_cast<uint64_t>(threads);
  const size_t batch = kBulk ? kBatch : 1;
  Q queue(kCapacity, threads);
  uint64_t checksum = 0;

  for (auto _ : state) {
    std::atomic<bool> producers_done{false};
    std::atomic<uint64_t> popped_total{0};
    std::vector<std::thread> producers, consumers;
    for (int p = 0; p < threads; ++p) {
      producers.emplace_back([&, p] {
        auto producer = queue.MakeProducer();
        uint64_t items[kBatch];
        uint64_t next = static_cast<uint64_t>(p) * per_producer;
        const uint64_t end = next + per_producer;
        while (next < end) {
          const size_t want = static_cast<size_t>(std::min<uint64_t>(batch, end - next));
          size_t n;
          if (kBulk) {
            for (size_t i = 0; i < want; ++i) items[i] = next + i;
            n = producer.TryPushBulk(items, want);
          } else {
            n = producer.TryPush(next) ? 1 : 0;
          }
          if (n == 0) std::this_thread::yield();
          next += n;
        }
      });
    }
    for (int c = 0; c < threads; ++c) {
      consumers.emplace_back([&] {
        auto consumer = queue.MakeConsumer();
        uint64_t out[kBatch];
        uint64_t popped = 0, sum = 0;
        while (true) {
          const size_t n = consumer.PopBulk(out, batch, kPopWaitUs);
          for (size_t i = 0; i < n; ++i) sum += out[i];
          popped += n;
          if (n == 0 && producers_done.load(std::memory_order_acquire)) {
            // Everything has been pushed; take what is left, then stop.
            size_t m;
            while ((m = consumer.PopBulk(out, kBatch, 0)) > 0) {
              for (size_t i = 0; i < m; ++i) sum += out[i];
              popped += m;
            }
            break;
          }
        }
        popped_total.fetch_add(popped);
        benchmark::DoNotOptimize(sum);
      });
    }
    for (auto& t : producers) t.join();
    producers_done.store(true, std::memory_order_release);
    for (auto& t : consumers) t.join();
    if (popped_total.load() != per_producer * static_cast<uint64_t>(threads)) {
      state.SkipWithError("items lost or duplicated");
      break;
    }
    checksum += popped_total.load();
  }
  benchmark::DoNotOptimize(checksum);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(per_producer) * threads);
  state.counters["producers"] = threads;
  state.counters["consumers"] = threads;
}

#define SLUICE_TRANSFER(Q, BULK)                                           \
  BENCHMARK_TEMPLATE(BM_Transfer, Q, BULK)                                 \
      ->ArgName("threads")                                                 \
      ->Arg(1)                                                             \
      ->Arg(2)                                                             \
      ->Arg(4)                                                             \
      ->UseRealTime()                                                      \
      ->Unit(benchmark::kMillisecond)

SLUICE_TRANSFER(SluiceQueue, false);
SLUICE_TRANSFER(MutexQueue, false);
SLUICE_TRANSFER(SluiceQueue, true);
SLUICE_TRANSFER(MutexQueue, true);

// One thread, no contention: push `batch` items then pop them.
template <typename Q>
void BM_SameThread(benchmark::State& state) {
  const size_t batch = static_cast<size_t>(state.range(0));
  Q queue(kCapacity, 1);
  auto producer = queue.MakeProducer();
  auto consumer = queue.MakeConsumer();
  std::vector<uint64_t> items(batch), out(batch);
  for (size_t i = 0; i < batch; ++i) items[i] = i;
  for (auto _ : state) {
    size_t pushed;
    if (batch == 1) {
      pushed = producer.TryPush(items[0]) ? 1 : 0;
    } else {
      pushed = producer.TryPushBulk(items.data(), batch);
    }
    size_t popped = consumer.PopBulk(out.data(), batch, 0);
    benchmark::DoNotOptimize(out.data());
    if (pushed != batch || popped != batch) {
      state.SkipWithError("push or pop fell short");
      break;
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * batch));
}
BENCHMARK_TEMPLATE(BM_SameThread, SluiceQueue)->ArgName("batch")->Arg(1)->Arg(kBatch);
BENCHMARK_TEMPLATE(BM_SameThread, MutexQueue)->ArgName("batch")->Arg(1)->Arg(kBatch);

}  // namespace
}  // namespace sluice
