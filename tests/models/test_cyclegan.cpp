// CycleGAN's ResNet generator and the 70x70 PatchGAN: output shapes at 64, 128
// and 256 pixels, parameter counts at the papers' widths against the reference
// implementation's, the residual skip, gradients reaching every parameter,
// initialisation, and bad inputs.
#include <gtest/gtest.h>

#include "core/autograd.h"
#include "core/error.h"
#include "layers/init.h"
#include "model_test_util.h"
#include "models/cyclegan.h"

namespace gan {
namespace {

TEST(Cyclegan, ShapesAt64128And256) {
  Rng rng(101);
  ResnetGeneratorConfig gc;
  gc.ngf = 4;  // narrow, so the test stays fast; the layout is the paper's
  gc.n_blocks = 2;
  ResnetGenerator g(gc, rng);
  PatchDiscriminatorConfig dc;
  dc.ndf = 4;
  PatchDiscriminator d(dc, rng);
  NoGradGuard no_grad;
  for (int64_t size : {64, 128, 256}) {
    const Tensor fake = g(Tensor::randn({1, 3, size, size}, rng));
    EXPECT_EQ(fake.shape(), (Shape{1, 3, size, size}));
    test::expect_in_unit_range(fake);
    // Three stride-2 convs (size / 8), then two 4x4 stride-1 pad-1 convs (-1 each):
    // a 30x30 grid of 70x70-patch logits at 256, 14x14 at 128, 6x6 at 64.
    EXPECT_EQ(d(fake).shape(), (Shape{1, 1, size / 8 - 2, size / 8 - 2}));
  }
  // Batch, channel counts and non-square images pass through too.
  ResnetGeneratorConfig gray = gc;
  gray.in_channels = 1;
  gray.n_blocks = 6;
  EXPECT_EQ(ResnetGenerator(gray, rng)(Tensor::randn({2, 1, 32, 48}, rng)).shape(), (Shape{2, 3, 32, 48}));
}

TEST(Cyclegan, ReferenceParameterCounts) {
  Rng rng(102);
  // ResNet generator, RGB, ngf = 64, instance norm without affine parameters
  // (conv biases on, see models/cyclegan.h):
  //   c7s1-64:      3*64*49 + 64       =      9,472
  //   d128:        64*128*9 + 128      =     73,856
  //   d256:       128*256*9 + 256      =    295,168
  //   R256 block: 2 * (256*256*9 + 256) = 1,180,160  (x 9 = 10,621,440; x 6 = 7,080,960)
  //   u128:       256*128*9 + 128      =    295,040
  //   u64:         128*64*9 + 64       =     73,792
  //   c7s1-3:        64*3*49 + 3       =      9,411
  //   9 blocks: 11,378,179; 6 blocks: 7,837,699.
  ResnetGeneratorConfig g9;
  EXPECT_EQ(ResnetGenerator(g9, rng).parameter_count(), 11378179);
  ResnetGeneratorConfig g6;
  g6.n_blocks = 6;
  EXPECT_EQ(ResnetGenerator(g6, rng).parameter_count(), 7837699);
  // With batch norm (no conv biases but the last; gamma and beta per channel):
  // 9,408+128 + 73,728+256 + 294,912+512 + 9 * (2*589,824 + 2*512)
  // + 294,912+256 + 73,728+128 + 9,411 = 11,383,427.
  ResnetGeneratorConfig gbn;
  gbn.norm = Norm::Batch;
  EXPECT_EQ(ResnetGenerator(gbn, rng).parameter_count(), 11383427);

  // 70x70 PatchGAN, ndf = 64, RGB, instance norm:
  //   C64:   3*64*16 + 64       =     3,136
  //   C128:  64*128*16 + 128    =   131,200
  //   C256:  128*256*16 + 256   =   524,544
  //   C512:  256*512*16 + 512   = 2,097,664   (stride 1)
  //   out:   512*1*16 + 1       =     8,193
  //   total 2,764,737.
  PatchDiscriminatorConfig d;
  EXPECT_EQ(PatchDiscriminator(d, rng).parameter_count(), 2764737);
  // Batch norm (pix2pix's default): the three middle convs lose their biases
  // (128 + 256 + 512 = 896) and the norms add 2 * 896: 2,765,633.
  d.norm = Norm::Batch;
  EXPECT_EQ(PatchDiscriminator(d, rng).parameter_count(), 2765633);
}

// A residual block whose body outputs zero is the identity: the skip is there.
TEST(Cyclegan, ResnetBlockAddsItsInput) {
  Rng rng(103);
  ResnetBlock block(3, Norm::Instance, rng);
  const Tensor x = Tensor::randn({2, 3, 5, 5}, rng);
  EXPECT_NE(block(x).to_vector(), x.to_vector());
  for (Tensor& p : block.parameters()) p.fill_(0.0);  // conv(.) = 0, IN(0) = 0
  EXPECT_EQ(block(x).to_vector(), x.to_vector());
}

TEST(Cyclegan, GradientReachesEveryParameter) {
  Rng rng(104);
  ResnetGeneratorConfig gc;
  gc.ngf = 4;
  gc.n_blocks = 2;
  ResnetGenerator g(gc, rng);
  PatchDiscriminatorConfig dc;
  dc.ndf = 4;
  PatchDiscriminator d(dc, rng);
  mean(d(g(Tensor::randn({2, 3, 32, 32}, rng)))).backward();
  test::expect_gradient_reaches_every_parameter(g);
  test::expect_gradient_reaches_every_parameter(d);
}

TEST(Cyclegan, PaperInitialisation) {
  Rng rng(105);
  ResnetGeneratorConfig gc;
  gc.ngf = 16;
  ResnetGenerator g(gc, rng);
  dcgan_init(g, rng);
  for (const auto& [name, t] : g.named_parameters()) {
    if (t.dim() == 1) {
      EXPECT_EQ(t.to_vector(), std::vector<double>(t.numel(), 0.0)) << name;  // conv biases start at 0
      continue;
    }
    const test::MeanStd w = test::mean_and_std(t);
    EXPECT_NEAR(w.mean, 0.0, 0.005) << name;
    EXPECT_NEAR(w.stddev, 0.02, 0.004) << name;
  }
}

TEST(Cyclegan, BadConfigAndInputsAreRejected) {
  Rng rng(106);
  ResnetGeneratorConfig gc;
  gc.ngf = 0;
  EXPECT_THROW(ResnetGenerator(gc, rng), ValueError);
  gc.ngf = 2;
  gc.n_blocks = 1;
  ResnetGenerator g(gc, rng);
  EXPECT_THROW(g(Tensor::zeros({1, 1, 32, 32})), ShapeError);  // 1 channel into an RGB generator
  EXPECT_THROW(g(Tensor::zeros({1, 3, 30, 32})), ShapeError);  // 30 is not a multiple of 4
  PatchDiscriminatorConfig dc;
  dc.n_layers = 0;
  EXPECT_THROW(PatchDiscriminator(dc, rng), ValueError);
  dc.n_layers = 3;
  dc.ndf = 2;
  EXPECT_THROW(PatchDiscriminator(dc, rng)(Tensor::zeros({1, 6, 64, 64})), ShapeError);
}

}  // namespace
}  // namespace gan
