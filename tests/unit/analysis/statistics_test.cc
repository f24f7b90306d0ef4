#include "sluice/analysis/statistics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace sluice {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// ---- the median -----------------------------------------------------------------

TEST(Median, OfOddAndEvenCountsLeavingNaNOut) {
  EXPECT_EQ(Median({3, 1, 2}), 2);
  EXPECT_EQ(Median({4, 1, 3, 2}), 2.5);
  EXPECT_EQ(Median({kNaN, 5, kNaN, 1}), 3);
  EXPECT_TRUE(std::isnan(Median({})));
  EXPECT_TRUE(std::isnan(Median({kNaN, kNaN})));
}

// ---- the U test ---------------------------------------------------------------

TEST(MannWhitney, ExactForSmallSamplesWithoutTies) {
  // Complete separation of 4 against 4: 2 of the C(8,4) = 70 orderings.
  UTest t = MannWhitneyU({1, 2, 3, 4}, {5, 6, 7, 8}, 0.05);
  ASSERT_TRUE(t.possible);
  EXPECT_TRUE(t.exact);
  EXPECT_EQ(t.u, 0);
  EXPECT_NEAR(t.p, 2.0 / 70, 1e-12);
  // One pair out of order: P(U <= 1) = 2/70, two-sided 4/70.
  EXPECT_NEAR(MannWhitneyU({1, 2, 3, 5}, {4, 6, 7, 8}, 0.05).p, 4.0 / 70, 1e-12);
  // SciPy's documentation example (males against females): U = 17, exact
  // p = 0.1111, asymptotic (continuity corrected) p = 0.11134688653314041.
  const std::vector<double> males = {19, 22, 16, 29, 24}, females = {20, 11, 17, 12};
  t = MannWhitneyU(males, females, 0.2);
  EXPECT_EQ(t.u, 17);
  EXPECT_NEAR(t.p, 0.1111111111, 1e-9);
  t = MannWhitneyU(males, females, 0.2, /*exact_allowed=*/false);
  EXPECT_FALSE(t.exact);
  EXPECT_NEAR(t.p, 0.11134688653314041, 1e-12);
}

TEST(MannWhitney, NormalApproximationCorrectsForTies) {
  // Ties: 2 appears in both samples. Ranks: 1,2.5,2.5,4,5,6 -> R_a = 1 + 2.5
  // + 4 = 7.5, U_a = 1.5; variance 3*3/12 * (7 - 6/30) = 5.1;
  // z = (|1.5 - 4.5| - 0.5) / sqrt(5.1).
  UTest t = MannWhitneyU({1, 2, 4}, {2, 5, 6}, 0.5);
  ASSERT_TRUE(t.possible);
  EXPECT_FALSE(t.exact);
  EXPECT_EQ(t.u, 1.5);
  EXPECT_NEAR(t.p, std::erfc((3 - 0.5) / std::sqrt(5.1) / std::sqrt(2.0)), 1e-12);
  // All equal: no evidence of any difference.
  EXPECT_EQ(MannWhitneyU({3, 3, 3, 3}, {3, 3, 3, 3}, 0.05).p, 1);
}

TEST(MannWhitney, SaysWhenRepetitionsAreTooFew) {
  EXPECT_NEAR(SmallestPossibleP(3, 3), 0.1, 1e-12);
  EXPECT_NEAR(SmallestPossibleP(4, 4), 2.0 / 70, 1e-12);
  EXPECT_EQ(SmallestPossibleP(1, 1), 1);
  EXPECT_FALSE(MannWhitneyU({1, 2, 3}, {4, 5, 6}, 0.05).possible);  // 0.1 > 0.05
  EXPECT_TRUE(MannWhitneyU({1, 2, 3}, {4, 5, 6}, 0.1).possible);
  EXPECT_FALSE(MannWhitneyU({1}, {2}, 0.05).possible);
}

TEST(MannWhitney, FullySeparatedSamplesGiveTheSmallestPossibleP) {
  // Whichever sample lies below, the p-value is 2 / C(n1 + n2, n1).
  const std::vector<double> low = {1, 2, 3, 4, 5}, high = {10, 11, 12, 13, 14, 15};
  for (const auto& [a, b] : {std::pair{low, high}, std::pair{high, low}}) {
    const UTest t = MannWhitneyU(a, b, 0.05);
    ASSERT_TRUE(t.possible);
    EXPECT_TRUE(t.exact);
    EXPECT_NEAR(t.p, SmallestPossibleP(a.size(), b.size()), 1e-12);
    EXPECT_NEAR(t.p, 2.0 / 462, 1e-12);  // C(11, 5) = 462
  }
  EXPECT_EQ(MannWhitneyU(low, high, 0.05).u, 0);
  EXPECT_EQ(MannWhitneyU(high, low, 0.05).u, 30);  // n1 * n2
}

TEST(MannWhitney, IdenticalSamplesGiveP1) {
  const std::vector<double> a = {3, 1, 4, 1.5, 9, 2.6};
  UTest t = MannWhitneyU(a, a, 0.05);
  ASSERT_TRUE(t.possible);
  EXPECT_NEAR(t.p, 1, 1e-12);
  EXPECT_EQ(t.u, 18);  // n1 * n2 / 2: no sample ranks above the other
  t = MannWhitneyU({5, 5, 5, 5, 5}, {5, 5, 5, 5, 5}, 0.05);
  EXPECT_FALSE(t.exact);
  EXPECT_EQ(t.p, 1);
}

TEST(MannWhitney, AgreesWithTheTortoiseAndTheHare) {
  // Wikipedia's illustration of the test: six tortoises and six hares
  // finish in the order T H H H H H T T T T T H. The hares' U (pairs in
  // which a hare finished after a tortoise) is 11, the tortoises' 25; of
  // the C(12, 6) = 924 orders, 143 give U <= 11 (counted by enumeration),
  // so the exact two-sided p is 286 / 924.
  std::vector<double> tortoises, hares;
  const std::string order = "THHHHHTTTTTH";
  for (size_t place = 0; place < order.size(); ++place) {
    (order[place] == 'T' ? tortoises : hares).push_back(static_cast<double>(place + 1));
  }
  UTest t = MannWhitneyU(hares, tortoises, 0.05);
  ASSERT_TRUE(t.possible);
  EXPECT_TRUE(t.exact);
  EXPECT_EQ(t.u, 11);
  EXPECT_NEAR(t.p, 286.0 / 924, 1e-12);
  t = MannWhitneyU(tortoises, hares, 0.05);
  EXPECT_EQ(t.u, 25);
  EXPECT_NEAR(t.p, 286.0 / 924, 1e-12);  // two-sided: the same either way round
}

}  // namespace
}  // namespace sluice
