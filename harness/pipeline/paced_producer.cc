#include "sluice/pipeline/paced_producer.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <vector>

#include "sluice/core/clock.h"
#include "sluice/core/event.h"
#include "sluice/pipeline/kafka_client.h"
#include "sluice/pipeline/payload.h"
#include "sluice/pipeline/source.h"

namespace sluice {
namespace {

constexpr int64_t kTickNs = 1'000'000;
constexpr int64_t kEndGraceNs = 10'000'000;  // as the Source's

struct Tally {
  uint64_t delivered = 0, failed = 0, purged = 0, delivered_bytes = 0;
};

// librdkafka calls it from rd_kafka_poll/flush, on the producing thread.
void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* tally = static_cast<Tally*>(opaque);
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++tally->delivered;
    tally->delivered_bytes += m->len;
  } else if (m->err == RD_KAFKA_RESP_ERR__PURGE_QUEUE || m->err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT) {
    ++tally->purged;
  } else {
    ++tally->failed;
  }
}

double Seconds(const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; }

bool ScenarioSets(const Scenario& scenario, const std::string& name) {
  for (const auto& p : scenario.producers.kafka) {
    if (p.name == name) return true;
  }
  return false;
}

}  // namespace

PacedResult RunPacedProducer(const Scenario& scenario, const std::string& bootstrap,
                             const std::string& topic, const std::atomic<bool>& interrupted) {
  PacedResult result;
  rusage before{};
  getrusage(RUSAGE_SELF, &before);
  const int64_t wall_start = NowNs();
  Tally tally;
  {
    KafkaConf conf = BuildProducerConf(scenario, bootstrap);
    // sluice's own default (statistics every 100 ms) is not the plain
    // producer's; the scenario's own setting is.
    char errstr[512];
    if (!ScenarioSets(scenario, "statistics.interval.ms")) {
      rd_kafka_conf_set(conf.get(), "statistics.interval.ms", "0", errstr, sizeof errstr);
    }
    rd_kafka_conf_set_dr_msg_cb(conf.get(), OnDelivery);
    rd_kafka_conf_set_opaque(conf.get(), &tally);
    KafkaHandle rk(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), errstr, sizeof errstr));
    if (!rk) throw KafkaSetupError(std::string("cannot create the paced producer: ") + errstr);
    conf.release();
    KafkaTopic rkt(rd_kafka_topic_new(rk.get(), topic.c_str(), nullptr));
    if (!rkt) throw KafkaSetupError("cannot create a topic handle for " + topic);
    // Leaders first, as sluice's clients do: set-up is not charged to the run.
    const int64_t give_up = NowNs() + scenario.broker.connect_timeout_ns;
    while (true) {
      const rd_kafka_metadata_t* md = nullptr;
      bool ready = false;
      if (rd_kafka_metadata(rk.get(), 0, rkt.get(), &md, 1000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        ready = md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR &&
                md->topics[0].partition_cnt > 0;
        for (int p = 0; ready && p < md->topics[0].partition_cnt; ++p) {
          ready = md->topics[0].partitions[p].leader >= 0;
        }
        rd_kafka_metadata_destroy(md);
      }
      if (ready) break;
      if (NowNs() > give_up) throw KafkaSetupError("topic " + topic + " has no leaders after waiting");
      timespec pause{0, 50'000'000};
      nanosleep(&pause, nullptr);
    }

    // As the runner and the workers size them, so the bytes are the same.
    size_t pool_max = 1, largest = 1;
    for (const auto& t : scenario.source.events) {
      pool_max = std::max<size_t>(pool_max, static_cast<size_t>(std::max<int64_t>(1, t.size.max)));
      largest = std::max<size_t>(largest, static_cast<size_t>(t.size.kind == SizeDistribution::Kind::kFixed
                                                                  ? t.size.fixed
                                                                  : t.size.max));
    }
    PayloadPool payloads(scenario.seed, pool_max);
    payloads.UseDocuments(scenario.source);
    std::vector<char> scratch(largest);
    EventGenerator generator(scenario.source, scenario.total_ns(), scenario.seed);

    const int64_t end_ns = scenario.total_ns();
    const int64_t epoch = NowNs() + kTickNs;
    const int64_t wall_epoch_us =
        std::chrono::duration_cast<std::chrono::microseconds>(
            std::chrono::system_clock::now().time_since_epoch()).count() + (epoch - NowNs()) / 1000;
    Event event;
    generator.Next(&event);
    int64_t tick = epoch;
    while (event.intended_ns < end_ns && !interrupted.load(std::memory_order_relaxed)) {
      const int64_t now = NowNs() - epoch;
      if (now >= end_ns + kEndGraceNs) break;
      while (event.intended_ns <= now && event.intended_ns < end_ns) {
        char key[24];
        const size_t key_len = event.key != Event::kNoKey ? FormatKey(event.key, key) : 0;
        void* payload;
        int flags = 0;
        if (const DocumentPool* documents = payloads.documents()) {
          documents->Write(event, wall_epoch_us, scratch.data());
          payload = scratch.data();
          flags = RD_KAFKA_MSG_F_COPY;
        } else {
          payload = const_cast<char*>(payloads.Slice(event.seq, event.size));
        }
        ++result.scheduled;
        while (true) {
          if (rd_kafka_produce(rkt.get(), RD_KAFKA_PARTITION_UA, flags, payload, event.size,
                               key_len ? key : nullptr, key_len, nullptr) == 0) {
            ++result.produced;
            break;
          }
          if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            ++tally.failed;
            break;
          }
          rd_kafka_poll(rk.get(), 1);  // room comes with delivery reports
        }
        generator.Next(&event);
      }
      rd_kafka_poll(rk.get(), 0);
      tick += kTickNs;
      const int64_t wake = std::max(tick, NowNs());
      timespec ts{static_cast<time_t>(wake / 1'000'000'000), static_cast<long>(wake % 1'000'000'000)};
      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
    }
    // What the schedule still held.
    while (event.intended_ns < end_ns && !interrupted.load(std::memory_order_relaxed)) {
      ++result.scheduled;
      ++result.unsent;
      generator.Next(&event);
    }
    if (rd_kafka_flush(rk.get(), static_cast<int>(scenario.producers.flush_timeout_ns / 1'000'000)) !=
        RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_purge(rk.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
      rd_kafka_flush(rk.get(), 5000);
    }
  }
  rusage after{};
  getrusage(RUSAGE_SELF, &after);
  result.delivered = tally.delivered;
  result.failed = tally.failed;
  result.purged = tally.purged;
  result.delivered_bytes = tally.delivered_bytes;
  result.wall_s = (NowNs() - wall_start) / 1e9;
  result.cpu_user_s = Seconds(after.ru_utime) - Seconds(before.ru_utime);
  result.cpu_system_s = Seconds(after.ru_stime) - Seconds(before.ru_stime);
  return result;
}

}  // namespace sluice
