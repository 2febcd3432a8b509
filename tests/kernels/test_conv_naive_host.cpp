// The per-element sums of the naive CUDA convolutions (kernels/conv/naive.h)
// run on the CPU over every element, with the same roles as
// kernels/conv/ladder/1_naive.cu and kernels/conv/ladder/1_naive.cu give
// them, against the CPU reference (double; relative error < 1e-12).
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/conv/frame.h"
#include "kernels/conv/naive.h"
#include "tests/kernels/conv_test_util.h"
#include "tests/kernels/kernel_test_util.h"

namespace gan {
namespace {

constexpr double kTol = 1e-12;

template <typename Op>
void check_naive(const std::vector<test::ConvCase>& cases, uint32_t seed) {
  for (const test::ConvCase& cs : cases) {
    SCOPED_TRACE(std::string(Op::kName) + " " + test::describe(cs));
    const test::HostProblem<Op> t(cs, seed);
    const ConvFrame f = conv_frame(t.p);
    const double* w = t.w.data();
    const double* none = nullptr;

    // conv2d: x is the frame's in side, y its out side; conv_transpose2d the other way round.
    std::vector<double> y(t.y_ref.size()), dx(t.dx_ref.size()), dw(t.dw_ref.size()), db(t.db_ref.size());
    const double* out_side = Op::kTransposed ? t.x.data() : t.dy.data();
    const double* in_side = Op::kTransposed ? t.dy.data() : t.x.data();
    for (size_t i = 0; i < y.size(); ++i) {
      const auto e = static_cast<int64_t>(i);
      y[i] = Op::kTransposed ? conv_naive::scatter_at(f, w, t.x.data(), t.bias(), e)
                             : conv_naive::gather_at(f, w, t.x.data(), t.bias(), e);
    }
    for (size_t i = 0; i < dx.size(); ++i) {
      const auto e = static_cast<int64_t>(i);
      dx[i] = Op::kTransposed ? conv_naive::gather_at(f, w, t.dy.data(), none, e)
                              : conv_naive::scatter_at(f, w, t.dy.data(), none, e);
    }
    for (size_t i = 0; i < dw.size(); ++i)
      dw[i] = conv_naive::weight_grad_at(f, out_side, in_side, static_cast<int64_t>(i));
    for (size_t c = 0; c < db.size(); ++c)
      db[c] = conv_naive::bias_grad_at(t.dy.data(), t.p.N, t.p.K, t.p.P * t.p.Q, static_cast<int64_t>(c));

    EXPECT_LT(test::max_rel_error(y, t.y_ref), kTol) << "forward";
    EXPECT_LT(test::max_rel_error(dx, t.dx_ref), kTol) << "backward-data";
    EXPECT_LT(test::max_rel_error(dw, t.dw_ref), kTol) << "backward-weight";
    EXPECT_LT(test::max_rel_error(db, t.db_ref), kTol) << "bias gradient";
  }
}

TEST(ConvNaiveOnHost, Conv2dMatchesTheCpuReference) {
  check_naive<test::Conv2dOp>(test::conv2d_edge_cases(), 500);
}

TEST(ConvNaiveOnHost, ConvTranspose2dMatchesTheCpuReference) {
  check_naive<test::ConvTranspose2dOp>(test::conv_transpose2d_edge_cases(), 600);
}

}  // namespace
}  // namespace gan
