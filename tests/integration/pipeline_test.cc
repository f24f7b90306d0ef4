// The whole pipeline against the embedded broker: source -> bounded queue ->
// producer workers -> librdkafka -> delivery reports -> counters. These tests
// assert what must hold whatever the machine's speed (ledgers, policies,
// lower bounds set by an injected round-trip time), never how fast it ran.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

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
  // A source more than 10 ms late at the end (a busy machine's late
  // wake-up) leaves the rest unsent: a few events, never a share.
  EXPECT_LE(r.unsent, r.scheduled / 20);
  EXPECT_EQ(r.dropped(), 0u);
  EXPECT_EQ(r.failed, 0u);
  EXPECT_EQ(r.unresolved, 0u);
  EXPECT_EQ(r.delivered, r.generated);
  // Every measured delivery has one value in each part of the breakdown.
  EXPECT_EQ(static_cast<uint64_t>(r.end_to_end->TotalCount()), r.measured_delivered);
  EXPECT_EQ(r.kafka->TotalCount(), r.end_to_end->TotalCount());
  EXPECT_EQ(r.queue_wait->TotalCount(), r.end_to_end->TotalCount());
  ASSERT_NE(r.worker, nullptr);
  EXPECT_EQ(r.worker->TotalCount(), r.end_to_end->TotalCount());
  // Warm-up events are in the ledger but not in the statistics.
  EXPECT_LT(r.measured_delivered, r.delivered);
  // End to end includes queue wait and the Kafka leg.
  EXPECT_GE(r.end_to_end->Max(), r.kafka->Max());
  EXPECT_GE(r.end_to_end->ValueAtPercentile(50), r.queue_wait->ValueAtPercentile(50));
  ASSERT_EQ(r.types.size(), 2u);
  EXPECT_GT(r.types[0].delivered, r.types[1].delivered);  // weights 3:1
  EXPECT_NEAR(r.offered_rate, 2000, 200);
  EXPECT_DOUBLE_EQ(r.duration_s, 2.0);
  // Set-up (cluster, topic, clients, metadata) comes before the first event
  // and is part of the cell's wall time.
  EXPECT_GT(r.setup_s, 0);
  EXPECT_LT(r.setup_s, r.wall_s);
}

