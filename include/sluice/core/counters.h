// Counters owned by one thread and read by others.
//
// Each hot-path thread (the source, each worker, each delivery listener)
// owns its counters: only the owner writes, so an increment is a plain load
// and store with no lock prefix and no cache-line ping-pong between writers.
// Other threads (the status line) may read at any time and see a recent
// value. Totals are summed after the threads join.
#ifndef SLUICE_CORE_COUNTERS_H_
#define SLUICE_CORE_COUNTERS_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <string>

namespace sluice {

// Single writer, many readers. Never allocates, never blocks.
class Counter {
 public:
  void Add(uint64_t n = 1) noexcept {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  // Raises the value to `v` if it is higher (a running maximum).
  void Max(uint64_t v) noexcept {
    if (v > value_.load(std::memory_order_relaxed)) value_.store(v, std::memory_order_relaxed);
  }
  uint64_t Get() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// Counts per error code (librdkafka's rd_kafka_resp_err_t). Written by its
// owner thread only and read after that thread has finished. Allocates the
// first time a code is seen: error paths only.
using ErrorCounts = std::map<int, uint64_t>;

inline void MergeInto(ErrorCounts& into, const ErrorCounts& from) {
  for (const auto& [code, count] : from) into[code] += count;
}

}  // namespace sluice

#endif  // SLUICE_CORE_COUNTERS_H_
