// Tensor: an n-dimensional view (shape, strides, offset) of reference-counted
// storage on the CPU or a CUDA device, plus the autograd fields.
//
// A Tensor is a cheap handle (a shared_ptr to TensorImpl): copying it aliases
// the same tensor, as in PyTorch. Views (reshape of a contiguous tensor,
// transpose, slice) share storage. Ops are free functions in core/ops.h; the
// methods here are the ones about the tensor itself.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/dtype.h"
#include "core/shape.h"
#include "core/storage.h"

namespace gan {

struct Node;
class Rng;

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  int64_t offset = 0;  // in elements
  Shape shape;
  Shape strides;  // in elements
  DType dtype = DType::F32;

  // Autograd. A tensor with grad_fn is the output of a recorded op; one with
  // requires_grad and no grad_fn is a leaf (a parameter) that accumulates .grad.
  bool requires_grad = false;
  std::shared_ptr<TensorImpl> grad;
  std::shared_ptr<Node> grad_fn;
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // ---- factories ----
  static Tensor empty(const Shape& shape, DType dtype = DType::F32, Device device = Device::cpu());
  static Tensor zeros(const Shape& shape, DType dtype = DType::F32, Device device = Device::cpu());
  static Tensor ones(const Shape& shape, DType dtype = DType::F32, Device device = Device::cpu());
  static Tensor full(const Shape& shape, double value, DType dtype = DType::F32, Device device = Device::cpu());
  static Tensor scalar(double value, DType dtype = DType::F32, Device device = Device::cpu());
  // Values given row-major; converted to dtype.
  static Tensor from_vector(const std::vector<double>& values, const Shape& shape, DType dtype = DType::F32,
                            Device device = Device::cpu());
  static Tensor from_vector(const std::vector<float>& values, const Shape& shape, DType dtype = DType::F32,
                            Device device = Device::cpu());
  // Random tensors are drawn on the host from the counter-based generator and
  // then copied, so a seed gives the same numbers on every device.
  static Tensor randn(const Shape& shape, Rng& rng, DType dtype = DType::F32, Device device = Device::cpu(),
                      double mean = 0.0, double stddev = 1.0);
  static Tensor rand(const Shape& shape, Rng& rng, DType dtype = DType::F32, Device device = Device::cpu(),
                     double low = 0.0, double high = 1.0);

  // ---- properties ----
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl().shape; }
  const Shape& strides() const { return impl().strides; }
  int64_t dim() const { return static_cast<int64_t>(impl().shape.size()); }
  int64_t size(int64_t d) const;
  int64_t numel() const { return gan::numel(impl().shape); }
  DType dtype() const { return impl().dtype; }
  Device device() const { return impl().storage ? impl().storage->device() : Device::cpu(); }
  bool is_contiguous() const;
  std::string str() const;  // "float32[2, 3] on cpu"

  // Pointer to the first element. The dtype must match T.
  template <typename T>
  T* data() const;
  void* data_ptr() const;

  // ---- copies and conversions (all differentiable) ----
  Tensor contiguous() const;
  Tensor to(Device device) const;
  Tensor to(DType dtype) const;
  Tensor clone() const;
  // Host copies of the values, converted to T (float or double).
  template <typename T = double>
  std::vector<T> to_vector() const;
  double item() const;  // the single value of a one-element tensor

  // ---- views (differentiable) ----
  Tensor reshape(const Shape& shape) const;  // -1 allowed once; copies if not contiguous
  Tensor flatten(int64_t start_dim = 1) const;
  Tensor transpose(int64_t dim0, int64_t dim1) const;
  Tensor slice(int64_t dim, int64_t start, int64_t end) const;

  // ---- autograd ----
  bool requires_grad() const { return impl().requires_grad; }
  Tensor& set_requires_grad(bool on = true);
  bool is_leaf() const { return impl().grad_fn == nullptr; }
  const std::shared_ptr<Node>& grad_fn() const { return impl().grad_fn; }
  Tensor grad() const;
  void set_grad(const Tensor& g);
  void zero_grad();  // drops .grad (the next backward starts from nothing)
  // Same data, cut from the graph: gradients do not flow through the result.
  Tensor detach() const;
  // Reverse-mode from this tensor. grad defaults to 1 for a one-element tensor.
  // With create_graph the backward pass is itself recorded, so the gradients
  // can be differentiated again (double backward).
  void backward(const Tensor& grad = Tensor(), bool create_graph = false) const;

  // ---- in place, never recorded (optimizer updates, initialisation, loading) ----
  void copy_(const Tensor& src);  // same shape; any devices; converts dtype
  void fill_(double value);

  TensorImpl& impl() const;
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }

 private:
  std::shared_ptr<TensorImpl> impl_;
};

// A new tensor viewing `base`'s storage with another shape/strides/offset.
Tensor make_view(const Tensor& base, const Shape& shape, const Shape& strides, int64_t offset);

}  // namespace gan
