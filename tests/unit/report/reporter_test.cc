#include "sluice/report/reporter.h"

#include "sluice/report/columns.h"
#include "sluice/report/csv.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice {
namespace {

namespace fs = std::filesystem;

constexpr char kSweptKey[] = "producers.kafka.linger.ms";
// A field that needs quoting in CSV and escaping in JSON.
constexpr char kAwkwardError[] = "broker said \"no\", then\ngave up";

// ---- fixtures -----------------------------------------------------------------

ScenarioPlan MakePlan() {
  ScenarioPlan plan;
  plan.base.name = "backpressure, basic";
  plan.base.file = "scenarios/basic.yaml";
  plan.base.duration_ns = 30'000'000'000;
  plan.base.warmup_ns = 5'000'000'000;
  plan.base.repeat = 1;
  plan.base.source.events = {{"click", 3, {}}, {"view", 1, {}}};
  plan.base.producers.kafka = {{"linger.ms", "5", {}}, {"acks", "all", {}}};
  plan.swept_keys = {kSweptKey};
  for (const char* v : {"0", "50"}) {
    Scenario s = plan.base;
    s.parameters = {{kSweptKey, v, {}}};
    plan.cells.push_back(s);
  }
  return plan;
}

std::shared_ptr<LatencyHistogram> Histogram(std::initializer_list<int64_t> values_ns) {
  auto h = std::make_shared<LatencyHistogram>();
  for (int64_t v : values_ns) h->Record(v);
  return h;
}

// A cell with a balanced ledger: 1000 = 7 + 3 + 980 + 4 + 6.
CellResult MakeCell(const ScenarioPlan& plan, int cell, int repetition) {
  CellResult r;
  r.cell = cell;
  r.repetition = repetition;
  r.scenario = plan.cells[static_cast<size_t>(cell)];
  r.topic = "sluice.run.c" + std::to_string(cell) + "r" + std::to_string(repetition);
  r.broker = "embedded (3 brokers, rtt 0ns)";
  r.broker_count = 3;
  r.kafka_version = "mock";
  r.scheduled = 1002;
  r.unsent = 2;
  r.generated = 1000;
  r.dropped_newest = 7;
  r.dropped_oldest = 3;
  r.delivered = 980;
  r.failed = 4;
  r.unresolved = 6;
  r.unresolved_in_flight = 5;
  r.unresolved_queued = 1;
  r.failed_by_code = {{-184, 3}, {10, 1}};
  r.late = 12;
  r.blocked = 0;
  r.max_lag_ns = 2'500'000;
  r.mean_lag_ns = 1234.5;
  r.max_depth = 123;
  r.mean_depth = 45.25;
  r.backpressure = 17;
  r.duration_s = 30;
  r.offered_rate = 50000;
  r.offered_mbps = 10.5;
  r.delivered_rate = 49800.25;
  r.delivered_mbps = 10.4;
  r.measured_delivered = 900;
  r.wall_s = 36.5;
  r.cpu_user_s = 12.25;
  r.cpu_system_s = 3.5;
  r.peak_rss_bytes = 123'456'789;
  r.end_to_end = Histogram({1'000'000, 2'000'000, 4'200'000});
  r.queue_wait = Histogram({10'000, 20'000});
  r.kafka = Histogram({900'000});
  r.types = {{"click", 750, 8, 735, 3}, {"view", 250, 2, 245, 1}};
  return r;
}

ReportContext MakeContext(const ScenarioPlan& plan) {
  ReportContext context;
  context.plan = &plan;
  context.environment = DetectEnvironment("sluice run basic.yaml");
  context.environment.librdkafka_version = "2.0.2";
  context.overrides = {"producers.threads=2"};
  context.broker_note = "embedded broker: acks ignored, no replication";
  return context;
}

template <typename R>
std::string RunReporter(const ReportContext& context, const std::vector<CellResult>& cells) {
  std::ostringstream out;
  R reporter(out);
  reporter.ReportContext(context);
  for (const auto& c : cells) reporter.ReportCell(c);
  reporter.Finalize();
  return out.str();
}

// ---- readers: the project's one CSV reader (csv.h) and nlohmann-json --------------

std::vector<std::vector<std::string>> ParseCsv(const std::string& text) { return sluice::ParseCsv(text, "test"); }

using Json = nlohmann::json;
Json ParseJson(const std::string& text) { return Json::parse(text); }

size_t Column(const std::vector<std::string>& header, const std::string& name) {
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return i;
  }
  ADD_FAILURE() << "no column " << name;
  return 0;
}

// ---- a scratch folder per test -------------------------------------------------

class TempDir {
 public:
  TempDir() {
    const auto* info = testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() /
            ("sluice_reporter_test_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// ---- the self-checks of the test's own readers ---------------------------------

TEST(ReporterTestReaders, RejectMalformedInput) {
  EXPECT_THROW(ParseCsv("a,b\"c\n"), std::runtime_error);
  EXPECT_THROW(ParseCsv("\"a\"b\n"), std::runtime_error);
  EXPECT_EQ(ParseCsv("\"a,\"\"b\"\"\nc\",d\n"),
            (std::vector<std::vector<std::string>>{{"a,\"b\"\nc", "d"}}));
}

// ---- report.csv ---------------------------------------------------------------

TEST(CsvReporterTest, HeaderIsCsvHeaderThenSweptKeysAndRowsMatchIt) {
  const ScenarioPlan plan = MakePlan();
  std::vector<CellResult> cells = {MakeCell(plan, 0, 0), MakeCell(plan, 1, 0)};
  cells[1].error = kAwkwardError;
  cells[1].scenario.parameters[0].value = "5,\"10\"";  // needs quoting too
  const auto rows = ParseCsv(RunReporter<CsvReporter>(MakeContext(plan), cells));

  ASSERT_EQ(rows.size(), 3u);
  std::vector<std::string> expected = CsvHeader();
  expected.push_back(kSweptKey);
  EXPECT_EQ(rows[0], expected);
  for (size_t i = 1; i < rows.size(); ++i) EXPECT_EQ(rows[i].size(), rows[0].size()) << "row " << i;

  const auto& h = rows[0];
  EXPECT_EQ(rows[1][Column(h, "scenario")], "backpressure, basic");
  EXPECT_EQ(rows[1][Column(h, "generated")], "1000");
  EXPECT_EQ(rows[1][Column(h, "dropped_newest")], "7");
  EXPECT_EQ(rows[1][Column(h, "unresolved_in_flight")], "5");
  EXPECT_EQ(rows[1][Column(h, "ledger_ok")], "true");
  EXPECT_EQ(rows[1][Column(h, "failed_by_code")], "-184:3;10:1");
  EXPECT_EQ(rows[1][Column(h, "latency.end_to_end.count")], "3");
  EXPECT_EQ(rows[1][Column(h, "latency.end_to_end.max_ms")], "4.200");
  EXPECT_EQ(rows[1][Column(h, "latency.queue_wait.p50_ms")], "0.010");
  EXPECT_EQ(rows[1][Column(h, "max_lag_ms")], "2.500");
  EXPECT_EQ(rows[1][Column(h, "peak_rss_mb")], "123.457");
  EXPECT_EQ(rows[1][Column(h, "when_full")], "drop_newest");
  EXPECT_EQ(rows[1][Column(h, kSweptKey)], "0");
  EXPECT_EQ(rows[1][Column(h, "error")], "");
  EXPECT_EQ(rows[2][Column(h, "error")], kAwkwardError);
  EXPECT_EQ(rows[2][Column(h, kSweptKey)], "5,\"10\"");
}

// A cell on a real cluster: the bootstrap list (quoted, it holds commas), the
// broker count from metadata and the version the brokers reported.
CellResult OnRealCluster(CellResult r) {
  r.broker = "127.0.0.1:19092,127.0.0.1:19093,127.0.0.1:19094";
  r.broker_count = 3;
  r.kafka_version = "3.9-IV0";
  return r;
}

TEST(CsvReporterTest, EveryRowSaysWhichBrokerAndKafkaVersion) {
  const ScenarioPlan plan = MakePlan();
  const std::vector<CellResult> cells = {MakeCell(plan, 0, 0), OnRealCluster(MakeCell(plan, 1, 0))};
  const auto rows = ParseCsv(RunReporter<CsvReporter>(MakeContext(plan), cells));
  ASSERT_EQ(rows.size(), 3u);
  const auto& h = rows[0];
  EXPECT_EQ(Column(h, "kafka_version"), Column(h, "broker_count") + 1);
  EXPECT_EQ(rows[1][Column(h, "broker")], "embedded (3 brokers, rtt 0ns)");
  EXPECT_EQ(rows[1][Column(h, "kafka_version")], "mock");
  EXPECT_EQ(rows[2][Column(h, "broker")], "127.0.0.1:19092,127.0.0.1:19093,127.0.0.1:19094");
  EXPECT_EQ(rows[2][Column(h, "broker_count")], "3");
  EXPECT_EQ(rows[2][Column(h, "kafka_version")], "3.9-IV0");
}

TEST(JsonReporterTest, EveryCellSaysWhichBrokerAndKafkaVersion) {
  const ScenarioPlan plan = MakePlan();
  const std::vector<CellResult> cells = {MakeCell(plan, 0, 0), OnRealCluster(MakeCell(plan, 1, 0))};
  const std::string text = RunReporter<JsonReporter>(MakeContext(plan), cells);
  Json doc;
  ASSERT_NO_THROW(doc = ParseJson(text)) << text;
  EXPECT_EQ(doc["cells"][0]["kafka_version"].get<std::string>(), "mock");
  EXPECT_EQ(doc["cells"][1]["kafka_version"].get<std::string>(), "3.9-IV0");
  EXPECT_EQ(doc["cells"][1]["broker"].get<std::string>(), "127.0.0.1:19092,127.0.0.1:19093,127.0.0.1:19094");
  EXPECT_EQ(doc["cells"][1]["broker_count"], 3);
  EXPECT_FALSE(doc["scenario"]["topic"]["reuse"].get<bool>());
}

TEST(ConsoleReporterTest, EveryRowSaysWhichBrokerAndKafkaVersion) {
  const ScenarioPlan plan = MakePlan();
  const std::vector<CellResult> cells = {MakeCell(plan, 0, 0), OnRealCluster(MakeCell(plan, 1, 0))};
  const std::string text = RunReporter<ConsoleReporter>(MakeContext(plan), cells);
  std::istringstream in(text);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  size_t at = 0;
  while (at < lines.size() && lines[at].rfind(kSweptKey, 0) != 0) ++at;
  ASSERT_LT(at + 2, lines.size()) << text;
  auto ends_with = [](const std::string& line, const std::string& tail) {
    return line.size() >= tail.size() && line.compare(line.size() - tail.size(), tail.size(), tail) == 0;
  };
  EXPECT_TRUE(ends_with(lines[at], "broker    kafka")) << lines[at];
  EXPECT_TRUE(ends_with(lines[at + 1], "embedded x3     mock")) << lines[at + 1];
  EXPECT_TRUE(ends_with(lines[at + 2], "127.0.0.1:19092,... x3  3.9-IV0")) << lines[at + 2];
}

TEST(CsvReporterTest, MissingLatencyLeavesStatisticsEmptyAndMismatchIsFalse) {
  const ScenarioPlan plan = MakePlan();
  CellResult cell = MakeCell(plan, 0, 0);
  cell.end_to_end = nullptr;
  cell.kafka = std::make_shared<LatencyHistogram>();
  cell.delivered += 1;  // the ledger no longer balances
  cell.mean_depth = std::numeric_limits<double>::quiet_NaN();
  const auto rows = ParseCsv(RunReporter<CsvReporter>(MakeContext(plan), {cell}));
  ASSERT_EQ(rows.size(), 2u);
  ASSERT_EQ(rows[1].size(), rows[0].size());
  const auto& h = rows[0];
  EXPECT_EQ(rows[1][Column(h, "latency.end_to_end.count")], "0");
  EXPECT_EQ(rows[1][Column(h, "latency.end_to_end.p99_ms")], "");
  EXPECT_EQ(rows[1][Column(h, "latency.kafka.count")], "0");
  EXPECT_EQ(rows[1][Column(h, "latency.kafka.mean_ms")], "");
  EXPECT_EQ(rows[1][Column(h, "ledger_ok")], "false");
  EXPECT_EQ(rows[1][Column(h, "mean_depth")], "");
}

TEST(CsvReporterTest, HeaderNamesAreUnique) {
  const auto& header = CsvHeader();
  std::map<std::string, int> seen;
  for (const auto& name : header) EXPECT_EQ(++seen[name], 1) << name;
  EXPECT_EQ(header.front(), "scenario");
  EXPECT_EQ(header.back(), "error");
}

// ---- the column registry ---------------------------------------------------

TEST(ColumnRegistryTest, TheCsvHeaderIsTheRegistry) {
  const auto& columns = ReportColumns();
  ASSERT_EQ(CsvHeader().size(), columns.size());
  for (size_t i = 0; i < columns.size(); ++i) {
    EXPECT_EQ(CsvHeader()[i], columns[i].name);
    EXPECT_FALSE(columns[i].description.empty()) << columns[i].name;
    EXPECT_FALSE(columns[i].group.empty()) << columns[i].name;
    EXPECT_TRUE(static_cast<bool>(columns[i].value)) << columns[i].name;
    EXPECT_EQ(FindColumn(columns[i].name), &columns[i]);
  }
  EXPECT_EQ(FindColumn("no such column"), nullptr);
  // The existing order holds; new columns were added beside their kin.
  auto at = [&](const std::string& name) { return Column(CsvHeader(), name); };
  EXPECT_LT(at("latency.kafka.max_ms"), at("latency.worker.count"));
  EXPECT_LT(at("mean_lag_ms"), at("source_lag.p50_ms"));
  EXPECT_EQ(at("setup_s"), at("wall_s") + 1);
  EXPECT_EQ(at("kafka_version"), at("broker_count") + 1);
}

// results/README.md's column table is generated from the registry (sluice
// columns --markdown) and must not drift from it.
TEST(ColumnRegistryTest, ResultsReadmeHoldsTheGeneratedTable) {
  const std::string readme = ReadFile(fs::path(SLUICE_SCENARIOS_DIR) / ".." / "results" / "README.md");
  const std::string begin = "<!-- columns:begin -->\n", end = "<!-- columns:end -->";
  const size_t a = readme.find(begin), b = readme.find(end);
  ASSERT_NE(a, std::string::npos) << "results/README.md lacks " << begin;
  ASSERT_NE(b, std::string::npos) << "results/README.md lacks " << end;
  EXPECT_EQ(readme.substr(a + begin.size(), b - a - begin.size()), ColumnsMarkdown())
      << "regenerate it: build/sluice columns --markdown";
  for (const auto& c : ReportColumns()) EXPECT_NE(readme.find("`" + c.name + "`"), std::string::npos) << c.name;
}

TEST(CsvReporterTest, NewColumnsAreEmptyWithoutTheirHistogramAndFilledWithIt) {
  const ScenarioPlan plan = MakePlan();
  CellResult without = MakeCell(plan, 0, 0);
  CellResult with = MakeCell(plan, 1, 0);
  with.worker = Histogram({500'000, 1'500'000});
  with.source_lag = Histogram({20'000, 3'000'000});
  with.setup_s = 0.125;
  const auto rows = ParseCsv(RunReporter<CsvReporter>(MakeContext(plan), {without, with}));
  ASSERT_EQ(rows.size(), 3u);
  const auto& h = rows[0];
  EXPECT_EQ(rows[1][Column(h, "latency.worker.count")], "0");
  EXPECT_EQ(rows[1][Column(h, "latency.worker.p99_ms")], "");
  EXPECT_EQ(rows[1][Column(h, "source_lag.p50_ms")], "");
  EXPECT_EQ(rows[1][Column(h, "source_lag.max_ms")], "");
  EXPECT_EQ(rows[1][Column(h, "setup_s")], "0.000000");
  EXPECT_EQ(rows[2][Column(h, "latency.worker.count")], "2");
  EXPECT_EQ(rows[2][Column(h, "latency.worker.mean_ms")], "1.000");
  EXPECT_EQ(rows[2][Column(h, "latency.worker.max_ms")], "1.500");
  EXPECT_EQ(rows[2][Column(h, "source_lag.max_ms")], "3.000");
  EXPECT_EQ(rows[2][Column(h, "source_lag.p50_ms")], "0.020");
  EXPECT_EQ(rows[2][Column(h, "setup_s")], "0.125000");
}

// ---- types.csv ----------------------------------------------------------------

TEST(TypesCsvReporterTest, OneRowPerType) {
  const ScenarioPlan plan = MakePlan();
  const std::vector<CellResult> cells = {MakeCell(plan, 0, 0), MakeCell(plan, 1, 0)};
  const auto rows = ParseCsv(RunReporter<TypesCsvReporter>(MakeContext(plan), cells));
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"scenario", "cell", "repetition", kSweptKey, "type",
                                               "generated", "dropped", "delivered", "failed"}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"backpressure, basic", "0", "0", "0", "click", "750",
                                               "8", "735", "3"}));
  EXPECT_EQ(rows[4][3], "50");
  EXPECT_EQ(rows[4][4], "view");
}

TEST(TypesCsvReporterTest, VerifyColumnsWhenACellVerifies) {
  ScenarioPlan plan = MakePlan();
  for (Scenario& cell : plan.cells) cell.verify.identity = cell.verify.consume = true;
  std::vector<CellResult> cells = {MakeCell(plan, 0, 0)};
  cells[0].verify.checked = true;
  VerifyCounts click;
  click.read = 736;
  click.ok = 735;
  click.duplicated = 1;
  cells[0].verify.by_type = {click, VerifyCounts{}};
  const auto rows = ParseCsv(RunReporter<TypesCsvReporter>(MakeContext(plan), cells));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].back(), "verify.unacked_written");
  EXPECT_EQ(rows[1], (std::vector<std::string>{"backpressure, basic", "0", "0", "0", "click", "750", "8",
                                               "735", "3", "736", "735", "0", "1", "0", "0"}));
}

// ---- report.json --------------------------------------------------------------

TEST(JsonReporterTest, ParsesAndHoldsTheLedger) {
  const ScenarioPlan plan = MakePlan();
  std::vector<CellResult> cells = {MakeCell(plan, 0, 0), MakeCell(plan, 1, 0)};
  cells[1].error = std::string(kAwkwardError) + "\x01 \\ \xff end";  // control + invalid UTF-8
  cells[1].mean_depth = std::numeric_limits<double>::quiet_NaN();
  cells[1].offered_rate = std::numeric_limits<double>::infinity();
  cells[1].kafka = std::make_shared<LatencyHistogram>();  // empty
  cells[1].queue_wait = nullptr;
  const std::string text = RunReporter<JsonReporter>(MakeContext(plan), cells);

  Json doc;
  ASSERT_NO_THROW(doc = ParseJson(text)) << text;
  EXPECT_EQ(doc["sluice_report_version"], 2);
  EXPECT_EQ(doc["scenario"]["name"].get<std::string>(), "backpressure, basic");
  EXPECT_EQ(doc["scenario"]["duration_s"].get<double>(), 30);
  EXPECT_EQ(doc["scenario"]["warmup_s"].get<double>(), 5);
  EXPECT_EQ(doc["scenario"]["producers"]["kafka"]["linger.ms"], "5");
  EXPECT_EQ(doc["scenario"]["source"]["events"][1]["name"].get<std::string>(), "view");
  EXPECT_EQ(doc["scenario"]["swept_keys"][0].get<std::string>(), kSweptKey);
  EXPECT_EQ(doc["overrides"][0].get<std::string>(), "producers.threads=2");
  EXPECT_EQ(doc["environment"]["librdkafka_version"].get<std::string>(), "2.0.2");
  EXPECT_EQ(doc["broker_note"].get<std::string>(), "embedded broker: acks ignored, no replication");

  const Json& all = doc["cells"];
  ASSERT_EQ(all.size(), 2u);
  const Json& c0 = all[0];
  EXPECT_EQ(c0["parameters"][kSweptKey], "0");
  EXPECT_EQ(c0["ledger"]["generated"], 1000);
  EXPECT_EQ(c0["ledger"]["dropped_newest"], 7);
  EXPECT_EQ(c0["ledger"]["dropped_oldest"], 3);
  EXPECT_EQ(c0["ledger"]["delivered"], 980);
  EXPECT_EQ(c0["ledger"]["failed"], 4);
  EXPECT_EQ(c0["ledger"]["unresolved"], 6);
  EXPECT_EQ(c0["ledger"]["unresolved_queued"], 1);
  EXPECT_TRUE(c0["ledger_ok"].get<bool>());
  EXPECT_EQ(c0["failed_by_code"]["-184"], 3);
  EXPECT_EQ(c0["throughput"]["delivered_rate"].get<double>(), 49800.25);
  EXPECT_EQ(c0["queue"]["mean_depth"].get<double>(), 45.25);
  EXPECT_EQ(c0["latency"]["end_to_end"]["count"], 3);
  EXPECT_EQ(c0["latency"]["end_to_end"]["min_ns"].get<double>(), 1'000'000);
  EXPECT_EQ(c0["latency"]["end_to_end"]["max_ns"], 4200000);
  EXPECT_EQ(c0["types"][0]["type"].get<std::string>(), "click");
  EXPECT_EQ(c0["types"][0]["delivered"], 735);
  EXPECT_TRUE(c0["error"].is_null());

  const Json& c1 = all[1];
  EXPECT_TRUE(c1["queue"]["mean_depth"].is_null());
  EXPECT_TRUE(c1["throughput"]["offered_rate"].is_null());
  EXPECT_TRUE(c1["latency"]["queue_wait"].is_null());
  EXPECT_EQ(c1["latency"]["kafka"]["count"], 0);
  EXPECT_TRUE(c1["latency"]["kafka"]["p99_ns"].is_null());
  EXPECT_EQ(c1["error"].get<std::string>(), std::string(kAwkwardError) + "\x01 \\ \xEF\xBF\xBD end");
}

TEST(JsonReporterTest, NoCellsAndNoContextIsStillValid) {
  std::ostringstream out;
  JsonReporter reporter(out);
  reporter.Finalize();
  Json doc;
  ASSERT_NO_THROW(doc = ParseJson(out.str())) << out.str();
  EXPECT_EQ(doc["cells"].size(), 0u);
  EXPECT_EQ(doc["sluice_report_version"], 2);
}

TEST(JsonReporterTest, EachCellHasItsColumnsAndEffectiveConfig) {
  const ScenarioPlan plan = MakePlan();
  CellResult cell = MakeCell(plan, 0, 0);
  cell.effective_config = {{"linger.ms", "5"}, {"message.timeout.ms", "300000"}};
  Json doc = ParseJson(RunReporter<JsonReporter>(MakeContext(plan), {cell}));
  const Json& c = doc["cells"][0];
  EXPECT_EQ(c["effective_config"]["message.timeout.ms"], "300000");
  EXPECT_EQ(c["effective_config"]["linger.ms"], "5");
  // Every registry column, with the CSV's values: numbers, text, null.
  const Json& columns = c["columns"];
  EXPECT_EQ(columns.size(), ReportColumns().size());
  EXPECT_EQ(columns["generated"], 1000);
  EXPECT_EQ(columns["latency.end_to_end.max_ms"], 4.2);
  EXPECT_TRUE(columns["latency.worker.p99_ms"].is_null());
  EXPECT_EQ(columns["when_full"], "drop_newest");
  EXPECT_EQ(columns["ledger_ok"], true);
  EXPECT_FALSE(doc["partial"].get<bool>());
  EXPECT_TRUE(doc["partial_reason"].is_null());
  EXPECT_TRUE(c["latency"]["worker"].is_null());
}

TEST(JsonReporterTest, APartialReportSaysWhy) {
  const ScenarioPlan plan = MakePlan();
  std::ostringstream out;
  JsonReporter reporter(out);
  reporter.ReportContext(MakeContext(plan));
  reporter.ReportCell(MakeCell(plan, 0, 0));
  reporter.MarkPartial("interrupted during cell 1 repetition 0");
  reporter.Finalize();
  Json doc = ParseJson(out.str());
  EXPECT_TRUE(doc["partial"].get<bool>());
  EXPECT_EQ(doc["partial_reason"], "interrupted during cell 1 repetition 0");
  EXPECT_EQ(doc["cells"].size(), 1u);
}

// ---- the results folder -------------------------------------------------------

TEST(ResultsFolderTest, WritesEveryReportAndNoTemporaryFiles) {
  TempDir tmp;
  const ScenarioPlan plan = MakePlan();
  std::vector<CellResult> cells = {MakeCell(plan, 0, 0), MakeCell(plan, 1, 0)};
  cells[1].kafka = nullptr;  // no file for a missing histogram
  ResultsFolder folder((tmp.path() / "results").string(), "my scenario/x", "2026-11-22T04:16:38Z");
  EXPECT_EQ(fs::path(folder.path()).filename(), "my-scenario-x-2026-11-22T04-16-38Z");
  folder.WriteAll(MakeContext(plan), cells);

  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(folder.path())) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{
                       "0-0.end_to_end.hgrm", "0-0.hlog", "0-0.kafka.hgrm", "0-0.queue_wait.hgrm",
                       "1-0.end_to_end.hgrm", "1-0.hlog", "1-0.queue_wait.hgrm", "files.csv",
                       "report.csv", "report.json", "timeseries.csv", "types.csv"}));
  // files.csv names the settings of every per-cell file: the swept values,
  // not a cell index to look up.
  const auto files = ParseCsv(ReadFile(fs::path(folder.path()) / "files.csv"));
  ASSERT_EQ(files.size(), 1u + 4 + 3);  // header, cell 0's four files, cell 1's three
  std::vector<std::string> expected_header = {"cell", "repetition"};
  expected_header.insert(expected_header.end(), plan.swept_keys.begin(), plan.swept_keys.end());
  expected_header.push_back("file");
  expected_header.push_back("holds");
  EXPECT_EQ(files[0], expected_header);
  for (size_t i = 1; i < files.size(); ++i) {
    ASSERT_EQ(files[i].size(), expected_header.size());
    const std::string& file = files[i][files[i].size() - 2];
    EXPECT_TRUE(fs::exists(fs::path(folder.path()) / file)) << file;
    EXPECT_EQ(file.rfind(files[i][0] + "-" + files[i][1] + ".", 0), 0u) << file;
    for (size_t k = 0; k < plan.swept_keys.size(); ++k) {
      const CellResult& cell = cells[static_cast<size_t>(std::stoi(files[i][0]))];
      EXPECT_EQ(files[i][2 + k], ParameterValue(cell.scenario, plan.swept_keys[k])) << file;
    }
  }
  // The .hlog has a line per histogram the cell recorded: no kafka line in cell 1.
  const std::string hlog0 = ReadFile(fs::path(folder.path()) / "0-0.hlog");
  const std::string hlog1 = ReadFile(fs::path(folder.path()) / "1-0.hlog");
  EXPECT_NE(hlog0.find("\nTag=kafka,"), std::string::npos);
  EXPECT_EQ(hlog1.find("\nTag=kafka,"), std::string::npos);
  EXPECT_NE(hlog1.find("\nTag=end_to_end,"), std::string::npos);
  EXPECT_NO_THROW(ParseJson(ReadFile(fs::path(folder.path()) / "report.json")));
  EXPECT_EQ(ParseCsv(ReadFile(fs::path(folder.path()) / "report.csv")).size(), 3u);
  // The .hgrm is in milliseconds: the 4.2 ms maximum reads as 4.200.
  const std::string hgrm = ReadFile(fs::path(folder.path()) / "0-0.end_to_end.hgrm");
  EXPECT_NE(hgrm.find("Value"), std::string::npos);
  EXPECT_NE(hgrm.find("4.200"), std::string::npos) << hgrm;
}

