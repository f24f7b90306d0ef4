#include "sluice/pipeline/json_fields.h"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace sluice {

JsonFieldExtractor::JsonFieldExtractor(const std::vector<std::string>& paths) {
  if (paths.size() > kMaxPaths) throw std::invalid_argument("too many JSON paths");
  for (const auto& path : paths) {
    std::vector<std::string> segments;
    size_t start = 0;
    while (true) {
      size_t dot = path.find('.', start);
      std::string segment = path.substr(start, dot == std::string::npos ? std::string::npos
                                                                        : dot - start);
      if (segment.empty()) throw std::invalid_argument("empty segment in JSON path '" + path + "'");
      segments.push_back(segment);
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    paths_.push_back(std::move(segments));
  }
}

// A recursive-descent validator over one line. `mask` holds the paths whose
// leading segments match the keys walked so far.
struct JsonFieldExtractor::Parser {
  const JsonFieldExtractor& owner;
  std::string_view s;
  JsonValue* values;
  size_t i = 0;
  JsonError error;

  bool Fail(const char* what) {
    if (error.what == nullptr) {
      error.what = what;
      error.column = i + 1;
    }
    return false;
  }

  void SkipSpace() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  }

  static int Hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  // At the opening quote. On success i is past the closing quote.
  bool String(size_t* begin, size_t* length, bool* escapes) {
    ++i;
    *begin = i;
    *escapes = false;
    while (true) {
      if (i >= s.size()) return Fail("unterminated string");
      unsigned char c = static_cast<unsigned char>(s[i]);
      if (c == '"') break;
      if (c < 0x20) return Fail("control character in a string");
      if (c == '\\') {
        *escapes = true;
        if (++i >= s.size()) return Fail("unterminated string");
        char e = s[i];
        if (e == 'u') {
          for (int k = 1; k <= 4; ++k) {
            if (i + k >= s.size() || Hex(s[i + k]) < 0) return Fail("bad \\u escape");
          }
          i += 4;
        } else if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' &&
                   e != 'r' && e != 't') {
          return Fail("bad escape in a string");
        }
      }
      ++i;
    }
    *length = i - *begin;
    ++i;
    return true;
  }

  bool Digits() {
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i > start;
  }

  bool Number() {
    if (i < s.size() && s[i] == '-') ++i;
    if (i >= s.size()) return Fail("bad number");
    if (s[i] == '0') {
      ++i;
    } else if (!Digits()) {
      return Fail("bad number");
    }
    if (i < s.size() && s[i] == '.') {
      ++i;
      if (!Digits()) return Fail("bad number");
    }
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
      ++i;
      if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
      if (!Digits()) return Fail("bad number");
    }
    return true;
  }

  bool Literal(std::string_view word) {
    if (s.substr(i, word.size()) != word) return Fail("unexpected character");
    i += word.size();
    return true;
  }

  // Parses one value; when `record` is not null, stores where it lies.
  bool Value(int depth, uint32_t mask, JsonValue* record) {
    SkipSpace();
    if (i >= s.size()) return Fail("unexpected end of line");
    size_t start = i;
    JsonValue::Kind kind;
    size_t begin = start, length = 0;
    bool escapes = false;
    switch (s[i]) {
      case '{':
        kind = JsonValue::Kind::kObject;
        if (!Object(depth + 1, mask)) return false;
        break;
      case '[':
        kind = JsonValue::Kind::kArray;
        if (!Array(depth + 1)) return false;
        break;
      case '"':
        kind = JsonValue::Kind::kString;
        if (!String(&begin, &length, &escapes)) return false;
        break;
      case 't':
        kind = JsonValue::Kind::kTrue;
        if (!Literal("true")) return false;
        break;
      case 'f':
        kind = JsonValue::Kind::kFalse;
        if (!Literal("false")) return false;
        break;
      case 'n':
        kind = JsonValue::Kind::kNull;
        if (!Literal("null")) return false;
        break;
      default:
        if (s[i] != '-' && (s[i] < '0' || s[i] > '9')) return Fail("unexpected character");
        kind = JsonValue::Kind::kNumber;
        if (!Number()) return false;
        break;
    }
    if (record != nullptr) {
      record->kind = kind;
      record->has_escapes = escapes;
      if (kind == JsonValue::Kind::kString) {
        record->begin = begin;
        record->length = length;
      } else {
        record->begin = start;
        record->length = i - start;
      }
    }
    return true;
  }

  bool Array(int depth) {
    if (depth > kMaxDepth) return Fail("nested too deeply");
    ++i;  // '['
    SkipSpace();
    if (i < s.size() && s[i] == ']') {
      ++i;
      return true;
    }
    while (true) {
      if (!Value(depth, 0, nullptr)) return false;
      SkipSpace();
      if (i >= s.size()) return Fail("unterminated array");
      if (s[i] == ']') {
        ++i;
        return true;
      }
      if (s[i] != ',') return Fail("expected ',' or ']'");
      ++i;
    }
  }

  // `depth` is the object's depth: 1 for the top level, whose keys are the
  // paths' first segments.
  bool Object(int depth, uint32_t mask) {
    if (depth > kMaxDepth) return Fail("nested too deeply");
    ++i;  // '{'
    SkipSpace();
    if (i < s.size() && s[i] == '}') {
      ++i;
      return true;
    }
    const size_t level = static_cast<size_t>(depth - 1);
    while (true) {
      SkipSpace();
      if (i >= s.size()) return Fail("unterminated object");
      if (s[i] != '"') return Fail("expected a key");
      size_t kb = 0, kl = 0;
      bool kesc = false;
      if (!String(&kb, &kl, &kesc)) return false;
      std::string_view key = s.substr(kb, kl);
      uint32_t child = 0;
      JsonValue* record = nullptr;
      for (uint32_t p = 0; mask != 0 && p < owner.paths_.size(); ++p) {
        if (!(mask & (1u << p))) continue;
        const auto& segments = owner.paths_[p];
        if (segments.size() <= level || segments[level] != key) continue;
        if (segments.size() == level + 1) {
          if (values[p].kind == JsonValue::Kind::kMissing) record = &values[p];
        } else {
          child |= 1u << p;
        }
      }
      SkipSpace();
      if (i >= s.size() || s[i] != ':') return Fail("expected ':'");
      ++i;
      // Two paths may name the same field: record it once, copy after.
      if (!Value(depth, child, record)) return false;
      if (record != nullptr) {
        for (uint32_t p = 0; p < owner.paths_.size(); ++p) {
          if (&values[p] != record && (mask & (1u << p)) && owner.paths_[p].size() == level + 1 &&
              owner.paths_[p][level] == key && values[p].kind == JsonValue::Kind::kMissing) {
            values[p] = *record;
          }
        }
      }
      SkipSpace();
      if (i >= s.size()) return Fail("unterminated object");
      if (s[i] == '}') {
        ++i;
        return true;
      }
      if (s[i] != ',') return Fail("expected ',' or '}'");
      ++i;
    }
  }
};

