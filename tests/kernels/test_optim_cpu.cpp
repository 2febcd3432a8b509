// Optimizer CPU kernels against values worked out by hand from the formulas in
// optim.h (p0 = 1, gradients 0.5, -0.2, 0.3 over three steps).
// Tolerance: 1e-12 absolute in double (the kernel computes in double); float
// 1e-6 absolute.
#include <gtest/gtest.h>

#include <cmath>

#include "kernel_test_util.h"
#include "kernels/optim/optim.h"

namespace gan {
namespace {

const double kGrads[3] = {0.5, -0.2, 0.3};

TEST(OptimCpu, AdamThreeStepsByHand) {
  // lr 0.1, betas 0.5/0.999, eps 1e-8.
  // t=1: m = 0.5*0.5 = 0.25, v = 0.001*0.25 = 2.5e-4; mhat = 0.25/0.5 = 0.5, vhat = 2.5e-4/0.001 = 0.25
  //      p = 1 - 0.1*0.5/(0.5 + 1e-8) = 0.900000002
  // t=2: m = 0.125 - 0.1 = 0.025, v = 0.999*2.5e-4 + 0.001*0.04 = 2.8975e-4
  //      mhat = 0.025/0.75 = 0.0333.., vhat = 2.8975e-4/(1 - 0.999^2 = 0.001999) = 0.1449474737..
  //      p = 0.900000002 - 0.1*0.0333../(0.3807196...+1e-8) = 0.8912446540828494
  // t=3: m = 0.0125 + 0.15 = 0.1625, v = 0.999*2.8975e-4 + 0.001*0.09 = 3.7946025e-4
  //      mhat = 0.1625/0.875 = 0.185714.., vhat = 3.7946025e-4/0.002997001 = 0.126613321..
  //      p = 0.8390524545411469
  const double expect_p[3] = {0.900000002, 0.8912446540828494, 0.8390524545411469};
  const double expect_m[3] = {0.25, 0.025, 0.1625};
  const double expect_v[3] = {2.5e-4, 2.8975e-4, 3.7946025e-4};
  double p = 1.0, m = 0.0, v = 0.0;
  float pf = 1.0f, mf = 0.0f, vf = 0.0f;
  AdamParams ap;
  ap.lr = 0.1;
  ap.beta1 = 0.5;
  ap.beta2 = 0.999;
  ap.eps = 1e-8;
  for (int s = 0; s < 3; ++s) {
    ap.step = s + 1;
    cpu::adam_step(&p, &kGrads[s], &m, &v, 1, ap);
    EXPECT_NEAR(p, expect_p[s], 1e-12) << "step " << s + 1;
    EXPECT_NEAR(m, expect_m[s], 1e-15);
    EXPECT_NEAR(v, expect_v[s], 1e-15);
    const float gf = static_cast<float>(kGrads[s]);
    cpu::adam_step(&pf, &gf, &mf, &vf, 1, ap);
    EXPECT_NEAR(pf, expect_p[s], 1e-6);
  }
}

TEST(OptimCpu, AdamWeightDecayAddsToGradient) {
  // Same run with weight_decay 0.1: g_t += 0.1 * p. t=1: g = 0.6, mhat = 0.6, vhat = 0.36,
  // p = 1 - 0.1*0.6/(0.6 + 1e-8) = 0.9000000016666666; then 0.8706269491354888, 0.8045708952031585.
  const double expect_p[3] = {0.9000000016666666, 0.8706269491354888, 0.8045708952031585};
  double p = 1.0, m = 0.0, v = 0.0;
  AdamParams ap;
  ap.lr = 0.1;
  ap.weight_decay = 0.1;
  for (int s = 0; s < 3; ++s) {
    ap.step = s + 1;
    cpu::adam_step(&p, &kGrads[s], &m, &v, 1, ap);
    EXPECT_NEAR(p, expect_p[s], 1e-12) << "step " << s + 1;
  }
}

TEST(OptimCpu, SgdMomentumByHand) {
  // lr 0.1, momentum 0.9: buf 0.5 -> 0.45 - 0.2 = 0.25 -> 0.225 + 0.3 = 0.525;
  // p 1 - 0.05 = 0.95 -> 0.95 - 0.025 = 0.925 -> 0.925 - 0.0525 = 0.8725.
  const double expect_buf[3] = {0.5, 0.25, 0.525}, expect_p[3] = {0.95, 0.925, 0.8725};
  double p = 1.0, buf = 0.0;
  SgdParams sp;
  sp.lr = 0.1;
  sp.momentum = 0.9;
  for (int s = 0; s < 3; ++s) {
    cpu::sgd_step(&p, &kGrads[s], &buf, 1, sp);
    EXPECT_NEAR(buf, expect_buf[s], 1e-15);
    EXPECT_NEAR(p, expect_p[s], 1e-15);
  }
  // With weight decay 0.1 (g += 0.1 p): buf 0.6, p 0.94; buf 0.54 - 0.2 + 0.094 = 0.434, p 0.8966;
  // buf 0.3906 + 0.3 + 0.08966 = 0.78026, p 0.818574.
  const double expect_p_wd[3] = {0.94, 0.8966, 0.818574};
  p = 1.0;
  buf = 0.0;
  sp.weight_decay = 0.1;
  for (int s = 0; s < 3; ++s) {
    cpu::sgd_step(&p, &kGrads[s], &buf, 1, sp);
    EXPECT_NEAR(p, expect_p_wd[s], 1e-15);
  }
  // Plain SGD (momentum 0): the buffer is not needed.
  SgdParams plain;
  plain.lr = 0.5;
  p = 1.0;
  cpu::sgd_step(&p, &kGrads[0], static_cast<double*>(nullptr), 1, plain);
  EXPECT_EQ(p, 0.75);
}

TEST(OptimCpu, RmspropByHand) {
  // lr 0.01, alpha 0.99, eps 1e-8.
  // t=1: sq = 0.01*0.25 = 0.0025, p = 1 - 0.01*0.5/(0.05 + 1e-8) = 0.90000002
  // t=2: sq = 0.002475 + 0.0004 = 0.002875, p += 0.01*0.2/(0.0536190..+1e-8) -> 0.9373002053730881
  // t=3: sq = 0.00284625 + 0.0009 = 0.00374625, p -> 0.8882859052415076
  const double expect_sq[3] = {0.0025, 0.002875, 0.00374625};
  const double expect_p[3] = {0.900000019999996, 0.9373002053730881, 0.8882859052415076};
  double p = 1.0, sq = 0.0;
  RmspropParams rp;
  rp.lr = 0.01;
  rp.alpha = 0.99;
  rp.eps = 1e-8;
  for (int s = 0; s < 3; ++s) {
    cpu::rmsprop_step(&p, &kGrads[s], &sq, 1, rp);
    EXPECT_NEAR(sq, expect_sq[s], 1e-15);
    EXPECT_NEAR(p, expect_p[s], 1e-12);
  }
}

TEST(OptimCpu, ClampWeightClipping) {
  std::vector<float> w = {-2.0f, -0.01f, 0.0f, 0.005f, 3.0f};
  cpu::clamp(w.data(), 5, -0.01f, 0.01f);
  EXPECT_EQ(w, (std::vector<float>{-0.01f, -0.01f, 0.0f, 0.005f, 0.01f}));
  std::vector<double> nan = {NAN};
  cpu::clamp(nan.data(), 1, -1.0, 1.0);
  EXPECT_TRUE(std::isnan(nan[0]));
}

TEST(OptimCpu, LargeArrayMatchesElementwiseUpdates) {
  // The parallel path: every element of a big tensor gets exactly the scalar update.
  const int64_t n = 100001;
  auto p = test::random_normal<float>(n, 51);
  const auto g = test::random_normal<float>(n, 52);
  std::vector<float> m(n, 0.0f), v(n, 0.0f);
  std::vector<float> p1 = p;
  AdamParams ap;
  ap.step = 1;
  cpu::adam_step(p.data(), g.data(), m.data(), v.data(), n, ap);
  for (int64_t i = 0; i < n; i += 997) {
    float pi = p1[i], mi = 0.0f, vi = 0.0f;
    cpu::adam_step(&pi, &g[i], &mi, &vi, 1, ap);
    ASSERT_EQ(p[i], pi) << i;
    ASSERT_EQ(m[i], mi);
    ASSERT_EQ(v[i], vi);
  }
}

}  // namespace
}  // namespace gan
