// Units as a person writes them in a scenario: durations ("30s", "200ms"),
// sizes ("450B", "64KiB", "1MB") and rates ("50k/s", "2.5M/s").
//
// Parsing happens only while a scenario is loaded; every function here returns
// std::nullopt on malformed input and leaves the error message (with the key
// and the location) to the caller, which knows both. Thread-safe, pure.
#ifndef SLUICE_CORE_UNITS_H_
#define SLUICE_CORE_UNITS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice {

// Nanoseconds from "1h", "2m", "30s", "200ms", "500us" (or "µs"), "10ns".
// A bare number is taken as seconds only when it is 0 ("0" means "none"):
// any other bare number is ambiguous and refused.
std::optional<int64_t> ParseDuration(std::string_view text);

// Bytes from "450B", "64KiB", "1MiB", "1GiB", "1KB" (=1000), "1MB", "1GB",
// or a bare non-negative integer (bytes).
std::optional<int64_t> ParseSize(std::string_view text);

// Events per second from "50k/s", "2.5M/s", "200/s", "5/s", "1G/s", or a
// bare non-negative number (events per second).
std::optional<double> ParseRate(std::string_view text);

// "1.5s", "200ms", "12.3us": the shortest exact-enough human form.
std::string FormatDuration(int64_t ns);
// "450B", "64.0KiB", "1.50MiB".
std::string FormatSize(int64_t bytes);
// "950/s", "50.0k/s", "1.20M/s".
std::string FormatRate(double per_second);

}  // namespace sluice

#endif  // SLUICE_CORE_UNITS_H_
