// CUDA InstanceNorm2d (NCHW; statistics per (n, c) plane of m = H*W values).
//
// Forward, one fused kernel: one block per plane (grid-stride over the N*C
// planes). Thread t reads the plane's elements t, t + blockDim, ... (consecutive
// threads, consecutive addresses) accumulating sum and sum of squares in double;
// a warp-shuffle + shared-memory block reduction (core/cuda/block_reduce.cuh,
// fixed order: deterministic) gives thread 0 the plane's mean and biased
// variance E[x^2] - mean^2 (in double, so no cancellation trouble for float
// data); it writes save_mean/save_invstd and broadcasts mean and scale through
// shared memory; then the same block normalises the plane,
// y = (x - mean) * (invstd * gamma_c) + beta_c. The second read of the plane
// mostly hits L2 (a CycleGAN plane is at most 256*256 floats = 256 KiB).
// Backward, fused the same way: the block reduces sum dy and sum dy * xhat for
// its plane, then writes dx = a*dy + b*xhat + c0 (the coefficients of
// instance_norm2d.h) for the plane. When dgamma/dbeta are wanted, each plane's
// two sums go to a scratch array, and a second small kernel (one thread per
// channel) adds the N planes of each channel in order n = 0, 1, ...: no atomics,
// so the parameter gradients are bitwise reproducible.
// Block size: the plane rounded up to a warp multiple, at most 512 threads, so
// the tiny planes deep in a U-Net do not idle 15 of 16 warps; it depends only on
// H*W, so the summation order is fixed for a given shape.
// Cost: forward reads x twice and writes y (12 B/element); backward reads x and
// dy twice and writes dx (20 B/element); ~10 FLOPs/element, memory bound.
//
// TODO(bench): with batch 1 (CycleGAN's setting) there are only C = 64..256
// planes, so at most 256 blocks on a 132-SM H200; if the benchmarks show the
// reductions latency-bound, split each plane over several blocks (double
// partials per (plane, chunk) in a fixed order) and read with float4.
#include <algorithm>

#include "core/cuda/block_reduce.cuh"
#include "core/cuda/cuda_check.h"
#include "core/cuda/scratch.h"
#include "kernels/instance_norm2d/instance_norm2d.h"

