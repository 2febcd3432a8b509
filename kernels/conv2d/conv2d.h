// 2-D convolution (cross-correlation, as in every DL framework), NCHW.
//
//   x  [N, C, H, W]      input
//   w  [K, C, R, S]      K output channels, R x S kernel
//   b  [K] or null       bias
//   y  [N, K, P, Q]      P = (H + 2*pad - R) / stride + 1, Q likewise
//
//   y[n,k,p,q] = b[k] + sum_{c,r,s} x[n, c, p*stride - pad + r, q*stride - pad + s] * w[k,c,r,s]
//
// Cost of each of forward, backward-data and backward-weight: 2*N*K*P*Q*C*R*S FLOPs.
// Square stride and padding, dilation 1: what the GANs in this project use.
#pragma once

#include <cstdint>

namespace gan {

struct Conv2dParams {
  int64_t N = 0, C = 0, H = 0, W = 0;  // input
  int64_t K = 0, R = 0, S = 0;         // output channels and kernel size
  int64_t stride = 1, pad = 0;
  int64_t P = 0, Q = 0;                // output size

  int64_t flops() const { return 2 * N * K * P * Q * C * R * S; }
};

// Fills P and Q from the rest; throws ShapeError when the output would be empty.
Conv2dParams make_conv2d_params(int64_t N, int64_t C, int64_t H, int64_t W, int64_t K, int64_t R, int64_t S,
                                int64_t stride, int64_t pad);

namespace cpu {
template <typename T>
void conv2d_forward(const T* x, const T* w, const T* b, T* y, const Conv2dParams& p);
// dx = gradient w.r.t. x (overwritten).
template <typename T>
void conv2d_backward_data(const T* dy, const T* w, T* dx, const Conv2dParams& p);
// dw (and db when not null) overwritten.
template <typename T>
void conv2d_backward_weight(const T* x, const T* dy, T* dw, T* db, const Conv2dParams& p);
}  // namespace cpu

namespace cuda {
void conv2d_forward(const float* x, const float* w, const float* b, float* y, const Conv2dParams& p);
void conv2d_backward_data(const float* dy, const float* w, float* dx, const Conv2dParams& p);
void conv2d_backward_weight(const float* x, const float* dy, float* dw, float* db, const Conv2dParams& p);
// The teaching versions: one thread per output element, no tiling. Kept so the
// benchmarks can show what tiling buys.
void conv2d_forward_naive(const float* x, const float* w, const float* b, float* y, const Conv2dParams& p);
void conv2d_backward_data_naive(const float* dy, const float* w, float* dx, const Conv2dParams& p);
void conv2d_backward_weight_naive(const float* x, const float* dy, float* dw, float* db, const Conv2dParams& p);
}  // namespace cuda

}  // namespace gan
