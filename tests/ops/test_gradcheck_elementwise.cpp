// Float64 finite-difference checks of the elementwise, activation, reduction
// and shape ops, and their forward values on small hand-computed cases.
#include <gtest/gtest.h>

#include "gradcheck.h"

namespace gan {
namespace {

using testing::gradcheck;
using testing::random_input;

TEST(ElementwiseForward, BroadcastingByHand) {
  const Tensor a = Tensor::from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3}, DType::F64);
  const Tensor b = Tensor::from_vector(std::vector<double>{10, 20, 30}, {3}, DType::F64);
  const Tensor c = Tensor::from_vector(std::vector<double>{2, 4}, {2, 1}, DType::F64);
  EXPECT_EQ(add(a, b).to_vector(), (std::vector<double>{11, 22, 33, 14, 25, 36}));
  EXPECT_EQ(sub(a, b).to_vector(), (std::vector<double>{-9, -18, -27, -6, -15, -24}));
  EXPECT_EQ(mul(a, c).to_vector(), (std::vector<double>{2, 4, 6, 16, 20, 24}));
  EXPECT_EQ(div(a, c).to_vector(), (std::vector<double>{0.5, 1, 1.5, 1, 1.25, 1.5}));
  EXPECT_EQ(rsub(1.0, a).to_vector(), (std::vector<double>{0, -1, -2, -3, -4, -5}));
  EXPECT_EQ(rdiv(12.0, a).to_vector(), (std::vector<double>{12, 6, 4, 3, 2.4, 2}));
  EXPECT_EQ(add(b, c).shape(), (Shape{2, 3}));
}

TEST(ElementwiseGradcheck, BinaryWithBroadcasting) {
  Rng rng(1);
  for (auto op : {0, 1, 2, 3}) {
    auto f = [op](const std::vector<Tensor>& in) {
      switch (op) {
        case 0: return add(in[0], in[1]);
        case 1: return sub(in[0], in[1]);
        case 2: return mul(in[0], in[1]);
        default: return div(in[0], in[1]);
      }
    };
    // b is kept away from 0 so division is well conditioned.
    EXPECT_EQ(gradcheck(f, {random_input({2, 3, 4}, rng), random_input({3, 1}, rng, 0.5, 1.5)}), 0) << "op " << op;
    EXPECT_EQ(gradcheck(f, {random_input({1}, rng, 0.5, 1.5), random_input({2, 3}, rng, 0.5, 1.5)}), 0)
        << "op " << op;
  }
}

TEST(ElementwiseGradcheck, ScalarForms) {
  Rng rng(2);
  auto f = [](const std::vector<Tensor>& in) {
    const Tensor& x = in[0];
    return add(mul(sub(add(x, 3.0), 1.5), 2.0), add(div(x, 4.0), add(rsub(2.0, x), rdiv(3.0, x))));
  };
  EXPECT_EQ(gradcheck(f, {random_input({3, 4}, rng, 0.5, 2.0)}), 0);
}

TEST(ElementwiseGradcheck, Unary) {
  Rng rng(3);
  auto f = [](const std::vector<Tensor>& in) {
    const Tensor& x = in[0];  // positive, so log and sqrt are defined
    return add(add(exp(x), log(x)), add(add(sqrt(x), square(x)), add(neg(x), abs(sub(x, 1.0)))));
  };
  EXPECT_EQ(gradcheck(f, {random_input({5, 3}, rng, 0.2, 2.0)}), 0);
}

TEST(ActivationForward, ByHand) {
  const Tensor x = Tensor::from_vector(std::vector<double>{-2, -0.5, 0.5, 2}, {4}, DType::F64);
  EXPECT_EQ(relu(x).to_vector(), (std::vector<double>{0, 0, 0.5, 2}));
  EXPECT_EQ(leaky_relu(x, 0.2).to_vector(), (std::vector<double>{-0.4, -0.1, 0.5, 2}));
  const auto t = tanh(x).to_vector();
  const auto s = sigmoid(x).to_vector();
  for (int i = 0; i < 4; ++i) {
    const double v = x.to_vector()[i];
    EXPECT_NEAR(t[i], std::tanh(v), 1e-15);
    EXPECT_NEAR(s[i], 1.0 / (1.0 + std::exp(-v)), 1e-15);
  }
}

