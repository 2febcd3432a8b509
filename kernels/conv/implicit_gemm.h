// The index side of the implicit GEMM behind the fast CUDA convolutions
// (the kernel is kernels/conv/implicit_gemm.cu; the passes are described in
// kernels/conv/frame.h).
//
// Every pass is one product C[M, N] = A[M, K] @ B[K, N] in which B is gathered
// from an activation tensor on the fly: nothing like im2col's column matrix is
// ever written to memory. A ConvGemm describes one such product with plain
// numbers. Its K index k and its column index j are each split into three
// digits (k0, k1, k2) and (j0, j1, j2), and every address is linear in the
// digits:
//
//   A[m, k] = a[a_base + m*a_m + k0*a_k0 + k1*a_k1 + k2*a_k2]
//   B[k, j] = b[j0*b_j0 + k0*b_k0 + row*b_cols + col]   where
//             row = j1*b_row_j + b_row_0 + k1*b_row_k, col = j2*b_col_j + b_col_0 + k2*b_col_k,
//             and B = 0 unless 0 <= row < b_rows and 0 <= col < b_cols (padding)
//   C[m, j] = c[m*c_m + j0*c_j0 + (j1*c_row_j + c_row_0)*c_cols + j2*c_col_j + c_col_0]
//
// The builders below fill these in for each pass (the formulas are written out
// there). The kernel never divides in its main loop: each thread walks its k
// with a KCursor, a mixed-radix counter that carries between digits (the same
// idea as ChannelCursor in kernels/cuda_index.h).
//
// Everything here is plain C++ that nvcc also compiles for the device, so
// tests/kernels/test_conv_implicit_gemm.cpp runs the kernel's own loader,
// epilogue and split-K reduction on the CPU, block by block and thread by
// thread, and compares whole convolutions with the CPU reference.
#pragma once

#include <algorithm>
#include <climits>
#include <cstdint>
#include <optional>
#include <type_traits>

#include "core/error.h"
#include "kernels/conv/frame.h"
#include "kernels/cuda_index.h"  // GAN_HOST_DEVICE

// Unroll hint for nvcc's device pass (the host compilers would warn about it).
#if defined(__CUDA_ARCH__)
#define GAN_UNROLL _Pragma("unroll")
#else
#define GAN_UNROLL
#endif

namespace gan::conv_gemm {

inline constexpr int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// ---- the description of one product ----------------------------------------------

// I is the index type. The builders below describe products in int64_t; a
// product can be narrowed to int32_t when every index the kernel forms fits
// (fits_index32), which takes a quarter of the registers off the Medium tile
// (119 -> 91) and halves the index instructions. The launcher runs int64_t
// until a GPU run has measured the gain (bench_kernels_cuda --conv-tiles).
template <typename I>
struct ConvGemmOf {
  I M = 0, N = 0, K = 0;
  I k_mid = 1, k_inner = 1;  // k = (k0*k_mid + k1)*k_inner + k2
  I n_mid = 1, n_inner = 1;  // j = (j0*n_mid + j1)*n_inner + j2

  I a_base = 0, a_m = 0, a_k0 = 0, a_k1 = 0, a_k2 = 0;

  I b_j0 = 0, b_k0 = 0, b_rows = 1, b_cols = 1;
  I b_row_j = 0, b_row_0 = 0, b_row_k = 0;
  I b_col_j = 0, b_col_0 = 0, b_col_k = 0;

  I c_m = 0, c_j0 = 0, c_cols = 1, c_row_j = 0, c_row_0 = 0, c_col_j = 0, c_col_0 = 0;

