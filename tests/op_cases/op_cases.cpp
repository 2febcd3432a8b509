#include "tests/op_cases/op_cases.h"

#include <cmath>
#include <sstream>

#include "core/error.h"
#include "core/ops.h"

namespace gan::op_cases {

namespace {

using Ts = std::vector<Tensor>;
constexpr unsigned kGP = kGradcheck | kParity;
constexpr unsigned kGPS = kGradcheck | kParity | kSimulator;
constexpr unsigned kPS = kParity | kSimulator;
constexpr unsigned kPB = kParity | kBench;

// Parity bounds (float32, ||cuda - cpu|| / ||cpu||): one rounding per element
// for elementwise ops; long float sums (reductions, norms, convolutions,
// matmul) are summed in another order on the GPU.
constexpr double kTolElementwise = 1e-5;
constexpr double kTolReduction = 1e-4;

Input in(Shape shape, Dist dist = Dist::Normal, Layout layout = Layout::Contiguous) {
  return Input{std::move(shape), dist, true, layout};
}
Input constant(Shape shape, Dist dist) { return Input{std::move(shape), dist, false, Layout::Contiguous}; }

std::string conv_name(const ConvShape& s) {
  std::ostringstream os;
  os << "N" << s.N << "_C" << s.C << "_" << s.H << "x" << s.W << "_K" << s.K << "_k" << s.R << "x" << s.S << "_s"
     << s.stride << "_p" << s.pad;
  if (s.output_padding) os << "_op" << s.output_padding;
  if (s.bias) os << "_bias";
  return os.str();
}

OpCase conv2d_case(const std::string& name, const ConvShape& s, unsigned uses) {
  OpCase c;
  c.family = "conv";
  c.name = "conv2d_" + name;
  c.inputs = {in({s.N, s.C, s.H, s.W}), in({s.K, s.C, s.R, s.S})};
  if (s.bias) c.inputs.push_back(in({s.K}));
  const int64_t stride = s.stride, pad = s.pad;
  c.run = [stride, pad](const Ts& t) { return conv2d(t[0], t[1], t.size() > 2 ? t[2] : Tensor(), stride, pad); };
  c.uses = uses;
  c.tolerance = kTolReduction;
  const int64_t P = (s.H + 2 * s.pad - s.R) / s.stride + 1, Q = (s.W + 2 * s.pad - s.S) / s.stride + 1;
  c.flops = 2.0 * static_cast<double>(s.N * s.K * P * Q * s.C * s.R * s.S);
  return c;
}

OpCase conv_transpose2d_case(const std::string& name, const ConvShape& s, unsigned uses) {
  OpCase c;
  c.family = "conv";
  c.name = "conv_transpose2d_" + name;
  c.inputs = {in({s.N, s.C, s.H, s.W}), in({s.C, s.K, s.R, s.S})};
  if (s.bias) c.inputs.push_back(in({s.K}));
  const int64_t stride = s.stride, pad = s.pad, op = s.output_padding;
  c.run = [stride, pad, op](const Ts& t) {
    return conv_transpose2d(t[0], t[1], t.size() > 2 ? t[2] : Tensor(), stride, pad, op);
  };
  c.uses = uses;
  c.tolerance = kTolReduction;
  c.flops = 2.0 * static_cast<double>(s.N * s.C * s.H * s.W * s.K * s.R * s.S);
  return c;
}

ConvShape layer_shape(const ConvLayer& l, int64_t batch) {
  return ConvShape{batch, l.in_channels, l.in_size, l.in_size, l.out_channels, l.kernel, l.kernel, l.stride,
                   l.pad, 0, false};
}

void add_elementwise(std::vector<OpCase>& v) {
  const auto bin = [&](std::string name, Input a, Input b, std::function<Tensor(const Ts&)> f, unsigned uses) {
    v.push_back({"elementwise", std::move(name), {std::move(a), std::move(b)}, std::move(f), uses, kTolElementwise});
  };
  bin("add_same_shape", in({3, 4}), in({3, 4}), [](const Ts& t) { return add(t[0], t[1]); }, kGPS);
  bin("add_broadcast", in({2, 3, 4}), in({3, 1}), [](const Ts& t) { return add(t[0], t[1]); }, kGPS);
  bin("sub_broadcast_both", in({4, 1, 5}), in({1, 3, 1}), [](const Ts& t) { return sub(t[0], t[1]); }, kGP);
  bin("mul_channel_bias", in({2, 3, 4, 5}), in({1, 3, 1, 1}), [](const Ts& t) { return mul(t[0], t[1]); }, kGPS);
  bin("div_positive_divisor", in({3, 5}), in({3, 5}, Dist::Positive), [](const Ts& t) { return div(t[0], t[1]); },
      kGPS);
  bin("mul_transposed_view", in({4, 6}, Dist::Normal, Layout::Transposed), in({4, 6}),
      [](const Ts& t) { return mul(t[0], t[1]); }, kGPS);
  bin("add_sliced_view", in({3, 5}, Dist::Normal, Layout::Sliced), in({3, 5}, Dist::Normal, Layout::Transposed),
      [](const Ts& t) { return add(t[0], t[1]); }, kGP);
  bin("add_empty", in({0, 3}), in({1, 3}), [](const Ts& t) { return add(t[0], t[1]); }, kGP);
  bin("add_dcgan_channel_bias", in({64, 128, 16, 16}), in({1, 128, 1, 1}),
      [](const Ts& t) { return add(t[0], t[1]); }, kPB);

  const auto un = [&](std::string name, Input a, std::function<Tensor(const Ts&)> f, unsigned uses) {
    v.push_back({"elementwise", std::move(name), {std::move(a)}, std::move(f), uses, kTolElementwise});
  };
  un("add_scalar", in({3, 4}), [](const Ts& t) { return add(t[0], 1.5); }, kGP);
  un("rsub_scalar", in({3, 4}), [](const Ts& t) { return rsub(2.0, t[0]); }, kGP);
  un("mul_scalar", in({3, 4}), [](const Ts& t) { return mul(t[0], -0.75); }, kGPS);
  un("rdiv_scalar", in({3, 4}, Dist::Positive), [](const Ts& t) { return rdiv(3.0, t[0]); }, kGPS);
  un("neg", in({2, 7}), [](const Ts& t) { return neg(t[0]); }, kGP);
  un("exp", in({2, 7}), [](const Ts& t) { return exp(t[0]); }, kGPS);
  un("log", in({2, 7}, Dist::Positive), [](const Ts& t) { return log(t[0]); }, kGPS);
  un("sqrt", in({2, 7}, Dist::Positive), [](const Ts& t) { return sqrt(t[0]); }, kGP);
  un("abs", in({2, 7}, Dist::AwayFromZero), [](const Ts& t) { return abs(t[0]); }, kGP);
  un("square", in({2, 7}), [](const Ts& t) { return square(t[0]); }, kGP);
  un("exp_transposed_view", in({5, 3}, Dist::Normal, Layout::Transposed), [](const Ts& t) { return exp(t[0]); },
     kGP);
}

void add_activations(std::vector<OpCase>& v) {
  const auto act = [&](std::string name, Input a, std::function<Tensor(const Ts&)> f, unsigned uses) {
    v.push_back({"activation", std::move(name), {std::move(a)}, std::move(f), uses, kTolElementwise});
  };
  act("relu", in({2, 3, 4, 5}, Dist::AwayFromZero), [](const Ts& t) { return relu(t[0]); }, kGPS);
  act("leaky_relu", in({2, 3, 4, 5}, Dist::AwayFromZero), [](const Ts& t) { return leaky_relu(t[0], 0.2); }, kGPS);
  act("tanh", in({2, 3, 4, 5}), [](const Ts& t) { return tanh(t[0]); }, kGPS);
  act("sigmoid", in({2, 3, 4, 5}), [](const Ts& t) { return sigmoid(t[0]); }, kGPS);
  act("sigmoid_large_logits", in({4, 25}, Dist::LargeLogits), [](const Ts& t) { return sigmoid(t[0]); }, kPS);
  act("tanh_large_logits", in({4, 25}, Dist::LargeLogits), [](const Ts& t) { return tanh(t[0]); }, kPS);
  act("leaky_relu_sliced_view", in({3, 6}, Dist::AwayFromZero, Layout::Sliced),
      [](const Ts& t) { return leaky_relu(t[0], 0.1); }, kGP);
  act("leaky_relu_dcgan_D2", in({64, 128, 16, 16}), [](const Ts& t) { return leaky_relu(t[0], 0.2); }, kPB);
  act("tanh_dcgan_output", in({64, 3, 64, 64}), [](const Ts& t) { return tanh(t[0]); }, kPB);
}

void add_reductions(std::vector<OpCase>& v) {
  const auto red = [&](std::string name, Input a, std::function<Tensor(const Ts&)> f, unsigned uses) {
    v.push_back({"reduce", std::move(name), {std::move(a)}, std::move(f), uses, kTolReduction});
  };
  red("sum_all", in({3, 4, 5}), [](const Ts& t) { return sum(t[0]); }, kGPS);
  red("mean_all", in({7, 3}), [](const Ts& t) { return mean(t[0]); }, kGP);
  red("sum_dims_keepdim", in({2, 3, 4, 5}), [](const Ts& t) { return sum(t[0], {0, 2, 3}, true); }, kGPS);
  red("mean_dim_squeezed", in({4, 6}), [](const Ts& t) { return mean(t[0], {1}); }, kGP);
  red("sum_transposed_view", in({5, 4}, Dist::Normal, Layout::Transposed),
      [](const Ts& t) { return sum(t[0], {0}); }, kGP);
  red("expand", in({3, 1}), [](const Ts& t) { return expand(t[0], {2, 3, 4}); }, kGPS);
  red("sum_empty", in({0, 4}), [](const Ts& t) { return sum(t[0], {0}); }, kGP);
  red("sum_dcgan_channels", in({64, 128, 16, 16}), [](const Ts& t) { return sum(t[0], {0, 2, 3}); }, kPB);
  v.push_back({"elementwise", "concat_channels", {in({2, 3, 4, 4}), in({2, 5, 4, 4})},
               [](const Ts& t) { return concat({t[0], t[1]}, 1); }, kGPS, kTolElementwise});
  v.push_back({"elementwise", "concat_rows_views", {in({3, 4}, Dist::Normal, Layout::Transposed), in({2, 4})},
               [](const Ts& t) { return concat({t[0], t[1]}, 0); }, kGP, kTolElementwise});
}

void add_matmul(std::vector<OpCase>& v) {
  const auto mm = [&](std::string name, std::vector<Input> ins, std::function<Tensor(const Ts&)> f, unsigned uses,
                      double flops) {
    v.push_back({"matmul", std::move(name), std::move(ins), std::move(f), uses, kTolReduction});
    v.back().flops = flops;  // by name: positionally it would land in float32_tolerance
  };
  const auto matmul_fn = [](const Ts& t) { return matmul(t[0], t[1]); };
  mm("matmul_small", {in({5, 7}), in({7, 3})}, matmul_fn, kGPS, 2.0 * 5 * 7 * 3);
  mm("matmul_transposed_operands", {in({5, 7}, Dist::Normal, Layout::Transposed),
                                    in({7, 3}, Dist::Normal, Layout::Transposed)},
     matmul_fn, kGPS, 2.0 * 5 * 7 * 3);
  mm("matmul_row_vector", {in({1, 9}), in({9, 4})}, matmul_fn, kGP, 2.0 * 9 * 4);
  mm("matmul_empty_k", {in({3, 0}), in({0, 4})}, matmul_fn, kGP, 0);
  mm("matmul_odd_tiles", {in({33, 65}), in({65, 17})}, matmul_fn, kPS, 2.0 * 33 * 65 * 17);
  mm("linear_with_bias", {in({4, 6}), in({3, 6}), in({3})}, [](const Ts& t) { return linear(t[0], t[1], t[2]); },
     kGPS, 2.0 * 4 * 6 * 3);
  mm("linear_classifier_hidden", {in({256, 784}), in({1024, 784}), in({1024})},
     [](const Ts& t) { return linear(t[0], t[1], t[2]); }, kPB, 2.0 * 256 * 784 * 1024);
  mm("matmul_square_512", {in({512, 512}), in({512, 512})}, matmul_fn, kPB, 2.0 * 512 * 512 * 512);
}

void add_convolutions(std::vector<OpCase>& v) {
  for (const ConvShape& s : conv2d_edge_shapes()) v.push_back(conv2d_case(conv_name(s), s, kGP));
  for (const ConvShape& s : conv_transpose2d_edge_shapes()) v.push_back(conv_transpose2d_case(conv_name(s), s, kGP));
  // The cases the CPU-side kernel tests do not cover, and the simulator's subset.
  v.push_back(conv2d_case("batch0", {0, 3, 6, 6, 4, 3, 3, 1, 1, 0, true}, kGP));
  v.push_back(conv_transpose2d_case("batch0", {0, 3, 4, 4, 2, 4, 4, 2, 1, 0, true}, kGP));
  v.push_back(conv2d_case("sim_3x3_same", {2, 3, 6, 5, 4, 3, 3, 1, 1, 0, true}, kPS));
  v.push_back(conv2d_case("sim_dcgan_downsample", {2, 3, 8, 8, 4, 4, 4, 2, 1, 0, false}, kPS));
  v.push_back(conv2d_case("sim_stride3_even_kernel", {1, 2, 7, 8, 3, 2, 2, 3, 0, 0, true}, kPS));
  v.push_back(conv2d_case("sim_fully_connected", {3, 4, 4, 4, 1, 4, 4, 1, 0, 0, false}, kPS));
  v.push_back(conv_transpose2d_case("sim_dcgan_upsample", {2, 4, 3, 3, 3, 4, 4, 2, 1, 0, true}, kPS));
  v.push_back(conv_transpose2d_case("sim_from_1x1", {2, 5, 1, 1, 3, 4, 4, 1, 0, 0, false}, kPS));
  v.push_back(conv_transpose2d_case("sim_stride3_output_padding", {1, 2, 3, 2, 2, 3, 3, 3, 1, 2, true}, kPS));
  for (const ConvLayer& l : dcgan64_conv_layers()) {
    const ConvShape s = layer_shape(l, 64);
    v.push_back(l.transposed ? conv_transpose2d_case(l.name + "_b64", s, kPB) : conv2d_case(l.name + "_b64", s, kPB));
  }
  for (const ConvLayer& l : dcgan28_conv_layers()) {
    const ConvShape s = layer_shape(l, 64);
    v.push_back(l.transposed ? conv_transpose2d_case(l.name + "_b64", s, kPB) : conv2d_case(l.name + "_b64", s, kPB));
  }
}

// batch_norm2d in training mode with running statistics owned by the case
// (fresh each run, on the input's device), or in eval mode with fixed ones.
Tensor batch_norm_train(const Ts& t) {
  const int64_t C = t[0].shape()[1];
  const Tensor rm = Tensor::zeros({C}, t[0].dtype(), t[0].device());
  const Tensor rv = Tensor::ones({C}, t[0].dtype(), t[0].device());
  return batch_norm2d(t[0], t[1], t[2], rm, rv, true);
}

Tensor batch_norm_eval(const Ts& t) {
  const int64_t C = t[0].shape()[1];
  const Tensor rm = Tensor::full({C}, 0.25, t[0].dtype(), t[0].device());
  const Tensor rv = Tensor::full({C}, 1.5, t[0].dtype(), t[0].device());
  return batch_norm2d(t[0], t[1], t[2], rm, rv, false);
}

void add_norms(std::vector<OpCase>& v) {
  const auto bn = [&](std::string name, Shape x, Dist dist, bool train, unsigned uses) {
    const int64_t C = x[1];
    v.push_back({"batch_norm2d", std::move(name), {in(std::move(x), dist), in({C}), in({C})},
                 train ? batch_norm_train : batch_norm_eval, uses, kTolReduction});
  };
  bn("train", {2, 3, 4, 5}, Dist::Normal, true, kGPS);
  bn("eval", {2, 3, 4, 5}, Dist::Normal, false, kGP);
  bn("train_two_values_per_channel", {1, 1, 1, 2}, Dist::Normal, true, kGPS);
  // With two values per channel xhat is +-1 up to eps, and dx = gamma*invstd/m * (m*dy - sum dy -
  // xhat*sum dy*xhat) cancels to ~eps/var of dy: float32's rounding of the saved statistics alone
  // moves it by ~1e-2 relative, on either device, each rounding its own way (the CUDA parity test
  // holds CUDA to this bound against float64).
  v.back().float32_tolerance = 5e-2;
  bn("train_batch1_one_channel", {1, 1, 3, 5}, Dist::Normal, true, kGP);
  bn("train_large_mean", {4, 3, 5, 5}, Dist::Offset, true, kPS);
  bn("train_dcgan_channels_odd_plane", {3, 7, 5, 3}, Dist::Normal, true, kGP);
  for (const BatchNormShape& s : dcgan64_batch_norm_shapes()) {
    bn("dcgan64_" + s.name + "_b64", {64, s.channels, s.size, s.size}, Dist::Normal, true, kPB);
  }
  for (const BatchNormShape& s : dcgan28_batch_norm_shapes()) {
    bn("dcgan28_" + s.name + "_b64", {64, s.channels, s.size, s.size}, Dist::Normal, true, kPB);
  }

  const auto inorm = [&](std::string name, Shape x, Dist dist, bool affine, unsigned uses) {
    const int64_t C = x[1];
    std::vector<Input> ins = {in(std::move(x), dist)};
    if (affine) ins.insert(ins.end(), {in({C}), in({C})});
    v.push_back({"instance_norm2d", std::move(name), std::move(ins),
                 [affine](const Ts& t) {
                   return affine ? instance_norm2d(t[0], t[1], t[2]) : instance_norm2d(t[0], Tensor(), Tensor());
                 },
                 uses, kTolReduction});
  };
  inorm("affine", {2, 3, 4, 5}, Dist::Normal, true, kGPS);
  inorm("plain", {2, 3, 4, 5}, Dist::Normal, false, kGPS);
  inorm("plain_batch1_large_plane", {1, 2, 37, 41}, Dist::Normal, false, kParity);
  inorm("affine_large_mean", {2, 3, 6, 6}, Dist::Offset, true, kPS);
  inorm("cyclegan_resblock_b1", {1, 256, 64, 64}, Dist::Normal, false, kPB);

  const auto pad = [&](std::string name, Shape x, int64_t p, unsigned uses) {
    v.push_back({"reflection_pad2d", std::move(name), {in(std::move(x))},
                 [p](const Ts& t) { return reflection_pad2d(t[0], p); }, uses, kTolElementwise});
  };
  pad("pad1", {2, 3, 4, 5}, 1, kGPS);
  pad("pad3_non_square", {1, 2, 4, 7}, 3, kGPS);
  pad("pad3_cyclegan_input_b1", {1, 3, 256, 256}, 3, kPB);

  const auto drop = [&](std::string name, Shape x, double p, unsigned uses) {
    v.push_back({"dropout", std::move(name), {in(std::move(x))},
                 [p](const Ts& t) {
                   Rng rng(99);  // the same mask at every evaluation and on every device
                   return dropout(t[0], p, true, rng);
                 },
                 uses, kTolElementwise});
  };
  drop("p_half", {3, 4, 5}, 0.5, kGPS);
  drop("p_0_1_odd_count", {7, 11}, 0.1, kGP);
}

void add_losses(std::vector<OpCase>& v) {
  const auto loss = [&](std::string name, Input x, Input t, std::function<Tensor(const Ts&)> f, unsigned uses) {
    v.push_back({"loss", std::move(name), {std::move(x), std::move(t)}, std::move(f), uses, kTolReduction});
  };
  const auto bce_logits = [](const Ts& t) { return bce_with_logits(t[0], t[1]); };
  const auto bce = [](const Ts& t) { return bce_loss(t[0], t[1]); };
  loss("bce_with_logits_binary_targets", in({8, 1}), constant({8, 1}, Dist::BinaryTarget), bce_logits, kGPS);
  loss("bce_with_logits_soft_targets", in({4, 5}), constant({4, 5}, Dist::SoftTarget), bce_logits, kGP);
  loss("bce_with_logits_large_logits", in({16, 4}, Dist::LargeLogits), constant({16, 4}, Dist::BinaryTarget),
       bce_logits, kPS);
  loss("bce_probabilities_soft_targets", in({4, 5}, Dist::Probability), constant({4, 5}, Dist::SoftTarget), bce,
       kGPS);
  loss("bce_probabilities_exact_0_and_1", in({6, 6}, Dist::ProbabilityEdges), constant({6, 6}, Dist::BinaryTarget),
       bce, kPS);
  loss("bce_of_sigmoid_far_negative_logits", in({4, 6}, Dist::FarNegativeLogits), constant({4, 6}, Dist::SoftTarget),
       [](const Ts& t) { return bce_loss(sigmoid(t[0]), t[1]); }, kPS);
  loss("mse", in({3, 7}), in({3, 7}), [](const Ts& t) { return mse_loss(t[0], t[1]); }, kGPS);
  loss("l1", in({3, 7}, Dist::AwayFromZero), constant({3, 7}, Dist::Normal),
       [](const Ts& t) { return l1_loss(t[0], t[1]); }, kGPS);
  loss("bce_with_logits_patchgan_b1", in({1, 1, 30, 30}), constant({1, 1, 30, 30}, Dist::BinaryTarget), bce_logits,
       kPB);
}

std::vector<OpCase> build_cases() {
  std::vector<OpCase> v;
  add_elementwise(v);
  add_activations(v);
  add_reductions(v);
  add_matmul(v);
  add_convolutions(v);
  add_norms(v);
  add_losses(v);
  return v;
}

// Draws n values of `dist` in float64 (the same numbers for the same rng state).
std::vector<double> draw(Dist dist, int64_t n, Rng& rng) {
  std::vector<double> x(static_cast<size_t>(n));
  std::vector<double> u(static_cast<size_t>(n));
  rng.fill_uniform(u.data(), n, 0.0, 1.0);
  switch (dist) {
    case Dist::Normal: rng.fill_normal(x.data(), n, 0.0, 1.0); break;
    case Dist::Offset: rng.fill_normal(x.data(), n, 50.0, 1.0); break;
    case Dist::Positive:
      for (int64_t i = 0; i < n; ++i) x[i] = 0.5 + 1.5 * u[i];
      break;
    case Dist::AwayFromZero: {
      std::vector<double> sign(static_cast<size_t>(n));
      rng.fill_uniform(sign.data(), n, 0.0, 1.0);
      for (int64_t i = 0; i < n; ++i) x[i] = (sign[i] < 0.5 ? -1.0 : 1.0) * (0.1 + 0.9 * u[i]);
      break;
    }
    case Dist::Probability:
      for (int64_t i = 0; i < n; ++i) x[i] = 0.05 + 0.9 * u[i];
      break;
    case Dist::ProbabilityEdges:
      // Every third value exactly 0 or 1, the rest anywhere in [0, 1].
      for (int64_t i = 0; i < n; ++i) x[i] = i % 3 == 0 ? static_cast<double>((i / 3) % 2) : u[i];
      break;
    case Dist::BinaryTarget:
      for (int64_t i = 0; i < n; ++i) x[i] = u[i] < 0.5 ? 0.0 : 1.0;
      break;
    case Dist::SoftTarget: x = u; break;
    case Dist::LargeLogits:
      for (int64_t i = 0; i < n; ++i) x[i] = -100.0 + 200.0 * u[i];
      break;
    case Dist::FarNegativeLogits: {
      std::vector<double> normal(static_cast<size_t>(n));
      rng.fill_normal(normal.data(), n, 0.0, 1.0);
      for (int64_t i = 0; i < n; ++i) x[i] = i % 2 == 0 ? -103.0 + 11.0 * u[i] : normal[i];
      break;
    }
  }
  return x;
}

}  // namespace

const std::vector<OpCase>& all_cases() {
  static const std::vector<OpCase> cases = build_cases();
  return cases;
}

std::vector<OpCase> cases_for(Use use) {
  std::vector<OpCase> out;
  for (const OpCase& c : all_cases())
    if (c.has(use)) out.push_back(c);
  return out;
}

Tensor make_input(const Input& spec, Rng& rng, DType dtype, Device device) {
  // The stored array: the transpose of the shape, or rows wider by 2.
  Shape stored = spec.shape;
  const size_t r = stored.size();
  GAN_CHECK(spec.layout == Layout::Contiguous || r >= 2, ValueError, "op_cases: a ", shape_str(spec.shape),
            " input cannot be laid out as a view (needs two dimensions)");
  if (spec.layout == Layout::Transposed) std::swap(stored[r - 2], stored[r - 1]);
  if (spec.layout == Layout::Sliced) stored[r - 1] += 2;
  const Tensor base = Tensor::from_vector(draw(spec.dist, numel(stored), rng), stored, dtype, device);
  Tensor t = base;
  if (spec.layout == Layout::Transposed) t = base.transpose(static_cast<int64_t>(r) - 2, static_cast<int64_t>(r) - 1);
  if (spec.layout == Layout::Sliced) t = base.slice(static_cast<int64_t>(r) - 1, 1, spec.shape[r - 1] + 1);
  t.set_requires_grad(spec.requires_grad);
  return t;
}

double min_bytes(const OpCase& c, const Shape& output_shape) {
  double elements = static_cast<double>(numel(output_shape));
  for (const Input& i : c.inputs) elements += static_cast<double>(numel(i.shape));
  return 4.0 * elements;
}

// ---- shapes ----

// N, C, H, W, K, R, S, stride, pad, output_padding, bias
const std::vector<ConvShape>& conv2d_edge_shapes() {
  static const std::vector<ConvShape> shapes = {
      {2, 3, 9, 7, 5, 3, 3, 1, 1, 0, true},     // odd sizes, same padding
      {1, 1, 5, 5, 1, 1, 1, 1, 0, 0, false},    // C = K = 1, 1x1 kernel
      {2, 3, 16, 16, 8, 4, 4, 2, 1, 0, true},   // the DCGAN discriminator's first layer, shrunk
      {3, 6, 4, 4, 1, 4, 4, 1, 0, 0, true},     // its last (4x4 -> 1x1, K = 1): the dense scatter
      {2, 7, 14, 14, 9, 4, 4, 2, 1, 0, false},  // 28x28 discriminator, 14 -> 7
      {1, 2, 7, 7, 3, 7, 7, 1, 0, 0, true},     // its last, 7x7 kernel -> 1x1
      {2, 5, 7, 9, 4, 3, 2, 2, 0, 0, true},     // non-square kernel; the stride leaves the last row/col unused
      {1, 4, 6, 6, 3, 1, 1, 2, 0, 0, true},     // kernel smaller than the stride: scatter phases without taps
      {2, 2, 5, 5, 3, 3, 3, 3, 2, 0, false},    // stride 3, padding 2
      {1, 3, 3, 3, 130, 3, 3, 1, 1, 0, true},   // K = 130: two Large row tiles
      {1, 130, 3, 3, 4, 1, 1, 1, 0, 0, true},   // C = 130: the scatter's M
      {2, 3, 20, 20, 17, 5, 5, 1, 2, 0, true},  // 800 columns: several column tiles
      {2, 3, 1, 1, 4, 1, 1, 2, 0, 0, true},     // 1x1 input, stride 2: scatter phases without pixels
  };
  return shapes;
}

const std::vector<ConvShape>& conv_transpose2d_edge_shapes() {
  static const std::vector<ConvShape> shapes = {
      {2, 10, 1, 1, 8, 4, 4, 1, 0, 0, true},   // the DCGAN generator's first layer (1x1 -> 4x4): dense
      {2, 6, 4, 4, 5, 4, 4, 2, 1, 0, false},   // a middle layer, 4 -> 8
      {2, 4, 8, 8, 3, 4, 4, 2, 1, 0, true},    // the last (-> 3 channels): Thin
      {1, 5, 1, 1, 4, 7, 7, 1, 0, 0, true},    // 28x28 generator: 1x1 -> 7x7, dense
      {2, 4, 7, 7, 3, 4, 4, 2, 1, 0, false},   // 7 -> 14
      {2, 3, 5, 4, 2, 3, 3, 2, 1, 1, true},    // output_padding 1: a row and a column with the bias only
      {1, 3, 3, 5, 2, 3, 2, 3, 1, 2, true},    // stride 3, output_padding 2, non-square kernel
      {2, 3, 4, 4, 2, 1, 1, 2, 0, 1, true},    // kernel smaller than the stride: phases without taps
      {1, 2, 1, 1, 3, 4, 4, 2, 0, 1, true},    // 1x1 input but output_padding: not the dense case
      {1, 2, 1, 1, 3, 3, 3, 1, 1, 0, false},   // 1x1 input with padding: not the dense case
      {1, 140, 2, 2, 3, 3, 3, 1, 1, 0, true},  // C = 140: two Large row tiles in backward-data / weight
      {2, 2, 1, 1, 3, 1, 1, 2, 0, 0, false},   // 1x1 output, stride 2: forward phases without pixels
  };
  return shapes;
}

const std::vector<ConvLayer>& dcgan64_conv_layers() {
  static const std::vector<ConvLayer> layers = {
      {"G1_64px", true, 100, 512, 4, 1, 0, 1},  {"G2_64px", true, 512, 256, 4, 2, 1, 4},
      {"G3_64px", true, 256, 128, 4, 2, 1, 8},  {"G4_64px", true, 128, 64, 4, 2, 1, 16},
      {"G5_64px", true, 64, 3, 4, 2, 1, 32},    {"D1_64px", false, 3, 64, 4, 2, 1, 64},
      {"D2_64px", false, 64, 128, 4, 2, 1, 32}, {"D3_64px", false, 128, 256, 4, 2, 1, 16},
      {"D4_64px", false, 256, 512, 4, 2, 1, 8}, {"D5_64px", false, 512, 1, 4, 1, 0, 4},
  };
  return layers;
}

const std::vector<ConvLayer>& dcgan28_conv_layers() {
  static const std::vector<ConvLayer> layers = {
      {"G1_28px", true, 100, 128, 7, 1, 0, 1},  {"G2_28px", true, 128, 64, 4, 2, 1, 7},
      {"G3_28px", true, 64, 1, 4, 2, 1, 14},    {"D1_28px", false, 1, 64, 4, 2, 1, 28},
      {"D2_28px", false, 64, 128, 4, 2, 1, 14}, {"D3_28px", false, 128, 1, 7, 1, 0, 7},
  };
  return layers;
}

const ConvLayer& conv_layer(const std::string& name) {
  for (const auto* list : {&dcgan64_conv_layers(), &dcgan28_conv_layers()})
    for (const ConvLayer& l : *list)
      if (l.name == name) return l;
  throw ValueError(detail::concat("op_cases: no DCGAN layer named '", name, "' (see tests/op_cases/op_cases.cpp)"));
}

const std::vector<BatchNormShape>& dcgan64_batch_norm_shapes() {
  static const std::vector<BatchNormShape> shapes = {
      {"C512x4x4", "after G1, D4", 512, 4},
      {"C256x8x8", "after G2, D3", 256, 8},
      {"C128x16x16", "after G3, D2", 128, 16},
      {"C64x32x32", "after G4", 64, 32},
  };
  return shapes;
}

const std::vector<BatchNormShape>& dcgan28_batch_norm_shapes() {
  static const std::vector<BatchNormShape> shapes = {
      {"C128x7x7", "after G1, D2", 128, 7},
      {"C64x14x14", "after G2", 64, 14},
  };
  return shapes;
}

}  // namespace gan::op_cases
