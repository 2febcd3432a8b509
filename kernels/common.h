// Shared vocabulary of the kernel interfaces.
//
// A kernel sees raw pointers and a small parameter struct, never a Tensor: the
// op layer (each family's op.cpp) checks shapes, devices and dtypes once,
// makes inputs contiguous where a kernel needs it, and picks the backend
// through the one dispatch point (core/dispatch.h). Kernels assume valid input. CPU kernels live in namespace gan::cpu and are templates over
// float and double (double is what the gradient checks use); CUDA kernels live
// in gan::cuda, take float, and launch on gan::cuda::current_stream() without
// synchronising.
#pragma once

#include <cstdint>

#include "core/shape.h"  // StridedLayout, kMaxDims

namespace gan {

// Output index -> input offsets for a broadcast binary op. out is contiguous
// with shape `shape`; a_strides/b_strides are element strides into a and b,
// 0 along a broadcast dimension.
struct BroadcastIndexer {
  int rank = 0;
  int64_t shape[kMaxDims] = {};
  int64_t a_strides[kMaxDims] = {};
  int64_t b_strides[kMaxDims] = {};
};

}  // namespace gan