  I bias_div = 1;  // row m gets bias[m / bias_div] (when a bias is given)
};
using ConvGemm = ConvGemmOf<int64_t>;

// A parameter of the index type that does not take part in deduction (the
// product's type decides it; a plain int64_t argument converts).
template <typename I>
using Idx = std::type_identity_t<I>;

template <typename I>
struct Digits3 {
  I d0 = 0, d1 = 0, d2 = 0;
};

// i = (d0*mid + d1)*inner + d2
template <typename I>
GAN_HOST_DEVICE Digits3<I> split3(I i, Idx<I> mid, Idx<I> inner) {
  Digits3<I> d;
  d.d2 = i % inner;
  i /= inner;
  d.d1 = i % mid;
  d.d0 = i / mid;
  return d;
}

template <typename I>
GAN_HOST_DEVICE bool in_range(I v, Idx<I> extent) {
  using U = std::make_unsigned_t<I>;
  return static_cast<U>(v) < static_cast<U>(extent);  // 0 <= v < extent in one compare
}

// The definition of the three operands (the kernel reaches the same addresses
// incrementally; the tests check both against the CPU reference).
template <typename I>
GAN_HOST_DEVICE I a_offset(const ConvGemmOf<I>& g, Idx<I> m, Idx<I> k) {
  const Digits3<I> d = split3<I>(k, g.k_mid, g.k_inner);
  return g.a_base + m * g.a_m + d.d0 * g.a_k0 + d.d1 * g.a_k1 + d.d2 * g.a_k2;
}

template <typename I>
GAN_HOST_DEVICE bool b_offset(const ConvGemmOf<I>& g, Idx<I> k, Idx<I> j, I& offset) {
  const Digits3<I> dk = split3<I>(k, g.k_mid, g.k_inner);
  const Digits3<I> dj = split3<I>(j, g.n_mid, g.n_inner);
  const I row = dj.d1 * g.b_row_j + g.b_row_0 + dk.d1 * g.b_row_k;
  const I col = dj.d2 * g.b_col_j + g.b_col_0 + dk.d2 * g.b_col_k;
  offset = dj.d0 * g.b_j0 + dk.d0 * g.b_k0 + row * g.b_cols + col;
  return in_range<I>(row, g.b_rows) && in_range<I>(col, g.b_cols);
}

// C's offset is m*c_m plus a part that depends on the column only (the
// epilogue computes that once per column).
template <typename I>
GAN_HOST_DEVICE I c_column_offset(const ConvGemmOf<I>& g, Idx<I> j) {
  const Digits3<I> d = split3<I>(j, g.n_mid, g.n_inner);
  return d.d0 * g.c_j0 + (d.d1 * g.c_row_j + g.c_row_0) * g.c_cols + d.d2 * g.c_col_j + g.c_col_0;
}

template <typename I>
GAN_HOST_DEVICE I c_offset(const ConvGemmOf<I>& g, Idx<I> m, Idx<I> j) {
  return m * g.c_m + c_column_offset(g, j);
}

// ---- the passes as products ----------------------------------------------------------

// gather: out[n,co,p,q] = sum_{ci,r,s} w[co,ci,r,s] * in[n,ci,p*st-pad+r,q*st-pad+s]
//   M = C_out, N = N*H_out*W_out (j = n,p,q), K = C_in*R*S (k = ci,r,s)
//   A = the weight, row-major [C_out, C_in*R*S]; B = in, gathered; C = out.
inline ConvGemm gather_gemm(const ConvFrame& f) {
  ConvGemm g;
  g.M = f.C_out;
  g.N = f.N * f.H_out * f.W_out;
  g.K = f.C_in * f.R * f.S;
  g.k_mid = f.R, g.k_inner = f.S;
  g.n_mid = f.H_out, g.n_inner = f.W_out;
  g.a_m = f.C_in * f.R * f.S, g.a_k0 = f.R * f.S, g.a_k1 = f.S, g.a_k2 = 1;
  g.b_j0 = f.C_in * f.H_in * f.W_in, g.b_k0 = f.H_in * f.W_in, g.b_rows = f.H_in, g.b_cols = f.W_in;
  g.b_row_j = f.stride, g.b_row_0 = -f.pad, g.b_row_k = 1;
  g.b_col_j = f.stride, g.b_col_0 = -f.pad, g.b_col_k = 1;
  g.c_m = f.H_out * f.W_out, g.c_j0 = f.C_out * f.H_out * f.W_out, g.c_cols = f.W_out;
  g.c_row_j = 1, g.c_col_j = 1;
  return g;
}

// scatter, one GEMM per stride phase. The taps that reach in-row h are the r
// with (h + pad - r) divisible by the stride, i.e. r = (h + pad) mod st, plus
// multiples of st. So the in rows split into st phases of rows with the same
// residue phi_h = (h + pad) mod st; within a phase the rows are
// h = h0 + st*i and the taps r = phi_h + st*jr (jr < R_phi), and they meet out
// row p = (h + pad - r)/st = i + off_h - jr: a stride-1 gather with no wasted
// taps (with stride 2 and a 4x4 kernel, 4 taps per pixel instead of 16 of which
// 12 would be zero). Columns likewise; phase index = phi_h*st + phi_w.
//   M = C_in, N = N*H_phi*W_phi (j = n,i,iw), K = C_out*R_phi*S_phi (k = co,jr,js)
//   A[ci, k] = w[co, ci, phi_h + st*jr, phi_w + st*js]; B = out, gathered; C = in.
// A phase with no taps (R < st) still has pixels: K = 0 writes them as 0 (+bias).
struct ScatterPhase {
  int64_t phi = 0;    // (in_row + pad) mod st
  int64_t first = 0;  // first in row of the phase, h0
  int64_t count = 0;  // rows in the phase
  int64_t taps = 0;   // kernel rows reaching it, R_phi
  int64_t off = 0;    // out row of (i = 0, jr = 0)
};

inline ScatterPhase scatter_phase(int64_t phi, int64_t in_size, int64_t kernel, int64_t stride, int64_t pad) {
  ScatterPhase ph;
  ph.phi = phi;
  ph.first = ((phi - pad) % stride + stride) % stride;
  ph.count = ph.first < in_size ? ceil_div(in_size - ph.first, stride) : 0;
  ph.taps = phi < kernel ? ceil_div(kernel - phi, stride) : 0;
  ph.off = (ph.first + pad - phi) / stride;  // exact: first + pad == phi (mod st)
  return ph;
}

// When the out side is 1x1 and the kernel covers the whole in side (pad 0), as in
// the generator's first layer (1x1 noise -> 4x4) and the backward-data of the
// discriminator's last, the scatter is a plain product
//   in[n, (ci,h,w)] = sum_co w[co, (ci,h,w)] * out[n, co]
// with M = C_in*R*S: the phase form would multiply R*S times as many zeros.
inline bool scatter_is_dense(const ConvFrame& f) {
  return f.H_out == 1 && f.W_out == 1 && f.pad == 0 && f.H_in == f.R && f.W_in == f.S;
}

inline int64_t scatter_gemm_count(const ConvFrame& f) { return scatter_is_dense(f) ? 1 : f.stride * f.stride; }

inline ConvGemm scatter_gemm(const ConvFrame& f, int64_t index) {
  ConvGemm g;
  if (scatter_is_dense(f)) {
    g.M = f.C_in * f.R * f.S;
    g.N = f.N;
    g.K = f.C_out;
    g.a_m = 1, g.a_k0 = f.C_in * f.R * f.S;
    g.b_j0 = f.C_out, g.b_k0 = 1;  // b_rows = b_cols = 1: every tap valid
    g.c_m = 1, g.c_j0 = f.C_in * f.R * f.S;
    g.bias_div = f.R * f.S;
    return g;
  }
  const int64_t st = f.stride;
  const ScatterPhase ph = scatter_phase(index / st, f.H_in, f.R, st, f.pad);
  const ScatterPhase pw = scatter_phase(index % st, f.W_in, f.S, st, f.pad);
  g.M = f.C_in;
  g.N = f.N * ph.count * pw.count;
  g.K = f.C_out * ph.taps * pw.taps;
  g.k_mid = std::max<int64_t>(ph.taps, 1), g.k_inner = std::max<int64_t>(pw.taps, 1);  // no 0 radix
  g.n_mid = std::max<int64_t>(ph.count, 1), g.n_inner = std::max<int64_t>(pw.count, 1);
  g.a_base = ph.phi * f.S + pw.phi;
  g.a_m = f.R * f.S, g.a_k0 = f.C_in * f.R * f.S, g.a_k1 = st * f.S, g.a_k2 = st;
  g.b_j0 = f.C_out * f.H_out * f.W_out, g.b_k0 = f.H_out * f.W_out, g.b_rows = f.H_out, g.b_cols = f.W_out;
  g.b_row_j = 1, g.b_row_0 = ph.off, g.b_row_k = -1;
  g.b_col_j = 1, g.b_col_0 = pw.off, g.b_col_k = -1;
  g.c_m = f.H_in * f.W_in, g.c_j0 = f.C_in * f.H_in * f.W_in, g.c_cols = f.W_in;
  g.c_row_j = st, g.c_row_0 = ph.first, g.c_col_j = st, g.c_col_0 = pw.first;
  return g;
}

// weight_grad: dw[co, (ci,r,s)] = sum_{n,p,q} out[n,co,p,q] * in[n,ci,p*st-pad+r,q*st-pad+s]
//   M = C_out, N = C_in*R*S (j = ci,r,s), K = N*H_out*W_out (k = n,p,q): a long
//   reduction, which the plan splits over blocks (split-K).
//   A = out (row m = one channel, k walks n and the plane); B = in, gathered; C = dw.
inline ConvGemm weight_gemm(const ConvFrame& f) {
  ConvGemm g;
  g.M = f.C_out;
  g.N = f.C_in * f.R * f.S;
  g.K = f.N * f.H_out * f.W_out;
  g.k_mid = f.H_out, g.k_inner = f.W_out;
  g.n_mid = f.R, g.n_inner = f.S;
  g.a_m = f.H_out * f.W_out, g.a_k0 = f.C_out * f.H_out * f.W_out, g.a_k1 = f.W_out, g.a_k2 = 1;
  g.b_j0 = f.H_in * f.W_in, g.b_k0 = f.C_in * f.H_in * f.W_in, g.b_rows = f.H_in, g.b_cols = f.W_in;
  g.b_row_j = 1, g.b_row_0 = -f.pad, g.b_row_k = f.stride;
  g.b_col_j = 1, g.b_col_0 = -f.pad, g.b_col_k = f.stride;
  g.c_m = f.C_in * f.R * f.S, g.c_j0 = f.R * f.S, g.c_cols = f.S;
  g.c_row_j = 1, g.c_col_j = 1;
  return g;
}

// dense: C[M, N] = op(A) @ op(B), a plain matrix product (kernels/matmul/cuda.cu
// runs matmul and Linear through this kernel). Every digit but the outermost
// has radix 1, so k = k0 and j = j0, and B has no padding (b_rows = b_cols = 1:
// every tap is valid).
//   A stored [M, K]: a_m = K, a_k0 = 1;  transposed, stored [K, M]: a_m = 1, a_k0 = M
//   B stored [K, N]: b_k0 = N, b_j0 = 1;  transposed, stored [N, K]: b_k0 = 1, b_j0 = K
//   C stored [M, N]: c_m = N, c_j0 = 1
inline ConvGemm dense_gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K) {
  ConvGemm g;
  g.M = M, g.N = N, g.K = K;
  g.a_m = trans_a ? 1 : K, g.a_k0 = trans_a ? M : 1;
  g.b_k0 = trans_b ? 1 : N, g.b_j0 = trans_b ? K : 1;
  g.c_m = N, g.c_j0 = 1;
  return g;
}

