#include "sluice/report/reporter.h"

#include "sluice_git_revision.h"  // generated at build time (cmake/git_revision.cmake)

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <initializer_list>
#include <sstream>
#include <string_view>
#include <system_error>
#include <thread>

#include "sluice/core/units.h"

namespace sluice {
namespace {

// ---- number formatting ------------------------------------------------------

// Fixed decimals; empty for NaN or infinity (a CSV reader sees a missing
// value, never "nan").
std::string Fixed(double v, int decimals) {
  if (!std::isfinite(v)) return "";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// Nanoseconds as milliseconds with microsecond precision.
std::string NsAsMs(double ns) { return Fixed(ns / 1e6, 3); }

// The shortest text that reads back as the same double (JSON numbers).
std::string Shortest(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec != std::errc()) return "null";
  return std::string(buf, end);
}

// ---- CSV --------------------------------------------------------------------

// RFC 4180: a field holding a comma, a quote or a line break is quoted, and
// quotes inside it are doubled.
std::string CsvField(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

void WriteCsvRow(std::ostream& out, const std::vector<std::string>& fields) {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out << ',';
    out << CsvField(fields[i]);
  }
  out << '\n';
}

// ---- JSON -------------------------------------------------------------------

// Appends s as a JSON string. Control characters are escaped; bytes that are
// not valid UTF-8 (JSON text must be) become U+FFFD.
void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
          if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    const size_t len = (c >= 0xC2 && c <= 0xDF)   ? 2
                       : (c >= 0xE0 && c <= 0xEF) ? 3
                       : (c >= 0xF0 && c <= 0xF4) ? 4
                                                  : 0;
    bool ok = len > 0 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k) {
      ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    }
    if (ok && len >= 3) {
      const auto c1 = static_cast<unsigned char>(s[i + 1]);
      if ((c == 0xE0 && c1 < 0xA0) ||   // overlong
          (c == 0xED && c1 >= 0xA0) ||  // UTF-16 surrogate
          (c == 0xF0 && c1 < 0x90) ||   // overlong
          (c == 0xF4 && c1 >= 0x90)) {  // above U+10FFFF
        ok = false;
      }
    }
    if (ok) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += "\\ufffd";
      ++i;
    }
  }
  out += '"';
}

// A minimal pretty-printing JSON writer. It starts inside an implicit
// container at `depth` (so fragments can be assembled later) and puts commas
// and indentation where they belong. Keys are the caller's business: call
// Key() before each value inside an object.
class JsonWriter {
 public:
  explicit JsonWriter(int depth) : depth_(depth) { first_.push_back(true); }

  JsonWriter& Key(std::string_view key) {
    Separator();
    AppendJsonString(out_, key);
    out_ += ": ";
    after_key_ = true;
    return *this;
  }
  void BeginObject() { Open('{'); }
  void EndObject() { Close('}'); }
  void BeginArray() { Open('['); }
  void EndArray() { Close(']'); }
  void Str(std::string_view v) {
    BeforeValue();
    AppendJsonString(out_, v);
  }
  void Int(int64_t v) {
    BeforeValue();
    out_ += std::to_string(v);
  }
  void Uint(uint64_t v) {
    BeforeValue();
    out_ += std::to_string(v);
  }
  // NaN and infinity have no JSON form: null.
  void Num(double v) {
    BeforeValue();
    out_ += std::isfinite(v) ? Shortest(v) : "null";
  }
  void Bool(bool v) {
    BeforeValue();
    out_ += v ? "true" : "false";
  }
  void Null() {
    BeforeValue();
    out_ += "null";
  }
  // A string, or null when empty.
  void StrOrNull(std::string_view v) {
    if (v.empty()) {
      Null();
    } else {
      Str(v);
    }
  }

  const std::string& str() const { return out_; }

 private:
  void Newline() {
    out_ += '\n';
    out_.append(static_cast<size_t>(2 * depth_), ' ');
  }
  void Separator() {
    if (!first_.back()) out_ += ',';
    first_.back() = false;
    Newline();
  }
  void BeforeValue() {
    if (after_key_) {
      after_key_ = false;
    } else {
      Separator();
    }
  }
  void Open(char bracket) {
    BeforeValue();
    out_ += bracket;
    first_.push_back(true);
    ++depth_;
  }
  void Close(char bracket) {
    const bool empty = first_.back();
    first_.pop_back();
    --depth_;
    if (!empty) Newline();
    out_ += bracket;
  }

  std::string out_;
  std::vector<bool> first_;  // per open container: nothing written in it yet
  bool after_key_ = false;
  int depth_;
};

// ---- shared helpers ---------------------------------------------------------

constexpr const char* kLatencyNames[] = {"end_to_end", "queue_wait", "kafka"};

const std::shared_ptr<LatencyHistogram>& LatencyOf(const CellResult& r, int which) {
  switch (which) {
    case 0: return r.end_to_end;
    case 1: return r.queue_wait;
    default: return r.kafka;
  }
}

// The value a cell was built with for a swept key; empty if it has none.
std::string ParameterValue(const Scenario& scenario, const std::string& key) {
  for (const auto& p : scenario.parameters) {
    if (p.key == key) return p.value;
  }
  return "";
}

std::vector<std::string> SweptKeys(const sluice::ReportContext& context) {
  return context.plan == nullptr ? std::vector<std::string>{} : context.plan->swept_keys;
}

