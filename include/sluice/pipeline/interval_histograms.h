// IntervalHistograms: one client's latencies per report interval, handed
// from its delivery listener to the interval recorder (interval_series.h)
// without a lock and without allocating.
//
// The listener records each delivered event into the histograms of the
// interval its report arrived in (by the listener's clock reading, in ns
// since the epoch): end-to-end and kafka, one Record() each, next to the
// cell's own histograms. The histograms sit in a ring of kRing slots, all
// allocated at construction. When the listener's clock enters interval k it
// publishes k (every interval before k is closed: it writes no more there)
// and, if the slot of k still holds interval k - kRing that the recorder has
// not taken, waits for it (only when the recorder is kRing - 1 intervals
// behind, i.e. never while both threads run). The recorder takes a closed
// interval, reads it, and releases it (the slot is reset for reuse).
//
// Threads: Enter() and Record*() on the listener's thread only; Closed(),
// Slot() and Release() on the recorder's thread only; Close() once the
// listener has stopped (any thread, after the listener's thread joined).
#ifndef SLUICE_PIPELINE_INTERVAL_HISTOGRAMS_H_
#define SLUICE_PIPELINE_INTERVAL_HISTOGRAMS_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <thread>

#include "sluice/core/latency_histogram.h"

namespace sluice {

class IntervalHistograms {
 public:
  static constexpr int kRing = 4;

  struct Slot {
    LatencyHistogram end_to_end;  // intended time -> delivery report
    LatencyHistogram kafka;       // the accepted produce() call -> delivery report
    uint64_t failed = 0;          // delivery reports with an error
  };

  explicit IntervalHistograms(int64_t interval_ns) : interval_ns_(interval_ns) {}

  // Listener: its clock reads `now_ns` (since the epoch). Opens the interval
  // it falls in (a division only when the interval changes).
  void Enter(int64_t now_ns) noexcept {
    if (now_ns < next_ns_) return;
    const int64_t k = now_ns / interval_ns_;
    next_ns_ = (k + 1) * interval_ns_;
    if (k <= open_) return;
    open_ = k;
    open_slot_ = &slots_[k % kRing];
    open_index_.store(k, std::memory_order_release);
    // The slot's previous interval (k - kRing) must have been released.
    while (released_.load(std::memory_order_acquire) < k - kRing + 1) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }
  // Listener, after Enter(now_ns): one delivered event.
  void Record(int64_t end_to_end_ns, int64_t kafka_ns) noexcept {
    open_slot_->end_to_end.Record(end_to_end_ns);
    open_slot_->kafka.Record(kafka_ns);
  }
  void RecordFailed() noexcept { ++open_slot_->failed; }

  // The listener has stopped: every interval is closed.
  void Close() noexcept {
    open_index_.store(std::numeric_limits<int64_t>::max(), std::memory_order_release);
  }

  // Recorder: intervals below this are closed (their slots final until
  // released).
  int64_t Closed() const noexcept { return open_index_.load(std::memory_order_acquire); }
  // Recorder: the slot of closed interval k, not yet released.
  const Slot& Get(int64_t k) const noexcept { return slots_[k % kRing]; }
  // Recorder: done with interval k (intervals are released in order).
  void Release(int64_t k) noexcept {
    Slot& s = slots_[k % kRing];
    s.end_to_end.Reset();
    s.kafka.Reset();
    s.failed = 0;
    released_.store(k + 1, std::memory_order_release);
  }

 private:
  const int64_t interval_ns_;
  // Listener's own.
  int64_t next_ns_ = 0;
  int64_t open_ = 0;
  Slot* open_slot_ = &slots_[0];
  // Shared.
  std::atomic<int64_t> open_index_{0};
  std::atomic<int64_t> released_{0};  // intervals below this were released
  Slot slots_[kRing];
};

}  // namespace sluice

#endif  // SLUICE_PIPELINE_INTERVAL_HISTOGRAMS_H_
