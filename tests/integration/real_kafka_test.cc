// What only a real Apache Kafka cluster can show: acks, min.insync.replicas,
// replication and a broker dying mid-run, plus topic creation through the
// Admin API and the version the cluster reports.
//
// The cluster: 3 brokers started by tools/kafka-local. Under ctest a fixture
// (tests/integration/real_kafka_cluster.sh, label real-kafka) starts it once
// for all of these tests and always takes it down. The tests find it through
//   SLUICE_TEST_BOOTSTRAP   its bootstrap list (absent: every test skips)
//   SLUICE_KAFKA_RUN        its kafka-local run folder, for pause/kill/start
//   SLUICE_TEST_KAFKA_VERSION  the release kafka-local pins (optional)
// To run them against a cluster of your own:
//   tools/kafka-local up --brokers 3
//   SLUICE_TEST_BOOTSTRAP=$(tools/kafka-local bootstrap) build/sluice_real_kafka_tests
//
// Each test leaves the cluster as it found it: a broker it pauses or kills is
// resumed or restarted by a guard, also when the test fails, and every test
// first waits until all three brokers serve. No assertion depends on how fast
// the machine is; the timeouts only bound how long a broken cluster can hang
// a test.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <atomic>
#include <iostream>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "sluice/cli/app.h"
#include "sluice/pipeline/kafka_client.h"
#include "sluice/pipeline/runner.h"
#include "sluice/scenario/scenario.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

constexpr int kBrokers = 3;
constexpr int64_t kTimeoutNs = 20'000'000'000;

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

// Runs tools/kafka-local with the environment's run folder; true on success.
bool KafkaLocal(const std::string& args) {
  std::string command = std::string(SLUICE_SOURCE_DIR) + "/tools/kafka-local " + args;
  return std::system(command.c_str()) == 0;
}

// A unique name per process and call, so reruns never meet old topics.
std::string UniqueTopic(const std::string& what) {
  static int counter = 0;
  return "sluice-test-" + what + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

// ---- a plain librdkafka client, to look at the cluster independently of
//      the code under test

struct Partition {
  int32_t id = 0;
  int32_t leader = -1;
  std::vector<int32_t> replicas;
  std::vector<int32_t> isr;
};

struct Snapshot {
  bool ok = false;
  std::vector<int32_t> brokers;
  bool topic_found = false;
  std::vector<Partition> partitions;
};

// Each question gets a fresh client: one that had a broker's connection up
// before the broker was paused would wait out its socket timeout (60 s) on
// that broker, while a fresh one only asks brokers that answered its
// ApiVersion request.
class Observer {
 public:
  explicit Observer(const std::string& bootstrap) : bootstrap_(bootstrap) {}

  Snapshot Look(const std::string& topic = "") {
    Snapshot s;
    Client client(bootstrap_);
    rd_kafka_t* rk = client.rk;
    if (rk == nullptr) return s;
    rd_kafka_topic_t* rkt = topic.empty() ? nullptr : rd_kafka_topic_new(rk, topic.c_str(), nullptr);
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, 5000);
    if (rkt != nullptr) rd_kafka_topic_destroy(rkt);
    if (err) return s;
    s.ok = true;
    for (int i = 0; i < md->broker_cnt; ++i) s.brokers.push_back(md->brokers[i].id);
    if (!topic.empty() && md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      s.topic_found = true;
      const rd_kafka_metadata_topic_t& t = md->topics[0];
      for (int p = 0; p < t.partition_cnt; ++p) {
        Partition part;
        part.id = t.partitions[p].id;
        part.leader = t.partitions[p].leader;
        part.replicas.assign(t.partitions[p].replicas, t.partitions[p].replicas + t.partitions[p].replica_cnt);
        part.isr.assign(t.partitions[p].isrs, t.partitions[p].isrs + t.partitions[p].isr_cnt);
        s.partitions.push_back(part);
      }
    }
    rd_kafka_metadata_destroy(md);
    return s;
  }

  // The topic's configs as the brokers report them (DescribeConfigs).
  std::map<std::string, std::string> TopicConfigs(const std::string& topic) {
    std::map<std::string, std::string> out;
    Client client(bootstrap_);
    rd_kafka_t* rk = client.rk;
    if (rk == nullptr) return out;
    rd_kafka_ConfigResource_t* res = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str());
    rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
    rd_kafka_DescribeConfigs(rk, &res, 1, nullptr, q);
    rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 20000);
    if (ev != nullptr && !rd_kafka_event_error(ev)) {
      size_t n = 0;
      const rd_kafka_ConfigResource_t** rs =
          rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev), &n);
      for (size_t i = 0; i < n; ++i) {
        size_t m = 0;
        const rd_kafka_ConfigEntry_t** entries = rd_kafka_ConfigResource_configs(rs[i], &m);
        for (size_t e = 0; e < m; ++e) {
          const char* v = rd_kafka_ConfigEntry_value(entries[e]);
          out[rd_kafka_ConfigEntry_name(entries[e])] = v == nullptr ? "" : v;
        }
      }
    }
    if (ev != nullptr) rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_ConfigResource_destroy(res);
    return out;
  }

 private:
  struct Client {
    rd_kafka_t* rk = nullptr;
    explicit Client(const std::string& bootstrap) {
      rd_kafka_conf_t* conf = rd_kafka_conf_new();
      char errstr[512];
      rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), errstr, sizeof errstr);
      rd_kafka_conf_set(conf, "allow.auto.create.topics", "false", errstr, sizeof errstr);
      rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof errstr);
      rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
      if (rk == nullptr) rd_kafka_conf_destroy(conf);
    }
    ~Client() {
      if (rk != nullptr) rd_kafka_destroy(rk);
    }
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;
  };

  std::string bootstrap_;
};

