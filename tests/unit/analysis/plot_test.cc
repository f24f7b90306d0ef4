#include "sluice/analysis/plot.h"
#include "sluice/cli/plot_command.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "sluice/core/exit_codes.h"
#include "sluice/core/latency_histogram.h"
#include "sluice/report/reporter.h"
#include "temp_dir.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

class TempDir : public sluice::test_support::TempDir {
 public:
  TempDir() : sluice::test_support::TempDir("sluice-plot") {}
};

constexpr char kLinger[] = "producers.kafka.linger.ms";
constexpr char kBatch[] = "producers.kafka.batch.size";

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// ---- .hgrm ----------------------------------------------------------------------

TEST(Hgrm, ParsesPercentileRowsAndLeavesOutTheHundredPercentRow) {
  const std::string text =
      "       Value     Percentile TotalCount 1/(1-Percentile)\n\n"
      "       1.000 0.000000000000          1           1.00\n"
      "       2.000 0.500000000000          5           2.00\n"
      "       8.000 0.900000000000          9          10.00\n"
      "      16.000 0.990000000000         10         100.00\n"
      "      16.000 1.000000000000         10\n"
      "#[Mean    =        4.000, StdDeviation   =        4.000]\n"
      "#[Max     =       16.000, Total count    =           10]\n";
  auto points = ParseHgrm(text, "t.hgrm");
  ASSERT_EQ(points.size(), 4u);
  EXPECT_EQ(points[0].percentile, 0);
  EXPECT_EQ(points[0].inverse, 1);
  EXPECT_EQ(points[0].value_ms, 1);
  EXPECT_EQ(points[1].percentile, 0.5);
  EXPECT_EQ(points[1].inverse, 2);
  EXPECT_EQ(points[1].value_ms, 2);
  EXPECT_EQ(points[2].inverse, 10);
  EXPECT_EQ(points[2].value_ms, 8);
  EXPECT_EQ(points[3].inverse, 100);
  EXPECT_EQ(points[3].value_ms, 16);
}

TEST(Hgrm, RefusesTextWithoutRows) {
  EXPECT_THROW(ParseHgrm("", "empty.hgrm"), PlotError);
  try {
    ParseHgrm("Value Percentile TotalCount 1/(1-Percentile)\n#[Max = 0]\n", "h.hgrm");
    FAIL();
  } catch (const PlotError& e) {
    EXPECT_TRUE(Contains(e.what(), "h.hgrm: no percentile rows"));
  }
}

// A known histogram, written by the writer `sluice run` uses: 1 ms to 100 ms,
// one value each. The curve's points lie at x = 1/(1-p), in ms.
TEST(Hgrm, KnownHistogramGivesKnownCurvePoints) {
  LatencyHistogram h;
  for (int ms = 1; ms <= 100; ++ms) h.Record(static_cast<int64_t>(ms) * 1'000'000);
  std::ostringstream text;
  h.WritePercentiles(text, 1e6);
  auto points = ParseHgrm(text.str(), "known.hgrm");
  ASSERT_GT(points.size(), 10u);
  EXPECT_EQ(points.front().percentile, 0);
  EXPECT_NEAR(points.front().value_ms, 1, 0.01);
  for (const auto& p : points) {
    EXPECT_NEAR(p.inverse, 1 / (1 - p.percentile), 0.01 * p.inverse) << p.percentile;
  }
  // The median is 50 ms and the 90th percentile 90 ms, to the histogram's precision.
  auto at = [&](double percentile) {
    for (const auto& p : points) {
      if (std::abs(p.percentile - percentile) < 1e-9) return p.value_ms;
    }
    return -1.0;
  };
  EXPECT_NEAR(at(0.5), 50, 0.1);
  EXPECT_NEAR(at(0.9), 90, 0.1);
  EXPECT_NEAR(points.back().value_ms, 100, 0.1);
  for (size_t i = 1; i < points.size(); ++i) {
    EXPECT_GE(points[i].value_ms, points[i - 1].value_ms);
    EXPECT_GT(points[i].percentile, points[i - 1].percentile);
  }
}

