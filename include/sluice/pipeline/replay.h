// Replay: a recorded trace (JSON Lines, plain or gzip) as the source's event
// stream, with each event's intended time taken from its own timestamp.
//
//   TraceReader   streams the file (trace_io.h): memory does not grow with it
//   ReplayArena   holds each line's bytes from the moment it is read until a
//                 worker has produced it (librdkafka copies them)
//   ReplayStream  the EventStream: reads lines, extracts the time, key and
//                 type fields (json_fields.h), puts timestamps in order
//                 within a window, scales them by the speed and loops
//
// Timing. Let t0 be the earliest timestamp of the first `reorder_window + 1`
// lines (the first event emitted), P the period of one pass (below) and k the
// pass (0, 1, ...). A line with timestamp t is due at
//
//     intended_ns = llround((t - t0 + k * P) / speed)      (t, t0, P in ns)
//
// so bursts in the trace are bursts in the run and speed 1000 replays a
// thousand times faster. P = span + span / (n - 1), where span is the last
// minus the first emitted timestamp of the first pass and n its event count:
// the next pass starts one mean gap after the last event, with no jump (a
// one-event trace repeats every second of trace time). With speed max
// (speed 0) events have no schedule (see EventStream::paced).
//
// Out-of-order timestamps: lines are held in a min-heap of `reorder_window`
// lines, so a line that is late by fewer lines than that is emitted in time
// order with its own timestamp; one that is later still is emitted at the
// previous event's time (`clamped`). Every line whose timestamp is below an
// earlier line's is counted as `out_of_order`.
//
// Bad lines (not a JSON object, no usable timestamp, longer than 4 MiB) are
// counted and the first kKeptBadLines are kept with their line numbers; with
// on_bad_line: fail the stream ends at the first one and error() says why.
//
// Types: with a type field, each distinct value becomes an event type in the
// order first seen (a line without the field is "(missing)"); type indices
// travel in 8 bits of the delivery opaque, so after 255 names every further
// value is counted as "(other)" (index 255). Without a type field every
// event is of type "event".
//
// Thread-safety: the stream runs on the source thread; the arena's Line(),
// Key() and Release() are for the workers. Construction throws TraceError
// when the file cannot be opened.
#ifndef SLUICE_PIPELINE_REPLAY_H_
#define SLUICE_PIPELINE_REPLAY_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sluice/core/counters.h"
#include "sluice/core/event.h"
#include "sluice/pipeline/json_fields.h"
#include "sluice/scenario/scenario.h"
#include "sluice/pipeline/source.h"
#include "sluice/pipeline/trace_io.h"

namespace sluice {

// A fixed number of slots, each a line buffer that grows to the longest line
// it has held (so after warm-up nothing allocates). The source acquires
// slots; whoever is done with one (a worker after produce(), the source for a
// dropped event) releases it. Releases from any thread go onto a lock-free
// stack (one compare-and-swap each) that the source takes whole when its own
// free list is empty.
class ReplayArena {
 public:
  explicit ReplayArena(size_t slots);

  // Source thread. A free slot; waits (yielding) only if every slot is in
  // use, which the slot count the runner chooses rules out: the queue's
  // capacity, what the workers hold, the reorder window and the event in
  // the source's hand.
  uint32_t Acquire();
  // Source thread: gives a slot back without a compare-and-swap.
  void Return(uint32_t slot) { free_.push_back(slot); }
  std::string& line(uint32_t slot) { return lines_[slot]; }
  std::string& key(uint32_t slot) { return keys_[slot]; }

  // Any thread that owns the slot.
  std::string_view Line(uint32_t slot) const { return lines_[slot]; }
  std::string_view Key(uint32_t slot) const { return keys_[slot]; }
  void Release(uint32_t slot);

  size_t slots() const { return lines_.size(); }
  uint64_t waits() const { return waits_.Get(); }  // Acquire() calls that had to wait

