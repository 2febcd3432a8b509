// The fast CUDA convolutions: one tiled implicit-GEMM kernel, float32 FMA (no
// TF32), for the three passes of kernels/conv/frame.h, which serve both
// conv2d and conv_transpose2d, and for matmul's plain products (dense_gemm;
// kernels/matmul/cuda.cu). The index maps, tile shapes and launch plan are
// in kernels/conv/implicit_gemm.h (unit-tested on the CPU); this file is the
// part that needs a GPU.
//
// Decomposition. Each pass is C[M, N] = A[M, K] @ B[K, N]:
//   gather       M = C_out, N = batch*H_out*W_out, K = C_in*R*S       A = weight, B = in
//   scatter      M = C_in,  N = batch*H_in*W_in / st^2, K = C_out*R*S / st^2, per stride phase
//                (A = weight, B = out; taps that miss the stride grid are never visited)
//   weight_grad  M = C_out, N = C_in*R*S, K = batch*H_out*W_out        A = out, B = in
// Block: a BM x BN tile of C (grid x = column tiles, y = row tiles, z = K
// splits), stepping through its K range in slices of BK = 8. Per slice every
// thread loads a few elements of A and of B from global memory into registers
// (B gathered from the activation tensor: a KCursor walks the (channel, row,
// col) digits of k without division, padding taps read as 0), while the block
// multiplies the slice already in shared memory; then the registers go to the
// other shared buffer and one __syncthreads() swaps them (double buffering).
// Thread: a TM x TN register block of C from float4 reads of the A (k-major)
// and B tiles, TM + TN shared reads per TM*TN FMAs.
// Tiles (implicit_gemm.h): 128x128 / 8x8 per thread for big products, 64x64 /
// 4x4 for mid-sized ones, 16x128 / 4x4 when M <= 16 (3 or 1 channels).
// Split-K: when the tiles alone do not fill the GPU and K is long (the weight
// gradients of the first and last layers), splits write float partials and a
// second kernel adds them in split order, in double: deterministic, no atomics.
// Epilogue: + bias[m], store through the pass's C map (writes along a row of
// the output plane, 4 consecutive columns per thread).
//
// Cost per pass: 2*batch*C_in*C_out*R*S*H_out*W_out FLOPs (the scatter's
// phases skip the zero taps, so it does only useful work). Bytes, at least:
// each tensor once, 4*(|in| + |out| + |w|), plus 8*splits*M*N for split-K
// partials. A 128x128 tile loads (128 + 128)*8 floats per slice for
// 2*128*128*8 FLOPs: 32 FLOPs per byte, so at the H100's 67 TFLOP/s FP32 the
// loads need ~2 TB/s, mostly L2 hits (each operand element is re-read once
// per tile across it). The middle DCGAN layers (169-410 FLOPs per byte of
// compulsory traffic) are FMA-bound; docs/kernels/convolution.md has the
// per-layer floors.
// Why these tiles: 8x8 per thread is the largest register block that fits
// (64 accumulators + 16 fragment values + loader state: 168 registers with
// 64-bit indices, no spills) and reads one shared-memory value per 4 FMAs (4
// float4 loads per 64 FMAs); BK = 8 keeps 4 B loads per thread in flight per
// slice in 16.6 KB of shared memory (both buffers). Smaller tiles exist for
// products too small to fill the GPU.
//
// Candidates, not yet measured (implicit_gemm.h's kAllTiles; the H200 run of
// 2026-12-04 found the ladder's simpler rung 4 faster on 8 of 10 layers): BK =
// 16 tiles, a 128x64 tile, and 32-bit indices (fits_index32: Medium then takes
// 63 registers instead of 80, 4 blocks per SM instead of 3; Large 141 instead
// of 168). Each is built, forced by ForceGemmKernel, checked (the CPU
// emulation, and CudaConv.EveryTileAndIndexWidth on a GPU) and timed by
// `bench_kernels_cuda --conv-tiles` (bench/run_gpu.sh --conv-tiles);
// plan_gemm keeps its rule and 64-bit indices until that sweep has run.
// Also open: the epilogue stores single floats (4 consecutive columns per
// thread), not staged through shared memory for full-line coalescing; the Thin
// tile computes 13/16 padding rows for C = 3; tensor cores (3xTF32) would be
// the next step.

#include "core/cuda/cuda_check.h"
#include "core/cuda/scratch.h"
#include "kernels/common.h"
#include "kernels/conv/implicit_gemm.h"
#include "kernels/cuda_index.h"
#include "kernels/reduce/reduce.h"

