// Small statistics shared by `sluice compare` and `sluice bench`: the
// median, and the Mann-Whitney U test that says whether two sets of
// repetitions differ (google/benchmark's tools/compare.py judges the same way).
//
// Thread-safety: pure functions.
#ifndef SLUICE_ANALYSIS_STATISTICS_H_
#define SLUICE_ANALYSIS_STATISTICS_H_

#include <cstddef>
#include <vector>

namespace sluice {

// The median of the values that are not NaN (the mean of the middle two for
// an even count); NaN when there are none.
double Median(std::vector<double> values);

// The two-sided Mann-Whitney U test of `a` against `b`.
struct UTest {
  bool possible = false;  // false: too few repetitions to ever reach alpha
  double p = 1;           // two-sided p-value (when possible)
  bool exact = false;     // exact distribution (no ties, small samples)
  double u = 0;           // U statistic of `a`
};

// Exact for samples of at most 50 values each without ties, else the normal
// approximation with tie and continuity correction. Not `possible` when a
// sample is empty or when even the most extreme ordering could not reach
// `alpha` (SmallestPossibleP). `exact_allowed` false forces the normal
// approximation (for tests). The exact distribution costs O((n1 n2)^2) time
// and O(n1 n2^2) memory, which the 50-value bound keeps small.
UTest MannWhitneyU(const std::vector<double>& a, const std::vector<double>& b, double alpha,
                   bool exact_allowed = true);

// The smallest two-sided p-value an exact test of n1 against n2 values can
// give: 2 / C(n1 + n2, n1), at most 1.
double SmallestPossibleP(size_t n1, size_t n2);

}  // namespace sluice

#endif  // SLUICE_ANALYSIS_STATISTICS_H_
