#include "sluice/core/bounded_queue.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace sluice {
namespace {

using Queue = BoundedQueue<uint64_t>;

// Only there to stop a broken queue from hanging the test binary; no
// assertion depends on how long anything takes.
constexpr auto kHangGuard = std::chrono::seconds(60);
constexpr int64_t kHangGuardUs = 60'000'000;

// Pops everything the queue holds right now, in dequeue order.
std::vector<uint64_t> DrainQuiet(Queue& queue) {
  auto token = queue.MakeConsumerToken();
  std::vector<uint64_t> out;
  uint64_t buffer[64];
  while (size_t n = queue.TryPopBulk(token, buffer, 64)) out.insert(out.end(), buffer, buffer + n);
  return out;
}

std::vector<uint64_t> Iota(uint64_t from, uint64_t to) {
  std::vector<uint64_t> v;
  for (uint64_t i = from; i < to; ++i) v.push_back(i);
  return v;
}

// ------------------------------------------------------- single-threaded

TEST(BoundedQueueTest, CapacityZeroThrows) {
  EXPECT_THROW(Queue(0), std::invalid_argument);
  EXPECT_THROW(Queue(0, 4), std::invalid_argument);
}

TEST(BoundedQueueTest, CapacityOneEdgeCases) {
  Queue queue(1);
  EXPECT_EQ(queue.capacity(), 1u);
  auto producer = queue.MakeProducerToken();
  auto consumer = queue.MakeConsumerToken();
  uint64_t out[4] = {};

  EXPECT_EQ(queue.Depth(), 0u);
  EXPECT_EQ(queue.TryPopBulk(consumer, out, 4), 0u);
  EXPECT_EQ(queue.PopBulk(consumer, out, 4, 0), 0u);
  EXPECT_EQ(queue.PopBulk(consumer, out, 4, 1000), 0u);

  EXPECT_TRUE(queue.TryPush(producer, 10));
  EXPECT_EQ(queue.Depth(), 1u);
  EXPECT_FALSE(queue.TryPush(producer, 11));
  const uint64_t bulk[3] = {12, 13, 14};
  EXPECT_EQ(queue.TryPushBulk(producer, bulk, 3), 0u);
  EXPECT_FALSE(queue.PushBlocking(producer, 15, 0));
  EXPECT_FALSE(queue.PushBlocking(producer, 15, 1000));
  EXPECT_EQ(queue.Depth(), 1u);

  // Evicting from a queue of one replaces its only item.
  uint64_t evicted = 0;
  EXPECT_TRUE(queue.PushEvictingOldest(producer, consumer, 20, &evicted));
  EXPECT_EQ(evicted, 10u);
  EXPECT_EQ(queue.Depth(), 1u);

  EXPECT_EQ(queue.PopBulk(consumer, out, 4, 0), 1u);
  EXPECT_EQ(out[0], 20u);
  EXPECT_EQ(queue.Depth(), 0u);
  EXPECT_EQ(queue.TryPopBulk(consumer, out, 4), 0u);

  // Evicting into an empty queue evicts nothing; a bulk push takes one.
  evicted = 999;
  EXPECT_FALSE(queue.PushEvictingOldest(producer, consumer, 21, &evicted));
  EXPECT_EQ(evicted, 999u);
  EXPECT_EQ(DrainQuiet(queue), std::vector<uint64_t>{21});
  EXPECT_EQ(queue.TryPushBulk(producer, bulk, 3), 1u);
  EXPECT_EQ(DrainQuiet(queue), std::vector<uint64_t>{12});
  EXPECT_TRUE(queue.PushBlocking(producer, 30, 0));
  EXPECT_EQ(DrainQuiet(queue), std::vector<uint64_t>{30});
  EXPECT_EQ(queue.Depth(), 0u);
}

TEST(BoundedQueueTest, TryPushBulkPushesAPrefixWithinCapacity) {
  Queue queue(10);
  auto producer = queue.MakeProducerToken();
  const std::vector<uint64_t> first = Iota(0, 4);
  const std::vector<uint64_t> second = Iota(100, 110);

  EXPECT_EQ(queue.TryPushBulk(producer, first.data(), 0), 0u);
  EXPECT_EQ(queue.TryPushBulk(producer, first.data(), first.size()), 4u);
  // 6 free slots: the first 6 of 10 go in, the rest are the caller's.
  EXPECT_EQ(queue.TryPushBulk(producer, second.data(), second.size()), 6u);
  EXPECT_EQ(queue.Depth(), 10u);
  EXPECT_EQ(queue.TryPushBulk(producer, second.data(), second.size()), 0u);
  EXPECT_FALSE(queue.TryPush(producer, 7));

  std::vector<uint64_t> expected = first;
  expected.insert(expected.end(), second.begin(), second.begin() + 6);
  EXPECT_EQ(DrainQuiet(queue), expected);

  // A bulk push exactly the size of the capacity fits; one more does not.
  const std::vector<uint64_t> eleven = Iota(200, 211);
  EXPECT_EQ(queue.TryPushBulk(producer, eleven.data(), eleven.size()), 10u);
  EXPECT_EQ(DrainQuiet(queue), Iota(200, 210));
  EXPECT_EQ(queue.TryPushBulk(producer, eleven.data(), 10), 10u);
  EXPECT_EQ(DrainQuiet(queue), Iota(200, 210));
}

TEST(BoundedQueueTest, DepthIsExactWhenQuiet) {
  // Capacities either side of the inner queue's block size.
  for (size_t capacity : {size_t{1}, size_t{2}, size_t{31}, size_t{32}, size_t{33}, size_t{100},
                          size_t{1000}}) {
    SCOPED_TRACE("capacity=" + std::to_string(capacity));
    Queue queue(capacity);
    auto producer = queue.MakeProducerToken();
    auto consumer = queue.MakeConsumerToken();
    for (size_t i = 0; i < capacity; ++i) {
      ASSERT_EQ(queue.Depth(), i);
      ASSERT_TRUE(queue.TryPush(producer, i));
    }
    EXPECT_EQ(queue.Depth(), capacity);
    EXPECT_FALSE(queue.TryPush(producer, capacity));
    EXPECT_EQ(queue.Depth(), capacity);

    uint64_t out[7];
    size_t left = capacity;
    uint64_t next = 0;
    while (left > 0) {
      size_t n = queue.TryPopBulk(consumer, out, 7);
      ASSERT_EQ(n, std::min<size_t>(7, left));
      for (size_t i = 0; i < n; ++i) ASSERT_EQ(out[i], next++);
      left -= n;
      ASSERT_EQ(queue.Depth(), left);
    }
    // Slots come back: the queue fills to capacity again, no more.
    std::vector<uint64_t> items = Iota(0, capacity + 5);
    EXPECT_EQ(queue.TryPushBulk(producer, items.data(), items.size()), capacity);
    EXPECT_EQ(queue.Depth(), capacity);
    EXPECT_EQ(DrainQuiet(queue), Iota(0, capacity));
    EXPECT_EQ(queue.Depth(), 0u);
  }
}

TEST(BoundedQueueTest, FifoForOneProducerSingleThreaded) {
  Queue queue(50);
  auto producer = queue.MakeProducerToken();
  auto consumer = queue.MakeConsumerToken();
  uint64_t next_in = 0, next_out = 0;
  uint64_t out[16];
  // Interleave pushes and pops of different sizes so the read and write
  // positions wrap around the inner blocks many times.
  for (int round = 0; round < 2000; ++round) {
    const int pushes = 1 + round % 13;
    for (int i = 0; i < pushes; ++i) {
      if (queue.TryPush(producer, next_in)) ++next_in;
    }
    size_t n = queue.TryPopBulk(consumer, out, 1 + round % 11);
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(out[i], next_out++);
  }
  for (uint64_t v : DrainQuiet(queue)) ASSERT_EQ(v, next_out++);
  EXPECT_EQ(next_out, next_in);
  EXPECT_GT(next_in, 10000u);
}

TEST(BoundedQueueTest, FifoForOneProducerAndOneConsumerThread) {
  constexpr uint64_t kItems = 200'000;
  Queue queue(64);
  std::atomic<bool> failed{false};
  std::thread producer_thread([&] {
    auto producer = queue.MakeProducerToken();
    for (uint64_t i = 0; i < kItems && !failed.load(); ++i) {
      if (!queue.PushBlocking(producer, i, kHangGuardUs)) failed = true;
    }
  });
  auto consumer = queue.MakeConsumerToken();
  uint64_t next = 0;
  uint64_t out[32];
  bool in_order = true;
  while (next < kItems && !failed.load()) {
    size_t n = queue.PopBulk(consumer, out, 32, kHangGuardUs);
    if (n == 0) failed = true;
    for (size_t i = 0; i < n; ++i) in_order = in_order && out[i] == next++;
  }
  producer_thread.join();
  EXPECT_FALSE(failed.load()) << "hang guard expired";
  EXPECT_TRUE(in_order);
  EXPECT_EQ(next, kItems);
  EXPECT_EQ(queue.Depth(), 0u);
}

TEST(BoundedQueueTest, EvictingOldestEvictsTheOldestForOneProducer) {
  Queue queue(4);
  auto producer = queue.MakeProducerToken();
  auto consumer = queue.MakeConsumerToken();
  std::vector<uint64_t> evicted;
  for (uint64_t i = 0; i < 10; ++i) {
    uint64_t e = 0;
    bool did = queue.PushEvictingOldest(producer, consumer, i, &e);
    EXPECT_EQ(did, i >= 4) << i;
    if (did) evicted.push_back(e);
    EXPECT_EQ(queue.Depth(), std::min<size_t>(i + 1, 4));
  }
  EXPECT_EQ(evicted, Iota(0, 6));
  EXPECT_EQ(DrainQuiet(queue), Iota(6, 10));

  // After a partial drain the freed slots are used before anything is
  // evicted again.
  for (uint64_t i = 20; i < 24; ++i) queue.TryPush(producer, i);
  uint64_t out[2];
  ASSERT_EQ(queue.TryPopBulk(consumer, out, 2), 2u);
  uint64_t e = 0;
  EXPECT_FALSE(queue.PushEvictingOldest(producer, consumer, 30, &e));
  EXPECT_FALSE(queue.PushEvictingOldest(producer, consumer, 31, &e));
  EXPECT_TRUE(queue.PushEvictingOldest(producer, consumer, 32, &e));
  EXPECT_EQ(e, 22u);
  EXPECT_EQ(DrainQuiet(queue), (std::vector<uint64_t>{23, 30, 31, 32}));
}

TEST(BoundedQueueTest, PushBlockingTimesOutWhenFullAndNobodyPops) {
  Queue queue(2);
  auto producer = queue.MakeProducerToken();
  ASSERT_TRUE(queue.PushBlocking(producer, 1, 1000));
  ASSERT_TRUE(queue.PushBlocking(producer, 2, 1000));
  EXPECT_FALSE(queue.PushBlocking(producer, 3, 0));
  EXPECT_FALSE(queue.PushBlocking(producer, 3, 1));
  EXPECT_FALSE(queue.PushBlocking(producer, 3, 20'000));
  // A timed-out wait leaves no trace in the slot count.
  EXPECT_EQ(queue.Depth(), 2u);
  auto consumer = queue.MakeConsumerToken();
  uint64_t out[1];
  ASSERT_EQ(queue.TryPopBulk(consumer, out, 1), 1u);
  EXPECT_EQ(out[0], 1u);
  EXPECT_EQ(queue.Depth(), 1u);
  EXPECT_TRUE(queue.TryPush(producer, 4));
  EXPECT_FALSE(queue.TryPush(producer, 5));
  EXPECT_EQ(DrainQuiet(queue), (std::vector<uint64_t>{2, 4}));
}

TEST(BoundedQueueTest, PushBlockingCompletesWhenAConsumerPops) {
  Queue queue(1);
  auto producer = queue.MakeProducerToken();
  ASSERT_TRUE(queue.TryPush(producer, 1));
  auto pushed = std::async(std::launch::async, [&] {
    auto token = queue.MakeProducerToken();
    return queue.PushBlocking(token, 2, kHangGuardUs);
  });
  auto consumer = queue.MakeConsumerToken();
  uint64_t out[1];
  ASSERT_EQ(queue.PopBulk(consumer, out, 1, kHangGuardUs), 1u);
  EXPECT_EQ(out[0], 1u);
  ASSERT_EQ(pushed.wait_for(kHangGuard), std::future_status::ready);
  EXPECT_TRUE(pushed.get());
  EXPECT_EQ(DrainQuiet(queue), std::vector<uint64_t>{2});
}

// Without consumers, once one push has been refused the queue is full and
// stays full, so the pushes that succeeded, from every thread together, are
// exactly the capacity.
TEST(BoundedQueueTest, ProducersWithoutConsumersFillExactlyToCapacity) {
  for (size_t capacity : {size_t{1}, size_t{33}, size_t{100}, size_t{1000}}) {
    for (bool bulk : {false, true}) {
      SCOPED_TRACE("capacity=" + std::to_string(capacity) + " bulk=" + std::to_string(bulk));
      Queue queue(capacity, 4);
      std::atomic<uint64_t> succeeded{0};
      std::vector<std::thread> threads;
      for (uint64_t p = 0; p < 4; ++p) {
        threads.emplace_back([&, p] {
          auto token = queue.MakeProducerToken();
          uint64_t items[5];
          for (uint64_t i = 0;; i += 5) {
            for (uint64_t k = 0; k < 5; ++k) items[k] = p << 32 | (i + k);
            size_t n = bulk ? queue.TryPushBulk(token, items, 5) : queue.TryPush(token, items[0]);
            succeeded += n;
            if (n < (bulk ? 5u : 1u)) return;
          }
        });
      }
      for (auto& t : threads) t.join();
      EXPECT_EQ(succeeded.load(), capacity);
      EXPECT_EQ(queue.Depth(), capacity);
      std::vector<uint64_t> items = DrainQuiet(queue);
      EXPECT_EQ(items.size(), capacity);
      std::sort(items.begin(), items.end());
      EXPECT_EQ(std::adjacent_find(items.begin(), items.end()), items.end());
    }
  }
}

// ------------------------------------------- 4 producers x 4 consumers

// What the producers do with an item: kRetry pushes it with TryPush until it
// goes in, the other three are the WhenFull policies.
enum class Mode { kRetry, kDropNewest, kDropOldest, kBlock };

constexpr int kProducers = 4;
constexpr int kConsumers = 4;
constexpr size_t kCapacity = 64;
constexpr size_t kPopBatch = 8;
constexpr uint64_t kPerProducer = 40'000;

uint64_t Id(uint64_t producer, uint64_t i) { return producer << 32 | i; }

struct ContendedResult {
  std::vector<uint64_t> attempted;  // every id a producer tried to push
  std::vector<uint64_t> pushed;     // ids enqueued (or pushed by an evicting push)
  std::vector<uint64_t> dropped;    // ids refused by TryPush (drop_newest)
  std::vector<uint64_t> evicted;    // ids removed by PushEvictingOldest
  std::vector<uint64_t> popped;     // ids returned by PopBulk
  uint64_t full_events = 0;         // pushes that found the queue full
  bool fifo_per_producer = true;    // each consumer saw each producer's ids in order
  uint64_t bound_violations = 0;
  int64_t max_upper_bound_seen = 0;
  bool hang_guard_expired = false;
};

// The exact-bound invariant. `slot_pushes` counts pushes that took a free
// slot, incremented after the push returned; `pop_upper` is at all times at
// least the number of slots consumers have returned: a consumer adds its
// batch size BEFORE calling PopBulk (which returns the slots inside) and
// takes back the unused part after. So, with S the slots taken and R the
// slots returned so far (S - R <= capacity is what the semaphore promises),
//   slot_pushes (read first) <= S then  and  pop_upper (read after) >= R now >= R then,
// and `slot_pushes - pop_upper <= capacity` must hold for every pair of
// reads in that order. It can never fail spuriously; a queue that let one
// push too many through would fail it as soon as pops lag (slack: at most
// kConsumers * kPopBatch items in flight).
struct BoundCheck {
  std::atomic<int64_t> slot_pushes{0};
  std::atomic<int64_t> pop_upper{0};
  std::atomic<uint64_t> violations{0};
  std::atomic<int64_t> max_seen{0};

  void Check() {
    const int64_t pushes = slot_pushes.load();
    const int64_t pops = pop_upper.load();
    const int64_t bound = pushes - pops;
    if (bound > static_cast<int64_t>(kCapacity)) violations.fetch_add(1);
    int64_t seen = max_seen.load(std::memory_order_relaxed);
    while (bound > seen && !max_seen.compare_exchange_weak(seen, bound)) {
    }
  }
};

ContendedResult RunContended(Mode mode) {
  Queue queue(kCapacity, kProducers);
  BoundCheck bound;
  std::atomic<uint64_t> full_events{0};
  std::atomic<bool> producers_done{false};
  std::atomic<bool> hang{false};
  const auto deadline = std::chrono::steady_clock::now() + kHangGuard;

  struct PerProducer {
    std::vector<uint64_t> attempted, pushed, dropped, evicted;
  };
  std::vector<PerProducer> per_producer(kProducers);
  std::vector<std::vector<uint64_t>> per_consumer(kConsumers);

  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      auto token = queue.MakeProducerToken();
      auto evict_token = queue.MakeConsumerToken();
      PerProducer& mine = per_producer[p];
      for (uint64_t i = 0; i < kPerProducer && !hang.load(std::memory_order_relaxed); ++i) {
        const uint64_t id = Id(p, i);
        mine.attempted.push_back(id);
        switch (mode) {
          case Mode::kRetry: {
            bool counted_full = false;
            while (!queue.TryPush(token, id)) {
              if (!counted_full) full_events.fetch_add(1);
              counted_full = true;
              if (std::chrono::steady_clock::now() > deadline) {
                hang = true;
                break;
              }
              std::this_thread::yield();
            }
            if (hang.load()) break;  // out of the switch; the loop condition ends it
            bound.slot_pushes.fetch_add(1);
            mine.pushed.push_back(id);
            break;
          }
          case Mode::kDropNewest:
            if (queue.TryPush(token, id)) {
              bound.slot_pushes.fetch_add(1);
              mine.pushed.push_back(id);
            } else {
              full_events.fetch_add(1);
              mine.dropped.push_back(id);
            }
            break;
          case Mode::kDropOldest: {
            uint64_t evicted = 0;
            if (queue.PushEvictingOldest(token, evict_token, id, &evicted)) {
              // The new item took the evicted one's slot.
              full_events.fetch_add(1);
              mine.evicted.push_back(evicted);
            } else {
              bound.slot_pushes.fetch_add(1);
            }
            mine.pushed.push_back(id);
            break;
          }
          case Mode::kBlock: {
            if (!queue.TryPush(token, id)) {
              full_events.fetch_add(1);
              while (!queue.PushBlocking(token, id, 10'000)) {
                if (std::chrono::steady_clock::now() > deadline) {
                  hang = true;
                  break;
                }
              }
              if (hang.load()) break;
            }
            bound.slot_pushes.fetch_add(1);
            mine.pushed.push_back(id);
            break;
          }
        }
        bound.Check();
      }
    });
  }

  std::vector<std::thread> consumers;
  for (int c = 0; c < kConsumers; ++c) {
    consumers.emplace_back([&, c] {
      // Consumers start once the queue has been full at least once, so every
      // run exercises the full path whatever the scheduler does.
      while (full_events.load() == 0 && !producers_done.load() && !hang.load()) {
        if (std::chrono::steady_clock::now() > deadline) hang = true;
        std::this_thread::yield();
      }
      auto token = queue.MakeConsumerToken();
      std::vector<uint64_t>& mine = per_consumer[c];
      uint64_t out[kPopBatch];
      auto pop = [&](bool wait) {
        bound.pop_upper.fetch_add(kPopBatch);
        size_t n = wait ? queue.PopBulk(token, out, kPopBatch, 1000)
                        : queue.TryPopBulk(token, out, kPopBatch);
        bound.pop_upper.fetch_sub(static_cast<int64_t>(kPopBatch - n));
        mine.insert(mine.end(), out, out + n);
        return n;
      };
      while (!hang.load(std::memory_order_relaxed)) {
        if (pop(true) == 0 && producers_done.load()) {
          // Every push has returned: what is left can be taken without waiting.
          while (pop(false) > 0) {
          }
          break;
        }
        if (std::chrono::steady_clock::now() > deadline) hang = true;
      }
    });
  }

  // A sampler checks the invariant between the producers' own checks.
  std::atomic<bool> sampler_stop{false};
  std::thread sampler([&] {
    while (!sampler_stop.load()) {
      bound.Check();
      std::this_thread::yield();
    }
  });

  for (auto& t : producers) t.join();
  producers_done = true;
  for (auto& t : consumers) t.join();
  sampler_stop = true;
  sampler.join();

  ContendedResult result;
  for (auto& p : per_producer) {
    result.attempted.insert(result.attempted.end(), p.attempted.begin(), p.attempted.end());
    result.pushed.insert(result.pushed.end(), p.pushed.begin(), p.pushed.end());
    result.dropped.insert(result.dropped.end(), p.dropped.begin(), p.dropped.end());
    result.evicted.insert(result.evicted.end(), p.evicted.begin(), p.evicted.end());
  }
  for (auto& c : per_consumer) {
    // moodycamel is FIFO per producer: whatever one consumer takes from one
    // producer comes out in the order it went in.
    std::vector<int64_t> last(kProducers, -1);
    for (uint64_t id : c) {
      const int64_t i = static_cast<int64_t>(id & 0xFFFFFFFF);
      if (i <= last[id >> 32]) result.fifo_per_producer = false;
      last[id >> 32] = i;
    }
    result.popped.insert(result.popped.end(), c.begin(), c.end());
  }
  for (auto* v : {&result.attempted, &result.pushed, &result.dropped, &result.evicted,
                  &result.popped}) {
    std::sort(v->begin(), v->end());
  }
  result.full_events = full_events.load();
  result.bound_violations = bound.violations.load();
  result.max_upper_bound_seen = bound.max_seen.load();
  result.hang_guard_expired = hang.load();
  // Nothing may be left behind.
  EXPECT_EQ(queue.Depth(), 0u);
  EXPECT_TRUE(DrainQuiet(queue).empty());
  return result;
}

bool HasDuplicates(const std::vector<uint64_t>& sorted) {
  return std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end();
}

std::vector<uint64_t> Union(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  std::vector<uint64_t> out;
  std::merge(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

std::vector<uint64_t> Intersection(const std::vector<uint64_t>& a,
                                   const std::vector<uint64_t>& b) {
  std::vector<uint64_t> out;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

void ExpectCommon(const ContendedResult& r) {
  ASSERT_FALSE(r.hang_guard_expired);
  EXPECT_EQ(r.attempted.size(), kProducers * kPerProducer);
  EXPECT_FALSE(HasDuplicates(r.attempted));
  EXPECT_FALSE(HasDuplicates(r.popped)) << "an item was popped twice";
  EXPECT_GT(r.full_events, 0u);
  EXPECT_TRUE(r.fifo_per_producer);
  EXPECT_EQ(r.bound_violations, 0u) << "max pushes - pops seen: " << r.max_upper_bound_seen;
  EXPECT_LE(r.max_upper_bound_seen, static_cast<int64_t>(kCapacity));
}

TEST(BoundedQueueContendedTest, NeverHoldsMoreThanCapacityAndLosesNothing) {
  const ContendedResult r = RunContended(Mode::kRetry);
  ExpectCommon(r);
  EXPECT_EQ(r.pushed, r.attempted);
  EXPECT_EQ(r.popped, r.pushed) << "items lost or invented";
  RecordProperty("full_events", std::to_string(r.full_events));
  RecordProperty("max_pushes_minus_pops", std::to_string(r.max_upper_bound_seen));
}

TEST(BoundedQueueContendedTest, DropNewestCountsAddUp) {
  const ContendedResult r = RunContended(Mode::kDropNewest);
  ExpectCommon(r);
  EXPECT_EQ(r.pushed.size() + r.dropped.size(), r.attempted.size());
  EXPECT_EQ(Union(r.pushed, r.dropped), r.attempted);
  EXPECT_EQ(r.popped.size(), r.pushed.size());
  EXPECT_EQ(r.popped, r.pushed);
  EXPECT_EQ(r.dropped.size(), r.full_events);
}

TEST(BoundedQueueContendedTest, DropOldestEvictedAreExactlyTheItemsNeverPopped) {
  const ContendedResult r = RunContended(Mode::kDropOldest);
  ExpectCommon(r);
  EXPECT_EQ(r.pushed, r.attempted);  // an evicting push always enqueues
  EXPECT_EQ(r.attempted.size(), r.popped.size() + r.evicted.size());
  EXPECT_FALSE(HasDuplicates(r.evicted)) << "an item was evicted twice";
  EXPECT_TRUE(Intersection(r.popped, r.evicted).empty()) << "an item was popped and evicted";
  EXPECT_EQ(Union(r.popped, r.evicted), r.attempted);
  EXPECT_EQ(r.evicted.size(), r.full_events);
}

TEST(BoundedQueueContendedTest, BlockDropsNothingAndEverythingIsPopped) {
  const ContendedResult r = RunContended(Mode::kBlock);
  ExpectCommon(r);
  EXPECT_TRUE(r.dropped.empty());
  EXPECT_TRUE(r.evicted.empty());
  EXPECT_EQ(r.pushed, r.attempted);
  EXPECT_EQ(r.popped, r.attempted);
}

// Only one idle consumer waits on the queue itself; the others wait to be
// called in. An item pushed while the one that waited is busy with what it
// took must still go to an idle consumer at once, not after its time-out.
// (The 60 s time-out and the 30 s bound make a missed wake-up fail the test
// rather than slow it: they are no timing goal.)
TEST(BoundedQueueTest, AnIdleConsumerTakesWhatArrivesWhileTheWaiterIsBusy) {
  BoundedQueue<int> queue(16);
  auto producer = queue.MakeProducerToken();
  constexpr int64_t kLongUs = 60'000'000;
  // Two consumers each take one item and are then busy for good. A pop may
  // come back empty (a helper called in for an item another took): look
  // again, as a worker does.
  auto consumer = [&] {
    auto token = queue.MakeConsumerToken();
    int item = 0;
    while (queue.PopBulk(token, &item, 1, kLongUs) == 0) {
    }
    return item;
  };
  auto a = std::async(std::launch::async, consumer);
  auto b = std::async(std::launch::async, consumer);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // both wait
  ASSERT_TRUE(queue.TryPush(producer, 1));
  // One of them takes item 1 and is busy from then on.
  const auto guard = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (a.wait_for(std::chrono::milliseconds(1)) != std::future_status::ready &&
         b.wait_for(std::chrono::milliseconds(1)) != std::future_status::ready) {
    ASSERT_LT(std::chrono::steady_clock::now(), guard) << "nobody took item 1";
  }
  const bool a_first = a.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  std::future<int>& first = a_first ? a : b;
  std::future<int>& second = a_first ? b : a;
  EXPECT_EQ(first.get(), 1);
  // The other one, waiting on the queue or as the helper, takes item 2 at
  // once, not after its 60 s time-out.
  ASSERT_TRUE(queue.TryPush(producer, 2));
  ASSERT_EQ(second.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  EXPECT_EQ(second.get(), 2);
}

}  // namespace
}  // namespace sluice
