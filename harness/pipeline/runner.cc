#include "sluice/pipeline/runner.h"

#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include "sluice/core/bounded_queue.h"
#include "sluice/core/clock.h"
#include "sluice/pipeline/delivery.h"
#include "sluice/pipeline/faults.h"
#include "sluice/pipeline/interval_series.h"
#include "sluice/pipeline/kafka_client.h"
#include "sluice/pipeline/payload.h"
#include "sluice/pipeline/producer_worker.h"
#include "sluice/pipeline/recovery.h"
#include "sluice/pipeline/replay.h"
#include "sluice/pipeline/source.h"
#include "sluice/pipeline/verifier.h"
#include "sluice/core/units.h"

namespace sluice {

int64_t PeakRssBytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) {
      std::istringstream fields(line.substr(6));
      int64_t kib = 0;
      fields >> kib;
      return kib * 1024;
    }
  }
  return 0;
}

void ResetPeakRss() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
}

namespace {

double Seconds(const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; }

std::string DescribeEmbedded(const BrokerSpec& b) {
  return "embedded (" + std::to_string(b.brokers) + " brokers, rtt " +
         std::to_string(b.rtt_ns / 1'000'000) + "ms)";
}

int64_t MaxEventSize(const Scenario& s) {
  int64_t max = 1;
  for (const auto& t : s.source.events) max = std::max(max, t.size.max);
  return max;
}

}  // namespace

namespace {
uint64_t RandomRunId() {
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32) ^ device();
}
}  // namespace

Runner::Runner(RunOptions options) : options_(std::move(options)), identity_run_(RandomRunId()) {
  if (options_.interrupted == nullptr) options_.interrupted = &never_;
}

Runner::~Runner() = default;

namespace {

// Everything a PayloadPool's bytes depend on (payload.h, documents.h).
std::string PayloadKey(const Scenario& s, bool replay) {
  std::ostringstream key;
  key.precision(17);
  key << s.seed << '/' << (replay ? 1 : MaxEventSize(s));
  if (replay) return key.str();
  key << '/' << static_cast<int>(s.source.payload);
  for (const auto& t : s.source.events) {
    key << '/' << t.name.size() << ':' << t.name << ',' << t.weight << ','
        << static_cast<int>(t.size.kind) << ',' << t.size.fixed << ',' << t.size.median << ','
        << t.size.p99 << ',' << t.size.min << ',' << t.size.max;
  }
  return key.str();
}

}  // namespace

const PayloadPool& Runner::PayloadsFor(const Scenario& scenario) {
  // Building a pool of documents takes about half a second on this machine;
  // the bytes depend only on the key, so cells that share it share the pool
  // (it is read-only once built).
  const bool replay = scenario.source_kind == SourceKind::kReplay;
  std::string key = PayloadKey(scenario, replay);
  if (payloads_ == nullptr || key != payloads_key_) {
    payloads_.reset();  // one pool at a time
    auto pool = std::make_unique<PayloadPool>(scenario.seed,
                                              replay ? 1 : static_cast<size_t>(MaxEventSize(scenario)));
    if (!replay) pool->UseDocuments(scenario.source);
    payloads_ = std::move(pool);
    payloads_key_ = std::move(key);
  }
  return *payloads_;
}

EmbeddedCluster& Runner::EmbeddedFor(const Scenario& scenario, const std::string& topic) {
  const BrokerSpec& b = scenario.broker;
  const bool reusable = cluster_ != nullptr && cluster_->brokers() == b.brokers &&
                        cluster_->rtt_ns() == b.rtt_ns && !cluster_->HasTopic(topic) &&
                        cluster_sent_bytes_ < kEmbeddedRetainedBudget;
  if (!reusable) {
    cluster_.reset();  // one cluster at a time: its memory goes before the next one's
    cluster_sent_bytes_ = 0;
    cluster_ = std::make_unique<EmbeddedCluster>(b.brokers, b.rtt_ns);
  }
  return *cluster_;
}