// The console's broker column: "embedded x3", or the first bootstrap entry
// and the broker count the metadata gave ("127.0.0.1:19092 x3"); the header
// above the table prints the whole bootstrap list.
std::string ShortBroker(const CellResult& r) {
  if (r.broker.empty()) return "-";
  std::string name = r.broker;
  if (name.rfind("embedded", 0) == 0) {
    name = "embedded";
  } else if (size_t comma = name.find(','); comma != std::string::npos) {
    name = name.substr(0, comma) + ",...";
  }
  return name + " x" + std::to_string(r.broker_count);
}

// Same wording as the runner's description of the embedded broker.
std::string DescribeBroker(const Scenario& s) {
  if (!s.broker.embedded) return s.broker.bootstrap;
  return "embedded (" + std::to_string(s.broker.brokers) + " brokers, rtt " +
         std::to_string(s.broker.rtt_ns / 1'000'000) + "ms)";
}

std::string FailedByCode(const ErrorCounts& counts) {
  std::string out;
  for (const auto& [code, count] : counts) {
    if (!out.empty()) out += ';';
    out += std::to_string(code) + ":" + std::to_string(count);
  }
  return out;
}

// Latency for the console: "-" when nothing was recorded.
std::string Latency(const std::shared_ptr<LatencyHistogram>& h, double pct) {
  if (!h || h->TotalCount() == 0) return "-";
  return FormatDuration(h->ValueAtPercentile(pct));
}

const char* KeyKindName(KeySpec::Kind kind) {
  switch (kind) {
    case KeySpec::Kind::kNone: return "none";
    case KeySpec::Kind::kUniform: return "uniform";
    case KeySpec::Kind::kZipf: return "zipf";
  }
  return "?";
}

// Removes the temporary file and throws, naming the file and the OS error.
[[noreturn]] void FailWrite(const std::string& temporary, const std::string& what,
                            const std::string& target, int error) {
  ::unlink(temporary.c_str());
  throw ResultsError("cannot " + what + " " + target + ": " + std::strerror(error));
}

// Letters, digits and "._+-" pass; anything else (a slash, a space, the
// colons of an ISO time) becomes '-', so the folder name is one safe path
// component.
std::string PathComponent(const std::string& s) {
  std::string out;
  for (char c : s) {
    const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '+' || c == '-';
    out += safe ? c : '-';
  }
  if (out.empty() || out == "." || out == "..") out = "run" + out;
  return out;
}

}  // namespace

// ---- environment --------------------------------------------------------------

Environment DetectEnvironment(const std::string& command_line) {
  Environment env;
  env.cores = static_cast<int>(std::thread::hardware_concurrency());
  env.git_revision = SLUICE_GIT_REVISION;
  if (env.git_revision.empty()) env.git_revision = "unknown";
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0) env.hostname = host;
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  if (gmtime_r(&now, &utc) != nullptr) {
    char buf[32];
    if (std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc) > 0) env.started_utc = buf;
  }
  env.command_line = command_line;
  return env;
}

// ---- CSV header ---------------------------------------------------------------

const std::vector<std::string>& CsvHeader() {
  static const std::vector<std::string> header = [] {
    std::vector<std::string> h = {
        "scenario", "cell", "repetition",
        // the ledger
        "scheduled", "unsent", "generated", "dropped_newest", "dropped_oldest", "dropped", "delivered",
        "failed", "unresolved", "unresolved_in_flight", "unresolved_queued", "ledger_ok",
        // throughput
        "duration_s", "offered_rate", "offered_mbps", "delivered_rate", "delivered_mbps",
        "measured_delivered"};
    for (const char* name : kLatencyNames) {
      for (const char* stat :
           {"count", "mean_ms", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "p9999_ms", "max_ms"}) {
        h.push_back(std::string("latency.") + name + "." + stat);
      }
    }
    for (const char* name :
         {"late", "blocked", "max_lag_ms", "mean_lag_ms",                      // source
          "max_depth", "mean_depth", "depth_growth",                            // queue
          "little.arrival_rate", "little.mean_depth", "little.predicted_depth",  // Little's law
          "backpressure", "failed_by_code",                                     // producers
          "wire.bytes", "wire.messages", "wire.payload_bytes", "wire.bytes_per_event",
          "wire.compression_ratio",                                             // on the wire
          "cpu_user_s", "cpu_system_s", "peak_rss_mb", "wall_s",                // process
          "broker", "broker_count", "kafka_version", "topic",                   // set-up
          "threads", "client", "delivery",
          "when_full", "queue_capacity", "arrival", "rate",
          "max_rate.rate", "max_rate.failed_rate", "max_rate.probes",  // rate: max
          "error"}) {
      h.push_back(name);
    }
    return h;
  }();
  return header;
}

// ---- console ------------------------------------------------------------------

