// rate: max against a cell whose limit is known: a broker 50 ms away and a
// producer that may hold at most 500 messages (queue.buffering.max.messages,
// linger.ms 0, one thread). Each message holds one of the 500 places for at
// least the round trip, so no rate above 500 / 50 ms = 10k/s can be
// sustained; the search must find a rate near that ceiling, never above it,
// and never nonsense such as 0 or 1 event/s. The p99 bound is loose (1 s) so
// that the window, not a stall of the machine, decides.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "sluice/pipeline/kafka_client.h"
#include "sluice/analysis/rate_search.h"
#include "sluice/pipeline/runner.h"
#include "sluice/scenario/scenario.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

constexpr const char* kKnownCeiling = R"(name: max-rate
seed: 7
duration: 2s
warmup: 300ms
broker: { embedded: { brokers: 1, rtt: 50ms } }
topic: { partitions: 3 }
source:
  synthetic:
    rate: max
    max_rate: { p99_below: 1s, probe: 700ms, start: 1k/s, limit: 1M/s, max_probes: 16 }
    events:
      - { type: event, size: 200B }
queue: { capacity: 2000 }
producers:
  threads: 1
  kafka: { linger.ms: 0, queue.buffering.max.messages: 500 }
)";

Scenario Load(const std::string& yaml) {
  fs::path path = fs::temp_directory_path() / ("sluice-max-" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(path) << yaml;
  ScenarioPlan plan = LoadPlan(path.string(), {});
  fs::remove(path);
  for (const auto& cell : plan.cells) ValidateKafkaProperties(cell);
  return plan.cells.at(0);
}

TEST(MaxRate, FindsTheCeilingOfAnInFlightWindow) {
  const Scenario s = Load(kKnownCeiling);
  ASSERT_TRUE(s.source.search_max_rate);
  Runner runner(RunOptions{});
  int seen = 0;
  CellResult r = SearchMaxRate(runner, s, 0, 1, 0, [&seen](const RateProbe&) { ++seen; });
  ASSERT_EQ(r.error, "");
  const RateSearchResult& m = r.max_rate;
  std::string probes;
  for (const auto& p : m.list) {
    probes += std::to_string(static_cast<int>(p.rate)) + (p.passed ? " passed; " : " failed: " + p.why + "; ");
  }
  SCOPED_TRACE(probes + m.note);
  ASSERT_TRUE(m.searched);
  EXPECT_EQ(seen, m.probes);
  EXPECT_LE(m.probes, 16);
  ASSERT_FALSE(std::isnan(m.rate)) << m.note;
  const double ceiling = 500 / 0.050;
  // Never above what the window allows (5% for the search's last step),
  // never nonsense; a busy machine sustains less than the ceiling, so the
  // band below it is generous.
  EXPECT_LE(m.rate, 1.05 * ceiling) << m.note;
  EXPECT_GE(m.rate, 0.3 * ceiling) << m.note;
  // What failed above it did fail, and the figures reported are those of
  // the probe at the rate found: nothing dropped, p99 under the bound.
  if (!std::isnan(m.failed_rate)) {
    EXPECT_GT(m.failed_rate, m.rate);
  }
  EXPECT_EQ(r.scenario.source.rate, m.rate);
  EXPECT_EQ(r.dropped(), 0u);
  EXPECT_LT(r.end_to_end->ValueAtPercentile(99), 1'000'000'000);
  // No rate above the ceiling was sustained.
  for (const auto& p : m.list) {
    if (p.rate > ceiling) {
      EXPECT_FALSE(p.passed) << p.rate;
    }
  }
}

}  // namespace
}  // namespace sluice
