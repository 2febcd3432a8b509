// reflection_pad2d: mirror padding of NCHW planes (kernels/reflection_pad2d).
// Its backward, the pad's adjoint (a gather-sum kernel), is linear in the
// incoming gradient; it is recorded as an op of its own whose backward is the
// pad again, so the pad is differentiable to any order.
#include "core/ops.h"
#include "core/dispatch.h"
#include "kernels/reflection_pad2d/reflection_pad2d.h"

namespace gan {

GAN_KERNEL(reflection_pad2d_backward)
GAN_KERNEL(reflection_pad2d_forward)

namespace {

ReflectionPad2dParams pad_params(const Shape& input_shape, int64_t pad) {
  ReflectionPad2dParams p;
  p.planes = input_shape[0] * input_shape[1];
  p.H = input_shape[2];
  p.W = input_shape[3];
  p.pad = pad;
  return p;
}

// pad(src) (adjoint = false) or its adjoint pad^T(src), the backward's
// gather-sum (adjoint = true); no graph.
Tensor pad_kernel(const Tensor& src_in, const ReflectionPad2dParams& p, bool adjoint) {
  const Tensor src = src_in.detach().contiguous();
  const Shape out_shape{src.shape()[0], src.shape()[1], adjoint ? p.H : p.out_h(), adjoint ? p.W : p.out_w()};
  Tensor out = Tensor::empty(out_shape, src.dtype(), src.device());
  if (out.numel() == 0) return out;
  if (adjoint) {
    kernel::reflection_pad2d_backward(src, out, p);
  } else {
    kernel::reflection_pad2d_forward(src, out, p);
  }
  return out;
}

// The backward of the adjoint is the pad itself.
struct ReflectionPad2dAdjointBackward : Node {
  ReflectionPad2dParams p;
  explicit ReflectionPad2dAdjointBackward(const ReflectionPad2dParams& params) : p(params) {}
  const char* name() const override { return "ReflectionPad2dAdjointBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override { return {reflection_pad2d(g, p.pad)}; }
};

// pad^T(dy), recorded when grad mode is on (create_graph).
Tensor pad_adjoint(const Tensor& dy, const ReflectionPad2dParams& p) {
  Tensor dx = pad_kernel(dy, p, true);
  record(dx, std::make_shared<ReflectionPad2dAdjointBackward>(p), {dy});
  return dx;
}

struct ReflectionPad2dBackward : Node {
  ReflectionPad2dParams p;
  explicit ReflectionPad2dBackward(const ReflectionPad2dParams& params) : p(params) {}
  const char* name() const override { return "ReflectionPad2dBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override { return {pad_adjoint(g, p)}; }
};

}  // namespace

Tensor reflection_pad2d(const Tensor& x, int64_t pad) {
  const char* op = "reflection_pad2d";
  detail::check_defined(op, x, "the input");
  detail::check_backend_dtype(op, x);
  GAN_CHECK(x.dim() == 4, ShapeError, op, ": input must be [N, C, H, W], got ", shape_str(x.shape()));
  GAN_CHECK(pad >= 0, ValueError, op, ": pad must be >= 0, got ", pad);
  GAN_CHECK(pad < x.shape()[2] && pad < x.shape()[3], ShapeError, op, ": pad ", pad,
            " must be smaller than the height and width of input ", shape_str(x.shape()),
            " (a mirror cannot reach past the opposite edge); use a smaller pad or a larger input");
  if (pad == 0) return x;
  const ReflectionPad2dParams p = pad_params(x.shape(), pad);
  Tensor y = pad_kernel(x, p, false);
  record(y, std::make_shared<ReflectionPad2dBackward>(p), {x});
  return y;
}

}  // namespace gan
