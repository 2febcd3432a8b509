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

struct ConvGemm {
  int64_t M = 0, N = 0, K = 0;
  int64_t k_mid = 1, k_inner = 1;  // k = (k0*k_mid + k1)*k_inner + k2
  int64_t n_mid = 1, n_inner = 1;  // j = (j0*n_mid + j1)*n_inner + j2

  int64_t a_base = 0, a_m = 0, a_k0 = 0, a_k1 = 0, a_k2 = 0;

  int64_t b_j0 = 0, b_k0 = 0, b_rows = 1, b_cols = 1;
  int64_t b_row_j = 0, b_row_0 = 0, b_row_k = 0;
  int64_t b_col_j = 0, b_col_0 = 0, b_col_k = 0;

  int64_t c_m = 0, c_j0 = 0, c_cols = 1, c_row_j = 0, c_row_0 = 0, c_col_j = 0, c_col_0 = 0;

  int64_t bias_div = 1;  // row m gets bias[m / bias_div] (when a bias is given)
};

struct Digits3 {
  int64_t d0 = 0, d1 = 0, d2 = 0;
};

// i = (d0*mid + d1)*inner + d2
GAN_HOST_DEVICE Digits3 split3(int64_t i, int64_t mid, int64_t inner) {
  Digits3 d;
  d.d2 = i % inner;
  i /= inner;
  d.d1 = i % mid;
  d.d0 = i / mid;
  return d;
}

GAN_HOST_DEVICE bool in_range(int64_t v, int64_t extent) {
  return static_cast<uint64_t>(v) < static_cast<uint64_t>(extent);  // 0 <= v < extent in one compare
}

// The definition of the three operands (the kernel reaches the same addresses
// incrementally; the tests check both against the CPU reference).
GAN_HOST_DEVICE int64_t a_offset(const ConvGemm& g, int64_t m, int64_t k) {
  const Digits3 d = split3(k, g.k_mid, g.k_inner);
  return g.a_base + m * g.a_m + d.d0 * g.a_k0 + d.d1 * g.a_k1 + d.d2 * g.a_k2;
}

GAN_HOST_DEVICE bool b_offset(const ConvGemm& g, int64_t k, int64_t j, int64_t& offset) {
  const Digits3 dk = split3(k, g.k_mid, g.k_inner);
  const Digits3 dj = split3(j, g.n_mid, g.n_inner);
  const int64_t row = dj.d1 * g.b_row_j + g.b_row_0 + dk.d1 * g.b_row_k;
  const int64_t col = dj.d2 * g.b_col_j + g.b_col_0 + dk.d2 * g.b_col_k;
  offset = dj.d0 * g.b_j0 + dk.d0 * g.b_k0 + row * g.b_cols + col;
  return in_range(row, g.b_rows) && in_range(col, g.b_cols);
}

// C's offset is m*c_m plus a part that depends on the column only (the
// epilogue computes that once per column).
GAN_HOST_DEVICE int64_t c_column_offset(const ConvGemm& g, int64_t j) {
  const Digits3 d = split3(j, g.n_mid, g.n_inner);
  return d.d0 * g.c_j0 + (d.d1 * g.c_row_j + g.c_row_0) * g.c_cols + d.d2 * g.c_col_j + g.c_col_0;
}

GAN_HOST_DEVICE int64_t c_offset(const ConvGemm& g, int64_t m, int64_t j) { return m * g.c_m + c_column_offset(g, j); }

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
struct KStrides {
  int64_t s0 = 0, s1 = 0, s2 = 0;
};
GAN_HOST_DEVICE KStrides a_strides(const ConvGemm& g) { return {g.a_k0, g.a_k1, g.a_k2}; }
GAN_HOST_DEVICE KStrides b_strides(const ConvGemm& g) { return {g.b_k0, g.b_row_k * g.b_cols, g.b_col_k}; }

// Position k, its two inner digits, and the operand's address offset of k
// (k0*s0 + d1*s1 + d2*s2).
struct KCursor {
  int64_t k = 0, d1 = 0, d2 = 0, offset = 0;
};

GAN_HOST_DEVICE KCursor make_k_cursor(const ConvGemm& g, int64_t k, const KStrides& s) {
  const Digits3 d = split3(k, g.k_mid, g.k_inner);
  return {k, d.d1, d.d2, d.d0 * s.s0 + d.d1 * s.s1 + d.d2 * s.s2};
}

// A fixed step through k, split into digits once on the host, with the
// offset changes of the step and of each carry.
struct KStep {
  int64_t dk = 0, q1 = 0, q2 = 0;
  int64_t offset = 0;  // q0*s0 + q1*s1 + q2*s2
  int64_t carry2 = 0;  // d2 wraps: d2 -= inner, d1 += 1
  int64_t carry1 = 0;  // d1 wraps: d1 -= mid, d0 += 1
};

inline KStep make_k_step(const ConvGemm& g, int64_t step, const KStrides& s) {
  const Digits3 q = split3(step, g.k_mid, g.k_inner);
  KStep st;
  st.dk = step, st.q1 = q.d1, st.q2 = q.d2;
  st.offset = q.d0 * s.s0 + q.d1 * s.s1 + q.d2 * s.s2;
  st.carry2 = s.s1 - g.k_inner * s.s2;
  st.carry1 = s.s0 - g.k_mid * s.s1;
  return st;
}

