// DCGAN (Radford, Metz, Chintala 2016) generator and discriminator for images
// of 1 or 3 channels and any of these sizes (height x width):
//   28x28 (Fashion-MNIST's own size), or H and W each a power of two from 16
//   to 256, square or not (16, 32, 64, 128, 256; 128x64, 32x64, ...).
//
// The depth follows the size. The networks work on a small base grid, the
// image divided by 2^stages: stages is the number of halvings that bring the
// shorter side to 4 (for 28x28: to 7, as 7 is odd), so a square power of two
// has a 4x4 base, 28x28 a 7x7 one, and a rectangle keeps its aspect ratio at
// the base (64x32: 8x4, 32x128: 4x16).
//
// Generator: z [N, nz, 1, 1] -> ConvTranspose2d onto the base grid ->
// (ConvTranspose2d 4x4 stride 2 + BatchNorm2d + ReLU) doubling the size ->
// Tanh image [N, C, H, W].
// Discriminator: the mirror image: Conv2d 4x4 stride 2 + BatchNorm2d (none on
// the first layer) + LeakyReLU(0.2) down to the base grid, then a Conv2d over
// the whole base grid to one logit per image [N, 1]. No sigmoid: the loss is
// BCE-with-logits (or a WGAN critic score).
//
// Widths: the layer k stages away from the image has ngf * 2^k (ndf * 2^k)
// channels, capped at 8x: the paper's 64x64 model (4 stages) reaches ngf * 8
// at its base and is unchanged, while 128 and 256 pixels stay at ngf * 8 =
// 512 channels at ngf 64 (instead of 1024 and 2048), as PyTorch's DCGAN and
// StyleGAN's channel caps do; the extra stages then cost little.
//
// Conditional DCGAN (num_classes > 0, after Mirza & Osindero 2014): the class
// enters both networks as a one-hot code. G sees [z, onehot(y)] as its
// nz + num_classes input channels; D sees the image with num_classes extra
// planes, plane y all ones and the others zero, so every conv position of its
// first layer knows the class it is judging.
#pragma once

#include <memory>
#include <string>

#include "core/random.h"
#include "layers/layers.h"
#include "layers/module.h"

namespace gan {

struct DcganConfig {
  int64_t image_size = 64;  // the height; also the width unless image_width is set
  int64_t image_width = 0;  // > 0: the width of rectangular images; 0: square
  int64_t channels = 1;     // 1 or 3
  int64_t nz = 100;
  int64_t ngf = 64;
  int64_t ndf = 64;
  // false: the critic has no batch norm (WGAN-GP's gradient penalty is per sample).
  bool discriminator_batchnorm = true;
  int64_t num_classes = 0;  // > 0: a conditional GAN over this many classes
  // Spectral normalisation (layers/spectral_norm.h) of every conv layer of D / G.
  bool spectral_norm_d = false, spectral_norm_g = false;

  // Channels of a layer k stages away from the image are width * 2^k up to this factor.
  static constexpr int64_t kMaxWidthFactor = 8;

  int64_t height() const { return image_size; }
  int64_t width() const { return image_width > 0 ? image_width : image_size; }
  // "64" for a square size, "128x64" (height x width) otherwise: as --image-size takes it.
  std::string size_str() const;
  // Throws ValueError naming the bad field (for the size: the sizes allowed).
  void validate() const;
  // Number of stride-2 stages between the base grid and the image.
  int64_t stages() const;
  // The base grid: the image size divided by 2^stages().
  int64_t base_height() const { return height() >> stages(); }
  int64_t base_width() const { return width() >> stages(); }
};

class DcganGenerator : public Module {
 public:
  DcganGenerator(const DcganConfig& config, Rng& rng);
  // z: [N, nz] or [N, nz, 1, 1] -> images [N, C, H, W] in [-1, 1]
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
  // images [N, C, H, W] -> logits [N, 1]
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
