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

// --cell-gap's default: time for a cell's drain and flush and the next
// cell's set-up, between one slot's window and the next slot's warm-up.
inline constexpr int64_t kDefaultCellGapNs = 5'000'000'000;

struct ShardRun {
  bool wanted = false;          // --shard, --start-at or --start-in given: write shard.json
  ShardManifest manifest;
  int64_t start_at_unix_ns = 0; // 0: no start barrier
  int64_t cell_gap_ns = kDefaultCellGapNs;

  // The start barrier of every cell and repetition, not only the first:
  // cell after cell, in the plan's order, each slot begins at the last
  // one's start + its warm-up and duration + cell_gap_ns. Every shard of a
  // run computes the same slots from the same plan, so their windows line
  // up cell by cell without talking to each other; a shard whose drain and
  // set-up took longer than the gap begins late and says so. 0 without a
  // start barrier.
  int64_t SlotAfter(int64_t slot_unix_ns, const Scenario& cell) const {
    return slot_unix_ns == 0 ? 0 : slot_unix_ns + cell.total_ns() + cell_gap_ns;
  }
};

// Reads --shard, --shard-by, --start-at and --start-in from `args`, applies
// the shard to `plan`'s cells. Prints a message naming the option and
// returns false for bad input (exit 2): a malformed I/N or time, both
// --start-at and --start-in, --cell-gap without either or not a duration,
// --shard-by key without a replayed trace,
// `rate: max` with a shard count above 1.
bool PrepareShardRun(const RunArgs& args, ScenarioPlan* plan, std::ostream& err, ShardRun* out);

}  // namespace sluice

#endif  // SLUICE_CLI_SHARD_RUN_H_
