#include "sluice/report/columns.h"

#include <cmath>
#include <cstdio>
#include <unordered_map>

namespace sluice {
namespace {

using Accessor = std::function<ColumnValue(const CellResult&)>;

// Builders for the entries, so that each column below reads as one line of
// the table it describes.
struct Builder {
  std::vector<Column>* out;
  std::string group;

  void Add(std::string name, ColumnType type, Dimension dim, double scale, std::string unit,
           int decimals, Better better, std::string description, Accessor value) {
    Column c;
    c.name = std::move(name);
    c.type = type;
    c.dim = dim;
    c.scale = scale;
    c.unit = std::move(unit);
    c.decimals = decimals;
    c.better = better;
    c.group = group;
    c.description = std::move(description);
    c.value = std::move(value);
    out->push_back(std::move(c));
  }
  void Text(std::string name, std::string description, std::function<std::string(const CellResult&)> f) {
    Add(std::move(name), ColumnType::kText, kCount, 1, "", 0, Better::kNeither, std::move(description),
        [f](const CellResult& r) { return ColumnValue::Text(f(r)); });
  }
  void Count(std::string name, Better better, std::string description,
             std::function<double(const CellResult&)> f) {
    Add(std::move(name), ColumnType::kNumber, kCount, 1, "", 0, better, std::move(description),
        [f](const CellResult& r) { return ColumnValue::Number(f(r)); });
  }
  void Number(std::string name, Dimension dim, double scale, std::string unit, int decimals, Better better,
              std::string description, std::function<double(const CellResult&)> f) {
    Add(std::move(name), ColumnType::kNumber, dim, scale, std::move(unit), decimals, better,
        std::move(description), [f](const CellResult& r) { return ColumnValue::Number(f(r)); });
  }
  // A number that may have no value (nullopt).
  void Maybe(std::string name, Dimension dim, double scale, std::string unit, int decimals, Better better,
             std::string description, std::function<std::optional<double>(const CellResult&)> f) {
    Add(std::move(name), ColumnType::kNumber, dim, scale, std::move(unit), decimals, better,
        std::move(description), [f](const CellResult& r) {
          auto v = f(r);
          return v ? ColumnValue::Number(*v) : ColumnValue::None();
        });
  }
};

// A statistic of a histogram in milliseconds; no value when the histogram is
// missing (null) or empty.
std::optional<double> LatencyMs(const std::shared_ptr<LatencyHistogram>& h, double percentile) {
  if (!h || h->TotalCount() == 0) return std::nullopt;
  if (percentile < 0) return h->Summarize().mean_ns / 1e6;  // the exact mean
  if (percentile >= 100) return static_cast<double>(h->Summarize().max_ns) / 1e6;  // exact
  return static_cast<double>(h->ValueAtPercentile(percentile)) / 1e6;
}

std::string FailedByCode(const ErrorCounts& counts) {
  std::string out;
  for (const auto& [code, count] : counts) {
    if (!out.empty()) out += ';';
    out += std::to_string(code) + ":" + std::to_string(count);
  }
  return out;
}

std::vector<Column> BuildColumns() {
  std::vector<Column> c;
  Builder b{&c, "the cell"};
  const Better kNone = Better::kNeither, kHigher = Better::kHigher, kLower = Better::kLower;
  b.Text("scenario", "the scenario's `name`", [](const CellResult& r) { return r.scenario.name; });
  b.Count("cell", kNone, "index in the sweep, from 0", [](const CellResult& r) { return r.cell; });
  b.Count("repetition", kNone, "from 0", [](const CellResult& r) { return r.repetition; });

  b.group = "the ledger: generated = dropped_newest + dropped_oldest + delivered + failed + unresolved";
  b.Count("scheduled", kNone, "events the arrival process placed in the run",
          [](const CellResult& r) { return static_cast<double>(r.scheduled); });
  b.Count("unsent", kLower, "scheduled, but the source was held back past the end",
          [](const CellResult& r) { return static_cast<double>(r.unsent); });
  b.Count("generated", kNone, "handed to the queue's when-full policy",
          [](const CellResult& r) { return static_cast<double>(r.generated); });
  b.Count("dropped_newest", kLower, "refused by a full queue (drop_newest)",
          [](const CellResult& r) { return static_cast<double>(r.dropped_newest); });
  b.Count("dropped_oldest", kLower, "evicted from a full queue (drop_oldest)",
          [](const CellResult& r) { return static_cast<double>(r.dropped_oldest); });
  b.Count("dropped", kLower, "dropped_newest + dropped_oldest",
          [](const CellResult& r) { return static_cast<double>(r.dropped()); });
  b.Count("delivered", kHigher, "acknowledged by the broker",
          [](const CellResult& r) { return static_cast<double>(r.delivered); });
  b.Count("failed", kLower, "produce() refused them, or a delivery report said error",
          [](const CellResult& r) { return static_cast<double>(r.failed); });
  b.Count("unresolved", kLower, "no outcome by the end: unresolved_in_flight + unresolved_queued",
          [](const CellResult& r) { return static_cast<double>(r.unresolved); });
  b.Count("unresolved_in_flight", kLower, "produced, no report by the flush deadline (purged)",
          [](const CellResult& r) { return static_cast<double>(r.unresolved_in_flight); });
  b.Count("unresolved_queued", kLower, "still queued (or being retried) at the drain deadline",
          [](const CellResult& r) { return static_cast<double>(r.unresolved_queued); });
  b.Add("ledger_ok", ColumnType::kBool, kCount, 1, "", 0, kNone,
        "true when the ledger identity holds; false is a bug in sluice: report it",
        [](const CellResult& r) { return ColumnValue::Bool(r.LedgerBalances()); });

  b.group = "throughput, over the measured window (after the warm-up)";
  b.Number("duration_s", kTime, 1, "s", 6, kNone,
           "the measured window: from the end of the warm-up to the end of the run, or to where the "
           "source stopped in a cell stopped by a signal (0 when that was during the warm-up); every "
           "rate is over it",
           [](const CellResult& r) { return r.duration_s; });
  b.Number("offered_rate", kRate, 1, "events/s", 3, kNone, "events scheduled in the window / duration",
           [](const CellResult& r) { return r.offered_rate; });
  b.Number("offered_mbps", kByteRate, 1e6, "MB/s", 6, kNone, "their payload bytes (MB = 1e6 B) per second",
           [](const CellResult& r) { return r.offered_mbps; });
  b.Number("delivered_rate", kRate, 1, "events/s", 3, kHigher,
           "events whose delivery report arrived in the window / duration (by report time, not intended time)",
           [](const CellResult& r) { return r.delivered_rate; });
  b.Number("delivered_mbps", kByteRate, 1e6, "MB/s", 6, kHigher, "their payload bytes (MB = 1e6 B) per second",
           [](const CellResult& r) { return r.delivered_mbps; });
  b.Count("measured_delivered", kHigher, "delivered events intended after the warm-up (the latency sample count)",
          [](const CellResult& r) { return static_cast<double>(r.measured_delivered); });

  // Each kind's columns, in report.csv's order; source_lag has its own
  // columns (the source, below).
  struct KindText {
    LatencyKind kind;
    const char* text;
  };
  const KindText kKinds[] = {
      {LatencyKind::kEndToEnd, "intended time -> delivery report"},
      {LatencyKind::kQueueWait, "intended time -> taken by a worker"},
      {LatencyKind::kKafka, "start of the produce() call librdkafka accepted -> delivery report"},
      {LatencyKind::kWorker,
       "taken by a worker -> start of the produce() call librdkafka accepted, QUEUE_FULL waits included"},
      {LatencyKind::kConsume, "intended time -> read back by the verifier (verify: only), first copies"}};
  for (const KindText& kt : kKinds) {
    const LatencyKind k = kt.kind;
    const std::string name(LatencyKindName(k));
    b.group = "latency." + name + ": " + kt.text +
              (k == LatencyKind::kConsume ? ", of measured events read" : ", of measured delivered events");
    const std::string prefix = "latency." + name + ".";
    b.Add(prefix + "count", ColumnType::kNumber, kCount, 1, "", 0, kNone,
          "values recorded (0: the other statistics are empty)", [k](const CellResult& r) {
            const auto& h = r.latency(k);
            return ColumnValue::Number(h ? static_cast<double>(h->TotalCount()) : 0);
          });
    struct Stat {
      const char* name;
      double percentile;  // -1: the mean; 100: the exact maximum
      const char* text;
    };
    for (const Stat& s : {Stat{"mean_ms", -1, "exact mean"}, Stat{"p50_ms", 50, "50th percentile"},
                          Stat{"p90_ms", 90, "90th percentile"}, Stat{"p99_ms", 99, "99th percentile"},
                          Stat{"p999_ms", 99.9, "99.9th percentile"},
                          Stat{"p9999_ms", 99.99, "99.99th percentile"},
                          Stat{"max_ms", 100, "exact maximum"}}) {
      const double pct = s.percentile;
      b.Maybe(prefix + s.name, kTime, 1e-3, "ms", 3, kLower, s.text,
              [k, pct](const CellResult& r) { return LatencyMs(r.latency(k), pct); });
    }
  }

  b.group = "the source";
  b.Count("late", kLower, "handed over more than 1 ms after the intended time",
          [](const CellResult& r) { return static_cast<double>(r.late); });
  b.Count("blocked", kLower, "pushes that waited for room (block policy)",
          [](const CellResult& r) { return static_cast<double>(r.blocked); });
  b.Number("max_lag_ms", kTime, 1e-3, "ms", 3, kLower, "furthest the source fell behind its schedule",
           [](const CellResult& r) { return static_cast<double>(r.max_lag_ns) / 1e6; });
  b.Number("mean_lag_ms", kTime, 1e-3, "ms", 3, kLower, "mean of (hand-over time - intended time)",
           [](const CellResult& r) { return r.mean_lag_ns / 1e6; });
  for (const auto& [name, pct, text] :
       {std::tuple<const char*, double, const char*>{"source_lag.p50_ms", 50, "median"},
        {"source_lag.p99_ms", 99, "99th percentile"},
        {"source_lag.max_ms", 100, "exact maximum"}}) {
    const double p = pct;
    b.Maybe(name, kTime, 1e-3, "ms", 3, kLower,
            std::string(text) + " of the source's release lag (handed over to the queue - intended time); "
            "empty without that histogram",
            [p](const CellResult& r) { return LatencyMs(r.source_lag, p); });
  }

  b.group = "the queue";
  b.Count("max_depth", kLower, "highest depth seen right after a push",
          [](const CellResult& r) { return static_cast<double>(r.max_depth); });
  b.Number("mean_depth", kCount, 1, "events", 3, kLower, "time average, sampled every millisecond",
           [](const CellResult& r) { return r.mean_depth; });
  b.Number("depth_growth", kCount, 1, "events", 3, kLower,
           "lowest depth in the second half of the measured window minus the lowest in the first",
           [](const CellResult& r) { return r.depth_growth; });

  b.group = "Little's law for the queue (L = lambda x W), while the source runs; empty when that window is empty";
  b.Number("little.arrival_rate", kRate, 1, "events/s", 3, kNone,
           "events that entered the queue per second (generated - dropped_newest)",
           [](const CellResult& r) { return r.little_arrival_rate; });
  b.Number("little.mean_depth", kCount, 1, "events", 3, kLower, "time-averaged depth, sampled every millisecond",
           [](const CellResult& r) { return r.little_mean_depth; });
  b.Number("little.predicted_depth", kCount, 1, "events", 3, kNone,
           "little.arrival_rate x (mean queue wait - mean source lag of measured events)",
           [](const CellResult& r) { return r.little_predicted_depth; });

  b.group = "the producers";
  b.Count("backpressure", kLower, "ERR__QUEUE_FULL answers from librdkafka, each retried (not failures)",
          [](const CellResult& r) { return static_cast<double>(r.backpressure); });
  b.Text("failed_by_code", "the failed events by librdkafka error code, as code:count pairs joined by ';'",
         [](const CellResult& r) { return FailedByCode(r.failed_by_code); });

  b.group = "on the wire, from librdkafka's statistics (summed over the clients; 0 when statistics.interval.ms is 0)";
  b.Number("wire.bytes", kBytes, 1, "bytes", 0, kNone,
           "bytes sent to the brokers: every request, headers included (tx_bytes)",
           [](const CellResult& r) { return static_cast<double>(r.wire_bytes); });
  b.Count("wire.messages", kNone, "messages sent to the brokers (txmsgs; a retried message counts again)",
          [](const CellResult& r) { return static_cast<double>(r.wire_messages); });
  b.Number("wire.payload_bytes", kBytes, 1, "bytes", 0, kNone,
           "key + value bytes of those messages, before compression (txmsg_bytes)",
           [](const CellResult& r) { return static_cast<double>(r.wire_payload_bytes); });
  b.Maybe("wire.bytes_per_event", kBytes, 1, "bytes", 3, kLower, "wire.bytes / wire.messages",
          [](const CellResult& r) -> std::optional<double> {
            if (r.wire_messages == 0) return std::nullopt;
            return static_cast<double>(r.wire_bytes) / static_cast<double>(r.wire_messages);
          });
  b.Maybe("wire.compression_ratio", kCount, 1, "", 4, kHigher, "wire.payload_bytes / wire.bytes",
          [](const CellResult& r) -> std::optional<double> {
            if (r.wire_bytes == 0) return std::nullopt;
            return static_cast<double>(r.wire_payload_bytes) / static_cast<double>(r.wire_bytes);
          });

  b.group = "verify: the topic read back (empty without verify; per type in types.csv)";
  struct VerifyColumn {
    const char* name;
    Better better;
    const char* text;
    uint64_t VerifyCounts::*field;
  };
  for (const VerifyColumn& v : {
           VerifyColumn{"verify.read", kNone, "messages read (every copy, foreign and corrupt ones too)",
                        &VerifyCounts::read},
           {"verify.ok", kHigher, "acknowledged and read (each once)", &VerifyCounts::ok},
           {"verify.lost", kLower, "acknowledged, never read, not explained by truncation", &VerifyCounts::lost},
           {"verify.truncated", kLower,
            "acknowledged, never read, at offsets below the low watermark the consumer had to skip (the "
            "broker dropped them): the verdict is inconclusive",
            &VerifyCounts::truncated},
           {"verify.duplicated", kLower, "extra copies read", &VerifyCounts::duplicated},
           {"verify.reordered", kLower,
            "first copies read after a higher sequence number of their producer, type and partition",
            &VerifyCounts::reordered},
           {"verify.unacked_written", kLower,
            "read, though sluice counted them failed, unresolved or abandoned after a produce",
            &VerifyCounts::unacked_written},
           {"verify.corrupt", kLower, "identity or payload checksum wrong", &VerifyCounts::corrupt},
           {"verify.foreign", kNone, "messages without this cell's identity (another run's, in a reused topic)",
            &VerifyCounts::foreign}}) {
    const auto field = v.field;
    b.Maybe(v.name, kCount, 1, "", 0, v.better, v.text, [field](const CellResult& r) -> std::optional<double> {
      if (!r.verify.checked) return std::nullopt;
      return static_cast<double>(r.verify.counts.*field);
    });
  }
  b.Text("verify.verdict",
         "ok; failed (lost or corrupt > 0); inconclusive (truncated > 0, or the log not settled within "
         "verify.timeout)",
         [](const CellResult& r) { return std::string(r.verify.Verdict()); });
  b.Maybe("verify.bytes_per_event", kBytes, 1, "bytes", 3, kLower,
          "memory the verifier's range sets held at the end, per message read",
          [](const CellResult& r) -> std::optional<double> {
            if (!r.verify.checked || r.verify.counts.read == 0) return std::nullopt;
            return static_cast<double>(r.verify.memory_bytes) / static_cast<double>(r.verify.counts.read);
          });

  b.group = "the process, over the cell (source, workers, clients and the embedded broker share it)";
  b.Number("cpu_user_s", kTime, 1, "s", 6, kLower, "user CPU seconds",
           [](const CellResult& r) { return r.cpu_user_s; });
  b.Number("cpu_system_s", kTime, 1, "s", 6, kLower, "system CPU seconds",
           [](const CellResult& r) { return r.cpu_system_s; });
  b.Number("peak_rss_mb", kBytes, 1e6, "MB", 3, kLower,
           "peak resident set size (VmHWM, reset before each cell), MB = 1e6 B",
           [](const CellResult& r) { return static_cast<double>(r.peak_rss_bytes) / 1e6; });
  b.Number("wall_s", kTime, 1, "s", 6, kLower,
           "wall-clock seconds of the whole cell (set-up, warm-up, window, drain, flush; not a shard's wait for its start slot)",
           [](const CellResult& r) { return r.wall_s; });
  b.Number("setup_s", kTime, 1, "s", 6, kLower,
           "set-up: from the start of the cell to the first event's due time (cluster or topic, clients, "
           "metadata), excluded from every rate",
           [](const CellResult& r) { return r.setup_s; });

  b.Maybe("host_cpu_pct", kCount, 1, "%", 1, kNone,
          "the whole machine's busy share over the measured window (/proc/stat), 0-100; above 90 the result "
          "may be bound by this machine rather than by the configuration",
          [](const CellResult& r) -> std::optional<double> {
            if (std::isnan(r.host_cpu_pct)) return std::nullopt;
            return r.host_cpu_pct;
          });

  b.group = "after faults (faults:; empty without them): see timeseries.csv for the whole course";
  b.Maybe("recovery_s", kTime, 1, "s", 3, kLower,
          "from the end of the last fault to the first interval from which delivered keeps >= 0.95 x offered "
          "(summed from there), depth stays under twice its pre-fault mean and drops at most twice their pre-fault "
          "mean per interval; empty when that never happens",
          [](const CellResult& r) -> std::optional<double> {
            if (!r.recovery.had_faults || std::isnan(r.recovery.recovery_s)) return std::nullopt;
            return r.recovery.recovery_s;
          });
  b.Maybe("fault_drops", kCount, 1, "", 0, kLower, "dropped from the first fault's start to the recovery",
          [](const CellResult& r) -> std::optional<double> {
            if (!r.recovery.had_faults) return std::nullopt;
            return static_cast<double>(r.recovery.fault_drops);
          });
  b.Maybe("fault_depth_max", kCount, 1, "events", 0, kLower,
          "highest queue depth from the first fault's start to the recovery",
          [](const CellResult& r) -> std::optional<double> {
            if (!r.recovery.had_faults) return std::nullopt;
            return static_cast<double>(r.recovery.fault_depth_max);
          });

  b.group = "the set-up";
  b.Text("broker", "\"embedded (3 brokers, rtt 0ms)\" or the bootstrap list",
         [](const CellResult& r) { return r.broker; });
  b.Count("broker_count", kNone, "brokers in the cluster (embedded: as configured; real: from metadata)",
          [](const CellResult& r) { return r.broker_count; });
  b.Text("kafka_version", "`mock` on the embedded broker; on a real cluster the version its brokers report",
         [](const CellResult& r) { return r.kafka_version; });
  b.Text("topic", "the topic this cell produced to", [](const CellResult& r) { return r.topic; });
  b.Count("threads", kNone, "producers.threads",
          [](const CellResult& r) { return r.scenario.producers.threads; });
  b.Text("client", "producers.client: per_thread or shared",
         [](const CellResult& r) { return ToString(r.scenario.producers.client); });
  b.Text("delivery", "producers.delivery: async or sync",
         [](const CellResult& r) { return ToString(r.scenario.producers.delivery); });
  b.Text("when_full", "queue.when_full: drop_newest, drop_oldest or block",
         [](const CellResult& r) { return ToString(r.scenario.queue.when_full); });
  b.Count("queue_capacity", kNone, "queue.capacity, events",
          [](const CellResult& r) { return static_cast<double>(r.scenario.queue.capacity); });
  b.Text("arrival", "source.synthetic.arrival: constant, poisson, bursty or ramp; replay for a replayed trace",
         [](const CellResult& r) {
           return r.scenario.source_kind == SourceKind::kReplay ? std::string("replay")
                                                                 : ToString(r.scenario.source.arrival);
         });
  b.Maybe("rate", kRate, 1, "events/s", 3, kNone,
          "the configured mean rate (with rate: max, the rate of the probe reported); empty for a replay",
          [](const CellResult& r) -> std::optional<double> {
            if (r.scenario.source_kind == SourceKind::kReplay) return std::nullopt;
            return r.scenario.source.rate;
          });
  b.Maybe("max_rate.rate", kRate, 1, "events/s", 3, kHigher,
          "rate: max only: the highest offered rate that passed every probe criterion",
          [](const CellResult& r) -> std::optional<double> {
            if (!r.max_rate.searched) return std::nullopt;
            return r.max_rate.rate;
          });
  b.Maybe("max_rate.failed_rate", kRate, 1, "events/s", 3, kNone,
          "rate: max only: the lowest rate that failed; empty when none failed",
          [](const CellResult& r) -> std::optional<double> {
            if (!r.max_rate.searched) return std::nullopt;
            return r.max_rate.failed_rate;
          });
  b.Maybe("max_rate.probes", kCount, 1, "", 0, kNone, "rate: max only: the number of probes the search ran",
          [](const CellResult& r) -> std::optional<double> {
            if (!r.max_rate.searched) return std::nullopt;
            return r.max_rate.probes;
          });
  b.Text("error", "non-empty: the cell failed and the figures are partial",
         [](const CellResult& r) { return r.error; });
  return c;
}

std::string BetterWord(Better b) {
  switch (b) {
    case Better::kHigher: return "higher";
    case Better::kLower: return "lower";
    default: return "";
  }
}

}  // namespace

ColumnValue ColumnValue::Number(double v) {
  if (!std::isfinite(v)) return None();
  return {Kind::kNumber, v, {}};
}

ColumnInfo Column::Info() const {
  ColumnInfo info;
  info.type = type;
  info.dim = dim;
  info.scale = scale;
  info.unit_in_name = type == ColumnType::kNumber;
  info.better = better;
  return info;
}

const std::vector<Column>& ReportColumns() {
  static const std::vector<Column> columns = BuildColumns();
  return columns;
}

const Column* FindColumn(std::string_view name) {
  static const std::unordered_map<std::string, const Column*> index = [] {
    std::unordered_map<std::string, const Column*> m;
    for (const Column& c : ReportColumns()) m.emplace(c.name, &c);
    return m;
  }();
  auto it = index.find(std::string(name));
  return it == index.end() ? nullptr : it->second;
}

std::string FormatColumnValue(const Column& column, const ColumnValue& v) {
  switch (v.kind) {
    case ColumnValue::Kind::kNone: return "";
    case ColumnValue::Kind::kText: return v.text;
    case ColumnValue::Kind::kBool: return v.number != 0 ? "true" : "false";
    case ColumnValue::Kind::kNumber: break;
  }
  char buf[64];
  if (column.decimals == 0) {
    std::snprintf(buf, sizeof buf, "%.0f", v.number);
  } else {
    std::snprintf(buf, sizeof buf, "%.*f", column.decimals, v.number);
  }
  return buf;
}

std::optional<double> CanonicalValue(const Column& column, const CellResult& cell) {
  if (column.type != ColumnType::kNumber) return std::nullopt;
  const ColumnValue v = column.value(cell);
  if (v.kind != ColumnValue::Kind::kNumber) return std::nullopt;
  return v.number * column.scale;
}

std::string ParameterValue(const Scenario& scenario, const std::string& key) {
  for (const auto& p : scenario.parameters) {
    if (p.key == key) return p.value;
  }
  return "";
}

std::string ColumnsMarkdown() {
  std::string out = "| column | unit | better | definition |\n|---|---|---|---|\n";
  std::string group;
  for (const Column& c : ReportColumns()) {
    if (c.group != group) {
      group = c.group;
      out += "| **" + group + "** | | | |\n";
    }
    std::string unit = c.type == ColumnType::kText ? "text"
                       : c.type == ColumnType::kBool ? "true/false"
                       : c.unit.empty() ? "count"
                                        : c.unit;
    if (c.type == ColumnType::kNumber && c.decimals > 0) {
      unit += ", " + std::to_string(c.decimals) + " decimals";
    }
    std::string description = c.description;
    for (size_t at = description.find('|'); at != std::string::npos; at = description.find('|', at + 2)) {
      description.replace(at, 1, "\\|");
    }
    out += "| `" + c.name + "` | " + unit + " | " + BetterWord(c.better) + " | " + description + " |\n";
  }
  out += "| **then one column per swept key** | | | named exactly as the key (e.g. "
         "`producers.kafka.linger.ms`), holding the value as written in the scenario, in the order "
         "of the `sweep:` block |\n";
  return out;
}

}  // namespace sluice
