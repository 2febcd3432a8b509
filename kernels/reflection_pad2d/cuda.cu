// CUDA ReflectionPad2d, forward and backward (mapping in reflection_pad2d.h).
//
// Forward: one thread per output element in a grid-stride loop; it finds its
// (plane, p, q), mirrors p and q into the input and copies one value.
// Consecutive threads write consecutive addresses and read consecutive (or, in
// the mirrored margins, reverse-consecutive) addresses of one input row, so
// both sides coalesce.
// Backward: a gather, one thread per input element: it adds the dy values of
// the (at most 3 x 3) output positions that read it, in increasing (p, q)
// order, the same order as the CPU reference. No atomics: deterministic and
// bitwise equal to the CPU result (the same float additions in the same order).
// 32-bit index math when the element count allows (cuda_check.h).
// Cost: forward reads up to n_in and writes n_out floats; backward reads n_out
// and writes n_in floats; memory bound.
#include "core/cuda/cuda_check.h"
#include "kernels/reflection_pad2d/reflection_pad2d.h"

namespace gan::cuda {

namespace {

// Element i of a stack of rows x cols planes.
template <typename Index>
struct PlanePosition {
  Index plane, row, col;
};

template <typename Index>
__device__ __forceinline__ PlanePosition<Index> position(Index i, Index rows, Index cols) {
  const Index rest = i / cols;
  return {rest / rows, rest % rows, i % cols};
}

template <typename Index>
__global__ void forward_kernel(const float* x, float* y, Index H, Index W, Index pad, Index n_out) {
  const Index OH = H + 2 * pad, OW = W + 2 * pad;
  GAN_GRID_STRIDE_LOOP(Index, i, n_out) {
    const PlanePosition<Index> o = position(i, OH, OW);
    const auto h = static_cast<Index>(reflection_pad::source(o.row, H, pad));
    const auto w = static_cast<Index>(reflection_pad::source(o.col, W, pad));
    y[i] = x[(o.plane * H + h) * W + w];
  }
}

template <typename Index>
__global__ void backward_kernel(const float* dy, float* dx, Index H, Index W, Index pad, Index n_in) {
  const Index OH = H + 2 * pad, OW = W + 2 * pad;
  GAN_GRID_STRIDE_LOOP(Index, i, n_in) {
    const PlanePosition<Index> in = position(i, H, W);
    int64_t rows[3], cols[3];
    const int n_rows = reflection_pad::readers(in.row, H, pad, rows);
    const int n_cols = reflection_pad::readers(in.col, W, pad, cols);
    const float* dy_plane = dy + static_cast<int64_t>(in.plane) * OH * OW;
    float s = 0.0f;
    for (int a = 0; a < n_rows; ++a)
      for (int b = 0; b < n_cols; ++b) s += dy_plane[rows[a] * OW + cols[b]];
    dx[i] = s;
  }
}

}  // namespace

void reflection_pad2d_forward(const float* x, float* y, const ReflectionPad2dParams& p) {
  const int64_t n_out = p.planes * p.out_h() * p.out_w();
  if (n_out <= 0) return;
  with_index_type(n_out, [&](auto zero) {
    using Index = decltype(zero);
    forward_kernel<Index><<<grid_for(n_out), kThreadsPerBlock, 0, current_stream()>>>(
        x, y, static_cast<Index>(p.H), static_cast<Index>(p.W), static_cast<Index>(p.pad), static_cast<Index>(n_out));
  });
  GAN_CUDA_CHECK_LAST();
}

void reflection_pad2d_backward(const float* dy, float* dx, const ReflectionPad2dParams& p) {
  const int64_t n_in = p.planes * p.H * p.W;
  if (n_in <= 0) return;
  // The gather reads dy at indices up to n_out, so index by the larger count.
  const int64_t n_out = p.planes * p.out_h() * p.out_w();
  with_index_type(n_out, [&](auto zero) {
    using Index = decltype(zero);
    backward_kernel<Index><<<grid_for(n_in), kThreadsPerBlock, 0, current_stream()>>>(
        dy, dx, static_cast<Index>(p.H), static_cast<Index>(p.W), static_cast<Index>(p.pad), static_cast<Index>(n_in));
  });
  GAN_CUDA_CHECK_LAST();
}

}  // namespace gan::cuda