void ConsoleReporter::ReportContext(const sluice::ReportContext& context) {
  plan_ = context.plan;
  if (plan_ == nullptr) {
    out_ << "sluice\n";
  } else {
    const Scenario& s = plan_->base;
    out_ << "sluice: " << s.name;
    if (!s.file.empty()) out_ << " (" << s.file << ")";
    out_ << "\n";
    const size_t cells = plan_->cells.size();
    out_ << "  " << cells << (cells == 1 ? " cell" : " cells") << " x " << s.repeat
         << (s.repeat == 1 ? " repetition" : " repetitions") << ", "
         << FormatDuration(s.duration_ns) << " each";
    if (s.warmup_ns > 0) out_ << " after " << FormatDuration(s.warmup_ns) << " of warm-up";
    out_ << "\n";
    if (!plan_->swept_keys.empty()) {
      out_ << "  sweep:";
      for (const auto& key : plan_->swept_keys) out_ << " " << key;
      out_ << "\n";
    }
  }
  std::string broker = context.broker;
  if (broker.empty() && plan_ != nullptr) broker = DescribeBroker(plan_->base);
  if (!broker.empty()) out_ << "  broker: " << broker << "\n";
  if (!context.broker_note.empty()) out_ << "  note: " << context.broker_note << "\n";
  if (!context.overrides.empty()) {
    out_ << "  overrides:";
    for (const auto& o : context.overrides) out_ << " " << o;
    out_ << "\n";
  }
  out_.flush();
}

void ConsoleReporter::ReportCell(const CellResult& result) { cells_.push_back(result); }

void ConsoleReporter::Finalize() {
  if (cells_.empty()) {
    out_ << "no results\n";
    out_.flush();
    return;
  }
  const std::vector<std::string> swept =
      plan_ == nullptr ? std::vector<std::string>{} : plan_->swept_keys;

  // One column per swept key (left-aligned), then the figures (right-aligned).
  std::vector<std::string> header = swept;
  const size_t first_figure = header.size();
  for (const char* h : {"cell", "rep", "offered", "delivered", "MB/s", "dropped", "failed",
                        "unresolved", "ledger", "e2e p50", "e2e p99", "e2e p99.9", "e2e max",
                        "wait p99", "kafka p99", "max depth", "backpressure", "broker",
                        "kafka"}) {
    header.push_back(h);
  }
  std::vector<std::vector<std::string>> rows;
  bool searched = false;
  for (const CellResult& r : cells_) searched = searched || r.max_rate.searched;
  if (searched) header.push_back("max rate");
  for (const CellResult& r : cells_) {
    std::vector<std::string> row;
    for (const auto& key : swept) row.push_back(ParameterValue(r.scenario, key));
    row.push_back(std::to_string(r.cell));
    row.push_back(std::to_string(r.repetition));
    row.push_back(FormatRate(r.offered_rate));
    row.push_back(FormatRate(r.delivered_rate));
    row.push_back(Fixed(r.delivered_mbps, 2));
    row.push_back(std::to_string(r.dropped()));
    row.push_back(std::to_string(r.failed));
    row.push_back(std::to_string(r.unresolved));
    row.push_back(r.LedgerBalances() ? "OK" : "MISMATCH");
    row.push_back(Latency(r.end_to_end, 50));
    row.push_back(Latency(r.end_to_end, 99));
    row.push_back(Latency(r.end_to_end, 99.9));
    row.push_back(Latency(r.end_to_end, 100));
    row.push_back(Latency(r.queue_wait, 99));
    row.push_back(Latency(r.kafka, 99));
    row.push_back(std::to_string(r.max_depth));
    row.push_back(std::to_string(r.backpressure));
    row.push_back(ShortBroker(r));
    row.push_back(r.kafka_version.empty() ? "-" : r.kafka_version);
    if (searched) {
      row.push_back(!r.max_rate.searched ? "-"
                    : std::isnan(r.max_rate.rate) ? "none"
                                                  : FormatRate(r.max_rate.rate) + " (" +
                                                        std::to_string(r.max_rate.probes) + " probes)");
    }
    rows.push_back(std::move(row));
  }
  std::vector<size_t> width(header.size());
  for (size_t c = 0; c < header.size(); ++c) {
    width[c] = header[c].size();
    for (const auto& row : rows) width[c] = std::max(width[c], row[c].size());
  }
  auto print = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      if (c > 0) line += "  ";
      const std::string pad(width[c] - row[c].size(), ' ');
      line += c < first_figure ? row[c] + pad : pad + row[c];
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out_ << line << "\n";
  };
  out_ << "\n";
  print(header);
  for (const auto& row : rows) print(row);

  bool any_replay = false;
  for (const CellResult& r : cells_) {
    if (!r.replayed) continue;
    if (!any_replay) out_ << "\nreplay:\n";
    any_replay = true;
    const ReplayStats& p = r.replay;
    out_ << "  cell " << r.cell << " rep " << r.repetition << ": " << p.lines << " lines, "
         << p.passes << " passes completed, " << p.bad_lines << " bad, " << p.out_of_order
         << " out of order (" << p.clamped << " clamped)\n";
    for (const auto& b : p.bad_line_examples) out_ << "    bad line " << b << "\n";
  }

  size_t held = 0, failed = 0;
  for (const CellResult& r : cells_) {
    for (const auto& e : r.expectations) (e.passed ? held : failed) += 1;
  }
  if (held + failed > 0) {
    out_ << "\nexpectations: " << held << " held, " << failed << " failed\n";
    for (const CellResult& r : cells_) {
      for (const auto& e : r.expectations) {
        if (e.passed) continue;
        out_ << "  FAILED cell " << r.cell << " rep " << r.repetition;
        for (const auto& p : r.scenario.parameters) out_ << " " << p.key << "=" << p.value;
        out_ << ": " << e.column << ": expected " << e.expected << ", measured " << e.measured
             << " (" << e.where << ")\n";
      }
    }
  }

  if (searched) {
    out_ << "\nrate: max\n";
    for (const CellResult& r : cells_) {
      if (!r.max_rate.searched) continue;
      out_ << "  cell " << r.cell << " rep " << r.repetition;
      for (const auto& p : r.scenario.parameters) out_ << " " << p.key << "=" << p.value;
      out_ << ": " << r.max_rate.note << "\n";
    }
  }

  bool any_error = false;
  for (const CellResult& r : cells_) {
    if (r.error.empty()) continue;
    if (!any_error) out_ << "\nerrors (figures of these cells are partial):\n";
    any_error = true;
    out_ << "  cell " << r.cell << " rep " << r.repetition;
    for (const auto& p : r.scenario.parameters) out_ << " " << p.key << "=" << p.value;
    out_ << ": " << r.error << "\n";
  }
  out_.flush();
}

