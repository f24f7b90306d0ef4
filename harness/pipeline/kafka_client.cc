#include "sluice/pipeline/kafka_client.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string_view>
#include <thread>
#include <vector>

#include "sluice/core/redact.h"

namespace sluice {
namespace {

// Collects librdkafka's log lines while a set-up step runs, so an error can
// quote the reason ("Connection refused") instead of spraying stderr.
struct LogCapture {
  std::mutex mu;
  std::string last;

  static void Callback(const rd_kafka_t* rk, int /*level*/, const char* /*fac*/, const char* buf) {
    auto* self = static_cast<LogCapture*>(rd_kafka_opaque(rk));
    if (self == nullptr) return;
    std::lock_guard<std::mutex> lock(self->mu);
    self->last = buf;
  }

  std::string Last() {
    std::lock_guard<std::mutex> lock(mu);
    return last;
  }
};

void SetOrThrow(rd_kafka_conf_t* conf, const char* name, const std::string& value) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, name, value.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
    throw KafkaSetupError(std::string("librdkafka refused ") + name + "=" + value + ": " + errstr);
  }
}

void QuietLog(const rd_kafka_t*, int, const char*, const char*) {}

}  // namespace

KafkaConf BuildProducerConf(const Scenario& scenario, const std::string& bootstrap) {
  KafkaConf conf(rd_kafka_conf_new());
  char errstr[512];
  // Defaults of ours, each overridable from the scenario.
  SetOrThrow(conf.get(), "client.id", "sluice");
  // Statistics every 100 ms give the bytes sent on the wire (wire.* in the
  // reports); 0 in the scenario turns them off.
  SetOrThrow(conf.get(), "statistics.interval.ms", "100");
  for (const auto& prop : scenario.producers.kafka) {
    std::string key = "producers.kafka." + prop.name;
    if (prop.name == "bootstrap.servers" || prop.name == "metadata.broker.list") {
      throw ScenarioError(prop.where, key, "set the broker with broker.bootstrap (or --bootstrap)");
    }
    if (rd_kafka_conf_set(conf.get(), prop.name.c_str(), prop.value.c_str(), errstr,
                          sizeof errstr) != RD_KAFKA_CONF_OK) {
      throw ScenarioError(prop.where, key, std::string("librdkafka refused it: ") + errstr);
    }
  }
  if (!bootstrap.empty()) SetOrThrow(conf.get(), "bootstrap.servers", bootstrap);
  return conf;
}

namespace {

// A property whose value is an address (a callback, the opaque, the default
// topic configuration): librdkafka dumps it as "0x..." when it is set.
bool IsPointerValue(const char* value) {
  if (value[0] != '0' || value[1] != 'x' || value[2] == '\0') return false;
  for (const char* c = value + 2; *c; ++c) {
    if (!std::isxdigit(static_cast<unsigned char>(*c))) return false;
  }
  return true;
}

// Adds the pairs of a configuration dump to `out`. A property both levels
// know (compression.codec in 2.0.2) keeps the global value when the topic
// level says "inherit", and takes the topic level's value otherwise, as
// librdkafka does.
void AppendDump(const char** dump, size_t count, std::map<std::string, std::string>& out) {
  for (size_t i = 0; i + 1 < count; i += 2) {
    if (IsPointerValue(dump[i + 1])) continue;
    auto [at, inserted] = out.emplace(dump[i], dump[i + 1]);
    if (!inserted && std::string_view(dump[i + 1]) != "inherit") at->second = dump[i + 1];
  }
}

}  // namespace

std::vector<std::pair<std::string, std::string>> EffectiveConfig(rd_kafka_t* rk) {
  std::map<std::string, std::string> all;
  // The handle's own configuration is read-only: dump a copy of it.
  KafkaConf conf(rd_kafka_conf_dup(rd_kafka_conf(rk)));
  size_t count = 0;
  const char** dump = rd_kafka_conf_dump(conf.get(), &count);
  AppendDump(dump, count, all);
  rd_kafka_conf_dump_free(dump, count);
  // Topic-level properties (message.timeout.ms, request.required.acks, ...)
  // live in the default topic configuration, which topic handles made
  // without a configuration of their own (as sluice's are) use.
  rd_kafka_topic_conf_t* topic_conf = rd_kafka_default_topic_conf_dup(rk);
  if (topic_conf != nullptr) {
    dump = rd_kafka_topic_conf_dump(topic_conf, &count);
    AppendDump(dump, count, all);
    rd_kafka_conf_dump_free(dump, count);
    rd_kafka_topic_conf_destroy(topic_conf);
  }
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(all.size());
  for (const auto& [name, value] : all) out.emplace_back(name, RedactValue(name, value));
  return out;
}