// Each cell is on disk as soon as it is added: a run killed after two cells
// (no Finish) leaves their rows readable and a report.json that says partial.
TEST(ResultsFolderTest, CellsAreWrittenAsTheyEndAndAKilledRunSaysPartial) {
  TempDir tmp;
  const ScenarioPlan plan = MakePlan();
  {
    ResultsFolder folder(tmp.path().string(), "killed", "stamp");
    folder.Begin(MakeContext(plan));
    const fs::path dir = folder.path();
    EXPECT_EQ(ParseCsv(ReadFile(dir / "report.csv")).size(), 1u);  // the header, at once
    Json early = ParseJson(ReadFile(dir / "report.json"));
    EXPECT_TRUE(early["partial"].get<bool>());
    EXPECT_EQ(early["cells"].size(), 0u);
    CellResult first = MakeCell(plan, 0, 0);
    first.worker = Histogram({1'000'000});
    first.source_lag = Histogram({2'000'000});
    folder.AddCell(first);
    EXPECT_EQ(ParseCsv(ReadFile(dir / "report.csv")).size(), 2u);
    EXPECT_TRUE(fs::exists(dir / "0-0.end_to_end.hgrm"));
    EXPECT_TRUE(fs::exists(dir / "0-0.worker.hgrm"));
    EXPECT_TRUE(fs::exists(dir / "0-0.source_lag.hgrm"));
    folder.AddCell(MakeCell(plan, 1, 0));
    const auto rows = ParseCsv(ReadFile(dir / "report.csv"));
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[2][Column(rows[0], "cell")], "1");
    EXPECT_EQ(ParseCsv(ReadFile(dir / "types.csv")).size(), 5u);
    EXPECT_TRUE(ParseJson(ReadFile(dir / "report.json"))["partial"].get<bool>());
    // The folder goes away without Finish(): as if killed.
  }
  // A run stopped early and finished as partial: every cell reported, marked.
  ResultsFolder folder(tmp.path().string(), "stopped", "stamp");
  folder.Begin(MakeContext(plan));
  folder.AddCell(MakeCell(plan, 0, 0));
  folder.Finish("interrupted before cell 1 repetition 0");
  Json doc = ParseJson(ReadFile(fs::path(folder.path()) / "report.json"));
  EXPECT_TRUE(doc["partial"].get<bool>());
  EXPECT_EQ(doc["partial_reason"], "interrupted before cell 1 repetition 0");
  ASSERT_EQ(doc["cells"].size(), 1u);
  EXPECT_EQ(doc["cells"][0]["ledger"]["generated"], 1000);
  EXPECT_FALSE(fs::exists(fs::path(folder.path()) / ".report.json.tmp"));
}

