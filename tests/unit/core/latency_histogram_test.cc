#include "sluice/core/latency_histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace sluice {
namespace {

constexpr int64_t kMicrosecond = 1000;
constexpr int64_t kSecond = 1000 * 1000 * 1000;
constexpr int64_t kHour = 3600 * kSecond;

// Values drawn log-uniformly from [lo, hi]. The uniform double is built from
// raw mt19937_64 bits so the sequence does not depend on the standard
// library's distribution implementation.
std::vector<int64_t> LogUniform(size_t n, int64_t lo, int64_t hi,
                                uint64_t seed) {
  std::mt19937_64 rng(seed);
  const double log_lo = std::log(static_cast<double>(lo));
  const double log_hi = std::log(static_cast<double>(hi));
  std::vector<int64_t> values(n);
  for (auto& v : values) {
    const double u = static_cast<double>(rng() >> 11) * 0x1p-53;
    const double x = std::exp(log_lo + u * (log_hi - log_lo));
    v = std::clamp<int64_t>(std::llround(x), lo, hi);
  }
  return values;
}

// The exact percentile by the header's definition: the rank-th smallest value
// with rank = max(1, ceil(parts / denominator * N)), in integer arithmetic.
int64_t ExactPercentile(const std::vector<int64_t>& sorted, int64_t parts,
                        int64_t denominator) {
  const int64_t n = static_cast<int64_t>(sorted.size());
  const int64_t rank =
      std::max<int64_t>(1, (parts * n + denominator - 1) / denominator);
  return sorted[rank - 1];
}

// The reported value must be at least the exact one (it is the top of the
// exact value's sub-bucket, or the max) and within value / 10^3 of it.
void ExpectWithinPrecision(int64_t reported, int64_t exact,
                           const std::string& what) {
  EXPECT_GE(reported, exact) << what;
  EXPECT_LE(reported - exact, exact / 1000) << what;
}

TEST(LatencyHistogramTest, PercentilesWithinPrecisionOfExactValues) {
  // An even N (all standard ranks exact integers) and an odd one (ranks
  // rounded up).
  for (const size_t n : {size_t{200000}, size_t{199999}}) {
    SCOPED_TRACE("n=" + std::to_string(n));
    std::vector<int64_t> values =
        LogUniform(n, kMicrosecond, 10 * kSecond, /*seed=*/20240611);
    LatencyHistogram histogram;
    for (const int64_t v : values) histogram.Record(v);
    std::sort(values.begin(), values.end());

    long double sum = 0;
    for (const int64_t v : values) sum += v;
    const double exact_mean = static_cast<double>(sum / n);

    EXPECT_EQ(histogram.TotalCount(), static_cast<int64_t>(n));
    EXPECT_EQ(histogram.Min(), values.front());
    EXPECT_EQ(histogram.Max(), values.back());
    EXPECT_DOUBLE_EQ(histogram.Mean(), exact_mean);
    EXPECT_EQ(histogram.Overflows(), 0);

    struct Level {
      double pct;
      int64_t parts;  // pct = parts / 1'000'000 * 100.
    };
    const Level levels[] = {{50.0, 500000}, {90.0, 900000}, {99.0, 990000},
                            {99.9, 999000}, {99.99, 999900}};
    for (const Level& level : levels) {
      const int64_t exact = ExactPercentile(values, level.parts, 1000000);
      const int64_t reported = histogram.ValueAtPercentile(level.pct);
      ExpectWithinPrecision(reported, exact, "p" + std::to_string(level.pct));
      EXPECT_EQ(reported, histogram.HighestEquivalentValue(exact));
    }
    EXPECT_EQ(histogram.ValueAtPercentile(100), values.back());
    EXPECT_EQ(histogram.ValueAtPercentile(0),
              histogram.HighestEquivalentValue(values.front()));

    // Every 0.1% level, not just the standard ones.
    for (int64_t tenths = 0; tenths <= 1000; ++tenths) {
      const int64_t exact = ExactPercentile(values, tenths, 1000);
      ExpectWithinPrecision(histogram.ValueAtPercentile(tenths / 10.0), exact,
                            "tenths=" + std::to_string(tenths));
    }

    const LatencySummary summary = histogram.Summarize();
    EXPECT_EQ(summary.count, static_cast<int64_t>(n));
    EXPECT_DOUBLE_EQ(summary.mean_ns, exact_mean);
    EXPECT_EQ(summary.p50_ns, histogram.ValueAtPercentile(50));
    EXPECT_EQ(summary.p90_ns, histogram.ValueAtPercentile(90));
    EXPECT_EQ(summary.p99_ns, histogram.ValueAtPercentile(99));
    EXPECT_EQ(summary.p999_ns, histogram.ValueAtPercentile(99.9));
    EXPECT_EQ(summary.p9999_ns, histogram.ValueAtPercentile(99.99));
    EXPECT_EQ(summary.min_ns, values.front());
    EXPECT_EQ(summary.max_ns, values.back());
    EXPECT_EQ(summary.overflows, 0);
  }
}

TEST(LatencyHistogramTest, StdDevCloseToExact) {
  const std::vector<int64_t> values =
      LogUniform(50000, kMicrosecond, 10 * kSecond, /*seed=*/7);
  LatencyHistogram histogram;
  long double sum = 0;
  for (const int64_t v : values) {
    histogram.Record(v);
    sum += v;
  }
  const long double mean = sum / values.size();
  long double squares = 0;
  for (const int64_t v : values) squares += (v - mean) * (v - mean);
  const double exact = static_cast<double>(std::sqrt(squares / values.size()));
  EXPECT_NEAR(histogram.StdDev(), exact, exact * 1e-3);

  LatencyHistogram constant;
  constant.RecordN(1234567, 1000);
  EXPECT_EQ(constant.StdDev(), 0.0);
}

TEST(LatencyHistogramTest, MicrosecondToHourAtFullPrecision) {
  LatencyHistogram histogram;
  // Every value up to 100k, then a geometric sweep to one hour, plus the
  // values either side of every power of two.
  std::vector<int64_t> probes;
  for (int64_t v = 0; v <= 100000; ++v) probes.push_back(v);
  for (double v = 100000; v <= static_cast<double>(kHour); v *= 1.0007) {
    probes.push_back(static_cast<int64_t>(v));
  }
  for (int shift = 1; (int64_t{1} << shift) <= kHour; ++shift) {
    for (int64_t delta : {-1, 0, 1}) {
      probes.push_back((int64_t{1} << shift) + delta);
    }
  }
  probes.push_back(kHour);
  for (const int64_t v : probes) {
    const int64_t lowest = histogram.LowestEquivalentValue(v);
    const int64_t highest = histogram.HighestEquivalentValue(v);
    ASSERT_LE(lowest, v);
    ASSERT_GE(highest, v);
    ASSERT_LE(highest - lowest, v / 1000) << "v=" << v;
    // Sub-buckets tile the line: the next one starts right after this one.
    ASSERT_EQ(histogram.LowestEquivalentValue(highest + 1), highest + 1)
        << "v=" << v;
    if (v < 2048) {
      ASSERT_EQ(lowest, highest) << "v=" << v;  // 1 ns resolution.
    }
  }

  for (const int64_t v : {kMicrosecond, kSecond, kHour}) {
    LatencyHistogram single;
    single.Record(v);
    EXPECT_EQ(single.CountAtValue(v), 1);
    EXPECT_EQ(single.Overflows(), 0);
    EXPECT_EQ(single.Max(), v);
    EXPECT_EQ(single.ValueAtPercentile(100), v);
    ExpectWithinPrecision(single.ValueAtPercentile(50), v,
                          "v=" + std::to_string(v));
  }
}

TEST(LatencyHistogramTest, OtherPrecisionsKeepTheirBound) {
  for (int digits = 1; digits <= 5; ++digits) {
    LatencyHistogram histogram(1, kHour, digits);
    int64_t bound_divisor = 1;
    for (int i = 0; i < digits; ++i) bound_divisor *= 10;
    EXPECT_GE(histogram.SubBucketCount(), 2 * bound_divisor);
    for (double v = 1; v <= static_cast<double>(kHour); v *= 1.013) {
      const int64_t value = static_cast<int64_t>(v);
      ASSERT_LE(histogram.HighestEquivalentValue(value) - value,
                value / bound_divisor)
          << "digits=" << digits << " v=" << value;
    }
  }
}

TEST(LatencyHistogramTest, ClampsInsteadOfLosingValues) {
  LatencyHistogram histogram(1, kHour, 3);
  histogram.Record(-5);
  EXPECT_EQ(histogram.Min(), 0);
  EXPECT_EQ(histogram.CountAtValue(0), 1);

  histogram.Record(kHour + 1);
  histogram.Record(INT64_MAX);
  histogram.RecordN(2 * kHour, 3);
  EXPECT_EQ(histogram.Overflows(), 5);
  EXPECT_EQ(histogram.TotalCount(), 6);
  EXPECT_EQ(histogram.Max(), kHour);
  EXPECT_EQ(histogram.CountAtValue(kHour), 5);
  EXPECT_EQ(histogram.ValueAtPercentile(100), kHour);
  EXPECT_EQ(histogram.ValueAtPercentile(50), kHour);
  EXPECT_DOUBLE_EQ(histogram.Mean(), 5.0 * kHour / 6.0);
  EXPECT_EQ(histogram.Summarize().overflows, 5);

  // A value exactly at the limit is not an overflow.
  histogram.Record(kHour);
  EXPECT_EQ(histogram.Overflows(), 5);

  // Non-positive counts record nothing.
  histogram.RecordN(100, 0);
  histogram.RecordN(100, -3);
  EXPECT_EQ(histogram.TotalCount(), 7);
  EXPECT_EQ(histogram.CountAtValue(100), 0);
}

TEST(LatencyHistogramTest, ValuesBelowResolutionShareTheLowestSubBucket) {
  LatencyHistogram histogram(/*lowest_discernible=*/1000, kHour, 3);
  histogram.Record(5);
  histogram.Record(0);
  EXPECT_EQ(histogram.LowestEquivalentValue(5), 0);
  EXPECT_EQ(histogram.CountAtValue(0), 2);
  EXPECT_EQ(histogram.Min(), 0);
  EXPECT_EQ(histogram.Max(), 5);  // Exact, not the sub-bucket's top (511).
  EXPECT_EQ(histogram.ValueAtPercentile(50), 5);
}

TEST(LatencyHistogramTest, EmptyHistogramReportsZeros) {
  const LatencyHistogram histogram;
  EXPECT_EQ(histogram.TotalCount(), 0);
  EXPECT_EQ(histogram.Min(), 0);
  EXPECT_EQ(histogram.Max(), 0);
  EXPECT_EQ(histogram.Mean(), 0.0);
  EXPECT_EQ(histogram.StdDev(), 0.0);
  EXPECT_EQ(histogram.ValueAtPercentile(0), 0);
  EXPECT_EQ(histogram.ValueAtPercentile(50), 0);
  EXPECT_EQ(histogram.ValueAtPercentile(100), 0);
  const LatencySummary summary = histogram.Summarize();
  EXPECT_EQ(summary.count, 0);
  EXPECT_EQ(summary.mean_ns, 0.0);
  EXPECT_EQ(summary.p50_ns, 0);
  EXPECT_EQ(summary.p9999_ns, 0);
  EXPECT_EQ(summary.max_ns, 0);
  EXPECT_EQ(summary.min_ns, 0);
}

TEST(LatencyHistogramTest, PercentileArgumentIsClamped) {
  LatencyHistogram histogram;
  for (int64_t v = 1; v <= 100; ++v) histogram.Record(v);
  EXPECT_EQ(histogram.ValueAtPercentile(-1), 1);
  EXPECT_EQ(histogram.ValueAtPercentile(std::nan("")), 1);
  EXPECT_EQ(histogram.ValueAtPercentile(250), 100);
  EXPECT_EQ(histogram.ValueAtPercentile(50), 50);
  EXPECT_EQ(histogram.ValueAtPercentile(50.5), 51);
  EXPECT_EQ(histogram.ValueAtPercentile(99), 99);
  EXPECT_EQ(histogram.ValueAtPercentile(99.9), 100);
}

TEST(LatencyHistogramTest, MergeEqualsRecordingEverythingInOne) {
  const std::vector<int64_t> values =
      LogUniform(30000, 1, 2 * kHour, /*seed=*/99);
  LatencyHistogram all;
  std::vector<LatencyHistogram> parts(3);
  for (size_t i = 0; i < values.size(); ++i) {
    all.Record(values[i]);
    parts[i % parts.size()].Record(values[i]);
  }
  all.Record(3 * kHour);  // An overflow, in one part only.
  parts[1].Record(3 * kHour);

  LatencyHistogram merged;
  for (const LatencyHistogram& part : parts) merged.Merge(part);
  merged.Merge(LatencyHistogram());  // Merging an empty one changes nothing.
  EXPECT_TRUE(merged == all);
  EXPECT_EQ(merged.Overflows(), 1);
  EXPECT_EQ(merged.Min(), all.Min());
  EXPECT_EQ(merged.Max(), all.Max());
  EXPECT_EQ(merged.Mean(), all.Mean());
  EXPECT_EQ(merged.ValueAtPercentile(99.9), all.ValueAtPercentile(99.9));

  merged.Reset();
  EXPECT_TRUE(merged == LatencyHistogram());
  EXPECT_FALSE(all == LatencyHistogram());
}

TEST(LatencyHistogramTest, MergeOfMismatchedLayoutsThrows) {
  LatencyHistogram histogram;
  EXPECT_THROW(histogram.Merge(LatencyHistogram(1, kHour, 3)),
               std::invalid_argument);
  EXPECT_THROW(histogram.Merge(LatencyHistogram(
                   1, LatencyHistogram::kDefaultHighestTrackableNs, 2)),
               std::invalid_argument);
  EXPECT_THROW(histogram.Merge(LatencyHistogram(
                   1000, LatencyHistogram::kDefaultHighestTrackableNs, 3)),
               std::invalid_argument);
  EXPECT_EQ(histogram.TotalCount(), 0);
}

TEST(LatencyHistogramTest, BadConstructorArgumentsThrow) {
  EXPECT_THROW(LatencyHistogram(0, kHour, 3), std::invalid_argument);
  EXPECT_THROW(LatencyHistogram(-1, kHour, 3), std::invalid_argument);
  EXPECT_THROW(LatencyHistogram(1000, 1999, 3), std::invalid_argument);
  EXPECT_THROW(LatencyHistogram(1, kHour, 0), std::invalid_argument);
  EXPECT_THROW(LatencyHistogram(1, kHour, 6), std::invalid_argument);
  EXPECT_THROW(LatencyHistogram(1, -5, 3), std::invalid_argument);
  try {
    LatencyHistogram(1, kHour, 9);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("significant_digits"),
              std::string::npos)
        << e.what();
  }
  // The extremes that are allowed.
  EXPECT_NO_THROW(LatencyHistogram(1000, 2000, 3));
  EXPECT_NO_THROW(LatencyHistogram(1, INT64_MAX, 3));
  EXPECT_NO_THROW(LatencyHistogram(int64_t{1} << 61, INT64_MAX, 5));
}

