#include "sluice/analysis/compare.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "sluice/cli/app.h"
#include "sluice/cli/compare_command.h"
#include "sluice/report/csv.h"
#include "sluice/report/reporter.h"
#include "temp_dir.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

// ---- fixtures: real reports, written by the real writers --------------------

// The shared temporary folder (tests/temp_dir.h), named for this file.
class TempDir : public sluice::test_support::TempDir {
 public:
  TempDir() : sluice::test_support::TempDir("sluice-compare") {}
};

constexpr char kKey[] = "producers.kafka.linger.ms";

// A plan sweeping linger.ms over `values`.
ScenarioPlan Plan(const std::vector<std::string>& values, const std::string& key = kKey,
                  int repeat = 1) {
  ScenarioPlan plan;
  plan.base.name = "cmp";
  plan.base.repeat = repeat;
  plan.base.source.events = {{"event", 1, {}}};
  if (!key.empty()) plan.swept_keys = {key};
  for (const auto& v : values) {
    Scenario s = plan.base;
    if (!key.empty()) s.parameters = {{key, v, {}}};
    plan.cells.push_back(s);
  }
  return plan;
}

// One cell: `dropped` events dropped out of 10,000, p99 of `p99_ms`.
CellResult Cell(const ScenarioPlan& plan, size_t cell, int repetition, uint64_t dropped, double p99_ms,
                double delivered_rate = 9000) {
  CellResult r;
  r.cell = static_cast<int>(cell);
  r.repetition = repetition;
  r.scenario = plan.cells.at(cell);
  r.scheduled = r.generated = 10'000;
  r.dropped_newest = dropped;
  r.delivered = 10'000 - dropped;
  r.delivered_rate = delivered_rate;
  r.end_to_end = std::make_shared<LatencyHistogram>();
  r.end_to_end->Record(static_cast<int64_t>(p99_ms * 1e6));
  r.queue_wait = std::make_shared<LatencyHistogram>();
  r.kafka = std::make_shared<LatencyHistogram>();
  return r;
}

// Writes a results folder the way `sluice run` does.
fs::path Write(const TempDir& dir, const std::string& name, const ScenarioPlan& plan,
               const std::vector<CellResult>& cells) {
  ResultsFolder folder(dir.path().string(), name, "20260101T000000Z");
  ReportContext context;
  context.plan = &plan;
  folder.WriteAll(context, cells);
  return folder.path();
}

struct Outcome {
  int code = -1;
  std::string out, err;
};

Outcome Compare(const std::vector<std::string>& inputs, CompareOptions options = {}) {
  std::ostringstream out, err;
  Outcome o;
  o.code = CompareCommand(inputs, options, out, err);
  o.out = out.str();
  o.err = err.str();
  return o;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// ---- CSV --------------------------------------------------------------------

TEST(Csv, ParsesRfc4180) {
  auto rows = ParseCsv("a,b,c\n1,\"x, \"\"y\"\"\",\"two\nlines\"\r\n,,\n", "t.csv");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"1", "x, \"y\"", "two\nlines"}));
  EXPECT_EQ(rows[2], (std::vector<std::string>{"", "", ""}));
}

