// CUDA BatchNorm2d (NCHW, statistics per channel over N*H*W = m values).
//
// Training forward, two kernels:
//   1. stats: one 512-thread block per channel. Thread t visits the channel's
//      elements t, t+512, ... (a ChannelCursor from kernels/cuda_index.h steps
//      through the N planes without per-element division; consecutive threads
//      read consecutive addresses within a plane) accumulating sum and sum of
//      squares in double; then a warp-shuffle + shared-memory block reduction
//      (fixed order: deterministic). Thread 0 computes mean, biased var =
//      E[x^2] - mean^2 (in double, so no cancellation trouble for float data),
//      invstd, writes save_mean/save_invstd and updates the running stats
//      (unbiased var, m/(m-1)).
//   2. normalize: elementwise, one thread per element in a grid-stride loop,
//      channel c = (i / HW) % C; y = (x - mean) * invstd * gamma + beta.
// Eval forward: the elementwise kernel alone, with the running statistics.
// Backward:
//   1. one block per channel reduces dbeta = sum dy and dgamma = sum dy*xhat
//      (double accumulators, same walk and block reduction as the stats) and
//      folds dx = gamma*invstd/m * (m*dy - dbeta - xhat*dgamma) into three
//      per-channel coefficients, in double, as the CPU reference does;
//   2. elementwise dx = a*dy + b*x + c0.
// gamma/beta may be null (affine = false: 1 and 0); so may dgamma/dbeta.
// Cost: forward reads x twice and writes y (12 B/element) plus O(C); backward
// reads x and dy twice and writes dx (20 B/element); ~10 FLOPs/element.
//
// TODO(bench): one block per channel gives only C blocks (64..512 in DCGAN):
// with N*HW = 128*32*32 = 131072 values per channel and C = 64 that is half an
// H100's SMs with one block each, so the reductions are latency-bound. If the
// benchmarks show it, split each channel over several blocks (double partials
// per (channel, chunk), then a second pass per channel, as sum_to does) while
// keeping the order fixed.
#include <algorithm>
#include <cmath>

#include "core/cuda/block_reduce.cuh"
#include "core/cuda/cuda_check.h"
#include "core/cuda/scratch.h"
#include "core/error.h"
#include "kernels/batch_norm2d/batch_norm2d.h"
#include "kernels/cuda_index.h"

