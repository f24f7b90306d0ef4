// faults: and report: in a scenario: what is read, and what is refused with
// file, line and key.
#include <gtest/gtest.h>

#include <string>

#include "sluice/scenario/scenario.h"

namespace sluice {
namespace {

constexpr const char* kBase = R"(name: f
duration: 10s
warmup: 1s
broker: { embedded: { brokers: 3, rtt: 1ms } }
topic: { partitions: 4 }
source:
  synthetic:
    rate: 1k/s
    events: [ { type: a, size: 100B } ]
)";

ScenarioPlan Load(const std::string& tail) { return LoadPlanFromText("f.yaml", kBase + tail, {}); }

ScenarioError ErrorOf(const std::string& tail) {
  try {
    Load(tail);
  } catch (const ScenarioError& e) {
    return e;
  }
  ADD_FAILURE() << "no error for:\n" << tail;
  return ScenarioError({}, "", "");
}

TEST(FaultsScenarioTest, ReadsEveryActionSortedByTime) {
  ScenarioPlan plan = Load(R"(report: { interval: 500ms }
faults:
  - { at: 8s, duration: 2s, action: broker_down, broker: 2 }
  - { at: 4s, duration: 3s, action: rtt, rtt: 200ms, brokers: [1, 3] }
  - { at: 9s, action: errors, request: Produce, error: NOT_ENOUGH_REPLICAS, count: 50 }
  - { at: 2s, action: leader, broker: 3, partition: 1 }
  - { at: 5s, duration: 3s, action: pause, broker: 2 }
  - { at: 6s, duration: 1s, action: exec, run: "true", undo: "true" }
)");
  const Scenario& s = plan.cells.at(0);
  EXPECT_EQ(s.report.interval_ns, 500'000'000);
  ASSERT_EQ(s.faults.size(), 6u);
  EXPECT_EQ(s.faults[0].action, FaultAction::kLeader);
  EXPECT_EQ(s.faults[0].partition, 1);
  EXPECT_EQ(s.faults[1].action, FaultAction::kRtt);
  EXPECT_EQ(s.faults[1].rtt_ns, 200'000'000);
  EXPECT_EQ(s.faults[1].brokers, (std::vector<int>{1, 3}));
  EXPECT_EQ(s.faults[1].end_ns(), 7'000'000'000);
  EXPECT_EQ(s.faults[1].where.line, 13);
  EXPECT_EQ(s.faults[2].action, FaultAction::kPause);
  EXPECT_EQ(s.faults[3].action, FaultAction::kExec);
  EXPECT_EQ(s.faults[3].undo, "true");
  EXPECT_EQ(s.faults[4].action, FaultAction::kBrokerDown);
  EXPECT_EQ(s.faults[5].action, FaultAction::kErrors);
  EXPECT_EQ(s.faults[5].request, 0);
  EXPECT_EQ(s.faults[5].error, "NOT_ENOUGH_REPLICAS");
  EXPECT_EQ(FaultErrorCode("NOT_ENOUGH_REPLICAS"), 19);
  EXPECT_EQ(s.faults[5].count, 50);
  EXPECT_EQ(s.faults[5].duration_ns, 0);
}

TEST(FaultsScenarioTest, TheDefaultIntervalIsOneSecond) {
  EXPECT_EQ(Load("").cells.at(0).report.interval_ns, 1'000'000'000);
}

TEST(FaultsScenarioTest, RefusesWithLineAndKey) {
  struct Case {
    std::string tail, key, says;
  };
  for (const Case& c : std::vector<Case>{
           {"faults:\n  - { at: 4s, action: rtt, rtt: 200ms }\n", "faults.0.duration", "required"},
           {"faults:\n  - { at: 4s, duration: 1s, action: rtt }\n", "faults.0.rtt", "required"},
           {"faults:\n  - { at: 4s, duration: 1s, action: slow }\n", "faults.0.action", "one of"},
           {"faults:\n  - { at: 11s, duration: 1s, action: rtt, rtt: 5ms }\n", "faults.0.at", "end of the run"},
           {"faults:\n  - { at: 4s, duration: 1s, action: broker_down, broker: 4 }\n", "faults.0.broker",
            "out of range"},
           {"faults:\n  - { at: 4s, duration: 1s, action: broker_down, broker: 1, rtt: 5ms }\n", "faults.0.rtt",
            "does not apply to action broker_down"},
           {"faults:\n  - { at: 4s, action: errors, request: Produce, error: NO_SUCH_THING, count: 3 }\n",
            "faults.0.error", "not an error name"},
           {"faults:\n  - { at: 4s, action: errors, request: Fetch, error: NOT_ENOUGH_REPLICAS, count: 3 }\n",
            "faults.0.request", "one of"},
           {"faults:\n  - { at: 4s, action: exec, run: a, undo: b }\n", "faults.0.undo", "needs a duration"},
           {"faults:\n  - { at: 4s, duration: 1s, action: rtt, rtt: 1500us }\n", "faults.0.rtt", "whole milli"},
           {"faults: { at: 4s }\n", "faults", "expected a list"},
           {"report: { interval: 10ms }\n", "report.interval", "out of range"},
       }) {
    ScenarioError e = ErrorOf(c.tail);
    EXPECT_EQ(e.key(), c.key) << c.tail << e.what();
    EXPECT_NE(e.message().find(c.says), std::string::npos) << c.tail << e.what();
    EXPECT_EQ(e.where().file, "f.yaml");
    EXPECT_GE(e.where().line, 10) << c.tail;
  }
}

TEST(FaultsScenarioTest, EmbeddedActionsAreRefusedAgainstARealCluster) {
  std::string text = kBase;
  const std::string embedded = "broker: { embedded: { brokers: 3, rtt: 1ms } }";
  text.replace(text.find(embedded), embedded.size(), "broker: { bootstrap: \"127.0.0.1:9\" }");
  text += "faults:\n  - { at: 4s, duration: 1s, action: rtt, rtt: 5ms }\n";
  try {
    LoadPlanFromText("f.yaml", text, {});
    ADD_FAILURE() << "no error";
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.key(), "faults.0.action");
    EXPECT_NE(e.message().find("embedded"), std::string::npos) << e.what();
  }
}

TEST(FaultsScenarioTest, LabelsNameTheAction) {
  ScenarioPlan plan = Load("faults:\n  - { at: 4s, duration: 3s, action: rtt, rtt: 200ms }\n"
                           "  - { at: 8s, duration: 1s, action: broker_down, broker: 2 }\n");
  EXPECT_NE(plan.cells[0].faults[0].Label().find("rtt"), std::string::npos);
  EXPECT_EQ(plan.cells[0].faults[1].Label(), "broker_down 2");
}

}  // namespace
}  // namespace sluice
