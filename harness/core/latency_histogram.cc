#include "sluice/core/latency_histogram.h"

#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <ostream>
#include <stdexcept>
#include <string>

namespace sluice {
namespace {

int FloorLog2(uint64_t x) { return 63 - std::countl_zero(x); }

std::string Describe(int64_t lowest, int64_t highest, int digits) {
  return "(lowest_discernible=" + std::to_string(lowest) +
         ", highest_trackable=" + std::to_string(highest) +
         ", significant_digits=" + std::to_string(digits) + ")";
}

// Appends one printf-formatted line to out. The .hgrm format is defined by
// printf conversions, so reproduce them with printf rather than iostreams.
template <typename... Args>
void PrintLine(std::ostream& out, const char* format, Args... args) {
  std::array<char, 256> line;
  const int n = std::snprintf(line.data(), line.size(), format, args...);
  if (n > 0) {
    out.write(line.data(),
              std::min<std::streamsize>(n, static_cast<std::streamsize>(
                                               line.size() - 1)));
  }
}

}  // namespace

LatencyHistogram::LatencyHistogram(int64_t lowest_discernible,
                                   int64_t highest_trackable,
                                   int significant_digits)
    : lowest_discernible_(lowest_discernible),
      highest_trackable_(highest_trackable),
      significant_digits_(significant_digits) {
  const std::string args =
      Describe(lowest_discernible, highest_trackable, significant_digits);
  if (lowest_discernible < 1) {
    throw std::invalid_argument(
        "LatencyHistogram: lowest_discernible must be >= 1 ns " + args);
  }
  if (highest_trackable / 2 < lowest_discernible) {
    throw std::invalid_argument(
        "LatencyHistogram: highest_trackable must be >= 2 * "
        "lowest_discernible " + args);
  }
  if (significant_digits < kMinSignificantDigits ||
      significant_digits > kMaxSignificantDigits) {
    throw std::invalid_argument(
        "LatencyHistogram: significant_digits must be in [" +
        std::to_string(kMinSignificantDigits) + ", " +
        std::to_string(kMaxSignificantDigits) + "] " + args);
  }

  // S must be a power of two with S/2 >= 10^digits, so that a sub-bucket in
  // bucket b >= 1 (width 2^b, values >= (S/2) * 2^b) is narrower than
  // value / 10^digits.
  int64_t single_unit_range = 2;
  for (int i = 0; i < significant_digits; ++i) single_unit_range *= 10;
  sub_bucket_magnitude_ = 0;
  while ((int64_t{1} << sub_bucket_magnitude_) < single_unit_range) {
    ++sub_bucket_magnitude_;
  }
  unit_magnitude_ = FloorLog2(static_cast<uint64_t>(lowest_discernible));
  bucket_shift_base_ = 64 - sub_bucket_magnitude_;
  sub_bucket_mask_ = (uint64_t{1} << sub_bucket_magnitude_) - 1;

  const uint64_t highest_units =
      static_cast<uint64_t>(highest_trackable) >> unit_magnitude_;
  bucket_count_ =
      bucket_shift_base_ - std::countl_zero(highest_units | sub_bucket_mask_) +
      1;
  counts_.assign(IndexOf(highest_trackable) + 1, 0);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  if (lowest_discernible_ != other.lowest_discernible_ ||
      highest_trackable_ != other.highest_trackable_ ||
      significant_digits_ != other.significant_digits_) {
    throw std::invalid_argument(
        "LatencyHistogram::Merge: layouts differ: this " +
        Describe(lowest_discernible_, highest_trackable_,
                 significant_digits_) +
        ", other " +
        Describe(other.lowest_discernible_, other.highest_trackable_,
                 other.significant_digits_));
  }
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  total_count_ += other.total_count_;
  overflows_ += other.overflows_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void LatencyHistogram::Reset() noexcept {
  std::fill(counts_.begin(), counts_.end(), 0);
  total_count_ = 0;
  overflows_ = 0;
  min_ = INT64_MAX;
  max_ = 0;
  sum_ = 0;
}

double LatencyHistogram::Mean() const noexcept {
  if (total_count_ == 0) return 0.0;
  return static_cast<double>(static_cast<long double>(sum_) /
                             static_cast<long double>(total_count_));
}

double LatencyHistogram::StdDev() const noexcept {
  if (total_count_ == 0) return 0.0;
  const long double mean = static_cast<long double>(sum_) /
                           static_cast<long double>(total_count_);
  long double squares = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] == 0) continue;
    // The sub-bucket's middle, kept inside the exact [min, max] so that a
    // histogram of identical values has a deviation of exactly 0.
    const long double middle = std::clamp<long double>(
        (static_cast<long double>(LowestValueAtIndex(i)) +
         static_cast<long double>(HighestValueAtIndex(i))) / 2,
        min_, max_);
    const long double deviation = middle - mean;
    squares += deviation * deviation * counts_[i];
  }
  return static_cast<double>(
      std::sqrt(squares / static_cast<long double>(total_count_)));
}

