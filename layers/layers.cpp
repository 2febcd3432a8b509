#include "layers/layers.h"

#include <cmath>

namespace gan {

namespace {
// PyTorch's default for linear and conv layers: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
Tensor uniform_fan_in(const Shape& shape, int64_t fan_in, Generator& gen) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  return Tensor::rand(shape, gen, DType::F32, Device::cpu(), -bound, bound);
}
}  // namespace

Linear::Linear(int64_t in_features, int64_t out_features, Generator& gen, bool with_bias) {
  weight = register_parameter("weight", uniform_fan_in({out_features, in_features}, in_features, gen));
  if (with_bias) bias = register_parameter("bias", uniform_fan_in({out_features}, in_features, gen));
}

Conv2d::Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel, Generator& gen, int64_t stride_,
               int64_t pad_, bool with_bias)
    : stride(stride_), pad(pad_) {
  const int64_t fan_in = in_channels * kernel * kernel;
  weight = register_parameter("weight", uniform_fan_in({out_channels, in_channels, kernel, kernel}, fan_in, gen));
  if (with_bias) bias = register_parameter("bias", uniform_fan_in({out_channels}, fan_in, gen));
}

ConvTranspose2d::ConvTranspose2d(int64_t in_channels, int64_t out_channels, int64_t kernel, Generator& gen,
                                 int64_t stride_, int64_t pad_, int64_t output_padding_, bool with_bias)
    : stride(stride_), pad(pad_), output_padding(output_padding_) {
  // PyTorch computes fan_in from weight dim 1 for transposed convolutions.
  const int64_t fan_in = out_channels * kernel * kernel;
  weight = register_parameter("weight", uniform_fan_in({in_channels, out_channels, kernel, kernel}, fan_in, gen));
  if (with_bias) bias = register_parameter("bias", uniform_fan_in({out_channels}, fan_in, gen));
}

BatchNorm2d::BatchNorm2d(int64_t channels, double momentum_, double eps_) : momentum(momentum_), eps(eps_) {
  weight = register_parameter("weight", Tensor::ones({channels}));
  bias = register_parameter("bias", Tensor::zeros({channels}));
  running_mean = register_buffer("running_mean", Tensor::zeros({channels}));
  running_var = register_buffer("running_var", Tensor::ones({channels}));
}

Tensor Reshape::forward(const Tensor& x) {
  Shape s{x.shape()[0]};
  s.insert(s.end(), shape.begin(), shape.end());
  return x.reshape(s);
}

}  // namespace gan
