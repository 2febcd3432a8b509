// The layers GANs are built from: thin modules over the ops in core/ops.h.
// Default initialisation follows PyTorch (uniform in +-1/sqrt(fan_in)); the
// DCGAN scheme is applied on top by models/ (see layers/init.h).
#pragma once

#include <memory>

#include "core/ops.h"
#include "core/random.h"
#include "layers/module.h"

namespace gan {

// The layers with a weight matrix. With spectral norm on (layers/spectral_norm.h)
// they compute with weight / sigma(weight); `weight` stays the trained
// parameter and effective_weight() is what the layer uses.
class WeightedLayer : public Module {
 public:
  void enable_spectral_norm(Rng& rng) { sn_ = register_spectral_norm(weight, rng); }
  // Replaces weight by W / sigma with the current u, v (what an eval forward
  // uses) and turns spectral norm off: the layer then computes the same
  // outputs in eval mode with a plain weight (for export).
  void fold_spectral_norm();
  bool spectral_norm() const { return sn_ != nullptr; }
  Tensor effective_weight();
  Tensor weight, bias;

 private:
  std::shared_ptr<SpectralNorm> sn_;
};

class Linear : public WeightedLayer {
 public:
  Linear(int64_t in_features, int64_t out_features, Rng& rng, bool bias = true);
  Tensor forward(const Tensor& x) override { return linear(x, effective_weight(), bias); }
  // weight [out, in], bias [out]
};

class Conv2d : public WeightedLayer {
 public:
  Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel, Rng& rng, int64_t stride = 1,
         int64_t pad = 0, bool bias = true);
  // A kernel_h x kernel_w kernel (DCGAN's last D layer over a rectangular grid).
  Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel_h, int64_t kernel_w, Rng& rng, int64_t stride = 1,
         int64_t pad = 0, bool bias = true);
  Tensor forward(const Tensor& x) override { return conv2d(x, effective_weight(), bias, stride, pad); }
  // weight [out, in, kh, kw], bias [out]
  int64_t stride, pad;
};

class ConvTranspose2d : public WeightedLayer {
 public:
  ConvTranspose2d(int64_t in_channels, int64_t out_channels, int64_t kernel, Rng& rng, int64_t stride = 1,
                  int64_t pad = 0, int64_t output_padding = 0, bool bias = true);
  // A kernel_h x kernel_w kernel (DCGAN's first G layer onto a rectangular grid).
  ConvTranspose2d(int64_t in_channels, int64_t out_channels, int64_t kernel_h, int64_t kernel_w, Rng& rng,
                  int64_t stride = 1, int64_t pad = 0, int64_t output_padding = 0, bool bias = true);
  Tensor forward(const Tensor& x) override {
    return conv_transpose2d(x, effective_weight(), bias, stride, pad, output_padding);
  }
  // weight [in, out, kh, kw], bias [out]
  int64_t stride, pad, output_padding;
};

// Turns spectral norm on in every Linear, Conv2d and ConvTranspose2d of m
// (recursively); returns how many layers it reached.
int64_t apply_spectral_norm(Module& m, Rng& rng);
// fold_spectral_norm in every such layer of m that has it; returns how many.
int64_t fold_spectral_norm(Module& m);

class BatchNorm2d : public Module {
 public:
  explicit BatchNorm2d(int64_t channels, double momentum = 0.1, double eps = 1e-5);
  // In training mode with --sync-bn across ranks (core/distributed.h), the
  // statistics are those of the whole global batch: the per-channel sum, then
  // the centred sum of squares, each all-reduced by a differentiable op, so
  // that backward all-reduces the gradient sums too. Otherwise this rank's batch.
  Tensor forward(const Tensor& x) override;
  Tensor weight, bias;               // gamma (1), beta (0)
  Tensor running_mean, running_var;  // buffers
  double momentum, eps;
};

// Per-(n, c)-plane normalisation (instance_norm2d). affine = false (CycleGAN's
// setting) has no parameters; affine = true learns gamma (1) and beta (0) [C].
class InstanceNorm2d : public Module {
 public:
  explicit InstanceNorm2d(int64_t channels, bool affine = false, double eps = 1e-5);
  Tensor forward(const Tensor& x) override;
  Tensor weight, bias;  // gamma, beta; undefined without affine
  int64_t channels;
  double eps;
};

// The normalisation layer after a convolution in the image-to-image models.
enum class Norm { Batch, Instance };
// BatchNorm2d(channels), or InstanceNorm2d(channels) without affine parameters.
std::shared_ptr<Module> make_norm2d(Norm norm, int64_t channels);

class ReflectionPad2d : public Module {
 public:
  explicit ReflectionPad2d(int64_t pad);
  Tensor forward(const Tensor& x) override { return reflection_pad2d(x, pad); }
  int64_t pad;
};

// Inverted dropout with probability p while training, the identity in eval
// mode. The masks come from a Rng shared with the model that owns the
// layer, so a model's dropout noise is one checkpointable (seed, counter) state.
class Dropout : public Module {
 public:
  Dropout(double p, std::shared_ptr<Rng> rng);
  Tensor forward(const Tensor& x) override { return dropout(x, p, is_training(), *rng_); }
  double p;

 private:
  std::shared_ptr<Rng> rng_;
};

class ReLU : public Module {
 public:
  Tensor forward(const Tensor& x) override { return relu(x); }
};
class LeakyReLU : public Module {
 public:
  explicit LeakyReLU(double negative_slope = 0.2) : slope(negative_slope) {}
  Tensor forward(const Tensor& x) override { return leaky_relu(x, slope); }
  double slope;
};
class Tanh : public Module {
 public:
  Tensor forward(const Tensor& x) override { return tanh(x); }
};
class Sigmoid : public Module {
 public:
  Tensor forward(const Tensor& x) override { return sigmoid(x); }
};
// [N, ...] -> [N, prod(...)]
class Flatten : public Module {
 public:
  Tensor forward(const Tensor& x) override { return x.flatten(1); }
};
// [N, ...] -> [N, shape...]
class Reshape : public Module {
 public:
  explicit Reshape(Shape target) : shape(std::move(target)) {}
  Tensor forward(const Tensor& x) override;
  Shape shape;
};

}  // namespace gan
