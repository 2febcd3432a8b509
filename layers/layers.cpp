#include "layers/layers.h"

#include <cmath>

#include "core/autograd.h"
#include "core/distributed.h"
#include "core/error.h"
#include "layers/spectral_norm.h"

namespace gan {

namespace {
// PyTorch's default for linear and conv layers: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
Tensor uniform_fan_in(const Shape& shape, int64_t fan_in, Rng& rng) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  return Tensor::rand(shape, rng, DType::F32, Device::cpu(), -bound, bound);
}
}  // namespace

Tensor WeightedLayer::effective_weight() { return sn_ ? sn_->normalize(weight, is_training()) : weight; }

void WeightedLayer::fold_spectral_norm() {
  if (!sn_) return;
  NoGradGuard no_grad;
  weight.copy_(sn_->normalize(weight, /*training=*/false));
  sn_.reset();
  unregister_spectral_norm();
}

int64_t fold_spectral_norm(Module& m) {
  int64_t count = 0;
  m.apply([&](Module& layer) {
    if (auto* w = dynamic_cast<WeightedLayer*>(&layer); w && w->spectral_norm()) {
      w->fold_spectral_norm();
      ++count;
    }
  });
  return count;
}

int64_t apply_spectral_norm(Module& m, Rng& rng) {
  int64_t count = 0;
  m.apply([&](Module& layer) {
    if (auto* w = dynamic_cast<WeightedLayer*>(&layer)) {
      w->enable_spectral_norm(rng);
      ++count;
    }
  });
  return count;
}

Linear::Linear(int64_t in_features, int64_t out_features, Rng& rng, bool with_bias) {
  weight = register_parameter("weight", uniform_fan_in({out_features, in_features}, in_features, rng));
  if (with_bias) bias = register_parameter("bias", uniform_fan_in({out_features}, in_features, rng));
}

Conv2d::Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel, Rng& rng, int64_t stride_,
               int64_t pad_, bool with_bias)
    : Conv2d(in_channels, out_channels, kernel, kernel, rng, stride_, pad_, with_bias) {}

Conv2d::Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel_h, int64_t kernel_w, Rng& rng,
               int64_t stride_, int64_t pad_, bool with_bias)
    : stride(stride_), pad(pad_) {
  const int64_t fan_in = in_channels * kernel_h * kernel_w;
  weight = register_parameter("weight", uniform_fan_in({out_channels, in_channels, kernel_h, kernel_w}, fan_in, rng));
  if (with_bias) bias = register_parameter("bias", uniform_fan_in({out_channels}, fan_in, rng));
}

ConvTranspose2d::ConvTranspose2d(int64_t in_channels, int64_t out_channels, int64_t kernel, Rng& rng,
                                 int64_t stride_, int64_t pad_, int64_t output_padding_, bool with_bias)
    : ConvTranspose2d(in_channels, out_channels, kernel, kernel, rng, stride_, pad_, output_padding_, with_bias) {}

ConvTranspose2d::ConvTranspose2d(int64_t in_channels, int64_t out_channels, int64_t kernel_h, int64_t kernel_w,
                                 Rng& rng, int64_t stride_, int64_t pad_, int64_t output_padding_, bool with_bias)
    : stride(stride_), pad(pad_), output_padding(output_padding_) {
  // PyTorch computes fan_in from weight dim 1 for transposed convolutions.
  const int64_t fan_in = out_channels * kernel_h * kernel_w;
  weight = register_parameter("weight", uniform_fan_in({in_channels, out_channels, kernel_h, kernel_w}, fan_in, rng));
  if (with_bias) bias = register_parameter("bias", uniform_fan_in({out_channels}, fan_in, rng));
}

BatchNorm2d::BatchNorm2d(int64_t channels, double momentum_, double eps_) : momentum(momentum_), eps(eps_) {
  weight = register_parameter("weight", Tensor::ones({channels}));
  bias = register_parameter("bias", Tensor::zeros({channels}));
  running_mean = register_buffer("running_mean", Tensor::zeros({channels}));
  running_var = register_buffer("running_var", Tensor::ones({channels}));
}

