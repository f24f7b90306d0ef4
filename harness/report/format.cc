#include "format.h"

#include <cmath>
#include <cstdio>

namespace sluice::internal {

std::string Fixed(double v, int decimals) {
  if (!std::isfinite(v)) return "";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string DescribeBroker(const Scenario& s) {
  if (!s.broker.embedded) return s.broker.bootstrap;
  return "embedded (" + std::to_string(s.broker.brokers) + " brokers, rtt " +
         std::to_string(s.broker.rtt_ns / 1'000'000) + "ms)";
}

}  // namespace sluice::internal
