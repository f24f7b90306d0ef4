#include "sluice/pipeline/source.h"

#include <pthread.h>
#include <sched.h>
#include <sys/prctl.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <thread>

#include "sluice/core/clock.h"

namespace sluice {

// ---------------------------------------------------------------- arrivals

ArrivalProcess::ArrivalProcess(const SyntheticSourceSpec& spec, int64_t horizon_ns, uint64_t seed)
    : kind_(spec.arrival), rate_(spec.rate), rng_(seed) {
  if (!(rate_ > 0)) throw std::invalid_argument("arrival rate must be positive");
  if (kind_ == ArrivalKind::kBursty) {
    on_s_ = spec.bursty.on_ns / 1e9;
    double off_s = spec.bursty.off_ns / 1e9;
    period_s_ = on_s_ + off_s;
    // Mean over a period equals rate: rate_on*on + rate_off*off = rate*period.
    rate_off_ = rate_ * period_s_ / (spec.bursty.factor * on_s_ + off_s);
    rate_on_ = spec.bursty.factor * rate_off_;
  }
  if (kind_ == ArrivalKind::kRamp) {
    ramp_from_ = spec.ramp.from_rate;
    horizon_s_ = std::max(1e-9, horizon_ns / 1e9);
  }
}

double ArrivalProcess::OperationalToSeconds(double u) const {
  if (kind_ == ArrivalKind::kBursty) {
    double per_period = rate_ * period_s_;
    double periods = std::floor(u / per_period);
    double rest = u - periods * per_period;
    double on_events = rate_on_ * on_s_;
    double t = periods * period_s_;
    if (rest < on_events) return t + rest / rate_on_;
    return t + on_s_ + (rest - on_events) / rate_off_;
  }
  // Ramp: Lambda(t) = a t + (b - a) t^2 / (2 T) for t <= T, then linear at b.
  double a = ramp_from_, b = rate_, big_t = horizon_s_;
  double at_horizon = (a + b) / 2 * big_t;
  if (u >= at_horizon) return big_t + (u - at_horizon) / b;
  double c2 = (b - a) / (2 * big_t);
  // Root of c2 t^2 + a t - u = 0 in a form that is stable when c2 -> 0.
  return 2 * u / (a + std::sqrt(std::max(0.0, a * a + 4 * c2 * u)));
}

int64_t ArrivalProcess::Next() {
  switch (kind_) {
    case ArrivalKind::kConstant: {
      // Computed from the index, not accumulated: no drift over long runs.
      double t = static_cast<double>(index_++) * 1e9 / rate_;
      return static_cast<int64_t>(std::llround(t));
    }
    case ArrivalKind::kPoisson:
      operational_ += rng_.Exponential();
      return static_cast<int64_t>(std::llround(operational_ / rate_ * 1e9));
    case ArrivalKind::kBursty:
    case ArrivalKind::kRamp:
      operational_ += rng_.Exponential();
      return static_cast<int64_t>(std::llround(OperationalToSeconds(operational_) * 1e9));
  }
  return 0;
}

// ------------------------------------------------------------- alias table

AliasTable::AliasTable(const std::vector<double>& weights)
    : probability_(weights.size(), 1.0), alias_(weights.size(), 0) {
  const size_t n = weights.size();
  if (n == 0) throw std::invalid_argument("AliasTable needs at least one weight");
  double total = 0;
  for (double w : weights) total += w;
  std::vector<double> scaled(n);
  std::vector<uint32_t> small, large;
  for (size_t i = 0; i < n; ++i) {
    scaled[i] = weights[i] * static_cast<double>(n) / total;
    (scaled[i] < 1 ? small : large).push_back(static_cast<uint32_t>(i));
  }
  while (!small.empty() && !large.empty()) {
    uint32_t s = small.back();
    small.pop_back();
    uint32_t l = large.back();
    probability_[s] = scaled[s];
    alias_[s] = l;
    scaled[l] = scaled[l] + scaled[s] - 1;
    if (scaled[l] < 1) {
      large.pop_back();
      small.push_back(l);
    }
  }
  for (uint32_t i : small) probability_[i] = 1.0;
  for (uint32_t i : large) probability_[i] = 1.0;
  for (size_t i = 0; i < n; ++i) {
    if (probability_[i] >= 1.0) alias_[i] = static_cast<uint32_t>(i);
  }
}

uint32_t AliasTable::Sample(Rng& rng) const {
  uint32_t i = static_cast<uint32_t>(rng.Below(probability_.size()));
  return rng.Uniform() < probability_[i] ? i : alias_[i];
}

// -------------------------------------------------------------------- zipf

namespace {
// log1p(x)/x, continuous at 0.
double Log1pOverX(double x) { return std::abs(x) > 1e-8 ? std::log1p(x) / x : 1 - x / 2; }
// expm1(x)/x, continuous at 0.
double Expm1OverX(double x) { return std::abs(x) > 1e-8 ? std::expm1(x) / x : 1 + x / 2; }
}  // namespace

ZipfSampler::ZipfSampler(uint64_t n, double exponent) : n_(n), s_(exponent) {
  if (n == 0 || !(exponent > 0)) throw std::invalid_argument("Zipf needs n >= 1 and s > 0");
  h_integral_x1_ = H(1.5) - 1.0;
  h_integral_n_ = H(static_cast<double>(n) + 0.5);
  shortcut_ = 2.0 - HInverse(H(2.5) - h(2.0));
}

double ZipfSampler::h(double x) const { return std::exp(-s_ * std::log(x)); }

double ZipfSampler::H(double x) const {
  double log_x = std::log(x);
  return Expm1OverX((1.0 - s_) * log_x) * log_x;
}

double ZipfSampler::HInverse(double x) const {
  double t = std::max(-1.0, x * (1.0 - s_));
  return std::exp(Log1pOverX(t) * x);
}

uint64_t ZipfSampler::Sample(Rng& rng) const {
  while (true) {
    double u = h_integral_n_ + rng.Uniform() * (h_integral_x1_ - h_integral_n_);
    double x = HInverse(u);
    double k = std::floor(x + 0.5);
    if (k < 1) k = 1;
    if (k > static_cast<double>(n_)) k = static_cast<double>(n_);
    if (k - x <= shortcut_ || u >= H(k + 0.5) - h(k)) return static_cast<uint64_t>(k) - 1;
  }
}

// --------------------------------------------------------------- generator

namespace {
std::vector<double> Weights(const SyntheticSourceSpec& spec) {
  std::vector<double> w;
  for (const auto& t : spec.events) w.push_back(t.weight);
  return w;
}
constexpr double kZ99 = 2.3263478740408408;  // standard normal quantile at 0.99
}  // namespace

EventGenerator::EventGenerator(const SyntheticSourceSpec& spec, int64_t horizon_ns, uint64_t seed,
                               uint64_t seq_first, uint64_t seq_step)
    : spec_(spec),
      arrivals_(spec, horizon_ns, Rng::Derive(seed, 1)),
      rng_(Rng::Derive(seed, 2)),
      types_(Weights(spec)),
      seq_(seq_first),
      seq_step_(seq_step) {
  for (const auto& t : spec_.events) {
    double median = static_cast<double>(std::max<int64_t>(1, t.size.median));
    double p99 = static_cast<double>(std::max<int64_t>(1, t.size.p99));
    log_median_.push_back(std::log(median));
    sigma_.push_back(std::log(p99 / median) / kZ99);
  }
  if (spec_.keys.kind == KeySpec::Kind::kZipf) {
    zipf_ = std::make_unique<ZipfSampler>(static_cast<uint64_t>(spec_.keys.count),
                                          spec_.keys.zipf_exponent);
  }
}

uint32_t EventGenerator::SampleSize(uint16_t type) {
  const SizeDistribution& d = spec_.events[type].size;
  if (d.kind == SizeDistribution::Kind::kFixed) return static_cast<uint32_t>(d.fixed);
  double v = std::exp(log_median_[type] + sigma_[type] * rng_.Normal());
  double clamped = std::clamp(std::round(v), static_cast<double>(d.min), static_cast<double>(d.max));
  return static_cast<uint32_t>(clamped);
}

void EventGenerator::Next(Event* event) {
  event->intended_ns = arrivals_.Next();
  event->seq = seq_;
  seq_ += seq_step_;
  event->type = static_cast<uint16_t>(spec_.events.size() == 1 ? 0 : types_.Sample(rng_));
  event->size = SampleSize(event->type);
  switch (spec_.keys.kind) {
    case KeySpec::Kind::kNone:
      event->key = Event::kNoKey;
      break;
    case KeySpec::Kind::kUniform:
      event->key = static_cast<uint32_t>(rng_.Below(static_cast<uint64_t>(spec_.keys.count)));
      break;
    case KeySpec::Kind::kZipf:
      event->key = static_cast<uint32_t>(zipf_->Sample(rng_));
      break;
  }
}

// ------------------------------------------------------------------- pacer

int64_t Source::ReleaseInterval(double rate) {
  constexpr int64_t kMinNs = 100'000, kMaxNs = 500'000;
  constexpr double kEvents = 64;
  if (!(rate > 0)) return kMaxNs;
  return std::clamp<int64_t>(static_cast<int64_t>(kEvents / rate * 1e9), kMinNs, kMaxNs);
}

Source::Source(const Scenario& scenario, BoundedQueue<Event>& queue, uint64_t seed)
    : queue_(queue),
      policy_(scenario.queue.when_full),
      end_ns_(scenario.total_ns()),
      warmup_ns_(scenario.warmup_ns),
      owned_stream_(std::make_unique<SyntheticStream>(
          ShardSource(scenario.source, scenario.shard), scenario.total_ns(),
          ShardSeed(seed, scenario.shard), static_cast<uint64_t>(scenario.shard.index),
          static_cast<uint64_t>(scenario.shard.count))),
      stream_(owned_stream_.get()),
      counters_(scenario.type_slots()),
      producer_token_(queue.MakeProducerToken()),
      consumer_token_(queue.MakeConsumerToken()),
      timing_(scenario.timing),
      priority_(scenario.priority),
      release_interval_ns_(ReleaseInterval(ShardSource(scenario.source, scenario.shard).rate)),
      batch_(kMaxBatch) {}

Source::Source(const Scenario& scenario, BoundedQueue<Event>& queue, EventStream& stream)
    : queue_(queue),
      policy_(scenario.queue.when_full),
      end_ns_(scenario.total_ns()),
      warmup_ns_(scenario.warmup_ns),
      stream_(&stream),
      counters_(scenario.type_slots()),
      producer_token_(queue.MakeProducerToken()),
      consumer_token_(queue.MakeConsumerToken()),
      timing_(scenario.timing),
      priority_(scenario.priority),
      release_interval_ns_(scenario.source_kind == SourceKind::kReplay
                               ? ReleaseInterval(0)
                               : ReleaseInterval(ShardSource(scenario.source, scenario.shard).rate)),
      batch_(kMaxBatch) {}

namespace {

constexpr int64_t kLateNs = 1'000'000;
// An event due just before the end is still handed over if the source is
// this little late for it: a wake-up a few microseconds late must not make
// the last event of an unloaded run "unsent". Behind by more, the rest of
// the schedule is unsent.
constexpr int64_t kEndGraceNs = 10'000'000;
// Spin timing: how long before an intended time the pacer stops sleeping and
// spins. With the timer slack set to 1 ns, a sleep overshoots by a few
// microseconds.
constexpr int64_t kSpinNs = 20'000;
// Spin timing: the clock is read at least every this many events while
// behind schedule.
constexpr int kClockEvery = 64;
// No sleep is longer than this, so that `stop` is seen while the schedule
// has a long gap (a replay's quiet hour).
constexpr int64_t kLongestSleepNs = 100'000'000;
// The unsent rest of the schedule is counted event by event (their sizes
// make the offered bytes); `stop` is looked at every this many.
constexpr uint64_t kCountStopEvery = 4096;

// Sleeps until `target_abs_ns` on the steady clock (CLOCK_MONOTONIC), or
// kLongestSleepNs, whichever is sooner; EINTR just ends the sleep early.
void SleepUntil(int64_t target_abs_ns) {
  const int64_t target = std::min(target_abs_ns, NowNs() + kLongestSleepNs);
  timespec ts{static_cast<time_t>(target / 1'000'000'000), static_cast<long>(target % 1'000'000'000)};
  clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
}

// Spin timing: waits until `target_abs_ns`, sleeping until kSpinNs before it
// and yielding after. False when `stop` was set first.
bool WaitUntil(int64_t target_abs_ns, const std::atomic<bool>& stop) {
  while (true) {
    int64_t remaining = target_abs_ns - NowNs();
    if (remaining <= 0) return true;
    if (stop.load(std::memory_order_relaxed)) return false;
    if (remaining > kSpinNs + 10'000) {
      SleepUntil(target_abs_ns - kSpinNs);
    } else {
      std::this_thread::yield();
    }
  }
}

}  // namespace

void Source::Hand(const Event& event) {
  // Every path below either enqueues the event or counts it as dropped.
  switch (policy_) {
    case WhenFull::kDropNewest:
      if (!queue_.TryPush(producer_token_, event)) {
        counters_.dropped_newest.Add();
        counters_.dropped_by_type[event.type].Add();
        stream_->Discard(event);
      }
      break;
    case WhenFull::kDropOldest: {
      Event evicted;
      if (queue_.PushEvictingOldest(producer_token_, consumer_token_, event, &evicted)) {
        counters_.dropped_oldest.Add();
        counters_.dropped_by_type[evicted.type].Add();
        stream_->Discard(evicted);
      }
      break;
    }
    case WhenFull::kBlock:
      break;  // handled by the callers, which know the deadline
  }
  counters_.max_depth.Max(queue_.Depth());
}

void Source::CountScheduled(const Event& event) {
  counters_.scheduled.Add();
  if (offered_ != nullptr) {
    // A division only when the event leaves the interval of the last one.
    if (event.intended_ns >= offered_to_ns_ || event.intended_ns < offered_from_ns_) {
      const int64_t k = std::max<int64_t>(0, event.intended_ns / offered_interval_ns_);
      offered_index_ = std::min(static_cast<size_t>(k), offered_size_ - 1);
      offered_from_ns_ = k * offered_interval_ns_;
      offered_to_ns_ = offered_from_ns_ + offered_interval_ns_;
    }
    offered_[offered_index_].Add();
  }
  if (event.intended_ns >= warmup_ns_) {
    counters_.scheduled_measured.Add();
    counters_.scheduled_measured_bytes.Add(event.size);
  }
}

void Source::Account(const Event& event, int64_t lag) {
  lag = std::max<int64_t>(0, lag);
  counters_.lag_sum_ns.Add(static_cast<uint64_t>(lag));
  counters_.max_lag_ns.Max(static_cast<uint64_t>(lag));
  if (lag > kLateNs) counters_.late.Add();
  if (event.intended_ns >= warmup_ns_) {
    counters_.generated_measured.Add();
    counters_.lag_sum_measured_ns.Add(static_cast<uint64_t>(lag));
    lag_.Record(lag);
  }
  counters_.generated.Add();
  counters_.generated_by_type[event.type].Add();
  CountScheduled(event);
}

void Source::Run(int64_t epoch_ns, const std::atomic<bool>& stop) {
  // Precise sleeps: the default 50 us timer slack would delay every wake-up.
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  deadline_abs_ns_ = epoch_ns + end_ns_ + kEndGraceNs;
  const bool paced = stream_->paced();
  Event event;
  bool more = stream_->Next(&event);
  const bool sleeping = timing_ == SourceTiming::kSleep && paced;
  if (priority_ == SourcePriority::kRealtime && !sleeping) {
    priority_applied_ = "normal: realtime needs sleep timing and a paced source";
  }
  const bool stopped =
      sleeping ? RunSleeping(epoch_ns, stop, &event, &more) : RunSpinning(epoch_ns, stop, &event, &more);
  if (!stopped && paced) {
    // Count what the schedule still held: the events the run never got to.
    uint64_t unsent = 0;
    while (more && event.intended_ns < end_ns_) {
      if (unsent % kCountStopEvery == kCountStopEvery - 1 && stop.load(std::memory_order_relaxed)) break;
      ++unsent;
      CountScheduled(event);
      stream_->Discard(event);
      more = stream_->Next(&event);
    }
    counters_.unsent.Add(unsent);
  }
  // The event in hand (past the end, or never scheduled) goes back.
  if (more) stream_->Discard(event);
}

bool Source::RunSpinning(int64_t epoch_ns, const std::atomic<bool>& stop, Event* next, bool* more) {
  const bool paced = stream_->paced();
  Event& event = *next;
  int64_t now = NowNs() - epoch_ns;
  int since_clock = 0;
  while (*more && (!paced || event.intended_ns < end_ns_)) {
    if (!paced) {
      // No schedule: the event is due the moment the source takes it.
      now = NowNs() - epoch_ns;
      if (stop.load(std::memory_order_relaxed)) return true;
      if (now >= end_ns_ + kEndGraceNs) break;
      event.intended_ns = now;
    } else if (event.intended_ns > now || ++since_clock >= kClockEvery) {
      since_clock = 0;
      now = NowNs() - epoch_ns;
      if (stop.load(std::memory_order_relaxed)) return true;
      if (now >= end_ns_ + kEndGraceNs) break;  // behind at the end: the rest is unsent
      if (event.intended_ns > now) {
        counters_.wakeups.Add();
        if (!WaitUntil(epoch_ns + event.intended_ns, stop)) return true;
        now = NowNs() - epoch_ns;
      }
    }
    if (sink_ != nullptr) {
      sink_->Take(event, now);
    } else if (policy_ == WhenFull::kBlock && !queue_.TryPush(producer_token_, event)) {
      counters_.blocked.Add();
      bool pushed = false;
      while (!pushed) {
        int64_t left_us = (deadline_abs_ns_ - NowNs()) / 1000;
        if (left_us <= 0 || stop.load(std::memory_order_relaxed)) break;
        pushed = queue_.PushBlocking(producer_token_, event, std::min<int64_t>(left_us, 100'000));
      }
      if (!pushed) return stop.load(std::memory_order_relaxed);  // this event and the rest are unsent
      now = NowNs() - epoch_ns;
      counters_.max_depth.Max(queue_.Depth());
    } else if (policy_ != WhenFull::kBlock) {
      Hand(event);
    } else {
      counters_.max_depth.Max(queue_.Depth());
    }
    Account(event, now - event.intended_ns);
    *more = stream_->Next(&event);
  }
  return false;
}

size_t Source::HandBatch(size_t n, int64_t epoch_ns, const std::atomic<bool>& stop, bool* stopped) {
  Event* batch = batch_.data();
  if (sink_ != nullptr) {
    // Direct: the sink produces each event on this thread; each one's lag is
    // taken when the sink gets it.
    for (size_t i = 0; i < n; ++i) {
      const int64_t now = NowNs() - epoch_ns;
      sink_->Take(batch[i], now);
      Account(batch[i], now - batch[i].intended_ns);
    }
    return n;
  }
  // One bulk push for as many as there is room for: one wake-up of one
  // worker for the whole batch.
  const size_t pushed = queue_.TryPushBulk(producer_token_, batch, n);
  int64_t now = NowNs() - epoch_ns;
  size_t handed = pushed;
  if (pushed < n) {
    switch (policy_) {
      case WhenFull::kDropNewest:
        for (size_t i = pushed; i < n; ++i) {
          counters_.dropped_newest.Add();
          counters_.dropped_by_type[batch[i].type].Add();
          stream_->Discard(batch[i]);
        }
        handed = n;
        break;
      case WhenFull::kDropOldest:
        for (size_t i = pushed; i < n; ++i) Hand(batch[i]);
        now = NowNs() - epoch_ns;
        handed = n;
        break;
      case WhenFull::kBlock:
        break;  // below: each of the rest waits for room on its own
    }
  }
  counters_.max_depth.Max(queue_.Depth());
  for (size_t i = 0; i < handed; ++i) Account(batch[i], now - batch[i].intended_ns);
  // Block: the rest wait for room one by one, until the end of the run.
  for (size_t i = handed; i < n; ++i) {
    if (!queue_.TryPush(producer_token_, batch[i])) {
      counters_.blocked.Add();
      bool pushed_one = false;
      while (!pushed_one) {
        int64_t left_us = (deadline_abs_ns_ - NowNs()) / 1000;
        if (left_us <= 0) break;
        if (stop.load(std::memory_order_relaxed)) {
          *stopped = true;
          break;
        }
        pushed_one = queue_.PushBlocking(producer_token_, batch[i], std::min<int64_t>(left_us, 100'000));
      }
      if (!pushed_one) return i;  // this event and the rest are unsent
    }
    counters_.max_depth.Max(queue_.Depth());
    Account(batch[i], NowNs() - epoch_ns - batch[i].intended_ns);
  }
  return n;
}

namespace {

// The calling thread's scheduling: its policy and parameters.
struct Scheduling {
  int policy = SCHED_OTHER;
  sched_param param{};
};
Scheduling CurrentScheduling() {
  Scheduling s;
  if (pthread_getschedparam(pthread_self(), &s.policy, &s.param) != 0) s = Scheduling{};
  return s;
}
// Returns 0 or the error (EPERM without root or CAP_SYS_NICE).
int SetScheduling(const Scheduling& s) { return pthread_setschedparam(pthread_self(), s.policy, &s.param); }
Scheduling Realtime() {
  Scheduling s;
  s.policy = SCHED_FIFO;
  s.param.sched_priority = 1;
  return s;
}

}  // namespace

bool Source::RunSleeping(int64_t epoch_ns, const std::atomic<bool>& stop, Event* next, bool* more) {
  // source.priority: realtime, for as long as the source keeps to its
  // schedule (it sleeps at least every kRealtimeBehindNs).
  const Scheduling original = CurrentScheduling();
  bool realtime = false;
  if (priority_ == SourcePriority::kRealtime) {
    const int err = SetScheduling(Realtime());
    realtime = err == 0;
    priority_applied_ = realtime ? "realtime" : std::string("normal: realtime refused (") + std::strerror(err) + ")";
  }
  struct Restore {
    bool& on;
    const Scheduling& original;
    ~Restore() {
      if (on) SetScheduling(original);
    }
  } restore{realtime, original};
  Event& event = *next;
  int64_t now = NowNs() - epoch_ns;
  int64_t last_wake = now - release_interval_ns_;
  while (*more && event.intended_ns < end_ns_) {
    // Behind: the next event is due more than kRealtimeBehindNs ago.
    if (realtime && now - event.intended_ns > kRealtimeBehindNs) {
      SetScheduling(original);
      realtime = false;
      char at[64];
      std::snprintf(at, sizeof at, "realtime until %.3f s", static_cast<double>(now) / 1e9);
      priority_applied_ = at;
    }
    if (stop.load(std::memory_order_relaxed)) return true;
    if (now >= end_ns_ + kEndGraceNs) return false;  // behind at the end: the rest is unsent
    if (event.intended_ns > now) {
      // Not due yet: sleep until it is, but at least one interval after the
      // last wake-up, so that at high rates each wake-up releases a batch.
      SleepUntil(epoch_ns + std::max(event.intended_ns, last_wake + release_interval_ns_));
      counters_.wakeups.Add();
      now = NowNs() - epoch_ns;
      if (event.intended_ns <= now) last_wake = now;
      continue;
    }
    // Everything due by `now`, in order, at most a batch.
    size_t n = 0;
    while (*more && n < kMaxBatch && event.intended_ns <= now && event.intended_ns < end_ns_) {
      batch_[n++] = event;
      *more = stream_->Next(&event);
    }
    bool stopped = false;
    const size_t handed = HandBatch(n, epoch_ns, stop, &stopped);
    if (handed < n) {
      // Blocked until the end (or stopped): the rest of the batch is unsent,
      // and so is the rest of the schedule (counted by Run()).
      if (!stopped) {
        for (size_t i = handed; i < n; ++i) CountScheduled(batch_[i]);
        counters_.unsent.Add(n - handed);
      }
      for (size_t i = handed; i < n; ++i) stream_->Discard(batch_[i]);
      return stopped;
    }
    now = NowNs() - epoch_ns;
  }
  return false;
}

}  // namespace sluice
