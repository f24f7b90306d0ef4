// `sluice run --shard/--start-at/--metrics-port` refuse bad input with exit
// code 2 and a message naming the option, before anything runs or any
// results folder is made.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "sluice/cli/app.h"
#include "sluice/cli/shard_run.h"
#include "sluice/report/shard_manifest.h"
#include "sluice/scenario/scenario.h"
#include "temp_dir.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

struct Case {
  std::string scenario;
  std::string shard, shard_by = "index", start_at, start_in;
  int metrics_port = 0;
  std::string says;
  std::string cell_gap = "";
};

TEST(ShardCli, BadShardOptionsExit2BeforeAnythingIsWritten) {
  const std::string quickstart = std::string(SLUICE_SCENARIOS_DIR) + "/quickstart.yaml";
  const std::string max_rate = std::string(SLUICE_SCENARIOS_DIR) + "/max-rate.yaml";
  const std::vector<Case> cases = {
      {quickstart, "2/2", "index", "", "", 0, "--shard: I must be below N"},
      {quickstart, "1of2", "index", "", "", 0, "--shard: expected I/N"},
      {quickstart, "0/0", "index", "", "", 0, "--shard: N must be"},
      {quickstart, "0/2", "key", "", "", 0, "--shard-by key: only a replayed trace"},
      {quickstart, "0/2", "hash", "", "", 0, "--shard-by: expected index or key"},
      {max_rate, "0/2", "index", "", "", 0, "rate: max"},
      {quickstart, "0/2", "index", "2026-11-30T06:00:00Z", "10s", 0, "give one of them"},
      {quickstart, "0/2", "index", "tomorrow", "", 0, "--start-at: expected an ISO-8601 time"},
      {quickstart, "0/2", "index", "", "soon", 0, "--start-in: expected a duration"},
      {quickstart, "", "index", "", "", 70000, "--metrics-port: expected a port"},
      {quickstart, "0/2", "index", "", "", 0, "--cell-gap: only with --start-at or --start-in", "5s"},
      {quickstart, "0/2", "index", "2030-01-01T00:00:00Z", "", 0, "--start-at: more than 7 days from now"},
      {max_rate, "", "index", "", "10s", 0, "rate: max runs probes of its own"},
      {quickstart, "0/2", "index", "", "10s", 0, "--cell-gap: expected a duration", "a while"},
      {quickstart, "0/2", "index", "", "10s", 0, "--cell-gap: expected a duration", "-1s"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.says);
    test_support::TempDir dir("sluice-shard-cli");
    RunArgs args;
    args.scenario_file = c.scenario;
    args.shard = c.shard;
    args.shard_by = c.shard_by;
    args.start_at = c.start_at;
    args.start_in = c.start_in;
    args.cell_gap = c.cell_gap;
    args.metrics_port = c.metrics_port;
    args.quiet = true;
    args.results_root = (dir.path() / "results").string();
    std::ostringstream out, err;
    std::atomic<bool> interrupted{false};
    EXPECT_EQ(RunCommand(args, out, err, interrupted), kExitUsage);
    EXPECT_NE(err.str().find(c.says), std::string::npos) << err.str();
    const bool wrote = fs::exists(args.results_root) && !fs::is_empty(args.results_root);
    EXPECT_FALSE(wrote) << "a results folder was left";
  }
}

// With a start barrier, every cell and repetition gets a slot that each
// shard computes alike from the plan: the last slot + its warm-up and
// duration + --cell-gap; shard.json keeps each one and when it began.
TEST(ShardCli, LaterCellsBeginInSlotsEveryShardComputesAlike) {
  const std::string quickstart = std::string(SLUICE_SCENARIOS_DIR) + "/quickstart.yaml";
  RunArgs args;
  args.scenario_file = quickstart;
  args.shard = "1/2";
  args.start_at = "2026-12-07T08:00:00Z";
  args.cell_gap = "1500ms";
  args.overrides = {"warmup=1s", "duration=3s"};
  ScenarioPlan plan = LoadPlan(quickstart, args.overrides);
  std::ostringstream err;
  ShardRun run;
  ASSERT_TRUE(PrepareShardRun(args, &plan, err, &run)) << err.str();
  const int64_t start = 1'796'630'400'000'000'000;  // 2026-12-07T08:00:00Z
  EXPECT_EQ(run.start_at_unix_ns, start);
  EXPECT_EQ(run.cell_gap_ns, 1'500'000'000);
  const int64_t second = run.SlotAfter(start, plan.cells[0]);
  EXPECT_EQ(second, start + 5'500'000'000);
  EXPECT_EQ(run.SlotAfter(second, plan.cells[0]), start + 11'000'000'000);
  EXPECT_EQ(run.SlotAfter(0, plan.cells[0]), 0) << "no barrier, no slots";
  EXPECT_DOUBLE_EQ(run.manifest.cell_gap_s, 1.5);

  // Without --cell-gap: the default.
  RunArgs plain = args;
  plain.cell_gap = "";
  ShardRun defaults;
  ASSERT_TRUE(PrepareShardRun(plain, &plan, err, &defaults));
  EXPECT_EQ(defaults.cell_gap_ns, kDefaultCellGapNs);

  // shard.json keeps the slots and the starts, and reads back.
  ShardManifest m = run.manifest;
  m.cells.push_back({0, 0, start / 1e9, start / 1e9 + 0.0004, 0.0004});
  m.cells.push_back({0, 1, second / 1e9, second / 1e9 + 0.8, 0.8});
  test_support::TempDir dir("sluice-shard-manifest");
  {
    std::ofstream out(dir.path() / kShardManifestFile);
    out << ToJson(m);
  }
  const ShardManifest back = ReadShardManifest(dir.path().string());
  ASSERT_EQ(back.cells.size(), 2u);
  EXPECT_EQ(back.cells[1].repetition, 1);
  EXPECT_DOUBLE_EQ(back.cells[1].slot_unix_s, second / 1e9);
  EXPECT_DOUBLE_EQ(back.cells[1].late_s, 0.8);
  EXPECT_DOUBLE_EQ(back.cell_gap_s, 1.5);
}

}  // namespace
}  // namespace sluice
