#include "sluice/analysis/compare.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>

#include "sluice/analysis/plot.h"
#include "sluice/analysis/statistics.h"
#include "sluice/core/files.h"
#include "sluice/core/text.h"
#include "sluice/report/csv.h"
#include "sluice/report/expression.h"
#include "sluice/report/report_columns.h"
#include "sluice/scenario/scenario.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

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

// A median in the console table: whole numbers without decimals, then
// fewer decimals the larger the value; "-" for no value.
std::string TableValue(double v) {
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

// The metrics' names: --metrics, else the default set, with the
// produce-to-consume latency when the baseline is of a verified run.
std::vector<std::string> MetricNames(const std::vector<std::string>& asked, const Report& base) {
  if (!asked.empty()) return asked;
  std::vector<std::string> names = DefaultCompareMetrics();
  const std::string consume = "latency.consume.p99_ms";
  const size_t col = IndexOf(base.header, consume);
  if (col == std::string::npos) return names;
  for (const auto& row : base.rows) {
    if (col < row.size() && !row[col].empty()) {
      names.push_back(consume);
      break;
    }
  }
  return names;
}

std::vector<Metric> ResolveMetrics(const std::vector<std::string>& names, const Report& base) {
  std::vector<Metric> metrics;
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
  return metrics;
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

// The signed percentage of a relative gate's `value` ("+10%", "-5 %").
double ParsePercentage(const std::string& text, const std::string& value) {
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
  return sign * q->value;
}

// The metric a gate names, a number column of the baseline.
Metric GateMetric(const std::string& text, const std::string& name, const std::vector<std::string>& header) {
  Metric m;
  m.name = name;
  m.column = ResolveMetric(name, header);
  if (m.column.empty()) {
    throw CompareError("--fail-if '" + text + "': '" + name + "' is not a column of the baseline report" +
                       DidYouMean(name, header));
  }
  m.info = DescribeColumn(m.column);
  if (m.info.type != ColumnType::kNumber) {
    throw CompareError("--fail-if '" + text + "': " + name + " holds text, not a number");
  }
  return m;
}

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
  const std::string value(Trim(text.substr(value_at)));
  g.metric = GateMetric(text, name, header);
  if (value.empty()) throw CompareError("--fail-if '" + text + "': no value after '" + g.op + "'" + kGateForms);
  if (value.back() == '%') {
    g.relative = true;
    g.threshold = ParsePercentage(text, value);
    return g;
  }
  try {
    g.condition = std::make_shared<Condition>(CompileCondition(name, g.op + " " + value, GateScope(header)));
  } catch (const ExpressionError& e) {
    throw CompareError("--fail-if '" + text + "': " + e.what() + kGateForms);
  }
  return g;
}

// The values of an absolute gate's condition: each column's median over
// `rows` of `r`, in canonical units.
ExpressionValues MedianValues(const Report& r, const std::vector<size_t>& rows) {
  ExpressionValues values;
  values.number = [&r, &rows](const std::string& column) -> std::optional<double> {
    std::vector<double> v;
    for (size_t at : rows) v.push_back(MetricValue(r, r.rows[at], column));
    const double median = Median(v);
    if (std::isnan(median)) return std::nullopt;
    return median * DescribeColumn(column).scale;
  };
  values.text = [](const std::string&) { return std::string(); };
  return values;
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

std::vector<Report> ReadReports(const std::vector<std::string>& inputs, const CompareOptions& options) {
  if (inputs.size() < 2) throw CompareError("compare needs at least two reports (the first is the baseline)");
  if (inputs.size() > 26) throw CompareError("compare takes at most 26 reports");
  if (!(options.alpha > 0 && options.alpha < 1)) throw CompareError("--alpha must lie between 0 and 1");
  std::vector<Report> reports;
  for (size_t i = 0; i < inputs.size(); ++i) {
    reports.push_back(ReadReport(inputs[i], std::string(1, static_cast<char>('A' + i)), options.allow_partial));
  }
  return reports;
}

// Without --by, the reports must sweep the same keys, in any order.
void CheckSameSweeps(const std::vector<Report>& reports) {
  const Report& base = reports.front();
  const std::set<std::string> base_keys(base.swept_keys.begin(), base.swept_keys.end());
  for (const Report& r : reports) {
    if (std::set<std::string>(r.swept_keys.begin(), r.swept_keys.end()) != base_keys) {
      throw CompareError("cannot line up " + base.label + " and " + r.label + ": " + base.label + " sweeps [" +
                         Join(base.swept_keys, ", ") + "], " + r.label + " sweeps [" +
                         Join(r.swept_keys, ", ") + "]");
    }
  }
}

void NoteScenarios(const std::vector<Report>& reports, std::vector<std::string>* notes) {
  std::set<std::string> scenarios;
  for (const Report& r : reports) scenarios.insert(r.scenario);
  if (scenarios.size() > 1) {
    notes->push_back("the reports come from different scenarios (" +
                     Join(std::vector<std::string>(scenarios.begin(), scenarios.end()), ", ") +
                     "): cells are lined up by their swept values only");
  }
}

// Each --by key must have a value in some cell of some report.
void CheckByKeys(const std::vector<Report>& reports, const std::vector<std::string>& by) {
  for (const auto& k : by) {
    bool found = false;
    for (const Report& r : reports) {
      for (size_t row = 0; row < r.rows.size() && !found; ++row) found = ByValue(r, row, k).has_value();
    }
    if (!found) {
      throw CompareError("--by " + k + ": no report has a value for it (not a column of report.csv, "
                         "not in a cell's effective_config, not a field of the scenario)");
    }
  }
}

// Every combination of the keys' values, in the order first seen.
std::vector<Line> GroupLines(const std::vector<Report>& reports, const std::vector<std::string>& keys) {
  std::vector<Line> lines;
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
      if (fresh) lines.push_back({shown, std::vector<std::vector<size_t>>(reports.size())});
      lines[it->second].rows[ri].push_back(row);
    }
  }
  return lines;
}