// ---- status line --------------------------------------------------------------

void StatusLine::Update(const StatusSnapshot& s) {
  char line[256];
  std::snprintf(line, sizeof line,
                "[cell %d/%d rep %d/%d] %.1fs/%.1fs offered %s delivered %s depth %llu "
                "dropped %llu p99 %s",
                s.cell + 1, s.cells, s.repetition + 1, s.repetitions, s.elapsed_s, s.total_s,
                FormatRate(s.offered_per_s).c_str(), FormatRate(s.delivered_per_s).c_str(),
                static_cast<unsigned long long>(s.depth),
                static_cast<unsigned long long>(s.dropped), FormatDuration(s.p99_ns).c_str());
  if (terminal_) {
    // Back to the start of the line and clear it, then the new status; no
    // newline, so the next update overwrites it.
    out_ << "\r\033[K" << line;
    open_ = true;
  } else {
    out_ << line << "\n";
  }
  out_.flush();
}

void StatusLine::End() {
  // Erase the in-place line so whatever is printed next starts on a clean one.
  if (terminal_ && open_) {
    out_ << "\r\033[K";
    out_.flush();
  }
  open_ = false;
}

// ---- report.csv ---------------------------------------------------------------

void CsvReporter::ReportContext(const sluice::ReportContext& context) {
  swept_keys_ = SweptKeys(context);
  std::vector<std::string> header = CsvHeader();
  header.insert(header.end(), swept_keys_.begin(), swept_keys_.end());
  WriteCsvRow(out_, header);
}

void CsvReporter::ReportCell(const CellResult& r) { WriteCsvRow(out_, CsvRow(r, swept_keys_)); }

std::vector<std::string> CsvRow(const CellResult& r, const std::vector<std::string>& swept_keys) {
  const Scenario& s = r.scenario;
  std::vector<std::string> f = {
      s.name,
      std::to_string(r.cell),
      std::to_string(r.repetition),
      std::to_string(r.scheduled),
      std::to_string(r.unsent),
      std::to_string(r.generated),
      std::to_string(r.dropped_newest),
      std::to_string(r.dropped_oldest),
      std::to_string(r.dropped()),
      std::to_string(r.delivered),
      std::to_string(r.failed),
      std::to_string(r.unresolved),
      std::to_string(r.unresolved_in_flight),
      std::to_string(r.unresolved_queued),
      r.LedgerBalances() ? "true" : "false",
      Fixed(r.duration_s, 6),
      Fixed(r.offered_rate, 3),
      Fixed(r.offered_mbps, 6),
      Fixed(r.delivered_rate, 3),
      Fixed(r.delivered_mbps, 6),
      std::to_string(r.measured_delivered)};
  for (int i = 0; i < 3; ++i) {
    const auto& h = LatencyOf(r, i);
    const int64_t count = h ? h->TotalCount() : 0;
    f.push_back(std::to_string(count));
    if (count == 0) {
      // No latency was recorded: the statistics are missing, not zero.
      f.insert(f.end(), 7, "");
      continue;
    }
    const LatencySummary sum = h->Summarize();
    f.push_back(NsAsMs(sum.mean_ns));
    for (int64_t v : {sum.p50_ns, sum.p90_ns, sum.p99_ns, sum.p999_ns, sum.p9999_ns, sum.max_ns}) {
      f.push_back(NsAsMs(static_cast<double>(v)));
    }
  }
  const std::vector<std::string> rest = {
      std::to_string(r.late),
      std::to_string(r.blocked),
      NsAsMs(static_cast<double>(r.max_lag_ns)),
      NsAsMs(r.mean_lag_ns),
      std::to_string(r.max_depth),
      Fixed(r.mean_depth, 3),
      Fixed(r.depth_growth, 3),
      Fixed(r.little_arrival_rate, 3),
      Fixed(r.little_mean_depth, 3),
      Fixed(r.little_predicted_depth, 3),
      std::to_string(r.backpressure),
      FailedByCode(r.failed_by_code),
      std::to_string(r.wire_bytes),
      std::to_string(r.wire_messages),
      std::to_string(r.wire_payload_bytes),
      r.wire_messages ? Fixed(static_cast<double>(r.wire_bytes) / r.wire_messages, 3) : "",
      r.wire_bytes ? Fixed(static_cast<double>(r.wire_payload_bytes) / r.wire_bytes, 4) : "",
      Fixed(r.cpu_user_s, 6),
      Fixed(r.cpu_system_s, 6),
      Fixed(static_cast<double>(r.peak_rss_bytes) / 1e6, 3),
      Fixed(r.wall_s, 6),
      r.broker,
      std::to_string(r.broker_count),
      r.kafka_version,
      r.topic,
      std::to_string(s.producers.threads),
      ToString(s.producers.client),
      ToString(s.producers.delivery),
      ToString(s.queue.when_full),
      std::to_string(s.queue.capacity),
      s.source_kind == SourceKind::kReplay ? "replay" : ToString(s.source.arrival),
      s.source_kind == SourceKind::kReplay ? "" : Fixed(s.source.rate, 3),
      r.max_rate.searched ? Fixed(r.max_rate.rate, 3) : "",
      r.max_rate.searched ? Fixed(r.max_rate.failed_rate, 3) : "",
      r.max_rate.searched ? std::to_string(r.max_rate.probes) : "",
      r.error};
  f.insert(f.end(), rest.begin(), rest.end());
  for (const auto& key : swept_keys) f.push_back(ParameterValue(s, key));
  return f;
}

