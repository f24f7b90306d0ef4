#include "sluice/analysis/merge.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "sluice/core/exit_codes.h"
#include "sluice/core/files.h"
#include "sluice/core/hdr_log.h"
#include "sluice/core/hlog_reader.h"
#include "sluice/report/csv.h"
#include "sluice/report/expectation.h"
#include "sluice/report/reporter.h"
#include "sluice/report/shard_manifest.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

// Bad input: the message says which folder and what; exit code 2.
class Refused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string ReadText(const fs::path& path) {
  try {
    return ReadResultsFile(path.string());
  } catch (const FileError& e) {
    throw Refused(path.string() + ": " + e.what());
  }
}

struct ShardFolder {
  std::string folder;
  ShardManifest manifest;
  Json report;
  std::map<std::pair<int, int>, const Json*> cells;  // (cell, repetition) -> report.json's cell
};

ShardFolder ReadShard(const std::string& folder) {
  ShardFolder s;
  s.folder = folder;
  try {
    s.manifest = ReadShardManifest(folder);
  } catch (const ShardManifestError& e) {
    throw Refused(e.what());
  }
  const fs::path report = fs::path(folder) / "report.json";
  s.report = Json::parse(ReadText(report), nullptr, false);
  if (s.report.is_discarded() || !s.report.is_object() || !s.report.contains("cells")) {
    throw Refused(report.string() + ": not a sluice report");
  }
  if (s.report.value("partial", true)) {
    throw Refused(report.string() + ": the report is partial (" +
                  s.report.value("partial_reason", std::string("the run did not finish")) +
                  "): a shard that did not finish cannot be merged");
  }
  for (const Json& cell : s.report["cells"]) {
    s.cells[{cell.at("cell").get<int>(), cell.at("repetition").get<int>()}] = &cell;
  }
  return s;
}

// 5 -> "5s", 2.5 -> "2.5s".
std::string FormatSeconds(double s) {
  std::ostringstream text;
  text << s << "s";
  return text.str();
}

// Every check of "these shards belong together"; throws Refused.
void CheckTogether(const std::vector<ShardFolder>& shards) {
  const ShardFolder& first = shards.front();
  const int count = first.manifest.shard.count;
  std::map<int, std::string> by_index;
  double earliest = INFINITY, latest = -INFINITY;
  for (const ShardFolder& s : shards) {
    const ShardManifest& m = s.manifest;
    auto differs = [&](const std::string& what, const std::string& a, const std::string& b) {
      throw Refused(s.folder + ": " + what + " " + b + ", but " + first.folder + " has " + a +
                    ": not shards of the same run");
    };
    if (m.shard.count != count) {
      differs("is a shard of", std::to_string(count), std::to_string(m.shard.count));
    }
    if (m.shard.by != first.manifest.shard.by) {
      differs("splits by", ToString(first.manifest.shard.by), ToString(m.shard.by));
    }
    if (s.report["scenario"] != first.report["scenario"]) {
      throw Refused(s.folder + ": its scenario differs from " + first.folder + "'s: not shards of the same run");
    }
    if (s.report["overrides"] != first.report["overrides"]) {
      differs("has --set", first.report["overrides"].dump(), s.report["overrides"].dump());
    }
    const double gap = m.cell_gap_s, first_gap = first.manifest.cell_gap_s;
    if (std::isnan(gap) != std::isnan(first_gap) || (!std::isnan(gap) && gap != first_gap)) {
      auto text = [](double g) { return std::isnan(g) ? std::string("no start barrier") : "--cell-gap " + FormatSeconds(g); };
      differs("ran with", text(first_gap), text(gap));
    }
    // The same slots: the same start and plan (a shard's own lateness is
    // checked below, from when its cells began).
    for (const auto& c : m.cells) {
      for (const auto& f : first.manifest.cells) {
        if (f.cell != c.cell || f.repetition != c.repetition) continue;
        if (std::isnan(c.slot_unix_s) != std::isnan(f.slot_unix_s) ||
            std::fabs(c.slot_unix_s - f.slot_unix_s) > 0.001) {
          throw Refused(s.folder + "/shard.json: cell " + std::to_string(c.cell) + " repetition " +
                        std::to_string(c.repetition) + " had another start slot than in " + first.folder +
                        ": not shards of one run (one --start-at, one plan)");
        }
      }
    }
    const std::string revision = s.report["environment"].value("git_revision", "");
    const std::string first_revision = first.report["environment"].value("git_revision", "");
    if (revision != first_revision) differs("was run by revision", first_revision, revision);
    auto [it, fresh] = by_index.emplace(m.shard.index, s.folder);
    if (!fresh) {
      throw Refused("shard " + m.shard.ToString() + " is given twice: " + it->second + " and " + s.folder);
    }
    std::set<std::pair<int, int>> a, b;
    for (const auto& [key, cell] : s.cells) a.insert(key);
    for (const auto& [key, cell] : first.cells) b.insert(key);
    if (a != b) throw Refused(s.folder + ": its cells and repetitions differ from " + first.folder + "'s");
    if (!std::isfinite(m.started_unix_s)) throw Refused(s.folder + "/shard.json: the shard never started a cell");
    earliest = std::min(earliest, m.started_unix_s);
    latest = std::max(latest, m.started_unix_s);
  }
  for (int i = 0; i < count; ++i) {
    if (by_index.count(i) == 0) {
      throw Refused("shard " + std::to_string(i) + "/" + std::to_string(count) + " is missing (" +
                    std::to_string(by_index.size()) + " of " + std::to_string(count) + " given)");
    }
  }
  if (latest - earliest > kMergeStartToleranceS) {
    std::ostringstream why;
    why.precision(3);
    why << std::fixed << "the shards began " << (latest - earliest)
        << " s apart, more than one interval (" << kMergeStartToleranceS
        << " s): their windows do not line up (start them with one --start-at)";
    throw Refused(why.str());
  }
}

