// A replay source through the whole pipeline, against the embedded broker:
// every line becomes one message, the ledger balances per type, and the
// replay's own figures reach the result.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "sluice/pipeline/kafka_client.h"
#include "sluice/pipeline/runner.h"
#include "sluice/scenario/scenario.h"
#include "sluice/pipeline/trace_io.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

class ReplayPipeline : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sluice-replay-it-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Trace(const std::vector<std::string>& lines) {
    std::string path = (dir_ / "trace.jsonl.gz").string();
    TraceWriter w(path);
    for (const auto& l : lines) w.WriteLine(l);
    w.Close();
    return path;
  }

  Scenario Load(const std::string& replay_yaml, const std::vector<std::string>& sets = {}) {
    std::string path = (dir_ / "s.yaml").string();
    std::ofstream(path) << "name: rp\nseed: 1\nduration: 2s\n"
                           "broker: { embedded: { brokers: 1 } }\ntopic: { partitions: 2 }\n"
                           "source:\n  replay:\n"
                        << replay_yaml << "producers: { threads: 2, kafka: { linger.ms: 2 } }\n";
    ScenarioPlan plan = LoadPlan(path, sets);
    ValidateKafkaProperties(plan.cells.at(0));
    return plan.cells.at(0);
  }

  fs::path dir_;
};

CellResult RunReplay(const Scenario& s) {
  Runner runner(RunOptions{});
  return runner.RunCell(s, 0, 1, 0);
}

std::map<std::string, uint64_t> Delivered(const CellResult& r) {
  std::map<std::string, uint64_t> out;
  for (const auto& t : r.types) {
    EXPECT_EQ(t.generated, t.dropped + t.delivered + t.failed) << t.type;
    out[t.type] = t.delivered;
  }
  return out;
}

TEST_F(ReplayPipeline, EveryLineOfEveryPassIsDeliveredAndCountedByType) {
  std::vector<std::string> lines;
  std::map<std::string, uint64_t> expected;
  const char* ops[] = {"create", "create", "create", "delete", "update"};
  for (int i = 0; i < 1000; ++i) {
    std::string op = ops[i % 5];
    lines.push_back(R"({"did":"did:plc:)" + std::to_string(i % 37) + R"(","time_us":)" +
                    std::to_string(1783175888000000 + i * 1000) + R"(,"commit":{"operation":")" + op +
                    R"("}})");
    expected[op] += 4;
  }
  lines.insert(lines.begin() + 10, "not json");
  Scenario s = Load("    file: " + Trace(lines) +
                    "\n    time: time_us\n    key: did\n    type: commit.operation\n"
                    "    speed: 10\n    loop: 4\n");
  CellResult r = RunReplay(s);
  ASSERT_EQ(r.error, "");
  EXPECT_TRUE(r.LedgerBalances());
  EXPECT_EQ(r.generated, 4000u);  // 1 s of trace at 10x is 0.1 s a pass
  EXPECT_EQ(r.delivered, 4000u);
  EXPECT_EQ(Delivered(r), expected);
  ASSERT_TRUE(r.replayed);
  EXPECT_EQ(r.replay.passes, 4u);
  EXPECT_EQ(r.replay.lines, 4004u);
  EXPECT_EQ(r.replay.bad_lines, 4u);
  ASSERT_FALSE(r.replay.bad_line_examples.empty());
  EXPECT_EQ(r.replay.bad_line_examples[0].rfind("11: not a JSON object", 0), 0u)
      << r.replay.bad_line_examples[0];
}

TEST_F(ReplayPipeline, SpeedMaxIntoASmallQueueDropsAndStillBalances) {
  std::vector<std::string> lines;
  for (int i = 0; i < 200; ++i) {
    lines.push_back(R"({"time_us":)" + std::to_string(1783175888000000 + i) + R"(,"pad":")" +
                    std::string(500, 'p') + R"("})");
  }
  Scenario s = Load("    file: " + Trace(lines) + "\n    time: time_us\n    speed: max\n    loop: forever\n",
                    {"duration=500ms", "queue.capacity=50",
                     "producers.kafka.queue.buffering.max.messages=100"});
  CellResult r = RunReplay(s);
  ASSERT_EQ(r.error, "");
  EXPECT_TRUE(r.LedgerBalances());
  EXPECT_GT(r.generated, 1000u);
  EXPECT_EQ(r.scheduled, r.generated);
  EXPECT_GT(r.delivered, 0u);
  EXPECT_LE(r.max_depth, 50u);
  ASSERT_EQ(r.types.size(), 1u);
  EXPECT_EQ(r.types[0].type, "event");
  EXPECT_EQ(r.types[0].generated, r.generated);
}

TEST_F(ReplayPipeline, ABadLineWithOnBadLineFailFailsTheCellNamingTheLine) {
  std::string path = Trace({R"({"time_us":1783175888000000})", R"({"time_us":"soon"})"});
  Scenario s = Load("    file: " + path + "\n    time: time_us\n    on_bad_line: fail\n");
  CellResult r = RunReplay(s);
  EXPECT_NE(r.error.find(path + ":2: not a usable time"), std::string::npos) << r.error;
  EXPECT_TRUE(r.LedgerBalances());
}

TEST_F(ReplayPipeline, TheRealBlueskyCaptureAtX1000) {
  const char* env = std::getenv("SLUICE_SHARED_TRACES");
  fs::path trace = (env != nullptr ? fs::path(env)
                                   : fs::path(SLUICE_SCENARIOS_DIR).parent_path().parent_path() /
                                         "shared" / "traces") /
                   "bluesky-jetstream.jsonl";
  if (!fs::exists(trace)) GTEST_SKIP() << trace << " is absent";
  Scenario s = Load("    file: " + trace.string() +
                    "\n    time: time_us\n    key: did\n    type: commit.operation\n"
                    "    speed: 1000\n    loop: 100\n");
  CellResult r = RunReplay(s);
  ASSERT_EQ(r.error, "");
  EXPECT_TRUE(r.LedgerBalances());
  EXPECT_EQ(r.generated, 15200u);  // 0.318 s of trace at 1000x: 100 passes well inside 2 s
  EXPECT_EQ(r.delivered, 15200u);
  EXPECT_EQ(Delivered(r), (std::map<std::string, uint64_t>{
                              {"create", 14400}, {"delete", 400}, {"update", 200}, {"(missing)", 200}}));
  EXPECT_GE(r.replay.out_of_order, 4200u);
  EXPECT_EQ(r.replay.clamped, 0u);
}

}  // namespace
}  // namespace sluice
