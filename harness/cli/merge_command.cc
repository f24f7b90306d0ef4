#include "sluice/cli/merge_command.h"

#include "sluice/core/exit_codes.h"

namespace sluice {

int MergeCommand(const std::vector<std::string>& shard_folders, const MergeOptions& options,
                 std::ostream& out, std::ostream& err) {
  try {
    const MergedRun run = MergeShards(shard_folders, options.scenario_file);
    const std::string folder = WriteMergedRun(run, options);
    if (!run.timeseries_note.empty()) out << run.timeseries_note << "\n";
    bool balanced = true;
    for (const CellResult& m : run.cells) balanced = balanced && m.LedgerBalances();
    out << "merged " << run.manifests.size() << " shards into " << folder << " (" << run.cells.size()
        << (run.cells.size() == 1 ? " cell" : " cells") << ", ledger " << (balanced ? "OK" : "NOT BALANCED")
        << ")\n";
  } catch (const MergeError& e) {
    err << "sluice: merge: " << e.what() << "\n";
    return e.kind() == MergeError::Kind::kUnwritable ? kExitResultsUnwritable : kExitUsage;
  }
  return kExitOk;
}

}  // namespace sluice
