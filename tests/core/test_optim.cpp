// Optimizer classes against hand-computed steps.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/ops.h"
#include "core/random.h"
#include "layers/optim.h"

namespace gan {
namespace {

Tensor param(std::vector<double> v) {
  Tensor t = Tensor::from_vector(v, {static_cast<int64_t>(v.size())}, DType::F64);
  t.set_requires_grad(true);
  return t;
}

void set_grad(Tensor& p, std::vector<double> g) {
  p.set_grad(Tensor::from_vector(g, p.shape(), DType::F64));
}

// After a step with a real gradient, a step whose backward gives this parameter
// an identically zero gradient still moves it by Adam's momentum, as in torch.
TEST(Optim, AdamMovesAParameterWhoseGradientIsIdenticallyZero) {
  Tensor p = param({1.0});
  Adam adam({p}, AdamParams{});
  sum(mul(p, 3.0)).backward();
  adam.step();
  const double after_first = p.to_vector()[0];
  adam.zero_grad();
  sum(relu(sub(mul(p, 0.0), 1.0))).backward();  // relu of -1: d/dp = 0 everywhere
  ASSERT_TRUE(p.grad().defined());
  adam.step();
  EXPECT_LT(p.to_vector()[0], after_first);  // m > 0 from step 1 keeps pushing p down
}

TEST(Optim, AdamTwoStepsByHand) {
  Tensor p = param({1.0, -2.0});
  AdamParams h;  // DCGAN: lr 2e-4, betas 0.5 / 0.999
  Adam adam({p}, h);
  // Step 1, g = (0.5, -1): m = 0.5g, v = 0.001g^2; mhat = g, vhat = g^2 -> p -= lr * g/(|g| + eps)
  set_grad(p, {0.5, -1.0});
  adam.step();
  const double lr = 2e-4, eps = 1e-8;
  double e0 = 1.0 - lr * 0.5 / (0.5 + eps), e1 = -2.0 + lr * 1.0 / (1.0 + eps);
  EXPECT_NEAR(p.to_vector()[0], e0, 1e-15);
  EXPECT_NEAR(p.to_vector()[1], e1, 1e-15);
  // Step 2, g = (0.25, 1): m = 0.5*0.25 + 0.5*0.25 = 0.25 for [0]; v = 0.999*0.00025 + 0.001*0.0625
  set_grad(p, {0.25, 1.0});
  adam.step();
  auto expect = [&](double prev, double g1, double g2) {
    const double m = 0.5 * (0.5 * g1) + 0.5 * g2;
    const double v = 0.999 * (0.001 * g1 * g1) + 0.001 * g2 * g2;
    const double mhat = m / (1 - 0.25), vhat = v / (1 - 0.999 * 0.999);
    return prev - lr * mhat / (std::sqrt(vhat) + eps);
  };
  EXPECT_NEAR(p.to_vector()[0], expect(e0, 0.5, 0.25), 1e-15);
  EXPECT_NEAR(p.to_vector()[1], expect(e1, -1.0, 1.0), 1e-15);
  EXPECT_EQ(adam.steps(), 2);
}

TEST(Optim, SgdMomentumByHand) {
  Tensor p = param({1.0});
  SGD sgd({p}, SgdParams{0.1, 0.9, 0.0});
  set_grad(p, {1.0});
  sgd.step();  // buf = 1, p = 0.9
  set_grad(p, {1.0});
  sgd.step();  // buf = 1.9, p = 0.71
  EXPECT_NEAR(p.item(), 0.71, 1e-15);
}

TEST(Optim, RmspropByHand) {
  Tensor p = param({1.0});
  RMSprop rms({p}, RmspropParams{0.01, 0.99, 1e-8, 0.0});
  set_grad(p, {2.0});
  rms.step();  // sq = 0.04, p -= 0.01 * 2 / (0.2 + eps)
  EXPECT_NEAR(p.item(), 1.0 - 0.01 * 2.0 / (0.2 + 1e-8), 1e-15);
}

TEST(Optim, ParametersWithoutGradAreLeftAlone) {
  Tensor p = param({1.0}), q = param({2.0});
  Adam adam({p, q}, AdamParams{});
  set_grad(p, {1.0});
  adam.step();
  EXPECT_NE(p.item(), 1.0);
  EXPECT_EQ(q.item(), 2.0);
}

TEST(Optim, ClampParameters) {
  Tensor p = param({-0.5, 0.005, 0.3});
  clamp_parameters({p}, -0.01, 0.01);
  EXPECT_EQ(p.to_vector(), (std::vector<double>{-0.01, 0.005, 0.01}));
}

// SGD against its formula, on random values, for each combination of momentum
// and weight decay, over two steps (the second reads the momentum buffer):
//   d = g + weight_decay * p;  buf = momentum * buf + d (buf starts at 0);  p -= lr * buf
// momentum 0 is plain SGD: p -= lr * d, the buffer stays zero. Two parameters,
// one above the kernel's parallel threshold, so both loops are covered.
TEST(Optim, SgdTwoStepsMatchTheFormula) {
  const double lr = 0.05;
  for (const double momentum : {0.0, 0.9}) {
    for (const double weight_decay : {0.0, 0.01}) {
      SCOPED_TRACE("momentum " + std::to_string(momentum) + ", weight_decay " + std::to_string(weight_decay));
      Rng rng(11);
      const std::vector<Shape> shapes = {{40, 25}, {(int64_t{1} << 15) + 3}};
      std::vector<Tensor> params;
      for (const Shape& s : shapes) params.push_back(Tensor::randn(s, rng, DType::F64).set_requires_grad(true));
      std::vector<std::vector<double>> expect_p, expect_buf;
      for (const Tensor& p : params) {
        expect_p.push_back(p.to_vector());
        expect_buf.emplace_back(static_cast<size_t>(p.numel()), 0.0);
      }
      SGD sgd(params, SgdParams{lr, momentum, weight_decay});
      for (int step = 0; step < 2; ++step) {
        for (size_t k = 0; k < params.size(); ++k) {
          const Tensor g = Tensor::randn(params[k].shape(), rng, DType::F64);
          params[k].set_grad(g);
          const std::vector<double> gv = g.to_vector();
          for (size_t i = 0; i < gv.size(); ++i) {
            const double d = gv[i] + weight_decay * expect_p[k][i];
            const double update = momentum != 0.0 ? (expect_buf[k][i] = momentum * expect_buf[k][i] + d) : d;
            expect_p[k][i] -= lr * update;
          }
        }
        sgd.step();
      }
      EXPECT_EQ(sgd.steps(), 2);
      const auto state = sgd.state();
      ASSERT_EQ(state.size(), params.size());
      for (size_t k = 0; k < params.size(); ++k) {
        EXPECT_EQ(state[k].first, "sgd_momentum." + std::to_string(k));
        const std::vector<double> got_p = params[k].to_vector(), got_buf = state[k].second.to_vector();
        for (size_t i = 0; i < got_p.size(); ++i) {
          ASSERT_NEAR(got_p[i], expect_p[k][i], 1e-14 * (1.0 + std::abs(expect_p[k][i])))
              << "parameter " << k << "[" << i << "]";
          ASSERT_NEAR(got_buf[i], expect_buf[k][i], 1e-14 * (1.0 + std::abs(expect_buf[k][i])))
              << "momentum buffer " << k << "[" << i << "]";
        }
      }
    }
  }
}

}  // namespace
}  // namespace gan
