// Proof that the hot path does not allocate per event: the same cell is run
// at two rates, and the number of C++ heap allocations made while it runs
// must not grow with the number of events. Everything sluice allocates goes
// through operator new (librdkafka's own per-message malloc is librdkafka's
// business and is not counted).
//
// This binary replaces the global operator new, so it is a target of its own.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>

#include "sluice/pipeline/kafka_client.h"
#include "sluice/pipeline/runner.h"
#include "sluice/scenario/scenario.h"

namespace {
std::atomic<uint64_t> g_allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void* operator new(std::size_t size, std::align_val_t align) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  size_t a = static_cast<size_t>(align);
  if (void* p = std::aligned_alloc(a, (size + a - 1) / a * a)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size, std::align_val_t align) { return operator new(size, align); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace sluice {
namespace {

namespace fs = std::filesystem;

Scenario Load(const std::string& policy, const std::string& rate, const std::string& client,
              const std::string& extra = "") {
  fs::path path = fs::temp_directory_path() / ("sluice-alloc-" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(path) << "name: alloc\nseed: 3\nduration: 1s\nwarmup: 200ms\n"
                         "broker: { embedded: { brokers: 1 } }\ntopic: { partitions: 2 }\n"
                         "source:\n  synthetic:\n    rate: " << rate << "\n    arrival: poisson\n"
                         "    events:\n      - { type: a, weight: 3, size: { median: 300B, p99: 1500B } }\n"
                         "      - { type: b, weight: 1, size: 100B }\n"
                         "    keys: { count: 1000, zipf: 1.1 }\n"
                         "queue: { capacity: 2000, when_full: " << policy << " }\n"
                         "producers:\n  threads: 2\n  client: " << client << "\n"
                         "  kafka: { linger.ms: 5 }\n" << extra;
  ScenarioPlan plan = LoadPlan(path.string(), {});
  fs::remove(path);
  return plan.cells.at(0);
}

struct Measured {
  uint64_t allocations = 0;
  uint64_t events = 0;
};

Measured RunCounting(const Scenario& s) {
  Runner runner(RunOptions{});  // no status callback: it formats strings
  uint64_t before = g_allocations.load();
  CellResult r = runner.RunCell(s, 0, 1, 0);
  Measured m;
  m.allocations = g_allocations.load() - before;
  m.events = r.generated;
  EXPECT_EQ(r.error, "");
  EXPECT_TRUE(r.LedgerBalances());
  return m;
}

void ExpectAllocationsIndependentOfEvents(const std::string& policy, const std::string& client,
                                          const std::string& yaml_tail = "") {
  Measured few = RunCounting(Load(policy, "500/s", client, yaml_tail));
  Measured many = RunCounting(Load(policy, "40k/s", client, yaml_tail));
  ASSERT_GT(many.events, few.events * 40);
  // Set-up allocates the same in both (clients, histograms, queue, threads);
  // anything per event would add tens of thousands here.
  int64_t extra = static_cast<int64_t>(many.allocations) - static_cast<int64_t>(few.allocations);
  EXPECT_LT(extra, 500) << policy << "/" << client << ": " << few.allocations << " allocations for "
                        << few.events << " events, " << many.allocations << " for " << many.events;
  ::testing::Test::RecordProperty("allocations_" + policy + "_" + client + "_few", std::to_string(few.allocations));
  ::testing::Test::RecordProperty("allocations_" + policy + "_" + client + "_many", std::to_string(many.allocations));
}

TEST(HotPath, NoAllocationPerEventDropNewest) { ExpectAllocationsIndependentOfEvents("drop_newest", "per_thread"); }
TEST(HotPath, NoAllocationPerEventDropOldest) { ExpectAllocationsIndependentOfEvents("drop_oldest", "per_thread"); }
TEST(HotPath, NoAllocationPerEventBlock) { ExpectAllocationsIndependentOfEvents("block", "per_thread"); }
TEST(HotPath, NoAllocationPerEventSharedClient) { ExpectAllocationsIndependentOfEvents("drop_newest", "shared"); }
// verify: the identity (a header, or a prefix of the value), the ledger of
// acknowledgements and the verifier's classifier allocate per stream and
// per gap, never per event. (librdkafka's header list is its own malloc.)
TEST(HotPath, NoAllocationPerEventVerifyHeaders) {
  ExpectAllocationsIndependentOfEvents("drop_newest", "shared", "verify: true\n");
}
TEST(HotPath, NoAllocationPerEventVerifyValue) {
  ExpectAllocationsIndependentOfEvents("drop_newest", "per_thread", "verify: { carrier: value }\n");
}

}  // namespace
}  // namespace sluice
