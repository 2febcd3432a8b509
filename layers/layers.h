// The layers GANs are built from: thin modules over the ops in core/ops.h.
// Default initialisation follows PyTorch (uniform in +-1/sqrt(fan_in)); the
// DCGAN scheme is applied on top by models/ (see layers/init.h).
#pragma once

#include "core/ops.h"
#include "core/random.h"
#include "layers/module.h"

namespace gan {

class Linear : public Module {
 public:
  Linear(int64_t in_features, int64_t out_features, Generator& gen, bool bias = true);
  Tensor forward(const Tensor& x) override { return linear(x, weight, bias); }
  Tensor weight, bias;  // [out, in], [out]
};

class Conv2d : public Module {
 public:
  Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel, Generator& gen, int64_t stride = 1,
         int64_t pad = 0, bool bias = true);
  Tensor forward(const Tensor& x) override { return conv2d(x, weight, bias, stride, pad); }
  Tensor weight, bias;  // [out, in, k, k], [out]
  int64_t stride, pad;
};

class ConvTranspose2d : public Module {
 public:
  ConvTranspose2d(int64_t in_channels, int64_t out_channels, int64_t kernel, Generator& gen, int64_t stride = 1,
                  int64_t pad = 0, int64_t output_padding = 0, bool bias = true);
  Tensor forward(const Tensor& x) override {
    return conv_transpose2d(x, weight, bias, stride, pad, output_padding);
  }
  Tensor weight, bias;  // [in, out, k, k], [out]
  int64_t stride, pad, output_padding;
};

class BatchNorm2d : public Module {
 public:
  explicit BatchNorm2d(int64_t channels, double momentum = 0.1, double eps = 1e-5);
  Tensor forward(const Tensor& x) override {
    return batch_norm2d(x, weight, bias, running_mean, running_var, is_training(), momentum, eps);
  }
  Tensor weight, bias;               // gamma (1), beta (0)
  Tensor running_mean, running_var;  // buffers
  double momentum, eps;
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
