#include "sluice/analysis/merge.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <tuple>

#include "sluice/core/files.h"
#include "sluice/core/hdr_log.h"
#include "sluice/core/hlog_reader.h"
#include "sluice/core/text.h"
#include "sluice/report/csv.h"
#include "sluice/report/expectation.h"
#include "sluice/report/reporter.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using CellKey = std::pair<int, int>;  // (cell, repetition)

std::string ReadText(const fs::path& path) {
  try {
    return ReadResultsFile(path.string());
  } catch (const FileError& e) {
    throw MergeError(path.string() + ": " + e.what());
  }
}

Hlog ReadShardHlog(const fs::path& path) {
  std::istringstream text(ReadText(path));
  try {
    return ReadHlog(text, path.string());
  } catch (const HlogError& e) {
    throw MergeError(e.what());
  }
}

// "<cell>-<repetition><suffix>", the name of a cell's file in a results folder.
std::string CellFile(const CellKey& key, const std::string& suffix) {
  return std::to_string(key.first) + "-" + std::to_string(key.second) + suffix;
}

struct ShardFolder {
  std::string folder;
  ShardManifest manifest;
  Json report;
  std::map<CellKey, const Json*> cells;  // report.json's cells
};

ShardFolder ReadShard(const std::string& folder) {
  ShardFolder s;
  s.folder = folder;
  try {
    s.manifest = ReadShardManifest(folder);
  } catch (const ShardManifestError& e) {
    throw MergeError(e.what());
  }
  const fs::path report = fs::path(folder) / "report.json";
  s.report = Json::parse(ReadText(report), nullptr, false);
  if (s.report.is_discarded() || !s.report.is_object() || !s.report.contains("cells")) {
    throw MergeError(report.string() + ": not a sluice report");
  }
  if (s.report.value("partial", true)) {
    throw MergeError(report.string() + ": the report is partial (" +
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

// ---- do the shards belong together? ---------------------------------------

// The same slots as `first`: the same start and plan (a shard's own
// lateness is checked from when its cells began).
void CheckSameSlots(const ShardFolder& first, const ShardFolder& s) {
  for (const auto& c : s.manifest.cells) {
    for (const auto& f : first.manifest.cells) {
      if (f.cell != c.cell || f.repetition != c.repetition) continue;
      if (std::isnan(c.slot_unix_s) != std::isnan(f.slot_unix_s) ||
          std::fabs(c.slot_unix_s - f.slot_unix_s) > 0.001) {
        throw MergeError(s.folder + "/shard.json: cell " + std::to_string(c.cell) + " repetition " +
                         std::to_string(c.repetition) + " had another start slot than in " + first.folder +
                         ": not shards of one run (one --start-at, one plan)");
      }
    }
  }
}

// `s` ran as `first` did: the same split, scenario, overrides, start
// barrier, slots and revision.
void CheckSameRun(const ShardFolder& first, const ShardFolder& s) {
  const ShardManifest& m = s.manifest;
  auto differs = [&](const std::string& what, const std::string& a, const std::string& b) {
    throw MergeError(s.folder + ": " + what + " " + b + ", but " + first.folder + " has " + a +
                     ": not shards of the same run");
  };
  if (m.shard.count != first.manifest.shard.count) {
    differs("is a shard of", std::to_string(first.manifest.shard.count), std::to_string(m.shard.count));
  }
  if (m.shard.by != first.manifest.shard.by) {
    differs("splits by", ToString(first.manifest.shard.by), ToString(m.shard.by));
  }
  if (s.report["scenario"] != first.report["scenario"]) {
    throw MergeError(s.folder + ": its scenario differs from " + first.folder + "'s: not shards of the same run");
  }
  if (s.report["overrides"] != first.report["overrides"]) {
    differs("has --set", first.report["overrides"].dump(), s.report["overrides"].dump());
  }
  const double gap = m.cell_gap_s, first_gap = first.manifest.cell_gap_s;
  if (std::isnan(gap) != std::isnan(first_gap) || (!std::isnan(gap) && gap != first_gap)) {
    auto text = [](double g) { return std::isnan(g) ? std::string("no start barrier") : "--cell-gap " + FormatSeconds(g); };
    differs("ran with", text(first_gap), text(gap));
  }
  CheckSameSlots(first, s);
  const std::string revision = s.report["environment"].value("git_revision", "");
  const std::string first_revision = first.report["environment"].value("git_revision", "");
  if (revision != first_revision) differs("was run by revision", first_revision, revision);
}

// Every check of "these shards belong together": each ran as the first,
// with its cells, each index once, and they began within one interval.
void CheckTogether(const std::vector<ShardFolder>& shards) {
  const ShardFolder& first = shards.front();
  const int count = first.manifest.shard.count;
  std::map<int, std::string> by_index;
  double earliest = INFINITY, latest = -INFINITY;
  for (const ShardFolder& s : shards) {
    const ShardManifest& m = s.manifest;
    CheckSameRun(first, s);
    auto [it, fresh] = by_index.emplace(m.shard.index, s.folder);
    if (!fresh) {
      throw MergeError("shard " + m.shard.ToString() + " is given twice: " + it->second + " and " + s.folder);
    }
    std::set<CellKey> a, b;
    for (const auto& [key, cell] : s.cells) a.insert(key);
    for (const auto& [key, cell] : first.cells) b.insert(key);
    if (a != b) throw MergeError(s.folder + ": its cells and repetitions differ from " + first.folder + "'s");
    if (!std::isfinite(m.started_unix_s)) throw MergeError(s.folder + "/shard.json: the shard never started a cell");
    earliest = std::min(earliest, m.started_unix_s);
    latest = std::max(latest, m.started_unix_s);
  }
  for (int i = 0; i < count; ++i) {
    if (by_index.count(i) == 0) {
      throw MergeError("shard " + std::to_string(i) + "/" + std::to_string(count) + " is missing (" +
                       std::to_string(by_index.size()) + " of " + std::to_string(count) + " given)");
    }
  }
  if (latest - earliest > kMergeStartToleranceS) {
    std::ostringstream why;
    why.precision(3);
    why << std::fixed << "the shards began " << (latest - earliest)
        << " s apart, more than one interval (" << kMergeStartToleranceS
        << " s): their windows do not line up (start them with one --start-at)";
    throw MergeError(why.str());
  }
}

// ---- adding up a cell -------------------------------------------------------

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
// The first shard's value, then AddKnown of each further shard's.
void AddKnownInto(double& into, double v, bool first) { into = first ? v : AddKnown(into, v); }

void AddLedger(const Json& j, CellResult& m) {
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
}

void AddThroughputAndSource(const Json& j, CellResult& m) {
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
  m.mean_lag_ns += Number(src, "mean_lag_ns") * static_cast<double>(Count(j.at("ledger"), "generated"));
}

void AddQueue(const Json& j, CellResult& m, bool first) {
  const Json& q = j.at("queue");
  m.max_depth = std::max(m.max_depth, Count(q, "max_depth"));
  m.mean_depth += Number(q, "mean_depth");
  AddKnownInto(m.depth_growth, Number(q, "depth_growth"), first);
  const Json& little = q.at("little");
  AddKnownInto(m.little_arrival_rate, Number(little, "arrival_rate"), first);
  AddKnownInto(m.little_mean_depth, Number(little, "mean_depth"), first);
  AddKnownInto(m.little_predicted_depth, Number(little, "predicted_depth"), first);
  m.backpressure += Count(j.at("producers"), "backpressure");
}

void AddWireAndProcess(const Json& j, CellResult& m) {
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
}

void AddTypes(const Json& j, CellResult& m) {
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
}

// What every shard has alike, taken from the first: the topic, the broker,
// librdkafka's configuration, and the trace's reading figures (every shard
// read the whole trace: its figures are one shard's).
void TakeFirstShardFacts(const Json& j, CellResult& m) {
  m.topic = j.value("topic", "");
  m.broker = j.value("broker", "");
  m.broker_count = j.value("broker_count", 0);
  m.kafka_version = j.value("kafka_version", "");
  for (const auto& [name, value] : j.at("effective_config").items()) {
    m.effective_config.emplace_back(name, value.get<std::string>());
  }
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

// The histograms, exactly: every bucket's count from the shard's .hlog; the
// cell's epoch the earliest shard's start.
void AddHistograms(const ShardFolder& s, CellResult& m) {
  const Hlog log = ReadShardHlog(fs::path(s.folder) / CellFile({m.cell, m.repetition}, ".hlog"));
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

// Adds one shard's cell (its report.json entry and its .hlog) into `m`.
void AddShardCell(const ShardFolder& s, const Json& j, CellResult& m, bool first) {
  AddLedger(j, m);
  AddThroughputAndSource(j, m);
  AddQueue(j, m, first);
  AddWireAndProcess(j, m);
  AddTypes(j, m);
  if (first) TakeFirstShardFacts(j, m);
  if (j.contains("error") && j["error"].is_string()) {
    m.error += (m.error.empty() ? "" : "; ") + ("shard " + s.manifest.shard.ToString() + ": " +
                                                j["error"].get<std::string>());
  }
  AddHistograms(s, m);
}

// When each cell began: the merged cell's epoch (the earliest shard's), and
// each shard's own, NaN where a shard's .hlog names none.
struct CellEpochs {
  std::map<CellKey, double> merged;
  std::map<CellKey, std::vector<double>> shards;
};

// The shards' plan, loaded from `scenario` with their --set overrides: the
// scenario they ran.
ScenarioPlan LoadShardsPlan(const std::vector<ShardFolder>& shards, const std::string& scenario) {
  const ShardManifest& m0 = shards.front().manifest;
  ScenarioPlan plan;
  try {
    plan = LoadValidatedPlan(scenario, m0.overrides);
  } catch (const ScenarioError& e) {
    throw MergeError(std::string("the shards' scenario (give it with --scenario FILE): ") + e.what());
  }
  if (plan.base.name != shards.front().report["scenario"].value("name", "")) {
    throw MergeError(scenario + ": scenario '" + plan.base.name + "', but the shards ran '" +
                     shards.front().report["scenario"].value("name", "") + "'");
  }
  return plan;
}

// Every cell of the shards added up, in (cell, repetition) order; the plan
// (loaded from `scenario`) must have each.
std::vector<CellResult> MergeCells(const std::vector<ShardFolder>& shards, const ScenarioPlan& plan,
                                   const std::string& scenario, CellEpochs* epochs) {
  std::vector<CellResult> merged;
  for (const auto& [key, cell_json] : shards.front().cells) {
    if (key.first < 0 || key.first >= static_cast<int>(plan.cells.size())) {
      throw MergeError(scenario + ": has no cell " + std::to_string(key.first) +
                       " (the file changed since the shards ran?)");
    }
    CellResult m;
    m.cell = key.first;
    m.repetition = key.second;
    m.scenario = plan.cells[static_cast<size_t>(key.first)];
    m.depth_growth = NAN;
    for (size_t si = 0; si < shards.size(); ++si) {
      AddShardCell(shards[si], *shards[si].cells.at(key), m, si == 0);
      epochs->shards[key].push_back(NAN);
    }
    if (m.generated > 0) m.mean_lag_ns /= static_cast<double>(m.generated);
    if (cell_json->contains("expectations") && (*cell_json)["expectations"].is_array()) {
      m.expectations = CheckExpectations(m, plan.swept_keys);
      m.expectations_checked = true;
    }
    epochs->merged[key] = m.epoch_unix_s;
    merged.push_back(std::move(m));
  }
  return merged;
}

// Each shard's own epoch per cell, from its .hlog's StartTime line, for
// lining up its time series.
void ReadShardEpochs(const std::vector<ShardFolder>& shards, CellEpochs* epochs) {
  for (size_t si = 0; si < shards.size(); ++si) {
    for (auto& [key, by_shard] : epochs->shards) {
      std::ifstream in(fs::path(shards[si].folder) / CellFile(key, ".hlog"));
      std::string line;
      while (std::getline(in, line)) {
        if (line.rfind("#[StartTime: ", 0) == 0) {
          by_shard[si] = std::strtod(line.c_str() + 13, nullptr);
          break;
        }
      }
    }
  }
}

// Every cell's windows, not only the first's, must line up: shards begin
// later cells in slots (run --cell-gap), and one that began late ran its
// window apart from the others'.
void CheckCellWindows(const std::vector<ShardFolder>& shards, const CellEpochs& epochs) {
  for (const auto& [key, by_shard] : epochs.shards) {
    double earliest = INFINITY, latest = -INFINITY;
    size_t first = 0, last = 0;
    for (size_t si = 0; si < by_shard.size(); ++si) {
      if (!std::isfinite(by_shard[si])) continue;
      if (by_shard[si] < earliest) earliest = by_shard[si], first = si;
      if (by_shard[si] > latest) latest = by_shard[si], last = si;
    }
    if (!std::isfinite(earliest) || latest - earliest <= kMergeStartToleranceS) continue;
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
    throw MergeError(why.str());
  }
}

// ---- timeseries.csv, when the shards have one ------------------------------
//
// Rows are lined up by wall-clock time: a row's time is its cell's epoch
// (the .hlog start time) plus t_s; the merged row's t_s is that time minus
// the merged cell's epoch, rounded to whole intervals. Counts are summed;
// *_max and depth_max take the largest (and length_s, the same in every
// shard); host_cpu_pct the mean; faults the union; latency quantiles the
// largest shard's (an upper bound), or when every shard has
// <cell>-<rep>.intervals.hlog, recomputed from the merged interval
// histograms.

bool IsKeyColumn(const std::string& c) { return c == "cell" || c == "repetition" || c == "t_s"; }
bool IsMaxColumn(const std::string& c) {
  return c == "depth_max" || c == "length_s" || (c.size() > 4 && c.compare(c.size() - 4, 4, "_max") == 0) ||
         (c.size() > 7 && c.compare(c.size() - 7, 7, "_max_ms") == 0);
}
bool IsLatencyColumn(const std::string& c) { return c.rfind("latency.", 0) == 0; }
bool IsMeanColumn(const std::string& c) { return c == "host_cpu_pct"; }

// A merged timeseries.csv field: whole numbers without decimals, others to
// three; empty for no value.
std::string TimeseriesField(double v) {
  if (std::isnan(v)) return "";
  if (v == std::floor(v) && std::fabs(v) < 9e15) return std::to_string(static_cast<int64_t>(v));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

const char kTimeseriesFile[] = "timeseries.csv";

// The shards' rows added up, by (cell, repetition, interval slot).
struct TimeseriesRow {
  std::vector<double> numbers;              // per column: summed, or the largest
  std::vector<std::set<std::string>> texts;  // per column: the text values (faults)
  std::vector<int> seen;                     // per column: how many numbers were added
};
struct Timeseries {
  std::vector<std::string> header;
  std::map<std::tuple<int, int, int64_t>, TimeseriesRow> rows;
  double interval_s = 1.0;
};

// Adds one shard row's fields into `row`.
void AddFields(const std::vector<std::string>& header, const std::vector<std::string>& fields, TimeseriesRow& row) {
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

// Adds shard `si`'s timeseries.csv into `ts`: its columns must be the first
// shard's.
void AddTimeseriesFile(const fs::path& path, size_t si, const CellEpochs& epochs, Timeseries& ts) {
  const auto table = ParseCsv(ReadText(path), path.string());
  if (table.empty()) return;
  if (ts.header.empty()) {
    ts.header = table[0];
  } else if (table[0] != ts.header) {
    throw MergeError(path.string() + ": its columns differ from the first shard's");
  }
  auto column = [&](const std::string& name) {
    const auto it = std::find(ts.header.begin(), ts.header.end(), name);
    if (it == ts.header.end()) throw MergeError(path.string() + ": no column " + name);
    return static_cast<size_t>(it - ts.header.begin());
  };
  const size_t ci = column("cell"), ri = column("repetition"), ti = column("t_s");
  if (table.size() > 2) {
    const double step = std::atof(table[2][ti].c_str()) - std::atof(table[1][ti].c_str());
    if (step > 0) ts.interval_s = step;
  }
  for (size_t r = 1; r < table.size(); ++r) {
    const auto& fields = table[r];
    if (fields.size() != ts.header.size()) {
      throw MergeError(path.string() + ": row " + std::to_string(r + 1) + " is cut short");
    }
    const CellKey cell{std::atoi(fields[ci].c_str()), std::atoi(fields[ri].c_str())};
    const auto by_shard = epochs.shards.find(cell);
    if (by_shard == epochs.shards.end()) continue;
    const double wall = by_shard->second[si] + std::atof(fields[ti].c_str());
    const auto slot = static_cast<int64_t>(std::llround((wall - epochs.merged.at(cell)) / ts.interval_s));
    AddFields(ts.header, fields, ts.rows[{cell.first, cell.second, slot}]);
  }
}

// The merged interval histograms by (cell, repetition, slot, latency kind);
// nullopt unless every shard wrote <cell>-<rep>.intervals.hlog for every cell.
using IntervalHistograms = std::map<std::tuple<int, int, int64_t, std::string>, LatencyHistogram>;

std::optional<IntervalHistograms> MergeIntervalHistograms(const std::vector<ShardFolder>& shards,
                                                          const CellEpochs& epochs, double interval_s) {
  IntervalHistograms merged;
  for (const auto& [cell, epoch] : epochs.merged) {
    for (size_t si = 0; si < shards.size(); ++si) {
      const fs::path path = fs::path(shards[si].folder) / CellFile(cell, ".intervals.hlog");
      if (!fs::exists(path)) return std::nullopt;
      Hlog log = ReadShardHlog(path);
      const double start = std::isfinite(log.start_time_s) ? log.start_time_s : epochs.shards.at(cell)[si];
      for (HlogInterval& interval : log.intervals) {
        // An interval [start, start + length) is timeseries.csv's row of
        // t_s = start (results_folder.cc writes the row's t_s as its
        // StartTimestamp).
        const double wall = start + interval.start_s;
        const auto slot = static_cast<int64_t>(std::llround((wall - epoch) / interval_s));
        auto key = std::make_tuple(cell.first, cell.second, slot, interval.tag);
        auto it = merged.find(key);
        if (it == merged.end()) {
          merged.emplace(key, std::move(interval.histogram));
        } else {
          it->second.Merge(interval.histogram);
        }
      }
    }
  }
  return merged;
}

// latency.<kind>.<p50|p99|max>_ms of a row from its merged histogram;
// `fallback` (the largest shard's) for a statistic it cannot give.
std::string LatencyField(const std::string& name, const std::tuple<int, int, int64_t>& row_key,
                         const IntervalHistograms& histograms, double fallback) {
  const size_t dot = name.find('.', 8);
  const std::string kind = name.substr(8, dot - 8);
  const std::string stat = dot == std::string::npos ? "" : name.substr(dot + 1);
  const auto& [cell, repetition, slot] = row_key;
  const auto it = histograms.find({cell, repetition, slot, kind});
  if (it == histograms.end() || it->second.TotalCount() == 0) return "";
  if (stat == "max_ms") return TimeseriesField(it->second.Max() / 1e6);
  if (stat.size() > 4 && stat[0] == 'p') {
    const double pct = std::atof(stat.substr(1, stat.size() - 4).c_str());
    return TimeseriesField(it->second.ValueAtPercentile(pct) / 1e6);
  }
  return TimeseriesField(fallback);
}

std::string TimeseriesCsv(const Timeseries& ts, const std::optional<IntervalHistograms>& histograms) {
  std::ostringstream csv;
  csv << CsvLine(ts.header);
  for (const auto& [key, row] : ts.rows) {
    const auto& [cell, repetition, slot] = key;
    std::vector<std::string> fields;
    for (size_t c = 0; c < ts.header.size(); ++c) {
      const std::string& name = ts.header[c];
      if (name == "cell") {
        fields.push_back(std::to_string(cell));
      } else if (name == "repetition") {
        fields.push_back(std::to_string(repetition));
      } else if (name == "t_s") {
        fields.push_back(TimeseriesField(static_cast<double>(slot) * ts.interval_s));
      } else if (!row.texts[c].empty()) {
        fields.push_back(Join(std::vector<std::string>(row.texts[c].begin(), row.texts[c].end()), ";"));
      } else if (IsLatencyColumn(name) && histograms) {
        fields.push_back(LatencyField(name, key, *histograms, row.numbers[c]));
      } else if (IsMeanColumn(name) && row.seen[c] > 0) {
        fields.push_back(TimeseriesField(row.numbers[c] / row.seen[c]));
      } else {
        fields.push_back(TimeseriesField(row.numbers[c]));
      }
    }
    csv << CsvLine(fields);
  }
  return csv.str();
}

// Each cell's merged <cell>-<rep>.intervals.hlog.
void AddIntervalsHlogs(const IntervalHistograms& histograms, const CellEpochs& epochs, size_t shard_count,
                       double interval_s, MergedRun& run) {
  for (const auto& [cell, epoch] : epochs.merged) {
    std::ostringstream hlog;
    HlogWriter writer(hlog, epoch, "sluice merge: per-interval latencies of " + std::to_string(shard_count) + " shards, ns");
    for (const auto& [key, h] : histograms) {
      if (std::get<0>(key) != cell.first || std::get<1>(key) != cell.second) continue;
      const double end = static_cast<double>(std::get<2>(key)) * interval_s;
      writer.WriteInterval(std::get<3>(key), end - interval_s, interval_s, h);
    }
    run.files.emplace_back(CellFile(cell, ".intervals.hlog"), hlog.str());
  }
}

// Merges the shards' timeseries.csv (and interval histograms) into
// run.files, made before the merged folder is, so that bad input writes
// nothing.
void MergeTimeseries(const std::vector<ShardFolder>& shards, const CellEpochs& epochs, MergedRun& run) {
  size_t with_file = 0;
  for (const ShardFolder& shard : shards) with_file += fs::exists(fs::path(shard.folder) / kTimeseriesFile) ? 1 : 0;
  if (with_file == 0) return;
  Timeseries ts;
  for (size_t si = 0; si < shards.size(); ++si) {
    const fs::path path = fs::path(shards[si].folder) / kTimeseriesFile;
    if (!fs::exists(path)) throw MergeError(path.string() + ": missing, but other shards have one");
    AddTimeseriesFile(path, si, epochs, ts);
  }
  if (ts.header.empty()) return;
  const std::optional<IntervalHistograms> histograms = MergeIntervalHistograms(shards, epochs, ts.interval_s);
  run.files.emplace_back(kTimeseriesFile, TimeseriesCsv(ts, histograms));
  run.timeseries_note = std::string("merged ") + kTimeseriesFile + ": " + std::to_string(ts.rows.size()) +
                        " intervals" + (histograms ? ", latency quantiles from the merged interval histograms" : "");
  if (histograms) AddIntervalsHlogs(*histograms, epochs, shards.size(), ts.interval_s, run);
}

// ---- the whole merge --------------------------------------------------------

MergedRun Merge(const std::vector<std::string>& shard_folders, const std::string& scenario_file) {
  if (shard_folders.empty()) throw MergeError("no shard folders given");
  std::vector<ShardFolder> shards;
  for (const auto& f : shard_folders) shards.push_back(ReadShard(f));
  CheckTogether(shards);
  std::sort(shards.begin(), shards.end(),
            [](const ShardFolder& a, const ShardFolder& b) { return a.manifest.shard.index < b.manifest.shard.index; });
  const std::string scenario = !scenario_file.empty() ? scenario_file : shards.front().manifest.scenario_path;
  MergedRun run;
  run.plan = LoadShardsPlan(shards, scenario);
  CellEpochs epochs;
  run.cells = MergeCells(shards, run.plan, scenario, &epochs);
  ReadShardEpochs(shards, &epochs);
  CheckCellWindows(shards, epochs);
  MergeTimeseries(shards, epochs, run);
  for (const ShardFolder& s : shards) {
    run.shard_folders.push_back(s.folder);
    run.manifests.push_back(s.manifest);
  }
  const Json& first = shards.front().report;
  const Json env = first.value("environment", Json::object());
  if (env.contains("git_revision")) run.git_revision = env.at("git_revision").get<std::string>();
  run.librdkafka_version = env.value("librdkafka_version", "");
  run.broker_note = first.value("broker_note", "");
  return run;
}

// merge.json: which shards were merged, and when each began.
std::string MergeManifest(const MergedRun& run) {
  nlohmann::ordered_json manifest;
  manifest["merged_shards"] = run.manifests.front().shard.count;
  manifest["by"] = ToString(run.manifests.front().shard.by);
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (size_t i = 0; i < run.manifests.size(); ++i) {
    const ShardManifest& m = run.manifests[i];
    list.push_back({{"index", m.shard.index},
                    {"folder", run.shard_folders[i]},
                    {"started", FormatUtcMillis(m.started_unix_s)},
                    {"late_s", m.late_s}});
  }
  manifest["shards"] = list;
  return manifest.dump(2) + "\n";
}

}  // namespace

MergedRun MergeShards(const std::vector<std::string>& shard_folders, const std::string& scenario_file) {
  try {
    return Merge(shard_folders, scenario_file);
  } catch (const Json::exception& e) {
    throw MergeError(std::string("a report.json is not a sluice report: ") + e.what());
  }
}

std::string WriteMergedRun(const MergedRun& run, const MergeOptions& options) {
  try {
    auto folder = ResultsFolder::AtPath(options.output);
    ReportContext context;
    context.plan = &run.plan;
    context.environment = DetectEnvironment(options.command_line);
    if (run.git_revision) context.environment.git_revision = *run.git_revision;
    context.environment.librdkafka_version = run.librdkafka_version;
    context.overrides = run.manifests.front().overrides;
    context.broker = run.cells.empty() ? "" : run.cells.front().broker;
    context.broker_note = run.broker_note;
    folder->Begin(context);
    for (const CellResult& m : run.cells) folder->AddCell(m);
    folder->Finish("");
    folder->WriteFile("merge.json", MergeManifest(run));
    for (const auto& [name, content] : run.files) folder->WriteFile(name, content);
    return folder->path();
  } catch (const ResultsError& e) {
    throw MergeError(e.what(), MergeError::Kind::kUnwritable);
  } catch (const HlogError& e) {
    throw MergeError(e.what());
  }
}

}  // namespace sluice
