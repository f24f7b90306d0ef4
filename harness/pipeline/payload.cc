#include "sluice/pipeline/payload.h"

#include <algorithm>
#include <stdexcept>

#include "sluice/core/random.h"
#include "sluice/pipeline/source.h"

namespace sluice {

PayloadPool::PayloadPool(uint64_t seed, size_t max_event_size, size_t pool_bytes) : seed_(seed) {
  if (max_event_size == 0) max_event_size = 1;
  pool_bytes = std::max(pool_bytes, size_t{64} << 10);
  bytes_.reserve(pool_bytes + max_event_size + 64);
  Rng rng(Rng::Derive(seed, 3));
  // A vocabulary of pronounceable words, ranked by a Zipf law like the words
  // of a natural language.
  static const char* kSyllables[] = {"ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "pe", "da",
                                     "go", "shi", "an", "el", "or", "un", "qua", "ber", "tin", "ly"};
  constexpr size_t kSyllableCount = sizeof kSyllables / sizeof kSyllables[0];
  std::vector<std::string> words(2000);
  for (auto& w : words) {
    size_t syllables = 1 + rng.Below(4);
    for (size_t i = 0; i < syllables; ++i) w += kSyllables[rng.Below(kSyllableCount)];
  }
  ZipfSampler rank(words.size(), 1.0);
  size_t sentence = 0;
  while (bytes_.size() < pool_bytes + max_event_size) {
    const std::string& w = words[rank.Sample(rng)];
    bytes_.insert(bytes_.end(), w.begin(), w.end());
    if (++sentence % (8 + rng.Below(12)) == 0) {
      bytes_.push_back('.');
      sentence = 0;
    }
    bytes_.push_back(' ');
  }
  span_ = bytes_.size() - max_event_size;
}

void PayloadPool::UseDocuments(const SyntheticSourceSpec& spec) {
  if (spec.payload == PayloadFormat::kText) {
    documents_.reset();
  } else {
    documents_ = std::make_unique<DocumentPool>(spec.payload, spec.events, seed_);
  }
}

size_t FormatKey(uint32_t key, char* out) {
  char digits[12];
  size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + key % 10);
    key /= 10;
  } while (key != 0);
  out[0] = 'k';
  for (size_t i = 0; i < n; ++i) out[1 + i] = digits[n - 1 - i];
  return n + 1;
}

}  // namespace sluice