double Number(const Json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : NAN;
}
uint64_t Count(const Json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<uint64_t>() : 0;
}
// NaN-aware: a + b, a NaN side ignored; NaN when both are.
double AddKnown(double a, double b) {
  if (std::isnan(a)) return b;
  if (std::isnan(b)) return a;
  return a + b;
}

// Adds one shard's cell (its report.json entry and its .hlog) into `m`.
void AddShardCell(const ShardFolder& s, const Json& j, CellResult& m, bool first) {
  const Json& ledger = j.at("ledger");
  m.scheduled += Count(ledger, "scheduled");
  m.unsent += Count(ledger, "unsent");
  m.generated += Count(ledger, "generated");
  m.dropped_newest += Count(ledger, "dropped_newest");
  m.dropped_oldest += Count(ledger, "dropped_oldest");
  m.delivered += Count(ledger, "delivered");
  m.failed += Count(ledger, "failed");
  m.unresolved += Count(ledger, "unresolved");
  m.unresolved_in_flight += Count(ledger, "unresolved_in_flight");
  m.unresolved_queued += Count(ledger, "unresolved_queued");
  for (const auto& [code, count] : j.at("failed_by_code").items()) {
    m.failed_by_code[std::stoi(code)] += count.get<uint64_t>();
  }
  const Json& tp = j.at("throughput");
  m.duration_s = std::max(m.duration_s, Number(tp, "duration_s"));
  m.offered_rate += Number(tp, "offered_rate");
  m.offered_mbps += Number(tp, "offered_mbps");
  m.delivered_rate += Number(tp, "delivered_rate");
  m.delivered_mbps += Number(tp, "delivered_mbps");
  m.measured_delivered += Count(tp, "measured_delivered");
  const Json& src = j.at("source");
  m.late += Count(src, "late");
  m.blocked += Count(src, "blocked");
  m.max_lag_ns = std::max<int64_t>(m.max_lag_ns, static_cast<int64_t>(Number(src, "max_lag_ns")));
  // mean_lag_ns is weighted by generated: summed here, divided at the end.
  m.mean_lag_ns += Number(src, "mean_lag_ns") * static_cast<double>(Count(ledger, "generated"));
  const Json& q = j.at("queue");
  m.max_depth = std::max(m.max_depth, Count(q, "max_depth"));
  m.mean_depth += Number(q, "mean_depth");
  m.depth_growth = first ? Number(q, "depth_growth") : AddKnown(m.depth_growth, Number(q, "depth_growth"));
  const Json& little = q.at("little");
  m.little_arrival_rate = first ? Number(little, "arrival_rate") : AddKnown(m.little_arrival_rate, Number(little, "arrival_rate"));
  m.little_mean_depth = first ? Number(little, "mean_depth") : AddKnown(m.little_mean_depth, Number(little, "mean_depth"));
  m.little_predicted_depth =
      first ? Number(little, "predicted_depth") : AddKnown(m.little_predicted_depth, Number(little, "predicted_depth"));
  m.backpressure += Count(j.at("producers"), "backpressure");
  const Json& wire = j.at("wire");
  m.wire_bytes += Count(wire, "bytes");
  m.wire_messages += Count(wire, "messages");
  m.wire_payload_bytes += Count(wire, "payload_bytes");
  const Json& process = j.at("process");
  m.wall_s = std::max(m.wall_s, Number(process, "wall_s"));
  m.cpu_user_s += Number(process, "cpu_user_s");
  m.cpu_system_s += Number(process, "cpu_system_s");
  m.peak_rss_bytes = std::max<int64_t>(m.peak_rss_bytes, static_cast<int64_t>(Number(process, "peak_rss_bytes")));
  m.setup_s = std::max(m.setup_s, Number(process, "setup_s"));
  for (const Json& t : j.at("types")) {
    const std::string name = t.at("type").get<std::string>();
    auto it = std::find_if(m.types.begin(), m.types.end(), [&](const TypeCounts& c) { return c.type == name; });
    if (it == m.types.end()) {
      m.types.push_back({name, 0, 0, 0, 0});
      it = m.types.end() - 1;
    }
    it->generated += Count(t, "generated");
    it->dropped += Count(t, "dropped");
    it->delivered += Count(t, "delivered");
    it->failed += Count(t, "failed");
  }
  if (first) {
    m.topic = j.value("topic", "");
    m.broker = j.value("broker", "");
    m.broker_count = j.value("broker_count", 0);
    m.kafka_version = j.value("kafka_version", "");
    for (const auto& [name, value] : j.at("effective_config").items()) {
      m.effective_config.emplace_back(name, value.get<std::string>());
    }
    // Every shard read the whole trace: its reading figures are one shard's.
    if (j.contains("replay") && j["replay"].is_object()) {
      const Json& r = j["replay"];
      m.replayed = true;
      m.replay.lines = Count(r, "lines");
      m.replay.bad_lines = Count(r, "bad_lines");
      m.replay.out_of_order = Count(r, "out_of_order");
      m.replay.clamped = Count(r, "clamped");
      m.replay.passes = Count(r, "passes");
      m.replay.other_type = Count(r, "other_type");
      m.replay.bad_line_examples = r.value("bad_line_examples", std::vector<std::string>{});
    }
  }
  if (j.contains("error") && j["error"].is_string()) {
    m.error += (m.error.empty() ? "" : "; ") + ("shard " + s.manifest.shard.ToString() + ": " +
                                                j["error"].get<std::string>());
  }
  // The histograms, exactly: every bucket's count from the shard's .hlog.
  const fs::path hlog = fs::path(s.folder) /
                        (std::to_string(m.cell) + "-" + std::to_string(m.repetition) + ".hlog");
  std::istringstream text(ReadText(hlog));
  Hlog log;
  try {
    log = ReadHlog(text, hlog.string());
  } catch (const HlogError& e) {
    throw Refused(e.what());
  }
  if (std::isfinite(log.start_time_s)) {
    m.epoch_unix_s = m.epoch_unix_s > 0 ? std::min(m.epoch_unix_s, log.start_time_s) : log.start_time_s;
  }
  for (const HlogInterval& interval : log.intervals) {
    const std::optional<LatencyKind> kind = LatencyKindNamed(interval.tag);
    if (!kind) continue;
    auto& h = m.latency(*kind);
    if (!h) {
      h = std::make_shared<LatencyHistogram>(interval.histogram);
    } else {
      h->Merge(interval.histogram);
    }
  }
}