// Polls `check` once a second until it holds or `limit` passes.
bool WaitFor(const std::function<bool()>& check, seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (true) {
    if (check()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

bool AllBrokersServe(Observer& o) {
  Snapshot s = o.Look();
  return s.ok && static_cast<int>(s.brokers.size()) == kBrokers;
}

// Every partition of `topic` has `isr` in-sync replicas and a leader.
bool IsrIs(Observer& o, const std::string& topic, size_t isr) {
  Snapshot s = o.Look(topic);
  if (!s.topic_found || s.partitions.empty()) return false;
  for (const auto& p : s.partitions) {
    if (p.leader < 0 || p.isr.size() != isr) return false;
  }
  return true;
}

// Puts a broker back however a test ends: `resume N` after a pause, `start N`
// after a kill.
class BrokerFault {
 public:
  BrokerFault(const std::string& fault, const std::string& undo, int broker)
      : undo_(undo + " " + std::to_string(broker)) {
    done_ = KafkaLocal(fault + " " + std::to_string(broker));
  }
  ~BrokerFault() {
    if (done_) {
      EXPECT_TRUE(KafkaLocal(undo_)) << "tools/kafka-local " << undo_ << " failed";
    }
  }
  bool done() const { return done_; }

 private:
  std::string undo_;
  bool done_ = false;
};

constexpr const char* kScenario = R"(name: real
seed: 7
duration: 2s
warmup: 0s
topic: { partitions: 3, replication: 3, config: { min.insync.replicas: 2 } }
source:
  synthetic:
    rate: 500/s
    arrival: constant
    events:
      - { type: a, weight: 1, size: 200B }
queue: { capacity: 100000, when_full: drop_newest }
producers:
  threads: 1
  kafka:
    linger.ms: 5
    message.timeout.ms: 60000
    request.timeout.ms: 10000
  drain_timeout: 60s
  flush_timeout: 60s
)";

fs::path WriteScenario(const std::string& yaml) {
  fs::path path = fs::temp_directory_path() /
                  ("sluice-real-" + std::to_string(::getpid()) + "-" + UniqueTopic("s") + ".yaml");
  std::ofstream(path) << yaml;
  return path;
}

Scenario Load(const std::vector<std::string>& sets) {
  fs::path path = WriteScenario(kScenario);
  ScenarioPlan plan = LoadPlan(path.string(), sets);
  fs::remove(path);
  for (const auto& cell : plan.cells) ValidateKafkaProperties(cell);
  return plan.cells.at(0);
}

void ExpectLedgerBalances(const CellResult& r) {
  EXPECT_TRUE(r.LedgerBalances())
      << "generated " << r.generated << " != dropped " << r.dropped() << " + delivered "
      << r.delivered << " + failed " << r.failed << " + unresolved " << r.unresolved;
}

std::string FailedByCode(const CellResult& r) {
  std::string s;
  for (const auto& [code, count] : r.failed_by_code) {
    s += std::string(rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(code))) + ":" +
         std::to_string(count) + " ";
  }
  return s;
}

class RealKafka : public ::testing::Test {
 protected:
  void SetUp() override {
    bootstrap_ = Env("SLUICE_TEST_BOOTSTRAP");
    if (bootstrap_.empty()) GTEST_SKIP() << "SLUICE_TEST_BOOTSTRAP is not set: no real cluster";
    observer_ = std::make_unique<Observer>(bootstrap_);
    ASSERT_TRUE(WaitFor([&] { return AllBrokersServe(*observer_); }, seconds(90)))
        << "the cluster at " << bootstrap_ << " does not have " << kBrokers << " brokers serving";
  }

  // `on_status` is called about once a second while the cell runs.
  CellResult Run(const Scenario& s, std::function<void(const StatusSnapshot&)> on_status = {}) {
    RunOptions options;
    options.bootstrap = bootstrap_;
    options.run_id = "t" + std::to_string(::getpid());
    options.on_status = std::move(on_status);
    Runner runner(options);
    return runner.RunCell(s, 0, 1, 0);
  }

  // Creates `topic` the way sluice does, and waits until it is fully in sync.
  void MakeTopic(const std::string& topic, int partitions, int min_isr) {
    TopicSpec spec;
    spec.partitions = partitions;
    spec.replication = kBrokers;
    spec.config.push_back({"min.insync.replicas", std::to_string(min_isr), {}});
    TopicOutcome t = CreateTopicOnCluster(bootstrap_, spec, topic, kTimeoutNs);
    ASSERT_TRUE(t.created);
    ASSERT_TRUE(WaitFor([&] { return IsrIs(*observer_, topic, kBrokers); }, seconds(60)));
  }

  std::string bootstrap_;
  std::unique_ptr<Observer> observer_;
};

TEST_F(RealKafka, CreatesTheTopicWithPartitionsReplicationAndConfig) {
  CellResult r = Run(Load({"topic.partitions=4", "topic.config.min.insync.replicas=2"}));
  ASSERT_EQ(r.error, "");
  ExpectLedgerBalances(r);
  EXPECT_GT(r.delivered, 0u);
  EXPECT_EQ(r.delivered, r.generated);
  EXPECT_EQ(r.broker, bootstrap_);
  EXPECT_EQ(r.broker_count, kBrokers);

  // The version the brokers report, not the embedded broker's "mock".
  EXPECT_NE(r.kafka_version, "mock");
  EXPECT_NE(r.kafka_version, "unknown");
  const std::string pinned = Env("SLUICE_TEST_KAFKA_VERSION");  // e.g. 3.9.1
  if (!pinned.empty()) {
    const std::string line = pinned.substr(0, pinned.rfind('.'));  // 3.9
    EXPECT_EQ(r.kafka_version.rfind(line + "-", 0), 0u) << r.kafka_version << " vs " << pinned;
  }

  // The topic is there as the scenario asked: a per-cell name, 4 partitions of
  // 3 replicas each, and the topic config.
  EXPECT_EQ(r.topic.rfind("real.", 0), 0u) << r.topic;
  Snapshot s = observer_->Look(r.topic);
  ASSERT_TRUE(s.topic_found) << r.topic;
  ASSERT_EQ(s.partitions.size(), 4u);
  for (const auto& p : s.partitions) EXPECT_EQ(p.replicas.size(), 3u) << "partition " << p.id;
  EXPECT_EQ(observer_->TopicConfigs(r.topic)["min.insync.replicas"], "2");
}

// librdkafka 2.0.2 fails every queued message when any broker still calls a
// topic it has seen "unknown", so a created topic must be known everywhere
// before the run starts: ask each broker alone, at once.
TEST_F(RealKafka, CreatedTopicIsKnownToEveryBrokerWhenCreationReturns) {
  const std::string topic = UniqueTopic("everywhere");
  TopicSpec spec;
  spec.partitions = 6;
  spec.replication = kBrokers;
  ASSERT_TRUE(CreateTopicOnCluster(bootstrap_, spec, topic, kTimeoutNs).created);
  std::stringstream list(bootstrap_);
  int asked = 0;
  for (std::string address; std::getline(list, address, ',');) {
    Snapshot s = Observer(address).Look(topic);
    EXPECT_TRUE(s.topic_found) << address;
    EXPECT_EQ(s.partitions.size(), 6u) << address;
    ++asked;
  }
  EXPECT_EQ(asked, kBrokers);
}

TEST_F(RealKafka, ExistingTopicWithOtherPartitionsIsAnErrorUnlessReused) {
  const std::string topic = UniqueTopic("reuse");
  TopicSpec spec;
  spec.partitions = 2;
  spec.replication = 1;
  TopicOutcome first = CreateTopicOnCluster(bootstrap_, spec, topic, kTimeoutNs);
  EXPECT_TRUE(first.created);
  EXPECT_EQ(first.partitions, 2);

  // Same partition count: accepted, not created again.
  TopicOutcome again = CreateTopicOnCluster(bootstrap_, spec, topic, kTimeoutNs);
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.partitions, 2);

  // Another partition count: refused, saying what to do.
  spec.partitions = 5;
  try {
    CreateTopicOnCluster(bootstrap_, spec, topic, kTimeoutNs);
    ADD_FAILURE() << "a topic with 2 partitions was accepted for a scenario asking for 5";
  } catch (const KafkaSetupError& e) {
    EXPECT_NE(std::string(e.what()).find("exists with 2 partitions"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("topic.reuse"), std::string::npos) << e.what();
  }

  // With reuse it is used as it is.
  spec.reuse = true;
  TopicOutcome reused = CreateTopicOnCluster(bootstrap_, spec, topic, kTimeoutNs);
  EXPECT_FALSE(reused.created);
  EXPECT_EQ(reused.partitions, 2);

  // A whole cell with reuse produces to exactly that topic.
  CellResult r = Run(Load({"topic.name=" + topic, "topic.reuse=true", "topic.partitions=5",
                           "topic.replication=1", "duration=1s"}));
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.topic, topic);
  ExpectLedgerBalances(r);
  EXPECT_EQ(r.delivered, r.generated);
  EXPECT_EQ(observer_->Look(topic).partitions.size(), 2u);  // untouched

  // Reuse of a missing topic creates it from the scenario.
  const std::string fresh = UniqueTopic("reuse-new");
  TopicOutcome created = CreateTopicOnCluster(bootstrap_, spec, fresh, kTimeoutNs);
  EXPECT_TRUE(created.created);
  EXPECT_TRUE(WaitFor([&] { return observer_->Look(fresh).partitions.size() == 5; }, seconds(30)));
}

