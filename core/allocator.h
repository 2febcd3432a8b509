// Memory for tensors. Host memory is 64-byte aligned (one cache line, and wide
// enough for any SIMD load); device memory comes from the CUDA caching
// allocator (core/cuda/), which keeps freed blocks for reuse.
#pragma once

#include <cstddef>

#include "core/device.h"

namespace gan {

void* allocate_bytes(Device device, std::size_t bytes);
void deallocate_bytes(Device device, void* ptr, std::size_t bytes);

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
