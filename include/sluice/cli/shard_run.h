// `sluice run --shard I/N --start-at TIME | --start-in DURATION`: checks the
// options, applies the shard to every cell of the plan (scenario/shard.h)
// and describes the shard for its results folder (report/shard_manifest.h).
// Called by RunCommand only, on its thread.
#ifndef SLUICE_CLI_SHARD_RUN_H_
#define SLUICE_CLI_SHARD_RUN_H_

#include <cstdint>
#include <ostream>
#include <string>

#include "sluice/report/shard_manifest.h"
#include "sluice/scenario/scenario.h"

namespace sluice {

struct RunArgs;  // app.h

struct ShardRun {
  bool wanted = false;          // --shard, --start-at or --start-in given: write shard.json
  ShardManifest manifest;
  int64_t start_at_unix_ns = 0; // 0: no start barrier
};

// Reads --shard, --shard-by, --start-at and --start-in from `args`, applies
// the shard to `plan`'s cells. Prints a message naming the option and
// returns false for bad input (exit 2): a malformed I/N or time, both
// --start-at and --start-in, --shard-by key without a replayed trace,
// `rate: max` with a shard count above 1.
bool PrepareShardRun(const RunArgs& args, ScenarioPlan* plan, std::ostream& err, ShardRun* out);

}  // namespace sluice

#endif  // SLUICE_CLI_SHARD_RUN_H_
