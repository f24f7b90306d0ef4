// Everything that touches librdkafka handles directly: RAII owners for them,
// building a producer configuration from a scenario, the embedded broker
// (librdkafka's mock cluster) and the reachability check of a real cluster.
//
// All of this runs while a cell is being set up, so failures throw:
// ScenarioError when a property from the scenario is refused (naming its
// place in the file and quoting librdkafka), KafkaSetupError when the broker
// cannot be used (unreachable, topic cannot be created).
#ifndef SLUICE_PIPELINE_KAFKA_CLIENT_H_
#define SLUICE_PIPELINE_KAFKA_CLIENT_H_

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <memory>
#include <stdexcept>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "sluice/scenario/scenario.h"

namespace sluice {

struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
  void operator()(rd_kafka_topic_t* rkt) const { rd_kafka_topic_destroy(rkt); }
  void operator()(rd_kafka_queue_t* rkqu) const { rd_kafka_queue_destroy(rkqu); }
  void operator()(rd_kafka_mock_cluster_t* mc) const { rd_kafka_mock_cluster_destroy(mc); }
};

using KafkaHandle = std::unique_ptr<rd_kafka_t, KafkaDeleter>;
using KafkaConf = std::unique_ptr<rd_kafka_conf_t, KafkaDeleter>;
using KafkaTopic = std::unique_ptr<rd_kafka_topic_t, KafkaDeleter>;
using KafkaQueue = std::unique_ptr<rd_kafka_queue_t, KafkaDeleter>;
using MockCluster = std::unique_ptr<rd_kafka_mock_cluster_t, KafkaDeleter>;

// The broker could not be used: unreachable, refused a topic, fatal error.
class KafkaSetupError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A producer configuration with the scenario's producers.kafka properties
// applied on top of sluice's defaults, and bootstrap.servers set. Throws
// ScenarioError (with the property's file:line) on a refused property.
KafkaConf BuildProducerConf(const Scenario& scenario, const std::string& bootstrap);

// librdkafka's configuration of the client `rk` as it runs: every global and
// default-topic property with the value librdkafka uses (defaults included;
// rd_kafka_conf_dump and rd_kafka_topic_conf_dump), sorted by name, values of
// secret properties replaced by kRedacted (core/redact.h). Names are
// librdkafka's canonical ones: an alias set in the scenario appears under the
// property it stands for (linger.ms as queue.buffering.max.ms, acks as
// request.required.acks, compression.type as compression.codec). Callbacks
// and other pointers (dr_msg_cb, opaque, ...) are left out: their values are
// addresses, different in every run. Allocates; call at set-up.
std::vector<std::pair<std::string, std::string>> EffectiveConfig(rd_kafka_t* rk);

// Checks every librdkafka property of the scenario with rd_kafka_conf_set
// and rd_kafka_new (which checks combinations, e.g. idempotence with acks=1)
// without connecting anywhere. Throws ScenarioError.
void ValidateKafkaProperties(const Scenario& scenario);

// librdkafka's in-process mock cluster. It listens on loopback ports, so
// other clients can use it too. What it does not model: acks (every produce
// is acknowledged once the leader appended it), replication, and retention
// beyond about 5 MiB or 100,000 batches per partition. It keeps what it was
// sent (up to that retention) until it is destroyed, and librdkafka 2.0.2's
// mock cannot delete a topic: a runner that reuses one cluster for several
// cells restarts it once enough has been kept (Runner in runner.h).
// Not thread-safe: one thread sets it up; clients use it through sockets.
class EmbeddedCluster {
 public:
  // Throws KafkaSetupError.
  EmbeddedCluster(int brokers, int64_t rtt_ns);
  ~EmbeddedCluster();
  EmbeddedCluster(const EmbeddedCluster&) = delete;
  EmbeddedCluster& operator=(const EmbeddedCluster&) = delete;

  const std::string& bootstrap() const { return bootstrap_; }
  int brokers() const { return brokers_; }
  int64_t rtt_ns() const { return rtt_ns_; }
  // Throws KafkaSetupError (e.g. the name exists already).
  void CreateTopic(const std::string& name, int partitions, int replication);
  bool HasTopic(const std::string& name) const { return topics_.count(name) > 0; }
  // Sets the injected round-trip time of every broker.
  void SetRtt(int64_t rtt_ns);
  // The mock cluster itself, for the faults (faults.h).
  rd_kafka_mock_cluster_t* mock() const { return cluster_.get(); }

 private:
  int brokers_;
  int64_t rtt_ns_ = 0;
  std::set<std::string> topics_;  // created through CreateTopic
  KafkaHandle host_;  // the client instance that owns the mock cluster
  MockCluster cluster_;
  std::string bootstrap_;
};

// What a real cluster said about itself.
struct ClusterInfo {
  int brokers = 0;              // brokers in the metadata (KRaft: the unfenced ones)
  std::vector<int32_t> broker_ids;
  std::string bootstrap;
  // The Kafka version the brokers report: their inter.broker.protocol.version
  // (DescribeConfigs on each broker), e.g. "3.9-IV0". Unless an operator set
  // it, that is the broker software's default, the newest production
  // protocol of its release, so its "MAJOR.MINOR" is the Kafka release line
  // (librdkafka 2.0.2 exposes no other version-bearing answer). Brokers that
  // differ (a rolling upgrade) give their values joined by "/", ascending;
  // "unknown" when no broker would say (no permission, or Kafka 4.0+, which
  // removed the config).
  std::string kafka_version;
};

// Asks `bootstrap` for metadata within `timeout_ns`, then each broker for its
// version; throws KafkaSetupError naming the list when nothing answers. A
// broker that does not answer the version question only makes the version
// "unknown".
ClusterInfo CheckCluster(const std::string& bootstrap, int64_t timeout_ns);

// What CreateTopicOnCluster found or did.
struct TopicOutcome {
  bool created = false;  // false: the topic existed and is used as it is
  int partitions = 0;    // of the topic now
};

// Makes `name` ready on a real cluster. Without spec.reuse it creates the
// topic with the Admin API (partitions, replication, spec.config); a topic
// that exists already is accepted only with the partition count the scenario
// asks for. With spec.reuse an existing topic is used as it is (whatever its
// partitions, replication and configs) and created from the spec only when it
// is missing. A topic it creates is ready when it returns: every broker
// describes it (see AwaitTopicOnEveryBroker in kafka_client.cc for why).
// Never lets the broker auto-create it. Throws KafkaSetupError.
TopicOutcome CreateTopicOnCluster(const std::string& bootstrap, const TopicSpec& spec,
                                  const std::string& name, int64_t timeout_ns);

// "2.0.2"
std::string LibrdkafkaVersion();

}  // namespace sluice

#endif  // SLUICE_PIPELINE_KAFKA_CLIENT_H_
