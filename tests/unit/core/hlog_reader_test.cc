#include "sluice/core/hlog_reader.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <sstream>

#include "sluice/core/hdr_log.h"
#include "sluice/core/random.h"

namespace sluice {
namespace {

// What HlogWriter writes, ReadHlog reads back: the tags, the times, and
// every bucket's count (so merged shards add up exactly).
TEST(HlogReader, ReadsBackEveryBucketOfWhatTheWriterWrote) {
  LatencyHistogram a, b;
  Rng rng(5);
  for (int i = 0; i < 20000; ++i) a.Record(static_cast<int64_t>(rng.Exponential() * 3e6));
  for (int i = 0; i < 500; ++i) b.Record(1 + static_cast<int64_t>(rng.Below(1'000'000'000)));
  b.RecordN(7'000'000'000'000, 3);  // beyond the highest trackable: counted at the top
  std::ostringstream text;
  HlogWriter writer(text, 1796016343.5, "test");
  writer.WriteInterval("end_to_end", 0.5, 2.0, a);
  writer.WriteInterval("kafka", 0.5, 2.0, b);
  writer.WriteInterval("", 1, 1, LatencyHistogram());
  std::istringstream in(text.str());
  const Hlog log = ReadHlog(in, "t.hlog");
  EXPECT_DOUBLE_EQ(log.start_time_s, 1796016343.5);
  ASSERT_EQ(log.intervals.size(), 3u);
  EXPECT_EQ(log.intervals[0].tag, "end_to_end");
  EXPECT_EQ(log.intervals[1].tag, "kafka");
  EXPECT_EQ(log.intervals[2].tag, "");
  EXPECT_DOUBLE_EQ(log.intervals[0].start_s, 0.5);
  EXPECT_DOUBLE_EQ(log.intervals[0].length_s, 2.0);
  EXPECT_EQ(log.intervals[0].histogram.RawCounts(), a.RawCounts());
  EXPECT_EQ(log.intervals[1].histogram.RawCounts(), b.RawCounts());
  EXPECT_EQ(log.intervals[0].histogram.TotalCount(), a.TotalCount());
  for (double p : {50.0, 99.0, 99.9}) {
    EXPECT_EQ(log.intervals[0].histogram.ValueAtPercentile(p), a.ValueAtPercentile(p)) << p;
  }
  EXPECT_NEAR(log.intervals[0].histogram.Mean(), a.Mean(), a.Mean() * 0.001);
  EXPECT_EQ(log.intervals[2].histogram.TotalCount(), 0);
}

TEST(HlogReader, RefusesWhatIsNotAHistogramNamingTheLine) {
  for (const char* bad : {"0.0,1.0,1.0,!!!!", "0.0,1.0,1.0,QUJD", "Tag=x", "0.0,1.0"}) {
    std::istringstream in(std::string("#[StartTime: 1.0 (seconds since epoch)]\n") + bad + "\n");
    try {
      ReadHlog(in, "bad.hlog");
      ADD_FAILURE() << bad;
    } catch (const HlogError& e) {
      EXPECT_NE(std::string(e.what()).find("bad.hlog:2:"), std::string::npos) << e.what();
    }
  }
}

// The framing of EncodeCompressedV2 around any V2 bytes: cookie, length,
// zlib, base64.
std::string CompressForTest(const std::string& raw) {
  uLongf size = compressBound(static_cast<uLong>(raw.size()));
  std::string framed(8 + size, '\0');
  compress(reinterpret_cast<Bytef*>(framed.data() + 8), &size, reinterpret_cast<const Bytef*>(raw.data()),
           static_cast<uLong>(raw.size()));
  framed.resize(8 + size);
  const uint32_t words[2] = {kHdrV2CompressionCookie, static_cast<uint32_t>(size)};
  for (int w = 0; w < 2; ++w) {
    for (int i = 0; i < 4; ++i) framed[4 * w + i] = static_cast<char>((words[w] >> (24 - 8 * i)) & 0xff);
  }
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < framed.size(); i += 3) {
    uint32_t n = static_cast<uint8_t>(framed[i]) << 16;
    if (i + 1 < framed.size()) n |= static_cast<uint8_t>(framed[i + 1]) << 8;
    if (i + 2 < framed.size()) n |= static_cast<uint8_t>(framed[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < framed.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < framed.size() ? kAlphabet[n & 63] : '=';
  }
  return out;
}

// A histogram whose counts run past its buckets (a long zero run, or more
// counts than buckets) is refused, not read out of bounds.
TEST(HlogReader, RefusesCountsBeyondTheBuckets) {
  LatencyHistogram one(1, 1000, 1);
  one.Record(5);
  const std::string raw = EncodeV2(one);
  ASSERT_EQ(DecodeCompressedV2(CompressForTest(raw)).RawCounts(), one.RawCounts());  // the framing is right
  for (int64_t extra : {-1'000'000'000'000LL, -5000LL, 1LL}) {
    std::string bad = raw;
    std::string tail;
    for (int i = 0; i < (extra > 0 ? 600 : 1); ++i) AppendZigZagLeb128(tail, extra);
    bad += tail;
    const uint32_t payload = static_cast<uint32_t>(bad.size() - 40);
    for (int i = 0; i < 4; ++i) bad[4 + i] = static_cast<char>((payload >> (24 - 8 * i)) & 0xff);
    EXPECT_THROW(
        {
          std::ostringstream log;
          log << "#[StartTime: 1.0 (seconds since epoch)]\n0,1,1," << CompressForTest(bad) << "\n";
          std::istringstream in(log.str());
          ReadHlog(in, "bad.hlog");
        },
        HlogError)
        << extra;
  }
}

}  // namespace
}  // namespace sluice
