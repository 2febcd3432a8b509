// The index side of ladder rungs 2-4 (kernels/conv/ladder/2_*.cu to 4_*.cu):
// their tile shapes, which elements of A and B each thread loads per K slice,
// and which outputs it owns. Every rung computes the gather pass as the same
// product as the production kernel, conv_gemm::gather_gemm(frame):
//   C[M = C_out, N = batch*H_out*W_out] = A[M, K = C_in*R*S] @ B[K, N]
// with A the weight (row-major) and B gathered from `in` on the fly (0 in the
// padding), through the helpers of kernels/conv/implicit_gemm.h (KCursor,
// b_column, b_tap, TileLoader, c_column_offset, row_bias).
//
// Plain C++ (GAN_HOST_DEVICE), so tests/kernels/test_conv_ladder.cpp replays
// each rung block by block and thread by thread on the CPU with these same
// maps and checks whole convolutions against the CPU reference, and that
// every output and every tile element is written exactly once.
#pragma once

#include <cstdint>
#include <type_traits>

#include "core/error.h"
#include "kernels/conv/implicit_gemm.h"

namespace gan::conv_rung {

using conv_gemm::ConvGemm;

// A BM x BN tile of C per block, K in slices of BK, a TM x TN block of
// outputs per thread. The members TileLoader (implicit_gemm.h) reads are
// here, so rungs 2 and 3 load exactly as the production kernel does.
template <int BM_, int BN_, int BK_, int TM_, int TN_>
struct LadderTile {
  static constexpr int BM = BM_, BN = BN_, BK = BK_, TM = TM_, TN = TN_;
  static constexpr int kThreads = (BM / TM) * (BN / TN);
  static constexpr int kLoadsA = BM * BK / kThreads;  // A elements each thread loads per slice
  static constexpr int kLoadsB = BK * BN / kThreads;  // B elements each thread loads per slice
  static constexpr int kARowStep = kThreads / BK;     // rows between one thread's A loads

  static_assert(BM % TM == 0 && BN % TN == 0, "the threads tile the block tile");
  static_assert(kThreads % BK == 0 && (BM * BK) % kThreads == 0, "A: one k per thread, whole loads");
  static_assert(kThreads % BN == 0 && (BK * BN) % kThreads == 0, "B: one column per thread, whole loads");
  static_assert(kThreads % 32 == 0, "whole warps");

  // Thread tid owns the contiguous TM x TN block at (ty*TM, tx*TN) of the tile.
  GAN_HOST_DEVICE static int out_row(int tid, int i) { return tid / (BN / TN) * TM + i; }
  GAN_HOST_DEVICE static int out_col(int tid, int j) { return tid % (BN / TN) * TN + j; }
};

using SmemTile = LadderTile<16, 16, 16, 1, 1>;     // rung 2: one output per thread
using RegisterTile = LadderTile<64, 64, 8, 4, 4>;  // rung 3: 4x4 outputs per thread
using VectorTile = LadderTile<64, 64, 16, 4, 4>;   // rung 4: BK = 16, one float4 of A per thread

// Rung 4 stores A k-major, a_tile[k][m], rows padded by 4 floats: float4
// reads along m stay 16-byte aligned.
inline constexpr int kVectorPadA = 4;

// ---- rung 4's loads: A as float4 along k ---------------------------------------------------

// Whether A's rows are plain arrays (A[m, k] at a_base + m*a_m + k), as the
// gather's weight [C_out, C_in*R*S] is.
GAN_HOST_DEVICE bool a_rows_contiguous(const ConvGemm& g) {
  return g.a_k2 == 1 && g.a_k1 == g.k_inner && g.a_k0 == g.k_mid * g.k_inner;
}

// Whether every float4 of A a rung-4 thread loads is 16-byte aligned and whole.
inline bool a_rows_vectorizable(const ConvGemm& g, const void* a) {
  return a_rows_contiguous(g) && g.K % 4 == 0 && g.a_m % 4 == 0 && g.a_base % 4 == 0 &&
         reinterpret_cast<std::uintptr_t>(a) % 16 == 0;
}

// p[0..3], one 16-byte load on the device when T is float (p must then be aligned).
template <typename T>
GAN_HOST_DEVICE void load4(const T* p, T (&r)[4]) {
#if defined(__CUDA_ARCH__)
  if constexpr (std::is_same_v<T, float>) {
    const float4 v = *reinterpret_cast<const float4*>(p);
    r[0] = v.x, r[1] = v.y, r[2] = v.z, r[3] = v.w;
  } else
#endif
  {
    GAN_UNROLL
    for (int e = 0; e < 4; ++e) r[e] = p[e];
  }
}

// Per slice, thread tid loads 4 consecutive k of one A row (a float4 when
// vectorizable: 4 threads cover a row's 16 k, 64 contiguous bytes) and, as
// TileLoader does, kLoadsB consecutive k of one B column (B is gathered:
// neighbouring pixels, stride and padding, so no vector loads there).
template <typename Tile>
struct VectorLoader {
  static constexpr int kQuads = Tile::BK / 4;  // float4s per A row and slice
  static constexpr int kLoadsB = Tile::kLoadsB;
  static_assert(Tile::BK % 4 == 0 && Tile::BM * kQuads == Tile::kThreads, "one float4 of A per thread");

