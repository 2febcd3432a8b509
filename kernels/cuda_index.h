// Index arithmetic shared by the CUDA kernels and their CPU-side unit tests.
//
// Everything here is plain C++ that nvcc also compiles for the device
// (GAN_HOST_DEVICE), so tests/kernels/test_cuda_index.cpp checks the exact
// index math the kernels run, on any machine, without a GPU.
//
// coalesce() simplifies the two stride sets of a broadcast (or of a strided
// copy) before a launch: it drops size-1 dimensions and merges neighbouring
// dimensions that are contiguous with each other in both views, e.g. a
// [64,128,16,16] + [1,128,1,1] broadcast becomes [64,128,256] with strides
// (32768,256,1) and (0,1,0). Fewer dimensions mean fewer divisions per element.
#pragma once

#include <cstdint>

#include "core/host_device.h"
#include "kernels/common.h"

namespace gan::cuda_index {

// Number of elements of a shape (1 for rank 0).
inline int64_t numel(int rank, const int64_t* shape) {
  int64_t n = 1;
  for (int d = 0; d < rank; ++d) n *= shape[d];
  return n;
}

// Row-major strides of a contiguous array of this shape.
inline void contiguous_strides(int rank, const int64_t* shape, int64_t* strides) {
  int64_t s = 1;
  for (int d = rank - 1; d >= 0; --d) {
    strides[d] = s;
    s *= shape[d];
  }
}

// Same index -> offsets map with as few dimensions as possible (see above).
// The result's rank is 0 for a single element. Shapes must not contain 0.
inline BroadcastIndexer coalesce(const BroadcastIndexer& in) {
  BroadcastIndexer out;
  for (int d = 0; d < in.rank; ++d) {
    if (in.shape[d] == 1) continue;
    if (out.rank > 0) {
      const int last = out.rank - 1;
      // Dimension `last` (outer) and d (inner) merge when stepping `last` by one
      // equals stepping d through its whole extent, in both views.
      if (out.a_strides[last] == in.a_strides[d] * in.shape[d] &&
          out.b_strides[last] == in.b_strides[d] * in.shape[d]) {
        out.shape[last] *= in.shape[d];
        out.a_strides[last] = in.a_strides[d];
        out.b_strides[last] = in.b_strides[d];
        continue;
      }
    }
    out.shape[out.rank] = in.shape[d];
    out.a_strides[out.rank] = in.a_strides[d];
    out.b_strides[out.rank] = in.b_strides[d];
    ++out.rank;
  }
  return out;
}

// True when the view is the plain contiguous array 0, 1, 2, ... (after coalesce()).
inline bool is_identity_a(const BroadcastIndexer& c) { return c.rank == 0 || (c.rank == 1 && c.a_strides[0] == 1); }
inline bool is_identity_b(const BroadcastIndexer& c) { return c.rank == 0 || (c.rank == 1 && c.b_strides[0] == 1); }

// The two stride sets of a strided copy as a BroadcastIndexer over their common
// shape: a = source, b = destination. (Same structure; no broadcasting.)
inline BroadcastIndexer copy_indexer(const StridedLayout& src, const StridedLayout& dst) {
  BroadcastIndexer ix;
  ix.rank = src.rank;
  for (int d = 0; d < src.rank; ++d) {
    ix.shape[d] = src.shape[d];
    ix.a_strides[d] = src.strides[d];
    ix.b_strides[d] = dst.strides[d];
  }
  return ix;
}

// Offsets into a and b of element i of the (coalesced) index space, row-major.
// Index is uint32_t when numel fits in 31 bits (cheaper division), else int64_t.
template <typename Index>
GAN_HOST_DEVICE void offsets(const BroadcastIndexer& ix, Index i, int64_t& off_a, int64_t& off_b) {
  off_a = 0;
  off_b = 0;
  if (ix.rank == 0) return;
  for (int d = ix.rank - 1; d > 0; --d) {
    const Index extent = static_cast<Index>(ix.shape[d]);
    const Index coord = i % extent;
    i /= extent;
    off_a += static_cast<int64_t>(coord) * ix.a_strides[d];
    off_b += static_cast<int64_t>(coord) * ix.b_strides[d];
  }
  // Outermost dimension: what is left of i is its coordinate.
  off_a += static_cast<int64_t>(i) * ix.a_strides[0];
  off_b += static_cast<int64_t>(i) * ix.b_strides[0];
}

// Walks elements j = start, start + step, ... (j = n*HW + hw) of channel c of an
// NCHW tensor [N, C, HW] without a division per element: the step is split once
// into whole planes and a remainder < HW, so each advance carries at most once.
// Used by the per-channel (one block per channel) batch-norm reductions.
struct ChannelCursor {
  int64_t n = 0, hw = 0, offset = 0;  // position; offset = (n*C + c)*HW + hw
  int64_t HW = 1, plane_stride = 1;   // HW and C*HW
  int64_t step_n = 0, step_hw = 0, step_offset = 0;
};

GAN_HOST_DEVICE ChannelCursor make_channel_cursor(int64_t C, int64_t HW, int64_t c, int64_t start, int64_t step) {
  ChannelCursor k;
  k.HW = HW;
  k.plane_stride = C * HW;
  k.n = start / HW;
  k.hw = start % HW;
  k.offset = k.n * k.plane_stride + c * HW + k.hw;
  k.step_n = step / HW;
  k.step_hw = step % HW;
  k.step_offset = k.step_n * k.plane_stride + k.step_hw;
  return k;
}

GAN_HOST_DEVICE void advance(ChannelCursor& k) {
  k.n += k.step_n;
  k.hw += k.step_hw;
  k.offset += k.step_offset;
  if (k.hw >= k.HW) {
    k.hw -= k.HW;
    ++k.n;
    k.offset += k.plane_stride - k.HW;
  }
}

}  // namespace gan::cuda_index
