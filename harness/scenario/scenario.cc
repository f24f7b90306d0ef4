#include "sluice/scenario/scenario.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include <librdkafka/rdkafka.h>

#include "sluice/core/stop.h"
#include "sluice/core/units.h"
#include "sluice/core/text.h"

namespace sluice {

std::string SourceLocation::ToString() const {
  std::string out = file;
  if (line > 0) {
    out += ":" + std::to_string(line);
    if (column > 0) out += ":" + std::to_string(column);
  }
  if (!origin.empty()) out += (out.empty() ? "" : ": ") + origin;
  return out;
}

namespace {
std::string FormatError(const SourceLocation& where, const std::string& key,
                        const std::string& message) {
  std::string out = where.ToString();
  if (!key.empty()) out += (out.empty() ? "" : ": ") + key;
  return out + ": " + message;
}
}  // namespace

ScenarioError::ScenarioError(SourceLocation where, std::string key, std::string message)
    : std::runtime_error(FormatError(where, key, message)),
      where_(std::move(where)),
      key_(std::move(key)),
      message_(std::move(message)) {}

const char* ToString(ArrivalKind kind) {
  switch (kind) {
    case ArrivalKind::kConstant: return "constant";
    case ArrivalKind::kPoisson: return "poisson";
    case ArrivalKind::kBursty: return "bursty";
    case ArrivalKind::kRamp: return "ramp";
  }
  return "?";
}

const char* ToString(SourcePriority priority) {
  return priority == SourcePriority::kRealtime ? "realtime" : "normal";
}

const char* ToString(SourceTiming timing) {
  return timing == SourceTiming::kSpin ? "spin" : "sleep";
}

const char* ToString(FaultAction action) {
  switch (action) {
    case FaultAction::kRtt: return "rtt";
    case FaultAction::kBrokerDown: return "broker_down";
    case FaultAction::kErrors: return "errors";
    case FaultAction::kLeader: return "leader";
    case FaultAction::kPause: return "pause";
    case FaultAction::kKill: return "kill";
    case FaultAction::kExec: return "exec";
  }
  return "?";
}

int FaultErrorCode(const std::string& name) {
  const struct rd_kafka_err_desc* descs = nullptr;
  size_t count = 0;
  rd_kafka_get_err_descs(&descs, &count);
  for (size_t i = 0; i < count; ++i) {
    if (descs[i].name != nullptr && name == descs[i].name && descs[i].code != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return descs[i].code;
    }
  }
  return 0;
}

std::string FaultSpec::Label() const {
  std::string label = ToString(action);
  auto broker_list = [this] {
    std::string out;
    for (int b : brokers) out += (out.empty() ? "" : "+") + std::to_string(b);
    return out;
  };
  switch (action) {
    case FaultAction::kRtt:
      label += " " + FormatDuration(rtt_ns);
      if (!brokers.empty()) label += " broker " + broker_list();
      break;
    case FaultAction::kBrokerDown:
    case FaultAction::kPause:
    case FaultAction::kKill:
      label += " " + broker_list();
      break;
    case FaultAction::kLeader:
      label += " " + broker_list();
      if (partition >= 0) label += " partition " + std::to_string(partition);
      break;
    case FaultAction::kErrors:
      label += " " + request_name + " " + error + " x" + std::to_string(count);
      break;
    case FaultAction::kExec:
      break;
  }
  return label;
}

const char* ToString(IdentityCarrier carrier) {
  return carrier == IdentityCarrier::kValue ? "value" : "headers";
}

const char* ToString(WhenFull policy) {
  switch (policy) {
    case WhenFull::kDropNewest: return "drop_newest";
    case WhenFull::kDropOldest: return "drop_oldest";
    case WhenFull::kBlock: return "block";
  }
  return "?";
}

const char* ToString(ClientMode mode) {
  return mode == ClientMode::kShared ? "shared" : "per_thread";
}

const char* ToString(DeliveryMode mode) {
  return mode == DeliveryMode::kSync ? "sync" : "async";
}

const char* ToString(PipelineKind kind) {
  return kind == PipelineKind::kDirect ? "direct" : "queued";
}

const char* ToString(PayloadFormat format) {
  switch (format) {
    case PayloadFormat::kText: return "text";
    case PayloadFormat::kBluesky: return "bluesky";
    case PayloadFormat::kWikipedia: return "wikipedia";
  }
  return "?";
}

const char* ToString(TimeFormat format) {
  switch (format) {
    case TimeFormat::kAuto: return "auto";
    case TimeFormat::kSeconds: return "s";
    case TimeFormat::kMillis: return "ms";
    case TimeFormat::kMicros: return "us";
    case TimeFormat::kNanos: return "ns";
    case TimeFormat::kIso8601: return "iso8601";
  }
  return "?";
}

const char* ToString(BadLinePolicy policy) {
  return policy == BadLinePolicy::kFail ? "fail" : "skip";
}

namespace {

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// " (did you mean 'x'?)" when a candidate is close enough, else "".
std::string Suggest(const std::string& word, const std::vector<std::string>& candidates) {
  const std::string* best = nullptr;
  size_t best_distance = std::numeric_limits<size_t>::max();
  for (const auto& c : candidates) {
    size_t d = EditDistance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = &c;
    }
  }
  if (best != nullptr && best_distance <= std::max<size_t>(2, word.size() / 3)) {
    return " (did you mean '" + *best + "'?)";
  }
  return "";
}

std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null: return "nothing";
    case YAML::NodeType::Scalar: return "'" + node.Scalar() + "'";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a map";
    default: return "nothing";
  }
}

// Knows the file and which dotted keys were overridden from the command line,
// so every error can say where the offending value came from.
class Context {
 public:
  explicit Context(std::string file) : file_(std::move(file)) {}

  void MarkOverride(const std::string& key, SourceLocation where) {
    overrides_[key] = std::move(where);
  }

  SourceLocation Where(const YAML::Node& node, const std::string& key) const {
    for (const auto& [prefix, where] : overrides_) {
      if (key == prefix || key.rfind(prefix + ".", 0) == 0) return where;
    }
    SourceLocation loc;
    loc.file = file_;
    if (node.IsDefined()) {
      YAML::Mark mark = node.Mark();
      if (mark.line >= 0) {
        loc.line = mark.line + 1;
        loc.column = mark.column + 1;
      }
    }
    return loc;
  }

  [[noreturn]] void Fail(const YAML::Node& node, const std::string& key,
                         const std::string& message) const {
    throw ScenarioError(Where(node, key), key, message);
  }

  const std::string& file() const { return file_; }

 private:
  std::string file_;
  std::map<std::string, SourceLocation> overrides_;
};

