// PayloadPool: the bytes that synthetic events carry, generated once per run.
//
// Events do not carry payload bytes through the queue; a worker takes
// event.size bytes from this read-only pool at an offset derived from the
// event's sequence number, and hands librdkafka a pointer to them without a
// copy (the pool outlives every client). The pool holds seeded text-like
// bytes: words of varying length drawn from a Zipf-ranked vocabulary, so the
// payloads compress roughly like text does, neither like random bytes nor
// like a repeated character.
//
// Thread-safety: immutable after construction; Slice() is safe from any
// thread and never allocates. Construction allocates and may throw.
#ifndef SLUICE_PIPELINE_PAYLOAD_H_
#define SLUICE_PIPELINE_PAYLOAD_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sluice/pipeline/documents.h"
#include "sluice/scenario/scenario.h"

namespace sluice {

class PayloadPool {
 public:
  // `max_event_size` is the largest slice that will be asked for.
  PayloadPool(uint64_t seed, size_t max_event_size, size_t pool_bytes = 4 << 20);

  // Synthetic events of `spec` get JSON documents (spec.payload bluesky or
  // wikipedia) instead of text: see documents.h. Set-up only.
  void UseDocuments(const SyntheticSourceSpec& spec);
  // Non-null when events get documents: the worker composes each one into
  // a buffer of its own and librdkafka copies it.
  const DocumentPool* documents() const { return documents_.get(); }

  // `size` bytes for event `seq`. Deterministic for (seed, seq, size).
  const char* Slice(uint64_t seq, uint32_t size) const {
    // A stride that is odd and large spreads neighbouring events apart.
    size_t offset = static_cast<size_t>((seq * 2654435761ULL) % span_);
    (void)size;
    return bytes_.data() + offset;
  }

 private:
  std::vector<char> bytes_;
  size_t span_;
  uint64_t seed_;
  std::unique_ptr<DocumentPool> documents_;  // valid offsets: [0, span_), each with max_event_size bytes after it
};

// Writes the key for index `key` ("k" followed by the decimal index) into
// `out`, which must hold 24 bytes; returns its length. Never allocates.
size_t FormatKey(uint32_t key, char* out);

}  // namespace sluice

#endif  // SLUICE_PIPELINE_PAYLOAD_H_
