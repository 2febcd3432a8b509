// The caching allocator's bookkeeping, in plain C++ over an abstract backend
// (cudaMalloc/cudaFree in core/cuda/caching_allocator.cu, a fake in the unit
// tests, which therefore run without a GPU).
//
// Policy:
//   * sizes are rounded up: to 512 B up to 1 MiB ("small"), to 2 MiB above;
//   * a freed block goes to a free list (a multimap by size) and is never
//     returned to the driver except by empty_cache() or when a device malloc
//     fails (then the cache is emptied and the malloc retried once);
//   * a request takes the smallest cached block that fits, if that block wastes
//     at most a quarter of the rounded size (so small requests never pin large
//     blocks); blocks are not split;
//   * when the retry fails too, OutOfMemoryError names the size asked for, the
//     device's free/total memory and what the cache held, with a hint.
// Thread-safe: one mutex around everything (allocation is not on a hot path
// that threads share; kernels dominate).
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <unordered_map>

#include "core/cuda/allocator_stats.h"

namespace gan::cuda {

class CachingAllocator {
 public:
  struct Backend {
    // Returns nullptr when the device is out of memory; throws on other errors.
    std::function<void*(std::size_t)> malloc;
    std::function<void(void*)> free;
    // Device free/total bytes for the out-of-memory message; false if unknown.
    std::function<bool(std::size_t* free_bytes, std::size_t* total_bytes)> mem_info;
  };

  static constexpr std::size_t kSmallAlignment = 512;
  static constexpr std::size_t kSmallLimit = std::size_t{1} << 20;  // 1 MiB
  static constexpr std::size_t kLargeAlignment = std::size_t{2} << 20;  // 2 MiB

  explicit CachingAllocator(Backend backend);
  CachingAllocator(const CachingAllocator&) = delete;
  CachingAllocator& operator=(const CachingAllocator&) = delete;
  // Returns the cached blocks to the backend. Blocks still in use are leaked
  // (they belong to tensors that outlive the allocator).
  ~CachingAllocator();

  // bytes == 0 gives nullptr. Throws OutOfMemoryError (see above).
  void* allocate(std::size_t bytes);
  // ptr must come from allocate() with the same bytes (nullptr is ignored).
  // Throws ValueError for a pointer it did not hand out (or a double free).
  void deallocate(void* ptr, std::size_t bytes);
  void empty_cache();
  AllocatorStats stats() const;

  // The block size a request of `bytes` gets (bytes > 0). Throws
  // OutOfMemoryError when rounding would overflow.
  static std::size_t round_size(std::size_t bytes);
  // Whether a cached block of block_size may serve a request rounded to `rounded`.
  static bool fits(std::size_t block_size, std::size_t rounded) {
    return block_size >= rounded && block_size - rounded <= rounded / 4;
  }

 private:
  void release_cached_locked();
  [[noreturn]] void throw_oom_locked(std::size_t bytes, std::size_t rounded);

  Backend backend_;
  mutable std::mutex mutex_;
  std::multimap<std::size_t, void*> free_blocks_;  // size -> block
  std::unordered_map<void*, std::size_t> in_use_;  // block -> size
  AllocatorStats stats_;
};

}  // namespace gan::cuda
