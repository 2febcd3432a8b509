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

// The tensor's data, or null for an undefined (optional) tensor: what kernels
// take for "absent" (no bias, no affine parameters, gradient not wanted).
template <typename T>
T* data_or_null(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

// Every tensor must be defined and on the same device with the same dtype;
// the message names the op and the offending shapes.
void check_same_device_dtype(const char* op, std::initializer_list<const Tensor*> tensors);
// The CUDA kernels take float32; float64 is a CPU-only dtype (gradient checks).
void check_cuda_dtype(const char* op, const Tensor& t);
void check_defined(const char* op, const Tensor& t, const char* what);

// Every defined tensor of `per_channel` (gamma, beta, running statistics) must
// be 1-D with one value per channel of the NCHW input x.
void check_per_channel(const char* op, const Tensor& x, std::initializer_list<const Tensor*> per_channel);

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
