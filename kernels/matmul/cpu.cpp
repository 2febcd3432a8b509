// CPU gemm: C[M,N] = alpha * op(A) @ op(B) + beta * C, all row-major.
//
// Method: a packed, register-blocked gemm in the style of GotoBLAS/BLIS, in
// plain C++ that GCC vectorises (no intrinsics, no assembly):
//  - micro-kernel: an MR x NR block of C is accumulated in a local array
//    `acc[MR][NR]` with compile-time bounds, over kc steps of
//    acc[i][:] += a[i] * b[:] (a broadcast of A times a row of B). GCC unrolls
//    it completely and keeps acc in vector registers: per step it loads NR/lanes
//    vectors of B, broadcasts MR values of A and issues MR*NR/lanes FMAs;
//  - packing: for each depth slice of KC, a KC x NR sliver of op(B) is copied
//    into a contiguous buffer, row k holding NR consecutive columns, and an
//    MR x KC sliver of op(A) with column k holding MR consecutive rows, so the
//    micro-kernel reads both with unit stride. Packing is where the transposes
//    are handled (a transposed operand is copied with a small in-register
//    transpose that GCC generates for the fixed-width loop);
//  - edges: the last MR sliver of rows runs a micro-kernel instantiated for
//    exactly that many rows (no wasted FLOPs); op(B)'s last sliver is
//    zero-padded to NR columns, computed by a half-width micro-kernel when it
//    has at most NR/2 columns, and only the valid columns are written back.
//    A product with one column (N == 1, a matrix-vector product) is computed
//    as its transpose, a one-row product with the same memory layout, so that
//    the vector runs along NR; a 1 x 1 result is a plain dot product;
//  - write-back: the first depth slice writes alpha*acc + beta*C (beta == 0:
//    C is not read, so NaN there is ignored), later slices add alpha*acc.
//
// Blocking (float / double):
//  - MR x NR = 8 x 2 vectors with 32 vector registers (AVX-512: 8x32 / 8x16):
//    16 accumulators + 2 B vectors + 1 broadcast; 6 x 2 vectors with 16
//    registers (AVX2: 6x16 / 6x8, SSE/NEON: 6x8 / 6x4): 12 + 2 + 1. Twice the
//    vector width in NR lets each broadcast of A feed two FMAs, which keeps the
//    loads per FMA below what two load ports sustain;
//  - KC = 1 KiB / sizeof(T) (256 / 128): the MR x KC sliver of A (6-8 KiB)
//    stays in L1 while the micro-kernel sweeps it across the slivers of B;
//  - NC = 256 columns: the KC x NC packed block of B (256 KiB) stays in L2
//    while MC = 16*MR rows (128 / 96) pass over it, so packing B costs 1/MC
//    of the multiply-adds, and packing A 1/NC.
// Measured on one Zen 4 core, float: ~96 GFLOP/s at 512^3 (AVX-512 and AVX2
// builds alike; the previous loop nest ran at 35-42), 60-75 GFLOP/s on the
// DCGAN's per-image products (N = 49 or 196, K = 16..1024).
//
// Threads: C is cut into tasks of MC x NC (tiles aligned to MR and NR; more,
// smaller row tiles when there are fewer tasks than threads); below
// kParallelMacs multiply-adds everything runs on the calling thread. Each task
// packs its own slivers into per-thread buffers and runs the full k loop.
// Every element of C is computed by the same code in every case: depth slices
// in order k = 0, KC, 2*KC, ..., each summed in k order in the micro-kernel,
// so the result never depends on the number of threads or on `parallel`.
//
// Cost: 2*M*N*K FLOPs; op(A) is packed once per NC columns of C and op(B) once
// per MC rows (M*K*ceil(N/NC) + K*N*ceil(M/MC) element copies); C is read and
// written once per KC of depth.
#include <omp.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <new>
#include <utility>

