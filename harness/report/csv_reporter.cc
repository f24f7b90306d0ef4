// report.csv, types.csv and expectations.csv: one record per cell (and type,
// or expectation) as soon as the cell is reported. report.csv's columns are
// the registry's (columns.h), then the swept keys.
#include <algorithm>

#include "sluice/core/redact.h"
#include "sluice/report/columns.h"
#include "sluice/report/csv.h"
#include "sluice/report/reporter.h"

namespace sluice {
namespace {

std::vector<std::string> SweptKeys(const sluice::ReportContext& context) {
  return context.plan == nullptr ? std::vector<std::string>{} : context.plan->swept_keys;
}

// A swept value as reports show it: redacted when the key is a secret.
std::string SweptValue(const Scenario& s, const std::string& key) {
  return RedactValue(key, ParameterValue(s, key));
}

// scenario, cell, repetition, then the swept values: the first fields of
// types.csv and expectations.csv.
std::vector<std::string> Prefix(const CellResult& r, const std::vector<std::string>& swept_keys) {
  std::vector<std::string> f = {r.scenario.name, std::to_string(r.cell), std::to_string(r.repetition)};
  for (const auto& key : swept_keys) f.push_back(SweptValue(r.scenario, key));
  return f;
}

}  // namespace

const std::vector<std::string>& CsvHeader() {
  static const std::vector<std::string> header = [] {
    std::vector<std::string> h;
    for (const Column& c : ReportColumns()) h.push_back(c.name);
    return h;
  }();
  return header;
}

std::vector<std::string> CsvRow(const CellResult& r, const std::vector<std::string>& swept_keys) {
  std::vector<std::string> f;
  f.reserve(ReportColumns().size() + swept_keys.size());
  for (const Column& c : ReportColumns()) f.push_back(FormatColumnValue(c, c.value(r)));
  for (const auto& key : swept_keys) f.push_back(SweptValue(r.scenario, key));
  return f;
}

// ---- report.csv ---------------------------------------------------------------

void CsvReporter::ReportContext(const sluice::ReportContext& context) {
  swept_keys_ = SweptKeys(context);
  std::vector<std::string> header = CsvHeader();
  header.insert(header.end(), swept_keys_.begin(), swept_keys_.end());
  out_ << CsvLine(header);
}

void CsvReporter::ReportCell(const CellResult& r) {
  out_ << CsvLine(CsvRow(r, swept_keys_));
  out_.flush();
}

void CsvReporter::Finalize() { out_.flush(); }

// ---- types.csv ----------------------------------------------------------------

void TypesCsvReporter::ReportContext(const sluice::ReportContext& context) {
  swept_keys_ = SweptKeys(context);
  std::vector<std::string> header = {"scenario", "cell", "repetition"};
  header.insert(header.end(), swept_keys_.begin(), swept_keys_.end());
  for (const char* h : {"type", "generated", "dropped", "delivered", "failed"}) header.push_back(h);
  // When a cell verifies (empty in the others): this type's share;
  // `verify.lost` here is every acknowledged event never read (report.csv
  // splits lost and truncated, which is known by offset, not by type).
  verify_ = context.plan != nullptr &&
            std::any_of(context.plan->cells.begin(), context.plan->cells.end(),
                        [](const Scenario& s) { return s.verify.consume; });
  for (const char* h : {"verify.read", "verify.ok", "verify.lost", "verify.duplicated", "verify.reordered",
                        "verify.unacked_written"}) {
    if (verify_) header.push_back(h);
  }
  out_ << CsvLine(header);
}

void TypesCsvReporter::ReportCell(const CellResult& r) {
  for (size_t i = 0; i < r.types.size(); ++i) {
    const TypeCounts& t = r.types[i];
    const VerifyCounts v = i < r.verify.by_type.size() ? r.verify.by_type[i] : VerifyCounts{};
    std::vector<std::string> f = Prefix(r, swept_keys_);
    f.push_back(t.type);
    f.push_back(std::to_string(t.generated));
    f.push_back(std::to_string(t.dropped));
    f.push_back(std::to_string(t.delivered));
    f.push_back(std::to_string(t.failed));
    for (uint64_t n : {v.read, v.ok, v.lost, v.duplicated, v.reordered, v.unacked_written}) {
      if (verify_) f.push_back(r.verify.checked ? std::to_string(n) : "");
    }
    out_ << CsvLine(f);
  }
  out_.flush();
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
  out_ << CsvLine(header);
}

void ExpectationsCsvReporter::ReportCell(const CellResult& r) {
  for (const ExpectationOutcome& e : r.expectations) {
    std::vector<std::string> f = Prefix(r, swept_keys_);
    f.push_back(e.column);
    f.push_back(e.condition);
    f.push_back(e.expected);
    f.push_back(e.measured);
    f.push_back(e.passed ? "true" : "false");
    f.push_back(e.where);
    out_ << CsvLine(f);
  }
  out_.flush();
}

void ExpectationsCsvReporter::Finalize() { out_.flush(); }

}  // namespace sluice
