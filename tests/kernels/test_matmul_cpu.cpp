// gan::cpu::gemm against a naive triple loop, every trans combination.
// Tolerances: double 1e-13 relative (||C - ref|| / ||ref||, only summation order
// differs); float 1e-5 relative against the double reference.
#include <gtest/gtest.h>
#include <omp.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <new>
#include <string>
#include <tuple>

#include "core/error.h"
#include "kernel_test_util.h"
#include "kernels/cpu_detail.h"  // detail::gemm: the `parallel` flag the convolutions use
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

// Small and odd sizes; the blocking's edges are covered by GemmEdges below.
INSTANTIATE_TEST_SUITE_P(Shapes, GemmShapes,
                         ::testing::Combine(::testing::Bool(), ::testing::Bool(), ::testing::Values(1, 5, 70),
                                            ::testing::Values(1, 7, 300), ::testing::Values(1, 3, 270)));

// The blocking of kernels/matmul/cpu.cpp, on every target it sizes for: MR in
// {6, 8} rows, NR in {4, 8, 16, 32} columns, KC in {128, 256} deep, MC in
// {96, 128} rows, NC = 256 columns. Each shape below has M, N and K one past or
// short of some of these (so every row-edge kernel, both the half- and the
// full-width column-edge kernel, the last partial depth slice and the last
// partial task run), plus the degenerate 1-sized dimensions (N == 1 is
// computed as its transpose, 1 x 1 as a dot product).
struct EdgeShape {
  int M, N, K;
};

class GemmEdges : public ::testing::TestWithParam<std::tuple<bool, bool, EdgeShape>> {};

template <typename T>
void expect_matches_naive(bool ta, bool tb, int64_t M, int64_t N, int64_t K, uint32_t seed, double tolerance) {
  const auto A = random_normal(M * K, seed);
  const auto B = random_normal(K * N, seed + 1);
  const auto C0 = random_normal(M * N, seed + 2);
  const std::vector<T> At = test::cast_vec<T>(A), Bt = test::cast_vec<T>(B);
  // beta 0 (C holds NaN, which must not be read), beta 1 (accumulate), a general beta.
  for (const auto& [alpha, beta] : {std::pair{1.0, 0.0}, std::pair{-0.5, 1.0}, std::pair{1.5, -2.0}}) {
    std::vector<T> C = beta == 0.0 ? std::vector<T>(M * N, std::numeric_limits<T>::quiet_NaN()) : test::cast_vec<T>(C0);
    cpu::gemm<T>(ta, tb, M, N, K, T(alpha), At.data(), Bt.data(), T(beta), C.data());
    const auto ref = naive_gemm(ta, tb, M, N, K, alpha, test::cast_vec<double>(At), test::cast_vec<double>(Bt), beta,
                                test::cast_vec<double>(test::cast_vec<T>(C0)));
    EXPECT_LT(max_rel_error(C, ref), tolerance) << "alpha " << alpha << " beta " << beta;
  }
}

TEST_P(GemmEdges, MatchesNaive) {
  const auto [ta, tb, s] = GetParam();
  const uint32_t seed = static_cast<uint32_t>(s.M * 7919 + s.N * 31 + s.K + ta * 3 + tb * 5);
  expect_matches_naive<double>(ta, tb, s.M, s.N, s.K, seed, 1e-13);
  expect_matches_naive<float>(ta, tb, s.M, s.N, s.K, seed, 1e-5);
}

INSTANTIATE_TEST_SUITE_P(Blocking, GemmEdges,
                         ::testing::Combine(::testing::Bool(), ::testing::Bool(),
                                            ::testing::Values(EdgeShape{9, 33, 257}, EdgeShape{7, 31, 129},
                                                              EdgeShape{130, 257, 20}, EdgeShape{97, 65, 300},
                                                              EdgeShape{16, 32, 256}, EdgeShape{1, 300, 40},
                                                              EdgeShape{300, 1, 40}, EdgeShape{1, 1, 600},
                                                              EdgeShape{13, 2, 1}, EdgeShape{2, 17, 513})));

