// CellResult: everything one run of one sweep cell measured, as plain data.
//
// Every number a report prints is defined here, once; docs quote these
// comments (results/README.md). A cell that could not run records why in
// `error` instead of throwing through the runner.
#ifndef SLUICE_PIPELINE_RUN_RESULT_H_
#define SLUICE_PIPELINE_RUN_RESULT_H_

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sluice/core/counters.h"
#include "sluice/core/latency_kind.h"
#include "sluice/core/latency_histogram.h"
#include "sluice/pipeline/interval_row.h"
#include "sluice/pipeline/verify.h"
#include "sluice/scenario/scenario.h"

namespace sluice {

// The machine's busy share above which a report says that the result may be
// bound by the machine (brokers, JVMs and sluice share its cores).
inline constexpr double kHostBusyPct = 90.0;

struct TypeCounts {
  std::string type;
  uint64_t generated = 0;
  uint64_t dropped = 0;
  uint64_t delivered = 0;
  uint64_t failed = 0;
};

// What the verifier read back (verify: in the scenario); see verify.h and
// verifier.h.
struct VerifyResult {
  bool checked = false;         // the cell ran a verifier
  VerifyCounts counts;
  // By type, in the order of CellResult::types (VerifyClassifier::by_type:
  // `lost` there counts truncated events too).
  std::vector<VerifyCounts> by_type;
  bool reached_end = false;     // it read the log up to its settled high watermarks (Verifier::Finish)
  uint64_t skipped_offsets = 0; // offsets the broker had dropped before they were read
  uint64_t errors = 0;          // consumer errors
  uint64_t memory_bytes = 0;    // held by the ledger and the classifier at the end

  // "" (not checked); "failed" when an acknowledged event was lost or a
  // message was corrupt; else "inconclusive" when the broker had dropped
  // some of them (truncated) or the end was not reached in time; else "ok".
  const char* Verdict() const {
    if (!checked) return "";
    if (counts.lost > 0 || counts.corrupt > 0) return "failed";
    if (counts.truncated > 0 || !reached_end) return "inconclusive";
    return "ok";
  }
};

// What a replay source read (source.replay only); see replay.h.
struct ReplayStats {
  uint64_t lines = 0;         // lines read, every pass
  uint64_t bad_lines = 0;     // unusable lines: skipped, or the one that stopped the run
  uint64_t out_of_order = 0;  // timestamp below an earlier line's in the file
  uint64_t clamped = 0;       // out of order beyond the reorder window: sent at the previous time
  uint64_t passes = 0;        // passes over the file completed
  uint64_t other_type = 0;    // events counted as "(other)" past 255 type names
  std::vector<std::string> bad_line_examples;  // "LINE: reason", the first 20
};

// How one expectation of the scenario (expect:, expect_when:) fared in one
// cell; see expectation.h.
struct ExpectationOutcome {
  std::string column;     // as written in the scenario, e.g. latency.end_to_end.p99
  std::string condition;  // as written, e.g. "< 250ms"
  std::string expected;   // the condition with every column evaluated, e.g. "< 250.00ms"
  std::string measured;   // the column's value in this cell, e.g. "312.50ms", or "no value"
  bool passed = false;
  std::string where;      // file:line:column of the condition
};

// One probe of a `rate: max` search (rate_search.h).
struct RateProbe {
  double rate = 0;       // offered events per second
  bool passed = false;
  std::string why;       // what failed, e.g. "dropped 1234"; "" when passed
};

// What a `rate: max` search found, for one cell and repetition.
struct RateSearchResult {
  bool searched = false;
  double rate = NAN;         // the highest offered rate that passed every probe criterion
  double failed_rate = NAN;  // the lowest rate that failed (NaN: none failed)
  int probes = 0;
  std::vector<RateProbe> list;  // in the order they ran
  std::string note;             // how the search ended
};

struct CellResult {
  int cell = 0;        // index in the sweep, from 0
  int repetition = 0;  // from 0
  Scenario scenario;   // as run (parameters included)
  std::string topic;   // the topic this cell produced to (topic.reuse: the topic.name itself)
  std::string broker;  // "embedded (3 brokers, rtt 0ms)" or the bootstrap list
  int broker_count = 0;
  // "mock" on the embedded broker; on a real cluster the version its brokers
  // report (ClusterInfo::kafka_version in kafka_client.h, e.g. "3.9-IV0").
  std::string kafka_version;
  std::string error;   // non-empty: the cell failed and the figures are partial

