#include "sluice/analysis/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "plot_assets.h"
#include "sluice/analysis/compare.h"
#include "sluice/analysis/statistics.h"
#include "sluice/report/report_columns.h"
#include "sluice/report/reporter.h"
#include "sluice/core/files.h"
#include "sluice/core/text.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The latency kinds in the order the page shows them; a kind not listed
// (a later version's) follows, alphabetically.
constexpr const char* kKindOrder[] = {"end_to_end", "queue_wait", "worker", "kafka", "consume"};

// The table's columns, where report.csv has them ("drop_share" is derived).
constexpr const char* kTableColumns[] = {
    "generated", "delivered", "dropped", "drop_share", "failed", "offered_rate", "delivered_rate",
    "latency.end_to_end.p50_ms", "latency.end_to_end.p99_ms", "latency.end_to_end.p999_ms",
    "latency.end_to_end.max_ms", "latency.queue_wait.p99_ms", "latency.kafka.p99_ms",
    "max_depth", "backpressure", "wire.bytes_per_event", "ledger_ok"};

std::optional<double> ToNumber(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// A metric's value in one row: a column, or dropped/generated.
std::optional<double> MetricValue(const std::vector<std::string>& header,
                                  const std::vector<std::string>& row, const std::string& metric) {
  if (metric == "drop_share") {
    const size_t d = IndexOf(header, "dropped"), g = IndexOf(header, "generated");
    if (d == std::string::npos || g == std::string::npos) return std::nullopt;
    auto dropped = ToNumber(row[d]), generated = ToNumber(row[g]);
    if (!dropped || !generated || *generated <= 0) return std::nullopt;
    return *dropped / *generated;
  }
  const size_t i = IndexOf(header, metric);
  if (i == std::string::npos) return std::nullopt;
  return ToNumber(row[i]);
}

bool HasMetric(const std::vector<std::string>& header, const std::string& metric) {
  if (metric == "drop_share") {
    return IndexOf(header, "dropped") != std::string::npos &&
           IndexOf(header, "generated") != std::string::npos;
  }
  return IndexOf(header, metric) != std::string::npos;
}

// A file of the results folder, or "" when it cannot be read (the chart it
// feeds is then left out).
std::string ReadWhole(const fs::path& path) {
  try {
    return ReadResultsFile(path.string());
  } catch (const FileError&) {
    return "";
  }
}

// The values of `column` in `rows`, each once, in their order.
std::string DistinctValues(const std::vector<std::string>& header,
                           const std::vector<std::vector<std::string>>& rows,
                           const std::string& column) {
  const size_t i = IndexOf(header, column);
  if (i == std::string::npos) return "";
  std::vector<std::string> seen;
  for (const auto& row : rows) {
    if (!row[i].empty() && std::find(seen.begin(), seen.end(), row[i]) == seen.end()) {
      seen.push_back(row[i]);
    }
  }
  return Join(seen, ", ");
}

// The one place that knows report.json's layout: the fields of the page's
// header. Every field is optional; a key that moves only empties one line.
void ReadRunInfo(const json& report, RunInfo* info) {
  auto text = [](const json& object, std::initializer_list<const char*> path) -> std::string {
    const json* at = &object;
    for (const char* key : path) {
      if (!at->is_object() || !at->contains(key)) return "";
      at = &(*at)[key];
    }
    return at->is_string() ? at->get<std::string>() : at->is_number() ? at->dump() : "";
  };
  info->scenario = text(report, {"scenario", "name"});
  info->description = text(report, {"scenario", "description"});
  info->revision = text(report, {"environment", "git_revision"});
  info->started = text(report, {"environment", "started_utc"});
  info->command_line = text(report, {"environment", "command_line"});
  info->broker_note = text(report, {"broker_note"});
}

bool KindBefore(const std::string& a, const std::string& b) {
  auto rank = [](const std::string& k) {
    for (size_t i = 0; i < std::size(kKindOrder); ++i) {
      if (k == kKindOrder[i]) return static_cast<int>(i);
    }
    return static_cast<int>(std::size(kKindOrder));
  };
  const int ra = rank(a), rb = rank(b);
  return ra != rb ? ra < rb : a < b;
}

json PointsJson(const std::vector<PercentilePoint>& points) {
  json out = json::array();
  for (const auto& p : points) {
    out.push_back({{"p", p.percentile}, {"x", p.inverse}, {"y", p.value_ms}});
  }
  return out;
}

json MetricJson(const PlotMetric& m) {
  return {{"name", m.name}, {"title", m.title}, {"unit", m.unit}, {"better", m.better}};
}

json CellJson(const PlotCell& c) {
  json cell = {{"cell", c.cell}, {"repetition", c.repetition}, {"label", c.label}, {"error", c.error}};
  json parameters = json::object(), figures = json::object(), curves = json::array();
  for (const auto& [key, value] : c.parameters) parameters[key] = value;
  for (const auto& [column, value] : c.figures) figures[column] = value;
  for (const auto& curve : c.curves) {
    curves.push_back({{"kind", curve.kind}, {"points", PointsJson(curve.points)}});
  }
  cell["parameters"] = parameters;
  cell["figures"] = figures;
  cell["curves"] = curves;
  return cell;
}

json SweepJson(const SweepChart& s, const std::vector<std::string>& swept_keys) {
  json lines = json::array();
  for (const SweepLine& l : s.lines) {
    json points = json::array();
    for (const SweepPoint& p : l.points) {
      points.push_back({{"x", p.x}, {"median", p.median}, {"min", p.min}, {"max", p.max}, {"n", p.repetitions}});
    }
    lines.push_back({{"label", l.label}, {"points", points}});
  }
  return {{"metric", MetricJson(s.metric)},
          {"key", s.key},
          {"short_key", ShortKey(s.key, swept_keys)},
          {"x", s.x},
          {"lines", lines},
          {"best_line", s.best_line},
          {"best_point", s.best_point}};
}

}  // namespace

