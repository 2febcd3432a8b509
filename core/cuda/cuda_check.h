// CUDA-side helpers shared by every .cu file of the engine: error checking that
// throws the engine's typed errors, the engine's stream and cuBLAS handle, and
// the launch-configuration conventions of its kernels.
//
// Only .cu files (and other files compiled with the CUDA toolkit's headers)
// include this; plain C++ sees core/cuda_runtime.h instead.
//
// Conventions of the engine's CUDA kernels:
//   * everything is queued on current_stream(), one non-default stream for the
//     whole process; nothing synchronises except device-to-host copies and
//     synchronize(). Because there is one stream, work is ordered, and memory
//     freed to the caching allocator can be handed out again at once.
//   * each launch is followed by GAN_CUDA_CHECK_LAST() (launch errors only; a
//     fault inside a kernel surfaces at the next synchronising call. To pin one
//     to its launch, run with CUDA_LAUNCH_BLOCKING=1 or under compute-sanitizer).
//   * elementwise kernels use grid-stride loops with a grid from grid_for(n),
//     so any n works, including n > 2^31; n == 0 launches nothing.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdint>

namespace gan::cuda {

namespace detail {
// Builds "<what> failed at file:line: <name>: <description>" and throws
// OutOfMemoryError for cudaErrorMemoryAllocation, CudaError otherwise. Clears
// the runtime's last-error slot first so that a recoverable error does not
// resurface at the next GAN_CUDA_CHECK_LAST().
[[noreturn]] void throw_cuda_error(cudaError_t err, const char* expr, const char* file, int line);
[[noreturn]] void throw_cublas_error(cublasStatus_t status, const char* expr, const char* file, int line);
}  // namespace detail

// The engine's stream, created on first use (after require_available()). All
// kernels, copies and cuBLAS calls of the engine go to it.
cudaStream_t current_stream();
// The engine's cuBLAS handle, created on first use, bound to current_stream(),
// in pedantic float32 math (no TF32), so GPU/CPU parity holds at 1e-5.
cublasHandle_t cublas_handle();

// ---- launch configuration -------------------------------------------------------
inline constexpr int kThreadsPerBlock = 256;
// Enough blocks to fill any current GPU many times over; larger n is covered
// by the grid-stride loop. (An H100 keeps ~1k blocks of 256 threads resident.)
inline constexpr int64_t kMaxBlocks = 65536;

// Blocks for n elements, one element per thread per loop iteration, capped.
// n must be > 0 (callers return early on n == 0).
inline unsigned int grid_for(int64_t n, int threads = kThreadsPerBlock, int64_t max_blocks = kMaxBlocks) {
  const int64_t blocks = (n + threads - 1) / threads;
  return static_cast<unsigned int>(std::clamp<int64_t>(blocks, 1, max_blocks));
}

// Elementwise kernels index with 32-bit unsigned arithmetic when every index
// fits (divisions and multiplies are several times cheaper than 64-bit ones).
// With n <= kMax32BitIndex and a grid of at most kMaxBlocks * 1024 threads,
// i + stride never overflows 32 bits.
inline constexpr int64_t kMax32BitIndex = INT32_MAX;
inline bool fits_32bit_index(int64_t n) { return n <= kMax32BitIndex; }

// Calls f(uint32_t{}) when indices below n fit the 32-bit scheme, else
// f(int64_t{}); f launches the kernel instantiated for decltype(its argument).
template <typename F>
void with_index_type(int64_t n, F&& f) {
  if (fits_32bit_index(n))
    f(uint32_t{});
  else
    f(int64_t{});
}

}  // namespace gan::cuda

// Grid-stride loop over [0, n) with index type IndexT (int64_t or uint32_t).
#define GAN_GRID_STRIDE_LOOP(IndexT, i, n)                                                    \
  for (IndexT i = static_cast<IndexT>(blockIdx.x) * static_cast<IndexT>(blockDim.x) + threadIdx.x; \
       i < static_cast<IndexT>(n); i += static_cast<IndexT>(blockDim.x) * static_cast<IndexT>(gridDim.x))

#define GAN_CUDA_CHECK(expr)                                                     \
  do {                                                                           \
    const cudaError_t gan_cuda_err_ = (expr);                                    \
    if (gan_cuda_err_ != cudaSuccess)                                            \
      ::gan::cuda::detail::throw_cuda_error(gan_cuda_err_, #expr, __FILE__, __LINE__); \
  } while (0)

#define GAN_CUBLAS_CHECK(expr)                                                        \
  do {                                                                                \
    const cublasStatus_t gan_cublas_status_ = (expr);                                 \
    if (gan_cublas_status_ != CUBLAS_STATUS_SUCCESS)                                  \
      ::gan::cuda::detail::throw_cublas_error(gan_cublas_status_, #expr, __FILE__, __LINE__); \
  } while (0)

// After every kernel launch: reports a bad launch (configuration, missing
// kernel image for this GPU, ...) at the launch site. Does not synchronise.
#define GAN_CUDA_CHECK_LAST()                                                                     \
  do {                                                                                            \
    const cudaError_t gan_cuda_err_ = cudaGetLastError();                                         \
    if (gan_cuda_err_ != cudaSuccess)                                                             \
      ::gan::cuda::detail::throw_cuda_error(gan_cuda_err_, "kernel launch (cudaGetLastError)", __FILE__, \
                                            __LINE__);                                            \
  } while (0)
