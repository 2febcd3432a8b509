// Elementwise CPU kernels: broadcast binary ops against explicit index math,
// scalar ops, unary ops incl. IEEE edge cases, fill, strided_copy.
// Tolerance: exact (==). Every result is one IEEE operation on the same inputs,
// so the kernel must reproduce the reference bit for bit.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/elementwise/elementwise.h"

namespace gan {
namespace {

using Shape = std::vector<int64_t>;

int64_t numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

Shape contiguous_strides(const Shape& s) {
  Shape st(s.size());
  for (int64_t d = static_cast<int64_t>(s.size()) - 1, acc = 1; d >= 0; --d) {
    st[d] = acc;
    acc *= s[d];
  }
  return st;
}

// NumPy broadcasting of a and b (right-aligned), the way the op layer builds the indexer.
BroadcastIndexer make_indexer(const Shape& a, const Shape& b, Shape* out_shape) {
  const int rank = static_cast<int>(std::max(a.size(), b.size()));
  BroadcastIndexer idx;
  idx.rank = rank;
  const Shape sa = contiguous_strides(a), sb = contiguous_strides(b);
  out_shape->assign(rank, 1);
  for (int d = 0; d < rank; ++d) {
    const int da = d - (rank - static_cast<int>(a.size())), db = d - (rank - static_cast<int>(b.size()));
    const int64_t na = da >= 0 ? a[da] : 1, nb = db >= 0 ? b[db] : 1;
    const int64_t n = std::max(na, nb);
    (*out_shape)[d] = n;
    idx.shape[d] = n;
    idx.a_strides[d] = (da >= 0 && na == n && n != 1) ? sa[da] : 0;
    idx.b_strides[d] = (db >= 0 && nb == n && n != 1) ? sb[db] : 0;
  }
  return idx;
}

double apply(BinaryOp op, double x, double y) {
  switch (op) {
    case BinaryOp::Add: return x + y;
    case BinaryOp::Sub: return x - y;
    case BinaryOp::Mul: return x * y;
    case BinaryOp::Div: return x / y;
  }
  return 0;
}

// Reference: for each output multi-index, the broadcast input index, computed from scratch.
std::vector<double> naive_broadcast(BinaryOp op, const std::vector<double>& a, const Shape& as,
                                    const std::vector<double>& b, const Shape& bs, const Shape& os) {
  const int rank = static_cast<int>(os.size());
  std::vector<double> out(numel(os));
  for (int64_t i = 0; i < numel(os); ++i) {
    Shape mi(rank);
    for (int64_t d = rank - 1, rem = i; d >= 0; --d) {
      mi[d] = rem % os[d];
      rem /= os[d];
    }
    auto offset = [&](const Shape& s) {
      int64_t off = 0;
      const int lead = rank - static_cast<int>(s.size());
      for (int d = 0; d < static_cast<int>(s.size()); ++d) off = off * s[d] + (s[d] == 1 ? 0 : mi[d + lead]);
      return off;
    };
    out[i] = apply(op, a[offset(as)], b[offset(bs)]);
  }
  return out;
}

class BroadcastBinary : public ::testing::TestWithParam<std::pair<Shape, Shape>> {};

TEST_P(BroadcastBinary, MatchesIndexMath) {
  const auto& [as, bs] = GetParam();
  const auto a = test::random_normal(numel(as), 11);
  auto b = test::random_normal(numel(bs), 12);
  for (auto& v : b) v += (v >= 0 ? 0.5 : -0.5);  // keep divisors away from 0
  Shape os;
  const BroadcastIndexer idx = make_indexer(as, bs, &os);
  for (BinaryOp op : {BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div}) {
    const auto ref = naive_broadcast(op, a, as, b, bs, os);
    std::vector<double> out(ref.size(), std::numeric_limits<double>::quiet_NaN());
    cpu::binary(op, a.data(), b.data(), out.data(), idx, numel(os));
    ASSERT_EQ(out, ref) << "op " << static_cast<int>(op);

    const auto af = test::cast_vec<float>(a), bf = test::cast_vec<float>(b);
    std::vector<float> outf(ref.size());
    cpu::binary(op, af.data(), bf.data(), outf.data(), idx, numel(os));
    const auto reff = naive_broadcast(op, test::cast_vec<double>(af), as, test::cast_vec<double>(bf), bs, os);
    for (size_t i = 0; i < outf.size(); ++i) ASSERT_EQ(outf[i], static_cast<float>(reff[i])) << i;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, BroadcastBinary,
    ::testing::Values(std::pair{Shape{2, 3, 4}, Shape{3, 1}}, std::pair{Shape{1}, Shape{2, 3}},
                      std::pair{Shape{2, 3}, Shape{1}}, std::pair{Shape{4, 1}, Shape{1, 5}},
                      std::pair{Shape{2, 3, 4}, Shape{2, 3, 4}}, std::pair{Shape{3, 1, 5}, Shape{2, 1, 4, 1}},
                      std::pair{Shape{}, Shape{}},
                      // large enough to be split into parallel chunks that start mid-row
                      std::pair{Shape{64, 128, 7, 7}, Shape{1, 128, 1, 1}},
                      std::pair{Shape{3, 70001}, Shape{3, 1}}));

TEST(ElementwiseCpu, BinaryScalarBothOrders) {
  const std::vector<double> a = {1.0, -2.0, 4.0};
  std::vector<double> out(3);
  cpu::binary_scalar(BinaryOp::Sub, a.data(), 10.0, out.data(), 3, false);
  EXPECT_EQ(out, (std::vector<double>{-9, -12, -6}));
  cpu::binary_scalar(BinaryOp::Sub, a.data(), 10.0, out.data(), 3, true);
  EXPECT_EQ(out, (std::vector<double>{9, 12, 6}));
  cpu::binary_scalar(BinaryOp::Div, a.data(), 8.0, out.data(), 3, false);
  EXPECT_EQ(out, (std::vector<double>{0.125, -0.25, 0.5}));
  cpu::binary_scalar(BinaryOp::Div, a.data(), 8.0, out.data(), 3, true);
  EXPECT_EQ(out, (std::vector<double>{8, -4, 2}));
  cpu::binary_scalar(BinaryOp::Add, a.data(), 0.5, out.data(), 3, true);
  EXPECT_EQ(out, (std::vector<double>{1.5, -1.5, 4.5}));
  cpu::binary_scalar(BinaryOp::Mul, a.data(), -3.0, out.data(), 3, false);
  EXPECT_EQ(out, (std::vector<double>{-3, 6, -12}));
}

TEST(ElementwiseCpu, UnaryOpsAndIeeeEdgeCases) {
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<double> x = {-2.0, -0.0, 0.0, 0.25, 4.0};
  std::vector<double> y(x.size());
  cpu::unary(UnaryOp::Neg, x.data(), y.data(), 5);
  EXPECT_EQ(y, (std::vector<double>{2.0, 0.0, -0.0, -0.25, -4.0}));
  cpu::unary(UnaryOp::Abs, x.data(), y.data(), 5);
  EXPECT_EQ(y, (std::vector<double>{2.0, 0.0, 0.0, 0.25, 4.0}));
  cpu::unary(UnaryOp::Square, x.data(), y.data(), 5);
  EXPECT_EQ(y, (std::vector<double>{4.0, 0.0, 0.0, 0.0625, 16.0}));
  cpu::unary(UnaryOp::Sign, x.data(), y.data(), 5);
  EXPECT_EQ(y, (std::vector<double>{-1.0, 0.0, 0.0, 1.0, 1.0}));
  cpu::unary(UnaryOp::Sqrt, x.data(), y.data(), 5);
  EXPECT_TRUE(std::isnan(y[0]));
  EXPECT_EQ(y[3], 0.5);
  EXPECT_EQ(y[4], 2.0);
  cpu::unary(UnaryOp::Log, x.data(), y.data(), 5);
  EXPECT_TRUE(std::isnan(y[0]));  // log of a negative number
  EXPECT_EQ(y[1], -inf);          // log(-0) and log(0) are -inf
  EXPECT_EQ(y[2], -inf);
  EXPECT_EQ(y[4], std::log(4.0));
  cpu::unary(UnaryOp::Exp, x.data(), y.data(), 5);
  EXPECT_EQ(y[2], 1.0);
  EXPECT_EQ(y[0], std::exp(-2.0));

  const std::vector<float> nan_in = {std::numeric_limits<float>::quiet_NaN()};
  std::vector<float> nan_out(1);
  cpu::unary(UnaryOp::Sign, nan_in.data(), nan_out.data(), 1);
  EXPECT_TRUE(std::isnan(nan_out[0]));
}

TEST(ElementwiseCpu, UnaryLargeMatchesScalarMath) {
  const auto x = test::random_uniform<float>(100003, 3, 0.1, 5.0);
  std::vector<float> y(x.size());
  cpu::unary(UnaryOp::Log, x.data(), y.data(), static_cast<int64_t>(x.size()));
  for (size_t i = 0; i < x.size(); ++i) ASSERT_EQ(y[i], std::log(x[i])) << i;
  cpu::unary(UnaryOp::Sqrt, x.data(), y.data(), static_cast<int64_t>(x.size()));
  for (size_t i = 0; i < x.size(); ++i) ASSERT_EQ(y[i], std::sqrt(x[i])) << i;
}

TEST(ElementwiseCpu, Fill) {
  std::vector<float> v(100000, 1.0f);
  cpu::fill(v.data(), -2.5f, 99999);
  for (size_t i = 0; i < 99999; ++i) ASSERT_EQ(v[i], -2.5f);
  EXPECT_EQ(v[99999], 1.0f);  // n respected
}

StridedLayout layout(const Shape& shape, const Shape& strides) {
  StridedLayout l;
  l.rank = static_cast<int>(shape.size());
  for (int d = 0; d < l.rank; ++d) {
    l.shape[d] = shape[d];
    l.strides[d] = strides[d];
  }
  return l;
}

TEST(ElementwiseCpu, StridedCopyOfTransposedLayout) {
  // src holds a contiguous 3x4 matrix; viewing it with strides {1, 4} is its 4x3 transpose.
  std::vector<double> src(12);
  for (int i = 0; i < 12; ++i) src[i] = i;
  std::vector<double> dst(12, -1.0);
  cpu::strided_copy(src.data(), layout({4, 3}, {1, 4}), dst.data(), layout({4, 3}, {3, 1}));
  EXPECT_EQ(dst, (std::vector<double>{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}));
}

TEST(ElementwiseCpu, StridedCopyPermutedIntoSlice) {
  // src [A,B,C] contiguous, read as the permutation [C,A,B]; written into columns 3.. of a wider
  // row-major [C*A, B + 5] buffer (a non-contiguous destination). Big enough to run in parallel chunks.
  const int64_t A = 37, B = 41, C = 29, ld = B + 5;
  const auto src = test::random_normal(A * B * C, 4);
  std::vector<double> dst(C * A * ld, 0.0);
  cpu::strided_copy(src.data(), layout({C, A, B}, {1, B * C, C}), dst.data() + 3,
                    layout({C, A, B}, {A * ld, ld, 1}));
  for (int64_t c = 0; c < C; ++c)
    for (int64_t a = 0; a < A; ++a)
      for (int64_t b = 0; b < ld; ++b) {
        const double got = dst[(c * A + a) * ld + b];
        if (b < 3 || b >= 3 + B) {
          ASSERT_EQ(got, 0.0);
        } else {
          ASSERT_EQ(got, src[(a * B + (b - 3)) * C + c]);
        }
      }
}

TEST(ElementwiseCpu, StridedCopyNegativeStride) {
  // A reversed view: src read back to front.
  std::vector<float> src = {1, 2, 3, 4, 5};
  std::vector<float> dst(5);
  cpu::strided_copy(src.data() + 4, layout({5}, {-1}), dst.data(), layout({5}, {1}));
  EXPECT_EQ(dst, (std::vector<float>{5, 4, 3, 2, 1}));
}

}  // namespace
}  // namespace gan
