// results/<name>-<UTC>/: created before the run, filled as each cell ends.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <system_error>

#include "sluice/core/files.h"
#include "sluice/core/hdr_log.h"
#include "sluice/report/timeseries_columns.h"
#include "sluice/core/redact.h"
#include "sluice/report/columns.h"
#include "sluice/report/csv.h"
#include "sluice/report/reporter.h"

namespace sluice {
namespace {

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

// A file that grows by whole records: each Append() writes complete rows and
// makes them durable (fsync), so whatever stops the process, the file is a
// valid CSV of the cells that finished.
class ResultsFolder::AppendFile {
 public:
  explicit AppendFile(std::string path) : path_(std::move(path)) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) throw ResultsError("cannot write " + path_ + ": " + std::strerror(errno));
  }
  ~AppendFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  AppendFile(const AppendFile&) = delete;
  AppendFile& operator=(const AppendFile&) = delete;

  void Append(const std::string& records) {
    if (records.empty()) return;
    if (!WriteAllBytes(fd_, records) || ::fsync(fd_) != 0) {
      throw ResultsError("cannot write " + path_ + ": " + std::strerror(errno));
    }
  }

 private:
  std::string path_;
  int fd_ = -1;
};

std::string ReadResultsFile(const std::string& path) {
  InputLimits limits;
  limits.max_bytes = kMaxResultsFileBytes;
  limits.streams = false;
  return ReadInput(path, limits);
}

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

std::unique_ptr<ResultsFolder> ResultsFolder::AtPath(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(path, ec) && (!fs::is_directory(path, ec) || !fs::is_empty(path, ec))) {
    throw ResultsError("cannot write results into " + path + ": it exists and is not an empty folder");
  }
  fs::create_directories(path, ec);
  if (ec) throw ResultsError("cannot create results folder " + path + ": " + ec.message());
  std::unique_ptr<ResultsFolder> folder(new ResultsFolder());
  folder->path_ = path;
  return folder;
}

ResultsFolder::~ResultsFolder() = default;

void ResultsFolder::WriteFile(const std::string& file_name, const std::string& content) const {
  try {
    WriteFileAtomically((std::filesystem::path(path_) / file_name).string(), content);
  } catch (const FileError& e) {
    throw ResultsError(e.what());
  }
}

void ResultsFolder::Append(std::unique_ptr<AppendFile>& file, const std::string& name,
                           std::ostringstream& buffer) {
  if (!file) file = std::make_unique<AppendFile>((std::filesystem::path(path_) / name).string());
  file->Append(buffer.str());
  buffer.str("");
}

void ResultsFolder::Begin(const sluice::ReportContext& context) {
  plan_ = context.plan;
  csv_ = std::make_unique<CsvReporter>(csv_buffer_);
  types_ = std::make_unique<TypesCsvReporter>(types_buffer_);
  expectations_ = std::make_unique<ExpectationsCsvReporter>(expectations_buffer_);
  csv_->ReportContext(context);
  types_->ReportContext(context);
  expectations_->ReportContext(context);
  Append(csv_file_, "report.csv", csv_buffer_);
  Append(types_file_, "types.csv", types_buffer_);
  timeseries_buffer_ << TimeseriesHeader();
  Append(timeseries_file_, "timeseries.csv", timeseries_buffer_);
  {
    std::vector<std::string> header = {"cell", "repetition"};
    if (plan_ != nullptr) header.insert(header.end(), plan_->swept_keys.begin(), plan_->swept_keys.end());
    header.push_back("file");
    header.push_back("holds");
    files_buffer_ << CsvLine(header);
    Append(files_file_, "files.csv", files_buffer_);
  }

  // report.json at once, complete and marked partial: what a killed run
  // leaves. Finish() replaces it.
  {
    std::ostringstream early;
    JsonReporter reporter(early);
    reporter.ReportContext(context);
    reporter.MarkPartial("the run has not finished: it is still going, or it was killed; report.csv "
                         "holds the cells that finished");
    reporter.Finalize();
    WriteFile("report.json", early.str());
  }
  // The full report.json grows in a hidden temporary file, a cell at a time.
  const std::string temporary = (std::filesystem::path(path_) / ".report.json.tmp").string();
  json_file_ = std::make_unique<std::ofstream>(temporary, std::ios::binary | std::ios::trunc);
  if (!*json_file_) throw ResultsError("cannot write " + temporary + ": " + std::strerror(errno));
  json_ = std::make_unique<JsonReporter>(*json_file_);
  json_->ReportContext(context);
}

