#include "core/tensor.h"

#include <algorithm>
#include <cstring>

#include "core/autograd.h"
#include "core/cuda_runtime.h"
#include "core/error.h"
#include "core/ops.h"
#include "core/dispatch.h"
#include "core/random.h"

namespace gan {

using detail::dispatch_float;

// ---- factories ---------------------------------------------------------------

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  for (int64_t d : shape) {
    GAN_CHECK(d >= 0, ShapeError, "cannot make a tensor of shape ", shape_str(shape), ": negative dimension");
  }
  if (device.is_cuda()) cuda::require_available();
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(device, static_cast<size_t>(gan::numel(shape)) * dtype_size(dtype));
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

Tensor Tensor::full(const Shape& shape, double value, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  t.fill_(value);
  return t;
}
Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) { return full(shape, 0.0, dtype, device); }
Tensor Tensor::ones(const Shape& shape, DType dtype, Device device) { return full(shape, 1.0, dtype, device); }
Tensor Tensor::scalar(double value, DType dtype, Device device) { return full({}, value, dtype, device); }

namespace {

// A host tensor filled by `fill(T* data, n)`, then moved to `device`.
template <typename Fill>
Tensor host_filled(const Shape& shape, DType dtype, Device device, Fill&& fill) {
  Tensor host = Tensor::empty(shape, dtype, Device::cpu());
  dispatch_float(dtype, [&](auto t) {
    using T = decltype(t);
    fill(host.data<T>(), host.numel());
  });
  return device.is_cpu() ? host : host.to(device);
}

template <typename V>
Tensor from_values(const std::vector<V>& values, const Shape& shape, DType dtype, Device device) {
  GAN_CHECK(static_cast<int64_t>(values.size()) == gan::numel(shape), ShapeError, "from_vector: ", values.size(),
            " values do not fill shape ", shape_str(shape), " (", gan::numel(shape), " elements)");
  return host_filled(shape, dtype, device, [&](auto* data, int64_t n) {
    using T = std::remove_pointer_t<decltype(data)>;
    for (int64_t i = 0; i < n; ++i) data[i] = static_cast<T>(values[i]);
  });
}

}  // namespace

Tensor Tensor::from_vector(const std::vector<double>& values, const Shape& shape, DType dtype, Device device) {
  return from_values(values, shape, dtype, device);
}
Tensor Tensor::from_vector(const std::vector<float>& values, const Shape& shape, DType dtype, Device device) {
  return from_values(values, shape, dtype, device);
}

Tensor Tensor::randn(const Shape& shape, Rng& rng, DType dtype, Device device, double mean, double stddev) {
  return host_filled(shape, dtype, device, [&](auto* data, int64_t n) { rng.fill_normal(data, n, mean, stddev); });
}

Tensor Tensor::rand(const Shape& shape, Rng& rng, DType dtype, Device device, double low, double high) {
  return host_filled(shape, dtype, device, [&](auto* data, int64_t n) { rng.fill_uniform(data, n, low, high); });
}

// ---- properties -----------------------------------------------------------------

TensorImpl& Tensor::impl() const {
  GAN_CHECK(impl_ != nullptr, ValueError, "use of an undefined tensor");
  return *impl_;
}

int64_t Tensor::size(int64_t d) const { return shape()[normalize_dim(d, dim(), "size")]; }

bool Tensor::is_contiguous() const {
  int64_t expected = 1;
  for (int64_t i = dim() - 1; i >= 0; --i) {
    if (shape()[i] != 1 && strides()[i] != expected) return false;
    expected *= shape()[i];
  }
  return true;
}

std::string Tensor::str() const {
  if (!defined()) return "undefined tensor";
  return to_string(dtype()) + shape_str(shape()) + " on " + device().str();
}

template <typename T>
T* Tensor::data() const {
  GAN_CHECK(dtype() == dtype_of<T>::value, DTypeError, "data<", to_string(dtype_of<T>::value),
            ">() on a tensor of dtype ", to_string(dtype()));
  if (!impl().storage || !impl().storage->data()) return nullptr;
  return static_cast<T*>(impl().storage->data()) + impl().offset;
}
template float* Tensor::data<float>() const;
template double* Tensor::data<double>() const;

void* Tensor::data_ptr() const {
  if (!impl().storage || !impl().storage->data()) return nullptr;
  return static_cast<char*>(impl().storage->data()) + impl().offset * static_cast<int64_t>(dtype_size(dtype()));
}