std::vector<PercentilePoint> ParseHgrm(std::string_view text, const std::string& name) {
  std::vector<PercentilePoint> points;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::vector<std::string> f;
    for (std::string word; fields >> word;) f.push_back(word);
    // Value Percentile TotalCount 1/(1-Percentile); the 100% row has only
    // three fields, the header row words.
    if (f.size() != 4) continue;
    auto value = ToNumber(f[0]), percentile = ToNumber(f[1]), inverse = ToNumber(f[3]);
    if (!value || !percentile || !inverse || *percentile < 0 || *percentile >= 1) continue;
    points.push_back({*percentile, *inverse, *value});
  }
  if (points.empty()) throw PlotError(name + ": no percentile rows: not an .hgrm file");
  return points;
}

const std::vector<PlotMetric>& PlotMetrics() {
  static const std::vector<PlotMetric> metrics = [] {
    std::vector<PlotMetric> m = {
        {"delivered_rate", "Delivered rate", "events/s", 0},
        {"latency.end_to_end.p99_ms", "End-to-end latency p99", "ms", 0},
        {"drop_share", "Drop share (dropped / generated)", "", -1},  // fewer drops are better
        {"wire.bytes_per_event", "Bytes on the wire per event", "B", 0}};
    // The direction of a report column is defined once, in report_columns.
    for (PlotMetric& metric : m) {
      if (metric.name == "drop_share") continue;
      const Better b = DescribeColumn(metric.name).better;
      metric.better = b == Better::kHigher ? 1 : b == Better::kLower ? -1 : 0;
    }
    return m;
  }();
  return metrics;
}

std::string ShortKey(const std::string& key, const std::vector<std::string>& keys) {
  auto tail = [](const std::string& k, int parts) {
    size_t at = k.size();
    for (int i = 0; i < parts; ++i) {
      at = k.rfind('.', at == 0 ? 0 : at - 1);
      if (at == std::string::npos) return k;
    }
    return k.substr(at + 1);
  };
  // Two parts read best for librdkafka's dotted names (linger.ms); one more
  // when two keys would read the same.
  for (int parts = 2; parts < 8; ++parts) {
    const std::string mine = tail(key, parts);
    bool unique = true;
    for (const auto& other : keys) unique = unique && (other == key || tail(other, parts) != mine);
    if (unique) return mine;
  }
  return key;
}

