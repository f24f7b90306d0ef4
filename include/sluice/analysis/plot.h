// sluice plot: draws a results folder as one self-contained HTML page
// (report.html) with Chart.js embedded, so that it opens offline: from a
// file, a CI artifact or a mail. No network request, no CDN, no web font.
//
// The page is built in two steps, both here:
//   1. ReadPlotRun() reads the folder through its files only (report.csv,
//      report.json, the .hgrm files) into a PlotRun: the plain data every
//      chart is drawn from. Unit tests check this data.
//   2. RenderPlotHtml() writes the page: the data as JSON plus the page's
//      script (harness/analysis/plot_page.js), which draws the charts.
//
// The charts, per kind of run:
//   - every run: the latency percentile distribution of each cell (one
//     curve per latency kind that has a .hgrm file: end_to_end, queue_wait,
//     kafka, worker, consume), HdrHistogram's convention: x is 1/(1-p) on a
//     log scale labelled 50%..99.99%, y the latency in ms; one chart
//     overlaying every cell for a chosen kind (end_to_end by default); a
//     sortable table of the headline figures per cell.
//   - a sweep: each headline metric (PlotMetrics()) against each swept key
//     with more than one value, one line per combination of the other swept
//     keys, the repetitions' min/max as whiskers, the best point marked by
//     the metric's direction.
// Every series is labelled by its swept values and latency kind, never by a
// cell index.
//
// Failure: PlotError (what() names the folder and says what is missing, or
// which page could not be written); its kind says which.
//
// Thread-safety: pure functions of their inputs and the files they read.
#ifndef SLUICE_ANALYSIS_PLOT_H_
#define SLUICE_ANALYSIS_PLOT_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sluice/analysis/error.h"
namespace sluice {

// A folder that cannot be plotted (kRefused: not a results folder, or a
// damaged one), or a page that cannot be written (kUnwritable).
class PlotError : public AnalysisError {
 public:
  using AnalysisError::AnalysisError;
};

// One point of a percentile distribution: the latency at percentile p.
struct PercentilePoint {
  double percentile = 0;  // 0 <= p < 1
  double inverse = 1;     // 1/(1-p): the x of HdrHistogram's plots
  double value_ms = 0;
};

// The points of one .hgrm file, in its order. The 100% row (no
// 1/(1-Percentile): it would lie at infinity) is left out. Throws
// PlotError naming `name` when the text holds no percentile row.
std::vector<PercentilePoint> ParseHgrm(std::string_view text, const std::string& name);

struct LatencyCurve {
  std::string kind;  // end_to_end, queue_wait, kafka, worker, ...
  std::vector<PercentilePoint> points;
};

// One row of report.csv: a cell's repetition.
struct PlotCell {
  int cell = 0;
  int repetition = 0;
  std::vector<std::pair<std::string, std::string>> parameters;  // swept key, value
  std::string label;  // "linger.ms=5 batch.size=16384" (+ " rep 2"); the scenario name if unswept
  std::vector<std::pair<std::string, std::string>> figures;     // headline column, value as written
  std::vector<LatencyCurve> curves;
  std::string error;  // the cell's error column, if any
};

// A headline metric of the sweep charts and the table.
struct PlotMetric {
  std::string name;    // a report.csv column, or "drop_share"
  std::string title;   // what the chart says
  std::string unit;
  int better = 0;      // +1 higher is better, -1 lower, 0 neither
};

// delivered_rate, latency.end_to_end.p99_ms, drop_share (dropped/generated),
// wire.bytes_per_event.
const std::vector<PlotMetric>& PlotMetrics();

// One point of a sweep line: the repetitions of one cell.
struct SweepPoint {
  std::string x;  // the swept value as written
  double median = 0;
  double min = 0;
  double max = 0;
  int repetitions = 0;
};

struct SweepLine {
  std::string label;  // the other swept keys' values, "batch.size=16384"; "all" when none
  std::vector<SweepPoint> points;
};

struct SweepChart {
  PlotMetric metric;
  std::string key;             // the swept key on x
  std::vector<std::string> x;  // its values, in the scenario's order
  std::vector<SweepLine> lines;
  int best_line = -1;          // the best median by the metric's direction; -1 none
  int best_point = -1;
};

// What the header of the page says. Read tolerantly from report.json: a
// field it lacks stays empty.
struct RunInfo {
  std::string scenario;
  std::string description;
  std::string broker;         // from report.csv's broker column(s)
  std::string kafka_version;  // from report.csv's kafka_version column(s)
  std::string revision;
  std::string started;
  std::string broker_note;    // the embedded-broker caveat, when the run used it
  std::string command_line;
};

struct PlotRun {
  std::string folder;
  RunInfo info;
  std::vector<std::string> swept_keys;
  std::vector<std::string> latency_kinds;  // every kind any cell has, in a fixed order
  std::vector<PlotCell> cells;
  std::vector<SweepChart> sweeps;
};

// The label of a swept key on a chart: its last one or two dotted parts
// ("producers.kafka.linger.ms" -> "linger.ms", "queue.capacity" ->
// "queue.capacity"), unless that is ambiguous among `keys`.
std::string ShortKey(const std::string& key, const std::vector<std::string>& keys);

// The sweep charts of already-parsed report.csv rows (header first): each
// PlotMetrics() metric against each key of `swept_keys` with at least two
// values. Throws PlotError (naming `name`) when a needed column is missing.
std::vector<SweepChart> BuildSweepCharts(const std::vector<std::string>& header,
                                         const std::vector<std::vector<std::string>>& rows,
                                         const std::vector<std::string>& swept_keys,
                                         const std::string& name);

// Reads a results folder. Throws PlotError when it is not one (no
// report.csv), or its report.csv is damaged or empty; a missing .hgrm file
// or report.json only leaves that part out.
PlotRun ReadPlotRun(const std::string& folder);

// The data the page's script draws, as JSON (tests read it back).
std::string PlotDataJson(const PlotRun& run);

// The whole page. Never allocates beyond the page itself; no failure.
std::string RenderPlotHtml(const PlotRun& run);

// The data of a compare page (sluice compare --plot, compare.h).
struct CompareCurve {
  std::string label;  // "B: linger.ms=5"
  int report = 0;     // index of the report: its colour
  std::vector<PercentilePoint> points;
};
struct CompareBar {
  std::string metric;
  std::string report;  // "B"
  std::string line;    // the combination, "linger.ms=5"; "all" when none
  double change_pct = 0;  // NaN or infinite: no bar (no value, or a zero baseline)
  std::string verdict;    // as the table prints it
  std::string verdict_class;  // "significant", "not significant", "too few repetitions"
};
struct ComparePage {
  std::vector<std::string> reports;  // "A: path (scenario)"
  std::vector<std::string> differences;
  std::vector<std::string> keys;
  std::vector<std::string> metrics;
  std::vector<std::string> notes;
  std::vector<CompareCurve> curves;
  std::vector<CompareBar> bars;
};
// The data of the compare page as JSON (kind "compare"; tests read it back),
// and the page: the same CSS, Chart.js, script, status marker and escaping as
// RenderPlotHtml.
std::string CompareDataJson(const ComparePage& page);
std::string RenderCompareHtml(const ComparePage& page);

// Where the page of `folder` goes: <folder>/report.html, or into
// `output_dir` when it is given (output_dir/report.html when `folder_count`
// is 1, else output_dir/<folder name>/report.html).
std::string PlotPagePath(const std::string& folder, const std::string& output_dir, size_t folder_count);

// Writes RenderPlotHtml(run) to `path` (creating its folder), replacing the
// file whole or leaving it as it was. Throws PlotError (kUnwritable).
void WritePlotPage(const PlotRun& run, const std::string& path);

}  // namespace sluice

#endif  // SLUICE_ANALYSIS_PLOT_H_
