// The moving average of a module's weights (layers/ema.h): the ramped decay,
// the update formula on parameters and buffers, and mismatched modules.
#include <gtest/gtest.h>

#include "core/error.h"
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

}  // namespace
}  // namespace gan