TEST(LatencyHistogramTest, FullInt64RangeIsRecordable) {
  LatencyHistogram histogram(1, INT64_MAX, 3);
  histogram.Record(INT64_MAX);
  histogram.Record(INT64_MAX - 1);
  histogram.Record(1);
  EXPECT_EQ(histogram.Overflows(), 0);
  EXPECT_EQ(histogram.Max(), INT64_MAX);
  EXPECT_EQ(histogram.HighestEquivalentValue(INT64_MAX), INT64_MAX);
  EXPECT_EQ(histogram.CountAtValue(INT64_MAX), 2);
  EXPECT_EQ(histogram.ValueAtPercentile(100), INT64_MAX);
  EXPECT_EQ(histogram.ValueAtPercentile(50), INT64_MAX);
  // The 128-bit sum does not overflow.
  EXPECT_DOUBLE_EQ(histogram.Mean(),
                   2.0 * static_cast<double>(INT64_MAX) / 3);
}

TEST(LatencyHistogramTest, DefaultLayout) {
  const LatencyHistogram histogram;
  EXPECT_EQ(histogram.SubBucketCount(), 2048);
  EXPECT_EQ(histogram.BucketCount(), 33);  // 2048 * 2^32 > 2 hours in ns.
  EXPECT_LT(histogram.MemoryBytes(), size_t{300} * 1024);
}