CellResult Runner::RunCell(const Scenario& scenario, int cell, int cells, int repetition) {
  CellResult result;
  result.cell = cell;
  result.repetition = repetition;
  result.scenario = scenario;
  result.topic = scenario.topic.reuse ? scenario.topic.name
                                      : scenario.topic.name + "." + options_.run_id + ".c" +
                                            std::to_string(cell) + "r" + std::to_string(repetition);
  // The measured window is set once the source has run (RunPipeline): a
  // cell that fails before its traffic measured nothing.
  result.duration_s = 0;
  for (const auto& t : scenario.source.events) result.types.push_back({t.name, 0, 0, 0, 0});

  // BeginNextCellAt is for this cell only, however it ends.
  struct ForThisCell {
    int64_t& start;
    ~ForThisCell() { start = 0; }
  } for_this_cell{next_start_unix_ns_};
  barrier_wait_ns_ = 0;
  rusage before{};
  getrusage(RUSAGE_SELF, &before);
  ResetPeakRss();
  const int64_t wall_start = NowNs();
  try {
    std::string bootstrap = options_.bootstrap;
    if (bootstrap.empty() && !scenario.broker.embedded) bootstrap = scenario.broker.bootstrap;
    if (bootstrap.empty()) {
      EmbeddedCluster& cluster = EmbeddedFor(scenario, result.topic);
      cluster.CreateTopic(result.topic, scenario.topic.partitions, scenario.topic.replication);
      result.broker = DescribeEmbedded(scenario.broker);
      result.broker_count = scenario.broker.brokers;
      result.kafka_version = "mock";
      cell_cluster_ = &cluster;
      RunPipeline(scenario, cluster.bootstrap(), result, cell, cells, repetition, wall_start);
      cell_cluster_ = nullptr;
      cluster_sent_bytes_ += cell_sent_bytes_;
      // Faults may leave the mock changed (leaders moved, errors not used
      // up): the next cell starts on a fresh cluster.
      if (!scenario.faults.empty()) cluster_.reset();
    } else {
      ClusterInfo info = CheckCluster(bootstrap, scenario.broker.connect_timeout_ns);
      result.broker = bootstrap;
      result.broker_count = info.brokers;
      result.kafka_version = info.kafka_version;
      CreateTopicOnCluster(bootstrap, scenario.topic, result.topic, scenario.broker.connect_timeout_ns);
      RunPipeline(scenario, bootstrap, result, cell, cells, repetition, wall_start);
    }
  } catch (const KafkaSetupError& e) {
    cell_cluster_ = nullptr;
    result.error = e.what();
  } catch (const ScenarioError& e) {
    cell_cluster_ = nullptr;
    result.error = e.what();
  } catch (const TraceError& e) {
    cell_cluster_ = nullptr;
    result.error = std::string("replay: ") + e.what();
  }
  // A cell that failed or was interrupted may have left the embedded
  // cluster in any state: the next cell starts a fresh one.
  if (!result.error.empty()) cluster_.reset();
  rusage after{};
  getrusage(RUSAGE_SELF, &after);
  // The cell's own time: not the wait for its start barrier.
  result.wall_s = (NowNs() - wall_start - barrier_wait_ns_) / 1e9;
  result.cpu_user_s = Seconds(after.ru_utime) - Seconds(before.ru_utime);
  result.cpu_system_s = Seconds(after.ru_stime) - Seconds(before.ru_stime);
  result.peak_rss_bytes = PeakRssBytes();
  return result;
}