  // --- the ledger: generated = dropped_newest + dropped_oldest + delivered
  //     + failed + unresolved, for every cell.
  uint64_t scheduled = 0;       // events the arrival process placed in the run
  uint64_t unsent = 0;          // scheduled, but the source was held back past the end
  uint64_t generated = 0;       // handed to the queue's when-full policy
  uint64_t dropped_newest = 0;  // refused by a full queue (drop_newest)
  uint64_t dropped_oldest = 0;  // evicted from a full queue (drop_oldest)
  uint64_t delivered = 0;       // acknowledged by the broker
  uint64_t failed = 0;          // produce() refused them, or a delivery report said error
  uint64_t unresolved = 0;      // no outcome by the end: see the three parts below
  uint64_t unresolved_in_flight = 0;  // produced, no report by the flush deadline (purged)
  uint64_t unresolved_queued = 0;     // still queued (or being retried) at the drain deadline
  ErrorCounts failed_by_code;   // librdkafka error code -> count

  bool LedgerBalances() const {
    return generated == dropped_newest + dropped_oldest + delivered + failed + unresolved;
  }
  uint64_t dropped() const { return dropped_newest + dropped_oldest; }

  // --- the source
  uint64_t late = 0;         // handed over more than 1 ms after the intended time
  uint64_t blocked = 0;      // pushes that waited for room (block policy)
  int64_t max_lag_ns = 0;    // furthest the source fell behind its schedule
  double mean_lag_ns = 0;    // mean of (hand-over time - intended time)

  // --- the queue
  uint64_t max_depth = 0;    // highest depth seen right after a push
  double mean_depth = 0;     // time average, sampled every millisecond
  double depth_growth = NAN; // lowest depth in the second half of the measured window minus the lowest in the first

  // --- Little's law for the queue (L = lambda x W), over the measured window
  //     while the source runs (from the end of the warm-up to the source's
  //     last push). NaN when that window is empty.
  double little_arrival_rate = NAN;  // events that entered the queue per second (generated - dropped_newest)
  double little_mean_depth = NAN;    // time-averaged depth, sampled every millisecond
  double little_predicted_depth = NAN;  // little_arrival_rate x (mean queue wait - mean source lag of measured events): time in the queue starts at the hand-over

  // --- on the wire, from librdkafka's statistics (summed over the clients;
  //     0 when statistics.interval.ms is 0)
  uint64_t wire_bytes = 0;          // bytes sent to the brokers: every request, headers included (tx_bytes)
  uint64_t wire_messages = 0;       // messages sent to the brokers (txmsgs)
  uint64_t wire_payload_bytes = 0;  // key + value bytes of those messages, before compression (txmsg_bytes)

  // --- the producers
  // ERR__QUEUE_FULL answers from librdkafka, each retried (also the rare
  // wait for a free in-flight slot when queue.buffering.max.messages is 0 or
  // above 1,048,576: see in_flight.h)
  uint64_t backpressure = 0;

  // --- throughput, over the measured window (after the warm-up)
  // The measured window: end of the warm-up to the end of the run, or to
  // where a signal stopped the source (0 if that was in the warm-up, or the
  // cell failed before its traffic). Every rate below is over it.
  double duration_s = 0;
  double offered_rate = 0;        // events scheduled in the window / duration
  double offered_mbps = 0;        // their payload bytes (MB = 1e6 B) per second
  double delivered_rate = 0;      // events whose delivery report arrived in the window / duration
  double delivered_mbps = 0;      // their payload bytes (MB = 1e6 B) per second
  uint64_t measured_delivered = 0;  // delivered events intended after the warm-up (the latency sample count)

