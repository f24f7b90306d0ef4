// sluice compare --plot and the header of what differs between the runs:
// real results folders written by the real writers, compared, and the page's
// data read back.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "sluice/analysis/compare.h"
#include "sluice/cli/compare_command.h"
#include "sluice/report/reporter.h"
#include "temp_dir.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

class TempDir : public sluice::test_support::TempDir {
 public:
  TempDir() : sluice::test_support::TempDir("sluice-compare-plot") {}
};

constexpr char kKey[] = "producers.kafka.linger.ms";

ScenarioPlan Plan(int repeat, const std::string& name = "cmp") {
  ScenarioPlan plan;
  plan.base.name = name;
  plan.base.repeat = repeat;
  plan.base.source.events = {{"event", 1, {}}};
  plan.swept_keys = {kKey};
  for (const char* v : {"5", "50"}) {
    Scenario s = plan.base;
    s.parameters = {{kKey, v, {}}};
    plan.cells.push_back(s);
  }
  return plan;
}

CellResult Cell(const ScenarioPlan& plan, size_t cell, int repetition, uint64_t dropped, double p99_ms) {
  CellResult r;
  r.cell = static_cast<int>(cell);
  r.repetition = repetition;
  r.scenario = plan.cells.at(cell);
  r.scheduled = r.generated = 10'000;
  r.dropped_newest = dropped;
  r.delivered = 10'000 - dropped;
  r.delivered_rate = 9000;
  r.end_to_end = std::make_shared<LatencyHistogram>();
  r.end_to_end->Record(static_cast<int64_t>(p99_ms * 1e6));
  r.queue_wait = std::make_shared<LatencyHistogram>();
  r.kafka = std::make_shared<LatencyHistogram>();
  return r;
}

