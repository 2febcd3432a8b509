// concat: copies each input into its window of the output (strided copy).
#include "core/ops.h"
#include "core/dispatch.h"

namespace gan {

namespace {
struct ConcatBackward : Node {
  int64_t dim;
  explicit ConcatBackward(int64_t d) : dim(d) {}
  const char* name() const override { return "ConcatBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    std::vector<Tensor> grads;
    int64_t offset = 0;
    for (size_t i = 0; i < inputs.size(); ++i) {
      const int64_t n = inputs[i].shape()[dim];
      grads.push_back(needs_grad(i) ? g.slice(dim, offset, offset + n) : Tensor());
      offset += n;
    }
    return grads;
  }
};
}  // namespace

Tensor concat(const std::vector<Tensor>& tensors, int64_t dim) {
  GAN_CHECK(!tensors.empty(), ValueError, "concat: no tensors given");
  const Tensor& first = tensors[0];
  detail::check_defined("concat", first, "tensor 0");
  const int axis = normalize_dim(dim, first.dim(), "concat");
  Shape out_shape = first.shape();
  out_shape[axis] = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    detail::check_defined("concat", t, "an input");
    detail::check_same_device_dtype("concat", {&first, &t});
    bool compatible = t.dim() == first.dim();
    for (int64_t d = 0; compatible && d < t.dim(); ++d) compatible = d == axis || t.shape()[d] == first.shape()[d];
    GAN_CHECK(compatible, ShapeError, "concat: along dimension ", axis, ", shape ", shape_str(t.shape()),
              " of tensor ", i, " does not match ", shape_str(first.shape()), " of tensor 0");
    out_shape[axis] += t.shape()[axis];
  }
  Tensor out = Tensor::empty(out_shape, first.dtype(), first.device());
  int64_t offset = 0;
  for (const Tensor& t : tensors) {
    const int64_t n = t.shape()[axis];
    const Tensor window = out.detach().slice(axis, offset, offset + n);
    detail::strided_copy(t.detach(), window);
    offset += n;
  }
  record(out, std::make_shared<ConcatBackward>(axis), tensors);
  return out;
}

}  // namespace gan