// The lines the baseline and at least one other report have; a note for
// each cell left out or missing. Refused when no line is left.
std::vector<Line> CommonLines(const std::vector<Report>& reports, const std::vector<std::string>& keys,
                              std::vector<std::string>* notes) {
  std::vector<Line> common;
  for (const Line& l : GroupLines(reports, keys)) {
    size_t with = 0;
    for (size_t ri = 1; ri < reports.size(); ++ri) with += l.rows[ri].empty() ? 0 : 1;
    if (!l.rows[0].empty() && with > 0) {
      common.push_back(l);
      for (size_t ri = 1; ri < reports.size(); ++ri) {
        if (l.rows[ri].empty()) notes->push_back(reports[ri].label + " has no cell " + Describe(keys, l.shown));
      }
    } else {
      std::string holders;
      for (size_t ri = 0; ri < reports.size(); ++ri) {
        if (!l.rows[ri].empty()) holders += reports[ri].label;
      }
      notes->push_back("only " + holders + " has the cell " + Describe(keys, l.shown) + ": left out");
    }
  }
  if (common.empty()) {
    throw CompareError("no cell lines up: the baseline and the other reports have no combination of " +
                       (keys.empty() ? std::string("cells") : Join(keys, ", ")) + " in common");
  }
  return common;
}

// ---- the table ------------------------------------------------------------

// The rows as aligned text: names left, numbers right, verdicts left.
std::string TableText(const std::vector<std::vector<std::string>>& rows, size_t left_columns) {
  if (rows.empty()) return "";
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  std::string text;
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      if (c > 0) line += "  ";
      const std::string pad(width[c] - row[c].size(), ' ');
      const bool left = c < left_columns || row[c].find_first_of("abcdefghijklmnopqrstuvwxyz") == 0;
      line += left ? row[c] + pad : pad + row[c];
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    text += line + "\n";
  }
  return text;
}

