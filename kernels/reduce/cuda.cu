// CUDA sum_to: deterministic sums over any set of axes, no atomics.
//
// The host plan (kernels/reduce/cuda_sum_to_plan.h, unit-tested on the CPU)
// coalesces the dims into kept groups (the outputs) and reduced groups (the
// inputs of one output, in increasing memory order) and picks a kernel:
//   Thread  one thread per output, looping over its inputs in order. Blocks
//           of 256 consecutive outputs, so when the reduced dims are followed
//           by >= 32 contiguous kept elements (bias gradient [B,F] -> [1,F])
//           each warp's loads are coalesced. Also used for <= 32 inputs/output.
//   Block   one 256-thread block per output: thread t adds inputs t, t+256, ...
//           in order, then a warp-shuffle + shared-memory block reduction with
//           a fixed tree (core/cuda/block_reduce.cuh). Row sums, the full
//           reduction, [N,C,H,W] -> [1,C,1,1].
// When there are too few outputs to fill the GPU, each output's inputs are cut
// into `splits` chunks: pass 1 writes one double partial per (output, chunk),
// pass 2 adds an output's partials in chunk order (Thread: one thread per
// output; Block: one block per output). A full reduction to one element is the
// classic two passes (up to 1024 per-block partials, then one block).
// Accumulation is in double (one DADD per element, far below the FP64 rate of
// an H100 for a memory-bound loop; on consumer GPUs with 1/64-rate FP64 the
// benchmarks should check it). Every order depends on the shapes only, so
// results are bit-identical run to run.
// Cost: reads n floats, writes out.numel() floats (+ 16 B per partial); ~1 FLOP
// per element.
// TODO(bench): row reductions with many short rows (33..4096 inputs) would do
// better with a warp per output; the division in reduced_offset for two or more
// reduced groups could become a mixed-radix counter. Measure first.
#include <algorithm>

#include "core/cuda/block_reduce.cuh"
#include "core/cuda/cuda_check.h"
#include "core/cuda/scratch.h"
#include "kernels/reduce/cuda_sum_to_plan.h"
#include "kernels/reduce/reduce.h"

