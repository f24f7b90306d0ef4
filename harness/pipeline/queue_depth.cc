#include "sluice/pipeline/queue_depth.h"

#include <algorithm>

#include "sluice/pipeline/source.h"

namespace sluice {

uint64_t QueueDepthStats::Entered() const {
  const uint64_t dropped = source_.dropped_newest.Get();
  const uint64_t generated = source_.generated.Get();
  return generated > dropped ? generated - dropped : 0;
}

void QueueDepthStats::Sample(int64_t now_ns, uint64_t depth_count, bool source_finished) {
  if (source_finished) {
    Close(now_ns);
    return;
  }
  const auto depth = static_cast<double>(depth_count);
  depth_sum_ += depth;
  ++samples_;
  if (now_ns < measured_from_) return;
  if (little_start_ == 0) {
    little_start_ = now_ns;
    entered_start_ = Entered();
    return;
  }
  little_depth_sum_ += depth;
  ++little_samples_;
  const int half = now_ns < half_way_ ? 0 : 1;
  half_floor_[half] = half_samples_[half] == 0 ? depth : std::min(half_floor_[half], depth);
  ++half_samples_[half];
}

void QueueDepthStats::Close(int64_t now_ns) {
  if (little_start_ == 0 || little_end_ != 0) return;
  little_end_ = now_ns;
  entered_end_ = Entered();
}

double QueueDepthStats::little_arrival_rate() const {
  if (little_samples_ == 0 || little_end_ <= little_start_) return NAN;
  return static_cast<double>(entered_end_ - entered_start_) / ((little_end_ - little_start_) / 1e9);
}

double QueueDepthStats::little_mean_depth() const {
  if (little_samples_ == 0 || little_end_ <= little_start_) return NAN;
  return little_depth_sum_ / static_cast<double>(little_samples_);
}

}  // namespace sluice
