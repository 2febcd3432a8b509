// Deterministic block-wide sums for the engine's reduction kernels.
//
// Warp level: a butterfly-free shuffle tree (__shfl_down_sync, offsets 16..1).
// Block level: each warp's sum goes to shared memory, then warp 0 sums those in
// the same tree. The order of additions depends only on blockDim.x, never on
// timing, so a kernel that feeds each thread's values in a fixed order gets
// bit-identical results run to run. No atomics anywhere.
#pragma once

#include <cuda_runtime.h>

namespace gan::cuda {

inline constexpr unsigned kFullWarpMask = 0xffffffffu;

template <typename T>
__device__ __forceinline__ T warp_reduce_sum(T v) {
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_down_sync(kFullWarpMask, v, offset);
  return v;
}

// Sum of v over the block; the result is valid in thread 0 only. Every thread of
// the block must call it (it synchronises). blockDim.x must be a multiple of 32
// (at most 1024). Safe to call several times in a row in one kernel.
template <typename T>
__device__ T block_reduce_sum(T v) {
  __shared__ T warp_sums[32];
  const unsigned lane = threadIdx.x & 31u;
  const unsigned warp = threadIdx.x >> 5;
  v = warp_reduce_sum(v);
  if (lane == 0) warp_sums[warp] = v;
  __syncthreads();
  const unsigned num_warps = blockDim.x >> 5;
  v = (threadIdx.x < num_warps) ? warp_sums[threadIdx.x] : T(0);
  __syncthreads();  // warp_sums may be rewritten by the next call
  if (warp == 0) v = warp_reduce_sum(v);
  return v;
}

}  // namespace gan::cuda
