// The whole pipeline against the embedded broker: source -> bounded queue ->
// producer workers -> librdkafka -> delivery reports -> counters. These tests
// assert what must hold whatever the machine's speed (ledgers, policies,
// lower bounds set by an injected round-trip time), never how fast it ran.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "sluice/pipeline/kafka_client.h"
#include "sluice/pipeline/runner.h"
#include "sluice/scenario/scenario.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

// Builds a cell from YAML text, through the same loader the CLI uses.
Scenario Load(const std::string& yaml, const std::vector<std::string>& sets = {}) {
  fs::path path = fs::temp_directory_path() /
                  ("sluice-pipeline-" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(path) << yaml;
  ScenarioPlan plan = LoadPlan(path.string(), sets);
  fs::remove(path);
  for (const auto& cell : plan.cells) ValidateKafkaProperties(cell);
  return plan.cells.at(0);
}

constexpr const char* kBase = R"(name: it
seed: 5
duration: 2s
warmup: 500ms
broker: { embedded: { brokers: 3 } }
topic: { partitions: 4 }
source:
  synthetic:
    rate: 2k/s
    arrival: poisson
    events:
      - { type: a, weight: 3, size: { median: 300B, p99: 1500B } }
      - { type: b, weight: 1, size: 100B }
    keys: { count: 1000, zipf: 1.0 }
queue: { capacity: 10000, when_full: drop_newest }
producers:
  threads: 2
  kafka: { linger.ms: 2 }
)";

CellResult RunCell(const Scenario& s) {
  Runner runner(RunOptions{});
  return runner.RunCell(s, 0, 1, 0);
}

void ExpectLedgerBalances(const CellResult& r) {
  EXPECT_TRUE(r.LedgerBalances())
      << "generated " << r.generated << " != dropped_newest " << r.dropped_newest
      << " + dropped_oldest " << r.dropped_oldest << " + delivered " << r.delivered
      << " + failed " << r.failed << " + unresolved " << r.unresolved;
  EXPECT_EQ(r.scheduled, r.generated + r.unsent);
  uint64_t by_type = 0;
  for (const auto& t : r.types) by_type += t.generated;
  EXPECT_EQ(by_type, r.generated);
}

TEST(Pipeline, UnderloadedDeliversEverythingWithoutDrops) {
  CellResult r = RunCell(Load(kBase));
  ASSERT_EQ(r.error, "");
  ExpectLedgerBalances(r);
  EXPECT_GT(r.generated, 3000u);  // 2.5 s at 2k/s is ~5000
  EXPECT_EQ(r.unsent, 0u);
  EXPECT_EQ(r.dropped(), 0u);
  EXPECT_EQ(r.failed, 0u);
  EXPECT_EQ(r.unresolved, 0u);
  EXPECT_EQ(r.delivered, r.generated);
  // Every measured delivery has one end-to-end and one Kafka latency.
  EXPECT_EQ(static_cast<uint64_t>(r.end_to_end->TotalCount()), r.measured_delivered);
  EXPECT_EQ(r.kafka->TotalCount(), r.end_to_end->TotalCount());
  EXPECT_EQ(r.queue_wait->TotalCount(), r.end_to_end->TotalCount());
  // Warm-up events are in the ledger but not in the statistics.
  EXPECT_LT(r.measured_delivered, r.delivered);
  // End to end includes queue wait and the Kafka leg.
  EXPECT_GE(r.end_to_end->Max(), r.kafka->Max());
  EXPECT_GE(r.end_to_end->ValueAtPercentile(50), r.queue_wait->ValueAtPercentile(50));
  ASSERT_EQ(r.types.size(), 2u);
  EXPECT_GT(r.types[0].delivered, r.types[1].delivered);  // weights 3:1
  EXPECT_NEAR(r.offered_rate, 2000, 200);
}

