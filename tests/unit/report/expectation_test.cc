#include "sluice/report/expectation.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

namespace sluice {
namespace {

namespace fs = std::filesystem;

// A sweep over linger.ms with expectations; tests append to it.
constexpr const char* kBase = R"(name: ex
duration: 4s
warmup: 1s
source:
  synthetic:
    rate: 10k/s
sweep:
  producers.kafka.linger.ms: [0, 20]
)";

class TempScenario {
 public:
  explicit TempScenario(const std::string& text) {
    path_ = fs::temp_directory_path() /
            ("sluice-expect-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++) + ".yaml");
    std::ofstream(path_) << text;
  }
  ~TempScenario() { fs::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

ScenarioPlan Load(const std::string& expectations) {
  TempScenario file(std::string(kBase) + expectations);
  return LoadValidatedPlan(file.path(), {});
}

// The error LoadPlan throws for `expectations`, or "" when it loads.
std::string LoadError(const std::string& expectations) {
  try {
    Load(expectations);
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "";
}

// A cell of `plan` that offered 10k/s for 4 s, delivered 9.9k/s, dropped
// 300 and has an end-to-end p99 of about 120 ms.
CellResult MakeCell(const ScenarioPlan& plan, size_t cell) {
  CellResult r;
  r.cell = static_cast<int>(cell);
  r.scenario = plan.cells.at(cell);
  r.scheduled = r.generated = 50'000;
  r.dropped_newest = 300;
  r.delivered = 49'700;
  r.duration_s = 4;
  r.offered_rate = 10'000;
  r.delivered_rate = 9'900;
  r.measured_delivered = 39'600;
  r.mean_depth = 150;
  r.little_arrival_rate = 9'925;
  r.little_mean_depth = 150;
  r.little_predicted_depth = 148;
  r.end_to_end = std::make_shared<LatencyHistogram>();
  for (int i = 1; i <= 100; ++i) r.end_to_end->Record(i * 1'200'000);  // 1.2 ms .. 120 ms
  r.queue_wait = std::make_shared<LatencyHistogram>();
  r.queue_wait->Record(15'000'000);
  r.kafka = std::make_shared<LatencyHistogram>();  // empty: no values
  return r;
}

ExpectationOutcome Only(const std::vector<ExpectationOutcome>& outcomes) {
  EXPECT_EQ(outcomes.size(), 1u);
  return outcomes.empty() ? ExpectationOutcome{} : outcomes[0];
}

ExpectationOutcome Check(const std::string& expectation, size_t cell = 0) {
  ScenarioPlan plan = Load("expect:\n  " + expectation + "\n");
  return Only(CheckExpectations(MakeCell(plan, cell), plan.swept_keys));
}

TEST(Expectation, CountsCompareExactly) {
  EXPECT_FALSE(Check("dropped: 0").passed);
  EXPECT_EQ(Check("dropped: 0").measured, "300");
  EXPECT_EQ(Check("dropped: 0").expected, "== 0");
  EXPECT_TRUE(Check("dropped: 300").passed);
  EXPECT_TRUE(Check("dropped: \"> 0\"").passed);
  EXPECT_TRUE(Check("dropped: \"<= 300\"").passed);
  EXPECT_FALSE(Check("dropped: \"< 300\"").passed);
  EXPECT_TRUE(Check("dropped: \"!= 0\"").passed);
  EXPECT_TRUE(Check("dropped_newest: \"== dropped\"").passed);
}

TEST(Expectation, DurationsConvertToTheColumnsUnit) {
  // p99 of 1.2..120 ms in 1.2 ms steps is 118.8 ms (within 0.1%).
  EXPECT_TRUE(Check("latency.end_to_end.p99: \"< 250ms\"").passed);
  EXPECT_TRUE(Check("latency.end_to_end.p99: \"< 0.25s\"").passed);
  EXPECT_FALSE(Check("latency.end_to_end.p99: \"< 100ms\"").passed);
  EXPECT_TRUE(Check("latency.end_to_end.p99: \"> 100000us\"").passed);
  // The column's own name states milliseconds: a bare number is in ms.
  EXPECT_TRUE(Check("latency.end_to_end.p99_ms: \"< 250\"").passed);
  EXPECT_FALSE(Check("latency.end_to_end.p99_ms: \"< 100\"").passed);
  ExpectationOutcome o = Check("latency.end_to_end.p99: \"< 100ms\"");
  EXPECT_EQ(o.expected, "< 100.00ms");
  EXPECT_EQ(o.measured.substr(0, 4), "118.");
  EXPECT_NE(o.where.find(".yaml:"), std::string::npos) << o.where;
}

TEST(Expectation, ExpressionsOverColumns) {
  EXPECT_TRUE(Check("delivered_rate: \">= 0.99 * offered_rate\"").passed);
  EXPECT_FALSE(Check("delivered_rate: \">= 0.995 * offered_rate\"").passed);
  ExpectationOutcome o = Check("delivered_rate: \">= 0.995 * offered_rate\"");
  EXPECT_EQ(o.expected, ">= 9.9k/s (0.995 * offered_rate)");  // 9,950/s
  EXPECT_TRUE(Check("delivered_rate: \">= 9k/s\"").passed);
  EXPECT_TRUE(Check("delivered_rate: \"between 9k/s and 11k/s\"").passed);
  EXPECT_FALSE(Check("delivered_rate: \"between 10k/s and 11k/s\"").passed);
  EXPECT_TRUE(Check("dropped: \"within 10% of generated - delivered\"").passed);
  EXPECT_TRUE(Check("scheduled: \"within 30% of offered_rate * duration_s\"").passed);  // 40,000
  EXPECT_FALSE(Check("scheduled: \"within 20% of offered_rate * duration_s\"").passed);
  EXPECT_TRUE(Check("dropped: \"== (generated - delivered)\"").passed);
  // Little's law: a rate times a duration is a count.
  EXPECT_TRUE(Check("little.mean_depth: \"within 5% of little.arrival_rate * 15ms\"").passed);
  EXPECT_FALSE(Check("little.mean_depth: \"within 5% of little.arrival_rate * 20ms\"").passed);
  EXPECT_TRUE(Check("little.mean_depth: \"within 5% of little.predicted_depth\"").passed);
  EXPECT_TRUE(
      Check("little.mean_depth: \"within 5% of little.arrival_rate * latency.queue_wait.mean\"").passed);
}

TEST(Expectation, AColumnWithoutAValueFails) {
  ExpectationOutcome o = Check("latency.kafka.p99: \"< 1s\"");
  EXPECT_FALSE(o.passed);
  EXPECT_EQ(o.measured, "no value");
  o = Check("delivered_rate: \">= latency.kafka.p50 * 1k/s * 1k/s\"");
  EXPECT_FALSE(o.passed);
  EXPECT_NE(o.measured.find("latency.kafka.p50_ms has no value"), std::string::npos) << o.measured;
}

TEST(Expectation, TextAndBooleanColumns) {
  EXPECT_TRUE(Check("ledger_ok: true").passed);  // 50,000 = 300 + 49,700
  EXPECT_FALSE(Check("ledger_ok: false").passed);
  EXPECT_TRUE(Check("error: \"\"").passed);
  EXPECT_TRUE(Check("when_full: drop_newest").passed);
  EXPECT_FALSE(Check("when_full: \"!= drop_newest\"").passed);
  EXPECT_TRUE(Check("producers.kafka.linger.ms: 0", 0).passed);
  EXPECT_FALSE(Check("producers.kafka.linger.ms: 0", 1).passed);
}

TEST(Expectation, ExpectWhenAppliesOnlyToMatchingCells) {
  ScenarioPlan plan = Load(R"(expect:
  delivered_rate: "> 0"
expect_when:
  - when: { producers.kafka.linger.ms: 0 }
    expect: { dropped: "> 0" }
  - when: { producers.kafka.linger.ms: 20 }
    expect: { dropped: 0, latency.end_to_end.p99: "< 50ms" }
)");
  auto first = CheckExpectations(MakeCell(plan, 0), plan.swept_keys);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].column, "delivered_rate");
  EXPECT_EQ(first[1].column, "dropped");
  EXPECT_TRUE(first[1].passed);
  auto second = CheckExpectations(MakeCell(plan, 1), plan.swept_keys);
  ASSERT_EQ(second.size(), 3u);
  EXPECT_FALSE(second[1].passed);
  EXPECT_FALSE(second[2].passed);
}

TEST(Expectation, BadColumnsAreRefusedAtLoadWithASuggestion) {
  std::string e = LoadError("expect:\n  dropd: 0\n");
  EXPECT_NE(e.find(".yaml:10:3: expect.dropd: not a report column (did you mean 'dropped'?)"),
            std::string::npos)
      << e;
  e = LoadError("expect:\n  delivered_rate: \">= 0.99 * ofered_rate\"\n");
  EXPECT_NE(e.find(":10:19: expect.delivered_rate:"), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean 'offered_rate'"), std::string::npos) << e;
  e = LoadError("expect_when:\n  - when: { producers.kafka.linger.ms: 0 }\n    expect: { latncy.end_to_end.p99: \"< 1s\" }\n");
  EXPECT_NE(e.find("expect_when.0.expect.latncy.end_to_end.p99"), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean 'latency.end_to_end.p99'"), std::string::npos) << e;
}

TEST(Expectation, BadConditionsAreRefusedAtLoad) {
  // A duration needs its unit unless the column's name gives it.
  EXPECT_NE(LoadError("expect:\n  latency.end_to_end.p99: \"< 250\"\n").find("give the number a unit"),
            std::string::npos);
  EXPECT_NE(LoadError("expect:\n  dropped: \"< 5ms\"\n").find("compares dropped, a number, with a duration"),
            std::string::npos);
  EXPECT_NE(LoadError("expect:\n  max_depth: \"<= 10 + 5ms\"\n").find("cannot add"), std::string::npos);
  EXPECT_NE(LoadError("expect:\n  dropped: \">= 0.99 *\"\n").find("at the end"), std::string::npos);
  EXPECT_NE(LoadError("expect:\n  dropped: \"within 5 of 10\"\n").find("'%'"), std::string::npos);
  EXPECT_NE(LoadError("expect:\n  dropped: \"between 1\"\n").find("between LOW and HIGH"),
            std::string::npos);
  EXPECT_NE(LoadError("expect:\n  delivered_rate: \"> 2 parsecs\"\n").find("unexpected 'parsecs'"),
            std::string::npos);
  EXPECT_NE(LoadError("expect:\n  delivered_rate: \"> 2pc\"\n").find("unknown unit 'pc'"),
            std::string::npos);
  EXPECT_NE(LoadError("expect:\n  when_full: \"< x\"\n").find("== or != only"), std::string::npos);
  EXPECT_NE(LoadError("expect:\n  ledger_ok: yes\n").find("true or false"), std::string::npos);
  EXPECT_NE(LoadError("expect:\n  dropped: [1, 2]\n").find("expected a condition"), std::string::npos);
  EXPECT_NE(LoadError("expect: 3\n").find("expected a map"), std::string::npos);
}

// Issue 13: 20,000 nested parentheses overflowed the stack (exit 139). Now a
// clear error at load, naming the limit; so are endless signs and chains.
TEST(Expectation, DeepNestingIsRefusedNotACrash) {
  const std::string deep = std::string(20'000, '(') + "1" + std::string(20'000, ')');
  std::string e = LoadError("expect:\n  dropped: \"< " + deep + "\"\n");
  EXPECT_NE(e.find("nested more than 64 levels deep"), std::string::npos) << e.substr(0, 300);
  std::string signs;
  for (int i = 0; i < 20'000; ++i) signs += "- ";
  e = LoadError("expect:\n  dropped: \"< " + signs + "1\"\n");
  EXPECT_NE(e.find("nested more than 64 levels deep"), std::string::npos) << e.substr(0, 300);
  std::string chain = "1";
  for (int i = 0; i < 20'000; ++i) chain += " + 1";
  e = LoadError("expect:\n  dropped: \"< " + chain + "\"\n");
  EXPECT_NE(e.find("operators deep"), std::string::npos) << e.substr(0, 300);
  // Within the limits, still fine.
  const std::string ok = std::string(64, '(') + "1" + std::string(64, ')');
  EXPECT_EQ(LoadError("expect:\n  dropped: \"< " + ok + "\"\n"), "");
}

// The new columns: a null histogram is "no value", not 0.
TEST(Expectation, NewColumnsWithoutAHistogramHaveNoValue) {
  ScenarioPlan plan = Load("expect:\n  latency.worker.p99: \"< 1s\"\n  source_lag.max_ms: \"< 1000\"\n  setup_s: \"< 5s\"\n");
  CellResult cell = MakeCell(plan, 0);
  cell.setup_s = 0.25;
  auto outcomes = CheckExpectations(cell, plan.swept_keys);
  ASSERT_EQ(outcomes.size(), 3u);
  EXPECT_FALSE(outcomes[0].passed);
  EXPECT_EQ(outcomes[0].measured, "no value");
  EXPECT_FALSE(outcomes[1].passed);
  EXPECT_TRUE(outcomes[2].passed) << outcomes[2].measured;
  cell.worker = std::make_shared<LatencyHistogram>();
  cell.worker->Record(2'000'000);
  cell.source_lag = std::make_shared<LatencyHistogram>();
  cell.source_lag->Record(3'000'000);
  outcomes = CheckExpectations(cell, plan.swept_keys);
  EXPECT_TRUE(outcomes[0].passed) << outcomes[0].measured;
  EXPECT_TRUE(outcomes[1].passed) << outcomes[1].measured;
}

TEST(Expectation, ExpectWhenMustNameASweptKeyAndValue) {
  std::string e = LoadError("expect_when:\n  - when: { producers.kafka.linger.mss: 0 }\n    expect: { dropped: 0 }\n");
  EXPECT_NE(e.find("expect_when.0.when.producers.kafka.linger.mss: not a swept key (did you mean "
                   "'producers.kafka.linger.ms'?)"),
            std::string::npos)
      << e;
  e = LoadError("expect_when:\n  - when: { producers.kafka.linger.ms: 7 }\n    expect: { dropped: 0 }\n");
  EXPECT_NE(e.find("'7' matches no cell; the sweep's values are '0', '20'"), std::string::npos) << e;
  e = LoadError("expect_when:\n  - expect: { dropped: 0 }\n");
  EXPECT_NE(e.find("expect_when.0.when: required key is missing"), std::string::npos) << e;
}

TEST(Expectation, ResolvesLatencyAliases) {
  EXPECT_EQ(ResolveColumn("latency.end_to_end.p99", {}), "latency.end_to_end.p99_ms");
  EXPECT_EQ(ResolveColumn("latency.end_to_end.p99_ms", {}), "latency.end_to_end.p99_ms");
  EXPECT_EQ(ResolveColumn("dropped", {}), "dropped");
  EXPECT_EQ(ResolveColumn("producers.threads", {"producers.threads"}), "producers.threads");
  EXPECT_EQ(ResolveColumn("producers.threads", {}), "");
}

}  // namespace
}  // namespace sluice