namespace {

// The values of each sweep line (the combinations of the swept keys but
// key_index, in the order they appear) at each x: every repetition's value.
struct SweepValues {
  std::vector<std::string> lines;
  std::map<std::string, std::map<std::string, std::vector<double>>> at;  // line -> x -> values
};

SweepValues CollectSweep(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                         const std::vector<std::string>& swept_keys, const std::vector<size_t>& key_at,
                         size_t key_index, const std::string& metric) {
  SweepValues values;
  for (const auto& row : rows) {
    std::vector<std::string> parts;
    for (size_t o = 0; o < swept_keys.size(); ++o) {
      if (o != key_index) parts.push_back(ShortKey(swept_keys[o], swept_keys) + "=" + row[key_at[o]]);
    }
    const std::string line = parts.empty() ? metric : Join(parts, " ");
    if (std::find(values.lines.begin(), values.lines.end(), line) == values.lines.end()) {
      values.lines.push_back(line);
    }
    if (auto v = MetricValue(header, row, metric)) values.at[line][row[key_at[key_index]]].push_back(*v);
  }
  return values;
}

SweepPoint PointOf(const std::string& x, const std::vector<double>& v) {
  SweepPoint p;
  p.x = x;
  p.median = Median(v);
  p.min = *std::min_element(v.begin(), v.end());
  p.max = *std::max_element(v.begin(), v.end());
  p.repetitions = static_cast<int>(v.size());
  return p;
}

// The chart's lines from `values`, and its best point by the metric's
// direction; none is best when every point is the same (no drops anywhere).
void DrawLines(SweepValues& values, SweepChart* chart) {
  double best = 0;
  const int better = chart->metric.better;
  for (const auto& line_key : values.lines) {
    SweepLine line;
    line.label = line_key;
    for (const auto& x : chart->x) {
      auto it = values.at[line_key].find(x);
      if (it == values.at[line_key].end() || it->second.empty()) continue;
      const SweepPoint p = PointOf(x, it->second);
      const bool is_better = better > 0 ? p.median > best : p.median < best;
      if (better != 0 && (chart->best_line < 0 || is_better)) {
        best = p.median;
        chart->best_line = static_cast<int>(chart->lines.size());
        chart->best_point = static_cast<int>(line.points.size());
      }
      line.points.push_back(p);
    }
    chart->lines.push_back(std::move(line));
  }
  bool all_equal = true;
  for (const auto& line : chart->lines) {
    for (const auto& p : line.points) all_equal = all_equal && p.median == best;
  }
  if (all_equal) chart->best_line = chart->best_point = -1;
}

// The columns of the swept keys; every row must be as wide as the header.
std::vector<size_t> SweptColumns(const std::vector<std::string>& header,
                                 const std::vector<std::vector<std::string>>& rows,
                                 const std::vector<std::string>& swept_keys, const std::string& name) {
  std::vector<size_t> key_at;
  for (const auto& key : swept_keys) {
    const size_t i = IndexOf(header, key);
    if (i == std::string::npos) throw PlotError(name + ": no column for the swept key " + key);
    key_at.push_back(i);
  }
  for (const auto& row : rows) {
    if (row.size() != header.size()) throw PlotError(name + ": a row does not match the header");
  }
  return key_at;
}

}  // namespace

