// The per-element sums of the naive CUDA convolutions (kernels/conv2d/naive.h)
// run on the CPU over every element, with the same roles as
// kernels/conv2d/cuda_naive.cu and kernels/conv_transpose2d/cuda_naive.cu give
// them, against the CPU reference (double; relative error < 1e-12).
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/conv2d/conv_frame.h"
#include "kernels/conv2d/naive.h"
#include "tests/kernels/conv_test_util.h"
#include "tests/kernels/kernel_test_util.h"

namespace gan {
namespace {

constexpr double kTol = 1e-12;

template <typename Op>
void check_naive(const std::vector<test::ConvCase>& cases, uint32_t seed) {
  for (const test::ConvCase& cs : cases) {
    SCOPED_TRACE(std::string(Op::kName) + " " + test::describe(cs));
    const typename Op::Params p = Op::params(cs, cs.N);
    const ConvFrame f = conv_frame(p);
    const auto x = test::random_normal(p.N * p.C * p.H * p.W, seed++);
    const auto w = test::random_normal(Op::w_size(p), seed++);
    const auto b = test::random_normal(p.K, seed++);
    const auto dy = test::random_normal(p.N * p.K * p.P * p.Q, seed++);
    const double* bias = cs.bias ? b.data() : nullptr;
    std::vector<double> y_ref(dy.size()), dx_ref(x.size()), dw_ref(w.size()), db_ref(b.size());
    Op::cpu_forward(x.data(), w.data(), bias, y_ref.data(), p);
    Op::cpu_backward_data(dy.data(), w.data(), dx_ref.data(), p);
    Op::cpu_backward_weight(x.data(), dy.data(), dw_ref.data(), db_ref.data(), p);

    // conv2d: x is the frame's in side, y its out side; conv_transpose2d the other way round.
    std::vector<double> y(y_ref.size()), dx(dx_ref.size()), dw(dw_ref.size()), db(db_ref.size());
    const double* out_side = Op::kTransposed ? x.data() : dy.data();
    const double* in_side = Op::kTransposed ? dy.data() : x.data();
    for (size_t i = 0; i < y.size(); ++i) {
      const auto e = static_cast<int64_t>(i);
      y[i] = Op::kTransposed ? conv_naive::scatter_at(f, w.data(), x.data(), bias, e)
                             : conv_naive::gather_at(f, w.data(), x.data(), bias, e);
    }
    for (size_t i = 0; i < dx.size(); ++i) {
      const auto e = static_cast<int64_t>(i);
      dx[i] = Op::kTransposed ? conv_naive::gather_at(f, w.data(), dy.data(), static_cast<const double*>(nullptr), e)
                              : conv_naive::scatter_at(f, w.data(), dy.data(), static_cast<const double*>(nullptr), e);
    }
    for (size_t i = 0; i < dw.size(); ++i)
      dw[i] = conv_naive::weight_grad_at(f, out_side, in_side, static_cast<int64_t>(i));
    for (size_t c = 0; c < db.size(); ++c)
      db[c] = conv_naive::bias_grad_at(dy.data(), p.N, p.K, p.P * p.Q, static_cast<int64_t>(c));

    EXPECT_LT(test::max_rel_error(y, y_ref), kTol) << "forward";
    EXPECT_LT(test::max_rel_error(dx, dx_ref), kTol) << "backward-data";
    EXPECT_LT(test::max_rel_error(dw, dw_ref), kTol) << "backward-weight";
    EXPECT_LT(test::max_rel_error(db, db_ref), kTol) << "bias gradient";
  }
}

TEST(ConvNaiveOnHost, Conv2dMatchesTheCpuReference) { check_naive<test::Conv2dOp>(test::kConv2dEdgeCases, 500); }

TEST(ConvNaiveOnHost, ConvTranspose2dMatchesTheCpuReference) {
  check_naive<test::ConvTranspose2dOp>(test::kConvTranspose2dEdgeCases, 600);
}

}  // namespace
}  // namespace gan
