// LatencyHistogram: a log-linear histogram of latencies in int64 nanoseconds,
// in the manner of HdrHistogram (written from the idea, not from its code).
//
// What it is for: each producer thread records one value per event on the hot
// path (Record() is a handful of integer instructions and never allocates);
// after the threads join, the per-thread histograms are merged and reported as
// percentiles, a LatencySummary, or HdrHistogram's .hgrm text (read by
// existing plotters).
//
// Layout. Values are first divided by the unit,
// 2^floor(log2(lowest_discernible)). Bucket 0 holds unit-values [0, S) at
// resolution 1, where S (SubBucketCount()) is the smallest power of two
// >= 2 * 10^significant_digits. Bucket b >= 1 holds [S * 2^(b-1), S * 2^b) in
// S/2 sub-buckets of width 2^b. Enough buckets are allocated (in the
// constructor, once) to hold highest_trackable.
//
// Precision guarantee. A recorded value v lands in a sub-bucket whose width is
// at most v / (S/2) < v / 10^significant_digits, so every value the histogram
// reports for v (HighestEquivalentValue(v), a percentile that falls on v)
// differs from v by less than v / 10^significant_digits: relative error below
// 0.1% with 3 digits. The one exception is resolution: values are never
// distinguished more finely than the unit, so with lowest_discernible > 1 the
// error bound is max(v / 10^significant_digits, unit - 1). With the default
// lowest_discernible = 1 the unit is 1 ns and the relative bound holds for
// all v.
//
// Percentile definition (one definition, used everywhere below): for pct in
// [0, 100] and N recorded values, rank = max(1, ceil(pct / 100 * N)) (pct is
// nudged down one ulp first so decimal levels such as 99.9, which are not exact
// in binary, do not round a whole rank up). ValueAtPercentile(pct) is the
// highest value equivalent to the rank-th smallest recorded value, capped at
// Max(): at least pct% of recorded values are <= it, and it is within the
// precision above of the exact rank-th value. ValueAtPercentile(100) == Max().
//
// Thread safety: none. One writer thread per histogram; readers must not run
// concurrently with that writer. Give each thread its own histogram and
// Merge() them after the threads have joined.
//
// How it fails: the constructor validates its arguments and throws
// std::invalid_argument (it runs at set-up time); Merge() throws
// std::invalid_argument if the layouts differ. Record() and RecordN() never
// throw and never lose a value: negative values are recorded as 0; values
// above highest_trackable are recorded as highest_trackable and counted in
// Overflows(), so a clamped maximum is visible in the report. The total count
// must stay below 2^63 (not checked on the hot path).

#ifndef SLUICE_CORE_LATENCY_HISTOGRAM_H_
#define SLUICE_CORE_LATENCY_HISTOGRAM_H_

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <vector>

namespace sluice {

// The standard set of numbers a report prints for one histogram. All values
// in nanoseconds; percentiles as defined by
// LatencyHistogram::ValueAtPercentile.
// For an empty histogram every field is 0.
struct LatencySummary {
  int64_t count = 0;
  double mean_ns = 0.0;  // Exact mean of the recorded (clamped) values.
  int64_t p50_ns = 0;
  int64_t p90_ns = 0;
  int64_t p99_ns = 0;
  int64_t p999_ns = 0;
  int64_t p9999_ns = 0;
  int64_t max_ns = 0;  // Exact, not bucket-rounded.
  int64_t min_ns = 0;  // Exact, not bucket-rounded.
  int64_t overflows = 0;  // Values clamped to highest_trackable.
};

class LatencyHistogram {
 public:
  static constexpr int64_t kDefaultLowestDiscernibleNs = 1;
  static constexpr int64_t kDefaultHighestTrackableNs =
      3600LL * 1000 * 1000 * 1000 * 2;  // 2 hours.
  static constexpr int kDefaultSignificantDigits = 3;
  static constexpr int kMinSignificantDigits = 1;
  static constexpr int kMaxSignificantDigits = 5;