// ---- walking k without division ------------------------------------------------------

// Address steps of one unit of each k digit, for one operand.
template <typename I>
struct KStrides {
  I s0 = 0, s1 = 0, s2 = 0;
};
template <typename I>
GAN_HOST_DEVICE KStrides<I> a_strides(const ConvGemmOf<I>& g) {
  return {g.a_k0, g.a_k1, g.a_k2};
}
template <typename I>
GAN_HOST_DEVICE KStrides<I> b_strides(const ConvGemmOf<I>& g) {
  return {g.b_k0, g.b_row_k * g.b_cols, g.b_col_k};
}

// Position k, its two inner digits, and the operand's address offset of k
// (k0*s0 + d1*s1 + d2*s2).
template <typename I>
struct KCursor {
  I k = 0, d1 = 0, d2 = 0, offset = 0;
};

template <typename I>
GAN_HOST_DEVICE KCursor<I> make_k_cursor(const ConvGemmOf<I>& g, Idx<I> k, const KStrides<I>& s) {
  const Digits3<I> d = split3<I>(k, g.k_mid, g.k_inner);
  return {k, d.d1, d.d2, d.d0 * s.s0 + d.d1 * s.s1 + d.d2 * s.s2};
}

// A fixed step through k, split into digits once on the host, with the
// offset changes of the step and of each carry.
template <typename I>
struct KStep {
  I dk = 0, q1 = 0, q2 = 0;
  I offset = 0;  // q0*s0 + q1*s1 + q2*s2
  I carry2 = 0;  // d2 wraps: d2 -= inner, d1 += 1
  I carry1 = 0;  // d1 wraps: d1 -= mid, d0 += 1
};