  // --- the process, over the cell (source, workers, clients and the
  //     embedded broker all run in this process)
  double wall_s = 0;
  // Wall-clock time of the schedule's time 0 (the first event due, the
  // start of the warm-up), in seconds since the Unix epoch: where this
  // cell's histograms sit on a shared timeline (.hlog files, shards).
  double epoch_unix_s = 0;
  double cpu_user_s = 0;
  double cpu_system_s = 0;
  int64_t peak_rss_bytes = 0;

  // --- latency of measured delivered events (intended time after the
  //     warm-up): one breakdown from the same clock readings, so
  //     queue_wait + worker + kafka = end_to_end for every event.
  std::shared_ptr<LatencyHistogram> end_to_end;  // intended time -> delivery report
  std::shared_ptr<LatencyHistogram> queue_wait;  // intended time -> taken by a worker
  std::shared_ptr<LatencyHistogram> kafka;       // the produce() call librdkafka accepted -> delivery report
  // taken by a worker -> handed to the produce() call librdkafka accepted,
  // QUEUE_FULL waits included
  std::shared_ptr<LatencyHistogram> worker;
  // The source's release lag: handed over to the queue minus intended time.
  std::shared_ptr<LatencyHistogram> source_lag;
  // source.priority as it applied (Source::priority_applied()).
  std::string source_priority = "normal";
  // With verify: intended time -> read back by the verifier, of the first
  // copy of each measured event (null without verify).
  std::shared_ptr<LatencyHistogram> consume;
  // The histogram of one kind, as above (null when the cell has none).
  std::shared_ptr<LatencyHistogram>& latency(LatencyKind kind);
  const std::shared_ptr<LatencyHistogram>& latency(LatencyKind kind) const {
    return const_cast<CellResult*>(this)->latency(kind);
  }

  VerifyResult verify;

  // --- set-up: from the start of the cell to the first event's due time
  //     (cluster or topic, payloads, clients, metadata), excluded from every
  //     rate. 0 when the cell failed before its traffic.
  double setup_s = 0;

  // librdkafka's configuration of the cell's (first) producer client, every
  // property with the value librdkafka used, defaults included
  // (rd_kafka_conf_dump), secrets redacted (core/redact.h).
  std::vector<std::pair<std::string, std::string>> effective_config;

  std::vector<TypeCounts> types;

  bool replayed = false;  // the source was a replay: `replay` holds its figures
  ReplayStats replay;

  // `rate: max`: the search; the other figures are those of the probe at
  // the rate found (or of the last probe when none passed).
  RateSearchResult max_rate;

  // --- transients: the interval series (timeseries.csv, interval_row.h),
  //     what each fault did, and the recovery after them (recovery.h)
  std::vector<IntervalRow> timeseries;
  std::vector<FaultOutcome> faults;
  RecoveryFigures recovery;
  // The whole machine's busy share over the measured window (/proc/stat),
  // 0-100; NaN when unknown. Above kHostBusyPct the figures may be bound by
  // this machine rather than by the configuration.
  double host_cpu_pct = NAN;

  // Filled after the run unless expectations are skipped (--no-expect).
  bool expectations_checked = false;
  std::vector<ExpectationOutcome> expectations;
};

inline std::shared_ptr<LatencyHistogram>& CellResult::latency(LatencyKind kind) {
  switch (kind) {
    case LatencyKind::kEndToEnd: return end_to_end;
    case LatencyKind::kQueueWait: return queue_wait;
    case LatencyKind::kWorker: return worker;
    case LatencyKind::kKafka: return kafka;
    case LatencyKind::kSourceLag: return source_lag;
    case LatencyKind::kConsume: return consume;
  }
  return end_to_end;
}

}  // namespace sluice

#endif  // SLUICE_PIPELINE_RUN_RESULT_H_
