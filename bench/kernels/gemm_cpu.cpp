// The CPU gemm (kernels/matmul/cpu.cpp) on the products the 28x28 DCGAN's
// layers make of it at batch 64 (ngf = ndf = 32, the CPU default; layers named
// G1..G3, D1..D3 as in models/dcgan.cpp), plus square products for reference.
//
//   per image    conv2d forward  w [K, CRS] @ col [CRS, PQ]    (NN)
//                conv2d bwd-data w^T @ dy [K, PQ]              (TN), and the
//                same shapes mirrored by conv_transpose2d
//   weight grad  gs [M, chunk*L] @ cols [rows, chunk*L]^T    (NT), chunk as
//                kernels/conv/im2col.h sizes it (5 images for G2/D2)
//   dense        G1 and D3, which are fully connected: one product per batch
//
// Name: gemm/<use>/<M>x<N>x<K>/<trans_a trans_b>. Counter FLOP/s = 2*M*N*K per
// call. Timing: wall clock per call, fixed-seed random inputs filled once. The
// gemm uses OpenMP; for per-core numbers run with OMP_NUM_THREADS=1, e.g.
//   OMP_NUM_THREADS=1 build/bench/bench_gemm_cpu --benchmark_repetitions=5
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "kernels/matmul/matmul.h"

namespace {

struct GemmCase {
  const char* use;
  bool trans_a, trans_b;
  int64_t M, N, K;
};

const GemmCase kCases[] = {
    {"D2_fwd_image", false, false, 64, 49, 512},    // also G2 bwd-data
    {"D2_bwd_data_image", true, false, 512, 49, 64},  // also G2 forward
    {"D1_fwd_image", false, false, 32, 196, 16},    // also G3 bwd-data
    {"D1_bwd_data_image", true, false, 16, 196, 32},  // also G3 forward
    {"D2_bwd_weight_chunk", false, true, 64, 512, 245},  // also G2
    {"D1_bwd_weight_chunk", false, true, 32, 16, 8036},  // also G3
    {"G1_fwd_dense", false, false, 64, 3136, 100},
    {"G1_bwd_weight_dense", true, false, 100, 3136, 64},
    {"D3_fwd_dense", false, true, 64, 1, 3136},
    {"square", false, false, 256, 256, 256},
    {"square", false, false, 1024, 1024, 1024},
    {"square_nt", false, true, 1024, 1024, 1024},  // a Linear layer's x @ w^T
    {"square_tt", true, true, 1024, 1024, 1024},
};

std::vector<float> random_vector(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

void run_gemm(benchmark::State& state, GemmCase c) {
  const std::vector<float> A = random_vector(c.M * c.K, 1);
  const std::vector<float> B = random_vector(c.K * c.N, 2);
  std::vector<float> C = random_vector(c.M * c.N, 3);
  for (auto _ : state) {
    gan::cpu::gemm(c.trans_a, c.trans_b, c.M, c.N, c.K, 1.0f, A.data(), B.data(), 0.0f, C.data());
    benchmark::ClobberMemory();
  }
  state.counters["FLOP/s"] =
      benchmark::Counter(2.0 * static_cast<double>(c.M * c.N * c.K), benchmark::Counter::kIsIterationInvariantRate);
}

const bool kRegistered = [] {
  for (const GemmCase& c : kCases) {
    const std::string name = std::string("gemm/") + c.use + "/" + std::to_string(c.M) + "x" + std::to_string(c.N) +
                             "x" + std::to_string(c.K) + "/" + (c.trans_a ? "T" : "N") + (c.trans_b ? "T" : "N");
    benchmark::RegisterBenchmark(name.c_str(), run_gemm, c)->UseRealTime()->Unit(benchmark::kMicrosecond);
  }
  return true;
}();

}  // namespace

BENCHMARK_MAIN();