// ---- labels -------------------------------------------------------------------------

TEST(PlotLabels, ShortKeysStayUnambiguous) {
  const std::vector<std::string> keys = {kLinger, kBatch};
  EXPECT_EQ(ShortKey(kLinger, keys), "linger.ms");
  EXPECT_EQ(ShortKey(kBatch, keys), "batch.size");
  EXPECT_EQ(ShortKey("queue.capacity", {"queue.capacity"}), "queue.capacity");
  EXPECT_EQ(ShortKey("threads", {"threads"}), "threads");
  const std::vector<std::string> clash = {"a.x.y", "b.x.y"};
  EXPECT_EQ(ShortKey("a.x.y", clash), "a.x.y");
  EXPECT_EQ(ShortKey("b.x.y", clash), "b.x.y");
}

// ---- sweep charts ---------------------------------------------------------------------

// report.csv rows with the columns the sweep charts read.
std::vector<std::string> SweepHeader() {
  return {"cell", "repetition", "generated", "dropped", "delivered_rate",
          "latency.end_to_end.p99_ms", "wire.bytes_per_event", "error", kLinger, kBatch};
}
std::vector<std::string> Row(int cell, int rep, int dropped, double rate, double p99,
                             const std::string& linger, const std::string& batch) {
  return {std::to_string(cell), std::to_string(rep), "1000", std::to_string(dropped),
          std::to_string(rate), std::to_string(p99), "120", "", linger, batch};
}

TEST(SweepCharts, TwoKeysGiveOneLinePerValueOfTheOtherKey) {
  // linger.ms 0, 5, 50 x batch.size 16384, 131072; two repetitions each.
  std::vector<std::vector<std::string>> rows;
  int cell = 0;
  for (const char* linger : {"0", "5", "50"}) {
    for (const char* batch : {"16384", "131072"}) {
      for (int rep = 0; rep < 2; ++rep) {
        const double rate = 1000 + 100 * cell + 10 * rep;
        rows.push_back(Row(cell, rep, 10 * cell + rep, rate, 5.0 + cell, linger, batch));
      }
      ++cell;
    }
  }
  auto charts = BuildSweepCharts(SweepHeader(), rows, {kLinger, kBatch}, "t.csv");
  // 4 metrics against each of the 2 keys.
  ASSERT_EQ(charts.size(), 8u);
  EXPECT_EQ(charts[0].key, kLinger);
  EXPECT_EQ(charts[0].metric.name, "delivered_rate");
  EXPECT_EQ(charts[4].key, kBatch);
  for (const auto& c : charts) {
    const bool by_linger = c.key == kLinger;
    EXPECT_EQ(c.x.size(), by_linger ? 3u : 2u);
    // One line per value of the other key, labelled by it.
    ASSERT_EQ(c.lines.size(), by_linger ? 2u : 3u);
    EXPECT_EQ(c.lines[0].label, by_linger ? "batch.size=16384" : "linger.ms=0");
    for (const auto& line : c.lines) {
      EXPECT_EQ(line.points.size(), c.x.size());
      for (const auto& p : line.points) EXPECT_EQ(p.repetitions, 2);
    }
  }
  // delivered_rate by linger.ms, batch.size=131072 at linger.ms=5 is cell 3:
  // repetitions 1300 and 1310.
  const SweepPoint& p = charts[0].lines[1].points[1];
  EXPECT_EQ(p.x, "5");
  EXPECT_DOUBLE_EQ(p.min, 1300);
  EXPECT_DOUBLE_EQ(p.max, 1310);
  EXPECT_DOUBLE_EQ(p.median, 1305);
  // Higher is better: the best is cell 5 (linger 50, batch 131072).
  EXPECT_EQ(charts[0].metric.better, 1);
  EXPECT_EQ(charts[0].best_line, 1);
  EXPECT_EQ(charts[0].best_point, 2);
  // Drop share: dropped / generated, lower is better: cell 0's 0 and 1 of 1000.
  EXPECT_EQ(charts[2].metric.name, "drop_share");
  EXPECT_EQ(charts[2].metric.better, -1);
  EXPECT_EQ(charts[2].best_line, 0);
  EXPECT_EQ(charts[2].best_point, 0);
  EXPECT_DOUBLE_EQ(charts[2].lines[0].points[0].max, 0.001);
  // Lower p99 is better.
  EXPECT_EQ(charts[1].metric.better, -1);
}

