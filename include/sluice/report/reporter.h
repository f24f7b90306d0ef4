// Reporters: how results leave the process. One format per reporter, behind
// one interface (as google/benchmark does), each writing to a stream passed
// in, so tests can capture what it writes. Each in a file of its own:
// console_reporter.cc, status_line.cc, csv_reporter.cc, json_reporter.cc,
// results_folder.cc; the figures come from the column registry (columns.h).
//
//   ReportContext   once per plan: the scenario, the environment
//   ReportCell      once per cell and repetition, as soon as it finished:
//                   every reporter writes (or keeps a short summary of) the
//                   cell then, so nothing holds every cell in memory
//   MarkPartial     when the run stopped early (interrupt, a cell threw)
//   Finalize        once at the end
//
// ResultsFolder writes results/<name>-<UTC time>/ as the run goes: the rows
// of report.csv, types.csv and expectations.csv and the cell's .hgrm files
// as each cell ends (complete rows, appended and flushed), report.json at
// the start (marked partial, with no cells) and again, atomically, at the
// end. Its methods throw ResultsError when a file cannot be written (the CLI
// exits 4). Not thread-safe: call from the runner's thread.
//
// Secrets (core/redact.h) never reach an output: scenario and effective
// librdkafka properties, --set overrides, swept values and the command line
// are passed through RedactValue.
#ifndef SLUICE_REPORT_REPORTER_H_
#define SLUICE_REPORT_REPORTER_H_

#include <fstream>
#include <memory>
#include <ostream>
#include <sstream>
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
  // The run stopped before every cell ran (or a cell threw): the report
  // holds the cells reported so far and says `reason`. Call before Finalize.
  virtual void MarkPartial(const std::string& reason) { partial_reason_ = reason; }
  virtual void Finalize() = 0;

 protected:
  std::string partial_reason_;  // "" unless MarkPartial was called
};

// `value`, or "[redacted]" when `key` names a secret (core/redact.h); for
// "key=value" overrides and command lines every such pair is redacted.
std::string RedactOverride(const std::string& key_equals_value);
std::string RedactCommandLine(const std::string& command_line);

// Human-readable: a header, then a summary table per cell at the end. It
// keeps one short line of text per cell (the table's row and what failed),
// not the cells.
class ConsoleReporter : public Reporter {
 public:
  explicit ConsoleReporter(std::ostream& out) : out_(out) {}
  void ReportContext(const sluice::ReportContext& context) override;
  void ReportCell(const CellResult& result) override;
  void Finalize() override;

 private:
  std::ostream& out_;
  const ScenarioPlan* plan_ = nullptr;
  std::vector<std::vector<std::string>> rows_;  // the table, one row per cell
  std::vector<std::string> max_rate_;           // per row: the "max rate" column
  bool searched_ = false;
  std::string replay_notes_, failures_, rate_notes_, errors_;
  std::string fault_notes_, host_notes_;  // faults and recovery; a machine too busy
  std::string verify_notes_;  // the verifier's verdict line per cell
  size_t held_ = 0, failed_ = 0;
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
  bool verify_ = false;  // a cell of the plan reads its topic back: verify.* columns too
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
// cell with its columns (the registry's), ledger, errors by code, latency
// summaries, types and effective configuration; then whether the report is
// partial. Written with nlohmann-json as it goes: the context at
// ReportContext, each cell at ReportCell, the end at Finalize, so it holds
// no cell in memory.
class JsonReporter : public Reporter {
 public:
  explicit JsonReporter(std::ostream& out) : out_(out) {}
  void ReportContext(const sluice::ReportContext& context) override;
  void ReportCell(const CellResult& result) override;
  void Finalize() override;

 private:
  void Open();
  std::ostream& out_;
  bool opened_ = false;
  size_t cells_ = 0;
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

// The largest file of a results folder that is read back (compare, plot,
// merge): a report.csv of 10,000 cells is about 30 MB, so anything far
// larger is not a report.
inline constexpr uint64_t kMaxResultsFileBytes = 256u << 20;

// Reads one file of a results folder back: a regular file of at most
// kMaxResultsFileBytes (a device or a FIFO is refused, never waited on).
// Throws FileError (core/files.h) with the reason.
std::string ReadResultsFile(const std::string& path);

// Owns results/<name>-<UTC>/ and the reporters that write into it.
//
//   Begin(context)     report.csv, types.csv with their headers; report.json
//                      complete but partial ("partial": true, no cells), so a
//                      run killed at any point leaves a folder that says so
//   AddCell(cell)      appends the cell's rows to report.csv, types.csv and
//                      expectations.csv (created at the first expectation),
//                      flushed to disk, and writes its .hgrm files
//                      (<cell>-<rep>.<latency>.hgrm, values in milliseconds),
//                      its rows of timeseries.csv (timeseries_columns.h) and
//                      its interval histograms (<cell>-<rep>.intervals.hlog)
//   Finish(reason)     report.json with every cell, atomically (temp +
//                      rename); reason "" for a complete run, else the report
//                      is marked partial with that reason
//
// Memory stays flat in the number of cells: each cell's JSON goes to a
// hidden temporary file (.report.json.tmp) as it arrives.
class ResultsFolder {
 public:
  // Creates the folder (throws ResultsError).
  ResultsFolder(const std::string& results_root, const std::string& name,
                const std::string& utc_stamp);
  ~ResultsFolder();
  // Creates exactly `path` (`sluice merge -o DIR`); throws ResultsError
  // when it exists and is not an empty folder, or cannot be created.
  static std::unique_ptr<ResultsFolder> AtPath(const std::string& path);
  ResultsFolder(const ResultsFolder&) = delete;
  ResultsFolder& operator=(const ResultsFolder&) = delete;
  const std::string& path() const { return path_; }

  // Writes `content` to `file_name` inside the folder, atomically.
  void WriteFile(const std::string& file_name, const std::string& content) const;

  void Begin(const sluice::ReportContext& context);
  void AddCell(const CellResult& cell);
  void Finish(const std::string& partial_reason = "");
  size_t cells() const { return cells_; }

  // Begin, AddCell for each cell, Finish(""): for callers that hold the
  // cells anyway (sluice bench, tests).
  void WriteAll(const sluice::ReportContext& context, const std::vector<CellResult>& cells);

 private:
  ResultsFolder() = default;
  class AppendFile;
  void Append(std::unique_ptr<AppendFile>& file, const std::string& name, std::ostringstream& buffer);

  std::string path_;
  const ScenarioPlan* plan_ = nullptr;
  size_t cells_ = 0;
  // files.csv: which cell, repetition and swept values each per-cell file
  // holds, so that no one has to look a cell index up by hand.
  void IndexFile(const CellResult& cell, const std::string& file, const std::string& holds);

  std::ostringstream csv_buffer_, types_buffer_, expectations_buffer_, files_buffer_, timeseries_buffer_;
  std::unique_ptr<CsvReporter> csv_;
  std::unique_ptr<TypesCsvReporter> types_;
  std::unique_ptr<ExpectationsCsvReporter> expectations_;
  std::unique_ptr<AppendFile> csv_file_, types_file_, expectations_file_, files_file_, timeseries_file_;
  std::unique_ptr<std::ofstream> json_file_;
  std::unique_ptr<JsonReporter> json_;
};

}  // namespace sluice

#endif  // SLUICE_REPORT_REPORTER_H_
