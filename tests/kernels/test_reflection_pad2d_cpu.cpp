// ReflectionPad2d CPU kernel: the mapping on hand-written cases, readers() as
// the exact inverse of source() for every size and pad, and the backward as the
// adjoint of the forward (checked against a naive scatter-add; exact for the
// integer-valued inputs used, so the comparison is equality).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/reflection_pad2d/reflection_pad2d.h"

namespace gan {
namespace {

ReflectionPad2dParams params(int64_t planes, int64_t H, int64_t W, int64_t pad) {
  ReflectionPad2dParams p;
  p.planes = planes;
  p.H = H;
  p.W = W;
  p.pad = pad;
  return p;
}

TEST(ReflectionPad2dCpu, PlaneByHand) {
  // A 3 x 4 plane padded by 2: each row r becomes r2 r1 | r0 r1 r2 r3 | r2 r1
  // (a b c d -> c b a b c d c b), and the rows are taken in the order
  // 2 1 | 0 1 2 | 1 0.
  const std::vector<double> plane = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  std::vector<double> out(7 * 8);
  cpu::reflection_pad2d_forward(plane.data(), out.data(), params(1, 3, 4, 2));
  const double rows[3][4] = {{1, 2, 3, 4}, {5, 6, 7, 8}, {9, 10, 11, 12}};
  const int order[7] = {2, 1, 0, 1, 2, 1, 0};
  for (int p = 0; p < 7; ++p) {
    const double* r = rows[order[p]];
    const double want[8] = {r[2], r[1], r[0], r[1], r[2], r[3], r[2], r[1]};
    for (int q = 0; q < 8; ++q) EXPECT_EQ(out[p * 8 + q], want[q]) << p << "," << q;
  }
}

TEST(ReflectionPad2dCpu, ReadersInvertSource) {
  for (int64_t n = 1; n <= 9; ++n) {
    for (int64_t pad = 0; pad < n; ++pad) {
      std::vector<std::vector<int64_t>> want(static_cast<size_t>(n));
      for (int64_t o = 0; o < n + 2 * pad; ++o) {
        const int64_t i = reflection_pad::source(o, n, pad);
        ASSERT_TRUE(i >= 0 && i < n) << "n=" << n << " pad=" << pad << " o=" << o;
        want[static_cast<size_t>(i)].push_back(o);  // o ascending
      }
      for (int64_t i = 0; i < n; ++i) {
        int64_t got[3];
        const int count = reflection_pad::readers(i, n, pad, got);
        EXPECT_EQ(std::vector<int64_t>(got, got + count), want[static_cast<size_t>(i)])
            << "n=" << n << " pad=" << pad << " i=" << i;
      }
    }
  }
}

// dx = pad^T(dy): every dy[p][q] added to the x element it was read from.
TEST(ReflectionPad2dCpu, BackwardMatchesNaiveScatter) {
  struct Case {
    int64_t planes, H, W, pad;
  };
  for (const Case& c : {Case{2, 5, 7, 3}, Case{3, 4, 4, 3}, Case{1, 2, 9, 1}, Case{2, 6, 3, 2}, Case{1, 1, 1, 0}}) {
    const ReflectionPad2dParams p = params(c.planes, c.H, c.W, c.pad);
    const int64_t OH = p.out_h(), OW = p.out_w();
    std::vector<double> dy(static_cast<size_t>(c.planes * OH * OW));
    auto r = test::random_uniform(static_cast<int64_t>(dy.size()), 51, -8, 8);
    for (size_t i = 0; i < dy.size(); ++i) dy[i] = std::round(r[i]);  // integers: sums are exact
    std::vector<double> want(static_cast<size_t>(c.planes * c.H * c.W), 0.0);
    for (int64_t pl = 0; pl < c.planes; ++pl)
      for (int64_t o = 0; o < OH; ++o)
        for (int64_t q = 0; q < OW; ++q)
          want[static_cast<size_t>((pl * c.H + reflection_pad::source(o, c.H, c.pad)) * c.W +
                                   reflection_pad::source(q, c.W, c.pad))] +=
              dy[static_cast<size_t>((pl * OH + o) * OW + q)];
    std::vector<double> dx(want.size(), -1.0);
    cpu::reflection_pad2d_backward(dy.data(), dx.data(), p);
    EXPECT_EQ(dx, want) << c.planes << "x" << c.H << "x" << c.W << " pad " << c.pad;

    // The forward is the transpose: <pad(x), dy> == <x, pad^T(dy)>.
    const auto x = test::random_normal(c.planes * c.H * c.W, 52);
    std::vector<double> y(dy.size());
    cpu::reflection_pad2d_forward(x.data(), y.data(), p);
    EXPECT_NEAR(test::dot(y, dy), test::dot(x, dx), 1e-9);
  }
}

}  // namespace
}  // namespace gan
