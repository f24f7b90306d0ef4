// The process's stop request: set by SIGINT/SIGTERM (cli/main.cc), read by
// every loop that can run long (loading a large sweep, writing a trace,
// reading an endless input), so that every command can be interrupted.
//
// A loop that sees it either stops early and reports what it has (record,
// synth: a valid, shorter file) or throws Interrupted while setting up
// (validate, loading a plan); main turns Interrupted into exit code 3.
#ifndef SLUICE_CORE_STOP_H_
#define SLUICE_CORE_STOP_H_

#include <atomic>
#include <stdexcept>

namespace sluice {

// The one flag. Thread-safe and async-signal-safe to set (a lock-free
// atomic); never allocates. Functions that take `const std::atomic<bool>&`
// are given this flag by main.
std::atomic<bool>& StopFlag();

// True once a stop was requested. Thread-safe; a relaxed load, cheap enough
// for a loop's every turn.
inline bool StopRequested() { return StopFlag().load(std::memory_order_relaxed); }

// Thrown by set-up code (loading, validating) that was interrupted.
class Interrupted : public std::runtime_error {
 public:
  Interrupted() : std::runtime_error("interrupted") {}
};

// Throws Interrupted when a stop was requested. For set-up loops only.
inline void ThrowIfStopRequested() {
  if (StopRequested()) throw Interrupted();
}

}  // namespace sluice

#endif  // SLUICE_CORE_STOP_H_
