#include "sluice/pipeline/replay.h"

#include <algorithm>
#include <cstdint>
#include <cmath>
#include <cstdio>
#include <thread>

namespace sluice {

// ------------------------------------------------------------------- arena

ReplayArena::ReplayArena(size_t slots)
    : lines_(slots), keys_(slots), next_(new uint32_t[slots]) {
  if (slots == 0 || slots >= UINT32_MAX) throw std::invalid_argument("bad replay arena size");
  free_.reserve(slots);
  for (size_t i = slots; i-- > 0;) free_.push_back(static_cast<uint32_t>(i));
}

uint32_t ReplayArena::Acquire() {
  while (free_.empty()) {
    // Take everything released since the last time, at once: a pop of the
    // whole stack cannot suffer from ABA.
    uint32_t top = released_.exchange(0, std::memory_order_acquire);
    while (top != 0) {
      free_.push_back(top - 1);
      top = next_[top - 1];
    }
    if (free_.empty()) {
      waits_.Add();
      std::this_thread::yield();
    }
  }
  uint32_t slot = free_.back();
  free_.pop_back();
  return slot;
}

void ReplayArena::Release(uint32_t slot) {
  uint32_t top = released_.load(std::memory_order_relaxed);
  do {
    next_[slot] = top;
  } while (!released_.compare_exchange_weak(top, slot + 1, std::memory_order_release,
                                            std::memory_order_relaxed));
}

// ------------------------------------------------------------------ stream

namespace {

std::vector<std::string> Paths(const ReplaySourceSpec& spec) {
  std::vector<std::string> paths = {spec.time_field};
  if (!spec.key_field.empty()) paths.push_back(spec.key_field);
  if (!spec.type_field.empty()) paths.push_back(spec.type_field);
  return paths;
}

// Min-heap order: earlier timestamp first, then file order.
bool Later(const auto& a, const auto& b) {
  return a.ts > b.ts || (a.ts == b.ts && a.order > b.order);
}

bool Blank(const std::string& line) {
  return line.find_first_not_of(" \t\r") == std::string::npos;
}

bool AllDigits(std::string_view s) {
  size_t i = (!s.empty() && s[0] == '-') ? 1 : 0;
  if (i == s.size()) return false;
  bool dot = false;
  for (; i < s.size(); ++i) {
    if (s[i] == '.' && !dot) {
      dot = true;
    } else if (s[i] < '0' || s[i] > '9') {
      return false;
    }
  }
  return true;
}

int64_t UnitNs(TimeFormat format) {
  switch (format) {
    case TimeFormat::kSeconds: return 1'000'000'000;
    case TimeFormat::kMillis: return 1'000'000;
    case TimeFormat::kMicros: return 1'000;
    default: return 1;
  }
}

// Epoch seconds today are ~1.8e9, ms ~1.8e12, us ~1.8e15, ns ~1.8e18.
int64_t UnitByMagnitude(int64_t value) {
  int64_t v = value < 0 ? -value : value;
  if (v >= 100'000'000'000'000'000LL) return 1;
  if (v >= 100'000'000'000'000LL) return 1'000;
  if (v >= 100'000'000'000LL) return 1'000'000;
  return 1'000'000'000;
}

// Trace times may lie anywhere in int64 nanoseconds (a trace mixing the
// years 1700 and 2200): the offsets between them saturate instead of
// overflowing. An event that far out is never reached anyway.
int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t r = 0;
  if (!__builtin_add_overflow(a, b, &r)) return r;
  return b > 0 ? INT64_MAX : INT64_MIN;
}

int64_t SaturatingSub(int64_t a, int64_t b) {
  int64_t r = 0;
  if (!__builtin_sub_overflow(a, b, &r)) return r;
  return b < 0 ? INT64_MAX : INT64_MIN;
}

int64_t SaturatingMul(int64_t a, int64_t b) {
  int64_t r = 0;
  if (!__builtin_mul_overflow(a, b, &r)) return r;
  return (a < 0) != (b < 0) ? INT64_MIN : INT64_MAX;
}

}  // namespace

ReplayStream::ReplayStream(const ReplaySourceSpec& spec, size_t arena_slots, Shard shard)
    : spec_(spec),
      shard_(shard),
      speed_(spec.speed),
      window_(static_cast<size_t>(spec.reorder_window)),
      reader_(spec.path.empty() ? spec.file : spec.path),
      fields_(Paths(spec)),
      arena_(arena_slots + static_cast<size_t>(spec.reorder_window) + 4) {
  int next = 1;
  if (!spec.key_field.empty()) key_index_ = next++;
  if (!spec.type_field.empty()) type_index_ = next++;
  heap_.reserve(window_ + 2);
  bad_.reserve(kKeptBadLines);
  type_names_.reserve(256);
  if (type_index_ < 0) type_names_.push_back("event");
  // Fill the reorder window now, during set-up, so that the first events
  // are not late by the time it takes to read ahead.
  while (!pass_ended_ && !stopped_ && heap_.size() <= window_) ReadOne();
}

void ReplayStream::Stop(std::string error) {
  if (error_.empty()) error_ = std::move(error);
  stopped_ = true;
}

bool ReplayStream::Bad(const char* reason, std::string_view detail) {
  counters_.bad_lines.Add();
  // Error path: allocating here is fine.
  std::string text = std::string(reason) + std::string(detail);
  if (bad_.size() < kKeptBadLines) bad_.push_back({reader_.line_number(), pass_, text});
  if (spec_.on_bad_line == BadLinePolicy::kFail) {
    Stop(reader_.path() + ":" + std::to_string(reader_.line_number()) + ": " + text +
         " (on_bad_line: fail)");
    return false;
  }
  return true;
}

bool ReplayStream::ParseTime(const JsonValue& v, std::string_view line, int64_t* ns) const {
  std::string_view text = v.In(line);
  TimeFormat format = spec_.time_format;
  bool numeric = v.kind == JsonValue::Kind::kNumber ||
                 (v.kind == JsonValue::Kind::kString && !v.has_escapes && AllDigits(text));
  if (format == TimeFormat::kIso8601 || (format == TimeFormat::kAuto && !numeric)) {
    return v.kind == JsonValue::Kind::kString && !v.has_escapes && ParseIso8601(text, ns);
  }
  if (!numeric) return false;
  int64_t unit = UnitNs(format);
  if (format == TimeFormat::kAuto) {
    int64_t raw = 0;
    if (!ParseScaledDecimal(text, 1, &raw)) return false;
    unit = UnitByMagnitude(raw);
  }
  return ParseScaledDecimal(text, unit, ns);
}

uint16_t ReplayStream::TypeOf(const JsonValue& v, std::string_view line) {
  std::string_view name;
  switch (v.kind) {
    case JsonValue::Kind::kMissing:
    case JsonValue::Kind::kNull:
      name = "(missing)";
      break;
    case JsonValue::Kind::kString:
      if (v.has_escapes && DecodeJsonString(v.In(line), &scratch_)) {
        name = scratch_;
      } else {
        name = v.In(line);
      }
      break;
    default:
      name = v.In(line);
      break;
  }
  auto it = type_index_of_.find(name);
  if (it != type_index_of_.end()) return it->second;
  if (type_names_.size() >= kOtherType) {
    counters_.other_type.Add();
    if (type_names_.size() == kOtherType) type_names_.push_back("(other)");
    return kOtherType;
  }
  // A new type: allocates, at most 255 times per run.
  uint16_t index = static_cast<uint16_t>(type_names_.size());
  type_names_.emplace_back(name);
  type_index_of_.emplace(type_names_.back(), index);
  return index;
}

bool ReplayStream::ReadOne() {
  while (true) {
    uint32_t slot = arena_.Acquire();
    std::string& line = arena_.line(slot);
    TraceReader::Status status;
    try {
      status = reader_.Next(&line);
    } catch (const TraceError& e) {
      arena_.Return(slot);
      Stop(e.what());
      return false;
    }
    if (status == TraceReader::Status::kEnd) {
      arena_.Return(slot);
      pass_ended_ = true;
      return false;
    }
    if (status == TraceReader::Status::kTooLong) {
      arena_.Return(slot);
      counters_.lines.Add();
      if (!Bad("line longer than 4 MiB", "")) return false;
      continue;
    }
    if (Blank(line)) {
      arena_.Return(slot);
      continue;
    }
    counters_.lines.Add();
    JsonValue values[3];
    JsonError error;
    if (!fields_.Extract(line, values, &error)) {
      arena_.Return(slot);
      char detail[96];
      std::snprintf(detail, sizeof detail, " at column %zu: %s", error.column, error.what);
      if (!Bad("not a JSON object", detail)) return false;
      continue;
    }
    int64_t ts = 0;
    if (values[0].kind == JsonValue::Kind::kMissing) {
      arena_.Return(slot);
      if (!Bad("no time field ", spec_.time_field)) return false;
      continue;
    }
    if (!ParseTime(values[0], line, &ts)) {
      std::string detail = spec_.time_field + " = " + std::string(values[0].In(line).substr(0, 40));
      arena_.Return(slot);
      if (!Bad("not a usable time: ", detail)) return false;
      continue;
    }
    Pending p{};
    p.ts = ts;
    p.order = order_++;
    p.slot = slot;
    p.size = static_cast<uint32_t>(line.size());
    p.key = Event::kNoKey;
    if (key_index_ >= 0) {
      const JsonValue& k = values[key_index_];
      std::string& key = arena_.key(slot);
      if (k.kind == JsonValue::Kind::kString) {
        if (!k.has_escapes || !DecodeJsonString(k.In(line), &key)) key.assign(k.In(line));
        p.key = 0;
      } else if (k.kind != JsonValue::Kind::kMissing && k.kind != JsonValue::Kind::kNull) {
        key.assign(k.In(line));
        p.key = 0;
      }
    }
    p.type = type_index_ >= 0 ? TypeOf(values[type_index_], line) : 0;
    if (ts < max_read_ts_) counters_.out_of_order.Add();
    max_read_ts_ = std::max(max_read_ts_, ts);
    heap_.push_back(p);
    std::push_heap(heap_.begin(), heap_.end(), Later<Pending, Pending>);
    return true;
  }
}

bool ReplayStream::StartNextPass() {
  counters_.passes.Add();
  if (emitted_this_pass_ == 0) {
    if (pass_ == 0) {
      Stop(reader_.path() + ": no usable line (" + std::to_string(counters_.bad_lines.Get()) +
           " bad lines)");
    }
    return false;
  }
  if (pass_ == 0) {
    int64_t span = SaturatingSub(first_pass_last_ts_, t0_);
    if (emitted_this_pass_ > 1 && span > 0) {
      period_ns_ = SaturatingAdd(
          span, static_cast<int64_t>(
                    std::llround(static_cast<double>(span) / (emitted_this_pass_ - 1))));
    } else {
      period_ns_ = 1'000'000'000;  // one second of trace time
    }
  }
  if (spec_.loop != 0 && static_cast<int64_t>(pass_) + 1 >= spec_.loop) return false;
  try {
    reader_.Rewind();
  } catch (const TraceError& e) {
    Stop(e.what());
    return false;
  }
  ++pass_;
  pass_ended_ = false;
  max_read_ts_ = INT64_MIN;
  last_emitted_ts_ = INT64_MIN;
  emitted_this_pass_ = 0;
  return true;
}

bool ReplayStream::Next(Event* event) {
  while (NextOfAll(event)) {
    // Another shard's event goes back at once; the timing above it
    // (t0, clamping, the period) was the whole trace's.
    if (ShardTakes(shard_, event->seq, arena_.Key(event->slot), event->key != Event::kNoKey)) return true;
    Discard(*event);
  }
  return false;
}

bool ReplayStream::NextOfAll(Event* event) {
  while (true) {
    while (!pass_ended_ && !stopped_ && heap_.size() <= window_) ReadOne();
    if (stopped_) return false;
    if (!heap_.empty()) break;
    if (!StartNextPass()) return false;
  }
  std::pop_heap(heap_.begin(), heap_.end(), Later<Pending, Pending>);
  Pending p = heap_.back();
  heap_.pop_back();
  int64_t ts = p.ts;
  if (ts < last_emitted_ts_) {
    counters_.clamped.Add();
    ts = last_emitted_ts_;
  }
  last_emitted_ts_ = ts;
  if (!have_t0_) {
    t0_ = ts;
    have_t0_ = true;
  }
  if (pass_ == 0) first_pass_last_ts_ = ts;
  ++emitted_this_pass_;
  int64_t relative = SaturatingAdd(SaturatingSub(ts, t0_),
                                   SaturatingMul(static_cast<int64_t>(pass_), period_ns_));
  double scaled = speed_ > 0 ? static_cast<double>(relative) / speed_ : 0;
  // A slowed-down replay of a long trace can exceed int64 nanoseconds: cap
  // it (the run ends long before).
  event->intended_ns =
      scaled >= 9.2e18 ? INT64_MAX : static_cast<int64_t>(std::llround(scaled));
  event->seq = seq_++;
  event->size = p.size;
  event->key = p.key;
  event->slot = p.slot;
  event->type = p.type;
  return true;
}

void ReplayStream::Discard(const Event& event) {
  if (event.slot != Event::kNoSlot) arena_.Return(event.slot);
}

}  // namespace sluice
