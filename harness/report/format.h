// Number formatting shared by the reporters (private to the report layer).
//
// Thread-safety: pure functions.
#ifndef SLUICE_HARNESS_REPORT_FORMAT_H_
#define SLUICE_HARNESS_REPORT_FORMAT_H_

#include <string>

#include "sluice/scenario/scenario.h"

namespace sluice::internal {

// Fixed decimals; empty for NaN or infinity (a reader sees a missing value,
// never "nan").
std::string Fixed(double v, int decimals);

// The broker a scenario describes, in the runner's words:
// "embedded (3 brokers, rtt 0ms)" or the bootstrap list.
std::string DescribeBroker(const Scenario& s);

}  // namespace sluice::internal

#endif  // SLUICE_HARNESS_REPORT_FORMAT_H_
