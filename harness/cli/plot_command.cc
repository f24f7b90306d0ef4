#include "sluice/cli/plot_command.h"

#include <algorithm>

#include "sluice/analysis/plot.h"
#include "sluice/core/exit_codes.h"

namespace sluice {

int PlotCommand(const std::vector<std::string>& folders, const std::string& output_dir,
                std::ostream& out, std::ostream& err) {
  if (folders.empty()) {
    err << "sluice plot: error: give at least one results folder\n";
    return kExitUsage;
  }
  int rc = kExitOk;
  for (const std::string& folder : folders) {
    try {
      const PlotRun run = ReadPlotRun(folder);
      const std::string page = PlotPagePath(folder, output_dir, folders.size());
      WritePlotPage(run, page);
      out << page << "\n";
    } catch (const PlotError& e) {
      err << "sluice plot: error: " << e.what() << "\n";
      rc = std::max(rc, e.kind() == PlotError::Kind::kUnwritable ? kExitResultsUnwritable : kExitUsage);
    }
  }
  return rc;
}

}  // namespace sluice
