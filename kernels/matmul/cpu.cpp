// CPU gemm: C[M,N] = alpha * op(A) @ op(B) + beta * C, all row-major.
//
// Method: C is first scaled by beta (set to zero when beta == 0, so whatever C
// held, NaN included, is never read; alpha == 0 or K == 0 stop there). A is read
// in place (row- or column-wise); a transposed B is copied once into a row-major
// [K,N] temporary so the innermost loop always walks a contiguous row. The core
// is a cache-blocked i-k-j loop nest: C is cut into fixed kMC x kNC tiles,
// K into kKC slices (a kKC x kNC block of B stays in L2 while kMC rows of C use
// it); inside a tile, 4 rows of C are updated together for each k so every B
// element loaded feeds 4 multiply-adds, and the innermost j loop is contiguous
// and vectorises.
//
// Threads: the tiles of C are independent; OpenMP hands them out (collapse(2)).
// Each element of C is owned by one thread and accumulates k = 0..K-1 in order,
// so the result never depends on the number of threads.
//
// Cost: 2*M*N*K FLOPs; A, B, C each read about once per cache block, plus
// K*N element copies when B is transposed.
#include <algorithm>
#include <vector>

#include "kernels/cpu_detail.h"
#include "kernels/matmul/matmul.h"

namespace gan::cpu {

namespace {

constexpr int64_t kMC = 32;   // rows of C per tile
constexpr int64_t kNC = 256;  // columns of C per tile
constexpr int64_t kKC = 256;  // depth of one k slice
// Below this many multiply-adds the whole product runs on one thread.
constexpr int64_t kParallelMacs = int64_t{1} << 18;

// dst[cols, rows] = src[rows, cols]^T, in 32x32 blocks so both sides stay in cache.
template <typename T>
void transpose(const T* src, int64_t rows, int64_t cols, T* dst, bool parallel) {
  constexpr int64_t B = 32;
  const int64_t row_blocks = (rows + B - 1) / B;
#pragma omp parallel for schedule(static) if (parallel && rows * cols > detail::kParallelThreshold)
  for (int64_t rb = 0; rb < row_blocks; ++rb) {
    const int64_t r0 = rb * B, r1 = std::min(rows, r0 + B);
    for (int64_t c0 = 0; c0 < cols; c0 += B) {
      const int64_t c1 = std::min(cols, c0 + B);
      for (int64_t c = c0; c < c1; ++c)
        for (int64_t r = r0; r < r1; ++r) dst[c * rows + r] = src[r * cols + c];
    }
  }
}

// c0..c3[j] += a0..a3 * b[j] for j < n: four rows of C share each load of b.
template <typename T>
inline void row4_update(int64_t n, T a0, T a1, T a2, T a3, const T* __restrict b, T* __restrict c0,
                        T* __restrict c1, T* __restrict c2, T* __restrict c3) {
  for (int64_t j = 0; j < n; ++j) {
    const T bj = b[j];
    c0[j] += a0 * bj;
    c1[j] += a1 * bj;
    c2[j] += a2 * bj;
    c3[j] += a3 * bj;
  }
}

template <typename T>
inline void row1_update(int64_t n, T a0, const T* __restrict b, T* __restrict c0) {
  for (int64_t j = 0; j < n; ++j) c0[j] += a0 * b[j];
}

// C[i0:i1, j0:j1] += alpha * op(A)[i0:i1, :] @ B[:, j0:j1], where op(A)[i,k] = A[i*ai + k*ak]
// (ai = K, ak = 1 for A; ai = 1, ak = M for A stored transposed) and B is [K,N] row-major.
template <typename T>
void tile(int64_t i0, int64_t i1, int64_t j0, int64_t j1, int64_t N, int64_t K, T alpha, const T* A, int64_t ai,
          int64_t ak, const T* B, T* C) {
  const int64_t nc = j1 - j0;
  for (int64_t k0 = 0; k0 < K; k0 += kKC) {
    const int64_t k1 = std::min(K, k0 + kKC);
    int64_t i = i0;
    for (; i + 4 <= i1; i += 4) {
      const T* a = A + i * ai;
      T* c = C + i * N + j0;
      for (int64_t k = k0; k < k1; ++k) {
        const T* ak_ptr = a + k * ak;
        row4_update(nc, alpha * ak_ptr[0], alpha * ak_ptr[ai], alpha * ak_ptr[2 * ai], alpha * ak_ptr[3 * ai],
                    B + k * N + j0, c, c + N, c + 2 * N, c + 3 * N);
      }
    }
    for (; i < i1; ++i) {
      const T* a = A + i * ai;
      T* c = C + i * N + j0;
      for (int64_t k = k0; k < k1; ++k) row1_update(nc, alpha * a[k * ak], B + k * N + j0, c);
    }
  }
}

}  // namespace

namespace detail {

template <typename T>
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A, const T* B, T beta,
          T* C, bool parallel) {
  if (M <= 0 || N <= 0) return;
  const bool big = parallel && M * N * K > kParallelMacs;

  // C = beta * C, never reading C when beta == 0.
#pragma omp parallel for schedule(static) if (parallel && M * N > kParallelThreshold)
  for (int64_t i = 0; i < M; ++i) {
    T* c = C + i * N;
    if (beta == T(0)) {
      std::fill(c, c + N, T(0));
    } else if (beta != T(1)) {
      for (int64_t j = 0; j < N; ++j) c[j] *= beta;
    }
  }
  if (K <= 0 || alpha == T(0)) return;

  // op(A) is read in place through strides; B^T (stored [N,K]) is copied once to row-major [K,N]
  // so that the innermost loop runs along contiguous rows of B.
  const int64_t ai = trans_a ? 1 : K, ak = trans_a ? M : 1;
  std::vector<T> b_rm;
  if (trans_b) {
    b_rm.resize(static_cast<size_t>(K * N));
    transpose(B, N, K, b_rm.data(), big);
    B = b_rm.data();
  }

  const int64_t mt = (M + kMC - 1) / kMC, nt = (N + kNC - 1) / kNC;
#pragma omp parallel for collapse(2) schedule(static) if (big && mt * nt > 1)
  for (int64_t ib = 0; ib < mt; ++ib)
    for (int64_t jb = 0; jb < nt; ++jb)
      tile(ib * kMC, std::min(M, (ib + 1) * kMC), jb * kNC, std::min(N, (jb + 1) * kNC), N, K, alpha, A, ai, ak, B,
           C);
}

template void gemm<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, const float*, float, float*,
                          bool);
template void gemm<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*, const double*, double,
                           double*, bool);

}  // namespace detail

template <typename T>
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A, const T* B, T beta,
          T* C) {
  detail::gemm(trans_a, trans_b, M, N, K, alpha, A, B, beta, C, /*parallel=*/true);
}

template void gemm<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, const float*, float, float*);
template void gemm<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*, const double*, double,
                           double*);

}  // namespace gan::cpu
