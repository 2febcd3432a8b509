// CPU-only build: the CUDA runtime entry points exist but report that there is
// no CUDA backend. Compiled to nothing when the CUDA backend is built.
#ifndef GAN_HAVE_CUDA

#include "core/cuda/allocator_stats.h"
#include "core/cuda_runtime.h"
#include "core/error.h"

namespace gan::cuda {

namespace {
[[noreturn]] void no_backend() {
  throw DeviceError(
      "this build has no CUDA backend (nvcc was not found when it was configured); "
      "use --device cpu, or rebuild on a machine with the CUDA toolkit");
}
}  // namespace

bool available() { return false; }
void require_available() { no_backend(); }
std::string device_name() { return "none"; }
std::size_t free_memory() { no_backend(); }
void* allocate(std::size_t) { no_backend(); }
void deallocate(void*, std::size_t) {}
void empty_cache() {}
void copy_host_to_device(void*, const void*, std::size_t) { no_backend(); }
void copy_device_to_host(void*, const void*, std::size_t) { no_backend(); }
void copy_device_to_device(void*, const void*, std::size_t) { no_backend(); }
void fill_bytes(void*, int, std::size_t) { no_backend(); }
void synchronize() {}
AllocatorStats allocator_stats() { return {}; }

}  // namespace gan::cuda

#endif  // GAN_HAVE_CUDA
