// DCGAN (Radford, Metz, Chintala 2016) generator and discriminator for square
// images of 28, 32 or 64 pixels and 1 or 3 channels.
//
// Rng: z [N, nz, 1, 1] -> ConvTranspose2d to a base grid (7x7 for 28,
// 4x4 otherwise) -> (ConvTranspose2d 4x4 stride 2 + BatchNorm2d + ReLU) while
// doubling the size -> Tanh image [N, C, S, S]. Channels halve at each step,
// ending at ngf before the last layer.
// Discriminator: the mirror image: Conv2d 4x4 stride 2 + BatchNorm2d (none on
// the first layer) + LeakyReLU(0.2) down to the base grid, then a Conv2d over
// the whole grid to one logit per image [N, 1]. No sigmoid: the loss is
// BCE-with-logits (or a WGAN critic score).
//
// Conditional DCGAN (num_classes > 0, after Mirza & Osindero 2014): the class
// enters both networks as a one-hot code. G sees [z, onehot(y)] as its
// nz + num_classes input channels; D sees the image with num_classes extra
// planes, plane y all ones and the others zero, so every conv position of its
// first layer knows the class it is judging.
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
  int64_t num_classes = 0;  // > 0: a conditional GAN over this many classes
  // Spectral normalisation (layers/spectral_norm.h) of every conv layer of D / G.
  bool spectral_norm_d = false, spectral_norm_g = false;

  // Throws ValueError naming the bad field.
  void validate() const;
  // 7 for 28-pixel images, else 4.
  int64_t base_size() const { return image_size == 28 ? 7 : 4; }
  // Number of stride-2 stages between the base grid and the image.
  int64_t stages() const;
};

class DcganGenerator : public Module {
 public:
  DcganGenerator(const DcganConfig& config, Rng& rng);
  // z: [N, nz] or [N, nz, 1, 1] -> images [N, C, S, S] in [-1, 1]
  Tensor forward(const Tensor& z) override;
  // The conditional form: class_onehot [N, num_classes] (see one_hot()).
  Tensor forward(const Tensor& z, const Tensor& class_onehot);
  const DcganConfig config;

 private:
  std::shared_ptr<Sequential> net_;
};

class DcganDiscriminator : public Module {
 public:
  DcganDiscriminator(const DcganConfig& config, Rng& rng);
  // images [N, C, S, S] -> logits [N, 1]
  Tensor forward(const Tensor& x) override;
  Tensor forward(const Tensor& x, const Tensor& class_onehot);
  const DcganConfig config;

 private:
  void check_images(const Tensor& x) const;
  std::shared_ptr<Sequential> net_;
};

// [N, num_classes] float32 one-hot rows for class ids in [0, num_classes)
// (ValueError otherwise), on `device`. Not differentiable: a constant input.
Tensor one_hot(const std::vector<int64_t>& labels, int64_t num_classes, Device device = Device::cpu());

}  // namespace gan
