// How the CUDA sum_to splits a reduction (host side), and the index math its
// kernels run (host and device). Plain C++ so that
// tests/kernels/test_cuda_index.cpp can check it without a GPU.
//
// x is contiguous with shape `in`; out has the same rank and each of its dims
// is either in's or 1. After dropping size-1 dims and merging neighbours of the
// same kind, the dims are "kept" groups (present in out) and "reduced" groups:
//   output element o (row-major over the kept groups)    -> kept_offset(o)
//   its j-th input (row-major over the reduced groups)   -> kept_offset(o) + reduced_offset(j)
// Each output is the sum of its inputs in increasing j, accumulated in double,
// in an order fixed by the plan alone, so results are run-to-run deterministic.
//
// Kernels (chosen here, run in kernels/reduce/cuda.cu):
//   Copy     nothing is reduced: a device-to-device copy.
//   Zero     the reduced extent is 0: out = 0.
//   Thread   one thread per output walks its inputs (each thread-block reads
//            consecutive outputs, so this is coalesced when the reduced dims are
//            followed by >= 32 contiguous kept elements, e.g. the bias gradient
//            [B,F] -> [1,F]), or when there are few inputs per output.
//   Block    one thread-block per output: threads stride through its inputs,
//            then a shuffle/shared-memory block reduction (row sums, the full
//            reduction, [N,C,H,W] -> [1,C,1,1]).
// Both split long reductions into `splits` chunks of `chunk` inputs when there
// are too few outputs to fill the GPU: pass 1 writes one double partial per
// (output, chunk), pass 2 adds each output's partials in chunk order. A full
// reduction to one element is thus the classic two passes: per-block partials,
// then one block.
#pragma once

#include <algorithm>
#include <cstdint>

#include "core/error.h"
#include "kernels/common.h"
#include "kernels/cuda_index.h"

namespace gan::cuda_index {

enum class SumToKernel { Copy, Zero, Thread, Block };

struct SumToPlan {
  int64_t num_out = 1;      // elements of out
  int64_t reduce_size = 1;  // inputs per output
  int kept_rank = 0;
  int64_t kept_shape[kMaxDims] = {};
  int64_t kept_strides[kMaxDims] = {};  // element strides into x
  int reduced_rank = 0;
  int64_t reduced_shape[kMaxDims] = {};
  int64_t reduced_strides[kMaxDims] = {};

  SumToKernel kernel = SumToKernel::Copy;
  int64_t splits = 1;  // chunks per output (1: pass 1 writes out directly)
  int64_t chunk = 0;   // inputs per chunk; the last chunk may be shorter

