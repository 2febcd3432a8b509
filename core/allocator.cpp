#include "core/allocator.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>

#include "core/cuda_runtime.h"
#include "core/error.h"

namespace gan {

namespace {
constexpr std::size_t kHostAlignment = 64;
constexpr int kPoisonByte = 0xFF;  // 0xFFFFFFFF is a NaN in float32, 0xFF..FF in float64
std::atomic<bool> poison_new_memory{false};

// Per device type (CPU, CUDA). Kernels allocate from several threads.
struct Counters {
  std::atomic<std::size_t> in_use{0}, peak{0};
};
Counters counters[2];

Counters& counters_of(Device device) { return counters[device.is_cuda() ? 1 : 0]; }

void count_allocation(Device device, std::size_t bytes) {
  Counters& c = counters_of(device);
  const std::size_t now = c.in_use.fetch_add(bytes, std::memory_order_relaxed) + bytes;
  std::size_t peak = c.peak.load(std::memory_order_relaxed);
  while (now > peak && !c.peak.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
  }
}
}  // namespace

MemoryCounters memory_counters(Device device) {
  const Counters& c = counters_of(device);
  return {c.in_use.load(), c.peak.load()};
}

void reset_peak_memory(Device device) {
  Counters& c = counters_of(device);
  c.peak.store(c.in_use.load());
}

void set_poison_new_memory(bool on) { poison_new_memory = on; }

void* allocate_bytes(Device device, std::size_t bytes) {
  if (bytes == 0) return nullptr;
  const bool poison = poison_new_memory.load(std::memory_order_relaxed);
  if (device.is_cuda()) {
    void* p = cuda::allocate(bytes);
    if (poison) cuda::fill_bytes(p, kPoisonByte, bytes);
    count_allocation(device, bytes);
    return p;
  }
  // aligned_alloc wants a size that is a multiple of the alignment.
  const std::size_t rounded = (bytes + kHostAlignment - 1) / kHostAlignment * kHostAlignment;
  void* p = std::aligned_alloc(kHostAlignment, rounded);
  GAN_CHECK(p != nullptr, OutOfMemoryError, "out of host memory allocating ", bytes,
            " bytes: the work needs more memory than this machine (or its ulimit) allows; use smaller batches, "
            "images or models");
  if (poison) std::memset(p, kPoisonByte, bytes);
  count_allocation(device, bytes);
  return p;
}

void deallocate_bytes(Device device, void* ptr, std::size_t bytes) {
  if (ptr == nullptr) return;
  counters_of(device).in_use.fetch_sub(bytes, std::memory_order_relaxed);
  if (device.is_cuda()) {
    cuda::deallocate(ptr, bytes);
  } else {
    std::free(ptr);
  }
}

}  // namespace gan
