// The metric's classifier: shapes, parameter count, features vs logits, and
// cross_entropy (values by hand, stability for huge logits, gradient check).
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "gradcheck.h"
#include "models/classifier.h"

namespace gan {
namespace {

TEST(FashionClassifier, ShapesAndParameterCount) {
  Rng rng(1);
  FashionClassifier model(ClassifierConfig{}, rng);
  // conv 1->16 3x3: 144 + 16; conv 16->32 4x4: 8192 + 32; conv 32->64 4x4: 32768 + 64;
  // linear 3136->128: 401408 + 128; linear 128->10: 1280 + 10.
  EXPECT_EQ(model.parameter_count(), 160 + 8224 + 32832 + 401536 + 1290);
  const Tensor x = Tensor::rand({3, 1, 28, 28}, rng, DType::F32, Device::cpu(), -1.0, 1.0);
  const Tensor feats = model.features(x);
  EXPECT_EQ(feats.shape(), (Shape{3, 128}));
  for (double v : feats.to_vector()) EXPECT_GE(v, 0.0);  // after a ReLU
  const Tensor logits = model(x);
  EXPECT_EQ(logits.shape(), (Shape{3, 10}));
  EXPECT_EQ(model.classify(feats).to_vector(), logits.to_vector());
  EXPECT_THROW(model(Tensor::zeros({3, 1, 32, 32})), ShapeError);
  EXPECT_THROW(model(Tensor::zeros({3, 3, 28, 28})), ShapeError);
  ClassifierConfig bad;
  bad.width = 0;
  EXPECT_THROW(FashionClassifier(bad, rng), ValueError);
}

TEST(CrossEntropy, ByHand) {
  // Row 0: logits (0, ln 3), label 1: softmax (1/4, 3/4), loss -ln(3/4).
  // Row 1: logits (2, 2), label 0: loss ln 2. Mean: (ln(4/3) + ln 2) / 2.
  Tensor logits = Tensor::from_vector(std::vector<double>{0, std::log(3.0), 2, 2}, {2, 2}, DType::F64);
  logits.set_requires_grad(true);
  const Tensor loss = cross_entropy(logits, {1, 0});
  EXPECT_NEAR(loss.item(), (std::log(4.0 / 3.0) + std::log(2.0)) / 2, 1e-15);
  // d/dlogits = (softmax - onehot) / N: row 0 (1/4, 3/4 - 1) / 2, row 1 (1/2 - 1, 1/2) / 2.
  loss.backward();
  const std::vector<double> g = logits.grad().to_vector();
  const std::vector<double> want = {0.125, -0.125, -0.25, 0.25};
  for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(g[i], want[i], 1e-15) << i;
}

TEST(CrossEntropy, StableForHugeLogits) {
  // Without the max shift exp(1000) overflows. Row (1000, 0) with label 0 costs
  // log(1 + e^-1000) = 0; with label 1 it costs 1000.
  const Tensor logits = Tensor::from_vector(std::vector<double>{1000, 0, 1000, 0}, {2, 2}, DType::F32);
  EXPECT_NEAR(cross_entropy(logits, {0, 1}).item(), 500.0, 1e-3);
  const Tensor negative = Tensor::from_vector(std::vector<double>{-1000, -2000, -1000, -1000}, {2, 2}, DType::F32);
  EXPECT_NEAR(cross_entropy(negative, {0, 1}).item(), std::log(2.0) / 2, 1e-6);
}

TEST(CrossEntropy, GradcheckAndErrors) {
  Rng rng(2);
  const std::vector<int64_t> labels = {2, 0, 1, 2};
  EXPECT_EQ(testing::gradcheck([&](const std::vector<Tensor>& in) { return cross_entropy(in[0], labels); },
                               {testing::random_input({4, 3}, rng, -2.0, 2.0)}),
            0);
  const Tensor logits = Tensor::zeros({2, 3});
  EXPECT_THROW(cross_entropy(logits, {0}), ShapeError);
  EXPECT_THROW(cross_entropy(logits, {0, 3}), ValueError);
  EXPECT_THROW(cross_entropy(logits, {-1, 0}), ValueError);
  EXPECT_THROW(cross_entropy(Tensor::zeros({6}), {0}), ShapeError);
}

}  // namespace
}  // namespace gan
