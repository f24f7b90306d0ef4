// Small statistics shared by `sluice compare` and `sluice bench`.
//
// Thread-safety: pure functions.
#ifndef SLUICE_ANALYSIS_STATISTICS_H_
#define SLUICE_ANALYSIS_STATISTICS_H_

#include <vector>

namespace sluice {

// The median of the values that are not NaN (the mean of the middle two for
// an even count); NaN when there are none.
double Median(std::vector<double> values);

}  // namespace sluice

#endif  // SLUICE_ANALYSIS_STATISTICS_H_
