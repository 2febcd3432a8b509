// ReflectionPad2d: pads each plane of an NCHW tensor by mirroring it about its
// edge rows/columns (the edge itself is not repeated), as CycleGAN does before
// its 7x7 and 3x3 convolutions to avoid the border artefacts of zero padding.
// With pad < H and pad < W, output [N, C, H + 2*pad, W + 2*pad]:
//   y[p][q] = x[reflect(p - pad, H)][reflect(q - pad, W)],
//   reflect(i, n) = -i for i < 0, 2(n-1) - i for i >= n, i otherwise.
// e.g. a row a b c d padded by 2 is  c b | a b c d | c b.
// Backward: dx[h][w] = sum of dy[p][q] over every (p, q) that reads x[h][w].
// Each input row h is read by at most three output rows (itself shifted by pad,
// its top mirror pad - h when 1 <= h <= pad, its bottom mirror
// pad + 2(H-1) - h when H-1-pad <= h <= H-2), and likewise for columns, so the
// backward is a gather of at most 3 x 3 terms per input element, added in
// increasing (p, q) order: deterministic, no atomics, identical on CPU and CUDA.
// Cost: forward reads up to n_in and writes n_out elements; backward reads n_out
// and writes n_in; no arithmetic beyond index math and the backward's adds.
#pragma once

#include <cstdint>

#include "core/host_device.h"

namespace gan {

struct ReflectionPad2dParams {
  int64_t planes = 0;  // N * C
  int64_t H = 0, W = 0, pad = 0;
  int64_t out_h() const { return H + 2 * pad; }
  int64_t out_w() const { return W + 2 * pad; }
};

namespace reflection_pad {

// The padded coordinate's source: reflect(o - pad, n) for o in [0, n + 2*pad).
GAN_HOST_DEVICE int64_t source(int64_t o, int64_t n, int64_t pad) {
  const int64_t i = o - pad;
  return i < 0 ? -i : (i >= n ? 2 * (n - 1) - i : i);
}

// The padded coordinates that read input coordinate i (of n), in increasing
// order, written to out[0..count); returns count (1 to 3).
GAN_HOST_DEVICE int readers(int64_t i, int64_t n, int64_t pad, int64_t out[3]) {
  int count = 0;
  if (i >= 1 && i <= pad) out[count++] = pad - i;  // top/left mirror
  out[count++] = i + pad;                          // the value itself
  if (i <= n - 2 && i >= n - 1 - pad) out[count++] = pad + 2 * (n - 1) - i;  // bottom/right mirror
  return count;
}

}  // namespace reflection_pad

namespace cpu {
template <typename T>
void reflection_pad2d_forward(const T* x, T* y, const ReflectionPad2dParams& p);
template <typename T>
void reflection_pad2d_backward(const T* dy, T* dx, const ReflectionPad2dParams& p);
}  // namespace cpu

namespace cuda {
void reflection_pad2d_forward(const float* x, float* y, const ReflectionPad2dParams& p);
void reflection_pad2d_backward(const float* dy, float* dx, const ReflectionPad2dParams& p);
}  // namespace cuda

}  // namespace gan
