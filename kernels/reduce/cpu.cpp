// CPU sum_to: sums a contiguous array x over the dimensions where `out_shape`
// has size 1 (every other dimension of out equals x's), e.g. [N,K,P,Q] ->
// [1,K,1,1] for a bias gradient or [2,3,4] -> [1,1,1] for a total sum.
//
// Method: size-1 input dims are dropped and neighbouring dims of the same kind
// (kept / reduced) merged, so [N,K,P,Q] -> [1,K,1,1] becomes
// reduced(N) kept(K) reduced(P*Q). Each output element then sums its input
// elements (an odometer over the reduced dims, the innermost reduced dim as a
// strided loop) in a double accumulator, in a fixed order.
//
// Threads: parallel over output elements (each owns its sum) when there is
// enough work; a total sum (one output) uses fixed blocks summed in block order
// instead. Either way the result does not depend on the number of threads.
// Cost: reads n elements once, writes out.numel(); n additions.
#include <algorithm>

#include "kernels/cpu_detail.h"
#include "kernels/reduce/reduce.h"

namespace gan::cpu {

template <typename T>
void sum_to(const T* x, const StridedLayout& in, T* out, const StridedLayout& out_shape) {
  // Contiguous strides of x, then the simplified kept / reduced dimension lists.
  int64_t in_strides[kMaxDims] = {};
  int64_t n = 1;
  for (int d = in.rank - 1; d >= 0; --d) {
    in_strides[d] = n;
    n *= in.shape[d];
  }
  int64_t out_n = 1;
  for (int d = 0; d < out_shape.rank; ++d) out_n *= out_shape.shape[d];
  if (out_n <= 0) return;
  if (n <= 0) {
    std::fill(out, out + out_n, T(0));
    return;
  }
  if (out_n == 1) {
    out[0] = static_cast<T>(detail::deterministic_sum(n, [x](int64_t i) { return static_cast<double>(x[i]); }));
    return;
  }

  int kr = 0, rr = 0;  // number of kept / reduced dims
  int64_t k_shape[kMaxDims] = {}, k_stride[kMaxDims] = {}, r_shape[kMaxDims] = {}, r_stride[kMaxDims] = {};
  int last_kind = -1;  // 0 kept, 1 reduced
  for (int d = 0; d < in.rank; ++d) {
    if (in.shape[d] == 1) continue;
    const int kind = out_shape.shape[d] == 1 ? 1 : 0;
    int64_t* shp = kind ? r_shape : k_shape;
    int64_t* str = kind ? r_stride : k_stride;
    int& cnt = kind ? rr : kr;
    if (kind == last_kind) {  // contiguous with the previous dim of the same kind: merge
      shp[cnt - 1] *= in.shape[d];
      str[cnt - 1] = in_strides[d];
    } else {
      shp[cnt] = in.shape[d];
      str[cnt] = in_strides[d];
      ++cnt;
    }
    last_kind = kind;
  }

  const int64_t per_out = n / out_n;  // elements summed into each output
#pragma omp parallel for schedule(static) if (n > detail::kParallelThreshold && out_n > 1)
  for (int64_t o = 0; o < out_n; ++o) {
    // Input offset of output element o (row-major over the kept dims).
    int64_t base = 0;
    for (int64_t d = kr - 1, rem = o; d >= 0; --d) {
      base += (rem % k_shape[d]) * k_stride[d];
      rem /= k_shape[d];
    }
    double s = 0.0;
    if (rr == 0) {
      s = static_cast<double>(x[base]);
    } else {
      const int last = rr - 1;
      const int64_t inner = r_shape[last], inner_stride = r_stride[last];
      int64_t idx[kMaxDims] = {};
      int64_t off = base;
      for (int64_t done = 0; done < per_out; done += inner) {
        const T* p = x + off;
        for (int64_t j = 0; j < inner; ++j) s += static_cast<double>(p[j * inner_stride]);
        for (int d = last - 1; d >= 0; --d) {  // advance the outer reduced dims
          off += r_stride[d];
          if (++idx[d] < r_shape[d]) break;
          off -= r_shape[d] * r_stride[d];
          idx[d] = 0;
        }
      }
    }
    out[o] = static_cast<T>(s);
  }
}

template void sum_to<float>(const float*, const StridedLayout&, float*, const StridedLayout&);
template void sum_to<double>(const double*, const StridedLayout&, double*, const StridedLayout&);

}  // namespace gan::cpu