void ValidateKafkaProperties(const Scenario& scenario) {
  KafkaConf conf = BuildProducerConf(scenario, "");
  rd_kafka_conf_set_log_cb(conf.get(), QuietLog);
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), errstr, sizeof errstr);
  if (rk == nullptr) {
    SourceLocation where;
    where.file = scenario.file;
    if (!scenario.producers.kafka.empty()) where = scenario.producers.kafka.front().where;
    throw ScenarioError(where, "producers.kafka",
                        std::string("librdkafka refused this combination: ") + errstr);
  }
  conf.release();  // rd_kafka_new took ownership
  rd_kafka_destroy(rk);
}

EmbeddedCluster::EmbeddedCluster(int brokers, int64_t rtt_ns) : brokers_(brokers) {
  KafkaConf conf(rd_kafka_conf_new());
  rd_kafka_conf_set_log_cb(conf.get(), QuietLog);
  char errstr[512];
  host_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), errstr, sizeof errstr));
  if (!host_) throw KafkaSetupError(std::string("cannot start the embedded broker: ") + errstr);
  conf.release();
  cluster_.reset(rd_kafka_mock_cluster_new(host_.get(), brokers));
  if (!cluster_) throw KafkaSetupError("cannot start the embedded broker (rd_kafka_mock_cluster_new failed)");
  bootstrap_ = rd_kafka_mock_cluster_bootstraps(cluster_.get());
  if (rtt_ns > 0) SetRtt(rtt_ns);
}

EmbeddedCluster::~EmbeddedCluster() {
  cluster_.reset();  // before the host instance it lives in
  host_.reset();
}

void EmbeddedCluster::CreateTopic(const std::string& name, int partitions, int replication) {
  rd_kafka_resp_err_t err =
      rd_kafka_mock_topic_create(cluster_.get(), name.c_str(), partitions, replication);
  if (err) {
    throw KafkaSetupError("embedded broker cannot create topic " + name + ": " + rd_kafka_err2str(err));
  }
  topics_.insert(name);
}

void EmbeddedCluster::SetRtt(int64_t rtt_ns) {
  rtt_ns_ = rtt_ns;
  for (int id = 1; id <= brokers_; ++id) {
    rd_kafka_resp_err_t err =
        rd_kafka_mock_broker_set_rtt(cluster_.get(), id, static_cast<int>(rtt_ns / 1'000'000));
    if (err) throw KafkaSetupError(std::string("cannot set the embedded broker's rtt: ") + rd_kafka_err2str(err));
  }
}

namespace {

struct AdminClient {
  LogCapture log;
  KafkaHandle rk;

  AdminClient(const std::string& bootstrap) {
    KafkaConf conf(rd_kafka_conf_new());
    SetOrThrow(conf.get(), "bootstrap.servers", bootstrap);
    SetOrThrow(conf.get(), "client.id", "sluice-admin");
    // Asking for a missing topic's metadata must not create it.
    SetOrThrow(conf.get(), "allow.auto.create.topics", "false");
    rd_kafka_conf_set_log_cb(conf.get(), LogCapture::Callback);
    rd_kafka_conf_set_opaque(conf.get(), &log);
    char errstr[512];
    rk.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), errstr, sizeof errstr));
    if (!rk) throw KafkaSetupError(std::string("cannot create a client for ") + bootstrap + ": " + errstr);
    conf.release();
  }

  std::string Reason() {
    std::string last = log.Last();
    return last.empty() ? "" : " (last librdkafka message: " + last + ")";
  }
};

int TimeoutMs(int64_t ns) { return static_cast<int>(std::max<int64_t>(1, ns / 1'000'000)); }

}  // namespace

namespace {

// inter.broker.protocol.version of broker `id`, or "" when it does not say.
// librdkafka sends a broker resource's DescribeConfigs to that broker, one
// broker per call.
std::string BrokerProtocolVersion(rd_kafka_t* rk, int32_t id, int64_t timeout_ns) {
  const std::string name = std::to_string(id);
  rd_kafka_ConfigResource_t* resource = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_BROKER, name.c_str());
  char errstr[512];
  KafkaQueue queue(rd_kafka_queue_new(rk));
  rd_kafka_AdminOptions_t* options = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
  rd_kafka_AdminOptions_set_request_timeout(options, TimeoutMs(timeout_ns), errstr, sizeof errstr);
  rd_kafka_DescribeConfigs(rk, &resource, 1, options, queue.get());
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue.get(), TimeoutMs(timeout_ns) + 1000);
  rd_kafka_AdminOptions_destroy(options);
  rd_kafka_ConfigResource_destroy(resource);
  if (event == nullptr) return "";
  std::string version;
  if (!rd_kafka_event_error(event)) {
    size_t count = 0;
    const rd_kafka_ConfigResource_t** resources =
        rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(event), &count);
    for (size_t i = 0; i < count && version.empty(); ++i) {
      if (rd_kafka_ConfigResource_error(resources[i])) continue;
      size_t entries = 0;
      const rd_kafka_ConfigEntry_t** configs = rd_kafka_ConfigResource_configs(resources[i], &entries);
      for (size_t e = 0; e < entries; ++e) {
        const char* key = rd_kafka_ConfigEntry_name(configs[e]);
        const char* value = rd_kafka_ConfigEntry_value(configs[e]);
        if (key != nullptr && value != nullptr && std::string(key) == "inter.broker.protocol.version") {
          version = value;
          break;
        }
      }
    }
  }
  rd_kafka_event_destroy(event);
  return version;
}

}  // namespace

