// The exit codes of every sluice command (documented in README.md). Any
// layer may return one; only the cli layer ends the process with it.
#ifndef SLUICE_CORE_EXIT_CODES_H_
#define SLUICE_CORE_EXIT_CODES_H_

namespace sluice {

constexpr int kExitOk = 0;                  // success: every cell ran, every expectation held
constexpr int kExitUsage = 2;               // usage or scenario error: nothing ran
constexpr int kExitRunFailed = 3;           // broker unreachable, topic refused, fatal librdkafka
                                            // error, or interrupted
constexpr int kExitResultsUnwritable = 4;   // the results could not be written
constexpr int kExitGateTripped = 5;         // sluice compare: a --fail-if gate tripped
constexpr int kExitExpectationFailed = 6;   // every cell ran, but an expectation failed

}  // namespace sluice

#endif  // SLUICE_CORE_EXIT_CODES_H_
