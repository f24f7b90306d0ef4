#include "sluice/pipeline/json_fields.h"

#include <gtest/gtest.h>

#include <ctime>
#include <string>
#include <vector>

namespace sluice {
namespace {

using Kind = JsonValue::Kind;

struct Found {
  bool ok = false;
  std::vector<JsonValue> values;
  JsonError error;
};

Found Extract(const std::vector<std::string>& paths, std::string_view text) {
  JsonFieldExtractor extractor(paths);
  Found f;
  f.values.resize(paths.size());
  f.ok = extractor.Extract(text, f.values.data(), &f.error);
  return f;
}

constexpr const char* kJetstream =
    R"({"did":"did:plc:wq4aajammjtxdomz3e23667t","time_us":1783175888085434,"kind":"commit",)"
    R"("commit":{"rev":"3mptbypluud2a","operation":"create","collection":"app.bsky.feed.like",)"
    R"("record":{"$type":"app.bsky.feed.like","langs":["en","de"],"text":"a \"quoted\" word",)"
    R"("n":[1,{"operation":"inner"}]}}})";

TEST(JsonFields, FindsTopLevelAndNestedFields) {
  std::string line = kJetstream;
  Found f = Extract({"time_us", "did", "commit.operation", "commit.record.text", "kind"}, line);
  ASSERT_TRUE(f.ok) << f.error.what;
  EXPECT_EQ(f.values[0].kind, Kind::kNumber);
  EXPECT_EQ(f.values[0].In(line), "1783175888085434");
  EXPECT_EQ(f.values[1].kind, Kind::kString);
  EXPECT_EQ(f.values[1].In(line), "did:plc:wq4aajammjtxdomz3e23667t");
  EXPECT_FALSE(f.values[1].has_escapes);
  EXPECT_EQ(f.values[2].In(line), "create");  // not the "operation" nested in the array
  EXPECT_EQ(f.values[3].In(line), R"(a \"quoted\" word)");
  EXPECT_TRUE(f.values[3].has_escapes);
  EXPECT_EQ(f.values[4].In(line), "commit");
}

TEST(JsonFields, MissingFieldsAndContainersAndLiterals) {
  std::string line = R"( {"a":{"b":[1,2]},"t":true,"f":false,"z":null,"o":{}} )";
  Found f = Extract({"a.b", "a", "t", "f", "z", "nope", "a.c", "o"}, line);
  ASSERT_TRUE(f.ok) << f.error.what;
  EXPECT_EQ(f.values[0].kind, Kind::kArray);
  EXPECT_EQ(f.values[0].In(line), "[1,2]");
  EXPECT_EQ(f.values[1].kind, Kind::kObject);
  EXPECT_EQ(f.values[1].In(line), R"({"b":[1,2]})");
  EXPECT_EQ(f.values[2].kind, Kind::kTrue);
  EXPECT_EQ(f.values[3].kind, Kind::kFalse);
  EXPECT_EQ(f.values[4].kind, Kind::kNull);
  EXPECT_EQ(f.values[5].kind, Kind::kMissing);
  EXPECT_EQ(f.values[6].kind, Kind::kMissing);
  EXPECT_EQ(f.values[7].In(line), "{}");
}

TEST(JsonFields, FirstOfDuplicateKeysWinsAndSamePathTwiceIsFilledTwice) {
  std::string line = R"({"k":"first","k":"second"})";
  Found f = Extract({"k", "k"}, line);
  ASSERT_TRUE(f.ok);
  EXPECT_EQ(f.values[0].In(line), "first");
  EXPECT_EQ(f.values[1].In(line), "first");
}

TEST(JsonFields, NumbersOfEveryShape) {
  for (const char* n : {"0", "-0", "12", "-12.5", "1e9", "1E+9", "2.5e-3", "1783175888085434"}) {
    std::string line = std::string(R"({"n":)") + n + "}";
    Found f = Extract({"n"}, line);
    ASSERT_TRUE(f.ok) << n;
    EXPECT_EQ(f.values[0].In(line), n);
  }
}

struct BadCase {
  const char* text;
  size_t column;
  const char* what;
};

TEST(JsonFields, MalformedLinesAreRefusedWithAColumn) {
  const BadCase cases[] = {
      {"", 1, "empty line"},
      {"   ", 4, "empty line"},
      {"[1,2]", 1, "not a JSON object"},
      {"\"text\"", 1, "not a JSON object"},
      {"{", 2, "unterminated object"},
      {R"({"a":})", 6, "unexpected character"},
      {R"({"a":1,})", 8, "expected a key"},
      {R"({"a":"x})", 9, "unterminated string"},
      {R"({"a":01})", 7, "expected ',' or '}'"},
      {R"({"a":1} x)", 9, "text after the JSON object"},
      {R"({"a":tru})", 6, "unexpected character"},
      {R"({"a":"\x"})", 8, "bad escape in a string"},
      {R"({"a":"\u12G4"})", 8, "bad \\u escape"},
      {"{\"a\":\"tab\there\"}", 10, "control character in a string"},
      {R"({'a':1})", 2, "expected a key"},
      {R"({"a" 1})", 6, "expected ':'"},
      {R"({"a":[1 2]})", 9, "expected ',' or ']'"},
      {R"({"a":-})", 7, "bad number"},
      {R"({"a":1.})", 8, "bad number"},
      {R"({"did":"did:plc:x","time_us":17831758)", 38, "unterminated object"},  // cut off
  };
  for (const BadCase& c : cases) {
    Found f = Extract({"a", "time_us"}, c.text);
    EXPECT_FALSE(f.ok) << c.text;
    EXPECT_STREQ(f.error.what, c.what) << c.text;
    EXPECT_EQ(f.error.column, c.column) << c.text;
    EXPECT_EQ(f.values[0].kind, Kind::kMissing) << c.text;  // nothing half-found
  }
}

