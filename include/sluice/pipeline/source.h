// The source: turns a stream of events with intended emission times into
// pushes to the bounded queue at those times, under the declared when-full
// policy.
//
//   EventStream     where events come from: SyntheticStream (below) or
//                   ReplayStream (replay.h, a recorded trace)
//   ArrivalProcess  when synthetic events should exist (constant, Poisson,
//                   bursty, ramp)
//   EventGenerator  what they are (type, size, key), seeded
//   Source          the pacer thread: waits for each intended time, pushes,
//                   drops or blocks, and counts all of it, whatever the stream
//
// Determinism: the same spec and seed give the same event sequence (times,
// types, sizes, keys) on every machine, whatever the load: when the source
// is held back it emits late but keeps each event's intended time, so the
// delay is charged to the event's latency (no coordinated omission).
#ifndef SLUICE_PIPELINE_SOURCE_H_
#define SLUICE_PIPELINE_SOURCE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sluice/core/bounded_queue.h"
#include "sluice/core/counters.h"
#include "sluice/core/event.h"
#include "sluice/core/latency_histogram.h"
#include "sluice/core/random.h"
#include "sluice/scenario/scenario.h"

namespace sluice {

// Intended times, in ns since the run's epoch, non-decreasing.
// constant: event i at round(i * 1e9 / rate) exactly (no drift).
// poisson:  exponential gaps with mean 1/rate.
// bursty:   a Poisson process whose rate is factor x higher in `on` windows
//           than in `off` windows, with the mean over a period equal to rate.
// ramp:     a Poisson process whose rate goes linearly from ramp.from to rate
//           over `horizon_ns`, and stays at rate after it.
// Not thread-safe; never allocates.
class ArrivalProcess {
 public:
  ArrivalProcess(const SyntheticSourceSpec& spec, int64_t horizon_ns, uint64_t seed);
  int64_t Next();

 private:
  // Converts "operational time" (expected number of events so far) to
  // seconds since the epoch, for the time-varying rates.
  double OperationalToSeconds(double u) const;

  ArrivalKind kind_;
  double rate_;
  Rng rng_;
  uint64_t index_ = 0;
  double operational_ = 0;  // cumulative expected events (Poisson kinds)
  // bursty
  double period_s_ = 0, on_s_ = 0, rate_on_ = 0, rate_off_ = 0;
  // ramp
  double ramp_from_ = 0, horizon_s_ = 0;
};

// Walker/Vose alias table: O(1) draws from a discrete distribution.
class AliasTable {
 public:
  explicit AliasTable(const std::vector<double>& weights);
  uint32_t Sample(Rng& rng) const;

 private:
  std::vector<double> probability_;
  std::vector<uint32_t> alias_;
};

// Zipf(s) over ranks [0, n) by rejection-inversion (Hoermann and Derflinger,
// 1996): O(1) per draw and no table, so a million keys cost nothing.
class ZipfSampler {
 public:
  ZipfSampler(uint64_t n, double exponent);
  uint64_t Sample(Rng& rng) const;

 private:
  double H(double x) const;
  double HInverse(double x) const;
  double h(double x) const;

  uint64_t n_;
  double s_;
  double h_integral_x1_, h_integral_n_, shortcut_;
};

// The event sequence of a synthetic source. Not thread-safe; Next() never
// allocates.
class EventGenerator {
 public:
  // Sequence numbers are seq_first, seq_first + seq_step, ... (a shard's
  // are its index plus multiples of the shard count: shard.h).
  EventGenerator(const SyntheticSourceSpec& spec, int64_t horizon_ns, uint64_t seed,
                 uint64_t seq_first = 0, uint64_t seq_step = 1);
  void Next(Event* event);

 private:
  uint32_t SampleSize(uint16_t type);

  const SyntheticSourceSpec spec_;
  ArrivalProcess arrivals_;
  Rng rng_;
  AliasTable types_;
  std::vector<double> log_median_, sigma_;
  std::unique_ptr<ZipfSampler> zipf_;
  uint64_t seq_ = 0;
  uint64_t seq_step_ = 1;
};

// A stream of events for the pacer. Every method runs on the source thread
// only; none may allocate per event (a virtual call per event is the cost).
class EventStream {
 public:
  virtual ~EventStream() = default;

  // Fills `*event` with the next event; false when the stream has ended.
  // Paced streams give non-decreasing intended times.
  virtual bool Next(Event* event) = 0;

