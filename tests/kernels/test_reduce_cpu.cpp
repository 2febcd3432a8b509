// sum_to CPU kernel against a naive reference.
// Tolerances: small integer-valued cases are exact; random double inputs 1e-12
// relative (only the summation order differs: the kernel sums a total in fixed
// blocks, the reference left to right; seen ~4e-14 for 231k elements); float
// output 1e-6 relative (the kernel accumulates in double and rounds once).
#include <gtest/gtest.h>

#include <vector>

#include "kernel_test_util.h"
#include "kernels/reduce/reduce.h"

namespace gan {
namespace {

using Shape = std::vector<int64_t>;

StridedLayout shape_of(const Shape& s) {
  StridedLayout l;
  l.rank = static_cast<int>(s.size());
  for (int d = 0; d < l.rank; ++d) l.shape[d] = s[d];
  return l;
}

int64_t numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

// out[j] += x[i] where j is i's multi-index with reduced dims set to 0.
std::vector<double> naive_sum_to(const std::vector<double>& x, const Shape& in, const Shape& out) {
  std::vector<double> r(numel(out), 0.0);
  const int rank = static_cast<int>(in.size());
  for (int64_t i = 0; i < numel(in); ++i) {
    int64_t rem = i, j = 0, scale = 1;
    for (int d = rank - 1; d >= 0; --d) {
      const int64_t id = rem % in[d];
      rem /= in[d];
      j += (out[d] == 1 ? 0 : id) * scale;
      scale *= out[d];
    }
    r[j] += x[i];
  }
  return r;
}

TEST(SumToCpu, HandComputed) {
  // x[2,3,4] = 0..23. Sum to [1,3,1]: channel c sums i = 12a + 4c + b over a<2, b<4:
  // c=0: (0+1+2+3) + (12+13+14+15) = 60; c=1: 60 + 2*16 = 92; c=2: 124.
  std::vector<double> x(24);
  for (int i = 0; i < 24; ++i) x[i] = i;
  std::vector<double> out(3, -1.0);
  cpu::sum_to(x.data(), shape_of({2, 3, 4}), out.data(), shape_of({1, 3, 1}));
  EXPECT_EQ(out, (std::vector<double>{60, 92, 124}));
  std::vector<double> total(1);
  cpu::sum_to(x.data(), shape_of({2, 3, 4}), total.data(), shape_of({1, 1, 1}));
  EXPECT_EQ(total[0], 276.0);  // 23 * 24 / 2
  std::vector<double> rows(2);
  cpu::sum_to(x.data(), shape_of({2, 3, 4}), rows.data(), shape_of({2, 1, 1}));
  EXPECT_EQ(rows, (std::vector<double>{66, 210}));
  std::vector<double> same(24);
  cpu::sum_to(x.data(), shape_of({2, 3, 4}), same.data(), shape_of({2, 3, 4}));
  EXPECT_EQ(same, x);
}

class SumToShapes : public ::testing::TestWithParam<std::pair<Shape, Shape>> {};

TEST_P(SumToShapes, MatchesNaive) {
  const auto& [in, out] = GetParam();
  const auto x = test::random_normal(numel(in), 31);
  const auto ref = naive_sum_to(x, in, out);
  std::vector<double> got(numel(out), -7.0);
  cpu::sum_to(x.data(), shape_of(in), got.data(), shape_of(out));
  EXPECT_LT(test::max_rel_error(got, ref), 1e-12);

  const auto xf = test::cast_vec<float>(x);
  const auto reff = naive_sum_to(test::cast_vec<double>(xf), in, out);
  std::vector<float> gotf(numel(out));
  cpu::sum_to(xf.data(), shape_of(in), gotf.data(), shape_of(out));
  EXPECT_LT(test::max_rel_error(gotf, reff), 1e-6);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, SumToShapes,
    ::testing::Values(std::pair{Shape{2, 3, 4}, Shape{1, 3, 1}}, std::pair{Shape{2, 3, 4}, Shape{1, 1, 1}},
                      std::pair{Shape{2, 3, 4}, Shape{2, 1, 4}}, std::pair{Shape{2, 3, 4}, Shape{1, 3, 4}},
                      std::pair{Shape{5, 1, 7}, Shape{1, 1, 7}}, std::pair{Shape{1}, Shape{1}},
                      std::pair{Shape{3, 2, 5, 4, 2}, Shape{3, 1, 5, 1, 2}},
                      // bias gradient of a conv output, Linear bias gradient, a big total sum
                      std::pair{Shape{64, 128, 7, 7}, Shape{1, 128, 1, 1}},
                      std::pair{Shape{300, 257}, Shape{1, 257}},
                      std::pair{Shape{7, 33, 1001}, Shape{1, 1, 1}}));

TEST(SumToCpu, Deterministic) {
  const Shape in = {64, 3, 64, 64}, out = {1, 3, 1, 1};
  const auto x = test::random_normal<float>(numel(in), 32);
  std::vector<float> a(3), b(3);
  cpu::sum_to(x.data(), shape_of(in), a.data(), shape_of(out));
  cpu::sum_to(x.data(), shape_of(in), b.data(), shape_of(out));
  EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace gan
