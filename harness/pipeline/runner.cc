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

#include "sluice/core/clock.h"
#include "sluice/core/scope_exit.h"
#include "cell_pipeline.h"
#include "sluice/pipeline/kafka_client.h"
#include "sluice/pipeline/payload.h"
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
  // Building a pool of documents is the costliest part of a cell's set-up;
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
  ScopeExit for_this_cell([this] { next_start_unix_ns_ = 0; });
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

void Runner::RunPipeline(const Scenario& scenario, const std::string& bootstrap, CellResult& result,
                         int cell, int cells, int repetition, int64_t cell_start_ns) {
  internal::CellContext context;
  context.options = &options_;
  context.payloads = &PayloadsFor(scenario);
  context.mock = cell_cluster_ != nullptr ? cell_cluster_->mock() : nullptr;
  context.identity = Identity{identity_run_ + identity_runs_++, static_cast<uint16_t>(cell),
                              static_cast<uint16_t>(repetition), 0, 0, 0, 0};
  context.cell = cell;
  context.cells = cells;
  context.repetition = repetition;
  context.cell_start_ns = cell_start_ns;
  cell_sent_bytes_ = 0;
  internal::CellPipeline pipeline(scenario, bootstrap, result, context);
  barrier_wait_ns_ = pipeline.Start(next_start_unix_ns_);
  pipeline.AwaitTraffic();
  pipeline.Drain();
  pipeline.Verify();
  pipeline.Collect();
  cell_sent_bytes_ = pipeline.sent_bytes();
}

}  // namespace sluice