// min.insync.replicas 3 on 3 replicas: with one broker paused, the controller
// fences it and shrinks every ISR to 2, so the leaders refuse acks=all writes
// with NOT_ENOUGH_REPLICAS. acks=1 only needs the leader.
TEST_F(RealKafka, AcksAllFailsWithNotEnoughReplicasWhileABrokerIsPaused) {
  const std::string topic = UniqueTopic("acks");
  MakeTopic(topic, 3, 3);
  const std::vector<std::string> common = {
      "topic.name=" + topic, "topic.reuse=true", "source.synthetic.rate=200/s",
      // Failures arrive within seconds: librdkafka retries twice, then reports
      // the broker's error; nothing waits for the default 5-minute timeout.
      "producers.kafka.retries=2", "producers.kafka.retry.backoff.ms=100",
      "producers.kafka.message.timeout.ms=15000", "producers.kafka.request.timeout.ms=5000"};
  auto with = [&](std::vector<std::string> more) {
    more.insert(more.begin(), common.begin(), common.end());
    return Load(more);
  };

  {
    BrokerFault paused("pause", "resume", 3);
    ASSERT_TRUE(paused.done());
    ASSERT_TRUE(WaitFor([&] { return IsrIs(*observer_, topic, 2); }, seconds(90)))
        << "the ISR of " << topic << " did not shrink to 2 after pausing broker 3";

    CellResult all = Run(with({"producers.kafka.acks=all"}));
    ASSERT_EQ(all.error, "");
    ExpectLedgerBalances(all);
    EXPECT_GT(all.generated, 0u);
    EXPECT_EQ(all.delivered, 0u);
    EXPECT_EQ(all.unresolved, 0u);
    EXPECT_EQ(all.failed, all.generated);
    ASSERT_EQ(all.failed_by_code.count(RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS), 1u) << FailedByCode(all);
    EXPECT_EQ(all.failed_by_code.at(RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS), all.failed)
        << FailedByCode(all);
    EXPECT_EQ(all.kafka_version.empty(), false);

    CellResult one = Run(with({"producers.kafka.acks=1"}));
    ASSERT_EQ(one.error, "");
    ExpectLedgerBalances(one);
    EXPECT_GT(one.generated, 0u);
    EXPECT_EQ(one.failed, 0u) << FailedByCode(one);
    EXPECT_EQ(one.delivered, one.generated);
  }
  // Resumed: the broker catches up and rejoins every ISR.
  EXPECT_TRUE(WaitFor([&] { return IsrIs(*observer_, topic, 3); }, seconds(90)));
}

