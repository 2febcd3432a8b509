// instance_norm2d: per-(n, c)-plane normalisation of NCHW tensors
// (kernels/instance_norm2d). The backward pass is the fused kernel; under
// create_graph it is the same formula written with differentiable ops, so a
// critic with instance norm can be trained with a gradient penalty (WGAN-GP):
// unlike batch norm, instance norm keeps the samples of a batch independent,
// which the per-sample penalty assumes.
#include "core/ops.h"
#include "core/dispatch.h"
#include "kernels/instance_norm2d/instance_norm2d.h"

namespace gan {

GAN_KERNEL(instance_norm2d_backward)
GAN_KERNEL(instance_norm2d_forward)

namespace {

// The gradients of instance_norm2d from differentiable ops (recorded when grad
// mode is on). The statistics are recomputed from x so that the result is a
// function of x, gamma and g that can be differentiated again.
// need[i]: whether the gradient of x, gamma, beta (i = 0, 1, 2) is wanted.
std::vector<Tensor> composite_backward(const Tensor& g, const Tensor& x, const Tensor& gamma, const bool need[3],
                                       double eps) {
  const std::vector<int64_t> plane_dims{2, 3};
  const Tensor centred = sub(x, mean(x, plane_dims, true));
  const Tensor invstd = rdiv(1.0, sqrt(add(mean(square(centred), plane_dims, true), eps)));
  const Tensor xhat = mul(centred, invstd);
  Tensor dx, dgamma, dbeta;
  if (need[0]) {
    const Tensor gy = gamma.defined() ? mul(g, gamma.reshape({1, gamma.numel(), 1, 1})) : g;
    // dx = invstd * (gy - mean(gy) - xhat * mean(gy * xhat)), means over each plane
    const Tensor inner = sub(sub(gy, mean(gy, plane_dims, true)), mul(xhat, mean(mul(gy, xhat), plane_dims, true)));
    dx = mul(invstd, inner);
  }
  if (need[1]) dgamma = sum(mul(g, xhat), {0, 2, 3});
  if (need[2]) dbeta = sum(g, {0, 2, 3});
  return {dx, dgamma, dbeta};
}

struct InstanceNorm2dBackward : Node {
  InstanceNorm2dParams p;
  Tensor save_mean, save_invstd;  // [N*C]
  InstanceNorm2dBackward(const InstanceNorm2dParams& params, Tensor mean, Tensor invstd)
      : p(params), save_mean(std::move(mean)), save_invstd(std::move(invstd)) {}
  const char* name() const override { return "InstanceNorm2dBackward"; }
  std::vector<Tensor> backward(const Tensor& g_in) override {
    const Tensor& x_in = inputs[0];
    const Tensor& gamma_in = inputs[1];
    const bool need[3] = {needs_grad(0), needs_grad(1), needs_grad(2)};
    if (grad_enabled()) return composite_backward(g_in, x_in, gamma_in, need, p.eps);

    const Tensor x = x_in.detach(), gamma = gamma_in.defined() ? gamma_in.detach() : Tensor();
    const Tensor g = g_in.detach().contiguous();
    Tensor dx, dgamma, dbeta;
    if (need[0]) dx = Tensor::empty(x.shape(), x.dtype(), x.device());
    if (need[1]) dgamma = Tensor::empty({p.C}, x.dtype(), x.device());
    if (need[2]) dbeta = Tensor::empty({p.C}, x.dtype(), x.device());
    kernel::instance_norm2d_backward(x, g, gamma, save_mean, save_invstd, dx, dgamma, dbeta, p);
    return {dx, dgamma, dbeta};
  }
};

}  // namespace

Tensor instance_norm2d(const Tensor& x_in, const Tensor& gamma, const Tensor& beta, double eps) {
  const char* op = "instance_norm2d";
  detail::check_defined(op, x_in, "the input");
  detail::check_same_device_dtype(op, {&x_in, &gamma, &beta});
  GAN_CHECK(x_in.dim() == 4, ShapeError, op, ": input must be [N, C, H, W], got ", shape_str(x_in.shape()));
  const int64_t C = x_in.shape()[1];
  detail::check_per_channel(op, x_in, {&gamma, &beta});
  GAN_CHECK(gamma.defined() == beta.defined(), ValueError, op,
            ": give both gamma and beta (affine) or neither, not one of them");
  GAN_CHECK(x_in.shape()[2] * x_in.shape()[3] > 1, ShapeError, op,
            ": each plane needs more than one value (H*W > 1) to have a variance, got input ",
            shape_str(x_in.shape()), "; stop downsampling before the normalised layer reaches 1x1");
  GAN_CHECK(eps >= 0, ValueError, op, ": eps must be >= 0, got ", eps);

  const Tensor x = x_in.contiguous();
  InstanceNorm2dParams p;
  p.N = x.shape()[0];
  p.C = C;
  p.HW = x.shape()[2] * x.shape()[3];
  p.eps = eps;
  const Tensor g = gamma.defined() ? gamma.detach().contiguous() : Tensor();
  const Tensor b = beta.defined() ? beta.detach().contiguous() : Tensor();
  const Tensor xd = x.detach();
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  Tensor save_mean = Tensor::empty({p.N * C}, x.dtype(), x.device());
  Tensor save_invstd = Tensor::empty({p.N * C}, x.dtype(), x.device());
  if (y.numel() == 0) return y;
  kernel::instance_norm2d_forward(xd, g, b, y, save_mean, save_invstd, p);
  record(y, std::make_shared<InstanceNorm2dBackward>(p, save_mean, save_invstd), {x, gamma, beta});
  return y;
}

}  // namespace gan
