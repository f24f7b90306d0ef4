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
// It refuses (MergeError::Kind::kRefused, saying why; the command's exit
// code 2) shards that do not belong together: a folder without shard.json
// or report.json, a partial report, a different scenario, --set overrides,
// revision, shard count or split, a shard index missing or given twice,
// cells that differ, or start times further apart than one interval (1 s). The shards are merged in memory first
// (MergeShards), so that a refusal writes nothing; then WriteMergedRun writes
// the folder.
//
// Thread-safety: plain functions of their inputs and the files they read
// and write.
#ifndef SLUICE_ANALYSIS_MERGE_H_
#define SLUICE_ANALYSIS_MERGE_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sluice/analysis/error.h"
#include "sluice/pipeline/run_result.h"
#include "sluice/report/shard_manifest.h"
#include "sluice/scenario/scenario.h"

namespace sluice {

// How far apart the shards' start times may be: one status interval.
inline constexpr double kMergeStartToleranceS = 1.0;

struct MergeOptions {
  std::string output;          // -o: the merged results folder (created; must not exist or be empty)
  std::string scenario_file;   // --scenario: load this file instead of the path shard.json names
  std::string command_line;
};

// Shards that cannot be merged (kRefused: they do not belong together, or
// one is damaged; nothing written), or a merged folder that cannot be
// written (kUnwritable).
class MergeError : public AnalysisError {
 public:
  using AnalysisError::AnalysisError;
};

// The shards added up, not yet written.
struct MergedRun {
  ScenarioPlan plan;
  std::vector<CellResult> cells;
  std::vector<std::string> shard_folders;  // in shard index order
  std::vector<ShardManifest> manifests;    // likewise
  // From the first shard's report.json, for the merged one: its revision
  // (none: the merging process's own), librdkafka version and broker note.
  std::optional<std::string> git_revision;
  std::string librdkafka_version;
  std::string broker_note;
  // timeseries.csv and each cell's .intervals.hlog, merged (name, content);
  // empty when the shards have no timeseries.csv.
  std::vector<std::pair<std::string, std::string>> files;
  std::string timeseries_note;  // how timeseries.csv was merged; "" without one
};

// Reads and checks the shards' folders and adds them up; the scenario is
// `scenario_file`, else the path the shards' shard.json names. Throws
// MergeError (kRefused).
MergedRun MergeShards(const std::vector<std::string>& shard_folders, const std::string& scenario_file);

// Writes `run` into options.output as a run writes its results folder, with
// merge.json beside; returns the folder's path. Throws MergeError
// (kUnwritable; kRefused for a histogram that cannot be written).
std::string WriteMergedRun(const MergedRun& run, const MergeOptions& options);

}  // namespace sluice

#endif  // SLUICE_ANALYSIS_MERGE_H_
