// CPU convolution kernels (im2col + gemm) against direct loops written from the
// definitions in conv2d.h / conv_transpose2d.h, in double, over shapes that hit
// padding, stride 2, output_padding, 1x1 outputs and single channels; plus the
// adjoint identity between the two ops and thread-count independence.
#include <gtest/gtest.h>
#include <omp.h>

#include <vector>

#include "kernel_test_util.h"
#include "kernels/conv/conv.h"

namespace gan {
namespace {

using test::max_rel_error;
using test::random_normal;

struct ConvCase {
  int64_t N, C, H, W, K, R, S, stride, pad, output_padding;
};

// Every (input pixel, tap) pair of a strided, padded convolution, visited once:
// f(n, c, h, w, k, r, s, p, q) where input (h, w) meets output (p, q) through tap (r, s).
template <typename F>
void for_each_tap(const Conv2dParams& p, F&& f) {
  for (int64_t n = 0; n < p.N; ++n)
    for (int64_t k = 0; k < p.K; ++k)
      for (int64_t oh = 0; oh < p.P; ++oh)
        for (int64_t ow = 0; ow < p.Q; ++ow)
          for (int64_t c = 0; c < p.C; ++c)
            for (int64_t r = 0; r < p.R; ++r)
              for (int64_t s = 0; s < p.S; ++s) {
                const int64_t h = oh * p.stride - p.pad + r, w = ow * p.stride - p.pad + s;
                if (h >= 0 && h < p.H && w >= 0 && w < p.W) f(n, c, h, w, k, r, s, oh, ow);
              }
}

// conv2d's three passes by direct summation.
struct NaiveConv2d {
  std::vector<double> y, dx, dw, db;
  NaiveConv2d(const Conv2dParams& p, const std::vector<double>& x, const std::vector<double>& w,
              const std::vector<double>& b, const std::vector<double>& dy)
      : y(p.N * p.K * p.P * p.Q), dx(x.size()), dw(w.size()), db(p.K) {
    for (int64_t n = 0; n < p.N; ++n)
      for (int64_t k = 0; k < p.K; ++k)
        for (int64_t i = 0; i < p.P * p.Q; ++i) {
          y[(n * p.K + k) * p.P * p.Q + i] = b[k];
          db[k] += dy[(n * p.K + k) * p.P * p.Q + i];
        }
    for_each_tap(p, [&](int64_t n, int64_t c, int64_t h, int64_t wi, int64_t k, int64_t r, int64_t s, int64_t oh,
                        int64_t ow) {
      const int64_t xi = ((n * p.C + c) * p.H + h) * p.W + wi, wk = ((k * p.C + c) * p.R + r) * p.S + s;
      const int64_t yi = ((n * p.K + k) * p.P + oh) * p.Q + ow;
      y[yi] += x[xi] * w[wk];
      dx[xi] += dy[yi] * w[wk];
      dw[wk] += dy[yi] * x[xi];
    });
  }
};

class ConvCpu : public ::testing::TestWithParam<ConvCase> {};
class ConvTransposeCpu : public ::testing::TestWithParam<ConvCase> {};

TEST_P(ConvCpu, Conv2dMatchesDirectSums) {
  const ConvCase c = GetParam();
  const Conv2dParams p = make_conv2d_params(c.N, c.C, c.H, c.W, c.K, c.R, c.S, c.stride, c.pad);
  const auto x = random_normal(p.N * p.C * p.H * p.W, 1), w = random_normal(p.K * p.C * p.R * p.S, 2);
  const auto b = random_normal(p.K, 3), dy = random_normal(p.N * p.K * p.P * p.Q, 4);
  const NaiveConv2d want(p, x, w, b, dy);
  std::vector<double> y(want.y.size()), dx(x.size()), dw(w.size()), db(p.K);
  cpu::conv2d_forward(x.data(), w.data(), b.data(), y.data(), p);
  cpu::conv2d_backward_data(dy.data(), w.data(), dx.data(), p);
  cpu::conv2d_backward_weight(x.data(), dy.data(), dw.data(), db.data(), p);
  EXPECT_LT(max_rel_error(y, want.y), 1e-13);
  EXPECT_LT(max_rel_error(dx, want.dx), 1e-13);
  EXPECT_LT(max_rel_error(dw, want.dw), 1e-13);
  EXPECT_LT(max_rel_error(db, want.db), 1e-13);
}

// conv_transpose2d with input [N, C, H, W] is the adjoint of the conv2d that maps
// [N, K, P, Q] to [N, C, H, W] with the same weight: its forward is that conv's
// backward-data, its backward-data that conv's forward, and its weight gradient
// that conv's weight gradient with the roles of x and dy swapped.
TEST_P(ConvTransposeCpu, IsTheAdjointOfConv2d) {
  const ConvCase c = GetParam();
  const ConvTranspose2dParams t =
      make_conv_transpose2d_params(c.N, c.C, c.H, c.W, c.K, c.R, c.S, c.stride, c.pad, c.output_padding);
  Conv2dParams p;  // the conv2d from t's output back to its input
  p.N = t.N, p.C = t.K, p.H = t.P, p.W = t.Q, p.K = t.C, p.R = t.R, p.S = t.S, p.stride = t.stride, p.pad = t.pad;
  p.P = t.H, p.Q = t.W;
  const auto x = random_normal(t.N * t.C * t.H * t.W, 5), w = random_normal(t.C * t.K * t.R * t.S, 6);
  const auto b = random_normal(t.K, 7), dy = random_normal(t.N * t.K * t.P * t.Q, 8);
  const std::vector<double> zeros_c(t.C, 0.0);
  // conv2d's x is convT's dy (and vice versa); conv2d's dy is convT's x.
  const NaiveConv2d adj(p, dy, w, zeros_c, x);
  std::vector<double> y(dy.size()), dx(x.size()), dw(w.size()), db(t.K), want_y(adj.dx);
  for (int64_t n = 0; n < t.N; ++n)
    for (int64_t k = 0; k < t.K; ++k)
      for (int64_t i = 0; i < t.P * t.Q; ++i) want_y[(n * t.K + k) * t.P * t.Q + i] += b[k];
  std::vector<double> want_db(t.K, 0.0);
  for (int64_t n = 0; n < t.N; ++n)
    for (int64_t k = 0; k < t.K; ++k)
      for (int64_t i = 0; i < t.P * t.Q; ++i) want_db[k] += dy[(n * t.K + k) * t.P * t.Q + i];
  cpu::conv_transpose2d_forward(x.data(), w.data(), b.data(), y.data(), t);
  cpu::conv_transpose2d_backward_data(dy.data(), w.data(), dx.data(), t);
  cpu::conv_transpose2d_backward_weight(x.data(), dy.data(), dw.data(), db.data(), t);
  EXPECT_LT(max_rel_error(y, want_y), 1e-13);
  EXPECT_LT(max_rel_error(dx, adj.y), 1e-13);
  EXPECT_LT(max_rel_error(dw, adj.dw), 1e-13);
  EXPECT_LT(max_rel_error(db, want_db), 1e-13);
}

// The training run resumes bit for bit only if no result depends on the thread count.
TEST_P(ConvCpu, ResultsDoNotDependOnThreads) {
  const ConvCase c = GetParam();
  const Conv2dParams p = make_conv2d_params(c.N, c.C, c.H, c.W, c.K, c.R, c.S, c.stride, c.pad);
  const auto x = random_normal<float>(p.N * p.C * p.H * p.W, 9), w = random_normal<float>(p.K * p.C * p.R * p.S, 10);
  const auto dy = random_normal<float>(p.N * p.K * p.P * p.Q, 11);
  auto run = [&](int threads) {
    const int saved = omp_get_max_threads();
    omp_set_num_threads(threads);
    std::vector<float> y(dy.size()), dx(x.size()), dw(w.size()), db(p.K);
    cpu::conv2d_forward<float>(x.data(), w.data(), nullptr, y.data(), p);
    cpu::conv2d_backward_data<float>(dy.data(), w.data(), dx.data(), p);
    cpu::conv2d_backward_weight<float>(x.data(), dy.data(), dw.data(), db.data(), p);
    omp_set_num_threads(saved);
    y.insert(y.end(), dx.begin(), dx.end());
    y.insert(y.end(), dw.begin(), dw.end());
    y.insert(y.end(), db.begin(), db.end());
    return y;
  };
  EXPECT_EQ(run(1), run(3));
}

// Shapes that hit padding, stride 2 and 3, output_padding (convT), single
// channels, 1x1 kernels and outputs, odd sizes and R != S.
const ConvCase kCases[] = {
    {2, 3, 5, 5, 4, 3, 3, 1, 1, 0},  // same-size 3x3
    {3, 2, 8, 7, 5, 4, 4, 2, 1, 1},  // DCGAN-style 4x4 stride 2
    {1, 1, 6, 6, 2, 4, 4, 2, 1, 0},  // one channel in
    {4, 3, 4, 4, 1, 4, 4, 1, 0, 0},  // to a 1x1 logit (D's last layer)
    {2, 2, 9, 5, 3, 3, 2, 2, 0, 1},  // odd sizes, R != S
    {1, 5, 7, 7, 6, 1, 1, 1, 0, 0},  // 1x1 kernel
    {5, 2, 6, 6, 3, 5, 5, 3, 2, 2},  // stride 3, padding 2
};
// conv_transpose2d also starts from a 1x1 input (G's first layer), which no
// conv2d with that kernel accepts.
const ConvCase kTransposeOnlyCases[] = {{2, 4, 1, 1, 3, 4, 4, 1, 0, 0}};

INSTANTIATE_TEST_SUITE_P(Shapes, ConvCpu, ::testing::ValuesIn(kCases));
INSTANTIATE_TEST_SUITE_P(Shapes, ConvTransposeCpu, ::testing::ValuesIn(kCases));
INSTANTIATE_TEST_SUITE_P(FromOnePixel, ConvTransposeCpu, ::testing::ValuesIn(kTransposeOnlyCases));

}  // namespace
}  // namespace gan