std::string JoinKey(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

// Reads one YAML map, remembers which keys were read, and refuses the rest.
class MapReader {
 public:
  MapReader(const Context& ctx, const YAML::Node& node, std::string path,
            std::initializer_list<const char*> allowed)
      : ctx_(ctx), node_(node), path_(std::move(path)) {
    for (const char* key : allowed) allowed_.emplace_back(key);
    if (!node.IsMap()) {
      ctx.Fail(node, path_, "expected a map with keys " + Join(allowed_, ", ") + ", got " +
                                 Describe(node));
    }
    for (auto it = node.begin(); it != node.end(); ++it) {
      std::string key = it->first.Scalar();
      if (std::find(allowed_.begin(), allowed_.end(), key) == allowed_.end()) {
        ctx.Fail(it->first, JoinKey(path_, key),
                 "unknown key" + Suggest(key, allowed_) + "; valid keys here: " + Join(allowed_, ", "));
      }
    }
  }

  bool Has(const char* key) const {
    YAML::Node child = node_[key];
    return child.IsDefined() && !child.IsNull();
  }
  YAML::Node Get(const char* key) const { return node_[key]; }
  std::string Key(const char* key) const { return JoinKey(path_, key); }
  const YAML::Node& node() const { return node_; }
  const std::string& path() const { return path_; }

  YAML::Node Require(const char* key) const {
    if (!Has(key)) ctx_.Fail(node_, Key(key), "required key is missing");
    return Get(key);
  }

 private:
  const Context& ctx_;
  YAML::Node node_;
  std::string path_;
  std::vector<std::string> allowed_;
};

std::string ScalarOf(const Context& ctx, const YAML::Node& node, const std::string& key,
                     const char* expected) {
  if (!node.IsScalar()) {
    ctx.Fail(node, key, std::string("expected ") + expected + ", got " + Describe(node));
  }
  return node.Scalar();
}

int64_t ReadInt(const Context& ctx, const YAML::Node& node, const std::string& key, int64_t min,
                int64_t max) {
  std::string text = ScalarOf(ctx, node, key, "an integer");
  int64_t value = 0;
  size_t used = 0;
  try {
    value = std::stoll(text, &used, 10);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size()) {
    ctx.Fail(node, key, "expected an integer, got '" + text + "'");
  }
  if (value < min || value > max) {
    ctx.Fail(node, key,
             "value " + text + " is out of range [" + std::to_string(min) + ", " +
                 std::to_string(max) + "]");
  }
  return value;
}

double ReadDouble(const Context& ctx, const YAML::Node& node, const std::string& key, double min,
                  double max) {
  std::string text = ScalarOf(ctx, node, key, "a number");
  double value = 0;
  size_t used = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || !std::isfinite(value)) {
    ctx.Fail(node, key, "expected a number, got '" + text + "'");
  }
  if (value < min || value > max) {
    std::ostringstream range;
    range << "[" << min << ", " << max << "]";
    ctx.Fail(node, key, "value " + text + " is out of range " + range.str());
  }
  return value;
}

int64_t ReadDuration(const Context& ctx, const YAML::Node& node, const std::string& key,
                     int64_t min_ns, int64_t max_ns) {
  std::string text = ScalarOf(ctx, node, key, "a duration like 30s or 200ms");
  auto value = ParseDuration(text);
  if (!value) {
    ctx.Fail(node, key, "expected a duration like 30s, 200ms, 500us or 2m, got '" + text + "'");
  }
  if (*value < min_ns || *value > max_ns) {
    ctx.Fail(node, key,
             "duration " + text + " is out of range [" + FormatDuration(min_ns) + ", " +
                 FormatDuration(max_ns) + "]");
  }
  return *value;
}

int64_t ReadSize(const Context& ctx, const YAML::Node& node, const std::string& key, int64_t min,
                 int64_t max) {
  std::string text = ScalarOf(ctx, node, key, "a size like 450B or 64KiB");
  auto value = ParseSize(text);
  if (!value) {
    ctx.Fail(node, key, "expected a size like 450B, 64KiB or 1MiB, got '" + text + "'");
  }
  if (*value < min || *value > max) {
    ctx.Fail(node, key,
             "size " + text + " is out of range [" + FormatSize(min) + ", " + FormatSize(max) +
                 "]");
  }
  return *value;
}

double ReadRate(const Context& ctx, const YAML::Node& node, const std::string& key, double min,
                double max) {
  std::string text = ScalarOf(ctx, node, key, "a rate like 50k/s");
  // A bare number is refused: "1000" could be per second, per minute or a
  // count, and the README promises that a rate always says "/s".
  auto value = text.find("/s") == std::string::npos ? std::nullopt : ParseRate(text);
  if (!value) {
    ctx.Fail(node, key, "expected a rate like 500/s, 50k/s or 1.5M/s, got '" + text + "'");
  }
  if (*value < min || *value > max) {
    ctx.Fail(node, key,
             "rate " + text + " is out of range [" + FormatRate(min) + ", " + FormatRate(max) + "]");
  }
  return *value;
}

template <typename Enum>
Enum ReadChoice(const Context& ctx, const YAML::Node& node, const std::string& key,
                const std::vector<std::pair<std::string, Enum>>& choices) {
  std::vector<std::string> names;
  for (const auto& [name, value] : choices) names.push_back(name);
  std::string text = ScalarOf(ctx, node, key, ("one of " + Join(names, " | ")).c_str());
  for (const auto& [name, value] : choices) {
    if (name == text) return value;
  }
  ctx.Fail(node, key,
           "expected one of " + Join(names, " | ") + ", got '" + text + "'" + Suggest(text, names));
}

std::string ReadName(const Context& ctx, const YAML::Node& node, const std::string& key) {
  std::string text = ScalarOf(ctx, node, key, "a name");
  if (text.empty()) ctx.Fail(node, key, "must not be empty");
  for (char c : text) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
    if (!ok) {
      ctx.Fail(node, key,
               "'" + text + "' may only hold letters, digits, '.', '_' and '-' (it names files "
               "and topics)");
    }
  }
  return text;
}

bool ReadBool(const Context& ctx, const YAML::Node& node, const std::string& key) {
  std::string text = ScalarOf(ctx, node, key, "true or false");
  if (text == "true") return true;
  if (text == "false") return false;
  ctx.Fail(node, key, "expected true or false, got '" + text + "'");
}

std::vector<KafkaProperty> ReadProperties(const Context& ctx, const YAML::Node& node,
                                          const std::string& key) {
  std::vector<KafkaProperty> out;
  if (!node.IsDefined() || node.IsNull()) return out;
  if (!node.IsMap()) ctx.Fail(node, key, "expected a map of property: value, got " + Describe(node));
  for (auto it = node.begin(); it != node.end(); ++it) {
    std::string name = it->first.Scalar();
    std::string full = key + "." + name;
    std::string value = ScalarOf(ctx, it->second, full, "a scalar value");
    out.push_back({name, value, ctx.Where(it->second, full)});
  }
  return out;
}

SizeDistribution ReadSizeDistribution(const Context& ctx, const YAML::Node& node,
                                      const std::string& key) {
  constexpr int64_t kMaxEvent = 64LL * 1024 * 1024;
  SizeDistribution size;
  if (node.IsScalar()) {
    size.kind = SizeDistribution::Kind::kFixed;
    size.fixed = ReadSize(ctx, node, key, 1, kMaxEvent);
    size.min = size.max = size.fixed;
    return size;
  }
  MapReader map(ctx, node, key, {"median", "p99", "min", "max"});
  size.kind = SizeDistribution::Kind::kLognormal;
  size.median = ReadSize(ctx, map.Require("median"), map.Key("median"), 1, kMaxEvent);
  size.p99 = ReadSize(ctx, map.Require("p99"), map.Key("p99"), 1, kMaxEvent);
  if (size.p99 < size.median) {
    ctx.Fail(map.Get("p99"), map.Key("p99"), "p99 must be at least the median");
  }
  size.min = map.Has("min") ? ReadSize(ctx, map.Get("min"), map.Key("min"), 1, kMaxEvent) : 1;
  size.max = map.Has("max") ? ReadSize(ctx, map.Get("max"), map.Key("max"), 1, kMaxEvent)
                            : std::min(kMaxEvent, size.p99 * 8);
  if (size.min > size.median || size.max < size.median) {
    ctx.Fail(node, key, "expected min <= median <= max");
  }
  return size;
}

