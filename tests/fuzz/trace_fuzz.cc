// Fuzz target: the trace reader, the JSON field extractor and the time
// parsers, through a whole replay (ReplayStream) of the input as a trace
// file, with options taken from the input's first byte.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "sluice/pipeline/json_fields.h"
#include "sluice/pipeline/replay.h"

namespace {

std::string TracePath() {
  static const std::string path =
      (access("/dev/shm", W_OK) == 0 ? std::string("/dev/shm") : std::string("/tmp")) +
      "/sluice-fuzz-trace-" + std::to_string(getpid()) + ".jsonl";
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t options = data[0];
  std::string text(reinterpret_cast<const char*>(data + 1), size - 1);

  // The field extractor and the parsers on every line, directly.
  static const char* kTimeFields[] = {"time_us", "meta.dt", "t", "commit.time"};
  sluice::JsonFieldExtractor fields({kTimeFields[options & 3], "did", "commit.operation"});
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + start, end - start);
    sluice::JsonValue values[3];
    sluice::JsonError error;
    if (fields.Extract(line, values, &error)) {
      for (const auto& v : values) {
        std::string_view raw = v.In(line);
        int64_t ns = 0;
        sluice::ParseIso8601(raw, &ns);
        sluice::ParseScaledDecimal(raw, 1000, &ns);
        std::string decoded;
        if (v.kind == sluice::JsonValue::Kind::kString) sluice::DecodeJsonString(raw, &decoded);
      }
    }
    start = end + 1;
  }

  // A replay of it, as a trace file.
  {
    FILE* f = std::fopen(TracePath().c_str(), "wb");
    if (f == nullptr) return 0;
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
  }
  sluice::ReplaySourceSpec spec;
  spec.file = spec.path = TracePath();
  spec.time_field = kTimeFields[options & 3];
  static const sluice::TimeFormat kFormats[] = {
      sluice::TimeFormat::kAuto, sluice::TimeFormat::kSeconds, sluice::TimeFormat::kMillis,
      sluice::TimeFormat::kMicros, sluice::TimeFormat::kNanos, sluice::TimeFormat::kIso8601,
      sluice::TimeFormat::kAuto, sluice::TimeFormat::kAuto};
  spec.time_format = kFormats[(options >> 2) & 7];
  if (options & 0x20) spec.key_field = "did";
  if (options & 0x40) spec.type_field = "commit.operation";
  spec.reorder_window = (options & 0x80) ? 4 : 0;
  spec.loop = 2;
  spec.speed = (options & 1) ? 0 : 1e-3;
  try {
    sluice::ReplayStream stream(spec, 8);
    sluice::Event e;
    size_t n = 0;
    while (stream.Next(&e) && n++ < 100000) stream.Discard(e);
  } catch (const sluice::TraceError&) {
    // A file that cannot be read: refused with a message.
  }
  return 0;
}
