// CUDA elementwise kernels: broadcast binary ops, ops with a scalar, unary
// math, fill and strided copy.
//
// Algorithm: one thread per output element in a grid-stride loop
// (grid_for(n) blocks of 256 threads, capped; each thread then takes every
// gridDim*blockDim-th element), so consecutive threads touch consecutive
// outputs and every global access of the contiguous paths is coalesced.
//   binary        the broadcast map is first coalesced on the host
//                 (kernels/cuda_index.h); when both inputs then read 0,1,2,...
//                 the fast path does out[i] = a[i] op b[i] with no index math,
//                 otherwise each thread unravels i over <= 8 dims (32-bit
//                 divisions when n < 2^31) to get its two input offsets.
//                 The BroadcastIndexer travels by value as a kernel argument.
//   strided_copy  the same coalescing over (source, destination) strides; a
//                 copy that turns out contiguous on both sides is a cudaMemcpyAsync.
//   fill          value +0.0 is a cudaMemsetAsync, anything else a kernel.
// Cost: memory bound. binary reads 2n and writes n floats (12 B/element),
// scalar/unary/copy read n and write n (8 B/element), fill writes n; about one
// FLOP per element (Exp/Log/Sqrt: a few SFU instructions).
// Math: IEEE division and sqrt (no --use_fast_math); expf/logf are within 2 ulp.
#include <cmath>
#include <cstring>

#include "core/cuda/cuda_check.h"
#include "core/error.h"
#include "kernels/cuda_index.h"
#include "kernels/elementwise/elementwise.h"

