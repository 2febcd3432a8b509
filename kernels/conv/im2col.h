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
#include <memory>

#include "core/allocator.h"
#include "kernels/cpu_detail.h"

namespace gan::cpu::detail {

// Along one axis of the output grid (Q positions, kernel offset s), the source
// positions q*stride - pad + s are a strided walk over the input's W, and the
// valid ones form one contiguous range [q_begin, q_end). The same holds for the
// rows (P, r, H).
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
//
// For fixed (c, r, s) the valid source positions form a rectangle of the P x Q
// grid, [p0, p1) x [q0, q1) (valid_range on each axis): the row is zeroed once
// if any of it lies in the padding, then the rectangle is copied (the rows of
// the grid are short, 7 or 14 in the DCGAN, so per-segment bounds logic would
// cost as much as the copy).
template <typename T>
void im2col(const T* src, int64_t C, int64_t H, int64_t W, int64_t R, int64_t S, int64_t stride, int64_t pad,
            int64_t P, int64_t Q, T* col, int64_t ld) {
  for (int64_t c = 0; c < C; ++c)
    for (int64_t r = 0; r < R; ++r) {
      int64_t p0, p1;
      valid_range(pad, r, stride, H, P, p0, p1);
      for (int64_t s = 0; s < S; ++s) {
        T* row = col + ((c * R + r) * S + s) * ld;
        int64_t q0, q1;
        valid_range(pad, s, stride, W, Q, q0, q1);
        if (p0 > 0 || p1 < P || q0 > 0 || q1 < Q) std::fill(row, row + P * Q, T(0));
        if (q0 == q1) continue;
        for (int64_t p = p0; p < p1; ++p) {
          const T* in = src + (c * H + p * stride - pad + r) * W + (q0 * stride - pad + s);
          T* out = row + p * Q + q0;
          for (int64_t q = 0; q < q1 - q0; ++q) out[q] = in[q * stride];
        }
      }
    }
}

// dst [C, H, W] = sum over columns of col folded back (dst is overwritten).
// The additions into each dst element run in (c, r, s, p, q) order.
template <typename T>
void col2im(const T* col, int64_t C, int64_t H, int64_t W, int64_t R, int64_t S, int64_t stride, int64_t pad,
            int64_t P, int64_t Q, T* dst) {
  std::fill(dst, dst + C * H * W, T(0));
  for (int64_t c = 0; c < C; ++c)
    for (int64_t r = 0; r < R; ++r) {
      int64_t p0, p1;
      valid_range(pad, r, stride, H, P, p0, p1);
      for (int64_t s = 0; s < S; ++s) {
        const T* row = col + ((c * R + r) * S + s) * P * Q;
        int64_t q0, q1;
        valid_range(pad, s, stride, W, Q, q0, q1);
        if (q0 == q1) continue;
        for (int64_t p = p0; p < p1; ++p) {
          const T* in = row + p * Q + q0;
          T* out = dst + (c * H + p * stride - pad + r) * W + (q0 * stride - pad + s);
          for (int64_t q = 0; q < q1 - q0; ++q) out[q * stride] += in[q];
        }
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
  // The body writes the whole buffer before reading it: no need to zero it.
  const int threads = omp_get_max_threads();
  if (N >= threads) {
    // Every thread's buffer is allocated here, outside the region, so running
    // out of memory throws where it can unwind; the body's own allocations
    // (the gemm's packing buffer) go through ParallelErrors.
    const auto cols = host_buffer<T>(static_cast<size_t>(threads * col_elems));
    ParallelErrors errors;
#pragma omp parallel for schedule(static)
    for (int64_t n = 0; n < N; ++n)
      errors.run([&] { body(n, cols.get() + omp_get_thread_num() * col_elems, false); });
    errors.rethrow();
  } else {
    const auto col = host_buffer<T>(static_cast<size_t>(col_elems));
    for (int64_t n = 0; n < N; ++n) body(n, col.get(), true);
  }
}

// The weight gradient of a lowered convolution:
//   dw[M, rows] = sum_n g_n[M, L] @ col_n[rows, L]^T
// with g = [N, M, L] and col_n = make_col(n, dst, ld) writing image n's
// [rows, L] column matrix into dst with row stride ld. Images are taken in
// fixed chunks (sized by a memory budget, never by the thread count): the
// chunk's columns sit side by side, cols [rows, chunk*L], and its gradients
// likewise, gs [M, chunk*L], so each chunk is one gemm with a long inner
// dimension (chunk*L), gs @ cols^T, accumulated onto the previous chunks. The
// summation order, and the result, are the same whatever the number of threads.
template <typename T, typename MakeCol>
void weight_grad(int64_t N, int64_t M, int64_t rows, int64_t L, const T* g, MakeCol&& make_col, T* dw) {
  // Elements of one chunk's column matrix: 4 MiB in float. Measured on the
  // 2-vCPU Zen 4 development VM (bench_kernels_cpu, *_bwd_weight, 2026-11-25):
  // 512 KiB chunks left the gemm an inner dimension of ~100 on the DCGAN's
  // middle layers (two images per chunk), so the time went into packing and
  // re-reading dw, and the second thread idled; 4 MiB chunks are 30-45 %
  // faster there, and 8 MiB or the whole batch no faster.
  constexpr int64_t kColBudget = int64_t{1} << 20;
  if (N == 0 || L == 0) {  // a sum of nothing: no image, or an empty output plane
    std::fill(dw, dw + M * rows, T(0));
    return;
  }
  const int64_t chunk = std::clamp<int64_t>(kColBudget / std::max<int64_t>(1, rows * L), 1, N);
  // Both are written in full for every chunk before the gemm reads them.
  const auto cols = host_buffer<T>(static_cast<size_t>(rows * chunk * L));
  const auto gs = host_buffer<T>(static_cast<size_t>(M * chunk * L));
  for (int64_t n0 = 0; n0 < N; n0 += chunk) {
    const int64_t nc = std::min(chunk, N - n0), ld = nc * L;
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < nc; ++i) {
      make_col(n0 + i, cols.get() + i * L, ld);
      const T* gi = g + (n0 + i) * M * L;
      for (int64_t m = 0; m < M; ++m) std::copy(gi + m * L, gi + (m + 1) * L, gs.get() + m * ld + i * L);
    }
    gemm<T>(false, true, M, rows, ld, T(1), gs.get(), cols.get(), n0 == 0 ? T(0) : T(1), dw, true);
  }
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
