#pragma once
// Deterministic random numbers for everything the framework draws (initialisation, masks,
// shuffles, dropout, augmentation). Own distributions, not <random>'s, so a seed gives the
// same numbers with any standard library.
#include <cmath>
#include <cstdint>

#include "bitblock/common/host_device.hpp"

namespace bitblock {

// PCG32's pieces as free functions, shared by the host generator below and device code that
// draws the same numbers (dropout masks on a GPU): one step of the 64-bit LCG, the output
// permutation of a state, and the O(log n) jump-ahead (Brown, "Random number generation with
// arbitrary strides", as in O'Neill's pcg_advance_lcg_64).
constexpr uint64_t kPcgMultiplier = 6364136223846793005ULL;

BITBLOCK_HD uint64_t pcg32_step(uint64_t state, uint64_t inc) { return state * kPcgMultiplier + inc; }

BITBLOCK_HD uint32_t pcg32_output(uint64_t old) {
  const auto xorshifted = static_cast<uint32_t>(((old >> 18u) ^ old) >> 27u);
  const auto rot = static_cast<uint32_t>(old >> 59u);
  return (xorshifted >> rot) | (xorshifted << ((32 - rot) & 31));
}

// The state `delta` steps after `state` (delta = 0 returns state).
BITBLOCK_HD uint64_t pcg32_advance(uint64_t state, uint64_t inc, uint64_t delta) {
  uint64_t acc_mult = 1, acc_plus = 0, cur_mult = kPcgMultiplier, cur_plus = inc;
  while (delta > 0) {
    if (delta & 1u) {
      acc_mult *= cur_mult;
      acc_plus = acc_plus * cur_mult + cur_plus;
    }
    cur_plus = (cur_mult + 1) * cur_plus;
    cur_mult *= cur_mult;
    delta >>= 1u;
  }
  return acc_mult * state + acc_plus;
}

// Uniform float in [0, 1) from one output (24 random bits): what Rng::uniform() returns.
BITBLOCK_HD float pcg32_unit_float(uint32_t u) {
  return static_cast<float>(static_cast<int32_t>(u >> 8)) * (1.0f / 16777216.0f);
}

// PCG32 (O'Neill): small state, good statistics, cheap to copy into a checkpoint.
class Rng {
 public:
  explicit Rng(uint64_t seed = 0x853c49e6748fea9bULL, uint64_t stream = 0xda3e39cb94b95bdbULL) {
    seed_with(seed, stream);
  }
  void seed_with(uint64_t seed, uint64_t stream) {
    state_ = 0;
    inc_ = (stream << 1u) | 1u;
    next_u32();
    state_ += seed;
    next_u32();
  }
  uint32_t next_u32() {
    uint64_t old = state_;
    state_ = pcg32_step(old, inc_);
    return pcg32_output(old);
  }
  // Moves the generator n draws ahead without drawing (O(log n)).
  void advance(uint64_t n) { state_ = pcg32_advance(state_, inc_, n); }
  // out[0..n) = the next n values of next_u32(), and the generator ends where n calls leave it.
  // Eight interleaved lanes, each jumping eight steps at a time, break the serial multiply chain.
  void fill_u32(uint32_t* out, int64_t n) {
    constexpr int kLanes = 8;
    const int64_t full = n / kLanes * kLanes;
    if (full > 0) {
      uint64_t s[kLanes];
      s[0] = state_;
      for (int j = 1; j < kLanes; ++j) s[j] = s[j - 1] * kMultiplier + inc_;
      uint64_t mul = 1, add = 0;  // kLanes steps at once: s -> mul * s + add
      for (int j = 0; j < kLanes; ++j) {
        add = add * kMultiplier + inc_;
        mul *= kMultiplier;
      }
      for (int64_t i = 0; i < full; i += kLanes) {
        for (int j = 0; j < kLanes; ++j) {
          out[i + j] = pcg32_output(s[j]);
          s[j] = s[j] * mul + add;
        }
      }
      state_ = s[0];
    }
    for (int64_t i = full; i < n; ++i) out[i] = next_u32();
  }
  // Uniform in [0, 1) with 24 random bits (exactly representable floats).
  float uniform() { return static_cast<float>(next_u32() >> 8) * (1.0f / 16777216.0f); }
  float uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }
  // Unbiased integer in [0, n) (Lemire's method with rejection).
  uint32_t below(uint32_t n) {
    uint64_t m = static_cast<uint64_t>(next_u32()) * n;
    auto low = static_cast<uint32_t>(m);
    if (low < n) {
      uint32_t threshold = (0u - n) % n;
      while (low < threshold) {
        m = static_cast<uint64_t>(next_u32()) * n;
        low = static_cast<uint32_t>(m);
      }
    }
    return static_cast<uint32_t>(m >> 32);
  }
  // Standard normal by Box-Muller (one value per call; simple and reproducible).
  float normal() {
    float u1 = uniform();
    float u2 = uniform();
    if (u1 < 1e-12f) u1 = 1e-12f;
    return std::sqrt(-2.0f * std::log(u1)) * std::cos(6.28318530717958647692f * u2);
  }
  uint64_t state() const { return state_; }
  uint64_t increment() const { return inc_; }
  void restore(uint64_t state, uint64_t inc) {
    state_ = state;
    inc_ = inc;
  }

 private:
  static constexpr uint64_t kMultiplier = kPcgMultiplier;

  uint64_t state_ = 0;
  uint64_t inc_ = 0;
};

// Derive independent seeds for sub-streams (layer i's init, epoch e's shuffle, ...).
inline uint64_t mix_seed(uint64_t seed, uint64_t salt) {
  uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (salt + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Fisher-Yates shuffle with our generator.
template <typename T>
void shuffle(T* data, uint64_t n, Rng& rng) {
  for (uint64_t i = n; i > 1; --i) {
    uint32_t j = rng.below(static_cast<uint32_t>(i));
    T tmp = data[i - 1];
    data[i - 1] = data[j];
    data[j] = tmp;
  }
}

}  // namespace bitblock
