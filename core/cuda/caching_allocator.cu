// gan::cuda::allocate / deallocate / empty_cache / allocator_stats: the caching
// allocator of caching_allocator.h over cudaMalloc/cudaFree on the current
// device. Steady-state training (same shapes every step) allocates only from
// the cache: no cudaMalloc, no cudaFree, no implicit synchronisation.
//
// Reuse is stream-ordered for free: every kernel and copy runs on the engine's
// single stream (current_stream()), so a block freed while kernels that use it
// are still queued can be handed out at once; its next user's work is queued
// behind them.
#include "core/cuda/allocator_stats.h"
#include "core/cuda/caching_allocator.h"
#include "core/cuda/cuda_check.h"
#include "core/cuda_runtime.h"

namespace gan::cuda {

namespace {

CachingAllocator::Backend cuda_backend() {
  CachingAllocator::Backend b;
  b.malloc = [](std::size_t bytes) -> void* {
    void* ptr = nullptr;
    const cudaError_t err = cudaMalloc(&ptr, bytes);
    if (err == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();  // not sticky: clear it so later checks do not see it
      return nullptr;
    }
    GAN_CUDA_CHECK(err);
    return ptr;
  };
  // cudaFree waits for the device to finish with the block (it synchronises).
  b.free = [](void* ptr) { GAN_CUDA_CHECK(cudaFree(ptr)); };
  b.mem_info = [](std::size_t* free_bytes, std::size_t* total_bytes) {
    if (cudaMemGetInfo(free_bytes, total_bytes) == cudaSuccess) return true;
    (void)cudaGetLastError();
    return false;
  };
  return b;
}

// Never destroyed, like the stream: freeing at exit would race the runtime's
// own teardown. The driver reclaims everything with the context.
CachingAllocator& instance() {
  static CachingAllocator* const allocator = new CachingAllocator(cuda_backend());
  return *allocator;
}

}  // namespace

void* allocate(std::size_t bytes) {
  if (bytes == 0) return nullptr;  // empty tensors own no memory
  require_available();
  return instance().allocate(bytes);
}

void deallocate(void* ptr, std::size_t bytes) {
  if (ptr == nullptr) return;
  instance().deallocate(ptr, bytes);
}

void empty_cache() {
  if (!available()) return;
  instance().empty_cache();
}

AllocatorStats allocator_stats() { return instance().stats(); }

}  // namespace gan::cuda
