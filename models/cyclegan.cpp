#include "models/cyclegan.h"

#include <algorithm>

#include "core/error.h"

namespace gan {

namespace {

// The reference implementations give a conv a bias exactly when the norm after
// it has no learned shift of its own (see the header).
bool conv_bias_before(Norm norm) { return norm == Norm::Instance; }

}  // namespace

ResnetBlock::ResnetBlock(int64_t channels, Norm norm, Rng& rng) {
  body_ = register_module("body", std::make_shared<Sequential>());
  const bool bias = conv_bias_before(norm);
  body_->add(std::make_shared<ReflectionPad2d>(1));
  body_->add(std::make_shared<Conv2d>(channels, channels, 3, rng, 1, 0, bias));
  body_->add(make_norm2d(norm, channels));
  body_->add(std::make_shared<ReLU>());
  body_->add(std::make_shared<ReflectionPad2d>(1));
  body_->add(std::make_shared<Conv2d>(channels, channels, 3, rng, 1, 0, bias));
  body_->add(make_norm2d(norm, channels));
}

Tensor ResnetBlock::forward(const Tensor& x) { return add(x, body_->forward(x)); }

void ResnetGeneratorConfig::validate() const {
  GAN_CHECK(in_channels > 0 && out_channels > 0, ValueError, "ResnetGenerator: channel counts must be positive, got ",
            in_channels, " in and ", out_channels, " out");
  GAN_CHECK(ngf > 0, ValueError, "ResnetGenerator: ngf must be positive, got ", ngf);
  GAN_CHECK(n_blocks >= 0, ValueError, "ResnetGenerator: n_blocks must be >= 0 (6 or 9 in the paper), got ",
            n_blocks);
}

ResnetGenerator::ResnetGenerator(const ResnetGeneratorConfig& cfg, Rng& rng) : config(cfg) {
  config.validate();
  const bool bias = conv_bias_before(config.norm);
  net_ = register_module("model", std::make_shared<Sequential>());
  net_->add(std::make_shared<ReflectionPad2d>(3));
  net_->add(std::make_shared<Conv2d>(config.in_channels, config.ngf, 7, rng, 1, 0, bias));
  net_->add(make_norm2d(config.norm, config.ngf));
  net_->add(std::make_shared<ReLU>());
  int64_t ch = config.ngf;
  for (int i = 0; i < 2; ++i, ch *= 2) {
    net_->add(std::make_shared<Conv2d>(ch, ch * 2, 3, rng, 2, 1, bias));
    net_->add(make_norm2d(config.norm, ch * 2));
    net_->add(std::make_shared<ReLU>());
  }
  for (int64_t b = 0; b < config.n_blocks; ++b) net_->add(std::make_shared<ResnetBlock>(ch, config.norm, rng));
  for (int i = 0; i < 2; ++i, ch /= 2) {
    net_->add(std::make_shared<ConvTranspose2d>(ch, ch / 2, 3, rng, 2, 1, 1, bias));
    net_->add(make_norm2d(config.norm, ch / 2));
    net_->add(std::make_shared<ReLU>());
  }
  net_->add(std::make_shared<ReflectionPad2d>(3));
  net_->add(std::make_shared<Conv2d>(ch, config.out_channels, 7, rng, 1, 0, true));
  net_->add(std::make_shared<Tanh>());
}

Tensor ResnetGenerator::forward(const Tensor& x) {
  GAN_CHECK(x.dim() == 4 && x.shape()[1] == config.in_channels, ShapeError, "ResnetGenerator: input must be [N, ",
            config.in_channels, ", H, W], got ", shape_str(x.shape()));
  const int64_t H = x.shape()[2], W = x.shape()[3];
  // Two stride-2 convs and two stride-2 transposed convs give back H x W only
  // for multiples of 4; the 3x3 reflection pads need at least 2x2 at H/4.
  GAN_CHECK(H % 4 == 0 && W % 4 == 0 && H >= 8 && W >= 8, ShapeError,
            "ResnetGenerator: height and width must be multiples of 4 and at least 8, got ", shape_str(x.shape()),
            "; resize or crop the images (e.g. to 128 or 256)");
  return net_->forward(x);
}

void PatchDiscriminatorConfig::validate() const {
  GAN_CHECK(in_channels > 0, ValueError, "PatchDiscriminator: in_channels must be positive, got ", in_channels);
  GAN_CHECK(ndf > 0, ValueError, "PatchDiscriminator: ndf must be positive, got ", ndf);
  GAN_CHECK(n_layers >= 1, ValueError, "PatchDiscriminator: n_layers must be >= 1 (3 for 70x70 patches), got ",
            n_layers);
}

PatchDiscriminator::PatchDiscriminator(const PatchDiscriminatorConfig& cfg, Rng& rng) : config(cfg) {
  config.validate();
  const bool bias = conv_bias_before(config.norm);
  net_ = register_module("model", std::make_shared<Sequential>());
  net_->add(std::make_shared<Conv2d>(config.in_channels, config.ndf, 4, rng, 2, 1, true));
  net_->add(std::make_shared<LeakyReLU>(0.2));
  // Width multiplier of ndf: 1, 2, 4, 8, 8, ... (capped at 8).
  auto mult = [](int64_t layer) { return int64_t{1} << std::min<int64_t>(layer, 3); };
  for (int64_t n = 1; n < config.n_layers; ++n) {
    net_->add(std::make_shared<Conv2d>(config.ndf * mult(n - 1), config.ndf * mult(n), 4, rng, 2, 1, bias));
    net_->add(make_norm2d(config.norm, config.ndf * mult(n)));
    net_->add(std::make_shared<LeakyReLU>(0.2));
  }
  const int64_t last = config.ndf * mult(config.n_layers);
  net_->add(std::make_shared<Conv2d>(config.ndf * mult(config.n_layers - 1), last, 4, rng, 1, 1, bias));
  net_->add(make_norm2d(config.norm, last));
  net_->add(std::make_shared<LeakyReLU>(0.2));
  net_->add(std::make_shared<Conv2d>(last, 1, 4, rng, 1, 1, true));
}

Tensor PatchDiscriminator::forward(const Tensor& x) {
  GAN_CHECK(x.dim() == 4 && x.shape()[1] == config.in_channels, ShapeError,
            "PatchDiscriminator: input must be [N, ", config.in_channels, ", H, W], got ", shape_str(x.shape()));
  return net_->forward(x);
}

}  // namespace gan