  // Tuning knobs, fixed constants so that the plan (hence the summation order)
  // depends on the shapes only, never on the GPU.
  static constexpr int64_t kBlockTargetTasks = 1024;        // blocks wanted in flight
  static constexpr int64_t kBlockMinChunk = 4096;           // inputs per block task, at least
  static constexpr int64_t kThreadTargetThreads = 1 << 16;  // threads wanted in flight
  static constexpr int64_t kThreadMinChunk = 64;            // inputs per thread, at least
  static constexpr int64_t kMaxSplits = 1024;
  static constexpr int64_t kThreadCoalescedInner = 32;  // contiguous kept elements after the reduced dims
  static constexpr int64_t kThreadSmallReduce = 32;     // or at most this many inputs per output
};

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Throws ShapeError when out is not a reduction of in.
inline SumToPlan make_sum_to_plan(const StridedLayout& in, const StridedLayout& out) {
  GAN_CHECK(in.rank == out.rank, ShapeError, "sum_to: input rank ", in.rank, " != output rank ", out.rank);
  int64_t strides[kMaxDims];
  contiguous_strides(in.rank, in.shape, strides);

  SumToPlan p;
  bool last_reduced = false;
  for (int d = 0; d < in.rank; ++d) {
    GAN_CHECK(out.shape[d] == in.shape[d] || out.shape[d] == 1, ShapeError, "sum_to: output dim ", d, " is ",
              out.shape[d], ", must be 1 or the input's ", in.shape[d]);
    const int64_t extent = in.shape[d];
    if (extent == 1) continue;  // size 1 in both: no effect on any offset
    const bool reduced = out.shape[d] == 1;
    int& rank = reduced ? p.reduced_rank : p.kept_rank;
    int64_t* shape = reduced ? p.reduced_shape : p.kept_shape;
    int64_t* str = reduced ? p.reduced_strides : p.kept_strides;
    // x is contiguous, so a dim merges with the previous one of the same kind
    // exactly when no dim of the other kind came in between.
    const bool previous_same_kind = (reduced ? p.reduced_rank : p.kept_rank) > 0 && last_reduced == reduced;
    if (previous_same_kind) {
      shape[rank - 1] *= extent;
      str[rank - 1] = strides[d];
    } else {
      shape[rank] = extent;
      str[rank] = strides[d];
      ++rank;
    }
    last_reduced = reduced;
  }
  p.num_out = numel(p.kept_rank, p.kept_shape);
  p.reduce_size = numel(p.reduced_rank, p.reduced_shape);
  p.chunk = p.reduce_size;

  if (p.reduced_rank == 0) {
    p.kernel = SumToKernel::Copy;
    return p;
  }
  if (p.reduce_size == 0 || p.num_out == 0) {
    p.kernel = SumToKernel::Zero;  // with num_out == 0 nothing is launched at all
    return p;
  }

  // The innermost reduced group's stride is the number of contiguous kept
  // elements after it (1 when the reduced dims are innermost).
  const int64_t inner = p.reduced_strides[p.reduced_rank - 1];
  const bool coalesced_columns = p.reduced_rank == 1 && inner >= SumToPlan::kThreadCoalescedInner;
  int64_t splits = 1;
  if (coalesced_columns || p.reduce_size <= SumToPlan::kThreadSmallReduce) {
    p.kernel = SumToKernel::Thread;
    splits = std::min(ceil_div(p.reduce_size, SumToPlan::kThreadMinChunk),
                      ceil_div(SumToPlan::kThreadTargetThreads, p.num_out));
  } else {
    p.kernel = SumToKernel::Block;
    splits = std::min(ceil_div(p.reduce_size, SumToPlan::kBlockMinChunk),
                      ceil_div(SumToPlan::kBlockTargetTasks, p.num_out));
  }
  splits = std::clamp<int64_t>(splits, 1, SumToPlan::kMaxSplits);
  p.chunk = ceil_div(p.reduce_size, splits);
  p.splits = ceil_div(p.reduce_size, p.chunk);  // no empty chunk
  return p;
}

// Offset in x of the first input of output o (0 <= o < num_out).
GAN_HOST_DEVICE int64_t kept_offset(const SumToPlan& p, int64_t o) {
  int64_t off = 0;
  for (int d = p.kept_rank - 1; d >= 0; --d) {
    const int64_t coord = o % p.kept_shape[d];
    o /= p.kept_shape[d];
    off += coord * p.kept_strides[d];
  }
  return off;
}

// Offset in x of input j of an output, relative to kept_offset (0 <= j < reduce_size).
// Index: uint32_t when reduce_size fits in 31 bits, else int64_t.
template <typename Index>
GAN_HOST_DEVICE int64_t reduced_offset(const SumToPlan& p, Index j) {
  if (p.reduced_rank == 1) return static_cast<int64_t>(j) * p.reduced_strides[0];
  int64_t off = 0;
  for (int d = p.reduced_rank - 1; d > 0; --d) {
    const Index extent = static_cast<Index>(p.reduced_shape[d]);
    off += static_cast<int64_t>(j % extent) * p.reduced_strides[d];
    j /= extent;
  }
  return off + static_cast<int64_t>(j) * p.reduced_strides[0];
}

}  // namespace gan::cuda_index