template <typename I>
KStep<I> make_k_step(const ConvGemmOf<I>& g, Idx<I> step, const KStrides<I>& s) {
  const Digits3<I> q = split3<I>(step, g.k_mid, g.k_inner);
  KStep<I> st;
  st.dk = step, st.q1 = q.d1, st.q2 = q.d2;
  st.offset = q.d0 * s.s0 + q.d1 * s.s1 + q.d2 * s.s2;
  st.carry2 = s.s1 - g.k_inner * s.s2;
  st.carry1 = s.s0 - g.k_mid * s.s1;
  return st;
}

// Each digit is below its radix before and after, so one carry per digit is enough:
// d2 + q2 < 2*inner, and d1 + 1 + q1 < 2*mid.
template <typename I>
GAN_HOST_DEVICE void advance(KCursor<I>& c, const KStep<I>& st, const ConvGemmOf<I>& g) {
  c.k += st.dk;
  c.offset += st.offset;
  c.d2 += st.q2;
  if (c.d2 >= g.k_inner) {
    c.d2 -= g.k_inner;
    c.d1 += 1;
    c.offset += st.carry2;
  }
  c.d1 += st.q1;
  if (c.d1 >= g.k_mid) {
    c.d1 -= g.k_mid;
    c.offset += st.carry1;
  }
}

// The column part of B for column j: everything that does not depend on k.
template <typename I>
struct BColumn {
  I offset = 0;  // j0*b_j0 + row*b_cols + col
  I row = 0, col = 0;
  bool valid = false;  // j < N
};

template <typename I>
GAN_HOST_DEVICE BColumn<I> b_column(const ConvGemmOf<I>& g, Idx<I> j) {
  BColumn<I> c;
  if (j >= g.N) return c;
  const Digits3<I> d = split3<I>(j, g.n_mid, g.n_inner);
  c.row = d.d1 * g.b_row_j + g.b_row_0;
  c.col = d.d2 * g.b_col_j + g.b_col_0;
  c.offset = d.d0 * g.b_j0 + c.row * g.b_cols + c.col;
  c.valid = true;
  return c;
}

// B[k, j] from its column and a cursor (made with b_strides) at k: whether it is
// inside the tensor and the slice [.., k_end), and where.
template <typename I>
GAN_HOST_DEVICE bool b_tap(const ConvGemmOf<I>& g, const BColumn<I>& j, const KCursor<I>& k, Idx<I> k_end, I& offset) {
  offset = j.offset + k.offset;
  return j.valid && k.k < k_end && in_range<I>(j.row + k.d1 * g.b_row_k, g.b_rows) &&
         in_range<I>(j.col + k.d2 * g.b_col_k, g.b_cols);
}

// ---- tiles ---------------------------------------------------------------------------

