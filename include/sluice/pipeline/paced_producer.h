// PacedProducer: the plain producer that `sluice bench --cpu` measures
// sluice's CPU against.
//
// It is what a careful person writes without a harness: one librdkafka
// client; a loop that sleeps until the next 1 ms tick (clock_nanosleep on
// the absolute time), produces every event whose intended time has come,
// and serves delivery reports with rd_kafka_poll(0). No queue, no worker
// threads, no histograms, no statistics (unless the scenario's
// producers.kafka sets statistics.interval.ms), no status line.
//
// It produces the same events as sluice's synthetic source with the same
// scenario and seed (EventGenerator: same times, types, sizes, keys) and the
// same payload bytes (PayloadPool, including the JSON documents of
// `payload: bluesky|wikipedia`), with the scenario's producers.kafka
// properties. It stops producing at the end of the run (warm-up plus
// duration), when it falls more than 10 ms behind at the end (the rest is
// `unsent`), or on `interrupted`; then it flushes for at most
// producers.flush_timeout.
//
// Thread-safety: RunPacedProducer runs on the calling thread (librdkafka
// starts its own threads). It allocates while setting up; the loop does not
// allocate per event. Set-up failures throw KafkaSetupError or ScenarioError;
// afterwards failures are counted.
#ifndef SLUICE_PIPELINE_PACED_PRODUCER_H_
#define SLUICE_PIPELINE_PACED_PRODUCER_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "sluice/scenario/scenario.h"

namespace sluice {

struct PacedResult {
  uint64_t scheduled = 0;  // events of the schedule before the end of the run
  uint64_t produced = 0;   // accepted by produce()
  uint64_t unsent = 0;     // scheduled, never produced (behind at the end, or interrupted)
  uint64_t delivered = 0;  // delivery report without error
  uint64_t failed = 0;     // produce() refused, or a delivery report with an error
  uint64_t purged = 0;     // no report by the flush deadline
  uint64_t delivered_bytes = 0;  // payload bytes of the delivered events
  double wall_s = 0;       // the whole call, set-up and flush included
  double cpu_user_s = 0;   // of the whole process over the call (getrusage)
  double cpu_system_s = 0;
};

// Produces `scenario`'s synthetic stream to `topic` (which must exist) on
// the cluster at `bootstrap`. The scenario must have a synthetic source.
PacedResult RunPacedProducer(const Scenario& scenario, const std::string& bootstrap,
                             const std::string& topic, const std::atomic<bool>& interrupted);

}  // namespace sluice

#endif  // SLUICE_PIPELINE_PACED_PRODUCER_H_