#include "kernels/cpu_detail.h"
#include "kernels/matmul/matmul.h"

namespace gan::cpu {

namespace {

// The vector unit the compiler targets (-march): this only sizes the blocks;
// the code is the same everywhere.
#if defined(__AVX512F__)
constexpr int kVectorBytes = 64, kVectorRegisters = 32;
#elif defined(__AVX__)
constexpr int kVectorBytes = 32, kVectorRegisters = 16;
#else
constexpr int kVectorBytes = 16, kVectorRegisters = 16;
#endif

template <typename T>
struct Blocking {
  static constexpr int kLanes = kVectorBytes / static_cast<int>(sizeof(T));
  static constexpr int NR = 2 * kLanes;
  static constexpr int MR = kVectorRegisters >= 32 ? 8 : 6;
  static constexpr int64_t KC = 1024 / sizeof(T);
  static constexpr int64_t NC = 256;
  static constexpr int64_t MC = 16 * MR;
  static_assert(NC % NR == 0, "a task's columns must be whole slivers");
};

// Below this many multiply-adds the whole product runs on one thread.
constexpr int64_t kParallelMacs = int64_t{1} << 18;

// ---- packing ------------------------------------------------------------------

// Packs `lines` (<= W) lines of a panel, each kc long, interleaved:
// dst[k*W + l] = src[l*line_stride + k*step], zero for lines <= l < W.
// step == 1 (the lines are contiguous: rows of A, columns of a transposed B)
// makes this a transpose; line_stride == 1 a copy of kc short runs. Both are
// loops GCC vectorises: permutes for the transpose; masked vector copies, which
// zero-pad an edge panel in the same pass, for the runs (`simd` also stops GCC
// from calling memmove for every run).
template <int W, typename T>
void pack_panel(const T* __restrict src, int64_t line_stride, int64_t step, int64_t lines, int64_t kc,
                T* __restrict dst) {
  if (lines == W && step == 1) {
    // At most eight lines per pass: with a power-of-two line_stride all lines
    // map to one L1 set, and L1 caches are 8-way.
    constexpr int G = W < 8 ? W : 8;
    static_assert(W % G == 0);
    for (int l0 = 0; l0 < W; l0 += G)
      for (int64_t k = 0; k < kc; ++k)
        for (int l = 0; l < G; ++l) dst[k * W + l0 + l] = src[(l0 + l) * line_stride + k];
  } else if (line_stride == 1) {
    for (int64_t k = 0; k < kc; ++k)
#pragma omp simd
      for (int l = 0; l < W; ++l) dst[k * W + l] = l < lines ? src[k * step + l] : T(0);
  } else {
    std::fill(dst, dst + kc * W, T(0));
    for (int64_t l = 0; l < lines; ++l)
      for (int64_t k = 0; k < kc; ++k) dst[k * W + l] = src[l * line_stride + k * step];
  }
}

// ---- micro-kernel -----------------------------------------------------------------

// c[j] = alpha*acc[j] + beta*c[j] for j < n, C not read when beta == 0.
template <typename T>
inline void write_row(T* __restrict c, const T* __restrict acc, int64_t n, T alpha, T beta) {
  if (beta == T(0)) {
    for (int64_t j = 0; j < n; ++j) c[j] = alpha * acc[j];
  } else if (beta == T(1)) {
    for (int64_t j = 0; j < n; ++j) c[j] += alpha * acc[j];
  } else {
    for (int64_t j = 0; j < n; ++j) c[j] = alpha * acc[j] + beta * c[j];
  }
}

// C[0:Rows, 0:n] = alpha * a^T b + beta * C for a packed A sliver a (kc x MR,
// first Rows used) and a packed B sliver b (kc x NR, first Cols used); n <= Cols
// columns are kept.
template <typename T, int Rows, int Cols>
void micro_kernel(int64_t kc, const T* __restrict a, const T* __restrict b, T* __restrict c, int64_t ldc, int64_t n,
                  T alpha, T beta) {
  constexpr int MR = Blocking<T>::MR, NR = Blocking<T>::NR;
  // acc starts as the k = 0 term rather than as zeros: GCC would zero the
  // array's stack copy (a memset per call) as well as the registers.
  T acc[Rows][Cols];
  for (int i = 0; i < Rows; ++i)
#pragma omp simd
    for (int j = 0; j < Cols; ++j) acc[i][j] = a[i] * b[j];
  for (int64_t k = 1; k < kc; ++k) {
    a += MR;
    b += NR;
    for (int i = 0; i < Rows; ++i)
      // Without `simd`, GCC 12 unrolls this loop first when Cols <= 16 and then
      // vectorises across i, spilling acc; with it, acc[i] is Cols/lanes vectors.
#pragma omp simd
      for (int j = 0; j < Cols; ++j) acc[i][j] += a[i] * b[j];
  }
  for (int i = 0; i < Rows; ++i) write_row(c + i * ldc, acc[i], n, alpha, beta);
}

template <typename T>
using MicroKernel = void (*)(int64_t, const T*, const T*, T*, int64_t, int64_t, T, T);

// micro_kernels<T, Cols>[r - 1] computes r rows, r = 1..MR.
template <typename T, int Cols, size_t... R>
constexpr std::array<MicroKernel<T>, sizeof...(R)> micro_kernel_table(std::index_sequence<R...>) {
  return {&micro_kernel<T, static_cast<int>(R) + 1, Cols>...};
}
template <typename T, int Cols>
constexpr auto micro_kernels = micro_kernel_table<T, Cols>(std::make_index_sequence<Blocking<T>::MR>{});

// The kernel for a rows x n block: the half-width one when n <= NR/2.
template <typename T>
MicroKernel<T> micro_kernel_for(int64_t rows, int64_t n) {
  constexpr int NR = Blocking<T>::NR;
  const size_t r = static_cast<size_t>(rows - 1);
  return n <= NR / 2 ? micro_kernels<T, NR / 2>[r] : micro_kernels<T, NR>[r];
}

// ---- driver -----------------------------------------------------------------------

// A per-thread packing buffer, 64-byte aligned (a packed row of B is whole
// cache lines), grown on demand and kept for the next call on the thread.
template <typename T>
T* thread_buffer(size_t elems) {
  struct Buffer {
    T* data = nullptr;
    size_t size = 0;
    ~Buffer() { ::operator delete(data, std::align_val_t{64}); }
  };
  thread_local Buffer buf;
  if (buf.size < elems) {
    ::operator delete(buf.data, std::align_val_t{64});
    buf.data = nullptr;  // stays valid if the allocation throws
    buf.size = 0;
    buf.data = static_cast<T*>(::operator new(elems * sizeof(T), std::align_val_t{64}));
    buf.size = elems;
  }
  return buf.data;
}

template <typename T>
struct Gemm {
  // op(A)[i, k] = A[i*a_row + k*a_depth]; op(B)[k, j] = B[k*b_depth + j*b_col].
  const T* A;
  int64_t a_row, a_depth;
  const T* B;
  int64_t b_depth, b_col;
  T* C;
  int64_t M, N, K;
  T alpha, beta;

