// Reporters: how results leave the process. One format per reporter, behind
// one interface (as google/benchmark does), each writing to a stream passed
// in, so tests can capture what it writes.
//
//   ReportContext   once per plan: the scenario, the environment
//   ReportCell      once per cell and repetition, as soon as it finished
//   Finalize        once at the end
//
// ResultsFolder writes results/<name>-<UTC time>/: report.csv, report.json,
// types.csv and one .hgrm per cell, repetition and latency. Every file is
// written to a temporary name and renamed into place, so a report is either
// complete or absent, never half-written. Its methods throw ResultsError when
// a file cannot be written (the CLI exits 4). Not thread-safe: call from the
// runner's thread.
#ifndef SLUICE_REPORT_REPORTER_H_
#define SLUICE_REPORT_REPORTER_H_

#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "sluice/pipeline/run_result.h"
#include "sluice/pipeline/runner.h"
#include "sluice/scenario/scenario.h"

namespace sluice {

struct Environment {
  int cores = 0;
  std::string librdkafka_version;
  std::string git_revision;  // of the sluice build; "unknown" outside a checkout
  std::string hostname;
  std::string started_utc;   // ISO-8601, e.g. 2026-11-22T04:16:38Z
  std::string command_line;
};

// Collects the environment of this process: cores, git revision (the
// SLUICE_GIT_REVISION macro of the build, else "unknown"), hostname and the
// current UTC time. librdkafka_version is left empty so that reporting does
// not link librdkafka: the caller fills it (sluice::LibrdkafkaVersion()).
// Never throws for a missing item; it is left empty ("unknown" for git).
Environment DetectEnvironment(const std::string& command_line);

struct ReportContext {
  const ScenarioPlan* plan = nullptr;
  Environment environment;
  std::vector<std::string> overrides;  // --set values, as given
  std::string broker_note;             // e.g. what the embedded broker does not model
  // What the cells run against, for the console header (e.g. the --bootstrap
  // list). Empty: described from the plan's scenario.
  std::string broker;
};

class Reporter {
 public:
  virtual ~Reporter() = default;
  virtual void ReportContext(const sluice::ReportContext& context) = 0;
  virtual void ReportCell(const CellResult& result) = 0;
  virtual void Finalize() = 0;
};

// Human-readable: a header, then a summary table per cell at the end.
class ConsoleReporter : public Reporter {
 public:
  explicit ConsoleReporter(std::ostream& out) : out_(out) {}
  void ReportContext(const sluice::ReportContext& context) override;
  void ReportCell(const CellResult& result) override;
  void Finalize() override;

 private:
  std::ostream& out_;
  const ScenarioPlan* plan_ = nullptr;
  std::vector<CellResult> cells_;
};

// The live status line: in place on a terminal (carriage return), one plain
// line per update otherwise. Call End() before printing anything else.
class StatusLine {
 public:
  StatusLine(std::ostream& out, bool terminal) : out_(out), terminal_(terminal) {}
  void Update(const StatusSnapshot& status);
  void End();

 private:
  std::ostream& out_;
  bool terminal_;
  bool open_ = false;
};

// report.csv: one row per cell and repetition. The columns are fixed (see
// CsvHeader) plus one column per swept key, named after the key.
class CsvReporter : public Reporter {
 public:
  explicit CsvReporter(std::ostream& out) : out_(out) {}
  void ReportContext(const sluice::ReportContext& context) override;
  void ReportCell(const CellResult& result) override;
  void Finalize() override;

 private:
  std::ostream& out_;
  std::vector<std::string> swept_keys_;
};

// types.csv: per cell, repetition and event type: generated, dropped,
// delivered, failed.
class TypesCsvReporter : public Reporter {
 public:
  explicit TypesCsvReporter(std::ostream& out) : out_(out) {}
  void ReportContext(const sluice::ReportContext& context) override;
  void ReportCell(const CellResult& result) override;
  void Finalize() override;

 private:
  std::ostream& out_;
  std::vector<std::string> swept_keys_;
};

// expectations.csv: one row per cell, repetition and expectation checked:
// the condition as written, what it evaluated to, what was measured, and
// whether it held.
class ExpectationsCsvReporter : public Reporter {
 public:
  explicit ExpectationsCsvReporter(std::ostream& out) : out_(out) {}
  void ReportContext(const sluice::ReportContext& context) override;
  void ReportCell(const CellResult& result) override;
  void Finalize() override;

 private:
  std::ostream& out_;
  std::vector<std::string> swept_keys_;
};

// report.json: the full detail: the scenario as run, the environment, every
// cell with its ledger, errors by code, latency summaries and types.
class JsonReporter : public Reporter {
 public:
  explicit JsonReporter(std::ostream& out) : out_(out) {}
  void ReportContext(const sluice::ReportContext& context) override;
  void ReportCell(const CellResult& result) override;
  void Finalize() override;

 private:
  std::ostream& out_;
  std::string context_json_;
  std::vector<std::string> cells_json_;
};

// The CSV column names, in order, before the swept keys. `error` is always
// the last of them: the columns after it are the swept keys.
const std::vector<std::string>& CsvHeader();

// One report.csv row: the fields of CsvHeader(), then the cell's value of
// each of `swept_keys`. Unquoted (the writer quotes).
std::vector<std::string> CsvRow(const CellResult& result, const std::vector<std::string>& swept_keys);

class ResultsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Owns results/<name>-<UTC>/ and the reporters that write into it.
class ResultsFolder {
 public:
  // Creates the folder (throws ResultsError).
  ResultsFolder(const std::string& results_root, const std::string& name,
                const std::string& utc_stamp);
  const std::string& path() const { return path_; }

  // Writes `content` to `file_name` inside the folder, atomically.
  void WriteFile(const std::string& file_name, const std::string& content) const;

  // Writes every report of a finished plan: report.csv, types.csv,
  // report.json, expectations.csv (when any expectation was checked) and the
  // .hgrm files (<cell>-<rep>.<latency>.hgrm, values in milliseconds).
  void WriteAll(const sluice::ReportContext& context, const std::vector<CellResult>& cells) const;

 private:
  std::string path_;
};

}  // namespace sluice

#endif  // SLUICE_REPORT_REPORTER_H_
