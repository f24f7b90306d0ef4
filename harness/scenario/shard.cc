#include "sluice/scenario/shard.h"

#include "sluice/core/random.h"
#include "sluice/scenario/scenario.h"

namespace sluice {
namespace {

// The sub-stream numbers of shard seeds: far from the small numbers other
// derivations use (EventGenerator's 1 and 2).
constexpr uint64_t kShardStream = 0x5348'4152'4400'0000ULL;  // "SHARD"

bool ParseCount(std::string_view digits, int64_t* out) {
  if (digits.empty() || digits.size() > 9) return false;
  int64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  *out = value;
  return true;
}

}  // namespace

bool ParseShard(std::string_view text, Shard* out, std::string* error) {
  const size_t slash = text.find('/');
  int64_t index = 0, count = 0;
  if (slash == std::string_view::npos || !ParseCount(text.substr(0, slash), &index) ||
      !ParseCount(text.substr(slash + 1), &count)) {
    *error = "expected I/N (shard I of N, from 0), e.g. 0/2, got '" + std::string(text) + "'";
    return false;
  }
  if (count < 1 || count > kMaxShards) {
    *error = "N must be 1 to " + std::to_string(kMaxShards) + ", got '" + std::string(text) + "'";
    return false;
  }
  if (index >= count) {
    *error = "I must be below N (shards are numbered from 0), got '" + std::string(text) + "'";
    return false;
  }
  out->index = static_cast<int>(index);
  out->count = static_cast<int>(count);
  return true;
}

const char* ToString(ShardBy by) { return by == ShardBy::kKey ? "key" : "index"; }

uint64_t ShardSeed(uint64_t seed, const Shard& shard) {
  if (!shard.active()) return seed;
  return Rng::Derive(seed, kShardStream + static_cast<uint64_t>(shard.index));
}

SyntheticSourceSpec ShardSource(const SyntheticSourceSpec& spec, const Shard& shard) {
  SyntheticSourceSpec out = spec;
  if (shard.active()) {
    out.rate = spec.rate / shard.count;
    out.ramp.from_rate = spec.ramp.from_rate / shard.count;
  }
  return out;
}

bool ShardTakes(const Shard& shard, uint64_t index, std::string_view key, bool has_key) {
  if (!shard.active()) return true;
  const auto n = static_cast<uint64_t>(shard.count);
  const auto i = static_cast<uint64_t>(shard.index);
  if (shard.by == ShardBy::kKey && has_key) {
    uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a 64: stable across machines and builds
    for (unsigned char c : key) {
      h ^= c;
      h *= 0x100000001b3ULL;
    }
    return h % n == i;
  }
  return index % n == i;
}

}  // namespace sluice