// A block computes a BM x BN tile of C, walking K in slices of BK; each thread
// owns a TM x TN register block. The thread's rows are TM/4 groups of 4
// consecutive rows, BM/(TM/4) apart (columns likewise), so that its fragments
// are float4 reads and the 8 threads of a quarter warp read 128 consecutive
// bytes of the B tile (no bank conflicts; a contiguous 8-wide block per thread
// would have 2-way conflicts).
template <int BM_, int BN_, int BK_, int TM_, int TN_>
struct TileShape {
  static constexpr int BM = BM_, BN = BN_, BK = BK_, TM = TM_, TN = TN_;
  static constexpr int kThreads = (BM / TM) * (BN / TN);
  static constexpr int kLoadsA = BM * BK / kThreads;  // A elements each thread loads per slice
  static constexpr int kLoadsB = BK * BN / kThreads;  // B elements each thread loads per slice
  static constexpr int kARowStep = kThreads / BK;     // rows between one thread's A loads
  // A is stored k-major (a_tile[k][m]) for float4 reads along m. Loads run along
  // k (BK threads per row); padding rows by 4 floats spreads those stores over
  // the banks (conflict-free for BK = 8, 2-way for BK = 16) and keeps rows
  // 16-byte aligned.
  static constexpr int kPadA = 4;

  static_assert(TM % 4 == 0 && TN % 4 == 0, "fragments are read as float4");
  static_assert(BM % TM == 0 && BN % TN == 0, "the threads tile the block tile");
  static_assert(kThreads % BK == 0 && (BM * BK) % kThreads == 0, "A: one k per thread, whole loads");
  static_assert(kThreads % BN == 0 && (BK * BN) % kThreads == 0, "B: one column per thread, whole loads");
  static_assert(kThreads % 32 == 0, "whole warps");
};

// The tiles the launcher can run. plan_gemm picks one per product; the others
// are candidates, forced and timed against it (bench_kernels_cuda
// --conv-tiles). Registers per thread (ptxas, CUDA 13.0, sm_90) with 64-bit /
// 32-bit indices, and so how many blocks fit an SM's 64K registers, are in
// docs/kernels/convolution.md.
enum class TileKind {
  Large,     // 128x128, BK 8, 8x8 per thread, 256 threads: 64 FMAs per 4 float4 shared reads
  Large16,   // 128x128, BK 16: half the barriers per FMA, twice the loads in flight
  Tall,      // 128x64, BK 8, 8x4 per thread, 256 threads: for M >= 128 with half Large's columns
  Tall16,    // 128x64, BK 16
  Medium,    // 64x64, BK 8, 4x4 per thread, 256 threads: 4x as many blocks as Large
  Medium16,  // 64x64, BK 16 (the ladder's rung 4 tile, double-buffered)
  Thin,      // 16x128, BK 8, 4x4, 128 threads: for M <= 16 (3 or 1 channels)
  Thin16,    // 16x128, BK 16
};

inline constexpr TileKind kAllTiles[] = {TileKind::Large,  TileKind::Large16,  TileKind::Tall, TileKind::Tall16,
                                         TileKind::Medium, TileKind::Medium16, TileKind::Thin, TileKind::Thin16};

using LargeTile = TileShape<128, 128, 8, 8, 8>;
using Large16Tile = TileShape<128, 128, 16, 8, 8>;
using TallTile = TileShape<128, 64, 8, 8, 4>;
using Tall16Tile = TileShape<128, 64, 16, 8, 4>;
using MediumTile = TileShape<64, 64, 8, 4, 4>;
using Medium16Tile = TileShape<64, 64, 16, 4, 4>;
using ThinTile = TileShape<16, 128, 8, 4, 4>;
using Thin16Tile = TileShape<16, 128, 16, 4, 4>;

inline const char* tile_name(TileKind kind) {
  switch (kind) {
    case TileKind::Large: return "large";
    case TileKind::Large16: return "large16";
    case TileKind::Tall: return "tall";
    case TileKind::Tall16: return "tall16";
    case TileKind::Medium: return "medium";
    case TileKind::Medium16: return "medium16";
    case TileKind::Thin: return "thin";
    case TileKind::Thin16: return "thin16";
  }
  return "?";
}

template <typename F>
decltype(auto) with_tile(TileKind kind, F&& f) {
  switch (kind) {
    case TileKind::Large: return f(LargeTile{});
    case TileKind::Large16: return f(Large16Tile{});
    case TileKind::Tall: return f(TallTile{});
    case TileKind::Tall16: return f(Tall16Tile{});
    case TileKind::Medium: return f(MediumTile{});
    case TileKind::Medium16: return f(Medium16Tile{});
    case TileKind::Thin: break;
    case TileKind::Thin16: return f(Thin16Tile{});
  }
  return f(ThinTile{});
}

// Row (column) within the block tile of element i of thread row ty's (column
// tx's) register block.
template <typename Tile>
GAN_HOST_DEVICE int tile_row(int ty, int i) {
  return (i / 4) * (Tile::BM / (Tile::TM / 4)) + ty * 4 + i % 4;
}
template <typename Tile>
GAN_HOST_DEVICE int tile_col(int tx, int j) {
  return (j / 4) * (Tile::BN / (Tile::TN / 4)) + tx * 4 + j % 4;
}