// Issue 13: a secret given with --set (or set in the scenario, swept, or in
// the effective configuration) reaches no file and no console line.
TEST(ResultsFolderTest, SecretsReachNoFileAndNoConsole) {
  TempDir tmp;
  constexpr char kSecret[] = "S3CRET-VALUE";
  ScenarioPlan plan = MakePlan();
  plan.swept_keys.push_back("producers.kafka.ssl.key.password");
  for (Scenario* s : {&plan.base, &plan.cells[0], &plan.cells[1]}) {
    s->producers.kafka.push_back({"sasl.password", kSecret, {}});
    s->producers.kafka.push_back({"sasl.oauthbearer.client.secret", kSecret, {}});
  }
  for (auto& cell : plan.cells) cell.parameters.push_back({"producers.kafka.ssl.key.password", kSecret, {}});
  ReportContext context = MakeContext(plan);
  context.overrides = {std::string("producers.kafka.sasl.password=") + kSecret};
  context.environment.command_line =
      std::string("sluice run x.yaml --set producers.kafka.sasl.password=") + kSecret;
  std::vector<CellResult> cells = {MakeCell(plan, 0, 0), MakeCell(plan, 1, 0)};
  for (auto& c : cells) {
    c.effective_config = {{"sasl.password", kSecret}, {"ssl.keystore.password", kSecret}, {"linger.ms", "5"}};
    ExpectationOutcome e;
    e.column = "dropped";
    e.condition = "0";
    e.passed = false;
    c.expectations = {e};
  }
  ResultsFolder folder((tmp.path() / "results").string(), "secret", "stamp");
  folder.WriteAll(context, cells);
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(folder.path())) {
    ++files;
    const std::string text = ReadFile(e.path());
    EXPECT_EQ(text.find(kSecret), std::string::npos) << e.path();
  }
  EXPECT_GE(files, 5u);
  EXPECT_NE(ReadFile(fs::path(folder.path()) / "report.json").find("[redacted]"), std::string::npos);
  const std::string console = RunReporter<ConsoleReporter>(context, cells);
  EXPECT_EQ(console.find(kSecret), std::string::npos) << console;
  EXPECT_NE(console.find("sasl.password=[redacted]"), std::string::npos) << console;
}

