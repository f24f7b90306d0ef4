// `sluice merge DIR... -o DIR`: the results folders of the shards of one
// run (`sluice run --shard I/N`) added into one results folder of the
// ordinary format, as if one process had run the whole load, so that
// report.csv, `compare` and `plot` read it unchanged.
//
// How each figure merges (results/README.md, "Merged shards"):
//   counts (the ledger, types, backpressure, wire, failures by code): summed
//   histograms: added bucket by bucket from each shard's .hlog (exact
//     counts; values to the histogram's 3 significant digits)
//   rates (offered, delivered, MB/s): summed (the shards' windows line up)
//   the queue: max_depth the deepest shard's; mean depth and Little's law
//     summed (the fleet's queues together)
//   the source: max lag the worst; mean lag weighted by generated
//   the process: CPU summed; wall time, set-up and peak RSS the largest
//   timeseries.csv (when the shards have one): rows lined up by wall-clock
//     time (each cell's epoch + t_s, to whole intervals), counts summed,
//     depth_max the largest, latency quantiles recomputed from the merged
//     <cell>-<rep>.intervals.hlog when there is one
//
// It refuses (exit 2, saying why) shards that do not belong together: a
// folder without shard.json or report.json, a partial report, a different
// scenario, --set overrides, revision, shard count or split, a shard index
// missing or given twice, cells that differ, or start times further apart
// than one interval (1 s). Then it writes nothing.
#ifndef SLUICE_ANALYSIS_MERGE_H_
#define SLUICE_ANALYSIS_MERGE_H_

#include <ostream>
#include <string>
#include <vector>

namespace sluice {

// How far apart the shards' start times may be: one status interval.
inline constexpr double kMergeStartToleranceS = 1.0;

struct MergeOptions {
  std::string output;          // -o: the merged results folder (created; must not exist or be empty)
  std::string scenario_file;   // --scenario: load this file instead of the path shard.json names
  std::string command_line;
};

// Exit codes: 0 merged; 2 refused (nothing written); 4 the output cannot be written.
int MergeCommand(const std::vector<std::string>& shard_folders, const MergeOptions& options,
                 std::ostream& out, std::ostream& err);

}  // namespace sluice

#endif  // SLUICE_ANALYSIS_MERGE_H_