// --- .hgrm output ------------------------------------------------------------

struct HgrmRow {
  double value;
  double percentile;
  long long total_count;
  bool has_inverse;
  double inverse;
};

struct Hgrm {
  std::vector<HgrmRow> rows;
  std::vector<std::string> footer;
};

// Parses .hgrm text the way a plotter would; fails the test on any line it
// does not understand.
Hgrm ParseHgrm(const std::string& text) {
  Hgrm hgrm;
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "       Value     Percentile TotalCount 1/(1-Percentile)");
  std::getline(in, line);
  EXPECT_EQ(line, "");
  while (std::getline(in, line)) {
    if (line.rfind("#[", 0) == 0) {
      hgrm.footer.push_back(line);
      continue;
    }
    EXPECT_TRUE(hgrm.footer.empty()) << "row after footer: " << line;
    std::istringstream fields(line);
    HgrmRow row{};
    fields >> row.value >> row.percentile >> row.total_count;
    EXPECT_TRUE(fields) << "unparsable row: " << line;
    row.has_inverse = static_cast<bool>(fields >> row.inverse);
    hgrm.rows.push_back(row);
  }
  return hgrm;
}

TEST(LatencyHistogramTest, HgrmOutputParsesBack) {
  const std::vector<int64_t> values =
      LogUniform(100000, kMicrosecond, 10 * kSecond, /*seed=*/5);
  LatencyHistogram histogram;
  for (const int64_t v : values) histogram.Record(v);
  std::ostringstream out;
  histogram.WritePercentiles(out, /*unit_scale=*/1e6);  // Milliseconds.
  const Hgrm hgrm = ParseHgrm(out.str());

  ASSERT_GE(hgrm.rows.size(), 20u);
  EXPECT_EQ(hgrm.rows.front().percentile, 0.0);
  EXPECT_NEAR(hgrm.rows.front().value, histogram.Min() / 1e6, 1e-3);
  for (size_t i = 1; i < hgrm.rows.size(); ++i) {
    const HgrmRow& previous = hgrm.rows[i - 1];
    const HgrmRow& row = hgrm.rows[i];
    EXPECT_GE(row.value, previous.value) << "row " << i;
    EXPECT_GT(row.percentile, previous.percentile) << "row " << i;
    EXPECT_GE(row.total_count, previous.total_count) << "row " << i;
  }
  for (size_t i = 0; i + 1 < hgrm.rows.size(); ++i) {
    const HgrmRow& row = hgrm.rows[i];
    ASSERT_TRUE(row.has_inverse) << "row " << i;
    EXPECT_NEAR(row.inverse, 1 / (1 - row.percentile), 0.01) << "row " << i;
    // The row's value is the percentile's value (to print precision).
    EXPECT_NEAR(row.value,
                histogram.ValueAtPercentile(row.percentile * 100) / 1e6,
                0.0011)
        << "row " << i;
    // Its count has reached the level.
    EXPECT_GE(static_cast<double>(row.total_count),
              row.percentile * histogram.TotalCount() - 1e-6)
        << "row " << i;
  }
  const HgrmRow& last = hgrm.rows.back();
  EXPECT_EQ(last.percentile, 1.0);
  EXPECT_FALSE(last.has_inverse);
  EXPECT_EQ(last.total_count, histogram.TotalCount());
  EXPECT_NEAR(last.value, histogram.Max() / 1e6, 1e-3);

  ASSERT_EQ(hgrm.footer.size(), 3u);
  double mean = 0, stddev = 0, max = 0;
  long long total = 0;
  int buckets = 0, sub_buckets = 0;
  EXPECT_EQ(std::sscanf(hgrm.footer[0].c_str(),
                        "#[Mean    = %lf, StdDeviation   = %lf]", &mean,
                        &stddev),
            2);
  EXPECT_EQ(std::sscanf(hgrm.footer[1].c_str(),
                        "#[Max     = %lf, Total count    = %lld]", &max,
                        &total),
            2);
  EXPECT_EQ(std::sscanf(hgrm.footer[2].c_str(),
                        "#[Buckets = %d, SubBuckets     = %d]", &buckets,
                        &sub_buckets),
            2);
  EXPECT_NEAR(mean, histogram.Mean() / 1e6, 1e-3);
  EXPECT_NEAR(stddev, histogram.StdDev() / 1e6, 1e-3);
  EXPECT_NEAR(max, histogram.Max() / 1e6, 1e-3);
  EXPECT_EQ(total, histogram.TotalCount());
  EXPECT_EQ(buckets, 33);
  EXPECT_EQ(sub_buckets, 2048);
}

