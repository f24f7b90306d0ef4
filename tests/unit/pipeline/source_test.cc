#include "sluice/pipeline/source.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "sluice/core/bounded_queue.h"
#include "sluice/core/clock.h"
#include "sluice/core/event.h"
#include "sluice/core/random.h"
#include "sluice/scenario/scenario.h"

namespace sluice {
namespace {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kSecond = 1'000'000'000;

EventTypeSpec FixedType(std::string name, double weight, int64_t size) {
  EventTypeSpec t;
  t.name = std::move(name);
  t.weight = weight;
  t.size.kind = SizeDistribution::Kind::kFixed;
  t.size.fixed = size;
  return t;
}

EventTypeSpec LognormalType(std::string name, double weight, int64_t median, int64_t p99,
                            int64_t min, int64_t max) {
  EventTypeSpec t;
  t.name = std::move(name);
  t.weight = weight;
  t.size.kind = SizeDistribution::Kind::kLognormal;
  t.size.median = median;
  t.size.p99 = p99;
  t.size.min = min;
  t.size.max = max;
  return t;
}

SyntheticSourceSpec Spec(ArrivalKind kind, double rate) {
  SyntheticSourceSpec spec;
  spec.rate = rate;
  spec.arrival = kind;
  spec.events = {FixedType("e", 1, 200)};
  return spec;
}

std::vector<int64_t> Times(ArrivalProcess& arrivals, size_t n) {
  std::vector<int64_t> t(n);
  for (auto& v : t) v = arrivals.Next();
  return t;
}

// Times until (excluding) the first one at or after `end_ns`.
std::vector<int64_t> TimesUntil(ArrivalProcess& arrivals, int64_t end_ns) {
  std::vector<int64_t> t;
  for (int64_t v = arrivals.Next(); v < end_ns; v = arrivals.Next()) t.push_back(v);
  return t;
}

bool NonDecreasing(const std::vector<int64_t>& t) { return std::is_sorted(t.begin(), t.end()); }

int64_t CountIn(const std::vector<int64_t>& t, int64_t from, int64_t to) {
  return std::lower_bound(t.begin(), t.end(), to) - std::lower_bound(t.begin(), t.end(), from);
}

// |observed - expected| within `sigmas` standard deviations of a Poisson count.
void ExpectPoissonCount(int64_t observed, double expected, double sigmas, const std::string& what) {
  EXPECT_NEAR(static_cast<double>(observed), expected, sigmas * std::sqrt(expected))
      << what << ": expected " << expected;
}

// ---------------------------------------------------------------- arrivals

TEST(ArrivalProcessTest, ConstantSpacingIsExactWithoutDrift) {
  // Integer rates, so the exact time is a rational: round(i * 1e9 / rate),
  // computed here in integers (half up; i * 1e9 / rate is never exactly .5
  // for these rates).
  for (int64_t rate : {int64_t{3}, int64_t{1000}, int64_t{1'000'000}, int64_t{7919}}) {
    SCOPED_TRACE("rate=" + std::to_string(rate));
    ArrivalProcess arrivals(Spec(ArrivalKind::kConstant, static_cast<double>(rate)), kSecond, 1);
    int64_t mismatches = 0;
    int64_t first_mismatch = -1;
    for (int64_t i = 0; i < 100'000; ++i) {
      const int64_t expected = (2 * i * kSecond + rate) / (2 * rate);
      if (arrivals.Next() != expected && mismatches++ == 0) first_mismatch = i;
    }
    EXPECT_EQ(mismatches, 0) << "first at event " << first_mismatch;
  }
  // The seed plays no part in a constant process.
  ArrivalProcess a(Spec(ArrivalKind::kConstant, 123.0), kSecond, 1);
  ArrivalProcess b(Spec(ArrivalKind::kConstant, 123.0), kSecond, 2);
  EXPECT_EQ(Times(a, 1000), Times(b, 1000));
}

TEST(ArrivalProcessTest, ConstantSpacingAtANonIntegerRate) {
  // 2.5 events/s: exactly every 400 ms.
  ArrivalProcess arrivals(Spec(ArrivalKind::kConstant, 2.5), kSecond, 1);
  for (int64_t i = 0; i < 100'000; ++i) ASSERT_EQ(arrivals.Next(), i * 400 * kMs) << i;
}

TEST(ArrivalProcessTest, PoissonGapsAreExponential) {
  constexpr size_t kN = 100'000;
  for (double rate : {1000.0, 50'000.0}) {
    SCOPED_TRACE("rate=" + std::to_string(rate));
    ArrivalProcess arrivals(Spec(ArrivalKind::kPoisson, rate), kSecond, 42);
    std::vector<int64_t> t = Times(arrivals, kN + 1);
    ASSERT_TRUE(NonDecreasing(t));
    double sum = 0, sum_sq = 0;
    for (size_t i = 1; i <= kN; ++i) {
      const double gap = static_cast<double>(t[i] - t[i - 1]);
      sum += gap;
      sum_sq += gap * gap;
    }
    const double mean = sum / kN;
    const double sd = std::sqrt(sum_sq / kN - mean * mean);
    const double expected_mean = 1e9 / rate;
    EXPECT_NEAR(mean, expected_mean, 0.01 * expected_mean);
    EXPECT_NEAR(sd / mean, 1.0, 0.02) << "coefficient of variation";
    // The exponential's median is ln 2 times its mean.
    std::vector<double> gaps;
    for (size_t i = 1; i <= kN; ++i) gaps.push_back(static_cast<double>(t[i] - t[i - 1]));
    std::nth_element(gaps.begin(), gaps.begin() + kN / 2, gaps.end());
    EXPECT_NEAR(gaps[kN / 2], std::log(2.0) * expected_mean, 0.02 * expected_mean);
  }
}

TEST(ArrivalProcessTest, PoissonIsReproducibleFromTheSeed) {
  const SyntheticSourceSpec spec = Spec(ArrivalKind::kPoisson, 1000);
  ArrivalProcess a(spec, kSecond, 7), b(spec, kSecond, 7), c(spec, kSecond, 8);
  const std::vector<int64_t> ta = Times(a, 10'000);
  EXPECT_EQ(ta, Times(b, 10'000));
  const std::vector<int64_t> tc = Times(c, 10'000);
  EXPECT_NE(ta, tc);
  // Not just a shift: most times differ.
  int same = 0;
  for (size_t i = 1; i < ta.size(); ++i) same += ta[i] == tc[i];
  EXPECT_LT(same, 100);
}

TEST(ArrivalProcessTest, BurstyPutsTheExpectedShareInOnWindows) {
  struct Case {
    int64_t on_ns, off_ns;
    double factor, rate;
  };
  for (const Case& c : {Case{200 * kMs, 800 * kMs, 5, 1000}, Case{50 * kMs, 150 * kMs, 10, 2000},
                        Case{300 * kMs, 300 * kMs, 1, 500}}) {
    SCOPED_TRACE("on=" + std::to_string(c.on_ns) + " off=" + std::to_string(c.off_ns) +
                 " factor=" + std::to_string(c.factor));
    SyntheticSourceSpec spec = Spec(ArrivalKind::kBursty, c.rate);
    spec.bursty = BurstSpec{c.on_ns, c.off_ns, c.factor};
    const int64_t period = c.on_ns + c.off_ns;
    const int64_t horizon = 120 * kSecond;  // a whole number of periods in every case
    ASSERT_EQ(horizon % period, 0);
    ArrivalProcess arrivals(spec, horizon, 99);
    const std::vector<int64_t> t = TimesUntil(arrivals, horizon);
    ASSERT_TRUE(NonDecreasing(t));

    int64_t in_on = 0;
    for (int64_t v : t) in_on += (v % period) < c.on_ns;
    const double on = static_cast<double>(c.on_ns), off = static_cast<double>(c.off_ns);
    const double expected_share = c.factor * on / (c.factor * on + off);
    const double n = static_cast<double>(t.size());
    EXPECT_NEAR(static_cast<double>(in_on) / n, expected_share, 0.01);

    const double expected_total = c.rate * horizon / 1e9;
    EXPECT_NEAR(n, expected_total, 0.02 * expected_total) << "mean rate";
    // The on and off rates themselves: factor apart, averaging to rate.
    const double rate_off = c.rate * (on + off) / (c.factor * on + off);
    const double periods = static_cast<double>(horizon / period);
    ExpectPoissonCount(in_on, c.factor * rate_off * on / 1e9 * periods, 5, "on-window events");
    ExpectPoissonCount(static_cast<int64_t>(t.size()) - in_on, rate_off * off / 1e9 * periods, 5,
                       "off-window events");
  }
}

// Expected events in [t0, t1] for a rate going linearly from a to b over T.
double RampIntegral(double a, double b, double big_t, double t0, double t1) {
  auto lambda = [&](double t) {
    if (t <= big_t) return a * t + (b - a) * t * t / (2 * big_t);
    return (a + b) / 2 * big_t + b * (t - big_t);
  };
  return lambda(t1) - lambda(t0);
}

TEST(ArrivalProcessTest, RampFollowsTheIntegralOfTheLinearRate) {
  struct Case {
    double from, to;
  };
  const int64_t horizon = 20 * kSecond;
  for (const Case& c : {Case{100, 10'000}, Case{0, 5'000}, Case{8'000, 1'000}, Case{3000, 3000}}) {
    SCOPED_TRACE("from=" + std::to_string(c.from) + " to=" + std::to_string(c.to));
    SyntheticSourceSpec spec = Spec(ArrivalKind::kRamp, c.to);
    spec.ramp.from_rate = c.from;
    ArrivalProcess arrivals(spec, horizon, 5);
    // Past the horizon the rate stays at `to`: look at 1.5 horizons.
    const std::vector<int64_t> t = TimesUntil(arrivals, horizon * 3 / 2);
    ASSERT_TRUE(NonDecreasing(t));
    const double big_t = horizon / 1e9;
    const int64_t tenth = horizon / 10;
    ExpectPoissonCount(CountIn(t, 0, tenth), RampIntegral(c.from, c.to, big_t, 0, big_t / 10), 5,
                       "first tenth");
    ExpectPoissonCount(CountIn(t, horizon - tenth, horizon),
                       RampIntegral(c.from, c.to, big_t, big_t * 0.9, big_t), 5, "last tenth");
    ExpectPoissonCount(CountIn(t, 0, horizon), RampIntegral(c.from, c.to, big_t, 0, big_t), 5,
                       "whole ramp");
    ExpectPoissonCount(CountIn(t, horizon, horizon * 3 / 2), c.to * big_t / 2, 5,
                       "after the horizon");
  }
}

TEST(ArrivalProcessTest, RejectsNonPositiveRates) {
  EXPECT_THROW(ArrivalProcess(Spec(ArrivalKind::kConstant, 0), kSecond, 1), std::invalid_argument);
  EXPECT_THROW(ArrivalProcess(Spec(ArrivalKind::kPoisson, -5), kSecond, 1), std::invalid_argument);
  EXPECT_THROW(ArrivalProcess(Spec(ArrivalKind::kPoisson, NAN), kSecond, 1),
               std::invalid_argument);
}

// ------------------------------------------------------------ alias table

// Pearson's chi-square statistic of `counts` against probabilities `p`
// (cells with p == 0 must have a zero count, checked separately).
double ChiSquare(const std::vector<int64_t>& counts, const std::vector<double>& p, int64_t n) {
  double chi2 = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (p[i] == 0) continue;
    const double e = p[i] * static_cast<double>(n);
    chi2 += (counts[i] - e) * (counts[i] - e) / e;
  }
  return chi2;
}

// An upper bound for the chi-square distribution's 99.99th percentile with
// `df` degrees of freedom (Wilson-Hilferty with z = 3.72, rounded up).
double ChiSquareLimit(double df) {
  const double z = 3.72;
  const double a = 2.0 / (9 * df);
  return 1.05 * df * std::pow(1 - a + z * std::sqrt(a), 3);
}

TEST(AliasTableTest, FrequenciesMatchWeights) {
  Rng weight_rng(3);
  std::vector<double> many(100);
  for (auto& w : many) w = 0.1 + weight_rng.Uniform() * 10;
  const std::vector<std::vector<double>> cases = {
      {1}, {1, 1}, {1, 2, 3, 4}, {0.5, 0, 10, 0.25, 3}, {1e-3, 1, 1000}, many};
  for (const auto& weights : cases) {
    SCOPED_TRACE("weights=" + std::to_string(weights.size()));
    AliasTable table(weights);
    double total = 0;
    for (double w : weights) total += w;
    std::vector<double> p;
    for (double w : weights) p.push_back(w / total);

    constexpr int64_t kN = 1'000'000;
    Rng rng(11);
    std::vector<int64_t> counts(weights.size(), 0);
    for (int64_t i = 0; i < kN; ++i) {
      uint32_t k = table.Sample(rng);
      ASSERT_LT(k, weights.size());
      ++counts[k];
    }
    int nonzero = 0;
    for (size_t i = 0; i < weights.size(); ++i) {
      if (weights[i] == 0) {
        EXPECT_EQ(counts[i], 0) << "zero-weight entry " << i << " drawn";
      }
      nonzero += weights[i] > 0;
    }
    if (nonzero > 1) {
      EXPECT_LT(ChiSquare(counts, p, kN), ChiSquareLimit(nonzero - 1));
    }
  }
  EXPECT_THROW(AliasTable(std::vector<double>{}), std::invalid_argument);
}

// ------------------------------------------------------------------ zipf

// Exact Zipf probabilities p(k) = k^-s / H(n, s), k = 1..n.
std::vector<double> ZipfProbabilities(uint64_t n, double s) {
  std::vector<double> p(n);
  double sum = 0;
  // Summed from the smallest terms for accuracy.
  for (uint64_t k = n; k >= 1; --k) sum += std::pow(static_cast<double>(k), -s);
  for (uint64_t k = 1; k <= n; ++k) p[k - 1] = std::pow(static_cast<double>(k), -s) / sum;
  return p;
}

void CheckZipf(uint64_t n, double s, uint64_t seed) {
  SCOPED_TRACE("n=" + std::to_string(n) + " s=" + std::to_string(s));
  ZipfSampler zipf(n, s);
  Rng rng(seed);
  constexpr int64_t kN = 2'000'000;
  // Ranks 1..kHead counted one by one, the rest in one tail cell.
  const uint64_t head = std::min<uint64_t>(n, 50);
  std::vector<int64_t> counts(head + 1, 0);
  uint64_t out_of_range = 0;
  for (int64_t i = 0; i < kN; ++i) {
    uint64_t k = zipf.Sample(rng);
    if (k >= n) {
      ++out_of_range;
      continue;
    }
    ++counts[std::min(k, head)];
  }
  EXPECT_EQ(out_of_range, 0u);
  const std::vector<double> exact = ZipfProbabilities(n, s);
  std::vector<double> p(exact.begin(), exact.begin() + head);
  double tail = 0;
  for (uint64_t k = head; k < n; ++k) tail += exact[k];
  p.push_back(tail);

  if (n >= 2) {
    const double ratio = static_cast<double>(counts[0]) / static_cast<double>(counts[1]);
    EXPECT_NEAR(ratio, std::pow(2.0, s), 0.03 * std::pow(2.0, s)) << "p(1)/p(2)";
    EXPECT_NEAR(static_cast<double>(counts[0]) / kN, exact[0], 0.01 * exact[0]) << "p(1)";
    const double df = static_cast<double>(head + (n > head ? 1 : 0)) - 1;
    EXPECT_LT(ChiSquare(counts, p, kN), ChiSquareLimit(df));
  } else {
    EXPECT_EQ(counts[0], kN);
  }
}

TEST(ZipfSamplerTest, RankFrequenciesFollowThePowerLaw) {
  CheckZipf(100'000, 1.1, 1);
  CheckZipf(100'000, 1.0, 2);
  CheckZipf(1000, 1.0, 3);
  CheckZipf(1000, 0.5, 4);
  CheckZipf(10, 2.0, 5);
  CheckZipf(2, 1.0, 6);
  CheckZipf(1, 1.0, 7);
  CheckZipf(1, 1.1, 8);
}

TEST(ZipfSamplerTest, LargeNStaysInRange) {
  const uint64_t n = 1'000'000;
  ZipfSampler zipf(n, 1.1);
  Rng rng(9);
  uint64_t max = 0;
  for (int i = 0; i < 1'000'000; ++i) max = std::max(max, zipf.Sample(rng));
  EXPECT_LT(max, n);
  EXPECT_GT(max, n / 100);  // the tail is reached
}

TEST(ZipfSamplerTest, RejectsBadParameters) {
  EXPECT_THROW(ZipfSampler(0, 1.0), std::invalid_argument);
  EXPECT_THROW(ZipfSampler(10, 0.0), std::invalid_argument);
  EXPECT_THROW(ZipfSampler(10, -1.0), std::invalid_argument);
}

// -------------------------------------------------------------- generator

SyntheticSourceSpec MixedSpec() {
  SyntheticSourceSpec spec = Spec(ArrivalKind::kPoisson, 10'000);
  spec.events = {LognormalType("post", 3, 500, 5000, 50, 20'000),
                 LognormalType("like", 6, 120, 400, 100, 300), FixedType("follow", 1, 64)};
  spec.keys.kind = KeySpec::Kind::kZipf;
  spec.keys.count = 10'000;
  spec.keys.zipf_exponent = 1.1;
  return spec;
}

bool SameEvent(const Event& a, const Event& b) {
  return a.intended_ns == b.intended_ns && a.seq == b.seq && a.size == b.size && a.key == b.key &&
         a.type == b.type;
}

std::vector<Event> Generate(const SyntheticSourceSpec& spec, uint64_t seed, size_t n) {
  EventGenerator generator(spec, 10 * kSecond, seed);
  std::vector<Event> events(n);
  for (auto& e : events) generator.Next(&e);
  return events;
}

TEST(EventGeneratorTest, SameSeedSameSequence) {
  const SyntheticSourceSpec spec = MixedSpec();
  const std::vector<Event> a = Generate(spec, 17, 50'000);
  const std::vector<Event> b = Generate(spec, 17, 50'000);
  const std::vector<Event> c = Generate(spec, 18, 50'000);
  size_t same_ab = 0, same_ac = 0, same_size_ac = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].seq, i);
    same_ab += SameEvent(a[i], b[i]);
    same_ac += SameEvent(a[i], c[i]);
    same_size_ac += a[i].size == c[i].size;
  }
  EXPECT_EQ(same_ab, a.size());
  EXPECT_LT(same_ac, a.size() / 100);
  EXPECT_LT(same_size_ac, a.size() / 2);
}

TEST(EventGeneratorTest, TypesFollowWeightsAndSizesFollowTheSpec) {
  const SyntheticSourceSpec spec = MixedSpec();
  constexpr size_t kN = 600'000;
  const std::vector<Event> events = Generate(spec, 23, kN);
  std::vector<std::vector<double>> sizes(3);
  std::vector<int64_t> type_counts(3, 0);
  uint64_t keys_out_of_range = 0;
  std::vector<int64_t> key_counts(2, 0);
  for (const Event& e : events) {
    ASSERT_LT(e.type, 3);
    ++type_counts[e.type];
    sizes[e.type].push_back(e.size);
    keys_out_of_range += e.key >= 10'000;
    if (e.key < 2) ++key_counts[e.key];
  }
  EXPECT_LT(ChiSquare(type_counts, {0.3, 0.6, 0.1}, kN), ChiSquareLimit(2));
  EXPECT_EQ(keys_out_of_range, 0u);
  EXPECT_NEAR(static_cast<double>(key_counts[0]) / key_counts[1], std::pow(2.0, 1.1), 0.1);

  auto quantile = [](std::vector<double> v, double q) {
    const size_t i = static_cast<size_t>(q * (v.size() - 1));
    std::nth_element(v.begin(), v.begin() + i, v.end());
    return v[i];
  };
  // "post": min and max far enough out that the median and p99 are the spec's.
  const auto& post = sizes[0];
  EXPECT_NEAR(quantile(post, 0.5), 500, 0.05 * 500);
  EXPECT_NEAR(quantile(post, 0.99), 5000, 0.05 * 5000);
  EXPECT_GE(*std::min_element(post.begin(), post.end()), 50);
  EXPECT_LE(*std::max_element(post.begin(), post.end()), 20'000);
  // "like": clamped hard on both sides; both bounds are reached.
  const auto& like = sizes[1];
  EXPECT_EQ(*std::min_element(like.begin(), like.end()), 100);
  EXPECT_EQ(*std::max_element(like.begin(), like.end()), 300);
  EXPECT_NEAR(quantile(like, 0.5), 120, 0.05 * 120);
  // "follow": fixed.
  for (double s : sizes[2]) ASSERT_EQ(s, 64);
}

TEST(EventGeneratorTest, KeysNoneAndUniform) {
  SyntheticSourceSpec spec = Spec(ArrivalKind::kConstant, 1000);
  spec.keys.kind = KeySpec::Kind::kNone;
  for (const Event& e : Generate(spec, 1, 10'000)) ASSERT_EQ(e.key, Event::kNoKey);

  spec.keys.kind = KeySpec::Kind::kUniform;
  spec.keys.count = 10;
  std::vector<int64_t> counts(10, 0);
  constexpr size_t kN = 200'000;
  for (const Event& e : Generate(spec, 1, kN)) {
    ASSERT_LT(e.key, 10u);
    ++counts[e.key];
  }
  EXPECT_LT(ChiSquare(counts, std::vector<double>(10, 0.1), kN), ChiSquareLimit(9));
}

TEST(EventGeneratorTest, TimesAreTheArrivalProcess) {
  // The generator draws its times from an arrival process seeded from its
  // own seed: constant times do not depend on types, sizes or keys.
  SyntheticSourceSpec spec = MixedSpec();
  spec.arrival = ArrivalKind::kConstant;
  spec.rate = 4000;
  const std::vector<Event> events = Generate(spec, 5, 10'000);
  for (size_t i = 0; i < events.size(); ++i) {
    ASSERT_EQ(events[i].intended_ns, static_cast<int64_t>(i) * 250'000) << i;
  }
}

// ---------------------------------------------------------------- source

// 200 ms at 5k/s, constant: events at 0, 200 us, ..., 199.8 ms.
constexpr int64_t kRunNs = 200 * kMs;
constexpr double kRunRate = 5000;
constexpr uint64_t kRunEvents = 1000;
constexpr int64_t kGapNs = 200'000;
constexpr size_t kRunCapacity = 100;

Scenario PacerScenario(WhenFull policy) {
  Scenario s;
  s.name = "pacer";
  s.seed = 1;
  s.warmup_ns = 50 * kMs;
  s.duration_ns = kRunNs - s.warmup_ns;
  s.source = Spec(ArrivalKind::kConstant, kRunRate);
  s.queue.capacity = kRunCapacity;
  s.queue.when_full = policy;
  return s;
}

std::vector<Event> DrainEvents(BoundedQueue<Event>& queue) {
  auto token = queue.MakeConsumerToken();
  std::vector<Event> out;
  Event buffer[64];
  while (size_t n = queue.TryPopBulk(token, buffer, 64)) out.insert(out.end(), buffer, buffer + n);
  return out;
}

// Runs the source on this thread, into a queue nobody consumes.
void RunSource(Source& source, int64_t epoch_ns) {
  std::atomic<bool> stop{false};
  source.Run(epoch_ns, stop);
}

// The last events of a run are unsent when the source wakes up for them
// more than kEndGraceNs (10 ms) after the end: a late wake-up that a busy
// machine's timer gives now and then. At most 20 ms of the schedule.
void ExpectFewUnsent(const SourceCounters& c) { EXPECT_LE(c.unsent.Get(), 100u); }

void ExpectScheduleCounts(const SourceCounters& c) {
  EXPECT_EQ(c.scheduled.Get(), kRunEvents);
  EXPECT_EQ(c.generated.Get() + c.unsent.Get(), c.scheduled.Get());
  // Warm-up 50 ms: events 250..999 are measured, 200 bytes each.
  EXPECT_EQ(c.scheduled_measured.Get(), 750u);
  EXPECT_EQ(c.scheduled_measured_bytes.Get(), 750u * 200);
  EXPECT_EQ(c.generated_by_type[0].Get(), c.generated.Get());
}

// Each event keeps its place on the schedule however late it was handed over.
void ExpectOnSchedule(const std::vector<Event>& events) {
  for (const Event& e : events) {
    ASSERT_EQ(e.intended_ns, static_cast<int64_t>(e.seq) * kGapNs) << "seq " << e.seq;
    ASSERT_EQ(e.size, 200u);
    ASSERT_EQ(e.key, Event::kNoKey);
  }
}

std::vector<uint64_t> Seqs(const std::vector<Event>& events) {
  std::vector<uint64_t> s;
  for (const Event& e : events) s.push_back(e.seq);
  return s;
}

std::vector<uint64_t> Range(uint64_t from, uint64_t to) {
  std::vector<uint64_t> v;
  for (uint64_t i = from; i < to; ++i) v.push_back(i);
  return v;
}

TEST(SourceTest, DropNewestKeepsTheFirstEventsAndCountsTheRest) {
  const Scenario scenario = PacerScenario(WhenFull::kDropNewest);
  BoundedQueue<Event> queue(kRunCapacity);
  Source source(scenario, queue, scenario.seed);
  RunSource(source, NowNs());
  const SourceCounters& c = source.counters();

  ExpectScheduleCounts(c);
  ExpectFewUnsent(c);
  EXPECT_EQ(c.dropped_newest.Get(), c.generated.Get() - kRunCapacity);
  EXPECT_EQ(c.dropped_by_type[0].Get(), c.dropped_newest.Get());
  EXPECT_EQ(c.dropped_oldest.Get(), 0u);
  EXPECT_EQ(c.blocked.Get(), 0u);
  EXPECT_EQ(c.max_depth.Get(), kRunCapacity);

  const std::vector<Event> left = DrainEvents(queue);
  EXPECT_EQ(Seqs(left), Range(0, kRunCapacity));
  ExpectOnSchedule(left);
}

TEST(SourceTest, DropOldestKeepsTheNewestEvents) {
  const Scenario scenario = PacerScenario(WhenFull::kDropOldest);
  BoundedQueue<Event> queue(kRunCapacity);
  Source source(scenario, queue, scenario.seed);
  RunSource(source, NowNs());
  const SourceCounters& c = source.counters();

  ExpectScheduleCounts(c);
  ExpectFewUnsent(c);
  EXPECT_EQ(c.dropped_oldest.Get(), c.generated.Get() - kRunCapacity);
  EXPECT_EQ(c.dropped_by_type[0].Get(), c.dropped_oldest.Get());
  EXPECT_EQ(c.dropped_newest.Get(), 0u);
  EXPECT_EQ(c.max_depth.Get(), kRunCapacity);

  const std::vector<Event> left = DrainEvents(queue);
  const uint64_t generated = c.generated.Get();
  EXPECT_EQ(Seqs(left), Range(generated - kRunCapacity, generated));
  ExpectOnSchedule(left);
}

TEST(SourceTest, BlockWithoutConsumerStopsAtTheEndAndCountsTheRestUnsent) {
  const Scenario scenario = PacerScenario(WhenFull::kBlock);
  BoundedQueue<Event> queue(kRunCapacity);
  Source source(scenario, queue, scenario.seed);
  RunSource(source, NowNs());
  const SourceCounters& c = source.counters();

  ExpectScheduleCounts(c);
  EXPECT_EQ(c.generated.Get(), kRunCapacity);
  EXPECT_EQ(c.unsent.Get(), c.scheduled.Get() - kRunCapacity);
  EXPECT_EQ(c.blocked.Get(), 1u);  // the 101st event waited, until the end
  EXPECT_EQ(c.dropped_newest.Get(), 0u);
  EXPECT_EQ(c.dropped_oldest.Get(), 0u);
  EXPECT_EQ(c.max_depth.Get(), kRunCapacity);

  const std::vector<Event> left = DrainEvents(queue);
  EXPECT_EQ(Seqs(left), Range(0, kRunCapacity));
  ExpectOnSchedule(left);
}

TEST(SourceTest, LateHandOverKeepsIntendedTimes) {
  // The epoch is 150 ms in the past: the source starts 750 events behind.
  Scenario scenario = PacerScenario(WhenFull::kBlock);
  scenario.queue.capacity = 2000;  // room for every event
  BoundedQueue<Event> queue(2000);
  Source source(scenario, queue, scenario.seed);
  const int64_t behind_ns = 150 * kMs;
  RunSource(source, NowNs() - behind_ns);
  const SourceCounters& c = source.counters();

  ExpectScheduleCounts(c);
  EXPECT_EQ(c.blocked.Get(), 0u);
  // Event 0 was handed over at least 150 ms after its intended time.
  EXPECT_GE(c.max_lag_ns.Get(), static_cast<uint64_t>(behind_ns));
  EXPECT_GT(c.late.Get(), 0u);

  const std::vector<Event> events = DrainEvents(queue);
  EXPECT_EQ(events.size(), c.generated.Get());
  EXPECT_EQ(Seqs(events), Range(0, events.size()));
  ExpectOnSchedule(events);
}

TEST(SourceTest, SameSeedSameEventsThroughTheQueue) {
  Scenario scenario = PacerScenario(WhenFull::kBlock);
  scenario.source = MixedSpec();
  scenario.source.rate = 20'000;
  scenario.warmup_ns = 0;
  scenario.duration_ns = 20 * kMs;
  std::vector<std::vector<Event>> runs;
  for (int i = 0; i < 2; ++i) {
    BoundedQueue<Event> queue(100'000);
    Source source(scenario, queue, 77);
    RunSource(source, NowNs());
    EXPECT_EQ(source.counters().unsent.Get() + source.counters().generated.Get(),
              source.counters().scheduled.Get());
    runs.push_back(DrainEvents(queue));
  }
  // The two runs may end at different events if one fell behind at the very
  // end; up to there they are the generator's sequence.
  for (const auto& run : runs) {
    ASSERT_GT(run.size(), 0u);
    const std::vector<Event> expected = Generate(scenario.source, 77, run.size());
    for (size_t i = 0; i < run.size(); ++i) ASSERT_TRUE(SameEvent(run[i], expected[i])) << i;
  }
}

TEST(SourceTest, StopEndsTheRun) {
  Scenario scenario = PacerScenario(WhenFull::kDropNewest);
  scenario.duration_ns = 600 * kSecond;  // far longer than the test may take
  BoundedQueue<Event> queue(kRunCapacity);
  Source source(scenario, queue, scenario.seed);
  std::atomic<bool> stop{false};
  auto done = std::async(std::launch::async, [&] { source.Run(NowNs(), stop); });
  // Let it hand over some events first.
  const auto guard = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (source.counters().generated.Get() < 10 && std::chrono::steady_clock::now() < guard) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  stop = true;
  ASSERT_EQ(done.wait_for(std::chrono::seconds(60)), std::future_status::ready);
  done.get();
  const SourceCounters& c = source.counters();
  EXPECT_GE(c.generated.Get(), 10u);
  EXPECT_LT(c.generated.Get(), 600u * 5000);
  // Stopped, not ended: the rest of the schedule is neither sent nor unsent.
  EXPECT_EQ(c.unsent.Get(), 0u);
  EXPECT_EQ(c.scheduled.Get(), c.generated.Get());
}

// The sleeping pacer (the default timing) at 100k/s for 100 ms, with a
// consumer that stamps each event when it takes it.
struct Taken {
  Event event;
  int64_t taken_ns;  // since the epoch
};

std::vector<Taken> RunWithConsumer(Source& source, BoundedQueue<Event>& queue, int64_t epoch) {
  std::atomic<bool> stop{false}, done{false};
  std::vector<Taken> taken;
  taken.reserve(20000);
  std::thread consumer([&] {
    auto token = queue.MakeConsumerToken();
    Event buffer[64];
    while (true) {
      const bool finished = done.load();
      size_t n = queue.PopBulk(token, buffer, 64, 1000);
      const int64_t now = NowNs() - epoch;
      for (size_t i = 0; i < n; ++i) taken.push_back({buffer[i], now});
      if (n == 0 && finished) break;
    }
  });
  source.Run(epoch, stop);
  done = true;
  consumer.join();
  return taken;
}

Scenario FastScenario(SourceTiming timing) {
  Scenario s = PacerScenario(WhenFull::kDropNewest);
  s.source = Spec(ArrivalKind::kConstant, 100'000);
  s.warmup_ns = 20 * kMs;
  s.duration_ns = 80 * kMs;  // 10,000 events, 10 us apart
  s.queue.capacity = 20'000;
  s.timing = timing;
  return s;
}

TEST(SourceTest, ReleaseIntervalFollowsTheRate) {
  EXPECT_EQ(Source::ReleaseInterval(1000), 500'000);       // events 1 ms apart: their own wake-ups
  EXPECT_EQ(Source::ReleaseInterval(20'000), 500'000);
  EXPECT_EQ(Source::ReleaseInterval(100'000), 500'000);
  EXPECT_EQ(Source::ReleaseInterval(200'000), 320'000);    // 64 events
  EXPECT_EQ(Source::ReleaseInterval(1'000'000), 100'000);
  EXPECT_EQ(Source::ReleaseInterval(1e9), 100'000);
  EXPECT_EQ(Source::ReleaseInterval(0), 500'000);          // a replay
}

TEST(SourceTest, SleepingPacerReleasesBatchesInOrderNeverEarly) {
  const Scenario scenario = FastScenario(SourceTiming::kSleep);
  BoundedQueue<Event> queue(static_cast<size_t>(scenario.queue.capacity));
  Source source(scenario, queue, scenario.seed);
  const int64_t epoch = NowNs() + kMs;
  const std::vector<Taken> taken = RunWithConsumer(source, queue, epoch);
  const SourceCounters& c = source.counters();

  EXPECT_EQ(c.scheduled.Get(), 10'000u);
  EXPECT_EQ(c.generated.Get() + c.unsent.Get(), c.scheduled.Get());
  EXPECT_EQ(c.dropped_newest.Get(), 0u);
  ASSERT_EQ(taken.size(), c.generated.Get());
  for (size_t i = 0; i < taken.size(); ++i) {
    const Event& e = taken[i].event;
    // In order, each with its own place on the schedule...
    ASSERT_EQ(e.seq, i);
    ASSERT_EQ(e.intended_ns, static_cast<int64_t>(i) * 10'000);
    // ... and never handed over before it was due.
    ASSERT_GE(taken[i].taken_ns, e.intended_ns) << "seq " << i;
  }
  // Batches: far fewer wake-ups than events (one per 500 us at most, and a
  // slow machine only makes them fewer).
  EXPECT_GT(c.wakeups.Get(), 0u);
  EXPECT_LT(c.wakeups.Get(), c.generated.Get() / 4);
}

TEST(SourceTest, SpinningPacerReleasesInOrderNeverEarly) {
  const Scenario scenario = FastScenario(SourceTiming::kSpin);
  BoundedQueue<Event> queue(static_cast<size_t>(scenario.queue.capacity));
  Source source(scenario, queue, scenario.seed);
  const int64_t epoch = NowNs() + kMs;
  const std::vector<Taken> taken = RunWithConsumer(source, queue, epoch);
  ASSERT_EQ(taken.size(), source.counters().generated.Get());
  ASSERT_GT(taken.size(), 0u);
  for (size_t i = 0; i < taken.size(); ++i) {
    ASSERT_EQ(taken[i].event.seq, i);
    ASSERT_EQ(taken[i].event.intended_ns, static_cast<int64_t>(i) * 10'000);
    ASSERT_GE(taken[i].taken_ns, taken[i].event.intended_ns) << "seq " << i;
  }
  EXPECT_EQ(source.lag().TotalCount(), static_cast<int64_t>(source.counters().generated_measured.Get()));
}

TEST(SourceTest, LagIsRecordedForMeasuredEvents) {
  // 150 ms behind from the start: the first events are handed over at least
  // that late; the warm-up (50 ms, events 0..249) is not in the histogram.
  for (SourceTiming timing : {SourceTiming::kSleep, SourceTiming::kSpin}) {
    Scenario scenario = PacerScenario(WhenFull::kBlock);
    scenario.queue.capacity = 2000;
    scenario.timing = timing;
    BoundedQueue<Event> queue(2000);
    Source source(scenario, queue, scenario.seed);
    RunSource(source, NowNs() - 150 * kMs);
    const SourceCounters& c = source.counters();
    SCOPED_TRACE(ToString(timing));
    ExpectScheduleCounts(c);
    ExpectFewUnsent(c);
    const uint64_t generated = c.generated.Get();
    ASSERT_GT(generated, 250u);
    EXPECT_EQ(c.generated_measured.Get(), generated - 250);
    const LatencyHistogram& lag = source.lag();
    EXPECT_EQ(lag.TotalCount(), static_cast<int64_t>(generated - 250));
    // Event 250 (intended at 50 ms) was due 100 ms before the run started.
    EXPECT_GE(lag.Max(), 100 * kMs);
    EXPECT_LE(lag.Max(), static_cast<int64_t>(c.max_lag_ns.Get()));
    EXPECT_GE(c.max_lag_ns.Get(), static_cast<uint64_t>(150 * kMs));
    // The histogram's sum and the counter's agree (exact mean).
    EXPECT_NEAR(lag.Mean() * static_cast<double>(generated - 250),
                static_cast<double>(c.lag_sum_measured_ns.Get()), 750.0);
    const std::vector<Event> events = DrainEvents(queue);
    EXPECT_EQ(Seqs(events), Range(0, generated));
    ExpectOnSchedule(events);
  }
}

TEST(SourceTest, SleepingPacerBlockCountsTheRestUnsent) {
  // As BlockWithoutConsumerStopsAtTheEndAndCountsTheRestUnsent, but with a
  // batch that only partly fits: the rest of the batch is unsent too.
  Scenario scenario = FastScenario(SourceTiming::kSleep);
  scenario.queue.when_full = WhenFull::kBlock;
  BoundedQueue<Event> queue(100);
  Source source(scenario, queue, scenario.seed);
  RunSource(source, NowNs());
  const SourceCounters& c = source.counters();
  EXPECT_EQ(c.scheduled.Get(), 10'000u);
  EXPECT_EQ(c.generated.Get(), 100u);
  EXPECT_EQ(c.unsent.Get(), 10'000u - 100);
  EXPECT_EQ(c.blocked.Get(), 1u);
  EXPECT_EQ(Seqs(DrainEvents(queue)), Range(0, 100));
}

int CallingThreadPolicy() {
  int policy = -1;
  sched_param param{};
  return pthread_getschedparam(pthread_self(), &policy, &param) == 0 ? policy : -1;
}

// source.priority: realtime. Where the system refuses SCHED_FIFO (no root
// or CAP_SYS_NICE) the source says so and runs as normal; either way the
// thread is back to normal after Run().
TEST(SourceTest, RealtimePriorityAppliesWhileOnScheduleAndIsUndone) {
  Scenario scenario = FastScenario(SourceTiming::kSleep);
  scenario.priority = SourcePriority::kRealtime;
  BoundedQueue<Event> queue(scenario.queue.capacity);
  Source source(scenario, queue, scenario.seed);
  RunSource(source, NowNs());
  const std::string& applied = source.priority_applied();
  EXPECT_TRUE(applied == "realtime" || applied.rfind("normal: realtime refused (", 0) == 0) << applied;
  EXPECT_EQ(CallingThreadPolicy(), SCHED_OTHER);
  const SourceCounters& c = source.counters();
  EXPECT_EQ(c.scheduled.Get(), 10'000u);
  EXPECT_EQ(c.generated.Get() + c.unsent.Get(), c.scheduled.Get());
  EXPECT_LE(c.unsent.Get(), c.scheduled.Get() / 20);
}

// A source that cannot keep to its schedule never sleeps: it goes back to
// normal after Source::kRealtimeBehindNs, so that it never holds a core the
// other threads cannot take. The schedule began 80 ms before the source
// did, so it is behind from its first event on, however fast the machine
// (an absurd rate is not enough: a fast machine's source kept within 50 ms
// of 10^8 events/s for the 100 ms it ran).
TEST(SourceTest, RealtimePriorityEndsWhenTheSourceFallsBehind) {
  Scenario scenario = PacerScenario(WhenFull::kDropNewest);
  scenario.source.rate = 100'000;
  scenario.warmup_ns = 0;
  scenario.duration_ns = 300 * kMs;
  scenario.priority = SourcePriority::kRealtime;
  BoundedQueue<Event> queue(kRunCapacity);
  Source source(scenario, queue, scenario.seed);
  RunSource(source, NowNs() - 80 * kMs);
  const std::string& applied = source.priority_applied();
  if (applied.rfind("normal: realtime refused (", 0) == 0) GTEST_SKIP() << applied;
  EXPECT_EQ(applied.rfind("realtime until 0.", 0), 0u) << applied;
  EXPECT_EQ(CallingThreadPolicy(), SCHED_OTHER);
}

TEST(SourceTest, RealtimePriorityNeedsSleepTiming) {
  Scenario scenario = FastScenario(SourceTiming::kSpin);
  scenario.priority = SourcePriority::kRealtime;
  BoundedQueue<Event> queue(scenario.queue.capacity);
  Source source(scenario, queue, scenario.seed);
  RunSource(source, NowNs());
  EXPECT_EQ(source.priority_applied(), "normal: realtime needs sleep timing and a paced source");
}

// Run() returns soon after `stop` at an absurd rate, in both timings and
// while it counts the unsent rest of a schedule of 10^11 events. The bound
// is a robustness bound (the test must not hang), not a timing goal.
TEST(SourceTest, StopEndsTheRunAtAnyRate) {
  for (SourceTiming timing : {SourceTiming::kSleep, SourceTiming::kSpin}) {
    for (bool behind_from_start : {false, true}) {
      SCOPED_TRACE(std::string(ToString(timing)) + (behind_from_start ? ", counting unsent" : ""));
      Scenario scenario = PacerScenario(WhenFull::kDropNewest);
      scenario.source.rate = 1e9;
      scenario.warmup_ns = 0;
      scenario.duration_ns = 100 * kSecond;
      scenario.timing = timing;
      BoundedQueue<Event> queue(kRunCapacity);
      Source source(scenario, queue, scenario.seed);
      std::atomic<bool> stop{false};
      // Behind from the start: the run is over before it began, and Run()
      // goes straight to counting the 10^11 events it never sent.
      const int64_t epoch = behind_from_start ? NowNs() - 200 * kSecond : NowNs();
      auto done = std::async(std::launch::async, [&] { source.Run(epoch, stop); });
      EXPECT_EQ(done.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
      stop = true;
      ASSERT_EQ(done.wait_for(std::chrono::seconds(30)), std::future_status::ready);
      done.get();
      const SourceCounters& c = source.counters();
      EXPECT_LT(c.scheduled.Get(), 100'000'000'000u);
      // What it counted adds up, even cut short.
      EXPECT_EQ(c.generated.Get() + c.unsent.Get(), c.scheduled.Get());
      if (!behind_from_start) {
        EXPECT_GT(c.generated.Get(), 0u);
      }
    }
  }
}

}  // namespace
}  // namespace sluice
