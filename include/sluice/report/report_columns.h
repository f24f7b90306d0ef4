// What the columns of report.csv hold: their type, their dimension and unit,
// and which direction is better. Used wherever a report is read back
// (expectations, `sluice compare`), so that "250ms" can be compared with
// latency.end_to_end.p99_ms and "10k/s" with delivered_rate.
//
// Values are handled in canonical units: seconds, bytes, events (a rate is
// events per second). A column's `scale` converts its report value to them
// (latency.*_ms: 1e-3, *_mbps: 1e6).
//
// Thread-safety: pure functions.
#ifndef SLUICE_REPORT_REPORT_COLUMNS_H_
#define SLUICE_REPORT_REPORT_COLUMNS_H_

#include <optional>
#include <string>
#include <string_view>

namespace sluice {

// Exponents of seconds and bytes: a duration is {1, 0}, a rate {-1, 0}, a
// size {0, 1}, a throughput in bytes {-1, 1}, a count or ratio {0, 0}.
struct Dimension {
  int time = 0;
  int bytes = 0;
  friend bool operator==(Dimension a, Dimension b) { return a.time == b.time && a.bytes == b.bytes; }
};

// The dimensions reports use, named once.
inline constexpr Dimension kCount{0, 0};     // a count, a ratio, a plain number
inline constexpr Dimension kTime{1, 0};      // a duration
inline constexpr Dimension kRate{-1, 0};     // events per second
inline constexpr Dimension kBytes{0, 1};     // a size
inline constexpr Dimension kByteRate{-1, 1};  // bytes per second

// "a duration", "a rate (per second)", "a size", "bytes per second", "a number".
std::string DescribeDimension(Dimension d);

struct Quantity {
  double value = 0;  // canonical units
  Dimension dim;
};

enum class ColumnType { kNumber, kText, kBool };

// Which way a metric improves, for marking the best value in a comparison.
enum class Better { kNeither, kHigher, kLower };

struct ColumnInfo {
  ColumnType type = ColumnType::kNumber;
  Dimension dim;
  double scale = 1;           // canonical value = report value x scale
  bool unit_in_name = false;  // a bare number compared with it is in its unit
  Better better = Better::kNeither;
};

// The description of a column of report.csv: the registry's (columns.h), or
// for a column added by a later version a number described by its name's
// suffix. Swept-key columns are described by DescribeValue() of their value
// instead.
ColumnInfo DescribeColumn(const std::string& column);

// A number with an optional unit: "0.99", "250ms", "10k/s", "64KiB", "1e6".
// nullopt when malformed; `*unit_error` (if given) then says why.
std::optional<Quantity> ParseQuantity(std::string_view text, std::string* unit_error = nullptr);

// A swept value as written ("50ms", "16384", "lz4"): a quantity when it reads
// as one, else text.
ColumnInfo DescribeValue(const std::string& value);

// A canonical value in a person's units: "312.50ms", "9.9k/s", "214.7B",
// "12.500 MB/s", "1709.77".
std::string FormatQuantity(double value, Dimension dim);

}  // namespace sluice

#endif  // SLUICE_REPORT_REPORT_COLUMNS_H_
