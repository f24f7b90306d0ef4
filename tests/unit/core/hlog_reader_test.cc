#include "sluice/core/hlog_reader.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace sluice
