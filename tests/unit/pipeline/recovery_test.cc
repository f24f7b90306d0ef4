// The recovery rule (recovery.h) on made-up interval series.
#include "sluice/pipeline/recovery.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace sluice {
namespace {

// One-second rows from t = 0: offered 1000 each; `delivered`, `depth` and
// `dropped` per row as given.
std::vector<IntervalRow> Series(const std::vector<uint64_t>& delivered, const std::vector<double>& depth,
                                const std::vector<uint64_t>& dropped = {}) {
  std::vector<IntervalRow> rows;
  for (size_t i = 0; i < delivered.size(); ++i) {
    IntervalRow r;
    r.t_s = static_cast<double>(i);
    r.length_s = 1;
    r.offered = 1000;
    r.delivered = delivered[i];
    r.depth_mean = depth[i];
    r.depth_max = static_cast<uint64_t>(depth[i] * 2);
    r.dropped = i < dropped.size() ? dropped[i] : 0;
    rows.push_back(r);
  }
  return rows;
}

TEST(RecoveryTest, RecoversAtTheFirstIntervalThatStaysHealthy) {
  // Fault from 3 s to 5 s; delivery lags until 6 s, catches up at 7 s.
  auto rows = Series({1000, 1000, 1000, 300, 200, 600, 1400, 1000, 1000, 1000},
                     {10, 10, 10, 500, 900, 800, 30, 12, 10, 11},
                     {0, 0, 0, 100, 400, 50, 0, 0, 0, 0});
  RecoveryFigures r = ComputeRecovery(rows, 3.0, 5.0, 10.0);
  EXPECT_TRUE(r.had_faults);
  // Row 6 delivers 1400 >= 950, but its mean depth 30 is not under 2 x 10.
  EXPECT_DOUBLE_EQ(r.recovery_s, 2.0);  // row 7 starts 2 s after the fault's end
  EXPECT_EQ(r.fault_drops, 550u);       // rows 3..6
  EXPECT_EQ(r.fault_depth_max, 1800u);  // row 4's depth_max
}

// A queue still full when the fault ends drops in the next interval before
// it drains: that interval keeps up and its mean depth is low, but its
// drops are the fault's (CI: 8 of 6,979 drops were counted after the
// recovery), so the recovery is the interval after it.
TEST(RecoveryTest, AnIntervalThatStillDropsHasNotRecovered) {
  auto rows = Series({1000, 1000, 1000, 400, 400, 1400, 1000, 1000},
                     {5, 5, 5, 900, 1000, 8, 5, 5},
                     {0, 0, 0, 500, 600, 8, 0, 0});
  RecoveryFigures r = ComputeRecovery(rows, 3.0, 5.0, 8.0, 10.0);
  EXPECT_DOUBLE_EQ(r.recovery_s, 1.0);  // row 6, not row 5
  EXPECT_EQ(r.fault_drops, 1108u);      // every drop: rows 3..5
  // A run that dropped as much before the fault recovers at row 5.
  auto steady = Series({1000, 1000, 1000, 400, 400, 1400, 1000, 1000},
                       {5, 5, 5, 900, 1000, 8, 5, 5},
                       {4, 4, 4, 500, 600, 8, 4, 4});
  EXPECT_DOUBLE_EQ(ComputeRecovery(steady, 3.0, 5.0, 8.0, 10.0).recovery_s, 0.0);
}

TEST(RecoveryTest, NeverRecoversWhenTheLastIntervalIsUnhealthy) {
  auto rows = Series({1000, 1000, 500, 500, 500, 500}, {5, 5, 100, 200, 300, 400}, {0, 0, 10, 10, 10, 10});
  RecoveryFigures r = ComputeRecovery(rows, 2.0, 3.0, 6.0);
  EXPECT_TRUE(std::isnan(r.recovery_s));
  EXPECT_EQ(r.fault_drops, 40u);  // to the last row
  EXPECT_EQ(r.fault_depth_max, 800u);
}

TEST(RecoveryTest, AHealthyRunAfterADipIsTheOneThatCounts) {
  // Healthy at 5 s, a relapse at 6 s, healthy again from 7 s.
  auto rows = Series({1000, 1000, 100, 1000, 1000, 1000, 100, 1000, 1000}, {1, 1, 50, 1, 1, 1, 40, 1, 1});
  RecoveryFigures r = ComputeRecovery(rows, 2.0, 3.0, 9.0);
  EXPECT_DOUBLE_EQ(r.recovery_s, 4.0);  // from 3 s to row 7
}

TEST(RecoveryTest, BurstyAcknowledgementsThatKeepUpCountAsRecovered) {
  // A real cluster acknowledges in bursts: after 1000 and 1600, a thin 400
  // still keeps the sum up with the offers (3000 of 3000); after 1000 and
  // 1000 it does not (2400 of 3000), and only the last interval counts.
  auto keeps_up = Series({1000, 1000, 0, 1000, 1600, 400, 1000}, {1, 1, 50, 1, 1, 1, 1});
  EXPECT_DOUBLE_EQ(ComputeRecovery(keeps_up, 2.0, 3.0, 7.0).recovery_s, 0.0);
  auto falls_behind = Series({1000, 1000, 0, 1000, 1000, 400, 1000}, {1, 1, 50, 1, 1, 1, 1});
  EXPECT_DOUBLE_EQ(ComputeRecovery(falls_behind, 2.0, 3.0, 7.0).recovery_s, 3.0);
}

TEST(RecoveryTest, AnUnaffectedSystemRecoversAtOnce) {
  auto rows = Series({1000, 1000, 1000, 1000, 1000}, {0, 0, 0, 0.5, 0});
  RecoveryFigures r = ComputeRecovery(rows, 1.0, 2.0, 5.0);
  EXPECT_DOUBLE_EQ(r.recovery_s, 0.0);  // an empty queue before: the depth limit is 1 event
  EXPECT_EQ(r.fault_drops, 0u);
}

TEST(RecoveryTest, TheDepthFloorAbsorbsAnIdleQueuesJitter) {
  // Pre-fault depth about 0.4: twice that is under one event, and a
  // recovered interval with a mean of 1.7 would not count without a floor.
  auto rows = Series({1000, 1000, 500, 1000, 1000}, {0.4, 0.4, 300, 1.7, 1.2});
  EXPECT_TRUE(std::isnan(ComputeRecovery(rows, 2.0, 3.0, 5.0).recovery_s));
  EXPECT_DOUBLE_EQ(ComputeRecovery(rows, 2.0, 3.0, 5.0, RecoveryDepthFloor(4000)).recovery_s, 0.0);
  EXPECT_DOUBLE_EQ(RecoveryDepthFloor(50), 1.0);
}

TEST(RecoveryTest, DrainIntervalsDoNotCountAsRecovered) {
  // The fault lasts past the source's end (4 s): the rows after it offer
  // nothing, and would pass trivially; they are not the run.
  auto rows = Series({1000, 1000, 100, 100, 0, 0}, {1, 1, 90, 90, 0, 0});
  rows[4].offered = rows[5].offered = 0;
  RecoveryFigures r = ComputeRecovery(rows, 2.0, 4.0, 4.0);
  EXPECT_TRUE(std::isnan(r.recovery_s));
}

TEST(RecoveryTest, AnOffsetFaultEndRecoversAtTheNextIntervalStart) {
  auto rows = Series({1000, 1000, 400, 1000, 1000}, {2, 2, 30, 2, 2});
  RecoveryFigures r = ComputeRecovery(rows, 1.5, 2.5, 5.0);
  EXPECT_NEAR(r.recovery_s, 0.5, 1e-9);  // row 3 starts at 3 s
}

}  // namespace
}  // namespace sluice