TEST(Csv, RefusesTruncatedAndMalformedText) {
  auto error = [](const std::string& text) {
    try {
      ParseCsv(text, "t.csv");
    } catch (const CsvError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_TRUE(Contains(error("a,b\n1,2"), "truncated: line 2 does not end with a line break"));
  EXPECT_TRUE(Contains(error("a,b\n1,\"open\n"), "opened on line 2 never closes"));
  EXPECT_TRUE(Contains(error("a,b\n1,x\"y\n"), "t.csv:2: a quote inside an unquoted field"));
  EXPECT_TRUE(Contains(error("a,b\n1,\"x\"y\n"), "text after a closing quote"));
}

// ---- the command --------------------------------------------------------------

TEST(CompareCommand, LinesUpCellsByTheirSweptValues) {
  TempDir dir;
  ScenarioPlan a = Plan({"0", "20"}), b = Plan({"20", "0"});  // another order
  auto ra = Write(dir, "a", a, {Cell(a, 0, 0, 500, 100), Cell(a, 1, 0, 0, 30)});
  auto rb = Write(dir, "b", b, {Cell(b, 0, 0, 10, 28), Cell(b, 1, 0, 400, 120)});
  CompareOptions options;
  options.metrics = {"dropped", "latency.end_to_end.p99"};
  Outcome o = Compare({ra.string(), (rb / "report.csv").string()}, options);
  ASSERT_EQ(o.code, 0) << o.err;
  // linger 0: A dropped 500, B 400 (-20%, the best); linger 20: 0 against 10.
  std::istringstream lines(o.out);
  std::string line, zero, twenty;
  while (std::getline(lines, line)) {
    if (line.rfind("0 ", 0) == 0) zero = line;
    if (line.rfind("20 ", 0) == 0) twenty = line;
  }
  EXPECT_TRUE(Contains(zero, "500")) << o.out;
  EXPECT_TRUE(Contains(zero, "400*")) << o.out;
  EXPECT_TRUE(Contains(zero, "-20.0%")) << o.out;
  EXPECT_TRUE(Contains(twenty, "0*")) << o.out;
  EXPECT_TRUE(Contains(twenty, "+inf%")) << o.out;
  EXPECT_TRUE(Contains(o.out, "too few repetitions (1 vs 1)")) << o.out;
}

TEST(CompareCommand, JudgesSignificanceOverRepetitions) {
  TempDir dir;
  ScenarioPlan a = Plan({"0"}, kKey, 5), b = Plan({"0"}, kKey, 5), c = Plan({"0"}, kKey, 5);
  std::vector<CellResult> ca, cb, cc;
  for (int r = 0; r < 5; ++r) {
    ca.push_back(Cell(a, 0, r, 100 + r, 10 + r));
    cb.push_back(Cell(b, 0, r, 200 + r, 10.5 + r));  // drops clearly up, p99 interleaved
    cc.push_back(Cell(c, 0, r, 100 + r, 10 + r));    // the same as A
  }
  auto ra = Write(dir, "a", a, ca), rb = Write(dir, "b", b, cb), rc = Write(dir, "c", c, cc);
  CompareOptions options;
  options.metrics = {"dropped", "latency.end_to_end.p99_ms"};
  options.csv_path = (dir.path() / "table.csv").string();
  Outcome o = Compare({ra.string(), rb.string(), rc.string()}, options);
  ASSERT_EQ(o.code, 0) << o.err;
  // 5 against 5, completely separated: exact p = 2/252 = 0.008.
  EXPECT_TRUE(Contains(o.out, "significant (p=0.008)")) << o.out;
  EXPECT_TRUE(Contains(o.out, "not significant (p=")) << o.out;
  std::ifstream csv(options.csv_path);
  std::stringstream text;
  text << csv.rdbuf();
  EXPECT_EQ(text.str().rfind("producers.kafka.linger.ms,metric,A.median,A.repetitions,B.median,B.repetitions,"
                             "B.change_pct,B.p_value,B.verdict,C.median,C.repetitions,C.change_pct,"
                             "C.p_value,C.verdict,best\n",
                             0),
            0u)
      << text.str();
  EXPECT_TRUE(Contains(text.str(), "0,dropped,102,5,202,5,98.03921569,0.007936507937,significant (p=0.008),102,5,0,1,"))
      << text.str();
}

TEST(CompareCommand, GatesTripWithExitCode5AndSayWhat) {
  TempDir dir;
  ScenarioPlan a = Plan({"0", "20"}), b = Plan({"0", "20"});
  auto ra = Write(dir, "a", a, {Cell(a, 0, 0, 0, 100), Cell(a, 1, 0, 0, 30)});
  auto rb = Write(dir, "b", b, {Cell(b, 0, 0, 0, 105), Cell(b, 1, 0, 3, 36)});
  CompareOptions options;
  options.fail_if = {"latency.end_to_end.p99 > +10%", "dropped > 0", "latency.end_to_end.p99 > 250ms"};
  Outcome o = Compare({ra.string(), rb.string()}, options);
  EXPECT_EQ(o.code, kExitGateTripped) << o.out << o.err;
  EXPECT_TRUE(Contains(o.out, "gates tripped (2):")) << o.out;
  // linger 20: p99 30 -> 36 ms (+20%) and 3 drops; linger 0: +5% holds.
  EXPECT_TRUE(Contains(o.out, "latency.end_to_end.p99 > +10%  B")) << o.out;
  EXPECT_TRUE(Contains(o.out, "dropped > 0                    B")) << o.out;
  EXPECT_FALSE(Contains(o.out, "250ms  B")) << o.out;

  options.fail_if = {"latency.end_to_end.p99 > +25%", "dropped > 5"};
  o = Compare({ra.string(), rb.string()}, options);
  EXPECT_EQ(o.code, 0) << o.out;
  EXPECT_TRUE(Contains(o.out, "gates: 2 checked, none tripped")) << o.out;
}

TEST(CompareCommand, ARelativeGateHoldsWhenTheChangeIsNotSignificant) {
  TempDir dir;
  ScenarioPlan a = Plan({"0"}, kKey, 5), b = Plan({"0"}, kKey, 5);
  std::vector<CellResult> ca, cb;
  const double pa[] = {10, 30, 12, 28, 14}, pb[] = {29, 11, 31, 13, 27};  // medians 14 -> 27
  for (int r = 0; r < 5; ++r) {
    ca.push_back(Cell(a, 0, r, 0, pa[r]));
    cb.push_back(Cell(b, 0, r, 0, pb[r]));
  }
  auto ra = Write(dir, "a", a, ca), rb = Write(dir, "b", b, cb);
  CompareOptions options;
  options.fail_if = {"latency.end_to_end.p99 > +10%"};
  Outcome o = Compare({ra.string(), rb.string()}, options);
  EXPECT_EQ(o.code, 0) << o.out;
  EXPECT_TRUE(Contains(o.out, "gate held: latency.end_to_end.p99 > +10% for B")) << o.out;
  EXPECT_TRUE(Contains(o.out, "but not significantly")) << o.out;
}

TEST(CompareCommand, RefusesWhatItCannotCompare) {
  TempDir dir;
  ScenarioPlan a = Plan({"0", "20"});
  auto ra = Write(dir, "a", a, {Cell(a, 0, 0, 0, 10), Cell(a, 1, 0, 0, 10)});
  auto refuse = [&](const std::vector<std::string>& inputs, const std::string& says,
                    CompareOptions options = {}) {
    Outcome o = Compare(inputs, options);
    EXPECT_EQ(o.code, kExitUsage) << o.out;
    EXPECT_TRUE(Contains(o.err, says)) << o.err;
    EXPECT_EQ(o.out, "");  // never a table
  };
  // Not a sluice report.
  std::ofstream(dir.path() / "other.csv") << "name,value\nx,1\n";
  refuse({ra.string(), (dir.path() / "other.csv").string()}, "not a sluice report: its header lacks scenario, cell");
  std::ofstream(dir.path() / "empty.csv") << "";
  refuse({ra.string(), (dir.path() / "empty.csv").string()}, "empty: not a sluice report");
  refuse({ra.string(), (dir.path() / "missing").string()}, "no such file or folder");
  fs::create_directories(dir.path() / "folder");
  refuse({ra.string(), (dir.path() / "folder").string()}, "no report.csv in this folder");
  refuse({ra.string()}, "at least two reports");
  // Truncated: cut in the middle of the last row; and a whole row missing
  // against report.json.
  std::ifstream in(ra / "report.csv");
  std::stringstream full;
  full << in.rdbuf();
  const std::string text = full.str();
  fs::create_directories(dir.path() / "cut");
  std::ofstream(dir.path() / "cut" / "report.csv") << text.substr(0, text.size() - 20);
  refuse({ra.string(), (dir.path() / "cut").string()}, "truncated");
  fs::create_directories(dir.path() / "short");
  std::ofstream(dir.path() / "short" / "report.csv") << text.substr(0, text.rfind('\n', text.size() - 2) + 1);
  fs::copy(ra / "report.json", dir.path() / "short" / "report.json");
  refuse({ra.string(), (dir.path() / "short").string()}, "truncated: it has 1 rows, report.json beside it 2 cells");
  // Different sweeps, or no cell in common.
  ScenarioPlan t = Plan({"1", "2"}, "producers.threads");
  auto rt = Write(dir, "t", t, {Cell(t, 0, 0, 0, 10), Cell(t, 1, 0, 0, 10)});
  refuse({ra.string(), rt.string()}, "cannot line up A and B: A sweeps [producers.kafka.linger.ms], B sweeps [producers.threads]");
  ScenarioPlan other = Plan({"5", "50"});
  auto ro = Write(dir, "o", other, {Cell(other, 0, 0, 0, 10), Cell(other, 1, 0, 0, 10)});
  refuse({ra.string(), ro.string()}, "no cell lines up");
  // Unknown metrics, bad gates.
  CompareOptions bad;
  bad.metrics = {"droped"};
  refuse({ra.string(), ra.string()}, "'droped' is not a column of", bad);
  bad.metrics = {"when_full"};
  refuse({ra.string(), ra.string()}, "holds text", bad);
  bad.metrics = {};
  bad.fail_if = {"dropped = 0"};
  refuse({ra.string(), ra.string()}, "no comparison", bad);
  bad.fail_if = {"latency.end_to_end.p99 > 250"};
  refuse({ra.string(), ra.string()}, "give the number a unit", bad);
  bad.fail_if = {"dropped > 5ms"};
  refuse({ra.string(), ra.string()}, "compares dropped, a number, with a duration", bad);
  bad.fail_if = {"dropped > x%"};
  refuse({ra.string(), ra.string()}, "is not a percentage", bad);
}

// Gates use the expression language of expect: (expression.h): other
// columns and arithmetic work on the right-hand side too.
TEST(CompareCommand, GatesShareTheExpressionLanguage) {
  TempDir dir;
  ScenarioPlan a = Plan({"0"}), b = Plan({"0"});
  auto ra = Write(dir, "a", a, {Cell(a, 0, 0, 0, 100)});
  auto rb = Write(dir, "b", b, {Cell(b, 0, 0, 0, 100, 8000)});
  CompareOptions options;
  options.fail_if = {"delivered_rate < 0.9 * 10k/s"};  // 8k/s < 9k/s: trips
  Outcome o = Compare({ra.string(), rb.string()}, options);
  EXPECT_EQ(o.code, kExitGateTripped) << o.out << o.err;
  options.fail_if = {"latency.end_to_end.p99 > 2 * 60ms"};  // 100 ms: holds
  o = Compare({ra.string(), rb.string()}, options);
  EXPECT_EQ(o.code, 0) << o.out << o.err;
  options.fail_if = {"dropped > " + std::string(200, '(') + "0" + std::string(200, ')')};
  o = Compare({ra.string(), rb.string()}, options);
  EXPECT_EQ(o.code, kExitUsage);
  EXPECT_TRUE(Contains(o.err, "nested more than 64 levels deep")) << o.err;
}

// Issue 13: a partial report, or one without report.json, is refused unless
// --allow-partial; then it is marked and never gated.
TEST(CompareCommand, PartialReportsAreRefusedUnlessAllowedAndNeverGated) {
  TempDir dir;
  ScenarioPlan a = Plan({"0", "20"});
  auto ra = Write(dir, "a", a, {Cell(a, 0, 0, 0, 10), Cell(a, 1, 0, 0, 10)});
  fs::path partial;
  {
    ResultsFolder folder(dir.path().string(), "p", "20260101T000000Z");
    ReportContext context;
    context.plan = &a;
    folder.Begin(context);
    folder.AddCell(Cell(a, 0, 0, 50, 10));
    folder.Finish("interrupted before cell 1 repetition 0");
    partial = folder.path();
  }
  Outcome o = Compare({ra.string(), partial.string()});
  EXPECT_EQ(o.code, kExitUsage);
  EXPECT_TRUE(Contains(o.err, "a partial report (interrupted before cell 1 repetition 0)")) << o.err;
  EXPECT_TRUE(Contains(o.err, "--allow-partial")) << o.err;
  // Killed: the folder has only the early report.json (partial) or none.
  fs::path missing = dir.path() / "missing-json";
  fs::create_directories(missing);
  fs::copy(ra / "report.csv", missing / "report.csv");
  o = Compare({ra.string(), missing.string()});
  EXPECT_EQ(o.code, kExitUsage);
  EXPECT_TRUE(Contains(o.err, "no report.json beside it")) << o.err;

  CompareOptions options;
  options.allow_partial = true;
  options.fail_if = {"dropped > 0"};  // B dropped 50: would trip, but B is partial
  o = Compare({ra.string(), partial.string()}, options);
  EXPECT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_TRUE(Contains(o.out, "PARTIAL (interrupted before cell 1 repetition 0)")) << o.out;
  EXPECT_TRUE(Contains(o.out, "50")) << o.out;
  o = Compare({ra.string(), missing.string()}, options);
  EXPECT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_TRUE(Contains(o.out, "PARTIAL (no report.json)")) << o.out;
}

// --by lines cells up by any property: a swept column, a librdkafka property
// from each cell's effective configuration, or a scenario field.
TEST(CompareCommand, ByLinesCellsUpByAnyProperty) {
  TempDir dir;
  // A sweeps threads, B sweeps nothing: both know their linger.ms from the
  // effective configuration only, where librdkafka lists it under its
  // canonical name (queue.buffering.max.ms), as it lists acks=all as
  // request.required.acks=-1.
  ScenarioPlan a = Plan({"1", "2"}, "producers.threads");
  ScenarioPlan b = Plan({""}, "");
  std::vector<CellResult> ca = {Cell(a, 0, 0, 0, 10), Cell(a, 1, 0, 0, 20)};
  ca[0].effective_config = {{"queue.buffering.max.ms", "5"}, {"request.required.acks", "-1"}};
  ca[1].effective_config = {{"queue.buffering.max.ms", "50"}, {"request.required.acks", "-1"}};
  std::vector<CellResult> cb = {Cell(b, 0, 0, 7, 40)};
  cb[0].effective_config = {{"queue.buffering.max.ms", "50"}, {"request.required.acks", "-1"}};
  auto ra = Write(dir, "a", a, ca);
  auto rb = Write(dir, "b", b, cb);
  // Without --by they cannot line up: different sweeps.
  EXPECT_EQ(Compare({ra.string(), rb.string()}).code, kExitUsage);
  CompareOptions options;
  options.by = {"producers.kafka.linger.ms"};
  Outcome o = Compare({ra.string(), rb.string()}, options);
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(Contains(o.out, "producers.kafka.linger.ms")) << o.out;
  EXPECT_TRUE(Contains(o.out, "only A has the cell producers.kafka.linger.ms=5: left out")) << o.out;
  // Line 50: A's p99 20 ms against B's 40 ms, +100%.
  EXPECT_TRUE(Contains(o.out, "+100.0%")) << o.out;
  // An alias and its canonical name give the same lines.
  options.by = {"producers.kafka.acks"};
  o = Compare({ra.string(), rb.string()}, options);
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(Contains(o.out, "\n-1 ")) << o.out;
  options.by = {"producers.kafka.request.required.acks"};
  EXPECT_EQ(Compare({ra.string(), rb.string()}, options).code, 0);
  // A scenario field (report.json's scenario) and a registry column.
  options.by = {"queue.capacity"};
  o = Compare({ra.string(), rb.string()}, options);
  EXPECT_EQ(o.code, 0) << o.err;
  options.by = {"when_full"};
  o = Compare({ra.string(), rb.string()}, options);
  EXPECT_EQ(o.code, 0) << o.err;
  options.by = {"producers.kafka.no.such.property"};
  o = Compare({ra.string(), rb.string()}, options);
  EXPECT_EQ(o.code, kExitUsage);
  EXPECT_TRUE(Contains(o.err, "--by producers.kafka.no.such.property: no report has a value")) << o.err;
}

// Hand-made folders, as another tool (or an older sluice) might leave them:
// compare reads what the formats document, not the writer's internals.
TEST(CompareCommand, ByReadsHandMadeFolders) {
  TempDir dir;
  const std::string header =
      "scenario,cell,repetition,dropped,delivered_rate,latency.end_to_end.p50_ms,latency.end_to_end.p99_ms,"
      "max_depth,ledger_ok,error\n";
  auto folder = [&](const std::string& name, const std::string& rows, const std::string& json) {
    fs::create_directories(dir.path() / name);
    std::ofstream(dir.path() / name / "report.csv") << header << rows;
    std::ofstream(dir.path() / name / "report.json") << json;
    return (dir.path() / name).string();
  };
  const std::string a = folder(
      "a", "x,0,0,0,1000,1.0,10.0,5,true,\nx,1,0,0,1000,1.0,20.0,5,true,\n",
      R"({"scenario": {"queue": {"capacity": 100}, "producers": {"kafka": {"acks": "all"}}},
          "cells": [{"cell": 0, "repetition": 0, "effective_config": {"linger.ms": "0"}},
                    {"cell": 1, "repetition": 0, "effective_config": {"linger.ms": "10"}}],
          "partial": false})");
  const std::string b = folder(
      "b", "y,0,0,0,1000,1.0,30.0,5,true,\n",
      R"({"scenario": {"queue": {"capacity": 100}, "producers": {"kafka": {"acks": "1"}}},
          "cells": [{"cell": 0, "repetition": 0, "effective_config": {"linger.ms": "10"}}]})");
  CompareOptions options;
  options.by = {"producers.kafka.linger.ms"};
  options.metrics = {"latency.end_to_end.p99_ms"};
  options.fail_if = {"latency.end_to_end.p99 > 25ms"};
  Outcome o = Compare({a, b}, options);
  EXPECT_EQ(o.code, kExitGateTripped) << o.out << o.err;  // line 10: B's 30 ms > 25 ms
  EXPECT_TRUE(Contains(o.out, "+50.0%")) << o.out;           // 20 -> 30 ms
  EXPECT_TRUE(Contains(o.out, "only A has the cell producers.kafka.linger.ms=0")) << o.out;
  // A scenario field, as set in each report: acks differs, so nothing lines up.
  options.by = {"producers.kafka.acks"};
  options.fail_if = {};
  o = Compare({a, b}, options);
  EXPECT_EQ(o.code, kExitUsage);
  EXPECT_TRUE(Contains(o.err, "no cell lines up")) << o.err;
  options.by = {"queue.capacity"};
  o = Compare({a, b}, options);
  EXPECT_EQ(o.code, 0) << o.err;
  // A report.json that is not JSON is refused, naming it.
  const std::string c = folder("c", "x,0,0,0,1000,1.0,10.0,5,true,\n", "{\"cells\": [");
  o = Compare({a, c}, options);
  EXPECT_EQ(o.code, kExitUsage);
  EXPECT_TRUE(Contains(o.err, "damaged or truncated")) << o.err;
}