// Each digit is below its radix before and after, so one carry per digit is enough:
// d2 + q2 < 2*inner, and d1 + 1 + q1 < 2*mid.
GAN_HOST_DEVICE void advance(KCursor& c, const KStep& st, const ConvGemm& g) {
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
struct BColumn {
  int64_t offset = 0;  // j0*b_j0 + row*b_cols + col
  int64_t row = 0, col = 0;
  bool valid = false;  // j < N
};

GAN_HOST_DEVICE BColumn b_column(const ConvGemm& g, int64_t j) {
  BColumn c;
  if (j >= g.N) return c;
  const Digits3 d = split3(j, g.n_mid, g.n_inner);
  c.row = d.d1 * g.b_row_j + g.b_row_0;
  c.col = d.d2 * g.b_col_j + g.b_col_0;
  c.offset = d.d0 * g.b_j0 + c.row * g.b_cols + c.col;
  c.valid = true;
  return c;
}

// B[k, j] from its column and a cursor (made with b_strides) at k: whether it is
// inside the tensor and the slice [.., k_end), and where.
GAN_HOST_DEVICE bool b_tap(const ConvGemm& g, const BColumn& j, const KCursor& k, int64_t k_end, int64_t& offset) {
  offset = j.offset + k.offset;
  return j.valid && k.k < k_end && in_range(j.row + k.d1 * g.b_row_k, g.b_rows) &&
         in_range(j.col + k.d2 * g.b_col_k, g.b_cols);
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
  // k (8 threads per row, 4 rows per warp); padding rows by 4 floats puts those
  // 32 stores in 32 different banks and keeps rows 16-byte aligned.
  static constexpr int kPadA = 4;

  static_assert(TM % 4 == 0 && TN % 4 == 0, "fragments are read as float4");
  static_assert(BM % TM == 0 && BN % TN == 0, "the threads tile the block tile");
  static_assert(kThreads % BK == 0 && (BM * BK) % kThreads == 0, "A: one k per thread, whole loads");
  static_assert(kThreads % BN == 0 && (BK * BN) % kThreads == 0, "B: one column per thread, whole loads");
  static_assert(kThreads % 32 == 0, "whole warps");
};

// 128x128: 8x8 outputs per thread, 256 threads: 64 FMAs per 4 float4 shared
// reads (the classic SGEMM balance). For products big enough to fill the GPU.
using LargeTile = TileShape<128, 128, 8, 8, 8>;
// 64x64: 4x4 per thread, 256 threads: 4x as many blocks for mid-sized products.
using MediumTile = TileShape<64, 64, 8, 4, 4>;
// 16x128: 4x4 per thread, 128 threads: for M <= 16 (C = 1 or 3 on the M side:
// the generator's last layer, the discriminator's last), where a 64-row tile
// would compute mostly padding.
using ThinTile = TileShape<16, 128, 8, 4, 4>;

enum class TileKind { Large, Medium, Thin };

template <typename F>
decltype(auto) with_tile(TileKind kind, F&& f) {
  switch (kind) {
    case TileKind::Large:
      return f(LargeTile{});
    case TileKind::Medium:
      return f(MediumTile{});
    case TileKind::Thin:
      break;
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
// otherwise. Then, when there are still fewer tiles than a wave and K is long,
// split K so that about two waves of blocks run (the weight gradients of the
// first and last layers: M*N is tiny and K = N*P*Q is large).
inline GemmPlan plan_gemm(const ConvGemm& g) {
  GAN_CHECK(g.M >= 0 && g.N >= 0 && g.K >= 0 && g.M <= INT32_MAX && g.N <= INT32_MAX && g.K <= INT32_MAX, ValueError,
            "CUDA implicit GEMM: the product ", g.M, " x ", g.N, " x ", g.K,
            " is too large for one launch (sizes are 32-bit); use a smaller batch");
  TileKind tile = TileKind::Medium;
  if (g.M == 0 || g.N == 0) return split_plan(g, tile, 1);  // nothing to launch
  if (g.M <= ThinTile::BM)
    tile = TileKind::Thin;
  else if (tile_count<LargeTile>(g) >= kWaveBlocks)
    tile = TileKind::Large;
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

// ---- what one thread loads -------------------------------------------------------------

// Per slice, thread tid loads kLoadsA elements of A (one k, rows kARowStep
// apart; consecutive threads take consecutive k, which are consecutive
// addresses for the weights) and kLoadsB of B (one column, consecutive k;
// consecutive threads take consecutive columns, i.e. neighbouring pixels).
// The loads are kept in registers until the slice before has been used, then
// stored to the other shared-memory buffer (double buffering).
template <typename Tile>
struct TileLoader {
  static constexpr int kLoadsA = Tile::kLoadsA, kLoadsB = Tile::kLoadsB;

  // Where this thread's loads go in the shared tiles a_tile[k][m], b_tile[k][col].
  GAN_HOST_DEVICE static int a_k(int tid) { return tid % Tile::BK; }
  GAN_HOST_DEVICE static int a_row(int tid, int i) { return tid / Tile::BK + i * Tile::kARowStep; }
  GAN_HOST_DEVICE static int b_k(int tid, int i) { return (tid / Tile::BN) * kLoadsB + i; }
  GAN_HOST_DEVICE static int b_col(int tid) { return tid % Tile::BN; }

  int64_t m_first = 0;       // row of A load 0
  int64_t a_row_offset = 0;  // a_base + m_first*a_m
  KCursor a_cursor;          // k of the A loads
  BColumn column;            // the B column
  KCursor b_cursor;          // k of B load 0
  int64_t k_end = 0;         // end of this block's split

  GAN_HOST_DEVICE TileLoader(const ConvGemm& g, int tid, int64_t m0, int64_t j0, int64_t k_begin, int64_t k_stop)
      : m_first(m0 + a_row(tid, 0)),
        a_row_offset(g.a_base + m_first * g.a_m),
        a_cursor(make_k_cursor(g, k_begin + a_k(tid), a_strides(g))),
        column(b_column(g, j0 + b_col(tid))),
        b_cursor(make_k_cursor(g, k_begin + b_k(tid, 0), b_strides(g))),
        k_end(k_stop) {}

  // The current slice's elements (0 outside the product, the split or the tensor).
  template <typename T>
  GAN_HOST_DEVICE void fetch(const ConvGemm& g, const KStep& b_next, const T* a, const T* b, T (&ra)[kLoadsA],
                             T (&rb)[kLoadsB]) const {
    const bool a_k_ok = a_cursor.k < k_end;
    GAN_UNROLL
    for (int i = 0; i < kLoadsA; ++i) {
      const int64_t m = m_first + i * Tile::kARowStep;
      ra[i] = a_k_ok && m < g.M ? a[a_row_offset + i * Tile::kARowStep * g.a_m + a_cursor.offset] : T(0);
    }
    KCursor k = b_cursor;
    GAN_UNROLL
    for (int i = 0; i < kLoadsB; ++i) {
      int64_t offset = 0;
      rb[i] = b_tap(g, column, k, k_end, offset) ? b[offset] : T(0);
      if (i + 1 < kLoadsB) advance(k, b_next, g);
    }
  }

  GAN_HOST_DEVICE void next_slice(const ConvGemm& g, const KStep& a_slice, const KStep& b_slice) {
    advance(a_cursor, a_slice, g);
    advance(b_cursor, b_slice, g);
  }
};

// The k steps a kernel launch needs, made on the host (they reach the kernel as
// parameters, in constant memory, not in registers).
struct GemmSteps {
  KStep a_slice, b_slice, b_next;
};

inline GemmSteps make_gemm_steps(const ConvGemm& g, int64_t bk) {
  return {make_k_step(g, bk, a_strides(g)), make_k_step(g, bk, b_strides(g)), make_k_step(g, 1, b_strides(g))};
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
GAN_HOST_DEVICE int64_t partial_index(const ConvGemm& g, int64_t split, int64_t m, int64_t j) {
  return (split * g.M + m) * g.N + j;
}

// The bias of row m (0 without a bias, or outside the product).
template <typename T>
GAN_HOST_DEVICE T row_bias(const ConvGemm& g, int64_t m, const T* bias) {
  return bias != nullptr && m < g.M ? bias[m / g.bias_div] : T(0);
}

// The epilogue for C[m, j], given c_column_offset(g, j) and row_bias(g, m)
// (skipped outside the product). Split-K partials get the bias when reduced.
template <typename T>
GAN_HOST_DEVICE void store_result(const ConvGemm& g, int64_t m, int64_t j, int64_t column_offset, T bias, T value,
                                  int64_t split, int64_t splits, T* c, T* partial) {
  if (m >= g.M || j >= g.N) return;
  if (splits == 1)
    c[m * g.c_m + column_offset] = value + bias;
  else
    partial[partial_index(g, split, m, j)] = value;
}

// C element e = m*N + j of a split-K launch: its partials added in split order
// (in double), so the result is the same run to run.
template <typename T>
GAN_HOST_DEVICE void reduce_splits(const ConvGemm& g, int64_t e, int64_t splits, const T* partial, const T* bias,
                                   T* c) {
  const int64_t m = e / g.N, j = e % g.N;
  double sum = 0.0;
  for (int64_t s = 0; s < splits; ++s) sum += static_cast<double>(partial[partial_index(g, s, m, j)]);
  c[c_offset(g, m, j)] = static_cast<T>(sum) + row_bias(g, m, bias);
}

}  // namespace gan::conv_gemm

namespace gan::cuda {

// Launches the product g on the current stream without synchronising:
// c = A @ B (+ bias), with a holding A's operand and b B's
// (kernels/conv/implicit_gemm.cu; a build without CUDA does not define it).
void implicit_gemm(const conv_gemm::ConvGemm& g, const float* a, const float* b, const float* bias, float* c);

}  // namespace gan::cuda
