// Shards: one scenario's offered load split over N processes (`sluice run
// --shard I/N`), each a deterministic, disjoint part of the whole, so that
// `sluice merge` adds their results into the report of one run.
//
//   synthetic source  every shard runs the arrival process at rate / N (a
//                     ramp's from_rate too) with its own seed, derived from
//                     (seed, I); sequence numbers are I, I + N, I + 2N, ...
//                     so they stay unique across shards
//   replay            every shard reads the whole trace (so the schedule's
//                     time 0, its period and its reordering are the
//                     unsharded run's) and emits only its events: those
//                     whose index in emission order is I mod N, or with
//                     `--shard-by key` those whose key hashes (FNV-1a 64) to
//                     I mod N, so each key stays on one shard (keyless
//                     events go by index); the event keeps its global index
//                     as its sequence number
//
// A Shard of count 1 (the default) is no shard: the seed, the rate and the
// sequence numbers are those of an unsharded run. Plain data; the functions
// are pure and thread-safe.
#ifndef SLUICE_SCENARIO_SHARD_H_
#define SLUICE_SCENARIO_SHARD_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice {

struct SyntheticSourceSpec;  // scenario.h

enum class ShardBy { kIndex, kKey };

// The most shards of one run (--shard I/N: N at most this).
inline constexpr int kMaxShards = 10'000;

struct Shard {
  int index = 0;  // I, from 0
  int count = 1;  // N
  ShardBy by = ShardBy::kIndex;

  bool active() const { return count > 1; }
  std::string ToString() const { return std::to_string(index) + "/" + std::to_string(count); }
};

// Parses "I/N" (digits only, 0 <= I < N <= kMaxShards). False with `error`
// set (what was expected) on bad input.
bool ParseShard(std::string_view text, Shard* out, std::string* error);

const char* ToString(ShardBy by);  // "index" or "key"

// The seed of shard `shard` of a run seeded `seed`: `seed` itself when the
// run is not sharded.
uint64_t ShardSeed(uint64_t seed, const Shard& shard);

// The synthetic source of one shard: the rate (and a ramp's start) divided
// by the shard count.
SyntheticSourceSpec ShardSource(const SyntheticSourceSpec& spec, const Shard& shard);

// Whether event `index` (with key bytes `key`; `has_key` false for a null
// key) belongs to `shard`. Never allocates.
bool ShardTakes(const Shard& shard, uint64_t index, std::string_view key, bool has_key);

}  // namespace sluice

#endif  // SLUICE_SCENARIO_SHARD_H_
