#include "sluice/pipeline/verify.h"

#include <algorithm>
#include <cstring>

namespace sluice {

namespace {

// Layout offsets of the encoded identity (verify.h).
constexpr size_t kMagicAt = 0, kTypeAt = 2, kCellAt = 4, kRepetitionAt = 6, kProducerAt = 8,
                 kChecksumAt = 12, kRunAt = 16, kSeqAt = 24, kIntendedAt = 32;

template <typename T>
void Put(unsigned char* out, size_t at, T v) {
  std::memcpy(out + at, &v, sizeof v);
}
template <typename T>
T Get(const unsigned char* in, size_t at) {
  T v;
  std::memcpy(&v, in + at, sizeof v);
  return v;
}

// A 64-bit multiplicative hash: an error check, not a cryptographic one.
// Four independent lanes of eight bytes each per step, so the multiplies
// overlap instead of waiting on one another (the checksum runs over every
// payload: one lane took 4.5% of a full-speed run's CPU).
constexpr uint64_t kMul = 0x9E3779B97F4A7C15ull;
uint64_t Mix(uint64_t h, uint64_t w) {
  h = (h ^ w) * kMul;
  return h ^ (h >> 29);
}
uint64_t Word(const unsigned char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}
uint64_t Hash(uint64_t h, const unsigned char* p, size_t n) {
  uint64_t a = h, b = h ^ 1, c = h ^ 2, d = h ^ 3;
  while (n >= 32) {
    a = Mix(a, Word(p));
    b = Mix(b, Word(p + 8));
    c = Mix(c, Word(p + 16));
    d = Mix(d, Word(p + 24));
    p += 32;
    n -= 32;
  }
  h = Mix(Mix(Mix(a, b), c), d);
  while (n >= 8) {
    h = Mix(h, Word(p));
    p += 8;
    n -= 8;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, p, n);
  return Mix(h, tail ^ (static_cast<uint64_t>(n) << 56));
}

uint32_t Checksum(const unsigned char* id, const void* payload, size_t len) {
  uint64_t h = Hash(0x736c75696365ull, id, kChecksumAt);
  h = Hash(h, id + kRunAt, kIdentityBytes - kRunAt);
  h = Hash(h, static_cast<const unsigned char*>(payload), len);
  h = Mix(h, len);
  return static_cast<uint32_t>(h ^ (h >> 32));
}

}  // namespace

void EncodeIdentity(const Identity& id, const void* payload, size_t len, unsigned char* out) {
  Put<uint16_t>(out, kMagicAt, kIdentityMagic);
  Put<uint16_t>(out, kTypeAt, id.type);
  Put<uint16_t>(out, kCellAt, id.cell);
  Put<uint16_t>(out, kRepetitionAt, id.repetition);
  Put<uint32_t>(out, kProducerAt, id.producer);
  Put<uint64_t>(out, kRunAt, id.run);
  Put<uint64_t>(out, kSeqAt, id.seq);
  Put<int64_t>(out, kIntendedAt, id.intended_ns);
  Put<uint32_t>(out, kChecksumAt, Checksum(out, payload, len));
}

DecodeStatus DecodeIdentity(const void* bytes, size_t n, const void* payload, size_t len, Identity* out) {
  const auto* in = static_cast<const unsigned char*>(bytes);
  if (in == nullptr || n < kIdentityBytes || Get<uint16_t>(in, kMagicAt) != kIdentityMagic) {
    return DecodeStatus::kNotIdentity;
  }
  if (n != kIdentityBytes || Get<uint32_t>(in, kChecksumAt) != Checksum(in, payload, len)) {
    return DecodeStatus::kCorrupt;
  }
  out->type = Get<uint16_t>(in, kTypeAt);
  out->cell = Get<uint16_t>(in, kCellAt);
  out->repetition = Get<uint16_t>(in, kRepetitionAt);
  out->producer = Get<uint32_t>(in, kProducerAt);
  out->run = Get<uint64_t>(in, kRunAt);
  out->seq = Get<uint64_t>(in, kSeqAt);
  out->intended_ns = Get<int64_t>(in, kIntendedAt);
  return DecodeStatus::kOk;
}

// ---- SeqRanges ------------------------------------------------------------------

bool SeqRanges::Insert(uint64_t v) {
  if (ranges_.empty() || v > ranges_.back().hi) {
    ranges_.push_back({v, v + 1});
  } else if (v == ranges_.back().hi) {
    ++ranges_.back().hi;
  } else {
    // The first interval that starts after v; the one before may hold it.
    auto next = std::upper_bound(ranges_.begin(), ranges_.end(), v,
                                 [](uint64_t x, const Range& r) { return x < r.lo; });
    const bool has_prev = next != ranges_.begin();
    if (has_prev && std::prev(next)->hi > v) return false;
    const bool joins_prev = has_prev && std::prev(next)->hi == v;
    const bool joins_next = next != ranges_.end() && next->lo == v + 1;
    if (joins_prev && joins_next) {
      std::prev(next)->hi = next->hi;
      ranges_.erase(next);
    } else if (joins_prev) {
      ++std::prev(next)->hi;
    } else if (joins_next) {
      --next->lo;
    } else {
      ranges_.insert(next, {v, v + 1});
    }
  }
  ++count_;
  return true;
}

void SeqRanges::InsertRange(uint64_t lo, uint64_t hi) {
  if (lo >= hi) return;
  if (ranges_.empty() || lo > ranges_.back().hi) {
    ranges_.push_back({lo, hi});
    count_ += hi - lo;
    return;
  }
  // Every interval that overlaps or touches [lo, hi) merges with it.
  auto first = std::lower_bound(ranges_.begin(), ranges_.end(), lo,
                                [](const Range& r, uint64_t x) { return r.hi < x; });
  auto last = std::upper_bound(first, ranges_.end(), hi, [](uint64_t x, const Range& r) { return x < r.lo; });
  if (first == last) {
    ranges_.insert(first, {lo, hi});
    count_ += hi - lo;
    return;
  }
  Range merged{std::min(lo, first->lo), std::max(hi, std::prev(last)->hi)};
  for (auto it = first; it != last; ++it) count_ -= it->hi - it->lo;
  count_ += merged.hi - merged.lo;
  *first = merged;
  ranges_.erase(std::next(first), last);
}

bool SeqRanges::Contains(uint64_t v) const {
  auto next = std::upper_bound(ranges_.begin(), ranges_.end(), v,
                               [](uint64_t x, const Range& r) { return x < r.lo; });
  return next != ranges_.begin() && std::prev(next)->hi > v;
}

uint64_t SeqRanges::CountIn(const SeqRanges& other) const {
  uint64_t n = 0;
  auto a = ranges_.begin();
  auto b = other.ranges_.begin();
  while (a != ranges_.end() && b != other.ranges_.end()) {
    const uint64_t lo = std::max(a->lo, b->lo);
    const uint64_t hi = std::min(a->hi, b->hi);
    if (lo < hi) n += hi - lo;
    if (a->hi < b->hi) {
      ++a;
    } else {
      ++b;
    }
  }
  return n;
}

// ---- AckLedger ------------------------------------------------------------------

void AckLedger::Acked(uint32_t producer, uint16_t type, uint64_t seq, int32_t partition, int64_t offset) {
  const uint64_t key = StreamKey(producer, type);
  if (key != last_key_) {
    last_ = &streams_[key];
    last_key_ = key;
  }
  last_->Insert(seq);
  if (partition >= 0 && offset >= 0) {
    if (static_cast<size_t>(partition) >= offsets_.size()) offsets_.resize(static_cast<size_t>(partition) + 1);
    offsets_[static_cast<size_t>(partition)].Insert(static_cast<uint64_t>(offset));
  } else if (partition >= 0) {
    if (static_cast<size_t>(partition) >= unplaced_.size()) unplaced_.resize(static_cast<size_t>(partition) + 1);
    ++unplaced_[static_cast<size_t>(partition)];
  }
}

void AckLedger::Merge(const AckLedger& other) {
  for (const auto& [key, ranges] : other.streams_) {
    SeqRanges& mine = streams_[key];
    for (const SeqRanges::Range& r : ranges.ranges()) mine.InsertRange(r.lo, r.hi);
  }
  if (other.offsets_.size() > offsets_.size()) offsets_.resize(other.offsets_.size());
  for (size_t p = 0; p < other.offsets_.size(); ++p) {
    for (const SeqRanges::Range& r : other.offsets_[p].ranges()) offsets_[p].InsertRange(r.lo, r.hi);
  }
  if (other.unplaced_.size() > unplaced_.size()) unplaced_.resize(other.unplaced_.size());
  for (size_t p = 0; p < other.unplaced_.size(); ++p) unplaced_[p] += other.unplaced_[p];
  last_key_ = ~uint64_t{0};
  last_ = nullptr;
}

uint64_t AckLedger::unplaced(int32_t partition) const {
  if (partition < 0 || static_cast<size_t>(partition) >= unplaced_.size()) return 0;
  return unplaced_[static_cast<size_t>(partition)];
}

const SeqRanges& AckLedger::offsets(int32_t partition) const {
  static const SeqRanges kNone;
  if (partition < 0 || static_cast<size_t>(partition) >= offsets_.size()) return kNone;
  return offsets_[static_cast<size_t>(partition)];
}

size_t AckLedger::MemoryBytes() const {
  // A std::map node: the pair plus about four pointers' worth of links.
  size_t bytes = streams_.size() * (sizeof(std::pair<const uint64_t, SeqRanges>) + 4 * sizeof(void*));
  for (const auto& [key, ranges] : streams_) bytes += ranges.MemoryBytes();
  bytes += offsets_.capacity() * sizeof(SeqRanges) + unplaced_.capacity() * sizeof(uint64_t);
  for (const SeqRanges& o : offsets_) bytes += o.MemoryBytes();
  return bytes;
}

// ---- VerifyClassifier -------------------------------------------------------------

void VerifyCounts::Add(const VerifyCounts& o) {
  read += o.read;
  ok += o.ok;
  lost += o.lost;
  truncated += o.truncated;
  duplicated += o.duplicated;
  reordered += o.reordered;
  unacked_written += o.unacked_written;
  corrupt += o.corrupt;
  foreign += o.foreign;
}

VerifyClassifier::VerifyClassifier(uint64_t run, uint16_t cell, uint16_t repetition, size_t types,
                                   bool in_header)
    : run_(run), cell_(cell), repetition_(repetition), in_header_(in_header), by_type_(types) {}

ReadClass VerifyClassifier::OnMessage(const void* identity, size_t identity_len, const void* payload,
                                      size_t payload_len, int32_t partition, int64_t offset, Identity* out) {
  ++total_.read;
  if (partition >= 0 && offset >= 0) {
    if (static_cast<size_t>(partition) >= partitions_.size()) {
      partitions_.resize(static_cast<size_t>(partition) + 1);
    }
    Partition& p = partitions_[static_cast<size_t>(partition)];
    // A consumer reads a partition's offsets in increasing order; a jump
    // means the offsets in between could not be read.
    if (offset > p.next) p.unread.InsertRange(static_cast<uint64_t>(p.next), static_cast<uint64_t>(offset));
    p.next = std::max(p.next, offset + 1);
  }
  const DecodeStatus status = DecodeIdentity(identity, identity_len, payload, payload_len, out);
  if (status == DecodeStatus::kCorrupt || (status != DecodeStatus::kOk && in_header_ && identity != nullptr)) {
    ++total_.corrupt;
    return ReadClass::kCorrupt;
  }
  if (status != DecodeStatus::kOk || out->run != run_ || out->cell != cell_ ||
      out->repetition != repetition_) {
    ++total_.foreign;
    return ReadClass::kForeign;
  }
  VerifyCounts* of_type = out->type < by_type_.size() ? &by_type_[out->type] : nullptr;
  if (of_type != nullptr) ++of_type->read;
  const uint64_t key = StreamKey(out->producer, out->type);
  if (key != last_key_) {
    last_ = &streams_[key];
    last_key_ = key;
  }
  if (!last_->read.Insert(out->seq)) {
    ++total_.duplicated;
    if (of_type != nullptr) ++of_type->duplicated;
    return ReadClass::kDuplicate;
  }
  uint64_t& highest = highest_[(key << 16) | static_cast<uint16_t>(partition)];
  if (out->seq < highest) {
    ++total_.reordered;
    if (of_type != nullptr) ++of_type->reordered;
  }
  highest = std::max(highest, out->seq);
  if (partition >= 0 && static_cast<size_t>(partition) < partitions_.size()) {
    ++partitions_[static_cast<size_t>(partition)].first_reads;
  }
  return ReadClass::kFirst;
}

void VerifyClassifier::Finish(const AckLedger& acked, const std::vector<int64_t>& low_watermarks,
                              const std::vector<int64_t>& start_offsets) {
  static const SeqRanges kNone;
  uint64_t missing = 0;  // acknowledged, never read
  auto classify = [&](uint64_t key, const SeqRanges& a, const SeqRanges& r) {
    const uint64_t ok = a.CountIn(r);
    VerifyCounts c;
    c.ok = ok;
    c.lost = a.Count() - ok;
    c.unacked_written = r.Count() - ok;
    missing += c.lost;
    total_.ok += c.ok;
    total_.unacked_written += c.unacked_written;
    const uint16_t type = StreamType(key);
    if (type < by_type_.size()) {
      by_type_[type].ok += c.ok;
      by_type_[type].lost += c.lost;
      by_type_[type].unacked_written += c.unacked_written;
    }
  };
  for (const auto& [key, a] : acked.streams()) {
    auto it = streams_.find(key);
    classify(key, a, it == streams_.end() ? kNone : it->second.read);
  }
  for (const auto& [key, s] : streams_) {
    if (acked.streams().count(key) == 0) classify(key, kNone, s.read);
  }
  // Truncation, from the offsets: acknowledged offsets the consumer skipped
  // that lie below the partition's low watermark were dropped by the
  // broker, not lost by it.
  // What the consumer never read of a partition: the gaps it jumped over,
  // and everything from where it stopped (a partition it fell behind on
  // from the start was never read at all).
  uint64_t truncated = 0;
  for (size_t p = 0; p < low_watermarks.size(); ++p) {
    const int64_t low = low_watermarks[p];
    if (low <= 0) continue;
    const auto limit = static_cast<uint64_t>(low);
    SeqRanges dropped;
    int64_t next = 0;
    if (p < partitions_.size()) {
      next = partitions_[p].next;
      for (const SeqRanges::Range& r : partitions_[p].unread.ranges()) {
        if (r.lo >= limit) break;
        dropped.InsertRange(r.lo, std::min(r.hi, limit));
      }
    }
    dropped.InsertRange(static_cast<uint64_t>(next), limit);
    const uint64_t placed = acked.offsets(static_cast<int32_t>(p)).CountIn(dropped);
    // acks=0: what the placed acknowledgements leave of the dropped offsets
    // since the cell began may have held its events acknowledged without an
    // offset and not read.
    const int64_t start = p < start_offsets.size() ? std::max<int64_t>(start_offsets[p], 0) : 0;
    SeqRanges before;
    before.InsertRange(0, static_cast<uint64_t>(start));
    const uint64_t ours = dropped.Count() - std::min(dropped.Count(), before.CountIn(dropped));
    const uint64_t unplaced = acked.unplaced(static_cast<int32_t>(p));
    const uint64_t read_here = p < partitions_.size() ? partitions_[p].first_reads : 0;
    const uint64_t unread_unplaced = unplaced - std::min(unplaced, read_here);
    truncated += placed + std::min(ours - std::min(ours, placed), unread_unplaced);
  }
  total_.truncated = std::min(truncated, missing);
  total_.lost = missing - total_.truncated;
}

uint64_t VerifyClassifier::skipped_offsets() const {
  uint64_t n = 0;
  for (const Partition& p : partitions_) n += p.unread.Count();
  return n;
}

size_t VerifyClassifier::MemoryBytes() const {
  size_t bytes = streams_.size() * (sizeof(std::pair<const uint64_t, Stream>) + 4 * sizeof(void*));
  for (const auto& [key, s] : streams_) bytes += s.read.MemoryBytes();
  // unordered_map: a node per entry plus the bucket array.
  bytes += highest_.size() * (sizeof(std::pair<const uint64_t, uint64_t>) + sizeof(void*) + sizeof(size_t)) +
           highest_.bucket_count() * sizeof(void*);
  bytes += partitions_.capacity() * sizeof(Partition);
  for (const Partition& p : partitions_) bytes += p.unread.MemoryBytes();
  bytes += by_type_.capacity() * sizeof(VerifyCounts);
  return bytes;
}

}  // namespace sluice