TEST(Pipeline, SameSeedSameEventStream) {
  Scenario s = Load(kBase, {"duration=1s"});
  CellResult a = RunCell(s);
  CellResult b = RunCell(s);
  ASSERT_EQ(a.error, "");
  ASSERT_EQ(b.error, "");
  EXPECT_EQ(a.scheduled, b.scheduled);
  EXPECT_EQ(a.types[0].generated, b.types[0].generated);
  EXPECT_EQ(a.types[1].generated, b.types[1].generated);
}

// 50 ms round trip, at most 500 messages in librdkafka and 500 in the queue:
// at most ~10k/s can be delivered, 30k/s are offered.
constexpr const char* kOverload[] = {
    "broker.embedded.rtt=50ms",
    "broker.embedded.brokers=1",
    "source.synthetic.rate=30k/s",
    "source.synthetic.arrival=constant",
    "queue.capacity=500",
    "producers.threads=1",
    "producers.kafka.queue.buffering.max.messages=500",
    "producers.kafka.linger.ms=0",
};

std::vector<std::string> Overload(std::vector<std::string> more = {}) {
  std::vector<std::string> sets(std::begin(kOverload), std::end(kOverload));
  sets.insert(sets.end(), more.begin(), more.end());
  return sets;
}

TEST(Pipeline, OverloadedDropNewestDropsAndBalances) {
  CellResult r = RunCell(Load(kBase, Overload({"queue.when_full=drop_newest"})));
  ASSERT_EQ(r.error, "");
  ExpectLedgerBalances(r);
  EXPECT_GT(r.dropped_newest, r.generated / 4);
  EXPECT_EQ(r.dropped_oldest, 0u);
  EXPECT_GT(r.backpressure, 0u);
  EXPECT_EQ(r.max_depth, 500u);
  EXPECT_LE(r.max_depth, 500u);
  // No event is acknowledged faster than the injected round trip.
  EXPECT_GE(r.kafka->Min(), 49'000'000);
  EXPECT_GE(r.end_to_end->Min(), 49'000'000);
  uint64_t dropped_by_type = 0;
  for (const auto& t : r.types) dropped_by_type += t.dropped;
  EXPECT_EQ(dropped_by_type, r.dropped());
}

TEST(Pipeline, OverloadedDropOldestEvictsInstead) {
  CellResult r = RunCell(Load(kBase, Overload({"queue.when_full=drop_oldest"})));
  ASSERT_EQ(r.error, "");
  ExpectLedgerBalances(r);
  EXPECT_GT(r.dropped_oldest, r.generated / 4);
  EXPECT_EQ(r.dropped_newest, 0u);
}

TEST(Pipeline, OverloadedBlockLosesNothingButLatencyGrows) {
  CellResult r = RunCell(Load(kBase, Overload({"queue.when_full=block"})));
  ASSERT_EQ(r.error, "");
  ExpectLedgerBalances(r);
  EXPECT_EQ(r.dropped(), 0u);
  EXPECT_GT(r.blocked, 0u);
  // The source fell behind: what it could not emit is counted, not hidden.
  EXPECT_GT(r.unsent, 0u);
  EXPECT_GT(r.late, 0u);
  // Queueing delay is charged to the events (measured from intended time):
  // the median waits longer than a full queue takes to drain at the
  // delivery ceiling (500 events at <= ~10k/s is >= 50 ms).
  EXPECT_GT(r.queue_wait->ValueAtPercentile(50), 50'000'000);
  EXPECT_GT(r.end_to_end->ValueAtPercentile(50), r.kafka->ValueAtPercentile(50));
}

TEST(Pipeline, SharedClientDeliversEverything) {
  CellResult r = RunCell(Load(kBase, {"producers.client=shared", "producers.threads=3"}));
  ASSERT_EQ(r.error, "");
  ExpectLedgerBalances(r);
  EXPECT_EQ(r.dropped(), 0u);
  EXPECT_EQ(r.delivered, r.generated);
}

