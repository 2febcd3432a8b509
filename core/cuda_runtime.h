// The engine's view of the CUDA runtime, callable from plain C++ files.
//
// Implemented in core/cuda/*.cu when the CUDA backend is built; in a CPU-only
// build core/cuda/runtime_stub.cpp makes available() false and every other call
// throw DeviceError, so CPU code paths never need #ifdefs.
#pragma once

#include <cstddef>
#include <string>

namespace gan::cuda {

// True when the CUDA backend is built and at least one usable device exists.
bool available();
// Throws DeviceError with a plain explanation (no GPU, no driver, CPU-only build).
void require_available();
std::string device_name();
// Device memory this process can still get: free on the device plus the
// blocks the caching allocator holds for reuse.
std::size_t free_memory();

// Device memory through the caching allocator: steady-state training does no
// cudaMalloc/cudaFree. Throws OutOfMemoryError with the size asked for and the
// free memory when the device is full.
void* allocate(std::size_t bytes);
void deallocate(void* ptr, std::size_t bytes);
// Returns cached blocks to the driver (for tests and for OOM recovery).
void empty_cache();

// Copies on the engine's stream. Device-to-host waits for the copy (it has to:
// the caller reads the bytes next); the others do not.
void copy_host_to_device(void* dst, const void* src, std::size_t bytes);
void copy_device_to_host(void* dst, const void* src, std::size_t bytes);
void copy_device_to_device(void* dst, const void* src, std::size_t bytes);

// Sets `bytes` bytes to `value` (asynchronously, on the engine's stream).
void fill_bytes(void* dst, int value, std::size_t bytes);

// Waits for all work queued on the engine's stream.
void synchronize();

}  // namespace gan::cuda
