// Rung 3 of the convolution ladder: register blocking.
//
// What changed from rung 2 and why. Rung 2 reads two floats from shared
// memory per FMA, and shared memory, not the FMA units, is then the limit.
// Here each thread computes a 4x4 block of outputs: per k it reads 4 values
// of A (its 4 rows) and 4 of B (its 4 columns) into registers and does all
// 16 products, 8 shared loads per 16 FMAs, a quarter of rung 2's ratio. The
// block tile grows to 64x64 (256 threads of 4x4) so that the global loads are
// shared by 64 rows and 64 columns as well; K slices shrink to 8 to keep the
// tiles at 4 KiB.
//
// Decomposition: grid x = column tiles (64 pixels), y = row tiles (64 output
// channels); 256 threads, thread (ty, tx) = (tid / 16, tid % 16) owns the
// contiguous outputs C[m0 + 4*ty + i, j0 + 4*tx + j], i, j < 4 (16 float
// accumulators). Loads per slice, with the production loader
// (conv_gemm::TileLoader, kernels/conv/ladder/tiles.h): 2 elements of A per
// thread (8 threads cover 8 consecutive weights of a row; rows tid/8 and
// tid/8 + 32) and 2 of B (one pixel column, 2 consecutive k).
// Shared memory: a_tile[64][8] + b_tile[8][64] = 4 KiB per block, both
// stored as loaded (conflict-free stores).
// Cost: per slice 64*8 + 8*64 floats loaded for 2*64*64*8 FLOPs: 64 FLOPs per
// global load (16 FLOP/B), 4 times rung 2. Shared-memory side: the fragment
// reads are scalar and, in each warp, the two thread rows' a_tile reads
// (rows 4*ty + i, 32 words apart) and the b_tile reads of columns 4*tx and
// 4*(tx + 8) (also 32 words apart) fall in the same banks: 2-way conflicts,
// so 8 loads cost 16 shared-memory cycles per 16 FMAs (4 FMA cycles): still
// bound by shared memory, at up to ~1/4 of FP32 peak. Rung 4 removes the
// conflicts and the scalar reads.
#include "core/cuda/cuda_check.h"
#include "kernels/conv/ladder/ladder.h"
#include "kernels/conv/ladder/tiles.h"

namespace gan::cuda {

namespace {

using conv_rung::RegisterTile;

__global__ void __launch_bounds__(RegisterTile::kThreads)
    register_blocking_kernel(const conv_gemm::ConvGemm g, const conv_gemm::GemmSteps steps,
                             const float* __restrict__ a, const float* __restrict__ b, const float* __restrict__ bias,
                             float* __restrict__ c) {
  constexpr int BM = RegisterTile::BM, BN = RegisterTile::BN, BK = RegisterTile::BK;
  constexpr int TM = RegisterTile::TM, TN = RegisterTile::TN;
  using Loader = conv_gemm::TileLoader<RegisterTile>;
  __shared__ float a_tile[BM][BK];  // a_tile[m][k], as loaded
  __shared__ float b_tile[BK][BN];  // b_tile[k][j]

  const int tid = static_cast<int>(threadIdx.x);
  const int64_t m0 = static_cast<int64_t>(blockIdx.y) * BM, j0 = static_cast<int64_t>(blockIdx.x) * BN;
  Loader loader(g, tid, m0, j0, 0, g.K);

  float acc[TM][TN] = {};
  for (int64_t k0 = 0; k0 < g.K; k0 += BK) {
    float ra[Loader::kLoadsA], rb[Loader::kLoadsB];
    loader.fetch(g, steps.b_next, a, b, ra, rb);
    GAN_UNROLL
    for (int i = 0; i < Loader::kLoadsA; ++i) a_tile[Loader::a_row(tid, i)][Loader::a_k(tid)] = ra[i];
    GAN_UNROLL
    for (int i = 0; i < Loader::kLoadsB; ++i) b_tile[Loader::b_k(tid, i)][Loader::b_col(tid)] = rb[i];
    __syncthreads();  // the slice is in shared memory
    GAN_UNROLL
    for (int kk = 0; kk < BK; ++kk) {
      float a_frag[TM], b_frag[TN];  // this thread's rows of A and columns of B at kk
      GAN_UNROLL
      for (int i = 0; i < TM; ++i) a_frag[i] = a_tile[RegisterTile::out_row(tid, i)][kk];
      GAN_UNROLL
      for (int j = 0; j < TN; ++j) b_frag[j] = b_tile[kk][RegisterTile::out_col(tid, j)];
      GAN_UNROLL
      for (int i = 0; i < TM; ++i) {
        GAN_UNROLL
        for (int j = 0; j < TN; ++j) acc[i][j] = fmaf(a_frag[i], b_frag[j], acc[i][j]);
      }
    }
    __syncthreads();  // everyone is done with the slice before the next overwrites it
    loader.next_slice(g, steps.a_slice, steps.b_slice);
  }

  int64_t column_offset[TN];  // the output map's divisions once per column
  GAN_UNROLL
  for (int j = 0; j < TN; ++j) column_offset[j] = conv_rung::column_offset_or_0(g, j0 + RegisterTile::out_col(tid, j));
  GAN_UNROLL
  for (int i = 0; i < TM; ++i) {
    GAN_UNROLL
    for (int j = 0; j < TN; ++j)
      conv_rung::store_output(g, m0 + RegisterTile::out_row(tid, i), j0 + RegisterTile::out_col(tid, j),
                                column_offset[j], acc[i][j], bias, c);
  }
}

}  // namespace

namespace conv {

void gather_register_blocking(const ConvFrame& f, const float* w, const float* in, const float* bias, float* out) {
  const conv_gemm::ConvGemm g = conv_gemm::gather_gemm(f);
  if (g.M == 0 || g.N == 0) return;
  conv_rung::check_launch<RegisterTile>(g, "3_register_blocking");
  const dim3 grid(static_cast<unsigned>(conv_gemm::ceil_div(g.N, RegisterTile::BN)),
                  static_cast<unsigned>(conv_gemm::ceil_div(g.M, RegisterTile::BM)));
  register_blocking_kernel<<<grid, RegisterTile::kThreads, 0, current_stream()>>>(
      g, conv_gemm::make_gemm_steps(g, RegisterTile::BK), w, in, bias, out);
  GAN_CUDA_CHECK_LAST();
}

}  // namespace conv

}  // namespace gan::cuda