Tensor make_view(const Tensor& base, const Shape& shape, const Shape& strides, int64_t offset) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = base.impl().storage;
  impl->offset = offset;
  impl->shape = shape;
  impl->strides = strides;
  impl->dtype = base.dtype();
  return Tensor(std::move(impl));
}

// ---- copies and conversions ----------------------------------------------------------

namespace {

// Backward of ops whose gradient is the incoming gradient made to look like
// the input: contiguous(), device moves, dtype casts, reshape.
struct ReshapeLikeBackward : Node {
  Shape input_shape;
  Device input_device;
  DType input_dtype;
  const char* op;
  ReshapeLikeBackward(const Tensor& in, const char* name)
      : input_shape(in.shape()), input_device(in.device()), input_dtype(in.dtype()), op(name) {}
  const char* name() const override { return op; }
  std::vector<Tensor> backward(const Tensor& g) override {
    return {g.to(input_device).to(input_dtype).reshape(input_shape)};
  }
};

}  // namespace

Tensor Tensor::contiguous() const {
  if (is_contiguous()) return *this;
  Tensor out = empty(shape(), dtype(), device());
  detail::strided_copy(detach(), out);
  record(out, std::make_shared<ReshapeLikeBackward>(*this, "ContiguousBackward"), {*this});
  return out;
}

Tensor Tensor::clone() const {
  Tensor out = empty(shape(), dtype(), device());
  detail::strided_copy(detach(), out);
  record(out, std::make_shared<ReshapeLikeBackward>(*this, "CloneBackward"), {*this});
  return out;
}

Tensor Tensor::to(Device target) const {
  if (target == device()) return *this;
  const Tensor src = contiguous().detach();
  Tensor out = empty(shape(), dtype(), target);
  const size_t bytes = static_cast<size_t>(numel()) * dtype_size(dtype());
  if (bytes > 0) {
    if (target.is_cuda()) {
      cuda::copy_host_to_device(out.data_ptr(), src.data_ptr(), bytes);
    } else {
      cuda::copy_device_to_host(out.data_ptr(), src.data_ptr(), bytes);
    }
  }
  record(out, std::make_shared<ReshapeLikeBackward>(*this, "ToDeviceBackward"), {*this});
  return out;
}

Tensor Tensor::to(DType target) const {
  if (target == dtype()) return *this;
  GAN_CHECK(device().is_cpu(), DTypeError, "to(", to_string(target), "): dtype conversion runs on the CPU; ",
            "move the tensor to the CPU first (CUDA tensors are float32 only)");
  const Tensor src = contiguous().detach();
  Tensor out = empty(shape(), target, device());
  dispatch_float(dtype(), [&](auto s) {
    using S = decltype(s);
    dispatch_float(target, [&](auto d) {
      using D = decltype(d);
      const S* in = src.data<S>();
      D* o = out.data<D>();
      for (int64_t i = 0; i < src.numel(); ++i) o[i] = static_cast<D>(in[i]);
    });
  });
  record(out, std::make_shared<ReshapeLikeBackward>(*this, "ToDTypeBackward"), {*this});
  return out;
}

template <typename T>
std::vector<T> Tensor::to_vector() const {
  const Tensor host = detach().to(Device::cpu()).contiguous();
  std::vector<T> values(static_cast<size_t>(numel()));
  dispatch_float(dtype(), [&](auto s) {
    using S = decltype(s);
    const S* in = host.data<S>();
    for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<T>(in[i]);
  });
  return values;
}
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;

double Tensor::item() const {
  GAN_CHECK(numel() == 1, ShapeError, "item(): the tensor has shape ", shape_str(shape()), ", not one element");
  return to_vector<double>()[0];
}

// ---- views ------------------------------------------------------------------------------

Tensor Tensor::reshape(const Shape& new_shape) const {
  Shape target = new_shape;
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < target.size(); ++i) {
    if (target[i] == -1) {
      GAN_CHECK(infer < 0, ShapeError, "reshape: only one dimension can be -1 in ", shape_str(new_shape));
      infer = static_cast<int64_t>(i);
    } else {
      known *= target[i];
    }
  }
  if (infer >= 0) {
    GAN_CHECK(known > 0 && numel() % known == 0, ShapeError, "reshape: cannot reshape ", shape_str(shape()), " to ",
              shape_str(new_shape));
    target[infer] = numel() / known;
  }
  GAN_CHECK(gan::numel(target) == numel(), ShapeError, "reshape: cannot reshape ", shape_str(shape()), " (",
            numel(), " elements) to ", shape_str(new_shape));
  if (target == shape()) return *this;
  const Tensor base = contiguous();
  Tensor out = make_view(base.detach(), target, contiguous_strides(target), base.impl().offset);
  record(out, std::make_shared<ReshapeLikeBackward>(base, "ReshapeBackward"), {base});
  return out;
}

