// CUDA dropout forward (the draw is specified in dropout.h).
//
// One thread per Philox block, i.e. per 4 consecutive elements, in a
// grid-stride loop: it computes philox4x32_10(counter + b, seed) (the same
// __host__ __device__ function the CPU reference and the host generator use),
// then writes mask = keep ? 1/(1-p) : 0 and y = x * mask for its 4 elements.
// The mask therefore equals the CPU's bit for bit, and so does y (one float
// multiply per element on both sides). No state on the device: the host
// reserved the blocks from the Rng before the launch.
// Cost: reads x and writes y and mask (12 B/element); per block of 4 elements,
// 10 Philox rounds of two 32x32->64-bit multiplies (~40 integer ops): cheap
// next to the memory traffic on any recent GPU.
#include "core/cuda/cuda_check.h"
#include "kernels/dropout/dropout.h"

namespace gan::cuda {

namespace {

__global__ void forward_kernel(const float* x, float* y, float* mask, int64_t n, uint64_t seed, uint64_t counter,
                               uint64_t threshold, float scale) {
  const int64_t blocks = (n + 3) / 4;
  GAN_GRID_STRIDE_LOOP(int64_t, b, blocks) {
    const PhiloxBlock draws = philox4x32_10(counter + static_cast<uint64_t>(b), seed);
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int64_t i = 4 * b + j;
      if (i < n) {
        const float m = dropout_draw::keep(draws.word[j], threshold) ? scale : 0.0f;
        mask[i] = m;
        y[i] = x[i] * m;
      }
    }
  }
}

}  // namespace

void dropout_forward(const float* x, float* y, float* mask, const DropoutParams& p) {
  if (p.n <= 0) return;
  const auto blocks = static_cast<int64_t>(dropout_draw::blocks_for(p.n));
  forward_kernel<<<grid_for(blocks), kThreadsPerBlock, 0, current_stream()>>>(
      x, y, mask, p.n, p.seed, p.counter, p.threshold, static_cast<float>(p.scale));
  GAN_CUDA_CHECK_LAST();
}

}  // namespace gan::cuda
