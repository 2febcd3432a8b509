// Dropout CPU kernel: the per-element draw is exactly the specified Philox word
// (recomputed independently here), the mask holds only 0 and 1/(1-p), the kept
// fraction matches 1 - p statistically, and the mask does not depend on the
// thread count.
//
// Statistical bound: over n independent elements the kept count is
// Binomial(n, 1-p), so the kept fraction has standard deviation
// sigma = sqrt(p(1-p)/n). The tests accept |fraction - (1-p)| <= 5 sigma, which
// a correct sampler fails with probability 5.7e-7 (two-sided normal tail); the
// seeds are fixed, so the outcome is reproducible. The same bound is applied to
// the fraction of adjacent pairs (i, i+1) both kept, against (1-p)^2, which a
// mask correlated between neighbours (e.g. reusing a word) would miss.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>

#include "kernel_test_util.h"
#include "kernels/dropout/dropout.h"

namespace gan {
namespace {

DropoutParams params(int64_t n, double p, uint64_t seed, uint64_t counter) {
  DropoutParams d;
  d.n = n;
  d.seed = seed;
  d.counter = counter;
  d.threshold = dropout_draw::threshold_for(p);
  d.scale = 1.0 / (1.0 - p);
  return d;
}

TEST(DropoutCpu, ThresholdIsRoundedProbabilityTimesTwoToThe32) {
  EXPECT_EQ(dropout_draw::threshold_for(0.5), 0x80000000ull);
  EXPECT_EQ(dropout_draw::threshold_for(0.25), 0x40000000ull);
  EXPECT_EQ(dropout_draw::threshold_for(1e-12), 1u);                   // never "keep all" by rounding
  EXPECT_EQ(dropout_draw::threshold_for(1.0 - 1e-12), 0xFFFFFFFFull);  // never "drop all"
}

TEST(DropoutCpu, EachElementUsesItsPhiloxWord) {
  const int64_t n = 13;  // not a multiple of 4: the last block is partly used
  const double p = 0.3;
  const DropoutParams d = params(n, p, 0x5eedull, 1000);
  const auto x = test::random_normal(n, 61);
  std::vector<double> y(n), mask(n);
  cpu::dropout_forward(x.data(), y.data(), mask.data(), d);
  int kept = 0;
  for (int64_t i = 0; i < n; ++i) {
    const uint32_t word = philox4x32_10(d.counter + static_cast<uint64_t>(i / 4), d.seed).word[i % 4];
    const double want = word >= d.threshold ? 1.0 / (1.0 - p) : 0.0;
    EXPECT_EQ(mask[i], want) << i;
    EXPECT_EQ(y[i], x[i] * want) << i;
    kept += want != 0.0;
  }
  EXPECT_GT(kept, 0);  // this seed keeps some and drops some (both branches ran)
  EXPECT_LT(kept, n);
}

TEST(DropoutCpu, KeptFractionWithinFiveSigma) {
  const int64_t n = int64_t{1} << 18;
  const std::vector<float> x(static_cast<size_t>(n), 1.0f);
  for (double p : {0.1, 0.5, 0.8}) {
    std::vector<float> y(x.size()), mask(x.size());
    cpu::dropout_forward(x.data(), y.data(), mask.data(), params(n, p, 2024, 7));
    int64_t kept = 0, pairs = 0;
    for (int64_t i = 0; i < n; ++i) {
      ASSERT_TRUE(mask[i] == 0.0f || mask[i] == static_cast<float>(1.0 / (1.0 - p))) << mask[i];
      kept += mask[i] != 0.0f;
      if (i + 1 < n) pairs += mask[i] != 0.0f && mask[i + 1] != 0.0f;
    }
    const double q = 1.0 - p;
    EXPECT_LE(std::fabs(static_cast<double>(kept) / n - q), 5 * std::sqrt(p * q / n)) << "p=" << p;
    // Overlapping pairs are not independent: with neighbour covariance
    // q^3(1-q) the variance is (1 + 2q/(1+q)) < 2 times the independent one;
    // the bound allows 3.
    const double q2 = q * q;
    EXPECT_LE(std::fabs(static_cast<double>(pairs) / (n - 1) - q2), 5 * std::sqrt(3 * q2 * (1 - q2) / (n - 1)))
        << "p=" << p;
  }
}

TEST(DropoutCpu, MaskDoesNotDependOnThreadCount) {
  const int64_t n = 100003;  // above the parallel threshold, odd
  const auto x = test::random_normal<float>(n, 62);
  auto run = [&](int threads) {
    const int before = omp_get_max_threads();
    omp_set_num_threads(threads);
    std::vector<float> y(x.size()), mask(x.size());
    cpu::dropout_forward(x.data(), y.data(), mask.data(), params(n, 0.5, 9, 123456789));
    omp_set_num_threads(before);
    return mask;
  };
  EXPECT_EQ(run(1), run(2));
}

}  // namespace
}  // namespace gan
