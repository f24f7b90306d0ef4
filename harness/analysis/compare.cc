#include "sluice/analysis/compare.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "sluice/core/exit_codes.h"
#include "sluice/core/stop.h"
#include "sluice/analysis/plot.h"
#include "sluice/analysis/statistics.h"
#include "sluice/report/csv.h"
#include "sluice/report/reporter.h"
#include "sluice/report/expression.h"
#include "sluice/report/report_columns.h"
#include "sluice/scenario/scenario.h"
#include "sluice/core/files.h"
#include "sluice/core/text.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// ---- reading --------------------------------------------------------------

std::string ReadWhole(const std::string& path) {
  try {
    return ReadResultsFile(path);
  } catch (const FileError& e) {
    throw CompareError(path + ": " + e.what() + ": give a report.csv or a results folder");
  }
}

bool IsCount(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// ---- values ---------------------------------------------------------------

// A number as written in report.csv; NaN for an empty field ("no value").
double ParseNumber(const std::string& s) {
  if (s.empty()) return kNaN;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || *end != '\0') return kNaN;
  return v;
}

std::vector<double> Present(const std::vector<double>& v) {
  std::vector<double> out;
  for (double x : v) {
    if (!std::isnan(x)) out.push_back(x);
  }
  return out;
}

std::string FormatNumber(double v) {
  if (std::isnan(v)) return "-";
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else if (std::fabs(v) >= 100) {
    std::snprintf(buf, sizeof buf, "%.1f", v);
  } else if (std::fabs(v) >= 1) {
    std::snprintf(buf, sizeof buf, "%.3f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.4g", v);
  }
  return buf;
}

// Change of b against a in percent; +-infinity when a is 0 and b is not.
double Change(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return kNaN;
  if (a == b) return 0;
  if (a == 0) return b > 0 ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
  return (b - a) / std::fabs(a) * 100;
}

// For the CSV: every digit that matters; empty for no value.
std::string Precise(double v) {
  if (std::isnan(v)) return "";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

std::string FormatChange(double c) {
  if (std::isnan(c)) return "-";
  if (std::isinf(c)) return c > 0 ? "+inf%" : "-inf%";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.1f%%", c);
  return buf;
}

std::string FormatP(double p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, p < 0.001 ? "%.1e" : "%.3f", p);
  return buf;
}

// ---- metrics --------------------------------------------------------------

struct Metric {
  std::string name;    // as asked
  std::string column;  // the report column
  ColumnInfo info;
};

// The report column `name` refers to in `header` ("latency.end_to_end.p99"
// is latency.end_to_end.p99_ms; "dropped" exists in reports from before it
// was a column, as dropped_newest + dropped_oldest).
std::string ResolveMetric(const std::string& name, const std::vector<std::string>& header) {
  if (IndexOf(header, name) != std::string::npos) return name;
  if (IndexOf(header, name + "_ms") != std::string::npos) return name + "_ms";
  if (name == "dropped" && IndexOf(header, "dropped_newest") != std::string::npos) return name;
  return "";
}

double MetricValue(const Report& r, const std::vector<std::string>& row, const std::string& column) {
  size_t i = IndexOf(r.header, column);
  if (i != std::string::npos) return ParseNumber(row[i]);
  if (column == "dropped") {
    size_t n = IndexOf(r.header, "dropped_newest"), o = IndexOf(r.header, "dropped_oldest");
    if (n != std::string::npos && o != std::string::npos) return ParseNumber(row[n]) + ParseNumber(row[o]);
  }
  return kNaN;
}

// ---- gates ----------------------------------------------------------------

// The names a gate may use: the baseline's columns, described by the
// registry (columns.h), and the "_ms"-less latency names.
class GateScope : public ExpressionScope {
 public:
  explicit GateScope(const std::vector<std::string>& header) : header_(header) {}
  std::string Resolve(const std::string& name) const override { return ResolveMetric(name, header_); }
  ColumnInfo Info(const std::string& name) const override {
    const std::string column = Resolve(name);
    ColumnInfo info = DescribeColumn(column);
    if (column != name) info.unit_in_name = false;  // an alias lends no unit to bare numbers
    return info;
  }
  std::vector<std::string> Candidates() const override { return header_; }

 private:
  const std::vector<std::string>& header_;
};

// A gate: a relative one ('+10%') is the gate layer's own; an absolute one
// is a condition of the expression language (expression.h), evaluated on
// medians, exactly as `expect:` is on a cell's values.
struct Gate {
  std::string text;
  Metric metric;
  std::string op;
  bool relative = false;
  double threshold = 0;  // relative: percent
  std::shared_ptr<Condition> condition;  // absolute
};

const char* kGateForms =
    " (gates look like 'latency.end_to_end.p99 > +10%', 'delivered_rate < -5%', 'dropped > 0', "
    "'latency.end_to_end.p99 > 250ms')";

