// Rung 4 of the convolution ladder: vectorised loads, A transposed in shared memory.
//
// What changed from rung 3 and why. Rung 3 reads its fragments with 8 scalar
// shared loads per k, each a 2-way bank conflict. Here A is stored k-major
// (a_tile[k][m], transposed while storing), so a thread's 4 rows at one k are
// 4 consecutive floats, like its 4 columns of B: each fragment is one 16-byte
// read. Per 16 FMAs a thread now issues 2 shared loads instead of 8, and
// neither conflicts: the 8 threads of a quarter warp read one A address (a
// broadcast) and 128 consecutive bytes of B. On the global side, the weight
// rows are contiguous in k, so A is loaded as float4s (4 threads per row, 64
// contiguous bytes) where the rows allow it (K % 4 == 0 and 16-byte aligned;
// otherwise 4 scalar loads, the same elements). K slices grow to 16 so that
// the A slice [64 x 16] is exactly one float4 per thread. B stays scalar: its
// elements are gathered through the stride and the padding, no vector there.
// The price: a thread's 4 transposing stores go to 4 rows of a_tile, and with
// rows 68 floats long (64 + 4 of padding, which keeps the float4 reads
// aligned) the quads k and k+8 of a row land in the same bank: a 2-way
// conflict on 4 stores per 16-k slice, small next to the 96 shared loads
// per slice it saves (32 float4 reads instead of 128 scalar ones).
// (The production kernel loads A as scalars instead, 8 threads along k,
// which makes those stores conflict-free; the benchmark says which is worth more.)
//
// Decomposition: as rung 3: grid x = column tiles (64 pixels), y = row tiles
// (64 channels); 256 threads, thread (ty, tx) = (tid / 16, tid % 16) owns the
// contiguous 4x4 outputs at (4*ty, 4*tx). Loads per slice
// (conv_rung::VectorLoader, kernels/conv/ladder/tiles.h): A[m0 + tid/4,
// k0 + 4*(tid%4) .. +3] and 4 consecutive k of B for pixel column tid % 64.
// Shared memory: a_tile[16][68] + b_tile[16][64] = 8.25 KiB per block.
// Cost: per slice 64*16 + 16*64 floats loaded for 2*64*64*16 FLOPs: 64 FLOPs
// per global load (16 FLOP/B), as rung 3, but 5 load instructions per thread
// per slice instead of 8, and 2 conflict-free shared reads per 16 FMAs: on
// paper the FMA pipe is now the limit. What remains: every slice waits for its
// global loads before the barrier (nothing overlaps them but other blocks on
// the SM), and each A/B value read from shared memory feeds only 4 FMAs. The
// production kernel (rung 5) double-buffers and, for large products, computes
// 8x8 per thread.
#include <cstdint>

#include "core/cuda/cuda_check.h"
#include "kernels/conv/ladder/ladder.h"
#include "kernels/conv/ladder/tiles.h"

namespace gan::cuda {

namespace {

using conv_rung::VectorTile;

__global__ void __launch_bounds__(VectorTile::kThreads)
    vectorized_kernel(const conv_gemm::ConvGemm g, const conv_gemm::GemmSteps steps, const bool vector_a,
                      const float* __restrict__ a, const float* __restrict__ b, const float* __restrict__ bias,
                      float* __restrict__ c) {
  constexpr int BM = VectorTile::BM, BN = VectorTile::BN, BK = VectorTile::BK;
  constexpr int TM = VectorTile::TM, TN = VectorTile::TN;
  using Loader = conv_rung::VectorLoader<VectorTile>;
  static_assert(TM == 4 && TN == 4, "one float4 fragment of each operand");
  __shared__ __align__(16) float a_tile[BK][BM + conv_rung::kVectorPadA];  // transposed: a_tile[k][m]
  __shared__ __align__(16) float b_tile[BK][BN];                             // b_tile[k][j]

  const int tid = static_cast<int>(threadIdx.x);
  const int64_t m0 = static_cast<int64_t>(blockIdx.y) * BM, j0 = static_cast<int64_t>(blockIdx.x) * BN;
  Loader loader(g, tid, m0, j0, vector_a);
  const int row = VectorTile::out_row(tid, 0), col = VectorTile::out_col(tid, 0);

  float acc[TM][TN] = {};
  for (int64_t k0 = 0; k0 < g.K; k0 += BK) {
    float ra[4], rb[Loader::kLoadsB];
    loader.fetch(g, steps.b_next, a, b, ra, rb);
    GAN_UNROLL
    for (int e = 0; e < 4; ++e) a_tile[Loader::a_k(tid) + e][Loader::a_row(tid)] = ra[e];
    GAN_UNROLL
    for (int i = 0; i < Loader::kLoadsB; ++i) b_tile[Loader::b_k(tid, i)][Loader::b_col(tid)] = rb[i];
    __syncthreads();  // the slice is in shared memory
    GAN_UNROLL
    for (int kk = 0; kk < BK; ++kk) {
      const float4 av = *reinterpret_cast<const float4*>(&a_tile[kk][row]);
      const float4 bv = *reinterpret_cast<const float4*>(&b_tile[kk][col]);
      const float a_frag[TM] = {av.x, av.y, av.z, av.w};
      const float b_frag[TN] = {bv.x, bv.y, bv.z, bv.w};
      GAN_UNROLL
      for (int i = 0; i < TM; ++i) {
        GAN_UNROLL
        for (int j = 0; j < TN; ++j) acc[i][j] = fmaf(a_frag[i], b_frag[j], acc[i][j]);
      }
    }
    __syncthreads();  // everyone is done with the slice before the next overwrites it
    loader.next_slice(g, steps.b_slice);
  }

  int64_t column_offset[TN];  // the output map's divisions once per column
  GAN_UNROLL
  for (int j = 0; j < TN; ++j) column_offset[j] = conv_rung::column_offset_or_0(g, j0 + col + j);
  GAN_UNROLL
  for (int i = 0; i < TM; ++i) {
    GAN_UNROLL
    for (int j = 0; j < TN; ++j)
      conv_rung::store_output(g, m0 + row + i, j0 + col + j, column_offset[j], acc[i][j], bias, c);
  }
}

}  // namespace

namespace conv {

void gather_vectorized(const ConvFrame& f, const float* w, const float* in, const float* bias, float* out) {
  const conv_gemm::ConvGemm g = conv_gemm::gather_gemm(f);
  if (g.M == 0 || g.N == 0) return;
  conv_rung::check_launch<VectorTile>(g, "4_vectorized");
  // The loader addresses A's rows as plain arrays; the gather's weight is one.
  GAN_CHECK(conv_rung::a_rows_contiguous(g), ValueError, "conv ladder 4_vectorized: A's rows are not contiguous");
  const dim3 grid(static_cast<unsigned>(conv_gemm::ceil_div(g.N, VectorTile::BN)),
                  static_cast<unsigned>(conv_gemm::ceil_div(g.M, VectorTile::BM)));
  vectorized_kernel<<<grid, VectorTile::kThreads, 0, current_stream()>>>(
      g, conv_gemm::make_gemm_steps(g, VectorTile::BK), conv_rung::a_rows_vectorizable(g, w), w, in, bias, out);
  GAN_CUDA_CHECK_LAST();
}

}  // namespace conv

}  // namespace gan::cuda
