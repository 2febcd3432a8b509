// Float64 finite-difference checks of the neural-network ops: matmul/linear,
// conv2d, conv_transpose2d, batch_norm2d and the losses; and their forward
// values on small hand-computed cases.
#include <gtest/gtest.h>

#include "gradcheck.h"

namespace gan {
namespace {

using testing::gradcheck;
using testing::random_input;

TEST(MatmulGradcheck, MatmulAndLinear) {
  Rng rng(11);
  EXPECT_EQ(gradcheck([](const std::vector<Tensor>& in) { return matmul(in[0], in[1]); },
                      {random_input({3, 4}, rng), random_input({4, 5}, rng)}),
            0);
  EXPECT_EQ(gradcheck([](const std::vector<Tensor>& in) { return linear(in[0], in[1], in[2]); },
                      {random_input({3, 4}, rng), random_input({2, 4}, rng), random_input({2}, rng)}),
            0);
}

TEST(MatmulForward, ByHand) {
  const Tensor a = Tensor::from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3}, DType::F64);
  const Tensor b = Tensor::from_vector(std::vector<double>{1, 0, 0, 1, 1, 1}, {3, 2}, DType::F64);
  EXPECT_EQ(matmul(a, b).to_vector(), (std::vector<double>{4, 5, 10, 11}));
  // a^T through a transposed view (no copy): [3,2] @ [2,3]
  EXPECT_EQ(matmul(a.transpose(0, 1), a).to_vector(),
            (std::vector<double>{17, 22, 27, 22, 29, 36, 27, 36, 45}));
}

TEST(Conv2dForward, ByHand) {
  // x = [[1,2,3],[4,5,6],[7,8,9]], w = [[1,0],[0,-1]], stride 1, no padding:
  // y[p][q] = x[p][q] - x[p+1][q+1] = -4 everywhere; bias 0.5 added.
  const Tensor x = Tensor::from_vector(std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 1, 3, 3}, DType::F64);
  const Tensor w = Tensor::from_vector(std::vector<double>{1, 0, 0, -1}, {1, 1, 2, 2}, DType::F64);
  const Tensor b = Tensor::from_vector(std::vector<double>{0.5}, {1}, DType::F64);
  EXPECT_EQ(conv2d(x, w, b).to_vector(), (std::vector<double>{-3.5, -3.5, -3.5, -3.5}));
  // stride 2, padding 1: y[p][q] = xpad[2p][2q] - xpad[2p+1][2q+1] with xpad the
  // zero-padded 5x5 input: (0,0) 0-1, (0,1) 0-3, (1,0) 0-7, (1,1) 5-9.
  const Tensor y = conv2d(x, w, Tensor(), 2, 1);
  EXPECT_EQ(y.shape(), (Shape{1, 1, 2, 2}));
  EXPECT_EQ(y.to_vector(), (std::vector<double>{-1, -3, -7, 5 - 9}));
}

TEST(ConvTranspose2dForward, ByHand) {
  // x = [[1,2],[3,4]], w = ones(2x2), stride 2: every input pixel paints its own
  // 2x2 block, so y is x upsampled by repetition.
  const Tensor x = Tensor::from_vector(std::vector<double>{1, 2, 3, 4}, {1, 1, 2, 2}, DType::F64);
  const Tensor w = Tensor::ones({1, 1, 2, 2}, DType::F64);
  EXPECT_EQ(conv_transpose2d(x, w, Tensor(), 2).to_vector(),
            (std::vector<double>{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}));
  // stride 1: overlapping blocks add up: y is 3x3 with 1, 3, 2 / 4, 10, 6 / 3, 7, 4.
  EXPECT_EQ(conv_transpose2d(x, w, Tensor(), 1).to_vector(), (std::vector<double>{1, 3, 2, 4, 10, 6, 3, 7, 4}));
}

TEST(ConvGradcheck, Conv2dShapes) {
  Rng rng(12);
  struct Case { Shape x, w; int64_t stride, pad; bool bias; };
  for (const Case& c : {Case{{2, 3, 5, 5}, {4, 3, 3, 3}, 1, 1, true}, Case{{1, 2, 7, 6}, {3, 2, 4, 4}, 2, 1, false},
                        Case{{2, 1, 4, 4}, {2, 1, 4, 4}, 1, 0, true}, Case{{1, 2, 5, 7}, {2, 2, 3, 2}, 2, 0, true}}) {
    std::vector<Tensor> in{random_input(c.x, rng), random_input(c.w, rng)};
    if (c.bias) in.push_back(random_input({c.w[0]}, rng));
    const int64_t stride = c.stride, pad = c.pad;
    EXPECT_EQ(gradcheck(
                  [&](const std::vector<Tensor>& t) {
                    return conv2d(t[0], t[1], t.size() > 2 ? t[2] : Tensor(), stride, pad);
                  },
                  in),
              0)
        << shape_str(c.x) << " * " << shape_str(c.w);
  }
}

