// `sluice merge`: the shards of a run merged by analysis/merge.h, printed,
// with its exit code.
//
// Thread-safety: writes only to `out`, `err` and the merged folder.
#ifndef SLUICE_CLI_MERGE_COMMAND_H_
#define SLUICE_CLI_MERGE_COMMAND_H_

#include <ostream>
#include <string>
#include <vector>

#include "sluice/analysis/merge.h"

namespace sluice {

// Merges `shard_folders` into options.output and says so on `out`; what
// failed goes to `err`. Returns kExitOk, kExitUsage (refused: nothing
// written) or kExitResultsUnwritable (the output cannot be written).
int MergeCommand(const std::vector<std::string>& shard_folders, const MergeOptions& options,
                 std::ostream& out, std::ostream& err);

}  // namespace sluice

#endif  // SLUICE_CLI_MERGE_COMMAND_H_