TEST(ResultsFolderTest, SameNameAndStampGetsASuffix) {
  TempDir tmp;
  ResultsFolder a(tmp.path().string(), "basic", "20261122T041638Z");
  ResultsFolder b(tmp.path().string(), "basic", "20261122T041638Z");
  ResultsFolder c(tmp.path().string(), "basic", "20261122T041638Z");
  EXPECT_EQ(fs::path(a.path()).filename(), "basic-20261122T041638Z");
  EXPECT_EQ(fs::path(b.path()).filename(), "basic-20261122T041638Z-2");
  EXPECT_EQ(fs::path(c.path()).filename(), "basic-20261122T041638Z-3");
}

TEST(ResultsFolderTest, WriteFileReplacesAtomically) {
  TempDir tmp;
  ResultsFolder folder(tmp.path().string(), "basic", "stamp");
  folder.WriteFile("a.txt", "first");
  folder.WriteFile("a.txt", "second");
  EXPECT_EQ(ReadFile(fs::path(folder.path()) / "a.txt"), "second");
  EXPECT_FALSE(fs::exists(fs::path(folder.path()) / "a.txt.tmp"));
}

TEST(ResultsFolderTest, UnwritableRootThrowsNamingThePath) {
  TempDir tmp;
  // A regular file where a folder should be: refused even for root.
  const fs::path blocker = tmp.path() / "not-a-folder";
  std::ofstream(blocker) << "x";
  const std::string root = (blocker / "results").string();
  try {
    ResultsFolder folder(root, "basic", "stamp");
    FAIL() << "no ResultsError";
  } catch (const ResultsError& e) {
    EXPECT_NE(std::string(e.what()).find(root), std::string::npos) << e.what();
  }
}

