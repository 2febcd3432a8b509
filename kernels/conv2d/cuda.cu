// Fast CUDA conv2d: the three passes as tiled implicit GEMMs (float32 FMA),
// written once for both convolutions in kernels/conv2d/implicit_gemm.cu (the
// kernel, its decomposition and tile sizes) and implicit_gemm.h (the index
// maps). In the frame of conv_frame.h, x is the in side and y the out side:
//
//   forward          gather:      y  [K, N*P*Q]   = w [K, C*R*S] @ x gathered  [C*R*S, N*P*Q]   (+ b)
//   backward-data    scatter:     dx [C, N*H*W]   = w^T per stride phase @ dy gathered; the st^2
//                                 phases skip the taps that miss the stride grid
//   backward-weight  weight_grad: dw [K, C*R*S]   = dy [K, N*P*Q] @ x gathered^T, split-K over
//                                 N*P*Q with a fixed-order reduction; db = sum_to(dy) (deterministic)
//
// Blocks of 128x128 (8x8 per thread), 64x64 (4x4) or 16x128 (4x4) outputs,
// K in slices of 8, double-buffered through shared memory; see implicit_gemm.cu.
// Cost: 2*N*K*C*R*S*P*Q FLOPs per pass; bytes at least 4*(|x| + |y| + |w|)
// (plus 8 per partial element when K is split).
#include "kernels/conv2d/conv2d.h"
#include "kernels/conv2d/conv_frame.h"

namespace gan::cuda {

void conv2d_forward(const float* x, const float* w, const float* b, float* y, const Conv2dParams& p) {
  conv::gather(conv_frame(p), w, x, b, y);
}

void conv2d_backward_data(const float* dy, const float* w, float* dx, const Conv2dParams& p) {
  conv::scatter(conv_frame(p), w, dy, nullptr, dx);
}

void conv2d_backward_weight(const float* x, const float* dy, float* dw, float* db, const Conv2dParams& p) {
  conv::weight_grad(conv_frame(p), dy, x, dw);
  if (db != nullptr) conv::bias_grad(dy, p.N, p.K, p.P * p.Q, db);
}

}  // namespace gan::cuda
