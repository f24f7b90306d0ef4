// rate: max: the highest offered rate a cell sustains, found by running it
// again and again at different rates (each run a "probe", a complete
// Runner::RunCell with fresh clients and a topic of its own).
//
//   source:
//     synthetic:
//       rate: max
//       max_rate: { p99_below: 50ms, probe: 3s, start: 1k/s, limit: 2M/s, max_probes: 12 }
//
// A probe passes when the cell ran without error and
//   - nothing was dropped, failed or left unresolved, and at most 0.1% of the
//     scheduled events were left unsent (the source thread may be held up
//     for a moment at the end on a busy machine; a backlog leaves far more);
//   - the queue did not keep growing: its lowest depth in the second half
//     of the measured window exceeds the lowest in the first half
//     (depth_growth) by no more than 1% of the events offered in half the
//     window, or 10 events (a queue gaining 1% of the offered rate is below
//     the search's precision; bursts and stalls do not raise the floor);
//   - the end-to-end p99 of the measured events stayed under p99_below.
//
// The search is deterministic: the rates it tries depend only on which
// probes passed. It starts at `start` and doubles while probes pass (never
// above `limit`); after the first failure it bisects between the highest
// rate that passed and the lowest that failed, until they are within 5% of
// each other; if the first probe fails it halves down instead. A probe that
// fails is run once more at the same rate, and the rate fails only when
// that one fails too (a stall of a shared machine can spoil one probe; a
// rate above what the cell sustains fails every time). It stops
// after `max_probes` probes, at `limit` when that passes, or when the
// bracket is within 5%. It reports the highest rate that passed, never an
// extrapolation: when no probe passed the rate is empty, with the lowest
// rate tried in the note, rather than a made-up small number.
//
// Each probe runs the scenario's warm-up, then `probe` (default: the
// scenario's duration); its drain and flush time-outs are cut to
// max(1 s, 4 x p99_below), since a probe whose events are not delivered by
// then fails anyway. So the search takes at most max_probes x (warm-up +
// probe + 2 x max(1 s, 4 x p99_below) + set-up).
//
// Thread-safety: RateSearch is plain data; SearchMaxRate() runs on the
// caller's thread, like Runner::RunCell.
#ifndef SLUICE_ANALYSIS_RATE_SEARCH_H_
#define SLUICE_ANALYSIS_RATE_SEARCH_H_

#include <functional>
#include <string>

#include "sluice/pipeline/run_result.h"
#include "sluice/pipeline/runner.h"
#include "sluice/scenario/scenario.h"

namespace sluice {

// The search itself, without running anything: ask Next() for the rate to
// probe, tell Record() whether it passed, until Done().
class RateSearch {
 public:
  explicit RateSearch(const MaxRateSpec& spec);

  bool Done() const { return done_; }
  double Next() const { return next_; }
  void Record(bool passed, const std::string& why);

  // The outcome so far: rate, failed_rate, probes, list, note.
  const RateSearchResult& result() const { return result_; }

 private:
  MaxRateSpec spec_;
  double next_;
  bool done_ = false;
  bool confirming_ = false;  // the last probe failed; the next one repeats it
  RateSearchResult result_;
};

// Whether `probe` sustained its rate under `spec`; `why` says what failed.
bool ProbePassed(const CellResult& probe, const MaxRateSpec& spec, std::string* why);

// Runs the search for one cell and repetition of `scenario` (which has
// source.search_max_rate). Returns the probe at the rate found (or the last
// probe when none passed), with `max_rate` filled in. `on_probe` is told
// about each probe as it finishes.
CellResult SearchMaxRate(Runner& runner, const Scenario& scenario, int cell, int cells,
                         int repetition, const std::function<void(const RateProbe&)>& on_probe);

}  // namespace sluice

#endif  // SLUICE_ANALYSIS_RATE_SEARCH_H_
