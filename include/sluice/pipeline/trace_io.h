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
#include <memory>
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

// The longest line a trace may have, 4 MiB: replay skips a longer line as
// bad, and `record` skips (and counts) an event that would make one, so that
// everything recorded can be replayed. One constant for both (README.md).
constexpr size_t kMaxTraceLineBytes = 4 << 20;

// Output that could fill a disk (synth, record) stops while at least this
// much is still free on the output's file system (README.md, "Limits").
constexpr uint64_t kMinFreeBytes = 64ull << 20;

// Bytes free for an unprivileged writer on the file system that holds
// `path` (or its folder, when it does not exist yet); UINT64_MAX when that
// cannot be told. Thread-safe; no allocation beyond the folder's name.
uint64_t FreeBytesNear(const std::string& path);

// True when `a` and `b` name the same file: the same device and inode when
// both exist (symlinks and hard links included), else the same canonical
// path. Thread-safe.
bool SameFile(const std::string& a, const std::string& b);

class TraceReader {
 public:
  static constexpr size_t kMaxLineBytes = kMaxTraceLineBytes;

  explicit TraceReader(const std::string& path, size_t buffer_bytes = 256 << 10);
  ~TraceReader();
  TraceReader(const TraceReader&) = delete;
  TraceReader& operator=(const TraceReader&) = delete;

  enum class Status { kLine, kTooLong, kEnd };

  // Reads the next line into `*line` (cleared first; without its "\n" or
  // "\r\n"). kTooLong: the line had more than kMaxLineBytes bytes and was
  // skipped (`*line` holds its first bytes). A last line without a final
  // newline is returned as a line. Allocates only when `*line` must grow.
  // Throws TraceError on a read error. Returns kEnd when StopRequested()
  // (core/stop.h), also in the middle of an endless line (/dev/zero).
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

  // Writes `line` and a "\n". A plain file is flushed only between lines:
  // killed at any time, it holds whole lines.
  void WriteLine(std::string_view line);
  // Pushes what is buffered to the file (a gzip stream stays readable up to
  // here if the process is killed later).
  void Flush();
  // Flushes and closes; throws TraceError if the data could not be written.
  void Close();

  const std::string& path() const { return path_; }

 private:
  static constexpr size_t kPlainBufferBytes = 1 << 20;

  std::string path_;
  void* gz_ = nullptr;      // gzFile, for .gz
  std::FILE* file_ = nullptr;  // plain files
  std::unique_ptr<char[]> plain_buffer_;  // file_'s buffer; outlives it (Close())
  size_t buffered_ = 0;     // bytes in file_'s buffer since the last flush
};

}  // namespace sluice

#endif  // SLUICE_PIPELINE_TRACE_IO_H_