std::vector<SweepChart> BuildSweepCharts(const std::vector<std::string>& header,
                                         const std::vector<std::vector<std::string>>& rows,
                                         const std::vector<std::string>& swept_keys,
                                         const std::string& name) {
  const std::vector<size_t> key_at = SweptColumns(header, rows, swept_keys, name);
  std::vector<SweepChart> charts;
  for (size_t k = 0; k < swept_keys.size(); ++k) {
    std::vector<std::string> xs;
    for (const auto& row : rows) {
      if (std::find(xs.begin(), xs.end(), row[key_at[k]]) == xs.end()) xs.push_back(row[key_at[k]]);
    }
    if (xs.size() < 2) continue;  // a key with one value is no axis
    for (const PlotMetric& metric : PlotMetrics()) {
      if (!HasMetric(header, metric.name)) continue;
      SweepChart chart;
      chart.metric = metric;
      chart.key = swept_keys[k];
      chart.x = xs;
      SweepValues values = CollectSweep(header, rows, swept_keys, key_at, k, metric.name);
      DrawLines(values, &chart);
      charts.push_back(std::move(chart));
    }
  }
  return charts;
}

namespace {

// Checks that `input` is a results folder and reads its report (a partial
// one is refused).
Report ReadPlotReport(const std::string& input) {
  std::error_code ec;
  if (!fs::exists(input, ec)) throw PlotError(input + ": no such folder");
  if (!fs::is_directory(input, ec)) {
    throw PlotError(input + ": not a folder: give a results folder (it holds report.csv)");
  }
  if (!fs::exists(fs::path(input) / "report.csv", ec)) {
    throw PlotError(input +
                    ": no report.csv in this folder: not a sluice results folder (or a run "
                    "still in progress)");
  }
  try {
    return ReadReport(input, "A");
  } catch (const CompareError& e) {
    throw PlotError(e.what());
  }
}

// The .hgrm files of a folder, <cell>-<repetition>.<kind>.hgrm, by
// "<cell>-<repetition>": each kind and its file.
using HgrmFiles = std::map<std::string, std::vector<std::pair<std::string, fs::path>>>;

HgrmFiles FindHgrmFiles(const std::string& folder) {
  HgrmFiles hgrm;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    if (entry.path().extension() != ".hgrm") continue;
    const std::string stem = entry.path().stem().string();  // 0-0.end_to_end
    const size_t dot = stem.find('.');
    if (dot == std::string::npos) continue;
    hgrm[stem.substr(0, dot)].push_back({stem.substr(dot + 1), entry.path()});
  }
  return hgrm;
}

// The table's figures of one row, as written ("drop_share" computed).
std::vector<std::pair<std::string, std::string>> Figures(const std::vector<std::string>& header,
                                                         const std::vector<std::string>& row) {
  std::vector<std::pair<std::string, std::string>> figures;
  for (const char* column : kTableColumns) {
    if (!HasMetric(header, column)) continue;
    if (std::string(column) == "drop_share") {
      auto v = MetricValue(header, row, column);
      std::ostringstream share;
      if (v) share << *v;
      figures.push_back({column, share.str()});
    } else {
      figures.push_back({column, row[IndexOf(header, column)]});
    }
  }
  return figures;
}

// The curves of one cell, in kind order; adds each kind drawn to `kinds`.
std::vector<LatencyCurve> Curves(std::vector<std::pair<std::string, fs::path>> files, std::set<std::string>* kinds) {
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return KindBefore(a.first, b.first); });
  std::vector<LatencyCurve> curves;
  for (const auto& [kind, path] : files) {
    const std::string text = ReadWhole(path);
    try {
      curves.push_back({kind, ParseHgrm(text, path.string())});
      kinds->insert(kind);
    } catch (const PlotError&) {
      // An empty histogram (nothing delivered) writes no rows: no curve.
    }
  }
  return curves;
}

PlotCell CellOf(const Report& report, const std::vector<std::string>& row, bool repeated) {
  const auto& header = report.header;
  const size_t cell_at = IndexOf(header, "cell"), rep_at = IndexOf(header, "repetition");
  PlotCell cell;
  cell.cell = std::atoi(row[cell_at].c_str());
  cell.repetition = std::atoi(row[rep_at].c_str());
  std::vector<std::string> label;
  for (const auto& key : report.swept_keys) {
    const std::string& value = row[IndexOf(header, key)];
    cell.parameters.push_back({key, value});
    label.push_back(ShortKey(key, report.swept_keys) + "=" + value);
  }
  cell.label = label.empty() ? report.scenario : Join(label, " ");
  if (repeated) cell.label += " rep " + row[rep_at];
  cell.figures = Figures(header, row);
  cell.error = row[IndexOf(header, "error")];
  return cell;
}

