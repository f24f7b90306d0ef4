// `sluice run --shard/--start-at/--metrics-port` refuse bad input with exit
// code 2 and a message naming the option, before anything runs or any
// results folder is made.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "sluice/cli/app.h"
#include "temp_dir.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

struct Case {
  std::string scenario;
  std::string shard, shard_by = "index", start_at, start_in;
  int metrics_port = 0;
  std::string says;
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

}  // namespace
}  // namespace sluice