TEST(ResultsFolderTest, WriteFileFailureThrowsAndLeavesNothing) {
  TempDir tmp;
  ResultsFolder folder(tmp.path().string(), "basic", "stamp");
  const fs::path target = fs::path(folder.path()) / "missing" / "report.csv";
  try {
    folder.WriteFile("missing/report.csv", "x");
    FAIL() << "no ResultsError";
  } catch (const ResultsError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(target.string()), std::string::npos) << what;
    EXPECT_NE(what.find("No such file or directory"), std::string::npos) << what;
  }
  // A folder in the way of the rename: the temporary file must be removed.
  fs::create_directories(fs::path(folder.path()) / "taken" / "inside");
  EXPECT_THROW(folder.WriteFile("taken", "x"), ResultsError);
  EXPECT_FALSE(fs::exists(fs::path(folder.path()) / "taken.tmp"));
}

// ---- the status line ----------------------------------------------------------

StatusSnapshot Snapshot() {
  StatusSnapshot s;
  s.cell = 0;
  s.cells = 3;
  s.repetition = 1;
  s.repetitions = 2;
  s.elapsed_s = 12;
  s.total_s = 30;
  s.offered_per_s = 50000;
  s.delivered_per_s = 49800;
  s.depth = 123;
  s.dropped = 0;
  s.p99_ns = 4'200'000;
  return s;
}

