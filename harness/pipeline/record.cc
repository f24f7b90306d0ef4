#include "sluice/pipeline/record.h"

#include <chrono>
#include <limits>
#include <string>

#include "sluice/core/exit_codes.h"
#include "sluice/pipeline/json_fields.h"

namespace sluice {

namespace {

class Recorder {
 public:
  Recorder(const std::string& time_field, TraceWriter& out, const std::function<int64_t()>& now_us)
      : fields_({time_field}),
        time_field_(time_field),
        plain_field_(time_field.find('.') == std::string::npos),
        out_(out),
        now_us_(now_us) {}

  // One event's JSON text; `line` is where it started in the input;
  // `too_long`: its text was cut at the limit (what is left is not it).
  void Event(std::string_view text, uint64_t line, bool cut_off, bool too_long = false) {
    ++stats.events;
    if (too_long) {
      TooLong(line);
      return;
    }
    JsonValue time;
    JsonError error;
    if (!fields_.Extract(text, &time, &error)) {
      if (cut_off) {
        ++stats.cut_off;
        Problem(line, "cut off at the end of the input");
      } else {
        ++stats.skipped;
        Problem(line, std::string("not a JSON object: ") + error.what + " at column " +
                          std::to_string(error.column));
      }
      return;
    }
    // Surrounding whitespace is not part of the event.
    size_t begin = text.find_first_not_of(" \t\r\n");
    size_t end = text.find_last_not_of(" \t\r\n");
    text = text.substr(begin, end - begin + 1);
    if (time.kind != JsonValue::Kind::kMissing) {
      out_.WriteLine(text);
    } else if (plain_field_) {
      // The time added must not make a line that replay would skip.
      if (text.size() + time_field_.size() + 32 > kMaxTraceLineBytes) {
        TooLong(line);
        return;
      }
      // {"a":1} -> {"time_us":NOW,"a":1}; {} -> {"time_us":NOW}
      scratch_.assign("{\"");
      scratch_ += time_field_;
      scratch_ += "\":";
      scratch_ += std::to_string(now_us_());
      std::string_view rest = text.substr(1);
      size_t first = rest.find_first_not_of(" \t\r\n");
      if (first != std::string_view::npos && rest[first] != '}') scratch_ += ',';
      scratch_ += rest;
      out_.WriteLine(scratch_);
      ++stats.time_added;
    } else {
      out_.WriteLine(text);
      ++stats.time_missing;
    }
    ++stats.written;
  }

  void TooLong(uint64_t line) {
    ++stats.too_long;
    Problem(line, "longer than " + std::to_string(kMaxTraceLineBytes >> 20) +
                      " MiB (replay's line limit): skipped");
  }

  void Problem(uint64_t line, std::string what) {
    if (stats.problems.size() < 10) stats.problems.push_back("line " + std::to_string(line) + ": " + what);
  }

  RecordStats stats;