TEST(GemmCpu, AlphaZeroOnlyScalesC) {
  // alpha == 0: A and B are not read (NaN there changes nothing); C = beta * C.
  const int64_t M = 11, N = 35, K = 300;
  const std::vector<float> A(M * K, std::numeric_limits<float>::quiet_NaN());
  const std::vector<float> B(K * N, std::numeric_limits<float>::quiet_NaN());
  const auto C0 = random_normal<float>(M * N, 3);
  std::vector<float> C = C0;
  cpu::gemm(false, true, M, N, K, 0.0f, A.data(), B.data(), 0.5f, C.data());
  for (size_t i = 0; i < C.size(); ++i) ASSERT_EQ(C[i], 0.5f * C0[i]) << i;
  std::vector<float> Cnan(M * N, std::numeric_limits<float>::quiet_NaN());
  cpu::gemm(true, false, M, N, K, 0.0f, A.data(), B.data(), 0.0f, Cnan.data());
  EXPECT_EQ(Cnan, std::vector<float>(M * N, 0.0f));
}

// Same bits with 1, 2 and 3 threads and with parallel = false: the tasks (and
// their number) change with the thread count, the order of each sum must not.
template <typename T>
void expect_thread_count_invariant(bool ta, bool tb, int64_t M, int64_t N, int64_t K) {
  const auto A = random_normal<T>(M * K, 21), B = random_normal<T>(K * N, 22), C0 = random_normal<T>(M * N, 23);
  auto run = [&](int threads, bool parallel) {
    const int saved = omp_get_max_threads();
    omp_set_num_threads(threads);
    std::vector<T> C = C0;
    cpu::detail::gemm<T>(ta, tb, M, N, K, T(0.75), A.data(), B.data(), T(0.5), C.data(), parallel);
    omp_set_num_threads(saved);
    return C;
  };
  const std::vector<T> serial = run(1, false);
  for (const auto& [threads, parallel] : {std::pair{1, true}, std::pair{2, true}, std::pair{3, true},
                                          std::pair{3, false}}) {
    const std::vector<T> C = run(threads, parallel);
    EXPECT_EQ(std::memcmp(C.data(), serial.data(), C.size() * sizeof(T)), 0)
        << threads << " threads, parallel " << parallel << ", M " << M << " N " << N << " K " << K;
  }
}

TEST(GemmCpu, BitwiseSameForAnyThreadCount) {
  for (const bool ta : {false, true})
    for (const bool tb : {false, true}) {
      expect_thread_count_invariant<float>(ta, tb, 150, 300, 400);
      expect_thread_count_invariant<float>(ta, tb, 3000, 1, 200);  // a matrix-vector product
      expect_thread_count_invariant<double>(ta, tb, 97, 61, 700);
    }
}

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

namespace gan {
namespace {

// The CUDA gemm's engine is chosen by name (GAN_CUDA_GEMM, set_gemm_engine);
// what each engine computes is checked by CudaParity.Gemm*.
// An exception thrown inside an OpenMP loop (an allocation that fails in a
// kernel's body) must come out after the loop, not end the process.
TEST(ParallelErrors, TheFirstExceptionOfAParallelLoopIsRethrownAfterIt) {
  cpu::detail::ParallelErrors errors;
  std::atomic<int> ran{0};
#pragma omp parallel for schedule(static) num_threads(2)
  for (int i = 0; i < 1000; ++i) {
    errors.run([&] {
      ++ran;
      if (i == 10) throw std::bad_alloc();
    });
  }
  EXPECT_THROW(errors.rethrow(), std::bad_alloc);
  EXPECT_GE(ran.load(), 11);
  cpu::detail::ParallelErrors clean;
  clean.run([] {});
  EXPECT_NO_THROW(clean.rethrow());
}

TEST(GemmEngineChoice, NamesRoundTripAndUnknownNamesAreRefused) {
  EXPECT_EQ(parse_gemm_engine("own"), GemmEngine::Own);
  EXPECT_EQ(parse_gemm_engine("cublas"), GemmEngine::Cublas);
  EXPECT_STREQ(gemm_engine_name(GemmEngine::Own), "own");
  EXPECT_STREQ(gemm_engine_name(GemmEngine::Cublas), "cublas");
  try {
    parse_gemm_engine("cuBLAS ");
    FAIL() << "an unknown engine name was accepted";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("use own or cublas"), std::string::npos) << e.what();
  }
  const GemmEngine saved = gemm_engine();
  set_gemm_engine(GemmEngine::Cublas);
  EXPECT_EQ(gemm_engine(), GemmEngine::Cublas);
  set_gemm_engine(GemmEngine::Own);
  EXPECT_EQ(gemm_engine(), GemmEngine::Own);
  set_gemm_engine(saved);
}

}  // namespace
}  // namespace gan
