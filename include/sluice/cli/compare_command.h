// `sluice compare`: the comparison of analysis/compare.h, printed, with its
// exit code.
//
// Thread-safety: writes only to `out` and `err` (and the --csv and --plot
// files).
#ifndef SLUICE_CLI_COMPARE_COMMAND_H_
#define SLUICE_CLI_COMPARE_COMMAND_H_

#include <ostream>
#include <string>
#include <vector>

#include "sluice/analysis/compare.h"

namespace sluice {

// Prints the comparison of `inputs` on `out` (the table, the files written,
// the gates) and what failed on `err`. Returns kExitOk, kExitUsage (refused:
// nothing printed on `out`), kExitResultsUnwritable (--csv or --plot) or
// kExitGateTripped.
int CompareCommand(const std::vector<std::string>& inputs, const CompareOptions& options,
                   std::ostream& out, std::ostream& err);

}  // namespace sluice

#endif  // SLUICE_CLI_COMPARE_COMMAND_H_