constexpr char kStatus[] =
    "[cell 1/3 rep 2/2] 12.0s/30.0s offered 50.0k/s delivered 49.8k/s depth 123 dropped 0 "
    "p99 4.20ms";

TEST(StatusLineTest, TerminalRewritesInPlace) {
  std::ostringstream out;
  StatusLine line(out, /*terminal=*/true);
  line.Update(Snapshot());
  line.Update(Snapshot());
  line.End();
  const std::string once = std::string("\r\033[K") + kStatus;
  EXPECT_EQ(out.str(), once + once + "\r\033[K");
}

TEST(StatusLineTest, ShowsADashWithoutAValueAndNamesTheActiveFaults) {
  std::ostringstream out;
  StatusLine line(out, /*terminal=*/false);
  StatusSnapshot s = Snapshot();
  s.p99_ns = -1;  // nothing delivered in the interval
  s.interval.faults = "rtt 200.00ms";
  line.Update(s);
  EXPECT_NE(out.str().find("p99 - fault rtt 200.00ms"), std::string::npos) << out.str();
}

TEST(StatusLineTest, PlainPrintsOneLinePerUpdate) {
  std::ostringstream out;
  StatusLine line(out, /*terminal=*/false);
  line.Update(Snapshot());
  line.Update(Snapshot());
  line.End();
  EXPECT_EQ(out.str(), std::string(kStatus) + "\n" + kStatus + "\n");
}