bool JsonFieldExtractor::Extract(std::string_view text, JsonValue* values, JsonError* error) const {
  for (size_t p = 0; p < paths_.size(); ++p) values[p] = JsonValue{};
  Parser parser{*this, text, values, 0, JsonError{}};
  parser.SkipSpace();
  bool ok = false;
  if (parser.i >= text.size()) {
    parser.Fail("empty line");
  } else if (text[parser.i] != '{') {
    parser.Fail("not a JSON object");
  } else {
    uint32_t all = paths_.empty() ? 0 : static_cast<uint32_t>((1ull << paths_.size()) - 1);
    ok = parser.Object(1, all);
    if (ok) {
      parser.SkipSpace();
      if (parser.i != text.size()) ok = parser.Fail("text after the JSON object");
    }
  }
  if (!ok) {
    for (size_t p = 0; p < paths_.size(); ++p) values[p] = JsonValue{};
    if (error != nullptr) *error = parser.error;
  }
  return ok;
}

namespace {

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool Hex4(std::string_view raw, size_t at, uint32_t* out) {
  if (at + 4 > raw.size()) return false;
  uint32_t v = 0;
  for (size_t k = 0; k < 4; ++k) {
    char c = raw[at + k];
    int d = (c >= '0' && c <= '9')   ? c - '0'
            : (c >= 'a' && c <= 'f') ? c - 'a' + 10
            : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                     : -1;
    if (d < 0) return false;
    v = v * 16 + static_cast<uint32_t>(d);
  }
  *out = v;
  return true;
}

}  // namespace

bool DecodeJsonString(std::string_view raw, std::string* out) {
  out->clear();
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c != '\\') {
      out->push_back(c);
      continue;
    }
    if (++i >= raw.size()) return false;
    switch (raw[i]) {
      case '"': out->push_back('"'); break;
      case '\\': out->push_back('\\'); break;
      case '/': out->push_back('/'); break;
      case 'b': out->push_back('\b'); break;
      case 'f': out->push_back('\f'); break;
      case 'n': out->push_back('\n'); break;
      case 'r': out->push_back('\r'); break;
      case 't': out->push_back('\t'); break;
      case 'u': {
        uint32_t cp = 0;
        if (!Hex4(raw, i + 1, &cp)) return false;
        i += 4;
        if (cp >= 0xD800 && cp < 0xDC00) {
          uint32_t low = 0;
          if (i + 2 < raw.size() && raw[i + 1] == '\\' && raw[i + 2] == 'u' &&
              Hex4(raw, i + 3, &low) && low >= 0xDC00 && low < 0xE000) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            i += 6;
          } else {
            cp = 0xFFFD;  // a lone high surrogate
          }
        } else if (cp >= 0xDC00 && cp < 0xE000) {
          cp = 0xFFFD;  // a lone low surrogate
        }
        AppendUtf8(cp, out);
        break;
      }
      default:
        return false;
    }
  }
  return true;
}