TEST(ActivationGradcheck, AllFour) {
  Rng rng(4);
  // Inputs avoid a neighbourhood of 0, where ReLU's derivative jumps.
  Tensor x = random_input({4, 5}, rng, 0.1, 2.0);
  {
    NoGradGuard ng;
    const Tensor signs = Tensor::from_vector(std::vector<double>(20, 1.0), {4, 5}, DType::F64);
    double* d = x.data<double>();
    for (int i = 0; i < 20; i += 2) d[i] = -d[i];
    (void)signs;
  }
  EXPECT_EQ(gradcheck([](const std::vector<Tensor>& in) { return relu(in[0]); }, {x}), 0);
  EXPECT_EQ(gradcheck([](const std::vector<Tensor>& in) { return leaky_relu(in[0], 0.2); }, {x}), 0);
  EXPECT_EQ(gradcheck([](const std::vector<Tensor>& in) { return tanh(in[0]); }, {x}), 0);
  EXPECT_EQ(gradcheck([](const std::vector<Tensor>& in) { return sigmoid(in[0]); }, {x}), 0);
}

TEST(ReduceForward, ByHand) {
  const Tensor a = Tensor::from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3}, DType::F64);
  EXPECT_DOUBLE_EQ(sum(a).item(), 21);
  EXPECT_DOUBLE_EQ(mean(a).item(), 3.5);
  EXPECT_EQ(sum(a, {0}).to_vector(), (std::vector<double>{5, 7, 9}));
  EXPECT_EQ(sum(a, {1}, true).shape(), (Shape{2, 1}));
  EXPECT_EQ(mean(a, {1}).to_vector(), (std::vector<double>{2, 5}));
  EXPECT_EQ(sum(a).shape(), Shape{});
}

TEST(ReduceGradcheck, SumMeanExpand) {
  Rng rng(5);
  EXPECT_EQ(gradcheck([](const std::vector<Tensor>& in) { return sum(in[0]); }, {random_input({3, 4}, rng)}), 0);
  EXPECT_EQ(gradcheck([](const std::vector<Tensor>& in) { return mean(in[0]); }, {random_input({3, 4}, rng)}), 0);
  EXPECT_EQ(gradcheck([](const std::vector<Tensor>& in) { return sum(in[0], {0, 2}); },
                      {random_input({2, 3, 4}, rng)}),
            0);
  EXPECT_EQ(gradcheck([](const std::vector<Tensor>& in) { return mean(in[0], {1}, true); },
                      {random_input({2, 3, 4}, rng)}),
            0);
  EXPECT_EQ(gradcheck([](const std::vector<Tensor>& in) { return expand(in[0], {2, 3, 4}); },
                      {random_input({3, 1}, rng)}),
            0);
}

TEST(ShapeGradcheck, ViewsAndConcat) {
  Rng rng(6);
  EXPECT_EQ(gradcheck([](const std::vector<Tensor>& in) { return in[0].reshape({4, -1}); },
                      {random_input({2, 3, 2}, rng)}),
            0);
  EXPECT_EQ(gradcheck([](const std::vector<Tensor>& in) { return in[0].flatten(1); },
                      {random_input({2, 3, 2}, rng)}),
            0);
  EXPECT_EQ(gradcheck([](const std::vector<Tensor>& in) { return in[0].transpose(0, 2).contiguous(); },
                      {random_input({2, 3, 4}, rng)}),
            0);
  EXPECT_EQ(gradcheck([](const std::vector<Tensor>& in) { return in[0].slice(1, 1, 3); },
                      {random_input({2, 4, 3}, rng)}),
            0);
  EXPECT_EQ(gradcheck([](const std::vector<Tensor>& in) { return concat({in[0], in[1]}, 1); },
                      {random_input({2, 3, 2}, rng), random_input({2, 1, 2}, rng)}),
            0);
  // A transposed (non-contiguous) operand through a broadcasting op.
  EXPECT_EQ(gradcheck([](const std::vector<Tensor>& in) { return mul(in[0].transpose(0, 1), in[1]); },
                      {random_input({3, 2}, rng), random_input({2, 3}, rng)}),
            0);
}

TEST(ShapeForward, ConcatAndSliceValues) {
  const Tensor a = Tensor::from_vector(std::vector<double>{1, 2, 3, 4}, {2, 2}, DType::F64);
  const Tensor b = Tensor::from_vector(std::vector<double>{5, 6}, {2, 1}, DType::F64);
  EXPECT_EQ(concat({a, b}, 1).to_vector(), (std::vector<double>{1, 2, 5, 3, 4, 6}));
  EXPECT_EQ(concat({a, a}, 0).shape(), (Shape{4, 2}));
  EXPECT_EQ(a.slice(1, 1, 2).to_vector(), (std::vector<double>{2, 4}));
  EXPECT_EQ(a.transpose(0, 1).to_vector(), (std::vector<double>{1, 3, 2, 4}));
  EXPECT_FALSE(a.transpose(0, 1).is_contiguous());
}

}  // namespace
}  // namespace gan
