// JsonFields: finds a few fields of one JSON document (one trace line)
// without building a tree, and the time formats trace fields use.
//
// A JsonFieldExtractor is built once with the dotted paths it looks for
// ("time_us", "meta.dt", "commit.operation"); Extract() then validates a whole
// line as RFC 8259 JSON (strings with escapes, nested objects and arrays,
// numbers) and reports where each path's value lies in the line. A path's
// segments are object keys: array elements cannot be addressed, and a key is
// matched byte for byte as written (a key spelled with escapes never
// matches). When a key appears twice, the first one counts.
//
// Thread-safety: an extractor is immutable after construction; Extract() may
// run on any thread, never allocates and never throws. The constructor
// allocates and throws std::invalid_argument for an empty path or segment.
#ifndef SLUICE_PIPELINE_JSON_FIELDS_H_
#define SLUICE_PIPELINE_JSON_FIELDS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

struct JsonValue {
  enum class Kind { kMissing, kString, kNumber, kTrue, kFalse, kNull, kObject, kArray };
  Kind kind = Kind::kMissing;
  // The value's bytes in the line: for a string, between the quotes (still
  // escaped); otherwise the whole token or container.
  size_t begin = 0;
  size_t length = 0;
  bool has_escapes = false;  // strings only: a backslash occurs inside

  std::string_view In(std::string_view text) const { return text.substr(begin, length); }
};

struct JsonError {
  size_t column = 0;            // 1-based byte column of the problem
  const char* what = nullptr;   // static text, e.g. "unterminated string"
};

class JsonFieldExtractor {
 public:
  static constexpr size_t kMaxPaths = 8;
  static constexpr int kMaxDepth = 128;

  explicit JsonFieldExtractor(const std::vector<std::string>& paths);

  // Validates `text` as one JSON object (surrounding whitespace allowed) and
  // fills values[i] for paths[i] (kMissing where absent). Returns false and
  // fills *error when `text` is not a JSON object.
  bool Extract(std::string_view text, JsonValue* values, JsonError* error) const;

  size_t size() const { return paths_.size(); }

 private:
  struct Parser;
  std::vector<std::vector<std::string>> paths_;
};

// Decodes the raw contents of a JSON string (between the quotes) into `out`
// (cleared first), turning escapes, \uXXXX and surrogate pairs into UTF-8.
// Returns false on a bad escape. Allocates only when `out` must grow.
bool DecodeJsonString(std::string_view raw, std::string* out);

// Parses a decimal number ("1783175888085434", "1789616553.25", "-3",
// "1.7e9") and multiplies it by `unit_ns` (1e9 for seconds, 1000 for
// microseconds), exactly for plain decimals (digits beyond a nanosecond are
// cut), through a double for exponent forms. False when it is not a number
// or the result overflows int64.
bool ParseScaledDecimal(std::string_view text, int64_t unit_ns, int64_t* out_ns);

// Parses ISO-8601 / RFC 3339 date-times into nanoseconds since the Unix
// epoch: YYYY-MM-DD('T'|' ')hh:mm[:ss[.fraction]][Z|+hh:mm|-hh:mm|+hhmm].
// Without a zone the time is taken as UTC. False on anything else, and on a
// time that int64 nanoseconds cannot hold (before 1677 or after 2262).
bool ParseIso8601(std::string_view text, int64_t* out_ns);

}  // namespace sluice

#endif  // SLUICE_PIPELINE_JSON_FIELDS_H_
