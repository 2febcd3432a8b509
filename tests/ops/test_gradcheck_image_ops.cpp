// The image-to-image ops (instance_norm2d, reflection_pad2d, dropout, channel
// concat for U-Net skips): float64 finite-difference gradient checks, second
// derivatives where a gradient penalty could need them, and the ops' argument
// checks and special cases.
#include <gtest/gtest.h>

#include <string>

#include "core/error.h"
#include "gradcheck.h"

namespace gan {
namespace {

using testing::gradcheck;
using testing::random_input;

// ---- instance_norm2d ----------------------------------------------------------------

TEST(InstanceNormGradcheck, AffineAndPlain) {
  Rng rng(71);
  EXPECT_EQ(gradcheck([](const std::vector<Tensor>& t) { return instance_norm2d(t[0], t[1], t[2]); },
                      {random_input({2, 3, 3, 4}, rng), random_input({3}, rng, 0.5, 1.5), random_input({3}, rng)}),
            0);
  EXPECT_EQ(gradcheck([](const std::vector<Tensor>& t) { return instance_norm2d(t[0], Tensor(), Tensor()); },
                      {random_input({2, 2, 3, 3}, rng)}),
            0);
  // A non-contiguous (transposed) input goes through contiguous() first.
  EXPECT_EQ(gradcheck([](const std::vector<Tensor>& t) {
                        return instance_norm2d(t[0].transpose(2, 3), Tensor(), Tensor());
                      },
                      {random_input({1, 2, 4, 3}, rng)}),
            0);
}

TEST(InstanceNormForward, EveryPlaneHasZeroMeanAndUnitVariance) {
  Rng rng(72);
  const int64_t N = 2, C = 3, HW = 20;
  const Tensor x = Tensor::randn({N, C, 4, 5}, rng, DType::F64, Device::cpu(), 3.0, 2.0);
  const auto y = instance_norm2d(x, Tensor(), Tensor(), 0.0).to_vector();
  for (int64_t plane = 0; plane < N * C; ++plane) {
    double m = 0, v = 0;
    for (int64_t i = 0; i < HW; ++i) m += y[plane * HW + i];
    m /= HW;
    for (int64_t i = 0; i < HW; ++i) v += (y[plane * HW + i] - m) * (y[plane * HW + i] - m);
    EXPECT_NEAR(m, 0.0, 1e-12) << plane;
    EXPECT_NEAR(v / HW, 1.0, 1e-12) << plane;
  }
}

// The create_graph backward (composite ops) and the fused kernel agree.
TEST(InstanceNormBackward, CompositeAndKernelPathsAgree) {
  Rng rng(73);
  Tensor x = random_input({2, 3, 4, 4}, rng), gamma = random_input({3}, rng, 0.5, 1.5);
  Tensor beta = random_input({3}, rng);
  const Tensor w = Tensor::randn({2, 3, 4, 4}, rng, DType::F64);
  const Tensor loss = sum(mul(instance_norm2d(x, gamma, beta), w));
  const auto fused = gradients(loss, {x, gamma, beta}, Tensor(), false);
  const auto composite = gradients(loss, {x, gamma, beta}, Tensor(), true);
  for (size_t k = 0; k < 3; ++k) {
    const auto a = fused[k].to_vector(), b = composite[k].to_vector();
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-12) << "input " << k << " element " << i;
  }
}

// Double backward: the gradient of sum(IN(x) * W) w.r.t. (x, gamma), itself
// differentiated by finite differences (what a gradient penalty needs).
TEST(InstanceNormDoubleBackward, GradientOfGradientMatchesFiniteDifferences) {
  Rng rng(74);
  const Tensor w = Tensor::randn({2, 2, 3, 3}, rng, DType::F64);
  const Tensor beta = Tensor::randn({2}, rng, DType::F64);
  auto input_gradient = [&](const std::vector<Tensor>& t) {
    GradModeGuard on(true);  // the finite-difference evaluations run under NoGradGuard
    const Tensor loss = sum(mul(instance_norm2d(t[0], t[1], beta), w));
    const auto g = gradients(loss, {t[0], t[1]}, Tensor(), /*create_graph=*/true);
    return concat({g[0].reshape({-1}), g[1]}, 0);
  };
  EXPECT_EQ(gradcheck(input_gradient, {random_input({2, 2, 3, 3}, rng), random_input({2}, rng, 0.5, 1.5)}), 0);
  // Without affine parameters, and the gradient's own norm squared as the
  // outer function (the shape of WGAN-GP's penalty).
  auto penalty = [&](const std::vector<Tensor>& t) {
    GradModeGuard on(true);
    const Tensor loss = sum(mul(instance_norm2d(t[0], Tensor(), Tensor()), w));
    return sum(square(gradients(loss, {t[0]}, Tensor(), true)[0]));
  };
  EXPECT_EQ(gradcheck(penalty, {random_input({2, 2, 3, 3}, rng)}), 0);
}

TEST(InstanceNormErrors, NameTheOpAndTheShapes) {
  const Tensor x = Tensor::zeros({2, 3, 4, 4});
  try {
    instance_norm2d(x, Tensor::ones({4}), Tensor::zeros({4}));
    FAIL() << "wrong gamma size accepted";
  } catch (const ShapeError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("instance_norm2d"), std::string::npos) << msg;
    EXPECT_NE(msg.find("[2, 3, 4, 4]"), std::string::npos) << msg;
  }
  EXPECT_THROW(instance_norm2d(Tensor::zeros({2, 3, 1, 1}), Tensor(), Tensor()), ShapeError);  // no variance
  EXPECT_THROW(instance_norm2d(Tensor::zeros({3, 4, 4}), Tensor(), Tensor()), ShapeError);
  EXPECT_THROW(instance_norm2d(x, Tensor::ones({3}), Tensor()), ValueError);  // gamma without beta
  EXPECT_THROW(instance_norm2d(x, Tensor::ones({3}, DType::F64), Tensor::zeros({3}, DType::F64)), DTypeError);
}