TEST(SweepCharts, OneKeyGivesOneLineAndAKeyWithOneValueNoChart) {
  std::vector<std::vector<std::string>> rows = {Row(0, 0, 0, 1, 1, "0", "16384"),
                                                Row(1, 0, 0, 2, 1, "5", "16384"),
                                                Row(2, 0, 0, 3, 1, "50", "16384")};
  auto charts = BuildSweepCharts(SweepHeader(), rows, {kLinger, kBatch}, "t.csv");
  ASSERT_EQ(charts.size(), 4u);  // batch.size has one value: no axis
  for (const auto& c : charts) {
    EXPECT_EQ(c.key, kLinger);
    ASSERT_EQ(c.lines.size(), 1u);
    EXPECT_EQ(c.lines[0].label, "batch.size=16384");
  }
  // No drops anywhere: no point is the best drop share.
  EXPECT_EQ(charts[2].metric.name, "drop_share");
  EXPECT_EQ(charts[2].best_line, -1);
  EXPECT_EQ(charts[0].best_point, 2);
  EXPECT_TRUE(BuildSweepCharts(SweepHeader(), rows, {}, "t.csv").empty());
}

// ---- results folders ---------------------------------------------------------------------

ScenarioPlan Plan(const std::vector<std::string>& values) {
  ScenarioPlan plan;
  plan.base.name = "plotted";
  plan.base.source.events = {{"event", 1, {}}};
  plan.swept_keys = {kLinger};
  for (const auto& v : values) {
    Scenario s = plan.base;
    s.parameters = {{kLinger, v, {}}};
    plan.cells.push_back(s);
  }
  return plan;
}

CellResult Cell(const ScenarioPlan& plan, int cell, double p99_ms) {
  CellResult r;
  r.cell = cell;
  r.scenario = plan.cells.at(static_cast<size_t>(cell));
  r.scheduled = r.generated = 100;
  r.delivered = 100;
  r.delivered_rate = 100;
  r.end_to_end = std::make_shared<LatencyHistogram>();
  for (int i = 1; i <= 100; ++i) r.end_to_end->Record(static_cast<int64_t>(p99_ms * 1e4 * i));
  r.queue_wait = std::make_shared<LatencyHistogram>();
  r.queue_wait->Record(1000);
  r.kafka = std::make_shared<LatencyHistogram>();  // empty: no curve
  return r;
}

fs::path WriteFolder(const TempDir& dir, const ScenarioPlan& plan, const std::vector<CellResult>& cells) {
  ResultsFolder folder(dir.path().string(), "plotted", "20260101T000000Z");
  ReportContext context;
  context.plan = &plan;
  context.broker_note = "embedded broker: no disk, no real network";
  folder.WriteAll(context, cells);
  return folder.path();
}

