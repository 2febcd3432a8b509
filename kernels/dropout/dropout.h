// Dropout (Srivastava et al., 2014), the "inverted" form: in training each
// element is kept with probability 1 - p and scaled by 1 / (1 - p), so the
// expected output equals the input and evaluation is the identity.
//   mask[i] = keep(i) ? 1 / (1 - p) : 0,   y[i] = x[i] * mask[i],   dx = dy * mask
// The draw for element i is a pure function of (seed, counter, i): element i
// uses 32-bit word i % 4 of Philox block counter + i / 4 (core/philox.h) and is
// kept when that word is >= threshold = round(p * 2^32). An integer comparison,
// so the CPU and the CUDA kernel make exactly the same mask for the same
// RNG state, whatever the thread layout. A call consumes ceil(n / 4)
// blocks of the RNG (Rng::reserve_blocks).
// Cost: reads x, writes y and mask (12 B/element in float), one Philox block
// (10 rounds of two 32x32->64 multiplies) per 4 elements.
#pragma once

#include <cstdint>

#include "core/host_device.h"
#include "core/philox.h"

namespace gan {

struct DropoutParams {
  int64_t n = 0;
  uint64_t seed = 0;
  uint64_t counter = 0;     // the first Philox block of this call
  uint64_t threshold = 0;   // keep when the 32-bit draw >= threshold (0 < threshold < 2^32)
  double scale = 1.0;       // 1 / (1 - p)
};

namespace dropout_draw {

// Philox blocks a call over n elements consumes.
inline uint64_t blocks_for(int64_t n) { return static_cast<uint64_t>((n + 3) / 4); }

// round(p * 2^32) for 0 < p < 1, at least 1 and at most 2^32 - 1, so that a
// proper dropout never keeps or drops everything by rounding alone.
inline uint64_t threshold_for(double p) {
  const double t = p * 4294967296.0 + 0.5;
  const uint64_t r = static_cast<uint64_t>(t);
  return r < 1 ? 1 : (r > 0xFFFFFFFFull ? 0xFFFFFFFFull : r);
}

GAN_HOST_DEVICE bool keep(uint32_t draw, uint64_t threshold) { return draw >= threshold; }

}  // namespace dropout_draw

namespace cpu {
// Writes mask (1/(1-p) or 0) and y = x * mask.
template <typename T>
void dropout_forward(const T* x, T* y, T* mask, const DropoutParams& p);
}  // namespace cpu

namespace cuda {
void dropout_forward(const float* x, float* y, float* mask, const DropoutParams& p);
}  // namespace cuda

}  // namespace gan
