// The CUDA convolutions: each pass of conv2d and conv_transpose2d is one of
// the three frame passes of frame.h (gather, scatter, weight_grad), run as a
// tiled implicit GEMM (float32 FMA; implicit_gemm.cu has the kernel, its
// decomposition and tile sizes, implicit_gemm.h the index maps).
//
// conv2d: x is the frame's in side, y its out side.
//   forward          gather:      y  [K, N*P*Q]   = w [K, C*R*S] @ x gathered  [C*R*S, N*P*Q]   (+ b)
//   backward-data    scatter:     dx [C, N*H*W]   = w^T per stride phase @ dy gathered; the st^2
//                                 phases skip the taps that miss the stride grid
//   backward-weight  weight_grad: dw [K, C*R*S]   = dy [K, N*P*Q] @ x gathered^T, split-K over
//                                 N*P*Q with a fixed-order reduction; db = sum_to(dy) (deterministic)
//
// conv_transpose2d: the roles swapped: y is the in side and x the out side,
// and the weight [C, K, R, S] is already the frame's [C_out, C_in, R, S].
//   forward          scatter:     y  [K, N*P*Q] = w^T per stride phase @ x gathered (+ b); with a
//                                 1x1 input and pad 0 (the generator's first layer) one dense
//                                 product y [N, K*R*S] = x [N, C] @ w [C, K*R*S] instead
//   backward-data    gather:      dx [C, N*H*W] = w [C, K*R*S] @ dy gathered [K*R*S, N*H*W]
//   backward-weight  weight_grad: dw [C, K*R*S] = x [C, N*H*W] @ dy gathered^T; db = sum_to(dy)
//
// Blocks of 128x128 (8x8 per thread), 64x64 (4x4) or 16x128 (4x4) outputs,
// K in slices of 8, double-buffered through shared memory; see implicit_gemm.cu.
// Cost: 2*N*K*C*R*S*P*Q FLOPs per pass (conv2d; 2*N*C*H*W*K*R*S for
// conv_transpose2d); bytes at least 4*(|x| + |y| + |w|) (plus 8 per partial
// element when K is split).
#include "kernels/conv/conv.h"
#include "kernels/conv/frame.h"

namespace gan::cuda {

// ---- conv2d ----

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

// ---- conv_transpose2d ----

void conv_transpose2d_forward(const float* x, const float* w, const float* b, float* y,
                              const ConvTranspose2dParams& p) {
  conv::scatter(conv_frame(p), w, x, b, y);
}

void conv_transpose2d_backward_data(const float* dy, const float* w, float* dx, const ConvTranspose2dParams& p) {
  conv::gather(conv_frame(p), w, dy, nullptr, dx);
}

void conv_transpose2d_backward_weight(const float* x, const float* dy, float* dw, float* db,
                                      const ConvTranspose2dParams& p) {
  conv::weight_grad(conv_frame(p), x, dy, dw);
  if (db != nullptr) conv::bias_grad(dy, p.N, p.K, p.P * p.Q, db);
}

}  // namespace gan::cuda