Gate ParseGate(const std::string& text, const std::vector<std::string>& header) {
  Gate g;
  g.text = text;
  size_t at = text.find_first_of("<>");
  if (at == std::string::npos) {
    throw CompareError("--fail-if '" + text + "': no comparison (> >= < <=)" + kGateForms);
  }
  g.op = text.substr(at, 1);
  size_t value_at = at + 1;
  if (value_at < text.size() && text[value_at] == '=') {
    g.op += '=';
    ++value_at;
  }
  const std::string name(Trim(text.substr(0, at)));
  std::string value(Trim(text.substr(value_at)));
  g.metric.name = name;
  g.metric.column = ResolveMetric(name, header);
  if (g.metric.column.empty()) {
    throw CompareError("--fail-if '" + text + "': '" + name + "' is not a column of the baseline report" +
                       DidYouMean(name, header));
  }
  g.metric.info = DescribeColumn(g.metric.column);
  if (g.metric.info.type != ColumnType::kNumber) {
    throw CompareError("--fail-if '" + text + "': " + name + " holds text, not a number");
  }
  if (value.empty()) throw CompareError("--fail-if '" + text + "': no value after '" + g.op + "'" + kGateForms);
  if (value.back() == '%') {
    g.relative = true;
    std::string number(Trim(value.substr(0, value.size() - 1)));
    double sign = 1;
    if (!number.empty() && (number[0] == '+' || number[0] == '-')) {
      sign = number[0] == '-' ? -1 : 1;
      number = number.substr(1);
    }
    auto q = ParseQuantity(number);
    if (!q || !(q->dim == Dimension{})) {
      throw CompareError("--fail-if '" + text + "': '" + value + "' is not a percentage" + kGateForms);
    }
    g.threshold = sign * q->value;
    return g;
  }
  try {
    g.condition = std::make_shared<Condition>(CompileCondition(name, g.op + " " + value, GateScope(header)));
  } catch (const ExpressionError& e) {
    throw CompareError("--fail-if '" + text + "': " + e.what() + kGateForms);
  }
  return g;
}

// ---- lining up ------------------------------------------------------------

// A swept value in a form that compares "1000ms" with "1s" and "0" with "0.0".
std::string Normalize(const std::string& value) {
  if (auto q = ParseQuantity(value)) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "%.15g|%d|%d", q->value, q->dim.time, q->dim.bytes);
    return buf;
  }
  return value;
}

struct Line {
  std::vector<std::string> shown;              // the swept values, as the first report wrote them
  std::vector<std::vector<size_t>> rows;       // per report: its rows for this line
};

std::string Describe(const std::vector<std::string>& keys, const std::vector<std::string>& values) {
  std::string out;
  for (size_t i = 0; i < keys.size(); ++i) out += (out.empty() ? "" : " ") + keys[i] + "=" + values[i];
  return out.empty() ? "(the single cell)" : out;
}

// ---- the table ------------------------------------------------------------

void PrintTable(std::ostream& out, const std::vector<std::vector<std::string>>& rows, size_t left_columns) {
  if (rows.empty()) return;
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      if (c > 0) line += "  ";
      const std::string pad(width[c] - row[c].size(), ' ');
      // Names left, numbers right, verdicts left.
      const bool left = c < left_columns || row[c].find_first_of("abcdefghijklmnopqrstuvwxyz") == 0;
      line += left ? row[c] + pad : pad + row[c];
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n";
  }
}

}  // namespace

// ---- reading reports ------------------------------------------------------

namespace {

// The scenario of report.json as "a.b.c" -> value: scalars as text, the
// kafka properties under their own dotted names
// ("producers.kafka.linger.ms").
void Flatten(const nlohmann::json& j, const std::string& prefix, std::map<std::string, std::string>* out) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      Flatten(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), out);
    }
  } else if (j.is_string()) {
    (*out)[prefix] = j.get<std::string>();
  } else if (j.is_number_integer() || j.is_number_unsigned()) {
    (*out)[prefix] = j.dump();
  } else if (j.is_number() || j.is_boolean()) {
    (*out)[prefix] = j.dump();
  }
}

