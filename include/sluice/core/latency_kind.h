// The latencies sluice records, each with the one name that report columns
// (latency.<name>.*), .hgrm and .hlog files and merged reports use.
//
// Thread-safety: constants and pure functions.
#ifndef SLUICE_CORE_LATENCY_KIND_H_
#define SLUICE_CORE_LATENCY_KIND_H_

#include <optional>
#include <string_view>

namespace sluice {

enum class LatencyKind {
  kEndToEnd,   // intended time -> delivery report
  kQueueWait,  // intended time -> taken by a worker
  kWorker,     // taken by a worker -> the produce() call librdkafka accepted
  kKafka,      // that produce() call -> delivery report
  kSourceLag,  // intended time -> handed to the queue
  kConsume,    // intended time -> read back by the verifier (verify: only)
};

// Every kind, in the order of the files a results folder lists.
inline constexpr LatencyKind kAllLatencyKinds[] = {
    LatencyKind::kEndToEnd, LatencyKind::kQueueWait, LatencyKind::kWorker,
    LatencyKind::kKafka,    LatencyKind::kSourceLag, LatencyKind::kConsume};

// "end_to_end", "queue_wait", "worker", "kafka", "source_lag", "consume".
std::string_view LatencyKindName(LatencyKind kind);

// The kind of a name LatencyKindName gives; nullopt for any other.
std::optional<LatencyKind> LatencyKindNamed(std::string_view name);

}  // namespace sluice

#endif  // SLUICE_CORE_LATENCY_KIND_H_