// The page's header: report.json's fields when it can be read, and the
// broker and librdkafka versions of report.csv.
RunInfo ReadInfo(const std::string& folder, const Report& report) {
  RunInfo info;
  info.scenario = report.scenario;
  std::error_code ec;
  const fs::path json_path = fs::path(folder) / "report.json";
  if (fs::exists(json_path, ec)) {
    const json parsed = json::parse(ReadWhole(json_path), nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_discarded()) ReadRunInfo(parsed, &info);
  }
  if (info.scenario.empty()) info.scenario = report.scenario;
  info.broker = DistinctValues(report.header, report.rows, "broker");
  info.kafka_version = DistinctValues(report.header, report.rows, "kafka_version");
  return info;
}

}  // namespace

PlotRun ReadPlotRun(const std::string& input) {
  const Report report = ReadPlotReport(input);
  PlotRun run;
  run.folder = input;
  run.swept_keys = report.swept_keys;
  const size_t rep_at = IndexOf(report.header, "repetition");
  bool repeated = false;
  for (const auto& row : report.rows) repeated = repeated || row[rep_at] != report.rows[0][rep_at];
  HgrmFiles hgrm = FindHgrmFiles(input);
  std::set<std::string> kinds;
  for (const auto& row : report.rows) {
    PlotCell cell = CellOf(report, row, repeated);
    cell.curves = Curves(hgrm[row[IndexOf(report.header, "cell")] + "-" + row[rep_at]], &kinds);
    run.cells.push_back(std::move(cell));
  }
  run.latency_kinds.assign(kinds.begin(), kinds.end());
  std::sort(run.latency_kinds.begin(), run.latency_kinds.end(), KindBefore);
  run.sweeps = BuildSweepCharts(report.header, report.rows, run.swept_keys, report.path);
  run.info = ReadInfo(input, report);
  return run;
}

std::string PlotDataJson(const PlotRun& run) {
  json data;
  data["folder"] = run.folder;
  const RunInfo& i = run.info;
  data["info"] = {{"scenario", i.scenario},       {"description", i.description},
                  {"broker", i.broker},           {"kafka_version", i.kafka_version},
                  {"revision", i.revision},       {"started", i.started},
                  {"broker_note", i.broker_note}, {"command_line", i.command_line}};
  data["swept_keys"] = run.swept_keys;
  json short_keys = json::array();
  for (const auto& key : run.swept_keys) short_keys.push_back(ShortKey(key, run.swept_keys));
  data["short_keys"] = short_keys;
  data["latency_kinds"] = run.latency_kinds;
  json columns = json::array();
  for (const char* column : kTableColumns) columns.push_back(column);
  data["table_columns"] = columns;
  json cells = json::array();
  for (const PlotCell& c : run.cells) cells.push_back(CellJson(c));
  data["cells"] = cells;
  json sweeps = json::array();
  for (const SweepChart& s : run.sweeps) sweeps.push_back(SweepJson(s, run.swept_keys));
  data["sweeps"] = sweeps;
  json metrics = json::array();
  for (const auto& m : PlotMetrics()) metrics.push_back(MetricJson(m));
  data["metrics"] = metrics;
  return data.dump(-1, ' ', false, json::error_handler_t::replace);
}

