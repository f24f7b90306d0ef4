#include "sluice/core/latency_kind.h"

namespace sluice {

std::string_view LatencyKindName(LatencyKind kind) {
  switch (kind) {
    case LatencyKind::kEndToEnd: return "end_to_end";
    case LatencyKind::kQueueWait: return "queue_wait";
    case LatencyKind::kWorker: return "worker";
    case LatencyKind::kKafka: return "kafka";
    case LatencyKind::kSourceLag: return "source_lag";
    case LatencyKind::kConsume: return "consume";
  }
  return "";
}

std::optional<LatencyKind> LatencyKindNamed(std::string_view name) {
  for (LatencyKind kind : kAllLatencyKinds) {
    if (LatencyKindName(kind) == name) return kind;
  }
  return std::nullopt;
}

}  // namespace sluice
