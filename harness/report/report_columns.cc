#include "sluice/report/report_columns.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "sluice/core/units.h"
#include "sluice/report/columns.h"

namespace sluice {
namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

std::string DescribeDimension(Dimension d) {
  if (d == kCount) return "a number";
  if (d == kTime) return "a duration";
  if (d == kRate) return "a rate (per second)";
  if (d == kBytes) return "a size in bytes";
  if (d == kByteRate) return "bytes per second";
  return "seconds^" + std::to_string(d.time) + " x bytes^" + std::to_string(d.bytes);
}

ColumnInfo DescribeColumn(const std::string& c) {
  if (const Column* column = FindColumn(c)) return column->Info();
  // A column this version does not know (a report from a later one): a
  // number, described by its name's suffix, with no better direction.
  ColumnInfo info;
  info.unit_in_name = true;
  if (EndsWith(c, "_ms")) {
    info.dim = kTime;
    info.scale = 1e-3;
  } else if (EndsWith(c, "_s")) {
    info.dim = kTime;
  } else if (EndsWith(c, "_mbps")) {
    info.dim = kByteRate;
    info.scale = 1e6;
  } else if (EndsWith(c, "_mb")) {
    info.dim = kBytes;
    info.scale = 1e6;
  } else if (EndsWith(c, "_rate")) {
    info.dim = kRate;
  } else if (EndsWith(c, "_bytes")) {
    info.dim = kBytes;
  }
  return info;
}

std::optional<Quantity> ParseQuantity(std::string_view text, std::string* unit_error) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  // The number: digits, '.', '_' separators, an optional exponent.
  size_t i = 0;
  std::string digits;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.' ||
                             text[i] == '_')) {
    if (text[i] != '_') digits += text[i];
    ++i;
  }
  if (digits.empty()) return std::nullopt;
  if (i + 1 < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    size_t j = i + 1;
    std::string exponent = "e";
    if (j < text.size() && (text[j] == '+' || text[j] == '-')) exponent += text[j++];
    if (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) {
      while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) exponent += text[j++];
      digits += exponent;
      i = j;
    }
  }
  double value = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || ptr != digits.data() + digits.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  std::string unit(text.substr(i));
  while (!unit.empty() && unit.front() == ' ') unit.erase(0, 1);
  if (unit.empty()) return Quantity{value, kCount};
  // The unit's size, by asking the scenario's own parsers about "1<unit>".
  const std::string one = "1" + unit;
  if (auto ns = ParseDuration(one); ns && *ns > 0) return Quantity{value * (*ns / 1e9), kTime};
  if (EndsWith(unit, "/s")) {
    if (auto rate = ParseRate(one)) return Quantity{value * *rate, kRate};
  }
  if (auto bytes = ParseSize(one); bytes && *bytes > 0) {
    return Quantity{value * static_cast<double>(*bytes), kBytes};
  }
  if (unit_error != nullptr) {
    *unit_error = "unknown unit '" + unit +
                  "' (durations: ns us ms s m h; rates: /s k/s M/s G/s; sizes: B KB MB GB KiB "
                  "MiB GiB)";
  }
  return std::nullopt;
}

ColumnInfo DescribeValue(const std::string& value) {
  ColumnInfo info;
  auto q = ParseQuantity(value);
  if (!q) {
    info.type = ColumnType::kText;
    return info;
  }
  info.dim = q->dim;
  info.unit_in_name = true;
  return info;
}

std::string FormatQuantity(double v, Dimension dim) {
  if (!std::isfinite(v)) return "no value";
  char buf[64];
  if (dim == kTime) {
    if (v < 0) return "-" + FormatDuration(std::llround(-v * 1e9));
    return FormatDuration(std::llround(v * 1e9));
  }
  if (dim == kRate) {
    if (v < 0) return "-" + FormatRate(-v);
    return FormatRate(v);
  }
  if (dim == kBytes) {
    if (std::fabs(v) < 1024) {
      std::snprintf(buf, sizeof buf, "%.1fB", v);
      return buf;
    }
    if (v < 0) return "-" + FormatSize(std::llround(-v));
    return FormatSize(std::llround(v));
  }
  if (dim == kByteRate) {
    std::snprintf(buf, sizeof buf, "%.3f MB/s", v / 1e6);
    return buf;
  }
  if (dim == kCount) {
    if (v == std::floor(v) && std::fabs(v) < 1e15) {
      std::snprintf(buf, sizeof buf, "%.0f", v);
    } else {
      std::snprintf(buf, sizeof buf, "%.6g", v);
    }
    return buf;
  }
  std::snprintf(buf, sizeof buf, "%.6g (%s)", v, DescribeDimension(dim).c_str());
  return buf;
}

}  // namespace sluice
