// Verifying what was written (issue 11): the identity every produced event
// carries, the range sets that remember which events were acknowledged and
// which were read back, and the classifier that compares the two.
//
// A delivery report is the producer's belief; the topic is the truth. With
// `verify:` in a scenario, each event carries an Identity (run, cell,
// repetition, producer, sequence number, intended time, type) in a Kafka
// record header or in a prefix of its value, the delivery listener records
// the acknowledged ones in an AckLedger, and a consumer (verifier.h) feeds
// every message it reads to a VerifyClassifier. After the run the
// classifier says, per event type, how many acknowledged events were read
// exactly once, lost, read twice, reordered, written though not
// acknowledged, or corrupt.
//
// Bounded memory: sequence numbers are dense per producer and event type
// (a stream), so both sides keep a SeqRanges per stream, a sorted list of
// [lo, hi) intervals: a run without gaps costs one interval per stream,
// whatever its length. Nothing here keeps a set of every event.
//
// Everything here is plain data and pure functions: no threads, no clock,
// no librdkafka. Thread-safety: none; each object is owned by one thread
// at a time (the delivery listener, the verifier's consumer thread, then
// the runner after joining them).
#ifndef SLUICE_PIPELINE_VERIFY_H_
#define SLUICE_PIPELINE_VERIFY_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <unordered_map>
#include <vector>

namespace sluice {

// Who produced an event and when it was due: its identity in the topic.
struct Identity {
  uint64_t run = 0;         // a random 64-bit id per sluice process (Runner)
  uint16_t cell = 0;        // the sweep cell (low 16 bits)
  uint16_t repetition = 0;  // (low 16 bits)
  // The producer: worker index in the low 16 bits, shard index (--shard,
  // issue 15) in the high 16 bits.
  uint32_t producer = 0;
  uint16_t type = 0;        // event type slot
  uint64_t seq = 0;         // per producer and type, dense from 0
  int64_t intended_ns = 0;  // the event's intended time, ns since the cell's epoch
};

// The encoded identity: 40 bytes, little-endian (the machines sluice runs
// on), laid out as
//   magic u16 | type u16 | cell u16 | repetition u16 | producer u32 |
//   checksum u32 | run u64 | seq u64 | intended_ns i64
// The checksum (32 bits of a 64-bit multiplicative hash) covers the other
// 36 bytes and the payload (the value, without a value carrier's prefix),
// so a flipped bit in either is seen.
inline constexpr size_t kIdentityBytes = 40;
inline constexpr uint16_t kIdentityMagic = 0x5331;  // "1S": version 1
// The record header that carries it (verify.carrier: headers).
inline constexpr char kIdentityHeader[] = "sluice.id";

// Writes `id` and the checksum over it and `payload` (`len` bytes) to
// `out` (kIdentityBytes). Never allocates. Thread-safe.
void EncodeIdentity(const Identity& id, const void* payload, size_t len, unsigned char* out);

enum class DecodeStatus {
  kOk,
  kNotIdentity,  // too short or another magic: not sluice's (a foreign message)
  kCorrupt,      // sluice's magic, but the checksum does not match
};

// Reads an identity from `bytes` (`n` of them) and checks it against
// `payload`. Never allocates. Thread-safe.
DecodeStatus DecodeIdentity(const void* bytes, size_t n, const void* payload, size_t len, Identity* out);

// A set of uint64 values as sorted, disjoint, non-adjacent [lo, hi)
// intervals. Inserting at or after the end (the common case: sequence
// numbers and offsets arrive mostly in order) is O(1); elsewhere a binary
// search plus, rarely, a move of the intervals after it. Memory is
// proportional to the number of gaps, not of values. Allocates only when
// the interval list grows (amortised: not per value).
class SeqRanges {
 public:
  struct Range {
    uint64_t lo, hi;  // [lo, hi)
  };

  // Adds `v`; false when it was present already.
  bool Insert(uint64_t v);
  // Adds [lo, hi).
  void InsertRange(uint64_t lo, uint64_t hi);
  bool Contains(uint64_t v) const;
  // How many values it holds.
  uint64_t Count() const { return count_; }
  // How many of its values `other` holds too.
  uint64_t CountIn(const SeqRanges& other) const;
  const std::vector<Range>& ranges() const { return ranges_; }
  // Heap bytes held (the interval list's capacity).
  size_t MemoryBytes() const { return ranges_.capacity() * sizeof(Range); }

 private:
  std::vector<Range> ranges_;
  uint64_t count_ = 0;
};

// A stream: one producer's events of one type, whose sequence numbers are
// dense. The key packs both.
inline uint64_t StreamKey(uint32_t producer, uint16_t type) {
  return (static_cast<uint64_t>(producer) << 16) | type;
}
inline uint16_t StreamType(uint64_t key) { return static_cast<uint16_t>(key & 0xffff); }

// What the delivery reports of a cell acknowledged: sequence numbers per
// stream, offsets per partition (when the broker gave them: acks=0 gives
// none). Written by one client's delivery listener; merged by the runner.
class AckLedger {
 public:
  // One acknowledged event. Allocates only when a stream or partition is
  // seen first, or a list of intervals grows.
  void Acked(uint32_t producer, uint16_t type, uint64_t seq, int32_t partition, int64_t offset);
  // Adds everything `other` holds.
  void Merge(const AckLedger& other);