// Reads report.json beside a report.csv: whether it is partial, its cell
// count, each cell's effective configuration and the scenario's values.
void ReadJson(const fs::path& json, Report* r, size_t* cells) {
  nlohmann::json root;
  try {
    std::ifstream in(json, std::ios::binary);
    if (!in) throw CompareError(json.string() + ": cannot read it");
    root = nlohmann::json::parse(in);
    if (!root.is_object() || !root.contains("cells") || !root["cells"].is_array()) {
      throw CompareError(json.string() + ": damaged or truncated (not the JSON sluice writes)");
    }
  } catch (const nlohmann::json::exception&) {
    throw CompareError(json.string() + ": damaged or truncated (not the JSON sluice writes)");
  }
  *cells = root["cells"].size();
  if (root.value("partial", false)) {
    r->partial = true;
    const auto& reason = root["partial_reason"];
    r->partial_reason = reason.is_string() ? reason.get<std::string>() : "partial";
  }
  if (root.contains("scenario") && root["scenario"].is_object()) Flatten(root["scenario"], "", &r->scenario_values);
  if (root.contains("scenario")) r->scenario_json = root["scenario"].dump();
  if (root.contains("overrides") && root["overrides"].is_array()) {
    for (const auto& o : root["overrides"]) {
      if (o.is_string()) r->overrides.push_back(o.get<std::string>());
    }
  }
  if (root.contains("environment") && root["environment"].is_object()) {
    const auto& revision = root["environment"]["git_revision"];
    if (revision.is_string()) r->revision = revision.get<std::string>();
  }
  for (const auto& cell : root["cells"]) {
    if (!cell.is_object()) continue;
    const std::string id = std::to_string(cell.value("cell", -1)) + "-" + std::to_string(cell.value("repetition", -1));
    std::map<std::string, std::string>& config = r->cell_config[id];
    if (cell.contains("effective_config") && cell["effective_config"].is_object()) {
      for (auto it = cell["effective_config"].begin(); it != cell["effective_config"].end(); ++it) {
        if (it.value().is_string()) config[it.key()] = it.value().get<std::string>();
      }
    }
  }
}

}  // namespace

Report ReadReport(const std::string& input, const std::string& label, bool allow_partial) {
  Report r;
  r.label = label;
  std::error_code ec;
  if (!fs::exists(input, ec)) throw CompareError(input + ": no such file or folder");
  fs::path csv = input;
  if (fs::is_directory(input, ec)) {
    csv = fs::path(input) / "report.csv";
    if (!fs::exists(csv, ec)) {
      throw CompareError(input + ": no report.csv in this folder: not a sluice results folder (or a run still in progress)");
    }
  }
  r.path = csv.string();
  const std::string text = ReadWhole(r.path);
  if (text.empty()) throw CompareError(r.path + ": empty: not a sluice report");
  std::vector<std::vector<std::string>> rows;
  try {
    rows = ParseCsv(text, r.path);
  } catch (const CsvError& e) {
    throw CompareError(e.what());
  }
  r.header = rows.front();
  static const char* kRequired[] = {"scenario", "cell", "repetition", "ledger_ok", "error"};
  std::vector<std::string> missing;
  for (const char* column : kRequired) {
    if (IndexOf(r.header, column) == std::string::npos) missing.push_back(column);
  }
  if (!missing.empty()) {
    std::string first = text.substr(0, std::min<size_t>(text.find('\n'), 60));
    throw CompareError(r.path + ": not a sluice report: its header lacks " + Join(missing, ", ") +
                       " (it begins '" + first + "')");
  }
  const size_t error_at = IndexOf(r.header, "error");
  r.swept_keys.assign(r.header.begin() + static_cast<long>(error_at) + 1, r.header.end());
  const size_t cell_at = IndexOf(r.header, "cell"), rep_at = IndexOf(r.header, "repetition");
  for (size_t i = 1; i < rows.size(); ++i) {
    if (rows[i].size() != r.header.size()) {
      throw CompareError(r.path + ": truncated or damaged: row " + std::to_string(i + 1) + " has " +
                         std::to_string(rows[i].size()) + " fields, the header " +
                         std::to_string(r.header.size()));
    }
    if (!IsCount(rows[i][cell_at]) || !IsCount(rows[i][rep_at])) {
      throw CompareError(r.path + ": row " + std::to_string(i + 1) +
                         ": cell and repetition must be counts: not a sluice report");
    }
    r.rows.push_back(std::move(rows[i]));
  }
  if (r.rows.empty()) throw CompareError(r.path + ": holds no cells (only a header)");
  r.scenario = r.rows.front()[IndexOf(r.header, "scenario")];
  if (size_t broker_at = IndexOf(r.header, "broker"); broker_at != std::string::npos) {
    std::vector<std::string> brokers;
    for (const auto& row : r.rows) {
      if (std::find(brokers.begin(), brokers.end(), row[broker_at]) == brokers.end()) brokers.push_back(row[broker_at]);
    }
    r.broker = Join(brokers, ", ");
  }

  // report.json is written with the same cells: a CSV with fewer rows was
  // cut. A missing report.json (the disk filled up, the run was killed
  // before it started) or a partial one (interrupted, a cell failed) is
  // refused unless --allow-partial.
  const fs::path json = csv.parent_path() / "report.json";
  if (!fs::exists(json, ec)) {
    if (!allow_partial) {
      throw CompareError(r.path + ": no report.json beside it: the run did not finish writing its "
                         "report (use --allow-partial to compare it anyway, never gated)");
    }
    r.partial = true;
    r.partial_reason = "no report.json";
    return r;
  }
  size_t cells = 0;
  ReadJson(json, &r, &cells);
  if (r.partial) {
    if (!allow_partial) {
      throw CompareError(json.string() + ": a partial report (" + r.partial_reason +
                         "); use --allow-partial to compare it anyway, never gated");
    }
    return r;
  }
  if (cells != r.rows.size()) {
    throw CompareError(r.path + ": truncated: it has " + std::to_string(r.rows.size()) +
                       " rows, report.json beside it " + std::to_string(cells) + " cells");
  }
  return r;
}

