// Rung 2 of the convolution ladder: shared-memory tiling, in the implicit-GEMM view.
//
// What changed from rung 1 and why. Rung 1 computes each output alone, so
// every weight is re-read by every output pixel and every input value by
// every output channel (and tap) that uses it: one FMA per two global loads.
// Here the gather is the product the production kernel computes,
//   C[M = C_out, N = batch*H_out*W_out] = A[M, K = C_in*R*S] (weight) @ B[K, N] (in, gathered)
// (conv_gemm::gather_gemm), and a block of 16x16 threads computes a 16x16
// tile of C together: per K slice of 16, each thread loads one element of the
// A slice [16 x 16] and one of the B slice [16 x 16] into shared memory, and
// then every thread reads the 16 values of its row of A and column of B from
// there. Each loaded value is used 16 times instead of once.
//
// Decomposition: grid x = column tiles (16 pixels), y = row tiles (16 output
// channels); 256 threads, thread (ty, tx) = (tid / 16, tid % 16) owns
// C[m0 + ty, j0 + tx]. The loads are the production kernel's
// (conv_gemm::TileLoader with this tile, kernels/conv/ladder/tiles.h): thread
// tid loads A[m0 + tid/16, k0 + tid%16] (16 consecutive weights per row) and
// B[k0 + tid/16, j0 + tid%16] (16 neighbouring pixels), its k digits carried
// by a KCursor (no division in the loop), padding taps read as 0.
// Shared memory: a_tile[16][16] + b_tile[16][16] = 2 KiB per block. Two
// barriers per slice: one before the tiles are read, one before they are
// overwritten.
// Cost: per slice a block loads 16*16 + 16*16 floats from global memory for
// 2*16*16*16 FLOPs: 16 FLOPs per load (4 FLOP/B), 16 times rung 1. But every
// FMA now reads two floats from shared memory (a_tile[ty][kk] is a broadcast
// to the 16 threads of a row, b_tile[kk][tx] 16 consecutive words), and an SM
// serves far fewer shared-memory loads per clock than FMAs (32 lanes of loads
// vs 128 lanes of FMA per clock on an H100 SM): the shared-memory pipe, not
// FMA, bounds this rung, at about 1/8 of FP32 peak. Rung 3 fixes that ratio.
#include "core/cuda/cuda_check.h"
#include "kernels/conv/ladder/ladder.h"
#include "kernels/conv/ladder/tiles.h"

namespace gan::cuda {

namespace {

using conv_rung::SmemTile;

__global__ void __launch_bounds__(SmemTile::kThreads)
    smem_tiling_kernel(const conv_gemm::ConvGemm g, const conv_gemm::GemmSteps steps, const float* __restrict__ a,
                       const float* __restrict__ b, const float* __restrict__ bias, float* __restrict__ c) {
  constexpr int T = SmemTile::BK;  // = BM = BN
  using Loader = conv_gemm::TileLoader<SmemTile>;
  __shared__ float a_tile[T][T];  // a_tile[m][k], as loaded
  __shared__ float b_tile[T][T];  // b_tile[k][j]

  const int tid = static_cast<int>(threadIdx.x);
  const int64_t m0 = static_cast<int64_t>(blockIdx.y) * T, j0 = static_cast<int64_t>(blockIdx.x) * T;
  Loader loader(g, tid, m0, j0, 0, g.K);
  const int ty = SmemTile::out_row(tid, 0), tx = SmemTile::out_col(tid, 0);

  float acc = 0.0f;
  for (int64_t k0 = 0; k0 < g.K; k0 += T) {
    float ra[1], rb[1];
    loader.fetch(g, steps.b_next, a, b, ra, rb);
    a_tile[Loader::a_row(tid, 0)][Loader::a_k(tid)] = ra[0];
    b_tile[Loader::b_k(tid, 0)][Loader::b_col(tid)] = rb[0];
    __syncthreads();  // the slice is in shared memory
    GAN_UNROLL
    for (int kk = 0; kk < T; ++kk) acc = fmaf(a_tile[ty][kk], b_tile[kk][tx], acc);
    __syncthreads();  // everyone is done with it before the next slice overwrites it
    loader.next_slice(g, steps.a_slice, steps.b_slice);
  }
  const int64_t m = m0 + ty, j = j0 + tx;
  conv_rung::store_output(g, m, j, conv_rung::column_offset_or_0(g, j), acc, bias, c);
}

}  // namespace

namespace conv {

void gather_smem_tiling(const ConvFrame& f, const float* w, const float* in, const float* bias, float* out) {
  const conv_gemm::ConvGemm g = conv_gemm::gather_gemm(f);
  if (g.M == 0 || g.N == 0) return;
  conv_rung::check_launch<SmemTile>(g, "2_smem_tiling");
  const dim3 grid(static_cast<unsigned>(conv_gemm::ceil_div(g.N, SmemTile::BN)),
                  static_cast<unsigned>(conv_gemm::ceil_div(g.M, SmemTile::BM)));
  smem_tiling_kernel<<<grid, SmemTile::kThreads, 0, current_stream()>>>(
      g, conv_gemm::make_gemm_steps(g, SmemTile::BK), w, in, bias, out);
  GAN_CUDA_CHECK_LAST();
}

}  // namespace conv

}  // namespace gan::cuda
