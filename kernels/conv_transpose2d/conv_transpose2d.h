// 2-D transposed convolution ("fractionally strided", the generator's upsampler), NCHW.
//
//   x  [N, C, H, W]      input
//   w  [C, K, R, S]      PyTorch layout: input channels first
//   b  [K] or null
//   y  [N, K, P, Q]      P = (H - 1)*stride - 2*pad + R + output_padding, Q likewise
//
//   y[n,k,p,q] = b[k] + sum over (c,h,w,r,s) with h*stride - pad + r == p and
//                w*stride - pad + s == q of x[n,c,h,w] * w[c,k,r,s]
//
// It is the adjoint of Conv2d: its forward is Conv2d's backward-data and vice versa.
// Cost of each of forward, backward-data, backward-weight: 2*N*C*H*W*K*R*S FLOPs.
#pragma once

#include <cstdint>

namespace gan {

struct ConvTranspose2dParams {
  int64_t N = 0, C = 0, H = 0, W = 0;  // input
  int64_t K = 0, R = 0, S = 0;         // output channels and kernel size
  int64_t stride = 1, pad = 0, output_padding = 0;
  int64_t P = 0, Q = 0;                // output size

  int64_t flops() const { return 2 * N * C * H * W * K * R * S; }
};

// Fills P and Q; throws ShapeError on an empty output or output_padding >= stride.
ConvTranspose2dParams make_conv_transpose2d_params(int64_t N, int64_t C, int64_t H, int64_t W, int64_t K,
                                                   int64_t R, int64_t S, int64_t stride, int64_t pad,
                                                   int64_t output_padding);

namespace cpu {
template <typename T>
void conv_transpose2d_forward(const T* x, const T* w, const T* b, T* y, const ConvTranspose2dParams& p);
template <typename T>
void conv_transpose2d_backward_data(const T* dy, const T* w, T* dx, const ConvTranspose2dParams& p);
template <typename T>
void conv_transpose2d_backward_weight(const T* x, const T* dy, T* dw, T* db, const ConvTranspose2dParams& p);
}  // namespace cpu

namespace cuda {
void conv_transpose2d_forward(const float* x, const float* w, const float* b, float* y,
                              const ConvTranspose2dParams& p);
void conv_transpose2d_backward_data(const float* dy, const float* w, float* dx, const ConvTranspose2dParams& p);
void conv_transpose2d_backward_weight(const float* x, const float* dy, float* dw, float* db,
                                      const ConvTranspose2dParams& p);
void conv_transpose2d_forward_naive(const float* x, const float* w, const float* b, float* y,
                                    const ConvTranspose2dParams& p);
void conv_transpose2d_backward_data_naive(const float* dy, const float* w, float* dx,
                                          const ConvTranspose2dParams& p);
void conv_transpose2d_backward_weight_naive(const float* x, const float* dy, float* dw, float* db,
                                            const ConvTranspose2dParams& p);
}  // namespace cuda

}  // namespace gan
