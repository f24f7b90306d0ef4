// The one clock every timestamp in a run comes from: std::chrono::steady_clock
// in nanoseconds. Intended emission times are offsets from a run's epoch on
// this clock, so the source, the workers and the delivery listeners compare
// like with like. Thread-safe, never allocates.
#ifndef SLUICE_CORE_CLOCK_H_
#define SLUICE_CORE_CLOCK_H_

#include <chrono>
#include <cstdint>

namespace sluice {

inline int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace sluice

#endif  // SLUICE_CORE_CLOCK_H_
