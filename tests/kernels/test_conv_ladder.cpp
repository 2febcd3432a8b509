// The convolution ladder (kernels/conv/ladder/): its table, each rung's index
// logic on the CPU, and every rung on a GPU against the CPU reference.
//
// On any machine:
//   - the table: unique names, numbered in order, ending at the production
//     kernel; the lookup by name, and its error listing the valid names;
//   - rungs 2-4 replayed on the CPU block by block and thread by thread, with
//     their own tiles and loaders (kernels/conv/ladder/tiles.h, and the
//     production TileLoader they share), in double: whole gathers (conv2d
//     forward, conv_transpose2d backward-data) on the shapes of
//     conv_test_util.h must match the CPU reference to 1e-12; every tile
//     element is stored once per slice, every output once; the inputs sit
//     between NaN guards, so a load outside its tensor cannot pass;
//   - the shared-memory bank conflicts each rung's comment claims.
// On a GPU (skipped otherwise): every rung of the table, conv2d forward and
// conv_transpose2d backward-data, on the same edge shapes and the DCGAN 64x64
// layers at batch 1, 2, 64 and 128, outputs poisoned with NaN first; float32
// against the CPU reference computed in double from the same inputs:
// ||out - ref|| / ||ref|| <= 1e-5 (per image on images 0, N/2, N-1 for
// batches above 3; every other element must still be written).
//
//   build/tests/gan_tests --gtest_filter='ConvLadder*:CudaConvLadder*'
//   compute-sanitizer --tool racecheck build/tests/gan_tests --gtest_filter='CudaConvLadder.EdgeShapes'
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "kernels/conv/frame.h"
#include "kernels/conv/implicit_gemm.h"
#include "kernels/conv/ladder/ladder.h"
#include "kernels/conv/ladder/tiles.h"
#include "tests/kernels/conv_test_util.h"
#include "tests/kernels/cuda_test_util.h"
#include "tests/kernels/kernel_test_util.h"