// ---- the launch plan -------------------------------------------------------------------

// Constants of the plan. They depend on the shapes only, never on the GPU, so
// the split, and with it every sum's order, is the same on every device.
inline constexpr int64_t kWaveBlocks = 132;     // about one block per SM of an H100 SXM
inline constexpr int64_t kMinSplitChunk = 256;  // K per split at least (32 slices of 8)
inline constexpr int64_t kMaxGridY = 65535;     // CUDA's limit on gridDim.y and .z

struct GemmPlan {
  TileKind tile = TileKind::Medium;
  int64_t splits = 1;  // blocks along K (split-K); > 1: partial sums, then a fixed-order reduction
  int64_t chunk = 0;   // K per split, a multiple of BK; the last split may be shorter
};

template <typename Tile>
int64_t tile_count(const ConvGemm& g) {
  return ceil_div(g.M, Tile::BM) * ceil_div(g.N, Tile::BN);
}

// Splits K into about `wanted` chunks of whole slices, none empty.
inline GemmPlan split_plan(const ConvGemm& g, TileKind tile, int64_t wanted) {
  const int64_t bk = with_tile(tile, [](auto t) -> int64_t { return decltype(t)::BK; });
  GemmPlan p;
  p.tile = tile;
  p.chunk = std::max(bk, ceil_div(ceil_div(g.K, std::max<int64_t>(wanted, 1)), bk) * bk);
  p.splits = g.K > 0 ? ceil_div(g.K, p.chunk) : 1;
  return p;
}

// Thin tiles for M <= 16; Large ones when they alone fill a wave; Medium
// otherwise.
inline TileKind choose_tile(const ConvGemm& g) {
  if (g.M <= ThinTile::BM) return TileKind::Thin;
  if (tile_count<LargeTile>(g) >= kWaveBlocks) return TileKind::Large;
  return TileKind::Medium;
}

// The plan for g on a given tile: when there are fewer tiles than a wave and K
// is long, split K so that about two waves of blocks run (the weight gradients
// of the first and last layers: M*N is tiny and K = N*P*Q is large).
inline GemmPlan plan_gemm_for(const ConvGemm& g, TileKind tile) {
  GAN_CHECK(g.M >= 0 && g.N >= 0 && g.K >= 0 && g.M <= INT32_MAX && g.N <= INT32_MAX && g.K <= INT32_MAX, ValueError,
            "CUDA implicit GEMM: the product ", g.M, " x ", g.N, " x ", g.K,
            " is too large for one launch (sizes are 32-bit); use a smaller batch");
  if (g.M == 0 || g.N == 0) return split_plan(g, tile, 1);  // nothing to launch
  const int64_t tiles = with_tile(tile, [&](auto t) { return tile_count<decltype(t)>(g); });
  int64_t wanted = 1;
  if (tiles < kWaveBlocks) wanted = std::min(ceil_div(2 * kWaveBlocks, tiles), g.K / kMinSplitChunk);
  GemmPlan p = split_plan(g, tile, wanted);
  const int64_t row_tiles = with_tile(tile, [&](auto t) { return ceil_div(g.M, decltype(t)::BM); });
  GAN_CHECK(row_tiles <= kMaxGridY && p.splits <= kMaxGridY, ValueError, "CUDA implicit GEMM: the ", g.M,
            " rows of the product (channels, or matmul's M) need more than ", kMaxGridY,
            " blocks; use fewer channels or a smaller batch");
  return p;
}

inline GemmPlan plan_gemm(const ConvGemm& g) { return plan_gemm_for(g, choose_tile(g)); }

// ---- 32-bit indices ----------------------------------------------------------------------

// A bound on the magnitude of every index the kernel forms for g under a plan
// with `splits` K splits: the addresses of A, B and C (including the ones it
// forms for rows, columns and k up to a tile past the end, which it never
// dereferences), the split-K partials, and the counters themselves.
inline int64_t index_bound(const ConvGemm& g, int64_t splits) {
  const auto mag = [](int64_t v) { return v < 0 ? -v : v; };
  constexpr int64_t kSlack = 256;  // more than any tile dimension or K slice
  const int64_t M = g.M + kSlack, N = g.N + kSlack, K = g.K + kSlack;
  const int64_t k0 = ceil_div(K, g.k_mid * g.k_inner) + 1, j0 = ceil_div(N, g.n_mid * g.n_inner) + 1;
  const int64_t a = mag(g.a_base) + M * mag(g.a_m) + k0 * mag(g.a_k0) + g.k_mid * mag(g.a_k1) + g.k_inner * mag(g.a_k2);
  const int64_t b_row = g.n_mid * mag(g.b_row_j) + mag(g.b_row_0) + g.k_mid * mag(g.b_row_k);
  const int64_t b_col = g.n_inner * mag(g.b_col_j) + mag(g.b_col_0) + g.k_inner * mag(g.b_col_k);
  const int64_t b = j0 * mag(g.b_j0) + k0 * mag(g.b_k0) + b_row * g.b_cols + b_col;
  const int64_t c_row = g.n_mid * mag(g.c_row_j) + mag(g.c_row_0);
  const int64_t c = M * mag(g.c_m) + j0 * mag(g.c_j0) + c_row * g.c_cols + g.n_inner * mag(g.c_col_j) + mag(g.c_col_0);
  const int64_t partial = (splits + 1) * M * N;
  return std::max({a, b, c, partial, M, N, K});
}