TEST(PlotRun, ReadsAResultsFolderLabelledBySweptValues) {
  TempDir dir;
  ScenarioPlan plan = Plan({"0", "5", "50"});
  const fs::path folder = WriteFolder(dir, plan, {Cell(plan, 0, 1), Cell(plan, 1, 2), Cell(plan, 2, 3)});
  PlotRun run = ReadPlotRun(folder.string());
  EXPECT_EQ(run.info.scenario, "plotted");
  EXPECT_EQ(run.info.broker_note, "embedded broker: no disk, no real network");
  ASSERT_EQ(run.cells.size(), 3u);
  EXPECT_EQ(run.cells[0].label, "linger.ms=0");
  EXPECT_EQ(run.cells[2].label, "linger.ms=50");
  // end_to_end and queue_wait have values; kafka has none and draws no curve.
  ASSERT_EQ(run.cells[1].curves.size(), 2u);
  EXPECT_EQ(run.cells[1].curves[0].kind, "end_to_end");
  EXPECT_EQ(run.cells[1].curves[1].kind, "queue_wait");
  EXPECT_EQ(run.latency_kinds, (std::vector<std::string>{"end_to_end", "queue_wait"}));
  // Cell 1: 0.02 ms .. 2 ms; its median is 1 ms.
  for (const auto& p : run.cells[1].curves[0].points) {
    if (p.percentile == 0.5) {
      EXPECT_NEAR(p.value_ms, 1.0, 0.01);
    }
  }
  EXPECT_EQ(run.sweeps.size(), PlotMetrics().size());
  ASSERT_EQ(run.sweeps[0].lines.size(), 1u);
  EXPECT_EQ(run.sweeps[0].lines[0].points.size(), 3u);

  // The page's data says the same, and no label is a cell index.
  auto data = nlohmann::json::parse(PlotDataJson(run));
  EXPECT_EQ(data["cells"].size(), 3u);
  EXPECT_EQ(data["cells"][2]["label"], "linger.ms=50");
  EXPECT_EQ(data["cells"][2]["curves"][0]["kind"], "end_to_end");
  EXPECT_EQ(data["sweeps"][0]["short_key"], "linger.ms");
}

// report.json's fields are read tolerantly: without it, or with keys that
// moved, the page loses only the header lines it cannot fill; without .hgrm
// files it loses only the percentile charts.
TEST(PlotRun, NoHgrmStillPlotsButAReportJsonMustBeWhole) {
  TempDir dir;
  ScenarioPlan plan = Plan({"0", "5"});
  const fs::path folder = WriteFolder(dir, plan, {Cell(plan, 0, 1), Cell(plan, 1, 2)});
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.path().extension() == ".hgrm") fs::remove(entry.path());
  }
  PlotRun run = ReadPlotRun(folder.string());
  EXPECT_EQ(run.info.scenario, "plotted");
  EXPECT_TRUE(run.latency_kinds.empty());
  ASSERT_EQ(run.cells.size(), 2u);
  EXPECT_TRUE(run.cells[0].curves.empty());
  EXPECT_EQ(run.sweeps.size(), PlotMetrics().size());
  // A report.json of other keys (an older or renamed layout) still plots,
  // from report.csv.
  std::ofstream(folder / "report.json") << "{\"run\": {\"name\": \"moved\"}, \"cells\": [{}, {}]}\n";
  run = ReadPlotRun(folder.string());
  EXPECT_EQ(run.info.scenario, "plotted");  // from report.csv
  EXPECT_EQ(run.info.revision, "");
  // A damaged report.json, or none (the disk filled up, the run was
  // killed): a damaged or partial folder, refused as compare's ReadReport
  // refuses it.
  std::ofstream(folder / "report.json") << "[not json";
  EXPECT_THROW(ReadPlotRun(folder.string()), PlotError);
  fs::remove(folder / "report.json");
  EXPECT_THROW(ReadPlotRun(folder.string()), PlotError);
}