KeySpec ReadKeys(const Context& ctx, const YAML::Node& node, const std::string& key) {
  KeySpec keys;
  if (!node.IsDefined() || node.IsNull()) return keys;
  if (node.IsScalar()) {
    if (node.Scalar() != "none") {
      ctx.Fail(node, key, "expected 'none' or a map {count: N, zipf: S}, got " + Describe(node));
    }
    return keys;
  }
  MapReader map(ctx, node, key, {"count", "zipf"});
  keys.count = ReadInt(ctx, map.Require("count"), map.Key("count"), 1, 1'000'000'000);
  keys.kind = KeySpec::Kind::kUniform;
  if (map.Has("zipf")) {
    keys.zipf_exponent = ReadDouble(ctx, map.Get("zipf"), map.Key("zipf"), 0, 10);
    if (keys.zipf_exponent > 0) keys.kind = KeySpec::Kind::kZipf;
  }
  return keys;
}

// `reuse_events`: the event types, already read from this very subtree (no
// sweep value lies below source.synthetic.events): taken as they are. With
// 255 types, reading them was 90% of validating a 10,000-cell sweep.
SyntheticSourceSpec ReadSynthetic(const Context& ctx, const YAML::Node& node,
                                  const std::string& key,
                                  const std::vector<EventTypeSpec>* reuse_events) {
  MapReader map(ctx, node, key,
                {"rate", "arrival", "bursty", "ramp", "events", "keys", "payload", "max_rate"});
  SyntheticSourceSpec src;
  if (map.Has("payload")) {
    src.payload = ReadChoice<PayloadFormat>(ctx, map.Get("payload"), map.Key("payload"),
                                            {{"text", PayloadFormat::kText},
                                             {"bluesky", PayloadFormat::kBluesky},
                                             {"wikipedia", PayloadFormat::kWikipedia}});
  }
  if (map.Require("rate").IsScalar() && map.Get("rate").Scalar() == "max") {
    src.search_max_rate = true;
    if (!map.Has("max_rate")) {
      ctx.Fail(map.Get("rate"), map.Key("rate"),
               "rate: max needs max_rate: {p99_below: 50ms} (and optionally probe, start, limit, "
               "max_probes)");
    }
    MapReader m(ctx, map.Get("max_rate"), map.Key("max_rate"),
                {"p99_below", "probe", "start", "limit", "max_probes"});
    MaxRateSpec& spec = src.max_rate;
    spec.p99_below_ns = ReadDuration(ctx, m.Require("p99_below"), m.Key("p99_below"), 1000, 3600e9);
    if (m.Has("probe")) spec.probe_ns = ReadDuration(ctx, m.Get("probe"), m.Key("probe"), 100'000'000, 3600e9);
    if (m.Has("start")) spec.start = ReadRate(ctx, m.Get("start"), m.Key("start"), 1, 1e9);
    if (m.Has("limit")) spec.limit = ReadRate(ctx, m.Get("limit"), m.Key("limit"), 1, 1e9);
    if (m.Has("max_probes")) {
      spec.max_probes = static_cast<int>(ReadInt(ctx, m.Get("max_probes"), m.Key("max_probes"), 1, 100));
    }
    if (spec.start > spec.limit) {
      ctx.Fail(m.Get("start"), m.Key("start"), "the first rate tried is above limit");
    }
    src.rate = spec.start;
  } else {
    src.rate = ReadRate(ctx, map.Require("rate"), map.Key("rate"), 1e-3, 1e9);
    if (map.Has("max_rate")) {
      ctx.Fail(map.Get("max_rate"), map.Key("max_rate"), "is only used with rate: max");
    }
  }
  if (map.Has("arrival")) {
    src.arrival = ReadChoice<ArrivalKind>(ctx, map.Get("arrival"), map.Key("arrival"),
                                          {{"constant", ArrivalKind::kConstant},
                                           {"poisson", ArrivalKind::kPoisson},
                                           {"bursty", ArrivalKind::kBursty},
                                           {"ramp", ArrivalKind::kRamp}});
  }
  if (map.Has("bursty")) {
    if (src.arrival != ArrivalKind::kBursty) {
      ctx.Fail(map.Get("bursty"), map.Key("bursty"), "is only used with arrival: bursty");
    }
    MapReader b(ctx, map.Get("bursty"), map.Key("bursty"), {"on", "off", "factor"});
    if (b.Has("on")) src.bursty.on_ns = ReadDuration(ctx, b.Get("on"), b.Key("on"), 1000, 3600e9);
    if (b.Has("off")) {
      src.bursty.off_ns = ReadDuration(ctx, b.Get("off"), b.Key("off"), 0, 3600e9);
    }
    if (b.Has("factor")) {
      src.bursty.factor = ReadDouble(ctx, b.Get("factor"), b.Key("factor"), 1, 1e6);
    }
  }
  if (map.Has("ramp")) {
    if (src.arrival != ArrivalKind::kRamp) {
      ctx.Fail(map.Get("ramp"), map.Key("ramp"), "is only used with arrival: ramp");
    }
    MapReader r(ctx, map.Get("ramp"), map.Key("ramp"), {"from"});
    src.ramp.from_rate = ReadRate(ctx, r.Require("from"), r.Key("from"), 0, 1e9);
  }
  if (reuse_events != nullptr) {
    src.events = *reuse_events;
  } else if (map.Has("events")) {
    YAML::Node events = map.Get("events");
    std::string events_key = map.Key("events");
    if (!events.IsSequence() || events.size() == 0) {
      ctx.Fail(events, events_key, "expected a non-empty list of {type, weight, size}");
    }
    // Before reading any entry: a list of a million entries is refused at
    // once, not after building a million types.
    if (events.size() > kMaxEventTypes) {
      ctx.Fail(events, events_key,
               "at most " + std::to_string(kMaxEventTypes) + " event types, got " +
                   std::to_string(events.size()));
    }
    std::set<std::string> seen;
    for (size_t i = 0; i < events.size(); ++i) {
      std::string item_key = events_key + "." + std::to_string(i);
      MapReader e(ctx, events[i], item_key, {"type", "weight", "size"});
      EventTypeSpec type;
      type.name = ReadName(ctx, e.Require("type"), e.Key("type"));
      if (!seen.insert(type.name).second) {
        ctx.Fail(e.Get("type"), e.Key("type"), "event type '" + type.name + "' appears twice");
      }
      if (e.Has("weight")) type.weight = ReadDouble(ctx, e.Get("weight"), e.Key("weight"), 0, 1e9);
      if (e.Has("size")) type.size = ReadSizeDistribution(ctx, e.Get("size"), e.Key("size"));
      src.events.push_back(type);
    }
    double total = 0;
    for (const auto& t : src.events) total += t.weight;
    if (total <= 0) ctx.Fail(events, events_key, "the weights must not all be zero");
  } else {
    EventTypeSpec type;
    type.name = "event";
    src.events.push_back(type);
  }
  if (map.Has("keys")) src.keys = ReadKeys(ctx, map.Get("keys"), map.Key("keys"));
  return src;
}

// A dotted JSON path: non-empty segments separated by dots.
std::string ReadJsonPath(const Context& ctx, const YAML::Node& node, const std::string& key) {
  std::string text = ScalarOf(ctx, node, key, "a field name like time_us or meta.dt");
  bool ok = !text.empty() && text.front() != '.' && text.back() != '.' &&
            text.find("..") == std::string::npos;
  if (!ok) ctx.Fail(node, key, "expected a field name like time_us or meta.dt, got '" + text + "'");
  return text;
}

ReplaySourceSpec ReadReplay(const Context& ctx, const YAML::Node& node, const std::string& key) {
  MapReader map(ctx, node, key,
                {"file", "time", "time_format", "key", "type", "speed", "loop", "on_bad_line",
                 "reorder_window"});
  ReplaySourceSpec r;
  r.file = ScalarOf(ctx, map.Require("file"), map.Key("file"), "a trace file (.jsonl or .jsonl.gz)");
  std::filesystem::path file(r.file);
  if (file.is_relative()) file = std::filesystem::path(ctx.file()).parent_path() / file;
  r.path = file.lexically_normal().string();
  // stat, not open: opening a FIFO blocks until someone writes to it.
  struct stat info {};
  if (::stat(r.path.c_str(), &info) != 0 || ::access(r.path.c_str(), R_OK) != 0) {
    ctx.Fail(map.Get("file"), map.Key("file"),
             "cannot open trace file '" + r.path + "' (a relative path is taken from the "
             "scenario file's folder)");
  }
  if (!S_ISREG(info.st_mode)) {
    ctx.Fail(map.Get("file"), map.Key("file"),
             "trace file '" + r.path + "' is not a regular file (a directory, FIFO or device): "
             "a replay reads its trace again for every cell and every loop");
  }
  r.time_field = ReadJsonPath(ctx, map.Require("time"), map.Key("time"));
  if (map.Has("time_format")) {
    r.time_format = ReadChoice<TimeFormat>(ctx, map.Get("time_format"), map.Key("time_format"),
                                           {{"auto", TimeFormat::kAuto},
                                            {"s", TimeFormat::kSeconds},
                                            {"ms", TimeFormat::kMillis},
                                            {"us", TimeFormat::kMicros},
                                            {"ns", TimeFormat::kNanos},
                                            {"iso8601", TimeFormat::kIso8601}});
  }
  if (map.Has("key")) r.key_field = ReadJsonPath(ctx, map.Get("key"), map.Key("key"));
  if (map.Has("type")) r.type_field = ReadJsonPath(ctx, map.Get("type"), map.Key("type"));
  if (map.Has("speed")) {
    YAML::Node speed = map.Get("speed");
    if (speed.IsScalar() && speed.Scalar() == "max") {
      r.speed = 0;
    } else {
      r.speed = ReadDouble(ctx, speed, map.Key("speed"), 1e-6, 1e9);
    }
  }
  if (map.Has("loop")) {
    YAML::Node loop = map.Get("loop");
    if (loop.IsScalar() && loop.Scalar() == "forever") {
      r.loop = 0;
    } else {
      r.loop = ReadInt(ctx, loop, map.Key("loop"), 1, 1'000'000'000);
    }
  }
  if (map.Has("on_bad_line")) {
    r.on_bad_line = ReadChoice<BadLinePolicy>(
        ctx, map.Get("on_bad_line"), map.Key("on_bad_line"),
        {{"skip", BadLinePolicy::kSkip}, {"fail", BadLinePolicy::kFail}});
  }
  if (map.Has("reorder_window")) {
    r.reorder_window =
        ReadInt(ctx, map.Get("reorder_window"), map.Key("reorder_window"), 0, 1'000'000);
  }
  return r;
}

// expect: { column: condition, ... }; `when` is empty for the top-level map.
void ReadExpectMap(const Context& ctx, const YAML::Node& node, const std::string& key,
                   const std::vector<Parameter>& when, std::vector<ExpectationSpec>* out) {
  if (!node.IsMap()) {
    ctx.Fail(node, key, "expected a map of report column: condition, got " + Describe(node));
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    ExpectationSpec e;
    e.column = it->first.Scalar();
    e.key = key + "." + e.column;
    e.condition = ScalarOf(ctx, it->second, e.key, "a condition like '< 250ms' or 0");
    e.where = ctx.Where(it->second, e.key);
    e.column_where = ctx.Where(it->first, e.key);
    e.when = when;
    out->push_back(std::move(e));
  }
}

// expect_when: [ { when: { swept.key: value, ... }, expect: { ... } }, ... ]
void ReadExpectWhen(const Context& ctx, const YAML::Node& node, std::vector<ExpectationSpec>* out) {
  if (!node.IsSequence()) {
    ctx.Fail(node, "expect_when", "expected a list of {when: {swept.key: value}, expect: {...}}");
  }
  for (size_t i = 0; i < node.size(); ++i) {
    const std::string item = "expect_when." + std::to_string(i);
    MapReader entry(ctx, node[i], item, {"when", "expect"});
    YAML::Node when_node = entry.Require("when");
    if (!when_node.IsMap() || when_node.size() == 0) {
      ctx.Fail(when_node, entry.Key("when"), "expected a map of swept key: value");
    }
    std::vector<Parameter> when;
    for (auto it = when_node.begin(); it != when_node.end(); ++it) {
      const std::string k = entry.Key("when") + "." + it->first.Scalar();
      when.push_back({it->first.Scalar(), ScalarOf(ctx, it->second, k, "a swept value"),
                      ctx.Where(it->second, k)});
    }
    ReadExpectMap(ctx, entry.Require("expect"), entry.Key("expect"), when, out);
  }
}


// The Kafka requests an `errors` fault can fail (their API keys).
const std::vector<std::pair<std::string, int>>& FaultRequests() {
  static const std::vector<std::pair<std::string, int>> requests = {
      {"Produce", 0}, {"Metadata", 3}, {"ApiVersions", 18}, {"InitProducerId", 22}};
  return requests;
}

// faults: [ {at, action, ...}, ... ], each entry checked against what its
// action uses; sorted by `at`.
std::vector<FaultSpec> ReadFaults(const Context& ctx, const YAML::Node& node, const Scenario& s) {
  std::vector<FaultSpec> out;
  if (!node.IsSequence()) {
    ctx.Fail(node, "faults", "expected a list of {at: 4s, action: ..., ...}, got " + Describe(node));
  }
  for (size_t i = 0; i < node.size(); ++i) {
    const std::string item = "faults." + std::to_string(i);
    MapReader m(ctx, node[i], item,
                {"at", "duration", "action", "rtt", "brokers", "broker", "request", "error", "count",
                 "partition", "run", "undo"});
    FaultSpec f;
    f.where = ctx.Where(node[i], item);
    f.action = ReadChoice<FaultAction>(ctx, m.Require("action"), m.Key("action"),
                                       {{"rtt", FaultAction::kRtt},
                                        {"broker_down", FaultAction::kBrokerDown},
                                        {"errors", FaultAction::kErrors},
                                        {"leader", FaultAction::kLeader},
                                        {"pause", FaultAction::kPause},
                                        {"kill", FaultAction::kKill},
                                        {"exec", FaultAction::kExec}});
    const std::string action = ToString(f.action);
    // The keys each action uses; any other is refused, so a typo'd or
    // misplaced key never silently does nothing.
    std::vector<std::string> uses = {"at", "action"};
    switch (f.action) {
      case FaultAction::kRtt: uses.insert(uses.end(), {"duration", "rtt", "brokers"}); break;
      case FaultAction::kBrokerDown:
      case FaultAction::kPause:
      case FaultAction::kKill: uses.insert(uses.end(), {"duration", "broker"}); break;
      case FaultAction::kErrors: uses.insert(uses.end(), {"duration", "request", "error", "count"}); break;
      case FaultAction::kLeader: uses.insert(uses.end(), {"broker", "partition"}); break;
      case FaultAction::kExec: uses.insert(uses.end(), {"duration", "run", "undo"}); break;
    }
    for (auto it = node[i].begin(); it != node[i].end(); ++it) {
      const std::string key = it->first.Scalar();
      if (std::find(uses.begin(), uses.end(), key) == uses.end()) {
        ctx.Fail(it->first, m.Key(key.c_str()),
                 "does not apply to action " + action + "; it uses " + Join(uses, ", "));
      }
    }
    f.at_ns = ReadDuration(ctx, m.Require("at"), m.Key("at"), 0, 24 * 3600e9);
    if (f.at_ns >= s.total_ns()) {
      ctx.Fail(m.Get("at"), m.Key("at"),
               "is at or after the end of the run (warmup + duration = " + FormatDuration(s.total_ns()) +
                   "): the fault would never happen");
    }
    const bool needs_duration = f.action == FaultAction::kRtt || f.action == FaultAction::kBrokerDown ||
                                f.action == FaultAction::kPause || f.action == FaultAction::kKill;
    if (needs_duration || m.Has("duration")) {
      YAML::Node d = needs_duration ? m.Require("duration") : m.Get("duration");
      f.duration_ns = ReadDuration(ctx, d, m.Key("duration"), 1'000'000, 24 * 3600e9);
    }
    const int max_broker = s.broker.embedded ? s.broker.brokers : 16;
    auto read_broker = [&](const YAML::Node& b, const std::string& key) {
      return static_cast<int>(ReadInt(ctx, b, key, 1, max_broker));
    };
    switch (f.action) {
      case FaultAction::kRtt:
        f.rtt_ns = ReadDuration(ctx, m.Require("rtt"), m.Key("rtt"), 0, 60e9);
        if (f.rtt_ns % 1'000'000 != 0) {
          ctx.Fail(m.Get("rtt"), m.Key("rtt"), "the embedded broker injects round-trip time in whole milliseconds");
        }
        if (m.Has("brokers")) {
          YAML::Node list = m.Get("brokers");
          if (!list.IsSequence() || list.size() == 0) {
            ctx.Fail(list, m.Key("brokers"), "expected a list of broker ids like [1, 2]");
          }
          for (size_t k = 0; k < list.size(); ++k) {
            f.brokers.push_back(read_broker(list[k], m.Key("brokers") + "." + std::to_string(k)));
          }
        }
        break;
      case FaultAction::kBrokerDown:
      case FaultAction::kPause:
      case FaultAction::kKill:
        f.brokers.push_back(read_broker(m.Require("broker"), m.Key("broker")));
        break;
      case FaultAction::kLeader:
        f.brokers.push_back(read_broker(m.Require("broker"), m.Key("broker")));
        if (m.Has("partition")) {
          f.partition = static_cast<int>(
              ReadInt(ctx, m.Get("partition"), m.Key("partition"), 0, s.topic.partitions - 1));
        }
        break;
      case FaultAction::kErrors: {
        std::vector<std::pair<std::string, int>> requests = FaultRequests();
        f.request = ReadChoice<int>(ctx, m.Require("request"), m.Key("request"), requests);
        f.request_name = m.Get("request").Scalar();
        f.error = ScalarOf(ctx, m.Require("error"), m.Key("error"), "a Kafka error name like NOT_ENOUGH_REPLICAS");
        if (!FaultErrorCode(f.error)) {
          ctx.Fail(m.Get("error"), m.Key("error"),
                   "'" + f.error + "' is not an error name librdkafka knows (e.g. NOT_ENOUGH_REPLICAS, "
                   "REQUEST_TIMED_OUT, NOT_LEADER_FOR_PARTITION, _TRANSPORT)");
        }
        f.count = ReadInt(ctx, m.Require("count"), m.Key("count"), 1, 1'000'000);
        break;
      }
      case FaultAction::kExec:
        f.run = ScalarOf(ctx, m.Require("run"), m.Key("run"), "a shell command");
        if (f.run.empty()) ctx.Fail(m.Get("run"), m.Key("run"), "must not be empty");
        if (m.Has("undo")) {
          f.undo = ScalarOf(ctx, m.Get("undo"), m.Key("undo"), "a shell command");
          if (!m.Has("duration")) {
            ctx.Fail(m.Get("undo"), m.Key("undo"), "needs a duration: the undo runs at at + duration");
          }
        }
        break;
    }
    const bool embedded_only = f.action == FaultAction::kRtt || f.action == FaultAction::kBrokerDown ||
                               f.action == FaultAction::kErrors || f.action == FaultAction::kLeader;
    if (embedded_only && !s.broker.embedded) {
      ctx.Fail(m.Get("action"), m.Key("action"),
               action + " acts on the embedded broker, and broker.bootstrap names a real cluster; "
               "use pause, kill (tools/kafka-local) or exec there");
    }
    out.push_back(std::move(f));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const FaultSpec& a, const FaultSpec& b) { return a.at_ns < b.at_ns; });
  return out;
}

// `reuse_events`: see ReadSynthetic.
Scenario ReadScenario(const Context& ctx, const YAML::Node& root,
                      const std::vector<EventTypeSpec>* reuse_events = nullptr) {
  MapReader top(ctx, root, "",
                {"name", "description", "seed", "duration", "warmup", "broker", "topic", "source",
                 "queue", "producers", "sweep", "repeat", "pipeline", "expect", "expect_when", "faults",
                 "report", "verify"});
  Scenario s;
  s.file = ctx.file();
  s.name = top.Has("name") ? ReadName(ctx, top.Get("name"), "name")
                           : std::filesystem::path(ctx.file()).stem().string();
  if (top.Has("description")) s.description = ScalarOf(ctx, top.Get("description"), "description", "a line of text");
  if (top.Has("seed")) {
    s.seed = static_cast<uint64_t>(
        ReadInt(ctx, top.Get("seed"), "seed", 0, std::numeric_limits<int64_t>::max()));
  }
  s.duration_ns = ReadDuration(ctx, top.Require("duration"), "duration", 1'000'000, 24 * 3600e9);
  if (top.Has("warmup")) s.warmup_ns = ReadDuration(ctx, top.Get("warmup"), "warmup", 0, 3600e9);
  if (top.Has("repeat")) s.repeat = static_cast<int>(ReadInt(ctx, top.Get("repeat"), "repeat", 1, 1000));
  if (top.Has("pipeline")) {
    s.pipeline = ReadChoice<PipelineKind>(ctx, top.Get("pipeline"), "pipeline",
                                          {{"queued", PipelineKind::kQueued},
                                           {"direct", PipelineKind::kDirect}});
  }

  if (top.Has("broker")) {
    MapReader b(ctx, top.Get("broker"), "broker", {"embedded", "bootstrap", "connect_timeout"});
    if (b.Has("embedded") && b.Has("bootstrap")) {
      ctx.Fail(b.Get("bootstrap"), "broker.bootstrap",
               "give either broker.embedded or broker.bootstrap, not both");
    }
    if (b.Has("bootstrap")) {
      s.broker.embedded = false;
      s.broker.bootstrap = ScalarOf(ctx, b.Get("bootstrap"), "broker.bootstrap",
                                    "a bootstrap list like host1:9092,host2:9092");
      if (s.broker.bootstrap.empty()) {
        ctx.Fail(b.Get("bootstrap"), "broker.bootstrap", "must not be empty");
      }
    }
    if (b.Has("embedded")) {
      YAML::Node e = b.Get("embedded");
      if (!(e.IsScalar() && e.Scalar() == "true")) {
        MapReader em(ctx, e, "broker.embedded", {"brokers", "rtt"});
        if (em.Has("brokers")) {
          s.broker.brokers = static_cast<int>(ReadInt(ctx, em.Get("brokers"), em.Key("brokers"), 1, 16));
        }
        if (em.Has("rtt")) s.broker.rtt_ns = ReadDuration(ctx, em.Get("rtt"), em.Key("rtt"), 0, 60e9);
        if (s.broker.rtt_ns % 1'000'000 != 0) {
          ctx.Fail(em.Get("rtt"), em.Key("rtt"),
                   "the embedded broker injects round-trip time in whole milliseconds");
        }
      }
    }
    if (b.Has("connect_timeout")) {
      s.broker.connect_timeout_ns = ReadDuration(ctx, b.Get("connect_timeout"),
                                                 "broker.connect_timeout", 100'000'000, 600e9);
    }
  }

  s.topic.name = s.name;  // unless topic.name says otherwise
  if (top.Has("topic")) {
    MapReader t(ctx, top.Get("topic"), "topic", {"name", "partitions", "replication", "config", "reuse"});
    if (t.Has("name")) s.topic.name = ReadName(ctx, t.Get("name"), "topic.name");
    if (t.Has("partitions")) {
      s.topic.partitions = static_cast<int>(ReadInt(ctx, t.Get("partitions"), "topic.partitions", 1, 10000));
    }
    if (t.Has("replication")) {
      s.topic.replication =
          static_cast<int>(ReadInt(ctx, t.Get("replication"), "topic.replication", 1, 16));
    }
    s.topic.config = ReadProperties(ctx, t.Get("config"), "topic.config");
    if (t.Has("reuse")) s.topic.reuse = ReadBool(ctx, t.Get("reuse"), "topic.reuse");
    if (s.broker.embedded && s.topic.replication > s.broker.brokers) {
      ctx.Fail(t.Get("replication"), "topic.replication",
               "replication " + std::to_string(s.topic.replication) + " exceeds the " +
                   std::to_string(s.broker.brokers) + " embedded brokers");
    }
  }

  {
    MapReader src(ctx, top.Require("source"), "source", {"synthetic", "replay", "timing", "priority"});
    if (src.Has("priority")) {
      s.priority = ReadChoice<SourcePriority>(ctx, src.Get("priority"), "source.priority",
                                              {{"normal", SourcePriority::kNormal},
                                               {"realtime", SourcePriority::kRealtime}});
    }
    if (src.Has("timing")) {
      s.timing = ReadChoice<SourceTiming>(ctx, src.Get("timing"), "source.timing",
                                          {{"sleep", SourceTiming::kSleep},
                                           {"spin", SourceTiming::kSpin}});
    }
    if (src.Has("replay")) {
      if (src.Has("synthetic")) {
        ctx.Fail(src.Get("replay"), "source.replay",
                 "give either source.synthetic or source.replay, not both");
      }
      s.source_kind = SourceKind::kReplay;
      s.replay = ReadReplay(ctx, src.Get("replay"), "source.replay");
      EventTypeSpec type;
      type.name = "event";
      s.source.events.push_back(type);
    } else {
      if (!src.Has("synthetic")) {
        ctx.Fail(src.node(), "source", "expected source.synthetic or source.replay");
      }
      s.source = ReadSynthetic(ctx, src.Require("synthetic"), "source.synthetic", reuse_events);
    }
  }

  if (top.Has("queue")) {
    MapReader q(ctx, top.Get("queue"), "queue", {"capacity", "when_full"});
    if (q.Has("capacity")) s.queue.capacity = ReadInt(ctx, q.Get("capacity"), "queue.capacity", 1, 50'000'000);
    if (q.Has("when_full")) {
      s.queue.when_full = ReadChoice<WhenFull>(ctx, q.Get("when_full"), "queue.when_full",
                                               {{"drop_newest", WhenFull::kDropNewest},
                                                {"drop_oldest", WhenFull::kDropOldest},
                                                {"block", WhenFull::kBlock}});
    }
  }

  if (top.Has("expect")) ReadExpectMap(ctx, top.Get("expect"), "expect", {}, &s.expectations);
  if (top.Has("expect_when")) ReadExpectWhen(ctx, top.Get("expect_when"), &s.expectations);

  if (top.Has("producers")) {
    MapReader p(ctx, top.Get("producers"), "producers",
                {"threads", "client", "delivery", "kafka", "dequeue_batch", "drain_timeout",
                 "flush_timeout"});
    if (p.Has("threads")) s.producers.threads = static_cast<int>(ReadInt(ctx, p.Get("threads"), "producers.threads", 1, 64));
    if (p.Has("client")) {
      s.producers.client = ReadChoice<ClientMode>(
          ctx, p.Get("client"), "producers.client",
          {{"per_thread", ClientMode::kPerThread}, {"shared", ClientMode::kShared}});
    }
    if (p.Has("delivery")) {
      s.producers.delivery = ReadChoice<DeliveryMode>(
          ctx, p.Get("delivery"), "producers.delivery",
          {{"async", DeliveryMode::kAsync}, {"sync", DeliveryMode::kSync}});
    }
    s.producers.kafka = ReadProperties(ctx, p.Get("kafka"), "producers.kafka");
    if (p.Has("dequeue_batch")) {
      s.producers.dequeue_batch =
          static_cast<int>(ReadInt(ctx, p.Get("dequeue_batch"), "producers.dequeue_batch", 1, 65536));
    }
    if (p.Has("drain_timeout")) {
      s.producers.drain_timeout_ns =
          ReadDuration(ctx, p.Get("drain_timeout"), "producers.drain_timeout", 0, 3600e9);
    }
    if (p.Has("flush_timeout")) {
      s.producers.flush_timeout_ns =
          ReadDuration(ctx, p.Get("flush_timeout"), "producers.flush_timeout", 0, 3600e9);
    }
  }
  if (top.Has("report")) {
    MapReader r(ctx, top.Get("report"), "report", {"interval"});
    if (r.Has("interval")) {
      s.report.interval_ns = ReadDuration(ctx, r.Get("interval"), "report.interval", 100'000'000, 3600e9);
    }
  }
  // After broker, topic, warmup and duration: the faults are checked against them.
  if (top.Has("faults")) s.faults = ReadFaults(ctx, top.Get("faults"), s);

  if (top.Has("verify")) {
    const YAML::Node v = top.Get("verify");
    if (v.IsScalar()) {
      s.verify.identity = s.verify.consume = ReadBool(ctx, v, "verify");
    } else {
      MapReader m(ctx, v, "verify", {"consume", "carrier", "timeout", "settle"});
      s.verify.identity = true;
      s.verify.consume = m.Has("consume") ? ReadBool(ctx, m.Get("consume"), m.Key("consume")) : true;
      if (m.Has("carrier")) {
        s.verify.carrier = ReadChoice<IdentityCarrier>(
            ctx, m.Get("carrier"), m.Key("carrier"),
            {{"headers", IdentityCarrier::kHeaders}, {"value", IdentityCarrier::kValue}});
      }
      if (m.Has("timeout")) {
        s.verify.timeout_ns = ReadDuration(ctx, m.Get("timeout"), m.Key("timeout"), 0, 3600e9);
      }
      if (m.Has("settle")) {
        s.verify.settle_ns = ReadDuration(ctx, m.Get("settle"), m.Key("settle"), 0, 600e9);
      }
    }
  }
  if (s.pipeline == PipelineKind::kDirect && s.producers.threads != 1) {
    ctx.Fail(top.Get("pipeline"), "pipeline",
             "direct has no workers: the source thread produces, so producers.threads must be 1 (it is " +
                 std::to_string(s.producers.threads) + ")");
  }
  return s;
}

// Writes `value` at the place a dotted key names, creating maps on the way.
// A segment may itself contain dots (librdkafka's "linger.ms"): the longest
// run of segments that names an existing key wins, and below a property map
// (producers.kafka, topic.config) the whole rest is one key. Returns false
// when the path runs into a scalar or past the end of a list.
bool WritePath(YAML::Node root, const std::string& dotted, const YAML::Node& value) {
  std::vector<std::string> parts;
  std::stringstream ss(dotted);
  for (std::string part; std::getline(ss, part, '.');) parts.push_back(part);
  YAML::Node node = root;
  std::string walked;
  size_t i = 0;
  while (i < parts.size()) {
    bool property_map = walked == "producers.kafka" || walked == "topic.config";
    size_t take = 1;
    if (property_map) {
      take = parts.size() - i;
    } else if (node.IsMap()) {
      for (size_t n = parts.size() - i; n > 1; --n) {
        std::string candidate = parts[i];
        for (size_t k = 1; k < n; ++k) candidate += "." + parts[i + k];
        if (node[candidate].IsDefined()) {
          take = n;
          break;
        }
      }
    }
    std::string key = parts[i];
    for (size_t k = 1; k < take; ++k) key += "." + parts[i + k];
    const bool last = i + take == parts.size();
    if (node.IsSequence()) {
      size_t index = 0;
      try {
        index = std::stoul(key);
      } catch (const std::exception&) {
        return false;
      }
      if (index >= node.size()) return false;
      if (last) {
        node[index] = value;
        return true;
      }
      YAML::Node next = node[index];
      node.reset(next);
    } else {
      if (!node.IsMap()) {
        if (node.IsDefined() && !node.IsNull()) return false;
        node = YAML::Node(YAML::NodeType::Map);
      }
      if (last) {
        node[key] = value;
        return true;
      }
      if (!node[key].IsDefined() || node[key].IsNull()) node[key] = YAML::Node(YAML::NodeType::Map);
      YAML::Node next = node[key];
      node.reset(next);
    }
    walked = JoinKey(walked, key);
    i += take;
  }
  return false;
}

void SetKey(YAML::Node& root, const std::string& key, const YAML::Node& value,
            const SourceLocation& where) {
  if (key.empty() || key.front() == '.' || key.back() == '.' || key.find("..") != std::string::npos) {
    throw ScenarioError(where, key, "not a dotted key like producers.threads");
  }
  if (key == "sweep" || key.rfind("sweep.", 0) == 0 || key == "repeat") {
    throw ScenarioError(where, key, "cannot be overridden per cell");
  }
  if (!WritePath(root, key, value)) {
    throw ScenarioError(where, key, "does not name a place in the scenario");
  }
}

SourceLocation FileWhere(const std::string& path, int line = 0) {
  SourceLocation where;
  where.file = path;
  where.line = line;
  return where;
}

// Reads the whole scenario file once, at most kMaxScenarioBytes. The file is
// opened without blocking and must be a regular file: a FIFO would block the
// open (and could be read only once), a directory or a device makes no
// scenario.
std::string ReadScenarioText(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    throw ScenarioError(FileWhere(path), "",
                        std::string("cannot open the scenario file: ") + std::strerror(errno));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    throw ScenarioError(FileWhere(path), "",
                        "not a regular file (a directory, FIFO or device): a scenario is a "
                        "YAML file");
  }
  if (info.st_size > static_cast<off_t>(kMaxScenarioBytes)) {
    throw ScenarioError(FileWhere(path), "",
                        "the file has " + std::to_string(info.st_size) +
                            " bytes; a scenario may have at most " +
                            std::to_string(kMaxScenarioBytes));
  }
  // Regular files in /proc report size 0 and may hold more: read to the end,
  // but never past the limit.
  std::string text;
  char buffer[64 << 10];
  while (true) {
    ThrowIfStopRequested();
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      throw ScenarioError(FileWhere(path), "",
                          std::string("cannot read the scenario file: ") + std::strerror(errno));
    }
    if (n == 0) break;
    if (text.size() + static_cast<size_t>(n) > kMaxScenarioBytes) {
      throw ScenarioError(FileWhere(path), "",
                          "a scenario may have at most " + std::to_string(kMaxScenarioBytes) +
                              " bytes");
    }
    text.append(buffer, static_cast<size_t>(n));
  }
  return text;
}

