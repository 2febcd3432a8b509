// pix2pix's U-Net generator: output shapes at 64, 128 and 256 pixels, the
// parameter counts of the reference implementation, the skip connections,
// dropout in training and not in eval, gradients reaching every parameter, and
// bad inputs.
#include <gtest/gtest.h>

#include <memory>

#include "core/autograd.h"
#include "core/error.h"
#include "model_test_util.h"
#include "models/pix2pix.h"

namespace gan {
namespace {

UnetGeneratorConfig narrow(int64_t num_downs) {
  UnetGeneratorConfig c;
  c.num_downs = num_downs;
  c.ngf = 4;  // narrow, so the test stays fast
  return c;
}

int count_dropout_layers(Module& m) {
  int n = 0;
  m.apply([&](Module& child) { n += dynamic_cast<Dropout*>(&child) != nullptr; });
  return n;
}

TEST(Pix2pix, ShapesAt64128And256) {
  Rng rng(111);
  for (const auto& [size, downs] : std::vector<std::pair<int64_t, int64_t>>{{64, 6}, {128, 7}, {256, 8}}) {
    UnetGenerator g(narrow(downs), rng);
    const Tensor out = g(Tensor::randn({1, 3, size, size}, rng));
    EXPECT_EQ(out.shape(), (Shape{1, 3, size, size})) << size;
    test::expect_in_unit_range(out);
    // Dropout on the num_downs - 5 blocks around the innermost.
    EXPECT_EQ(count_dropout_layers(g), downs - 5) << size;
  }
  UnetGeneratorConfig c = narrow(6);
  c.in_channels = 1;
  c.out_channels = 2;
  c.use_dropout = false;
  c.norm = Norm::Instance;
  UnetGenerator g(c, rng);
  EXPECT_EQ(count_dropout_layers(g), 0);
  EXPECT_EQ(g(Tensor::randn({2, 1, 64, 128}, rng)).shape(), (Shape{2, 2, 64, 128}));
}

TEST(Pix2pix, ReferenceParameterCounts) {
  Rng rng(112);
  // unet_256 (num_downs 8, ngf 64, RGB), batch norm: convs before a batch norm
  // have no bias; the outermost transposed conv has one. Conv 4x4: in*out*16.
  //   innermost  down 512->512: 4,194,304; up 512->512: 4,194,304 + BN 1,024   =  8,389,632
  //   3 x middle 512: down 4,194,304 + BN 1,024; up 1024->512 8,388,608 + BN 1,024
  //                   = 12,584,960 each                                         = 37,754,880
  //   256/512: down 2,097,152 + 1,024; up 1024->256 4,194,304 + 512             =  6,292,992
  //   128/256: down   524,288 +   512; up  512->128 1,048,576 + 256             =  1,573,632
  //    64/128: down   131,072 +   256; up  256->64    262,144 + 128             =    393,600
  //   outermost: down 3->64 3,072; up 128->3 6,144 + 3                          =      9,219
  //   total 54,413,955 (the reference prints "54.414 M").
  UnetGeneratorConfig c;
  EXPECT_EQ(UnetGenerator(c, rng).parameter_count(), 54413955);
  // Instance norm without affine parameters: no norm parameters, and every conv
  // has a bias. At ngf = 8 (channels 8, 16, 32, 64; constructing a second 54M
  // net would only cost time):
  //   innermost  down 64->64: 65,536 + 64; up 64->64: 65,536 + 64                 =   131,200
  //   3 x middle 64: down 65,536 + 64; up 128->64: 131,072 + 64 = 196,736 each     =   590,208
  //   32/64: down 32,768 + 64; up 128->32 65,536 + 32                            =    98,400
  //   16/32: down  8,192 + 32; up  64->16 16,384 + 16                            =    24,624
  //    8/16: down  2,048 + 16; up  32->8   4,096 +  8                            =     6,168
  //   outermost: down 3->8 384 + 8; up 16->3 768 + 3                             =     1,163
  //   total 851,763.
  c.norm = Norm::Instance;
  c.ngf = 8;
  EXPECT_EQ(UnetGenerator(c, rng).parameter_count(), 851763);
}

// The innermost block outputs [LeakyReLU(x), up(down(LeakyReLU(x)))]: the skip
// half is the activated input, as in the reference implementations.
TEST(Pix2pix, SkipCarriesTheActivatedInput) {
  Rng rng(113);
  const UnetGeneratorConfig c = narrow(6);
  auto noise = std::make_shared<Rng>(1);
  UnetBlock block(UnetBlock::Kind::Innermost, 4, 8, nullptr, c, false, noise, rng);
  const Tensor x = Tensor::randn({2, 4, 2, 2}, rng);
  const Tensor out = block(x);
  ASSERT_EQ(out.shape(), (Shape{2, 8, 2, 2}));
  EXPECT_EQ(out.slice(1, 0, 4).to_vector(), leaky_relu(x, 0.2).to_vector());
}

TEST(Pix2pix, DropoutInTrainingOnlyAndReproducibleFromItsGeneratorState) {
  Rng rng(114);
  UnetGenerator g(narrow(6), rng);
  const Tensor x = Tensor::randn({2, 3, 64, 64}, rng);
  NoGradGuard no_grad;
  Rng& noise = g.dropout_generator();
  const uint64_t seed = noise.seed(), start = noise.counter();
  const auto first = g(x).to_vector();
  EXPECT_GT(noise.counter(), start);
  EXPECT_NE(g(x).to_vector(), first);  // a fresh mask
  noise.set_state(seed, start);
  EXPECT_EQ(g(x).to_vector(), first);  // the same mask again

  g.eval();
  const uint64_t before = noise.counter();
  const auto a = g(x).to_vector();
  EXPECT_EQ(g(x).to_vector(), a);
  EXPECT_EQ(noise.counter(), before);  // nothing drawn in eval
}

TEST(Pix2pix, GradientReachesEveryParameter) {
  Rng rng(115);
  for (Norm norm : {Norm::Batch, Norm::Instance}) {
    UnetGeneratorConfig c = narrow(5);
    c.norm = norm;
    UnetGenerator g(c, rng);
    mean(square(g(Tensor::randn({2, 3, 32, 32}, rng)))).backward();
    test::expect_gradient_reaches_every_parameter(g);
  }
}

TEST(Pix2pix, BadConfigAndInputsAreRejected) {
  Rng rng(116);
  EXPECT_THROW(UnetGenerator(narrow(4), rng), ValueError);
  UnetGenerator g(narrow(6), rng);
  try {
    g(Tensor::zeros({1, 3, 96, 96}));
    FAIL() << "a 96x96 image accepted by a 6-level U-Net";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("multiples of 64"), std::string::npos) << e.what();
  }
  EXPECT_THROW(g(Tensor::zeros({1, 1, 64, 64})), ShapeError);
}

}  // namespace
}  // namespace gan