// Whether the kernel may run g in int32_t arithmetic: the bound with a factor
// of two to spare for the sums it forms along the way.
inline bool fits_index32(const ConvGemm& g, int64_t splits) { return index_bound(g, splits) <= INT32_MAX / 2; }

// g in another index type (every field converted; check fits_index32 first).
template <typename J, typename I>
ConvGemmOf<J> with_index(const ConvGemmOf<I>& g) {
  ConvGemmOf<J> n;
  const auto f = [](I v) { return static_cast<J>(v); };
  n.M = f(g.M), n.N = f(g.N), n.K = f(g.K);
  n.k_mid = f(g.k_mid), n.k_inner = f(g.k_inner), n.n_mid = f(g.n_mid), n.n_inner = f(g.n_inner);
  n.a_base = f(g.a_base), n.a_m = f(g.a_m), n.a_k0 = f(g.a_k0), n.a_k1 = f(g.a_k1), n.a_k2 = f(g.a_k2);
  n.b_j0 = f(g.b_j0), n.b_k0 = f(g.b_k0), n.b_rows = f(g.b_rows), n.b_cols = f(g.b_cols);
  n.b_row_j = f(g.b_row_j), n.b_row_0 = f(g.b_row_0), n.b_row_k = f(g.b_row_k);
  n.b_col_j = f(g.b_col_j), n.b_col_0 = f(g.b_col_0), n.b_col_k = f(g.b_col_k);
  n.c_m = f(g.c_m), n.c_j0 = f(g.c_j0), n.c_cols = f(g.c_cols), n.c_row_j = f(g.c_row_j), n.c_row_0 = f(g.c_row_0);
  n.c_col_j = f(g.c_col_j), n.c_col_0 = f(g.c_col_0);
  n.bias_div = f(g.bias_div);
  return n;
}

// ---- what one thread loads -------------------------------------------------------------

// Per slice, thread tid loads kLoadsA elements of A (one k, rows kARowStep
// apart; consecutive threads take consecutive k, which are consecutive
// addresses for the weights) and kLoadsB of B (one column, consecutive k;
// consecutive threads take consecutive columns, i.e. neighbouring pixels).
// The loads are kept in registers until the slice before has been used, then
// stored to the other shared-memory buffer (double buffering).
template <typename Tile, typename I = int64_t>
struct TileLoader {
  static constexpr int kLoadsA = Tile::kLoadsA, kLoadsB = Tile::kLoadsB;

  // Where this thread's loads go in the shared tiles a_tile[k][m], b_tile[k][col].
  GAN_HOST_DEVICE static int a_k(int tid) { return tid % Tile::BK; }
  GAN_HOST_DEVICE static int a_row(int tid, int i) { return tid / Tile::BK + i * Tile::kARowStep; }
  GAN_HOST_DEVICE static int b_k(int tid, int i) { return (tid / Tile::BN) * kLoadsB + i; }
  GAN_HOST_DEVICE static int b_col(int tid) { return tid % Tile::BN; }

  I m_first = 0;       // row of A load 0
  I a_row_offset = 0;  // a_base + m_first*a_m
  KCursor<I> a_cursor;  // k of the A loads
  BColumn<I> column;    // the B column
  KCursor<I> b_cursor;  // k of B load 0
  I k_end = 0;         // end of this block's split

  GAN_HOST_DEVICE TileLoader(const ConvGemmOf<I>& g, int tid, I m0, I j0, I k_begin, I k_stop)
      : m_first(m0 + a_row(tid, 0)),
        a_row_offset(g.a_base + m_first * g.a_m),
        a_cursor(make_k_cursor(g, k_begin + a_k(tid), a_strides(g))),
        column(b_column(g, j0 + b_col(tid))),
        b_cursor(make_k_cursor(g, k_begin + b_k(tid, 0), b_strides(g))),
        k_end(k_stop) {}

  // The current slice's elements (0 outside the product, the split or the tensor).
  template <typename T>
  GAN_HOST_DEVICE void fetch(const ConvGemmOf<I>& g, const KStep<I>& b_next, const T* a, const T* b,
                             T (&ra)[kLoadsA], T (&rb)[kLoadsB]) const {
    const bool a_k_ok = a_cursor.k < k_end;
    GAN_UNROLL
    for (int i = 0; i < kLoadsA; ++i) {
      const I m = m_first + i * Tile::kARowStep;
      ra[i] = a_k_ok && m < g.M ? a[a_row_offset + i * Tile::kARowStep * g.a_m + a_cursor.offset] : T(0);
    }
    KCursor<I> k = b_cursor;
    GAN_UNROLL
    for (int i = 0; i < kLoadsB; ++i) {
      I offset = 0;
      rb[i] = b_tap(g, column, k, k_end, offset) ? b[offset] : T(0);
      if (i + 1 < kLoadsB) advance(k, b_next, g);
    }
  }