namespace {

// The page of `sluice plot` and of `sluice compare --plot`: the same CSS,
// Chart.js and script (which tells the two by data.kind), the same escaping.
std::string RenderPage(const std::string& page_title, const std::string& json_data) {
  // Inside a <script> element only "</" can end it early: JSON allows
  // "\u003c" for '<' anywhere a '<' can be (in strings).
  std::string data;
  for (char c : json_data) {
    if (c == '<') {
      data += "\\u003c";
    } else {
      data += c;
    }
  }
  std::string title;
  for (char c : page_title) {
    switch (c) {
      case '<': title += "&lt;"; break;
      case '>': title += "&gt;"; break;
      case '&': title += "&amp;"; break;
      default: title += c;
    }
  }
  std::string page;
  page.reserve(kChartJsSize + kPlotPageJsSize + data.size() + 4096);
  page +=
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      // Every request is refused: the page is whole without the network,
      // and a test can tell that it tried none.
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>";
  page += title;
  page += "</title>\n<style>\n";
  page.append(reinterpret_cast<const char*>(kPlotPageCss), kPlotPageCssSize);
  page +=
      "</style>\n</head>\n<body data-sluice-status=\"loading\">\n"
      "<div id=\"sluice-root\"></div>\n<pre id=\"sluice-errors\"></pre>\n"
      // First, so that an error in any later script is seen.
      "<script>\n"
      "window.onerror = function (message, source, line) {\n"
      "  document.body.setAttribute('data-sluice-status', 'error');\n"
      "  document.getElementById('sluice-errors').textContent +=\n"
      "      'script error: ' + message + ' (line ' + line + ')\\n';\n"
      "};\n"
      "document.addEventListener('securitypolicyviolation', function (e) {\n"
      "  document.body.setAttribute('data-sluice-status', 'error');\n"
      "  document.body.setAttribute('data-sluice-blocked', e.blockedURI || e.violatedDirective);\n"
      "  document.getElementById('sluice-errors').textContent +=\n"
      "      'blocked request: ' + (e.blockedURI || e.violatedDirective) + '\\n';\n"
      "});\n"
      "</script>\n<script>\n";
  page.append(reinterpret_cast<const char*>(kChartJs), kChartJsSize);
  page += "\n</script>\n<script type=\"application/json\" id=\"sluice-data\">";
  page += data;
  page += "</script>\n<script>\n";
  page.append(reinterpret_cast<const char*>(kPlotPageJs), kPlotPageJsSize);
  page += "\n</script>\n</body>\n</html>\n";
  return page;
}

}  // namespace

std::string RenderPlotHtml(const PlotRun& run) {
  return RenderPage("sluice: " + run.info.scenario, PlotDataJson(run));
}

std::string CompareDataJson(const ComparePage& page) {
  json data;
  data["kind"] = "compare";
  data["folder"] = "";
  data["info"] = {{"scenario", "compare"}};
  data["swept_keys"] = page.keys;
  data["reports"] = page.reports;
  data["differences"] = page.differences;
  data["metrics"] = page.metrics;
  data["notes"] = page.notes;
  json curves = json::array();
  for (const CompareCurve& c : page.curves) {
    curves.push_back({{"label", c.label}, {"report", c.report}, {"points", PointsJson(c.points)}});
  }
  data["curves"] = curves;
  json bars = json::array();
  for (const CompareBar& b : page.bars) {
    json change = std::isfinite(b.change_pct) ? json(b.change_pct) : json(nullptr);
    bars.push_back({{"metric", b.metric},
                    {"report", b.report},
                    {"line", b.line},
                    {"change_pct", change},
                    {"verdict", b.verdict},
                    {"class", b.verdict_class}});
  }
  data["bars"] = bars;
  return data.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string RenderCompareHtml(const ComparePage& page) {
  return RenderPage("sluice compare", CompareDataJson(page));
}

std::string PlotPagePath(const std::string& folder, const std::string& output_dir, size_t folder_count) {
  if (output_dir.empty()) return (fs::path(folder) / "report.html").string();
  if (folder_count == 1) return (fs::path(output_dir) / "report.html").string();
  fs::path name = fs::path(folder).lexically_normal().filename();
  if (name.empty()) name = fs::path(folder).lexically_normal().parent_path().filename();
  return (fs::path(output_dir) / name / "report.html").string();
}

void WritePlotPage(const PlotRun& run, const std::string& path) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  try {
    WriteFileAtomically(path, RenderPlotHtml(run));
  } catch (const FileError& e) {
    throw PlotError(e.what(), PlotError::Kind::kUnwritable);
  }
}

}  // namespace sluice