std::vector<std::string> RunDifferences(const std::vector<Report>& reports) {
  std::vector<std::string> items;
  if (reports.size() < 2) return items;
  // One item: "name (a vs b)" when the values differ; with more than two
  // reports each value is named by its report ("A: x; B: y").
  auto differ = [&](const std::string& name, auto value) {
    std::vector<std::string> values;
    for (const Report& r : reports) values.push_back(value(r));
    if (std::all_of(values.begin(), values.end(), [&](const std::string& v) { return v == values[0]; })) return;
    std::vector<std::string> shown;
    for (size_t i = 0; i < reports.size(); ++i) {
      shown.push_back(reports.size() == 2 ? values[i] : reports[i].label + ": " + values[i]);
    }
    items.push_back(name + " (" + Join(shown, reports.size() == 2 ? " vs " : "; ") + ")");
  };
  differ("revision", [](const Report& r) { return r.revision.empty() ? std::string("unknown") : r.revision; });
  differ("overrides", [](const Report& r) {
    return r.overrides.empty() ? std::string("none") : Join(r.overrides, " ");
  });
  // The scenario as run: compared whole; the item names the fields that
  // differ (the overrides show up here too, as what they changed).
  bool scenario_differs = false;
  for (const Report& r : reports) scenario_differs = scenario_differs || r.scenario_json != reports[0].scenario_json;
  if (scenario_differs) {
    std::set<std::string> fields;
    for (const Report& r : reports) {
      for (const auto& [key, value] : r.scenario_values) {
        for (const Report& other : reports) {
          auto it = other.scenario_values.find(key);
          if (it == other.scenario_values.end() || it->second != value) fields.insert(key);
        }
      }
    }
    std::vector<std::string> named(fields.begin(), fields.end());
    if (named.size() > 6) {
      named.resize(6);
      named.push_back("...");
    }
    items.push_back("scenario (" + (named.empty() ? std::string("its structure") : Join(named, ", ")) + ")");
  }
  differ("broker", [](const Report& r) { return r.broker.empty() ? std::string("unknown") : r.broker; });
  return items;
}

// ---- statistics -----------------------------------------------------------

double SmallestPossibleP(size_t n1, size_t n2) {
  // C(n1 + n2, n1), in doubles: large enough for any repetition count.
  double combinations = 1;
  for (size_t i = 1; i <= n1; ++i) combinations = combinations * static_cast<double>(n2 + i) / i;
  return std::min(1.0, 2.0 / combinations);
}

UTest MannWhitneyU(const std::vector<double>& a, const std::vector<double>& b, double alpha,
                   bool exact_allowed) {
  UTest t;
  const size_t n1 = a.size(), n2 = b.size();
  if (n1 == 0 || n2 == 0 || SmallestPossibleP(n1, n2) > alpha) return t;
  t.possible = true;
  // Ranks of the pooled values, ties sharing their mean rank.
  std::vector<std::pair<double, int>> pooled;
  for (double x : a) pooled.push_back({x, 0});
  for (double x : b) pooled.push_back({x, 1});
  std::sort(pooled.begin(), pooled.end());
  const size_t n = pooled.size();
  double rank_sum_a = 0, tie_term = 0;
  bool ties = false;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && pooled[j].first == pooled[i].first) ++j;
    const double mean_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;
    const double count = static_cast<double>(j - i);
    if (j - i > 1) ties = true;
    tie_term += count * count * count - count;
    for (size_t k = i; k < j; ++k) {
      if (pooled[k].second == 0) rank_sum_a += mean_rank;
    }
    i = j;
  }
  const double dn1 = static_cast<double>(n1), dn2 = static_cast<double>(n2);
  t.u = rank_sum_a - dn1 * (dn1 + 1) / 2;
  if (exact_allowed && !ties && n1 <= 50 && n2 <= 50) {
    // Exact: the number of orderings giving each U, by the recurrence
    // f(m, k, u) = f(m - 1, k, u - k) + f(m, k - 1, u).
    const size_t max_u = n1 * n2;
    std::vector<std::vector<double>> f(n2 + 1, std::vector<double>(max_u + 1, 0));
    // f[k][u] for m = 0: one ordering with U = 0.
    for (size_t k = 0; k <= n2; ++k) f[k][0] = 1;
    for (size_t m = 1; m <= n1; ++m) {
      std::vector<std::vector<double>> g(n2 + 1, std::vector<double>(max_u + 1, 0));
      g[0][0] = 1;
      for (size_t k = 1; k <= n2; ++k) {
        for (size_t u = 0; u <= m * k; ++u) {
          g[k][u] = (u >= k ? f[k][u - k] : 0) + g[k - 1][u];
        }
      }
      f.swap(g);
    }
    double total = 0, below = 0, above = 0;
    const auto u_obs = static_cast<size_t>(std::llround(t.u));
    for (size_t u = 0; u <= max_u; ++u) {
      total += f[n2][u];
      if (u <= u_obs) below += f[n2][u];
      if (u >= u_obs) above += f[n2][u];
    }
    t.exact = true;
    t.p = std::min(1.0, 2 * std::min(below, above) / total);
    return t;
  }
  // Normal approximation with tie and continuity correction.
  const double mean = dn1 * dn2 / 2;
  const double nn = static_cast<double>(n);
  const double variance = dn1 * dn2 / 12 * ((nn + 1) - tie_term / (nn * (nn - 1)));
  if (variance <= 0) {
    t.p = 1;  // every value equal
    return t;
  }
  const double z = std::max(0.0, std::fabs(t.u - mean) - 0.5) / std::sqrt(variance);
  t.p = std::min(1.0, std::erfc(z / std::sqrt(2.0)));
  return t;
}

