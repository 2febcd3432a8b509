// Rung 1 of the convolution ladder: one thread per result element, each
// computing its sum straight from the definition (kernels/conv/naive.h,
// host-tested), no tiling, no shared memory. Written once in the frame of
// kernels/conv/frame.h and used by both conv2d and conv_transpose2d (the sides
// swapped). The first step a reader follows up to the tiled implicit GEMM
// (implicit_gemm.cu), and a second, independent GPU implementation for the tests.
//
// Decomposition: a grid-stride loop over the result, one element per thread:
//   gather       per out[n,co,p,q]: C_in*R*S taps of in, each a read of w and of in
//   scatter      per in[n,ci,h,w]: every (co,r,s), skipping taps off the stride grid
//   weight_grad  per dw[co,ci,r,s]: all batch*H_out*W_out positions (double accumulator)
//   bias_grad    per db[c]: one thread walks N planes (double accumulator)
// Cost: the same 2*batch*C_in*C_out*R*S*H_out*W_out FLOPs as the fast kernels
// (the scatter also tests the R*S - R*S/st^2 taps that miss), but every FMA
// does two global loads (L1/L2 hits mostly), so it runs at a few percent of
// FMA peak; the weight gradient has only C_out*C_in*R*S threads, each with a
// sequential sum over the batch (too few threads for the last layers).
#include "core/cuda/cuda_check.h"
#include "kernels/conv/conv.h"
#include "kernels/conv/frame.h"
#include "kernels/conv/naive.h"

namespace gan::cuda {

namespace {

// One thread per element; the sums are in kernels/conv/naive.h.
__global__ void gather_naive_kernel(const ConvFrame f, const float* w, const float* in, const float* bias, float* out) {
  GAN_GRID_STRIDE_LOOP(int64_t, i, f.N * f.C_out * f.H_out * f.W_out) out[i] = conv_naive::gather_at(f, w, in, bias, i);
}

__global__ void scatter_naive_kernel(const ConvFrame f, const float* w, const float* out, const float* bias,
                                     float* in) {
  GAN_GRID_STRIDE_LOOP(int64_t, i, f.N * f.C_in * f.H_in * f.W_in) in[i] = conv_naive::scatter_at(f, w, out, bias, i);
}

__global__ void weight_grad_naive_kernel(const ConvFrame f, const float* out, const float* in, float* dw) {
  GAN_GRID_STRIDE_LOOP(int64_t, i, f.C_out * f.C_in * f.R * f.S) dw[i] = conv_naive::weight_grad_at(f, out, in, i);
}

__global__ void bias_grad_naive_kernel(const float* t, int64_t N, int64_t C, int64_t plane, float* db) {
  GAN_GRID_STRIDE_LOOP(int64_t, c, C) db[c] = conv_naive::bias_grad_at(t, N, C, plane, c);
}

}  // namespace

namespace conv {

void gather_naive(const ConvFrame& f, const float* w, const float* in, const float* bias, float* out) {
  const int64_t n = f.N * f.C_out * f.H_out * f.W_out;
  if (n == 0) return;
  gather_naive_kernel<<<grid_for(n), kThreadsPerBlock, 0, current_stream()>>>(f, w, in, bias, out);
  GAN_CUDA_CHECK_LAST();
}

void scatter_naive(const ConvFrame& f, const float* w, const float* out, const float* bias, float* in) {
  const int64_t n = f.N * f.C_in * f.H_in * f.W_in;
  if (n == 0) return;
  scatter_naive_kernel<<<grid_for(n), kThreadsPerBlock, 0, current_stream()>>>(f, w, out, bias, in);
  GAN_CUDA_CHECK_LAST();
}

void weight_grad_naive(const ConvFrame& f, const float* out, const float* in, float* dw) {
  const int64_t n = f.C_out * f.C_in * f.R * f.S;
  if (n == 0) return;
  weight_grad_naive_kernel<<<grid_for(n), kThreadsPerBlock, 0, current_stream()>>>(f, out, in, dw);
  GAN_CUDA_CHECK_LAST();
}

void bias_grad_naive(const float* t, int64_t N, int64_t C, int64_t plane, float* db) {
  if (C == 0) return;
  bias_grad_naive_kernel<<<grid_for(C), kThreadsPerBlock, 0, current_stream()>>>(t, N, C, plane, db);
  GAN_CUDA_CHECK_LAST();
}

}  // namespace conv

// ---- conv2d: x is the in side, y the out side ----

void conv2d_forward_naive(const float* x, const float* w, const float* b, float* y, const Conv2dParams& p) {
  conv::gather_naive(conv_frame(p), w, x, b, y);
}

void conv2d_backward_data_naive(const float* dy, const float* w, float* dx, const Conv2dParams& p) {
  conv::scatter_naive(conv_frame(p), w, dy, nullptr, dx);
}

void conv2d_backward_weight_naive(const float* x, const float* dy, float* dw, float* db, const Conv2dParams& p) {
  conv::weight_grad_naive(conv_frame(p), dy, x, dw);
  if (db != nullptr) conv::bias_grad_naive(dy, p.N, p.K, p.P * p.Q, db);
}

// ---- conv_transpose2d: y is the in side, x the out side ----

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
