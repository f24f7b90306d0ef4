// report.json, written with nlohmann-json as the run goes: the context when
// it starts, each cell when it ends, whether the report is partial at the
// end. Object keys keep the order written (ordered_json), for people.
#include <cmath>
#include <nlohmann/json.hpp>

#include "sluice/core/redact.h"
#include "sluice/report/columns.h"
#include "sluice/report/reporter.h"

namespace sluice {
namespace {

using Json = nlohmann::ordered_json;

constexpr int kReportVersion = 2;

// Pretty-printed, 2 spaces, every line after the first indented by
// `indent` more; bytes that are not UTF-8 become U+FFFD (JSON text must be
// UTF-8). NaN and infinity are written as null.
std::string Dump(const Json& j, int indent) {
  std::string text = j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
  const std::string pad(static_cast<size_t>(indent), ' ');
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    out += c;
    if (c == '\n') out += pad;
  }
  return out;
}

Json StrOrNull(const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); }

Json Properties(const std::vector<KafkaProperty>& properties) {
  Json o = Json::object();
  for (const auto& p : properties) o[p.name] = RedactValue(p.name, p.value);
  return o;
}

const char* KeyKindName(KeySpec::Kind kind) {
  switch (kind) {
    case KeySpec::Kind::kNone: return "none";
    case KeySpec::Kind::kUniform: return "uniform";
    case KeySpec::Kind::kZipf: return "zipf";
  }
  return "?";
}

double Seconds(int64_t ns) { return static_cast<double>(ns) / 1e9; }

Json ScenarioJson(const ScenarioPlan& plan) {
  const Scenario& s = plan.base;
  Json j;
  j["name"] = s.name;
  j["description"] = s.description;
  j["file"] = s.file;
  j["seed"] = s.seed;
  j["duration_s"] = Seconds(s.duration_ns);
  j["warmup_s"] = Seconds(s.warmup_ns);
  j["broker"] = {{"embedded", s.broker.embedded},
                 {"brokers", s.broker.brokers},
                 {"rtt_s", Seconds(s.broker.rtt_ns)},
                 {"bootstrap", s.broker.bootstrap},
                 {"connect_timeout_s", Seconds(s.broker.connect_timeout_ns)}};
  j["topic"] = {{"name", s.topic.name},
                {"partitions", s.topic.partitions},
                {"replication", s.topic.replication},
                {"reuse", s.topic.reuse},
                {"config", Properties(s.topic.config)}};
  Json source;
  if (s.source_kind == SourceKind::kReplay) {
    const ReplaySourceSpec& rp = s.replay;
    Json r;
    r["file"] = rp.file;
    r["path"] = rp.path;
    r["time"] = rp.time_field;
    r["time_format"] = ToString(rp.time_format);
    r["key"] = StrOrNull(rp.key_field);
    r["type"] = StrOrNull(rp.type_field);
    r["speed"] = rp.speed > 0 ? Json(rp.speed) : Json("max");
    r["loop"] = rp.loop > 0 ? Json(rp.loop) : Json("forever");
    r["on_bad_line"] = ToString(rp.on_bad_line);
    r["reorder_window"] = rp.reorder_window;
    source["replay"] = r;
  } else {
    const SyntheticSourceSpec& src = s.source;
    source["payload"] = ToString(src.payload);
    if (src.search_max_rate) {
      source["rate"] = "max";
      source["max_rate"] = {
          {"p99_below_s", Seconds(src.max_rate.p99_below_ns)},
          {"probe_s", Seconds(src.max_rate.probe_ns > 0 ? src.max_rate.probe_ns : s.duration_ns)},
          {"start", src.max_rate.start},
          {"limit", src.max_rate.limit},
          {"max_probes", src.max_rate.max_probes}};
    } else {
      source["rate"] = src.rate;
    }
    source["arrival"] = ToString(src.arrival);
    if (src.arrival == ArrivalKind::kBursty) {
      source["bursty"] = {{"on_s", Seconds(src.bursty.on_ns)},
                          {"off_s", Seconds(src.bursty.off_ns)},
                          {"factor", src.bursty.factor}};
    }
    if (src.arrival == ArrivalKind::kRamp) source["ramp"] = {{"from_rate", src.ramp.from_rate}};
    Json events = Json::array();
    for (const EventTypeSpec& e : src.events) {
      Json size;
      if (e.size.kind == SizeDistribution::Kind::kFixed) {
        size = {{"kind", "fixed"}, {"bytes", e.size.fixed}};
      } else {
        size = {{"kind", "lognormal"}, {"median", e.size.median}, {"p99", e.size.p99},
                {"min", e.size.min},   {"max", e.size.max}};
      }
      events.push_back({{"name", e.name}, {"weight", e.weight}, {"size", size}});
    }
    source["events"] = events;
    Json keys = {{"kind", KeyKindName(src.keys.kind)}, {"count", src.keys.count}};
    if (src.keys.kind == KeySpec::Kind::kZipf) keys["zipf_exponent"] = src.keys.zipf_exponent;
    source["keys"] = keys;
  }
  j["source"] = source;
  j["queue"] = {{"capacity", s.queue.capacity}, {"when_full", ToString(s.queue.when_full)}};
  const ProducerSpec& p = s.producers;
  j["producers"] = {{"threads", p.threads},
                    {"client", ToString(p.client)},
                    {"delivery", ToString(p.delivery)},
                    {"dequeue_batch", p.dequeue_batch},
                    {"drain_timeout_s", Seconds(p.drain_timeout_ns)},
                    {"flush_timeout_s", Seconds(p.flush_timeout_ns)},
                    {"kafka", Properties(p.kafka)}};
  Json expect = Json::array();
  for (const ExpectationSpec& e : s.expectations) {
    Json when = Json::object();
    for (const auto& condition : e.when) when[condition.key] = RedactValue(condition.key, condition.value);
    expect.push_back({{"column", e.column},
                      {"condition", e.condition},
                      {"when", when},
                      {"where", e.where.ToString()}});
  }
  j["expect"] = expect;
  j["repeat"] = s.repeat;
  j["swept_keys"] = plan.swept_keys;
  j["cell_count"] = plan.cells.size();
  return j;
}