bool ParseScaledDecimal(std::string_view text, int64_t unit_ns, int64_t* out_ns) {
  if (text.empty() || unit_ns <= 0) return false;
  if (text.find_first_of("eE") != std::string_view::npos) {
    std::string copy(text);  // exponent forms are rare: a small allocation is fine
    char* end = nullptr;
    double v = std::strtod(copy.c_str(), &end);
    if (end != copy.c_str() + copy.size() || !std::isfinite(v)) return false;
    double ns = v * static_cast<double>(unit_ns);
    if (!(std::abs(ns) < 9.2e18)) return false;
    *out_ns = static_cast<int64_t>(std::llround(ns));
    return true;
  }
  size_t i = 0;
  bool negative = false;
  if (text[0] == '-' || text[0] == '+') {
    negative = text[0] == '-';
    ++i;
  }
  __int128 whole = 0;
  size_t digits = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++digits) {
    whole = whole * 10 + (text[i] - '0');
    if (whole > std::numeric_limits<int64_t>::max()) return false;
  }
  __int128 total = whole * unit_ns;
  if (i < text.size() && text[i] == '.') {
    ++i;
    __int128 scale = unit_ns;
    size_t frac_digits = 0;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++frac_digits) {
      // Digit k after the point is worth unit_ns / 10^k; exact while that is
      // an integer, cut below a nanosecond.
      if (scale >= 10) {
        scale /= 10;
        total += scale * (text[i] - '0');
      }
    }
    digits += frac_digits;
  }
  if (digits == 0 || i != text.size()) return false;
  if (total > std::numeric_limits<int64_t>::max()) return false;
  *out_ns = static_cast<int64_t>(negative ? -total : total);
  return true;
}

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
// days_from_civil).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool Fixed(std::string_view s, size_t at, size_t n, int* out) {
  if (at + n > s.size()) return false;
  int v = 0;
  for (size_t k = 0; k < n; ++k) {
    char c = s[at + k];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

bool LeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

}  // namespace

bool ParseIso8601(std::string_view s, int64_t* out_ns) {
  int year, month, day, hour, minute, second = 0;
  if (!Fixed(s, 0, 4, &year) || s.size() < 16 || s[4] != '-' || !Fixed(s, 5, 2, &month) ||
      s[7] != '-' || !Fixed(s, 8, 2, &day) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      !Fixed(s, 11, 2, &hour) || s[13] != ':' || !Fixed(s, 14, 2, &minute)) {
    return false;
  }
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1) return false;
  int month_days = kDays[month - 1] + (month == 2 && LeapYear(year) ? 1 : 0);
  if (day > month_days || hour > 23 || minute > 59) return false;
  size_t i = 16;
  int64_t fraction_ns = 0;
  if (i < s.size() && s[i] == ':') {
    if (!Fixed(s, i + 1, 2, &second) || second > 60) return false;  // 60: a leap second
    i += 3;
    if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
      ++i;
      int64_t scale = 100'000'000;
      size_t start = i;
      for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
        fraction_ns += scale * (s[i] - '0');
        scale /= 10;
      }
      if (i == start) return false;
    }
  }
  int64_t offset_s = 0;
  if (i < s.size()) {
    if (s[i] == 'Z' || s[i] == 'z') {
      ++i;
    } else if (s[i] == '+' || s[i] == '-') {
      int sign = s[i] == '-' ? -1 : 1;
      int oh = 0, om = 0;
      if (!Fixed(s, i + 1, 2, &oh)) return false;
      i += 3;
      if (i < s.size() && s[i] == ':') ++i;
      if (i < s.size()) {
        if (!Fixed(s, i, 2, &om)) return false;
        i += 2;
      }
      if (oh > 23 || om > 59) return false;
      offset_s = sign * (oh * 3600 + om * 60);
    } else {
      return false;
    }
  }
  if (i != s.size()) return false;
  int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_s;
  // int64 nanoseconds since 1970 reach only the years 1677 to 2262: a time
  // outside them (a trace dated 0000 or 9999) is not a usable time, not an
  // overflow.
  int64_t ns = 0;
  if (__builtin_mul_overflow(seconds, int64_t{1'000'000'000}, &ns) ||
      __builtin_add_overflow(ns, fraction_ns, &ns)) {
    return false;
  }
  *out_ns = ns;
  return true;
}

}  // namespace sluice
