// Loss CPU kernels: hand-computed values, BCE clamping, BCEWithLogits at large
// |logits|, and gradients (of the MEAN loss) by central finite differences in
// double (h = 1e-6, tolerance 1e-7 relative: ||analytic - numeric|| / ||numeric||).
#include <gtest/gtest.h>

#include <cmath>

#include "kernel_test_util.h"
#include "kernels/loss/loss.h"

namespace gan {
namespace {

template <typename T>
T run_loss(LossKind k, const std::vector<T>& x, const std::vector<T>& t, std::vector<T>* grad) {
  T loss = T(-1);
  if (grad) grad->assign(x.size(), T(0));
  cpu::loss_forward(k, x.data(), t.data(), static_cast<int64_t>(x.size()), &loss, grad ? grad->data() : nullptr);
  return loss;
}

TEST(LossCpu, MseAndL1ByHand) {
  // x - t = [1, 0, -2]. MSE: mean(1, 0, 4) = 5/3, grad 2(x-t)/3. L1: mean(1, 0, 2) = 1, grad sign(x-t)/3.
  const std::vector<double> x = {1, 2, 3};
  const std::vector<double> t = {0, 2, 5};
  std::vector<double> g;
  EXPECT_DOUBLE_EQ(run_loss(LossKind::MSE, x, t, &g), 5.0 / 3.0);
  EXPECT_DOUBLE_EQ(g[0], 2.0 / 3.0);
  EXPECT_EQ(g[1], 0.0);
  EXPECT_DOUBLE_EQ(g[2], -4.0 / 3.0);
  EXPECT_DOUBLE_EQ(run_loss(LossKind::L1, x, t, &g), 1.0);
  EXPECT_DOUBLE_EQ(g[0], 1.0 / 3.0);
  EXPECT_EQ(g[1], 0.0);  // sign(0) = 0
  EXPECT_DOUBLE_EQ(g[2], -1.0 / 3.0);
}

TEST(LossCpu, BceByHandAndClamped) {
  // p = [0.5, 0.8], t = [1, 0]: losses -log 0.5 and -log 0.2, mean log(10)/2 = 1.1512925...
  // grad -t/(p n) + (1-t)/((1-p) n) = [-1/(0.5*2), 1/(0.2*2)] = [-1, 2.5].
  std::vector<double> g;
  EXPECT_NEAR(run_loss(LossKind::BCE, std::vector<double>{0.5, 0.8}, std::vector<double>{1, 0}, &g),
              std::log(10.0) / 2.0, 1e-15);
  EXPECT_NEAR(g[0], -1.0, 1e-15);
  EXPECT_NEAR(g[1], 2.5, 1e-14);
  // log(0) clamps at -100: p = 0, t = 1 and p = 1, t = 0 each cost 100, and the gradient
  // (p - t) / max(p(1-p), 1e-12) / n saturates at -+1e12/n there (kernels/loss/bce.h), pushing p
  // back the right way; p = 0, t = 0 costs 0 with gradient 0.
  EXPECT_EQ(run_loss(LossKind::BCE, std::vector<double>{0, 1, 0}, std::vector<double>{1, 0, 0}, &g), 200.0 / 3.0);
  EXPECT_EQ(g, (std::vector<double>{-1e12 / 3.0, 1e12 / 3.0, 0.0}));
  std::vector<float> gf;
  EXPECT_EQ(run_loss(LossKind::BCE, std::vector<float>{0, 1}, std::vector<float>{1, 0}, &gf), 100.0f);
  EXPECT_EQ(gf, (std::vector<float>{-5e11f, 5e11f}));
  // A subnormal float32 probability (sigmoid of a logit near -95) with t = 1: 1/p would overflow
  // float32; the saturated gradient stays finite.
  const float tiny = 5.5e-42f;
  EXPECT_NEAR(run_loss(LossKind::BCE, std::vector<float>{tiny}, std::vector<float>{1}, &gf),
              -std::log(static_cast<double>(tiny)), 1e-4);
  EXPECT_FLOAT_EQ(gf[0], -1e12f);
  // NaN in, NaN out (not a silently clamped 100).
  EXPECT_TRUE(std::isnan(run_loss(LossKind::BCE, std::vector<double>{NAN}, std::vector<double>{1}, &g)));
}

TEST(LossCpu, BceWithLogitsLargeLogits) {
  // Closed form for x = +-50: log1p(exp(-50)) = 1.9287e-22; losses
  // [x=50,t=1] e, [x=-50,t=1] 50 + e, [x=50,t=0] 50 + e, [x=-50,t=0] e   -> mean 25 + e.
  // grad (sigmoid(x) - t)/4 = [-s/4, -(1-s)/4, (1-s)/4, s/4] with s = sigmoid(-50) = 1.9287e-22.
  const double e = std::log1p(std::exp(-50.0));
  const double s = std::exp(-50.0) / (1.0 + std::exp(-50.0));
  const std::vector<double> x = {50, -50, 50, -50};
  const std::vector<double> t = {1, 1, 0, 0};
  std::vector<double> g;
  EXPECT_DOUBLE_EQ(run_loss(LossKind::BCEWithLogits, x, t, &g), 25.0 + e);
  EXPECT_DOUBLE_EQ(g[0], -s / 4);
  EXPECT_DOUBLE_EQ(g[1], -(1 - s) / 4);
  EXPECT_DOUBLE_EQ(g[2], (1 - s) / 4);
  EXPECT_DOUBLE_EQ(g[3], s / 4);

  std::vector<float> gf;
  const std::vector<float> xf = {50, -50, 1000, -1000};
  const std::vector<float> tf = {1, 1, 0, 0};
  const float lf = run_loss(LossKind::BCEWithLogits, xf, tf, &gf);
  EXPECT_TRUE(std::isfinite(lf));
  EXPECT_NEAR(lf, (0.0 + 50.0 + 1000.0 + 0.0) / 4.0, 1e-4);
  for (float v : gf) EXPECT_TRUE(std::isfinite(v));
  EXPECT_FLOAT_EQ(gf[1], -0.25f);
  EXPECT_FLOAT_EQ(gf[2], 0.25f);

  // x = 0, t = 1: log 2, grad (0.5 - 1)/1.
  EXPECT_DOUBLE_EQ(run_loss(LossKind::BCEWithLogits, std::vector<double>{0}, std::vector<double>{1}, &g),
                   std::log(2.0));
  EXPECT_EQ(g[0], -0.5);
}

struct GradCase {
  LossKind kind;
  const char* name;
};

class LossGrad : public ::testing::TestWithParam<GradCase> {};

TEST_P(LossGrad, GradientMatchesFiniteDifferences) {
  const LossKind kind = GetParam().kind;
  const int64_t n = 64;
  std::vector<double> x, t;
  switch (kind) {
    case LossKind::BCE:  // probabilities away from 0 and 1, soft targets
      x = test::random_uniform(n, 41, 0.05, 0.95);
      t = test::random_uniform(n, 42, 0.0, 1.0);
      break;
    case LossKind::BCEWithLogits:
      x = test::random_normal(n, 43, 0.0, 3.0);
      t = test::random_uniform(n, 44, 0.0, 1.0);
      break;
    case LossKind::MSE:
    case LossKind::L1:
      x = test::random_normal(n, 45);
      t = test::random_normal(n, 46);
      for (int64_t i = 0; i < n; ++i)  // L1: stay away from the kink at x == t
        if (std::fabs(x[i] - t[i]) < 1e-3) x[i] += 0.1;
      break;
  }
  std::vector<double> grad;
  run_loss(kind, x, t, &grad);
  const auto num = test::numeric_grad(x, [&] { return run_loss<double>(kind, x, t, nullptr); });
  EXPECT_LT(test::max_rel_error(grad, num), 1e-7);
}

INSTANTIATE_TEST_SUITE_P(All, LossGrad,
                         ::testing::Values(GradCase{LossKind::BCE, "BCE"},
                                           GradCase{LossKind::BCEWithLogits, "BCEWithLogits"},
                                           GradCase{LossKind::MSE, "MSE"}, GradCase{LossKind::L1, "L1"}),
                         [](const ::testing::TestParamInfo<GradCase>& c) { return std::string(c.param.name); });

TEST(LossCpu, LargeFloatMatchesDoubleSum) {
  // Parallel blocked sum: float kernel vs a plain double loop on the same float data (1e-6 relative).
  const int64_t n = 200003;
  const auto x = test::random_normal<float>(n, 47), t = test::random_normal<float>(n, 48);
  double ref = 0.0;
  for (int64_t i = 0; i < n; ++i) ref += (double(x[i]) - t[i]) * (double(x[i]) - t[i]);
  ref /= n;
  std::vector<float> g;
  const float l = run_loss(LossKind::MSE, x, t, &g);
  EXPECT_NEAR(l, ref, 1e-6 * ref);
  EXPECT_EQ(l, run_loss(LossKind::MSE, x, t, &g));  // deterministic
}

}  // namespace
}  // namespace gan
