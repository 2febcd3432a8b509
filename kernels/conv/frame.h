// One frame for both convolutions, and the CUDA passes written once over it.
//
// conv2d and conv_transpose2d are adjoint: each pass of one is a pass of the
// other with the roles of its input and output swapped. So the CUDA kernels are
// written once, in the frame of conv2d, whose two sides are
//   the "in" side  [N, C_in,  H_in,  W_in]   (conv2d's x, conv_transpose2d's y)
//   the "out" side [N, C_out, H_out, W_out]  (conv2d's y, conv_transpose2d's x)
// tied by  in_row = out_row * stride - pad + r  (and the same for columns), with
// the weight [C_out, C_in, R, S]: conv2d's [K, C, R, S] and conv_transpose2d's
// [C, K, R, S] are the same layout in this frame. Rows of the in side that no
// kernel position reaches (the last rows a stride skips, conv_transpose2d's
// output_padding) belong to the in side all the same.
//
// The three passes over a frame:
//   gather       out[n,co,p,q] = bias[co] + sum_{ci,r,s} w[co,ci,r,s] * in[n,ci,p*st-pad+r,q*st-pad+s]
//                (conv2d forward, conv_transpose2d backward-data)
//   scatter      in[n,ci,h,w]  = bias[ci] + sum over (co,r,s,p,q) with h = p*st-pad+r, w = q*st-pad+s
//                of w[co,ci,r,s] * out[n,co,p,q]
//                (conv2d backward-data, conv_transpose2d forward)
//   weight_grad  dw[co,ci,r,s] = sum_{n,p,q} out[n,co,p,q] * in[n,ci,p*st-pad+r,q*st-pad+s]
//                (the weight gradient of both, with the gradient dy on its side)
// and bias_grad: db[c] = sum over n and the plane of t[n, c, plane].
// Each costs 2*N*C_in*C_out*R*S*H_out*W_out FLOPs.
#pragma once

#include <cstdint>

#include "kernels/conv/conv.h"
#include "kernels/conv/conv.h"

namespace gan {

struct ConvFrame {
  int64_t N = 0;
  int64_t C_in = 0, H_in = 0, W_in = 0;
  int64_t C_out = 0, H_out = 0, W_out = 0;
  int64_t R = 0, S = 0, stride = 1, pad = 0;
};

inline ConvFrame conv_frame(const Conv2dParams& p) {
  return ConvFrame{p.N, p.C, p.H, p.W, p.K, p.P, p.Q, p.R, p.S, p.stride, p.pad};
}

// output_padding needs no field: it only makes the in side (y) larger.
inline ConvFrame conv_frame(const ConvTranspose2dParams& p) {
  return ConvFrame{p.N, p.K, p.P, p.Q, p.C, p.H, p.W, p.R, p.S, p.stride, p.pad};
}

namespace cuda::conv {

// Fast: the tiled implicit GEMM (kernels/conv/implicit_gemm.cu). bias may be null.
void gather(const ConvFrame& f, const float* w, const float* in, const float* bias, float* out);
void scatter(const ConvFrame& f, const float* w, const float* out, const float* bias, float* in);
void weight_grad(const ConvFrame& f, const float* out, const float* in, float* dw);
void bias_grad(const float* t, int64_t N, int64_t C, int64_t plane, float* db);

// Teaching versions: one thread per result element (kernels/conv/ladder/1_naive.cu).
void gather_naive(const ConvFrame& f, const float* w, const float* in, const float* bias, float* out);
void scatter_naive(const ConvFrame& f, const float* w, const float* out, const float* bias, float* in);
void weight_grad_naive(const ConvFrame& f, const float* out, const float* in, float* dw);
void bias_grad_naive(const float* t, int64_t N, int64_t C, int64_t plane, float* db);

}  // namespace cuda::conv

}  // namespace gan
