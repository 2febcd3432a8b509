// The lowering shared by the CPU convolution kernels (conv2d and
// conv_transpose2d): im2col unfolds the receptive fields of one image into the
// columns of a matrix, so that a convolution becomes one gemm; col2im is its
// adjoint (it folds columns back, adding where receptive fields overlap).
//
// For an image src [C, H, W], an R x S kernel, stride, pad, and an output grid
// P x Q, the column matrix col [C*R*S, P*Q] holds
//   col[(c*R + r)*S + s, p*Q + q] = src[c, p*stride - pad + r, q*stride - pad + s]
// (0 where that position falls into the padding).
//
// im2col/col2im are single-threaded: the drivers below parallelise over images.
// Cost: writes (or reads) C*R*S*P*Q elements; no FLOPs beyond col2im's additions.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/cpu_detail.h"

namespace gan::cpu::detail {

// The row of the column matrix runs over q for fixed (c, r, s, p): the source
// positions q*stride - pad + s are a strided walk along one input row, and the
// valid ones form one contiguous range [q_begin, q_end).
inline void valid_range(int64_t pad, int64_t s, int64_t stride, int64_t W, int64_t Q, int64_t& q_begin,
                        int64_t& q_end) {
  // smallest q with q*stride - pad + s >= 0, and first q with q*stride - pad + s >= W
  const int64_t lo = pad - s;
  q_begin = lo <= 0 ? 0 : (lo + stride - 1) / stride;
  const int64_t hi = W + pad - s;  // need q*stride < hi
  q_end = hi <= 0 ? 0 : (hi + stride - 1) / stride;
  if (q_end > Q) q_end = Q;
  if (q_begin > q_end) q_begin = q_end;
}

// `ld` is the distance between rows of col (P*Q for one image; larger when the
// columns of several images sit side by side in one matrix).
template <typename T>
void im2col(const T* src, int64_t C, int64_t H, int64_t W, int64_t R, int64_t S, int64_t stride, int64_t pad,
            int64_t P, int64_t Q, T* col, int64_t ld) {
  for (int64_t c = 0; c < C; ++c)
    for (int64_t r = 0; r < R; ++r)
      for (int64_t s = 0; s < S; ++s) {
        T* row = col + ((c * R + r) * S + s) * ld;
        int64_t q0, q1;
        valid_range(pad, s, stride, W, Q, q0, q1);
        for (int64_t p = 0; p < P; ++p) {
          T* out = row + p * Q;
          const int64_t h = p * stride - pad + r;
          if (h < 0 || h >= H) {
            for (int64_t q = 0; q < Q; ++q) out[q] = T(0);
            continue;
          }
          const T* in = src + (c * H + h) * W;
          const int64_t w0 = s - pad;  // source column of q = 0 (may be negative)
          for (int64_t q = 0; q < q0; ++q) out[q] = T(0);
          for (int64_t q = q0; q < q1; ++q) out[q] = in[q * stride + w0];
          for (int64_t q = q1; q < Q; ++q) out[q] = T(0);
        }
      }
}

// dst [C, H, W] = sum over columns of col folded back (dst is overwritten).
template <typename T>
void col2im(const T* col, int64_t C, int64_t H, int64_t W, int64_t R, int64_t S, int64_t stride, int64_t pad,
            int64_t P, int64_t Q, T* dst) {
  for (int64_t i = 0; i < C * H * W; ++i) dst[i] = T(0);
  for (int64_t c = 0; c < C; ++c)
    for (int64_t r = 0; r < R; ++r)
      for (int64_t s = 0; s < S; ++s) {
        const T* row = col + ((c * R + r) * S + s) * P * Q;
        int64_t q0, q1;
        valid_range(pad, s, stride, W, Q, q0, q1);
        for (int64_t p = 0; p < P; ++p) {
          const int64_t h = p * stride - pad + r;
          if (h < 0 || h >= H) continue;
          const T* in = row + p * Q;
          T* out = dst + (c * H + h) * W;
          const int64_t w0 = s - pad;
          for (int64_t q = q0; q < q1; ++q) out[q * stride + w0] += in[q];
        }
      }
}

// ---- drivers shared by conv2d and conv_transpose2d ----------------------------

// Calls body(n, col, parallel_gemm) for every image n with a scratch buffer of
// col_elems elements. With at least as many images as threads, images run in
// parallel (one buffer per thread, serial gemm inside); otherwise one image at a
// time with a parallel gemm. Both give identical results (gemm's sums do not
// depend on threading), so sampling one image costs no determinism.
template <typename T, typename Body>
void for_each_image(int64_t N, int64_t col_elems, Body&& body) {
  if (N >= omp_get_max_threads()) {
#pragma omp parallel
    {
      std::vector<T> col(static_cast<size_t>(col_elems));
#pragma omp for schedule(static)
      for (int64_t n = 0; n < N; ++n) body(n, col.data(), false);
    }
  } else {
    std::vector<T> col(static_cast<size_t>(col_elems));
    for (int64_t n = 0; n < N; ++n) body(n, col.data(), true);
  }
}

// The weight gradient of a lowered convolution:
//   dw[M, rows] = sum_n g_n[M, L] @ col_n[rows, L]^T
// with g = [N, M, L] and col_n = make_col(n, dst, ld) writing image n's
// [rows, L] column matrix into dst with row stride ld. Images are taken in
// fixed chunks (sized by a memory budget, never by the thread count): each
// chunk is one gemm with a long inner dimension (chunk*L) accumulated onto the
// previous chunks, so the summation order, and the result, are the same
// whatever the number of threads.
template <typename T, typename MakeCol>
void weight_grad(int64_t N, int64_t M, int64_t rows, int64_t L, const T* g, MakeCol&& make_col, T* dw) {
  constexpr int64_t kColBudget = int64_t{1} << 22;  // elements of one chunk's column matrix (16 MiB in float)
  const int64_t chunk = std::clamp<int64_t>(kColBudget / std::max<int64_t>(1, rows * L), 1, N);
  std::vector<T> cols(static_cast<size_t>(rows * chunk * L));
  std::vector<T> gt(static_cast<size_t>(chunk * L * M));
  std::vector<T> acc(static_cast<size_t>(rows * M));  // dw transposed: [rows, M]
  for (int64_t n0 = 0; n0 < N; n0 += chunk) {
    const int64_t nc = std::min(chunk, N - n0), ld = nc * L;
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < nc; ++i) {
      make_col(n0 + i, cols.data() + i * L, ld);
      // gt[i*L + l, m] = g[n0 + i, m, l]
      const T* gi = g + (n0 + i) * M * L;
      for (int64_t l = 0; l < L; ++l)
        for (int64_t m = 0; m < M; ++m) gt[static_cast<size_t>((i * L + l) * M + m)] = gi[m * L + l];
    }
    gemm<T>(false, false, rows, M, ld, T(1), cols.data(), gt.data(), n0 == 0 ? T(0) : T(1), acc.data(), true);
  }
  for (int64_t m = 0; m < M; ++m)
    for (int64_t r = 0; r < rows; ++r) dw[m * rows + r] = acc[static_cast<size_t>(r * M + m)];
}

// db[m] = sum over n and l of g[n, m, l]: the gradient of a per-channel bias.
template <typename T>
void bias_grad(int64_t N, int64_t M, int64_t L, const T* g, T* db) {
#pragma omp parallel for schedule(static) if (N * M * L > kParallelThreshold)
  for (int64_t m = 0; m < M; ++m) {
    double s = 0.0;
    for (int64_t n = 0; n < N; ++n) {
      const T* row = g + (n * M + m) * L;
      for (int64_t l = 0; l < L; ++l) s += row[l];
    }
    db[m] = static_cast<T>(s);
  }
}

// y[n, m, l] += b[m]
template <typename T>
void add_bias(T* y, const T* b, int64_t M, int64_t L) {
  for (int64_t m = 0; m < M; ++m)
    for (int64_t l = 0; l < L; ++l) y[m * L + l] += b[m];
}

}  // namespace gan::cpu::detail
