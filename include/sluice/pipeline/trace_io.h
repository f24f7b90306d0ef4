// Trace files: JSON Lines, plain (.jsonl) or gzip-compressed (.jsonl.gz).
//
// TraceReader streams a file line by line through zlib's gzread (which reads
// plain files as they are), with one fixed read buffer: memory does not grow
// with the file, only with the longest line (at most kMaxLineBytes are kept;
// a longer line is reported as too long and skipped). A file whose gzip
// stream is cut short (a recording that was killed) ends at the last byte
// zlib could recover; `truncated()` then says so.
//
// TraceWriter writes lines to a file, gzip-compressed when the name ends in
// ".gz". Both throw TraceError when a file cannot be opened, read or
// written; neither is thread-safe (one thread per object).
#ifndef SLUICE_PIPELINE_TRACE_IO_H_
#define SLUICE_PIPELINE_TRACE_IO_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

class TraceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// True when `path` ends in ".gz".
bool IsGzipPath(const std::string& path);

class TraceReader {
 public:
  static constexpr size_t kMaxLineBytes = 4 << 20;

  explicit TraceReader(const std::string& path, size_t buffer_bytes = 256 << 10);
  ~TraceReader();
  TraceReader(const TraceReader&) = delete;
  TraceReader& operator=(const TraceReader&) = delete;

  enum class Status { kLine, kTooLong, kEnd };

  // Reads the next line into `*line` (cleared first; without its "\n" or
  // "\r\n"). kTooLong: the line had more than kMaxLineBytes bytes and was
  // skipped (`*line` holds its first bytes). A last line without a final
  // newline is returned as a line. Allocates only when `*line` must grow.
  // Throws TraceError on a read error.
  Status Next(std::string* line);

  // Line number of the line last returned, from 1.
  uint64_t line_number() const { return line_number_; }

  // Back to the first line (for looping).
  void Rewind();

  bool truncated() const { return truncated_; }
  const std::string& path() const { return path_; }

 private:
  bool Fill();

  std::string path_;
  void* gz_ = nullptr;  // gzFile
  std::vector<char> buffer_;
  size_t pos_ = 0, end_ = 0;
  bool eof_ = false;
  bool truncated_ = false;
  uint64_t line_number_ = 0;
};

class TraceWriter {
 public:
  // Creates or truncates `path`; gzip when it ends in ".gz".
  explicit TraceWriter(const std::string& path);
  ~TraceWriter();
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;

  // Writes `line` and a "\n".
  void WriteLine(std::string_view line);
  // Pushes what is buffered to the file (a gzip stream stays readable up to
  // here if the process is killed later).
  void Flush();
  // Flushes and closes; throws TraceError if the data could not be written.
  void Close();

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  void* gz_ = nullptr;      // gzFile, for .gz
  std::FILE* file_ = nullptr;  // plain files
};

}  // namespace sluice

#endif  // SLUICE_PIPELINE_TRACE_IO_H_