// ---- timeseries.csv (issue 10's per-interval figures), when present.

bool IsKeyColumn(const std::string& c) { return c == "cell" || c == "repetition" || c == "t_s"; }
bool IsMaxColumn(const std::string& c) {
  return c == "depth_max" || c == "length_s" || (c.size() > 4 && c.compare(c.size() - 4, 4, "_max") == 0) ||
         (c.size() > 7 && c.compare(c.size() - 7, 7, "_max_ms") == 0);
}
bool IsLatencyColumn(const std::string& c) { return c.rfind("latency.", 0) == 0; }
bool IsMeanColumn(const std::string& c) { return c == "host_cpu_pct"; }

std::string FormatNumber(double v) {
  if (std::isnan(v)) return "";
  if (v == std::floor(v) && std::fabs(v) < 9e15) return std::to_string(static_cast<int64_t>(v));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

// Merges the shards' timeseries.csv into `folder`. Rows are lined up by
// wall-clock time: a row's time is its cell's epoch (the .hlog start time)
// plus t_s; the merged row's t_s is that time minus the merged cell's
// epoch, rounded to whole intervals. Counts are summed; *_max and depth_max
// take the largest (and length_s, the same in every shard); host_cpu_pct
// the mean; faults the union; latency
// quantiles the largest shard's (an upper bound), or when every shard has
// <cell>-<rep>.intervals.hlog, recomputed from the merged interval
// histograms.
// The files to write (name, content) and a line for the console; made
// before the merged folder is, so that bad input writes nothing.
struct MergedFiles {
  std::vector<std::pair<std::string, std::string>> files;
  std::string note;
};

MergedFiles MergeTimeseries(const std::vector<ShardFolder>& shards, const std::map<std::pair<int, int>, double>& merged_epoch,
                            const std::map<std::pair<int, int>, std::vector<double>>& shard_epochs) {
  MergedFiles merged_files;
  const std::string kFile = "timeseries.csv";
  std::vector<std::string> header;
  struct Row {
    std::vector<double> numbers;
    std::vector<std::set<std::string>> texts;
    std::vector<int> seen;
  };
  std::map<std::tuple<int, int, int64_t>, Row> rows;
  double interval_s = 1.0;
  size_t with_file = 0;
  for (const ShardFolder& shard : shards) with_file += fs::exists(fs::path(shard.folder) / kFile) ? 1 : 0;
  if (with_file == 0) return merged_files;
  for (size_t si = 0; si < shards.size(); ++si) {
    const fs::path path = fs::path(shards[si].folder) / kFile;
    if (!fs::exists(path)) throw Refused(path.string() + ": missing, but other shards have one");
    const auto table = ParseCsv(ReadText(path), path.string());
    if (table.empty()) continue;
    if (header.empty()) {
      header = table[0];
    } else if (table[0] != header) {
      throw Refused(path.string() + ": its columns differ from the first shard's");
    }
    auto column = [&](const std::string& name) {
      const auto it = std::find(header.begin(), header.end(), name);
      if (it == header.end()) throw Refused(path.string() + ": no column " + name);
      return static_cast<size_t>(it - header.begin());
    };
    const size_t ci = column("cell"), ri = column("repetition"), ti = column("t_s");
    if (table.size() > 2) {
      const double step = std::atof(table[2][ti].c_str()) - std::atof(table[1][ti].c_str());
      if (step > 0) interval_s = step;
    }
    for (size_t r = 1; r < table.size(); ++r) {
      const auto& fields = table[r];
      if (fields.size() != header.size()) throw Refused(path.string() + ": row " + std::to_string(r + 1) + " is cut short");
      const std::pair<int, int> cell{std::atoi(fields[ci].c_str()), std::atoi(fields[ri].c_str())};
      const auto epochs = shard_epochs.find(cell);
      if (epochs == shard_epochs.end()) continue;
      const double wall = epochs->second[si] + std::atof(fields[ti].c_str());
      const auto slot = static_cast<int64_t>(std::llround((wall - merged_epoch.at(cell)) / interval_s));
      Row& row = rows[{cell.first, cell.second, slot}];
      if (row.numbers.empty()) {
        row.numbers.assign(header.size(), NAN);
        row.texts.resize(header.size());
        row.seen.assign(header.size(), 0);
      }
      for (size_t c = 0; c < header.size(); ++c) {
        const std::string& name = header[c];
        if (IsKeyColumn(name)) continue;
        char* end = nullptr;
        const double v = std::strtod(fields[c].c_str(), &end);
        const bool numeric = !fields[c].empty() && end != nullptr && *end == '\0';
        if (!numeric) {
          if (!fields[c].empty()) row.texts[c].insert(fields[c]);
          continue;
        }
        ++row.seen[c];
        double& into = row.numbers[c];
        if (std::isnan(into)) {
          into = v;
        } else if (IsMaxColumn(name) || IsLatencyColumn(name)) {
          into = std::max(into, v);
        } else {
          into += v;
        }
      }
    }
  }
  if (header.empty()) return merged_files;
  // Latency quantiles from the merged interval histograms, when every
  // shard wrote them.
  std::map<std::tuple<int, int, int64_t, std::string>, LatencyHistogram> merged_intervals;
  bool have_intervals = true;
  for (const auto& [cell, epoch] : merged_epoch) {
    for (size_t si = 0; si < shards.size() && have_intervals; ++si) {
      const fs::path path = fs::path(shards[si].folder) /
                            (std::to_string(cell.first) + "-" + std::to_string(cell.second) + ".intervals.hlog");
      if (!fs::exists(path)) {
        have_intervals = false;
        break;
      }
      std::istringstream text(ReadText(path));
      Hlog log;
      try {
        log = ReadHlog(text, path.string());
      } catch (const HlogError& e) {
        throw Refused(e.what());
      }
      const double start = std::isfinite(log.start_time_s) ? log.start_time_s : shard_epochs.at(cell)[si];
      for (HlogInterval& interval : log.intervals) {
        // An interval [start, start + length) is timeseries.csv's row of
        // t_s = start (results_folder.cc writes the row's t_s as its
        // StartTimestamp).
        const double wall = start + interval.start_s;
        const auto slot = static_cast<int64_t>(std::llround((wall - epoch) / interval_s));
        auto key = std::make_tuple(cell.first, cell.second, slot, interval.tag);
        auto it = merged_intervals.find(key);
        if (it == merged_intervals.end()) {
          merged_intervals.emplace(key, std::move(interval.histogram));
        } else {
          it->second.Merge(interval.histogram);
        }
      }
    }
  }
  std::ostringstream csv;
  csv << CsvLine(header);
  for (auto& [key, row] : rows) {
    const auto& [cell, repetition, slot] = key;
    std::vector<std::string> fields;
    for (size_t c = 0; c < header.size(); ++c) {
      const std::string& name = header[c];
      if (name == "cell") {
        fields.push_back(std::to_string(cell));
      } else if (name == "repetition") {
        fields.push_back(std::to_string(repetition));
      } else if (name == "t_s") {
        fields.push_back(FormatNumber(static_cast<double>(slot) * interval_s));
      } else if (!row.texts[c].empty()) {
        std::string joined;
        for (const auto& t : row.texts[c]) joined += (joined.empty() ? "" : ";") + t;
        fields.push_back(joined);
      } else if (IsLatencyColumn(name) && have_intervals) {
        // latency.<kind>.<p50|p99|max>_ms from the merged histogram.
        const size_t dot = name.find('.', 8);
        const std::string kind = name.substr(8, dot - 8);
        const std::string stat = dot == std::string::npos ? "" : name.substr(dot + 1);
        const auto it = merged_intervals.find({cell, repetition, slot, kind});
        if (it == merged_intervals.end() || it->second.TotalCount() == 0) {
          fields.push_back("");
        } else if (stat == "max_ms") {
          fields.push_back(FormatNumber(it->second.Max() / 1e6));
        } else if (stat.size() > 4 && stat[0] == 'p') {
          const double pct = std::atof(stat.substr(1, stat.size() - 4).c_str());
          fields.push_back(FormatNumber(it->second.ValueAtPercentile(pct) / 1e6));
        } else {
          fields.push_back(FormatNumber(row.numbers[c]));
        }
      } else if (IsMeanColumn(name) && row.seen[c] > 0) {
        fields.push_back(FormatNumber(row.numbers[c] / row.seen[c]));
      } else {
        fields.push_back(FormatNumber(row.numbers[c]));
      }
    }
    csv << CsvLine(fields);
  }
  merged_files.files.emplace_back(kFile, csv.str());
  merged_files.note = "merged " + kFile + ": " + std::to_string(rows.size()) + " intervals" +
                      (have_intervals ? ", latency quantiles from the merged interval histograms" : "");
  if (have_intervals) {
    for (const auto& [cell, epoch] : merged_epoch) {
      std::ostringstream hlog;
      HlogWriter writer(hlog, epoch, "sluice merge: per-interval latencies of " + std::to_string(shards.size()) + " shards, ns");
      for (const auto& [key, h] : merged_intervals) {
        if (std::get<0>(key) != cell.first || std::get<1>(key) != cell.second) continue;
        const double end = static_cast<double>(std::get<2>(key)) * interval_s;
        writer.WriteInterval(std::get<3>(key), end - interval_s, interval_s, h);
      }
      merged_files.files.emplace_back(
          std::to_string(cell.first) + "-" + std::to_string(cell.second) + ".intervals.hlog", hlog.str());
    }
  }
  return merged_files;
}

}  // namespace