namespace gan::cuda {

namespace {

using conv_gemm::ConvGemm;
using conv_gemm::ConvGemmOf;
using conv_gemm::GemmStepsOf;

// I: the index type, int32_t whenever conv_gemm::fits_index32 says so.
template <typename Tile, typename I>
__global__ void __launch_bounds__(Tile::kThreads)
    conv_gemm_kernel(const ConvGemmOf<I> g, const GemmStepsOf<I> steps, const I chunk, const I splits,
                     const float* __restrict__ a, const float* __restrict__ b, const float* __restrict__ bias,
                     float* __restrict__ c, float* __restrict__ partial) {
  constexpr int BM = Tile::BM, BN = Tile::BN, BK = Tile::BK, TM = Tile::TM, TN = Tile::TN;
  __shared__ __align__(16) float a_tile[2][BK][BM + Tile::kPadA];
  __shared__ __align__(16) float b_tile[2][BK][BN];

  const int tid = static_cast<int>(threadIdx.x);
  const I m0 = static_cast<I>(blockIdx.y) * BM;
  const I j0 = static_cast<I>(blockIdx.x) * BN;
  const I split = static_cast<I>(blockIdx.z);
  const I k_begin = split * chunk;
  const I k_end = k_begin + chunk < g.K ? k_begin + chunk : g.K;

  conv_gemm::TileLoader<Tile, I> loader(g, tid, m0, j0, k_begin, k_end);
  float a_regs[Tile::kLoadsA];
  float b_regs[Tile::kLoadsB];
  loader.fetch(g, steps.b_next, a, b, a_regs, b_regs);
  conv_gemm::store_slice<Tile>(tid, a_regs, b_regs, a_tile[0], b_tile[0]);
  __syncthreads();

  const int ty = tid / (BN / TN), tx = tid % (BN / TN);
  float acc[TM][TN] = {};
  int buf = 0;
  for (I k0 = k_begin; k0 < k_end; k0 += BK) {
    const bool more = k0 + BK < k_end;  // the same in every thread: the barriers below are uniform
    if (more) {                         // next slice's global loads, in flight during the FMAs
      loader.next_slice(g, steps.a_slice, steps.b_slice);
      loader.fetch(g, steps.b_next, a, b, a_regs, b_regs);
    }
    GAN_UNROLL
    for (int kk = 0; kk < BK; ++kk) {
      float a_frag[TM];
      float b_frag[TN];
      GAN_UNROLL
      for (int i = 0; i < TM; i += 4) {
        const float4 v = *reinterpret_cast<const float4*>(&a_tile[buf][kk][conv_gemm::tile_row<Tile>(ty, i)]);
        a_frag[i] = v.x, a_frag[i + 1] = v.y, a_frag[i + 2] = v.z, a_frag[i + 3] = v.w;
      }
      GAN_UNROLL
      for (int j = 0; j < TN; j += 4) {
        const float4 v = *reinterpret_cast<const float4*>(&b_tile[buf][kk][conv_gemm::tile_col<Tile>(tx, j)]);
        b_frag[j] = v.x, b_frag[j + 1] = v.y, b_frag[j + 2] = v.z, b_frag[j + 3] = v.w;
      }
      GAN_UNROLL
      for (int i = 0; i < TM; ++i) {
        GAN_UNROLL
        for (int j = 0; j < TN; ++j) acc[i][j] = fmaf(a_frag[i], b_frag[j], acc[i][j]);
      }
    }
    if (more) conv_gemm::store_slice<Tile>(tid, a_regs, b_regs, a_tile[buf ^ 1], b_tile[buf ^ 1]);
    __syncthreads();  // the next slice is stored, and everyone is done reading this one
    buf ^= 1;
  }

  // The output map's divisions once per column, the bias once per row.
  I column_offset[TN];
  GAN_UNROLL
  for (int j = 0; j < TN; ++j) {
    const I col = j0 + conv_gemm::tile_col<Tile>(tx, j);
    column_offset[j] = splits == 1 && col < g.N ? conv_gemm::c_column_offset(g, col) : 0;
  }
  GAN_UNROLL
  for (int i = 0; i < TM; ++i) {
    const I m = m0 + conv_gemm::tile_row<Tile>(ty, i);
    const float b_m = splits == 1 ? conv_gemm::row_bias(g, m, bias) : 0.0f;
    GAN_UNROLL
    for (int j = 0; j < TN; ++j)
      conv_gemm::store_result(g, m, j0 + conv_gemm::tile_col<Tile>(tx, j), column_offset[j], b_m, acc[i][j], split,
                              splits, c, partial);
  }
}

// C = the sum of the split-K partials, one thread per element.
__global__ void reduce_splits_kernel(const ConvGemm g, const int64_t splits, const float* __restrict__ partial,
                                     const float* __restrict__ bias, float* __restrict__ c) {
  GAN_GRID_STRIDE_LOOP(int64_t, e, g.M * g.N) conv_gemm::reduce_splits(g, e, splits, partial, bias, c);
}

// What ForceGemmKernel imposes on this thread: a tile (-1: plan_gemm's
// choice) and 32-bit indices where they fit.
thread_local int forced_tile = -1;
thread_local bool forced_index32 = false;

template <typename I>
void launch(const ConvGemm& wide, const conv_gemm::GemmPlan& plan, const float* a, const float* b, const float* bias,
            float* c, float* partial, cudaStream_t stream) {
  const ConvGemmOf<I> g = conv_gemm::with_index<I>(wide);
  conv_gemm::with_tile(plan.tile, [&](auto tile) {
    using Tile = decltype(tile);
    const GemmStepsOf<I> steps = conv_gemm::make_gemm_steps(g, Tile::BK);
    const dim3 grid(static_cast<unsigned>(conv_gemm::ceil_div(wide.N, Tile::BN)),
                    static_cast<unsigned>(conv_gemm::ceil_div(wide.M, Tile::BM)), static_cast<unsigned>(plan.splits));
    conv_gemm_kernel<Tile, I><<<grid, Tile::kThreads, 0, stream>>>(g, steps, static_cast<I>(plan.chunk),
                                                                   static_cast<I>(plan.splits), a, b, bias, c, partial);
  });
  GAN_CUDA_CHECK_LAST();
}

}  // namespace

ForceGemmKernel::ForceGemmKernel(std::optional<conv_gemm::TileKind> tile, bool index32)
    : previous_tile_(forced_tile), previous_index32_(forced_index32) {
  forced_tile = tile ? static_cast<int>(*tile) : -1;
  forced_index32 = index32;
}
ForceGemmKernel::~ForceGemmKernel() {
  forced_tile = previous_tile_;
  forced_index32 = previous_index32_;
}

void implicit_gemm(const ConvGemm& g, const float* a, const float* b, const float* bias, float* c) {
  if (g.M == 0 || g.N == 0) return;
  const conv_gemm::GemmPlan plan = forced_tile < 0
                                       ? conv_gemm::plan_gemm(g)
                                       : conv_gemm::plan_gemm_for(g, static_cast<conv_gemm::TileKind>(forced_tile));
  const cudaStream_t stream = current_stream();
  // The partials live until the reduction is queued; see core/cuda/scratch.h for
  // why freeing them before it runs is safe.
  Scratch<float> partial(plan.splits > 1 ? static_cast<size_t>(plan.splits * g.M * g.N) : 0);
  if (forced_index32 && conv_gemm::fits_index32(g, plan.splits))
    launch<int32_t>(g, plan, a, b, bias, c, partial.get(), stream);
  else
    launch<int64_t>(g, plan, a, b, bias, c, partial.get(), stream);
  if (plan.splits == 1) return;
  reduce_splits_kernel<<<grid_for(g.M * g.N), kThreadsPerBlock, 0, stream>>>(g, plan.splits, partial.get(), bias, c);
  GAN_CUDA_CHECK_LAST();
}

namespace conv {

void gather(const ConvFrame& f, const float* w, const float* in, const float* bias, float* out) {
  implicit_gemm(conv_gemm::gather_gemm(f), w, in, bias, out);
}

void scatter(const ConvFrame& f, const float* w, const float* out, const float* bias, float* in) {
  // The phases write disjoint pixels of `in` and together all of them.
  for (int64_t phase = 0; phase < conv_gemm::scatter_gemm_count(f); ++phase)
    implicit_gemm(conv_gemm::scatter_gemm(f, phase), w, out, bias, in);
}

void weight_grad(const ConvFrame& f, const float* out, const float* in, float* dw) {
  const conv_gemm::ConvGemm g = conv_gemm::weight_gemm(f);
  if (g.K == 0) {  // a sum over no position (batch 0): zeros, as the CPU reference gives
    GAN_CUDA_CHECK(cudaMemsetAsync(dw, 0, static_cast<size_t>(g.M * g.N) * sizeof(float), current_stream()));
    return;
  }
  implicit_gemm(g, out, in, nullptr, dw);
}

// db[c] = sum over n and the plane of t[n, c, plane]: the engine's deterministic
// sum_to ([N, C, plane] -> [1, C, 1]; kernels/reduce/cuda.cu).
void bias_grad(const float* t, int64_t N, int64_t C, int64_t plane, float* db) {
  if (N * plane == 0) {  // a sum of nothing
    GAN_CUDA_CHECK(cudaMemsetAsync(db, 0, static_cast<size_t>(C) * sizeof(float), current_stream()));
    return;
  }
  StridedLayout in;
  StridedLayout out;
  in.rank = out.rank = 3;
  in.shape[0] = N, in.shape[1] = C, in.shape[2] = plane;
  out.shape[0] = 1, out.shape[1] = C, out.shape[2] = 1;
  cuda_index::contiguous_strides(3, in.shape, in.strides);
  cuda_index::contiguous_strides(3, out.shape, out.strides);
  sum_to(t, in, db, out);
}

}  // namespace conv

}  // namespace gan::cuda
