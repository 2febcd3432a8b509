#include "core/dispatch.h"

namespace gan::detail {

Backend backend_of(const Tensor& t) {
  if (t.device().is_cuda()) {
    check_backend_dtype("a CUDA kernel", t);
    return Backend::CudaFloat;
  }
  return t.dtype() == DType::F32 ? Backend::CpuFloat : Backend::CpuDouble;
}

void check_defined(const char* op, const Tensor& t, const char* what) {
  GAN_CHECK(t.defined(), ValueError, op, ": ", what, " is an undefined tensor");
}

void check_same_device_dtype(const char* op, std::initializer_list<const Tensor*> tensors) {
  const Tensor* first = nullptr;
  for (const Tensor* t : tensors) {
    if (!t->defined()) continue;
    if (!first) {
      first = t;
      continue;
    }
    GAN_CHECK(t->device() == first->device(), DeviceError, op, ": tensors are on different devices: ",
              shape_str(first->shape()), " on ", first->device().str(), " and ", shape_str(t->shape()), " on ",
              t->device().str(), "; move them with .to(device) first");
    GAN_CHECK(t->dtype() == first->dtype(), DTypeError, op, ": tensors have different dtypes: ",
              shape_str(first->shape()), " is ", to_string(first->dtype()), " and ", shape_str(t->shape()), " is ",
              to_string(t->dtype()), "; convert with .to(dtype) first");
  }
  if (first) check_backend_dtype(op, *first);
}

void check_backend_dtype(const char* op, const Tensor& t) {
  GAN_CHECK(t.device().is_cpu() || t.dtype() == DType::F32, DTypeError, op, ": CUDA kernels take float32, got ", to_string(t.dtype()),
            " (float64 is for CPU gradient checks)");
}

void check_per_channel(const char* op, const Tensor& x, std::initializer_list<const Tensor*> per_channel) {
  const int64_t C = x.shape()[1];
  for (const Tensor* t : per_channel) {
    GAN_CHECK(!t->defined() || (t->dim() == 1 && t->shape()[0] == C), ShapeError, op, ": per-channel tensor ",
              shape_str(t->shape()), " does not match input ", shape_str(x.shape()), " with ", C, " channels");
  }
}

StridedLayout layout_of(const Tensor& t) {
  GAN_CHECK(t.dim() <= kMaxDims, ShapeError, "tensors of rank > ", kMaxDims, " are not supported, got ",
            shape_str(t.shape()));
  StridedLayout l;
  l.rank = static_cast<int>(t.dim());
  for (int i = 0; i < l.rank; ++i) {
    l.shape[i] = t.shape()[i];
    l.strides[i] = t.strides()[i];
  }
  return l;
}

StridedLayout contiguous_layout(const Shape& shape) {
  GAN_CHECK(static_cast<int>(shape.size()) <= kMaxDims, ShapeError, "tensors of rank > ", kMaxDims,
            " are not supported, got ", shape_str(shape));
  const Shape strides = contiguous_strides(shape);
  StridedLayout l;
  l.rank = static_cast<int>(shape.size());
  for (int i = 0; i < l.rank; ++i) {
    l.shape[i] = shape[i];
    l.strides[i] = strides[i];
  }
  return l;
}

}  // namespace gan::detail
