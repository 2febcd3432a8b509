// Spectral normalisation (layers/spectral_norm.h): the power iteration finds
// the largest singular value (exactly known for a rank-one matrix; against a
// long power iteration in double for a random one), the normalised weight has
// spectral norm 1, the gradient through W / sigma(W) matches finite
// differences in float64, eval forwards leave the vectors alone, the layers
// use the normalised weight and carry u and v as buffers, and CUDA matches
// the CPU.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/error.h"
#include "gradcheck.h"
#include "layers/layers.h"
#include "layers/spectral_norm.h"
#include "models/dcgan.h"
#include "tests/kernels/cuda_test_util.h"

namespace gan {
namespace {

using testing::gradcheck;
using testing::random_input;

// The largest singular value of the row-major [rows, cols] matrix m, by 5000
// steps of power iteration on m^T m in double (independent of the engine).
double top_singular_value(const std::vector<double>& m, int64_t rows, int64_t cols) {
  std::vector<double> v(static_cast<size_t>(cols), 1.0), mv(static_cast<size_t>(rows));
  double sigma = 0.0;
  for (int it = 0; it < 5000; ++it) {
    for (int64_t r = 0; r < rows; ++r) {
      double s = 0.0;
      for (int64_t c = 0; c < cols; ++c) s += m[r * cols + c] * v[c];
      mv[r] = s;
    }
    double norm = 0.0;
    for (int64_t c = 0; c < cols; ++c) {
      double s = 0.0;
      for (int64_t r = 0; r < rows; ++r) s += m[r * cols + c] * mv[r];
      v[c] = s;
      norm += s * s;
    }
    norm = std::sqrt(norm);
    for (double& x : v) x /= norm;
    sigma = std::sqrt(norm);  // ||m^T m v|| -> sigma^2 for the unit v of the step before
  }
  return sigma;
}

TEST(SpectralNorm, RankOneMatrixHasSigmaTheProductOfNorms) {
  // W = a b^T: one nonzero singular value ||a|| ||b|| = 3 * 5 (a = (1,2,2), b = (3,4)).
  const Tensor w = Tensor::from_vector(std::vector<double>{3, 4, 6, 8, 6, 8}, {3, 2}, DType::F64);
  Rng rng(1);
  SpectralNorm sn(w, rng);
  for (int i = 0; i < 3; ++i) sn.normalize(w, /*training=*/true);
  EXPECT_NEAR(sn.sigma(w), 15.0, 1e-9);
  const std::vector<double> normalised = sn.normalize(w, false).to_vector();
  EXPECT_NEAR(normalised[0], 3.0 / 15.0, 1e-9);
}

TEST(SpectralNorm, PowerIterationFindsTheLargestSingularValue) {
  Rng rng(2);
  const Tensor w = Tensor::randn({6, 3, 2, 2}, rng, DType::F64);  // read as [6, 12]
  SpectralNorm sn(w, rng);
  for (int i = 0; i < 300; ++i) sn.normalize(w, true);
  const double want = top_singular_value(w.to_vector(), 6, 12);
  EXPECT_NEAR(sn.sigma(w), want, 1e-6 * want);
  // The normalised weight's largest singular value is 1.
  EXPECT_NEAR(top_singular_value(sn.normalize(w, false).to_vector(), 6, 12), 1.0, 1e-6);
}

TEST(SpectralNorm, GradientMatchesFiniteDifferences) {
  Rng rng(3);
  Tensor w = random_input({4, 3, 2, 2}, rng);
  SpectralNorm sn(w.detach(), rng);
  for (int i = 0; i < 5; ++i) sn.normalize(w.detach(), true);  // u, v somewhere typical, then fixed
  EXPECT_EQ(gradcheck([&](const std::vector<Tensor>& in) { return sn.normalize(in[0], false); }, {w}), 0);
}

TEST(SpectralNorm, EvalLeavesTheVectorsAloneAndTrainingMovesThem) {
  Rng rng(4);
  Conv2d conv(3, 5, 3, rng);
  conv.enable_spectral_norm(rng);
  const Tensor x = Tensor::randn({2, 3, 6, 6}, rng);
  const auto buffers = conv.named_buffers();
  ASSERT_EQ(buffers.size(), 2u);
  EXPECT_EQ(buffers[0].first, "weight_u");
  EXPECT_EQ(buffers[1].first, "weight_v");
  EXPECT_EQ(conv.named_parameters().size(), 2u);  // weight and bias, as without spectral norm
  conv.eval();
  const std::vector<double> u0 = buffers[0].second.to_vector();
  const std::vector<double> y1 = conv(x).to_vector(), y2 = conv(x).to_vector();
  EXPECT_EQ(y1, y2);
  EXPECT_EQ(buffers[0].second.to_vector(), u0);
  conv.train();
  conv(x);
  EXPECT_NE(buffers[0].second.to_vector(), u0);
  EXPECT_THROW(conv.enable_spectral_norm(rng), ValueError);
}

TEST(SpectralNorm, LayersComputeWithTheNormalisedWeight) {
  Rng rng(5);
  Conv2d conv(2, 4, 3, rng, 2, 1);
  ConvTranspose2d convt(4, 2, 4, rng, 2, 1);
  Linear lin(6, 3, rng);
  for (WeightedLayer* l : std::vector<WeightedLayer*>{&conv, &convt, &lin}) {
    l->enable_spectral_norm(rng);
    l->eval();  // fixed u, v: the two computations below see the same sigma
  }
  const Tensor x = Tensor::randn({2, 2, 7, 7}, rng);
  const auto sigma = [](WeightedLayer& l) {
    const auto b = l.named_buffers();
    return sum(mul(b[0].second, matmul(l.weight.reshape({l.weight.shape()[0], -1}), b[1].second.reshape({-1, 1}))
                                    .reshape({-1})))
        .item();
  };
  EXPECT_TRUE(test::close(conv(x).to_vector<float>(),
                          conv2d(x, div(conv.weight, sigma(conv)), conv.bias, 2, 1).to_vector<float>(), 1e-6));
  const Tensor h = Tensor::randn({2, 4, 3, 3}, rng);
  EXPECT_TRUE(test::close(convt(h).to_vector<float>(),
                          conv_transpose2d(h, div(convt.weight, sigma(convt)), convt.bias, 2, 1).to_vector<float>(),
                          1e-6));
  const Tensor v = Tensor::randn({5, 6}, rng);
  EXPECT_TRUE(test::close(lin(v).to_vector<float>(),
                          linear(v, div(lin.weight, sigma(lin)), lin.bias).to_vector<float>(), 1e-6));
}

TEST(SpectralNorm, DcganReachesEveryConvLayer) {
  DcganConfig cfg;
  cfg.image_size = 28;
  cfg.ngf = cfg.ndf = 4;
  cfg.spectral_norm_d = true;
  Rng rng(6);
  DcganDiscriminator d(cfg, rng);
  DcganGenerator g(cfg, rng);
  int64_t d_vectors = 0, g_vectors = 0;
  for (const auto& [name, t] : d.named_buffers()) d_vectors += name.ends_with("weight_u") ? 1 : 0;
  for (const auto& [name, t] : g.named_buffers()) g_vectors += name.ends_with("weight_u") ? 1 : 0;
  EXPECT_EQ(d_vectors, 3);  // 28 px: conv 28->14, conv 14->7, conv 7->1
  EXPECT_EQ(g_vectors, 0);
  EXPECT_EQ(d(Tensor::randn({2, 1, 28, 28}, rng)).shape(), (Shape{2, 1}));
}

// CUDA: three training forwards of a spectrally normalised conv give the
// same outputs and vectors as on the CPU (float32; relative error < 1e-5).
TEST(SpectralNormCuda, MatchesTheCpu) {
  GAN_SKIP_WITHOUT_CUDA();
  Rng init_cpu(7), init_cuda(7);
  Conv2d cpu(8, 16, 4, init_cpu, 2, 1), cuda(8, 16, 4, init_cuda, 2, 1);
  cpu.enable_spectral_norm(init_cpu);
  cuda.enable_spectral_norm(init_cuda);
  cuda.to(Device::cuda());
  Rng data(8);
  for (int step = 0; step < 3; ++step) {
    const Tensor x = Tensor::randn({4, 8, 16, 16}, data);
    EXPECT_TRUE(test::close(cuda(x.to(Device::cuda())).to_vector<float>(), cpu(x).to_vector<float>(), 1e-5));
  }
  const auto bc = cpu.named_buffers(), bg = cuda.named_buffers();
  for (size_t i = 0; i < bc.size(); ++i)
    EXPECT_TRUE(test::close(bg[i].second.to_vector<float>(), bc[i].second.to_vector<float>(), 1e-5)) << bc[i].first;
}

}  // namespace
}  // namespace gan