Tensor Tensor::flatten(int64_t start_dim) const {
  const int start = normalize_dim(start_dim, dim(), "flatten");
  Shape s(shape().begin(), shape().begin() + start);
  s.push_back(-1);
  return reshape(s);
}

namespace {

struct TransposeBackward : Node {
  int64_t d0, d1;
  TransposeBackward(int64_t a, int64_t b) : d0(a), d1(b) {}
  const char* name() const override { return "TransposeBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override { return {g.transpose(d0, d1)}; }
};

struct SliceBackward : Node {
  Shape input_shape;
  int64_t dim, start;
  SliceBackward(Shape s, int64_t d, int64_t st) : input_shape(std::move(s)), dim(d), start(st) {}
  const char* name() const override { return "SliceBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    // The gradient is g placed in the sliced window of a zero tensor: a concat
    // of zeros around g, which keeps it differentiable for double backward.
    std::vector<Tensor> parts;
    Shape before = input_shape, after = input_shape;
    before[dim] = start;
    after[dim] = input_shape[dim] - start - g.shape()[dim];
    if (before[dim] > 0) parts.push_back(Tensor::zeros(before, g.dtype(), g.device()));
    parts.push_back(g);
    if (after[dim] > 0) parts.push_back(Tensor::zeros(after, g.dtype(), g.device()));
    return {parts.size() == 1 ? g : concat(parts, dim)};
  }
};

}  // namespace

Tensor Tensor::transpose(int64_t dim0, int64_t dim1) const {
  const int a = normalize_dim(dim0, dim(), "transpose"), b = normalize_dim(dim1, dim(), "transpose");
  Shape s = shape(), st = strides();
  std::swap(s[a], s[b]);
  std::swap(st[a], st[b]);
  Tensor out = make_view(detach(), s, st, impl().offset);
  record(out, std::make_shared<TransposeBackward>(a, b), {*this});
  return out;
}

Tensor Tensor::slice(int64_t d, int64_t start, int64_t end) const {
  const int axis = normalize_dim(d, dim(), "slice");
  GAN_CHECK(0 <= start && start <= end && end <= shape()[axis], ShapeError, "slice: range [", start, ", ", end,
            ") is outside dimension ", axis, " of a tensor of shape ", shape_str(shape()));
  Shape s = shape();
  s[axis] = end - start;
  Tensor out = make_view(detach(), s, strides(), impl().offset + start * strides()[axis]);
  record(out, std::make_shared<SliceBackward>(shape(), axis, start), {*this});
  return out;
}

// ---- autograd -----------------------------------------------------------------------------

Tensor& Tensor::set_requires_grad(bool on) {
  GAN_CHECK(is_leaf() || on, AutogradError, "set_requires_grad(false) on a non-leaf tensor; use detach()");
  impl().requires_grad = on;
  return *this;
}

Tensor Tensor::grad() const { return impl().grad ? Tensor(impl().grad) : Tensor(); }
void Tensor::set_grad(const Tensor& g) { impl().grad = g.defined() ? g.impl_ptr() : nullptr; }
void Tensor::zero_grad() { impl().grad.reset(); }

Tensor Tensor::detach() const { return make_view(*this, shape(), strides(), impl().offset); }

void Tensor::backward(const Tensor& grad, bool create_graph) const { run_backward(*this, grad, create_graph); }

// ---- in place ---------------------------------------------------------------------------------

void Tensor::copy_(const Tensor& src) {
  GAN_CHECK(src.shape() == shape(), ShapeError, "copy_: source shape ", shape_str(src.shape()),
            " differs from destination shape ", shape_str(shape()));
  Tensor s = src.detach();
  if (s.dtype() != dtype()) s = s.to(Device::cpu()).to(dtype());
  if (s.device() != device()) s = s.to(device());
  detail::strided_copy(s, detach());
}

void Tensor::fill_(double value) {
  if (numel() == 0) return;
  if (!is_contiguous()) {
    copy_(Tensor::full(shape(), value, dtype(), device()));
    return;
  }
  detail::fill_contiguous(*this, value);
}

}  // namespace gan