// The four histograms are one breakdown of the same events, from the same
// clock readings: queue_wait + worker + kafka = end_to_end for every event,
// so for the means too. A tiny librdkafka queue makes produce() answer
// QUEUE_FULL, and the waits that follow are the worker's.
TEST(Pipeline, LatencyBreakdownAddsUpUnderBackpressure) {
  CellResult r = RunCell(Load(kBase, {"broker.embedded.rtt=20ms", "broker.embedded.brokers=1",
                                      "source.synthetic.rate=10k/s", "duration=1s", "warmup=200ms",
                                      "queue.capacity=100000", "producers.threads=1",
                                      "producers.kafka.queue.buffering.max.messages=200",
                                      "producers.kafka.linger.ms=0"}));
  ASSERT_EQ(r.error, "");
  ExpectLedgerBalances(r);
  EXPECT_GT(r.backpressure, 0u);
  ASSERT_NE(r.worker, nullptr);
  const int64_t n = r.end_to_end->TotalCount();
  ASSERT_GT(n, 1000);
  EXPECT_EQ(static_cast<uint64_t>(n), r.measured_delivered);
  EXPECT_EQ(r.queue_wait->TotalCount(), n);
  EXPECT_EQ(r.worker->TotalCount(), n);
  EXPECT_EQ(r.kafka->TotalCount(), n);
  const double parts = r.queue_wait->Mean() + r.worker->Mean() + r.kafka->Mean();
  EXPECT_NEAR(parts, r.end_to_end->Mean(), r.end_to_end->Mean() * 0.02)
      << "queue_wait " << r.queue_wait->Mean() << " + worker " << r.worker->Mean() << " + kafka "
      << r.kafka->Mean() << " != end_to_end " << r.end_to_end->Mean();
  // Under QUEUE_FULL an event waits in its worker (200 us per retry at
  // least): that time is the worker's, no longer in no histogram.
  EXPECT_GT(r.worker->Mean(), 0);
  EXPECT_GE(r.worker->Max(), 200'000);
  // No part is longer than the whole.
  EXPECT_LE(r.worker->Max(), r.end_to_end->Max());
  EXPECT_LE(r.kafka->Max(), r.end_to_end->Max());
  EXPECT_GE(r.kafka->Min(), 19'000'000);  // the injected round trip
}

// librdkafka's configuration as it ran, defaults included, secrets hidden.
TEST(Pipeline, EffectiveConfigurationIsRecordedAndRedacted) {
  CellResult r = RunCell(Load(kBase, {"duration=200ms", "warmup=0s",
                                      "producers.kafka.message.timeout.ms=12345",
                                      "producers.kafka.sasl.password=hunter2-secret-value"}));
  ASSERT_EQ(r.error, "");
  auto value = [&r](const std::string& key) -> std::string {
    for (const auto& [k, v] : r.effective_config) {
      if (k == key) return v;
    }
    return "(missing)";
  };
  EXPECT_EQ(value("message.timeout.ms"), "12345");         // the scenario's override
  EXPECT_EQ(value("queue.buffering.max.kbytes"), "1048576");  // librdkafka's default
  // Under librdkafka's canonical names: linger.ms from kBase, compression
  // from librdkafka's default (the topic level says "inherit").
  EXPECT_EQ(value("queue.buffering.max.ms"), "2");
  EXPECT_EQ(value("compression.codec"), "none");
  EXPECT_EQ(value("client.id"), "sluice");                 // sluice's default
  EXPECT_EQ(value("sasl.password"), "[redacted]");
  EXPECT_GT(r.effective_config.size(), 100u);  // every property, not just the ones set
  for (const auto& [k, v] : r.effective_config) {
    EXPECT_EQ(v.find("hunter2"), std::string::npos) << k;
    EXPECT_NE(v.rfind("0x", 0), 0u) << k << " is an address";
  }
  EXPECT_TRUE(std::is_sorted(r.effective_config.begin(), r.effective_config.end()));
}

// A signal stops the cell early: its figures are over the window it ran,
// not over the scenario's duration. The flag is set from the runner's
// status callback, about 1 s after the first event was due, so a slow
// set-up on a busy machine cannot move the interruption into it.
TEST(Pipeline, InterruptedCellReportsTheWindowItRan) {
  Scenario s = Load(kBase, {"duration=10s", "warmup=200ms", "source.synthetic.arrival=constant"});
  std::atomic<bool> stop{false};
  RunOptions options;
  options.interrupted = &stop;
  options.on_status = [&stop](const StatusSnapshot&) { stop.store(true); };
  Runner runner(options);
  CellResult r = runner.RunCell(s, 0, 1, 0);
  EXPECT_EQ(r.error, "interrupted");
  ExpectLedgerBalances(r);
  EXPECT_GT(r.duration_s, 0.3);
  EXPECT_LT(r.duration_s, 5);
  // 2k/s offered over the window it ran, not a tenth of it over 10 s.
  EXPECT_NEAR(r.offered_rate, 2000, 300);
  EXPECT_NEAR(r.delivered_rate, 2000, 600);
}

TEST(Pipeline, InterruptedDuringWarmupMeasuredNothing) {
  Scenario s = Load(kBase, {"duration=5s", "warmup=5s"});
  std::atomic<bool> stop{false};
  RunOptions options;
  options.interrupted = &stop;
  options.on_status = [&stop](const StatusSnapshot&) { stop.store(true); };  // ~1 s in
  Runner runner(options);
  CellResult r = runner.RunCell(s, 0, 1, 0);
  EXPECT_EQ(r.error, "interrupted");
  ExpectLedgerBalances(r);
  EXPECT_EQ(r.duration_s, 0);
  EXPECT_EQ(r.offered_rate, 0);
  EXPECT_EQ(r.delivered_rate, 0);
  EXPECT_GT(r.generated, 0u);
}

// One runner, many cells: the embedded cluster is kept between cells with the
// same broker spec, each cell on a topic of its own, and every cell's ledger
// and latency stand on their own.
TEST(Pipeline, CellsOfOneRunnerShareTheEmbeddedClusterSafely) {
  Runner runner(RunOptions{});
  Scenario s = Load(kBase, {"duration=200ms", "warmup=0s"});
  std::set<std::string> topics;
  for (int cell = 0; cell < 4; ++cell) {
    CellResult r = runner.RunCell(s, cell, 4, 0);
    ASSERT_EQ(r.error, "") << cell;
    ExpectLedgerBalances(r);
    EXPECT_EQ(r.delivered, r.generated) << cell;
    EXPECT_EQ(static_cast<uint64_t>(r.end_to_end->TotalCount()), r.measured_delivered) << cell;
    EXPECT_TRUE(topics.insert(r.topic).second) << r.topic;
  }
  // A different broker spec, then a reused topic name twice: each still runs
  // (on a cluster of its own) and delivers everything.
  CellResult other = runner.RunCell(Load(kBase, {"duration=200ms", "warmup=0s",
                                                 "broker.embedded.brokers=1"}),
                                    4, 6, 0);
  ASSERT_EQ(other.error, "");
  EXPECT_EQ(other.broker_count, 1);
  EXPECT_EQ(other.delivered, other.generated);
  for (int i = 0; i < 2; ++i) {
    CellResult reused = runner.RunCell(
        Load(kBase, {"duration=200ms", "warmup=0s", "topic.name=again", "topic.reuse=true"}), 5, 6, i);
    ASSERT_EQ(reused.error, "") << i;
    EXPECT_EQ(reused.delivered, reused.generated) << i;
  }
}

// The schedule (how many events, when, of which sizes) is the seed's; what
// the source managed to hand over is the machine's: on a busy machine the
// source can fall more than 10 ms behind at the end, and the rest of the
// schedule is unsent (CI saw 4 of 2,962). So the schedule is compared, not
// `generated`; SourceTest.SameSeedSameEventsThroughTheQueue compares the
// events one by one.
// A shard's start slot (run --start-at, cli/shard_run.h): the cell is set
// up, then its schedule waits for the wall-clock time, and the wait is not
// in its wall_s; the next cell, given no slot, begins when ready.
TEST(Pipeline, BeginNextCellAtHoldsOneCellsScheduleUntilThen) {
  auto wall_s = [] {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  };
  Runner runner(RunOptions{});
  const Scenario s = Load(kBase, {"duration=300ms", "warmup=0s"});
  const double target = wall_s() + 3.0;
  runner.BeginNextCellAt(static_cast<int64_t>(target * 1e9));
  auto before = std::chrono::steady_clock::now();
  CellResult held = runner.RunCell(s, 0, 2, 0);
  const double held_elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - before).count();
  ASSERT_EQ(held.error, "");
  EXPECT_GE(held.epoch_unix_s, target - 0.002);  // never before its slot
  EXPECT_GE(held_elapsed - held.wall_s, 1.0) << "the wait for the slot is not the cell's time";
  EXPECT_EQ(held.delivered, held.generated);

  before = std::chrono::steady_clock::now();
  CellResult next = runner.RunCell(s, 1, 2, 0);
  const double next_elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - before).count();
  ASSERT_EQ(next.error, "");
  // No slot: nothing waited, the cell's wall_s is all its time.
  EXPECT_NEAR(next.wall_s, next_elapsed, 0.2);
}

TEST(Pipeline, SameSeedSameEventStream) {
  Scenario s = Load(kBase, {"duration=1s"});
  CellResult a = RunCell(s);
  CellResult b = RunCell(s);
  ASSERT_EQ(a.error, "");
  ASSERT_EQ(b.error, "");
  EXPECT_EQ(a.scheduled, b.scheduled);
  EXPECT_EQ(a.generated + a.unsent, a.scheduled);
  EXPECT_EQ(b.generated + b.unsent, b.scheduled);
  ASSERT_GT(a.duration_s, 0);
  // The offered bytes of the window: the same sizes, event for event.
  EXPECT_EQ(a.offered_mbps * a.duration_s, b.offered_mbps * b.duration_s);
  EXPECT_EQ(a.offered_rate * a.duration_s, b.offered_rate * b.duration_s);
  // A different seed schedules a different stream.
  CellResult c = RunCell(Load(kBase, {"duration=1s", "seed=8"}));
  ASSERT_EQ(c.error, "");
  EXPECT_NE(c.offered_mbps * c.duration_s, a.offered_mbps * a.duration_s);
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
