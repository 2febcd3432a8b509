// DCGAN (Radford, Metz, Chintala 2016) generator and discriminator for square
// images of 28, 32 or 64 pixels and 1 or 3 channels.
//
// Generator: z [N, nz, 1, 1] -> ConvTranspose2d to a base grid (7x7 for 28,
// 4x4 otherwise) -> (ConvTranspose2d 4x4 stride 2 + BatchNorm2d + ReLU) while
// doubling the size -> Tanh image [N, C, S, S]. Channels halve at each step,
// ending at ngf before the last layer.
// Discriminator: the mirror image: Conv2d 4x4 stride 2 + BatchNorm2d (none on
// the first layer) + LeakyReLU(0.2) down to the base grid, then a Conv2d over
// the whole grid to one logit per image [N, 1]. No sigmoid: the loss is
// BCE-with-logits (or a WGAN critic score).
#pragma once

#include <memory>

#include "core/random.h"
#include "layers/layers.h"
#include "layers/module.h"

namespace gan {

struct DcganConfig {
  int64_t image_size = 64;  // 28, 32 or 64
  int64_t channels = 1;     // 1 or 3
  int64_t nz = 100;
  int64_t ngf = 64;
  int64_t ndf = 64;
  // false: the critic has no batch norm (WGAN-GP's gradient penalty is per sample).
  bool discriminator_batchnorm = true;

  // Throws ValueError naming the bad field.
  void validate() const;
  // 7 for 28-pixel images, else 4.
  int64_t base_size() const { return image_size == 28 ? 7 : 4; }
  // Number of stride-2 stages between the base grid and the image.
  int64_t stages() const;
};

class DcganGenerator : public Module {
 public:
  DcganGenerator(const DcganConfig& config, Generator& gen);
  // z: [N, nz] or [N, nz, 1, 1] -> images [N, C, S, S] in [-1, 1]
  Tensor forward(const Tensor& z) override;
  const DcganConfig config;

 private:
  std::shared_ptr<Sequential> net_;
};

class DcganDiscriminator : public Module {
 public:
  DcganDiscriminator(const DcganConfig& config, Generator& gen);
  // images [N, C, S, S] -> logits [N, 1]
  Tensor forward(const Tensor& x) override;
  const DcganConfig config;

 private:
  std::shared_ptr<Sequential> net_;
};

}  // namespace gan