TEST(CompareCommand, ComparesDifferentScenariosWithoutASweep) {
  TempDir dir;
  ScenarioPlan a = Plan({""}, ""), b = Plan({""}, "");
  b.base.name = "other";
  b.cells[0].name = "other";
  auto ra = Write(dir, "a", a, {Cell(a, 0, 0, 10, 10)});
  auto rb = Write(dir, "b", b, {Cell(b, 0, 0, 20, 10)});
  Outcome o = Compare({ra.string(), rb.string()});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(Contains(o.out, "different scenarios (cmp, other)")) << o.out;
  EXPECT_TRUE(Contains(o.out, "+100.0%")) << o.out;
}

// Without --metrics: the defaults, and the consume latency of verified runs
// (only those: an empty column would be a row of blanks).
TEST(CompareCommand, DefaultMetricsAddTheConsumeLatencyOfVerifiedRuns) {
  TempDir dir;
  ScenarioPlan plan = Plan({"0"});
  auto plain = Write(dir, "plain", plan, {Cell(plan, 0, 0, 0, 10)});
  Outcome o = Compare({plain.string(), plain.string()});
  ASSERT_EQ(o.code, 0) << o.err;
  for (const std::string& m : DefaultCompareMetrics()) EXPECT_TRUE(Contains(o.out, m)) << m << "\n" << o.out;
  EXPECT_FALSE(Contains(o.out, "latency.consume")) << o.out;

  CellResult verified = Cell(plan, 0, 0, 0, 10);
  verified.consume = std::make_shared<LatencyHistogram>();
  verified.consume->Record(42'000'000);
  auto read_back = Write(dir, "verified", plan, {verified});
  o = Compare({read_back.string(), read_back.string()});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(Contains(o.out, "latency.consume.p99_ms")) << o.out;
}

}  // namespace
}  // namespace sluice
