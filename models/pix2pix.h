// pix2pix's generator (Isola, Zhu, Zhou, Efros, "Image-to-Image Translation
// with Conditional Adversarial Networks", CVPR 2017): a U-Net (Ronneberger et
// al., 2015) whose encoder halves the image num_downs times down to 1x1, and
// whose decoder mirrors it, each decoder stage concatenating the encoder
// features of the same size (the skip connections). Its discriminator is the
// PatchGAN of models/cyclegan.h with in_channels = input + output channels.
//
// UnetGenerator, image [N, in, H, W] -> image [N, out, H, W] in [-1, 1], for H
// and W multiples of 2^num_downs (num_downs = 8 for 256x256, 7 for 128, 6 for
// 64, making the bottleneck 1x1). With the encoder channels e_i (ngf, 2ngf,
// 4ngf, 8ngf, 8ngf, ...), the network is nested blocks, outermost first:
//   outermost: Conv 4x4 s2 p1 in->ngf, [inner blocks], ReLU, ConvTranspose
//              4x4 s2 p1 (2*ngf)->out, Tanh                        (no skip)
//   middle:    LeakyReLU 0.2, Conv 4x4 s2 p1 e_i->e_{i+1}, norm, [inner],
//              ReLU, ConvTranspose 4x4 s2 p1 (2*e_{i+1})->e_i, norm,
//              [Dropout 0.5 on the num_downs - 5 blocks around the innermost]
//              output: concat(skip copy, that result) along channels
//   innermost: LeakyReLU 0.2, Conv 4x4 s2 p1 (to 1x1, no norm), ReLU,
//              ConvTranspose 4x4 s2 p1, norm; output concatenated likewise
// The skip copy: what the reference implementations (the authors' Lua Torch
// and PyTorch code) concatenate is the block input *after* the encoder's
// LeakyReLU, because that ReLU runs in place on the tensor the skip refers to.
// This U-Net does the same, explicitly: a = LeakyReLU(x), output concat(a, up(...)).
// The dropout is the generator's only noise (the paper drops the z input):
// it is applied in training mode. The paper keeps it at test time too; to do
// that, keep the model in training mode when sampling; eval() makes the
// generator deterministic.
// Normalisation: batch norm by default (the paper's; with batch size 1 it
// normalises each image on its own), or instance norm. Conv biases and
// initialisation as in models/cyclegan.h (bias only before instance norm, and on
// the outermost transposed conv; dcgan_init for the papers' N(0, 0.02) weights).
#pragma once

#include <memory>

#include "core/random.h"
#include "layers/layers.h"
#include "layers/module.h"

namespace gan {

struct UnetGeneratorConfig {
  int64_t in_channels = 3;
  int64_t out_channels = 3;
  int64_t num_downs = 8;  // 8 for 256x256, 7 for 128x128, 6 for 64x64; at least 5
  int64_t ngf = 64;
  bool use_dropout = true;
  Norm norm = Norm::Batch;
  void validate() const;
  // The image sizes the net accepts are multiples of this (2^num_downs).
  int64_t size_multiple() const { return int64_t{1} << num_downs; }
};

// One level of the U-Net: down, the inner levels, up, then (except for the
// outermost) the skip concatenation [LeakyReLU(input), up(...)] along channels.
class UnetBlock : public Module {
 public:
  enum class Kind { Outermost, Middle, Innermost };
  // outer_channels: the block's input channels (the outermost block reads
  // config.in_channels instead) and its up path's output channels, before the
  // skip concatenation; inner_channels: what its down conv produces. `noise`
  // feeds the dropout layer, if any.
  UnetBlock(Kind kind, int64_t outer_channels, int64_t inner_channels, std::shared_ptr<UnetBlock> inner,
            const UnetGeneratorConfig& config, bool dropout, const std::shared_ptr<Rng>& noise, Rng& rng);
  Tensor forward(const Tensor& x) override;
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
  std::shared_ptr<Sequential> down_, up_;
  std::shared_ptr<UnetBlock> inner_;
};

class UnetGenerator : public Module {
 public:
  UnetGenerator(const UnetGeneratorConfig& config, Rng& rng);
  // [N, in, H, W] -> [N, out, H, W] (ShapeError unless H, W are multiples of 2^num_downs)
  Tensor forward(const Tensor& x) override;
  // The dropout masks' random stream (seeded from the construction generator):
  // checkpoint and restore its (seed, counter) to reproduce a run exactly.
  Rng& dropout_generator() { return *noise_; }
  const UnetGeneratorConfig config;

 private:
  std::shared_ptr<Rng> noise_;
  std::shared_ptr<UnetBlock> root_;
};

}  // namespace gan