// ---- the console --------------------------------------------------------------

TEST(ConsoleReporterTest, HeaderAndAlignedTableWithParametersAndErrors) {
  const ScenarioPlan plan = MakePlan();
  std::vector<CellResult> cells = {MakeCell(plan, 0, 0), MakeCell(plan, 1, 0)};
  cells[1].error = "broker unreachable: localhost:9092";
  cells[1].delivered = 0;  // ledger mismatch
  const std::string text = RunReporter<ConsoleReporter>(MakeContext(plan), cells);

  EXPECT_NE(text.find("backpressure, basic"), std::string::npos) << text;
  EXPECT_NE(text.find("2 cells x 1 repetition"), std::string::npos) << text;
  EXPECT_NE(text.find("embedded (3 brokers"), std::string::npos) << text;
  EXPECT_NE(text.find("embedded broker: acks ignored, no replication"), std::string::npos) << text;
  EXPECT_NE(text.find("broker unreachable: localhost:9092"), std::string::npos) << text;
  EXPECT_NE(text.find("MISMATCH"), std::string::npos) << text;

  // The table: its header line starts with the swept key; the next two lines
  // are the cells, with their parameter values first; all three equally long.
  std::istringstream in(text);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  size_t at = 0;
  while (at < lines.size() && lines[at].rfind(kSweptKey, 0) != 0) ++at;
  ASSERT_LT(at + 2, lines.size()) << text;
  EXPECT_EQ(lines[at + 1].rfind("0 ", 0), 0u) << lines[at + 1];
  EXPECT_EQ(lines[at + 2].rfind("50 ", 0), 0u) << lines[at + 2];
  EXPECT_EQ(lines[at + 1].size(), lines[at].size());
  EXPECT_EQ(lines[at + 2].size(), lines[at].size());
  EXPECT_NE(lines[at + 1].find("4.20ms"), std::string::npos) << lines[at + 1];  // e2e max
  EXPECT_NE(lines[at + 1].find(" OK "), std::string::npos) << lines[at + 1];
  // Columns line up: "ledger" header sits over the OK / MISMATCH cells' ends.
  const size_t ledger_end = lines[at].find("ledger") + std::string("ledger").size();
  EXPECT_EQ(lines[at + 1].find("OK") + 2, ledger_end);
  EXPECT_EQ(lines[at + 2].find("MISMATCH") + 8, ledger_end);
}