// The leader of partition 0 is killed (SIGKILL) once the cell is delivering,
// early in an 8 s run. With acks=all, idempotence and min.insync.replicas 2 the producer
// retries until the controller has moved leadership to a follower that has
// every acknowledged write: nothing fails, nothing is left unresolved.
TEST_F(RealKafka, BrokerKilledMidRunLosesNothingWithIdempotentAcksAll) {
  const std::string topic = UniqueTopic("kill");
  MakeTopic(topic, 3, 2);
  Snapshot before = observer_->Look(topic);
  ASSERT_FALSE(before.partitions.empty());
  const int32_t victim = before.partitions[0].leader;
  ASSERT_GE(victim, 1);
  ASSERT_LE(victim, kBrokers);

  Scenario s = Load({"topic.name=" + topic, "topic.reuse=true", "duration=8s",
                     "source.synthetic.rate=1k/s", "producers.kafka.acks=all",
                     "producers.kafka.enable.idempotence=true",
                     "producers.kafka.message.timeout.ms=120000"});
  std::atomic<bool> delivering{false};
  std::atomic<bool> finished{false};
  CellResult r;
  std::thread cell([&] {
    r = Run(s, [&](const StatusSnapshot& status) {
      if (status.delivered_per_s > 0) delivering.store(true);
    });
    finished.store(true);
  });
  // The status line's first report with deliveries comes about 1 s in.
  WaitFor([&] { return delivering.load() || finished.load(); }, seconds(60));
  bool killed_mid_run = false;
  {
    BrokerFault killed("kill", "start", victim);
    killed_mid_run = killed.done() && !finished.load();
    cell.join();
    // The controller moved partition 0 away from the dead broker.
    EXPECT_NE(observer_->Look(topic).partitions.at(0).leader, victim);
  }
  ASSERT_TRUE(killed_mid_run) << "broker " << victim << " was not killed while the cell ran";
  ASSERT_EQ(r.error, "");
  ExpectLedgerBalances(r);
  EXPECT_GT(r.generated, 0u);
  EXPECT_EQ(r.dropped(), 0u);
  EXPECT_EQ(r.failed, 0u) << FailedByCode(r);
  EXPECT_EQ(r.unresolved, 0u);
  EXPECT_EQ(r.delivered, r.generated);
  EXPECT_TRUE(WaitFor([&] { return IsrIs(*observer_, topic, 3); }, seconds(90)));
}

