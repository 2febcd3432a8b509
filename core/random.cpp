#include "core/random.h"

#include <cmath>
#include <numbers>

#include "core/philox.h"

namespace gan {

namespace {

// 32 random bits -> uniform double in [0, 1) (and (0, 1] for Box-Muller's log).
double to_unit(uint32_t bits) { return bits * (1.0 / 4294967296.0); }

}  // namespace

uint64_t stream_seed(uint64_t seed, uint64_t stream) {
  // SplitMix64 finaliser over (seed, stream): nearby seeds give unrelated streams.
  uint64_t z = seed + stream * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::array<uint32_t, 4> Rng::next_block() {
  const PhiloxBlock b = philox4x32_10(counter_++, seed_);
  return {b.word[0], b.word[1], b.word[2], b.word[3]};
}

uint64_t Rng::reserve_blocks(uint64_t blocks) {
  const uint64_t first = counter_;
  counter_ += blocks;
  return first;
}

double Rng::next_uniform() {
  const auto b = next_block();
  // 53 random bits for a full-precision double.
  const uint64_t bits = (static_cast<uint64_t>(b[0]) << 21) ^ (b[1] >> 11);
  return static_cast<double>(bits & ((1ull << 53) - 1)) * (1.0 / 9007199254740992.0);
}

uint64_t Rng::next_below(uint64_t n) {
  // Rejection sampling keeps the result exactly uniform.
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  for (;;) {
    const auto b = next_block();
    const uint64_t x = (static_cast<uint64_t>(b[0]) << 32) | b[1];
    if (x < limit) return x % n;
  }
}

template <typename T>
void Rng::fill_uniform_impl(T* out, int64_t n, double low, double high) {
  for (int64_t i = 0; i < n; i += 4) {
    const auto b = next_block();
    for (int64_t j = 0; j < 4 && i + j < n; ++j) out[i + j] = static_cast<T>(low + (high - low) * to_unit(b[j]));
  }
}

template <typename T>
void Rng::fill_normal_impl(T* out, int64_t n, double mean, double stddev) {
  // Box-Muller: two uniforms give two independent normals.
  for (int64_t i = 0; i < n; i += 4) {
    const auto b = next_block();
    for (int j = 0; j < 4; j += 2) {
      const double u1 = 1.0 - to_unit(b[j]);  // (0, 1]: log is finite
      const double u2 = to_unit(b[j + 1]);
      const double r = std::sqrt(-2.0 * std::log(u1));
      const double theta = 2.0 * std::numbers::pi * u2;
      if (i + j < n) out[i + j] = static_cast<T>(mean + stddev * r * std::cos(theta));
      if (i + j + 1 < n) out[i + j + 1] = static_cast<T>(mean + stddev * r * std::sin(theta));
    }
  }
}

void Rng::fill_uniform(float* out, int64_t n, double low, double high) { fill_uniform_impl(out, n, low, high); }
void Rng::fill_uniform(double* out, int64_t n, double low, double high) { fill_uniform_impl(out, n, low, high); }
void Rng::fill_normal(float* out, int64_t n, double mean, double stddev) { fill_normal_impl(out, n, mean, stddev); }
void Rng::fill_normal(double* out, int64_t n, double mean, double stddev) {
  fill_normal_impl(out, n, mean, stddev);
}

}  // namespace gan
