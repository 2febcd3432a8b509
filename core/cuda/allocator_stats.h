// Counters of the CUDA caching allocator, for tests and benchmarks. Plain C++:
// callable from any file. The CPU-only build returns all zeros.
#pragma once

#include <cstddef>
#include <cstdint>

namespace gan::cuda {

struct AllocatorStats {
  std::size_t bytes_in_use = 0;       // blocks handed out (their rounded sizes)
  std::size_t bytes_cached = 0;       // free blocks kept for reuse
  std::size_t peak_bytes_in_use = 0;  // high-water mark of bytes_in_use
  std::uint64_t num_allocations = 0;  // allocate() calls with bytes > 0
  std::uint64_t num_cache_hits = 0;   // of those, served from the cache
  std::uint64_t num_cuda_malloc = 0;  // cudaMalloc calls (failed ones included)
  std::uint64_t num_cuda_free = 0;    // cudaFree calls (empty_cache, OOM recovery)
  std::uint64_t num_oom = 0;          // cudaMalloc calls that found the device full
};

AllocatorStats allocator_stats();

// False when GAN_CUDA_NO_CACHING=1: every CUDA tensor then gets its own
// cudaMalloc of exactly its size (for compute-sanitizer; see
// core/cuda/caching_allocator.cu). Read once, at the first call.
bool caching_enabled();

}  // namespace gan::cuda