TEST(PlotRun, PageIsSelfContained) {
  TempDir dir;
  ScenarioPlan plan = Plan({"0", "5"});
  plan.base.name = "</script><b>";
  for (auto& c : plan.cells) c.name = plan.base.name;
  const fs::path folder = WriteFolder(dir, plan, {Cell(plan, 0, 1), Cell(plan, 1, 2)});
  std::ostringstream out, err;
  ASSERT_EQ(PlotCommand({folder.string()}, "", out, err), kExitOk) << err.str();
  EXPECT_EQ(out.str(), (folder / "report.html").string() + "\n");
  std::ifstream in(folder / "report.html");
  std::stringstream page;
  page << in.rdbuf();
  const std::string html = page.str();
  EXPECT_TRUE(Contains(html, "Chart.js v3"));
  EXPECT_TRUE(Contains(html, "Content-Security-Policy"));
  EXPECT_TRUE(Contains(html, "default-src 'none'"));
  EXPECT_FALSE(Contains(html, "http://"));
  EXPECT_FALSE(Contains(html, "src=\""));
  // The scenario's name cannot close the data's script element.
  EXPECT_FALSE(Contains(html, "</script><b>"));
  EXPECT_TRUE(Contains(html, "\\u003c/script>\\u003cb>"));
}

TEST(PlotRun, OutputFolderOption) {
  TempDir dir;
  ScenarioPlan plan = Plan({"0"});
  const fs::path folder = WriteFolder(dir, plan, {Cell(plan, 0, 1)});
  std::ostringstream out, err;
  const std::string target = dir.File("pages");
  ASSERT_EQ(PlotCommand({folder.string()}, target, out, err), kExitOk) << err.str();
  EXPECT_TRUE(fs::exists(fs::path(target) / "report.html"));
  EXPECT_FALSE(fs::exists(folder / "report.html"));
  ASSERT_EQ(PlotCommand({folder.string(), folder.string()}, target, out, err), kExitOk);
  EXPECT_TRUE(fs::exists(fs::path(target) / folder.filename() / "report.html"));
}

TEST(PlotRun, NotAResultsFolderIsExitTwoWithAClearMessage) {
  TempDir dir;
  auto plot = [](const std::string& folder, std::string* message) {
    std::ostringstream out, err;
    const int rc = PlotCommand({folder}, "", out, err);
    *message = err.str();
    return rc;
  };
  std::string message;
  // An empty folder.
  EXPECT_EQ(plot(dir.path().string(), &message), kExitUsage);
  EXPECT_TRUE(Contains(message, "no report.csv in this folder: not a sluice results folder")) << message;
  EXPECT_FALSE(fs::exists(dir.path() / "report.html"));
  // No such folder; a file.
  EXPECT_EQ(plot(dir.File("missing"), &message), kExitUsage);
  EXPECT_TRUE(Contains(message, "no such folder")) << message;
  std::ofstream(dir.File("file.txt")) << "x\n";
  EXPECT_EQ(plot(dir.File("file.txt"), &message), kExitUsage);
  EXPECT_TRUE(Contains(message, "not a folder")) << message;
  // A report.csv that is not sluice's, one with only a header, a truncated one.
  std::ofstream(dir.File("report.csv")) << "a,b\n1,2\n";
  EXPECT_EQ(plot(dir.path().string(), &message), kExitUsage);
  EXPECT_TRUE(Contains(message, "not a sluice report")) << message;
  std::ofstream(dir.File("report.csv")) << "scenario,cell,repetition,ledger_ok,error\n";
  EXPECT_EQ(plot(dir.path().string(), &message), kExitUsage);
  EXPECT_TRUE(Contains(message, "holds no cells")) << message;
  std::ofstream(dir.File("report.csv")) << "scenario,cell,repetition,ledger_ok,error\nx,0,0,true,";
  EXPECT_EQ(plot(dir.path().string(), &message), kExitUsage);
  EXPECT_TRUE(Contains(message, "truncated")) << message;
  EXPECT_FALSE(fs::exists(dir.path() / "report.html"));
  // Nothing at all.
  std::ostringstream out, err;
  EXPECT_EQ(PlotCommand({}, "", out, err), kExitUsage);
}

}  // namespace
}  // namespace sluice