Json LatencyJson(const std::shared_ptr<LatencyHistogram>& h) {
  if (!h) return nullptr;
  const LatencySummary sum = h->Summarize();
  // An empty histogram has no statistics: null rather than a misleading 0.
  const bool any = sum.count > 0;
  auto field = [&](int64_t v) { return any ? Json(v) : Json(nullptr); };
  Json j;
  j["count"] = sum.count;
  j["mean_ns"] = any ? Json(sum.mean_ns) : Json(nullptr);
  j["min_ns"] = field(sum.min_ns);
  j["p50_ns"] = field(sum.p50_ns);
  j["p90_ns"] = field(sum.p90_ns);
  j["p99_ns"] = field(sum.p99_ns);
  j["p999_ns"] = field(sum.p999_ns);
  j["p9999_ns"] = field(sum.p9999_ns);
  j["max_ns"] = field(sum.max_ns);
  j["overflows"] = sum.overflows;
  return j;
}

// Every registry column of the cell: numbers in the column's report unit,
// text, true/false, or null for no value.
Json ColumnsJson(const CellResult& r) {
  Json j = Json::object();
  for (const Column& c : ReportColumns()) {
    const ColumnValue v = c.value(r);
    switch (v.kind) {
      case ColumnValue::Kind::kNone: j[c.name] = nullptr; break;
      case ColumnValue::Kind::kText: j[c.name] = v.text; break;
      case ColumnValue::Kind::kBool: j[c.name] = v.number != 0; break;
      case ColumnValue::Kind::kNumber:
        if (c.decimals == 0 && v.number >= 0 && v.number < 9.007199254740992e15) {
          j[c.name] = static_cast<uint64_t>(v.number);
        } else {
          j[c.name] = v.number;
        }
        break;
    }
  }
  return j;
}