Tensor BatchNorm2d::forward(const Tensor& x) {
  if (!is_training() || !dist::sync_batch_norm())
    return batch_norm2d(x, weight, bias, running_mean, running_var, is_training(), momentum, eps);
  GAN_CHECK(x.dim() == 4 && x.shape()[1] == weight.numel(), ShapeError, "BatchNorm2d of ", weight.numel(),
            " channels: input must be [N, ", weight.numel(), ", H, W], got ", shape_str(x.shape()));
  const Shape per_channel{1, x.shape()[1], 1, 1};
  const double count = static_cast<double>(x.shape()[0] * x.shape()[2] * x.shape()[3]) * dist::size();
  GAN_CHECK(count > 1, ShapeError, "BatchNorm2d: training mode needs more than one value per channel, got input ",
            shape_str(x.shape()), " on ", dist::size(), " ranks");
  // Two passes (mean, then the centred squares) rather than E[x^2] - E[x]^2,
  // which loses digits in float32 when the mean is large against the spread.
  const Tensor mean = div(dist::all_reduce_sum(sum(x, {0, 2, 3})), count);
  const Tensor centred = sub(x, mean.reshape(per_channel));
  const Tensor var = div(dist::all_reduce_sum(sum(square(centred), {0, 2, 3})), count);  // biased, as normalised
  const Tensor invstd = rdiv(1.0, sqrt(add(var, eps)));
  {
    // The running statistics as batch_norm2d keeps them (unbiased variance),
    // written into the buffers' own storage: modules and checkpoints hold them.
    NoGradGuard no_grad;
    running_mean.copy_(add(mul(running_mean, 1 - momentum), mul(mean.detach(), momentum)));
    running_var.copy_(add(mul(running_var, 1 - momentum), mul(var.detach(), momentum * count / (count - 1))));
  }
  return add(mul(centred, mul(invstd, weight).reshape(per_channel)), bias.reshape(per_channel));
}

InstanceNorm2d::InstanceNorm2d(int64_t channels_, bool affine, double eps_) : channels(channels_), eps(eps_) {
  GAN_CHECK(channels > 0, ValueError, "InstanceNorm2d: channels must be positive, got ", channels);
  if (affine) {
    weight = register_parameter("weight", Tensor::ones({channels}));
    bias = register_parameter("bias", Tensor::zeros({channels}));
  }
}

Tensor InstanceNorm2d::forward(const Tensor& x) {
  // With affine parameters the op checks the channel count; without, do it here.
  GAN_CHECK(x.dim() != 4 || x.shape()[1] == channels, ShapeError, "InstanceNorm2d: input ", shape_str(x.shape()),
            " has ", x.dim() == 4 ? x.shape()[1] : 0, " channels, but the layer was built for ", channels);
  return instance_norm2d(x, weight, bias, eps);
}

std::shared_ptr<Module> make_norm2d(Norm norm, int64_t channels) {
  if (norm == Norm::Batch) return std::make_shared<BatchNorm2d>(channels);
  return std::make_shared<InstanceNorm2d>(channels);
}

ReflectionPad2d::ReflectionPad2d(int64_t pad_) : pad(pad_) {
  GAN_CHECK(pad >= 0, ValueError, "ReflectionPad2d: pad must be >= 0, got ", pad);
}

Dropout::Dropout(double p_, std::shared_ptr<Rng> rng) : p(p_), rng_(std::move(rng)) {
  GAN_CHECK(p >= 0.0 && p <= 1.0, ValueError, "Dropout: p must be in [0, 1], got ", p);
  GAN_CHECK(rng_ != nullptr, ValueError, "Dropout: needs a random number generator (Rng), got none");
}

Tensor Reshape::forward(const Tensor& x) {
  Shape s{x.shape()[0]};
  s.insert(s.end(), shape.begin(), shape.end());
  return x.reshape(s);
}

}  // namespace gan