  // C[i0:i1, j0:j1], i0 a multiple of MR and j0 of NR.
  void tile(int64_t i0, int64_t i1, int64_t j0, int64_t j1) const {
    using Blk = Blocking<T>;
    constexpr int MR = Blk::MR, NR = Blk::NR;
    const int64_t slivers = (j1 - j0 + NR - 1) / NR;
    T* bp = thread_buffer<T>(static_cast<size_t>(Blk::KC * (slivers * NR + MR)));
    T* ap = bp + Blk::KC * slivers * NR;
    for (int64_t k0 = 0; k0 < K; k0 += Blk::KC) {
      const int64_t kc = std::min(Blk::KC, K - k0);
      const T beta_k = k0 == 0 ? beta : T(1);
      for (int64_t s = 0; s < slivers; ++s) {
        const int64_t j = j0 + s * NR;
        pack_panel<NR>(B + k0 * b_depth + j * b_col, b_col, b_depth, std::min<int64_t>(NR, j1 - j), kc,
                       bp + s * kc * NR);
      }
      for (int64_t i = i0; i < i1; i += MR) {
        const int64_t rows = std::min<int64_t>(MR, i1 - i);
        pack_panel<MR>(A + i * a_row + k0 * a_depth, a_row, a_depth, rows, kc, ap);
        for (int64_t s = 0; s < slivers; ++s) {
          const int64_t j = j0 + s * NR, n = std::min<int64_t>(NR, j1 - j);
          micro_kernel_for<T>(rows, n)(kc, ap, bp + s * kc * NR, C + i * N + j, N, n, alpha, beta_k);
        }
      }
    }
  }

