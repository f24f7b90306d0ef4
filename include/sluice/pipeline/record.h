// Record: turns a live event stream read on standard input into a trace
// that `source.replay` can play back.
//
//   sse    Server-Sent Events (Wikimedia EventStreams): "data:" lines are an
//          event's payload (several are joined), a blank line ends the
//          event, ":" comments and keep-alives, "event:", "id:" and
//          "retry:" lines are ignored; CRLF or LF line ends.
//   jsonl  one JSON object per line (a websocket client's output, e.g.
//          Bluesky Jetstream through websocat).
//
// Each event that is a JSON object is written as one line. When it lacks the
// time field (--time-field, default time_us) and that field is a plain name,
// its arrival time in microseconds since the Unix epoch is inserted as the
// object's first member; a dotted field that is missing is counted and the
// event written as it came. Everything else (not JSON, not an object) is
// skipped and counted; a last line or event cut off by the end of the input
// is written if it is whole JSON, else counted as cut off.
//
// The trace is flushed about once a second, so a recording that is killed
// keeps what it had read until then. Not thread-safe. Throws TraceError when
// the output cannot be written.
#ifndef SLUICE_PIPELINE_RECORD_H_
#define SLUICE_PIPELINE_RECORD_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <istream>
#include <ostream>
#include <string>
#include <vector>

#include "sluice/pipeline/trace_io.h"

namespace sluice {

enum class RecordFormat { kSse, kJsonl };

struct RecordStats {
  uint64_t events = 0;        // events (SSE) or non-blank lines (JSONL) read
  uint64_t written = 0;       // lines written to the trace
  uint64_t time_added = 0;    // of those, with the arrival time inserted
  uint64_t time_missing = 0;  // written without a time (a dotted time field was absent)
  uint64_t skipped = 0;       // not a JSON object
  uint64_t cut_off = 0;       // the last one, incomplete at the end of the input
  uint64_t comments = 0;      // SSE comment and keep-alive lines
  uint64_t too_long = 0;      // skipped: its trace line would exceed kMaxTraceLineBytes
  bool disk_full = false;     // stopped: less than min_free_bytes left for the trace
  std::vector<std::string> problems;  // the first 10 skipped, with their input line numbers
};

// Reads `in` to its end (or until `stop`), writing to `out`. `now_us` gives
// the arrival time (tests inject a clock). Memory is bounded: an input line
// (or an SSE event) is kept up to kMaxTraceLineBytes (trace_io.h), the
// limit replay has, and an event whose trace line would be longer is
// skipped and counted in too_long, so that all that is recorded replays.
// About once a second the trace is flushed and the free space of `out`'s
// file system looked at: below `min_free_bytes`, recording stops with
// disk_full set. Throws TraceError when the trace cannot be written.
RecordStats Record(std::istream& in, RecordFormat format, const std::string& time_field,
                   TraceWriter& out, const std::function<int64_t()>& now_us,
                   const std::atomic<bool>* stop = nullptr,
                   uint64_t min_free_bytes = kMinFreeBytes);

// `sluice record`: returns an exit code (exit_codes.h) and prints a summary
// on `err`. SIGINT/SIGTERM (`interrupted`) is the way a live recording ends:
// exit 0, with a valid trace. Out of disk space: exit 4, the trace valid up
// to there.
int RecordCommand(const std::string& format, const std::string& time_field,
                  const std::string& output, std::istream& in, std::ostream& err,
                  const std::atomic<bool>& interrupted,
                  uint64_t min_free_bytes = kMinFreeBytes);

}  // namespace sluice

#endif  // SLUICE_PIPELINE_RECORD_H_
