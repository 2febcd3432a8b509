// gan::cpu::gemm against a naive triple loop, every trans combination.
// Tolerances: double 1e-13 relative (||C - ref|| / ||ref||, only summation order
// differs); float 1e-5 relative against the double reference.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <tuple>

#include "kernel_test_util.h"
#include "kernels/matmul/matmul.h"

namespace gan {
namespace {

using test::max_rel_error;
using test::random_normal;

// C = alpha * op(A) op(B) + beta * C, the definition, in double.
std::vector<double> naive_gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha,
                               const std::vector<double>& A, const std::vector<double>& B, double beta,
                               std::vector<double> C) {
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      double s = 0.0;
      for (int64_t k = 0; k < K; ++k) {
        const double a = ta ? A[k * M + i] : A[i * K + k];
        const double b = tb ? B[j * K + k] : B[k * N + j];
        s += a * b;
      }
      C[i * N + j] = alpha * s + (beta == 0.0 ? 0.0 : beta * C[i * N + j]);
    }
  return C;
}

TEST(GemmCpu, HandComputed2x2) {
  // [1 2; 3 4] @ [5 6; 7 8] = [19 22; 43 50]; with alpha 2, beta 1 on C = [1 1; 1 1]: [39 45; 87 101].
  const std::vector<double> A = {1, 2, 3, 4}, B = {5, 6, 7, 8};
  std::vector<double> C = {1, 1, 1, 1};
  cpu::gemm(false, false, 2, 2, 2, 2.0, A.data(), B.data(), 1.0, C.data());
  EXPECT_EQ(C, (std::vector<double>{39, 45, 87, 101}));
  // A^T @ B = [1 3; 2 4] @ [5 6; 7 8] = [26 30; 38 44].
  cpu::gemm(true, false, 2, 2, 2, 1.0, A.data(), B.data(), 0.0, C.data());
  EXPECT_EQ(C, (std::vector<double>{26, 30, 38, 44}));
}

class GemmShapes : public ::testing::TestWithParam<std::tuple<bool, bool, int, int, int>> {};

TEST_P(GemmShapes, MatchesNaiveAllTransposes) {
  const auto [ta, tb, M, N, K] = GetParam();
  const uint32_t seed = static_cast<uint32_t>(M * 1000 + N * 10 + K + ta * 7 + tb * 13);
  const auto A = random_normal(int64_t{M} * K, seed);
  const auto B = random_normal(int64_t{K} * N, seed + 1);
  const auto C0 = random_normal(int64_t{M} * N, seed + 2);
  for (const auto& [alpha, beta] : {std::pair{1.0, 0.0}, std::pair{0.7, 1.0}, std::pair{-1.3, 0.25}}) {
    const auto ref = naive_gemm(ta, tb, M, N, K, alpha, A, B, beta, C0);
    std::vector<double> C = C0;
    cpu::gemm(ta, tb, M, N, K, alpha, A.data(), B.data(), beta, C.data());
    EXPECT_LT(max_rel_error(C, ref), 1e-13) << "alpha " << alpha << " beta " << beta;

    auto Af = test::cast_vec<float>(A), Bf = test::cast_vec<float>(B), Cf = test::cast_vec<float>(C0);
    cpu::gemm(ta, tb, M, N, K, float(alpha), Af.data(), Bf.data(), float(beta), Cf.data());
    EXPECT_LT(max_rel_error(Cf, ref), 1e-5) << "float, alpha " << alpha << " beta " << beta;
  }
}

// Sizes below, at and across the tile sizes (32 x 256 tiles, 256-deep k slices) and odd remainders.
INSTANTIATE_TEST_SUITE_P(Shapes, GemmShapes,
                         ::testing::Combine(::testing::Bool(), ::testing::Bool(), ::testing::Values(1, 5, 70),
                                            ::testing::Values(1, 7, 300), ::testing::Values(1, 3, 270)));

TEST(GemmCpu, BetaZeroIgnoresNaNInC) {
  const int64_t M = 37, N = 41, K = 19;
  const auto A = random_normal(M * K, 1), B = random_normal(K * N, 2);
  std::vector<double> C(M * N, std::numeric_limits<double>::quiet_NaN());
  cpu::gemm(false, true, M, N, K, 1.0, A.data(), B.data(), 0.0, C.data());
  const auto ref = naive_gemm(false, true, M, N, K, 1.0, A, B, 0.0, std::vector<double>(M * N, 0.0));
  for (double c : C) ASSERT_FALSE(std::isnan(c));
  EXPECT_LT(max_rel_error(C, ref), 1e-13);
}

TEST(GemmCpu, KZeroScalesC) {
  std::vector<double> C = {1, 2, 3, 4};
  cpu::gemm<double>(false, false, 2, 2, 0, 1.0, nullptr, nullptr, 3.0, C.data());
  EXPECT_EQ(C, (std::vector<double>{3, 6, 9, 12}));
}

TEST(GemmCpu, DeterministicAcrossRuns) {
  const int64_t M = 200, N = 300, K = 500;
  const auto A = random_normal<float>(M * K, 5), B = random_normal<float>(K * N, 6);
  std::vector<float> C1(M * N), C2(M * N);
  cpu::gemm(false, false, M, N, K, 1.0f, A.data(), B.data(), 0.0f, C1.data());
  cpu::gemm(false, false, M, N, K, 1.0f, A.data(), B.data(), 0.0f, C2.data());
  EXPECT_EQ(C1, C2);
}

}  // namespace
}  // namespace gan