void CsvReporter::Finalize() { out_.flush(); }

// ---- types.csv ----------------------------------------------------------------

void TypesCsvReporter::ReportContext(const sluice::ReportContext& context) {
  swept_keys_ = SweptKeys(context);
  std::vector<std::string> header = {"scenario", "cell", "repetition"};
  header.insert(header.end(), swept_keys_.begin(), swept_keys_.end());
  for (const char* h : {"type", "generated", "dropped", "delivered", "failed"}) header.push_back(h);
  WriteCsvRow(out_, header);
}

void TypesCsvReporter::ReportCell(const CellResult& r) {
  for (const TypeCounts& t : r.types) {
    std::vector<std::string> f = {r.scenario.name, std::to_string(r.cell),
                                  std::to_string(r.repetition)};
    for (const auto& key : swept_keys_) f.push_back(ParameterValue(r.scenario, key));
    f.push_back(t.type);
    f.push_back(std::to_string(t.generated));
    f.push_back(std::to_string(t.dropped));
    f.push_back(std::to_string(t.delivered));
    f.push_back(std::to_string(t.failed));
    WriteCsvRow(out_, f);
  }
}

void TypesCsvReporter::Finalize() { out_.flush(); }

// ---- expectations.csv ---------------------------------------------------------

void ExpectationsCsvReporter::ReportContext(const sluice::ReportContext& context) {
  swept_keys_ = SweptKeys(context);
  std::vector<std::string> header = {"scenario", "cell", "repetition"};
  header.insert(header.end(), swept_keys_.begin(), swept_keys_.end());
  for (const char* h : {"column", "condition", "expected", "measured", "passed", "where"}) {
    header.push_back(h);
  }
  WriteCsvRow(out_, header);
}

void ExpectationsCsvReporter::ReportCell(const CellResult& r) {
  for (const ExpectationOutcome& e : r.expectations) {
    std::vector<std::string> f = {r.scenario.name, std::to_string(r.cell),
                                  std::to_string(r.repetition)};
    for (const auto& key : swept_keys_) f.push_back(ParameterValue(r.scenario, key));
    f.push_back(e.column);
    f.push_back(e.condition);
    f.push_back(e.expected);
    f.push_back(e.measured);
    f.push_back(e.passed ? "true" : "false");
    f.push_back(e.where);
    WriteCsvRow(out_, f);
  }
}

void ExpectationsCsvReporter::Finalize() { out_.flush(); }

// ---- report.json --------------------------------------------------------------