  GAN_HOST_DEVICE static int a_row(int tid) { return tid / kQuads; }
  GAN_HOST_DEVICE static int a_k(int tid) { return tid % kQuads * 4; }
  GAN_HOST_DEVICE static int b_k(int tid, int i) { return tid / Tile::BN * kLoadsB + i; }
  GAN_HOST_DEVICE static int b_col(int tid) { return tid % Tile::BN; }

  int64_t m = 0;             // the A row
  int64_t a_row_offset = 0;  // a_base + m*a_m
  int64_t k = 0;             // the first of the 4 A elements
  bool vector_a = false;     // a_rows_vectorizable, decided on the host
  conv_gemm::BColumn<int64_t> column;
  conv_gemm::KCursor<int64_t> b_cursor;  // k of B load 0

  GAN_HOST_DEVICE VectorLoader(const ConvGemm& g, int tid, int64_t m0, int64_t j0, bool vectorizable)
      : m(m0 + a_row(tid)),
        a_row_offset(g.a_base + m * g.a_m),
        k(a_k(tid)),
        vector_a(vectorizable),
        column(conv_gemm::b_column(g, j0 + b_col(tid))),
        b_cursor(conv_gemm::make_k_cursor(g, b_k(tid, 0), conv_gemm::b_strides(g))) {}

  // The current slice's elements, 0 outside the product or the tensor.
  template <typename T>
  GAN_HOST_DEVICE void fetch(const ConvGemm& g, const conv_gemm::KStep<int64_t>& b_next, const T* a, const T* b,
                             T (&ra)[4], T (&rb)[kLoadsB]) const {
    if (vector_a && m < g.M && k < g.K) {  // K % 4 == 0: the quad is whole
      load4(a + a_row_offset + k, ra);
    } else {
      GAN_UNROLL
      for (int e = 0; e < 4; ++e) ra[e] = m < g.M && k + e < g.K ? a[a_row_offset + k + e] : T(0);
    }
    conv_gemm::KCursor<int64_t> kc = b_cursor;
    GAN_UNROLL
    for (int i = 0; i < kLoadsB; ++i) {
      int64_t offset = 0;
      rb[i] = conv_gemm::b_tap(g, column, kc, g.K, offset) ? b[offset] : T(0);
      if (i + 1 < kLoadsB) conv_gemm::advance(kc, b_next, g);
    }
  }

  GAN_HOST_DEVICE void next_slice(const ConvGemm& g, const conv_gemm::KStep<int64_t>& b_slice) {
    k += Tile::BK;
    conv_gemm::advance(b_cursor, b_slice, g);
  }
};

// ---- the epilogue and the launch -----------------------------------------------------------

// C[m, j] = value + bias (nothing outside the product); column_offset = c_column_offset(g, j).
template <typename T>
GAN_HOST_DEVICE void store_output(const ConvGemm& g, int64_t m, int64_t j, int64_t column_offset, T value,
                                  const T* bias, T* c) {
  if (m < g.M && j < g.N) c[m * g.c_m + column_offset] = value + conv_gemm::row_bias(g, m, bias);
}

GAN_HOST_DEVICE int64_t column_offset_or_0(const ConvGemm& g, int64_t j) {
  return j < g.N ? conv_gemm::c_column_offset(g, j) : 0;
}

// Grid x = column tiles, y = row tiles. Throws ValueError where a launch
// cannot cover the product (CUDA's grid limits, the int indices of the tiles).
template <typename Tile>
void check_launch(const ConvGemm& g, const char* rung) {
  GAN_CHECK(g.M <= INT32_MAX && g.N <= INT32_MAX && g.K <= INT32_MAX, ValueError, "conv ladder ", rung,
            ": the product ", g.M, " x ", g.N, " x ", g.K, " is too large for one launch; use a smaller batch");
  GAN_CHECK(conv_gemm::ceil_div(g.M, Tile::BM) <= conv_gemm::kMaxGridY, ValueError, "conv ladder ", rung, ": ", g.M,
            " output channels need more than ", conv_gemm::kMaxGridY, " row tiles");
}

}  // namespace gan::conv_rung
