// The implicit GEMM of the CUDA convolutions (kernels/conv/implicit_gemm.h),
// run on the CPU. No GPU needed: this is where the kernel's index logic is
// checked on every machine.
//
// emulate_gemm() below is kernels/conv/implicit_gemm.cu's conv_gemm_kernel
// and reduce_splits_kernel executed block by block and thread by thread, with
// the kernel's own TileLoader (cursors, gathers, padding and split bounds),
// store_slice, tile_row/tile_col, store_result and reduce_splits; only the
// shared-memory float4 reads and the barriers are replaced by plain loops (the
// float4 layout is checked separately). It runs in double, so a whole
// convolution must match the CPU reference (kernels/*/cpu.cpp, double) to
// rounding: relative error < 1e-12. Every pass of conv2d and conv_transpose2d
// is checked on shapes chosen to hit the edges: sizes that are not multiples
// of any tile, several tiles along M and N, stride 1/2/3, output_padding,
// kernels smaller than the stride (phases without taps), the dense 1x1 case,
// and every tile shape and split-K count, forced.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "kernels/conv/conv.h"
#include "kernels/conv/implicit_gemm.h"
#include "tests/kernels/conv_test_util.h"
#include "tests/kernels/kernel_test_util.h"

namespace gan {
namespace {

using namespace conv_gemm;  // NOLINT: the whole header is under test

constexpr double kTol = 1e-12;

// ---- the kernel, on the CPU -------------------------------------------------------------

// I: the kernel's index type (the launcher narrows g to int32_t when it fits).
template <typename Tile, typename I>
void emulate_gemm(const ConvGemm& wide, const GemmPlan& plan, const double* a, const double* b, const double* bias,
                  double* c) {
  if (wide.M == 0 || wide.N == 0) return;  // run_gemm launches nothing
  const ConvGemmOf<I> g = with_index<I>(wide);
  constexpr int kThreads = Tile::kThreads, BK = Tile::BK, TM = Tile::TM, TN = Tile::TN;
  struct Shared {
    double a_tile[2][BK][Tile::BM + Tile::kPadA];
    double b_tile[2][BK][Tile::BN];
  };
  struct Registers {
    double a[Tile::kLoadsA];
    double b[Tile::kLoadsB];
  };
  const GemmStepsOf<I> steps = make_gemm_steps(g, BK);
  std::vector<double> partial(plan.splits > 1 ? static_cast<size_t>(plan.splits * g.M * g.N) : 0);
  auto shared = std::make_unique<Shared>();
  std::vector<Registers> regs(kThreads);
  std::vector<std::array<double, TM * TN>> acc(kThreads);

  for (I split = 0; split < plan.splits; ++split)
    for (I by = 0; by < ceil_div(g.M, Tile::BM); ++by)
      for (I bx = 0; bx < ceil_div(g.N, Tile::BN); ++bx) {
        const I m0 = by * Tile::BM, j0 = bx * Tile::BN;
        const I k_begin = split * static_cast<I>(plan.chunk);
        const I k_end = std::min<I>(g.K, k_begin + static_cast<I>(plan.chunk));
        std::vector<TileLoader<Tile, I>> loader;
        for (int tid = 0; tid < kThreads; ++tid) {
          loader.emplace_back(g, tid, m0, j0, k_begin, k_end);
          loader[tid].fetch(g, steps.b_next, a, b, regs[tid].a, regs[tid].b);
          store_slice<Tile>(tid, regs[tid].a, regs[tid].b, shared->a_tile[0], shared->b_tile[0]);
          acc[tid].fill(0.0);
        }
        int buf = 0;
        for (I k0 = k_begin; k0 < k_end; k0 += BK) {
          const bool more = k0 + BK < k_end;
          for (int tid = 0; tid < kThreads && more; ++tid) {
            loader[tid].next_slice(g, steps.a_slice, steps.b_slice);
            loader[tid].fetch(g, steps.b_next, a, b, regs[tid].a, regs[tid].b);
          }
          for (int tid = 0; tid < kThreads; ++tid) {
            const int ty = tid / (Tile::BN / TN), tx = tid % (Tile::BN / TN);
            for (int kk = 0; kk < BK; ++kk) {
              double b_frag[TN];
              for (int j = 0; j < TN; ++j) b_frag[j] = shared->b_tile[buf][kk][tile_col<Tile>(tx, j)];
              for (int i = 0; i < TM; ++i) {
                const double a_value = shared->a_tile[buf][kk][tile_row<Tile>(ty, i)];
                for (int j = 0; j < TN; ++j) acc[tid][i * TN + j] += a_value * b_frag[j];
              }
            }
          }
          for (int tid = 0; tid < kThreads && more; ++tid)
            store_slice<Tile>(tid, regs[tid].a, regs[tid].b, shared->a_tile[buf ^ 1], shared->b_tile[buf ^ 1]);
          buf ^= 1;
        }
        for (int tid = 0; tid < kThreads; ++tid) {
          const int ty = tid / (Tile::BN / TN), tx = tid % (Tile::BN / TN);
          I column_offset[TN];
          for (int j = 0; j < TN; ++j) {
            const I col = j0 + tile_col<Tile>(tx, j);
            column_offset[j] = plan.splits == 1 && col < g.N ? c_column_offset(g, col) : 0;
          }
          for (int i = 0; i < TM; ++i) {
            const I m = m0 + tile_row<Tile>(ty, i);
            const double b_m = plan.splits == 1 ? row_bias(g, m, bias) : 0.0;
            for (int j = 0; j < TN; ++j)
              store_result(g, m, j0 + tile_col<Tile>(tx, j), column_offset[j], b_m, acc[tid][i * TN + j], split,
                           plan.splits, c, partial.data());
          }
        }
      }
  if (plan.splits > 1)
    for (int64_t e = 0; e < wide.M * wide.N; ++e) reduce_splits(wide, e, plan.splits, partial.data(), bias, c);
}

// How a product is run: the launcher's own plan, or a forced tile and split
// count; in 64-bit indices (the launcher's default) or 32-bit ones where they
// fit (what ForceGemmKernel's index32 asks for).
struct Variant {
  bool automatic = true;
  TileKind tile = TileKind::Medium;
  int64_t splits_wanted = 1;
  bool index32 = false;
  bool definition = false;  // instead of the kernel: the plain triple loop over a/b/c_offset
};

std::string describe(const Variant& v) {
  if (v.definition) return "definition";
  const std::string index = v.index32 ? ", 32-bit indices" : "";
  if (v.automatic) return "plan_gemm" + index;
  return std::string(tile_name(v.tile)) + " x" + std::to_string(v.splits_wanted) + " splits" + index;
}

// C = A @ B (+ bias) by the maps alone, one element at a time.
void by_definition(const ConvGemm& g, const double* a, const double* b, const double* bias, double* c) {
  for (int64_t m = 0; m < g.M; ++m)
    for (int64_t j = 0; j < g.N; ++j) {
      double sum = 0.0;
      for (int64_t k = 0; k < g.K; ++k) {
        int64_t off = 0;
        if (b_offset(g, k, j, off)) sum += a[a_offset(g, m, k)] * b[off];
      }
      c[c_offset(g, m, j)] = sum + row_bias(g, m, bias);
    }
}

void run(const ConvGemm& g, const Variant& v, const double* a, const double* b, const double* bias, double* c) {
  if (v.definition) return by_definition(g, a, b, bias, c);
  const GemmPlan plan = v.automatic ? plan_gemm(g) : split_plan(g, v.tile, v.splits_wanted);
  const bool index32 = v.index32 && fits_index32(g, plan.splits);  // as the launcher decides
  with_tile(plan.tile, [&](auto tile) {
    if (index32)
      emulate_gemm<decltype(tile), int32_t>(g, plan, a, b, bias, c);
    else
      emulate_gemm<decltype(tile), int64_t>(g, plan, a, b, bias, c);
  });
}

// The three passes as kernels/conv/implicit_gemm.cu launches them.
void gather(const ConvFrame& f, const Variant& v, const double* w, const double* in, const double* bias, double* out) {
  run(gather_gemm(f), v, w, in, bias, out);
}
void scatter(const ConvFrame& f, const Variant& v, const double* w, const double* out, const double* bias, double* in) {
  for (int64_t phase = 0; phase < scatter_gemm_count(f); ++phase) run(scatter_gemm(f, phase), v, w, out, bias, in);
}
void weight_grad(const ConvFrame& f, const Variant& v, const double* out, const double* in, double* dw) {
  run(weight_gemm(f), v, out, in, nullptr, dw);
}

std::vector<Variant> variants() {
  std::vector<Variant> vs;
  Variant def;
  def.definition = true;
  vs.push_back(def);
  for (const bool index32 : {false, true}) {
    Variant automatic;
    automatic.index32 = index32;
    vs.push_back(automatic);
    // Split in 3 (fewer when K is short): the last split is the short one. The
    // automatic plan covers the unsplit epilogue.
    for (TileKind t : kAllTiles) {
      Variant v;
      v.automatic = false;
      v.tile = t;
      v.splits_wanted = 3;
      v.index32 = index32;
      vs.push_back(v);
    }
  }
  return vs;
}

std::vector<double> poisoned(int64_t n) {
  return std::vector<double>(static_cast<size_t>(n), std::numeric_limits<double>::quiet_NaN());
}

// ---- whole convolutions ----------------------------------------------------------------

using test::ConvCase;
using test::conv2d_edge_cases;
using test::conv_transpose2d_edge_cases;

// Every pass of Op on every case and variant against the CPU reference. In the
// frame, conv2d's x is the in side and y the out side; conv_transpose2d swaps them.
template <typename Op>
void check_passes(const std::vector<ConvCase>& cases, uint32_t seed) {
  for (const ConvCase& cs : cases) {
    const test::HostProblem<Op> t(cs, seed);
    const ConvFrame f = conv_frame(t.p);
    const double* w = t.w.data();
    const double* x = t.x.data();
    const double* dy = t.dy.data();
    for (const Variant& v : variants()) {
      SCOPED_TRACE(std::string(Op::kName) + " " + test::describe(cs) + ", " + describe(v));
      auto y = poisoned(static_cast<int64_t>(t.y_ref.size()));
      auto dx = poisoned(static_cast<int64_t>(t.dx_ref.size()));
      auto dw = poisoned(static_cast<int64_t>(t.dw_ref.size()));
      if (Op::kTransposed) {
        scatter(f, v, w, x, t.bias(), y.data());
        gather(f, v, w, dy, nullptr, dx.data());
        weight_grad(f, v, x, dy, dw.data());
      } else {
        gather(f, v, w, x, t.bias(), y.data());
        scatter(f, v, w, dy, nullptr, dx.data());
        weight_grad(f, v, dy, x, dw.data());
      }
      EXPECT_LT(test::max_rel_error(y, t.y_ref), kTol) << "forward";
      EXPECT_LT(test::max_rel_error(dx, t.dx_ref), kTol) << "backward-data";
      EXPECT_LT(test::max_rel_error(dw, t.dw_ref), kTol) << "backward-weight";
    }
  }
}

TEST(ConvImplicitGemm, Conv2dPassesMatchTheCpuReference) { check_passes<test::Conv2dOp>(conv2d_edge_cases(), 1); }

TEST(ConvImplicitGemm, ConvTranspose2dPassesMatchTheCpuReference) {
  check_passes<test::ConvTranspose2dOp>(conv_transpose2d_edge_cases(), 100);
}

// The own CUDA gemm of matmul and Linear (kernels/matmul/cuda.cu) is this
// kernel given dense_gemm: every transpose, shapes that are not multiples of
// any tile (M = 1 and N = 1 included), every tile and split-K forced.
TEST(ConvImplicitGemm, DenseProductsMatchAPlainMatmul) {
  struct Dims {
    int64_t M, N, K;
  };
  const Dims dims[] = {{5, 7, 3}, {33, 65, 17}, {1, 130, 9}, {130, 1, 300}, {17, 300, 600}, {129, 131, 8}};
  std::mt19937 rng(7);
  std::normal_distribution<double> normal;
  for (const Dims& d : dims)
    for (const bool trans_a : {false, true})
      for (const bool trans_b : {false, true}) {
        std::vector<double> a(static_cast<size_t>(d.M * d.K)), b(static_cast<size_t>(d.K * d.N));
        for (double& v : a) v = normal(rng);
        for (double& v : b) v = normal(rng);
        // Stored [M,K] or [K,M]; [K,N] or [N,K].
        const auto A = [&](int64_t m, int64_t k) { return trans_a ? a[k * d.M + m] : a[m * d.K + k]; };
        const auto B = [&](int64_t k, int64_t j) { return trans_b ? b[j * d.K + k] : b[k * d.N + j]; };
        std::vector<double> ref(static_cast<size_t>(d.M * d.N));
        for (int64_t m = 0; m < d.M; ++m)
          for (int64_t j = 0; j < d.N; ++j) {
            double sum = 0.0;
            for (int64_t k = 0; k < d.K; ++k) sum += A(m, k) * B(k, j);
            ref[m * d.N + j] = sum;
          }
        const ConvGemm g = dense_gemm(trans_a, trans_b, d.M, d.N, d.K);
        for (const Variant& v : variants()) {
          SCOPED_TRACE(std::to_string(d.M) + "x" + std::to_string(d.N) + "x" + std::to_string(d.K) +
                       (trans_a ? " A^T" : "") + (trans_b ? " B^T" : "") + ", " + describe(v));
          auto c = poisoned(d.M * d.N);
          run(g, v, a.data(), b.data(), nullptr, c.data());
          EXPECT_LT(test::max_rel_error(c, ref), kTol);
        }
      }
}

// ---- the pieces ------------------------------------------------------------------------------

std::vector<ConvFrame> all_frames() {
  std::vector<ConvFrame> frames;
  for (const ConvCase& c : conv2d_edge_cases()) frames.push_back(conv_frame(test::Conv2dOp::params(c, c.N)));
  for (const ConvCase& c : conv_transpose2d_edge_cases())
    frames.push_back(conv_frame(test::ConvTranspose2dOp::params(c, c.N)));
  return frames;
}

// A pass's products, and the sizes of the tensors behind A, B and C.
struct PassMaps {
  const char* name;
  std::vector<ConvGemm> gemms;
  int64_t a_size, b_size, c_size;
};

std::vector<PassMaps> pass_maps(const ConvFrame& f) {
  const int64_t in = f.N * f.C_in * f.H_in * f.W_in, out = f.N * f.C_out * f.H_out * f.W_out;
  const int64_t w = f.C_out * f.C_in * f.R * f.S;
  PassMaps scatter_maps{"scatter", {}, w, out, in};
  for (int64_t phase = 0; phase < scatter_gemm_count(f); ++phase) scatter_maps.gemms.push_back(scatter_gemm(f, phase));
  return {PassMaps{"gather", {gather_gemm(f)}, w, in, out}, scatter_maps,
          PassMaps{"weight_grad", {weight_gemm(f)}, out, in, w}};
}

// On the GPU a stray address corrupts memory silently; here every address the
// maps can produce is checked, and every result element must be written by
// exactly one (product, m, j): the scatter's phases tile the in side.
TEST(ConvImplicitGemm, MapsStayInsideTheTensorsAndWriteEveryResultOnce) {
  for (const ConvFrame& f : all_frames())
    for (const PassMaps& pass : pass_maps(f)) {
      SCOPED_TRACE(std::string(pass.name) + " in " + std::to_string(f.C_in) + "x" + std::to_string(f.H_in) + "x" +
                   std::to_string(f.W_in) + " out " + std::to_string(f.C_out) + "x" + std::to_string(f.H_out) + "x" +
                   std::to_string(f.W_out) + " stride " + std::to_string(f.stride));
      std::vector<int> writes(static_cast<size_t>(pass.c_size), 0);
      for (const ConvGemm& g : pass.gemms) {
        for (int64_t m = 0; m < g.M; ++m) {
          for (int64_t j = 0; j < g.N; ++j) {
            const int64_t off = c_offset(g, m, j);
            ASSERT_TRUE(off >= 0 && off < pass.c_size) << "C[" << m << ", " << j << "] -> " << off;
            ++writes[static_cast<size_t>(off)];
          }
          for (int64_t k = 0; k < g.K; ++k) {
            const int64_t off = a_offset(g, m, k);
            ASSERT_TRUE(off >= 0 && off < pass.a_size) << "A[" << m << ", " << k << "] -> " << off;
          }
        }
        for (int64_t k = 0; k < g.K; ++k)
          for (int64_t j = 0; j < g.N; ++j) {
            int64_t off = 0;
            if (!b_offset(g, k, j, off)) continue;  // padding: never read
            ASSERT_TRUE(off >= 0 && off < pass.b_size) << "B[" << k << ", " << j << "] -> " << off;
          }
      }
      for (size_t i = 0; i < writes.size(); ++i) ASSERT_EQ(writes[i], 1) << "result element " << i;
    }
}

TEST(ConvImplicitGemm, CursorAdvanceMatchesDivision) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int64_t> radix(1, 9), stride(-50, 50);
  for (int trial = 0; trial < 500; ++trial) {
    ConvGemm g;
    g.k_mid = radix(rng);
    g.k_inner = radix(rng);
    const KStrides<int64_t> s{stride(rng), stride(rng), stride(rng)};
    const int64_t start = std::uniform_int_distribution<int64_t>(0, 200)(rng);
    const int64_t step = std::uniform_int_distribution<int64_t>(1, 40)(rng);
    const KStep<int64_t> st = make_k_step(g, step, s);
    KCursor<int64_t> c = make_k_cursor(g, start, s);
    for (int i = 1; i <= 30; ++i) {
      advance(c, st, g);
      const KCursor<int64_t> want = make_k_cursor(g, start + i * step, s);
      ASSERT_EQ(c.k, want.k);
      ASSERT_EQ(c.d1, want.d1) << "mid " << g.k_mid << " inner " << g.k_inner << " step " << step;
      ASSERT_EQ(c.d2, want.d2);
      ASSERT_EQ(c.offset, want.offset);
    }
  }
}

// Every in row belongs to exactly one stride phase, and a phase's taps are
// exactly the kernel rows whose out row is a whole number (inside the out
// side or not: B reads those outside as 0).
TEST(ConvImplicitGemm, ScatterPhasesPartitionTheRowsAndTaps) {
  for (int64_t stride = 1; stride <= 4; ++stride)
    for (int64_t pad = 0; pad <= 3; ++pad)
      for (int64_t kernel = 1; kernel <= 6; ++kernel)
        for (int64_t in_size = 1; in_size <= 9; ++in_size) {
          std::vector<int> seen(static_cast<size_t>(in_size), 0);
          for (int64_t phi = 0; phi < stride; ++phi) {
            const ScatterPhase ph = scatter_phase(phi, in_size, kernel, stride, pad);
            for (int64_t i = 0; i < ph.count; ++i) {
              const int64_t h = ph.first + stride * i;
              ASSERT_LT(h, in_size);
              ++seen[static_cast<size_t>(h)];
              int64_t taps = 0;
              for (int64_t r = 0; r < kernel; ++r) {
                if (((h + pad - r) % stride + stride) % stride != 0) continue;  // off the stride grid
                ASSERT_EQ(r, phi + stride * taps) << "stride " << stride << " pad " << pad << " h " << h;
                ASSERT_EQ((h + pad - r) / stride, i + ph.off - taps);  // the out row the GEMM reads
                ++taps;
              }
              ASSERT_EQ(taps, ph.taps);
            }
          }
          for (int v : seen) ASSERT_EQ(v, 1) << "stride " << stride << " pad " << pad << " size " << in_size;
        }
}

// position(t, i): element i of thread t's register block along one axis of
// `extent`, with `per_thread` elements per thread. The elements come in
// float4-aligned runs of 4 and the threads cover the axis exactly once.
template <typename Position>
void check_register_axis(int extent, int per_thread, Position position) {
  std::vector<int> seen(static_cast<size_t>(extent), 0);
  for (int t = 0; t < extent / per_thread; ++t)
    for (int i = 0; i < per_thread; ++i) {
      ++seen[static_cast<size_t>(position(t, i))];
      if (i % 4 != 0) continue;
      EXPECT_EQ(position(t, i) % 4, 0);
      for (int e = 1; e < 4; ++e) EXPECT_EQ(position(t, i + e), position(t, i) + e);
    }
  for (int v : seen) EXPECT_EQ(v, 1);
}

template <typename Tile>
void check_register_blocks() {
  check_register_axis(Tile::BM, Tile::TM, [](int ty, int i) { return tile_row<Tile>(ty, i); });
  check_register_axis(Tile::BN, Tile::TN, [](int tx, int j) { return tile_col<Tile>(tx, j); });
  // Rows of the A tile stay 16-byte aligned for the float4 reads.
  EXPECT_EQ((Tile::BM + Tile::kPadA) % 4, 0);
  // The loads of one slice fill both tiles exactly once.
  std::vector<int> a_seen(static_cast<size_t>(Tile::BK * Tile::BM), 0),
      b_seen(static_cast<size_t>(Tile::BK * Tile::BN), 0);
  using L = TileLoader<Tile>;
  for (int tid = 0; tid < Tile::kThreads; ++tid) {
    for (int i = 0; i < Tile::kLoadsA; ++i) ++a_seen[static_cast<size_t>(L::a_k(tid) * Tile::BM + L::a_row(tid, i))];
    for (int i = 0; i < Tile::kLoadsB; ++i) ++b_seen[static_cast<size_t>(L::b_k(tid, i) * Tile::BN + L::b_col(tid))];
  }
  for (int v : a_seen) EXPECT_EQ(v, 1);
  for (int v : b_seen) EXPECT_EQ(v, 1);
}

TEST(ConvImplicitGemm, RegisterBlocksAndLoadsCoverTheTiles) {
  for (TileKind t : kAllTiles) {
    SCOPED_TRACE(tile_name(t));
    with_tile(t, [](auto tile) { check_register_blocks<decltype(tile)>(); });
  }
}

// The A-tile stores of one warp (BK k x 32/BK rows) land in 32 different
// banks for BK = 8; with BK = 16, k and k + 8 share a bank: 2-way.
template <typename Tile>
void check_a_store_banks() {
  using L = TileLoader<Tile>;
  for (int warp = 0; warp < Tile::kThreads / 32; ++warp)
    for (int i = 0; i < Tile::kLoadsA; ++i) {
      std::vector<int> bank(32, 0);
      for (int lane = 0; lane < 32; ++lane) {
        const int tid = warp * 32 + lane;
        ++bank[static_cast<size_t>((L::a_k(tid) * (Tile::BM + Tile::kPadA) + L::a_row(tid, i)) % 32)];
      }
      EXPECT_EQ(*std::max_element(bank.begin(), bank.end()), Tile::BK / 8);
    }
}

TEST(ConvImplicitGemm, ATileStoresSpreadOverTheBanks) {
  for (TileKind t : kAllTiles) {
    SCOPED_TRACE(tile_name(t));
    with_tile(t, [](auto tile) { check_a_store_banks<decltype(tile)>(); });
  }
}

TEST(ConvImplicitGemm, SplitPlanCoversKWithWholeSlices) {
  for (int64_t K : {0, 1, 7, 8, 9, 255, 256, 1000, 131072})
    for (int64_t wanted : {1, 2, 3, 100, 1000000}) {
      ConvGemm g;
      g.M = 64, g.N = 64, g.K = K;
      const GemmPlan p = split_plan(g, TileKind::Medium, wanted);
      EXPECT_EQ(p.chunk % MediumTile::BK, 0);
      EXPECT_GE(p.splits, 1);
      EXPECT_GE(p.splits * p.chunk, K) << "K " << K << " wanted " << wanted;
      if (K > 0) {
        EXPECT_LT((p.splits - 1) * p.chunk, K) << "an empty split";
      }
      EXPECT_LE(p.splits, std::max<int64_t>(wanted, 1));
    }
}

TEST(ConvImplicitGemm, PlanPicksTilesAndSplitsForDcganLayers) {
  // Discriminator's first layer at batch 128, weight gradient: 64 x 48 outputs,
  // K = 128*32*32. One tile: K is split to fill the GPU.
  const ConvGemm wg = weight_gemm(conv_frame(make_conv2d_params(128, 3, 64, 64, 64, 4, 4, 2, 1)));
  const GemmPlan pw = plan_gemm(wg);
  EXPECT_EQ(pw.tile, TileKind::Medium);
  EXPECT_GT(pw.splits, 100);
  // A middle layer's forward: 128 x (128*16*16) outputs: Large tiles, no split.
  const GemmPlan pf = plan_gemm(gather_gemm(conv_frame(make_conv2d_params(128, 64, 32, 32, 128, 4, 4, 2, 1))));
  EXPECT_EQ(pf.tile, TileKind::Large);
  EXPECT_EQ(pf.splits, 1);
  // The generator's last layer (64 -> 3): M = 3, Thin tiles.
  const ConvFrame last = conv_frame(make_conv_transpose2d_params(128, 64, 32, 32, 3, 4, 4, 2, 1, 0));
  EXPECT_EQ(plan_gemm(scatter_gemm(last, 0)).tile, TileKind::Thin);
  // The generator's first layer is one dense product of K = nz = 100.
  const ConvFrame first = conv_frame(make_conv_transpose2d_params(128, 100, 1, 1, 512, 4, 4, 1, 0, 0));
  EXPECT_TRUE(scatter_is_dense(first));
  EXPECT_EQ(scatter_gemm_count(first), 1);
  EXPECT_EQ(scatter_gemm(first, 0).K, 100);
}

// 32-bit indices for every pass of the DCGAN layers at batch 256, 64-bit ones
// once an operand passes 2^30 elements (the bound keeps a factor 2 spare).
TEST(ConvImplicitGemm, IndicesNarrowTo32BitsOnlyWhereTheyFit) {
  const ConvFrame mid = conv_frame(make_conv2d_params(256, 128, 16, 16, 256, 4, 4, 2, 1));
  EXPECT_TRUE(fits_index32(gather_gemm(mid), 1));
  EXPECT_TRUE(fits_index32(weight_gemm(mid), plan_gemm(weight_gemm(mid)).splits));
  for (int64_t phase = 0; phase < 4; ++phase) EXPECT_TRUE(fits_index32(scatter_gemm(mid, phase), 1));
  // in: 512 x 64 x 256 x 256 = 2^31 elements.
  const ConvFrame big = conv_frame(make_conv2d_params(512, 64, 256, 256, 64, 4, 4, 2, 1));
  EXPECT_FALSE(fits_index32(gather_gemm(big), 1));
  EXPECT_FALSE(fits_index32(weight_gemm(big), 1));
  // Just under: in has 2^28 elements.
  const ConvFrame under = conv_frame(make_conv2d_params(64, 64, 256, 256, 64, 4, 4, 2, 1));
  EXPECT_TRUE(fits_index32(gather_gemm(under), 1));
  // The bound covers every address the definition forms, over the whole product.
  for (const ConvGemm& g : {gather_gemm(mid), weight_gemm(mid), scatter_gemm(mid, 3)}) {
    int64_t largest = 0;
    for (int64_t m : {int64_t{0}, g.M - 1})
      for (int64_t k : {int64_t{0}, g.K - 1}) largest = std::max(largest, std::abs(a_offset(g, m, k)));
    for (int64_t j : {int64_t{0}, g.N - 1}) {
      largest = std::max(largest, std::abs(c_offset(g, g.M - 1, j)));
      for (int64_t k : {int64_t{0}, g.K - 1}) {
        int64_t off = 0;
        b_offset(g, k, j, off);
        largest = std::max(largest, std::abs(off));
      }
    }
    EXPECT_LE(largest, index_bound(g, 1));
  }
}

TEST(ConvImplicitGemm, PlanRefusesProductsBeyondTheGrid) {
  ConvGemm g;
  g.M = (kMaxGridY + 1) * LargeTile::BM, g.N = 1000, g.K = 10;
  EXPECT_THROW(plan_gemm(g), ValueError);
  g.M = 10, g.N = int64_t{1} << 32;
  EXPECT_THROW(plan_gemm(g), ValueError);
}

}  // namespace
}  // namespace gan