namespace {

void WriteProperties(JsonWriter& w, const std::vector<KafkaProperty>& properties) {
  w.BeginObject();
  for (const auto& p : properties) w.Key(p.name).Str(p.value);
  w.EndObject();
}

void WriteScenario(JsonWriter& w, const ScenarioPlan& plan) {
  const Scenario& s = plan.base;
  w.BeginObject();
  w.Key("name").Str(s.name);
  w.Key("file").Str(s.file);
  w.Key("seed").Uint(s.seed);
  w.Key("duration_s").Num(static_cast<double>(s.duration_ns) / 1e9);
  w.Key("warmup_s").Num(static_cast<double>(s.warmup_ns) / 1e9);

  w.Key("broker").BeginObject();
  w.Key("embedded").Bool(s.broker.embedded);
  w.Key("brokers").Int(s.broker.brokers);
  w.Key("rtt_s").Num(static_cast<double>(s.broker.rtt_ns) / 1e9);
  w.Key("bootstrap").Str(s.broker.bootstrap);
  w.Key("connect_timeout_s").Num(static_cast<double>(s.broker.connect_timeout_ns) / 1e9);
  w.EndObject();

  w.Key("topic").BeginObject();
  w.Key("name").Str(s.topic.name);
  w.Key("partitions").Int(s.topic.partitions);
  w.Key("replication").Int(s.topic.replication);
  w.Key("reuse").Bool(s.topic.reuse);
  w.Key("config");
  WriteProperties(w, s.topic.config);
  w.EndObject();

  const SyntheticSourceSpec& src = s.source;
  w.Key("source").BeginObject();
  if (s.source_kind == SourceKind::kReplay) {
    const ReplaySourceSpec& rp = s.replay;
    w.Key("replay").BeginObject();
    w.Key("file").Str(rp.file);
    w.Key("path").Str(rp.path);
    w.Key("time").Str(rp.time_field);
    w.Key("time_format").Str(ToString(rp.time_format));
    w.Key("key").StrOrNull(rp.key_field);
    w.Key("type").StrOrNull(rp.type_field);
    if (rp.speed > 0) {
      w.Key("speed").Num(rp.speed);
    } else {
      w.Key("speed").Str("max");
    }
    if (rp.loop > 0) {
      w.Key("loop").Int(rp.loop);
    } else {
      w.Key("loop").Str("forever");
    }
    w.Key("on_bad_line").Str(ToString(rp.on_bad_line));
    w.Key("reorder_window").Int(rp.reorder_window);
    w.EndObject();
    w.EndObject();
  } else {
  w.Key("payload").Str(ToString(src.payload));
  if (src.search_max_rate) {
    w.Key("rate").Str("max");
    w.Key("max_rate").BeginObject();
    w.Key("p99_below_s").Num(static_cast<double>(src.max_rate.p99_below_ns) / 1e9);
    w.Key("probe_s").Num(static_cast<double>(src.max_rate.probe_ns > 0 ? src.max_rate.probe_ns : s.duration_ns) / 1e9);
    w.Key("start").Num(src.max_rate.start);
    w.Key("limit").Num(src.max_rate.limit);
    w.Key("max_probes").Int(src.max_rate.max_probes);
    w.EndObject();
  } else {
    w.Key("rate").Num(src.rate);
  }
  w.Key("arrival").Str(ToString(src.arrival));
  if (src.arrival == ArrivalKind::kBursty) {
    w.Key("bursty").BeginObject();
    w.Key("on_s").Num(static_cast<double>(src.bursty.on_ns) / 1e9);
    w.Key("off_s").Num(static_cast<double>(src.bursty.off_ns) / 1e9);
    w.Key("factor").Num(src.bursty.factor);
    w.EndObject();
  }
  if (src.arrival == ArrivalKind::kRamp) {
    w.Key("ramp").BeginObject();
    w.Key("from_rate").Num(src.ramp.from_rate);
    w.EndObject();
  }
  w.Key("events").BeginArray();
  for (const EventTypeSpec& e : src.events) {
    w.BeginObject();
    w.Key("name").Str(e.name);
    w.Key("weight").Num(e.weight);
    w.Key("size").BeginObject();
    if (e.size.kind == SizeDistribution::Kind::kFixed) {
      w.Key("kind").Str("fixed");
      w.Key("bytes").Int(e.size.fixed);
    } else {
      w.Key("kind").Str("lognormal");
      w.Key("median").Int(e.size.median);
      w.Key("p99").Int(e.size.p99);
      w.Key("min").Int(e.size.min);
      w.Key("max").Int(e.size.max);
    }
    w.EndObject();
    w.EndObject();
  }
  w.EndArray();
  w.Key("keys").BeginObject();
  w.Key("kind").Str(KeyKindName(src.keys.kind));
  w.Key("count").Int(src.keys.count);
  if (src.keys.kind == KeySpec::Kind::kZipf) w.Key("zipf_exponent").Num(src.keys.zipf_exponent);
  w.EndObject();
  w.EndObject();
  }

  w.Key("queue").BeginObject();
  w.Key("capacity").Int(s.queue.capacity);
  w.Key("when_full").Str(ToString(s.queue.when_full));
  w.EndObject();

  const ProducerSpec& p = s.producers;
  w.Key("producers").BeginObject();
  w.Key("threads").Int(p.threads);
  w.Key("client").Str(ToString(p.client));
  w.Key("delivery").Str(ToString(p.delivery));
  w.Key("dequeue_batch").Int(p.dequeue_batch);
  w.Key("drain_timeout_s").Num(static_cast<double>(p.drain_timeout_ns) / 1e9);
  w.Key("flush_timeout_s").Num(static_cast<double>(p.flush_timeout_ns) / 1e9);
  w.Key("kafka");
  WriteProperties(w, p.kafka);
  w.EndObject();

  w.Key("expect").BeginArray();
  for (const ExpectationSpec& e : s.expectations) {
    w.BeginObject();
    w.Key("column").Str(e.column);
    w.Key("condition").Str(e.condition);
    w.Key("when").BeginObject();
    for (const auto& condition : e.when) w.Key(condition.key).Str(condition.value);
    w.EndObject();
    w.Key("where").Str(e.where.ToString());
    w.EndObject();
  }
  w.EndArray();

  w.Key("repeat").Int(s.repeat);
  w.Key("swept_keys").BeginArray();
  for (const auto& key : plan.swept_keys) w.Str(key);
  w.EndArray();
  w.Key("cell_count").Uint(plan.cells.size());
  w.EndObject();
}

void WriteLatency(JsonWriter& w, const std::shared_ptr<LatencyHistogram>& h) {
  if (!h) {
    w.Null();
    return;
  }
  const LatencySummary sum = h->Summarize();
  w.BeginObject();
  w.Key("count").Int(sum.count);
  // An empty histogram has no statistics: null rather than a misleading 0.
  const bool any = sum.count > 0;
  auto field = [&](const char* key, int64_t v) {
    if (any) {
      w.Key(key).Int(v);
    } else {
      w.Key(key).Null();
    }
  };
  if (any) {
    w.Key("mean_ns").Num(sum.mean_ns);
  } else {
    w.Key("mean_ns").Null();
  }
  field("min_ns", sum.min_ns);
  field("p50_ns", sum.p50_ns);
  field("p90_ns", sum.p90_ns);
  field("p99_ns", sum.p99_ns);
  field("p999_ns", sum.p999_ns);
  field("p9999_ns", sum.p9999_ns);
  field("max_ns", sum.max_ns);
  w.Key("overflows").Int(sum.overflows);
  w.EndObject();
}

}  // namespace