// Walks every node once: refuses a key that appears twice in one map (yaml-cpp
// keeps both, and the reader would silently take the first) and a key that
// is not a scalar. Aliases are followed, so a tree that aliases expand past
// kMaxYamlNodes is refused rather than walked for ever.
void CheckMaps(const Context& ctx, const YAML::Node& node, const std::string& path,
               size_t* visited) {
  if (++*visited > kMaxYamlNodes) {
    ctx.Fail(node, path,
             "more than " + std::to_string(kMaxYamlNodes) + " YAML nodes (counting aliases)");
  }
  if (node.IsSequence()) {
    size_t i = 0;
    for (const auto& child : node) CheckMaps(ctx, child, JoinKey(path, std::to_string(i++)), visited);
  } else if (node.IsMap()) {
    std::map<std::string, int> seen;  // key -> its line
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (!it->first.IsScalar()) {
        ctx.Fail(it->first, path, "a key must be a plain name, got " + Describe(it->first));
      }
      const std::string key = it->first.Scalar();
      const std::string full = JoinKey(path, key);
      int line = it->first.Mark().line + 1;
      auto [first, inserted] = seen.emplace(key, line);
      if (!inserted) {
        ctx.Fail(it->first, full,
                 "duplicate key (first given on line " + std::to_string(first->second) + ")");
      }
      CheckMaps(ctx, it->second, full, visited);
    }
  }
}

