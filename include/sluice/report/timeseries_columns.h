// The columns of timeseries.csv, named and described once: one row per
// cell, repetition and report interval (pipeline/interval_row.h). The CSV
// header and rows, the table in results/README.md and any reader (issue
// 15's `sluice merge`, its Prometheus metrics) derive from this list.
//
// Thread-safety: TimeseriesColumns() builds the table once (thread-safe
// static initialisation) and returns it read-only.
#ifndef SLUICE_REPORT_TIMESERIES_COLUMNS_H_
#define SLUICE_REPORT_TIMESERIES_COLUMNS_H_

#include <functional>
#include <string>
#include <vector>

#include "sluice/pipeline/run_result.h"

namespace sluice {

struct TimeseriesColumn {
  std::string name;         // as in the CSV header
  std::string unit;         // for people: "s", "ms", "events", "%", ""
  std::string description;  // one line, quoted in results/README.md
  // The row's value as CSV text ("" for no value).
  std::function<std::string(const CellResult&, const IntervalRow&)> value;
};

const std::vector<TimeseriesColumn>& TimeseriesColumns();

// The CSV header line of timeseries.csv.
std::string TimeseriesHeader();
// The CSV lines of one cell's rows.
std::string TimeseriesRows(const CellResult& cell);

// The column table for results/README.md (between <!-- timeseries:begin -->
// and <!-- timeseries:end -->; `sluice columns --timeseries` prints it).
std::string TimeseriesMarkdown();

}  // namespace sluice

#endif  // SLUICE_REPORT_TIMESERIES_COLUMNS_H_
