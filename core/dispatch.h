// The one place that branches on device and dtype, and the argument checks
// every op shares. Used by the op layer (kernels/<family>/op.cpp); not part of
// the public API.
//
// A kernel pass is written twice with the same parameters: cpu::name<T> (the
// reference, T = float or double) and cuda::name (float32). Its op family pairs
// the two once, at the top of its op.cpp:
//
//   GAN_KERNEL(batch_norm2d_backward)
//
// and then calls the pair with tensors where the kernels take pointers:
//
//   kernel::batch_norm2d_backward(x, dy, gamma, mean, invstd, dx, dgamma, dbeta, params);
//
// The first defined tensor among the arguments picks the backend (CPU float,
// CPU double or CUDA float; the op has already checked that the tensors agree);
// each Tensor argument is passed as its typed data pointer, or null when it is
// undefined (an absent bias, a gradient nobody asked for); every other argument
// is passed through unchanged. So an op never writes `if (cuda) ... else ...`.
#pragma once

#include <initializer_list>
#include <type_traits>
#include <utility>

#include "core/autograd.h"
#include "core/error.h"
#include "core/shape.h"
#include "core/tensor.h"

// Runs a CUDA statement, or throws in a CPU-only build (where no tensor can be
// on a CUDA device, so this is unreachable in practice).
#ifdef GAN_HAVE_CUDA
#define GAN_ON_CUDA(...) __VA_ARGS__
#else
#define GAN_ON_CUDA(...) throw ::gan::DeviceError("this build has no CUDA backend")
#endif

namespace gan::detail {

enum class Backend { CpuFloat, CpuDouble, CudaFloat };

// The backend that runs kernels on t; CUDA kernels take float32 only.
Backend backend_of(const Tensor& t);

// A tensor as a kernel argument: its data pointer, null when undefined.
template <typename T>
T* kernel_arg(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}
template <typename T, typename A>
  requires(!std::is_same_v<std::remove_cvref_t<A>, Tensor>)
A&& kernel_arg(A&& a) {
  return std::forward<A>(a);
}

// The first defined Tensor among the arguments (null if there is none).
inline const Tensor* first_defined_tensor() { return nullptr; }
template <typename A, typename... Rest>
const Tensor* first_defined_tensor(const A& a, const Rest&... rest) {
  if constexpr (std::is_same_v<A, Tensor>) {
    if (a.defined()) return &a;
  }
  return first_defined_tensor(rest...);
}

template <typename Pair, typename... A>
void launch(A&&... args) {
  const Tensor* like = first_defined_tensor(args...);
  GAN_CHECK(like != nullptr, ValueError, Pair::label, ": no defined tensor among the kernel's arguments");
  switch (backend_of(*like)) {
    case Backend::CudaFloat: Pair::cuda(kernel_arg<float>(std::forward<A>(args))...); return;
    case Backend::CpuFloat: Pair::template cpu<float>(kernel_arg<float>(std::forward<A>(args))...); return;
    case Backend::CpuDouble: Pair::template cpu<double>(kernel_arg<double>(std::forward<A>(args))...); return;
  }
}

// Calls f(T{}) with T = float or double for a host tensor's dtype: host-side
// loops only (casts, data set-up); kernels go through GAN_KERNEL.
template <typename F>
decltype(auto) dispatch_float(DType dtype, F&& f) {
  if (dtype == DType::F32) return f(float{});
  return f(double{});
}

// ---- argument checks at the op boundary (each message names the op) ----

// Every tensor must be defined and on the same device with the same dtype;
// the message names the op and the offending shapes.
void check_same_device_dtype(const char* op, std::initializer_list<const Tensor*> tensors);
// The CPU kernels take float32 and float64, the CUDA kernels float32 only
// (float64 is for the CPU gradient checks).
void check_backend_dtype(const char* op, const Tensor& t);
void check_defined(const char* op, const Tensor& t, const char* what);

// Every defined tensor of `per_channel` (gamma, beta, running statistics) must
// be 1-D with one value per channel of the NCHW input x.
void check_per_channel(const char* op, const Tensor& x, std::initializer_list<const Tensor*> per_channel);

StridedLayout layout_of(const Tensor& t);
StridedLayout contiguous_layout(const Shape& shape);

// ---- the data movement Tensor itself needs ----
// Declared here for core/tensor.cpp and defined by the elementwise family
// (kernels/elementwise/op.cpp), so core includes no kernel header.

// Copies between two tensors of equal shape on the same device and dtype.
void strided_copy(const Tensor& src, const Tensor& dst);
// Sets every element of a contiguous tensor.
void fill_contiguous(const Tensor& t, double value);

}  // namespace gan::detail

// Pairs cpu::name<T> with cuda::name as gan::kernel::name (see the top of this file).
#define GAN_KERNEL(name)                                                            \
  namespace kernel {                                                                \
  struct name##_pair {                                                              \
    static constexpr const char* label = #name;                                     \
    template <typename T, typename... A>                                            \
    static void cpu(A&&... a) {                                                     \
      ::gan::cpu::name<T>(std::forward<A>(a)...);                                   \
    }                                                                               \
    template <typename... A>                                                        \
    static void cuda([[maybe_unused]] A&&... a) {                                   \
      GAN_ON_CUDA(::gan::cuda::name(std::forward<A>(a)...));                        \
    }                                                                               \
  };                                                                                \
  template <typename... A>                                                          \
  void name(A&&... a) {                                                             \
    ::gan::detail::launch<name##_pair>(std::forward<A>(a)...);                      \
  }                                                                                 \
  }