// Remembers where a document starts; ignores the rest (yaml-cpp's events).
class DocumentStart : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { mark_ = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
  const YAML::Mark& mark() const { return mark_; }

 private:
  YAML::Mark mark_ = YAML::Mark::null_mark();
};

// Parses the text: exactly one YAML document, no duplicate keys.
YAML::Node ParseScenarioText(const Context& ctx, const std::string& text) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
    // A second document? Not YAML::LoadAll: on some inputs (a lone ",")
    // yaml-cpp 0.7 returns empty documents for ever, and LoadAll collects
    // them until memory runs out (found by tests/fuzz). Asking for the
    // first two documents' events is bounded.
    std::istringstream in(text);
    YAML::Parser parser(in);
    DocumentStart first, second;
    if (parser.HandleNextDocument(first) && parser.HandleNextDocument(second)) {
      int line = second.mark().line + 1;
      throw ScenarioError(FileWhere(ctx.file(), line > 0 ? line : 0), "",
                          "a second YAML document: a scenario file holds exactly one (remove "
                          "the '---' and what follows, or make it a file of its own)");
    }
  } catch (const YAML::ParserException& e) {
    SourceLocation where = FileWhere(ctx.file(), e.mark.line + 1);
    where.column = e.mark.column + 1;
    throw ScenarioError(where, "", "malformed YAML: " + e.msg);
  } catch (const YAML::Exception& e) {
    throw ScenarioError(FileWhere(ctx.file()), "", std::string("malformed YAML: ") + e.what());
  }
  size_t visited = 0;
  CheckMaps(ctx, root, "", &visited);
  return root;
}

