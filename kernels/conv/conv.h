// The convolution family: conv2d and conv_transpose2d, NCHW, square stride
// and padding, dilation 1 (what the GANs in this project use).
//
// conv2d (cross-correlation, as in every DL framework):
//   x  [N, C, H, W]      input
//   w  [K, C, R, S]      K output channels, R x S kernel
//   b  [K] or null       bias
//   y  [N, K, P, Q]      P = (H + 2*pad - R) / stride + 1, Q likewise
//   y[n,k,p,q] = b[k] + sum_{c,r,s} x[n, c, p*stride - pad + r, q*stride - pad + s] * w[k,c,r,s]
//
// conv_transpose2d ("fractionally strided", the generator's upsampler):
//   x  [N, C, H, W]      input
//   w  [C, K, R, S]      PyTorch layout: input channels first
//   b  [K] or null
//   y  [N, K, P, Q]      P = (H - 1)*stride - 2*pad + R + output_padding, Q likewise
//   y[n,k,p,q] = b[k] + sum over (c,h,w,r,s) with h*stride - pad + r == p and
//                w*stride - pad + s == q of x[n,c,h,w] * w[c,k,r,s]
// It is the adjoint of conv2d: its forward is conv2d's backward-data and vice versa.
//
// Each op has three passes, named alike: _forward, _backward_data (dx) and
// _backward_weight (dw, and db when asked). Cost of each pass: 2*N*K*P*Q*C*R*S
// FLOPs for conv2d, 2*N*C*H*W*K*R*S for conv_transpose2d.
//
// Where things are:
//   conv.h           this interface; the shape rules (make_*_params, defined in op.cpp)
//   frame.h          the one frame both ops are written in on CUDA, and its three passes
//   cpu.cpp          the CPU reference (im2col / col2im + gemm, im2col.h)
//   cuda.cu          the CUDA entry points over the frame passes
//   implicit_gemm.*  the production CUDA kernel (tiled implicit GEMM)
//   ladder/          numbered teaching kernels from the naive one up to implicit_gemm
//   naive.h          the per-element sums of the naive kernel, host-testable
//   op.cpp           the differentiable ops conv2d / conv_transpose2d (autograd)
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