// ---- reflection_pad2d ---------------------------------------------------------------

TEST(ReflectionPadGradcheck, SmallAndLargePads) {
  Rng rng(75);
  // pad 3 on a 4 x 5 plane: rows near both edges are read three times.
  for (int64_t pad : {1, 3}) {
    EXPECT_EQ(gradcheck([pad](const std::vector<Tensor>& t) { return reflection_pad2d(t[0], pad); },
                        {random_input({2, 2, 4, 5}, rng)}),
              0)
        << "pad " << pad;
  }
}

// The backward is recorded as its own op under create_graph: its derivative
// w.r.t. the incoming gradient (the pad again) is checked here.
TEST(ReflectionPadDoubleBackward, AdjointIsDifferentiable) {
  Rng rng(76);
  const Tensor x = random_input({1, 2, 3, 4}, rng);
  auto input_gradient = [&](const std::vector<Tensor>& t) {
    GradModeGuard on(true);
    return gradients(sum(mul(reflection_pad2d(x, 2), t[0])), {x}, Tensor(), true)[0];
  };
  EXPECT_EQ(gradcheck(input_gradient, {random_input({1, 2, 7, 8}, rng)}), 0);
}

TEST(ReflectionPadErrors, PadMustBeSmallerThanThePlane) {
  const Tensor x = Tensor::zeros({1, 1, 3, 5});
  EXPECT_NO_THROW(reflection_pad2d(x, 2));
  try {
    reflection_pad2d(x, 3);
    FAIL() << "pad 3 on height 3 accepted";
  } catch (const ShapeError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("reflection_pad2d"), std::string::npos) << msg;
    EXPECT_NE(msg.find("[1, 1, 3, 5]"), std::string::npos) << msg;
  }
  EXPECT_THROW(reflection_pad2d(x, -1), ValueError);
  EXPECT_THROW(reflection_pad2d(Tensor::zeros({3, 5}), 1), ShapeError);
  EXPECT_TRUE(reflection_pad2d(x, 0).is_same(x));
}

// ---- dropout ------------------------------------------------------------------------

