#include "layers/gan_losses.h"

#include "core/autograd.h"
#include "core/error.h"
#include "core/ops.h"

namespace gan {

namespace {

void check_output(const char* what, const Tensor& out) {
  GAN_CHECK(out.defined(), ValueError, what, ": the discriminator output is undefined");
  GAN_CHECK(out.numel() > 0, ShapeError, what, ": the discriminator output is empty (shape ",
            shape_str(out.shape()), ")");
}

// `real` and `fake` name the two tensors in the message.
void check_same_device_dtype(const char* what, const char* real, const Tensor& a, const char* fake, const Tensor& b) {
  GAN_CHECK(a.device() == b.device(), DeviceError, what, ": ", real, " (", a.str(), ") and ", fake, " (", b.str(),
            ") must be on the same device");
  GAN_CHECK(a.dtype() == b.dtype(), DTypeError, what, ": ", real, " (", a.str(), ") and ", fake, " (", b.str(),
            ") must have the same dtype");
}

void check_pair(const char* what, const Tensor& real_out, const Tensor& fake_out) {
  check_output(what, real_out);
  check_output(what, fake_out);
  check_same_device_dtype(what, "the outputs on real images", real_out, "the outputs on fake images", fake_out);
}

Tensor full_like(const Tensor& t, double value) { return Tensor::full(t.shape(), value, t.dtype(), t.device()); }

}  // namespace

const std::vector<std::string>& gan_loss_names() {
  static const std::vector<std::string> names = {"bce", "wgan", "wgan-gp", "hinge", "lsgan"};
  return names;
}

const char* gan_loss_name(GanLoss loss) {
  switch (loss) {
    case GanLoss::BCE: return "bce";
    case GanLoss::WGAN: return "wgan";
    case GanLoss::WGAN_GP: return "wgan-gp";
    case GanLoss::Hinge: return "hinge";
    case GanLoss::LSGAN: return "lsgan";
  }
  return "?";
}

GanLoss parse_gan_loss(const std::string& name) {
  for (GanLoss loss : {GanLoss::BCE, GanLoss::WGAN, GanLoss::WGAN_GP, GanLoss::Hinge, GanLoss::LSGAN}) {
    if (name == gan_loss_name(loss)) return loss;
  }
  std::string valid;
  for (const std::string& n : gan_loss_names()) valid += (valid.empty() ? "" : ", ") + n;
  throw ValueError("unknown GAN loss '" + name + "'; valid names are: " + valid);
}

Tensor discriminator_loss(GanLoss loss, const Tensor& real_out, const Tensor& fake_out) {
  check_pair("discriminator_loss", real_out, fake_out);
  switch (loss) {
    case GanLoss::BCE:
      // -[log sigmoid(D(x)) + log(1 - sigmoid(D(G(z))))], from the logits: stable at any |logit|.
      return add(bce_with_logits(real_out, full_like(real_out, 1.0)),
                 bce_with_logits(fake_out, full_like(fake_out, 0.0)));
    case GanLoss::WGAN:
    case GanLoss::WGAN_GP:
      // The negated estimate of the Wasserstein-1 distance (the critic maximises the gap).
      return sub(mean(fake_out), mean(real_out));
    case GanLoss::Hinge:
      // Real scores are pushed above +1 and fake ones below -1; beyond the margin nothing is learnt.
      return add(mean(relu(rsub(1.0, real_out))), mean(relu(add(fake_out, 1.0))));
    case GanLoss::LSGAN:
      // mse_loss is the mean squared error, so each term is 1/2 mean (D - target)^2.
      return mul(add(mse_loss(real_out, full_like(real_out, 1.0)), mse_loss(fake_out, full_like(fake_out, 0.0))),
                 0.5);
  }
  throw ValueError("discriminator_loss: unknown GanLoss value");
}

Tensor generator_loss(GanLoss loss, const Tensor& fake_out) {
  check_output("generator_loss", fake_out);
  switch (loss) {
    case GanLoss::BCE:
      // Non-saturating: maximise log D(G(z)) rather than minimise log(1 - D(G(z))), whose
      // gradient vanishes exactly when D confidently rejects the samples (early training).
      return bce_with_logits(fake_out, full_like(fake_out, 1.0));
    case GanLoss::WGAN:
    case GanLoss::WGAN_GP:
    case GanLoss::Hinge:
      return neg(mean(fake_out));
    case GanLoss::LSGAN:
      return mul(mse_loss(fake_out, full_like(fake_out, 1.0)), 0.5);
  }
  throw ValueError("generator_loss: unknown GanLoss value");
}

namespace {

// ||d critic(x_i) / d x_i||^2 for every sample of the leaf x [N, ...], as [N],
// differentiable in the critic's parameters (double backward).
Tensor squared_input_gradient_norms(const char* op, const std::function<Tensor(const Tensor&)>& critic,
                                    const Tensor& x) {
  const int64_t n = x.shape()[0];
  const Tensor scores = critic(x);
  GAN_CHECK(scores.defined() && scores.numel() == n && scores.dim() >= 1 && scores.shape()[0] == n, ShapeError, op,
            ": the critic must return one score per sample ([", n, "] or [", n, ", 1]), got ",
            scores.defined() ? shape_str(scores.shape()) : std::string("an undefined tensor"));
  GAN_CHECK(scores.requires_grad(), AutogradError, op,
            ": the critic's output does not depend on its input through recorded ops (was it run under "
            "NoGradGuard, or does it detach its input?)");
  // d(sum_i D(x_i)) / d x is D's gradient at every sample, because no sample's
  // score depends on another sample. create_graph keeps it differentiable.
  const Tensor grad = gradients(scores, {x}, Tensor::ones(scores.shape(), scores.dtype(), scores.device()),
                                /*create_graph=*/true)[0];
  return sum(square(grad.reshape({n, -1})), {1});
}

}  // namespace

Tensor r1_penalty(const std::function<Tensor(const Tensor&)>& critic, const Tensor& real, double gamma) {
  const char* op = "r1_penalty";
  GAN_CHECK(real.defined() && real.dim() >= 2 && real.shape()[0] > 0 && real.numel() > 0, ShapeError, op,
            ": the real batch must be [N, ...] with N >= 1 and at least one value per sample, got ",
            real.defined() ? shape_str(real.shape()) : std::string("an undefined tensor"));
  GAN_CHECK(gamma >= 0.0, ValueError, op, ": gamma must be >= 0, got ", gamma);
  Tensor x = real.detach();  // a fresh leaf: the penalty reaches D's parameters only
  x.set_requires_grad(true);
  return mul(mean(squared_input_gradient_norms(op, critic, x)), gamma / 2.0);
}

Tensor gradient_penalty(Module& critic, const Tensor& real, const Tensor& fake, Rng& rng, double lambda) {
  return gradient_penalty([&](const Tensor& x) { return critic(x); }, real, fake, rng, lambda);
}

Tensor gradient_penalty(const std::function<Tensor(const Tensor&)>& critic, const Tensor& real, const Tensor& fake,
                        Rng& rng, double lambda) {
  const char* op = "gradient_penalty";
  GAN_CHECK(real.defined() && fake.defined(), ValueError, op, ": real and fake batches must be defined");
  GAN_CHECK(real.shape() == fake.shape(), ShapeError, op, ": real ", shape_str(real.shape()), " and fake ",
            shape_str(fake.shape()), " batches must have the same shape");
  GAN_CHECK(real.dim() >= 2 && real.shape()[0] > 0 && real.numel() > 0, ShapeError, op,
            ": batches must be [N, ...] with N >= 1 and at least one value per sample, got ", shape_str(real.shape()));
  check_same_device_dtype(op, "the real batch", real, "the fake batch", fake);
  GAN_CHECK(lambda >= 0.0, ValueError, op, ": lambda must be >= 0, got ", lambda);
  const int64_t n = real.shape()[0];

  // x_hat = fake + eps * (real - fake): a fresh leaf, so the penalty's gradient
  // reaches the critic's parameters only (never the generator).
  Shape eps_shape(real.shape().size(), 1);
  eps_shape[0] = n;
  const Tensor eps = Tensor::rand(eps_shape, rng, real.dtype(), real.device(), 0.0, 1.0);
  Tensor x_hat;
  {
    NoGradGuard no_grad;
    x_hat = add(fake.detach(), mul(sub(real.detach(), fake.detach()), eps));
  }
  x_hat.set_requires_grad(true);

  const Tensor squared_norm = squared_input_gradient_norms(op, critic, x_hat);
  // The epsilon keeps the penalty differentiable where a sample's gradient is
  // exactly zero (a critic that is flat there, e.g. dead units): sqrt'(0) is
  // infinite and 0 * inf would put NaN into every parameter gradient. 1e-12
  // moves the norm by at most 1e-6, and nothing at all once ||g||^2 >> 1e-12.
  const Tensor norm = sqrt(add(squared_norm, 1e-12));
  return mul(mean(square(sub(norm, 1.0))), lambda);
}

}  // namespace gan