int64_t LatencyHistogram::RankAtPercentile(double pct) const noexcept {
  if (!(pct > 0)) return 1;  // Also NaN.
  // One ulp down: 99.9 is stored as 99.900000000000006 and would otherwise
  // round an exact rank (0.999 * N) up by one.
  const long double level =
      std::nextafter(std::min(pct, 100.0), 0.0) / 100.0L;
  const long double rank =
      std::ceil(level * static_cast<long double>(total_count_));
  return std::clamp<int64_t>(static_cast<int64_t>(rank), 1, total_count_);
}

int64_t LatencyHistogram::ValueAtPercentile(double pct) const noexcept {
  if (total_count_ == 0) return 0;
  if (pct >= 100) return max_;
  const int64_t rank = RankAtPercentile(pct);
  int64_t cumulative = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    cumulative += counts_[i];
    if (cumulative >= rank) return ReportedValueAtIndex(i);
  }
  return max_;  // Unreachable while counts_ sums to total_count_.
}

LatencySummary LatencyHistogram::Summarize() const noexcept {
  LatencySummary summary;
  if (total_count_ == 0) return summary;
  summary.count = total_count_;
  summary.mean_ns = Mean();
  summary.min_ns = min_;
  summary.max_ns = max_;
  summary.overflows = overflows_;

  // One pass for all percentiles: the ranks ascend with the levels.
  constexpr std::array<double, 5> kLevels = {50.0, 90.0, 99.0, 99.9, 99.99};
  int64_t* const outputs[] = {&summary.p50_ns, &summary.p90_ns,
                              &summary.p99_ns, &summary.p999_ns,
                              &summary.p9999_ns};
  std::array<int64_t, kLevels.size()> ranks;
  for (size_t k = 0; k < kLevels.size(); ++k) {
    ranks[k] = RankAtPercentile(kLevels[k]);
  }
  size_t next = 0;
  int64_t cumulative = 0;
  for (size_t i = 0; i < counts_.size() && next < ranks.size(); ++i) {
    if (counts_[i] == 0) continue;
    cumulative += counts_[i];
    while (next < ranks.size() && cumulative >= ranks[next]) {
      *outputs[next++] = ReportedValueAtIndex(i);
    }
  }
  return summary;
}