namespace gan {
namespace {

using conv_gemm::ConvGemm;
using conv_gemm::GemmSteps;
using test::ConvCase;

// ---- the table ----------------------------------------------------------------------------

TEST(ConvLadder, RungsAreNumberedInOrderAndEndAtTheProductionKernel) {
  const auto rungs = conv_ladder();
  ASSERT_GE(rungs.size(), 2u);
  std::set<std::string> names;
  for (size_t i = 0; i < rungs.size(); ++i) {
    const std::string name = rungs[i].name;
    SCOPED_TRACE(name);
    EXPECT_TRUE(names.insert(name).second) << "duplicate name";
    EXPECT_EQ(name.substr(0, name.find('_')), std::to_string(i + 1)) << "the number is the rung's place";
    EXPECT_NE(std::string(rungs[i].summary), "");
    EXPECT_NE(std::string(rungs[i].file), "");
    EXPECT_NE(rungs[i].gather, nullptr);
  }
  EXPECT_EQ(std::string(rungs.front().name), "1_naive");
  EXPECT_EQ(std::string(rungs.back().name), "5_implicit_gemm");
  EXPECT_EQ(std::string(rungs.back().file), "kernels/conv/implicit_gemm.cu");
#if defined(GAN_HAVE_CUDA)
  EXPECT_EQ(rungs.front().gather, &cuda::conv::gather_naive);
  EXPECT_EQ(rungs.back().gather, &cuda::conv::gather) << "the last rung is the production kernel, not a copy";
#endif
}

TEST(ConvLadder, LookupByNameFindsEachRungAndListsTheNamesOtherwise) {
  for (const ConvLadderRung& rung : conv_ladder()) EXPECT_EQ(&conv_ladder_rung(rung.name), &rung);
  for (const char* bad : {"", "6_tensor_cores", "naive", "2_smem"}) {
    SCOPED_TRACE(bad);
    try {
      conv_ladder_rung(bad);
      ADD_FAILURE() << "no ValueError";
    } catch (const ValueError& e) {
      const std::string what = e.what();
      for (const ConvLadderRung& rung : conv_ladder()) EXPECT_NE(what.find(rung.name), std::string::npos) << what;
    }
  }
}

// ---- rungs 2-4 on the CPU ---------------------------------------------------------------------

// What the emulation needs of a rung: its tile, its loader, and where each of
// a thread's loads goes in the (logical) tiles A[m][k] and B[k][j].
template <typename Tile_>
struct ProductionLoaderRung {  // rungs 2 and 3: conv_gemm::TileLoader
  using Tile = Tile_;
  using Loader = conv_gemm::TileLoader<Tile>;
  static constexpr int kLoadsA = Loader::kLoadsA, kLoadsB = Loader::kLoadsB;
  static Loader make(const ConvGemm& g, int tid, int64_t m0, int64_t j0, bool) {
    return Loader(g, tid, m0, j0, 0, g.K);
  }
  static std::pair<int, int> a_at(int tid, int i) { return {Loader::a_row(tid, i), Loader::a_k(tid)}; }
  static std::pair<int, int> b_at(int tid, int i) { return {Loader::b_k(tid, i), Loader::b_col(tid)}; }
  static void next(Loader& l, const ConvGemm& g, const GemmSteps& s) { l.next_slice(g, s.a_slice, s.b_slice); }
};

struct VectorRung {  // rung 4: conv_rung::VectorLoader
  using Tile = conv_rung::VectorTile;
  using Loader = conv_rung::VectorLoader<Tile>;
  static constexpr int kLoadsA = 4, kLoadsB = Loader::kLoadsB;
  static Loader make(const ConvGemm& g, int tid, int64_t m0, int64_t j0, bool vectorizable) {
    return Loader(g, tid, m0, j0, vectorizable);
  }
  static std::pair<int, int> a_at(int tid, int e) { return {Loader::a_row(tid), Loader::a_k(tid) + e}; }
  static std::pair<int, int> b_at(int tid, int i) { return {Loader::b_k(tid, i), Loader::b_col(tid)}; }
  static void next(Loader& l, const ConvGemm& g, const GemmSteps& s) { l.next_slice(g, s.b_slice); }
};

using Rung2 = ProductionLoaderRung<conv_rung::SmemTile>;
using Rung3 = ProductionLoaderRung<conv_rung::RegisterTile>;

// A tensor between two NaN guards as long as itself: a load outside it poisons the result.
struct Guarded {
  std::vector<double> data;
  size_t n;
  explicit Guarded(const std::vector<double>& v) : data(3 * v.size(), std::numeric_limits<double>::quiet_NaN()),
                                                   n(v.size()) {
    std::copy(v.begin(), v.end(), data.begin() + static_cast<std::ptrdiff_t>(n));
  }
  const double* get() const { return data.data() + n; }
};

// The rung's kernel on the CPU: out = gather(w, in) + bias, with the checks above.
template <typename Rung>
std::vector<double> emulate(const ConvFrame& f, const std::vector<double>& w, const std::vector<double>& in,
                            const double* bias, size_t out_size, bool vectorizable) {
  using Tile = typename Rung::Tile;
  constexpr int BM = Tile::BM, BN = Tile::BN, BK = Tile::BK, TM = Tile::TM, TN = Tile::TN;
  const ConvGemm g = conv_gemm::gather_gemm(f);
  EXPECT_EQ(static_cast<size_t>(g.M * g.N), out_size);
  const GemmSteps steps = conv_gemm::make_gemm_steps(g, BK);
  const Guarded a(w), b(in);
  std::vector<double> out(out_size, std::numeric_limits<double>::quiet_NaN());
  std::vector<int> stores(out_size, 0);  // per (m, j)

  for (int64_t m0 = 0; m0 < g.M; m0 += BM)
    for (int64_t j0 = 0; j0 < g.N; j0 += BN) {
      std::vector<typename Rung::Loader> loaders;
      for (int tid = 0; tid < Tile::kThreads; ++tid) loaders.push_back(Rung::make(g, tid, m0, j0, vectorizable));
      std::vector<double> acc(static_cast<size_t>(Tile::kThreads * TM * TN), 0.0);
      for (int64_t k0 = 0; k0 < g.K; k0 += BK) {
        double a_tile[BM][BK], b_tile[BK][BN];
        int a_count[BM][BK] = {}, b_count[BK][BN] = {};
        for (int tid = 0; tid < Tile::kThreads; ++tid) {
          double ra[Rung::kLoadsA], rb[Rung::kLoadsB];
          loaders[static_cast<size_t>(tid)].fetch(g, steps.b_next, a.get(), b.get(), ra, rb);
          for (int i = 0; i < Rung::kLoadsA; ++i) {
            const auto [r, k] = Rung::a_at(tid, i);
            a_tile[r][k] = ra[i];
            ++a_count[r][k];
          }
          for (int i = 0; i < Rung::kLoadsB; ++i) {
            const auto [k, c] = Rung::b_at(tid, i);
            b_tile[k][c] = rb[i];
            ++b_count[k][c];
          }
        }
        for (int k = 0; k < BK; ++k) {
          for (int r = 0; r < BM; ++r)
            if (a_count[r][k] != 1) {
              ADD_FAILURE() << "A tile element (" << r << ", " << k << ") stored " << a_count[r][k] << " times";
              return {};
            }
          for (int c = 0; c < BN; ++c)
            if (b_count[k][c] != 1) {
              ADD_FAILURE() << "B tile element (" << k << ", " << c << ") stored " << b_count[k][c] << " times";
              return {};
            }
        }
        for (int tid = 0; tid < Tile::kThreads; ++tid) {
          for (int i = 0; i < TM; ++i)
            for (int j = 0; j < TN; ++j)
              for (int kk = 0; kk < BK; ++kk)
                acc[static_cast<size_t>((tid * TM + i) * TN + j)] +=
                    a_tile[Tile::out_row(tid, i)][kk] * b_tile[kk][Tile::out_col(tid, j)];
          Rung::next(loaders[static_cast<size_t>(tid)], g, steps);
        }
      }
      for (int tid = 0; tid < Tile::kThreads; ++tid)
        for (int i = 0; i < TM; ++i)
          for (int j = 0; j < TN; ++j) {
            const int64_t m = m0 + Tile::out_row(tid, i), col = j0 + Tile::out_col(tid, j);
            if (m < g.M && col < g.N) ++stores[static_cast<size_t>(m * g.N + col)];
            conv_rung::store_output(g, m, col, conv_rung::column_offset_or_0(g, col),
                                    acc[static_cast<size_t>((tid * TM + i) * TN + j)], bias, out.data());
          }
    }
  for (size_t e = 0; e < out_size; ++e)
    if (stores[e] != 1) {
      ADD_FAILURE() << "output (m, j) = (" << e / static_cast<size_t>(g.N) << ", " << e % static_cast<size_t>(g.N)
                    << ") stored " << stores[e] << " times";
      return {};
    }
  return out;  // M*N stores, each (m, j) once, and no NaN left below: each element written once
}

constexpr double kHostTol = 1e-12;

// conv2d forward (x the in side, with the case's bias) and conv_transpose2d
// backward-data (dy the in side, no bias), as the ladder's rungs run them.
template <typename Rung, typename Op>
void check_rung_on_host(const std::vector<ConvCase>& cases, uint32_t seed) {
  for (const ConvCase& cs : cases) {
    SCOPED_TRACE(std::string(Op::kName) + " " + test::describe(cs));
    const test::HostProblem<Op> t(cs, seed);
    const ConvFrame f = conv_frame(t.p);
    const ConvGemm g = conv_gemm::gather_gemm(f);
    const std::vector<double>& in = Op::kTransposed ? t.dy : t.x;
    const std::vector<double>& ref = Op::kTransposed ? t.dx_ref : t.y_ref;
    const double* bias = Op::kTransposed ? nullptr : t.bias();
    for (bool vectorizable : {conv_rung::a_rows_vectorizable(g, t.w.data()), false}) {
      SCOPED_TRACE(vectorizable ? "float4 A loads" : "scalar A loads");
      const std::vector<double> out = emulate<Rung>(f, t.w, in, bias, ref.size(), vectorizable);
      ASSERT_EQ(out.size(), ref.size());
      for (double v : out) ASSERT_TRUE(std::isfinite(v)) << "an output not written, or a load outside its tensor";
      EXPECT_LT(test::max_rel_error(out, ref), kHostTol);
    }
  }
}

template <typename Rung>
void check_rung_on_host() {
  check_rung_on_host<Rung, test::Conv2dOp>(test::conv2d_edge_cases(), 700);
  check_rung_on_host<Rung, test::ConvTranspose2dOp>(test::conv_transpose2d_edge_cases(), 800);
}

TEST(ConvLadderOnHost, SmemTilingMatchesTheCpuReference) { check_rung_on_host<Rung2>(); }
TEST(ConvLadderOnHost, RegisterBlockingMatchesTheCpuReference) { check_rung_on_host<Rung3>(); }
TEST(ConvLadderOnHost, VectorizedMatchesTheCpuReference) { check_rung_on_host<VectorRung>(); }

// Shapes that reach several row and column tiles of the 64x64 rungs, K not a
// multiple of the slice, and a K % 4 == 0 case for rung 4's float4 path.
TEST(ConvLadderOnHost, LargerShapesCrossSeveralTiles) {
  const std::vector<ConvCase> conv = {
      {2, 5, 11, 13, 70, 3, 3, 1, 1, 0, true},  // M = 70 > 64, N = 286 > 4*64, K = 45
      {1, 4, 12, 12, 65, 2, 2, 2, 0, 0, true},  // K = 16: float4 A loads, one slice
  };
  const std::vector<ConvCase> conv_t = {{1, 66, 5, 5, 3, 3, 3, 2, 1, 1, true}};  // gather M = 66
  check_rung_on_host<Rung3, test::Conv2dOp>(conv, 900);
  check_rung_on_host<VectorRung, test::Conv2dOp>(conv, 901);
  check_rung_on_host<VectorRung, test::ConvTranspose2dOp>(conv_t, 902);
}

// Rung 4 reads A's rows as plain arrays; the gather's weight is one.
TEST(ConvLadderOnHost, GatherWeightRowsAreContiguous) {
  for (const ConvCase& cs : test::conv2d_edge_cases()) {
    const ConvGemm g = conv_gemm::gather_gemm(conv_frame(test::Conv2dOp::params(cs, cs.N)));
    ASSERT_TRUE(conv_rung::a_rows_contiguous(g)) << test::describe(cs);
    for (int64_t m = 0; m < g.M; ++m)
      for (int64_t k = 0; k < g.K; ++k) ASSERT_EQ(conv_gemm::a_offset(g, m, k), g.a_base + m * g.a_m + k);
  }
  alignas(16) const float aligned[8] = {};
  ConvGemm g = conv_gemm::gather_gemm(conv_frame(make_conv2d_params(1, 3, 8, 8, 4, 4, 4, 2, 1)));  // K = 48
  EXPECT_TRUE(conv_rung::a_rows_vectorizable(g, aligned));
  EXPECT_FALSE(conv_rung::a_rows_vectorizable(g, reinterpret_cast<const char*>(aligned) + 4));
  g = conv_gemm::gather_gemm(conv_frame(make_conv2d_params(1, 3, 8, 8, 4, 3, 3, 1, 1)));  // K = 27
  EXPECT_FALSE(conv_rung::a_rows_vectorizable(g, aligned));
}

// ---- shared-memory bank conflicts ------------------------------------------------------------

// How many times a warp's shared access is serialised: 32 banks of 4-byte
// words; 16-byte accesses are served a quarter warp (8 threads) at a time.
// Per bank, the distinct words requested; the worst bank sets the count.
int conflict_ways(const std::vector<int>& word, int width) {
  const int per_phase = width == 4 ? 8 : 32;
  int worst = 1;
  for (size_t p0 = 0; p0 < word.size(); p0 += static_cast<size_t>(per_phase)) {
    std::set<int> words[32];
    for (size_t t = p0; t < p0 + static_cast<size_t>(per_phase); ++t)
      for (int e = 0; e < width; ++e) words[(word[t] + e) % 32].insert(word[t] + e);
    for (const auto& w : words) worst = std::max(worst, static_cast<int>(w.size()));
  }
  return worst;
}

// The worst conflict over every warp of a block, for an access whose word address is addr(tid).
template <typename Addr>
int worst_over_warps(int threads, int width, Addr addr) {
  int worst = 1;
  for (int w0 = 0; w0 < threads; w0 += 32) {
    std::vector<int> word;
    for (int tid = w0; tid < w0 + 32; ++tid) word.push_back(addr(tid));
    worst = std::max(worst, conflict_ways(word, width));
  }
  return worst;
}

TEST(ConvLadderOnHost, BankConflictsAreTheOnesTheRungsDescribe) {
  {  // rung 2: a_tile[16][16], b_tile[16][16], stored as loaded; one output per thread
    using T = conv_rung::SmemTile;
    using L = conv_gemm::TileLoader<T>;
    EXPECT_EQ(worst_over_warps(T::kThreads, 1, [](int t) { return L::a_row(t, 0) * T::BK + L::a_k(t); }), 1);
    EXPECT_EQ(worst_over_warps(T::kThreads, 1, [](int t) { return L::b_k(t, 0) * T::BN + L::b_col(t); }), 1);
    for (int kk = 0; kk < T::BK; ++kk) {
      EXPECT_EQ(worst_over_warps(T::kThreads, 1, [&](int t) { return T::out_row(t, 0) * T::BK + kk; }), 1);
      EXPECT_EQ(worst_over_warps(T::kThreads, 1, [&](int t) { return kk * T::BN + T::out_col(t, 0); }), 1);
    }
  }
  {  // rung 3: stores conflict-free, scalar fragment reads 2-way
    using T = conv_rung::RegisterTile;
    using L = conv_gemm::TileLoader<T>;
    for (int i = 0; i < L::kLoadsA; ++i)
      EXPECT_EQ(worst_over_warps(T::kThreads, 1, [&](int t) { return L::a_row(t, i) * T::BK + L::a_k(t); }), 1);
    for (int i = 0; i < L::kLoadsB; ++i)
      EXPECT_EQ(worst_over_warps(T::kThreads, 1, [&](int t) { return L::b_k(t, i) * T::BN + L::b_col(t); }), 1);
    for (int kk = 0; kk < T::BK; ++kk)
      for (int i = 0; i < T::TM; ++i) {
        EXPECT_EQ(worst_over_warps(T::kThreads, 1, [&](int t) { return T::out_row(t, i) * T::BK + kk; }), 2);
        EXPECT_EQ(worst_over_warps(T::kThreads, 1, [&](int t) { return kk * T::BN + T::out_col(t, i); }), 2);
      }
  }
  {  // rung 4: float4 fragment reads conflict-free and aligned; the transposing A stores 2-way
    using T = conv_rung::VectorTile;
    using L = conv_rung::VectorLoader<T>;
    constexpr int kRowA = T::BM + conv_rung::kVectorPadA;
    for (int kk = 0; kk < T::BK; ++kk) {
      EXPECT_EQ(worst_over_warps(T::kThreads, 4, [&](int t) { return kk * kRowA + T::out_row(t, 0); }), 1);
      EXPECT_EQ(worst_over_warps(T::kThreads, 4, [&](int t) { return kk * T::BN + T::out_col(t, 0); }), 1);
      for (int t = 0; t < T::kThreads; ++t) {
        ASSERT_EQ((kk * kRowA + T::out_row(t, 0)) % 4, 0);
        ASSERT_EQ((kk * T::BN + T::out_col(t, 0)) % 4, 0);
      }
    }
    for (int e = 0; e < 4; ++e)
      EXPECT_EQ(worst_over_warps(T::kThreads, 1, [&](int t) { return (L::a_k(t) + e) * kRowA + L::a_row(t); }), 2);
    for (int i = 0; i < L::kLoadsB; ++i)
      EXPECT_EQ(worst_over_warps(T::kThreads, 1, [&](int t) { return L::b_k(t, i) * T::BN + L::b_col(t); }), 1);
  }
}

// ---- every rung on a GPU --------------------------------------------------------------------

#if !defined(GAN_HAVE_CUDA)

TEST(CudaConvLadder, NeedsTheCudaBackend) {
  GTEST_SKIP() << "CPU-only build (configured without nvcc): the ladder's GPU tests are not compiled";
}

#else  // GAN_HAVE_CUDA

constexpr double kTolReference = 1e-5;

std::vector<double> to_double(const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); }
std::vector<float> to_float(const std::vector<double>& v) { return std::vector<float>(v.begin(), v.end()); }

std::vector<int64_t> sampled_images(int64_t N) {
  if (N <= 3) {
    std::vector<int64_t> all;
    for (int64_t n = 0; n < N; ++n) all.push_back(n);
    return all;
  }
  return {0, N / 2, N - 1};
}

template <typename T>
std::vector<T> take_images(const std::vector<T>& t, int64_t image_size, const std::vector<int64_t>& images) {
  std::vector<T> r;
  for (int64_t n : images) r.insert(r.end(), t.begin() + n * image_size, t.begin() + (n + 1) * image_size);
  return r;
}

// Every rung's gather for one case: conv2d forward (x -> y, with the case's
// bias) or conv_transpose2d backward-data (dy -> dx).
template <typename Op>
void check_case_on_gpu(const ConvCase& c, std::mt19937& rng) {
  const typename Op::Params p = Op::params(c, c.N);
  SCOPED_TRACE(std::string(Op::kName) + (Op::kTransposed ? " backward-data " : " forward ") + test::describe(c));
  const ConvFrame f = conv_frame(p);
  const int64_t in_image = f.C_in * f.H_in * f.W_in, out_image = f.C_out * f.H_out * f.W_out;
  const std::vector<float> in = test::random_vector(static_cast<size_t>(p.N * in_image), rng);
  const std::vector<float> w = test::random_vector(static_cast<size_t>(Op::w_size(p)), rng);
  const std::vector<float> b = test::random_vector(static_cast<size_t>(f.C_out), rng);
  const bool with_bias = c.bias && !Op::kTransposed;

  const std::vector<int64_t> images = sampled_images(p.N);
  const typename Op::Params ps = Op::params(c, static_cast<int64_t>(images.size()));
  const std::vector<double> in_d = to_double(take_images(in, in_image, images));
  const std::vector<double> w_d = to_double(w), b_d = to_double(b);
  std::vector<double> ref(images.size() * static_cast<size_t>(out_image));
  if (Op::kTransposed)
    Op::cpu_backward_data(in_d.data(), w_d.data(), ref.data(), ps);
  else
    Op::cpu_forward(in_d.data(), w_d.data(), with_bias ? b_d.data() : nullptr, ref.data(), ps);

  const test::DeviceBuffer dev_in(in), dev_w(w), dev_b(b);
  for (const ConvLadderRung& rung : conv_ladder()) {
    SCOPED_TRACE(rung.name);
    test::DeviceBuffer out(static_cast<size_t>(p.N * out_image));
    out.poison();
    rung.gather(f, dev_w.get(), dev_in.get(), with_bias ? dev_b.get() : nullptr, out.get());
    const std::vector<float> got = out.download();
    size_t unwritten = 0;
    for (float v : got) unwritten += std::isfinite(v) ? 0 : 1;
    EXPECT_EQ(unwritten, 0u) << "outputs left unwritten (NaN)";
    EXPECT_TRUE(test::close(take_images(got, out_image, images), to_float(ref), kTolReference));
  }
}

template <typename Op>
void check_cases_on_gpu(const std::vector<ConvCase>& cases, uint32_t seed) {
  std::mt19937 rng(seed);
  for (const ConvCase& c : cases) check_case_on_gpu<Op>(c, rng);
}

std::vector<ConvCase> at_batches(const std::vector<ConvCase>& layers, const std::vector<int64_t>& batches) {
  std::vector<ConvCase> cases;
  for (int64_t n : batches)
    for (ConvCase c : layers) {
      c.N = n;
      c.bias = cases.size() % 2 == 0;
      cases.push_back(c);
    }
  return cases;
}

// The 64x64 DCGAN's layers (nz = 100, ngf = ndf = 64), as in test_conv_cuda.cpp.
// N, C, H, W, K, R, S, stride, pad, output_padding, bias (N and bias set by at_batches)
const std::vector<ConvCase> kDcgan64Generator = {
    {0, 100, 1, 1, 512, 4, 4, 1, 0, 0, false},   // nz -> 4x4 (gather: M = 100, N = batch, K = 8192)
    {0, 512, 4, 4, 256, 4, 4, 2, 1, 0, false},   // 4 -> 8
    {0, 256, 8, 8, 128, 4, 4, 2, 1, 0, false},   // 8 -> 16
    {0, 128, 16, 16, 64, 4, 4, 2, 1, 0, false},  // 16 -> 32
    {0, 64, 32, 32, 3, 4, 4, 2, 1, 0, false},    // 32 -> 64, RGB (gather: K = 48)
};
const std::vector<ConvCase> kDcgan64Discriminator = {
    {0, 3, 64, 64, 64, 4, 4, 2, 1, 0, false},     // 64 -> 32 (K = 48)
    {0, 64, 32, 32, 128, 4, 4, 2, 1, 0, false},   // 32 -> 16
    {0, 128, 16, 16, 256, 4, 4, 2, 1, 0, false},  // 16 -> 8
    {0, 256, 8, 8, 512, 4, 4, 2, 1, 0, false},    // 8 -> 4
    {0, 512, 4, 4, 1, 4, 4, 1, 0, 0, false},      // 4 -> 1, one logit (M = 1)
};
const std::vector<int64_t> kDcganBatches = {1, 2, 64, 128};

TEST(CudaConvLadder, EdgeShapes) {
  GAN_SKIP_WITHOUT_CUDA();
  check_cases_on_gpu<test::Conv2dOp>(test::conv2d_edge_cases(), 51);
  check_cases_on_gpu<test::ConvTranspose2dOp>(test::conv_transpose2d_edge_cases(), 52);
}

TEST(CudaConvLadder, Dcgan64Layers) {
  GAN_SKIP_WITHOUT_CUDA();
  check_cases_on_gpu<test::Conv2dOp>(at_batches(kDcgan64Discriminator, kDcganBatches), 53);
  check_cases_on_gpu<test::ConvTranspose2dOp>(at_batches(kDcgan64Generator, kDcganBatches), 54);
}

#endif  // GAN_HAVE_CUDA

}  // namespace
}  // namespace gan
