// For tests that interrupt a child process: wait until it catches a signal
// (its handler is installed, /proc/PID/status SigCgt), so that the signal
// sent next meets the handler and not the default action, however slowly a
// busy machine starts the process.
#ifndef SLUICE_TESTS_SIGNAL_WAIT_H_
#define SLUICE_TESTS_SIGNAL_WAIT_H_

#include <sys/types.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

namespace sluice::test_support {

// False when `pid` did not catch `sig` within `bound` (or is gone).
inline bool WaitUntilCatching(pid_t pid, int sig, std::chrono::milliseconds bound) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(status, line);) {
      if (line.rfind("SigCgt:", 0) != 0) continue;
      const unsigned long long mask = std::stoull(line.substr(7), nullptr, 16);
      if (mask & (1ull << (sig - 1))) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

}  // namespace sluice::test_support

#endif  // SLUICE_TESTS_SIGNAL_WAIT_H_
