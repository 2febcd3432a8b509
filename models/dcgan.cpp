#include "models/dcgan.h"

#include <algorithm>

#include "core/error.h"

namespace gan {

namespace {

bool power_of_two_side(int64_t n) { return n >= 16 && n <= 256 && (n & (n - 1)) == 0; }

// Channels of the layer `level` stages away from the image: base * 2^level, capped.
int64_t width_at(int64_t base, int64_t level) {
  return base * std::min<int64_t>(int64_t{1} << level, DcganConfig::kMaxWidthFactor);
}

// Checks a one-hot batch against a model's class count and batch size.
void check_onehot(const char* who, const DcganConfig& config, const Tensor& onehot, int64_t batch) {
  GAN_CHECK(config.num_classes > 0, ValueError, who, ": this model is unconditional; it takes no class labels");
  GAN_CHECK(onehot.defined() && onehot.dim() == 2 && onehot.shape()[0] == batch &&
                onehot.shape()[1] == config.num_classes,
            ShapeError, who, ": class codes must be [", batch, ", ", config.num_classes, "] (one_hot of the labels), got ",
            onehot.defined() ? shape_str(onehot.shape()) : "none");
}

}  // namespace

std::string DcganConfig::size_str() const {
  return height() == width() ? std::to_string(height()) : std::to_string(height()) + "x" + std::to_string(width());
}

void DcganConfig::validate() const {
  GAN_CHECK(image_width >= 0, ValueError, "DCGAN image width must be positive (or 0 for square images), got ",
            image_width);
  GAN_CHECK((height() == 28 && width() == 28) || (power_of_two_side(height()) && power_of_two_side(width())),
            ValueError, "DCGAN image size ", size_str(),
            " is not supported: use 28 (28x28), or a height and a width that are each a power of two from 16 to "
            "256 (16, 32, 64, 128, 256; e.g. 64, 128x64 or 32x64)");
  GAN_CHECK(channels == 1 || channels == 3, ValueError, "DCGAN images must have 1 or 3 channels, got ", channels);
  GAN_CHECK(nz > 0 && ngf > 0 && ndf > 0, ValueError, "DCGAN nz, ngf and ndf must be positive, got nz ", nz,
            ", ngf ", ngf, ", ndf ", ndf);
  GAN_CHECK(num_classes >= 0, ValueError, "DCGAN num_classes must be >= 0, got ", num_classes);
}

int64_t DcganConfig::stages() const {
  // Halve until the shorter side reaches 4, or an odd number (28 -> 7).
  int64_t n = 0;
  for (int64_t s = std::min(height(), width()); s > 4 && s % 2 == 0; s /= 2) ++n;
  return n;
}

DcganGenerator::DcganGenerator(const DcganConfig& cfg, Rng& rng) : config(cfg) {
  config.validate();
  net_ = register_module("main", std::make_shared<Sequential>());
  const int64_t stages = config.stages();
  int64_t ch = width_at(config.ngf, stages - 1);
  // Conv layers followed by batch norm need no bias (BN's beta replaces it).
  net_->add(std::make_shared<ConvTranspose2d>(config.nz + config.num_classes, ch, config.base_height(),
                                              config.base_width(), rng, 1, 0, 0, false));
  net_->add(std::make_shared<BatchNorm2d>(ch));
  net_->add(std::make_shared<ReLU>());
  for (int64_t level = stages - 2; level >= 0; --level) {
    const int64_t next = width_at(config.ngf, level);
    net_->add(std::make_shared<ConvTranspose2d>(ch, next, 4, rng, 2, 1, 0, false));
    net_->add(std::make_shared<BatchNorm2d>(next));
    net_->add(std::make_shared<ReLU>());
    ch = next;
  }
  net_->add(std::make_shared<ConvTranspose2d>(ch, config.channels, 4, rng, 2, 1, 0, false));
  net_->add(std::make_shared<Tanh>());
  if (config.spectral_norm_g) apply_spectral_norm(*net_, rng);
}

Tensor DcganGenerator::forward(const Tensor& z) {
  GAN_CHECK(config.num_classes == 0, ValueError, "generator: this model is conditional on ", config.num_classes,
            " classes; pass class labels (forward(z, one_hot(labels)))");
  GAN_CHECK((z.dim() == 2 || z.dim() == 4) && z.shape()[1] == config.nz, ShapeError,
            "generator: noise must be [N, ", config.nz, "] or [N, ", config.nz, ", 1, 1], got ",
            shape_str(z.shape()));
  return net_->forward(z.dim() == 2 ? z.reshape({z.shape()[0], config.nz, 1, 1}) : z);
}

Tensor DcganGenerator::forward(const Tensor& z, const Tensor& class_onehot) {
  GAN_CHECK(z.dim() == 2 && z.shape()[1] == config.nz, ShapeError, "generator: noise must be [N, ", config.nz,
            "], got ", shape_str(z.shape()));
  const int64_t n = z.shape()[0];
  check_onehot("generator", config, class_onehot, n);
  return net_->forward(concat({z, class_onehot}, 1).reshape({n, config.nz + config.num_classes, 1, 1}));
}

DcganDiscriminator::DcganDiscriminator(const DcganConfig& cfg, Rng& rng) : config(cfg) {
  config.validate();
  net_ = register_module("main", std::make_shared<Sequential>());
  const int64_t stages = config.stages();
  int64_t ch = config.ndf;
  net_->add(std::make_shared<Conv2d>(config.channels + config.num_classes, ch, 4, rng, 2, 1, false));
  net_->add(std::make_shared<LeakyReLU>(0.2));
  for (int64_t level = 1; level < stages; ++level) {
    const int64_t next = width_at(config.ndf, level);
    // Without batch norm the conv keeps its bias.
    net_->add(std::make_shared<Conv2d>(ch, next, 4, rng, 2, 1, !config.discriminator_batchnorm));
    if (config.discriminator_batchnorm) net_->add(std::make_shared<BatchNorm2d>(next));
    net_->add(std::make_shared<LeakyReLU>(0.2));
    ch = next;
  }
  net_->add(std::make_shared<Conv2d>(ch, 1, config.base_height(), config.base_width(), rng, 1, 0, false));
  net_->add(std::make_shared<Flatten>());
  if (config.spectral_norm_d) apply_spectral_norm(*net_, rng);
}

Tensor DcganDiscriminator::forward(const Tensor& x) {
  GAN_CHECK(config.num_classes == 0, ValueError, "discriminator: this model is conditional on ", config.num_classes,
            " classes; pass class labels (forward(x, one_hot(labels)))");
  check_images(x);
  return net_->forward(x);
}

Tensor DcganDiscriminator::forward(const Tensor& x, const Tensor& class_onehot) {
  check_images(x);
  const int64_t n = x.shape()[0], k = config.num_classes;
  check_onehot("discriminator", config, class_onehot, n);
  const Tensor planes = expand(class_onehot.reshape({n, k, 1, 1}), {n, k, config.height(), config.width()});
  return net_->forward(concat({x, planes}, 1));
}

void DcganDiscriminator::check_images(const Tensor& x) const {
  GAN_CHECK(x.dim() == 4 && x.shape()[1] == config.channels && x.shape()[2] == config.height() &&
                x.shape()[3] == config.width(),
            ShapeError, "discriminator: images must be [N, ", config.channels, ", ", config.height(), ", ",
            config.width(), "], got ", shape_str(x.shape()));
}

Tensor one_hot(const std::vector<int64_t>& labels, int64_t num_classes, Device device) {
  GAN_CHECK(num_classes > 0, ValueError, "one_hot: num_classes must be positive, got ", num_classes);
  const auto n = static_cast<int64_t>(labels.size());
  std::vector<float> codes(static_cast<size_t>(n * num_classes), 0.0f);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t y = labels[static_cast<size_t>(i)];
    GAN_CHECK(y >= 0 && y < num_classes, ValueError, "one_hot: label ", y, " at position ", i, " is outside [0, ",
              num_classes, ")");
    codes[static_cast<size_t>(i * num_classes + y)] = 1.0f;
  }
  return Tensor::from_vector(codes, {n, num_classes}, DType::F32, device);
}

}  // namespace gan
