// Reading a report back for `sluice compare` (compare.h): report.csv, checked
// for truncation and damage, and the report.json beside it; and what differs
// between the runs of several reports.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "sluice/analysis/compare.h"
#include "sluice/core/files.h"
#include "sluice/core/text.h"
#include "sluice/report/csv.h"
#include "sluice/report/reporter.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

bool IsCount(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The report.csv that `input` names: the file itself, or a results folder's.
fs::path ReportCsvPath(const std::string& input) {
  std::error_code ec;
  if (!fs::exists(input, ec)) throw CompareError(input + ": no such file or folder");
  if (!fs::is_directory(input, ec)) return input;
  const fs::path csv = fs::path(input) / "report.csv";
  if (!fs::exists(csv, ec)) {
    throw CompareError(input + ": no report.csv in this folder: not a sluice results folder (or a run still in progress)");
  }
  return csv;
}

// The rows of r->path, header first, parsed as CSV; a header without the
// columns every sluice report has is refused.
std::vector<std::vector<std::string>> ParseReportCsv(const Report& r) {
  std::string text;
  try {
    text = ReadResultsFile(r.path);
  } catch (const FileError& e) {
    throw CompareError(r.path + ": " + e.what() + ": give a report.csv or a results folder");
  }
  if (text.empty()) throw CompareError(r.path + ": empty: not a sluice report");
  std::vector<std::vector<std::string>> rows;
  try {
    rows = ParseCsv(text, r.path);
  } catch (const CsvError& e) {
    throw CompareError(e.what());
  }
  static const char* kRequired[] = {"scenario", "cell", "repetition", "ledger_ok", "error"};
  std::vector<std::string> missing;
  for (const char* column : kRequired) {
    if (IndexOf(rows.front(), column) == std::string::npos) missing.push_back(column);
  }
  if (!missing.empty()) {
    std::string first = text.substr(0, std::min<size_t>(text.find('\n'), 60));
    throw CompareError(r.path + ": not a sluice report: its header lacks " + Join(missing, ", ") +
                       " (it begins '" + first + "')");
  }
  return rows;
}

// Fills r's header, swept keys and rows from `rows`: every row as wide as
// the header, with counts for cell and repetition.
void TakeRows(std::vector<std::vector<std::string>> rows, Report* r) {
  r->header = rows.front();
  const size_t error_at = IndexOf(r->header, "error");
  r->swept_keys.assign(r->header.begin() + static_cast<long>(error_at) + 1, r->header.end());
  const size_t cell_at = IndexOf(r->header, "cell"), rep_at = IndexOf(r->header, "repetition");
  for (size_t i = 1; i < rows.size(); ++i) {
    if (rows[i].size() != r->header.size()) {
      throw CompareError(r->path + ": truncated or damaged: row " + std::to_string(i + 1) + " has " +
                         std::to_string(rows[i].size()) + " fields, the header " +
                         std::to_string(r->header.size()));
    }
    if (!IsCount(rows[i][cell_at]) || !IsCount(rows[i][rep_at])) {
      throw CompareError(r->path + ": row " + std::to_string(i + 1) +
                         ": cell and repetition must be counts: not a sluice report");
    }
    r->rows.push_back(std::move(rows[i]));
  }
  if (r->rows.empty()) throw CompareError(r->path + ": holds no cells (only a header)");
  r->scenario = r->rows.front()[IndexOf(r->header, "scenario")];
  if (size_t broker_at = IndexOf(r->header, "broker"); broker_at != std::string::npos) {
    std::vector<std::string> brokers;
    for (const auto& row : r->rows) {
      if (std::find(brokers.begin(), brokers.end(), row[broker_at]) == brokers.end()) brokers.push_back(row[broker_at]);
    }
    r->broker = Join(brokers, ", ");
  }
}

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
  } else if (j.is_number() || j.is_boolean()) {
    (*out)[prefix] = j.dump();
  }
}

nlohmann::json ParseReportJson(const fs::path& json) {
  nlohmann::json root;
  try {
    std::ifstream in(json, std::ios::binary);
    if (!in) throw CompareError(json.string() + ": cannot read it");
    root = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception&) {
    root = nullptr;
  }
  if (!root.is_object() || !root.contains("cells") || !root["cells"].is_array()) {
    throw CompareError(json.string() + ": damaged or truncated (not the JSON sluice writes)");
  }
  return root;
}

// Each cell's effective librdkafka configuration, by "<cell>-<repetition>".
void ReadCellConfigs(const nlohmann::json& cells, Report* r) {
  for (const auto& cell : cells) {
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

// Reads report.json beside a report.csv: whether it is partial, its cell
// count, each cell's effective configuration and the scenario's values.
void ReadJson(const fs::path& json, Report* r, size_t* cells) {
  nlohmann::json root = ParseReportJson(json);  // not const: operator[] of a missing key gives null
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
  ReadCellConfigs(root["cells"], r);
}

// report.json is written with the same cells: a CSV with fewer rows was
// cut. A missing report.json (the disk filled up, the run was killed
// before it started) or a partial one (interrupted, a cell failed) is
// refused unless `allow_partial`.
void ReadJsonBeside(const fs::path& csv, bool allow_partial, Report* r) {
  const fs::path json = csv.parent_path() / "report.json";
  std::error_code ec;
  if (!fs::exists(json, ec)) {
    if (!allow_partial) {
      throw CompareError(r->path + ": no report.json beside it: the run did not finish writing its "
                         "report (use --allow-partial to compare it anyway, never gated)");
    }
    r->partial = true;
    r->partial_reason = "no report.json";
    return;
  }
  size_t cells = 0;
  ReadJson(json, r, &cells);
  if (r->partial) {
    if (!allow_partial) {
      throw CompareError(json.string() + ": a partial report (" + r->partial_reason +
                         "); use --allow-partial to compare it anyway, never gated");
    }
    return;
  }
  if (cells != r->rows.size()) {
    throw CompareError(r->path + ": truncated: it has " + std::to_string(r->rows.size()) +
                       " rows, report.json beside it " + std::to_string(cells) + " cells");
  }
}

// The names of the scenario fields whose values differ among `reports`, at
// most six (then "...").
std::vector<std::string> DifferingScenarioFields(const std::vector<Report>& reports) {
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
  return named;
}

}  // namespace

Report ReadReport(const std::string& input, const std::string& label, bool allow_partial) {
  Report r;
  r.label = label;
  const fs::path csv = ReportCsvPath(input);
  r.path = csv.string();
  TakeRows(ParseReportCsv(r), &r);
  ReadJsonBeside(csv, allow_partial, &r);
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
    const std::vector<std::string> named = DifferingScenarioFields(reports);
    items.push_back("scenario (" + (named.empty() ? std::string("its structure") : Join(named, ", ")) + ")");
  }
  differ("broker", [](const Report& r) { return r.broker.empty() ? std::string("unknown") : r.broker; });
  return items;
}

}  // namespace sluice