ClusterInfo CheckCluster(const std::string& bootstrap, int64_t timeout_ns) {
  AdminClient admin(bootstrap);
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(admin.rk.get(), 0, nullptr, &md, TimeoutMs(timeout_ns));
  if (err) {
    throw KafkaSetupError("broker " + bootstrap + " did not answer a metadata request within " +
                          std::to_string(TimeoutMs(timeout_ns)) + " ms: " + rd_kafka_err2str(err) +
                          admin.Reason());
  }
  ClusterInfo info;
  info.brokers = md->broker_cnt;
  info.bootstrap = bootstrap;
  for (int i = 0; i < md->broker_cnt; ++i) info.broker_ids.push_back(md->brokers[i].id);
  rd_kafka_metadata_destroy(md);
  std::sort(info.broker_ids.begin(), info.broker_ids.end());

  // One question per broker, all within one timeout: a hung broker costs the
  // version lookup at most that, and leaves the version "unknown".
  std::set<std::string> versions;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(timeout_ns);
  for (int32_t id : info.broker_ids) {
    const int64_t left = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             deadline - std::chrono::steady_clock::now()).count();
    if (left < 1'000'000) break;
    std::string v = BrokerProtocolVersion(admin.rk.get(), id, left);
    if (!v.empty()) versions.insert(v);
  }
  for (const auto& v : versions) info.kafka_version += (info.kafka_version.empty() ? "" : "/") + v;
  if (info.kafka_version.empty()) info.kafka_version = "unknown";
  return info;
}

namespace {

// Partition count of `topic` on the cluster, or -1 when it does not exist.
// The admin client has allow.auto.create.topics=false, so asking does not
// create it.
int PartitionCount(rd_kafka_t* rk, const std::string& topic, int64_t timeout_ns) {
  KafkaTopic rkt(rd_kafka_topic_new(rk, topic.c_str(), nullptr));
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt.get(), &md, TimeoutMs(timeout_ns));
  if (err) throw KafkaSetupError("metadata request for topic " + topic + " failed: " + rd_kafka_err2str(err));
  int count = -1;
  if (md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    count = md->topics[0].partition_cnt;
  }
  rd_kafka_metadata_destroy(md);
  return count;
}

// Whether the one broker at `address` describes `topic` with `partitions`
// partitions, each with a leader. A fresh client whose only bootstrap entry
// is that broker sends its first metadata request there.
bool BrokerKnowsTopic(const std::string& address, const std::string& topic, int partitions,
                      int64_t timeout_ns) {
  AdminClient one(address);
  KafkaTopic rkt(rd_kafka_topic_new(one.rk.get(), topic.c_str(), nullptr));
  const rd_kafka_metadata_t* md = nullptr;
  if (rd_kafka_metadata(one.rk.get(), 0, rkt.get(), &md, TimeoutMs(timeout_ns))) return false;
  bool ready = md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR &&
               md->topics[0].partition_cnt == partitions;
  for (int p = 0; ready && p < md->topics[0].partition_cnt; ++p) {
    if (md->topics[0].partitions[p].leader < 0) ready = false;
  }
  rd_kafka_metadata_destroy(md);
  return ready;
}