namespace gan::cuda {

namespace {

template <BinaryOp op>
__device__ __forceinline__ float apply(float a, float b) {
  if constexpr (op == BinaryOp::Add) {
    return a + b;
  } else if constexpr (op == BinaryOp::Sub) {
    return a - b;
  } else if constexpr (op == BinaryOp::Mul) {
    return a * b;
  } else {
    return a / b;
  }
}

template <UnaryOp op>
__device__ __forceinline__ float apply(float x) {
  if constexpr (op == UnaryOp::Neg) {
    return -x;
  } else if constexpr (op == UnaryOp::Exp) {
    return expf(x);
  } else if constexpr (op == UnaryOp::Log) {
    return logf(x);
  } else if constexpr (op == UnaryOp::Sqrt) {
    return sqrtf(x);
  } else if constexpr (op == UnaryOp::Abs) {
    return fabsf(x);
  } else if constexpr (op == UnaryOp::Sign) {
    return static_cast<float>((x > 0.0f) - (x < 0.0f));  // 0 at 0 (and for NaN)
  } else {
    return x * x;
  }
}

// No __restrict__: the op layer may run these in place (out == a).
template <BinaryOp op, typename Index>
__global__ void binary_contiguous_kernel(const float* a, const float* b, float* out, Index n) {
  GAN_GRID_STRIDE_LOOP(Index, i, n) out[i] = apply<op>(a[i], b[i]);
}

template <BinaryOp op, typename Index>
__global__ void binary_broadcast_kernel(const float* a, const float* b, float* out, BroadcastIndexer ix, Index n) {
  GAN_GRID_STRIDE_LOOP(Index, i, n) {
    int64_t off_a, off_b;
    cuda_index::offsets<Index>(ix, i, off_a, off_b);
    out[i] = apply<op>(a[off_a], b[off_b]);
  }
}

template <BinaryOp op, bool scalar_first, typename Index>
__global__ void binary_scalar_kernel(const float* a, float s, float* out, Index n) {
  GAN_GRID_STRIDE_LOOP(Index, i, n) out[i] = scalar_first ? apply<op>(s, a[i]) : apply<op>(a[i], s);
}

template <UnaryOp op, typename Index>
__global__ void unary_kernel(const float* x, float* y, Index n) {
  GAN_GRID_STRIDE_LOOP(Index, i, n) y[i] = apply<op>(x[i]);
}

template <typename Index>
__global__ void fill_kernel(float* out, float value, Index n) {
  GAN_GRID_STRIDE_LOOP(Index, i, n) out[i] = value;
}

// a = source, b = destination strides (see cuda_index::copy_indexer).
template <typename Index>
__global__ void strided_copy_kernel(const float* src, float* dst, BroadcastIndexer ix, Index n) {
  GAN_GRID_STRIDE_LOOP(Index, i, n) {
    int64_t off_src, off_dst;
    cuda_index::offsets<Index>(ix, i, off_src, off_dst);
    dst[off_dst] = src[off_src];
  }
}

template <BinaryOp op>
void launch_binary(const float* a, const float* b, float* out, const BroadcastIndexer& idx, int64_t n) {
  const BroadcastIndexer ix = cuda_index::coalesce(idx);
  const bool contiguous = cuda_index::is_identity_a(ix) && cuda_index::is_identity_b(ix);
  with_index_type(n, [&](auto zero) {
    using Index = decltype(zero);
    if (contiguous)
      binary_contiguous_kernel<op, Index>
          <<<grid_for(n), kThreadsPerBlock, 0, current_stream()>>>(a, b, out, static_cast<Index>(n));
    else
      binary_broadcast_kernel<op, Index>
          <<<grid_for(n), kThreadsPerBlock, 0, current_stream()>>>(a, b, out, ix, static_cast<Index>(n));
  });
  GAN_CUDA_CHECK_LAST();
}

template <BinaryOp op, bool scalar_first>
void launch_binary_scalar(const float* a, float s, float* out, int64_t n) {
  with_index_type(n, [&](auto zero) {
    using Index = decltype(zero);
    binary_scalar_kernel<op, scalar_first, Index>
        <<<grid_for(n), kThreadsPerBlock, 0, current_stream()>>>(a, s, out, static_cast<Index>(n));
  });
  GAN_CUDA_CHECK_LAST();
}

template <BinaryOp op>
void launch_binary_scalar(const float* a, float s, float* out, int64_t n, bool scalar_first) {
  if (scalar_first)
    launch_binary_scalar<op, true>(a, s, out, n);
  else
    launch_binary_scalar<op, false>(a, s, out, n);
}

template <UnaryOp op>
void launch_unary(const float* x, float* y, int64_t n) {
  with_index_type(n, [&](auto zero) {
    using Index = decltype(zero);
    unary_kernel<op, Index><<<grid_for(n), kThreadsPerBlock, 0, current_stream()>>>(x, y, static_cast<Index>(n));
  });
  GAN_CUDA_CHECK_LAST();
}

}  // namespace

void binary(BinaryOp op, const float* a, const float* b, float* out, const BroadcastIndexer& idx, int64_t n) {
  if (n <= 0) return;
  switch (op) {
    case BinaryOp::Add: return launch_binary<BinaryOp::Add>(a, b, out, idx, n);
    case BinaryOp::Sub: return launch_binary<BinaryOp::Sub>(a, b, out, idx, n);
    case BinaryOp::Mul: return launch_binary<BinaryOp::Mul>(a, b, out, idx, n);
    case BinaryOp::Div: return launch_binary<BinaryOp::Div>(a, b, out, idx, n);
  }
  throw ValueError("cuda::binary: unknown BinaryOp");
}

void binary_scalar(BinaryOp op, const float* a, float s, float* out, int64_t n, bool scalar_first) {
  if (n <= 0) return;
  switch (op) {
    case BinaryOp::Add: return launch_binary_scalar<BinaryOp::Add>(a, s, out, n, scalar_first);
    case BinaryOp::Sub: return launch_binary_scalar<BinaryOp::Sub>(a, s, out, n, scalar_first);
    case BinaryOp::Mul: return launch_binary_scalar<BinaryOp::Mul>(a, s, out, n, scalar_first);
    case BinaryOp::Div: return launch_binary_scalar<BinaryOp::Div>(a, s, out, n, scalar_first);
  }
  throw ValueError("cuda::binary_scalar: unknown BinaryOp");
}

void unary(UnaryOp op, const float* x, float* y, int64_t n) {
  if (n <= 0) return;
  switch (op) {
    case UnaryOp::Neg: return launch_unary<UnaryOp::Neg>(x, y, n);
    case UnaryOp::Exp: return launch_unary<UnaryOp::Exp>(x, y, n);
    case UnaryOp::Log: return launch_unary<UnaryOp::Log>(x, y, n);
    case UnaryOp::Sqrt: return launch_unary<UnaryOp::Sqrt>(x, y, n);
    case UnaryOp::Abs: return launch_unary<UnaryOp::Abs>(x, y, n);
    case UnaryOp::Sign: return launch_unary<UnaryOp::Sign>(x, y, n);
    case UnaryOp::Square: return launch_unary<UnaryOp::Square>(x, y, n);
  }
  throw ValueError("cuda::unary: unknown UnaryOp");
}

void fill(float* out, float value, int64_t n) {
  if (n <= 0) return;
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  if (bits == 0) {  // +0.0f: all-zero bytes
    GAN_CUDA_CHECK(cudaMemsetAsync(out, 0, static_cast<size_t>(n) * sizeof(float), current_stream()));
    return;
  }
  with_index_type(n, [&](auto zero) {
    using Index = decltype(zero);
    fill_kernel<Index><<<grid_for(n), kThreadsPerBlock, 0, current_stream()>>>(out, value, static_cast<Index>(n));
  });
  GAN_CUDA_CHECK_LAST();
}

void strided_copy(const float* src, const StridedLayout& src_layout, float* dst, const StridedLayout& dst_layout) {
  GAN_CHECK(src_layout.rank == dst_layout.rank, ShapeError, "cuda::strided_copy: source rank ", src_layout.rank,
            " != destination rank ", dst_layout.rank);
  for (int d = 0; d < src_layout.rank; ++d)
    GAN_CHECK(src_layout.shape[d] == dst_layout.shape[d], ShapeError, "cuda::strided_copy: dim ", d, " is ",
              src_layout.shape[d], " in the source but ", dst_layout.shape[d], " in the destination");
  const int64_t n = cuda_index::numel(src_layout.rank, src_layout.shape);
  if (n <= 0) return;
  const BroadcastIndexer ix = cuda_index::coalesce(cuda_index::copy_indexer(src_layout, dst_layout));
  if (cuda_index::is_identity_a(ix) && cuda_index::is_identity_b(ix)) {
    GAN_CUDA_CHECK(cudaMemcpyAsync(dst, src, static_cast<size_t>(n) * sizeof(float), cudaMemcpyDeviceToDevice,
                                   current_stream()));
    return;
  }
  with_index_type(n, [&](auto zero) {
    using Index = decltype(zero);
    strided_copy_kernel<Index>
        <<<grid_for(n), kThreadsPerBlock, 0, current_stream()>>>(src, dst, ix, static_cast<Index>(n));
  });
  GAN_CUDA_CHECK_LAST();
}

}  // namespace gan::cuda
