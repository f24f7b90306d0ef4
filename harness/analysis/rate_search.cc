#include "sluice/analysis/rate_search.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "sluice/core/units.h"

namespace sluice {

namespace {
// The search stops when the highest passing and lowest failing rates are
// this close (relative to the passing one).
constexpr double kPrecision = 0.05;

// What a search that ran out of probes (max_probes) found, the last at `rate`.
std::string OutOfProbesNote(const RateSearchResult& result, double rate) {
  const std::string after = ", after " + std::to_string(result.probes) + " probes (max_probes)";
  if (std::isnan(result.rate)) return "no probe passed, down to " + FormatRate(rate) + after;
  if (std::isnan(result.failed_rate)) {
    return "every probe passed, up to " + FormatRate(result.rate) + after + "; the cell may sustain more";
  }
  return "between " + FormatRate(result.rate) + " (sustained) and " + FormatRate(result.failed_rate) +
         " (not sustained)" + after;
}

}  // namespace

RateSearch::RateSearch(const MaxRateSpec& spec) : spec_(spec), next_(std::min(spec.start, spec.limit)) {
  result_.searched = true;
}

void RateSearch::Record(bool passed, const std::string& why) {
  if (done_) return;
  const double rate = next_;
  result_.list.push_back({rate, passed, why});
  result_.probes = static_cast<int>(result_.list.size());
  // A failure is believed only when a second probe at the same rate fails
  // too: a stall of a shared machine can spoil one probe.
  if (!passed && !confirming_ && result_.probes < spec_.max_probes) {
    confirming_ = true;
    return;
  }
  confirming_ = false;
  if (passed) {
    if (std::isnan(result_.rate) || rate > result_.rate) result_.rate = rate;
  } else if (std::isnan(result_.failed_rate) || rate < result_.failed_rate) {
    result_.failed_rate = rate;
  }
  const bool have_pass = !std::isnan(result_.rate);
  const bool have_fail = !std::isnan(result_.failed_rate);
  if (have_pass && !have_fail) {
    if (rate >= spec_.limit) {
      done_ = true;
      result_.note = "sustained the limit " + FormatRate(spec_.limit) + "; the cell may sustain more";
      return;
    }
    next_ = std::min(rate * 2, spec_.limit);
  } else if (!have_pass) {
    next_ = rate / 2;
  } else {
    if (result_.failed_rate - result_.rate <= kPrecision * result_.rate) {
      done_ = true;
      result_.note = "between " + FormatRate(result_.rate) + " (sustained) and " +
                     FormatRate(result_.failed_rate) + " (not sustained)";
      return;
    }
    next_ = (result_.rate + result_.failed_rate) / 2;
  }
  if (result_.probes >= spec_.max_probes) {
    done_ = true;
    result_.note = OutOfProbesNote(result_, rate);
    return;
  }
  if (next_ < 1e-3) {
    done_ = true;
    result_.note = "no probe passed, down to " + FormatRate(rate);
  }
}

bool ProbePassed(const CellResult& probe, const MaxRateSpec& spec, std::string* why) {
  auto fail = [why](const std::string& reason) {
    if (why != nullptr) *why = reason;
    return false;
  };
  if (!probe.error.empty()) return fail("error: " + probe.error);
  if (probe.dropped() > 0) return fail("dropped " + std::to_string(probe.dropped()));
  if (probe.failed > 0) return fail("failed " + std::to_string(probe.failed));
  // The source thread itself may be held up for a moment at the very end on
  // a busy machine; a backlog (block policy) leaves far more than 0.1%.
  if (probe.unsent * 1000 > probe.scheduled) return fail("unsent " + std::to_string(probe.unsent));
  if (probe.unresolved > 0) return fail("unresolved " + std::to_string(probe.unresolved));
  if (!std::isnan(probe.depth_growth)) {
    // A queue that takes in more than leaves grows linearly: its floor in
    // the second half is above the first half's by the excess rate x half
    // the window. Allow 1% of what was offered in half the window (or 10
    // events): below the search's own 5% precision.
    const double half_window_s = probe.scenario.duration_ns / 2e9;
    const double allowed = std::max(10.0, 0.01 * probe.scenario.source.rate * half_window_s);
    if (probe.depth_growth > allowed) {
      char buf[96];
      std::snprintf(buf, sizeof buf, "queue kept growing (its floor rose by %.0f events)",
                    probe.depth_growth);
      return fail(buf);
    }
  }
  if (!probe.end_to_end || probe.end_to_end->TotalCount() == 0) return fail("nothing delivered");
  const int64_t p99 = probe.end_to_end->ValueAtPercentile(99);
  if (p99 >= spec.p99_below_ns) {
    return fail("p99 " + FormatDuration(p99) + " >= " + FormatDuration(spec.p99_below_ns));
  }
  if (why != nullptr) why->clear();
  return true;
}

CellResult SearchMaxRate(Runner& runner, const Scenario& scenario, int cell, int cells,
                         int repetition, const std::function<void(const RateProbe&)>& on_probe) {
  const MaxRateSpec& spec = scenario.source.max_rate;
  RateSearch search(spec);
  CellResult best, last;
  bool have_best = false;
  while (!search.Done()) {
    Scenario probe = scenario;
    probe.source.rate = search.Next();
    if (spec.probe_ns > 0) probe.duration_ns = spec.probe_ns;
    // A probe whose events are not delivered soon fails anyway: do not wait
    // for them longer than that.
    const int64_t cut = std::max<int64_t>(1'000'000'000, 4 * spec.p99_below_ns);
    probe.producers.drain_timeout_ns = std::min(probe.producers.drain_timeout_ns, cut);
    probe.producers.flush_timeout_ns = std::min(probe.producers.flush_timeout_ns, cut);
    CellResult r = runner.RunCell(probe, cell, cells, repetition);
    std::string why;
    const bool passed = ProbePassed(r, spec, &why);
    if (!r.error.empty()) {
      // A probe that could not run says nothing about the rate: stop there.
      search.Record(false, why);
      last = std::move(r);
      if (on_probe) on_probe(search.result().list.back());
      break;
    }
    search.Record(passed, why);
    if (on_probe) on_probe(search.result().list.back());
    if (passed && (!have_best || probe.source.rate >= best.scenario.source.rate)) {
      best = r;
      have_best = true;
    }
    last = std::move(r);
  }
  CellResult out = have_best ? std::move(best) : std::move(last);
  out.max_rate = search.result();
  if (!out.error.empty() && out.max_rate.note.empty()) out.max_rate.note = "a probe failed: " + out.error;
  return out;
}

}  // namespace sluice