// scenarios/faults/real-*.yaml as a user runs them (sluice run --bootstrap):
// every expectation holds (recovery_s, fault_drops), and the console names
// the fault and the recovery.
void RunFaultExperiment(const std::string& bootstrap, const std::string& name, const std::string& fault) {
  fs::path results = fs::temp_directory_path() / UniqueTopic("results");
  RunArgs args;
  args.scenario_file = std::string(SLUICE_SOURCE_DIR) + "/scenarios/faults/" + name + ".yaml";
  args.bootstrap = bootstrap;
  args.results_root = results.string();
  args.quiet = true;
  args.kafka_local = std::string(SLUICE_SOURCE_DIR) + "/tools/kafka-local";
  std::ostringstream out, err;
  std::atomic<bool> interrupted{false};
  const int code = RunCommand(args, out, err, interrupted);
  const std::string text = out.str();
  if (code == kExitExpectationFailed && text.find("this machine was") != std::string::npos) {
    // The machine was over 90% busy (three JVM brokers and sluice on its
    // cores): how soon the cluster caught up is the machine's, so only the
    // bounds on the stall may miss: recovery_s, and fault_drops, which a
    // stall longer than the buffers overflows (two suite runs of the same
    // commit passed and failed recovery_s; with two CPU hogs beside the
    // suite the restarted broker took over a minute to serve and both
    // missed). Every other expectation must hold: the ledger, no failed
    // event, the fault's own latency.
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      if (line.find("FAILED cell") != std::string::npos) {
        EXPECT_TRUE(line.find("recovery_s") != std::string::npos ||
                    line.find("fault_drops") != std::string::npos)
            << line;
      }
    }
    EXPECT_NE(text.find("recovered"), std::string::npos) << text;  // or "never recovered"
  } else {
    EXPECT_EQ(code, kExitOk) << text << err.str();
    // The console names the recovery: "recovered 1.0s after the last fault".
    EXPECT_NE(text.find("s after the last fault"), std::string::npos) << text;
    EXPECT_EQ(text.find("never recovered"), std::string::npos) << text;
  }
  EXPECT_NE(out.str().find("fault " + fault), std::string::npos) << out.str();
  std::cout << out.str();
  fs::remove_all(results);
}