// ---- the command ----------------------------------------------------------

namespace {

// A cell's value of a --by key: its report.csv column (a swept key, or a
// registry column such as when_full), else its effective librdkafka
// configuration ("producers.kafka.X" looks up X), else the scenario's field
// of that dotted name in report.json. nullopt when none has it.
std::optional<std::string> ByValue(const Report& r, size_t row, const std::string& key) {
  if (size_t i = IndexOf(r.header, key); i != std::string::npos) return r.rows[row][i];
  const std::string id = r.rows[row][IndexOf(r.header, "cell")] + "-" + r.rows[row][IndexOf(r.header, "repetition")];
  static const std::string kKafka = "producers.kafka.";
  if (key.rfind(kKafka, 0) == 0) {
    if (auto cell = r.cell_config.find(id); cell != r.cell_config.end()) {
      // librdkafka dumps a property under its canonical name: a scenario's
      // usual aliases are looked up under it too, so that every report
      // answers in the same words (acks=all is request.required.acks=-1).
      static const std::map<std::string, std::string> kCanonical = {
          {"linger.ms", "queue.buffering.max.ms"},
          {"acks", "request.required.acks"},
          {"compression.type", "compression.codec"},
          {"retries", "message.send.max.retries"},
          {"max.in.flight", "max.in.flight.requests.per.connection"},
          {"bootstrap.servers", "metadata.broker.list"}};
      const std::string name = key.substr(kKafka.size());
      if (auto it = cell->second.find(name); it != cell->second.end()) return it->second;
      if (auto alias = kCanonical.find(name); alias != kCanonical.end()) {
        if (auto it = cell->second.find(alias->second); it != cell->second.end()) return it->second;
      }
    }
  }
  if (auto it = r.scenario_values.find(key); it != r.scenario_values.end()) return it->second;
  return std::nullopt;
}

// A line's name on a bar: its values by short key, "all" without keys.
std::string BarLine(const std::vector<std::string>& keys, const std::vector<std::string>& shown) {
  std::vector<std::string> parts;
  for (size_t i = 0; i < keys.size() && i < shown.size(); ++i) {
    parts.push_back(ShortKey(keys[i], keys) + "=" + shown[i]);
  }
  return parts.empty() ? std::string("all") : Join(parts, " ");
}

// The end_to_end curves of every report, read the way `sluice plot` reads a
// folder: one per report and combination of swept values (its first
// repetition: repetitions would crowd the chart). A report plot cannot read
// (partial, no .hgrm files) only adds a note.
std::vector<CompareCurve> CompareCurves(const std::vector<Report>& reports, std::vector<std::string>* notes) {
  std::vector<CompareCurve> curves;
  for (size_t ri = 0; ri < reports.size(); ++ri) {
    const Report& r = reports[ri];
    PlotRun run;
    try {
      run = ReadPlotRun(fs::path(r.path).parent_path().string());
    } catch (const PlotError& e) {
      notes->push_back(r.label + ": no latency curves (" + e.what() + ")");
      continue;
    }
    std::set<std::vector<std::pair<std::string, std::string>>> seen;
    for (const PlotCell& cell : run.cells) {
      if (!seen.insert(cell.parameters).second) continue;
      for (const LatencyCurve& curve : cell.curves) {
        if (curve.kind != "end_to_end") continue;
        std::vector<std::string> parts;
        for (const auto& [key, value] : cell.parameters) parts.push_back(ShortKey(key, run.swept_keys) + "=" + value);
        curves.push_back({r.label + ": " + (parts.empty() ? r.scenario : Join(parts, " ")),
                          static_cast<int>(ri), curve.points});
      }
    }
  }
  return curves;
}

}  // namespace

