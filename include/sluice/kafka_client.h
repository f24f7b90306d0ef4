// Everything that touches librdkafka handles directly: RAII owners for them,
// building a producer configuration from a scenario, the embedded broker
// (librdkafka's mock cluster) and the reachability check of a real cluster.
//
// All of this runs while a cell is being set up, so failures throw:
// ScenarioError when a property from the scenario is refused (naming its
// place in the file and quoting librdkafka), KafkaSetupError when the broker
// cannot be used (unreachable, topic cannot be created).
#ifndef SLUICE_KAFKA_CLIENT_H_
#define SLUICE_KAFKA_CLIENT_H_

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "sluice/scenario.h"

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

// Checks every librdkafka property of the scenario with rd_kafka_conf_set
// and rd_kafka_new (which checks combinations, e.g. idempotence with acks=1)
// without connecting anywhere. Throws ScenarioError.
void ValidateKafkaProperties(const Scenario& scenario);

// librdkafka's in-process mock cluster. It listens on loopback ports, so
// other clients can use it too. What it does not model: acks (every produce
// is acknowledged once the leader appended it), replication, and retention
// beyond about 5 MiB or 100,000 batches per partition.
class EmbeddedCluster {
 public:
  // Throws KafkaSetupError.
  EmbeddedCluster(int brokers, int64_t rtt_ns);
  ~EmbeddedCluster();
  EmbeddedCluster(const EmbeddedCluster&) = delete;
  EmbeddedCluster& operator=(const EmbeddedCluster&) = delete;

  const std::string& bootstrap() const { return bootstrap_; }
  int brokers() const { return brokers_; }
  void CreateTopic(const std::string& name, int partitions, int replication);
  // Sets the injected round-trip time of every broker.
  void SetRtt(int64_t rtt_ns);

 private:
  int brokers_;
  KafkaHandle host_;  // the client instance that owns the mock cluster
  MockCluster cluster_;
  std::string bootstrap_;
};

// What a metadata request said about a real cluster.
struct ClusterInfo {
  int brokers = 0;
  std::string bootstrap;
};

// Asks `bootstrap` for metadata within `timeout_ns`; throws KafkaSetupError
// naming the list when nothing answers.
ClusterInfo CheckCluster(const std::string& bootstrap, int64_t timeout_ns);

// Creates `spec` on a real cluster with the Admin API, unless it exists with
// the same partition count. Throws KafkaSetupError.
void CreateTopicOnCluster(const std::string& bootstrap, const TopicSpec& spec,
                          const std::string& name, int64_t timeout_ns);

// "2.0.2"
std::string LibrdkafkaVersion();

}  // namespace sluice

#endif  // SLUICE_KAFKA_CLIENT_H_
