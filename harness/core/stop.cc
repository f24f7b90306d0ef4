#include "sluice/core/stop.h"

namespace sluice {

std::atomic<bool>& StopFlag() {
  // A function-local static of a trivially constructible type: constant-
  // initialised, so it is safe to touch from a signal handler at any time.
  static std::atomic<bool> flag{false};
  static_assert(std::atomic<bool>::is_always_lock_free);
  return flag;
}

}  // namespace sluice
