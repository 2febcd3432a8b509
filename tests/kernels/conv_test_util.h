// Shapes and CPU references shared by the convolution tests
// (test_conv_implicit_gemm.cpp on the CPU, test_conv_cuda.cpp on a GPU): one
// interface over conv2d and conv_transpose2d, so each check is written once.
#pragma once

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "kernels/conv/conv.h"
#include "tests/op_cases/op_cases.h"
#include "tests/kernels/kernel_test_util.h"

namespace gan::test {

// One shape of either op (output_padding only for conv_transpose2d).
using ConvCase = op_cases::ConvShape;

inline std::string describe(const ConvCase& c) {
  std::ostringstream os;  // (not operator+: GCC 12 reports a false -Wrestrict on long chains of those)
  os << "N" << c.N << " C" << c.C << " " << c.H << "x" << c.W << " K" << c.K << " k" << c.R << "x" << c.S << " s"
     << c.stride << " p" << c.pad << " op" << c.output_padding << (c.bias ? " bias" : " no bias");
  return os.str();
}

// The edge shapes of the op-case table (tests/op_cases/op_cases.cpp, where they
// are written once), small enough for the CPU-side runs of the CUDA kernels'
// logic (a thread-by-thread emulation).
inline const std::vector<ConvCase>& conv2d_edge_cases() { return op_cases::conv2d_edge_shapes(); }
inline const std::vector<ConvCase>& conv_transpose2d_edge_cases() { return op_cases::conv_transpose2d_edge_shapes(); }

// x [N, C, H, W], w, y [N, K, P, Q] for both ops; the CPU reference of each pass.
struct Conv2dOp {
  using Params = Conv2dParams;
  static constexpr const char* kName = "conv2d";
  static constexpr bool kTransposed = false;
  static Params params(const ConvCase& c, int64_t N) {
    return make_conv2d_params(N, c.C, c.H, c.W, c.K, c.R, c.S, c.stride, c.pad);
  }
  static int64_t w_size(const Params& p) { return p.K * p.C * p.R * p.S; }
  template <typename T>
  static void cpu_forward(const T* x, const T* w, const T* b, T* y, const Params& p) {
    cpu::conv2d_forward<T>(x, w, b, y, p);
  }
  template <typename T>
  static void cpu_backward_data(const T* dy, const T* w, T* dx, const Params& p) {
    cpu::conv2d_backward_data<T>(dy, w, dx, p);
  }
  template <typename T>
  static void cpu_backward_weight(const T* x, const T* dy, T* dw, T* db, const Params& p) {
    cpu::conv2d_backward_weight<T>(x, dy, dw, db, p);
  }
};

struct ConvTranspose2dOp {
  using Params = ConvTranspose2dParams;
  static constexpr const char* kName = "conv_transpose2d";
  static constexpr bool kTransposed = true;
  static Params params(const ConvCase& c, int64_t N) {
    return make_conv_transpose2d_params(N, c.C, c.H, c.W, c.K, c.R, c.S, c.stride, c.pad, c.output_padding);
  }
  static int64_t w_size(const Params& p) { return p.C * p.K * p.R * p.S; }
  template <typename T>
  static void cpu_forward(const T* x, const T* w, const T* b, T* y, const Params& p) {
    cpu::conv_transpose2d_forward<T>(x, w, b, y, p);
  }
  template <typename T>
  static void cpu_backward_data(const T* dy, const T* w, T* dx, const Params& p) {
    cpu::conv_transpose2d_backward_data<T>(dy, w, dx, p);
  }
  template <typename T>
  static void cpu_backward_weight(const T* x, const T* dy, T* dw, T* db, const Params& p) {
    cpu::conv_transpose2d_backward_weight<T>(x, dy, dw, db, p);
  }
};

// Random inputs (double) of one case and the CPU reference of all its passes,
// for the host-side tests. seed advances by 4.
template <typename Op>
struct HostProblem {
  typename Op::Params p;
  std::vector<double> x, w, b, dy;                    // inputs
  std::vector<double> y_ref, dx_ref, dw_ref, db_ref;  // forward (with bias when the case has one), gradients
  const double* bias() const { return b.empty() ? nullptr : b.data(); }

  HostProblem(const ConvCase& c, uint32_t& seed) : p(Op::params(c, c.N)) {
    x = random_normal(p.N * p.C * p.H * p.W, seed++);
    w = random_normal(Op::w_size(p), seed++);
    const std::vector<double> bias_values = random_normal(p.K, seed++);
    if (c.bias) b = bias_values;
    dy = random_normal(p.N * p.K * p.P * p.Q, seed++);
    y_ref.resize(dy.size());
    dx_ref.resize(x.size());
    dw_ref.resize(w.size());
    db_ref.resize(static_cast<size_t>(p.K));
    Op::cpu_forward(x.data(), w.data(), bias(), y_ref.data(), p);
    Op::cpu_backward_data(dy.data(), w.data(), dx_ref.data(), p);
    Op::cpu_backward_weight(x.data(), dy.data(), dw_ref.data(), db_ref.data(), p);
  }
};

}  // namespace gan::test