TEST_F(RealKafka, FaultExperimentLeaderPausedForThreeSeconds) {
  RunFaultExperiment(bootstrap_, "real-leader-pause", "pause 2");
  // The pause was undone: every broker serves again.
  EXPECT_TRUE(WaitFor([&] { return AllBrokersServe(*observer_); }, seconds(90)));
}

TEST_F(RealKafka, FaultExperimentBrokerKilledWithAcksAllAndReplicationThree) {
  RunFaultExperiment(bootstrap_, "real-broker-kill", "kill 2");
  EXPECT_TRUE(WaitFor([&] { return AllBrokersServe(*observer_); }, seconds(90)));
}

// The sweep a user runs to see what acks costs: three cells, one report.
TEST_F(RealKafka, AcksSweepWritesOneRowPerSetting) {
  std::string yaml = kScenario;
  yaml += "sweep:\n  producers.kafka.acks: [0, 1, all]\n";
  fs::path file = WriteScenario(yaml);
  fs::path results = fs::temp_directory_path() / UniqueTopic("results");
  RunArgs args;
  args.scenario_file = file.string();
  args.bootstrap = bootstrap_;
  args.results_root = results.string();
  args.quiet = true;
  args.overrides = {"source.synthetic.rate=2k/s"};
  std::ostringstream out, err;
  std::atomic<bool> interrupted{false};
  const int code = RunCommand(args, out, err, interrupted);
  fs::remove(file);
  ASSERT_EQ(code, kExitOk) << out.str() << err.str();

  fs::path csv;
  for (const auto& run : fs::directory_iterator(results)) csv = run.path() / "report.csv";
  std::ifstream in(csv);
  std::string header_line;
  ASSERT_TRUE(std::getline(in, header_line)) << csv;
  std::vector<std::string> header;
  {
    std::stringstream ss(header_line);
    for (std::string f; std::getline(ss, f, ',');) header.push_back(f);
  }
  auto column = [&](const std::string& name) {
    for (size_t i = 0; i < header.size(); ++i) {
      if (header[i] == name) return static_cast<int>(i);
    }
    return -1;
  };
  const int acks = column("producers.kafka.acks"), version = column("kafka_version"),
            count = column("broker_count"), ledger = column("ledger_ok"),
            delivered = column("delivered");
  ASSERT_GE(acks, 0);
  ASSERT_GE(version, 0);
  ASSERT_GE(count, 0);
  ASSERT_GE(ledger, 0);
  ASSERT_GE(delivered, 0);
  // The bootstrap list holds commas, so it is quoted: split fields honouring quotes.
  auto split = [](const std::string& line) {
    std::vector<std::string> f(1);
    bool quoted = false;
    for (char c : line) {
      if (c == '"') {
        quoted = !quoted;
      } else if (c == ',' && !quoted) {
        f.emplace_back();
      } else {
        f.back() += c;
      }
    }
    return f;
  };
  std::vector<std::string> seen;
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> f = split(line);
    ASSERT_EQ(f.size(), header.size()) << line;
    seen.push_back(f[acks]);
    EXPECT_EQ(f[count], std::to_string(kBrokers));
    EXPECT_EQ(f[ledger], "true");
    EXPECT_NE(f[version], "mock");
    EXPECT_FALSE(f[version].empty());
    EXPECT_NE(f[delivered], "0");
    // The console's table says the same.
    EXPECT_NE(out.str().find(f[version]), std::string::npos) << out.str();
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"0", "1", "all"}));
  fs::remove_all(results);
}

