// GAN losses: values and gradients on small cases computed by hand (the
// arithmetic is in the comments), float64 gradient checks, name parsing, and
// the gradient penalty on critics whose input gradient is known in closed form.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "gradcheck.h"
#include "layers/gan_losses.h"

namespace gan {
namespace {

using testing::gradcheck;
using testing::random_input;

Tensor leaf(const std::vector<double>& v) {
  Tensor t = Tensor::from_vector(v, {static_cast<int64_t>(v.size()), 1}, DType::F64);
  t.set_requires_grad(true);
  return t;
}

double softplus(double x) { return std::log1p(std::exp(x)); }
double sigmoid_d(double x) { return 1.0 / (1.0 + std::exp(-x)); }

void expect_grad(const Tensor& t, const std::vector<double>& want) {
  ASSERT_TRUE(t.grad().defined());
  const std::vector<double> got = t.grad().to_vector();
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-12) << "element " << i;
}

TEST(GanLossNames, RoundTripAndErrors) {
  for (const std::string& name : gan_loss_names()) EXPECT_EQ(gan_loss_name(parse_gan_loss(name)), name);
  EXPECT_EQ(parse_gan_loss("wgan-gp"), GanLoss::WGAN_GP);
  EXPECT_EQ(parse_gan_loss("hinge"), GanLoss::Hinge);
  try {
    parse_gan_loss("wgangp");
    ADD_FAILURE() << "accepted an unknown name";
  } catch (const ValueError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("'wgangp'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("bce, wgan, wgan-gp, hinge, lsgan"), std::string::npos) << msg;
  }
  EXPECT_THROW(parse_gan_loss("BCE"), ValueError);  // names are lower case, as the CLI prints them
}

TEST(GanLoss, BceByHand) {
  // real logits r = (0, 2), fake logits f = (-1, 1).
  // D loss = mean softplus(-r) + mean softplus(f)      (BCE with target 1 is softplus(-x), target 0 softplus(x))
  //        = (log 2 + softplus(-2)) / 2 + (softplus(-1) + softplus(1)) / 2
  // dD/dr_i = (sigmoid(r_i) - 1) / 2 = (-0.5 / 2, (sigmoid(2) - 1) / 2); dD/df_i = sigmoid(f_i) / 2.
  Tensor r = leaf({0, 2}), f = leaf({-1, 1});
  const Tensor d = discriminator_loss(GanLoss::BCE, r, f);
  EXPECT_NEAR(d.item(), (std::log(2.0) + softplus(-2)) / 2 + (softplus(-1) + softplus(1)) / 2, 1e-12);
  d.backward();
  expect_grad(r, {-0.25, (sigmoid_d(2) - 1) / 2});
  expect_grad(f, {sigmoid_d(-1) / 2, sigmoid_d(1) / 2});
  // Non-saturating G loss = mean softplus(-f) = (softplus(1) + softplus(-1)) / 2; dG/df_i = (sigmoid(f_i) - 1) / 2.
  f.zero_grad();
  const Tensor g = generator_loss(GanLoss::BCE, f);
  EXPECT_NEAR(g.item(), (softplus(1) + softplus(-1)) / 2, 1e-12);
  g.backward();
  expect_grad(f, {(sigmoid_d(-1) - 1) / 2, (sigmoid_d(1) - 1) / 2});
}

TEST(GanLoss, WassersteinByHand) {
  // r = (1, 3, 5) -> mean 3; f = (-2, 0) -> mean -1. D = -1 - 3 = -4.
  // dD/dr_i = -1/3, dD/df_i = 1/2. G = -mean f = 1, dG/df_i = -1/2.
  for (GanLoss kind : {GanLoss::WGAN, GanLoss::WGAN_GP}) {
    Tensor r = leaf({1, 3, 5}), f = leaf({-2, 0});
    const Tensor d = discriminator_loss(kind, r, f);
    EXPECT_DOUBLE_EQ(d.item(), -4.0);
    d.backward();
    expect_grad(r, {-1.0 / 3, -1.0 / 3, -1.0 / 3});
    expect_grad(f, {0.5, 0.5});
    f.zero_grad();
    const Tensor g = generator_loss(kind, f);
    EXPECT_DOUBLE_EQ(g.item(), 1.0);
    g.backward();
    expect_grad(f, {-0.5, -0.5});
  }
}

TEST(GanLoss, HingeByHand) {
  // r = (0.5, 2): relu(1 - r) = (0.5, 0) -> mean 0.25; slope -1/2 where 1 - r > 0, else 0.
  // f = (-3, 0, 1): relu(1 + f) = (0, 1, 2) -> mean 1; slope 1/3 where 1 + f > 0, else 0.
  // D = 1.25. G = -mean f = 2/3, dG/df_i = -1/3.
  Tensor r = leaf({0.5, 2}), f = leaf({-3, 0, 1});
  const Tensor d = discriminator_loss(GanLoss::Hinge, r, f);
  EXPECT_DOUBLE_EQ(d.item(), 1.25);
  d.backward();
  expect_grad(r, {-0.5, 0.0});
  expect_grad(f, {0.0, 1.0 / 3, 1.0 / 3});
  f.zero_grad();
  const Tensor g = generator_loss(GanLoss::Hinge, f);
  EXPECT_NEAR(g.item(), 2.0 / 3, 1e-15);
  g.backward();
  expect_grad(f, {-1.0 / 3, -1.0 / 3, -1.0 / 3});
}

TEST(GanLoss, LeastSquaresByHand) {
  // r = (1, 3): (r - 1)^2 = (0, 4) -> 1/2 mean = 1; d/dr_i = (r_i - 1) / 2 = (0, 1).
  // f = (2, -1): f^2 = (4, 1) -> 1/2 mean = 1.25; d/df_i = f_i / 2 = (1, -0.5). D = 2.25.
  // G = 1/2 mean (f - 1)^2 = 1/2 (1 + 4) / 2 = 1.25; dG/df_i = (f_i - 1) / 2 = (0.5, -1).
  Tensor r = leaf({1, 3}), f = leaf({2, -1});
  const Tensor d = discriminator_loss(GanLoss::LSGAN, r, f);
  EXPECT_DOUBLE_EQ(d.item(), 2.25);
  d.backward();
  expect_grad(r, {0.0, 1.0});
  expect_grad(f, {1.0, -0.5});
  f.zero_grad();
  const Tensor g = generator_loss(GanLoss::LSGAN, f);
  EXPECT_DOUBLE_EQ(g.item(), 1.25);
  g.backward();
  expect_grad(f, {0.5, -1.0});
}

TEST(GanLoss, Gradcheck) {
  Rng rng(21);
  for (const std::string& name : gan_loss_names()) {
    const GanLoss kind = parse_gan_loss(name);
    // Scores away from the hinge's kinks at +-1 (the finite differences would straddle them).
    const auto d = [kind](const std::vector<Tensor>& in) { return discriminator_loss(kind, in[0], in[1]); };
    const auto g = [kind](const std::vector<Tensor>& in) { return generator_loss(kind, in[0]); };
    EXPECT_EQ(gradcheck(d, {random_input({4, 1}, rng, -0.9, 0.9), random_input({3, 1}, rng, -0.9, 0.9)}), 0) << name;
    EXPECT_EQ(gradcheck(g, {random_input({5, 1}, rng, -3.0, 3.0)}), 0) << name;
  }
}

TEST(GanLoss, ArgumentErrors) {
  const Tensor ok = Tensor::zeros({2, 1});
  EXPECT_THROW(discriminator_loss(GanLoss::BCE, Tensor(), ok), ValueError);
  EXPECT_THROW(discriminator_loss(GanLoss::WGAN, ok, Tensor::zeros({0, 1})), ShapeError);
  EXPECT_THROW(discriminator_loss(GanLoss::Hinge, ok, Tensor::zeros({2, 1}, DType::F64)), DTypeError);
  EXPECT_THROW(generator_loss(GanLoss::LSGAN, Tensor()), ValueError);
}

// A linear critic D(x) = sum(w * x) per sample: its input gradient is w for
// every sample, whatever the interpolate, so the penalty is lambda (||w|| - 1)^2.
class LinearCritic : public Module {
 public:
  explicit LinearCritic(Tensor weight) { w = register_parameter("w", std::move(weight)); }
  Tensor forward(const Tensor& x) override { return sum(mul(x, w), {1, 2, 3}); }
  Tensor w;
};

// D(x) = 1/2 sum(x^2) per sample: the gradient at the interpolate is the interpolate itself.
class HalfSquaredNormCritic : public Module {
 public:
  Tensor forward(const Tensor& x) override { return mul(sum(square(x), {1, 2, 3}), 0.5); }
};

TEST(GradientPenalty, LinearCriticByHand) {
  // w = (1.2, 1.6, 0, 0): ||w|| = sqrt(1.44 + 2.56) = 2. Penalty = 10 (2 - 1)^2 = 10.
  // dP/dw = 10 * 2 (||w|| - 1) * w / ||w|| = 10 w = (12, 16, 0, 0).
  LinearCritic critic(Tensor::from_vector(std::vector<double>{1.2, 1.6, 0, 0}, {1, 1, 2, 2}, DType::F64));
  Rng rng(5);
  const Tensor real = Tensor::rand({3, 1, 2, 2}, rng, DType::F64);
  const Tensor fake = Tensor::rand({3, 1, 2, 2}, rng, DType::F64);
  const Tensor p = gradient_penalty(critic, real, fake, rng, 10.0);
  EXPECT_NEAR(p.item(), 10.0, 1e-9);
  p.backward();
  const std::vector<double> g = critic.w.grad().to_vector();
  const std::vector<double> want = {12, 16, 0, 0};
  for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(g[i], want[i], 1e-6) << i;
  // lambda scales it; a unit-norm w costs nothing.
  EXPECT_NEAR(gradient_penalty(critic, real, fake, rng, 2.5).item(), 2.5, 1e-9);
  LinearCritic unit(Tensor::from_vector(std::vector<double>{0.6, 0, 0.8, 0}, {1, 1, 2, 2}, DType::F64));
  EXPECT_NEAR(gradient_penalty(unit, real, fake, rng).item(), 0.0, 1e-12);
}

TEST(GradientPenalty, InterpolatesUseOneUniformPerSample) {
  // With D = 1/2 ||x||^2 the gradient is x_hat_i = eps_i real_i + (1 - eps_i) fake_i,
  // so the penalty is lambda mean_i (||x_hat_i|| - 1)^2 with eps_i the first N draws
  // of the generator: recompute it from a generator with the same seed.
  HalfSquaredNormCritic critic;
  Rng data(6);
  const Tensor real = Tensor::rand({4, 2, 3, 3}, data, DType::F64, Device::cpu(), -1.0, 1.0);
  const Tensor fake = Tensor::rand({4, 2, 3, 3}, data, DType::F64, Device::cpu(), -1.0, 1.0);
  Rng rng(42), replay(42);
  const Tensor p = gradient_penalty(critic, real, fake, rng, 10.0);
  std::vector<double> eps(4);
  replay.fill_uniform(eps.data(), 4, 0.0, 1.0);
  const std::vector<double> rv = real.to_vector(), fv = fake.to_vector();
  double want = 0.0;
  for (int i = 0; i < 4; ++i) {
    double sq = 0.0;
    for (int j = 0; j < 18; ++j) {
      const double x = eps[i] * rv[i * 18 + j] + (1 - eps[i]) * fv[i * 18 + j];
      sq += x * x;
    }
    want += (std::sqrt(sq) - 1) * (std::sqrt(sq) - 1);
  }
  EXPECT_NEAR(p.item(), 10.0 * want / 4, 1e-9);
  EXPECT_EQ(rng.counter(), replay.counter());  // it drew exactly N numbers' worth
}

TEST(GradientPenalty, FlatCriticGivesFiniteGradients) {
  // w = 0: the input gradient is exactly zero. Without the epsilon inside the
  // sqrt, d||g||/dg = g / ||g|| = 0/0 would make the parameter gradient NaN.
  LinearCritic critic(Tensor::zeros({1, 1, 2, 2}, DType::F64));
  Rng rng(7);
  const Tensor real = Tensor::rand({2, 1, 2, 2}, rng, DType::F64);
  const Tensor p = gradient_penalty(critic, real, real, rng, 10.0);
  EXPECT_NEAR(p.item(), 10.0, 1e-4);  // (||0|| - 1)^2 = 1, up to the 1e-6 the epsilon adds to the norm
  p.backward();
  for (double v : critic.w.grad().to_vector()) EXPECT_TRUE(std::isfinite(v));
}

TEST(GradientPenalty, GeneratorGetsNoGradient) {
  // The fake batch usually still carries G's graph; the penalty must not reach it.
  Tensor g_param = Tensor::from_vector(std::vector<double>{0.5}, {1}, DType::F64);
  g_param.set_requires_grad(true);
  Rng rng(8);
  const Tensor fake = mul(Tensor::rand({2, 1, 2, 2}, rng, DType::F64), g_param);
  LinearCritic critic(Tensor::from_vector(std::vector<double>{1, 2, 3, 4}, {1, 1, 2, 2}, DType::F64));
  gradient_penalty(critic, Tensor::rand({2, 1, 2, 2}, rng, DType::F64), fake, rng).backward();
  EXPECT_FALSE(g_param.grad().defined());
  EXPECT_TRUE(critic.w.grad().defined());
}

TEST(GradientPenalty, ArgumentErrors) {
  LinearCritic critic(Tensor::ones({1, 1, 2, 2}, DType::F64));
  Rng rng(9);
  const Tensor a = Tensor::zeros({2, 1, 2, 2}, DType::F64);
  EXPECT_THROW(gradient_penalty(critic, a, Tensor::zeros({3, 1, 2, 2}, DType::F64), rng), ShapeError);
  EXPECT_THROW(gradient_penalty(critic, a, a, rng, -1.0), ValueError);
  EXPECT_THROW(gradient_penalty(critic, a, Tensor::zeros({2, 1, 2, 2}), rng), DTypeError);
  // A critic that returns one value for the whole batch is not per-sample.
  class BatchCritic : public Module {
   public:
    Tensor forward(const Tensor& x) override { return sum(x); }
  } batch_critic;
  EXPECT_THROW(gradient_penalty(batch_critic, a, a, rng), ShapeError);
}

TEST(R1Penalty, LinearCriticByHand) {
  // D(x) = w . x: grad_x D = w at every sample, so R1 = gamma/2 ||w||^2 =
  // 10/2 * (1.44 + 2.56) = 20 and dR1/dw = gamma w = (12, 16, 0, 0).
  LinearCritic critic(Tensor::from_vector(std::vector<double>{1.2, 1.6, 0, 0}, {1, 1, 2, 2}, DType::F64));
  Rng rng(10);
  const Tensor real = Tensor::rand({3, 1, 2, 2}, rng, DType::F64);
  const Tensor p = r1_penalty([&](const Tensor& x) { return critic(x); }, real, 10.0);
  EXPECT_NEAR(p.item(), 20.0, 1e-9);
  p.backward();
  const std::vector<double> g = critic.w.grad().to_vector();
  const std::vector<double> want = {12, 16, 0, 0};
  for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(g[i], want[i], 1e-9) << i;
}

TEST(R1Penalty, IsTheMeanSquaredInputGradientOnRealImages) {
  // D = 1/2 ||x||^2: grad_x D(x_i) = x_i, so R1 = gamma/2 mean_i ||x_i||^2.
  HalfSquaredNormCritic critic;
  Rng rng(11);
  const Tensor real = Tensor::rand({4, 2, 3, 3}, rng, DType::F64, Device::cpu(), -1.0, 1.0);
  const std::vector<double> v = real.to_vector();
  double sq = 0.0;
  for (double x : v) sq += x * x;
  EXPECT_NEAR(r1_penalty([&](const Tensor& x) { return critic(x); }, real, 3.0).item(), 1.5 * sq / 4, 1e-9);
  // The real batch is a constant: no gradient reaches whatever produced it.
  Tensor source = Tensor::from_vector(std::vector<double>{2.0}, {1}, DType::F64);
  source.set_requires_grad(true);
  r1_penalty([&](const Tensor& x) { return critic(x); }, mul(real, source), 1.0).backward();
  EXPECT_FALSE(source.grad().defined());
}

TEST(R1Penalty, ArgumentErrors) {
  LinearCritic critic(Tensor::ones({1, 1, 2, 2}, DType::F64));
  const auto d = [&](const Tensor& x) { return critic(x); };
  const Tensor a = Tensor::zeros({2, 1, 2, 2}, DType::F64);
  EXPECT_THROW(r1_penalty(d, a, -1.0), ValueError);
  EXPECT_THROW(r1_penalty(d, Tensor::zeros({0, 1, 2, 2}, DType::F64), 1.0), ShapeError);
  EXPECT_THROW(r1_penalty([](const Tensor& x) { return sum(x); }, a, 1.0), ShapeError);  // not per sample
}

}  // namespace
}  // namespace gan
