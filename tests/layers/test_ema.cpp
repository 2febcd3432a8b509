// The moving average of a module's weights (layers/ema.h): the ramped decay,
// the update formula on parameters and buffers, mismatched modules, and the
// batch-norm statistics recomputed for the averaged weights.
#include <gtest/gtest.h>

#include <cmath>

#include "core/autograd.h"
#include "core/error.h"
#include "core/ops.h"
#include "layers/ema.h"
#include "layers/layers.h"

namespace gan {
namespace {

TEST(Ema, DecayRampsUpToTheGivenValue) {
  EXPECT_DOUBLE_EQ(ema_decay_at(0.999, 0), 0.1);
  EXPECT_DOUBLE_EQ(ema_decay_at(0.999, 10), 11.0 / 20.0);
  EXPECT_DOUBLE_EQ(ema_decay_at(0.9, 1000), 0.9);  // the ramp passes 0.9 at step 80
  EXPECT_DOUBLE_EQ(ema_decay_at(0.0, 5), 0.0);
  EXPECT_THROW(ema_decay_at(1.0, 0), ValueError);
  EXPECT_THROW(ema_decay_at(-0.1, 0), ValueError);
  EXPECT_THROW(ema_decay_at(0.5, -1), ValueError);
}

TEST(Ema, UpdateAveragesParametersAndBuffers) {
  BatchNorm2d trained(3), average(3);
  trained.weight.fill_(2.0);
  trained.running_mean.fill_(4.0);
  ema_reset(average, trained);
  EXPECT_EQ(average.weight.to_vector<double>(), std::vector<double>(3, 2.0));
  EXPECT_EQ(average.running_mean.to_vector<double>(), std::vector<double>(3, 4.0));
  // The trained module moves on; the average follows by 1 - d.
  trained.weight.fill_(6.0);
  trained.running_mean.fill_(0.0);
  ema_update(average, trained, 0.75);
  for (double v : average.weight.to_vector<double>()) EXPECT_DOUBLE_EQ(v, 0.75 * 2 + 0.25 * 6);
  for (double v : average.running_mean.to_vector<double>()) EXPECT_DOUBLE_EQ(v, 0.75 * 4 + 0.25 * 0);
  EXPECT_EQ(trained.weight.to_vector<double>(), std::vector<double>(3, 6.0)) << "the source is not changed";
  EXPECT_FALSE(average.weight.grad().defined());
}

TEST(Ema, ModulesOfAnotherShapeAreRefused) {
  BatchNorm2d a(3), b(4);
  Rng rng(1);
  Linear c(3, 1, rng);
  EXPECT_THROW(ema_update(a, b, 0.5), ShapeError);
  EXPECT_THROW(ema_reset(a, c), ShapeError);
}

TEST(Ema, BatchNormStatisticsAreRecomputedForTheCurrentWeights) {
  Rng rng(21);
  Sequential model;
  auto conv = model.add(std::make_shared<Conv2d>(2, 3, 3, rng));
  auto bn = model.add(std::make_shared<BatchNorm2d>(3));
  model.eval();
  // Statistics of other weights (as an average of them would hold).
  bn->running_mean.fill_(100.0);
  bn->running_var.fill_(50.0);
  std::vector<Tensor> inputs;
  for (int i = 0; i < 3; ++i) inputs.push_back(Tensor::randn({4, 2, 5, 5}, rng));
  size_t next = 0;
  recompute_batch_norm_statistics(model, 3, [&] { model.forward(inputs[next++]); });
  ASSERT_EQ(next, 3U);
  // Expected: the mean over the batches of each batch's per-channel mean and
  // unbiased variance of the convolution's output.
  std::vector<double> mean(3, 0.0), var(3, 0.0);
  {
    NoGradGuard no_grad;
    for (const Tensor& x : inputs) {
      const std::vector<double> y = conv->forward(x).to_vector<double>();  // [4, 3, 3, 3]
      for (int c = 0; c < 3; ++c) {
        std::vector<double> v;
        for (int n = 0; n < 4; ++n)
          for (int i = 0; i < 9; ++i) v.push_back(y[static_cast<size_t>((n * 3 + c) * 9 + i)]);
        double m = 0, ss = 0;
        for (double e : v) m += e / static_cast<double>(v.size());
        for (double e : v) ss += (e - m) * (e - m);
        mean[static_cast<size_t>(c)] += m / 3;
        var[static_cast<size_t>(c)] += ss / static_cast<double>(v.size() - 1) / 3;
      }
    }
  }
  const std::vector<double> got_mean = bn->running_mean.to_vector<double>(), got_var = bn->running_var.to_vector<double>();
  for (size_t c = 0; c < 3; ++c) {
    EXPECT_NEAR(got_mean[c], mean[c], 1e-5 * std::sqrt(var[c])) << "channel " << c;  // float32 sums
    EXPECT_NEAR(got_var[c], var[c], 1e-5 * var[c]) << "channel " << c;
  }
  EXPECT_FALSE(model.is_training()) << "the mode is restored";
  EXPECT_DOUBLE_EQ(bn->momentum, 0.1) << "the momentum is restored";
  EXPECT_THROW(recompute_batch_norm_statistics(model, 0, [] {}), ValueError);
}

// Only the batch norms train during the passes: a spectral-norm layer's
// power-iteration vectors stay as they were (exact resume depends on it).
TEST(Ema, RecomputingLeavesSpectralNormVectorsAlone) {
  Rng rng(23);
  Sequential model;
  auto conv = model.add(std::make_shared<Conv2d>(2, 3, 3, rng));
  conv->enable_spectral_norm(rng);
  model.add(std::make_shared<BatchNorm2d>(3));
  model.train();
  const std::vector<NamedTensor> before = model.named_buffers();
  std::vector<std::vector<float>> values;
  for (const auto& [name, t] : before) values.push_back(t.to_vector<float>());
  const Tensor x = Tensor::randn({4, 2, 5, 5}, rng);
  recompute_batch_norm_statistics(model, 2, [&] { model.forward(x); });
  const std::vector<NamedTensor> after = model.named_buffers();
  ASSERT_EQ(after.size(), before.size());
  int vectors = 0;
  for (size_t i = 0; i < after.size(); ++i) {
    const auto& [name, t] = after[i];
    if (name.find("weight_") == std::string::npos) continue;  // u and v, not the statistics
    ++vectors;
    EXPECT_EQ(t.to_vector<float>(), values[i]) << name << " moved";
  }
  EXPECT_EQ(vectors, 2);
  EXPECT_TRUE(model.is_training()) << "the mode is restored";
  EXPECT_TRUE(conv->is_training());
}

TEST(Ema, RecomputingWithoutBatchNormRunsNothing) {
  Rng rng(22);
  Sequential model;
  model.add(std::make_shared<Conv2d>(1, 1, 1, rng));
  int calls = 0;
  recompute_batch_norm_statistics(model, 4, [&] { ++calls; });
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace gan