  void run(bool parallel) const {
    using Blk = Blocking<T>;
    const int threads = parallel && M * N * K > kParallelMacs ? omp_get_max_threads() : 1;
    const int64_t col_tiles = (N + Blk::NC - 1) / Blk::NC;
    // Rows per task: MC, or fewer (whole MR slivers) so that every thread gets a task.
    const int64_t row_tiles_wanted = (threads + col_tiles - 1) / col_tiles;
    const int64_t rows_each = (M + row_tiles_wanted - 1) / row_tiles_wanted;
    const int64_t mc = std::clamp<int64_t>((rows_each + Blk::MR - 1) / Blk::MR * Blk::MR, Blk::MR, Blk::MC);
    const int64_t row_tiles = (M + mc - 1) / mc;
    const int64_t tasks = row_tiles * col_tiles;
    detail::ParallelErrors errors;  // tile() allocates its thread's packing buffer on first use
#pragma omp parallel for schedule(dynamic, 1) if (threads > 1 && tasks > 1)
    for (int64_t t = 0; t < tasks; ++t) {
      const int64_t i0 = t / col_tiles * mc, j0 = t % col_tiles * Blk::NC;
      errors.run([&] { tile(i0, std::min(M, i0 + mc), j0, std::min(N, j0 + Blk::NC)); });
    }
    errors.rethrow();
  }
};

// C = beta * C, never reading C when beta == 0.
template <typename T>
void scale(int64_t M, int64_t N, T beta, T* C, bool parallel) {
  if (beta == T(1)) return;
#pragma omp parallel for schedule(static) if (parallel && M * N > detail::kParallelThreshold)
  for (int64_t i = 0; i < M; ++i) {
    T* c = C + i * N;
    if (beta == T(0)) {
      std::fill(c, c + N, T(0));
    } else {
      for (int64_t j = 0; j < N; ++j) c[j] *= beta;
    }
  }
}

}  // namespace

namespace detail {

template <typename T>
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A, const T* B, T beta,
          T* C, bool parallel) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == T(0)) return scale(M, N, beta, C, parallel);
  // C[M,1] and C^T[1,M] are the same memory: C^T = op(B)^T op(A)^T lets the
  // long side run along the vectorised NR.
  if (N == 1 && M > 1) return gemm(!trans_b, !trans_a, N, M, K, alpha, B, A, beta, C, parallel);
  if (M == 1 && N == 1) {  // a dot product (A and B are contiguous either way): no panels to fill
    T dot = T(0);
    for (int64_t k = 0; k < K; ++k) dot += A[k] * B[k];
    return write_row(C, &dot, 1, alpha, beta);
  }
  Gemm<T> g{A, trans_a ? 1 : K, trans_a ? M : 1, B, trans_b ? 1 : N, trans_b ? K : 1, C, M, N, K, alpha, beta};
  g.run(parallel);
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
