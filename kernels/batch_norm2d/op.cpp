// batch_norm2d: per-channel normalisation of NCHW tensors (kernels/batch_norm2d).
// Its backward is the fused kernel and is not differentiable again: critics
// trained with a gradient penalty use no batch norm (as WGAN-GP prescribes).
#include "core/ops.h"
#include "core/dispatch.h"
#include "kernels/batch_norm2d/batch_norm2d.h"

namespace gan {

GAN_KERNEL(batch_norm2d_backward)
GAN_KERNEL(batch_norm2d_forward_eval)
GAN_KERNEL(batch_norm2d_forward_train)

namespace {

struct BatchNorm2dBackward : Node {
  BatchNorm2dParams p;
  Tensor save_mean, save_invstd;
  BatchNorm2dBackward(const BatchNorm2dParams& params, Tensor mean, Tensor invstd)
      : p(params), save_mean(std::move(mean)), save_invstd(std::move(invstd)) {}
  const char* name() const override { return "BatchNorm2dBackward"; }
  std::vector<Tensor> backward(const Tensor& g_in) override {
    GAN_CHECK(!grad_enabled(), AutogradError,
              "batch_norm2d does not support double backward (create_graph); use a critic without batch norm "
              "(layer/instance norm or none) with a gradient penalty");
    const Tensor x = inputs[0].detach(), gamma = inputs[1].detach();
    const Tensor g = g_in.detach().contiguous();
    Tensor dx = Tensor::empty(x.shape(), x.dtype(), x.device());
    Tensor dgamma = Tensor::empty({p.C}, x.dtype(), x.device());
    Tensor dbeta = Tensor::empty({p.C}, x.dtype(), x.device());
    kernel::batch_norm2d_backward(x, g, gamma, save_mean, save_invstd, dx, dgamma, dbeta, p);
    return {needs_grad(0) ? dx : Tensor(), needs_grad(1) ? dgamma : Tensor(), needs_grad(2) ? dbeta : Tensor()};
  }
};

}  // namespace

Tensor batch_norm2d(const Tensor& x_in, const Tensor& gamma, const Tensor& beta, const Tensor& running_mean,
                    const Tensor& running_var, bool training, double momentum, double eps) {
  const char* op = "batch_norm2d";
  detail::check_defined(op, x_in, "the input");
  detail::check_defined(op, gamma, "gamma (weight)");
  detail::check_defined(op, beta, "beta (bias)");
  detail::check_same_device_dtype(op, {&x_in, &gamma, &beta, &running_mean, &running_var});
  GAN_CHECK(x_in.dim() == 4, ShapeError, op, ": input must be [N, C, H, W], got ", shape_str(x_in.shape()));
  const int64_t C = x_in.shape()[1];
  detail::check_per_channel(op, x_in, {&gamma, &beta, &running_mean, &running_var});
  for (const Tensor* t : {&running_mean, &running_var}) {
    GAN_CHECK(!t->defined() || t->is_contiguous(), ValueError, op, ": running statistics must be contiguous");
  }
  const Tensor x = x_in.contiguous();
  BatchNorm2dParams p;
  p.N = x.shape()[0];
  p.C = C;
  p.HW = x.shape()[2] * x.shape()[3];
  p.eps = eps;
  p.momentum = momentum;
  const Tensor g = gamma.detach().contiguous(), b = beta.detach().contiguous(), xd = x.detach();
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());

  if (!training) {
    GAN_CHECK(running_mean.defined() && running_var.defined(), ValueError, op,
              ": eval mode needs running_mean and running_var");
    kernel::batch_norm2d_forward_eval(xd, g, b, running_mean, running_var, y, p);
    // In eval mode the op is affine in x with fixed statistics. Its gradient is
    // rarely needed (GAN training runs BN in train mode); when it is, the same
    // result is recomputed from differentiable ops.
    if (grad_enabled() && (x.requires_grad() || gamma.requires_grad() || beta.requires_grad())) {
      const Shape per_channel{1, C, 1, 1};
      const Tensor invstd = rdiv(1.0, sqrt(add(running_var.detach(), eps)));
      const Tensor scale = mul(gamma.reshape(per_channel), invstd.reshape(per_channel));
      return add(mul(sub(x, running_mean.detach().reshape(per_channel)), scale), beta.reshape(per_channel));
    }
    return y;
  }

  GAN_CHECK(p.N * p.HW > 1, ShapeError, op, ": training mode needs more than one value per channel, got input ",
            shape_str(x.shape()));
  Tensor save_mean = Tensor::empty({C}, x.dtype(), x.device());
  Tensor save_invstd = Tensor::empty({C}, x.dtype(), x.device());
  kernel::batch_norm2d_forward_train(xd, g, b, y, save_mean, save_invstd, running_mean, running_var, p);
  record(y, std::make_shared<BatchNorm2dBackward>(p, save_mean, save_invstd), {x, gamma, beta});
  return y;
}

}  // namespace gan