 private:
  JsonFieldExtractor fields_;
  std::string time_field_;
  bool plain_field_;
  TraceWriter& out_;
  const std::function<int64_t()>& now_us_;
  std::string scratch_;
};

// std::getline with a bound: reads one line into `*line` (without its
// "\n"), keeping at most `max` bytes and dropping the rest of a longer one
// (`*too_long`). `*no_newline`: the input ended before a "\n". False at the
// end of the input (or when a read was interrupted by a signal).
bool ReadBoundedLine(std::istream& in, size_t max, std::string* line, bool* too_long,
                     bool* no_newline) {
  line->clear();
  *too_long = false;
  *no_newline = false;
  std::streambuf* buf = in.rdbuf();
  bool any = false;
  while (true) {
    int c = buf->sbumpc();
    if (c == std::char_traits<char>::eof()) {
      in.setstate(std::ios::eofbit);
      *no_newline = any;
      return any;
    }
    any = true;
    if (c == '\n') return true;
    if (line->size() < max) {
      line->push_back(static_cast<char>(c));
    } else {
      *too_long = true;
    }
  }
}

}  // namespace

RecordStats Record(std::istream& in, RecordFormat format, const std::string& time_field,
                   TraceWriter& out, const std::function<int64_t()>& now_us,
                   const std::atomic<bool>* stop, uint64_t min_free_bytes) {
  Recorder recorder(time_field, out, now_us);
  std::string line, data;
  uint64_t number = 0, data_lines = 0, data_start = 0;
  bool line_too_long = false, no_newline = false, data_too_long = false;
  // A line may hold one more byte than a trace line: its "\r".
  const size_t max_line = kMaxTraceLineBytes + 1;
  // A live recording is flushed about once a second, so that a gzip trace
  // is readable up to then even if the process is killed.
  auto steady_s = [] {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  };
  int64_t flushed_s = -1;  // the free space is looked at before the first line, too
  while (!(stop != nullptr && stop->load(std::memory_order_relaxed)) &&
         ReadBoundedLine(in, max_line, &line, &line_too_long, &no_newline)) {
    if (int64_t t = steady_s(); t != flushed_s) {
      out.Flush();
      flushed_s = t;
      if (FreeBytesNear(out.path()) < min_free_bytes) {
        recorder.stats.disk_full = true;
        break;
      }
    }
    ++number;
    const bool cut_off = no_newline;  // the input ended mid-line
    if (!line_too_long && !line.empty() && line.back() == '\r') line.pop_back();
    if (line.size() > kMaxTraceLineBytes) line_too_long = true;
    if (format == RecordFormat::kJsonl) {
      if (line_too_long) {
        recorder.Event(line, number, cut_off, true);
      } else if (line.find_first_not_of(" \t") != std::string::npos) {
        recorder.Event(line, number, cut_off);
      }
    } else if (line.empty()) {
      if (data_lines > 0) recorder.Event(data, data_start, false, data_too_long);
      data.clear();
      data_lines = 0;
      data_too_long = false;
    } else if (line[0] == ':') {
      ++recorder.stats.comments;
    } else {
      size_t colon = line.find(':');
      std::string_view field = std::string_view(line).substr(0, colon);
      std::string_view value;
      if (colon != std::string::npos) {
        value = std::string_view(line).substr(colon + 1);
        if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
      }
      if (field == "data") {
        // Lines of one event are joined by a newline (SSE); inside JSON a
        // newline can only be whitespace, so a space keeps it one line.
        if (data_lines++ > 0) {
          data += ' ';
        } else {
          data_start = number;
        }
        // Kept up to the limit only: an endless event cannot take the memory.
        if (line_too_long || data.size() + value.size() > kMaxTraceLineBytes) {
          data_too_long = true;
        } else {
          data += value;
        }
      }
    }
  }
  if (format == RecordFormat::kSse && data_lines > 0) {
    // The input ended inside an event (no blank line after it).
    recorder.Event(data, data_start, true, data_too_long);
  }
  return recorder.stats;
}

int RecordCommand(const std::string& format, const std::string& time_field,
                  const std::string& output, std::istream& in, std::ostream& err,
                  const std::atomic<bool>& interrupted, uint64_t min_free_bytes) {
  RecordFormat f;
  if (format == "sse") {
    f = RecordFormat::kSse;
  } else if (format == "jsonl") {
    f = RecordFormat::kJsonl;
  } else {
    err << "sluice: error: --format: expected sse or jsonl, got '" << format << "'\n";
    return kExitUsage;
  }
  bool ok_field = !time_field.empty() && time_field.front() != '.' && time_field.back() != '.' &&
                  time_field.find("..") == std::string::npos;
  if (!ok_field) {
    err << "sluice: error: --time-field: expected a field name like time_us or meta.dt, got '"
        << time_field << "'\n";
    return kExitUsage;
  }
  std::function<int64_t()> now = [] {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  RecordStats stats;
  try {
    TraceWriter writer(output);
    stats = Record(in, f, time_field, writer, now, &interrupted, min_free_bytes);
    writer.Close();
  } catch (const TraceError& e) {
    err << "sluice: error: " << e.what() << "\n";
    return kExitResultsUnwritable;
  }
  err << "sluice record: " << stats.written << " events written to " << output;
  if (stats.time_added > 0) err << " (" << stats.time_added << " with their arrival time as " << time_field << ")";
  err << "; " << stats.skipped << " skipped (not a JSON object), " << stats.cut_off << " cut off";
  if (stats.too_long > 0) {
    err << ", " << stats.too_long << " skipped (longer than " << (kMaxTraceLineBytes >> 20)
        << " MiB)";
  }
  if (stats.time_missing > 0) err << ", " << stats.time_missing << " without " << time_field;
  if (f == RecordFormat::kSse) err << ", " << stats.comments << " comments or keep-alives";
  err << "\n";
  for (const auto& p : stats.problems) err << "  " << p << "\n";
  if (stats.disk_full) {
    err << "sluice: error: " << output << ": stopped: less than " << (min_free_bytes >> 20)
        << " MiB free on its file system; the trace is valid up to here\n";
    return kExitResultsUnwritable;
  }
  return kExitOk;
}

}  // namespace sluice