void Runner::RunPipeline(const Scenario& scenario, const std::string& bootstrap,
                         CellResult& result, int cell, int cells, int repetition,
                         int64_t cell_start_ns) {
  cell_sent_bytes_ = 0;
  const int threads = scenario.producers.threads;
  const bool shared = scenario.producers.client == ClientMode::kShared;
  const size_t types = scenario.type_slots();
  const bool replay = scenario.source_kind == SourceKind::kReplay;

  BoundedQueue<Event> queue(static_cast<size_t>(scenario.queue.capacity));
  const PayloadPool& payloads = PayloadsFor(scenario);
  // A replayed line holds an arena slot while it is queued or in a worker's
  // batch: the queue's capacity plus every worker's batch bounds them.
  std::unique_ptr<ReplayStream> replay_stream;
  if (replay) {
    size_t per_worker = scenario.producers.delivery == DeliveryMode::kSync
                            ? 1
                            : static_cast<size_t>(scenario.producers.dequeue_batch);
    replay_stream = std::make_unique<ReplayStream>(
        scenario.replay, static_cast<size_t>(scenario.queue.capacity) + static_cast<size_t>(threads) * per_worker,
        scenario.shard);
  }
  WorkerControl control;
  control.interrupted = options_.interrupted;

  // The interval series and the faults (declared before the clients, so that
  // they outlive their listeners). The source's counters are set before
  // the recorder's thread starts.
  const SourceCounters* source_counters = nullptr;
  IntervalRecorder recorder(scenario, [&](const IntervalRow& row, const IntervalTotals& totals) {
    if (!options_.on_status) return;
    StatusSnapshot st;
    st.cell = cell;
    st.cells = cells;
    st.repetition = repetition;
    st.repetitions = scenario.repeat;
    st.elapsed_s = row.t_s + row.length_s;
    st.total_s = scenario.total_ns() / 1e9;
    if (row.length_s > 0) {
      st.offered_per_s = row.offered / row.length_s;
      st.delivered_per_s = row.delivered / row.length_s;
    }
    st.depth = row.depth_max;
    st.dropped = totals.dropped;
    st.p99_ns = std::isnan(row.e2e_p99_ms) ? -1 : static_cast<int64_t>(row.e2e_p99_ms * 1e6);
    st.interval = row;
    st.totals = totals;
    if (source_counters != nullptr) st.scheduled = source_counters->scheduled.Get();
    options_.on_status(st);
  });
  FaultTarget fault_target;
  if (cell_cluster_ != nullptr) fault_target.mock = cell_cluster_->mock();
  fault_target.base_rtt_ns = scenario.broker.rtt_ns;
  fault_target.topic = result.topic;
  fault_target.partitions = scenario.topic.partitions;
  fault_target.kafka_local = options_.kafka_local;
  FaultInjector injector(scenario.faults, fault_target);

  // Clients connect and learn the topic's leaders first; the epoch (time 0
  // of the schedule) is fixed after that, so set-up is never charged to
  // the first events.
  std::vector<std::unique_ptr<ProducerClient>> clients;
  for (int i = 0; i < (shared ? 1 : threads); ++i) {
    clients.push_back(std::make_unique<ProducerClient>(scenario, bootstrap, result.topic,
                                                       shared ? threads : 1));
  }
  for (auto& c : clients) c->AwaitTopicMetadata(scenario.broker.connect_timeout_ns);
  for (auto& c : clients) c->SetIntervals(&recorder.AddClient());
  result.effective_config = EffectiveConfig(clients.front()->handle());
  // verify: identities in the events, acknowledgements in a ledger, and a
  // consumer that reads the topic back from now on.
  const Identity cell_identity{identity_run_ + identity_runs_++, static_cast<uint16_t>(cell),
                               static_cast<uint16_t>(repetition), 0, 0, 0, 0};
  std::unique_ptr<Verifier> verifier;
  // The ledger is what the verifier reads against: without a consumer
  // (verify.consume: false) the identity travels and nothing is kept.
  if (scenario.verify.identity && scenario.verify.consume) {
    for (auto& c : clients) c->EnableLedger();
  }
  if (scenario.verify.consume) {
    verifier = std::make_unique<Verifier>(scenario, bootstrap, result.topic, cell_identity);
  }
  int64_t epoch = NowNs() + 1'000'000;  // the first event is due 1 ms from now
  result.setup_s = (epoch - cell_start_ns) / 1e9;
  if (next_start_unix_ns_ > 0) {
    // The start barrier of shards: wait (interruptibly) until the wall-clock
    // start; late, begin now.
    const int64_t wall_now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
    const int64_t target = NowNs() + (next_start_unix_ns_ - wall_now);
    const int64_t wait_from = NowNs();
    while (target - NowNs() > 1'000'000 && !options_.interrupted->load()) {
      std::this_thread::sleep_for(std::chrono::nanoseconds(
          std::min<int64_t>(100'000'000, target - NowNs() - 1'000'000)));
    }
    barrier_wait_ns_ = std::max<int64_t>(0, std::min(NowNs(), target) - wait_from);
    epoch = std::max(epoch, target);
  }
  for (auto& c : clients) c->SetEpoch(epoch);
  control.epoch_ns = epoch;
  control.wall_epoch_us = std::chrono::duration_cast<std::chrono::microseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count() +
                          (epoch - NowNs()) / 1000;
  result.epoch_unix_s = control.wall_epoch_us / 1e6;

  std::unique_ptr<Source> source_ptr =
      replay ? std::make_unique<Source>(scenario, queue, *replay_stream)
             : std::make_unique<Source>(scenario, queue, scenario.seed);
  Source& source = *source_ptr;
  source.CountOfferedInto(recorder.offered(), recorder.offered_size(), recorder.interval_ns());
  std::vector<std::unique_ptr<ProducerWorker>> workers;
  for (int i = 0; i < threads; ++i) {
    ProducerClient& client = *clients[shared ? 0 : i];
    workers.push_back(std::make_unique<ProducerWorker>(
        shared ? i : 0, scenario, queue, client, payloads, control,
        replay ? &replay_stream->arena() : nullptr));
    if (scenario.verify.identity) {
      Identity stamp = cell_identity;
      // The worker in the low 16 bits, the shard in the high 16: unique across shards.
      stamp.producer = static_cast<uint32_t>(scenario.shard.index) << 16 | static_cast<uint32_t>(i);
      workers.back()->EnableIdentity(stamp, scenario.verify.carrier);
    }
  }

  // Queued: the workers drain the queue on threads of their own. Direct:
  // the one worker produces on the source's thread, and the queue stays
  // empty.
  const bool direct = scenario.pipeline == PipelineKind::kDirect;
  if (direct) source.SetSink(workers.front().get());
  std::atomic<int> workers_running{direct ? 1 : threads};
  std::vector<std::thread> worker_threads;
  if (!direct) {
    for (auto& w : workers) {
      worker_threads.emplace_back([&w, &workers_running] {
        w->Run();
        workers_running.fetch_sub(1);
      });
    }
  }
  if (verifier) verifier->Start(epoch);
  std::atomic<bool> source_finished{false};
  {
    IntervalInputs inputs;
    inputs.source = source_counters = &source.counters();
    for (auto& w : workers) inputs.workers.push_back(&w->counters());
    inputs.depth = [&queue] { return static_cast<uint64_t>(queue.Depth()); };
    inputs.source_done = &source_finished;
    recorder.Start(epoch, std::move(inputs));
  }
  injector.Start(epoch);
  // Where the source stopped, in ns since the epoch, when a signal stopped
  // it before the end of the run; else the end of the run.
  int64_t source_end = scenario.total_ns();
  std::thread source_thread([&] {
    source.Run(epoch, *options_.interrupted);
    const int64_t stopped = NowNs() - epoch;
    if (options_.interrupted->load() && stopped < source_end) {
      // The measured window ends here: reports from now on are not in it.
      source_end = stopped;
      for (auto& c : clients) c->SetWindowEnd(stopped);
    }
    control.drain_deadline_abs_ns.store(NowNs() + scenario.producers.drain_timeout_ns);
    control.source_done.store(true, std::memory_order_release);
    source_finished.store(true);
    if (direct) workers_running.fetch_sub(1);
  });

  // Monitor: depth samples every millisecond (the status line comes from the
  // interval recorder).
  double depth_sum = 0;
  uint64_t depth_samples = 0;
  // Little's law window: from the end of the warm-up to the source's last
  // push; events that entered the queue are generated - dropped_newest.
  const SourceCounters& live = source.counters();
  auto entered = [&live] {
    // Read live from the source thread, which counts a drop a moment before
    // the event it generated: never let that moment wrap around.
    const uint64_t dropped = live.dropped_newest.Get();
    const uint64_t generated = live.generated.Get();
    return generated > dropped ? generated - dropped : 0;
  };
  const int64_t measured_from = epoch + scenario.warmup_ns;
  int64_t little_start = 0, little_end = 0;
  uint64_t little_entered_start = 0, little_entered_end = 0;
  double little_depth_sum = 0;
  uint64_t little_samples = 0;
  // The lowest depth in each half of the measured window: a queue that
  // keeps growing has a higher floor in the second half; a passing burst or
  // a stall of the machine does not raise the floor.
  const int64_t half_way = epoch + scenario.warmup_ns + scenario.duration_ns / 2;
  double half_floor[2] = {0, 0};
  uint64_t half_samples[2] = {0, 0};
  while (workers_running.load() > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (!source_finished.load()) {
      const auto depth = static_cast<double>(queue.Depth());
      depth_sum += depth;
      ++depth_samples;
      const int64_t t = NowNs();
      if (t >= measured_from) {
        if (little_start == 0) {
          little_start = t;
          little_entered_start = entered();
        } else {
          little_depth_sum += depth;
          ++little_samples;
          const int half = t < half_way ? 0 : 1;
          half_floor[half] = half_samples[half] == 0 ? depth : std::min(half_floor[half], depth);
          ++half_samples[half];
        }
      }
    } else if (little_start != 0 && little_end == 0) {
      little_end = NowNs();
      little_entered_end = entered();
    }
  }
  source_thread.join();
  for (auto& t : worker_threads) t.join();
  if (little_start != 0 && little_end == 0) {
    little_end = NowNs();
    little_entered_end = entered();
  }

  // Interrupted: what the workers left in the queue has no outcome.
  uint64_t left_in_queue = 0;
  {
    auto token = queue.MakeConsumerToken();
    std::vector<Event> rest(1024);
    while (size_t n = queue.TryPopBulk(token, rest.data(), rest.size())) left_in_queue += n;
  }

  const int64_t flush_deadline = NowNs() + scenario.producers.flush_timeout_ns;
  for (auto& c : clients) c->Flush(std::max<int64_t>(0, flush_deadline - NowNs()));
  // One wait for every client's statistics made after the flush (they come
  // on timers), not one after the other.
  const int64_t flushed = NowNs();
  int64_t give_up = flushed;
  for (auto& c : clients) give_up = std::max(give_up, flushed + c->StatisticsWaitNs());
  auto all_counted = [&] {
    for (auto& c : clients) {
      if (!c->HasStatisticsSince(flushed)) return false;
    }
    return true;
  };
  while (!all_counted() && NowNs() < give_up) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  for (auto& c : clients) c->StopListener();
  // Every listener has stopped: undo what is still active, close the series.
  injector.Stop();
  recorder.Stop();
  if (verifier) {
    AckLedger acked;
    for (auto& c : clients) acked.Merge(c->ledger());
    // The embedded broker's high watermark is its log's end: nothing to
    // wait for once the consumer is there.
    verifier->Finish(acked, scenario.verify.timeout_ns, scenario.broker.embedded ? 0 : scenario.verify.settle_ns);
    result.verify.checked = true;
    result.verify.counts = verifier->classifier().total();
    result.verify.reached_end = verifier->reached_end();
    result.verify.skipped_offsets = verifier->classifier().skipped_offsets();
    result.verify.errors = verifier->errors();
    result.verify.memory_bytes = acked.MemoryBytes() + verifier->classifier().MemoryBytes();
    result.consume = std::make_shared<LatencyHistogram>(verifier->consume());
  }

  // ---- count
  const SourceCounters& sc = source.counters();
  result.scheduled = sc.scheduled.Get();
  result.unsent = sc.unsent.Get();
  result.generated = sc.generated.Get();
  result.dropped_newest = sc.dropped_newest.Get();
  result.dropped_oldest = sc.dropped_oldest.Get();
  result.late = sc.late.Get();
  result.blocked = sc.blocked.Get();
  result.max_lag_ns = static_cast<int64_t>(sc.max_lag_ns.Get());
  result.mean_lag_ns = result.generated ? static_cast<double>(sc.lag_sum_ns.Get()) / result.generated : 0;
  result.max_depth = sc.max_depth.Get();
  result.mean_depth = depth_samples ? depth_sum / depth_samples : 0;
  result.source_lag = std::make_shared<LatencyHistogram>(source.lag());
  result.source_priority = source.priority_applied();

  // Per type: every slot the counters have, named afterwards.
  std::vector<TypeCounts> by_type(types);
  auto e2e = std::make_shared<LatencyHistogram>();
  auto wait = std::make_shared<LatencyHistogram>();
  auto worker = std::make_shared<LatencyHistogram>();
  auto kafka = std::make_shared<LatencyHistogram>();
  uint64_t measured_bytes = 0;
  uint64_t window_delivered = 0;
  for (auto& c : clients) {
    const DeliveryCounters& dc = c->counters();
    result.delivered += dc.delivered.Get();
    result.failed += dc.failed.Get();
    result.unresolved_in_flight += dc.purged.Get();
    result.measured_delivered += dc.measured_delivered.Get();
    window_delivered += dc.window_delivered.Get();
    measured_bytes += dc.window_delivered_bytes.Get();
    MergeInto(result.failed_by_code, dc.failed_by_code);
    e2e->Merge(dc.end_to_end);
    wait->Merge(dc.queue_wait);
    worker->Merge(dc.worker);
    kafka->Merge(dc.kafka);
    // What the mock broker keeps of this cell: at least the payloads sent,
    // at most every byte sent (tx_bytes, when statistics are on).
    cell_sent_bytes_ += std::max(dc.wire_bytes.Get(), dc.delivered_bytes.Get());
    for (size_t t = 0; t < types; ++t) {
      by_type[t].delivered += dc.delivered_by_type[t].Get();
      by_type[t].failed += dc.failed_by_type[t].Get();
    }
  }
  for (auto& w : workers) {
    const WorkerCounters& wc = w->counters();
    result.failed += wc.failed.Get();
    result.unresolved_queued += wc.abandoned.Get();
    result.backpressure += wc.backpressure.Get();
    MergeInto(result.failed_by_code, wc.failed_by_code);
    for (size_t t = 0; t < types; ++t) by_type[t].failed += wc.failed_by_type[t].Get();
  }
  result.unresolved_queued += left_in_queue;
  result.unresolved = result.unresolved_in_flight + result.unresolved_queued;
  for (size_t t = 0; t < types; ++t) {
    by_type[t].generated = sc.generated_by_type[t].Get();
    by_type[t].dropped = sc.dropped_by_type[t].Get();
  }
  std::vector<std::string> names;
  if (replay) {
    names = replay_stream->type_names();
  } else {
    for (const auto& t : scenario.source.events) names.push_back(t.name);
  }
  result.types.clear();
  for (size_t t = 0; t < names.size() && t < types; ++t) {
    by_type[t].type = names[t];
    if (verifier) result.verify.by_type.push_back(verifier->classifier().by_type()[t]);
    result.types.push_back(by_type[t]);
  }
  if (replay) {
    const ReplayCounters& rc = replay_stream->counters();
    result.replayed = true;
    result.replay.lines = rc.lines.Get();
    result.replay.bad_lines = rc.bad_lines.Get();
    result.replay.out_of_order = rc.out_of_order.Get();
    result.replay.clamped = rc.clamped.Get();
    result.replay.passes = rc.passes.Get();
    result.replay.other_type = rc.other_type.Get();
    for (const BadLine& b : replay_stream->bad_lines()) {
      result.replay.bad_line_examples.push_back(
          std::to_string(b.line) + (b.pass ? " (pass " + std::to_string(b.pass + 1) + ")" : "") +
          ": " + b.reason);
    }
    if (!replay_stream->error().empty() && result.error.empty()) {
      result.error = "replay: " + replay_stream->error();
    }
  }
  result.end_to_end = e2e;
  result.queue_wait = wait;
  result.worker = worker;
  result.kafka = kafka;
  for (auto& c : clients) {
    result.wire_bytes += c->counters().wire_bytes.Get();
    result.wire_messages += c->counters().wire_messages.Get();
    result.wire_payload_bytes += c->counters().wire_payload_bytes.Get();
  }
  if (half_samples[0] > 0 && half_samples[1] > 0) {
    result.depth_growth = half_floor[1] - half_floor[0];
  }
  if (little_samples > 0 && little_end > little_start) {
    result.little_arrival_rate =
        static_cast<double>(little_entered_end - little_entered_start) / ((little_end - little_start) / 1e9);
    result.little_mean_depth = little_depth_sum / little_samples;
    if (wait->TotalCount() > 0) {
      // Queue wait is measured from the intended time; an event entered the
      // queue only when the source handed it over, mean_lag later.
      const uint64_t measured = sc.generated_measured.Get();
      const double lag_ns =
          measured ? static_cast<double>(sc.lag_sum_measured_ns.Get()) / measured : 0.0;
      const double in_queue_ns = std::max(0.0, wait->Mean() - lag_ns);
      result.little_predicted_depth = result.little_arrival_rate * in_queue_ns / 1e9;
    }
  }

  // The measured window as it was: from the end of the warm-up to the end
  // of the run, or to where a signal stopped the source (nothing when that
  // was during the warm-up).
  const double window = std::max<int64_t>(0, source_end - scenario.warmup_ns) / 1e9;
  result.duration_s = window;
  if (window > 0) {
    result.offered_rate = sc.scheduled_measured.Get() / window;
    result.offered_mbps = sc.scheduled_measured_bytes.Get() / window / 1e6;
    result.delivered_rate = window_delivered / window;
    result.delivered_mbps = measured_bytes / window / 1e6;
  }

  result.timeseries = std::move(recorder.rows());
  result.host_cpu_pct = recorder.window_host_cpu_pct();
  result.faults = injector.outcomes();
  if (!scenario.faults.empty()) {
    int64_t last_end = 0;
    for (const FaultSpec& f : scenario.faults) last_end = std::max(last_end, f.end_ns());
    result.recovery = ComputeRecovery(result.timeseries, scenario.faults.front().at_ns / 1e9, last_end / 1e9,
                                      source_end / 1e9, RecoveryDepthFloor(scenario.queue.capacity));
  }
  if (!injector.error().empty() && result.error.empty()) result.error = injector.error();

  for (auto& c : clients) {
    std::string fatal = c->FatalError();
    if (!fatal.empty() && result.error.empty()) result.error = "fatal librdkafka error: " + fatal;
  }
  if (options_.interrupted->load() && result.error.empty()) result.error = "interrupted";
}

}  // namespace sluice
