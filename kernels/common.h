// Shared vocabulary of the kernel interfaces.
//
// A kernel sees raw pointers and a small parameter struct, never a Tensor: the
// op layer (core/ops) checks shapes, devices and dtypes once, makes inputs
// contiguous where a kernel needs it, and picks the backend. Kernels assume
// valid input. CPU kernels live in namespace gan::cpu and are templates over
// float and double (double is what the gradient checks use); CUDA kernels live
// in gan::cuda, take float, and launch on gan::cuda::current_stream() without
// synchronising.
#pragma once

#include <cstdint>

namespace gan {

// The most dimensions a strided/broadcast kernel handles. 8 covers NCHW with room.
inline constexpr int kMaxDims = 8;

// An N-d view of memory: element strides (not bytes) per dimension.
struct StridedLayout {
  int rank = 0;
  int64_t shape[kMaxDims] = {};
  int64_t strides[kMaxDims] = {};
};

}  // namespace gan
