// CPU reference of conv2d: lowering to gemm (im2col), per image.
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
#include "kernels/conv2d/conv2d.h"

#include "core/error.h"
#include "core/shape.h"
#include "kernels/conv2d/im2col.h"
#include "kernels/cpu_detail.h"

namespace gan {

Conv2dParams make_conv2d_params(int64_t N, int64_t C, int64_t H, int64_t W, int64_t K, int64_t R, int64_t S,
                                int64_t stride, int64_t pad) {
  GAN_CHECK(stride >= 1 && pad >= 0, ValueError, "conv2d: stride must be >= 1 and padding >= 0, got stride ", stride,
            ", padding ", pad);
  Conv2dParams p;
  p.N = N, p.C = C, p.H = H, p.W = W, p.K = K, p.R = R, p.S = S, p.stride = stride, p.pad = pad;
  const int64_t hp = H + 2 * pad - R, wp = W + 2 * pad - S;
  GAN_CHECK(hp >= 0 && wp >= 0, ShapeError, "conv2d: kernel ", R, "x", S, " is larger than the padded input ",
            shape_str({N, C, H, W}), " with padding ", pad);
  p.P = hp / stride + 1;
  p.Q = wp / stride + 1;
  return p;
}

namespace cpu {

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

}  // namespace cpu
}  // namespace gan