TEST(JsonFields, NestingDeeperThanTheLimitIsRefusedNotACrash) {
  std::string deep = R"({"a":)";
  for (int i = 0; i < 10000; ++i) deep += "[";
  Found f = Extract({"a"}, deep);
  EXPECT_FALSE(f.ok);
  EXPECT_STREQ(f.error.what, "nested too deeply");
}

TEST(JsonFields, BadPathsAreRefused) {
  EXPECT_THROW(JsonFieldExtractor({""}), std::invalid_argument);
  EXPECT_THROW(JsonFieldExtractor({"a..b"}), std::invalid_argument);
  EXPECT_THROW(JsonFieldExtractor(std::vector<std::string>(9, "a")), std::invalid_argument);
}

TEST(JsonFields, DecodesEscapes) {
  std::string out;
  ASSERT_TRUE(DecodeJsonString(R"(a\"b\\c\/d\n\u00e9\u20ac\ud83d\ude00)", &out));
  EXPECT_EQ(out, "a\"b\\c/d\n\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
  ASSERT_TRUE(DecodeJsonString(R"(\ud83d)", &out));  // lone surrogate: replacement character
  EXPECT_EQ(out, "\xEF\xBF\xBD");
  EXPECT_FALSE(DecodeJsonString(R"(\q)", &out));
  EXPECT_FALSE(DecodeJsonString(R"(\u12)", &out));
}

TEST(JsonFields, ScaledDecimalsAreExact) {
  int64_t ns = 0;
  ASSERT_TRUE(ParseScaledDecimal("1783175888085434", 1000, &ns));
  EXPECT_EQ(ns, 1783175888085434000);
  ASSERT_TRUE(ParseScaledDecimal("1789616553.25", 1'000'000'000, &ns));
  EXPECT_EQ(ns, 1789616553250000000);
  ASSERT_TRUE(ParseScaledDecimal("1.0000000019", 1'000'000'000, &ns));  // below 1 ns: cut
  EXPECT_EQ(ns, 1000000001);
  ASSERT_TRUE(ParseScaledDecimal("-3", 1'000'000, &ns));
  EXPECT_EQ(ns, -3'000'000);
  ASSERT_TRUE(ParseScaledDecimal("1.5e3", 1'000'000, &ns));
  EXPECT_EQ(ns, 1'500'000'000);
  EXPECT_FALSE(ParseScaledDecimal("", 1, &ns));
  EXPECT_FALSE(ParseScaledDecimal("-", 1, &ns));
  EXPECT_FALSE(ParseScaledDecimal("12a", 1, &ns));
  EXPECT_FALSE(ParseScaledDecimal("99999999999999999999", 1, &ns));
  EXPECT_FALSE(ParseScaledDecimal("9999999999999999", 1'000'000'000, &ns));  // overflows int64 ns
}

int64_t Utc(int y, int mo, int d, int h, int mi, int s) {
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return static_cast<int64_t>(timegm(&tm)) * 1'000'000'000;
}

TEST(JsonFields, Iso8601AsWikipediaWritesIt) {
  int64_t ns = 0;
  ASSERT_TRUE(ParseIso8601("2026-09-17T03:42:33.778Z", &ns));
  EXPECT_EQ(ns, Utc(2026, 9, 17, 3, 42, 33) + 778'000'000);
  ASSERT_TRUE(ParseIso8601("2026-09-17T05:42:33.123456789+02:00", &ns));
  EXPECT_EQ(ns, Utc(2026, 9, 17, 3, 42, 33) + 123'456'789);
  ASSERT_TRUE(ParseIso8601("2026-09-16T22:42:33-0500", &ns));
  EXPECT_EQ(ns, Utc(2026, 9, 17, 3, 42, 33));
  ASSERT_TRUE(ParseIso8601("2026-09-17 03:42:33", &ns));  // no zone: UTC
  EXPECT_EQ(ns, Utc(2026, 9, 17, 3, 42, 33));
  ASSERT_TRUE(ParseIso8601("2024-02-29T00:00Z", &ns));
  EXPECT_EQ(ns, Utc(2024, 2, 29, 0, 0, 0));
  ASSERT_TRUE(ParseIso8601("1969-12-31T23:59:59Z", &ns));
  EXPECT_EQ(ns, -1'000'000'000);
  for (const char* bad : {"", "2026-09-17", "2023-02-29T00:00:00Z", "2026-13-01T00:00:00Z",
                          "2026-09-17T24:00:00Z", "2026-09-17T03:42:33.Z", "2026-09-17T03:42:33Q",
                          "2026-09-17T03:42:33Z trailing", "17/09/2026 03:42:33"}) {
    EXPECT_FALSE(ParseIso8601(bad, &ns)) << bad;
  }
}

}  // namespace
}  // namespace sluice