TEST(Pipeline, SyncDeliveryWaitsForEachReport) {
  // One message at a time over a 20 ms round trip: at most 50 per second per
  // worker can be delivered, whatever the offered rate.
  CellResult r = RunCell(Load(kBase, {"producers.delivery=sync", "producers.threads=2",
                                  "broker.embedded.rtt=20ms", "source.synthetic.rate=500/s",
                                  "producers.drain_timeout=0s"}));
  ASSERT_EQ(r.error, "");
  ExpectLedgerBalances(r);
  EXPECT_GT(r.delivered, 0u);
  const double ceiling = 2 * (1.0 / 0.020) * 2.5;  // threads x 1/rtt x run seconds
  EXPECT_LE(static_cast<double>(r.delivered), ceiling * 1.05);
  EXPECT_GT(r.dropped() + r.unresolved, 0u);
}

TEST(Pipeline, SyncSharedClientDeliversEverythingWhenUnderloaded) {
  CellResult r = RunCell(Load(kBase, {"producers.delivery=sync", "producers.client=shared",
                                  "source.synthetic.rate=200/s", "duration=1s"}));
  ASSERT_EQ(r.error, "");
  ExpectLedgerBalances(r);
  EXPECT_EQ(r.delivered, r.generated);
}

TEST(Pipeline, ProduceErrorsAreCountedByCode) {
  // Events larger than message.max.bytes are refused by produce() itself.
  CellResult r = RunCell(Load(kBase, {"source.synthetic.events.1.size=20KiB",
                                  "producers.kafka.message.max.bytes=10000", "duration=1s"}));
  ASSERT_EQ(r.error, "");
  ExpectLedgerBalances(r);
  EXPECT_GT(r.failed, 0u);
  EXPECT_EQ(r.failed_by_code.count(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE), 1u);
  EXPECT_EQ(r.failed, r.failed_by_code.at(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE));
  EXPECT_EQ(r.types[1].failed, r.failed);
  EXPECT_EQ(r.types[0].failed, 0u);
}

TEST(Pipeline, InFlightAtTheFlushDeadlineIsUnresolved) {
  // A 3 s round trip and a 100 ms flush: whatever was produced in the last
  // 3 s has no report when the cell ends.
  CellResult r = RunCell(Load(kBase, {"broker.embedded.rtt=3000ms", "duration=1s", "warmup=0s",
                                  "source.synthetic.rate=200/s", "producers.flush_timeout=100ms"}));
  ASSERT_EQ(r.error, "");
  ExpectLedgerBalances(r);
  EXPECT_GT(r.unresolved_in_flight, 0u);
  EXPECT_EQ(r.unresolved, r.unresolved_in_flight + r.unresolved_queued);
}

TEST(Pipeline, EachCellGetsItsOwnTopicUnlessReused) {
  RunOptions options;
  options.run_id = "R";
  Runner runner(options);
  CellResult own = runner.RunCell(Load(kBase, {"duration=200ms", "warmup=0s"}), 2, 3, 1);
  ASSERT_EQ(own.error, "");
  EXPECT_EQ(own.topic, "it.R.c2r1");
  EXPECT_EQ(own.kafka_version, "mock");
  EXPECT_EQ(own.broker_count, 3);

  CellResult reused =
      runner.RunCell(Load(kBase, {"duration=200ms", "warmup=0s", "topic.name=shared", "topic.reuse=true"}), 2, 3, 1);
  ASSERT_EQ(reused.error, "");
  EXPECT_EQ(reused.topic, "shared");
  EXPECT_EQ(reused.delivered, reused.generated);
}

TEST(Pipeline, UnreachableClusterIsASetupErrorNotAHang) {
  Scenario s = Load(kBase, {"broker.connect_timeout=1s"});
  RunOptions options;
  options.bootstrap = "127.0.0.1:1";
  Runner runner(options);
  CellResult r = runner.RunCell(s, 0, 1, 0);
  EXPECT_NE(r.error.find("did not answer"), std::string::npos) << r.error;
  EXPECT_EQ(r.generated, 0u);
}

}  // namespace
}  // namespace sluice
