// Fast CUDA conv_transpose2d: conv2d's passes with the roles swapped, run by
// the implicit GEMM of kernels/conv2d/implicit_gemm.cu (kernel, decomposition,
// tile sizes) and implicit_gemm.h (index maps). In the frame of conv_frame.h,
// y is the in side and x the out side, and the weight [C, K, R, S] is already
// in the frame's [C_out, C_in, R, S] layout:
//
//   forward          scatter:     y  [K, N*P*Q] = w^T per stride phase @ x gathered (+ b); with a
//                                 1x1 input and pad 0 (the generator's first layer) one dense
//                                 product y [N, K*R*S] = x [N, C] @ w [C, K*R*S] instead
//   backward-data    gather:      dx [C, N*H*W] = w [C, K*R*S] @ dy gathered [K*R*S, N*H*W]
//   backward-weight  weight_grad: dw [C, K*R*S] = x [C, N*H*W] @ dy gathered^T, split-K over
//                                 N*H*W with a fixed-order reduction; db = sum_to(dy)
//
// Cost: 2*N*C*H*W*K*R*S FLOPs per pass; bytes at least 4*(|x| + |y| + |w|).
#include "kernels/conv2d/conv_frame.h"
#include "kernels/conv_transpose2d/conv_transpose2d.h"

namespace gan::cuda {

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
