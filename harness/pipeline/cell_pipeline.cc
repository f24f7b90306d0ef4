#include "cell_pipeline.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "sluice/core/clock.h"
#include "sluice/pipeline/recovery.h"

namespace sluice::internal {
namespace {

int64_t WallNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A replayed line holds an arena slot while it is queued or in a worker's
// batch: the queue's capacity plus every worker's batch bounds them.
size_t ReplaySlots(const Scenario& s) {
  const size_t per_worker =
      s.producers.delivery == DeliveryMode::kSync ? 1 : static_cast<size_t>(s.producers.dequeue_batch);
  return static_cast<size_t>(s.queue.capacity) + static_cast<size_t>(s.producers.threads) * per_worker;
}

FaultTarget TargetOf(const Scenario& s, const CellResult& result, const CellContext& context) {
  FaultTarget target;
  target.mock = context.mock;
  target.base_rtt_ns = s.broker.rtt_ns;
  target.topic = result.topic;
  target.partitions = s.topic.partitions;
  target.kafka_local = context.options->kafka_local;
  return target;
}

}  // namespace

CellPipeline::CellPipeline(const Scenario& scenario, const std::string& bootstrap, CellResult& result,
                           const CellContext& context)
    : scenario_(scenario),
      result_(result),
      context_(context),
      interrupted_(*context.options->interrupted),
      threads_(scenario.producers.threads),
      shared_(scenario.producers.client == ClientMode::kShared),
      replay_(scenario.source_kind == SourceKind::kReplay),
      direct_(scenario.pipeline == PipelineKind::kDirect),
      queue_(static_cast<size_t>(scenario.queue.capacity)),
      source_end_(scenario.total_ns()) {
  if (replay_) replay_stream_ = std::make_unique<ReplayStream>(scenario.replay, ReplaySlots(scenario), scenario.shard);
  control_.interrupted = &interrupted_;
  recorder_ = std::make_unique<IntervalRecorder>(
      scenario, [this](const IntervalRow& row, const IntervalTotals& totals) { OnRow(row, totals); });
  injector_ = std::make_unique<FaultInjector>(scenario.faults, TargetOf(scenario, result, context));
  MakeClients(bootstrap);
  MakeVerifier(bootstrap);
  source_ = replay_ ? std::make_unique<Source>(scenario, queue_, *replay_stream_)
                    : std::make_unique<Source>(scenario, queue_, scenario.seed);
  source_->CountOfferedInto(recorder_->offered(), recorder_->offered_size(), recorder_->interval_ns());
  MakeWorkers();
}

CellPipeline::~CellPipeline() {
  // Only when set-up or a stage threw: the threads end before what they use.
  if (source_thread_.joinable()) source_thread_.join();
  for (auto& t : worker_threads_) {
    if (t.joinable()) t.join();
  }
  recorder_->Stop();
  injector_->Stop();
}

// Clients connect and learn the topic's leaders first; the epoch (time 0 of
// the schedule) is fixed after that, so set-up is never charged to the
// first events.
void CellPipeline::MakeClients(const std::string& bootstrap) {
  for (int i = 0; i < (shared_ ? 1 : threads_); ++i) {
    clients_.push_back(
        std::make_unique<ProducerClient>(scenario_, bootstrap, result_.topic, shared_ ? threads_ : 1));
  }
  for (auto& c : clients_) c->AwaitTopicMetadata(scenario_.broker.connect_timeout_ns);
  for (auto& c : clients_) c->SetIntervals(&recorder_->AddClient());
  result_.effective_config = EffectiveConfig(clients_.front()->handle());
}

// verify: identities in the events, acknowledgements in a ledger, and a
// consumer that reads the topic back from the start. Without a consumer
// (verify.consume: false) the identity travels and nothing is kept.
void CellPipeline::MakeVerifier(const std::string& bootstrap) {
  if (scenario_.verify.identity && scenario_.verify.consume) {
    for (auto& c : clients_) c->EnableLedger();
  }
  if (scenario_.verify.consume) {
    verifier_ = std::make_unique<Verifier>(scenario_, bootstrap, result_.topic, context_.identity);
  }
}

void CellPipeline::MakeWorkers() {
  for (int i = 0; i < threads_; ++i) {
    ProducerClient& client = *clients_[shared_ ? 0 : i];
    workers_.push_back(std::make_unique<ProducerWorker>(shared_ ? i : 0, scenario_, queue_, client,
                                                        *context_.payloads, control_,
                                                        replay_ ? &replay_stream_->arena() : nullptr));
    if (scenario_.verify.identity) {
      Identity stamp = context_.identity;
      // The worker in the low 16 bits, the shard in the high 16: unique across shards.
      stamp.producer = static_cast<uint32_t>(scenario_.shard.index) << 16 | static_cast<uint32_t>(i);
      workers_.back()->EnableIdentity(stamp, scenario_.verify.carrier);
    }
  }
  // Direct: the one worker produces on the source's thread, and the queue
  // stays empty.
  if (direct_) source_->SetSink(workers_.front().get());
}

void CellPipeline::OnRow(const IntervalRow& row, const IntervalTotals& totals) const {
  const auto& on_status = context_.options->on_status;
  if (!on_status) return;
  StatusSnapshot st;
  st.cell = context_.cell;
  st.cells = context_.cells;
  st.repetition = context_.repetition;
  st.repetitions = scenario_.repeat;
  st.elapsed_s = row.t_s + row.length_s;
  st.total_s = scenario_.total_ns() / 1e9;
  if (row.length_s > 0) {
    st.offered_per_s = row.offered / row.length_s;
    st.delivered_per_s = row.delivered / row.length_s;
  }
  st.depth = row.depth_max;
  st.dropped = totals.dropped;
  st.p99_ns = std::isnan(row.e2e_p99_ms) ? -1 : static_cast<int64_t>(row.e2e_p99_ms * 1e6);
  st.interval = row;
  st.totals = totals;
  st.scheduled = source_->counters().scheduled.Get();
  on_status(st);
}

// The start barrier of shards: waits (interruptibly) until the wall-clock
// start; late, begins now. Returns the wait.
int64_t CellPipeline::AwaitStartBarrier(int64_t start_unix_ns, int64_t* epoch) {
  const int64_t target = NowNs() + (start_unix_ns - WallNowNs());
  const int64_t wait_from = NowNs();
  while (target - NowNs() > 1'000'000 && !interrupted_.load()) {
    std::this_thread::sleep_for(
        std::chrono::nanoseconds(std::min<int64_t>(100'000'000, target - NowNs() - 1'000'000)));
  }
  *epoch = std::max(*epoch, target);
  return std::max<int64_t>(0, std::min(NowNs(), target) - wait_from);
}

int64_t CellPipeline::Start(int64_t start_unix_ns) {
  epoch_ = NowNs() + 1'000'000;  // the first event is due 1 ms from now
  result_.setup_s = (epoch_ - context_.cell_start_ns) / 1e9;
  const int64_t waited = start_unix_ns > 0 ? AwaitStartBarrier(start_unix_ns, &epoch_) : 0;
  for (auto& c : clients_) c->SetEpoch(epoch_);
  control_.epoch_ns = epoch_;
  control_.wall_epoch_us = WallNowNs() / 1000 + (epoch_ - NowNs()) / 1000;
  result_.epoch_unix_s = control_.wall_epoch_us / 1e6;
  StartThreads();
  return waited;
}

void CellPipeline::StartThreads() {
  if (!direct_) {
    for (auto& w : workers_) worker_threads_.emplace_back([&w] { w->Run(); });
  }
  if (verifier_) verifier_->Start(epoch_);
  depth_ = std::make_unique<QueueDepthStats>(source_->counters(), epoch_ + scenario_.warmup_ns,
                                             epoch_ + scenario_.warmup_ns + scenario_.duration_ns / 2);
  IntervalInputs inputs;
  inputs.source = &source_->counters();
  for (auto& w : workers_) inputs.workers.push_back(&w->counters());
  inputs.depth = [this] { return static_cast<uint64_t>(queue_.Depth()); };
  inputs.source_done = &source_finished_;
  inputs.depth_stats = depth_.get();
  recorder_->Start(epoch_, std::move(inputs));
  injector_->Start(epoch_);
  source_thread_ = std::thread([this] { RunSource(); });
}

void CellPipeline::RunSource() {
  source_->Run(epoch_, interrupted_);
  const int64_t stopped = NowNs() - epoch_;
  if (interrupted_.load() && stopped < source_end_) {
    // The measured window ends here: reports from now on are not in it.
    source_end_ = stopped;
    for (auto& c : clients_) c->SetWindowEnd(stopped);
  }
  control_.drain_deadline_abs_ns.store(NowNs() + scenario_.producers.drain_timeout_ns);
  control_.source_done.store(true, std::memory_order_release);
  source_finished_.store(true);
}

void CellPipeline::AwaitTraffic() {
  source_thread_.join();
  for (auto& t : worker_threads_) t.join();
}

void CellPipeline::Drain() {
  // Interrupted: what the workers left in the queue has no outcome.
  {
    auto token = queue_.MakeConsumerToken();
    std::vector<Event> rest(1024);
    while (size_t n = queue_.TryPopBulk(token, rest.data(), rest.size())) left_in_queue_ += n;
  }
  const int64_t flush_deadline = NowNs() + scenario_.producers.flush_timeout_ns;
  for (auto& c : clients_) c->Flush(std::max<int64_t>(0, flush_deadline - NowNs()));
  WaitForStatistics();
  for (auto& c : clients_) c->StopListener();
  // Every listener has stopped: undo what is still active, close the series.
  injector_->Stop();
  recorder_->Stop();
  depth_->Close(NowNs());
}

// One wait for every client's statistics made after the flush (they come on
// timers), not one after the other.
void CellPipeline::WaitForStatistics() {
  const int64_t flushed = NowNs();
  int64_t give_up = flushed;
  for (auto& c : clients_) give_up = std::max(give_up, flushed + c->StatisticsWaitNs());
  auto all_counted = [&] {
    for (auto& c : clients_) {
      if (!c->HasStatisticsSince(flushed)) return false;
    }
    return true;
  };
  while (!all_counted() && NowNs() < give_up) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void CellPipeline::Verify() {
  if (!verifier_) return;
  AckLedger acked;
  for (auto& c : clients_) acked.Merge(c->ledger());
  // The embedded broker's high watermark is its log's end: nothing to wait
  // for once the consumer is there.
  verifier_->Finish(acked, scenario_.verify.timeout_ns, scenario_.broker.embedded ? 0 : scenario_.verify.settle_ns);
  VerifyResult& v = result_.verify;
  v.checked = true;
  v.counts = verifier_->classifier().total();
  v.reached_end = verifier_->reached_end();
  v.skipped_offsets = verifier_->classifier().skipped_offsets();
  v.errors = verifier_->errors();
  v.memory_bytes = acked.MemoryBytes() + verifier_->classifier().MemoryBytes();
  result_.consume = std::make_shared<LatencyHistogram>(verifier_->consume());
}

void CellPipeline::Collect() {
  CollectSource();
  // Per type: every slot the counters have, named afterwards.
  std::vector<TypeCounts> by_type(scenario_.type_slots());
  CollectDeliveries(by_type);
  CollectTypes(by_type);
  CollectReplay();
  CollectLittle();
  CollectWindow();
  CollectTransients();
  CollectErrors();
}

void CellPipeline::CollectSource() {
  const SourceCounters& sc = source_->counters();
  result_.scheduled = sc.scheduled.Get();
  result_.unsent = sc.unsent.Get();
  result_.generated = sc.generated.Get();
  result_.dropped_newest = sc.dropped_newest.Get();
  result_.dropped_oldest = sc.dropped_oldest.Get();
  result_.late = sc.late.Get();
  result_.blocked = sc.blocked.Get();
  result_.max_lag_ns = static_cast<int64_t>(sc.max_lag_ns.Get());
  result_.mean_lag_ns = result_.generated ? static_cast<double>(sc.lag_sum_ns.Get()) / result_.generated : 0;
  result_.max_depth = sc.max_depth.Get();
  result_.mean_depth = depth_->mean_depth();
  result_.source_lag = std::make_shared<LatencyHistogram>(source_->lag());
  result_.source_priority = source_->priority_applied();
}

// The delivery listeners' and the workers' counts, summed over clients and
// workers; the latency histograms merged.
void CellPipeline::CollectDeliveries(std::vector<TypeCounts>& by_type) {
  const size_t types = by_type.size();
  auto e2e = std::make_shared<LatencyHistogram>(), wait = std::make_shared<LatencyHistogram>(),
       worker = std::make_shared<LatencyHistogram>(), kafka = std::make_shared<LatencyHistogram>();
  for (auto& c : clients_) {
    const DeliveryCounters& dc = c->counters();
    result_.delivered += dc.delivered.Get();
    result_.failed += dc.failed.Get();
    result_.unresolved_in_flight += dc.purged.Get();
    result_.measured_delivered += dc.measured_delivered.Get();
    MergeInto(result_.failed_by_code, dc.failed_by_code);
    e2e->Merge(dc.end_to_end);
    wait->Merge(dc.queue_wait);
    worker->Merge(dc.worker);
    kafka->Merge(dc.kafka);
    // What the mock broker keeps of this cell: at least the payloads sent,
    // at most every byte sent (tx_bytes, when statistics are on).
    sent_bytes_ += std::max(dc.wire_bytes.Get(), dc.delivered_bytes.Get());
    result_.wire_bytes += dc.wire_bytes.Get();
    result_.wire_messages += dc.wire_messages.Get();
    result_.wire_payload_bytes += dc.wire_payload_bytes.Get();
    for (size_t t = 0; t < types; ++t) {
      by_type[t].delivered += dc.delivered_by_type[t].Get();
      by_type[t].failed += dc.failed_by_type[t].Get();
    }
  }
  for (auto& w : workers_) {
    const WorkerCounters& wc = w->counters();
    result_.failed += wc.failed.Get();
    result_.unresolved_queued += wc.abandoned.Get();
    result_.backpressure += wc.backpressure.Get();
    MergeInto(result_.failed_by_code, wc.failed_by_code);
    for (size_t t = 0; t < types; ++t) by_type[t].failed += wc.failed_by_type[t].Get();
  }
  result_.unresolved_queued += left_in_queue_;
  result_.unresolved = result_.unresolved_in_flight + result_.unresolved_queued;
  result_.end_to_end = e2e;
  result_.queue_wait = wait;
  result_.worker = worker;
  result_.kafka = kafka;
}

void CellPipeline::CollectTypes(std::vector<TypeCounts>& by_type) {
  const SourceCounters& sc = source_->counters();
  for (size_t t = 0; t < by_type.size(); ++t) {
    by_type[t].generated = sc.generated_by_type[t].Get();
    by_type[t].dropped = sc.dropped_by_type[t].Get();
  }
  std::vector<std::string> names;
  if (replay_) {
    names = replay_stream_->type_names();
  } else {
    for (const auto& t : scenario_.source.events) names.push_back(t.name);
  }
  result_.types.clear();
  for (size_t t = 0; t < names.size() && t < by_type.size(); ++t) {
    by_type[t].type = names[t];
    if (verifier_) result_.verify.by_type.push_back(verifier_->classifier().by_type()[t]);
    result_.types.push_back(by_type[t]);
  }
}

void CellPipeline::CollectReplay() {
  if (!replay_) return;
  const ReplayCounters& rc = replay_stream_->counters();
  ReplayStats& r = result_.replay;
  result_.replayed = true;
  r.lines = rc.lines.Get();
  r.bad_lines = rc.bad_lines.Get();
  r.out_of_order = rc.out_of_order.Get();
  r.clamped = rc.clamped.Get();
  r.passes = rc.passes.Get();
  r.other_type = rc.other_type.Get();
  for (const BadLine& b : replay_stream_->bad_lines()) {
    r.bad_line_examples.push_back(std::to_string(b.line) +
                                  (b.pass ? " (pass " + std::to_string(b.pass + 1) + ")" : "") + ": " + b.reason);
  }
  if (!replay_stream_->error().empty() && result_.error.empty()) result_.error = "replay: " + replay_stream_->error();
}

void CellPipeline::CollectLittle() {
  result_.depth_growth = depth_->depth_growth();
  result_.little_arrival_rate = depth_->little_arrival_rate();
  if (std::isnan(result_.little_arrival_rate)) return;
  result_.little_mean_depth = depth_->little_mean_depth();
  if (result_.queue_wait->TotalCount() == 0) return;
  // Queue wait is measured from the intended time; an event entered the
  // queue only when the source handed it over, mean_lag later.
  const SourceCounters& sc = source_->counters();
  const uint64_t measured = sc.generated_measured.Get();
  const double lag_ns = measured ? static_cast<double>(sc.lag_sum_measured_ns.Get()) / measured : 0.0;
  const double in_queue_ns = std::max(0.0, result_.queue_wait->Mean() - lag_ns);
  result_.little_predicted_depth = result_.little_arrival_rate * in_queue_ns / 1e9;
}

// The measured window as it was: from the end of the warm-up to the end of
// the run, or to where a signal stopped the source (nothing when that was
// during the warm-up).
void CellPipeline::CollectWindow() {
  const double window = std::max<int64_t>(0, source_end_ - scenario_.warmup_ns) / 1e9;
  result_.duration_s = window;
  if (window <= 0) return;
  const SourceCounters& sc = source_->counters();
  uint64_t delivered = 0, bytes = 0;
  for (auto& c : clients_) {
    delivered += c->counters().window_delivered.Get();
    bytes += c->counters().window_delivered_bytes.Get();
  }
  result_.offered_rate = sc.scheduled_measured.Get() / window;
  result_.offered_mbps = sc.scheduled_measured_bytes.Get() / window / 1e6;
  result_.delivered_rate = delivered / window;
  result_.delivered_mbps = bytes / window / 1e6;
}

void CellPipeline::CollectTransients() {
  result_.timeseries = std::move(recorder_->rows());
  result_.host_cpu_pct = recorder_->window_host_cpu_pct();
  result_.faults = injector_->outcomes();
  if (scenario_.faults.empty()) return;
  int64_t last_end = 0;
  for (const FaultSpec& f : scenario_.faults) last_end = std::max(last_end, f.end_ns());
  result_.recovery = ComputeRecovery(result_.timeseries, scenario_.faults.front().at_ns / 1e9, last_end / 1e9,
                                     source_end_ / 1e9, RecoveryDepthFloor(scenario_.queue.capacity));
}

void CellPipeline::CollectErrors() {
  if (!injector_->error().empty() && result_.error.empty()) result_.error = injector_->error();
  for (auto& c : clients_) {
    const std::string fatal = c->FatalError();
    if (!fatal.empty() && result_.error.empty()) result_.error = "fatal librdkafka error: " + fatal;
  }
  if (interrupted_.load() && result_.error.empty()) result_.error = "interrupted";
}

}  // namespace sluice::internal
