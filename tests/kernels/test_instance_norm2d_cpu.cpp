// InstanceNorm2d CPU kernel: forward on a hand-computed plane and against the
// naive per-plane formula; backward (dx, dgamma, dbeta) by central finite
// differences of L = sum(y * dy) in double (h = 1e-6); null gamma/beta behaving
// as 1/0; results independent of the thread count (bitwise).
// Tolerances: double forward 1e-12 absolute (values are O(1)); gradients 1e-7
// relative (||analytic - numeric|| / ||numeric||; central differences in double
// are good to ~1e-9 here).
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>

#include "kernel_test_util.h"
#include "kernels/instance_norm2d/instance_norm2d.h"

namespace gan {
namespace {

InstanceNorm2dParams params(int64_t N, int64_t C, int64_t HW, double eps = 1e-5) {
  InstanceNorm2dParams p;
  p.N = N;
  p.C = C;
  p.HW = HW;
  p.eps = eps;
  return p;
}

TEST(InstanceNorm2dCpu, ForwardByHand) {
  // Two planes (N = 1, C = 2) of four values. Plane 0: 1, 2, 3, 4: mean 2.5,
  // biased var 1.25. Plane 1: 10, 10, 10, 14: mean 11, var (1+1+1+9)/4 = 3.
  const std::vector<double> x = {1, 2, 3, 4, 10, 10, 10, 14};
  const std::vector<double> gamma = {2, -1};
  const std::vector<double> beta = {0.5, 3};
  std::vector<double> y(8), mean(2), invstd(2);
  cpu::instance_norm2d_forward(x.data(), gamma.data(), beta.data(), y.data(), mean.data(), invstd.data(),
                               params(1, 2, 4, 0.0));
  EXPECT_DOUBLE_EQ(mean[0], 2.5);
  EXPECT_DOUBLE_EQ(mean[1], 11.0);
  EXPECT_DOUBLE_EQ(invstd[0], 1.0 / std::sqrt(1.25));
  EXPECT_DOUBLE_EQ(invstd[1], 1.0 / std::sqrt(3.0));
  const double s0 = 1.0 / std::sqrt(1.25), s1 = 1.0 / std::sqrt(3.0);
  const std::vector<double> want = {2 * -1.5 * s0 + 0.5, 2 * -0.5 * s0 + 0.5, 2 * 0.5 * s0 + 0.5,
                                    2 * 1.5 * s0 + 0.5,  -1 * -s1 + 3,        -1 * -s1 + 3,
                                    -1 * -s1 + 3,        -1 * 3 * s1 + 3};
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(y[i], want[i], 1e-12) << i;
}

// Independent definition: every (n, c) plane by its own mean and variance.
TEST(InstanceNorm2dCpu, ForwardMatchesNaiveFormula) {
  const int64_t N = 3, C = 4, HW = 15;
  const double eps = 1e-5;
  const auto x = test::random_normal(N * C * HW, 31, 2.0, 3.0);  // an offset mean
  const auto gamma = test::random_normal(C, 32), beta = test::random_normal(C, 33);
  std::vector<double> y(x.size()), mean(N * C), invstd(N * C);
  cpu::instance_norm2d_forward(x.data(), gamma.data(), beta.data(), y.data(), mean.data(), invstd.data(),
                               params(N, C, HW, eps));
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t c = 0; c < C; ++c) {
      const double* xp = &x[(n * C + c) * HW];
      double m = 0, v = 0;
      for (int64_t i = 0; i < HW; ++i) m += xp[i];
      m /= HW;
      for (int64_t i = 0; i < HW; ++i) v += (xp[i] - m) * (xp[i] - m);
      v /= HW;
      for (int64_t i = 0; i < HW; ++i) {
        const int64_t k = (n * C + c) * HW + i;
        EXPECT_NEAR(y[k], (x[k] - m) / std::sqrt(v + eps) * gamma[c] + beta[c], 1e-12) << k;
      }
    }
  }
}

