// Bookkeeping of the caching allocator (see caching_allocator.h). Plain C++,
// compiled in every build so that its unit tests run without a GPU.
#include "core/cuda/caching_allocator.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

#include "core/error.h"

namespace gan::cuda {

namespace {

std::string human_bytes(std::size_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024.0 && u < 5) {
    v /= 1024.0;
    ++u;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.2f %s", v, units[u]);
  return buf;
}

}  // namespace

bool caching_enabled() {
  static const bool on = [] {
    const char* v = std::getenv("GAN_CUDA_NO_CACHING");
    return v == nullptr || std::strcmp(v, "1") != 0;
  }();
  return on;
}

CachingAllocator::CachingAllocator(Backend backend) : backend_(std::move(backend)) {}

CachingAllocator::~CachingAllocator() {
  try {
    std::lock_guard<std::mutex> lock(mutex_);
    release_cached_locked();
  } catch (...) {
    // Destructors must not throw; the driver reclaims the memory at exit.
  }
}

std::size_t CachingAllocator::round_size(std::size_t bytes) {
  const std::size_t align = bytes <= kSmallLimit ? kSmallAlignment : kLargeAlignment;
  if (bytes > std::numeric_limits<std::size_t>::max() - (align - 1))
    throw OutOfMemoryError(detail::concat("CUDA out of memory: cannot allocate ", bytes, " bytes (",
                                          human_bytes(bytes), "): the size is absurd"));
  return (bytes + align - 1) / align * align;
}

void* CachingAllocator::allocate(std::size_t bytes) {
  if (bytes == 0) return nullptr;
  const std::size_t size = round_size(bytes);
  std::lock_guard<std::mutex> lock(mutex_);
  ++stats_.num_allocations;

  void* ptr = nullptr;
  std::size_t block_size = size;
  // Best fit: the smallest cached block >= size, if it does not waste too much.
  if (auto it = free_blocks_.lower_bound(size); it != free_blocks_.end() && fits(it->first, size)) {
    block_size = it->first;
    ptr = it->second;
    free_blocks_.erase(it);
    stats_.bytes_cached -= block_size;
    ++stats_.num_cache_hits;
  } else {
    ++stats_.num_cuda_malloc;
    ptr = backend_.malloc(size);
    if (ptr == nullptr) {
      // The device is full: give the cache back to the driver and try once more.
      ++stats_.num_oom;
      release_cached_locked();
      ++stats_.num_cuda_malloc;
      ptr = backend_.malloc(size);
      if (ptr == nullptr) {
        ++stats_.num_oom;
        throw_oom_locked(bytes, size);
      }
    }
  }

  in_use_.emplace(ptr, block_size);
  stats_.bytes_in_use += block_size;
  if (stats_.bytes_in_use > stats_.peak_bytes_in_use) stats_.peak_bytes_in_use = stats_.bytes_in_use;
  return ptr;
}

void CachingAllocator::deallocate(void* ptr, std::size_t bytes) {
  if (ptr == nullptr) return;
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = in_use_.find(ptr);
  GAN_CHECK(it != in_use_.end(), ValueError, "CUDA deallocate: pointer ", ptr,
            " was not allocated by the engine's allocator, or was freed twice");
  const std::size_t block_size = it->second;
  GAN_CHECK(bytes > 0 && bytes <= block_size && round_size(bytes) <= block_size, ValueError,
            "CUDA deallocate: pointer ", ptr, " freed with ", bytes, " bytes but its block holds ", block_size);
  in_use_.erase(it);
  stats_.bytes_in_use -= block_size;
  // Stream-ordered reuse: the block may still be read or written by kernels
  // queued on the engine's stream. Handing it out again at once is safe because
  // every kernel and copy of the engine runs on that one stream, so whatever
  // the next owner queues runs after them. (A second stream would need events.)
  free_blocks_.emplace(block_size, ptr);
  stats_.bytes_cached += block_size;
}

void CachingAllocator::empty_cache() {
  std::lock_guard<std::mutex> lock(mutex_);
  release_cached_locked();
}

AllocatorStats CachingAllocator::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

void CachingAllocator::release_cached_locked() {
  // Erase one by one so that a throwing free leaves the lists consistent.
  while (!free_blocks_.empty()) {
    const auto it = free_blocks_.begin();
    const std::size_t size = it->first;
    void* ptr = it->second;
    free_blocks_.erase(it);
    stats_.bytes_cached -= size;
    ++stats_.num_cuda_free;
    backend_.free(ptr);
  }
}

void CachingAllocator::throw_oom_locked(std::size_t bytes, std::size_t rounded) {
  std::size_t free_bytes = 0, total_bytes = 0;
  const bool known = backend_.mem_info && backend_.mem_info(&free_bytes, &total_bytes);
  std::string device = known ? detail::concat(human_bytes(free_bytes), " free of ", human_bytes(total_bytes), " total")
                             : std::string("unknown free/total memory");
  throw OutOfMemoryError(detail::concat(
      "CUDA out of memory: tried to allocate ", bytes, " bytes (", human_bytes(bytes), ", block of ", rounded,
      " bytes); the device has ", device, "; the engine holds ", human_bytes(stats_.bytes_in_use),
      " in live tensors (its cache was emptied before retrying); use smaller batches, images or models"));
}

}  // namespace gan::cuda
