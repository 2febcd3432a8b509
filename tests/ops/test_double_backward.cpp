// Higher-order gradients (create_graph), float64 on the CPU, for every op a
// WGAN-GP critic and its penalty use, and then some.
//
// For an op f(inputs) the first-order objective is L0 = sum(W * f(inputs))
// with a fixed random W, and the order-k objective is
//   L_k = sum_i sum(R_i * dL_{k-1}/d input_i)          (fixed random R_i)
// built with gradients(..., create_graph = true). gradcheck_scalar compares
// autograd's dL_k/d input_i with central differences of L_k itself, where
// every evaluation of L_k runs ordinary (first-order) backward passes. So a
// backward formula that is not differentiable under create_graph (a constant
// where there should be a graph) shows up as a mismatch, not a crash.
//
// Then the gradient penalty of a tiny critic (conv2d -> leaky_relu -> conv2d
// -> mean) and of the DCGAN critic without batch norm, w.r.t. their weights;
// and the same penalty on CUDA against the CPU in float32.
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/cuda_runtime.h"
#include "core/error.h"
#include "gradcheck.h"
#include "kernels/cuda_test_util.h"
#include "layers/gan_losses.h"
#include "models/dcgan.h"

namespace gan {
namespace {

using testing::Fn;
using testing::gradcheck_scalar;
using testing::random_input;

// L_order as described at the top; `wrt` lists the inputs the inner gradients
// are taken w.r.t. (empty: all of them).
Tensor objective(const Fn& f, const std::vector<Tensor>& inputs, int order, const std::vector<size_t>& wrt = {}) {
  Rng rng(777);  // the same W and R at every evaluation
  const Tensor out = f(inputs);
  Tensor L = sum(mul(out, Tensor::rand(out.shape(), rng, DType::F64, Device::cpu(), 0.5, 1.5)));
  std::vector<Tensor> targets;
  if (wrt.empty()) {
    targets = inputs;
  } else {
    for (size_t i : wrt) targets.push_back(inputs[i]);
  }
  for (int k = 0; k < order; ++k) {
    if (!L.requires_grad()) return L;  // constant: every higher derivative is zero
    const std::vector<Tensor> grads = gradients(L, targets, Tensor(), /*create_graph=*/true);
    Tensor next = Tensor::zeros({}, DType::F64);
    for (const Tensor& g : grads) {
      next = add(next, sum(mul(g, Tensor::rand(g.shape(), rng, DType::F64, Device::cpu(), -1.0, 1.0))));
    }
    L = next;
  }
  return L;
}

int check_order(const Fn& f, const std::vector<Tensor>& inputs, int order = 2, const std::vector<size_t>& wrt = {}) {
  return gradcheck_scalar([&](const std::vector<Tensor>& in) { return objective(f, in, order, wrt); }, inputs);
}

// Magnitudes in [0.2, 1] with random signs: far from the kinks of relu, abs
// and l1 compared with the finite-difference step.
Tensor away_from_zero(const Shape& shape, Rng& rng) {
  std::vector<double> v = Tensor::rand(shape, rng, DType::F64, Device::cpu(), -1.0, 1.0).to_vector();
  for (double& x : v) x = (x < 0 ? -1.0 : 1.0) * (0.2 + 0.8 * std::abs(x));
  Tensor t = Tensor::from_vector(v, shape, DType::F64);
  t.set_requires_grad(true);
  return t;
}

TEST(DoubleBackward, ObjectiveCatchesAConstantGradient) {
  // The harness itself: detach() inside f makes the first gradient a constant,
  // so L2 looks flat to autograd while its finite differences are not. The check
  // must report that (this is what a non-differentiable backward looks like).
  Rng rng(1);
  const Fn f = [](const std::vector<Tensor>& in) {
    // d/dx sum(W * x * stop(x)) = W * stop(x): autograd sees no x in it.
    return mul(in[0], in[0].detach());
  };
  int failures = 0;
  ::testing::TestPartResultArray reported;
  {
    const ::testing::ScopedFakeTestPartResultReporter capture(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &reported);
    failures = check_order(f, {random_input({4}, rng, 0.5, 1.5)});
  }
  EXPECT_EQ(failures, 4);
  EXPECT_EQ(reported.size(), 4);
}

TEST(DoubleBackward, Binary) {
  Rng rng(2);
  for (int op = 0; op < 4; ++op) {
    const Fn f = [op](const std::vector<Tensor>& in) {
      switch (op) {
        case 0: return square(add(in[0], in[1]));  // add/sub are linear: square them to make L2 non-trivial
        case 1: return square(sub(in[0], in[1]));
        case 2: return mul(in[0], in[1]);
        default: return div(in[0], in[1]);
      }
    };
    // Broadcasting both ways, so sum_to/expand sit inside the first gradient.
    EXPECT_EQ(check_order(f, {random_input({2, 3, 4}, rng), random_input({3, 1}, rng, 0.5, 1.5)}), 0) << "op " << op;
    EXPECT_EQ(check_order(f, {random_input({1}, rng, 0.5, 1.5), random_input({2, 3}, rng, 0.5, 1.5)}), 0)
        << "op " << op;
  }
}

TEST(DoubleBackward, ScalarForms) {
  Rng rng(3);
  const Fn f = [](const std::vector<Tensor>& in) {
    const Tensor& x = in[0];
    return add(mul(square(sub(add(x, 3.0), 1.5)), 2.0), add(div(square(x), 4.0), add(rsub(2.0, x), rdiv(3.0, x))));
  };
  EXPECT_EQ(check_order(f, {random_input({3, 4}, rng, 0.5, 2.0)}), 0);
}

TEST(DoubleBackward, Unary) {
  Rng rng(4);
  const Fn smooth = [](const std::vector<Tensor>& in) {
    const Tensor& x = in[0];  // positive, so log and sqrt are defined
    return add(add(exp(x), log(x)), add(add(sqrt(x), square(x)), mul(neg(x), x)));
  };
  EXPECT_EQ(check_order(smooth, {random_input({5, 3}, rng, 0.2, 2.0)}), 0);
  EXPECT_EQ(check_order(smooth, {random_input({2, 2}, rng, 0.2, 2.0)}, 3), 0);
  // abs is piecewise linear: second derivative zero away from 0, made visible by a product.
  const Fn with_abs = [](const std::vector<Tensor>& in) { return mul(abs(in[0]), in[1]); };
  EXPECT_EQ(check_order(with_abs, {away_from_zero({6}, rng), random_input({6}, rng)}), 0);
}

TEST(DoubleBackward, Reductions) {
  Rng rng(5);
  const std::vector<Fn> fns = {
      [](const std::vector<Tensor>& in) { return square(sum(in[0])); },
      [](const std::vector<Tensor>& in) { return square(mean(in[0])); },
      [](const std::vector<Tensor>& in) { return square(sum(in[0], {1})); },
      [](const std::vector<Tensor>& in) { return square(sum(in[0], {0, 2}, true)); },
      [](const std::vector<Tensor>& in) { return square(mean(in[0], {1, 2})); },
      [](const std::vector<Tensor>& in) { return square(sum_to(in[0], {3, 1})); },
      [](const std::vector<Tensor>& in) { return mul(expand(in[0].slice(0, 0, 1), {2, 3, 4}), in[0]); },
  };
  for (size_t i = 0; i < fns.size(); ++i) EXPECT_EQ(check_order(fns[i], {random_input({2, 3, 4}, rng)}), 0) << i;
}

TEST(DoubleBackward, ShapeOps) {
  Rng rng(6);
  const std::vector<Fn> fns = {
      [](const std::vector<Tensor>& in) { return square(in[0].reshape({4, 6})); },
      [](const std::vector<Tensor>& in) { return square(in[0].flatten(1)); },
      [](const std::vector<Tensor>& in) { return square(in[0].transpose(0, 2).contiguous()); },
      [](const std::vector<Tensor>& in) { return square(in[0].slice(1, 1, 3)); },
      [](const std::vector<Tensor>& in) { return square(concat({in[0], in[0].slice(2, 0, 2)}, 2)); },
  };
  for (size_t i = 0; i < fns.size(); ++i) EXPECT_EQ(check_order(fns[i], {random_input({2, 3, 4}, rng)}), 0) << i;
}

TEST(DoubleBackward, Activations) {
  Rng rng(7);
  // relu and leaky_relu have f'' = 0 away from 0: the product with a second
  // input makes the mixed second derivative (the mask) visible.
  const Fn relu_fn = [](const std::vector<Tensor>& in) { return mul(relu(in[0]), in[1]); };
  const Fn leaky_fn = [](const std::vector<Tensor>& in) { return mul(leaky_relu(in[0], 0.2), in[1]); };
  EXPECT_EQ(check_order(relu_fn, {away_from_zero({3, 4}, rng), random_input({3, 4}, rng)}), 0);
  EXPECT_EQ(check_order(leaky_fn, {away_from_zero({3, 4}, rng), random_input({3, 4}, rng)}), 0);
  const Fn tanh_fn = [](const std::vector<Tensor>& in) { return tanh(in[0]); };
  const Fn sigmoid_fn = [](const std::vector<Tensor>& in) { return sigmoid(in[0]); };
  EXPECT_EQ(check_order(tanh_fn, {random_input({3, 4}, rng, -2.0, 2.0)}, 3), 0);
  EXPECT_EQ(check_order(sigmoid_fn, {random_input({3, 4}, rng, -2.0, 2.0)}, 3), 0);
}

TEST(DoubleBackward, MatmulAndLinear) {
  Rng rng(8);
  const Fn mm = [](const std::vector<Tensor>& in) { return matmul(in[0], in[1]); };
  EXPECT_EQ(check_order(mm, {random_input({3, 4}, rng), random_input({4, 2}, rng)}), 0);
  const Fn lin = [](const std::vector<Tensor>& in) { return tanh(linear(in[0], in[1], in[2])); };
  EXPECT_EQ(check_order(lin, {random_input({3, 4}, rng), random_input({2, 4}, rng), random_input({2}, rng)}), 0);
}

struct ConvCase {
  Shape x, w;
  int64_t stride, pad, output_padding;
  bool bias;
};

// x, w and (when the case has one) a bias of `bias_size` channels.
std::vector<Tensor> conv_inputs(const ConvCase& c, int64_t bias_size, Rng& rng) {
  std::vector<Tensor> in;
  in.reserve(3);
  in.push_back(random_input(c.x, rng));
  in.push_back(random_input(c.w, rng));
  if (c.bias) in.push_back(random_input({bias_size}, rng));
  return in;
}

TEST(DoubleBackward, Conv2d) {
  Rng rng(9);
  // The second case has a 5x6 input with stride 2: (H + 2 pad - R) mod stride is
  // 0 for H and 1 for W, which a single output_padding cannot express.
  for (const ConvCase& c : {ConvCase{{2, 2, 3, 3}, {2, 2, 2, 2}, 1, 1, 0, true},
                            ConvCase{{1, 2, 5, 6}, {2, 2, 3, 3}, 2, 1, 0, true},
                            ConvCase{{1, 2, 6, 6}, {1, 2, 4, 4}, 2, 1, 0, false}}) {
    const std::vector<Tensor> in = conv_inputs(c, c.w[0], rng);
    const int64_t stride = c.stride, pad = c.pad;
    const Fn conv = [=](const std::vector<Tensor>& t) {
      return conv2d(t[0], t[1], t.size() > 2 ? t[2] : Tensor(), stride, pad);
    };
    // Bilinear: L2 = <R_x, D(W, w)> + <R_w, W(x, W)> + <R_b, sum W>, so dL2/dw and
    // dL2/dx go through the recorded backward-data and backward-weight ops.
    EXPECT_EQ(check_order(conv, in), 0) << shape_str(c.x) << " * " << shape_str(c.w);
    // The WGAN-GP shape: only the input gradient is differentiated (on the
    // case whose input gradient the old conv_transpose2d form got wrong).
    if (c.x[2] != c.x[3]) {
      EXPECT_EQ(check_order(conv, in, 2, {0}), 0) << shape_str(c.x) << " * " << shape_str(c.w);
    }
    // Through a smooth nonlinearity every input appears in L2 and L3 (third order
    // records the backward of the recorded backward ops; once, it is the slowest).
    const Fn conv_tanh = [=](const std::vector<Tensor>& t) { return tanh(conv(t)); };
    EXPECT_EQ(check_order(conv_tanh, in), 0) << shape_str(c.x) << " * " << shape_str(c.w);
    if (c.stride == 1) {
      EXPECT_EQ(check_order(conv_tanh, in, 3), 0) << shape_str(c.x) << " * " << shape_str(c.w);
    }
  }
}

TEST(DoubleBackward, ConvTranspose2d) {
  Rng rng(10);
  for (const ConvCase& c : {ConvCase{{1, 2, 3, 3}, {2, 2, 4, 4}, 2, 1, 0, true},
                            ConvCase{{1, 2, 2, 3}, {2, 1, 3, 3}, 2, 1, 1, false},
                            ConvCase{{2, 2, 3, 2}, {2, 1, 2, 2}, 1, 1, 0, true}}) {
    const std::vector<Tensor> in = conv_inputs(c, c.w[1], rng);
    const int64_t stride = c.stride, pad = c.pad, op = c.output_padding;
    const Fn convt = [=](const std::vector<Tensor>& t) {
      return conv_transpose2d(t[0], t[1], t.size() > 2 ? t[2] : Tensor(), stride, pad, op);
    };
    EXPECT_EQ(check_order(convt, in), 0) << shape_str(c.x) << " * " << shape_str(c.w);
    const Fn convt_tanh = [=](const std::vector<Tensor>& t) { return tanh(convt(t)); };
    EXPECT_EQ(check_order(convt_tanh, in), 0) << shape_str(c.x) << " * " << shape_str(c.w);
    if (c.stride == 1) {
      EXPECT_EQ(check_order(convt_tanh, in, 3), 0) << shape_str(c.x) << " * " << shape_str(c.w);
    }
  }
}

TEST(DoubleBackward, Losses) {
  Rng rng(11);
  const Tensor t01 = Tensor::rand({3, 2}, rng, DType::F64);  // soft targets in [0, 1)
  const Fn bce_logits = [&](const std::vector<Tensor>& in) { return bce_with_logits(in[0], t01); };
  EXPECT_EQ(check_order(bce_logits, {random_input({3, 2}, rng, -3.0, 3.0)}), 0);
  EXPECT_EQ(check_order(bce_logits, {random_input({3, 2}, rng, -3.0, 3.0)}, 3), 0);
  const Fn mse = [](const std::vector<Tensor>& in) { return mse_loss(in[0], in[1]); };
  EXPECT_EQ(check_order(mse, {random_input({4}, rng), random_input({4}, rng)}), 0);
  // l1's second derivative is zero away from x == t; a product makes its first derivative matter.
  const Fn l1 = [](const std::vector<Tensor>& in) { return mul(l1_loss(in[0], in[1]), in[0]); };
  EXPECT_EQ(check_order(l1, {away_from_zero({4}, rng), Tensor::zeros({4}, DType::F64)}), 0);
}

TEST(DoubleBackward, UnsupportedOpsSayWhy) {
  Rng rng(12);
  Tensor p = random_input({3}, rng, 0.2, 0.8);
  const Tensor t = Tensor::rand({3}, rng, DType::F64);
  EXPECT_THROW(gradients(bce_loss(p, t), {p}, Tensor(), true), AutogradError);
  Tensor x = random_input({2, 2, 2, 2}, rng);
  Tensor gamma = random_input({2}, rng), beta = random_input({2}, rng);
  const Tensor y = batch_norm2d(x, gamma, beta, Tensor(), Tensor(), /*training=*/true);
  try {
    gradients(sum(square(y)), {x}, Tensor(), true);
    ADD_FAILURE() << "batch_norm2d (training) accepted create_graph";
  } catch (const AutogradError& e) {
    EXPECT_NE(std::string(e.what()).find("without batch norm"), std::string::npos) << e.what();
  }
  // Eval mode is affine with fixed statistics and is differentiable twice.
  const Tensor rm = Tensor::rand({2}, rng, DType::F64), rv = Tensor::rand({2}, rng, DType::F64, Device::cpu(), 0.5, 2);
  const Fn bn_eval = [&](const std::vector<Tensor>& in) {
    return square(batch_norm2d(in[0], in[1], in[2], rm, rv, /*training=*/false));
  };
  EXPECT_EQ(check_order(bn_eval, {x, gamma, beta}), 0);
}

// conv2d -> leaky_relu -> conv2d -> mean per sample: the smallest WGAN-GP critic.
class TinyCritic : public Module {
 public:
  TinyCritic(Rng& rng, DType dtype) {
    w1 = register_parameter("conv1.weight", Tensor::randn({3, 1, 3, 3}, rng, dtype, Device::cpu(), 0.0, 0.5));
    b1 = register_parameter("conv1.bias", Tensor::randn({3}, rng, dtype, Device::cpu(), 0.0, 0.1));
    w2 = register_parameter("conv2.weight", Tensor::randn({1, 3, 3, 3}, rng, dtype, Device::cpu(), 0.0, 0.5));
    b2 = register_parameter("conv2.bias", Tensor::randn({1}, rng, dtype, Device::cpu(), 0.0, 0.1));
  }
  Tensor forward(const Tensor& x) override {
    const Tensor h = leaky_relu(conv2d(x, w1, b1, 2, 1), 0.2);
    return mean(conv2d(h, w2, b2, 1, 1), {1, 2, 3});  // [N]
  }
  Tensor w1, b1, w2, b2;
};

TEST(DoubleBackward, GradientPenaltyOfTinyCritic) {
  Rng rng(13);
  TinyCritic critic(rng, DType::F64);
  const Tensor real = Tensor::rand({3, 1, 5, 6}, rng, DType::F64, Device::cpu(), -1.0, 1.0);
  const Tensor fake = Tensor::rand({3, 1, 5, 6}, rng, DType::F64, Device::cpu(), -1.0, 1.0);
  const auto penalty = [&](const std::vector<Tensor>&) {
    Rng eps_gen(99);  // the same interpolates at every evaluation
    return gradient_penalty(critic, real, fake, eps_gen, 10.0);
  };
  const Tensor p = penalty({});
  EXPECT_TRUE(std::isfinite(p.item()));
  EXPECT_GT(p.item(), 0.0);
  // dP/dw1 and dP/dw2 are non-trivial; the biases enter the input gradient only
  // through leaky_relu's mask, so their derivatives are zero (numerically too).
  EXPECT_EQ(gradcheck_scalar(penalty, critic.parameters()), 0);
}

// DCGAN's discriminator without batch norm, as the WGAN-GP trainer builds it:
// conv(4x4, s2) + leaky_relu, conv(4x4, s2, bias) + leaky_relu, conv(7x7) -> [N, 1].
DcganConfig tiny_dcgan_critic_config() {
  DcganConfig cfg;
  cfg.image_size = 28;
  cfg.channels = 1;
  cfg.ndf = 2;
  cfg.discriminator_batchnorm = false;
  return cfg;
}

// Converts a module's parameters and buffers to float64 in place (same handles).
void to_f64(Module& m) {
  std::vector<NamedTensor> all = m.named_parameters();
  for (const NamedTensor& b : m.named_buffers()) all.push_back(b);
  for (auto& [name, t] : all) {
    const Tensor d = t.detach().to(DType::F64);
    t.impl().storage = d.impl().storage;
    t.impl().offset = d.impl().offset;
    t.impl().strides = d.impl().strides;
    t.impl().dtype = DType::F64;
  }
}

TEST(DoubleBackward, GradientPenaltyOfDcganCritic) {
  Rng rng(14);
  DcganDiscriminator critic(tiny_dcgan_critic_config(), rng);
  to_f64(critic);
  const Tensor real = Tensor::rand({2, 1, 28, 28}, rng, DType::F64, Device::cpu(), -1.0, 1.0);
  const Tensor fake = Tensor::rand({2, 1, 28, 28}, rng, DType::F64, Device::cpu(), -1.0, 1.0);
  const auto penalty = [&](const std::vector<Tensor>&) {
    Rng eps_gen(98);
    return gradient_penalty(critic, real, fake, eps_gen, 10.0);
  };
  testing::GradcheckOptions opt;
  opt.max_elements = 20;  // of each of the 4 weight tensors (360 values in all)
  EXPECT_EQ(gradcheck_scalar(penalty, critic.parameters(), opt), 0);
}

// R1 through the DCGAN critic, plain and with spectral norm (whose u, v are
// buffers: converted to float64 too; eval mode keeps them fixed, so every
// evaluation of the finite differences sees the same sigma).
TEST(DoubleBackward, R1OfDcganCritic) {
  for (const bool spectral_norm : {false, true}) {
    SCOPED_TRACE(spectral_norm ? "spectral norm" : "plain");
    DcganConfig cfg = tiny_dcgan_critic_config();
    cfg.spectral_norm_d = spectral_norm;
    Rng rng(18);
    DcganDiscriminator critic(cfg, rng);
    to_f64(critic);
    critic.eval();
    const Tensor real = Tensor::rand({2, 1, 28, 28}, rng, DType::F64, Device::cpu(), -1.0, 1.0);
    const auto penalty = [&](const std::vector<Tensor>&) {
      return r1_penalty([&](const Tensor& x) { return critic(x); }, real, 10.0);
    };
    EXPECT_GT(penalty({}).item(), 0.0);
    testing::GradcheckOptions opt;
    opt.max_elements = 20;
    EXPECT_EQ(gradcheck_scalar(penalty, critic.parameters(), opt), 0);
  }
}

// CUDA: the penalty and its parameter gradients match the CPU in float32.
// Fresh random inputs; the caching allocator is first filled with NaN blocks of
// the sizes the computation will ask for, so an output element a kernel forgets
// to write is NaN and fails. Bound: relative error (||cuda - cpu|| / ||cpu||)
// below 1e-4 for the penalty and for every parameter gradient (float32 sums
// over a few thousand terms, in a different order on each device).
TEST(DoubleBackwardCuda, GradientPenaltyMatchesCpu) {
  GAN_SKIP_WITHOUT_CUDA();
  const DcganConfig cfg = [] {
    DcganConfig c = tiny_dcgan_critic_config();
    c.ndf = 8;
    return c;
  }();
  Rng init_cpu(15), init_cuda(15);
  DcganDiscriminator critic_cpu(cfg, init_cpu), critic_cuda(cfg, init_cuda);
  critic_cuda.to(Device::cuda());
  Rng data_gen(16);
  const Tensor real = Tensor::rand({4, 1, 28, 28}, data_gen, DType::F32, Device::cpu(), -1.0, 1.0);
  const Tensor fake = Tensor::rand({4, 1, 28, 28}, data_gen, DType::F32, Device::cpu(), -1.0, 1.0);
  {
    // Every block size up to 64 KiB (the allocator rounds to 512 B), 8 of each:
    // more than this computation holds at once of any size.
    std::vector<Tensor> poison;
    for (int64_t floats = 128; floats <= 16384; floats += 128) {
      for (int copies = 0; copies < 8; ++copies) {
        poison.push_back(Tensor::full({floats}, std::numeric_limits<double>::quiet_NaN(), DType::F32, Device::cuda()));
      }
    }
  }  // freed into the cache: the allocations below start as NaN

  Rng eps_cpu(17), eps_cuda(17);  // eps is drawn on the host: identical on both devices
  const Tensor p_cpu = gradient_penalty(critic_cpu, real, fake, eps_cpu, 10.0);
  const Tensor p_cuda =
      gradient_penalty(critic_cuda, real.to(Device::cuda()), fake.to(Device::cuda()), eps_cuda, 10.0);
  ASSERT_TRUE(p_cuda.device().is_cuda());
  EXPECT_TRUE(test::close(p_cuda.to_vector<float>(), p_cpu.to_vector<float>(), 1e-4));
  p_cpu.backward();
  p_cuda.backward();
  const auto params_cpu = critic_cpu.named_parameters();
  const auto params_cuda = critic_cuda.named_parameters();
  ASSERT_EQ(params_cpu.size(), params_cuda.size());
  // The biases enter the input gradient only through leaky_relu's (constant)
  // mask, so no gradient reaches them: undefined on both devices alike.
  for (size_t i = 0; i < params_cpu.size(); ++i) {
    const Tensor g_cpu = params_cpu[i].second.grad(), g_cuda = params_cuda[i].second.grad();
    ASSERT_EQ(g_cpu.defined(), g_cuda.defined()) << params_cpu[i].first;
    if (!g_cpu.defined()) continue;
    EXPECT_TRUE(g_cuda.device().is_cuda());
    EXPECT_TRUE(test::close(g_cuda.to_vector<float>(), g_cpu.to_vector<float>(), 1e-4)) << params_cpu[i].first;
  }
  EXPECT_TRUE(params_cpu.front().second.grad().defined());  // the first conv's weight
}

}  // namespace
}  // namespace gan