// ---- verify: the topic read back under a broker kill (issue 11) -----------

// How many messages `topic` holds: a plain consumer, independent of
// sluice's verifier, reads every partition from the beginning to the end
// offsets it sees first. -1 when it cannot.
int64_t CountMessages(const std::string& bootstrap, const std::string& topic, int partitions) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), errstr, sizeof errstr);
  rd_kafka_conf_set(conf, "group.id", "sluice-test-count", errstr, sizeof errstr);
  rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr, sizeof errstr);
  rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof errstr);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
  if (rk == nullptr) return -1;
  std::vector<int64_t> end(static_cast<size_t>(partitions), 0), at(static_cast<size_t>(partitions), 0);
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) {
    int64_t low = 0;
    if (rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &low, &end[static_cast<size_t>(p)], 10000)) {
      rd_kafka_topic_partition_list_destroy(list);
      rd_kafka_destroy(rk);
      return -1;
    }
    at[static_cast<size_t>(p)] = low;
    rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  rd_kafka_assign(rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  int64_t count = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  auto done = [&] {
    for (size_t p = 0; p < at.size(); ++p) {
      if (at[p] < end[p]) return false;
    }
    return true;
  };
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
    if (m == nullptr) continue;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR && m->offset < end[static_cast<size_t>(m->partition)]) {
      ++count;
      at[static_cast<size_t>(m->partition)] = m->offset + 1;
    }
    rd_kafka_message_destroy(m);
  }
  const bool complete = done();
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return complete ? count : -1;
}

class RealKafkaVerify : public RealKafka {
 protected:
  struct Outcome {
    CellResult r;
    int64_t independent = -1;  // messages a plain consumer read
  };

  // Runs `acks` / `idempotence` with verify: true for 3 s of warm-up and 6 s
  // at 3k/s, and kills the leader of partition 0 once deliveries flow (it is
  // restarted 3 s later). Prints a row of the table in the issue's note.
  // The warm-up leaves room for a slow start: after the test before it
  // killed a broker (and with it a controller), a new idempotent producer
  // once waited about 6 s for its producer id, and the whole 6 s cell had
  // ended before the kill.
  Outcome RunWithKilledLeader(const std::string& acks, bool idempotence) {
    Outcome o;
    const std::string topic = UniqueTopic("verify");
    MakeTopic(topic, 3, 2);
    Snapshot before = observer_->Look(topic);
    EXPECT_FALSE(before.partitions.empty());
    if (before.partitions.empty()) return o;
    const int32_t victim = before.partitions[0].leader;
    Scenario s = Load({"topic.name=" + topic, "topic.reuse=true", "warmup=3s", "duration=6s",
                       "source.synthetic.rate=3k/s",
                       "producers.kafka.acks=" + acks,
                       std::string("producers.kafka.enable.idempotence=") + (idempotence ? "true" : "false"),
                       "producers.kafka.message.timeout.ms=120000", "verify.timeout=60s"});
    std::atomic<bool> delivering{false};
    std::atomic<bool> finished{false};
    std::thread cell([&] {
      o.r = Run(s, [&](const StatusSnapshot& status) {
        if (status.delivered_per_s > 0) delivering.store(true);
      });
      finished.store(true);
    });
    WaitFor([&] { return delivering.load() || finished.load(); }, seconds(60));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    bool killed_mid_run = false;
    {
      // Down for 3 s of the 6 s run, then started again while the cell still
      // runs. (Left down to the end, the idempotent producer of librdkafka
      // 2.0.2 hung this test past its 300 s time-out once in two runs on
      // this machine, and the broker stayed down for the tests after it.)
      BrokerFault killed("kill", "start", victim);
      killed_mid_run = killed.done() && !finished.load();
      std::this_thread::sleep_for(std::chrono::seconds(3));
    }
    cell.join();
    EXPECT_TRUE(killed_mid_run) << "broker " << victim << " was not killed while the cell ran";
    EXPECT_TRUE(WaitFor([&] { return IsrIs(*observer_, topic, 3); }, seconds(90)));
    o.independent = CountMessages(bootstrap_, topic, 3);
    const VerifyCounts& v = o.r.verify.counts;
    auto p99 = [](const std::shared_ptr<LatencyHistogram>& h) {
      return h && h->TotalCount() > 0 ? h->ValueAtPercentile(99) / 1e6 : -1.0;
    };
    std::printf("verify-kill acks=%s idempotence=%s: delivered %llu failed %llu unresolved %llu read %llu "
                "(independent %lld) ok %llu lost %llu duplicated %llu reordered %llu unacked_written %llu "
                "corrupt %llu; p99 produce (end_to_end) %.2f ms, consume %.2f ms\n",
                acks.c_str(), idempotence ? "true" : "false", static_cast<unsigned long long>(o.r.delivered),
                static_cast<unsigned long long>(o.r.failed), static_cast<unsigned long long>(o.r.unresolved),
                static_cast<unsigned long long>(v.read), static_cast<long long>(o.independent),
                static_cast<unsigned long long>(v.ok), static_cast<unsigned long long>(v.lost),
                static_cast<unsigned long long>(v.duplicated), static_cast<unsigned long long>(v.reordered),
                static_cast<unsigned long long>(v.unacked_written), static_cast<unsigned long long>(v.corrupt),
                p99(o.r.end_to_end), p99(o.r.consume));
    return o;
  }