TEST(LatencyHistogramTest, HgrmTicksHalveTheDistanceTo100Percent) {
  // Ten values at 1 ns resolution: every row can be worked out by hand.
  // Levels go 0, 10, ..., 50 (step 10), 55 ... 75 (step 5), 77.5 ... 87.5
  // (step 2.5), 88.75, 90, 91.25 (step 1.25); a row is printed for each level
  // the cumulative count reaches, and the last value prints one more row and
  // the 100% row.
  LatencyHistogram histogram;
  for (int64_t v = 1; v <= 10; ++v) histogram.Record(v);
  std::ostringstream out;
  histogram.WritePercentiles(out, /*unit_scale=*/1.0);
  const std::string expected =
      "       Value     Percentile TotalCount 1/(1-Percentile)\n"
      "\n"
      "       1.000 0.000000000000          1           1.00\n"
      "       1.000 0.100000000000          1           1.11\n"
      "       2.000 0.200000000000          2           1.25\n"
      "       3.000 0.300000000000          3           1.43\n"
      "       4.000 0.400000000000          4           1.67\n"
      "       5.000 0.500000000000          5           2.00\n"
      "       6.000 0.550000000000          6           2.22\n"
      "       6.000 0.600000000000          6           2.50\n"
      "       7.000 0.650000000000          7           2.86\n"
      "       7.000 0.700000000000          7           3.33\n"
      "       8.000 0.750000000000          8           4.00\n"
      "       8.000 0.775000000000          8           4.44\n"
      "       8.000 0.800000000000          8           5.00\n"
      "       9.000 0.825000000000          9           5.71\n"
      "       9.000 0.850000000000          9           6.67\n"
      "       9.000 0.875000000000          9           8.00\n"
      "       9.000 0.887500000000          9           8.89\n"
      "       9.000 0.900000000000          9          10.00\n"
      "      10.000 0.912500000000         10          11.43\n"
      "      10.000 1.000000000000         10\n"
      "#[Mean    =        5.500, StdDeviation   =        2.872]\n"
      "#[Max     =       10.000, Total count    =           10]\n"
      "#[Buckets =           33, SubBuckets     =         2048]\n";
  EXPECT_EQ(out.str(), expected);
}

TEST(LatencyHistogramTest, HgrmOfEmptyHistogramHasHeaderAndFooterOnly) {
  std::ostringstream out;
  LatencyHistogram().WritePercentiles(out, 1e3);
  const Hgrm hgrm = ParseHgrm(out.str());
  EXPECT_TRUE(hgrm.rows.empty());
  ASSERT_EQ(hgrm.footer.size(), 3u);
  EXPECT_NE(hgrm.footer[1].find("Total count    =            0"),
            std::string::npos)
      << hgrm.footer[1];
}

TEST(LatencyHistogramTest, HgrmRejectsBadArguments) {
  std::ostringstream out;
  const LatencyHistogram histogram;
  EXPECT_THROW(histogram.WritePercentiles(out, 0), std::invalid_argument);
  EXPECT_THROW(histogram.WritePercentiles(out, 1e6, 0), std::invalid_argument);
}

}  // namespace
}  // namespace sluice
