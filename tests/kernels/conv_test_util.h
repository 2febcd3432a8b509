// Shapes and CPU references shared by the convolution tests
// (test_conv_implicit_gemm.cpp on the CPU, test_conv_cuda.cpp on a GPU): one
// interface over conv2d and conv_transpose2d, so each check is written once.
#pragma once

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "kernels/conv/conv.h"
#include "kernels/conv/conv.h"
#include "tests/kernels/kernel_test_util.h"

namespace gan::test {

// One shape of either op (output_padding only for conv_transpose2d).
struct ConvCase {
  int64_t N, C, H, W, K, R, S, stride, pad, output_padding;
  bool bias;
};

inline std::string describe(const ConvCase& c) {
  std::ostringstream os;  // (not operator+: GCC 12 reports a false -Wrestrict on long chains of those)
  os << "N" << c.N << " C" << c.C << " " << c.H << "x" << c.W << " K" << c.K << " k" << c.R << "x" << c.S << " s"
     << c.stride << " p" << c.pad << " op" << c.output_padding << (c.bias ? " bias" : " no bias");
  return os.str();
}

// Small shapes chosen for the edges, small enough for the CPU-side runs of
// the CUDA kernels' logic (a thread-by-thread emulation).
// N, C, H, W, K, R, S, stride, pad, output_padding, bias
inline const std::vector<ConvCase> kConv2dEdgeCases = {
    {2, 3, 9, 7, 5, 3, 3, 1, 1, 0, true},     // odd sizes, same padding
    {1, 1, 5, 5, 1, 1, 1, 1, 0, 0, false},    // C = K = 1, 1x1 kernel
    {2, 3, 16, 16, 8, 4, 4, 2, 1, 0, true},   // the DCGAN discriminator's first layer, shrunk
    {3, 6, 4, 4, 1, 4, 4, 1, 0, 0, true},     // its last (4x4 -> 1x1, K = 1): the dense scatter
    {2, 7, 14, 14, 9, 4, 4, 2, 1, 0, false},  // 28x28 discriminator, 14 -> 7
    {1, 2, 7, 7, 3, 7, 7, 1, 0, 0, true},     // its last, 7x7 kernel -> 1x1
    {2, 5, 7, 9, 4, 3, 2, 2, 0, 0, true},     // non-square kernel; the stride leaves the last row/col unused
    {1, 4, 6, 6, 3, 1, 1, 2, 0, 0, true},     // kernel smaller than the stride: scatter phases without taps
    {2, 2, 5, 5, 3, 3, 3, 3, 2, 0, false},    // stride 3, padding 2
    {1, 3, 3, 3, 130, 3, 3, 1, 1, 0, true},   // K = 130: two Large row tiles
    {1, 130, 3, 3, 4, 1, 1, 1, 0, 0, true},   // C = 130: the scatter's M
    {2, 3, 20, 20, 17, 5, 5, 1, 2, 0, true},  // 800 columns: several column tiles
    {2, 3, 1, 1, 4, 1, 1, 2, 0, 0, true},     // 1x1 input, stride 2: scatter phases without pixels
};

inline const std::vector<ConvCase> kConvTranspose2dEdgeCases = {
    {2, 10, 1, 1, 8, 4, 4, 1, 0, 0, true},   // the DCGAN generator's first layer (1x1 -> 4x4): dense
    {2, 6, 4, 4, 5, 4, 4, 2, 1, 0, false},   // a middle layer, 4 -> 8
    {2, 4, 8, 8, 3, 4, 4, 2, 1, 0, true},    // the last (-> 3 channels): Thin
    {1, 5, 1, 1, 4, 7, 7, 1, 0, 0, true},    // 28x28 generator: 1x1 -> 7x7, dense
    {2, 4, 7, 7, 3, 4, 4, 2, 1, 0, false},   // 7 -> 14
    {2, 3, 5, 4, 2, 3, 3, 2, 1, 1, true},    // output_padding 1: a row and a column with the bias only
    {1, 3, 3, 5, 2, 3, 2, 3, 1, 2, true},    // stride 3, output_padding 2, non-square kernel
    {2, 3, 4, 4, 2, 1, 1, 2, 0, 1, true},    // kernel smaller than the stride: phases without taps
    {1, 2, 1, 1, 3, 4, 4, 2, 0, 1, true},    // 1x1 input but output_padding: not the dense case
    {1, 2, 1, 1, 3, 3, 3, 1, 1, 0, false},   // 1x1 input with padding: not the dense case
    {1, 140, 2, 2, 3, 3, 3, 1, 1, 0, true},  // C = 140: two Large row tiles in backward-data / weight
    {2, 2, 1, 1, 3, 1, 1, 2, 0, 0, false},   // 1x1 output, stride 2: forward phases without pixels
};

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
