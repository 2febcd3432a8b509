// The teaching versions of the convolution passes, one result element at a
// time, straight from the definitions in kernels/conv/frame.h. The CUDA
// kernels in kernels/conv/ladder/1_naive.cu run one thread per element through
// these functions; being plain C++ as well (GAN_HOST_DEVICE), they are checked
// against the CPU reference on any machine (tests/kernels/test_conv_naive_host.cpp).
// T is the element type (float on the GPU, double in the host test).
#pragma once

#include <cstdint>

#include "kernels/conv/frame.h"
#include "kernels/cuda_index.h"  // GAN_HOST_DEVICE

namespace gan::conv_naive {

// i = ((a*B + b)*C + c)*D + d over extents (., B, C, D).
struct Index4 {
  int64_t a = 0, b = 0, c = 0, d = 0;
};

GAN_HOST_DEVICE Index4 unflatten(int64_t i, int64_t B, int64_t C, int64_t D) {
  Index4 x;
  x.d = i % D;
  i /= D;
  x.c = i % C;
  i /= C;
  x.b = i % B;
  x.a = i / B;
  return x;
}

// The out position that tap r reaches from in position h (h = p*stride - pad + r), or -1.
GAN_HOST_DEVICE int64_t out_position(int64_t h, int64_t r, int64_t stride, int64_t pad, int64_t extent) {
  const int64_t t = h + pad - r;
  if (t < 0 || t % stride != 0 || t / stride >= extent) return -1;
  return t / stride;
}

// out[i], i = ((n*C_out + co)*H_out + p)*W_out + q:
//   bias[co] + sum_{ci,r,s} w[co,ci,r,s] * in[n, ci, p*stride - pad + r, q*stride - pad + s]
template <typename T>
GAN_HOST_DEVICE T gather_at(const ConvFrame& f, const T* w, const T* in, const T* bias, int64_t i) {
  const Index4 o = unflatten(i, f.C_out, f.H_out, f.W_out);  // (n, co, p, q)
  T acc = 0;
  for (int64_t ci = 0; ci < f.C_in; ++ci)
    for (int64_t r = 0; r < f.R; ++r) {
      const int64_t h = o.c * f.stride - f.pad + r;
      if (h < 0 || h >= f.H_in) continue;
      for (int64_t s = 0; s < f.S; ++s) {
        const int64_t x = o.d * f.stride - f.pad + s;
        if (x < 0 || x >= f.W_in) continue;
        acc += w[((o.b * f.C_in + ci) * f.R + r) * f.S + s] * in[((o.a * f.C_in + ci) * f.H_in + h) * f.W_in + x];
      }
    }
  return bias != nullptr ? acc + bias[o.b] : acc;
}

// in[i], i = ((n*C_in + ci)*H_in + h)*W_in + x: bias[ci] + the sum over every
// (co, r, s) whose out position (p, q) is a whole grid point of w[co,ci,r,s] * out[n,co,p,q].
template <typename T>
GAN_HOST_DEVICE T scatter_at(const ConvFrame& f, const T* w, const T* out, const T* bias, int64_t i) {
  const Index4 o = unflatten(i, f.C_in, f.H_in, f.W_in);  // (n, ci, h, x)
  T acc = 0;
  for (int64_t co = 0; co < f.C_out; ++co)
    for (int64_t r = 0; r < f.R; ++r) {
      const int64_t p = out_position(o.c, r, f.stride, f.pad, f.H_out);
      if (p < 0) continue;
      for (int64_t s = 0; s < f.S; ++s) {
        const int64_t q = out_position(o.d, s, f.stride, f.pad, f.W_out);
        if (q < 0) continue;
        acc += w[((co * f.C_in + o.b) * f.R + r) * f.S + s] * out[((o.a * f.C_out + co) * f.H_out + p) * f.W_out + q];
      }
    }
  return bias != nullptr ? acc + bias[o.b] : acc;
}

// dw[i], i = ((co*C_in + ci)*R + r)*S + s:
//   sum_{n,p,q} out[n,co,p,q] * in[n, ci, p*stride - pad + r, q*stride - pad + s]
// A long sum (the batch and the whole plane), accumulated in double.
template <typename T>
GAN_HOST_DEVICE T weight_grad_at(const ConvFrame& f, const T* out, const T* in, int64_t i) {
  const Index4 o = unflatten(i, f.C_in, f.R, f.S);  // (co, ci, r, s)
  double acc = 0.0;
  for (int64_t n = 0; n < f.N; ++n)
    for (int64_t p = 0; p < f.H_out; ++p) {
      const int64_t h = p * f.stride - f.pad + o.c;
      if (h < 0 || h >= f.H_in) continue;
      for (int64_t q = 0; q < f.W_out; ++q) {
        const int64_t x = q * f.stride - f.pad + o.d;
        if (x < 0 || x >= f.W_in) continue;
        acc += static_cast<double>(out[((n * f.C_out + o.a) * f.H_out + p) * f.W_out + q]) *
               static_cast<double>(in[((n * f.C_in + o.b) * f.H_in + h) * f.W_in + x]);
      }
    }
  return static_cast<T>(acc);
}

// db[c] = sum over n and x of t[n, c, x] (t is [N, C, plane]), in double.
template <typename T>
GAN_HOST_DEVICE T bias_grad_at(const T* t, int64_t N, int64_t C, int64_t plane, int64_t c) {
  double acc = 0.0;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t x = 0; x < plane; ++x) acc += static_cast<double>(t[(n * C + c) * plane + x]);
  return static_cast<T>(acc);
}

}  // namespace gan::conv_naive
