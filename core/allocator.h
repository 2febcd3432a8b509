// Memory for tensors. Host memory is 64-byte aligned (one cache line, and wide
// enough for any SIMD load); device memory comes from the CUDA caching
// allocator (core/cuda/), which keeps freed blocks for reuse.
#pragma once

#include <cstddef>
#include <memory>

#include "core/device.h"

namespace gan {

void* allocate_bytes(Device device, std::size_t bytes);
void deallocate_bytes(Device device, void* ptr, std::size_t bytes);

// Bytes the two functions above hand out on a device (the sizes asked for),
// and their high-water mark since the last reset_peak_memory. What a command's
// memory estimate measures (apps/gan/memory_estimate.h): every tensor, and the
// CPU kernels' large scratch buffers (host_buffer below).
struct MemoryCounters {
  std::size_t bytes_in_use = 0;
  std::size_t peak_bytes_in_use = 0;
};
MemoryCounters memory_counters(Device device);
void reset_peak_memory(Device device);  // peak := what is in use now

// A CPU kernel's scratch buffer of `elems` uninitialised T, from
// allocate_bytes (so counted, and OutOfMemoryError when the memory is not
// there), freed when the pointer goes.
struct HostBufferDeleter {
  std::size_t bytes;
  void operator()(void* ptr) const { deallocate_bytes(Device::cpu(), ptr, bytes); }
};
template <typename T>
std::unique_ptr<T[], HostBufferDeleter> host_buffer(std::size_t elems) {
  const std::size_t bytes = elems * sizeof(T);
  return {static_cast<T*>(allocate_bytes(Device::cpu(), bytes)), HostBufferDeleter{bytes}};
}

// For tests: while on, every new block (host or device) is filled with 0xFF
// bytes, a NaN in float32 and float64, so an element a kernel forgets to write
// cannot pass a comparison. Off by default (it costs a memset per tensor).
void set_poison_new_memory(bool on);

class PoisonNewMemory {
 public:
  PoisonNewMemory() { set_poison_new_memory(true); }
  ~PoisonNewMemory() { set_poison_new_memory(false); }
  PoisonNewMemory(const PoisonNewMemory&) = delete;
  PoisonNewMemory& operator=(const PoisonNewMemory&) = delete;
};

}  // namespace gan