  // What holds whatever the settings: the verifier read what an
  // independent consumer reads, every acknowledged event is accounted for,
  // and every message read is explained.
  static void ExpectAccounted(const Outcome& o) {
    const CellResult& r = o.r;
    ASSERT_EQ(r.error, "");
    ASSERT_TRUE(r.verify.checked);
    ExpectLedgerBalances(r);
    const VerifyCounts& v = r.verify.counts;
    EXPECT_TRUE(r.verify.reached_end);
    EXPECT_GT(r.delivered, 0u);
    EXPECT_EQ(static_cast<int64_t>(v.read), o.independent);
    EXPECT_EQ(v.ok + v.lost + v.truncated, r.delivered);
    EXPECT_EQ(v.truncated, 0u);  // a real broker's retention keeps everything here
    EXPECT_EQ(v.corrupt, 0u);
    EXPECT_EQ(v.foreign, 0u);
    EXPECT_EQ(v.read, v.ok + v.duplicated + v.unacked_written);
  }
};

// acks=all, replication 3, min.insync.replicas 2, idempotence off (the
// issue's measurement): nothing acknowledged is lost; retried batches may be
// written twice, and every copy is counted.
TEST_F(RealKafkaVerify, LeaderKilledAcksAllLosesNothingAndCountsEveryCopy) {
  const Outcome o = RunWithKilledLeader("all", false);
  ExpectAccounted(o);
  const VerifyCounts& v = o.r.verify.counts;
  EXPECT_EQ(v.lost, 0u);
  EXPECT_EQ(o.r.delivered + v.duplicated + v.unacked_written, v.read);
}

// The same with the idempotent producer: no duplicates, no reordering.
TEST_F(RealKafkaVerify, LeaderKilledIdempotentWritesNoDuplicatesInOrder) {
  const Outcome o = RunWithKilledLeader("all", true);
  ExpectAccounted(o);
  const VerifyCounts& v = o.r.verify.counts;
  EXPECT_EQ(v.lost, 0u);
  EXPECT_EQ(v.duplicated, 0u);
  EXPECT_EQ(v.reordered, 0u);
  EXPECT_EQ(o.r.delivered + v.unacked_written, v.read);
}

// acks=1 and acks=0: a leader that dies may take acknowledged events with
// it. Whatever is lost is counted (ok + lost = delivered), never hidden.
TEST_F(RealKafkaVerify, LeaderKilledAcks1CountsWhatIsLost) { ExpectAccounted(RunWithKilledLeader("1", false)); }
TEST_F(RealKafkaVerify, LeaderKilledAcks0CountsWhatIsLost) { ExpectAccounted(RunWithKilledLeader("0", false)); }

}  // namespace
}  // namespace sluice
