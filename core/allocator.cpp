#include "core/allocator.h"

#include <cstdlib>
#include <new>

#include "core/cuda_runtime.h"
#include "core/error.h"

namespace gan {

namespace {
constexpr std::size_t kHostAlignment = 64;
}

void* allocate_bytes(Device device, std::size_t bytes) {
  if (bytes == 0) return nullptr;
  if (device.is_cuda()) return cuda::allocate(bytes);
  // aligned_alloc wants a size that is a multiple of the alignment.
  const std::size_t rounded = (bytes + kHostAlignment - 1) / kHostAlignment * kHostAlignment;
  void* p = std::aligned_alloc(kHostAlignment, rounded);
  GAN_CHECK(p != nullptr, OutOfMemoryError, "out of host memory allocating ", bytes,
            " bytes; try a smaller --batch-size");
  return p;
}

void deallocate_bytes(Device device, void* ptr, std::size_t bytes) {
  if (ptr == nullptr) return;
  if (device.is_cuda()) {
    cuda::deallocate(ptr, bytes);
  } else {
    std::free(ptr);
  }
}

}  // namespace gan
