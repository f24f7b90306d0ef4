// The console: a header as the run starts, a summary table at the end. The
// table's figures are registry columns (columns.h) in a person's units; the
// reporter keeps one row of text per cell, not the cells.
#include <algorithm>
#include <cmath>

#include "format.h"
#include "sluice/core/redact.h"
#include "sluice/core/units.h"
#include "sluice/report/columns.h"
#include "sluice/report/reporter.h"

namespace sluice {
namespace {

using internal::DescribeBroker;
using internal::Fixed;

// The summary table's figures: a heading and the registry column shown.
struct Figure {
  const char* heading;
  const char* column;
};
constexpr Figure kFigures[] = {
    {"offered", "offered_rate"},
    {"delivered", "delivered_rate"},
    {"MB/s", "delivered_mbps"},
    {"dropped", "dropped"},
    {"failed", "failed"},
    {"unresolved", "unresolved"},
    {"ledger", "ledger_ok"},
    {"e2e p50", "latency.end_to_end.p50_ms"},
    {"e2e p99", "latency.end_to_end.p99_ms"},
    {"e2e p99.9", "latency.end_to_end.p999_ms"},
    {"e2e max", "latency.end_to_end.max_ms"},
    {"wait p99", "latency.queue_wait.p99_ms"},
    {"worker p99", "latency.worker.p99_ms"},
    {"kafka p99", "latency.kafka.p99_ms"},
    {"max depth", "max_depth"},
    {"backpressure", "backpressure"},
};

// A registry value in a person's units: "50.0k/s", "4.20ms", "10.40" (MB/s),
// "OK"/"MISMATCH" for the ledger, "-" for no value.
std::string Human(const Column& c, const CellResult& r) {
  const ColumnValue v = c.value(r);
  switch (v.kind) {
    case ColumnValue::Kind::kNone: return "-";
    case ColumnValue::Kind::kText: return v.text.empty() ? "-" : v.text;
    case ColumnValue::Kind::kBool: return v.number != 0 ? "OK" : "MISMATCH";
    case ColumnValue::Kind::kNumber: break;
  }
  const double canonical = v.number * c.scale;
  if (c.dim == Dimension{1, 0}) return FormatDuration(std::llround(canonical * 1e9));
  if (c.dim == Dimension{-1, 0}) return FormatRate(canonical);
  if (c.dim == Dimension{-1, 1}) return Fixed(v.number, 2);
  return FormatColumnValue(c, v);
}

// The console's broker column: "embedded x3", or the first bootstrap entry
// and the broker count the metadata gave ("127.0.0.1:19092,... x3"); the
// header above the table prints the whole bootstrap list.
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

// " key=value" for each swept value, secrets redacted.
std::string Parameters(const CellResult& r) {
  std::string out;
  for (const auto& p : r.scenario.parameters) out += " " + p.key + "=" + RedactValue(p.key, p.value);
  return out;
}

}  // namespace

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
    for (const auto& o : context.overrides) out_ << " " << RedactOverride(o);
    out_ << "\n";
  }
  out_.flush();
}