  // The source did not hand `event` to the queue (dropped by a full queue,
  // evicted from it, or never sent): release whatever the event holds.
  virtual void Discard(const Event& event) { (void)event; }

  // False: the events have no schedule (a replay at speed max). The source
  // then stamps each event's intended time with the moment it takes it and
  // never waits; latency is measured from there.
  virtual bool paced() const { return true; }
};

// The synthetic stream of a scenario: EventGenerator's events, without end.
class SyntheticStream final : public EventStream {
 public:
  SyntheticStream(const SyntheticSourceSpec& spec, int64_t horizon_ns, uint64_t seed,
                  uint64_t seq_first = 0, uint64_t seq_step = 1)
      : generator_(spec, horizon_ns, seed, seq_first, seq_step) {}
  bool Next(Event* event) override {
    generator_.Next(event);
    return true;
  }

 private:
  EventGenerator generator_;
};

// What the source did, written by the source thread only (see Counter).
struct SourceCounters {
  explicit SourceCounters(size_t types)
      : generated_by_type(new Counter[types]), dropped_by_type(new Counter[types]) {}

  Counter generated;       // handed to the queue's policy: pushed or dropped
  Counter dropped_newest;  // refused because the queue was full
  Counter dropped_oldest;  // evicted to make room for a newer event
  Counter blocked;         // pushes that had to wait for room (block policy)
  Counter late;            // handed over more than 1 ms after the intended time
  Counter lag_sum_ns;      // sum over events of (hand-over time - intended time)
  Counter max_lag_ns;      // the most the source was ever behind schedule
  Counter max_depth;       // queue depth right after a push, at most
  Counter scheduled;       // events the arrival process placed inside the run
  Counter unsent;          // scheduled, but the run ended before the source got to them
  Counter scheduled_measured;      // scheduled with an intended time after the warm-up
  Counter scheduled_measured_bytes;
  Counter generated_measured;      // generated with an intended time after the warm-up
  Counter lag_sum_measured_ns;     // lag_sum_ns over those
  Counter wakeups;         // sleeps the pacer woke from (sleep timing), or spin waits
  std::unique_ptr<Counter[]> generated_by_type;
  std::unique_ptr<Counter[]> dropped_by_type;
};

// Where a direct pipeline's source puts each event instead of the queue. Take()
// runs on the source thread and must account for the event (produced, failed
// or abandoned) before it returns.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void Take(const Event& event, int64_t now_ns) = 0;
};

// The pacer. Run() executes on the source thread; it returns when every
// event scheduled before the end of the run has been handed over, when the
// stream ends, when the wall clock passes the end by more than 10 ms (the
// rest is counted as unsent), or on `stop`. `stop` is looked at on every
// wake-up, at least every 100 ms while asleep, every batch (at most
// kMaxBatch events) while behind schedule, and every 4096 events while the
// unsent rest of the schedule is counted: Run() returns within milliseconds
// of it at any rate.
//
// How it waits (source.timing):
//   sleep (default): the pacer sleeps (clock_nanosleep on the absolute time,
//     timer slack 1 ns) until the next event is due, but at least
//     ReleaseInterval() after its previous wake-up; then it hands over every
//     event whose intended time has come, in one bulk push (one wake-up of
//     one worker per batch, not per event). Each event keeps its own
//     intended time: the release delay (up to one interval plus the
//     kernel's wake-up latency) is in its lag and in every latency measured
//     from the intended time, never hidden. Nothing is released early.
//   spin: the pacer sleeps until 20 us before each event and spins
//     (yielding) the rest: lag of a few microseconds, but at 20k/s and more
//     the source thread is never idle: about a core of CPU.
// While behind schedule neither mode sleeps.
//
// Lag: hand-over minus intended time, measured after the push that handed
// the event over (after the bulk push in sleep mode). Every event counts in
// lag_sum_ns/max_lag_ns/late; the events intended after the warm-up are
// also recorded in lag(), whose percentiles the reports print.
//
// Thread-safety: Run() on one thread; counters() may be read live from any
// thread; lag() only after Run() returned. Construction allocates (the
// histogram, the batch); Run() never allocates.
class Source {
 public:
  // Hand-overs per Run() loop at most: the stop flag and the end of the run
  // are looked at after each batch.
  static constexpr size_t kMaxBatch = 256;

