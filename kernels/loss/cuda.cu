// CUDA pointwise losses (mean reduction) fused with their gradient.
//
// Algorithm, two kernels:
//   1. G blocks of 256 threads, G = clamp(ceil(n / 2048), 1, 1024) (a function
//      of n only). Grid-stride loop: each thread computes loss_i (and writes
//      grad_i = dloss_i/dinput_i / n when grad != null) and adds loss_i to a
//      double accumulator; a warp-shuffle + shared-memory block reduction gives
//      one double partial per block.
//   2. one block adds the G partials in a fixed tree and writes
//      loss = sum / n (n == 0: 0/0 = NaN, the mean of nothing).
// Every addition order depends on n alone: bit-identical results run to run,
// no atomics.
//   BCE, BCEWithLogits  the rules of kernels/loss/bce.h (shared with the CPU), / n
//   MSE            (x-t)^2; grad 2(x-t)/n
//   L1             |x-t|;   grad sign(x-t)/n (0 at 0)
// Cost: reads 2n floats, writes n (+1); ~10-20 FLOPs per element (a log or an
// exp on the SFU); the reduction adds 8 B per block.
#include <algorithm>

#include "core/cuda/block_reduce.cuh"
#include "core/cuda/cuda_check.h"
#include "core/cuda/scratch.h"
#include "core/error.h"
#include "kernels/loss/bce.h"
#include "kernels/loss/loss.h"

namespace gan::cuda {

namespace {

constexpr int kLossThreads = 256;
constexpr int64_t kLossElementsPerBlock = 2048;  // sizing only: ~8 per thread
constexpr int64_t kLossMaxBlocks = 1024;

// Loss of one element; *d gets d(loss)/d(input) (not yet divided by n).
template <LossKind kind>
__device__ __forceinline__ float pointwise(float x, float t, float* d) {
  if constexpr (kind == LossKind::BCE) {
    *d = loss_rules::bce_grad(x, t);
    return loss_rules::bce(x, t);
  } else if constexpr (kind == LossKind::BCEWithLogits) {
    *d = loss_rules::bce_with_logits_grad(x, t);
    return loss_rules::bce_with_logits(x, t);
  } else if constexpr (kind == LossKind::MSE) {
    const float diff = x - t;
    *d = 2.0f * diff;
    return diff * diff;
  } else {
    const float diff = x - t;
    *d = static_cast<float>((diff > 0.0f) - (diff < 0.0f));
    return fabsf(diff);
  }
}

template <LossKind kind, typename Index>
__global__ void loss_partials_kernel(const float* input, const float* target, Index n, float* grad,
                                     double* partials) {
  const auto fn = static_cast<float>(n);
  double acc = 0.0;
  GAN_GRID_STRIDE_LOOP(Index, i, n) {
    float d;
    acc += pointwise<kind>(input[i], target[i], &d);
    if (grad != nullptr) grad[i] = d / fn;
  }
  acc = block_reduce_sum(acc);
  if (threadIdx.x == 0) partials[blockIdx.x] = acc;
}

__global__ void loss_finalize_kernel(const double* partials, int64_t num_partials, int64_t n, float* loss) {
  double acc = 0.0;
  for (int64_t b = threadIdx.x; b < num_partials; b += blockDim.x) acc += partials[b];
  acc = block_reduce_sum(acc);
  if (threadIdx.x == 0) loss[0] = static_cast<float>(acc / static_cast<double>(n));
}

template <LossKind kind>
void launch_partials(const float* input, const float* target, int64_t n, float* grad, double* partials,
                     unsigned blocks) {
  with_index_type(n, [&](auto zero) {
    using Index = decltype(zero);
    loss_partials_kernel<kind, Index>
        <<<blocks, kLossThreads, 0, current_stream()>>>(input, target, static_cast<Index>(n), grad, partials);
  });
  GAN_CUDA_CHECK_LAST();
}

}  // namespace

void loss_forward(LossKind kind, const float* input, const float* target, int64_t n, float* loss, float* grad) {
  const int64_t blocks = n > 0 ? std::clamp<int64_t>((n + kLossElementsPerBlock - 1) / kLossElementsPerBlock, 1,
                                                     kLossMaxBlocks)
                               : 0;
  Scratch<double> partials(static_cast<size_t>(blocks));
  if (n > 0) {
    const auto b = static_cast<unsigned>(blocks);
    switch (kind) {
      case LossKind::BCE: launch_partials<LossKind::BCE>(input, target, n, grad, partials.get(), b); break;
      case LossKind::BCEWithLogits:
        launch_partials<LossKind::BCEWithLogits>(input, target, n, grad, partials.get(), b);
        break;
      case LossKind::MSE: launch_partials<LossKind::MSE>(input, target, n, grad, partials.get(), b); break;
      case LossKind::L1: launch_partials<LossKind::L1>(input, target, n, grad, partials.get(), b); break;
      default: throw ValueError("cuda::loss_forward: unknown LossKind");
    }
  }
  loss_finalize_kernel<<<1, kLossThreads, 0, current_stream()>>>(partials.get(), blocks, n, loss);
  GAN_CUDA_CHECK_LAST();
}

}  // namespace gan::cuda