void LatencyHistogram::WritePercentiles(std::ostream& out, double unit_scale,
                                        int ticks_per_half_distance) const {
  if (!(unit_scale > 0)) {
    throw std::invalid_argument(
        "LatencyHistogram::WritePercentiles: unit_scale must be > 0, got " +
        std::to_string(unit_scale));
  }
  if (ticks_per_half_distance < 1) {
    throw std::invalid_argument(
        "LatencyHistogram::WritePercentiles: ticks_per_half_distance must "
        "be >= 1, got " + std::to_string(ticks_per_half_distance));
  }
  const int decimals = significant_digits_;
  PrintLine(out, "%12s %14s %10s %14s\n\n", "Value", "Percentile",
            "TotalCount", "1/(1-Percentile)");

  // Percentile levels (in percent) start at 0 and advance by
  // 100 / (ticks * 2^(h + 1)) where h = floor(log2(100 / (100 - level))):
  // `ticks` rows per halving of the distance to 100%. A row is printed for
  // each level reached by the cumulative count of a non-empty sub-bucket.
  // The last non-empty sub-bucket prints one row at the next level and then
  // the 100% row, which has no 1/(1-Percentile) column.
  double level = 0;
  bool levels_exhausted = false;
  int64_t cumulative = 0;
  for (size_t i = 0; i < counts_.size() && total_count_ > 0; ++i) {
    if (counts_[i] == 0) continue;
    cumulative += counts_[i];
    const double value =
        static_cast<double>(ReportedValueAtIndex(i)) / unit_scale;
    const long long count = static_cast<long long>(cumulative);
    const bool last = cumulative >= total_count_;
    const double reached = 100.0 * static_cast<double>(cumulative) /
                           static_cast<double>(total_count_);
    while (!levels_exhausted && reached >= level) {
      PrintLine(out, "%12.*f %2.12f %10lld %14.2f\n", decimals, value,
                level / 100.0, count, 100.0 / (100.0 - level));
      const int halvings =
          static_cast<int>(std::floor(std::log2(100.0 / (100.0 - level))));
      const double next_level =
          level + 100.0 / std::ldexp(ticks_per_half_distance, halvings + 1);
      // Levels approach 100 geometrically; stop if floating point can no
      // longer tell the next one apart or would reach 100.
      if (!(next_level > level) || next_level >= 100.0) {
        levels_exhausted = true;
      }
      level = next_level;
      if (last) break;
    }
    if (last) {
      PrintLine(out, "%12.*f %2.12f %10lld\n", decimals, value, 1.0, count);
      break;
    }
  }

  PrintLine(out, "#[Mean    = %12.*f, StdDeviation   = %12.*f]\n", decimals,
            Mean() / unit_scale, decimals, StdDev() / unit_scale);
  PrintLine(out, "#[Max     = %12.*f, Total count    = %12lld]\n", decimals,
            static_cast<double>(Max()) / unit_scale,
            static_cast<long long>(total_count_));
  PrintLine(out, "#[Buckets = %12d, SubBuckets     = %12d]\n", bucket_count_,
            SubBucketCount());
}

int64_t LatencyHistogram::CountAtValue(int64_t value_ns) const noexcept {
  return counts_[IndexOf(Clamp(value_ns))];
}

int64_t LatencyHistogram::LowestEquivalentValue(
    int64_t value_ns) const noexcept {
  return LowestValueAtIndex(IndexOf(Clamp(value_ns)));
}

int64_t LatencyHistogram::HighestEquivalentValue(
    int64_t value_ns) const noexcept {
  return HighestValueAtIndex(IndexOf(Clamp(value_ns)));
}

// Inverse of IndexOf: index = bucket * S/2 + sub_bucket, with sub_bucket in
// [S/2, S) for bucket >= 1 and [0, S) for bucket 0.
int64_t LatencyHistogram::LowestValueAtIndex(size_t index) const noexcept {
  const int half_magnitude = sub_bucket_magnitude_ - 1;
  const int bucket =
      std::max(0, static_cast<int>(index >> half_magnitude) - 1);
  const uint64_t sub_bucket =
      index - (static_cast<size_t>(bucket) << half_magnitude);
  return static_cast<int64_t>(sub_bucket << (bucket + unit_magnitude_));
}

int64_t LatencyHistogram::HighestValueAtIndex(size_t index) const noexcept {
  const int half_magnitude = sub_bucket_magnitude_ - 1;
  const int bucket =
      std::max(0, static_cast<int>(index >> half_magnitude) - 1);
  const uint64_t width = uint64_t{1} << (bucket + unit_magnitude_);
  // Unsigned: for the top sub-bucket of int64, lowest + width is 2^63.
  return static_cast<int64_t>(
      static_cast<uint64_t>(LowestValueAtIndex(index)) + width - 1);
}

}  // namespace sluice
