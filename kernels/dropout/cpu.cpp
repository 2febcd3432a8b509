// CPU reference of dropout (the draw is specified in dropout.h).
//
// Threads: Philox blocks (4 elements each) in parallel; each element's draw
// depends only on its index, so the mask is the same for any thread count.
// Cost: reads x, writes y and mask; one Philox block per 4 elements.
#include "kernels/cpu_detail.h"
#include "kernels/dropout/dropout.h"

namespace gan::cpu {

template <typename T>
void dropout_forward(const T* x, T* y, T* mask, const DropoutParams& p) {
  const auto blocks = static_cast<int64_t>(dropout_draw::blocks_for(p.n));
  const T scale = static_cast<T>(p.scale);
#pragma omp parallel for schedule(static) if (p.n > detail::kParallelThreshold)
  for (int64_t b = 0; b < blocks; ++b) {
    const PhiloxBlock draws = philox4x32_10(p.counter + static_cast<uint64_t>(b), p.seed);
    for (int64_t j = 0; j < 4 && 4 * b + j < p.n; ++j) {
      const int64_t i = 4 * b + j;
      mask[i] = dropout_draw::keep(draws.word[j], p.threshold) ? scale : T(0);
      y[i] = x[i] * mask[i];
    }
  }
}

template void dropout_forward<float>(const float*, float*, float*, const DropoutParams&);
template void dropout_forward<double>(const double*, double*, double*, const DropoutParams&);

}  // namespace gan::cpu