struct Override {
  std::string key;
  YAML::Node value;
  SourceLocation where;
  std::string text;
};

struct Axis {
  std::string key;
  std::vector<Override> values;
};

}  // namespace

ScenarioPlan LoadPlanFromText(const std::string& path, const std::string& text,
                              const std::vector<std::string>& overrides) {
  Context ctx(path);
  if (text.size() > kMaxScenarioBytes) {
    throw ScenarioError(FileWhere(path), "",
                        "a scenario may have at most " + std::to_string(kMaxScenarioBytes) +
                            " bytes");
  }
  YAML::Node root = ParseScenarioText(ctx, text);
  if (!root.IsMap()) ctx.Fail(root, "", "a scenario is a YAML map; got " + Describe(root));

  std::vector<Override> sets;
  for (const auto& text_set : overrides) {
    SourceLocation where;
    where.origin = "--set " + text_set;
    size_t eq = text_set.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw ScenarioError(where, "", "expected --set dotted.key=value");
    }
    Override o;
    o.key = text_set.substr(0, eq);
    o.text = text_set.substr(eq + 1);
    o.where = where;
    try {
      o.value = YAML::Load(o.text);
    } catch (const YAML::Exception& e) {
      throw ScenarioError(where, o.key, std::string("malformed value: ") + e.what());
    }
    if (o.value.IsNull()) o.value = YAML::Node(o.text);
    sets.push_back(o);
  }

  std::vector<Axis> axes;
  if (root["sweep"].IsDefined() && !root["sweep"].IsNull()) {
    YAML::Node sweep = root["sweep"];
    if (!sweep.IsMap()) ctx.Fail(sweep, "sweep", "expected a map of key: [values]");
    for (auto it = sweep.begin(); it != sweep.end(); ++it) {
      Axis axis;
      axis.key = it->first.Scalar();
      std::string key = "sweep." + axis.key;
      const YAML::Node values = it->second;  // it->second is a temporary
      if (!values.IsSequence() || values.size() == 0) {
        ctx.Fail(values, key, "expected a non-empty list of values");
      }
      if (values.size() > kMaxSweepCells) {
        ctx.Fail(values, key,
                 "more than " + std::to_string(kMaxSweepCells) + " values (a sweep has at most " +
                     std::to_string(kMaxSweepCells) + " cells)");
      }
      for (const auto& v : values) {
        if (!v.IsScalar()) ctx.Fail(v, key, "sweep values must be scalars, got " + Describe(v));
        Override o;
        o.key = axis.key;
        o.value = YAML::Node(v);
        o.text = v.Scalar();
        o.where = ctx.Where(v, key);
        axis.values.push_back(o);
      }
      for (const auto& other : axes) {
        if (other.key == axis.key) ctx.Fail(it->first, key, "swept twice");
      }
      axes.push_back(axis);
    }
  }

  // Cartesian product, last axis fastest; refused before building any cell.
  size_t total = 1;
  for (const auto& axis : axes) {
    total *= axis.values.size();
    if (total > kMaxSweepCells) {
      ctx.Fail(root["sweep"], "sweep",
               "the sweep expands to more than " + std::to_string(kMaxSweepCells) + " cells");
    }
  }

  // The one parsed tree serves every cell: the sweep goes, the --set values
  // are written once, and each cell then writes its own value at every
  // swept key. Every cell writes the same keys, so what the previous cell
  // wrote is always overwritten: no cell sees another's values, and nothing
  // is read or parsed again (it was, per cell: quadratic in the sweep).
  root.remove("sweep");
  Context base_ctx = ctx;
  for (const auto& o : sets) {
    base_ctx.MarkOverride(o.key, o.where);
    SetKey(root, o.key, o.value, o.where);
  }

  ScenarioPlan plan;
  plan.base = ReadScenario(base_ctx, root);
  for (const auto& axis : axes) plan.swept_keys.push_back(axis.key);
  plan.cells.reserve(total);
  // The event types are read once when no swept key lies at or below them.
  bool events_swept = false;
  for (const auto& axis : axes) {
    for (const char* prefix : {"source.synthetic.events", "source.synthetic", "source"}) {
      const std::string p = prefix;
      events_swept = events_swept || axis.key == p ||
                     (p == "source.synthetic.events" && axis.key.rfind(p + ".", 0) == 0);
    }
  }
  const std::vector<EventTypeSpec>* reuse_events =
      !events_swept && plan.base.source_kind == SourceKind::kSynthetic ? &plan.base.source.events
                                                                        : nullptr;
  std::vector<const Override*> cell(axes.size());
  for (size_t n = 0; n < total; ++n) {
    ThrowIfStopRequested();
    size_t rest = n;
    for (size_t a = axes.size(); a-- > 0;) {
      cell[a] = &axes[a].values[rest % axes[a].values.size()];
      rest /= axes[a].values.size();
    }
    Context cell_ctx = base_ctx;
    for (const Override* o : cell) {
      SetKey(root, o->key, o->value, o->where);
      // Errors in a swept value point at the value in the sweep list.
      SourceLocation where = o->where;
      where.origin = "sweep value " + o->key + "=" + o->text;
      cell_ctx.MarkOverride(o->key, where);
    }
    Scenario s = ReadScenario(cell_ctx, root, reuse_events);
    for (const Override* o : cell) s.parameters.push_back({o->key, o->text, o->where});
    plan.cells.push_back(std::move(s));
  }
  return plan;
}

ScenarioPlan LoadPlan(const std::string& path, const std::vector<std::string>& overrides) {
  return LoadPlanFromText(path, ReadScenarioText(path), overrides);
}

std::string DidYouMean(const std::string& word, const std::vector<std::string>& candidates) {
  return Suggest(word, candidates);
}

}  // namespace sluice