// Both cells of `plan`, `repeat` repetitions: dropped base+r, p99 p99+r.
fs::path Write(const TempDir& dir, const std::string& name, const ScenarioPlan& plan, uint64_t dropped,
               double p99, const std::string& revision, const std::vector<std::string>& overrides) {
  std::vector<CellResult> cells;
  for (size_t c = 0; c < plan.cells.size(); ++c) {
    for (int r = 0; r < plan.base.repeat; ++r) cells.push_back(Cell(plan, c, r, dropped + r, p99 + r));
  }
  ResultsFolder folder(dir.path().string(), name, "20260101T000000Z");
  ReportContext context;
  context.plan = &plan;
  context.environment.git_revision = revision;
  context.overrides = overrides;
  folder.WriteAll(context, cells);
  return folder.path();
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The data the page's script draws.
nlohmann::json PageData(const std::string& html) {
  const std::string open = "id=\"sluice-data\">";
  const size_t from = html.find(open);
  if (from == std::string::npos) return nullptr;
  const size_t start = from + open.size();
  return nlohmann::json::parse(html.substr(start, html.find("</script>", start) - start));
}

struct Compared {
  int code = -1;
  std::string out, err, html;
  nlohmann::json data;
};

Compared CompareWithPlot(const TempDir& dir, const std::vector<fs::path>& folders) {
  CompareOptions options;
  options.metrics = {"dropped", "latency.end_to_end.p99_ms"};
  options.plot_path = (dir.path() / "compare.html").string();
  std::vector<std::string> inputs;
  for (const auto& f : folders) inputs.push_back(f.string());
  std::ostringstream out, err;
  Compared c;
  c.code = CompareCommand(inputs, options, out, err);
  c.out = out.str();
  c.err = err.str();
  if (fs::exists(options.plot_path)) {
    c.html = ReadFile(options.plot_path);
    c.data = PageData(c.html);
  }
  return c;
}

TEST(ComparePlot, WritesASelfContainedPageWithCurvesAndBars) {
  TempDir dir;
  // A and B: 5 repetitions each, drops clearly up in B, p99 interleaved;
  // C: one repetition, too few for a verdict.
  const ScenarioPlan five = Plan(5), one = Plan(1);
  const fs::path a = Write(dir, "a", five, 100, 10, "abc", {});
  const fs::path b = Write(dir, "b", five, 200, 10.5, "def", {"queue.capacity=10"});
  const fs::path c = Write(dir, "c", one, 100, 10, "abc", {});
  Compared r = CompareWithPlot(dir, {a, b, c});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "page written to " + (dir.path() / "compare.html").string())) << r.out;

  // Self-contained: the page machinery of sluice plot.
  EXPECT_TRUE(Contains(r.html, "Chart.js v3"));
  EXPECT_TRUE(Contains(r.html, "default-src 'none'"));
  EXPECT_TRUE(Contains(r.html, "data-sluice-status=\"loading\""));
  EXPECT_FALSE(Contains(r.html, "http://"));
  EXPECT_FALSE(Contains(r.html, "src=\""));
  ASSERT_TRUE(r.data.is_object()) << "no data in the page";
  EXPECT_EQ(r.data["kind"], "compare");

  // One end_to_end curve per report and line-up combination.
  std::vector<std::string> labels;
  for (const auto& curve : r.data["curves"]) {
    labels.push_back(curve["label"].get<std::string>());
    EXPECT_FALSE(curve["points"].empty());
  }
  EXPECT_EQ(labels, (std::vector<std::string>{"A: linger.ms=5", "A: linger.ms=50", "B: linger.ms=5",
                                              "B: linger.ms=50", "C: linger.ms=5", "C: linger.ms=50"}));

  // One bar chart per metric: a bar per report (not A) and line, the
  // table's change and verdict.
  EXPECT_EQ(r.data["metrics"], nlohmann::json({"dropped", "latency.end_to_end.p99_ms"}));
  auto bar = [&](const std::string& metric, const std::string& report, const std::string& line) {
    for (const auto& item : r.data["bars"]) {
      if (item["metric"] == metric && item["report"] == report && item["line"] == line) return item;
    }
    return nlohmann::json();
  };
  EXPECT_EQ(r.data["bars"].size(), 8u);
  // Medians 102 and 202: +98.04%, as the table prints it.
  const auto dropped_b = bar("dropped", "B", "linger.ms=5");
  ASSERT_TRUE(dropped_b.is_object()) << r.data["bars"].dump();
  EXPECT_NEAR(dropped_b["change_pct"].get<double>(), 100.0 * 100 / 102, 1e-6);
  EXPECT_EQ(dropped_b["class"], "significant");
  EXPECT_TRUE(Contains(r.out, "+98.0%")) << r.out;
  EXPECT_TRUE(Contains(r.out, dropped_b["verdict"].get<std::string>())) << r.out;
  EXPECT_EQ(bar("latency.end_to_end.p99_ms", "B", "linger.ms=50")["class"], "not significant");
  const auto dropped_c = bar("dropped", "C", "linger.ms=50");
  ASSERT_TRUE(dropped_c.is_object());
  EXPECT_NEAR(dropped_c["change_pct"].get<double>(), 100.0 * (100 - 102) / 102, 1e-6);
  EXPECT_EQ(dropped_c["class"], "too few repetitions");

  // The header names exactly what differs, in the text and on the page (C
  // was run with repeat: 1, a field of the scenario).
  const std::string differ =
      "the runs differ in: revision (A: abc; B: def; C: abc), overrides (A: none; B: queue.capacity=10; C: none), "
      "scenario (repeat)\n";
  EXPECT_TRUE(Contains(r.out, differ)) << r.out;
  EXPECT_EQ(r.data["differences"],
            nlohmann::json({"revision (A: abc; B: def; C: abc)", "overrides (A: none; B: queue.capacity=10; C: none)",
                            "scenario (repeat)"}));
}

TEST(ComparePlot, HeaderNamesTheScenarioFieldsThatDifferAndNothingElse) {
  TempDir dir;
  ScenarioPlan other = Plan(1, "other");
  other.base.queue.capacity = 77;
  for (auto& cell : other.cells) cell.queue.capacity = 77;
  const fs::path a = Write(dir, "a", Plan(1), 100, 10, "abc", {});
  const fs::path b = Write(dir, "b", other, 100, 10, "abc", {});
  Compared r = CompareWithPlot(dir, {a, b});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "the runs differ in: scenario (name, queue.capacity)\n")) << r.out;

  // The same runs twice: nothing differs.
  Compared same = CompareWithPlot(dir, {a, a});
  ASSERT_EQ(same.code, 0) << same.err;
  EXPECT_TRUE(Contains(same.out, "the runs differ in: nothing recorded")) << same.out;
  EXPECT_TRUE(same.data["differences"].empty());
}

}  // namespace
}  // namespace sluice