TEST(ConvGradcheck, ConvTranspose2dShapes) {
  Rng rng(13);
  struct Case { Shape x, w; int64_t stride, pad, output_padding; bool bias; };
  for (const Case& c : {Case{{2, 3, 3, 3}, {3, 2, 4, 4}, 2, 1, 0, true}, Case{{1, 2, 2, 3}, {2, 3, 3, 3}, 2, 1, 1, false},
                        Case{{2, 4, 1, 1}, {4, 3, 4, 4}, 1, 0, 0, true}, Case{{1, 1, 3, 2}, {1, 2, 3, 3}, 1, 1, 0, true}}) {
    std::vector<Tensor> in{random_input(c.x, rng), random_input(c.w, rng)};
    if (c.bias) in.push_back(random_input({c.w[1]}, rng));
    const int64_t stride = c.stride, pad = c.pad, op = c.output_padding;
    EXPECT_EQ(gradcheck(
                  [&](const std::vector<Tensor>& t) {
                    return conv_transpose2d(t[0], t[1], t.size() > 2 ? t[2] : Tensor(), stride, pad, op);
                  },
                  in),
              0)
        << shape_str(c.x) << " * " << shape_str(c.w);
  }
}

// Independent definition of ConvTranspose2d: scatter every input pixel.
TEST(ConvTranspose2dForward, MatchesNaiveScatter) {
  Rng rng(14);
  const int64_t N = 2, C = 3, H = 3, W = 4, K = 2, R = 3, stride = 2, pad = 1, op = 1;
  const Tensor x = Tensor::randn({N, C, H, W}, rng, DType::F64);
  const Tensor w = Tensor::randn({C, K, R, R}, rng, DType::F64);
  const Tensor y = conv_transpose2d(x, w, Tensor(), stride, pad, op);
  const int64_t P = (H - 1) * stride - 2 * pad + R + op, Q = (W - 1) * stride - 2 * pad + R + op;
  ASSERT_EQ(y.shape(), (Shape{N, K, P, Q}));
  std::vector<double> ref(N * K * P * Q, 0.0);
  const auto xv = x.to_vector(), wv = w.to_vector();
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t v = 0; v < W; ++v)
          for (int64_t k = 0; k < K; ++k)
            for (int64_t r = 0; r < R; ++r)
              for (int64_t s = 0; s < R; ++s) {
                const int64_t p = h * stride - pad + r, q = v * stride - pad + s;
                if (p < 0 || p >= P || q < 0 || q >= Q) continue;
                ref[((n * K + k) * P + p) * Q + q] += xv[((n * C + c) * H + h) * W + v] * wv[((c * K + k) * R + r) * R + s];
              }
  const auto yv = y.to_vector();
  for (size_t i = 0; i < ref.size(); ++i) EXPECT_NEAR(yv[i], ref[i], 1e-12) << i;
}

TEST(BatchNormForward, ByHand) {
  // One channel, values 1, 2, 3, 4: mean 2.5, biased var 1.25.
  const Tensor x = Tensor::from_vector(std::vector<double>{1, 2, 3, 4}, {4, 1, 1, 1}, DType::F64);
  const Tensor gamma = Tensor::from_vector(std::vector<double>{2}, {1}, DType::F64);
  const Tensor beta = Tensor::from_vector(std::vector<double>{0.5}, {1}, DType::F64);
  Tensor rm = Tensor::zeros({1}, DType::F64), rv = Tensor::ones({1}, DType::F64);
  const Tensor y = batch_norm2d(x, gamma, beta, rm, rv, true, 0.1, 0.0);
  const double s = 1.0 / std::sqrt(1.25);
  const std::vector<double> expect{2 * -1.5 * s + 0.5, 2 * -0.5 * s + 0.5, 2 * 0.5 * s + 0.5, 2 * 1.5 * s + 0.5};
  const auto yv = y.to_vector();
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(yv[i], expect[i], 1e-12);
  // running_mean = 0.9*0 + 0.1*2.5; running_var = 0.9*1 + 0.1*(1.25*4/3)
  EXPECT_NEAR(rm.item(), 0.25, 1e-12);
  EXPECT_NEAR(rv.item(), 0.9 + 0.1 * 5.0 / 3.0, 1e-12);
  // Eval mode uses the running statistics.
  const Tensor ye = batch_norm2d(x, gamma, beta, rm, rv, false, 0.1, 0.0);
  EXPECT_NEAR(ye.to_vector()[0], 2 * (1 - 0.25) / std::sqrt(rv.item()) + 0.5, 1e-12);
}

