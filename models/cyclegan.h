// CycleGAN's networks (Zhu, Park, Isola, Efros, "Unpaired Image-to-Image
// Translation using Cycle-Consistent Adversarial Networks", ICCV 2017; the
// generator follows Johnson, Alahi, Fei-Fei, "Perceptual Losses for Real-Time
// Style Transfer and Super-Resolution", ECCV 2016). pix2pix (models/pix2pix.h)
// uses the same PatchGAN discriminator.
//
// ResnetGenerator, image [N, in, H, W] -> image [N, out, H, W] in [-1, 1]
// (H, W multiples of 4, at least 8):
//   ReflectionPad 3, Conv 7x7 in->ngf, norm, ReLU                    ("c7s1-64")
//   2 x [Conv 3x3 stride 2 pad 1 (channels double), norm, ReLU]      ("d128, d256")
//   n_blocks x ResnetBlock(4*ngf)                                    ("R256" x 6 or 9)
//   2 x [ConvTranspose 3x3 stride 2 pad 1 output_padding 1 (channels halve), norm, ReLU]
//   ReflectionPad 3, Conv 7x7 ngf->out, Tanh                         ("c7s1-3")
// The paper uses 6 blocks for 128x128 images and 9 for 256x256 and larger.
//
// PatchDiscriminator, the "70x70 PatchGAN" (Isola et al., 2017): image
// [N, in, H, W] -> a grid of logits [N, 1, H', W'], each judging one 70x70
// patch (for n_layers = 3; 256x256 gives 30x30, 128 gives 14x14, 64 gives 6x6):
//   Conv 4x4 s2 p1 in->ndf, LeakyReLU 0.2                            (no norm)
//   n_layers-1 x [Conv 4x4 s2 p1 (channels double, at most 8*ndf), norm, LeakyReLU 0.2]
//   Conv 4x4 s1 p1 (channels double, at most 8*ndf), norm, LeakyReLU 0.2
//   Conv 4x4 s1 p1 -> 1 channel                                       (logits, no sigmoid)
//
// Conv biases: a convolution followed by instance norm gets a bias, one
// followed by batch norm does not; the first and last discriminator convs and
// the generator's last conv always have one. This is what the reference
// implementation does, so the parameter counts (and state dicts) match it. A
// bias directly before a normalisation is mathematically redundant (the plane
// or batch mean removes it, so its gradient is zero up to rounding); with
// instance norm without affine parameters it is kept only for that
// compatibility, and it does not change the network's function.
// Normalisation: instance norm without affine parameters by default (the
// CycleGAN setting); Norm::Batch gives the pix2pix-style variant.
// Initialisation: the layers start with PyTorch's defaults; both papers then
// draw every conv weight from N(0, 0.02) with zero biases (batch-norm gamma from
// N(1, 0.02)), which is DCGAN's scheme: call dcgan_init(model, rng)
// (layers/init.h) after construction, as for the DCGAN models.
#pragma once

#include <memory>

#include "core/random.h"
#include "layers/layers.h"
#include "layers/module.h"

namespace gan {

// x + body(x), body = [ReflectionPad 1, Conv 3x3, norm, ReLU, ReflectionPad 1, Conv 3x3, norm].
class ResnetBlock : public Module {
 public:
  ResnetBlock(int64_t channels, Norm norm, Rng& rng);
  Tensor forward(const Tensor& x) override;

 private:
  std::shared_ptr<Sequential> body_;
};

struct ResnetGeneratorConfig {
  int64_t in_channels = 3;
  int64_t out_channels = 3;
  int64_t ngf = 64;      // channels after the first layer
  int64_t n_blocks = 9;  // 6 for 128x128 images, 9 for 256x256
  Norm norm = Norm::Instance;
  // Throws ValueError naming the bad field.
  void validate() const;
};

class ResnetGenerator : public Module {
 public:
  ResnetGenerator(const ResnetGeneratorConfig& config, Rng& rng);
  // [N, in, H, W] -> [N, out, H, W] (ShapeError unless H, W are multiples of 4, >= 8)
  Tensor forward(const Tensor& x) override;
  const ResnetGeneratorConfig config;

 private:
  std::shared_ptr<Sequential> net_;
};

struct PatchDiscriminatorConfig {
  int64_t in_channels = 3;  // 6 for pix2pix's conditional D (input and output images concatenated)
  int64_t ndf = 64;
  int64_t n_layers = 3;  // 3: 70x70 patches
  Norm norm = Norm::Instance;
  void validate() const;
};

class PatchDiscriminator : public Module {
 public:
  PatchDiscriminator(const PatchDiscriminatorConfig& config, Rng& rng);
  // [N, in, H, W] -> logits [N, 1, H', W']
  Tensor forward(const Tensor& x) override;
  const PatchDiscriminatorConfig config;

 private:
  std::shared_ptr<Sequential> net_;
};

}  // namespace gan