void JsonReporter::ReportContext(const sluice::ReportContext& context) {
  JsonWriter w(1);
  w.Key("sluice_report_version").Int(1);
  w.Key("scenario");
  if (context.plan == nullptr) {
    w.Null();
  } else {
    WriteScenario(w, *context.plan);
  }
  w.Key("overrides").BeginArray();
  for (const auto& o : context.overrides) w.Str(o);
  w.EndArray();
  const Environment& env = context.environment;
  w.Key("environment").BeginObject();
  w.Key("cores").Int(env.cores);
  w.Key("librdkafka_version").Str(env.librdkafka_version);
  w.Key("git_revision").Str(env.git_revision);
  w.Key("hostname").Str(env.hostname);
  w.Key("started_utc").Str(env.started_utc);
  w.Key("command_line").Str(env.command_line);
  w.EndObject();
  w.Key("broker_note").Str(context.broker_note);
  context_json_ = w.str();
}

void JsonReporter::ReportCell(const CellResult& r) {
  JsonWriter w(2);
  w.BeginObject();
  w.Key("cell").Int(r.cell);
  w.Key("repetition").Int(r.repetition);
  w.Key("parameters").BeginObject();
  for (const auto& p : r.scenario.parameters) w.Key(p.key).Str(p.value);
  w.EndObject();
  w.Key("topic").Str(r.topic);
  w.Key("broker").Str(r.broker);
  w.Key("broker_count").Int(r.broker_count);
  w.Key("kafka_version").Str(r.kafka_version);

  w.Key("ledger").BeginObject();
  w.Key("scheduled").Uint(r.scheduled);
  w.Key("unsent").Uint(r.unsent);
  w.Key("generated").Uint(r.generated);
  w.Key("dropped_newest").Uint(r.dropped_newest);
  w.Key("dropped_oldest").Uint(r.dropped_oldest);
  w.Key("dropped").Uint(r.dropped());
  w.Key("delivered").Uint(r.delivered);
  w.Key("failed").Uint(r.failed);
  w.Key("unresolved").Uint(r.unresolved);
  w.Key("unresolved_in_flight").Uint(r.unresolved_in_flight);
  w.Key("unresolved_queued").Uint(r.unresolved_queued);
  w.EndObject();
  w.Key("ledger_ok").Bool(r.LedgerBalances());
  w.Key("failed_by_code").BeginObject();
  for (const auto& [code, count] : r.failed_by_code) w.Key(std::to_string(code)).Uint(count);
  w.EndObject();

  w.Key("throughput").BeginObject();
  w.Key("duration_s").Num(r.duration_s);
  w.Key("offered_rate").Num(r.offered_rate);
  w.Key("offered_mbps").Num(r.offered_mbps);
  w.Key("delivered_rate").Num(r.delivered_rate);
  w.Key("delivered_mbps").Num(r.delivered_mbps);
  w.Key("measured_delivered").Uint(r.measured_delivered);
  w.EndObject();

  w.Key("source").BeginObject();
  w.Key("late").Uint(r.late);
  w.Key("blocked").Uint(r.blocked);
  w.Key("max_lag_ns").Int(r.max_lag_ns);
  w.Key("mean_lag_ns").Num(r.mean_lag_ns);
  w.EndObject();

  w.Key("queue").BeginObject();
  w.Key("max_depth").Uint(r.max_depth);
  w.Key("mean_depth").Num(r.mean_depth);
  w.Key("depth_growth").Num(r.depth_growth);
  w.Key("little").BeginObject();
  w.Key("arrival_rate").Num(r.little_arrival_rate);
  w.Key("mean_depth").Num(r.little_mean_depth);
  w.Key("predicted_depth").Num(r.little_predicted_depth);
  w.EndObject();
  w.EndObject();

  w.Key("producers").BeginObject();
  w.Key("backpressure").Uint(r.backpressure);
  w.EndObject();

  w.Key("wire").BeginObject();
  w.Key("bytes").Uint(r.wire_bytes);
  w.Key("messages").Uint(r.wire_messages);
  w.Key("payload_bytes").Uint(r.wire_payload_bytes);
  w.EndObject();

  w.Key("process").BeginObject();
  w.Key("wall_s").Num(r.wall_s);
  w.Key("cpu_user_s").Num(r.cpu_user_s);
  w.Key("cpu_system_s").Num(r.cpu_system_s);
  w.Key("peak_rss_bytes").Int(r.peak_rss_bytes);
  w.EndObject();

  w.Key("latency").BeginObject();
  for (int i = 0; i < 3; ++i) {
    w.Key(kLatencyNames[i]);
    WriteLatency(w, LatencyOf(r, i));
  }
  w.EndObject();

  w.Key("types").BeginArray();
  for (const TypeCounts& t : r.types) {
    w.BeginObject();
    w.Key("type").Str(t.type);
    w.Key("generated").Uint(t.generated);
    w.Key("dropped").Uint(t.dropped);
    w.Key("delivered").Uint(t.delivered);
    w.Key("failed").Uint(t.failed);
    w.EndObject();
  }
  w.EndArray();
  if (r.replayed) {
    const ReplayStats& p = r.replay;
    w.Key("replay").BeginObject();
    w.Key("lines").Uint(p.lines);
    w.Key("bad_lines").Uint(p.bad_lines);
    w.Key("out_of_order").Uint(p.out_of_order);
    w.Key("clamped").Uint(p.clamped);
    w.Key("passes").Uint(p.passes);
    w.Key("other_type").Uint(p.other_type);
    w.Key("bad_line_examples").BeginArray();
    for (const auto& b : p.bad_line_examples) w.Str(b);
    w.EndArray();
    w.EndObject();
  }

  w.Key("max_rate");
  if (!r.max_rate.searched) {
    w.Null();
  } else {
    w.BeginObject();
    w.Key("rate").Num(r.max_rate.rate);
    w.Key("failed_rate").Num(r.max_rate.failed_rate);
    w.Key("probes").Int(r.max_rate.probes);
    w.Key("note").Str(r.max_rate.note);
    w.Key("list").BeginArray();
    for (const RateProbe& p : r.max_rate.list) {
      w.BeginObject();
      w.Key("rate").Num(p.rate);
      w.Key("passed").Bool(p.passed);
      w.Key("why").Str(p.why);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.Key("expectations");
  if (!r.expectations_checked) {
    w.Null();
  } else {
    w.BeginArray();
    for (const ExpectationOutcome& e : r.expectations) {
      w.BeginObject();
      w.Key("column").Str(e.column);
      w.Key("condition").Str(e.condition);
      w.Key("expected").Str(e.expected);
      w.Key("measured").Str(e.measured);
      w.Key("passed").Bool(e.passed);
      w.Key("where").Str(e.where);
      w.EndObject();
    }
    w.EndArray();
  }
  w.Key("error").StrOrNull(r.error);
  w.EndObject();
  cells_json_.push_back(w.str());
}

void JsonReporter::Finalize() {
  std::string context = context_json_;
  if (context.empty()) {
    JsonWriter w(1);
    w.Key("sluice_report_version").Int(1);
    context = w.str();
  }
  out_ << "{" << context << ",\n  \"cells\": [";
  for (size_t i = 0; i < cells_json_.size(); ++i) out_ << (i > 0 ? "," : "") << cells_json_[i];
  out_ << (cells_json_.empty() ? "]" : "\n  ]") << "\n}\n";
  out_.flush();
}

// ---- the results folder -------------------------------------------------------

ResultsFolder::ResultsFolder(const std::string& results_root, const std::string& name,
                             const std::string& utc_stamp) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(results_root, ec);
  if (ec) {
    throw ResultsError("cannot create results folder " + results_root + ": " + ec.message());
  }
  const std::string base = PathComponent(name) + "-" + PathComponent(utc_stamp);
  // create_directory() tells whether it created the folder, so two runs
  // started in the same second never share one.
  for (int n = 1; n <= 10000; ++n) {
    const fs::path candidate =
        fs::path(results_root) / (n == 1 ? base : base + "-" + std::to_string(n));
    if (fs::create_directory(candidate, ec)) {
      path_ = candidate.string();
      return;
    }
    if (ec) {
      throw ResultsError("cannot create results folder " + candidate.string() + ": " +
                         ec.message());
    }
  }
  throw ResultsError("cannot create results folder " + (fs::path(results_root) / base).string() +
                     ": 10000 folders of that name exist already");
}

void ResultsFolder::WriteFile(const std::string& file_name, const std::string& content) const {
  const std::string target = (std::filesystem::path(path_) / file_name).string();
  const std::string temporary = target + ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    const int error = errno;
    throw ResultsError("cannot write " + target + " (as " + temporary + "): " +
                       std::strerror(error));
  }
  size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      ::close(fd);
      FailWrite(temporary, "write", target, error);
    }
    written += static_cast<size_t>(n);
  }
  // Durable before it becomes visible: after a crash the file under its final
  // name is complete, not empty.
  if (::fsync(fd) != 0) {
    const int error = errno;
    ::close(fd);
    FailWrite(temporary, "write", target, error);
  }
  if (::close(fd) != 0) FailWrite(temporary, "write", target, errno);
  if (::rename(temporary.c_str(), target.c_str()) != 0) {
    FailWrite(temporary, "rename into place", target, errno);
  }
}

