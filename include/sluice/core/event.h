// Event: what travels through the bounded queue. A small, trivially copyable
// value: the payload bytes are not carried. Synthetic events' bytes are
// derived by the worker from (seq, type, size) out of a shared, read-only
// payload pool; a replayed event's line waits in a slot of the replay arena
// (replay.h) until the worker has produced it. No event allocates.
#ifndef SLUICE_CORE_EVENT_H_
#define SLUICE_CORE_EVENT_H_

#include <cstdint>
#include <type_traits>

namespace sluice {

struct Event {
  static constexpr uint32_t kNoKey = UINT32_MAX;
  static constexpr uint32_t kNoSlot = UINT32_MAX;

  // When the arrival process says this event should exist, in nanoseconds
  // since the run's epoch. Every latency is measured from here, never from
  // when the event was actually handed over (no coordinated omission).
  int64_t intended_ns = 0;
  uint64_t seq = 0;       // 0, 1, 2, ... in generation order
  uint32_t size = 0;      // payload bytes
  uint32_t key = kNoKey;  // key index, or kNoKey for a null key (replay: 0 = the slot's key)
  uint32_t slot = kNoSlot;  // replay: the arena slot holding the line's bytes
  uint16_t type = 0;      // index into the scenario's event types (replay: see replay.h)
};

static_assert(sizeof(Event) <= 32, "Event is copied through the queue: keep it small");

static_assert(std::is_trivially_copyable_v<Event>);

}  // namespace sluice

#endif  // SLUICE_CORE_EVENT_H_
