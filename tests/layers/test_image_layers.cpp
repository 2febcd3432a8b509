// The layers the image-to-image models add: InstanceNorm2d, ReflectionPad2d,
// Dropout (train/eval) and make_norm2d.
#include <gtest/gtest.h>

#include <memory>

#include "core/autograd.h"
#include "core/error.h"
#include "layers/layers.h"

namespace gan {
namespace {

TEST(InstanceNorm2dLayer, AffineOrNot) {
  Rng rng(91);
  InstanceNorm2d plain(3);
  EXPECT_EQ(plain.parameter_count(), 0);
  EXPECT_THROW(plain(Tensor::zeros({1, 4, 2, 2})), ShapeError);  // 4 channels into a 3-channel layer

  InstanceNorm2d affine(3, true);
  EXPECT_EQ(affine.parameter_count(), 6);
  EXPECT_EQ(affine.weight.to_vector(), std::vector<double>(3, 1.0));
  EXPECT_EQ(affine.bias.to_vector(), std::vector<double>(3, 0.0));
  const Tensor x = Tensor::randn({2, 3, 4, 4}, rng);
  // With gamma = 1, beta = 0 both layers compute the same thing.
  EXPECT_EQ(affine(x).to_vector(), plain(x).to_vector());
  sum(mul(affine(x), x)).backward();
  EXPECT_TRUE(affine.weight.grad().defined());
  EXPECT_TRUE(affine.bias.grad().defined());
}

TEST(ReflectionPad2dLayer, GrowsEachSideByPad) {
  ReflectionPad2d pad(3);
  EXPECT_EQ(pad(Tensor::zeros({2, 3, 8, 5})).shape(), (Shape{2, 3, 14, 11}));
  EXPECT_THROW(ReflectionPad2d(-1), ValueError);
}

TEST(DropoutLayer, TrainDrawsFromTheSharedGeneratorEvalIsIdentity) {
  Rng rng(92);
  auto noise = std::make_shared<Rng>(5);
  Dropout a(0.5, noise), b(0.5, noise);
  const Tensor x = Tensor::rand({4, 8}, rng, DType::F32, Device::cpu(), 1.0, 2.0);
  const auto ya = a(x).to_vector();
  EXPECT_EQ(noise->counter(), 8u);  // 32 elements = 8 Philox blocks
  const auto yb = b(x).to_vector();
  EXPECT_EQ(noise->counter(), 16u);  // the second layer continues the same stream
  EXPECT_NE(ya, yb);
  a.eval();
  EXPECT_TRUE(a(x).is_same(x));
  EXPECT_EQ(noise->counter(), 16u);
  a.train();
  EXPECT_NE(a(x).to_vector(), x.to_vector());
  EXPECT_THROW(Dropout(1.5, noise), ValueError);
  EXPECT_THROW(Dropout(0.5, nullptr), ValueError);
}

TEST(MakeNorm2d, BuildsTheRequestedLayer) {
  EXPECT_NE(dynamic_cast<BatchNorm2d*>(make_norm2d(Norm::Batch, 4).get()), nullptr);
  const auto in = make_norm2d(Norm::Instance, 4);
  ASSERT_NE(dynamic_cast<InstanceNorm2d*>(in.get()), nullptr);
  EXPECT_EQ(in->parameter_count(), 0);  // CycleGAN's setting: affine = false
}

}  // namespace
}  // namespace gan