// A new topic reaches each broker's metadata cache on its own schedule; a
// broker that is behind answers "unknown topic". librdkafka 2.0.2 takes such
// an answer about a topic it has seen as final and fails every queued
// message (_UNKNOWN_TOPIC, _UNKNOWN_PARTITION): the propagation grace of
// topic.metadata.propagation.max.ms only covers topics it has not seen yet
// (confluentinc/librdkafka#4904). On this 2-core machine under load that
// failed 18k events of a quickstart run on a 3-broker cluster. So the cell
// starts only once every broker describes the topic.
void AwaitTopicOnEveryBroker(rd_kafka_t* rk, const std::string& topic, int partitions,
                             int64_t timeout_ns) {
  const rd_kafka_metadata_t* md = nullptr;
  if (rd_kafka_metadata(rk, 0, nullptr, &md, TimeoutMs(timeout_ns))) return;  // the run will say
  std::vector<std::string> brokers;
  for (int i = 0; i < md->broker_cnt; ++i) {
    brokers.push_back(std::string(md->brokers[i].host) + ":" + std::to_string(md->brokers[i].port));
  }
  rd_kafka_metadata_destroy(md);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(timeout_ns);
  for (const auto& address : brokers) {
    while (!BrokerKnowsTopic(address, topic, partitions, 2'000'000'000)) {
      if (std::chrono::steady_clock::now() >= deadline) {
        throw KafkaSetupError("topic " + topic + " was created, but broker " + address +
                              " did not describe it within " + std::to_string(TimeoutMs(timeout_ns)) + " ms");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

}  // namespace

TopicOutcome CreateTopicOnCluster(const std::string& bootstrap, const TopicSpec& spec,
                                  const std::string& name, int64_t timeout_ns) {
  AdminClient admin(bootstrap);
  TopicOutcome outcome;
  if (spec.reuse) {
    // Looking first means a topic the client may use but not create works.
    int existing = PartitionCount(admin.rk.get(), name, timeout_ns);
    if (existing > 0) {
      outcome.partitions = existing;
      return outcome;
    }
  }
  char errstr[512];
  rd_kafka_NewTopic_t* topic =
      rd_kafka_NewTopic_new(name.c_str(), spec.partitions, spec.replication, errstr, sizeof errstr);
  if (topic == nullptr) throw KafkaSetupError("cannot describe topic " + name + ": " + errstr);
  for (const auto& cfg : spec.config) {
    if (rd_kafka_NewTopic_set_config(topic, cfg.name.c_str(), cfg.value.c_str())) {
      rd_kafka_NewTopic_destroy(topic);
      throw ScenarioError(cfg.where, "topic.config." + cfg.name, "refused by librdkafka");
    }
  }
  KafkaQueue queue(rd_kafka_queue_new(admin.rk.get()));
  rd_kafka_AdminOptions_t* options = rd_kafka_AdminOptions_new(admin.rk.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_operation_timeout(options, TimeoutMs(timeout_ns), errstr, sizeof errstr);
  rd_kafka_AdminOptions_set_request_timeout(options, TimeoutMs(timeout_ns), errstr, sizeof errstr);
  rd_kafka_CreateTopics(admin.rk.get(), &topic, 1, options, queue.get());
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue.get(), TimeoutMs(timeout_ns) + 1000);
  rd_kafka_AdminOptions_destroy(options);
  rd_kafka_NewTopic_destroy(topic);
  if (event == nullptr) {
    throw KafkaSetupError("creating topic " + name + " timed out" + admin.Reason());
  }
  std::string failure;
  rd_kafka_resp_err_t topic_err = RD_KAFKA_RESP_ERR_NO_ERROR;
  if (rd_kafka_event_error(event)) {
    failure = rd_kafka_event_error_string(event);
  } else {
    const rd_kafka_CreateTopics_result_t* result = rd_kafka_event_CreateTopics_result(event);
    size_t count = 0;
    const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(result, &count);
    if (count == 1) {
      topic_err = rd_kafka_topic_result_error(results[0]);
      if (topic_err && topic_err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        const char* msg = rd_kafka_topic_result_error_string(results[0]);
        failure = msg ? msg : rd_kafka_err2str(topic_err);
      }
    }
  }
  rd_kafka_event_destroy(event);
  if (!failure.empty()) throw KafkaSetupError("cannot create topic " + name + ": " + failure);
  if (topic_err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
    outcome.created = true;
    outcome.partitions = spec.partitions;
    AwaitTopicOnEveryBroker(admin.rk.get(), name, spec.partitions, timeout_ns);
    return outcome;
  }
  // It was there (or appeared between the look and the creation). A broker
  // may not know it yet; ask until one does.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(timeout_ns);
  outcome.partitions = PartitionCount(admin.rk.get(), name, timeout_ns);
  while (outcome.partitions < 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    outcome.partitions = PartitionCount(admin.rk.get(), name, timeout_ns);
  }
  if (outcome.partitions < 0) {
    throw KafkaSetupError("topic " + name + " exists, but no broker would describe it within " +
                          std::to_string(TimeoutMs(timeout_ns)) + " ms");
  }
  if (!spec.reuse && outcome.partitions != spec.partitions) {
    throw KafkaSetupError("topic " + name + " exists with " + std::to_string(outcome.partitions) +
                          " partitions, the scenario asks for " + std::to_string(spec.partitions) +
                          " (set topic.reuse: true to produce to it as it is)");
  }
  return outcome;
}

std::string LibrdkafkaVersion() { return rd_kafka_version_str(); }

}  // namespace sluice
