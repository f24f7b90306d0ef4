// timeseries.csv: its columns (one registry), its rows, and the table of
// results/README.md generated from the registry.
#include "sluice/report/timeseries_columns.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "sluice/report/csv.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

TEST(TimeseriesTest, HeaderHasTheColumnsTheIssueNames) {
  const std::string header = TimeseriesHeader();
  for (const char* name : {"cell", "repetition", "t_s", "offered", "generated", "dropped", "delivered", "failed",
                           "backpressure", "depth_max", "depth_mean", "latency.end_to_end.p50_ms",
                           "latency.end_to_end.p99_ms", "latency.end_to_end.max_ms", "latency.kafka.p99_ms",
                           "faults", "host_cpu_pct", "sluice_cpu_pct"}) {
    EXPECT_NE(header.find(name), std::string::npos) << name;
  }
}

TEST(TimeseriesTest, RowsHoldTheFiguresAndLeaveMissingLatenciesEmpty) {
  CellResult cell;
  cell.cell = 2;
  cell.repetition = 1;
  IntervalRow a;
  a.t_s = 0;
  a.length_s = 1;
  a.offered = 10;
  a.delivered = 0;  // nothing delivered: no latency
  IntervalRow b = a;
  b.t_s = 1;
  b.delivered = 9;
  b.e2e_p99_ms = 12.5;
  b.kafka_p99_ms = 11.25;
  b.faults = "rtt 200ms;exec";
  cell.timeseries = {a, b};
  const auto records = ParseCsv(TimeseriesHeader() + TimeseriesRows(cell), "timeseries.csv");
  ASSERT_EQ(records.size(), 3u);
  const auto& header = records[0];
  auto field = [&](size_t row, const std::string& name) {
    for (size_t i = 0; i < header.size(); ++i) {
      if (header[i] == name) return records[row][i];
    }
    ADD_FAILURE() << name;
    return std::string();
  };
  EXPECT_EQ(field(1, "cell"), "2");
  EXPECT_EQ(field(1, "repetition"), "1");
  EXPECT_EQ(field(1, "latency.end_to_end.p99_ms"), "");
  EXPECT_EQ(field(2, "t_s"), "1.000");
  EXPECT_EQ(field(2, "delivered"), "9");
  EXPECT_EQ(field(2, "latency.end_to_end.p99_ms"), "12.500");
  EXPECT_EQ(field(2, "latency.kafka.p99_ms"), "11.250");
  EXPECT_EQ(field(2, "faults"), "rtt 200ms;exec");
}

// results/README.md's timeseries table is generated from the registry
// (sluice columns --timeseries) and must not drift from it.
TEST(TimeseriesTest, ResultsReadmeHoldsTheGeneratedTable) {
  std::ifstream in(fs::path(SLUICE_SCENARIOS_DIR) / ".." / "results" / "README.md");
  std::stringstream text;
  text << in.rdbuf();
  const std::string readme = text.str();
  const std::string begin = "<!-- timeseries:begin -->\n", end = "<!-- timeseries:end -->";
  const size_t a = readme.find(begin), b = readme.find(end);
  ASSERT_NE(a, std::string::npos) << "results/README.md lacks " << begin;
  ASSERT_NE(b, std::string::npos) << "results/README.md lacks " << end;
  EXPECT_EQ(readme.substr(a + begin.size(), b - a - begin.size()), TimeseriesMarkdown())
      << "regenerate it: build/sluice columns --timeseries";
}

}  // namespace
}  // namespace sluice