void ConsoleReporter::ReportCell(const CellResult& r) {
  std::vector<std::string> row;
  if (plan_ != nullptr) {
    for (const auto& key : plan_->swept_keys) row.push_back(RedactValue(key, ParameterValue(r.scenario, key)));
  }
  row.push_back(std::to_string(r.cell));
  row.push_back(std::to_string(r.repetition));
  for (const Figure& f : kFigures) row.push_back(Human(*FindColumn(f.column), r));
  row.push_back(ShortBroker(r));
  row.push_back(r.kafka_version.empty() ? "-" : r.kafka_version);
  rows_.push_back(std::move(row));
  searched_ = searched_ || r.max_rate.searched;
  max_rate_.push_back(!r.max_rate.searched          ? "-"
                      : std::isnan(r.max_rate.rate) ? "none"
                                                    : FormatRate(r.max_rate.rate) + " (" +
                                                          std::to_string(r.max_rate.probes) + " probes)");

  const std::string where = "  cell " + std::to_string(r.cell) + " rep " + std::to_string(r.repetition);
  if (r.replayed) {
    const ReplayStats& p = r.replay;
    replay_notes_ += where + ": " + std::to_string(p.lines) + " lines, " + std::to_string(p.passes) +
                     " passes completed, " + std::to_string(p.bad_lines) + " bad, " +
                     std::to_string(p.out_of_order) + " out of order (" + std::to_string(p.clamped) +
                     " clamped)\n";
    for (const auto& b : p.bad_line_examples) replay_notes_ += "    bad line " + b + "\n";
  }
  for (const auto& e : r.expectations) {
    if (e.passed) {
      ++held_;
      continue;
    }
    ++failed_;
    failures_ += "  FAILED cell " + std::to_string(r.cell) + " rep " + std::to_string(r.repetition) +
                 Parameters(r) + ": " + e.column + ": expected " + e.expected + ", measured " + e.measured +
                 " (" + e.where + ")\n";
  }
  if (r.verify.checked) {
    // The verdict line: what the topic holds, against what was acknowledged.
    const VerifyCounts& v = r.verify.counts;
    verify_notes_ += where + Parameters(r) + ": " + r.verify.Verdict() + ": " + std::to_string(v.read) +
                     " read, " + std::to_string(v.ok) + " ok, " + std::to_string(v.lost) + " lost, " +
                     std::to_string(v.duplicated) + " duplicated, " + std::to_string(v.reordered) +
                     " reordered, " + std::to_string(v.unacked_written) + " unacked_written, " +
                     std::to_string(v.corrupt) + " corrupt";
    if (v.foreign > 0) verify_notes_ += ", " + std::to_string(v.foreign) + " foreign";
    if (v.truncated > 0) {
      verify_notes_ += "; " + std::to_string(v.truncated) +
                       " acknowledged events were dropped by the broker before they could be read "
                       "(truncated, below the low watermark): inconclusive there";
    }
    if (!r.verify.reached_end) verify_notes_ += "; the log did not settle within verify.timeout (what was read by then is counted)";
    verify_notes_ += "\n";
  }
  if (r.max_rate.searched) rate_notes_ += where + Parameters(r) + ": " + r.max_rate.note + "\n";
  if (!r.faults.empty()) {
    // What each fault did, then the recovery: the story the whole-window
    // figures do not tell (timeseries.csv has the course).
    for (const FaultOutcome& f : r.faults) {
      char when[96];
      std::snprintf(when, sizeof when, " at %.1fs", f.at_s);
      std::string line = where + ": fault " + f.label + when;
      if (f.duration_s > 0) line += " for " + FormatDuration(static_cast<int64_t>(f.duration_s * 1e9));
      line += f.error.empty() ? (std::isnan(f.applied_s) ? ": not reached" : ": applied") : ": FAILED: " + f.error;
      fault_notes_ += line + "\n";
    }
    if (r.recovery.had_faults) {
      char text[160];
      if (std::isnan(r.recovery.recovery_s)) {
        std::snprintf(text, sizeof text, "never recovered; %llu dropped since the first fault, depth max %llu",
                      static_cast<unsigned long long>(r.recovery.fault_drops),
                      static_cast<unsigned long long>(r.recovery.fault_depth_max));
      } else {
        std::snprintf(text, sizeof text,
                      "recovered %.1fs after the last fault; %llu dropped from the first fault to then, depth max %llu",
                      r.recovery.recovery_s, static_cast<unsigned long long>(r.recovery.fault_drops),
                      static_cast<unsigned long long>(r.recovery.fault_depth_max));
      }
      fault_notes_ += where + Parameters(r) + ": " + text + "\n";
    }
  }
  if (r.host_cpu_pct > kHostBusyPct) {
    char text[64];
    std::snprintf(text, sizeof text, "this machine was %.0f%% busy", r.host_cpu_pct);
    host_notes_ += where + Parameters(r) + ": " + text +
                   " over the window: the result may be bound by this machine (brokers, JVMs and sluice share its "
                   "cores) rather than by the configuration\n";
  }
  if (!r.error.empty()) errors_ += where + Parameters(r) + ": " + r.error + "\n";
}

void ConsoleReporter::Finalize() {
  if (rows_.empty()) {
    out_ << "no results\n";
    if (!partial_reason_.empty()) out_ << "partial run: " << partial_reason_ << "\n";
    out_.flush();
    return;
  }
  const std::vector<std::string> swept =
      plan_ == nullptr ? std::vector<std::string>{} : plan_->swept_keys;

  // One column per swept key (left-aligned), then the figures (right-aligned).
  std::vector<std::string> header = swept;
  const size_t first_figure = header.size();
  header.push_back("cell");
  header.push_back("rep");
  for (const Figure& f : kFigures) header.push_back(f.heading);
  header.push_back("broker");
  header.push_back("kafka");
  if (searched_) {
    header.push_back("max rate");
    for (size_t i = 0; i < rows_.size(); ++i) rows_[i].push_back(max_rate_[i]);
  }
  std::vector<size_t> width(header.size());
  for (size_t c = 0; c < header.size(); ++c) {
    width[c] = header[c].size();
    for (const auto& row : rows_) width[c] = std::max(width[c], row[c].size());
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
  for (const auto& row : rows_) print(row);

  if (!replay_notes_.empty()) out_ << "\nreplay:\n" << replay_notes_;
  if (!verify_notes_.empty()) out_ << "\nverify:\n" << verify_notes_;
  if (held_ + failed_ > 0) {
    out_ << "\nexpectations: " << held_ << " held, " << failed_ << " failed\n" << failures_;
  }
  if (searched_) out_ << "\nrate: max\n" << rate_notes_;
  if (!fault_notes_.empty()) out_ << "\nfaults:\n" << fault_notes_;
  if (!host_notes_.empty()) out_ << "\nhost:\n" << host_notes_;
  if (!errors_.empty()) out_ << "\nerrors (figures of these cells are partial):\n" << errors_;
  if (!partial_reason_.empty()) {
    out_ << "\npartial run: " << partial_reason_ << "; the report holds the " << rows_.size()
         << (rows_.size() == 1 ? " cell" : " cells") << " above\n";
  }
  out_.flush();
}

}  // namespace sluice