// Each evaluation starts from the same RNG state, so the mask is fixed
// and dropout is the linear map x -> x * mask.
TEST(DropoutGradcheck, FixedMask) {
  Rng rng(77);
  EXPECT_EQ(gradcheck(
                [](const std::vector<Tensor>& t) {
                  Rng g(5);
                  return dropout(t[0], 0.4, true, g);
                },
                {random_input({3, 4, 5}, rng)}),
            0);
}

TEST(DropoutForward, TrainingScalesKeptValuesAndAdvancesTheGenerator) {
  Rng rng(78);
  const Tensor x = Tensor::rand({3, 7}, rng, DType::F64, Device::cpu(), 1.0, 2.0);  // never zero
  const double p = 0.25;
  Rng g(11);
  g.set_state(11, 40);
  const auto y = dropout(x, p, true, g).to_vector();
  EXPECT_EQ(g.counter(), 40u + 6u);  // ceil(21 / 4) Philox blocks
  const auto xv = x.to_vector();
  int kept = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    EXPECT_TRUE(y[i] == 0.0 || y[i] == xv[i] * (1 / (1 - p))) << i << ": " << y[i] << " from " << xv[i];
    kept += y[i] != 0.0;
  }
  EXPECT_GT(kept, 0);
  EXPECT_LT(kept, 21);
  // The next call draws fresh numbers: another mask.
  EXPECT_NE(dropout(x, p, true, g).to_vector(), y);
  // The same state gives the same mask.
  g.set_state(11, 40);
  EXPECT_EQ(dropout(x, p, true, g).to_vector(), y);
}

TEST(DropoutForward, EvalAndZeroProbabilityAreTheIdentity) {
  Rng rng(79);
  Tensor x = random_input({4, 5}, rng);
  Rng g(3);
  EXPECT_TRUE(dropout(x, 0.5, false, g).is_same(x));
  EXPECT_TRUE(dropout(x, 0.0, true, g).is_same(x));
  EXPECT_EQ(g.counter(), 0u);  // nothing drawn
  // p = 1 drops everything, and nothing flows back.
  const Tensor y = dropout(x, 1.0, true, g);
  EXPECT_EQ(y.to_vector(), std::vector<double>(20, 0.0));
  sum(y).backward();
  EXPECT_EQ(x.grad().to_vector(), std::vector<double>(20, 0.0));
  EXPECT_THROW(dropout(x, 1.5, true, g), ValueError);
  EXPECT_THROW(dropout(x, -0.1, true, g), ValueError);
}

// The gradient is the incoming gradient times the same mask as the forward.
TEST(DropoutBackward, UsesTheForwardMask) {
  Rng rng(80);
  Tensor x = random_input({6, 6}, rng, 1.0, 2.0);
  Rng g(21);
  const Tensor y = dropout(x, 0.5, true, g);
  sum(y).backward();
  const auto yv = y.to_vector(), xv = x.to_vector(), gx = x.grad().to_vector();
  for (size_t i = 0; i < yv.size(); ++i) EXPECT_DOUBLE_EQ(gx[i] * xv[i], yv[i]) << i;  // mask = y / x
}

// ---- concat along channels (U-Net skip connections) ----------------------------------

TEST(ConcatGradcheck, ChannelSkipConnection) {
  Rng rng(81);
  // Three NCHW tensors, one of them a non-contiguous view.
  EXPECT_EQ(gradcheck(
                [](const std::vector<Tensor>& t) { return concat({t[0], t[1].transpose(2, 3), t[2]}, 1); },
                {random_input({2, 1, 3, 4}, rng), random_input({2, 2, 4, 3}, rng), random_input({2, 3, 3, 4}, rng)}),
            0);
  // The skip pattern: one tensor both concatenated and transformed.
  EXPECT_EQ(gradcheck([](const std::vector<Tensor>& t) { return concat({t[0], tanh(mul(t[0], t[1]))}, 1); },
                      {random_input({2, 2, 3, 3}, rng), random_input({2, 2, 3, 3}, rng)}),
            0);
}

}  // namespace
}  // namespace gan