  GAN_HOST_DEVICE void next_slice(const ConvGemmOf<I>& g, const KStep<I>& a_slice, const KStep<I>& b_slice) {
    advance(a_cursor, a_slice, g);
    advance(b_cursor, b_slice, g);
  }
};

// The k steps a kernel launch needs, made on the host (they reach the kernel as
// parameters, in constant memory, not in registers).
template <typename I>
struct GemmStepsOf {
  KStep<I> a_slice, b_slice, b_next;
};
using GemmSteps = GemmStepsOf<int64_t>;

template <typename I>
GemmStepsOf<I> make_gemm_steps(const ConvGemmOf<I>& g, Idx<I> bk) {
  return {make_k_step(g, bk, a_strides(g)), make_k_step(g, bk, b_strides(g)), make_k_step<I>(g, 1, b_strides(g))};
}

template <typename Tile, typename T>
GAN_HOST_DEVICE void store_slice(int tid, const T (&ra)[Tile::kLoadsA], const T (&rb)[Tile::kLoadsB],
                                 T (*a_tile)[Tile::BM + Tile::kPadA], T (*b_tile)[Tile::BN]) {
  using L = TileLoader<Tile>;
  GAN_UNROLL
  for (int i = 0; i < Tile::kLoadsA; ++i) a_tile[L::a_k(tid)][L::a_row(tid, i)] = ra[i];
  GAN_UNROLL
  for (int i = 0; i < Tile::kLoadsB; ++i) b_tile[L::b_k(tid, i)][L::b_col(tid)] = rb[i];
}

// ---- results ----------------------------------------------------------------------------

// Split s of a split-K launch writes its partial C to partial[(s*M + m)*N + j].
template <typename I>
GAN_HOST_DEVICE I partial_index(const ConvGemmOf<I>& g, Idx<I> split, Idx<I> m, Idx<I> j) {
  return (split * g.M + m) * g.N + j;
}

// The bias of row m (0 without a bias, or outside the product).
template <typename I, typename T>
GAN_HOST_DEVICE T row_bias(const ConvGemmOf<I>& g, Idx<I> m, const T* bias) {
  return bias != nullptr && m < g.M ? bias[m / g.bias_div] : T(0);
}

// The epilogue for C[m, j], given c_column_offset(g, j) and row_bias(g, m)
// (skipped outside the product). Split-K partials get the bias when reduced.
template <typename I, typename T>
GAN_HOST_DEVICE void store_result(const ConvGemmOf<I>& g, Idx<I> m, Idx<I> j, Idx<I> column_offset, T bias, T value,
                                  Idx<I> split, Idx<I> splits, T* c, T* partial) {
  if (m >= g.M || j >= g.N) return;
  if (splits == 1)
    c[m * g.c_m + column_offset] = value + bias;
  else
    partial[partial_index(g, split, m, j)] = value;
}

// C element e = m*N + j of a split-K launch: its partials added in split order
// (in double), so the result is the same run to run.
template <typename I, typename T>
GAN_HOST_DEVICE void reduce_splits(const ConvGemmOf<I>& g, Idx<I> e, Idx<I> splits, const T* partial, const T* bias,
                                   T* c) {
  const I m = e / g.N, j = e % g.N;
  double sum = 0.0;
  for (I s = 0; s < splits; ++s) sum += static_cast<double>(partial[partial_index(g, s, m, j)]);
  c[c_offset(g, m, j)] = static_cast<T>(sum) + row_bias(g, m, bias);
}

}  // namespace gan::conv_gemm

namespace gan::cuda {

// Launches the product g on the current stream without synchronising:
// c = A @ B (+ bias), with a holding A's operand and b B's
// (kernels/conv/implicit_gemm.cu; a build without CUDA does not define it).
void implicit_gemm(const conv_gemm::ConvGemm& g, const float* a, const float* b, const float* bias, float* c);

// While one exists, every implicit_gemm on this thread runs `tile` (with the
// split plan_gemm_for gives it; nullopt: plan_gemm's choice), and with
// index32, in 32-bit indices where they fit: for the tests that run each
// kernel and the benchmark that times them against each other.
class ForceGemmKernel {
 public:
  explicit ForceGemmKernel(std::optional<conv_gemm::TileKind> tile, bool index32);
  ~ForceGemmKernel();
  ForceGemmKernel(const ForceGemmKernel&) = delete;
  ForceGemmKernel& operator=(const ForceGemmKernel&) = delete;

 private:
  int previous_tile_;
  bool previous_index32_;
};

}  // namespace gan::cuda