  // The wake-up interval of the sleeping pacer at `rate` events/s: the time
  // of 64 events, within [100 us, 500 us]. Below 2k/s events are more than
  // 500 us apart and each gets its own wake-up at its own time; up to
  // 128k/s the pacer wakes every 500 us (about 10 events at 20k/s, 50 at
  // 100k/s); at 200k/s every 320 us; from 640k/s on every 100 us. 500 us
  // keeps the release delay's p99 well under 1 ms; a shorter interval at
  // high rates keeps the batches (and the lag) small where the per-event
  // work dominates the cost of a wake-up anyway. A replay (no single rate)
  // uses 500 us.
  static int64_t ReleaseInterval(double rate);

  // The scenario's synthetic stream, seeded with `seed`; of a sharded
  // scenario, its shard's part (shard.h: rate / N, a seed derived from
  // `seed` and the shard index, strided sequence numbers).
  Source(const Scenario& scenario, BoundedQueue<Event>& queue, uint64_t seed);
  // Any stream; it must outlive the Source.
  Source(const Scenario& scenario, BoundedQueue<Event>& queue, EventStream& stream);

  // Direct pipeline: hand every event to `sink` instead of the queue (the
  // queue and its when-full policy are then unused). Call before Run().
  void SetSink(EventSink* sink) { sink_ = sink; }
  // Counts each scheduled event once more, in counts[intended time /
  // interval_ns] (clamped to the last of `size` entries): the offered column
  // of the interval series (interval_series.h). The array outlives the run
  // and only this source's thread writes it. Set before Run(); optional.
  void CountOfferedInto(Counter* counts, size_t size, int64_t interval_ns) {
    offered_ = counts;
    offered_size_ = size;
    offered_interval_ns_ = interval_ns;
  }

  void Run(int64_t epoch_ns, const std::atomic<bool>& stop);
  const SourceCounters& counters() const { return counters_; }
  // Lag of the events intended after the warm-up; read after Run().
  const LatencyHistogram& lag() const { return lag_; }
  // The interval the sleeping pacer uses in this run.
  int64_t release_interval_ns() const { return release_interval_ns_; }
  // source.priority as it applied, read after Run(): "normal";
  // "realtime" (SCHED_FIFO 1 throughout); "realtime until T s" (an event
  // was due more than kRealtimeBehindNs ago: the source fell behind its
  // schedule, or waited for room under when_full: block, and went back to
  // the thread's own scheduling for the rest of the run, so that a source
  // that cannot keep up never holds a core the other threads cannot take);
  // "normal: realtime refused (REASON)"; "normal: realtime needs sleep
  // timing and a paced source". With pipeline: direct the source thread
  // also produces, realtime too.
  const std::string& priority_applied() const { return priority_applied_; }
  static constexpr int64_t kRealtimeBehindNs = 50'000'000;

 private:
  // Each returns with the stream positioned at the first event not handed
  // over (in `*next`, valid when `*more`); true when stopped.
  bool RunSpinning(int64_t epoch_ns, const std::atomic<bool>& stop, Event* next, bool* more);
  bool RunSleeping(int64_t epoch_ns, const std::atomic<bool>& stop, Event* next, bool* more);
  void Hand(const Event& event);
  // Hands batch_[0, n) over at once; returns how many were handed over
  // (pushed or dropped), the rest being unsent (block policy, end or stop).
  size_t HandBatch(size_t n, int64_t epoch_ns, const std::atomic<bool>& stop, bool* stopped);
  void Account(const Event& event, int64_t lag_ns);
  void CountScheduled(const Event& event);

  BoundedQueue<Event>& queue_;
  WhenFull policy_;
  int64_t end_ns_;
  int64_t warmup_ns_;
  std::unique_ptr<EventStream> owned_stream_;
  EventStream* stream_;
  EventSink* sink_ = nullptr;
  SourceCounters counters_;
  Counter* offered_ = nullptr;  // CountOfferedInto
  size_t offered_size_ = 0;
  int64_t offered_interval_ns_ = 1;
  size_t offered_index_ = 0;
  int64_t offered_from_ns_ = 0, offered_to_ns_ = 0;  // the interval of offered_index_
  BoundedQueue<Event>::ProducerToken producer_token_;
  BoundedQueue<Event>::ConsumerToken consumer_token_;  // drop_oldest evicts
  int64_t deadline_abs_ns_ = 0;
  SourceTiming timing_;
  SourcePriority priority_;
  std::string priority_applied_ = "normal";
  int64_t release_interval_ns_;
  LatencyHistogram lag_;
  std::vector<Event> batch_;
};

}  // namespace sluice

#endif  // SLUICE_PIPELINE_SOURCE_H_