int MergeCommand(const std::vector<std::string>& shard_folders, const MergeOptions& options,
                 std::ostream& out, std::ostream& err) {
  std::vector<ShardFolder> shards;
  ScenarioPlan plan;
  std::vector<CellResult> merged;
  std::map<std::pair<int, int>, double> merged_epoch;
  std::map<std::pair<int, int>, std::vector<double>> shard_epochs;
  MergedFiles timeseries;
  try {
    if (shard_folders.empty()) throw Refused("no shard folders given");
    for (const auto& f : shard_folders) shards.push_back(ReadShard(f));
    CheckTogether(shards);
    std::sort(shards.begin(), shards.end(),
              [](const ShardFolder& a, const ShardFolder& b) { return a.manifest.shard.index < b.manifest.shard.index; });
    const ShardManifest& m0 = shards.front().manifest;
    const std::string scenario = !options.scenario_file.empty() ? options.scenario_file : m0.scenario_path;
    try {
      plan = LoadValidatedPlan(scenario, m0.overrides);
    } catch (const ScenarioError& e) {
      throw Refused(std::string("the shards' scenario (give it with --scenario FILE): ") + e.what());
    }
    if (plan.base.name != shards.front().report["scenario"].value("name", "")) {
      throw Refused(scenario + ": scenario '" + plan.base.name + "', but the shards ran '" +
                    shards.front().report["scenario"].value("name", "") + "'");
    }
    for (const auto& [key, cell_json] : shards.front().cells) {
      const auto [cell, repetition] = key;
      if (cell < 0 || cell >= static_cast<int>(plan.cells.size())) {
        throw Refused(scenario + ": has no cell " + std::to_string(cell) + " (the file changed since the shards ran?)");
      }
      CellResult m;
      m.cell = cell;
      m.repetition = repetition;
      m.scenario = plan.cells[static_cast<size_t>(cell)];
      m.depth_growth = NAN;
      for (size_t si = 0; si < shards.size(); ++si) {
        AddShardCell(shards[si], *shards[si].cells.at(key), m, si == 0);
        shard_epochs[key].push_back(NAN);
      }
      if (m.generated > 0) m.mean_lag_ns /= static_cast<double>(m.generated);
      if (cell_json->contains("expectations") && (*cell_json)["expectations"].is_array()) {
        m.expectations = CheckExpectations(m, plan.swept_keys);
        m.expectations_checked = true;
      }
      merged_epoch[key] = m.epoch_unix_s;
      merged.push_back(std::move(m));
    }
    // Each shard's own epoch per cell, for lining up its time series.
    for (size_t si = 0; si < shards.size(); ++si) {
      for (auto& [key, epochs] : shard_epochs) {
        const fs::path hlog = fs::path(shards[si].folder) /
                              (std::to_string(key.first) + "-" + std::to_string(key.second) + ".hlog");
        std::ifstream in(hlog);
        std::string line;
        while (std::getline(in, line)) {
          if (line.rfind("#[StartTime: ", 0) == 0) {
            epochs[si] = std::strtod(line.c_str() + 13, nullptr);
            break;
          }
        }
      }
    }
    // Every cell's windows, not only the first's, must line up: shards
    // begin later cells in slots (run --cell-gap), and one that began late
    // ran its window apart from the others'.
    for (const auto& [key, epochs] : shard_epochs) {
      double earliest = INFINITY, latest = -INFINITY;
      size_t first = 0, last = 0;
      for (size_t si = 0; si < epochs.size(); ++si) {
        if (!std::isfinite(epochs[si])) continue;
        if (epochs[si] < earliest) earliest = epochs[si], first = si;
        if (epochs[si] > latest) latest = epochs[si], last = si;
      }
      if (std::isfinite(earliest) && latest - earliest > kMergeStartToleranceS) {
        std::ostringstream why;
        why.precision(3);
        why << std::fixed << "cell " << key.first << " repetition " << key.second << ": shard "
            << shards[last].manifest.shard.ToString() << " began it " << (latest - earliest) << " s after shard "
            << shards[first].manifest.shard.ToString() << ", more than one interval (" << kMergeStartToleranceS
            << " s): their windows do not line up ("
            << (std::isnan(shards.front().manifest.cell_gap_s)
                    ? "start the shards with one --start-at: each cell then begins in a slot"
                    : "a longer --cell-gap gives each cell's drain and the next one's set-up more time")
            << ")";
        throw Refused(why.str());
      }
    }
    timeseries = MergeTimeseries(shards, merged_epoch, shard_epochs);
  } catch (const Refused& e) {
    err << "sluice: merge: " << e.what() << "\n";
    return kExitUsage;
  } catch (const Json::exception& e) {
    err << "sluice: merge: a report.json is not a sluice report: " << e.what() << "\n";
    return kExitUsage;
  }

  // Written as a run writes its folder.
  try {
    auto folder = ResultsFolder::AtPath(options.output);
    ReportContext context;
    context.plan = &plan;
    context.environment = DetectEnvironment(options.command_line);
    const Json& env = shards.front().report["environment"];
    context.environment.git_revision = env.value("git_revision", context.environment.git_revision);
    context.environment.librdkafka_version = env.value("librdkafka_version", "");
    context.overrides = shards.front().manifest.overrides;
    context.broker = merged.empty() ? "" : merged.front().broker;
    context.broker_note = shards.front().report.value("broker_note", "");
    folder->Begin(context);
    for (const CellResult& m : merged) folder->AddCell(m);
    folder->Finish("");
    nlohmann::ordered_json manifest;
    manifest["merged_shards"] = shards.front().manifest.shard.count;
    manifest["by"] = ToString(shards.front().manifest.shard.by);
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const ShardFolder& s : shards) {
      list.push_back({{"index", s.manifest.shard.index},
                      {"folder", s.folder},
                      {"started", FormatUtcMillis(s.manifest.started_unix_s)},
                      {"late_s", s.manifest.late_s}});
    }
    manifest["shards"] = list;
    folder->WriteFile("merge.json", manifest.dump(2) + "\n");
    for (const auto& [name, content] : timeseries.files) folder->WriteFile(name, content);
    if (!timeseries.note.empty()) out << timeseries.note << "\n";
    bool balanced = true;
    for (const CellResult& m : merged) balanced = balanced && m.LedgerBalances();
    out << "merged " << shards.size() << " shards into " << folder->path() << " (" << merged.size()
        << (merged.size() == 1 ? " cell" : " cells") << ", ledger " << (balanced ? "OK" : "NOT BALANCED") << ")\n";
  } catch (const ResultsError& e) {
    err << "sluice: merge: " << e.what() << "\n";
    return kExitResultsUnwritable;
  } catch (const Refused& e) {
    err << "sluice: merge: " << e.what() << "\n";
    return kExitUsage;
  } catch (const HlogError& e) {
    err << "sluice: merge: " << e.what() << "\n";
    return kExitUsage;
  }
  return kExitOk;
}

}  // namespace sluice