const std::vector<std::string>& DefaultCompareMetrics() {
  static const std::vector<std::string> metrics = {"delivered_rate", "dropped", "latency.end_to_end.p50_ms",
                                                   "latency.end_to_end.p99_ms", "max_depth"};
  return metrics;
}

int CompareCommand(const std::vector<std::string>& inputs, const CompareOptions& options,
                   std::ostream& out, std::ostream& err) {
  std::vector<Report> reports;
  std::vector<Metric> metrics;
  std::vector<Gate> gates;
  std::vector<Line> lines;
  std::vector<std::string> notes;
  // The keys cells line up by: --by, else the baseline's swept keys.
  std::vector<std::string> keys = options.by;
  try {
    if (inputs.size() < 2) throw CompareError("compare needs at least two reports (the first is the baseline)");
    if (inputs.size() > 26) throw CompareError("compare takes at most 26 reports");
    if (!(options.alpha > 0 && options.alpha < 1)) throw CompareError("--alpha must lie between 0 and 1");
    for (size_t i = 0; i < inputs.size(); ++i) {
      reports.push_back(ReadReport(inputs[i], std::string(1, static_cast<char>('A' + i)), options.allow_partial));
    }
    const Report& base = reports.front();
    if (keys.empty()) keys = base.swept_keys;

    // The same swept keys, in any order (unless --by names the keys).
    std::set<std::string> base_keys(base.swept_keys.begin(), base.swept_keys.end());
    for (const Report& r : reports) {
      if (options.by.empty() && std::set<std::string>(r.swept_keys.begin(), r.swept_keys.end()) != base_keys) {
        throw CompareError("cannot line up " + base.label + " and " + r.label + ": " + base.label + " sweeps [" +
                           Join(base.swept_keys, ", ") + "], " + r.label + " sweeps [" +
                           Join(r.swept_keys, ", ") + "]");
      }
    }
    std::set<std::string> scenarios;
    for (const Report& r : reports) scenarios.insert(r.scenario);
    if (scenarios.size() > 1) {
      notes.push_back("the reports come from different scenarios (" +
                      Join(std::vector<std::string>(scenarios.begin(), scenarios.end()), ", ") +
                      "): cells are lined up by their swept values only");
    }

    // --by: each key must have a value somewhere.
    for (const auto& k : options.by) {
      bool found = false;
      for (const Report& r : reports) {
        for (size_t row = 0; row < r.rows.size() && !found; ++row) found = ByValue(r, row, k).has_value();
      }
      if (!found) {
        throw CompareError("--by " + k + ": no report has a value for it (not a column of report.csv, "
                           "not in a cell's effective_config, not a field of the scenario)");
      }
    }
    // Lines: every combination of the keys' values, in the order first seen.
    std::map<std::vector<std::string>, size_t> line_of;
    for (size_t ri = 0; ri < reports.size(); ++ri) {
      const Report& r = reports[ri];
      for (size_t row = 0; row < r.rows.size(); ++row) {
        std::vector<std::string> key, shown;
        for (const auto& k : keys) {
          const std::string v = ByValue(r, row, k).value_or("(none)");
          key.push_back(Normalize(v));
          shown.push_back(v);
        }
        auto [it, fresh] = line_of.emplace(key, lines.size());
        if (fresh) {
          lines.push_back({shown, std::vector<std::vector<size_t>>(reports.size())});
        }
        lines[it->second].rows[ri].push_back(row);
      }
    }
    // Keep the lines the baseline and at least one other report have.
    std::vector<Line> common;
    for (const Line& l : lines) {
      size_t with = 0;
      for (size_t ri = 1; ri < reports.size(); ++ri) with += l.rows[ri].empty() ? 0 : 1;
      if (!l.rows[0].empty() && with > 0) {
        common.push_back(l);
        for (size_t ri = 1; ri < reports.size(); ++ri) {
          if (l.rows[ri].empty()) {
            notes.push_back(reports[ri].label + " has no cell " + Describe(keys, l.shown));
          }
        }
      } else {
        std::string holders;
        for (size_t ri = 0; ri < reports.size(); ++ri) {
          if (!l.rows[ri].empty()) holders += reports[ri].label;
        }
        notes.push_back("only " + holders + " has the cell " + Describe(keys, l.shown) +
                        ": left out");
      }
    }
    if (common.empty()) {
      throw CompareError("no cell lines up: the baseline and the other reports have no combination of " +
                         (keys.empty() ? std::string("cells") : Join(keys, ", ")) +
                         " in common");
    }
    lines = std::move(common);

    std::vector<std::string> names = options.metrics;
    if (names.empty()) {
      names = DefaultCompareMetrics();
      // Reports of verified runs: the produce-to-consume latency too.
      const std::string consume = "latency.consume.p99_ms";
      const auto at = std::find(base.header.begin(), base.header.end(), consume);
      if (at != base.header.end()) {
        const auto col = static_cast<size_t>(at - base.header.begin());
        for (const auto& row : base.rows) {
          if (col < row.size() && !row[col].empty()) {
            names.push_back(consume);
            break;
          }
        }
      }
    }
    for (const auto& name : names) {
      Metric m;
      m.name = name;
      m.column = ResolveMetric(name, base.header);
      if (m.column.empty()) {
        throw CompareError("--metrics: '" + name + "' is not a column of " + base.path +
                           DidYouMean(name, base.header));
      }
      m.info = DescribeColumn(m.column);
      if (m.info.type != ColumnType::kNumber) {
        throw CompareError("--metrics: '" + name + "' holds text, not a number");
      }
      metrics.push_back(m);
    }
    for (const auto& text : options.fail_if) gates.push_back(ParseGate(text, base.header));
  } catch (const CompareError& e) {
    err << "sluice: error: " << e.what() << "\n";
    return kExitUsage;
  }

  // ---- the comparison table
  out << "sluice compare\n";
  for (const Report& r : reports) {
    out << "  " << r.label << ": " << r.path << " (" << r.scenario << ", " << r.rows.size()
        << (r.rows.size() == 1 ? " row" : " rows") << ")" << (r.label == "A" ? "  baseline" : "")
        << (r.partial ? "  PARTIAL (" + r.partial_reason + "): no gate is checked on it" : "") << "\n";
  }
  const std::vector<std::string> differences = RunDifferences(reports);
  out << "  the runs differ in: "
      << (differences.empty() ? std::string("nothing recorded (revision, overrides, scenario, broker alike)")
                              : Join(differences, ", "))
      << "\n";
  for (const auto& n : notes) out << "  note: " << n << "\n";
  out << "  values are medians over repetitions; '*' marks the best; change against A; U test at alpha "
      << options.alpha << "\n\n";

  std::vector<std::string> header = keys;
  header.push_back("metric");
  for (size_t ri = 0; ri < reports.size(); ++ri) {
    header.push_back(reports[ri].label);
    if (ri > 0) {
      header.push_back(reports[ri].label + " change");
      header.push_back(reports[ri].label + " vs A");
    }
  }
  std::vector<std::string> csv_header = keys;
  csv_header.push_back("metric");
  for (size_t ri = 0; ri < reports.size(); ++ri) {
    const std::string& l = reports[ri].label;
    for (const char* f : {".median", ".repetitions"}) csv_header.push_back(l + f);
    if (ri > 0) {
      for (const char* f : {".change_pct", ".p_value", ".verdict"}) csv_header.push_back(l + f);
    }
  }
  csv_header.push_back("best");

  std::vector<std::vector<std::string>> table = {header};
  std::vector<std::vector<std::string>> csv = {csv_header};
  std::vector<std::vector<std::string>> tripped;
  std::vector<std::string> held_notes;
  // The bars of --plot: the table's own numbers, recorded as it is built.
  std::vector<CompareBar> bars;

  for (const Line& line : lines) {
    bool first = true;
    // Samples per report and metric, reused by the gates.
    for (const Metric& m : metrics) {
      std::vector<std::vector<double>> samples(reports.size());
      std::vector<double> medians(reports.size(), kNaN);
      for (size_t ri = 0; ri < reports.size(); ++ri) {
        for (size_t row : line.rows[ri]) samples[ri].push_back(MetricValue(reports[ri], reports[ri].rows[row], m.column));
        medians[ri] = Median(samples[ri]);
      }
      // The best median, when the metric has a better direction.
      double best = kNaN;
      size_t with_values = 0;
      for (double v : medians) {
        if (std::isnan(v)) continue;
        ++with_values;
        if (std::isnan(best) || (m.info.better == Better::kHigher ? v > best : v < best)) best = v;
      }
      const bool mark = m.info.better != Better::kNeither && with_values >= 2;
      std::vector<std::string> row = first ? line.shown : std::vector<std::string>(line.shown.size(), "");
      std::vector<std::string> csv_row = line.shown;
      row.push_back(m.name);
      csv_row.push_back(m.name);
      std::string best_labels;
      for (size_t ri = 0; ri < reports.size(); ++ri) {
        const bool is_best = mark && !std::isnan(medians[ri]) && medians[ri] == best;
        if (is_best) best_labels += reports[ri].label;
        row.push_back(FormatNumber(medians[ri]) + (is_best ? "*" : (mark ? " " : "")));
        csv_row.push_back(Precise(medians[ri]));
        csv_row.push_back(std::to_string(Present(samples[ri]).size()));
        if (ri == 0) continue;
        const double change = Change(medians[0], medians[ri]);
        const std::vector<double> a = Present(samples[0]), b = Present(samples[ri]);
        const UTest t = MannWhitneyU(a, b, options.alpha);
        std::string verdict, verdict_class;
        if (line.rows[ri].empty()) {
          verdict = "no such cell";
        } else if (!t.possible) {
          verdict_class = "too few repetitions";
          verdict = verdict_class + " (" + std::to_string(a.size()) + " vs " + std::to_string(b.size()) + ")";
        } else if (t.p < options.alpha) {
          verdict_class = "significant";
          verdict = verdict_class + " (p=" + FormatP(t.p) + ")";
        } else {
          verdict_class = "not significant";
          verdict = verdict_class + " (p=" + FormatP(t.p) + ")";
        }
        if (!line.rows[ri].empty()) {
          bars.push_back({m.name, reports[ri].label, BarLine(keys, line.shown), change, verdict, verdict_class});
        }
        row.push_back(line.rows[ri].empty() ? "-" : FormatChange(change));
        row.push_back(verdict);
        csv_row.push_back(std::isinf(change) ? (change > 0 ? "inf" : "-inf") : Precise(change));
        csv_row.push_back(t.possible ? Precise(t.p) : "");
        csv_row.push_back(verdict);

        // Gates on this metric.
        for (const Gate& g : gates) {
          if (g.metric.column != m.column || line.rows[ri].empty()) continue;
          if (reports[ri].partial || reports[0].partial) continue;  // never gated: marked above
          std::string why;
          bool trips = false;
          if (std::isnan(medians[ri])) {
            trips = true;
            why = "no value";
          } else if (g.relative) {
            if (std::isnan(medians[0])) continue;  // no baseline value: no change to judge
            trips = HoldsComparison(g.op, change, g.threshold);
            if (trips && t.possible && t.p >= options.alpha) {
              trips = false;
              held_notes.push_back(g.text + " for " + reports[ri].label + " at " +
                                   Describe(keys, line.shown) + ": changed " +
                                   FormatChange(change) + " but not significantly (p=" + FormatP(t.p) + ")");
            }
            why = verdict;
          } else {
            // The condition, on this line's medians (canonical units).
            ExpressionValues values;
            values.number = [&](const std::string& column) -> std::optional<double> {
              std::vector<double> v;
              for (size_t at : line.rows[ri]) v.push_back(MetricValue(reports[ri], reports[ri].rows[at], column));
              const double median = Median(v);
              if (std::isnan(median)) return std::nullopt;
              return median * DescribeColumn(column).scale;
            };
            values.text = [](const std::string&) { return std::string(); };
            trips = EvaluateCondition(*g.condition, values).passed;  // the gate trips when it holds
            why = verdict;
          }
          if (trips) {
            std::vector<std::string> tr = line.shown;
            tr.insert(tr.end(), {g.text, reports[ri].label, FormatNumber(medians[0]), FormatNumber(medians[ri]),
                                 FormatChange(change), why});
            tripped.push_back(tr);
          }
        }
      }
      csv_row.push_back(best_labels);
      table.push_back(row);
      csv.push_back(csv_row);
      first = false;
    }
  }
  PrintTable(out, table, keys.size() + 1);

  if (!options.plot_path.empty()) {
    ComparePage page;
    for (const Report& r : reports) page.reports.push_back(r.label + ": " + r.path + " (" + r.scenario + ")");
    page.differences = differences;
    page.keys = keys;
    for (const Metric& m : metrics) page.metrics.push_back(m.name);
    page.notes = notes;
    page.bars = std::move(bars);
    page.curves = CompareCurves(reports, &page.notes);
    const std::string html = RenderCompareHtml(page);
    try {
      WriteFileAtomically(options.plot_path, html);
    } catch (const FileError& e) {
      err << "sluice: error: " << e.what() << "\n";
      return kExitResultsUnwritable;
    }
    out << "\npage written to " << options.plot_path << "\n";
  }

  if (!options.csv_path.empty()) {
    std::ostringstream text;
    for (const auto& row : csv) text << CsvLine(row);
    try {
      WriteFileAtomically(options.csv_path, text.str());
    } catch (const FileError& e) {
      err << "sluice: error: " << e.what() << "\n";
      return kExitResultsUnwritable;
    }
    out << "\ntable written to " << options.csv_path << "\n";
  }

  if (!gates.empty()) {
    for (const auto& n : held_notes) out << "\n  gate held: " << n;
    if (!held_notes.empty()) out << "\n";
    if (tripped.empty()) {
      out << "\ngates: " << gates.size() << " checked, none tripped\n";
      return kExitOk;
    }
    out << "\ngates tripped (" << tripped.size() << "):\n";
    std::vector<std::string> th = keys;
    th.insert(th.end(), {"gate", "report", "A", "value", "change", "verdict"});
    std::vector<std::vector<std::string>> t = {th};
    t.insert(t.end(), tripped.begin(), tripped.end());
    PrintTable(out, t, keys.size() + 2);
    err << "sluice: " << tripped.size() << (tripped.size() == 1 ? " gate" : " gates")
        << " tripped; exit code " << kExitGateTripped << "\n";
    return kExitGateTripped;
  }
  return kExitOk;
}

}  // namespace sluice