  // Allocates the counts array (about 270 KiB with the defaults). Throws
  // std::invalid_argument unless lowest_discernible >= 1,
  // highest_trackable >= 2 * lowest_discernible and significant_digits is in
  // [kMinSignificantDigits, kMaxSignificantDigits].
  explicit LatencyHistogram(
      int64_t lowest_discernible = kDefaultLowestDiscernibleNs,
      int64_t highest_trackable = kDefaultHighestTrackableNs,
      int significant_digits = kDefaultSignificantDigits);

  // Copying allocates; moving does not. A moved-from histogram must only be
  // assigned to or destroyed.
  LatencyHistogram(const LatencyHistogram&) = default;
  LatencyHistogram& operator=(const LatencyHistogram&) = default;
  LatencyHistogram(LatencyHistogram&&) noexcept = default;
  LatencyHistogram& operator=(LatencyHistogram&&) noexcept = default;

  // Records one value. Never allocates, never throws. Negative values are
  // recorded as 0; values above HighestTrackable() as HighestTrackable(),
  // counted in Overflows().
  void Record(int64_t value_ns) noexcept { RecordN(value_ns, 1); }

  // Records `count` occurrences of one value (count <= 0 records nothing).
  // Same clamping as Record(); an overflowing value adds `count` to
  // Overflows().
  void RecordN(int64_t value_ns, int64_t count) noexcept {
    if (count <= 0) [[unlikely]] return;
    if (value_ns < 0) [[unlikely]] value_ns = 0;
    if (value_ns > highest_trackable_) [[unlikely]] {
      value_ns = highest_trackable_;
      overflows_ += count;
    }
    counts_[IndexOf(value_ns)] += count;
    total_count_ += count;
    sum_ += static_cast<Int128>(value_ns) * count;
    min_ = std::min(min_, value_ns);
    max_ = std::max(max_, value_ns);
  }

  // Adds other's counts into this one. Throws std::invalid_argument unless
  // both were constructed with the same three arguments. Never allocates.
  void Merge(const LatencyHistogram& other);

  // Forgets all recorded values; keeps the layout and the allocation.
  void Reset() noexcept;

  int64_t TotalCount() const noexcept { return total_count_; }
  // Number of recorded values that were clamped to HighestTrackable().
  int64_t Overflows() const noexcept { return overflows_; }
  // Exact smallest / largest recorded (clamped) value; 0 when empty.
  int64_t Min() const noexcept { return total_count_ == 0 ? 0 : min_; }
  int64_t Max() const noexcept { return total_count_ == 0 ? 0 : max_; }
  // Exact mean of the recorded (clamped) values: the sum is kept in a 128-bit
  // integer, which cannot overflow while TotalCount() < 2^63. 0 when empty.
  double Mean() const noexcept;
  // Population standard deviation around the exact mean, with each value
  // taken at the middle of its sub-bucket (so within the stated precision,
  // as HdrHistogram does). 0 when empty.
  double StdDev() const noexcept;

  // See "Percentile definition" above. pct is clamped to [0, 100] (NaN is
  // treated as 0). Returns 0 for an empty histogram. O(bucket count).
  int64_t ValueAtPercentile(double pct) const noexcept;

  // p50, p90, p99, p99.9, p99.99, min, max, mean, count in one pass.
  LatencySummary Summarize() const noexcept;

  // Writes the percentile distribution in HdrHistogram's classic .hgrm text
  // format: header, one row per percentile tick (ticks_per_half_distance
  // ticks each time the distance to 100% halves), a final 100% row, and the
  // Mean/Max/Buckets footer. Values are divided by unit_scale (1e6 prints
  // milliseconds) and printed with significant_digits decimals. An empty
  // histogram prints header and footer only. Throws std::invalid_argument if
  // unit_scale <= 0 or ticks_per_half_distance < 1; stream errors are left
  // in out's state.
  void WritePercentiles(std::ostream& out, double unit_scale,
                        int ticks_per_half_distance = 5) const;

