#include "sluice/analysis/rate_search.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <vector>

namespace sluice {
namespace {

MaxRateSpec Spec(double start = 1000, double limit = 1e6, int max_probes = 12) {
  MaxRateSpec spec;
  spec.p99_below_ns = 50'000'000;
  spec.start = start;
  spec.limit = limit;
  spec.max_probes = max_probes;
  return spec;
}

// Runs the search against a system that sustains exactly `ceiling`.
RateSearchResult Search(const MaxRateSpec& spec, double ceiling, std::vector<double>* tried = nullptr) {
  RateSearch search(spec);
  while (!search.Done()) {
    if (tried != nullptr) tried->push_back(search.Next());
    search.Record(search.Next() <= ceiling, search.Next() <= ceiling ? "" : "dropped");
  }
  return search.result();
}

TEST(RateSearch, DoublesThenBisectsToWithinFivePercent) {
  std::vector<double> tried;
  RateSearchResult r = Search(Spec(1000, 1e6, 16), 10'000, &tried);
  ASSERT_GE(tried.size(), 7u);
  EXPECT_EQ(tried[0], 1000);
  EXPECT_EQ(tried[1], 2000);
  EXPECT_EQ(tried[2], 4000);
  EXPECT_EQ(tried[3], 8000);
  EXPECT_EQ(tried[4], 16000);
  EXPECT_EQ(tried[5], 16000);  // a failure is repeated before it is believed
  EXPECT_EQ(tried[6], 12000);  // between 8k (passed) and 16k (failed)
  EXPECT_LE(r.rate, 10'000);
  EXPECT_GE(r.rate, 0.95 * 10'000);
  EXPECT_GT(r.failed_rate, 10'000);
  EXPECT_LE(r.failed_rate - r.rate, 0.05 * r.rate);
  EXPECT_EQ(r.probes, static_cast<int>(tried.size()));
  EXPECT_LE(r.probes, 16);
  EXPECT_EQ(r.list.size(), tried.size());
  EXPECT_NE(r.note.find("(sustained) and"), std::string::npos) << r.note;
}

TEST(RateSearch, RepeatsAFailureOnceBeforeBelievingIt) {
  RateSearch search(Spec(1000, 1e6, 12));
  search.Record(true, "");
  EXPECT_EQ(search.Next(), 2000);
  search.Record(false, "p99 600ms");  // a stall?
  EXPECT_EQ(search.Next(), 2000);      // the same rate again
  search.Record(true, "");             // it was: 2k/s is sustained
  EXPECT_EQ(search.Next(), 4000);
  EXPECT_EQ(search.result().rate, 2000);
  EXPECT_TRUE(std::isnan(search.result().failed_rate));
  search.Record(false, "dropped 5");
  search.Record(false, "dropped 7");  // confirmed
  EXPECT_EQ(search.result().failed_rate, 4000);
  EXPECT_EQ(search.Next(), 3000);
  EXPECT_EQ(search.result().probes, 5);
}

TEST(RateSearch, IsDeterministic) {
  std::vector<double> a, b;
  Search(Spec(700), 33'333, &a);
  Search(Spec(700), 33'333, &b);
  EXPECT_EQ(a, b);
}

TEST(RateSearch, HalvesDownWhenTheStartFails) {
  RateSearchResult r = Search(Spec(100'000, 1e6, 20), 7'000);
  EXPECT_LE(r.rate, 7'000);
  EXPECT_GE(r.rate, 0.95 * 7'000);
}

TEST(RateSearch, StopsAtTheLimitAndSaysTheCellMaySustainMore) {
  std::vector<double> tried;
  RateSearchResult r = Search(Spec(1000, 5000), 1e9, &tried);
  EXPECT_EQ(r.rate, 5000);
  EXPECT_TRUE(std::isnan(r.failed_rate));
  EXPECT_EQ(tried, (std::vector<double>{1000, 2000, 4000, 5000}));
  EXPECT_NE(r.note.find("may sustain more"), std::string::npos) << r.note;
}

TEST(RateSearch, StopsAfterMaxProbesWithoutInventingARate) {
  // Nothing is sustained: the rate stays empty, never a tiny made-up one.
  RateSearchResult r = Search(Spec(1000, 1e6, 4), 0);
  EXPECT_EQ(r.probes, 4);
  EXPECT_TRUE(std::isnan(r.rate));
  EXPECT_EQ(r.failed_rate, 500);  // 1k/s and 500/s, each failed twice
  EXPECT_NE(r.note.find("no probe passed"), std::string::npos) << r.note;
  // Bounded: an unreachable precision still ends after max_probes.
  r = Search(Spec(1000, 1e6, 3), 1e5);
  EXPECT_EQ(r.probes, 3);
  EXPECT_EQ(r.rate, 4000);
}

// ---- the probe criteria -----------------------------------------------------

CellResult Probe(double rate, int64_t p99_ns) {
  CellResult r;
  r.scenario.source.rate = rate;
  r.scenario.duration_ns = 2'000'000'000;
  r.generated = r.delivered = 1000;
  r.depth_growth = 0;
  r.end_to_end = std::make_shared<LatencyHistogram>();
  for (int i = 0; i < 100; ++i) r.end_to_end->Record(p99_ns);
  return r;
}

TEST(ProbePassed, ChecksEveryCriterion) {
  const MaxRateSpec spec = Spec();  // p99 below 50 ms
  std::string why;
  EXPECT_TRUE(ProbePassed(Probe(10'000, 20'000'000), spec, &why)) << why;
  EXPECT_FALSE(ProbePassed(Probe(10'000, 60'000'000), spec, &why));
  EXPECT_EQ(why.rfind("p99 ", 0), 0u) << why;
  CellResult r = Probe(10'000, 20'000'000);
  r.dropped_newest = 1;
  EXPECT_FALSE(ProbePassed(r, spec, &why));
  EXPECT_EQ(why, "dropped 1");
  r = Probe(10'000, 20'000'000);
  r.scheduled = 10'000;
  r.unsent = 10;  // 0.1%: the source was held up at the very end
  EXPECT_TRUE(ProbePassed(r, spec, &why)) << why;
  r.unsent = 11;
  EXPECT_FALSE(ProbePassed(r, spec, &why));
  EXPECT_EQ(why, "unsent 11");
  r = Probe(10'000, 20'000'000);
  r.unresolved = 3;
  EXPECT_FALSE(ProbePassed(r, spec, &why));
  r = Probe(10'000, 20'000'000);
  r.error = "broker unreachable";
  EXPECT_FALSE(ProbePassed(r, spec, &why));
  // Growth: 1% of 10k/s over 1 s (half the window) is 100 events.
  r = Probe(10'000, 20'000'000);
  r.depth_growth = 99;
  EXPECT_TRUE(ProbePassed(r, spec, &why));
  r.depth_growth = 101;
  EXPECT_FALSE(ProbePassed(r, spec, &why));
  EXPECT_NE(why.find("queue kept growing"), std::string::npos) << why;
  r = Probe(10'000, 20'000'000);
  r.end_to_end = std::make_shared<LatencyHistogram>();
  EXPECT_FALSE(ProbePassed(r, spec, &why));
  EXPECT_EQ(why, "nothing delivered");
}

}  // namespace
}  // namespace sluice