void ResultsFolder::WriteAll(const sluice::ReportContext& context,
                             const std::vector<CellResult>& cells) const {
  std::ostringstream csv, types, json, expectations;
  CsvReporter csv_reporter(csv);
  TypesCsvReporter types_reporter(types);
  JsonReporter json_reporter(json);
  ExpectationsCsvReporter expectations_reporter(expectations);
  for (Reporter* r : std::initializer_list<Reporter*>{&csv_reporter, &types_reporter,
                                                      &json_reporter, &expectations_reporter}) {
    r->ReportContext(context);
    for (const CellResult& cell : cells) r->ReportCell(cell);
    r->Finalize();
  }
  WriteFile("report.csv", csv.str());
  WriteFile("types.csv", types.str());
  WriteFile("report.json", json.str());
  bool checked = false;
  for (const CellResult& cell : cells) checked = checked || !cell.expectations.empty();
  if (checked) WriteFile("expectations.csv", expectations.str());
  for (const CellResult& cell : cells) {
    for (int i = 0; i < 3; ++i) {
      const auto& h = LatencyOf(cell, i);
      if (!h) continue;
      std::ostringstream hgrm;
      h->WritePercentiles(hgrm, 1e6);  // milliseconds
      WriteFile(std::to_string(cell.cell) + "-" + std::to_string(cell.repetition) + "." +
                    kLatencyNames[i] + ".hgrm",
                hgrm.str());
    }
  }
}

}  // namespace sluice