TEST(ConsoleReporterTest, BrokerOverrideReplacesTheScenarioBroker) {
  const ScenarioPlan plan = MakePlan();
  ReportContext context = MakeContext(plan);
  context.broker = "kafka-1:9092,kafka-2:9092";
  context.broker_note.clear();
  const std::string text = RunReporter<ConsoleReporter>(context, {});
  EXPECT_NE(text.find("broker: kafka-1:9092,kafka-2:9092"), std::string::npos) << text;
  EXPECT_EQ(text.find("embedded"), std::string::npos) << text;
}

// ---- the environment ----------------------------------------------------------

TEST(DetectEnvironmentTest, FillsWhatItCan) {
  const Environment env = DetectEnvironment("sluice run x.yaml");
  EXPECT_GT(env.cores, 0);
  EXPECT_FALSE(env.git_revision.empty());
  EXPECT_FALSE(env.hostname.empty());
  EXPECT_TRUE(env.librdkafka_version.empty());  // the caller's to fill
  EXPECT_TRUE(std::regex_match(env.started_utc,
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")))
      << env.started_utc;
  EXPECT_EQ(env.command_line, "sluice run x.yaml");
}

}  // namespace

// ---- a replayed trace ------------------------------------------------------------

TEST(ReplayReportTest, JsonAndCsvDescribeTheReplay) {
  ScenarioPlan plan = MakePlan();
  for (Scenario* s : {&plan.base, &plan.cells[0], &plan.cells[1]}) {
    s->source_kind = SourceKind::kReplay;
    s->replay.file = "traces/t.jsonl.gz";
    s->replay.path = "/x/traces/t.jsonl.gz";
    s->replay.time_field = "meta.dt";
    s->replay.type_field = "type";
    s->replay.speed = 0;
    s->replay.loop = 0;
  }
  CellResult cell = MakeCell(plan, 0, 0);
  cell.replayed = true;
  cell.replay.lines = 1003;
  cell.replay.bad_lines = 2;
  cell.replay.out_of_order = 5;
  cell.replay.passes = 3;
  cell.replay.bad_line_examples = {"7: not a JSON object at column 1: not a JSON object",
                                   "9 (pass 2): no time field meta.dt"};
  Json doc = ParseJson(RunReporter<JsonReporter>(MakeContext(plan), {cell}));
  const Json& replay = doc["scenario"]["source"]["replay"];
  EXPECT_EQ(replay["file"].get<std::string>(), "traces/t.jsonl.gz");
  EXPECT_EQ(replay["time"].get<std::string>(), "meta.dt");
  EXPECT_TRUE(replay["key"].is_null());
  EXPECT_EQ(replay["type"].get<std::string>(), "type");
  EXPECT_EQ(replay["speed"].get<std::string>(), "max");
  EXPECT_EQ(replay["loop"].get<std::string>(), "forever");
  EXPECT_FALSE(doc["scenario"]["source"].contains("rate"));
  const Json& stats = doc["cells"][0]["replay"];
  EXPECT_EQ(stats["lines"], 1003);
  EXPECT_EQ(stats["bad_lines"], 2);
  EXPECT_EQ(stats["out_of_order"], 5);
  EXPECT_EQ(stats["passes"], 3);
  EXPECT_EQ(stats["bad_line_examples"][1].get<std::string>(), "9 (pass 2): no time field meta.dt");

  auto rows = ParseCsv(RunReporter<CsvReporter>(MakeContext(plan), {cell}));
  ASSERT_EQ(rows.size(), 2u);
  auto column = [&](const std::string& name) {
    for (size_t i = 0; i < rows[0].size(); ++i) {
      if (rows[0][i] == name) return rows[1][i];
    }
    return std::string("<no column>");
  };
  EXPECT_EQ(column("arrival"), "replay");
  EXPECT_EQ(column("rate"), "");

  std::string console = RunReporter<ConsoleReporter>(MakeContext(plan), {cell});
  EXPECT_NE(console.find("1003 lines, 3 passes completed, 2 bad, 5 out of order"), std::string::npos)
      << console;
  EXPECT_NE(console.find("bad line 9 (pass 2): no time field meta.dt"), std::string::npos) << console;
}

}  // namespace sluice
