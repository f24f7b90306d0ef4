#include "sluice/report/shard_manifest.h"

#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sluice/report/reporter.h"

namespace sluice {
namespace {

using Json = nlohmann::ordered_json;

constexpr int kShardManifestVersion = 1;

Json NumberOrNull(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

double NumberOr(const Json& j, const char* key, double fallback) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : fallback;
}

}  // namespace

std::string FormatUtcMillis(double unix_s) {
  const double whole = std::floor(unix_s);
  const std::time_t t = static_cast<std::time_t>(whole);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  const int ms = std::min(999, static_cast<int>(std::lround((unix_s - whole) * 1000)));
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", ms);
  return buf;
}

std::string ToJson(const ShardManifest& m) {
  Json j;
  j["sluice_shard_version"] = kShardManifestVersion;
  j["index"] = m.shard.index;
  j["count"] = m.shard.count;
  j["by"] = ToString(m.shard.by);
  j["start_at"] = m.start_at_utc.empty() ? Json(nullptr) : Json(m.start_at_utc);
  j["start_at_unix_s"] = NumberOrNull(m.start_at_unix_s);
  j["started"] = std::isfinite(m.started_unix_s) ? Json(FormatUtcMillis(m.started_unix_s)) : Json(nullptr);
  j["started_unix_s"] = NumberOrNull(m.started_unix_s);
  j["late_s"] = m.late_s;
  j["cell_gap_s"] = NumberOrNull(m.cell_gap_s);
  Json cells = Json::array();
  for (const auto& c : m.cells) {
    cells.push_back({{"cell", c.cell},
                     {"repetition", c.repetition},
                     {"slot", std::isfinite(c.slot_unix_s) ? Json(FormatUtcMillis(c.slot_unix_s)) : Json(nullptr)},
                     {"slot_unix_s", NumberOrNull(c.slot_unix_s)},
                     {"started_unix_s", NumberOrNull(c.started_unix_s)},
                     {"late_s", c.late_s}});
  }
  j["cells"] = cells;
  j["scenario_file"] = m.scenario_file;
  j["scenario_path"] = m.scenario_path;
  Json overrides = Json::array();
  for (const auto& o : m.overrides) overrides.push_back(RedactOverride(o));
  j["overrides"] = overrides;
  j["run_id"] = m.run_id;
  return j.dump(2) + "\n";
}

ShardManifest ReadShardManifest(const std::string& folder) {
  const std::string path = (std::filesystem::path(folder) / kShardManifestFile).string();
  std::ifstream in(path);
  if (!in) throw ShardManifestError(path + ": cannot read it (not the results folder of a shard: run with --shard I/N)");
  std::stringstream text;
  text << in.rdbuf();
  Json j = Json::parse(text.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw ShardManifestError(path + ": not JSON");
  if (!j.contains("sluice_shard_version") || !j["sluice_shard_version"].is_number_integer() ||
      j["sluice_shard_version"].get<int>() != kShardManifestVersion) {
    throw ShardManifestError(path + ": sluice_shard_version: expected " + std::to_string(kShardManifestVersion));
  }
  ShardManifest m;
  try {
    m.shard.index = j.at("index").get<int>();
    m.shard.count = j.at("count").get<int>();
    m.shard.by = j.at("by").get<std::string>() == "key" ? ShardBy::kKey : ShardBy::kIndex;
    if (j.at("start_at").is_string()) m.start_at_utc = j["start_at"].get<std::string>();
    m.start_at_unix_s = NumberOr(j, "start_at_unix_s", NAN);
    m.started_unix_s = NumberOr(j, "started_unix_s", NAN);
    m.late_s = NumberOr(j, "late_s", 0);
    m.cell_gap_s = NumberOr(j, "cell_gap_s", NAN);
    if (j.contains("cells") && j["cells"].is_array()) {
      for (const Json& c : j["cells"]) {
        ShardManifest::CellStart start;
        start.cell = c.at("cell").get<int>();
        start.repetition = c.at("repetition").get<int>();
        start.slot_unix_s = NumberOr(c, "slot_unix_s", NAN);
        start.started_unix_s = NumberOr(c, "started_unix_s", NAN);
        start.late_s = NumberOr(c, "late_s", 0);
        m.cells.push_back(start);
      }
    }
    m.scenario_file = j.at("scenario_file").get<std::string>();
    m.scenario_path = j.at("scenario_path").get<std::string>();
    m.overrides = j.at("overrides").get<std::vector<std::string>>();
    m.run_id = j.value("run_id", "");
  } catch (const Json::exception& e) {
    throw ShardManifestError(path + ": " + e.what());
  }
  if (m.shard.count < 1 || m.shard.count > kMaxShards || m.shard.index < 0 || m.shard.index >= m.shard.count) {
    throw ShardManifestError(path + ": index " + std::to_string(m.shard.index) + " of " +
                             std::to_string(m.shard.count) + " is not a shard");
  }
  return m;
}

}  // namespace sluice
