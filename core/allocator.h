// Memory for tensors. Host memory is 64-byte aligned (one cache line, and wide
// enough for any SIMD load); device memory comes from the CUDA caching
// allocator (core/cuda/), which keeps freed blocks for reuse.
#pragma once

#include <cstddef>

#include "core/device.h"

namespace gan {

void* allocate_bytes(Device device, std::size_t bytes);
void deallocate_bytes(Device device, void* ptr, std::size_t bytes);

}  // namespace gan
