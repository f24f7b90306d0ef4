#include "sluice/pipeline/recovery.h"

#include <algorithm>
#include <cmath>

namespace sluice {

RecoveryFigures ComputeRecovery(const std::vector<IntervalRow>& rows, double first_fault_start_s,
                                double last_fault_end_s, double source_end_s, double depth_floor) {
  RecoveryFigures out;
  out.had_faults = true;
  // A hair of slack on the times: they are sums of binary fractions.
  constexpr double kEps = 1e-9;
  double pre_sum = 0, pre_dropped = 0;
  int pre_count = 0;
  for (const IntervalRow& r : rows) {
    if (r.t_s + r.length_s <= first_fault_start_s + kEps) {
      pre_sum += r.depth_mean;
      pre_dropped += static_cast<double>(r.dropped);
      ++pre_count;
    }
  }
  const double pre_mean = pre_count > 0 ? pre_sum / pre_count : 0.0;
  const double depth_limit = std::max(kRecoveredDepthFactor * pre_mean, depth_floor);
  // An interval that still drops more than before the fault is still
  // paying for it (a full queue at its start drops before it drains).
  const double drop_limit = kRecoveredDropFactor * (pre_count > 0 ? pre_dropped / pre_count : 0.0);
  // The source's intervals from the end of the last fault on.
  std::vector<const IntervalRow*> after;
  for (const IntervalRow& r : rows) {
    if (r.t_s + kEps >= last_fault_end_s && r.t_s < source_end_s - kEps) after.push_back(&r);
  }
  // The first start from which, at every later interval of the source, the
  // deliveries so far keep up with the offers so far and the depth is low.
  double recovered_at = NAN;
  for (size_t i = 0; i < after.size() && std::isnan(recovered_at); ++i) {
    double offered = 0, delivered = 0;
    bool holds = true;
    for (size_t j = i; j < after.size() && holds; ++j) {
      offered += static_cast<double>(after[j]->offered);
      delivered += static_cast<double>(after[j]->delivered);
      holds = delivered >= kRecoveredDeliveredShare * offered && after[j]->depth_mean < depth_limit &&
              static_cast<double>(after[j]->dropped) <= drop_limit;
    }
    if (holds) recovered_at = after[i]->t_s;
  }
  if (!std::isnan(recovered_at)) out.recovery_s = std::max(0.0, recovered_at - last_fault_end_s);
  const double until = std::isnan(recovered_at) ? INFINITY : recovered_at;
  for (const IntervalRow& r : rows) {
    if (r.t_s + r.length_s <= first_fault_start_s + kEps) continue;
    if (r.t_s >= until - kEps) break;
    out.fault_drops += r.dropped;
    out.fault_depth_max = std::max(out.fault_depth_max, r.depth_max);
  }
  return out;
}

}  // namespace sluice
