// CPU reference of conv_transpose2d: the adjoint of conv2d, lowered the same
// way (kernels/conv2d/im2col.h). With the output y [K, P, Q] playing the role
// of conv2d's input and x [C, H, W] the role of its output grid:
//
//   forward         y_n            = col2im( w^T [KRS, C] @ x_n [C, HW] )  (+ b)
//   backward-data   dx_n [C, HW]   = w [C, KRS] @ col(dy_n) [KRS, HW]
//   backward-weight dw [C, KRS]    = sum_n x_n [C, HW] @ col(dy_n)^T        (db = sum dy)
//
// Output rows and columns added by output_padding receive no input: only the bias.
// From a 1x1 input without padding (the DCGAN generator's first layer) col2im
// is a reshape, the layer is fully connected and each pass is one gemm over all
// images, with y as [N, KRS]:
//   y = x [N, C] @ w [C, KRS],   dx [N, C] = dy @ w^T,   dw [C, KRS] = x^T @ dy.
// Threads and determinism as in kernels/conv2d/cpu.cpp.
// Cost: 2*N*C*H*W*K*R*S FLOPs per pass, plus K*R*S*H*W column elements per image.
#include "kernels/conv_transpose2d/conv_transpose2d.h"

#include "core/error.h"
#include "core/shape.h"
#include "kernels/conv2d/im2col.h"
#include "kernels/cpu_detail.h"

namespace gan {

ConvTranspose2dParams make_conv_transpose2d_params(int64_t N, int64_t C, int64_t H, int64_t W, int64_t K,
                                                   int64_t R, int64_t S, int64_t stride, int64_t pad,
                                                   int64_t output_padding) {
  GAN_CHECK(stride >= 1 && pad >= 0, ValueError, "conv_transpose2d: stride must be >= 1 and padding >= 0, got stride ",
            stride, ", padding ", pad);
  GAN_CHECK(output_padding >= 0 && output_padding < stride, ValueError,
            "conv_transpose2d: output_padding must be in [0, stride) = [0, ", stride, "), got ", output_padding);
  ConvTranspose2dParams p;
  p.N = N, p.C = C, p.H = H, p.W = W, p.K = K, p.R = R, p.S = S;
  p.stride = stride, p.pad = pad, p.output_padding = output_padding;
  p.P = (H - 1) * stride - 2 * pad + R + output_padding;
  p.Q = (W - 1) * stride - 2 * pad + S + output_padding;
  GAN_CHECK(H >= 1 && W >= 1 && p.P >= 1 && p.Q >= 1, ShapeError, "conv_transpose2d: input ",
            shape_str({N, C, H, W}), " with kernel ", R, "x", S, ", stride ", stride, ", padding ", pad,
            " gives an empty output ", p.P, "x", p.Q);
  return p;
}

namespace cpu {

namespace {
bool fully_connected(const ConvTranspose2dParams& p) {
  return p.H == 1 && p.W == 1 && p.pad == 0 && p.output_padding == 0;
}
}  // namespace

template <typename T>
void conv_transpose2d_forward(const T* x, const T* w, const T* b, T* y, const ConvTranspose2dParams& p) {
  const int64_t KRS = p.K * p.R * p.S, HW = p.H * p.W, PQ = p.P * p.Q;
  if (fully_connected(p)) {
    detail::gemm<T>(false, false, p.N, KRS, p.C, T(1), x, w, T(0), y, true);
    if (b)
      for (int64_t n = 0; n < p.N; ++n) detail::add_bias(y + n * p.K * PQ, b, p.K, PQ);
    return;
  }
  detail::for_each_image<T>(p.N, KRS * HW, [&](int64_t n, T* col, bool parallel) {
    detail::gemm<T>(true, false, KRS, HW, p.C, T(1), w, x + n * p.C * HW, T(0), col, parallel);
    T* yn = y + n * p.K * PQ;
    detail::col2im(col, p.K, p.P, p.Q, p.R, p.S, p.stride, p.pad, p.H, p.W, yn);
    if (b) detail::add_bias(yn, b, p.K, PQ);
  });
}

template <typename T>
void conv_transpose2d_backward_data(const T* dy, const T* w, T* dx, const ConvTranspose2dParams& p) {
  const int64_t KRS = p.K * p.R * p.S, HW = p.H * p.W, PQ = p.P * p.Q;
  if (fully_connected(p)) return detail::gemm<T>(false, true, p.N, p.C, KRS, T(1), dy, w, T(0), dx, true);
  detail::for_each_image<T>(p.N, KRS * HW, [&](int64_t n, T* col, bool parallel) {
    detail::im2col(dy + n * p.K * PQ, p.K, p.P, p.Q, p.R, p.S, p.stride, p.pad, p.H, p.W, col, HW);
    detail::gemm<T>(false, false, p.C, HW, KRS, T(1), w, col, T(0), dx + n * p.C * HW, parallel);
  });
}

template <typename T>
void conv_transpose2d_backward_weight(const T* x, const T* dy, T* dw, T* db, const ConvTranspose2dParams& p) {
  const int64_t KRS = p.K * p.R * p.S, HW = p.H * p.W, PQ = p.P * p.Q;
  if (fully_connected(p)) {
    detail::gemm<T>(true, false, p.C, KRS, p.N, T(1), x, dy, T(0), dw, true);
    if (db) detail::bias_grad(p.N, p.K, PQ, dy, db);
    return;
  }
  detail::weight_grad<T>(
      p.N, p.C, KRS, HW, x,
      [&](int64_t n, T* dst, int64_t ld) {
        detail::im2col(dy + n * p.K * PQ, p.K, p.P, p.Q, p.R, p.S, p.stride, p.pad, p.H, p.W, dst, ld);
      },
      dw);
  if (db) detail::bias_grad(p.N, p.K, PQ, dy, db);
}

#define GAN_INSTANTIATE(T)                                                                                         \
  template void conv_transpose2d_forward<T>(const T*, const T*, const T*, T*, const ConvTranspose2dParams&);       \
  template void conv_transpose2d_backward_data<T>(const T*, const T*, T*, const ConvTranspose2dParams&);           \
  template void conv_transpose2d_backward_weight<T>(const T*, const T*, T*, T*, const ConvTranspose2dParams&);
GAN_INSTANTIATE(float)
GAN_INSTANTIATE(double)
#undef GAN_INSTANTIATE

}  // namespace cpu
}  // namespace gan
