// Faults inside a run on the embedded broker, and the interval series that
// shows them (issue 10's "done when"). The thresholds are set by the
// injected round-trip time (a lower bound on the machine's speed), not by
// how fast this machine is.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sluice/pipeline/runner.h"
#include "sluice/report/columns.h"
#include "sluice/scenario/scenario.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

// scenarios/quickstart.yaml as a 12 s cell (warm-up 1 s) with `faults` added.
Scenario Quickstart(const std::string& faults) {
  std::ifstream in(fs::path(SLUICE_SCENARIOS_DIR) / "quickstart.yaml");
  std::stringstream text;
  text << in.rdbuf();
  ScenarioPlan plan = LoadPlanFromText("quickstart.yaml", text.str() + faults,
                                       {"duration=11s", "warmup=1s"});
  return plan.cells.at(0);
}

double Value(const CellResult& r, const char* column) {
  ColumnValue v = FindColumn(column)->value(r);
  return v.has_value() ? v.number : NAN;
}

// The quickstart with its brokers' RTT at 200 ms from 4 s to 7 s.
TEST(FaultsTest, SlowBrokerShowsInTheIntervalsAndRecovers) {
  const Scenario s = Quickstart("faults:\n  - { at: 4s, duration: 3s, action: rtt, rtt: 200ms }\n");
  std::vector<StatusSnapshot> seen;
  RunOptions options;
  options.on_status = [&seen](const StatusSnapshot& st) { seen.push_back(st); };
  Runner runner(options);
  const CellResult r = runner.RunCell(s, 0, 1, 0);
  ASSERT_EQ(r.error, "");
  ASSERT_GE(r.timeseries.size(), 12u);
  uint64_t delivered = 0, offered = 0, dropped = 0, generated = 0;
  for (const IntervalRow& row : r.timeseries) {
    delivered += row.delivered;
    offered += row.offered;
    dropped += row.dropped;
    generated += row.generated;
    if (row.t_s >= 4.5 - 1e-9 && row.t_s + row.length_s <= 7.0 + 1e-9) {
      EXPECT_GE(row.kafka_p99_ms, 150) << "interval at " << row.t_s;
      EXPECT_NE(row.faults.find("rtt"), std::string::npos) << "interval at " << row.t_s;
    }
    if (row.t_s + row.length_s <= 3.5 + 1e-9) {
      EXPECT_LT(row.kafka_p99_ms, 100) << "interval at " << row.t_s;
      EXPECT_EQ(row.faults, "") << "interval at " << row.t_s;
    }
  }
  // The intervals add up to the totals exactly.
  EXPECT_EQ(delivered, r.delivered);
  EXPECT_EQ(offered, r.scheduled);
  EXPECT_EQ(dropped, r.dropped());
  EXPECT_EQ(generated, r.generated);
  // Recovered, within 5 s of the fault's end.
  EXPECT_LT(Value(r, "recovery_s"), 5.0);
  EXPECT_GE(Value(r, "recovery_s"), 0.0);
  EXPECT_FALSE(std::isnan(Value(r, "fault_drops")));
  ASSERT_EQ(r.faults.size(), 1u);
  EXPECT_EQ(r.faults[0].error, "");
  EXPECT_NEAR(r.faults[0].applied_s, 4.0, 0.5);
  EXPECT_NEAR(r.faults[0].undone_s, 7.0, 0.5);
  // The status line saw every row, with the interval's figures.
  ASSERT_EQ(seen.size(), r.timeseries.size());
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i].interval.delivered, r.timeseries[i].delivered);
}

TEST(FaultsTest, ACommandThatFailsFailsTheCell) {
  Scenario s = Quickstart("faults:\n  - { at: 500ms, action: exec, run: \"echo nope; exit 3\" }\n");
  s.duration_ns = 1'000'000'000;
  s.warmup_ns = 0;
  Runner runner(RunOptions{});
  const CellResult r = runner.RunCell(s, 0, 1, 0);
  EXPECT_NE(r.error.find("exited with 3: nope"), std::string::npos) << r.error;
  ASSERT_EQ(r.faults.size(), 1u);
  EXPECT_EQ(r.faults[0].exit_code, 3);
  EXPECT_EQ(r.faults[0].output, "nope");
}

TEST(FaultsTest, AProcessFaultOnTheEmbeddedBrokerFailsTheCell) {
  Scenario s = Quickstart("faults:\n  - { at: 200ms, duration: 1s, action: pause, broker: 1 }\n");
  s.duration_ns = 1'000'000'000;
  s.warmup_ns = 0;
  Runner runner(RunOptions{});
  const CellResult r = runner.RunCell(s, 0, 1, 0);
  EXPECT_NE(r.error.find("tools/kafka-local"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace sluice
