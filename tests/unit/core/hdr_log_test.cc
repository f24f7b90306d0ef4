#include "sluice/core/hdr_log.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace sluice {
namespace {

// An independent reader of what the encoder wrote: HdrHistogram's V2
// layout, decoded by hand from its description, not by the code under test.
uint64_t BigEndian(const std::string& s, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<uint8_t>(s[at + i]);
  return v;
}

int64_t ReadZigZag(const std::string& s, size_t* at) {
  uint64_t v = 0;
  int shift = 0;
  for (int i = 0; i < 9; ++i) {
    const uint8_t b = static_cast<uint8_t>(s.at((*at)++));
    if (i == 8) {
      v |= static_cast<uint64_t>(b) << 56;
      break;
    }
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    shift += 7;
    if ((b & 0x80) == 0) break;
  }
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

std::vector<int64_t> DecodeCounts(const std::string& raw) {
  EXPECT_EQ(BigEndian(raw, 0, 4), kHdrV2EncodingCookie);
  const size_t payload = BigEndian(raw, 4, 4);
  EXPECT_EQ(raw.size(), 40 + payload);
  std::vector<int64_t> counts;
  size_t at = 40;
  while (at < raw.size()) {
    const int64_t v = ReadZigZag(raw, &at);
    if (v < 0) {
      counts.insert(counts.end(), static_cast<size_t>(-v), 0);
    } else {
      counts.push_back(v);
    }
  }
  return counts;
}

std::string FromBase64(const std::string& text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const int v = value(c);
    if (v < 0) break;  // '=' padding
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

std::string Bytes(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

TEST(HdrLog, ZigZagLeb128AsHdrHistogramWritesIt) {
  struct Case {
    int64_t value;
    std::string bytes;
  };
  const std::vector<Case> cases = {
      {0, Bytes({0x00})},         {-1, Bytes({0x01})},       {1, Bytes({0x02})},
      {63, Bytes({0x7e})},        {64, Bytes({0x80, 0x01})}, {-65, Bytes({0x81, 0x01})},
      {300, Bytes({0xd8, 0x04})},
  };
  for (const Case& c : cases) {
    std::string out;
    EXPECT_EQ(AppendZigZagLeb128(out, c.value), static_cast<int>(c.bytes.size())) << c.value;
    EXPECT_EQ(out, c.bytes) << c.value;
  }
  // Past 56 bits the 9th byte carries 8 bits whole.
  std::string out;
  EXPECT_EQ(AppendZigZagLeb128(out, INT64_MAX), 9);
  size_t at = 0;
  EXPECT_EQ(ReadZigZag(out, &at), INT64_MAX);
  out.clear();
  EXPECT_EQ(AppendZigZagLeb128(out, INT64_MIN), 9);
  at = 0;
  EXPECT_EQ(ReadZigZag(out, &at), INT64_MIN);
}

TEST(HdrLog, V2CarriesTheLayoutAndEveryCount) {
  LatencyHistogram h;
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> latency(std::log(2e6), 1.2);  // ~2 ms median
  for (int i = 0; i < 20000; ++i) h.Record(static_cast<int64_t>(latency(rng)));
  h.Record(0);
  h.RecordN(5, 3);

  const std::string raw = EncodeV2(h);
  EXPECT_EQ(BigEndian(raw, 8, 4), 0u);  // normalizing index offset
  EXPECT_EQ(BigEndian(raw, 12, 4), static_cast<uint64_t>(h.SignificantDigits()));
  EXPECT_EQ(BigEndian(raw, 16, 8), static_cast<uint64_t>(h.LowestDiscernible()));
  EXPECT_EQ(BigEndian(raw, 24, 8), static_cast<uint64_t>(h.HighestTrackable()));
  EXPECT_EQ(BigEndian(raw, 32, 8), 0x3ff0000000000000u);  // 1.0

  const std::vector<int64_t> decoded = DecodeCounts(raw);
  const std::vector<int64_t>& counts = h.RawCounts();
  ASSERT_LE(decoded.size(), counts.size());
  ASSERT_GT(decoded.size(), 0u);
  EXPECT_NE(decoded.back(), 0);  // trailing zeros are not written
  int64_t total = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    const int64_t got = i < decoded.size() ? decoded[i] : 0;
    ASSERT_EQ(got, counts[i]) << "index " << i;
    total += got;
  }
  EXPECT_EQ(total, h.TotalCount());
}

TEST(HdrLog, CompressedV2IsZlibOfV2BehindItsCookie) {
  LatencyHistogram h;
  for (int64_t v = 1000; v < 5'000'000; v += 997) h.Record(v);
  const std::string framed = FromBase64(EncodeCompressedV2(h));
  ASSERT_GT(framed.size(), 8u);
  EXPECT_EQ(BigEndian(framed, 0, 4), kHdrV2CompressionCookie);
  EXPECT_EQ(BigEndian(framed, 4, 4), framed.size() - 8);
  const std::string raw = EncodeV2(h);
  std::string inflated(raw.size(), '\0');
  uLongf length = inflated.size();
  ASSERT_EQ(uncompress(reinterpret_cast<Bytef*>(inflated.data()), &length,
                       reinterpret_cast<const Bytef*>(framed.data() + 8), framed.size() - 8),
            Z_OK);
  EXPECT_EQ(length, raw.size());
  EXPECT_EQ(inflated, raw);
}

TEST(HdrLog, AnEmptyHistogramEncodesNoCounts) {
  LatencyHistogram h;
  const std::string raw = EncodeV2(h);
  EXPECT_EQ(raw.size(), 40u);
  EXPECT_EQ(BigEndian(raw, 4, 4), 0u);
}

TEST(HdrLog, IntervalLogHasHeaderLegendAndTaggedLines) {
  LatencyHistogram h;
  h.Record(2'500'000);
  std::ostringstream out;
  HlogWriter writer(out, 1764467296.25, "sluice quickstart cell 0 repetition 0");
  writer.WriteInterval("end_to_end", 0, 10, h);
  writer.WriteInterval("bad tag,x", 10, 1, h);
  std::istringstream in(out.str());
  std::string line;
  std::vector<std::string> lines;
  while (std::getline(in, line)) lines.push_back(line);
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[0], "#[Histogram log format version 1.3]");
  EXPECT_EQ(lines[1], "#[StartTime: 1764467296.250 (seconds since epoch), 2025-11-30T01:48:16Z]");
  EXPECT_EQ(lines[2], "#sluice quickstart cell 0 repetition 0");
  EXPECT_EQ(lines[3],
            "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"");
  EXPECT_EQ(lines[4].rfind("Tag=end_to_end,0.000,10.000,2.500,", 0), 0u) << lines[4];
  EXPECT_EQ(lines[5].rfind("Tag=bad_tag_x,10.000,1.000,", 0), 0u) << lines[5];
  EXPECT_EQ(lines[4].substr(lines[4].rfind(',') + 1), EncodeCompressedV2(h));
}

}  // namespace
}  // namespace sluice