// Independent definition: normalise each channel with its own mean/variance.
TEST(BatchNormForward, MatchesNaiveFormula) {
  Rng rng(15);
  const int64_t N = 3, C = 2, H = 2, W = 3;
  const Tensor x = Tensor::randn({N, C, H, W}, rng, DType::F64, Device::cpu(), 1.0, 2.0);
  const Tensor gamma = Tensor::randn({C}, rng, DType::F64), beta = Tensor::randn({C}, rng, DType::F64);
  const double eps = 1e-5;
  const auto y = batch_norm2d(x, gamma, beta, Tensor(), Tensor(), true, 0.1, eps).to_vector();
  const auto xv = x.to_vector(), g = gamma.to_vector(), b = beta.to_vector();
  for (int64_t c = 0; c < C; ++c) {
    double m = 0, v = 0;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t i = 0; i < H * W; ++i) m += xv[(n * C + c) * H * W + i];
    m /= N * H * W;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t i = 0; i < H * W; ++i) v += std::pow(xv[(n * C + c) * H * W + i] - m, 2);
    v /= N * H * W;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t i = 0; i < H * W; ++i) {
        const int64_t k = (n * C + c) * H * W + i;
        EXPECT_NEAR(y[k], (xv[k] - m) / std::sqrt(v + eps) * g[c] + b[c], 1e-12);
      }
  }
}

TEST(BatchNormGradcheck, TrainAndEval) {
  Rng rng(16);
  EXPECT_EQ(gradcheck(
                [](const std::vector<Tensor>& t) {
                  return batch_norm2d(t[0], t[1], t[2], Tensor(), Tensor(), true, 0.1, 1e-5);
                },
                {random_input({3, 2, 2, 3}, rng), random_input({2}, rng, 0.5, 1.5), random_input({2}, rng)}),
            0);
  const Tensor rm = Tensor::rand({2}, rng, DType::F64), rv = Tensor::rand({2}, rng, DType::F64, Device::cpu(), 0.5, 2);
  EXPECT_EQ(gradcheck(
                [&](const std::vector<Tensor>& t) { return batch_norm2d(t[0], t[1], t[2], rm, rv, false, 0.1, 1e-5); },
                {random_input({2, 2, 2, 2}, rng), random_input({2}, rng), random_input({2}, rng)}),
            0);
}

TEST(LossForward, ByHand) {
  const Tensor p = Tensor::from_vector(std::vector<double>{0.9, 0.2}, {2}, DType::F64);
  const Tensor t = Tensor::from_vector(std::vector<double>{1, 0}, {2}, DType::F64);
  EXPECT_NEAR(bce_loss(p, t).item(), -(std::log(0.9) + std::log(0.8)) / 2, 1e-12);
  const Tensor x = Tensor::from_vector(std::vector<double>{2.0, -1.0}, {2}, DType::F64);
  const double expect = (std::log1p(std::exp(-2.0)) + std::log1p(std::exp(-1.0))) / 2;  // t=1 at 2, t=0 at -1
  EXPECT_NEAR(bce_with_logits(x, t).item(), expect, 1e-12);
  EXPECT_NEAR(mse_loss(x, t).item(), (1.0 + 1.0) / 2, 1e-12);
  EXPECT_NEAR(l1_loss(x, t).item(), (1.0 + 1.0) / 2, 1e-12);
}

TEST(LossForward, BceWithLogitsStableForLargeLogits) {
  const Tensor x = Tensor::from_vector(std::vector<double>{100, -100, 100, -100}, {4}, DType::F32);
  const Tensor t = Tensor::from_vector(std::vector<double>{1, 0, 0, 1}, {4}, DType::F32);
  x.impl().requires_grad = true;
  const Tensor loss = bce_with_logits(x, t);
  EXPECT_NEAR(loss.item(), 50.0, 1e-4);  // two exact ones (0) and two confidently wrong (100 each)
  loss.backward();
  const auto g = x.grad().to_vector();
  EXPECT_NEAR(g[0], 0.0, 1e-7);
  EXPECT_NEAR(g[2], 0.25, 1e-7);  // (sigmoid(100) - 0) / 4
  EXPECT_NEAR(g[3], -0.25, 1e-7);
}

TEST(LossGradcheck, AllLosses) {
  Rng rng(17);
  const Tensor t01 = Tensor::rand({3, 4}, rng, DType::F64);
  EXPECT_EQ(gradcheck([&](const std::vector<Tensor>& in) { return bce_loss(in[0], t01); },
                      {random_input({3, 4}, rng, 0.05, 0.95)}),
            0);
  EXPECT_EQ(gradcheck([&](const std::vector<Tensor>& in) { return bce_with_logits(in[0], t01); },
                      {random_input({3, 4}, rng, -4, 4)}),
            0);
  EXPECT_EQ(gradcheck([](const std::vector<Tensor>& in) { return mse_loss(in[0], in[1]); },
                      {random_input({3, 4}, rng), random_input({3, 4}, rng)}),
            0);
  // L1 is smooth away from input == target: keep them apart.
  EXPECT_EQ(gradcheck([](const std::vector<Tensor>& in) { return l1_loss(in[0], in[1]); },
                      {random_input({3, 4}, rng, 1.0, 2.0), random_input({3, 4}, rng, -2.0, -1.0)}),
            0);
}

}  // namespace
}  // namespace gan