Json CellJson(const CellResult& r) {
  Json j;
  j["cell"] = r.cell;
  j["repetition"] = r.repetition;
  Json parameters = Json::object();
  for (const auto& p : r.scenario.parameters) parameters[p.key] = RedactValue(p.key, p.value);
  j["parameters"] = parameters;
  j["topic"] = r.topic;
  j["broker"] = r.broker;
  j["broker_count"] = r.broker_count;
  j["kafka_version"] = r.kafka_version;
  j["columns"] = ColumnsJson(r);
  j["ledger"] = {{"scheduled", r.scheduled},
                 {"unsent", r.unsent},
                 {"generated", r.generated},
                 {"dropped_newest", r.dropped_newest},
                 {"dropped_oldest", r.dropped_oldest},
                 {"dropped", r.dropped()},
                 {"delivered", r.delivered},
                 {"failed", r.failed},
                 {"unresolved", r.unresolved},
                 {"unresolved_in_flight", r.unresolved_in_flight},
                 {"unresolved_queued", r.unresolved_queued}};
  j["ledger_ok"] = r.LedgerBalances();
  Json by_code = Json::object();
  for (const auto& [code, count] : r.failed_by_code) by_code[std::to_string(code)] = count;
  j["failed_by_code"] = by_code;
  j["throughput"] = {{"duration_s", r.duration_s},
                     {"offered_rate", r.offered_rate},
                     {"offered_mbps", r.offered_mbps},
                     {"delivered_rate", r.delivered_rate},
                     {"delivered_mbps", r.delivered_mbps},
                     {"measured_delivered", r.measured_delivered}};
  j["source"] = {{"late", r.late}, {"blocked", r.blocked}, {"max_lag_ns", r.max_lag_ns},
                 {"mean_lag_ns", r.mean_lag_ns}, {"priority", r.source_priority}};
  j["queue"] = {{"max_depth", r.max_depth},
                {"mean_depth", r.mean_depth},
                {"depth_growth", r.depth_growth},
                {"little",
                 {{"arrival_rate", r.little_arrival_rate},
                  {"mean_depth", r.little_mean_depth},
                  {"predicted_depth", r.little_predicted_depth}}}};
  j["producers"] = {{"backpressure", r.backpressure}};
  j["wire"] = {{"bytes", r.wire_bytes}, {"messages", r.wire_messages}, {"payload_bytes", r.wire_payload_bytes}};
  j["process"] = {{"wall_s", r.wall_s},
                  {"cpu_user_s", r.cpu_user_s},
                  {"cpu_system_s", r.cpu_system_s},
                  {"peak_rss_bytes", r.peak_rss_bytes},
                  {"setup_s", r.setup_s}};
  j["latency"] = {{"end_to_end", LatencyJson(r.end_to_end)},
                  {"queue_wait", LatencyJson(r.queue_wait)},
                  {"worker", LatencyJson(r.worker)},
                  {"kafka", LatencyJson(r.kafka)},
                  {"source_lag", LatencyJson(r.source_lag)},
                  {"consume", LatencyJson(r.consume)}};
  auto verify_json = [](const VerifyCounts& v) {
    return Json{{"read", v.read},       {"ok", v.ok},
                {"lost", v.lost},       {"truncated", v.truncated},
                {"duplicated", v.duplicated}, {"reordered", v.reordered},
                {"unacked_written", v.unacked_written}, {"corrupt", v.corrupt},
                {"foreign", v.foreign}};
  };
  if (r.verify.checked) {
    Json v = verify_json(r.verify.counts);
    v["verdict"] = r.verify.Verdict();
    v["reached_end"] = r.verify.reached_end;
    v["skipped_offsets"] = r.verify.skipped_offsets;
    v["errors"] = r.verify.errors;
    v["memory_bytes"] = r.verify.memory_bytes;
    j["verify"] = v;
  }
  Json types = Json::array();
  for (size_t i = 0; i < r.types.size(); ++i) {
    const TypeCounts& t = r.types[i];
    types.push_back({{"type", t.type},
                     {"generated", t.generated},
                     {"dropped", t.dropped},
                     {"delivered", t.delivered},
                     {"failed", t.failed}});
    if (i < r.verify.by_type.size()) types.back()["verify"] = verify_json(r.verify.by_type[i]);
  }
  j["types"] = types;
  if (r.replayed) {
    const ReplayStats& p = r.replay;
    j["replay"] = {{"lines", p.lines},
                   {"bad_lines", p.bad_lines},
                   {"out_of_order", p.out_of_order},
                   {"clamped", p.clamped},
                   {"passes", p.passes},
                   {"other_type", p.other_type},
                   {"bad_line_examples", p.bad_line_examples}};
  }
  if (!r.max_rate.searched) {
    j["max_rate"] = nullptr;
  } else {
    Json list = Json::array();
    for (const RateProbe& p : r.max_rate.list) {
      list.push_back({{"rate", p.rate}, {"passed", p.passed}, {"why", p.why}});
    }
    j["max_rate"] = {{"rate", r.max_rate.rate},
                     {"failed_rate", r.max_rate.failed_rate},
                     {"probes", r.max_rate.probes},
                     {"note", r.max_rate.note},
                     {"list", list}};
  }
  if (!r.expectations_checked) {
    j["expectations"] = nullptr;
  } else {
    Json list = Json::array();
    for (const ExpectationOutcome& e : r.expectations) {
      list.push_back({{"column", e.column},
                      {"condition", e.condition},
                      {"expected", e.expected},
                      {"measured", e.measured},
                      {"passed", e.passed},
                      {"where", e.where}});
    }
    j["expectations"] = list;
  }
  // What each fault did (faults.h); the interval series is in timeseries.csv.
  if (!r.faults.empty()) {
    Json list = Json::array();
    auto number = [](double v) { return std::isnan(v) ? Json(nullptr) : Json(v); };
    for (const FaultOutcome& f : r.faults) {
      list.push_back({{"action", f.label},
                      {"at_s", f.at_s},
                      {"duration_s", f.duration_s},
                      {"applied_s", number(f.applied_s)},
                      {"undone_s", number(f.undone_s)},
                      {"error", StrOrNull(f.error)},
                      {"exit_code", f.exit_code < 0 ? Json(nullptr) : Json(f.exit_code)},
                      {"output", StrOrNull(f.output)}});
    }
    j["faults"] = list;
  }
  // Host honesty: a machine this busy may have bound the result.
  j["host_busy"] = !std::isnan(r.host_cpu_pct) && r.host_cpu_pct > kHostBusyPct;
  if (j["host_busy"].get<bool>()) {
    j["host_note"] = "this machine was more than " + std::to_string(static_cast<int>(kHostBusyPct)) +
                     "% busy over the window: the result may be bound by this machine (brokers, JVMs and sluice "
                     "share its cores) rather than by the configuration";
  }
  // The configuration librdkafka used; redacted again here, whoever filled it.
  Json config = Json::object();
  for (const auto& [name, value] : r.effective_config) config[name] = RedactValue(name, value);
  j["effective_config"] = config;
  j["error"] = StrOrNull(r.error);
  return j;
}

}  // namespace

