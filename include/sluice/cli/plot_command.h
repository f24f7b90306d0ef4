// `sluice plot` (and `run --plot`): each results folder drawn by
// analysis/plot.h into its page, the pages' paths printed, with the exit code.
//
// Thread-safety: writes only to `out`, `err` and the pages.
#ifndef SLUICE_CLI_PLOT_COMMAND_H_
#define SLUICE_CLI_PLOT_COMMAND_H_

#include <ostream>
#include <string>
#include <vector>

namespace sluice {

// Plots each folder into <folder>/report.html, or into `output_dir` (one
// folder: output_dir/report.html; several: output_dir/<folder name>/report.html).
// Prints the path of each page on `out`. Returns 0, 2 (a folder that cannot
// be plotted; nothing written for it) or 4 (a page that cannot be written);
// a folder that fails does not stop the others.
int PlotCommand(const std::vector<std::string>& folders, const std::string& output_dir,
                std::ostream& out, std::ostream& err);

}  // namespace sluice

#endif  // SLUICE_CLI_PLOT_COMMAND_H_
