// Seeded randomness that gives the same numbers on every platform and
// standard library: xoshiro256** seeded through splitmix64, with its own
// uniform, exponential and normal draws (std::*_distribution output differs
// between library implementations, which would break reproducibility).
//
// Not thread-safe: one Rng per thread. Never allocates.
#ifndef SLUICE_CORE_RANDOM_H_
#define SLUICE_CORE_RANDOM_H_

#include <cmath>
#include <cstdint>

namespace sluice {

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    uint64_t x = seed;
    for (auto& word : state_) word = SplitMix64(&x);
  }

  uint64_t Next() {
    const uint64_t result = Rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = Rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, 1), 53 random bits.
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

  // Uniform in (0, 1]: safe to take the logarithm of.
  double UniformOpenZero() { return 1.0 - Uniform(); }

  // Uniform integer in [0, n), n > 0 (Lemire's multiply-shift; the bias is
  // below 2^-64 * n and irrelevant here).
  uint64_t Below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64);
  }

  // Exponential with mean 1.
  double Exponential() { return -std::log(UniformOpenZero()); }

  // Standard normal (Box-Muller; one value per call, the pair's second value
  // is dropped to keep the stream position independent of history).
  double Normal() {
    double u1 = UniformOpenZero();
    double u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

  // Derives an independent seed for a sub-stream (e.g. per cell).
  static uint64_t Derive(uint64_t seed, uint64_t stream) {
    uint64_t x = seed ^ (0x9E3779B97F4A7C15ULL * (stream + 1));
    return SplitMix64(&x);
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static uint64_t SplitMix64(uint64_t* x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

  uint64_t state_[4];
};

}  // namespace sluice

#endif  // SLUICE_CORE_RANDOM_H_
