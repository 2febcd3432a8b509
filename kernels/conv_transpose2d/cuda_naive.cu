// Teaching versions of the CUDA conv_transpose2d: one thread per result
// element. The kernels are conv2d's (kernels/conv2d/cuda_naive.cu, written in
// the frame of kernels/conv2d/conv_frame.h) with the sides swapped: y is the in
// side, x the out side, and the weight [C, K, R, S] is the frame's layout.
//   forward          per y[n,k,p,q]: sum over (c,r,s) with p = h*stride - pad + r (x[n,c,h,w])
//   backward-data    per dx[n,c,h,w]: sum over (k,r,s) of dy[n,k,h*stride-pad+r,..] * w[c,k,r,s]
//   backward-weight  per dw[c,k,r,s]: sum over (n,h,w); db per channel over N*P*Q
// Cost: 2*N*C*H*W*K*R*S FLOPs per pass, two global loads per FMA.
#include "kernels/conv2d/conv_frame.h"
#include "kernels/conv_transpose2d/conv_transpose2d.h"

namespace gan::cuda {

void conv_transpose2d_forward_naive(const float* x, const float* w, const float* b, float* y,
                                    const ConvTranspose2dParams& p) {
  conv::scatter_naive(conv_frame(p), w, x, b, y);
}

void conv_transpose2d_backward_data_naive(const float* dy, const float* w, float* dx, const ConvTranspose2dParams& p) {
  conv::gather_naive(conv_frame(p), w, dy, nullptr, dx);
}

void conv_transpose2d_backward_weight_naive(const float* x, const float* dy, float* dw, float* db,
                                            const ConvTranspose2dParams& p) {
  conv::weight_grad_naive(conv_frame(p), x, dy, dw);
  if (db != nullptr) conv::bias_grad_naive(dy, p.N, p.K, p.P * p.Q, db);
}

}  // namespace gan::cuda