  const std::map<uint64_t, SeqRanges>& streams() const { return streams_; }
  // Acknowledged offsets of `partition` (empty when none are known).
  const SeqRanges& offsets(int32_t partition) const;
  // Events acknowledged on `partition` without an offset (acks=0).
  uint64_t unplaced(int32_t partition) const;
  size_t MemoryBytes() const;

 private:
  std::map<uint64_t, SeqRanges> streams_;  // by StreamKey
  std::vector<SeqRanges> offsets_;         // by partition
  std::vector<uint64_t> unplaced_;         // by partition
  uint64_t last_key_ = ~uint64_t{0};
  SeqRanges* last_ = nullptr;              // streams_[last_key_]: std::map nodes do not move
};

// What the verifier found, for the cell or for one event type. Every
// definition is quoted in results/README.md (the verify.* columns).
struct VerifyCounts {
  uint64_t read = 0;             // messages read (every copy; foreign and corrupt ones too)
  uint64_t ok = 0;               // acknowledged and read (first copies)
  uint64_t lost = 0;             // acknowledged, never read, and not explained by truncation
  uint64_t truncated = 0;        // acknowledged, never read, at offsets the broker had dropped (low watermark)
  uint64_t duplicated = 0;       // extra copies read
  uint64_t reordered = 0;        // first copies read after a higher sequence number of their stream and partition
  uint64_t unacked_written = 0;  // read, though sluice did not count them delivered
  uint64_t corrupt = 0;          // sluice's identity, but the checksum does not match
  uint64_t foreign = 0;          // no identity of this cell (another run's, another producer's)

  void Add(const VerifyCounts& o);
};

// How one message read was classified.
enum class ReadClass { kFirst, kDuplicate, kForeign, kCorrupt };

// Compares what was read with what was acknowledged. Feed every message read
// to OnMessage (in the order the consumer returned them), then call Finish.
class VerifyClassifier {
 public:
  // The identity of the cell being verified; `types`: event type slots;
  // `in_header`: the identity travels in a record header (else in front of
  // the value).
  VerifyClassifier(uint64_t run, uint16_t cell, uint16_t repetition, size_t types, bool in_header);

  // One message read from `partition` at `offset`. `identity` points at the
  // carried identity (the header's value, or the value's first bytes) of
  // `identity_len` bytes, or is null when the message has none (no such
  // header, or a value too short); `payload` is the rest of the value.
  // Corrupt: a header that does not decode, or sluice's magic with a wrong
  // checksum; a value that does not start with sluice's magic is foreign. Fills `*out`
  // for kFirst and kDuplicate. Allocates only for a new stream, partition
  // or gap.
  ReadClass OnMessage(const void* identity, size_t identity_len, const void* payload,
                      size_t payload_len, int32_t partition, int64_t offset, Identity* out);

  // Classifies against what was acknowledged. `low_watermarks[p]`: the
  // partition's earliest offset after the run (what the broker had dropped
  // lies below it). Call once.
  //
  // Truncated: acknowledged offsets the consumer never read below the low
  // watermark. Events acknowledged without an offset (acks=0) cannot be
  // placed: of a partition's unread offsets below its low watermark (and
  // from the cell's start offset on) that no placed acknowledgement
  // explains, as many as it has unplaced events not read there count as
  // truncated, the most the offsets allow; `lost` is then the least loss
  // the evidence shows, and the verdict is inconclusive.
  // `start_offsets[p]`, when given: the partition's end when the cell
  // began; what lies below it is older (another run's, another shard's)
  // and never this cell's truncation.
  void Finish(const AckLedger& acked, const std::vector<int64_t>& low_watermarks,
              const std::vector<int64_t>& start_offsets = {});

  const VerifyCounts& total() const { return total_; }
  // By event type slot; `lost` there is every acknowledged event never
  // read (lost + truncated of the total), as truncation is known by offset,
  // not by type.
  const std::vector<VerifyCounts>& by_type() const { return by_type_; }
  // Offsets the consumer skipped (below the low watermark when it read).
  uint64_t skipped_offsets() const;
  size_t MemoryBytes() const;

 private:
  struct Stream {
    SeqRanges read;
  };
  struct Partition {
    int64_t next = 0;     // the offset after the last one read
    SeqRanges unread;     // offsets skipped over: gaps in what was read
    uint64_t first_reads = 0;  // this cell's events read here (first copies)
  };

  const uint64_t run_;
  const uint16_t cell_, repetition_;
  const bool in_header_;
  std::map<uint64_t, Stream> streams_;  // by StreamKey
  uint64_t last_key_ = ~uint64_t{0};
  Stream* last_ = nullptr;
  // Highest sequence number read per stream and partition (first copies).
  std::unordered_map<uint64_t, uint64_t> highest_;
  std::vector<Partition> partitions_;
  VerifyCounts total_;
  std::vector<VerifyCounts> by_type_;
};

}  // namespace sluice

#endif  // SLUICE_PIPELINE_VERIFY_H_
