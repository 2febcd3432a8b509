// gan::cuda::allocate / deallocate / empty_cache / allocator_stats: the caching
// allocator of caching_allocator.h over cudaMalloc/cudaFree on the current
// device. Steady-state training (same shapes every step) allocates only from
// the cache: no cudaMalloc, no cudaFree, no implicit synchronisation.
//
// Reuse is stream-ordered for free: every kernel and copy runs on the engine's
// single stream (current_stream()), so a block freed while kernels that use it
// are still queued can be handed out at once; its next user's work is queued
// behind them.
//
// GAN_CUDA_NO_CACHING=1 turns the cache off: every tensor gets a cudaMalloc of
// exactly its size, and cudaFree when it dies (slow: each free synchronises).
// For compute-sanitizer: in a cached block (rounded up to 512 B or 2 MiB, and
// last written by an earlier tensor) a read past a tensor's end or of memory
// it never wrote touches memory the program owns, which memcheck and
// initcheck cannot tell from a correct access.
#include "core/cuda/allocator_stats.h"
#include "core/cuda/caching_allocator.h"
#include "core/cuda/cuda_check.h"
#include "core/cuda_runtime.h"
#include "core/error.h"

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
  if (!caching_enabled()) {
    void* ptr = cuda_backend().malloc(bytes);
    GAN_CHECK(ptr != nullptr, OutOfMemoryError, "CUDA out of memory: cudaMalloc of ", bytes,
              " bytes failed (GAN_CUDA_NO_CACHING=1: no cache to free); use smaller batches, images or models");
    return ptr;
  }
  return instance().allocate(bytes);
}

void deallocate(void* ptr, std::size_t bytes) {
  if (ptr == nullptr) return;
  if (!caching_enabled()) {
    GAN_CUDA_CHECK(cudaFree(ptr));
    return;
  }
  instance().deallocate(ptr, bytes);
}

void empty_cache() {
  if (!available()) return;
  instance().empty_cache();
}

AllocatorStats allocator_stats() { return instance().stats(); }

}  // namespace gan::cuda
