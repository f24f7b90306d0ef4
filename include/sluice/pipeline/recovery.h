// Recovery after faults: the rule that turns a cell's interval series
// (interval_row.h) into recovery_s, fault_drops and fault_depth_max.
//
//   recovery_s       from the end of the last fault (at + duration; at for
//                    an instant action) to the start of the first interval,
//                    starting at or after that end, from which the producer
//                    keeps up until the source's end (t_s < source_end_s):
//                    at every later interval j, the events delivered from
//                    the start to j are >= 0.95 x those offered from the
//                    start to j (summed, so that a real cluster's bursty
//                    acknowledgements, a thin interval then a thick one, do
//                    not read as a relapse), and j's depth_mean is below
//                    max(2 x the pre-fault mean depth, depth_floor) (the
//                    runner's floor: 1% of the queue's capacity, at least
//                    1 event, so that an idle queue's jitter of a few
//                    events is not read as a backlog), and j dropped at most
//                    2 x the pre-fault mean drops per interval (none, when
//                    nothing was dropped before: a queue still full at j's
//                    start drops before it drains, and those drops are the
//                    fault's). The pre-fault means are over the intervals
//                    that end before the first fault starts (0 if none). NaN
//                    when no such interval exists: never recovered.
//                    Resolution: one report.interval.
//   fault_drops      dropped in the intervals from the one holding the
//                    first fault's start to the recovery (to the last row
//                    when never recovered)
//   fault_depth_max  the highest depth_max over those intervals
//
// Pure: no clock, no I/O; tested on made-up series.
#ifndef SLUICE_PIPELINE_RECOVERY_H_
#define SLUICE_PIPELINE_RECOVERY_H_

#include <cstdint>
#include <vector>

#include "sluice/pipeline/interval_row.h"

namespace sluice {

inline constexpr double kRecoveredDeliveredShare = 0.95;
inline constexpr double kRecoveredDepthFactor = 2.0;
inline constexpr double kRecoveredDropFactor = 2.0;  // x the pre-fault mean drops per interval

// `rows` in time order; times in seconds from the cell's time 0.
RecoveryFigures ComputeRecovery(const std::vector<IntervalRow>& rows, double first_fault_start_s,
                                double last_fault_end_s, double source_end_s, double depth_floor = 1.0);

// The runner's depth_floor for a queue of `capacity` events.
inline double RecoveryDepthFloor(int64_t capacity) { return capacity / 100.0 > 1.0 ? capacity / 100.0 : 1.0; }

}  // namespace sluice

#endif  // SLUICE_PIPELINE_RECOVERY_H_
