// DCGAN model shapes, initialisation, and a gradient reaching every parameter.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "core/autograd.h"
#include "core/error.h"
#include "layers/init.h"
#include "model_test_util.h"
#include "models/dcgan.h"

namespace gan {
namespace {

TEST(Dcgan, ShapesForEverySupportedSize) {
  // (height, width): every square size, and rectangles both ways.
  const std::vector<std::pair<int64_t, int64_t>> sizes = {{16, 16},  {28, 28},  {32, 32}, {64, 64},  {128, 128},
                                                          {256, 256}, {64, 32}, {32, 64}, {128, 64}};
  for (const auto& [h, w] : sizes) {
    for (int64_t channels : {1, 3}) {
      if (h >= 128 && channels == 1) continue;  // the large sizes once: they are the slow ones
      Rng rng(1);
      DcganConfig cfg;
      cfg.image_size = h;
      cfg.image_width = w == h ? 0 : w;
      cfg.channels = channels;
      cfg.nz = 8;
      cfg.ngf = cfg.ndf = 2;
      DcganGenerator g(cfg, rng);
      DcganDiscriminator d(cfg, rng);
      NoGradGuard ng;
      const Tensor img = g(Tensor::randn({2, 8}, rng));
      EXPECT_EQ(img.shape(), (Shape{2, channels, h, w})) << h << "x" << w;
      const auto v = img.to_vector();
      for (double x : v) ASSERT_TRUE(x >= -1.0 && x <= 1.0);
      EXPECT_EQ(d(img).shape(), (Shape{2, 1})) << h << "x" << w;
    }
  }
}

TEST(Dcgan, BaseGridKeepsTheAspectRatioAndWidthsAreCapped) {
  DcganConfig cfg;
  cfg.image_size = 64;
  cfg.image_width = 32;
  EXPECT_EQ(cfg.stages(), 3);
  EXPECT_EQ(cfg.base_height(), 8);
  EXPECT_EQ(cfg.base_width(), 4);
  EXPECT_EQ(cfg.size_str(), "64x32");
  cfg.image_width = 0;
  cfg.image_size = 28;
  EXPECT_EQ(cfg.base_height(), 7);
  EXPECT_EQ(cfg.size_str(), "28");
  // 256 px has 6 stages; the base width stays at ngf * 8, not ngf * 32.
  cfg.image_size = 256;
  cfg.ngf = cfg.ndf = 2;
  cfg.nz = 4;
  Rng rng(1);
  DcganGenerator g(cfg, rng);
  DcganDiscriminator d(cfg, rng);
  const auto first_g = g.named_parameters().front(), last_d = d.named_parameters().back();
  EXPECT_EQ(first_g.second.shape(), (Shape{4, 2 * DcganConfig::kMaxWidthFactor, 4, 4})) << first_g.first;
  EXPECT_EQ(last_d.second.shape(), (Shape{1, 2 * DcganConfig::kMaxWidthFactor, 4, 4})) << last_d.first;
  // The D of a rectangle ends in one conv over its whole base grid.
  cfg.image_size = 32;
  cfg.image_width = 128;
  DcganDiscriminator wide(cfg, rng);
  EXPECT_EQ(wide.named_parameters().back().second.shape(), (Shape{1, 2 * 4, 4, 16}));
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
  // Not a power of two, too small, too large, 28 in a rectangle: each refused naming the sizes allowed.
  for (const auto& [h, w] : std::vector<std::pair<int64_t, int64_t>>{{48, 0}, {8, 0}, {512, 0}, {28, 64}, {64, 24}}) {
    cfg.image_size = h;
    cfg.image_width = w;
    try {
      DcganGenerator g(cfg, rng);
      ADD_FAILURE() << h << "x" << w << " accepted";
    } catch (const ValueError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("image size " + cfg.size_str() + " is not supported"), std::string::npos) << what;
      EXPECT_NE(what.find("use 28 (28x28), or a height and a width that are each a power of two from 16 to 256"),
                std::string::npos)
          << what;
    }
  }
  cfg.image_width = 0;
  cfg.image_size = 28;
  DcganDiscriminator d(cfg, rng);
  EXPECT_THROW(d(Tensor::zeros({1, 1, 32, 32})), ShapeError);
  cfg.image_size = 64;
  cfg.image_width = 32;
  cfg.ngf = cfg.ndf = 2;
  DcganDiscriminator rect(cfg, rng);
  EXPECT_THROW(rect(Tensor::zeros({1, 1, 32, 64})), ShapeError);  // transposed
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
