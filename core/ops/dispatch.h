// Internal helpers shared by the op implementations: backend selection and
// argument checks. Not part of the public API.
#pragma once

#include <initializer_list>

#include "core/autograd.h"
#include "core/error.h"
#include "core/tensor.h"
#include "kernels/common.h"

namespace gan::detail {

// Calls f(T{}) with T = float or double for a CPU tensor's dtype.
template <typename F>
decltype(auto) dispatch_float(DType dtype, F&& f) {
  if (dtype == DType::F32) return f(float{});
  return f(double{});
}

// Every tensor must be defined and on the same device with the same dtype;
// the message names the op and the offending shapes.
void check_same_device_dtype(const char* op, std::initializer_list<const Tensor*> tensors);
// The CUDA kernels take float32; float64 is a CPU-only dtype (gradient checks).
void check_cuda_dtype(const char* op, const Tensor& t);
void check_defined(const char* op, const Tensor& t, const char* what);

StridedLayout layout_of(const Tensor& t);
StridedLayout contiguous_layout(const Shape& shape);

// Copies between two tensors of equal shape on the same device and dtype.
void strided_copy(const Tensor& src, const Tensor& dst);

}  // namespace gan::detail

// Runs a CUDA statement, or throws in a CPU-only build (where no tensor can be
// on a CUDA device, so this is unreachable in practice).
#ifdef GAN_HAVE_CUDA
#define GAN_ON_CUDA(...) __VA_ARGS__
#else
#define GAN_ON_CUDA(...) throw ::gan::DeviceError("this build has no CUDA backend")
#endif
