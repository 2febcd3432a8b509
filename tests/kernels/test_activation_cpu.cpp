// Activation CPU kernels: forward values by hand, backward by central finite
// differences in double (h = 1e-6; L = sum(y * dy); tolerance 1e-8 relative,
// ||analytic - numeric|| / ||numeric||), saturation staying finite.
#include <gtest/gtest.h>

#include <cmath>

#include "kernel_test_util.h"
#include "kernels/activation/activation.h"

namespace gan {
namespace {

constexpr double kSlope = 0.2;

TEST(ActivationCpu, ForwardByHand) {
  const std::vector<double> x = {-2.0, 0.0, 3.0};
  std::vector<double> y(3);
  cpu::activation_forward(Activation::Relu, x.data(), y.data(), 3, kSlope);
  EXPECT_EQ(y, (std::vector<double>{0.0, 0.0, 3.0}));
  cpu::activation_forward(Activation::LeakyRelu, x.data(), y.data(), 3, kSlope);
  EXPECT_EQ(y, (std::vector<double>{-0.4, 0.0, 3.0}));
  cpu::activation_forward(Activation::Tanh, x.data(), y.data(), 3, kSlope);
  EXPECT_DOUBLE_EQ(y[0], std::tanh(-2.0));
  EXPECT_EQ(y[1], 0.0);
  cpu::activation_forward(Activation::Sigmoid, x.data(), y.data(), 3, kSlope);
  EXPECT_DOUBLE_EQ(y[0], 1.0 / (1.0 + std::exp(2.0)));  // 0.11920292...
  EXPECT_EQ(y[1], 0.5);
  EXPECT_DOUBLE_EQ(y[2], 1.0 / (1.0 + std::exp(-3.0)));  // 0.95257412...
}

TEST(ActivationCpu, SaturationStaysFinite) {
  const std::vector<float> x = {-1000.0f, -50.0f, 50.0f, 1000.0f};
  std::vector<float> y(4), dx(4);
  const std::vector<float> dy(4, 1.0f);
  cpu::activation_forward(Activation::Sigmoid, x.data(), y.data(), 4, 0.0f);
  EXPECT_EQ(y[0], 0.0f);
  EXPECT_EQ(y[3], 1.0f);
  EXPECT_GT(y[1], 0.0f);  // exp(-50) ~ 1.9e-22 is a normal float
  cpu::activation_backward(Activation::Sigmoid, y.data(), dy.data(), dx.data(), 4, 0.0f);
  for (float v : dx) EXPECT_TRUE(std::isfinite(v));
  cpu::activation_forward(Activation::Tanh, x.data(), y.data(), 4, 0.0f);
  EXPECT_EQ(y[0], -1.0f);
  EXPECT_EQ(y[3], 1.0f);
}

class ActivationGrad : public ::testing::TestWithParam<Activation> {};

TEST_P(ActivationGrad, BackwardMatchesFiniteDifferences) {
  const Activation act = GetParam();
  const int64_t n = 257;
  auto x = test::random_normal(n, 21, 0.0, 2.0);
  for (auto& v : x)
    if (std::fabs(v) < 1e-3) v = 0.5;  // Relu/LeakyRelu are not differentiable at 0
  const auto dy = test::random_normal(n, 22);
  std::vector<double> y(n), dx(n);
  auto L = [&] {
    cpu::activation_forward(act, x.data(), y.data(), n, kSlope);
    return test::dot(y, dy);
  };
  L();
  const bool saves_y = act == Activation::Tanh || act == Activation::Sigmoid;
  cpu::activation_backward(act, saves_y ? y.data() : x.data(), dy.data(), dx.data(), n, kSlope);
  const auto num = test::numeric_grad(x, L);
  EXPECT_LT(test::max_rel_error(dx, num), 1e-8);
}

INSTANTIATE_TEST_SUITE_P(All, ActivationGrad,
                         ::testing::Values(Activation::Relu, Activation::LeakyRelu, Activation::Tanh,
                                           Activation::Sigmoid));

TEST(ActivationCpu, ReluGradientAtZeroIsZero) {
  const std::vector<double> x = {0.0}, dy = {1.0};
  std::vector<double> dx(1);
  cpu::activation_backward(Activation::Relu, x.data(), dy.data(), dx.data(), 1, 0.0);
  EXPECT_EQ(dx[0], 0.0);
  cpu::activation_backward(Activation::LeakyRelu, x.data(), dy.data(), dx.data(), 1, kSlope);
  EXPECT_EQ(dx[0], kSlope);
}

TEST(ActivationCpu, LargeArrayFloatMatchesDouble) {
  // Exercises the parallel path; float vs double agreement to float rounding.
  const int64_t n = 100001;
  const auto xd = test::random_normal(n, 23, 0.0, 3.0);
  const auto xf = test::cast_vec<float>(xd);
  for (Activation act : {Activation::Relu, Activation::LeakyRelu, Activation::Tanh, Activation::Sigmoid}) {
    std::vector<double> yd(n);
    std::vector<float> yf(n);
    cpu::activation_forward(act, xd.data(), yd.data(), n, kSlope);
    cpu::activation_forward(act, xf.data(), yf.data(), n, float(kSlope));
    EXPECT_LT(test::max_rel_error(yf, yd), 1e-6) << static_cast<int>(act);
  }
}

}  // namespace
}  // namespace gan
