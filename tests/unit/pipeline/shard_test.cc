// Shards (scenario/shard.h): each is a disjoint part of the whole, and the
// parts add up to the unsharded run's events with the unsharded timing.
#include "sluice/scenario/shard.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "sluice/pipeline/replay.h"
#include "sluice/pipeline/source.h"
#include "sluice/pipeline/trace_io.h"
#include "sluice/scenario/scenario.h"
#include "temp_dir.h"

namespace sluice {
namespace {

TEST(Shard, ParsesIOfN) {
  Shard s;
  std::string error;
  ASSERT_TRUE(ParseShard("1/3", &s, &error));
  EXPECT_EQ(s.index, 1);
  EXPECT_EQ(s.count, 3);
  EXPECT_EQ(s.ToString(), "1/3");
  ASSERT_TRUE(ParseShard("0/1", &s, &error));
  EXPECT_FALSE(s.active());
  for (const char* bad : {"", "1", "2/2", "3/2", "-1/2", "1/0", "a/2", "1/2x", "0/10001", "1/ 2", "0/99999999999"}) {
    EXPECT_FALSE(ParseShard(bad, &s, &error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

TEST(Shard, EveryIndexAndEveryKeyBelongsToExactlyOneShard) {
  for (ShardBy by : {ShardBy::kIndex, ShardBy::kKey}) {
    for (int n : {1, 2, 3, 7}) {
      std::map<std::string, int> shard_of_key;
      for (uint64_t i = 0; i < 500; ++i) {
        const std::string key = "user-" + std::to_string(i % 37);
        const bool has_key = i % 11 != 0;
        int owners = 0, owner = -1;
        for (int s = 0; s < n; ++s) {
          if (ShardTakes(Shard{s, n, by}, i, key, has_key)) {
            ++owners;
            owner = s;
          }
        }
        ASSERT_EQ(owners, 1) << "index " << i << " of " << n;
        if (by == ShardBy::kKey && has_key) {
          auto [it, fresh] = shard_of_key.emplace(key, owner);
          EXPECT_EQ(it->second, owner) << key << " moved between shards";
        } else {
          EXPECT_EQ(owner, static_cast<int>(i % n));
        }
      }
    }
  }
}

TEST(Shard, SeedAndRateOfOneShardAreTheUnshardedRuns) {
  SyntheticSourceSpec spec;
  spec.rate = 1000;
  spec.ramp.from_rate = 100;
  EXPECT_EQ(ShardSeed(42, Shard{}), 42u);
  EXPECT_EQ(ShardSource(spec, Shard{}).rate, 1000);
  EXPECT_NE(ShardSeed(42, Shard{0, 2}), ShardSeed(42, Shard{1, 2}));
  EXPECT_EQ(ShardSeed(42, Shard{1, 2}), ShardSeed(42, Shard{1, 2}));
  EXPECT_EQ(ShardSource(spec, Shard{1, 4}).rate, 250);
  EXPECT_EQ(ShardSource(spec, Shard{1, 4}).ramp.from_rate, 25);
}

// Synthetic shards: rate / N each, so the events of a window add up to the
// unsharded count, with sequence numbers that never collide.
TEST(Shard, SyntheticShardsAddUpWithUniqueSequenceNumbers) {
  SyntheticSourceSpec spec;
  spec.rate = 10'000;
  spec.events.push_back(EventTypeSpec{});
  const int64_t horizon = 1'000'000'000;
  auto count = [&](const SyntheticSourceSpec& s, uint64_t seed, uint64_t first, uint64_t step,
                   std::set<uint64_t>* seqs) {
    EventGenerator g(s, horizon, seed, first, step);
    uint64_t n = 0;
    Event e;
    for (g.Next(&e); e.intended_ns < horizon; g.Next(&e)) {
      ++n;
      if (seqs != nullptr) {
        EXPECT_TRUE(seqs->insert(e.seq).second) << e.seq;
      }
    }
    return n;
  };
  const uint64_t whole = count(spec, 7, 0, 1, nullptr);
  for (int n : {2, 3}) {
    std::set<uint64_t> seqs;
    uint64_t sum = 0;
    for (int i = 0; i < n; ++i) {
      const Shard shard{i, n};
      sum += count(ShardSource(spec, shard), ShardSeed(7, shard), i, n, &seqs);
    }
    EXPECT_NEAR(static_cast<double>(sum), static_cast<double>(whole), n) << n << " shards";
    EXPECT_EQ(seqs.size(), sum);
  }
}

struct Emitted {
  uint64_t seq;
  int64_t intended_ns;
  std::string line, key;
  bool operator<(const Emitted& o) const { return seq < o.seq; }
  bool operator==(const Emitted& o) const = default;
};

std::vector<Emitted> Replay(const ReplaySourceSpec& spec, Shard shard) {
  ReplayStream stream(spec, 8, shard);
  std::vector<Emitted> out;
  Event e;
  while (stream.Next(&e)) {
    out.push_back({e.seq, e.intended_ns, std::string(stream.arena().Line(e.slot)),
                   e.key == Event::kNoKey ? "" : std::string(stream.arena().Key(e.slot))});
    stream.Discard(e);
  }
  return out;
}

// Replayed shards: each takes its events of the whole trace, at the whole
// trace's times (out-of-order lines included); together they are the
// unsharded replay, and by key no key is on two shards.
TEST(Shard, ReplayShardsAreDisjointPartsOfTheWholeTraceAtItsTimes) {
  test_support::TempDir dir("sluice-shard");
  const std::string path = dir.File("t.jsonl");
  {
    TraceWriter writer(path);
    int64_t t = 1'783'175'888'000'000;
    for (int i = 0; i < 300; ++i) {
      t += (i % 5) * 1000;
      const int64_t ts = i % 17 == 3 ? t - 2500 : t;  // some out of order
      writer.WriteLine(R"({"time_us":)" + std::to_string(ts) + R"(,"did":"u)" + std::to_string(i % 23) +
                       R"(","i":)" + std::to_string(i) + "}");
    }
    writer.Close();
  }
  ReplaySourceSpec spec;
  spec.file = spec.path = path;
  spec.time_field = "time_us";
  spec.time_format = TimeFormat::kMicros;
  spec.key_field = "did";
  spec.speed = 10;
  spec.loop = 2;
  const std::vector<Emitted> whole = Replay(spec, Shard{});
  ASSERT_EQ(whole.size(), 600u);
  for (ShardBy by : {ShardBy::kIndex, ShardBy::kKey}) {
    std::vector<Emitted> together;
    std::map<std::string, int> shard_of_key;
    for (int i = 0; i < 3; ++i) {
      const std::vector<Emitted> part = Replay(spec, Shard{i, 3, by});
      EXPECT_GT(part.size(), 100u);
      for (const Emitted& e : part) {
        together.push_back(e);
        if (by == ShardBy::kKey) {
          auto [it, fresh] = shard_of_key.emplace(e.key, i);
          EXPECT_EQ(it->second, i) << e.key;
        }
      }
    }
    std::sort(together.begin(), together.end());
    EXPECT_EQ(together, whole) << ToString(by);
  }
}

}  // namespace
}  // namespace sluice