TEST(InstanceNorm2dCpu, BackwardMatchesFiniteDifferences) {
  const int64_t N = 2, C = 3, HW = 10;
  const InstanceNorm2dParams p = params(N, C, HW);
  auto x = test::random_normal(N * C * HW, 34, 0.5, 2.0);
  auto gamma = test::random_normal(C, 35, 1.0, 0.5);
  auto beta = test::random_normal(C, 36);
  const auto dy = test::random_normal(N * C * HW, 37);
  std::vector<double> y(x.size()), mean(N * C), invstd(N * C);
  auto L = [&] {
    cpu::instance_norm2d_forward(x.data(), gamma.data(), beta.data(), y.data(), mean.data(), invstd.data(), p);
    return test::dot(y, dy);
  };
  L();  // the saved statistics for the backward
  std::vector<double> dx(x.size()), dgamma(C), dbeta(C);
  cpu::instance_norm2d_backward(x.data(), dy.data(), gamma.data(), mean.data(), invstd.data(), dx.data(),
                                dgamma.data(), dbeta.data(), p);
  EXPECT_LT(test::max_rel_error(dx, test::numeric_grad(x, L)), 1e-7);
  EXPECT_LT(test::max_rel_error(dgamma, test::numeric_grad(gamma, L)), 1e-7);
  EXPECT_LT(test::max_rel_error(dbeta, test::numeric_grad(beta, L)), 1e-7);
}

TEST(InstanceNorm2dCpu, NullAffineIsUnitGammaZeroBeta) {
  const int64_t N = 2, C = 2, HW = 6;
  const InstanceNorm2dParams p = params(N, C, HW);
  const auto x = test::random_normal(N * C * HW, 38);
  const auto dy = test::random_normal(N * C * HW, 39);
  const std::vector<double> ones(C, 1.0), zeros(C, 0.0);
  std::vector<double> y1(x.size()), y2(x.size()), mean(N * C), invstd(N * C), dx1(x.size()), dx2(x.size());
  cpu::instance_norm2d_forward(x.data(), ones.data(), zeros.data(), y1.data(), mean.data(), invstd.data(), p);
  cpu::instance_norm2d_forward<double>(x.data(), nullptr, nullptr, y2.data(), mean.data(), invstd.data(), p);
  EXPECT_EQ(y1, y2);
  cpu::instance_norm2d_backward<double>(x.data(), dy.data(), ones.data(), mean.data(), invstd.data(), dx1.data(),
                                        nullptr, nullptr, p);
  cpu::instance_norm2d_backward<double>(x.data(), dy.data(), nullptr, mean.data(), invstd.data(), dx2.data(),
                                        nullptr, nullptr, p);
  EXPECT_EQ(dx1, dx2);
}

// Large enough to take the parallel path (> 2^15 elements): one thread and two
// must give the same bits, including the per-channel sums over the batch.
TEST(InstanceNorm2dCpu, ResultsDoNotDependOnThreadCount) {
  const int64_t N = 3, C = 8, HW = 40 * 40;
  const InstanceNorm2dParams p = params(N, C, HW);
  const auto x = test::random_normal<float>(N * C * HW, 40);
  const auto dy = test::random_normal<float>(N * C * HW, 41);
  const auto gamma = test::random_normal<float>(C, 42), beta = test::random_normal<float>(C, 43);
  auto run = [&](int threads) {
    const int before = omp_get_max_threads();
    omp_set_num_threads(threads);
    std::vector<float> y(x.size()), mean(N * C), invstd(N * C), dx(x.size()), dgamma(C), dbeta(C);
    cpu::instance_norm2d_forward(x.data(), gamma.data(), beta.data(), y.data(), mean.data(), invstd.data(), p);
    cpu::instance_norm2d_backward(x.data(), dy.data(), gamma.data(), mean.data(), invstd.data(), dx.data(),
                                  dgamma.data(), dbeta.data(), p);
    omp_set_num_threads(before);
    y.insert(y.end(), dx.begin(), dx.end());
    y.insert(y.end(), dgamma.begin(), dgamma.end());
    y.insert(y.end(), dbeta.begin(), dbeta.end());
    return y;
  };
  EXPECT_EQ(run(1), run(2));
}

}  // namespace
}  // namespace gan
