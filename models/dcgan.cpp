#include "models/dcgan.h"

#include "core/error.h"

namespace gan {

void DcganConfig::validate() const {
  GAN_CHECK(image_size == 28 || image_size == 32 || image_size == 64, ValueError, "DCGAN image size must be 28, 32 or 64, got ",
            image_size);
  GAN_CHECK(channels == 1 || channels == 3, ValueError, "DCGAN images must have 1 or 3 channels, got ", channels);
  GAN_CHECK(nz > 0 && ngf > 0 && ndf > 0, ValueError, "DCGAN nz, ngf and ndf must be positive, got nz ", nz,
            ", ngf ", ngf, ", ndf ", ndf);
}

int64_t DcganConfig::stages() const {
  int64_t n = 0;
  for (int64_t s = base_size(); s < image_size; s *= 2) ++n;
  return n;
}

DcganGenerator::DcganGenerator(const DcganConfig& cfg, Generator& gen) : config(cfg) {
  config.validate();
  net_ = register_module("main", std::make_shared<Sequential>());
  const int64_t stages = config.stages();
  // Channels at the base grid: ngf * 2^(stages-1), halving at each stage.
  int64_t ch = config.ngf << (stages - 1);
  // Conv layers followed by batch norm need no bias (BN's beta replaces it).
  net_->add(std::make_shared<ConvTranspose2d>(config.nz, ch, config.base_size(), gen, 1, 0, 0, false));
  net_->add(std::make_shared<BatchNorm2d>(ch));
  net_->add(std::make_shared<ReLU>());
  for (int64_t s = 1; s < stages; ++s) {
    net_->add(std::make_shared<ConvTranspose2d>(ch, ch / 2, 4, gen, 2, 1, 0, false));
    net_->add(std::make_shared<BatchNorm2d>(ch / 2));
    net_->add(std::make_shared<ReLU>());
    ch /= 2;
  }
  net_->add(std::make_shared<ConvTranspose2d>(ch, config.channels, 4, gen, 2, 1, 0, false));
  net_->add(std::make_shared<Tanh>());
}

Tensor DcganGenerator::forward(const Tensor& z) {
  GAN_CHECK((z.dim() == 2 || z.dim() == 4) && z.shape()[1] == config.nz, ShapeError,
            "generator: noise must be [N, ", config.nz, "] or [N, ", config.nz, ", 1, 1], got ",
            shape_str(z.shape()));
  return net_->forward(z.dim() == 2 ? z.reshape({z.shape()[0], config.nz, 1, 1}) : z);
}

DcganDiscriminator::DcganDiscriminator(const DcganConfig& cfg, Generator& gen) : config(cfg) {
  config.validate();
  net_ = register_module("main", std::make_shared<Sequential>());
  const int64_t stages = config.stages();
  int64_t ch = config.ndf;
  net_->add(std::make_shared<Conv2d>(config.channels, ch, 4, gen, 2, 1, false));
  net_->add(std::make_shared<LeakyReLU>(0.2));
  for (int64_t s = 1; s < stages; ++s) {
    // Without batch norm the conv keeps its bias.
    net_->add(std::make_shared<Conv2d>(ch, ch * 2, 4, gen, 2, 1, !config.discriminator_batchnorm));
    if (config.discriminator_batchnorm) net_->add(std::make_shared<BatchNorm2d>(ch * 2));
    net_->add(std::make_shared<LeakyReLU>(0.2));
    ch *= 2;
  }
  net_->add(std::make_shared<Conv2d>(ch, 1, config.base_size(), gen, 1, 0, false));
  net_->add(std::make_shared<Flatten>());
}

Tensor DcganDiscriminator::forward(const Tensor& x) {
  GAN_CHECK(x.dim() == 4 && x.shape()[1] == config.channels && x.shape()[2] == config.image_size &&
                x.shape()[3] == config.image_size,
            ShapeError, "discriminator: images must be [N, ", config.channels, ", ", config.image_size, ", ",
            config.image_size, "], got ", shape_str(x.shape()));
  return net_->forward(x);
}

}  // namespace gan
