// Fuzz target: `sluice record`'s line handling: the input is a stream on
// standard input, Server-Sent Events unless it starts with '{' (then JSON
// Lines); the trace goes to /dev/null. The last byte picks the time field.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <sstream>
#include <string>

#include "sluice/pipeline/record.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto format = !text.empty() && text[0] == '{' ? sluice::RecordFormat::kJsonl
                                                : sluice::RecordFormat::kSse;
  const char* time_field = size > 0 && (data[size - 1] & 1) ? "meta.dt" : "time_us";
  std::istringstream in(text);
  std::function<int64_t()> now = [] { return int64_t{1'789'616'553'000'000}; };
  try {
    sluice::TraceWriter writer("/dev/null");
    sluice::RecordStats stats = sluice::Record(in, format, time_field, writer, now, nullptr, 0);
    writer.Close();
    volatile uint64_t written = stats.written;
    (void)written;
  } catch (const sluice::TraceError&) {
  }
  return 0;
}
