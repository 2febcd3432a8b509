// DCGAN model shapes, initialisation, and a gradient reaching every parameter.
#include <gtest/gtest.h>

#include <cmath>

#include "core/autograd.h"
#include "core/error.h"
#include "layers/init.h"
#include "model_test_util.h"
#include "models/dcgan.h"

namespace gan {
namespace {

TEST(Dcgan, ShapesForEverySupportedSize) {
  for (int64_t size : {28, 32, 64}) {
    for (int64_t channels : {1, 3}) {
      Rng rng(1);
      DcganConfig cfg;
      cfg.image_size = size;
      cfg.channels = channels;
      cfg.nz = 8;
      cfg.ngf = cfg.ndf = 4;
      DcganGenerator g(cfg, rng);
      DcganDiscriminator d(cfg, rng);
      NoGradGuard ng;
      const Tensor img = g(Tensor::randn({2, 8}, rng));
      EXPECT_EQ(img.shape(), (Shape{2, channels, size, size}));
      const auto v = img.to_vector();
      for (double x : v) ASSERT_TRUE(x >= -1.0 && x <= 1.0);
      EXPECT_EQ(d(img).shape(), (Shape{2, 1}));
    }
  }
}

TEST(Dcgan, PaperDefaultsAt64HaveTheKnownParameterCounts) {
  // The reference DCGAN at 64x64x3 (nz 100, ngf = ndf = 64): G 3,576,704 and
  // D 2,765,568 parameters (conv weights without bias plus BN gamma/beta).
  Rng rng(1);
  DcganConfig cfg;
  cfg.channels = 3;
  EXPECT_EQ(DcganGenerator(cfg, rng).parameter_count(), 3576704);
  EXPECT_EQ(DcganDiscriminator(cfg, rng).parameter_count(), 2765568);
}

TEST(Dcgan, InitFollowsThePaper) {
  Rng rng(3);
  DcganConfig cfg;
  cfg.image_size = 32;
  DcganGenerator g(cfg, rng);
  dcgan_init(g, rng);
  for (auto& [name, t] : g.named_parameters()) {
    const auto [m, s] = test::mean_and_std(t);
    const size_t size = static_cast<size_t>(t.numel());
    if (t.dim() == 4) {
      EXPECT_NEAR(m, 0.0, 0.005) << name;
      EXPECT_NEAR(s, 0.02, 0.004) << name;
    } else if (name.find("weight") != std::string::npos && size >= 64) {
      EXPECT_NEAR(m, 1.0, 0.01) << name;  // BN gamma ~ N(1, 0.02)
    } else if (name.find("bias") != std::string::npos) {
      EXPECT_EQ(s, 0.0) << name;  // BN beta = 0
    }
  }
}

TEST(Dcgan, GradientReachesEveryParameter) {
  Rng rng(4);
  DcganConfig cfg;
  cfg.image_size = 28;
  cfg.nz = 4;
  cfg.ngf = cfg.ndf = 2;
  DcganGenerator g(cfg, rng);
  DcganDiscriminator d(cfg, rng);
  const Tensor loss = mean(d(g(Tensor::randn({3, 4}, rng))));
  loss.backward();
  for (auto* m : {static_cast<Module*>(&g), static_cast<Module*>(&d)}) {
    for (auto& [name, t] : m->named_parameters()) EXPECT_TRUE(t.grad().defined()) << name;
  }
}

TEST(Dcgan, BadConfigAndInputsAreRejected) {
  Rng rng(5);
  DcganConfig cfg;
  cfg.image_size = 48;
  EXPECT_THROW(DcganGenerator(cfg, rng), ValueError);
  cfg.image_size = 28;
  DcganDiscriminator d(cfg, rng);
  EXPECT_THROW(d(Tensor::zeros({1, 1, 32, 32})), ShapeError);
}

TEST(Dcgan, ConditionalModelsTakeOneHotClasses) {
  Rng rng(3);
  DcganConfig cfg;
  cfg.image_size = 28;
  cfg.nz = 6;
  cfg.ngf = cfg.ndf = 4;
  cfg.num_classes = 10;
  DcganGenerator g(cfg, rng);
  DcganDiscriminator d(cfg, rng);
  const Tensor y = one_hot({0, 9, 3}, 10);
  EXPECT_EQ(y.to_vector<double>()[9 + 10], 1.0);
  EXPECT_EQ(y.to_vector<double>()[0 + 10], 0.0);
  const Tensor img = g.forward(Tensor::randn({3, 6}, rng), y);
  EXPECT_EQ(img.shape(), (Shape{3, 1, 28, 28}));
  EXPECT_EQ(d.forward(img, y).shape(), (Shape{3, 1}));
  // The class changes the output: the same noise with another class differs.
  const Tensor z = Tensor::randn({3, 6}, rng);
  EXPECT_NE(g.forward(z, y).to_vector<double>(), g.forward(z, one_hot({1, 1, 1}, 10)).to_vector<double>());
  // Unconditional calls on a conditional model, and the reverse, say what to do.
  EXPECT_THROW(g.forward(z), ValueError);
  EXPECT_THROW(d.forward(img), ValueError);
  EXPECT_THROW(d.forward(img, one_hot({0, 1}, 10)), ShapeError);
  EXPECT_THROW(one_hot({10}, 10), ValueError);
  cfg.num_classes = 0;
  DcganGenerator plain(cfg, rng);
  EXPECT_THROW(plain.forward(z, y), ValueError);
}

}  // namespace
}  // namespace gan
