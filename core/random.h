// Counter-based random numbers (Philox-4x32-10, Salmon et al., SC'11).
//
// Output i of a stream is a pure function of (seed, i), so the numbers do not
// depend on the device or on how work is split across threads, and the state
// to checkpoint is just (seed, counter). Tensors are filled on the host and
// copied, which makes a seed give the same weights on the CPU and on CUDA.
// Named Rng, never "generator": in this codebase G is the network.
#pragma once

#include <array>
#include <cstdint>

namespace gan {

class Rng {
 public:
  explicit Rng(uint64_t seed = 0) : seed_(seed) {}

  uint64_t seed() const { return seed_; }
  uint64_t counter() const { return counter_; }
  void set_state(uint64_t seed, uint64_t counter) {
    seed_ = seed;
    counter_ = counter;
  }

  // Uniform in [low, high) and normal(mean, stddev) samples.
  void fill_uniform(float* out, int64_t n, double low, double high);
  void fill_uniform(double* out, int64_t n, double low, double high);
  void fill_normal(float* out, int64_t n, double mean, double stddev);
  void fill_normal(double* out, int64_t n, double mean, double stddev);
  // One uniform integer in [0, n) (for shuffling).
  uint64_t next_below(uint64_t n);
  double next_uniform();  // [0, 1)
  // Reserves `blocks` consecutive Philox blocks for a caller that computes them
  // itself with philox4x32_10(first + k, seed()) (core/philox.h), typically a
  // kernel that draws per element on the device; returns the first counter.
  // The state advances exactly as if the blocks had been drawn here.
  uint64_t reserve_blocks(uint64_t blocks);

 private:
  std::array<uint32_t, 4> next_block();  // one Philox block = 4 x 32 random bits
  template <typename T>
  void fill_uniform_impl(T* out, int64_t n, double low, double high);
  template <typename T>
  void fill_normal_impl(T* out, int64_t n, double mean, double stddev);

  uint64_t seed_;
  uint64_t counter_ = 0;  // blocks drawn so far
};

// The seed of stream `stream` of a run seeded with `seed` (SplitMix64 over
// both, so nearby seeds and streams give unrelated numbers): how one seed is
// split into independent streams (weights, noise, data order, augmentation).
uint64_t stream_seed(uint64_t seed, uint64_t stream);

}  // namespace gan
