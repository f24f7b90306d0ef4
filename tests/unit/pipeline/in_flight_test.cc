// InFlightPool: the slots that carry a message's clock readings from the
// worker that produced it to the listener that gets its delivery report.
#include "sluice/pipeline/in_flight.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace sluice {
namespace {

TEST(InFlightPool, HandsOutEachSlotOnceUntilReleased) {
  InFlightPool pool(4);
  EXPECT_EQ(pool.capacity(), 4u);
  std::set<InFlight*> out;
  for (int i = 0; i < 4; ++i) {
    InFlight* slot = pool.Acquire();
    ASSERT_NE(slot, nullptr);
    EXPECT_TRUE(out.insert(slot).second) << "slot handed out twice";
  }
  EXPECT_EQ(pool.Acquire(), nullptr) << "every slot is in flight";
  InFlight* back = *out.begin();
  pool.Release(back);
  EXPECT_EQ(pool.Acquire(), back);
  EXPECT_EQ(pool.Acquire(), nullptr);
}

TEST(InFlightPool, UnusedSlotComesBackFirst) {
  InFlightPool pool(2);
  InFlight* a = pool.Acquire();
  InFlight* b = pool.Acquire();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  pool.Unuse(b);  // its message was refused: it never left the worker
  EXPECT_EQ(pool.Acquire(), b);
  EXPECT_EQ(pool.Acquire(), nullptr);
}

TEST(InFlightPool, CapacityIsClamped) {
  EXPECT_EQ(InFlightPool(0).capacity(), 1u);
  EXPECT_EQ(InFlightPool(kMaxInFlightSlots * 4).capacity(), kMaxInFlightSlots);
  // A capacity that is not a power of two still holds exactly that many.
  InFlightPool pool(3);
  for (int round = 0; round < 5; ++round) {
    InFlight* s[3];
    for (auto& x : s) {
      x = pool.Acquire();
      ASSERT_NE(x, nullptr);
    }
    EXPECT_EQ(pool.Acquire(), nullptr);
    for (auto* x : s) pool.Release(x);
  }
}

// One thread acquires and "sends", another releases what it "receives", as
// a worker and a delivery listener do. A slot is never handed out while it
// is in flight, and what the worker wrote is what the listener reads.
TEST(InFlightPool, WorkerAndListenerOnTwoThreads) {
  constexpr int kMessages = 200'000;
  InFlightPool pool(64);
  std::atomic<InFlight*> mailbox[64];
  for (auto& m : mailbox) m.store(nullptr);
  std::atomic<bool> done{false};
  std::atomic<int> mismatches{0};
  std::mutex mu;                  // the test's own bookkeeping, not the pool's
  std::set<InFlight*> in_flight;  // handed out and not yet released
  int handed_twice = 0;
  std::thread listener([&] {
    int received = 0;
    while (received < kMessages) {
      for (auto& m : mailbox) {
        InFlight* slot = m.exchange(nullptr, std::memory_order_acquire);
        if (slot == nullptr) continue;
        if (slot->taken_ns != slot->intended_ns + 1 || slot->handed_ns != slot->intended_ns + 2) {
          mismatches.fetch_add(1);
        }
        {
          std::lock_guard<std::mutex> lock(mu);
          in_flight.erase(slot);
        }
        pool.Release(slot);
        ++received;
      }
    }
    done.store(true);
  });
  for (int i = 0; i < kMessages; ++i) {
    InFlight* slot;
    while ((slot = pool.Acquire()) == nullptr) std::this_thread::yield();
    {
      std::lock_guard<std::mutex> lock(mu);
      if (!in_flight.insert(slot).second) ++handed_twice;
    }
    slot->intended_ns = i;
    slot->taken_ns = i + 1;
    slot->handed_ns = i + 2;
    bool posted = false;
    while (!posted) {
      for (auto& m : mailbox) {
        InFlight* expected = nullptr;
        if (m.compare_exchange_strong(expected, slot, std::memory_order_release)) {
          posted = true;
          break;
        }
      }
    }
  }
  listener.join();
  EXPECT_TRUE(done.load());
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_EQ(handed_twice, 0);
  EXPECT_TRUE(in_flight.empty());
}

}  // namespace
}  // namespace sluice