 private:
  std::vector<std::string> lines_;
  std::vector<std::string> keys_;
  std::unique_ptr<uint32_t[]> next_;     // links of the released stack
  std::atomic<uint32_t> released_{0};    // top of the released stack: slot + 1, 0 = empty
  std::vector<uint32_t> free_;           // source-owned free list
  Counter waits_;
};

struct BadLine {
  uint64_t line = 0;   // 1-based line number in the file
  uint64_t pass = 0;   // 0-based pass over the file
  std::string reason;
};

// What the replay did; written by the source thread, read after it ends.
struct ReplayCounters {
  Counter lines;         // lines read, every pass (blank lines not counted)
  Counter bad_lines;     // skipped as unusable (or the one that ended the run)
  Counter out_of_order;  // timestamp below an earlier line's in the file
  Counter clamped;       // out of order by more than the window: sent at the previous time
  Counter passes;        // passes over the file completed
  Counter other_type;    // events counted as "(other)" (past 255 type names)
};

class ReplayStream final : public EventStream {
 public:
  static constexpr size_t kKeptBadLines = 20;
  static constexpr uint16_t kOtherType = 255;

  // `arena_slots` extra slots beyond the reorder window and the source's own
  // are what the queue and the workers may hold at once. Reads the first
  // window of lines (set-up time); throws TraceError if the file cannot be
  // opened.
  // A sharded stream (shard.h) reads every line, with the unsharded
  // timing, and emits only its shard's events.
  ReplayStream(const ReplaySourceSpec& spec, size_t arena_slots, Shard shard = {});

  bool Next(Event* event) override;
  void Discard(const Event& event) override;
  bool paced() const override { return speed_ > 0; }

  ReplayArena& arena() { return arena_; }
  const ReplayCounters& counters() const { return counters_; }
  const std::vector<BadLine>& bad_lines() const { return bad_; }
  // Names by type index (index 255 is "(other)" once used). After the run.
  const std::vector<std::string>& type_names() const { return type_names_; }
  // Non-empty when the stream ended early: a bad line with on_bad_line:
  // fail, an unreadable file, or a file without one usable line.
  const std::string& error() const { return error_; }

 private:
  struct Pending {
    int64_t ts;
    uint64_t order;
    uint32_t slot;
    uint32_t size;
    uint32_t key;
    uint16_t type;
  };
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  // Reads lines until one is usable (pushed to the heap) or the pass ends.
  // Returns false at the end of the pass or when the stream must stop.
  bool ReadOne();
  // The next event of the whole trace, whichever shard it belongs to.
  bool NextOfAll(Event* event);
  bool Bad(const char* reason, std::string_view detail);
  bool ParseTime(const JsonValue& v, std::string_view line, int64_t* ns) const;
  uint16_t TypeOf(const JsonValue& v, std::string_view line);
  bool StartNextPass();
  void Stop(std::string error);

  const ReplaySourceSpec spec_;
  const Shard shard_;
  const double speed_;
  const size_t window_;
  TraceReader reader_;
  JsonFieldExtractor fields_;
  int key_index_ = -1, type_index_ = -1;
  ReplayArena arena_;
  std::vector<Pending> heap_;
  ReplayCounters counters_;
  std::vector<BadLine> bad_;
  std::vector<std::string> type_names_;
  std::unordered_map<std::string, uint16_t, StringHash, std::equal_to<>> type_index_of_;
  std::string scratch_;
  std::string error_;

  uint64_t pass_ = 0;
  bool pass_ended_ = false;
  bool stopped_ = false;
  uint64_t order_ = 0;
  int64_t max_read_ts_ = INT64_MIN;   // this pass, for out_of_order
  int64_t last_emitted_ts_ = INT64_MIN;  // this pass, for clamping
  bool have_t0_ = false;
  int64_t t0_ = 0;
  int64_t first_pass_last_ts_ = 0;
  uint64_t emitted_this_pass_ = 0;
  int64_t period_ns_ = 0;
  uint64_t seq_ = 0;
};

}  // namespace sluice

#endif  // SLUICE_PIPELINE_REPLAY_H_