void ResultsFolder::AddCell(const CellResult& cell) {
  if (!csv_) throw ResultsError("ResultsFolder::AddCell before Begin");
  csv_->ReportCell(cell);
  types_->ReportCell(cell);
  Append(csv_file_, "report.csv", csv_buffer_);
  Append(types_file_, "types.csv", types_buffer_);
  if (!cell.expectations.empty() || expectations_file_) {
    expectations_->ReportCell(cell);
    Append(expectations_file_, "expectations.csv", expectations_buffer_);
  }
  // Lossless: every histogram of the cell in HdrHistogram's interval log,
  // one line per latency kind (its tag), over the measured window.
  const std::string stem = std::to_string(cell.cell) + "-" + std::to_string(cell.repetition);
  {
    std::ostringstream hlog;
    HlogWriter writer(hlog, cell.epoch_unix_s,
                      "sluice " + cell.scenario.name + " cell " + std::to_string(cell.cell) +
                          " repetition " + std::to_string(cell.repetition) +
                          ": latencies in nanoseconds of the events intended in the measured window");
    const double warmup_s = cell.scenario.warmup_ns / 1e9;
    std::string kinds;
    for (LatencyKind kind : kAllLatencyKinds) {
      if (const auto& h = cell.latency(kind)) {
        const std::string name(LatencyKindName(kind));
        writer.WriteInterval(name, warmup_s, cell.duration_s, *h);
        kinds += (kinds.empty() ? "" : " ") + name;
      }
    }
    WriteFile(stem + ".hlog", hlog.str());
    IndexFile(cell, stem + ".hlog", "latency histograms in ns, HdrHistogram interval log: " + kinds);
  }
  for (LatencyKind kind : kAllLatencyKinds) {
    const auto& h = cell.latency(kind);
    if (!h) continue;
    std::ostringstream hgrm;
    h->WritePercentiles(hgrm, 1e6);  // milliseconds
    const std::string kind_name(LatencyKindName(kind));
    const std::string name = stem + "." + kind_name + ".hgrm";
    WriteFile(name, hgrm.str());
    IndexFile(cell, name, kind_name + " latency percentiles in ms (.hgrm)");
  }
  // The interval series: its rows, and its histograms as interval lines
  // (start = the interval's start on the cell's timeline), lossless.
  timeseries_buffer_ << TimeseriesRows(cell);
  Append(timeseries_file_, "timeseries.csv", timeseries_buffer_);
  if (!cell.timeseries.empty()) {
    std::ostringstream hlog;
    HlogWriter writer(hlog, cell.epoch_unix_s,
                      "sluice " + cell.scenario.name + " cell " + std::to_string(cell.cell) + " repetition " +
                          std::to_string(cell.repetition) +
                          ": latencies in nanoseconds of the events delivered in each report interval");
    for (const IntervalRow& row : cell.timeseries) {
      if (row.end_to_end_hist.empty()) continue;
      writer.WriteEncodedInterval("end_to_end", row.t_s, row.length_s, row.e2e_max_ms_for_log, row.end_to_end_hist);
      writer.WriteEncodedInterval("kafka", row.t_s, row.length_s, row.kafka_max_ms_for_log, row.kafka_hist);
    }
    WriteFile(stem + ".intervals.hlog", hlog.str());
    IndexFile(cell, stem + ".intervals.hlog",
              "latency histograms in ns per report interval (timeseries.csv), HdrHistogram interval log: "
              "end_to_end kafka");
  }
  Append(files_file_, "files.csv", files_buffer_);
  json_->ReportCell(cell);
  if (!*json_file_) throw ResultsError("cannot write " + path_ + "/.report.json.tmp");
  ++cells_;
}

void ResultsFolder::IndexFile(const CellResult& cell, const std::string& file, const std::string& holds) {
  std::vector<std::string> row = {std::to_string(cell.cell), std::to_string(cell.repetition)};
  if (plan_ != nullptr) {
    for (const auto& key : plan_->swept_keys) row.push_back(RedactValue(key, ParameterValue(cell.scenario, key)));
  }
  row.push_back(file);
  row.push_back(holds);
  files_buffer_ << CsvLine(row);
}

void ResultsFolder::Finish(const std::string& partial_reason) {
  if (!json_) throw ResultsError("ResultsFolder::Finish before Begin");
  if (!partial_reason.empty()) json_->MarkPartial(partial_reason);
  json_->Finalize();
  json_file_->flush();
  const bool ok = static_cast<bool>(*json_file_);
  json_file_->close();
  json_.reset();
  json_file_.reset();
  const std::string temporary = (std::filesystem::path(path_) / ".report.json.tmp").string();
  const std::string target = (std::filesystem::path(path_) / "report.json").string();
  if (!ok) FailWrite(temporary, "write", target, EIO);
  const int fd = ::open(temporary.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    const int error = errno;
    if (fd >= 0) ::close(fd);
    FailWrite(temporary, "write", target, error);
  }
  ::close(fd);
  if (::rename(temporary.c_str(), target.c_str()) != 0) FailWrite(temporary, "rename into place", target, errno);
  csv_file_.reset();
  types_file_.reset();
  expectations_file_.reset();
  files_file_.reset();
  timeseries_file_.reset();
}

void ResultsFolder::WriteAll(const sluice::ReportContext& context, const std::vector<CellResult>& cells) {
  Begin(context);
  for (const CellResult& cell : cells) AddCell(cell);
  Finish("");
}

}  // namespace sluice
