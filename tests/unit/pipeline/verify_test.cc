// The identity codec, the range sets and the classifier, on hand-made
// sequences: gaps, repeats, reorders, foreign messages, corrupt identities,
// truncation.
#include "sluice/pipeline/verify.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

namespace sluice {
namespace {

constexpr uint64_t kRun = 0xabcdef0123456789ull;

// A message as the verifier would read it.
struct Message {
  unsigned char id[kIdentityBytes];
  std::string payload;
  int32_t partition = 0;
  int64_t offset = 0;
};

Message Make(uint32_t producer, uint16_t type, uint64_t seq, int32_t partition, int64_t offset,
             uint64_t run = kRun, uint16_t cell = 3, uint16_t repetition = 1) {
  Message m;
  m.payload = "payload of " + std::to_string(producer) + "/" + std::to_string(type) + "/" + std::to_string(seq);
  Identity id;
  id.run = run;
  id.cell = cell;
  id.repetition = repetition;
  id.producer = producer;
  id.type = type;
  id.seq = seq;
  id.intended_ns = static_cast<int64_t>(seq) * 1000;
  EncodeIdentity(id, m.payload.data(), m.payload.size(), m.id);
  m.partition = partition;
  m.offset = offset;
  return m;
}

ReadClass Read(VerifyClassifier& c, const Message& m) {
  Identity out;
  return c.OnMessage(m.id, kIdentityBytes, m.payload.data(), m.payload.size(), m.partition, m.offset, &out);
}

TEST(Identity, RoundTrips) {
  Message m = Make(0x00020001, 7, 123456789, 0, 0);
  Identity out;
  ASSERT_EQ(DecodeIdentity(m.id, kIdentityBytes, m.payload.data(), m.payload.size(), &out), DecodeStatus::kOk);
  EXPECT_EQ(out.run, kRun);
  EXPECT_EQ(out.cell, 3);
  EXPECT_EQ(out.repetition, 1);
  EXPECT_EQ(out.producer, 0x00020001u);
  EXPECT_EQ(out.type, 7);
  EXPECT_EQ(out.seq, 123456789u);
  EXPECT_EQ(out.intended_ns, 123456789000);
}

TEST(Identity, EveryFlippedBitIsSeen) {
  Message m = Make(1, 2, 3, 0, 0);
  Identity out;
  // In the identity (the magic's bits make it not sluice's: also refused).
  for (size_t bit = 0; bit < kIdentityBytes * 8; ++bit) {
    unsigned char copy[kIdentityBytes];
    std::memcpy(copy, m.id, sizeof copy);
    copy[bit / 8] ^= static_cast<unsigned char>(1u << (bit % 8));
    EXPECT_NE(DecodeIdentity(copy, sizeof copy, m.payload.data(), m.payload.size(), &out), DecodeStatus::kOk)
        << "bit " << bit;
  }
  // In the payload.
  for (size_t bit = 0; bit < m.payload.size() * 8; ++bit) {
    std::string payload = m.payload;
    payload[bit / 8] = static_cast<char>(payload[bit / 8] ^ (1 << (bit % 8)));
    EXPECT_EQ(DecodeIdentity(m.id, kIdentityBytes, payload.data(), payload.size(), &out), DecodeStatus::kCorrupt)
        << "bit " << bit;
  }
  // A payload cut short.
  EXPECT_EQ(DecodeIdentity(m.id, kIdentityBytes, m.payload.data(), m.payload.size() - 1, &out),
            DecodeStatus::kCorrupt);
}

TEST(Identity, OtherBytesAreNotAnIdentity) {
  Identity out;
  const std::string text = "{\"did\":\"plc:abc\",\"time_us\":1730000000000000,\"kind\":\"commit\"}";
  EXPECT_EQ(DecodeIdentity(text.data(), text.size(), "", 0, &out), DecodeStatus::kNotIdentity);
  EXPECT_EQ(DecodeIdentity(text.data(), 10, "", 0, &out), DecodeStatus::kNotIdentity);
  EXPECT_EQ(DecodeIdentity(nullptr, 0, "", 0, &out), DecodeStatus::kNotIdentity);
}

TEST(SeqRanges, InOrderIsOneInterval) {
  SeqRanges s;
  for (uint64_t v = 0; v < 1000; ++v) EXPECT_TRUE(s.Insert(v));
  EXPECT_EQ(s.Count(), 1000u);
  EXPECT_EQ(s.ranges().size(), 1u);
  EXPECT_FALSE(s.Insert(500));
  EXPECT_EQ(s.Count(), 1000u);
}

TEST(SeqRanges, GapsFillAndMerge) {
  SeqRanges s;
  for (uint64_t v : {0, 1, 2, 5, 6, 9}) s.Insert(v);
  EXPECT_EQ(s.ranges().size(), 3u);
  EXPECT_FALSE(s.Contains(3));
  EXPECT_TRUE(s.Insert(4));  // joins 5..6
  EXPECT_TRUE(s.Insert(3));  // joins 0..2 and 4..6
  EXPECT_EQ(s.ranges().size(), 2u);
  EXPECT_TRUE(s.Insert(8));
  EXPECT_TRUE(s.Insert(7));
  EXPECT_EQ(s.ranges().size(), 1u);
  EXPECT_EQ(s.Count(), 10u);
  EXPECT_TRUE(s.Insert(20));
  EXPECT_TRUE(s.Insert(15));  // alone, between
  EXPECT_EQ(s.ranges().size(), 3u);
  EXPECT_FALSE(s.Insert(15));
}

TEST(SeqRanges, RangesMergeAndIntersect) {
  SeqRanges a, b;
  a.InsertRange(0, 10);
  a.InsertRange(20, 30);
  a.InsertRange(5, 25);  // bridges both
  EXPECT_EQ(a.ranges().size(), 1u);
  EXPECT_EQ(a.Count(), 30u);
  b.InsertRange(8, 12);
  b.InsertRange(28, 40);
  b.InsertRange(40, 41);  // touches: merges
  EXPECT_EQ(b.ranges().size(), 2u);
  EXPECT_EQ(a.CountIn(b), 4u + 2u);
  EXPECT_EQ(b.CountIn(a), 6u);
  SeqRanges empty;
  EXPECT_EQ(a.CountIn(empty), 0u);
}

TEST(SeqRanges, MatchesAPlainSetOnShuffledInput) {
  // Out-of-order values in windows, as delivery reports of six partitions
  // interleave; every value once or twice.
  SeqRanges s;
  std::vector<bool> seen(5000, false);
  uint64_t state = 12345;
  std::vector<uint64_t> order(5000);
  std::iota(order.begin(), order.end(), 0);
  for (size_t i = 0; i + 64 <= order.size(); i += 64) {
    for (size_t j = 63; j > 0; --j) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      std::swap(order[i + j], order[i + (state >> 33) % (j + 1)]);
    }
  }
  for (uint64_t v : order) {
    if (v % 7 == 3) continue;  // gaps
    EXPECT_EQ(s.Insert(v), !seen[v]);
    seen[v] = true;
    if (v % 11 == 0) {
      EXPECT_FALSE(s.Insert(v));
    }
  }
  for (uint64_t v = 0; v < seen.size(); ++v) ASSERT_EQ(s.Contains(v), seen[v]) << v;
  EXPECT_EQ(s.Count(), static_cast<uint64_t>(std::count(seen.begin(), seen.end(), true)));
}

TEST(Classifier, EverythingOk) {
  VerifyClassifier c(kRun, 3, 1, 2, true);
  AckLedger acked;
  int64_t offset[2] = {0, 0};
  for (uint64_t seq = 0; seq < 100; ++seq) {
    const int32_t p = static_cast<int32_t>(seq % 2);
    acked.Acked(0, 1, seq, p, offset[p]);
    EXPECT_EQ(Read(c, Make(0, 1, seq, p, offset[p]++)), ReadClass::kFirst);
  }
  c.Finish(acked, {0, 0});
  EXPECT_EQ(c.total().read, 100u);
  EXPECT_EQ(c.total().ok, 100u);
  EXPECT_EQ(c.total().lost + c.total().duplicated + c.total().reordered + c.total().unacked_written +
                c.total().corrupt + c.total().foreign + c.total().truncated,
            0u);
  EXPECT_EQ(c.by_type()[1].ok, 100u);
  EXPECT_EQ(c.by_type()[0].read, 0u);
}

TEST(Classifier, GapIsLostAndExtraIsUnackedWritten) {
  VerifyClassifier c(kRun, 3, 1, 1, true);
  AckLedger acked;
  // Acknowledged 0..9; 4 and 5 never read; 10 read though not acknowledged
  // (its report said error, or never came).
  for (uint64_t seq = 0; seq < 10; ++seq) acked.Acked(0, 0, seq, 0, static_cast<int64_t>(seq));
  int64_t offset = 0;
  for (uint64_t seq : {0, 1, 2, 3, 6, 7, 8, 9, 10}) Read(c, Make(0, 0, seq, 0, offset++));
  c.Finish(acked, {0});
  EXPECT_EQ(c.total().read, 9u);
  EXPECT_EQ(c.total().ok, 8u);
  EXPECT_EQ(c.total().lost, 2u);
  EXPECT_EQ(c.total().unacked_written, 1u);
  EXPECT_EQ(c.total().truncated, 0u);
  EXPECT_EQ(c.by_type()[0].lost, 2u);
}

TEST(Classifier, RepeatsAreDuplicatesNotReorders) {
  VerifyClassifier c(kRun, 3, 1, 1, true);
  AckLedger acked;
  for (uint64_t seq = 0; seq < 6; ++seq) acked.Acked(0, 0, seq, 0, static_cast<int64_t>(seq));
  // A retried batch written twice: 2, 3 again after 4.
  int64_t offset = 0;
  std::vector<ReadClass> got;
  for (uint64_t seq : {0, 1, 2, 3, 4, 2, 3, 5}) got.push_back(Read(c, Make(0, 0, seq, 0, offset++)));
  c.Finish(acked, {0});
  EXPECT_EQ(got[5], ReadClass::kDuplicate);
  EXPECT_EQ(got[6], ReadClass::kDuplicate);
  EXPECT_EQ(c.total().read, 8u);
  EXPECT_EQ(c.total().ok, 6u);
  EXPECT_EQ(c.total().duplicated, 2u);
  EXPECT_EQ(c.total().reordered, 0u);
  // delivered + duplicated + unacked_written == read
  EXPECT_EQ(6u + c.total().duplicated + c.total().unacked_written, c.total().read);
}

TEST(Classifier, BackwardsWithinAPartitionIsAReorder) {
  VerifyClassifier c(kRun, 3, 1, 1, true);
  AckLedger acked;
  // Partition 0 holds 0, 1, 4, 5, 2, 3 (a batch retried after a later one
  // succeeded); partition 1 holds 6, 7 (its own order: no reorder across
  // partitions).
  for (uint64_t seq = 0; seq < 8; ++seq) acked.Acked(0, 0, seq, seq < 6 ? 0 : 1, 0);
  int64_t offset = 0;
  for (uint64_t seq : {0, 1, 4, 5, 2, 3}) Read(c, Make(0, 0, seq, 0, offset++));
  Read(c, Make(0, 0, 7, 1, 0));
  Read(c, Make(0, 0, 6, 1, 1));  // backwards in partition 1 as well
  c.Finish(acked, {0, 0});
  EXPECT_EQ(c.total().reordered, 3u);  // 2 and 3 after 5; 6 after 7
  EXPECT_EQ(c.total().ok, 8u);
  EXPECT_EQ(c.total().duplicated, 0u);
}

TEST(Classifier, ProducersAndTypesAreSeparateStreams) {
  VerifyClassifier c(kRun, 3, 1, 2, true);
  AckLedger acked;
  // Two producers, two types, each a stream of its own from 0: the same
  // sequence number in another stream is no duplicate.
  int64_t offset = 0;
  for (uint32_t producer : {0u, 1u}) {
    for (uint16_t type : {0, 1}) {
      for (uint64_t seq = 0; seq < 5; ++seq) {
        acked.Acked(producer, type, seq, 0, offset);
        Read(c, Make(producer, type, seq, 0, offset++));
      }
    }
  }
  c.Finish(acked, {0});
  EXPECT_EQ(c.total().ok, 20u);
  EXPECT_EQ(c.total().duplicated, 0u);
  EXPECT_EQ(c.total().reordered, 0u);
  EXPECT_EQ(c.by_type()[0].ok, 10u);
  EXPECT_EQ(c.by_type()[1].ok, 10u);
}

TEST(Classifier, ForeignMessagesAreCountedApart) {
  VerifyClassifier c(kRun, 3, 1, 1, true);
  AckLedger acked;
  acked.Acked(0, 0, 0, 0, 0);
  Read(c, Make(0, 0, 0, 0, 0));
  Read(c, Make(0, 0, 0, 0, 1, kRun + 1));        // another run
  Read(c, Make(0, 0, 0, 0, 2, kRun, 4));         // another cell
  Read(c, Make(0, 0, 0, 0, 3, kRun, 3, 0));      // another repetition
  Identity out;
  const std::string plain = "no identity at all";
  EXPECT_EQ(c.OnMessage(nullptr, 0, plain.data(), plain.size(), 0, 4, &out), ReadClass::kForeign);
  c.Finish(acked, {0});
  EXPECT_EQ(c.total().read, 5u);
  EXPECT_EQ(c.total().foreign, 4u);
  EXPECT_EQ(c.total().ok, 1u);
  EXPECT_EQ(c.total().duplicated, 0u);
  EXPECT_EQ(c.total().unacked_written, 0u);
}

TEST(Classifier, CorruptHeadersAndPayloads) {
  VerifyClassifier headers(kRun, 3, 1, 1, true);
  Message m = Make(0, 0, 0, 0, 0);
  Identity out;
  // A header of the wrong length, a header that is not sluice's, a payload changed.
  EXPECT_EQ(headers.OnMessage(m.id, kIdentityBytes - 1, m.payload.data(), m.payload.size(), 0, 0, &out),
            ReadClass::kCorrupt);
  const std::string junk(kIdentityBytes, 'x');
  EXPECT_EQ(headers.OnMessage(junk.data(), junk.size(), m.payload.data(), m.payload.size(), 0, 1, &out),
            ReadClass::kCorrupt);
  std::string changed = m.payload;
  changed[0] = 'P';
  EXPECT_EQ(headers.OnMessage(m.id, kIdentityBytes, changed.data(), changed.size(), 0, 2, &out),
            ReadClass::kCorrupt);
  EXPECT_EQ(headers.total().corrupt, 3u);

  // The value carrier: bytes without the magic are someone else's message;
  // with the magic and a wrong checksum they are corrupt.
  VerifyClassifier value(kRun, 3, 1, 1, false);
  EXPECT_EQ(value.OnMessage(junk.data(), junk.size(), "", 0, 0, 0, &out), ReadClass::kForeign);
  EXPECT_EQ(value.OnMessage(m.id, kIdentityBytes, changed.data(), changed.size(), 0, 1, &out),
            ReadClass::kCorrupt);
  EXPECT_EQ(value.total().foreign, 1u);
  EXPECT_EQ(value.total().corrupt, 1u);
}

TEST(Classifier, TruncationBelowTheLowWatermarkIsNotLoss) {
  VerifyClassifier c(kRun, 3, 1, 1, true);
  AckLedger acked;
  // Partition 0: offsets 0..9 acknowledged; the broker dropped 0..5 before
  // the consumer read them (low watermark 6). Partition 1: 0..3, of which
  // 2 is missing though it is above the low watermark (0): lost.
  for (uint64_t seq = 0; seq < 10; ++seq) acked.Acked(0, 0, seq, 0, static_cast<int64_t>(seq));
  for (uint64_t seq = 10; seq < 14; ++seq) acked.Acked(0, 0, seq, 1, static_cast<int64_t>(seq - 10));
  for (uint64_t seq = 6; seq < 10; ++seq) Read(c, Make(0, 0, seq, 0, static_cast<int64_t>(seq)));
  for (uint64_t seq : {10, 11, 13}) Read(c, Make(0, 0, seq, 1, static_cast<int64_t>(seq - 10)));
  c.Finish(acked, {6, 0});
  EXPECT_EQ(c.skipped_offsets(), 6u + 1u);
  EXPECT_EQ(c.total().truncated, 6u);
  EXPECT_EQ(c.total().lost, 1u);
  EXPECT_EQ(c.total().ok, 7u);
  // By type, both are acknowledged events never read.
  EXPECT_EQ(c.by_type()[0].lost, 7u);
}

TEST(Classifier, APartitionNeverReadIsTruncatedBelowItsLowWatermark) {
  VerifyClassifier c(kRun, 3, 1, 1, true);
  AckLedger acked;
  for (uint64_t seq = 0; seq < 5; ++seq) acked.Acked(0, 0, seq, 1, static_cast<int64_t>(seq));
  c.Finish(acked, {0, 3});
  EXPECT_EQ(c.total().truncated, 3u);
  EXPECT_EQ(c.total().lost, 2u);
}

// acks=0: delivery reports carry no offset. Partition 0 held 10 events at
// offsets 0..9 and the broker dropped 0..5 (low watermark 6); partition 1
// held 4, of which one never reached the log (no truncation there).
TEST(Classifier, WithoutOffsetsAtMostTheDroppedOffsetsCountAsTruncated) {
  VerifyClassifier c(kRun, 3, 1, 1, true);
  AckLedger acked;
  for (uint64_t seq = 0; seq < 14; ++seq) acked.Acked(0, 0, seq, seq < 10 ? 0 : 1, -1001);  // RD_KAFKA_OFFSET_INVALID
  EXPECT_EQ(acked.unplaced(0), 10u);
  EXPECT_EQ(acked.unplaced(1), 4u);
  EXPECT_TRUE(acked.offsets(0).ranges().empty());
  for (uint64_t seq = 6; seq < 10; ++seq) Read(c, Make(0, 0, seq, 0, static_cast<int64_t>(seq)));
  for (uint64_t seq : {10, 11, 13}) Read(c, Make(0, 0, seq, 1, static_cast<int64_t>(seq - 10)));
  c.Finish(acked, {6, 0});
  EXPECT_EQ(c.total().ok, 7u);
  EXPECT_EQ(c.total().truncated, 6u);  // the 6 dropped offsets of partition 0
  EXPECT_EQ(c.total().lost, 1u);       // what they cannot explain
}

// More unplaced events unread than dropped offsets: the rest is lost.
TEST(Classifier, UnplacedEventsBeyondTheDroppedOffsetsAreLost) {
  VerifyClassifier c(kRun, 3, 1, 1, true);
  AckLedger acked, other;
  for (uint64_t seq = 0; seq < 6; ++seq) acked.Acked(0, 0, seq, 0, -1);
  for (uint64_t seq = 6; seq < 10; ++seq) other.Acked(1, 0, seq - 6, 0, -1);
  acked.Merge(other);
  EXPECT_EQ(acked.unplaced(0), 10u);
  // The log held 8 of the 10 (offsets 0..7), dropped 0..2; 3..7 were read.
  for (uint64_t seq = 3; seq < 6; ++seq) Read(c, Make(0, 0, seq, 0, static_cast<int64_t>(seq)));
  for (uint64_t seq = 6; seq < 8; ++seq) Read(c, Make(1, 0, seq - 6, 0, static_cast<int64_t>(seq)));
  c.Finish(acked, {3});
  EXPECT_EQ(c.total().ok, 5u);
  EXPECT_EQ(c.total().truncated, 3u);
  EXPECT_EQ(c.total().lost, 2u);
}

// acks=0 on a reused partition that held 100 older messages when the cell
// began (start offset 100): its 8 events went to offsets 100..107, the
// broker dropped everything below 102, and the consumer read 102..107. Only
// the cell's dropped offsets (100, 101) and its unread events (2) count:
// truncated 2, not the 102 dropped offsets.
TEST(Classifier, TruncationOfUnplacedEventsCountsOnlyTheCellsOffsetsAndUnreadEvents) {
  VerifyClassifier c(kRun, 3, 1, 1, true);
  AckLedger acked;
  for (uint64_t seq = 0; seq < 8; ++seq) acked.Acked(0, 0, seq, 0, -1);
  for (uint64_t seq = 2; seq < 8; ++seq) Read(c, Make(0, 0, seq, 0, static_cast<int64_t>(100 + seq)));
  c.Finish(acked, {102}, {100});
  EXPECT_EQ(c.total().ok, 6u);
  EXPECT_EQ(c.total().truncated, 2u);  // not 102: the 100 older offsets are not the cell's
  EXPECT_EQ(c.total().lost, 0u);

  // Two events never reached the log: the dropped offsets of the cell (2)
  // explain at most 2 of the 4 unread.
  VerifyClassifier d(kRun, 3, 1, 1, true);
  AckLedger more;
  for (uint64_t seq = 0; seq < 10; ++seq) more.Acked(0, 0, seq, 0, -1);
  for (uint64_t seq = 2; seq < 8; ++seq) Read(d, Make(0, 0, seq, 0, static_cast<int64_t>(100 + seq)));
  d.Finish(more, {102}, {100});
  EXPECT_EQ(d.total().truncated, 2u);
  EXPECT_EQ(d.total().lost, 2u);
}

TEST(AckLedger, MergesClients) {
  AckLedger a, b;
  for (uint64_t seq = 0; seq < 10; ++seq) a.Acked(0, 0, seq, 0, static_cast<int64_t>(seq));
  for (uint64_t seq = 0; seq < 10; ++seq) b.Acked(1, 0, seq, 0, static_cast<int64_t>(seq + 10));
  a.Merge(b);
  ASSERT_EQ(a.streams().size(), 2u);
  EXPECT_EQ(a.streams().at(StreamKey(1, 0)).Count(), 10u);
  EXPECT_EQ(a.offsets(0).Count(), 20u);
  EXPECT_EQ(a.offsets(0).ranges().size(), 1u);
  EXPECT_EQ(a.offsets(5).Count(), 0u);
}

// The memory of verification at 10 million events: two producers, three
// types, six partitions, acknowledged and read in the interleaved order of
// real runs (delivery reports by partition batch, consumer by partition).
// Prints the figure quoted in the README; asserts it stays far below a
// byte per event.
TEST(VerifyMemory, BytesPerEventAtTenMillion) {
  constexpr uint64_t kEvents = 10'000'000;
  constexpr int kPartitions = 6;
  AckLedger acked;
  VerifyClassifier c(kRun, 3, 1, 3, true);
  std::vector<int64_t> offsets(kPartitions, 0);
  uint64_t seq[2][3] = {};
  Identity id;
  id.run = kRun;
  id.cell = 3;
  id.repetition = 1;
  const std::string payload(64, 'x');
  unsigned char bytes[kIdentityBytes];
  Identity out;
  // Events go to partitions in batches of 100 (as a batching producer).
  // Delivery reports come a window of six batches at a time in reverse
  // order; the consumer reads the same window partition by partition (in
  // order within each): every stream sees its sequence numbers out of order.
  struct Batch {
    int32_t partition;
    int64_t first_offset;
    std::vector<Identity> events;
  };
  uint64_t event = 0;
  uint64_t state = 7;
  while (event < kEvents) {
    std::vector<Batch> window;
    for (int b = 0; b < 6 && event < kEvents; ++b) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      Batch batch{static_cast<int32_t>((state >> 33) % kPartitions), 0, {}};
      batch.first_offset = offsets[static_cast<size_t>(batch.partition)];
      for (int i = 0; i < 100 && event < kEvents; ++i, ++event) {
        id.producer = static_cast<uint32_t>(event % 2);
        id.type = static_cast<uint16_t>((event / 2) % 3);
        id.seq = seq[id.producer][id.type]++;
        batch.events.push_back(id);
      }
      offsets[static_cast<size_t>(batch.partition)] += static_cast<int64_t>(batch.events.size());
      window.push_back(std::move(batch));
    }
    for (auto b = window.rbegin(); b != window.rend(); ++b) {
      for (size_t i = 0; i < b->events.size(); ++i) {
        const Identity& e = b->events[i];
        acked.Acked(e.producer, e.type, e.seq, b->partition, b->first_offset + static_cast<int64_t>(i));
      }
    }
    std::stable_sort(window.begin(), window.end(),
                     [](const Batch& x, const Batch& y) { return x.partition < y.partition; });
    for (const Batch& b : window) {
      for (size_t i = 0; i < b.events.size(); ++i) {
        EncodeIdentity(b.events[i], payload.data(), payload.size(), bytes);
        ASSERT_EQ(c.OnMessage(bytes, sizeof bytes, payload.data(), payload.size(), b.partition,
                              b.first_offset + static_cast<int64_t>(i), &out),
                  ReadClass::kFirst);
      }
    }
  }
  c.Finish(acked, std::vector<int64_t>(kPartitions, 0));
  EXPECT_EQ(c.total().ok, kEvents);
  const double per_event = static_cast<double>(acked.MemoryBytes() + c.MemoryBytes()) / kEvents;
  std::printf("verify memory at %llu events: ledger %zu B, classifier %zu B, %.6f bytes per event\n",
              static_cast<unsigned long long>(kEvents), acked.MemoryBytes(), c.MemoryBytes(), per_event);
  EXPECT_LT(per_event, 0.01);
}

}  // namespace
}  // namespace sluice
