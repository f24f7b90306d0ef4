// QueueDepthStats: what a cell's queue depth samples say about the whole
// cell: the time-averaged depth, Little's law over the measured window, and
// whether the queue kept growing (the lowest depth of each half of the
// measured window).
//
// Samples come every millisecond from the interval recorder's thread
// (interval_series.h), only while the source runs. Little's law's window
// runs from the first sample after the warm-up to the first sample after
// the source finished; the events that entered the queue over it are
// generated - dropped_newest.
//
// Thread-safety: Sample() on one thread; Close() and the results after that
// thread has joined. Never allocates.
#ifndef SLUICE_PIPELINE_QUEUE_DEPTH_H_
#define SLUICE_PIPELINE_QUEUE_DEPTH_H_

#include <cmath>
#include <cstdint>

namespace sluice {

struct SourceCounters;  // source.h

class QueueDepthStats {
 public:
  // Times on the steady clock: the end of the warm-up and the middle of the
  // measured window.
  QueueDepthStats(const SourceCounters& source, int64_t measured_from_ns, int64_t half_way_ns)
      : source_(source), measured_from_(measured_from_ns), half_way_(half_way_ns) {}

  void Sample(int64_t now_ns, uint64_t depth, bool source_finished);
  // Ends Little's law's window at `now_ns` when no sample after the source's
  // end did.
  void Close(int64_t now_ns);

  // Mean of every sample taken while the source ran; 0 without samples.
  double mean_depth() const { return samples_ ? depth_sum_ / static_cast<double>(samples_) : 0.0; }
  // The lowest depth of the second half minus that of the first; NaN
  // without samples in both.
  double depth_growth() const {
    return half_samples_[0] > 0 && half_samples_[1] > 0 ? half_floor_[1] - half_floor_[0] : NAN;
  }
  // Events that entered the queue per second over the window; NaN when the
  // window is empty.
  double little_arrival_rate() const;
  double little_mean_depth() const;

 private:
  // Read live from the source thread, which counts a drop a moment before
  // the event it generated: never let that moment wrap around.
  uint64_t Entered() const;

  const SourceCounters& source_;
  const int64_t measured_from_, half_way_;
  double depth_sum_ = 0;
  uint64_t samples_ = 0;
  int64_t little_start_ = 0, little_end_ = 0;
  uint64_t entered_start_ = 0, entered_end_ = 0;
  double little_depth_sum_ = 0;
  uint64_t little_samples_ = 0;
  double half_floor_[2] = {0, 0};
  uint64_t half_samples_[2] = {0, 0};
};

}  // namespace sluice

#endif  // SLUICE_PIPELINE_QUEUE_DEPTH_H_
