#include "sluice/analysis/statistics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace sluice {

double Median(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return std::isnan(x); }), v.end());
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double SmallestPossibleP(size_t n1, size_t n2) {
  // C(n1 + n2, n1), in doubles: large enough for any repetition count.
  double combinations = 1;
  for (size_t i = 1; i <= n1; ++i) combinations = combinations * static_cast<double>(n2 + i) / i;
  return std::min(1.0, 2.0 / combinations);
}

namespace {

// The ranks of `a` among the pooled values, ties sharing their mean rank.
struct Ranks {
  double sum_a = 0;     // the rank sum of `a`
  double tie_term = 0;  // sum of t^3 - t over the groups of t tied values
  bool ties = false;
};

Ranks RankPooled(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<std::pair<double, int>> pooled;
  for (double x : a) pooled.push_back({x, 0});
  for (double x : b) pooled.push_back({x, 1});
  std::sort(pooled.begin(), pooled.end());
  Ranks r;
  const size_t n = pooled.size();
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && pooled[j].first == pooled[i].first) ++j;
    const double mean_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;
    const double count = static_cast<double>(j - i);
    if (j - i > 1) r.ties = true;
    r.tie_term += count * count * count - count;
    for (size_t k = i; k < j; ++k) {
      if (pooled[k].second == 0) r.sum_a += mean_rank;
    }
    i = j;
  }
  return r;
}

// The two-sided p of U = `u` from the exact distribution: the number of
// orderings giving each U, by the recurrence
// f(m, k, u) = f(m - 1, k, u - k) + f(m, k - 1, u).
double ExactP(size_t n1, size_t n2, double u) {
  const size_t max_u = n1 * n2;
  std::vector<std::vector<double>> f(n2 + 1, std::vector<double>(max_u + 1, 0));
  // f[k][u] for m = 0: one ordering with U = 0.
  for (size_t k = 0; k <= n2; ++k) f[k][0] = 1;
  for (size_t m = 1; m <= n1; ++m) {
    std::vector<std::vector<double>> g(n2 + 1, std::vector<double>(max_u + 1, 0));
    g[0][0] = 1;
    for (size_t k = 1; k <= n2; ++k) {
      for (size_t v = 0; v <= m * k; ++v) {
        g[k][v] = (v >= k ? f[k][v - k] : 0) + g[k - 1][v];
      }
    }
    f.swap(g);
  }
  double total = 0, below = 0, above = 0;
  const auto u_obs = static_cast<size_t>(std::llround(u));
  for (size_t v = 0; v <= max_u; ++v) {
    total += f[n2][v];
    if (v <= u_obs) below += f[n2][v];
    if (v >= u_obs) above += f[n2][v];
  }
  return std::min(1.0, 2 * std::min(below, above) / total);
}

// The two-sided p of U = `u` by the normal approximation, with tie and
// continuity correction; 1 when every value is equal.
double NormalP(size_t n1, size_t n2, double u, double tie_term) {
  const double dn1 = static_cast<double>(n1), dn2 = static_cast<double>(n2);
  const double mean = dn1 * dn2 / 2;
  const double nn = dn1 + dn2;
  const double variance = dn1 * dn2 / 12 * ((nn + 1) - tie_term / (nn * (nn - 1)));
  if (variance <= 0) return 1;
  const double z = std::max(0.0, std::fabs(u - mean) - 0.5) / std::sqrt(variance);
  return std::min(1.0, std::erfc(z / std::sqrt(2.0)));
}

}  // namespace

UTest MannWhitneyU(const std::vector<double>& a, const std::vector<double>& b, double alpha,
                   bool exact_allowed) {
  UTest t;
  const size_t n1 = a.size(), n2 = b.size();
  if (n1 == 0 || n2 == 0 || SmallestPossibleP(n1, n2) > alpha) return t;
  t.possible = true;
  const Ranks ranks = RankPooled(a, b);
  const double dn1 = static_cast<double>(n1);
  t.u = ranks.sum_a - dn1 * (dn1 + 1) / 2;
  t.exact = exact_allowed && !ranks.ties && n1 <= 50 && n2 <= 50;
  t.p = t.exact ? ExactP(n1, n2, t.u) : NormalP(n1, n2, t.u, ranks.tie_term);
  return t;
}

}  // namespace sluice