void JsonReporter::ReportContext(const sluice::ReportContext& context) {
  Json j;
  j["sluice_report_version"] = kReportVersion;
  j["scenario"] = context.plan == nullptr ? Json(nullptr) : ScenarioJson(*context.plan);
  Json overrides = Json::array();
  for (const auto& o : context.overrides) overrides.push_back(RedactOverride(o));
  j["overrides"] = overrides;
  const Environment& env = context.environment;
  j["environment"] = {{"cores", env.cores},
                      {"librdkafka_version", env.librdkafka_version},
                      {"git_revision", env.git_revision},
                      {"hostname", env.hostname},
                      {"started_utc", env.started_utc},
                      {"command_line", RedactCommandLine(env.command_line)}};
  j["broker_note"] = context.broker_note;
  // The object without its closing brace: the cells follow.
  std::string text = Dump(j, 0);
  text.erase(text.rfind('}'));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  out_ << text << ",\n  \"cells\": [";
  opened_ = true;
  out_.flush();
}

void JsonReporter::Open() {
  if (opened_) return;
  out_ << "{\n  \"sluice_report_version\": " << kReportVersion << ",\n  \"cells\": [";
  opened_ = true;
}

void JsonReporter::ReportCell(const CellResult& result) {
  Open();
  out_ << (cells_ == 0 ? "\n    " : ",\n    ") << Dump(CellJson(result), 4);
  ++cells_;
  out_.flush();
}

void JsonReporter::Finalize() {
  Open();
  out_ << (cells_ == 0 ? "]" : "\n  ]") << ",\n  \"partial\": " << (partial_reason_.empty() ? "false" : "true")
       << ",\n  \"partial_reason\": "
       << Dump(partial_reason_.empty() ? Json(nullptr) : Json(partial_reason_), 0) << "\n}\n";
  out_.flush();
}

}  // namespace sluice