namespace gan::cuda {

namespace {

using cuda_index::SumToKernel;
using cuda_index::SumToPlan;

constexpr int kReduceThreads = 256;  // a multiple of 32 (block_reduce_sum)

// Thread kernel: grid.x strides over outputs, grid.y is the chunk index.
// splits == 1: writes out[o]; else partials[s * num_out + o].
template <typename RIndex>
__global__ void sum_to_thread_kernel(const float* x, SumToPlan p, float* out, double* partials) {
  const int64_t s = blockIdx.y;
  const int64_t begin = s * p.chunk;
  const int64_t end = begin + p.chunk < p.reduce_size ? begin + p.chunk : p.reduce_size;
  for (int64_t o = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; o < p.num_out;
       o += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const float* base = x + cuda_index::kept_offset(p, o);
    double acc = 0.0;
    for (int64_t j = begin; j < end; ++j) acc += base[cuda_index::reduced_offset<RIndex>(p, static_cast<RIndex>(j))];
    if (p.splits == 1)
      out[o] = static_cast<float>(acc);
    else
      partials[s * p.num_out + o] = acc;
  }
}

// Pass 2 of the Thread kernel: out[o] = sum over s of partials[s * num_out + o].
__global__ void sum_partials_thread_kernel(const double* partials, int64_t splits, int64_t num_out, float* out) {
  GAN_GRID_STRIDE_LOOP(int64_t, o, num_out) {
    double acc = 0.0;
    for (int64_t s = 0; s < splits; ++s) acc += partials[s * num_out + o];
    out[o] = static_cast<float>(acc);
  }
}

// Block kernel: each block takes tasks (output o, chunk s), task = o * splits + s.
// splits == 1: writes out[o]; else partials[task].
template <typename RIndex>
__global__ void sum_to_block_kernel(const float* x, SumToPlan p, float* out, double* partials) {
  const int64_t tasks = p.num_out * p.splits;
  for (int64_t task = blockIdx.x; task < tasks; task += gridDim.x) {  // uniform across the block
    const int64_t o = task / p.splits;
    const int64_t begin = (task - o * p.splits) * p.chunk;
    const int64_t end = begin + p.chunk < p.reduce_size ? begin + p.chunk : p.reduce_size;
    const float* base = x + cuda_index::kept_offset(p, o);
    double acc = 0.0;
    for (int64_t j = begin + threadIdx.x; j < end; j += blockDim.x)
      acc += base[cuda_index::reduced_offset<RIndex>(p, static_cast<RIndex>(j))];
    acc = block_reduce_sum(acc);
    if (threadIdx.x == 0) {
      if (p.splits == 1)
        out[o] = static_cast<float>(acc);
      else
        partials[task] = acc;
    }
  }
}

// Pass 2 of the Block kernel: one block per output adds its `splits` partials.
__global__ void sum_partials_block_kernel(const double* partials, int64_t splits, int64_t num_out, float* out) {
  for (int64_t o = blockIdx.x; o < num_out; o += gridDim.x) {
    double acc = 0.0;
    for (int64_t s = threadIdx.x; s < splits; s += blockDim.x) acc += partials[o * splits + s];
    acc = block_reduce_sum(acc);
    if (threadIdx.x == 0) out[o] = static_cast<float>(acc);
  }
}

template <typename RIndex>
void launch_thread_path(const float* x, const SumToPlan& p, float* out, double* partials) {
  const dim3 grid(grid_for(p.num_out, kReduceThreads), static_cast<unsigned>(p.splits));
  sum_to_thread_kernel<RIndex><<<grid, kReduceThreads, 0, current_stream()>>>(x, p, out, partials);
  GAN_CUDA_CHECK_LAST();
}

template <typename RIndex>
void launch_block_path(const float* x, const SumToPlan& p, float* out, double* partials) {
  const auto grid = static_cast<unsigned>(std::min<int64_t>(p.num_out * p.splits, kMaxBlocks));
  sum_to_block_kernel<RIndex><<<grid, kReduceThreads, 0, current_stream()>>>(x, p, out, partials);
  GAN_CUDA_CHECK_LAST();
}

}  // namespace

void sum_to(const float* x, const StridedLayout& in, float* out, const StridedLayout& out_shape) {
  const SumToPlan p = cuda_index::make_sum_to_plan(in, out_shape);
  if (p.num_out <= 0) return;
  const cudaStream_t stream = current_stream();
  switch (p.kernel) {
    case SumToKernel::Copy:
      GAN_CUDA_CHECK(cudaMemcpyAsync(out, x, static_cast<size_t>(p.num_out) * sizeof(float),
                                     cudaMemcpyDeviceToDevice, stream));
      return;
    case SumToKernel::Zero:  // a sum over nothing
      GAN_CUDA_CHECK(cudaMemsetAsync(out, 0, static_cast<size_t>(p.num_out) * sizeof(float), stream));
      return;
    case SumToKernel::Thread:
    case SumToKernel::Block:
      break;
  }

  // Partials live until pass 2 is queued; see core/cuda/scratch.h for why
  // freeing them before it runs is safe.
  Scratch<double> partials(p.splits > 1 ? static_cast<size_t>(p.num_out * p.splits) : 0);
  const bool thread_path = p.kernel == SumToKernel::Thread;
  with_index_type(p.reduce_size, [&](auto zero) {
    using RIndex = decltype(zero);
    if (thread_path)
      launch_thread_path<RIndex>(x, p, out, partials.get());
    else
      launch_block_path<RIndex>(x, p, out, partials.get());
  });
  if (p.splits == 1) return;
  if (thread_path) {
    sum_partials_thread_kernel<<<grid_for(p.num_out, kReduceThreads), kReduceThreads, 0, stream>>>(
        partials.get(), p.splits, p.num_out, out);
  } else {
    const auto grid = static_cast<unsigned>(std::min<int64_t>(p.num_out, kMaxBlocks));
    sum_partials_block_kernel<<<grid, kReduceThreads, 0, stream>>>(partials.get(), p.splits, p.num_out, out);
  }
  GAN_CUDA_CHECK_LAST();
}

}  // namespace gan::cuda