std::vector<std::string> TableHeader(const std::vector<std::string>& keys, const std::vector<Report>& reports) {
  std::vector<std::string> header = keys;
  header.push_back("metric");
  for (size_t ri = 0; ri < reports.size(); ++ri) {
    header.push_back(reports[ri].label);
    if (ri > 0) {
      header.push_back(reports[ri].label + " change");
      header.push_back(reports[ri].label + " vs A");
    }
  }
  return header;
}

std::vector<std::string> CsvHeader(const std::vector<std::string>& keys, const std::vector<Report>& reports) {
  std::vector<std::string> header = keys;
  header.push_back("metric");
  for (size_t ri = 0; ri < reports.size(); ++ri) {
    const std::string& l = reports[ri].label;
    for (const char* f : {".median", ".repetitions"}) header.push_back(l + f);
    if (ri > 0) {
      for (const char* f : {".change_pct", ".p_value", ".verdict"}) header.push_back(l + f);
    }
  }
  header.push_back("best");
  return header;
}

// A line's name on a bar: its values by short key, "all" without keys.
std::string BarLine(const std::vector<std::string>& keys, const std::vector<std::string>& shown) {
  std::vector<std::string> parts;
  for (size_t i = 0; i < keys.size() && i < shown.size(); ++i) {
    parts.push_back(ShortKey(keys[i], keys) + "=" + shown[i]);
  }
  return parts.empty() ? std::string("all") : Join(parts, " ");
}

// One metric on one line: each report's values and their median.
struct Samples {
  std::vector<std::vector<double>> values;  // per report, NaN for no value
  std::vector<double> medians;
};

Samples SampleLine(const std::vector<Report>& reports, const Line& line, const std::string& column) {
  Samples s;
  s.values.resize(reports.size());
  for (size_t ri = 0; ri < reports.size(); ++ri) {
    for (size_t row : line.rows[ri]) s.values[ri].push_back(MetricValue(reports[ri], reports[ri].rows[row], column));
    s.medians.push_back(Median(s.values[ri]));
  }
  return s;
}

// The best median by the metric's direction; marked only when the metric
// has one and at least two reports have a value.
struct Best {
  double value = kNaN;
  bool mark = false;
};

Best FindBest(const std::vector<double>& medians, Better better) {
  Best best;
  size_t with_values = 0;
  for (double v : medians) {
    if (std::isnan(v)) continue;
    ++with_values;
    if (std::isnan(best.value) || (better == Better::kHigher ? v > best.value : v < best.value)) best.value = v;
  }
  best.mark = better != Better::kNeither && with_values >= 2;
  return best;
}

// The U test of a report's values against the baseline's, as the table says it.
struct Verdict {
  UTest test;
  std::string text;    // "significant (p=0.029)", "no such cell", ...
  std::string klass;   // "significant", "not significant", "too few repetitions"; "" without a cell
};

Verdict Judge(const std::vector<double>& a, const std::vector<double>& b, bool has_cell, double alpha) {
  Verdict v;
  v.test = MannWhitneyU(a, b, alpha);
  if (!has_cell) {
    v.text = "no such cell";
  } else if (!v.test.possible) {
    v.klass = "too few repetitions";
    v.text = v.klass + " (" + std::to_string(a.size()) + " vs " + std::to_string(b.size()) + ")";
  } else {
    v.klass = v.test.p < alpha ? "significant" : "not significant";
    v.text = v.klass + " (p=" + FormatP(v.test.p) + ")";
  }
  return v;
}

// Builds the table, the CSV, the bars and the gates' outcome line by line
// into a Comparison whose reports and keys are already set.
class TableBuilder {
 public:
  TableBuilder(const std::vector<Metric>& metrics, const std::vector<Gate>& gates, Comparison* out)
      : metrics_(metrics), gates_(gates), out_(*out), reports_(out->reports), keys_(out->keys) {
    out_.table = {TableHeader(keys_, reports_)};
    out_.csv = {CsvHeader(keys_, reports_)};
  }

  void AddLine(const Line& line) {
    bool first = true;
    for (const Metric& m : metrics_) {
      AddMetric(line, m, first);
      first = false;
    }
  }