namespace gan::cuda {

namespace {

constexpr int kChannelThreads = 512;  // per-channel reduction blocks (multiple of 32)

__global__ void stats_kernel(const float* x, int64_t N, int64_t C, int64_t HW, double eps, double momentum,
                             float* save_mean, float* save_invstd, float* running_mean, float* running_var) {
  const int64_t m = N * HW;
  for (int64_t c = blockIdx.x; c < C; c += gridDim.x) {
    double sum = 0.0, sumsq = 0.0;
    for (auto k = cuda_index::make_channel_cursor(C, HW, c, threadIdx.x, blockDim.x); k.n < N;
         cuda_index::advance(k)) {
      const double v = x[k.offset];
      sum += v;
      sumsq += v * v;
    }
    sum = block_reduce_sum(sum);
    sumsq = block_reduce_sum(sumsq);
    if (threadIdx.x == 0) {
      const double mean = sum / static_cast<double>(m);
      const double var = fmax(sumsq / static_cast<double>(m) - mean * mean, 0.0);
      save_mean[c] = static_cast<float>(mean);
      save_invstd[c] = static_cast<float>(1.0 / sqrt(var + eps));
      if (running_mean != nullptr)
        running_mean[c] = static_cast<float>((1.0 - momentum) * running_mean[c] + momentum * mean);
      if (running_var != nullptr) {
        // m == 1 has no unbiased variance (the op layer refuses it); keep it finite.
        const double unbiased = m > 1 ? var * static_cast<double>(m) / static_cast<double>(m - 1) : var;
        running_var[c] = static_cast<float>((1.0 - momentum) * running_var[c] + momentum * unbiased);
      }
    }
  }
}

// y = (x - mean[c]) * invstd[c] * gamma[c] + beta[c]. Training passes the batch
// mean/invstd; eval passes the running mean and running var with is_var = true
// (then invstd = 1/sqrt(var + eps) per element, in float).
template <bool is_var, typename Index>
__global__ void normalize_kernel(const float* x, float* y, const float* mean, const float* invstd_or_var,
                                 const float* gamma, const float* beta, float eps, Index C, Index HW, Index n) {
  GAN_GRID_STRIDE_LOOP(Index, i, n) {
    const Index c = (i / HW) % C;
    const float invstd = is_var ? 1.0f / sqrtf(invstd_or_var[c] + eps) : invstd_or_var[c];
    const float g = gamma != nullptr ? gamma[c] : 1.0f;
    const float b = beta != nullptr ? beta[c] : 0.0f;
    y[i] = (x[i] - mean[c]) * invstd * g + b;
  }
}

// Per channel: dbeta = sum dy, dgamma = sum dy * xhat, and the coefficients of
// dx = gamma*invstd/m * (m*dy - dbeta - xhat*dgamma) folded, in double, into
// dx = a*dy + b*x + c0 (coef[c], coef[C + c], coef[2C + c]). Folding here
// rather than in the elementwise pass matters when few values share a channel:
// the bracket then nearly cancels, and evaluating it in float from sums
// already rounded to float loses most of the digits (1.6e-2 relative on a
// channel of two values). The CPU reference folds the same way.
__global__ void backward_reduce_kernel(const float* x, const float* dy, const float* gamma, const float* save_mean,
                                       const float* save_invstd, int64_t N, int64_t C, int64_t HW, float* coef,
                                       float* dgamma, float* dbeta) {
  const double m = static_cast<double>(N * HW);
  for (int64_t c = blockIdx.x; c < C; c += gridDim.x) {
    const double mean = save_mean[c], invstd = save_invstd[c];
    double sum_dy = 0.0, sum_dy_xmu = 0.0;
    for (auto k = cuda_index::make_channel_cursor(C, HW, c, threadIdx.x, blockDim.x); k.n < N;
         cuda_index::advance(k)) {
      const double g = dy[k.offset];
      sum_dy += g;
      sum_dy_xmu += g * (static_cast<double>(x[k.offset]) - mean);
    }
    sum_dy = block_reduce_sum(sum_dy);
    sum_dy_xmu = block_reduce_sum(sum_dy_xmu);
    if (threadIdx.x == 0) {
      const double sum_dy_xhat = sum_dy_xmu * invstd;
      if (dbeta != nullptr) dbeta[c] = static_cast<float>(sum_dy);
      if (dgamma != nullptr) dgamma[c] = static_cast<float>(sum_dy_xhat);
      const double k = (gamma != nullptr ? static_cast<double>(gamma[c]) : 1.0) * invstd / m;
      coef[c] = static_cast<float>(k * m);
      coef[C + c] = static_cast<float>(-k * sum_dy_xhat * invstd);
      coef[2 * C + c] = static_cast<float>(-k * sum_dy + k * sum_dy_xhat * invstd * mean);
    }
  }
}

// dx = a[c]*dy + b[c]*x + c0[c], the coefficients from backward_reduce_kernel.
template <typename Index>
__global__ void backward_dx_kernel(const float* x, const float* dy, const float* coef, float* dx, Index C, Index HW,
                                   Index n) {
  GAN_GRID_STRIDE_LOOP(Index, i, n) {
    const Index c = (i / HW) % C;
    dx[i] = coef[c] * dy[i] + coef[C + c] * x[i] + coef[2 * C + c];
  }
}

unsigned channel_grid(int64_t C) { return static_cast<unsigned>(std::min<int64_t>(C, kMaxBlocks)); }

}  // namespace

void batch_norm2d_forward_train(const float* x, const float* gamma, const float* beta, float* y, float* save_mean,
                               float* save_invstd, float* running_mean, float* running_var,
                               const BatchNorm2dParams& p) {
  const int64_t n = p.N * p.C * p.HW;
  if (n <= 0) return;
  GAN_CHECK(save_mean != nullptr && save_invstd != nullptr, ValueError,
            "cuda::batch_norm2d_forward_train: save_mean and save_invstd are required");
  const cudaStream_t stream = current_stream();
  stats_kernel<<<channel_grid(p.C), kChannelThreads, 0, stream>>>(x, p.N, p.C, p.HW, p.eps, p.momentum, save_mean,
                                                                  save_invstd, running_mean, running_var);
  GAN_CUDA_CHECK_LAST();
  with_index_type(n, [&](auto zero) {
    using Index = decltype(zero);
    normalize_kernel<false, Index><<<grid_for(n), kThreadsPerBlock, 0, stream>>>(
        x, y, save_mean, save_invstd, gamma, beta, 0.0f, static_cast<Index>(p.C), static_cast<Index>(p.HW),
        static_cast<Index>(n));
  });
  GAN_CUDA_CHECK_LAST();
}

void batch_norm2d_forward_eval(const float* x, const float* gamma, const float* beta, const float* running_mean,
                              const float* running_var, float* y, const BatchNorm2dParams& p) {
  const int64_t n = p.N * p.C * p.HW;
  if (n <= 0) return;
  with_index_type(n, [&](auto zero) {
    using Index = decltype(zero);
    normalize_kernel<true, Index><<<grid_for(n), kThreadsPerBlock, 0, current_stream()>>>(
        x, y, running_mean, running_var, gamma, beta, static_cast<float>(p.eps), static_cast<Index>(p.C),
        static_cast<Index>(p.HW), static_cast<Index>(n));
  });
  GAN_CUDA_CHECK_LAST();
}

void batch_norm2d_backward(const float* x, const float* dy, const float* gamma, const float* save_mean,
                          const float* save_invstd, float* dx, float* dgamma, float* dbeta,
                          const BatchNorm2dParams& p) {
  const int64_t n = p.N * p.C * p.HW;
  if (n <= 0) return;
  const cudaStream_t stream = current_stream();
  Scratch<float> coef(static_cast<size_t>(3 * p.C));  // a, b, c0 per channel
  backward_reduce_kernel<<<channel_grid(p.C), kChannelThreads, 0, stream>>>(
      x, dy, gamma, save_mean, save_invstd, p.N, p.C, p.HW, coef.get(), dgamma, dbeta);
  GAN_CUDA_CHECK_LAST();
  if (dx == nullptr) return;
  with_index_type(n, [&](auto zero) {
    using Index = decltype(zero);
    backward_dx_kernel<Index><<<grid_for(n), kThreadsPerBlock, 0, stream>>>(
        x, dy, coef.get(), dx, static_cast<Index>(p.C), static_cast<Index>(p.HW), static_cast<Index>(n));
  });
  GAN_CUDA_CHECK_LAST();
}

}  // namespace gan::cuda
