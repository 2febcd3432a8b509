// CPU reference of the convolution family: lowering to gemm (im2col.h), per image.
//
// conv2d:
//
//   forward         y_n [K, PQ]    = w [K, CRS] @ col(x_n) [CRS, PQ]  (+ b)
//   backward-data   dx_n           = col2im( w^T [CRS, K] @ dy_n [K, PQ] )
//   backward-weight dw [K, CRS]    = sum_n dy_n [K, PQ] @ col(x_n)^T   (db = sum dy)
//
// A kernel that covers the whole unpadded input (a 1x1 output, like the DCGAN
// discriminator's last layer) makes col(x_n) = x_n: the layer is fully
// connected and each pass is one gemm over all images, with x as [N, CRS]:
//   y [N, K] = x @ w^T,   dx [N, CRS] = dy @ w,   dw [K, CRS] = dy^T @ x.
// (Per image it would be a matrix-vector product plus an im2col of CRS rows of
// one element each, mostly overhead.)
//
// Threads: images in parallel (each thread its own column buffer) or, with
// fewer images than threads, one image at a time with a parallel gemm; the
// weight gradient is one gemm per fixed chunk of images. Every sum runs in an
// order that does not depend on the thread count (see im2col.h).
// Cost: 2*N*K*C*R*S*P*Q FLOPs per pass, plus C*R*S*P*Q column elements written
// and read per image (none when fully connected).
//
// conv_transpose2d, the adjoint of conv2d, is lowered the same way. With the
// output y [K, P, Q] playing the role of conv2d's input and x [C, H, W] the
// role of its output grid:
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
// Threads and determinism as for conv2d above.
// Cost: 2*N*C*H*W*K*R*S FLOPs per pass, plus K*R*S*H*W column elements per image.
#include "kernels/conv/conv.h"

#include "kernels/conv/im2col.h"
#include "kernels/cpu_detail.h"

namespace gan::cpu {

// ---- conv2d ----
namespace {
bool fully_connected(const Conv2dParams& p) { return p.pad == 0 && p.R == p.H && p.S == p.W; }
}  // namespace

template <typename T>
void conv2d_forward(const T* x, const T* w, const T* b, T* y, const Conv2dParams& p) {
  const int64_t CRS = p.C * p.R * p.S, PQ = p.P * p.Q;
  if (fully_connected(p)) {
    detail::gemm<T>(false, true, p.N, p.K, CRS, T(1), x, w, T(0), y, true);
    if (b)
      for (int64_t n = 0; n < p.N; ++n) detail::add_bias(y + n * p.K, b, p.K, 1);
    return;
  }
  detail::for_each_image<T>(p.N, CRS * PQ, [&](int64_t n, T* col, bool parallel) {
    detail::im2col(x + n * p.C * p.H * p.W, p.C, p.H, p.W, p.R, p.S, p.stride, p.pad, p.P, p.Q, col, PQ);
    T* yn = y + n * p.K * PQ;
    detail::gemm<T>(false, false, p.K, PQ, CRS, T(1), w, col, T(0), yn, parallel);
    if (b) detail::add_bias(yn, b, p.K, PQ);
  });
}

template <typename T>
void conv2d_backward_data(const T* dy, const T* w, T* dx, const Conv2dParams& p) {
  const int64_t CRS = p.C * p.R * p.S, PQ = p.P * p.Q;
  if (fully_connected(p)) return detail::gemm<T>(false, false, p.N, CRS, p.K, T(1), dy, w, T(0), dx, true);
  detail::for_each_image<T>(p.N, CRS * PQ, [&](int64_t n, T* col, bool parallel) {
    detail::gemm<T>(true, false, CRS, PQ, p.K, T(1), w, dy + n * p.K * PQ, T(0), col, parallel);
    detail::col2im(col, p.C, p.H, p.W, p.R, p.S, p.stride, p.pad, p.P, p.Q, dx + n * p.C * p.H * p.W);
  });
}

template <typename T>
void conv2d_backward_weight(const T* x, const T* dy, T* dw, T* db, const Conv2dParams& p) {
  const int64_t CRS = p.C * p.R * p.S, PQ = p.P * p.Q;
  if (fully_connected(p)) {
    detail::gemm<T>(true, false, p.K, CRS, p.N, T(1), dy, x, T(0), dw, true);
    if (db) detail::bias_grad(p.N, p.K, PQ, dy, db);
    return;
  }
  detail::weight_grad<T>(
      p.N, p.K, CRS, PQ, dy,
      [&](int64_t n, T* dst, int64_t ld) {
        detail::im2col(x + n * p.C * p.H * p.W, p.C, p.H, p.W, p.R, p.S, p.stride, p.pad, p.P, p.Q, dst, ld);
      },
      dw);
  if (db) detail::bias_grad(p.N, p.K, PQ, dy, db);
}

#define GAN_INSTANTIATE(T)                                                                          \
  template void conv2d_forward<T>(const T*, const T*, const T*, T*, const Conv2dParams&);           \
  template void conv2d_backward_data<T>(const T*, const T*, T*, const Conv2dParams&);               \
  template void conv2d_backward_weight<T>(const T*, const T*, T*, T*, const Conv2dParams&);
GAN_INSTANTIATE(float)
GAN_INSTANTIATE(double)
#undef GAN_INSTANTIATE

// ---- conv_transpose2d ----
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

}  // namespace gan::cpu
