// The CPU BatchNorm2d kernels against the formulas of batchnorm2d.h evaluated
// naively in double (statistics, normalisation, running-statistics update,
// backward), and their independence of the thread count. The op-level float64
// gradient checks are in tests/ops/test_gradcheck_nn.cpp; the CUDA parity
// tests in tests/kernels/test_cuda_parity.cpp.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/batch_norm2d/batch_norm2d.h"

namespace gan {
namespace {

using test::max_rel_error;
using test::random_normal;

struct NaiveBatchNorm {
  std::vector<double> mean, var, y, dx, dgamma, dbeta;
};

// Direct evaluation of the header's formulas.
NaiveBatchNorm naive(const BatchNorm2dParams& p, const std::vector<double>& x, const std::vector<double>& gamma,
                     const std::vector<double>& beta, const std::vector<double>& dy) {
  NaiveBatchNorm r;
  const double m = static_cast<double>(p.N * p.HW);
  auto at = [&](int64_t n, int64_t c, int64_t i) { return static_cast<size_t>((n * p.C + c) * p.HW + i); };
  r.y.resize(x.size());
  r.dx.resize(x.size());
  for (int64_t c = 0; c < p.C; ++c) {
    double s = 0, sq = 0;
    for (int64_t n = 0; n < p.N; ++n)
      for (int64_t i = 0; i < p.HW; ++i) s += x[at(n, c, i)];
    const double mean = s / m;
    for (int64_t n = 0; n < p.N; ++n)
      for (int64_t i = 0; i < p.HW; ++i) sq += (x[at(n, c, i)] - mean) * (x[at(n, c, i)] - mean);
    const double var = sq / m, invstd = 1 / std::sqrt(var + p.eps);
    double dbeta = 0, dgamma = 0;
    for (int64_t n = 0; n < p.N; ++n)
      for (int64_t i = 0; i < p.HW; ++i) {
        const double xhat = (x[at(n, c, i)] - mean) * invstd;
        r.y[at(n, c, i)] = xhat * gamma[c] + beta[c];
        dbeta += dy[at(n, c, i)];
        dgamma += dy[at(n, c, i)] * xhat;
      }
    for (int64_t n = 0; n < p.N; ++n)
      for (int64_t i = 0; i < p.HW; ++i) {
        const double xhat = (x[at(n, c, i)] - mean) * invstd;
        r.dx[at(n, c, i)] = gamma[c] * invstd / m * (m * dy[at(n, c, i)] - dbeta - xhat * dgamma);
      }
    r.mean.push_back(mean);
    r.var.push_back(var);
    r.dgamma.push_back(dgamma);
    r.dbeta.push_back(dbeta);
  }
  return r;
}

BatchNorm2dParams params(int64_t N, int64_t C, int64_t HW) {
  BatchNorm2dParams p;
  p.N = N, p.C = C, p.HW = HW, p.eps = 1e-5, p.momentum = 0.1;
  return p;
}

class BatchNormCpu : public ::testing::TestWithParam<BatchNorm2dParams> {};

TEST_P(BatchNormCpu, TrainForwardBackwardAndRunningStatsMatchTheFormulas) {
  const BatchNorm2dParams p = GetParam();
  const int64_t n = p.N * p.C * p.HW;
  // An offset far from zero: two-pass statistics must not lose the variance to it.
  const auto x = random_normal(n, 1, 50.0, 3.0), dy = random_normal(n, 2);
  const auto gamma = random_normal(p.C, 3, 1.0, 0.3), beta = random_normal(p.C, 4);
  const NaiveBatchNorm want = naive(p, x, gamma, beta, dy);

  std::vector<double> y(n), mean(p.C), invstd(p.C), dx(n), dgamma(p.C), dbeta(p.C);
  std::vector<double> running_mean(p.C, 0.5), running_var(p.C, 2.0);
  cpu::batch_norm2d_forward_train(x.data(), gamma.data(), beta.data(), y.data(), mean.data(), invstd.data(),
                                 running_mean.data(), running_var.data(), p);
  cpu::batch_norm2d_backward(x.data(), dy.data(), gamma.data(), mean.data(), invstd.data(), dx.data(), dgamma.data(),
                            dbeta.data(), p);
  EXPECT_LT(max_rel_error(y, want.y), 1e-12);
  EXPECT_LT(max_rel_error(mean, want.mean), 1e-14);
  EXPECT_LT(max_rel_error(dx, want.dx), 1e-10);
  EXPECT_LT(max_rel_error(dgamma, want.dgamma), 1e-12);
  EXPECT_LT(max_rel_error(dbeta, want.dbeta), 1e-13);
  const double m = static_cast<double>(p.N * p.HW);
  for (int64_t c = 0; c < p.C; ++c) {
    EXPECT_NEAR(invstd[c], 1 / std::sqrt(want.var[c] + p.eps), 1e-12);
    EXPECT_NEAR(running_mean[c], 0.9 * 0.5 + 0.1 * want.mean[c], 1e-12);
    EXPECT_NEAR(running_var[c], 0.9 * 2.0 + 0.1 * want.var[c] * m / (m - 1), 1e-12);  // unbiased
  }

  // Eval mode normalises with the running statistics instead.
  std::vector<double> ye(n);
  cpu::batch_norm2d_forward_eval(x.data(), gamma.data(), beta.data(), running_mean.data(), running_var.data(),
                                ye.data(), p);
  for (int64_t c = 0; c < p.C; ++c)
    for (int64_t i = 0; i < p.HW; ++i) {
      const double v = x[static_cast<size_t>(c * p.HW + i)];
      EXPECT_NEAR(ye[static_cast<size_t>(c * p.HW + i)],
                  (v - running_mean[c]) / std::sqrt(running_var[c] + p.eps) * gamma[c] + beta[c], 1e-10);
    }
}

TEST_P(BatchNormCpu, ResultsDoNotDependOnThreads) {
  const BatchNorm2dParams p = GetParam();
  const int64_t n = p.N * p.C * p.HW;
  const auto x = random_normal<float>(n, 5), dy = random_normal<float>(n, 6);
  const auto gamma = random_normal<float>(p.C, 7), beta = random_normal<float>(p.C, 8);
  auto run = [&](int threads) {
    const int saved = omp_get_max_threads();
    omp_set_num_threads(threads);
    std::vector<float> y(n), mean(p.C), invstd(p.C), dx(n), dgamma(p.C), dbeta(p.C);
    cpu::batch_norm2d_forward_train<float>(x.data(), gamma.data(), beta.data(), y.data(), mean.data(), invstd.data(),
                                          nullptr, nullptr, p);
    cpu::batch_norm2d_backward<float>(x.data(), dy.data(), gamma.data(), mean.data(), invstd.data(), dx.data(),
                                     dgamma.data(), dbeta.data(), p);
    omp_set_num_threads(saved);
    y.insert(y.end(), dx.begin(), dx.end());
    y.insert(y.end(), dgamma.begin(), dgamma.end());
    return y;
  };
  EXPECT_EQ(run(1), run(3));
}

// Shapes: one value per plane, DCGAN-like planes, many channels (the parallel
// path over channels: more than 2^15 values), and a batch of one.
INSTANTIATE_TEST_SUITE_P(Shapes, BatchNormCpu,
                         ::testing::Values(params(7, 3, 1), params(4, 5, 49), params(4, 32, 512), params(1, 4, 300),
                                           params(16, 8, 64)));

}  // namespace
}  // namespace gan