 private:
  // One row: the metric's median in every report, and for each but the
  // baseline its change and verdict.
  void AddMetric(const Line& line, const Metric& m, bool first) {
    const Samples s = SampleLine(reports_, line, m.column);
    const Best best = FindBest(s.medians, m.info.better);
    std::vector<std::string> row = first ? line.shown : std::vector<std::string>(line.shown.size(), "");
    std::vector<std::string> csv_row = line.shown;
    row.push_back(m.name);
    csv_row.push_back(m.name);
    std::string best_labels;
    for (size_t ri = 0; ri < reports_.size(); ++ri) {
      const bool is_best = best.mark && !std::isnan(s.medians[ri]) && s.medians[ri] == best.value;
      if (is_best) best_labels += reports_[ri].label;
      row.push_back(TableValue(s.medians[ri]) + (is_best ? "*" : (best.mark ? " " : "")));
      csv_row.push_back(Precise(s.medians[ri]));
      csv_row.push_back(std::to_string(Present(s.values[ri]).size()));
      if (ri > 0) AddChange(line, m, s, ri, &row, &csv_row);
    }
    csv_row.push_back(best_labels);
    out_.table.push_back(row);
    out_.csv.push_back(csv_row);
  }

  void AddChange(const Line& line, const Metric& m, const Samples& s, size_t ri, std::vector<std::string>* row,
                 std::vector<std::string>* csv_row) {
    const double change = Change(s.medians[0], s.medians[ri]);
    const bool has_cell = !line.rows[ri].empty();
    const Verdict v = Judge(Present(s.values[0]), Present(s.values[ri]), has_cell, out_.alpha);
    if (has_cell) {
      out_.bars.push_back({m.name, reports_[ri].label, BarLine(keys_, line.shown), change, v.text, v.klass});
    }
    row->push_back(has_cell ? FormatChange(change) : "-");
    row->push_back(v.text);
    csv_row->push_back(std::isinf(change) ? (change > 0 ? "inf" : "-inf") : Precise(change));
    csv_row->push_back(v.test.possible ? Precise(v.test.p) : "");
    csv_row->push_back(v.text);
    for (const Gate& g : gates_) CheckGate(g, line, m, s, ri, change, v);
  }

  // A gate on this metric, for report `ri` on this line: a tripped one adds
  // a row to out_.tripped; a relative one that trips on a change the U test
  // finds not significant holds, with a note.
  void CheckGate(const Gate& g, const Line& line, const Metric& m, const Samples& s, size_t ri, double change,
                 const Verdict& v) {
    if (g.metric.column != m.column || line.rows[ri].empty()) return;
    if (reports_[ri].partial || reports_[0].partial) return;  // never gated: marked in the heading
    std::string why = v.text;
    bool trips = false;
    if (std::isnan(s.medians[ri])) {
      trips = true;
      why = "no value";
    } else if (g.relative) {
      if (std::isnan(s.medians[0])) return;  // no baseline value: no change to judge
      trips = HoldsComparison(g.op, change, g.threshold);
      if (trips && v.test.possible && v.test.p >= out_.alpha) {
        trips = false;
        out_.held.push_back(g.text + " for " + reports_[ri].label + " at " + Describe(keys_, line.shown) +
                            ": changed " + FormatChange(change) + " but not significantly (p=" +
                            FormatP(v.test.p) + ")");
      }
    } else {
      // The gate trips when its condition holds on this line's medians.
      trips = EvaluateCondition(*g.condition, MedianValues(reports_[ri], line.rows[ri])).passed;
    }
    if (!trips) return;
    std::vector<std::string> tripped = line.shown;
    tripped.insert(tripped.end(), {g.text, reports_[ri].label, TableValue(s.medians[0]),
                                   TableValue(s.medians[ri]), FormatChange(change), why});
    out_.tripped.push_back(tripped);
  }

  const std::vector<Metric>& metrics_;
  const std::vector<Gate>& gates_;
  Comparison& out_;
  const std::vector<Report>& reports_;
  const std::vector<std::string>& keys_;
};

// ---- the page -------------------------------------------------------------

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

