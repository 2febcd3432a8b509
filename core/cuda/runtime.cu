// core/cuda_runtime.h for the CUDA backend: device discovery, the engine's one
// stream and cuBLAS handle, copies, and the error helpers behind GAN_CUDA_CHECK.
//
// The stream and the cuBLAS handle are created once and deliberately never
// destroyed: at process exit the CUDA runtime may already be shutting down, and
// destroying them from a static destructor would report spurious errors. The
// driver reclaims them with the context.
#include <string>

#include "core/cuda/allocator_stats.h"
#include "core/cuda/cuda_check.h"
#include "core/cuda_runtime.h"
#include "core/error.h"

namespace gan::cuda {

namespace detail {

namespace {
#define GAN_STRINGIZE_ALL_(...) #__VA_ARGS__
#define GAN_STRINGIZE_ALL(...) GAN_STRINGIZE_ALL_(__VA_ARGS__)
#ifdef __CUDA_ARCH_LIST__
constexpr const char* kBuiltArchs = GAN_STRINGIZE_ALL(__CUDA_ARCH_LIST__);
#else
constexpr const char* kBuiltArchs = "(unknown)";
#endif

std::string hint_for(cudaError_t err) {
  switch (err) {
    case cudaErrorNoKernelImageForDevice:
    case cudaErrorUnsupportedPtxVersion:
      return ::gan::detail::concat(" (this binary holds kernels for compute capabilities ", kBuiltArchs,
                            "; rebuild with -DCMAKE_CUDA_ARCHITECTURES=<your GPU's>, e.g. 80 or 89)");
    case cudaErrorInsufficientDriver:
      return " (the NVIDIA driver is older than this CUDA toolkit; update the driver or use --device cpu)";
    case cudaErrorMemoryAllocation:
      return " (use smaller batches, images or models)";
    default:
      return "";
  }
}
}  // namespace

void throw_cuda_error(cudaError_t err, const char* expr, const char* file, int line) {
  // Clear the last-error slot: a non-sticky error (out of memory, a bad launch
  // configuration) must not be reported again by an unrelated later check.
  (void)cudaGetLastError();
  std::string msg = ::gan::detail::concat("CUDA error: ", expr, " failed at ", file, ":", line, ": ",
                                          cudaGetErrorName(err), ": ", cudaGetErrorString(err), hint_for(err));
  if (err == cudaErrorMemoryAllocation) throw OutOfMemoryError(msg);
  throw CudaError(msg);
}

void throw_cublas_error(cublasStatus_t status, const char* expr, const char* file, int line) {
  (void)cudaGetLastError();
  throw CudaError(::gan::detail::concat("cuBLAS error: ", expr, " failed at ", file, ":", line, ": ",
                                        cublasGetStatusName(status), ": ", cublasGetStatusString(status)));
}

}  // namespace detail

namespace {

struct Probe {
  bool ok = false;
  std::string reason;  // why not, when !ok
};

// Asked once; never throws. A machine without a driver answers
// cudaErrorInsufficientDriver or cudaErrorNoDevice here.
const Probe& probe() {
  static const Probe result = [] {
    Probe p;
    int count = 0;
    const cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess) {
      (void)cudaGetLastError();
      p.reason = err == cudaErrorInsufficientDriver
                     ? std::string("no NVIDIA driver is loaded, or it is older than this CUDA runtime "
                                   "(cudaErrorInsufficientDriver)")
                     : ::gan::detail::concat("cudaGetDeviceCount failed: ", cudaGetErrorName(err), ": ",
                                             cudaGetErrorString(err));
    } else if (count <= 0) {
      p.reason = "the CUDA driver reports no devices";
    } else {
      p.ok = true;
    }
    return p;
  }();
  return result;
}

}  // namespace

bool available() { return probe().ok; }

void require_available() {
  const Probe& p = probe();
  if (!p.ok)
    throw DeviceError(::gan::detail::concat("no CUDA device found: ", p.reason,
                                     ". Check the NVIDIA driver and CUDA_VISIBLE_DEVICES, or use --device cpu"));
}

std::string device_name() {
  require_available();
  int device = 0;
  GAN_CUDA_CHECK(cudaGetDevice(&device));
  cudaDeviceProp prop{};
  GAN_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  return ::gan::detail::concat(prop.name, " (compute capability ", prop.major, ".", prop.minor, ")");
}

std::size_t free_memory() {
  require_available();
  std::size_t free_bytes = 0, total_bytes = 0;
  GAN_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  return free_bytes + allocator_stats().bytes_cached;
}

cudaStream_t current_stream() {
  // A blocking (not cudaStreamNonBlocking) stream: should anything ever touch
  // the legacy default stream, it still orders against the engine's work.
  static const cudaStream_t stream = [] {
    require_available();
    cudaStream_t s = nullptr;
    GAN_CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamDefault));
    return s;
  }();
  return stream;
}

cublasHandle_t cublas_handle() {
  static const cublasHandle_t handle = [] {
    const cudaStream_t stream = current_stream();
    cublasHandle_t h = nullptr;
    GAN_CUBLAS_CHECK(cublasCreate(&h));
    GAN_CUBLAS_CHECK(cublasSetStream(h, stream));
    // Pedantic: prescribed float32 arithmetic, never TF32 (not even through
    // NVIDIA_TF32_OVERRIDE), so results match the CPU backend to ~1e-6.
    GAN_CUBLAS_CHECK(cublasSetMathMode(h, CUBLAS_PEDANTIC_MATH));
    // Default atomics mode (CUBLAS_ATOMICS_NOT_ALLOWED): results are run-to-run
    // deterministic on one GPU with one stream.
    return h;
  }();
  return handle;
}

void copy_host_to_device(void* dst, const void* src, std::size_t bytes) {
  if (bytes == 0) return;
  // From pageable memory this returns once the bytes are staged, so the caller
  // may reuse src at once; the copy itself is ordered on the engine's stream.
  GAN_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, current_stream()));
}

void copy_device_to_host(void* dst, const void* src, std::size_t bytes) {
  if (bytes == 0) return;
  const cudaStream_t stream = current_stream();
  GAN_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream));
  // The caller reads dst next: wait. This is also where a fault in an earlier
  // kernel surfaces.
  GAN_CUDA_CHECK(cudaStreamSynchronize(stream));
}

void copy_device_to_device(void* dst, const void* src, std::size_t bytes) {
  if (bytes == 0) return;
  GAN_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, current_stream()));
}

void fill_bytes(void* dst, int value, std::size_t bytes) {
  if (bytes == 0) return;
  GAN_CUDA_CHECK(cudaMemsetAsync(dst, value, bytes, current_stream()));
}

void synchronize() {
  if (!available()) return;  // nothing can have been queued
  GAN_CUDA_CHECK(cudaStreamSynchronize(current_stream()));
}

}  // namespace gan::cuda