namespace gan::cuda {

namespace {

constexpr int kMaxPlaneThreads = 512;  // a multiple of 32 (block_reduce_sum needs whole warps)

int plane_threads(int64_t HW) {
  const int64_t warps = (HW + 31) / 32;
  return static_cast<int>(std::min<int64_t>(warps * 32, kMaxPlaneThreads));
}

unsigned plane_grid(int64_t planes) { return static_cast<unsigned>(std::min<int64_t>(planes, kMaxBlocks)); }

__global__ void forward_kernel(const float* x, const float* gamma, const float* beta, float* y, float* save_mean,
                               float* save_invstd, int64_t planes, int64_t C, int64_t HW, double eps) {
  __shared__ float shared_mean, shared_scale;
  for (int64_t plane = blockIdx.x; plane < planes; plane += gridDim.x) {
    const float* xp = x + plane * HW;
    double sum = 0.0, sumsq = 0.0;
    for (int64_t i = threadIdx.x; i < HW; i += blockDim.x) {
      const double v = xp[i];
      sum += v;
      sumsq += v * v;
    }
    sum = block_reduce_sum(sum);
    sumsq = block_reduce_sum(sumsq);
    const int64_t c = plane % C;
    if (threadIdx.x == 0) {
      const double m = static_cast<double>(HW);
      const double mean = sum / m;
      const double invstd = 1.0 / sqrt(fmax(sumsq / m - mean * mean, 0.0) + eps);
      save_mean[plane] = static_cast<float>(mean);
      save_invstd[plane] = static_cast<float>(invstd);
      shared_mean = static_cast<float>(mean);
      shared_scale = static_cast<float>(invstd * (gamma != nullptr ? static_cast<double>(gamma[c]) : 1.0));
    }
    __syncthreads();
    const float mean = shared_mean, scale = shared_scale;
    const float shift = beta != nullptr ? beta[c] : 0.0f;
    float* yp = y + plane * HW;
    for (int64_t i = threadIdx.x; i < HW; i += blockDim.x) yp[i] = (xp[i] - mean) * scale + shift;
    __syncthreads();  // shared_mean/shared_scale are rewritten for the next plane
  }
}

// plane_sums (may be null): [0, planes) sum dy, [planes, 2*planes) sum dy*xhat.
__global__ void backward_kernel(const float* x, const float* dy, const float* gamma, const float* save_mean,
                                const float* save_invstd, float* dx, double* plane_sums, int64_t planes, int64_t C,
                                int64_t HW) {
  __shared__ float shared_a, shared_b, shared_c0;
  for (int64_t plane = blockIdx.x; plane < planes; plane += gridDim.x) {
    const float* xp = x + plane * HW;
    const float* dyp = dy + plane * HW;
    const float mean = save_mean[plane], invstd = save_invstd[plane];
    double sum_dy = 0.0, sum_dy_xhat = 0.0;
    for (int64_t i = threadIdx.x; i < HW; i += blockDim.x) {
      const double g = dyp[i];
      sum_dy += g;
      sum_dy_xhat += g * ((static_cast<double>(xp[i]) - mean) * invstd);
    }
    sum_dy = block_reduce_sum(sum_dy);
    sum_dy_xhat = block_reduce_sum(sum_dy_xhat);
    if (threadIdx.x == 0) {
      if (plane_sums != nullptr) {
        plane_sums[plane] = sum_dy;
        plane_sums[planes + plane] = sum_dy_xhat;
      }
      const double m = static_cast<double>(HW);
      const double k = (gamma != nullptr ? static_cast<double>(gamma[plane % C]) : 1.0) * invstd / m;
      shared_a = static_cast<float>(k * m);
      shared_b = static_cast<float>(-k * sum_dy_xhat);
      shared_c0 = static_cast<float>(-k * sum_dy);
    }
    __syncthreads();
    if (dx != nullptr) {
      const float a = shared_a, b = shared_b, c0 = shared_c0;
      float* dxp = dx + plane * HW;
      for (int64_t i = threadIdx.x; i < HW; i += blockDim.x) dxp[i] = a * dyp[i] + b * ((xp[i] - mean) * invstd) + c0;
    }
    __syncthreads();  // the shared coefficients are rewritten for the next plane
  }
}

// dbeta[c] / dgamma[c]: the N planes of channel c added in order n = 0, 1, ...
__global__ void channel_sums_kernel(const double* plane_sums, float* dgamma, float* dbeta, int64_t N, int64_t C) {
  const int64_t planes = N * C;
  GAN_GRID_STRIDE_LOOP(int64_t, c, C) {
    double db = 0.0, dg = 0.0;
    for (int64_t n = 0; n < N; ++n) {
      db += plane_sums[n * C + c];
      dg += plane_sums[planes + n * C + c];
    }
    if (dbeta != nullptr) dbeta[c] = static_cast<float>(db);
    if (dgamma != nullptr) dgamma[c] = static_cast<float>(dg);
  }
}

}  // namespace

void instance_norm2d_forward(const float* x, const float* gamma, const float* beta, float* y, float* save_mean,
                             float* save_invstd, const InstanceNorm2dParams& p) {
  const int64_t planes = p.N * p.C;
  if (planes <= 0 || p.HW <= 0) return;
  forward_kernel<<<plane_grid(planes), plane_threads(p.HW), 0, current_stream()>>>(
      x, gamma, beta, y, save_mean, save_invstd, planes, p.C, p.HW, p.eps);
  GAN_CUDA_CHECK_LAST();
}

void instance_norm2d_backward(const float* x, const float* dy, const float* gamma, const float* save_mean,
                              const float* save_invstd, float* dx, float* dgamma, float* dbeta,
                              const InstanceNorm2dParams& p) {
  const int64_t planes = p.N * p.C;
  if (planes <= 0 || p.HW <= 0) return;
  const cudaStream_t stream = current_stream();
  const bool want_params = dgamma != nullptr || dbeta != nullptr;
  // Allocated only when the parameter gradients are wanted (affine layers).
  Scratch<double> plane_sums(want_params ? static_cast<size_t>(2 * planes) : 0);
  backward_kernel<<<plane_grid(planes), plane_threads(p.HW), 0, stream>>>(
      x, dy, gamma, save_mean, save_invstd, dx, want_params ? plane_sums.get() : nullptr, planes, p.C, p.HW);
  GAN_CUDA_CHECK_LAST();
  if (!want_params) return;
  channel_sums_kernel<<<grid_for(p.C), kThreadsPerBlock, 0, stream>>>(plane_sums.get(), dgamma, dbeta, p.N, p.C);
  GAN_CUDA_CHECK_LAST();
}

}  // namespace gan::cuda
