#include "sluice/core/units.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <utility>

#include "sluice/core/text.h"

namespace sluice {
namespace {

// Splits "12.5ms" into 12.5 and "ms". The number must be finite and >= 0.
std::optional<std::pair<double, std::string_view>> SplitNumber(std::string_view text) {
  text = Trim(text);
  size_t i = 0;
  while (i < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.' || text[i] == '_')) {
    ++i;
  }
  if (i == 0) return std::nullopt;
  std::string digits;
  for (char c : text.substr(0, i)) {
    if (c != '_') digits.push_back(c);
  }
  double value = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || ptr != digits.data() + digits.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return std::make_pair(value, Trim(text.substr(i)));
}

std::optional<int64_t> ToInt64(double value) {
  if (!(value >= 0) || value > 9.2e18) return std::nullopt;
  return static_cast<int64_t>(std::llround(value));
}

}  // namespace

std::optional<int64_t> ParseDuration(std::string_view text) {
  auto split = SplitNumber(text);
  if (!split) return std::nullopt;
  auto [value, unit] = *split;
  double scale = 0;
  if (unit.empty()) {
    if (value != 0) return std::nullopt;
    return 0;
  } else if (unit == "ns") {
    scale = 1;
  } else if (unit == "us" || unit == "\xC2\xB5s") {
    scale = 1e3;
  } else if (unit == "ms") {
    scale = 1e6;
  } else if (unit == "s") {
    scale = 1e9;
  } else if (unit == "m" || unit == "min") {
    scale = 60e9;
  } else if (unit == "h") {
    scale = 3600e9;
  } else {
    return std::nullopt;
  }
  return ToInt64(value * scale);
}

std::optional<int64_t> ParseSize(std::string_view text) {
  auto split = SplitNumber(text);
  if (!split) return std::nullopt;
  auto [value, unit] = *split;
  double scale = 0;
  if (unit.empty() || unit == "B") {
    scale = 1;
  } else if (unit == "KiB") {
    scale = 1024.0;
  } else if (unit == "MiB") {
    scale = 1024.0 * 1024;
  } else if (unit == "GiB") {
    scale = 1024.0 * 1024 * 1024;
  } else if (unit == "KB" || unit == "kB") {
    scale = 1e3;
  } else if (unit == "MB") {
    scale = 1e6;
  } else if (unit == "GB") {
    scale = 1e9;
  } else {
    return std::nullopt;
  }
  double bytes = value * scale;
  if (bytes != std::floor(bytes)) return std::nullopt;  // "1.5B" is not a size
  return ToInt64(bytes);
}

std::optional<double> ParseRate(std::string_view text) {
  auto split = SplitNumber(text);
  if (!split) return std::nullopt;
  auto [value, unit] = *split;
  if (unit.empty()) return value;
  if (unit.size() >= 2 && unit.substr(unit.size() - 2) == "/s") {
    unit.remove_suffix(2);
  } else {
    return std::nullopt;
  }
  unit = Trim(unit);
  if (unit.empty()) return value;
  if (unit == "k" || unit == "K") return value * 1e3;
  if (unit == "M") return value * 1e6;
  if (unit == "G") return value * 1e9;
  return std::nullopt;
}

std::string FormatDuration(int64_t ns) {
  char buf[32];
  double v = static_cast<double>(ns);
  if (ns < 1000) {
    std::snprintf(buf, sizeof buf, "%lldns", static_cast<long long>(ns));
  } else if (ns < 1000000) {
    std::snprintf(buf, sizeof buf, "%.1fus", v / 1e3);
  } else if (ns < 1000000000) {
    std::snprintf(buf, sizeof buf, "%.2fms", v / 1e6);
  } else {
    std::snprintf(buf, sizeof buf, "%.2fs", v / 1e9);
  }
  return buf;
}

std::string FormatSize(int64_t bytes) {
  char buf[32];
  double v = static_cast<double>(bytes);
  if (bytes < 1024) {
    std::snprintf(buf, sizeof buf, "%lldB", static_cast<long long>(bytes));
  } else if (bytes < 1024 * 1024) {
    std::snprintf(buf, sizeof buf, "%.1fKiB", v / 1024);
  } else if (bytes < 1024LL * 1024 * 1024) {
    std::snprintf(buf, sizeof buf, "%.2fMiB", v / (1024.0 * 1024));
  } else {
    std::snprintf(buf, sizeof buf, "%.2fGiB", v / (1024.0 * 1024 * 1024));
  }
  return buf;
}

std::string FormatRate(double per_second) {
  char buf[32];
  if (per_second < 1e3) {
    std::snprintf(buf, sizeof buf, "%.0f/s", per_second);
  } else if (per_second < 1e6) {
    std::snprintf(buf, sizeof buf, "%.1fk/s", per_second / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.2fM/s", per_second / 1e6);
  }
  return buf;
}

}  // namespace sluice
