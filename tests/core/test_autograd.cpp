// The autograd tape: reuse, accumulation, detach, no-grad, the GAN pattern,
// double backward and gradients().
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <string>

#include "core/autograd.h"
#include "core/error.h"
#include "core/ops.h"
#include "layers/layers.h"

namespace gan {
namespace {

Tensor leaf(std::vector<double> v, Shape s) {
  Tensor t = Tensor::from_vector(v, s, DType::F64);
  t.set_requires_grad(true);
  return t;
}

TEST(Autograd, ValueUsedTwiceSumsBothPaths) {
  Tensor x = leaf({3.0}, {1});
  const Tensor y = add(mul(x, x), mul(x, 2.0));  // dy/dx = 2x + 2 = 8
  y.backward();
  EXPECT_DOUBLE_EQ(x.grad().item(), 8.0);
}

TEST(Autograd, DiamondGraph) {
  Tensor x = leaf({2.0}, {1});
  const Tensor a = mul(x, 3.0), b = square(x);
  const Tensor y = mul(a, b);  // 3x^3 -> 9x^2 = 36
  y.backward();
  EXPECT_DOUBLE_EQ(x.grad().item(), 36.0);
}

TEST(Autograd, GradientsAccumulateUntilZeroGrad) {
  Tensor x = leaf({1.0, 2.0}, {2});
  sum(mul(x, 3.0)).backward();
  sum(mul(x, 3.0)).backward();
  EXPECT_EQ(x.grad().to_vector(), (std::vector<double>{6, 6}));
  x.zero_grad();
  EXPECT_FALSE(x.grad().defined());
  sum(x).backward();
  EXPECT_EQ(x.grad().to_vector(), (std::vector<double>{1, 1}));
}

// relu's derivative is 0 where its input is negative, so the bias below gets a
// gradient that is identically zero. It must come back as zeros, not as
// nothing: an optimizer skips a parameter without a gradient (the WGAN-GP
// penalty's bias terms behind a LeakyReLU mask hit this).
TEST(Autograd, ALeafWithAnIdenticallyZeroGradientGetsZeros) {
  Tensor x = leaf({1.0, 2.0}, {2});
  Tensor bias = leaf({-5.0}, {1});
  sum(relu(add(x, bias))).backward();  // every relu input is negative
  ASSERT_TRUE(bias.grad().defined());
  EXPECT_EQ(bias.grad().to_vector(), (std::vector<double>{0.0}));
  ASSERT_TRUE(x.grad().defined());
  EXPECT_EQ(x.grad().to_vector(), (std::vector<double>{0.0, 0.0}));
  // The gradient penalty's case: d/db of |d leaky_relu(w*x + b)/dx|^2 = d/db (w * mask)^2, and the
  // mask's derivative is zero (its node returns no gradient at all).
  Tensor w = leaf({0.5, -2.0}, {2});
  Tensor b = leaf({0.25}, {1});
  Tensor xin = leaf({1.0, 3.0}, {2});
  const Tensor dx = gradients(sum(leaky_relu(add(mul(w, xin), b), 0.2)), {xin}, Tensor(), true)[0];
  sum(square(dx)).backward();
  ASSERT_TRUE(b.grad().defined());
  EXPECT_EQ(b.grad().to_vector(), (std::vector<double>{0.0}));
  EXPECT_TRUE(w.grad().defined());
  // A leaf that is not part of the graph still gets nothing.
  Tensor unused = leaf({3.0}, {1});
  sum(relu(add(x, bias))).backward();
  EXPECT_FALSE(unused.grad().defined());
}

TEST(Autograd, DetachStopsGradient) {
  Tensor x = leaf({2.0}, {1});
  Tensor w = leaf({5.0}, {1});
  const Tensor h = mul(x, w);
  const Tensor y = mul(h.detach(), w);  // only the direct w path: d/dw = h = 10
  EXPECT_FALSE(h.detach().requires_grad());
  y.backward();
  EXPECT_DOUBLE_EQ(w.grad().item(), 10.0);
  EXPECT_FALSE(x.grad().defined());
}

TEST(Autograd, NoGradRecordsNothing) {
  Tensor x = leaf({2.0}, {1});
  Tensor y;
  {
    NoGradGuard guard;
    y = mul(x, x);
  }
  EXPECT_FALSE(y.requires_grad());
  EXPECT_EQ(y.grad_fn(), nullptr);
  EXPECT_THROW(y.backward(), AutogradError);
  EXPECT_TRUE(grad_enabled());
}

// G's output goes to D twice: detached for D's step (no gradient reaches G) and
// attached for G's step (it does).
TEST(Autograd, GanPatternDetachForDiscriminatorStep) {
  Tensor g_w = leaf({0.5}, {1});  // "generator" parameter
  Tensor d_w = leaf({2.0}, {1});  // "discriminator" parameter
  const Tensor z = Tensor::from_vector(std::vector<double>{3.0}, {1}, DType::F64);
  const Tensor fake = mul(z, g_w);  // 1.5

  const Tensor d_loss = mul(fake.detach(), d_w);  // D step
  d_loss.backward();
  EXPECT_DOUBLE_EQ(d_w.grad().item(), 1.5);
  EXPECT_FALSE(g_w.grad().defined());

  d_w.zero_grad();
  const Tensor g_loss = mul(fake, d_w);  // G step: d/dg_w = z * d_w = 6
  g_loss.backward();
  EXPECT_DOUBLE_EQ(g_w.grad().item(), 6.0);
}

TEST(Autograd, DoubleBackwardOfCube) {
  Tensor x = leaf({2.0}, {1});
  const Tensor y = mul(square(x), x);  // x^3
  const Tensor dy = gradients(y, {x}, Tensor(), /*create_graph=*/true)[0];
  EXPECT_DOUBLE_EQ(dy.item(), 12.0);  // 3x^2
  ASSERT_TRUE(dy.requires_grad());
  dy.backward();
  EXPECT_DOUBLE_EQ(x.grad().item(), 12.0);  // 6x
}

TEST(Autograd, GradientsLeavesDotGradAlone) {
  Tensor x = leaf({1.0, 2.0}, {2});
  const auto g = gradients(sum(square(x)), {x});
  EXPECT_EQ(g[0].to_vector(), (std::vector<double>{2, 4}));
  EXPECT_FALSE(x.grad().defined());
}

// y = a * b as a node that remembers which gradients it was asked for.
struct SpyMulBackward : Node {
  std::vector<std::vector<bool>>* calls;
  explicit SpyMulBackward(std::vector<std::vector<bool>>* c) : calls(c) {}
  const char* name() const override { return "SpyMulBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    calls->push_back({needs_grad(0), needs_grad(1)});
    return {needs_grad(0) ? mul(g, inputs[1]) : Tensor(), needs_grad(1) ? mul(g, inputs[0]) : Tensor()};
  }
};

Tensor spy_mul(const Tensor& a, const Tensor& b, std::vector<std::vector<bool>>* calls) {
  Tensor out;
  {
    NoGradGuard no_grad;
    out = mul(a, b);
  }
  record(out, std::make_shared<SpyMulBackward>(calls), {a, b});
  return out;
}

TEST(Autograd, GradientsComputesOnlyWhatLeadsToTheRequestedInputs) {
  // h = (x * w1) * w2, as WGAN-GP's d critic / d input: the weights require
  // grad, but gradients() w.r.t. x must not compute their gradients.
  Tensor x = leaf({2.0}, {1}), w1 = leaf({3.0}, {1}), w2 = leaf({5.0}, {1});
  std::vector<std::vector<bool>> calls_inner, calls_outer;
  const Tensor h = spy_mul(spy_mul(x, w1, &calls_inner), w2, &calls_outer);

  EXPECT_EQ(gradients(h, {x})[0].item(), 15.0);
  ASSERT_EQ(calls_outer.size(), 1u);
  ASSERT_EQ(calls_inner.size(), 1u);
  EXPECT_EQ(calls_outer[0], (std::vector<bool>{true, false}));
  EXPECT_EQ(calls_inner[0], (std::vector<bool>{true, false}));

  // Asking for the intermediate x * w1 only: the inner node has nothing to do.
  const Tensor inner = h.grad_fn()->inputs[0];
  EXPECT_EQ(gradients(h, {inner})[0].item(), 5.0);
  EXPECT_EQ(calls_outer.size(), 2u);
  EXPECT_EQ(calls_inner.size(), 1u);

  // backward() afterwards still fills every leaf's .grad.
  h.backward();
  EXPECT_EQ(calls_outer.back(), (std::vector<bool>{true, true}));
  EXPECT_EQ(calls_inner.back(), (std::vector<bool>{true, true}));
  EXPECT_EQ(x.grad().item(), 15.0);
  EXPECT_EQ(w1.grad().item(), 10.0);
  EXPECT_EQ(w2.grad().item(), 6.0);
}

TEST(Autograd, GradientsOfAConvolutionWithRespectToItsInputSkipTheWeightGradient) {
  // The double-backward graph of d out / d x must not contain a weight-gradient node.
  Rng rng(7);
  Tensor x = Tensor::randn({2, 3, 6, 6}, rng, DType::F64);
  x.set_requires_grad(true);
  Tensor w = Tensor::randn({4, 3, 3, 3}, rng, DType::F64);
  w.set_requires_grad(true);
  const Tensor out = sum(square(conv2d(x, w, Tensor(), 1, 1)));
  const Tensor dx = gradients(out, {x}, Tensor(), /*create_graph=*/true)[0];
  std::vector<Node*> stack{dx.grad_fn().get()};
  std::vector<std::string> names;
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    names.push_back(n->name());
    for (const Tensor& in : n->inputs)
      if (in.defined() && in.grad_fn()) stack.push_back(in.grad_fn().get());
  }
  EXPECT_NE(std::find(names.begin(), names.end(), std::string("Conv2dInputGradBackward")), names.end());
  EXPECT_EQ(std::find(names.begin(), names.end(), std::string("Conv2dWeightGradBackward")), names.end());
  EXPECT_FALSE(w.grad().defined());
}

TEST(Autograd, NonScalarBackwardNeedsGradient) {
  Tensor x = leaf({1.0, 2.0}, {2});
  const Tensor y = mul(x, 2.0);
  EXPECT_THROW(y.backward(), AutogradError);
  y.backward(Tensor::from_vector(std::vector<double>{1, 10}, {2}, DType::F64));
  EXPECT_EQ(x.grad().to_vector(), (std::vector<double>{2, 20}));
}

TEST(Autograd, BroadcastGradientSumsToInputShape) {
  Tensor b = leaf({1.0, 2.0, 3.0}, {3});
  const Tensor a = Tensor::ones({4, 3}, DType::F64);
  sum(add(a, b)).backward();
  EXPECT_EQ(b.grad().to_vector(), (std::vector<double>{4, 4, 4}));
}

TEST(Autograd, AnomalyDetectionNamesTheNodeWithTheFirstNonFiniteGradient) {
  // sqrt'(0) is infinite: the forward value is finite, the gradient is not.
  Tensor x = leaf({0.0, 4.0}, {2});
  const Tensor y = sum(mul(sqrt(x), 3.0));
  EXPECT_NO_THROW(y.backward());  // off by default: Inf flows through silently
  x.zero_grad();
  AnomalyGuard anomaly;
  try {
    sum(mul(sqrt(x), 3.0)).backward();
    FAIL() << "no NumericalError";
  } catch (const NumericalError& e) {
    EXPECT_NE(std::string(e.what()).find("SqrtBackward"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("[2]"), std::string::npos) << e.what();
  }
}

TEST(Autograd, AnomalyDetectionNamesTheLayerWithTheFirstNonFiniteOutput) {
  Sequential net;
  net.add(std::make_shared<ReLU>());
  net.add(std::make_shared<Reshape>(Shape{2}));
  net.add(std::make_shared<Sigmoid>());
  const Tensor bad = Tensor::from_vector(std::vector<double>{1.0, std::numeric_limits<double>::quiet_NaN()}, {1, 2}, DType::F64);
  const Tensor good = Tensor::from_vector(std::vector<double>{1.0, -2.0}, {1, 2}, DType::F64);
  EXPECT_NO_THROW(net.forward(bad));
  AnomalyGuard anomaly;
  EXPECT_NO_THROW(net.forward(good));
  try {
    net.forward(bad);
    FAIL() << "no NumericalError";
  } catch (const NumericalError& e) {
    EXPECT_NE(std::string(e.what()).find("input [1, 2] holds NaN"), std::string::npos) << e.what();
  }
  // A layer whose weight went NaN turns a finite input into NaN: it is named.
  Rng rng(1);
  auto fc = std::make_shared<Linear>(2, 2, rng);
  fc->weight.fill_(std::numeric_limits<double>::infinity());
  Sequential poisoned;
  poisoned.add(std::make_shared<ReLU>());
  poisoned.add(fc);
  try {
    poisoned.forward(good.to(DType::F32));
    FAIL() << "no NumericalError";
  } catch (const NumericalError& e) {
    EXPECT_NE(std::string(e.what()).find("layer 1 (Linear) produced NaN or Inf in its output [1, 2]"),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(all_finite(bad));
  EXPECT_TRUE(all_finite(good));
  EXPECT_EQ(ReLU().type_name(), "ReLU");
}

}  // namespace
}  // namespace gan