void WriteOrThrow(const std::string& path, const std::string& content) {
  try {
    WriteFileAtomically(path, content);
  } catch (const FileError& e) {
    throw CompareError(e.what(), CompareError::Kind::kUnwritable);
  }
}

}  // namespace

const std::vector<std::string>& DefaultCompareMetrics() {
  static const std::vector<std::string> metrics = {"delivered_rate", "dropped", "latency.end_to_end.p50_ms",
                                                   "latency.end_to_end.p99_ms", "max_depth"};
  return metrics;
}

Comparison CompareReports(const std::vector<std::string>& inputs, const CompareOptions& options) {
  Comparison c;
  c.alpha = options.alpha;
  c.reports = ReadReports(inputs, options);
  const Report& base = c.reports.front();
  c.keys = options.by.empty() ? base.swept_keys : options.by;
  if (options.by.empty()) CheckSameSweeps(c.reports);
  NoteScenarios(c.reports, &c.notes);
  CheckByKeys(c.reports, options.by);
  const std::vector<Line> lines = CommonLines(c.reports, c.keys, &c.notes);
  const std::vector<Metric> metrics = ResolveMetrics(MetricNames(options.metrics, base), base);
  std::vector<Gate> gates;
  for (const auto& text : options.fail_if) gates.push_back(ParseGate(text, base.header));
  for (const Metric& m : metrics) c.metrics.push_back(m.name);
  c.differences = RunDifferences(c.reports);
  c.gates = gates.size();
  TableBuilder table(metrics, gates, &c);
  for (const Line& line : lines) table.AddLine(line);
  return c;
}

std::string ComparisonText(const Comparison& c) {
  std::ostringstream out;
  out << "sluice compare\n";
  for (const Report& r : c.reports) {
    out << "  " << r.label << ": " << r.path << " (" << r.scenario << ", " << r.rows.size()
        << (r.rows.size() == 1 ? " row" : " rows") << ")" << (r.label == "A" ? "  baseline" : "")
        << (r.partial ? "  PARTIAL (" + r.partial_reason + "): no gate is checked on it" : "") << "\n";
  }
  out << "  the runs differ in: "
      << (c.differences.empty() ? std::string("nothing recorded (revision, overrides, scenario, broker alike)")
                                : Join(c.differences, ", "))
      << "\n";
  for (const auto& n : c.notes) out << "  note: " << n << "\n";
  out << "  values are medians over repetitions; '*' marks the best; change against A; U test at alpha "
      << c.alpha << "\n\n";
  out << TableText(c.table, c.keys.size() + 1);
  return out.str();
}

std::string GateText(const Comparison& c) {
  if (c.gates == 0) return "";
  std::string text;
  for (const auto& n : c.held) text += "\n  gate held: " + n;
  if (!c.held.empty()) text += "\n";
  if (c.tripped.empty()) return text + "\ngates: " + std::to_string(c.gates) + " checked, none tripped\n";
  text += "\ngates tripped (" + std::to_string(c.tripped.size()) + "):\n";
  std::vector<std::string> header = c.keys;
  header.insert(header.end(), {"gate", "report", "A", "value", "change", "verdict"});
  std::vector<std::vector<std::string>> rows = {header};
  rows.insert(rows.end(), c.tripped.begin(), c.tripped.end());
  return text + TableText(rows, c.keys.size() + 2);
}

void WriteComparisonCsv(const Comparison& c, const std::string& path) {
  std::string text;
  for (const auto& row : c.csv) text += CsvLine(row);
  WriteOrThrow(path, text);
}

void WriteComparisonPage(const Comparison& c, const std::string& path) {
  ComparePage page;
  for (const Report& r : c.reports) page.reports.push_back(r.label + ": " + r.path + " (" + r.scenario + ")");
  page.differences = c.differences;
  page.keys = c.keys;
  page.metrics = c.metrics;
  page.notes = c.notes;
  page.bars = c.bars;
  page.curves = CompareCurves(c.reports, &page.notes);
  WriteOrThrow(path, RenderCompareHtml(page));
}

}  // namespace sluice