  // Number of values recorded in the sub-bucket that holds value_ns
  // (after the same clamping Record() applies).
  int64_t CountAtValue(int64_t value_ns) const noexcept;
  // Smallest / largest value that shares value_ns's sub-bucket.
  int64_t LowestEquivalentValue(int64_t value_ns) const noexcept;
  int64_t HighestEquivalentValue(int64_t value_ns) const noexcept;

  int64_t LowestDiscernible() const noexcept { return lowest_discernible_; }
  int64_t HighestTrackable() const noexcept { return highest_trackable_; }
  int SignificantDigits() const noexcept { return significant_digits_; }
  // Layout, as printed in the .hgrm footer.
  int BucketCount() const noexcept { return bucket_count_; }
  int SubBucketCount() const noexcept { return 1 << sub_bucket_magnitude_; }
  // The counts array itself, one entry per sub-bucket in HdrHistogram's
  // index layout (bucket b >= 1 starts at index b * S/2): what an encoder of
  // HdrHistogram's wire format writes (core/hdr_log.h).
  const std::vector<int64_t>& RawCounts() const noexcept { return counts_; }
  // Bytes held by the counts array plus the object itself.
  size_t MemoryBytes() const noexcept {
    return sizeof(*this) + counts_.capacity() * sizeof(int64_t);
  }

  // Same layout and identical recorded contents.
  bool operator==(const LatencyHistogram& other) const = default;

 private:
  __extension__ typedef __int128 Int128;  // Sum of up to 2^63 values < 2^63.

  // Index into counts_ of a value in [0, highest_trackable_]. Bucket b is the
  // position of the value's top bit above the sub-bucket range (0 when the
  // value fits in bucket 0); the sub-bucket is the value shifted down by b,
  // which lands in [S/2, S) for b >= 1, so buckets overlap by half and
  // index = b * S/2 + (value >> b) is dense.
  size_t IndexOf(int64_t value_ns) const noexcept {
    const uint64_t units = static_cast<uint64_t>(value_ns) >> unit_magnitude_;
    const int bucket =
        bucket_shift_base_ - std::countl_zero(units | sub_bucket_mask_);
    return (static_cast<size_t>(bucket) << (sub_bucket_magnitude_ - 1)) +
           static_cast<size_t>(units >> bucket);
  }
  int64_t LowestValueAtIndex(size_t index) const noexcept;
  int64_t HighestValueAtIndex(size_t index) const noexcept;
  // The value reported for a sub-bucket: its highest equivalent value,
  // capped at the exact maximum.
  int64_t ReportedValueAtIndex(size_t index) const noexcept {
    return std::min(HighestValueAtIndex(index), max_);
  }
  int64_t Clamp(int64_t value_ns) const noexcept {
    return std::clamp<int64_t>(value_ns, 0, highest_trackable_);
  }
  int64_t RankAtPercentile(double pct) const noexcept;

  // Construction parameters (the layout is derived from them).
  int64_t lowest_discernible_;
  int64_t highest_trackable_;
  int significant_digits_;
  // Derived layout.
  int unit_magnitude_;        // log2 of the unit.
  int sub_bucket_magnitude_;  // log2 of S.
  int bucket_shift_base_;     // 64 - sub_bucket_magnitude_.
  uint64_t sub_bucket_mask_;  // S - 1.
  int bucket_count_;
  // Contents.
  std::vector<int64_t> counts_;
  int64_t total_count_ = 0;
  int64_t overflows_ = 0;
  int64_t min_ = INT64_MAX;
  int64_t max_ = 0;
  Int128 sum_ = 0;
};

}  // namespace sluice

#endif  // SLUICE_CORE_LATENCY_HISTOGRAM_H_
