// The files the plot page embeds, compiled into the binary from
// harness/analysis/CMakeLists.txt (cmake/embed_files.cmake): Chart.js from
// Debian's libjs-chart.js, and the page's own script and style. Each array
// ends with a NUL that its size does not count. Private to the analysis layer.
#ifndef SLUICE_HARNESS_ANALYSIS_PLOT_ASSETS_H_
#define SLUICE_HARNESS_ANALYSIS_PLOT_ASSETS_H_

#include <cstddef>

namespace sluice {

extern const unsigned char kChartJs[];
extern const std::size_t kChartJsSize;
extern const unsigned char kPlotPageJs[];
extern const std::size_t kPlotPageJsSize;
extern const unsigned char kPlotPageCss[];
extern const std::size_t kPlotPageCssSize;

}  // namespace sluice

#endif  // SLUICE_HARNESS_ANALYSIS_PLOT_ASSETS_H_
