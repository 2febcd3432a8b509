// Reductions (sum, mean) and broadcasting (expand), adjoint to each other.
#include <algorithm>

#include "core/ops.h"
#include "core/dispatch.h"
#include "kernels/reduce/reduce.h"

namespace gan {

GAN_KERNEL(sum_to)

namespace {

// x summed to `target` of the same rank (dims 1 or equal), no graph.
Tensor sum_to_same_rank(const Tensor& x_in, const Shape& target) {
  const Tensor x = x_in.is_contiguous() ? x_in.detach() : x_in.detach().contiguous();
  Tensor out = Tensor::empty(target, x.dtype(), x.device());
  if (out.numel() == 0) return out;
  if (x.numel() == 0) {
    out.fill_(0.0);
    return out;
  }
  const StridedLayout in_l = detail::contiguous_layout(x.shape());
  const StridedLayout out_l = detail::contiguous_layout(target);
  kernel::sum_to(x, in_l, out, out_l);
  return out;
}

struct SumToBackward : Node {
  Shape input_shape;
  explicit SumToBackward(Shape s) : input_shape(std::move(s)) {}
  const char* name() const override { return "SumBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override { return {expand(g, input_shape)}; }
};

struct ExpandBackward : Node {
  Shape input_shape;
  explicit ExpandBackward(Shape s) : input_shape(std::move(s)) {}
  const char* name() const override { return "ExpandBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override { return {sum_to(g, input_shape)}; }
};

}  // namespace

Tensor sum_to(const Tensor& x, const Shape& shape) {
  detail::check_defined("sum_to", x, "the input");
  if (x.shape() == shape) return x;
  // `shape` must broadcast to x's shape; pad it with leading 1s to x's rank.
  GAN_CHECK(shape.size() <= x.shape().size() && broadcast_shapes(x.shape(), shape, "sum_to") == x.shape(), ShapeError,
            "sum_to: cannot sum a tensor of shape ", shape_str(x.shape()), " down to ", shape_str(shape));
  Shape padded(x.shape().size() - shape.size(), 1);
  padded.insert(padded.end(), shape.begin(), shape.end());
  detail::check_backend_dtype("sum_to", x);
  Tensor out = make_view(sum_to_same_rank(x, padded), shape, contiguous_strides(shape), 0);
  record(out, std::make_shared<SumToBackward>(x.shape()), {x});
  return out;
}

Tensor expand(const Tensor& x, const Shape& shape) {
  detail::check_defined("expand", x, "the input");
  if (x.shape() == shape) return x;
  GAN_CHECK(broadcast_shapes(x.shape(), shape, "expand") == shape, ShapeError, "expand: cannot broadcast ",
            shape_str(x.shape()), " to ", shape_str(shape));
  // A stride-0 view of x with the target shape, copied out.
  Shape strides(shape.size(), 0);
  const size_t lead = shape.size() - x.shape().size();
  for (size_t i = 0; i < x.shape().size(); ++i) {
    strides[lead + i] = x.shape()[i] == 1 ? 0 : x.strides()[i];
  }
  const Tensor view = make_view(x.detach(), shape, strides, x.impl().offset);
  Tensor out = Tensor::empty(shape, x.dtype(), x.device());
  detail::strided_copy(view, out);
  record(out, std::make_shared<ExpandBackward>(x.shape()), {x});
  return out;
}

Tensor sum(const Tensor& x) { return sum_to(x, Shape{}); }

Tensor mean(const Tensor& x) {
  GAN_CHECK(x.numel() > 0, ShapeError, "mean: the tensor is empty (shape ", shape_str(x.shape()), ")");
  return mul(sum(x), 1.0 / static_cast<double>(x.numel()));
}

Tensor sum(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  Shape kept = x.shape();
  for (int64_t d : dims) kept[normalize_dim(d, x.dim(), "sum")] = 1;
  Tensor out = sum_to(x, kept);
  if (keepdim) return out;
  Shape squeezed;
  std::vector<bool> reduced(x.shape().size(), false);
  for (int64_t d : dims) reduced[normalize_dim(d, x.dim(), "sum")] = true;
  for (size_t i = 0; i < kept.size(); ++i) {
    if (!reduced[i]) squeezed.push_back(kept[i]);
  }
  return out.reshape(squeezed);
}

Tensor mean(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  int64_t count = 1;
  for (int64_t d : dims) count *= x.shape()[normalize_dim(d, x.dim(), "mean")];
  GAN_CHECK(count > 0, ShapeError, "mean: reducing over an empty dimension of ", shape_str(x.shape()));
  return mul(sum(x, dims, keepdim), 1.0 / static_cast<double>(count));
}

}  // namespace gan
