// CPU optimizer updates, in place, one fused pass per parameter tensor. With
// g = grad + weight_decay * p (L2 decay added to the gradient):
//   Adam     m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g^2
//            p -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)
//   SGD      buf = momentum*buf + g;  p -= lr * buf      (momentum == 0: p -= lr * g,
//            buf untouched and may be null; the caller zero-fills buf before step 1,
//            which makes step 1 buf = g as in PyTorch)
//   RMSprop  sq = alpha*sq + (1-alpha)*g^2;  p -= lr * g / (sqrt(sq) + eps)
//   clamp    p = min(max(p, lo), hi)   (NaN stays NaN)
// Each element is updated in double and rounded to T when stored (p, m, v, buf, sq).
//
// Threads: simd loops, parallel over elements when n > kParallelThreshold; no reductions.
// Cost: memory bound. Adam reads p, g, m, v and writes p, m, v (28 bytes per
// float element), SGD 20, RMSprop 20, clamp 8; ~10 FLOPs and one sqrt per element.
#include <algorithm>
#include <cmath>

#include "kernels/cpu_detail.h"
#include "kernels/optim/optim.h"

namespace gan::cpu {

template <typename T>
void adam_step(T* param, const T* grad, T* m, T* v, int64_t n, const AdamParams& p) {
  const double b1 = p.beta1, b2 = p.beta2;
  const double t = static_cast<double>(p.step);
  const double bc1 = 1.0 - std::pow(b1, t), bc2 = 1.0 - std::pow(b2, t);
  const double eps = p.eps, wd = p.weight_decay;
  // lr * (m / bc1) / (sqrt(v / bc2) + eps), with the per-tensor factors taken
  // out of the loop: one divide and one sqrt per element, both vectorised
  // (-fno-math-errno, see CMakeLists.txt).
  const double step_size = p.lr / bc1, inv_sqrt_bc2 = 1.0 / std::sqrt(bc2);
#pragma omp parallel for simd schedule(static) if (n > detail::kParallelThreshold)
  for (int64_t i = 0; i < n; ++i) {
    const double pi = static_cast<double>(param[i]);
    const double g = static_cast<double>(grad[i]) + wd * pi;
    const double mi = b1 * static_cast<double>(m[i]) + (1.0 - b1) * g;
    const double vi = b2 * static_cast<double>(v[i]) + (1.0 - b2) * g * g;
    m[i] = static_cast<T>(mi);
    v[i] = static_cast<T>(vi);
    param[i] = static_cast<T>(pi - step_size * mi / (std::sqrt(vi) * inv_sqrt_bc2 + eps));
  }
}

template <typename T>
void sgd_step(T* param, const T* grad, T* momentum_buf, int64_t n, const SgdParams& p) {
  const double lr = p.lr, mom = p.momentum, wd = p.weight_decay;
  const bool use_buf = mom != 0.0 && momentum_buf != nullptr;
#pragma omp parallel for schedule(static) if (n > detail::kParallelThreshold)
  for (int64_t i = 0; i < n; ++i) {
    const double pi = static_cast<double>(param[i]);
    double step = static_cast<double>(grad[i]) + wd * pi;
    if (use_buf) {
      step = mom * static_cast<double>(momentum_buf[i]) + step;
      momentum_buf[i] = static_cast<T>(step);
    }
    param[i] = static_cast<T>(pi - lr * step);
  }
}

template <typename T>
void rmsprop_step(T* param, const T* grad, T* square_avg, int64_t n, const RmspropParams& p) {
  const double lr = p.lr, alpha = p.alpha, eps = p.eps, wd = p.weight_decay;
#pragma omp parallel for simd schedule(static) if (n > detail::kParallelThreshold)
  for (int64_t i = 0; i < n; ++i) {
    const double pi = static_cast<double>(param[i]);
    const double g = static_cast<double>(grad[i]) + wd * pi;
    const double sq = alpha * static_cast<double>(square_avg[i]) + (1.0 - alpha) * g * g;
    square_avg[i] = static_cast<T>(sq);
    param[i] = static_cast<T>(pi - lr * g / (std::sqrt(sq) + eps));
  }
}

template <typename T>
void clamp(T* x, int64_t n, T lo, T hi) {
#pragma omp parallel for schedule(static) if (n > detail::kParallelThreshold)
  for (int64_t i = 0; i < n; ++i) x[i] = std::min(std::max(x[i], lo), hi);
}

#define GAN_INSTANTIATE(T)                                                       \
  template void adam_step<T>(T*, const T*, T*, T*, int64_t, const AdamParams&);  \
  template void sgd_step<T>(T*, const T*, T*, int64_t, const SgdParams&);        \
  template void rmsprop_step<T>(T*, const T*, T*, int64_t, const RmspropParams&); \
  template void clamp<T>(T*, int64_t, T, T);
GAN_INSTANTIATE(float)
GAN_INSTANTIATE(double)
#undef GAN_INSTANTIATE

}  // namespace gan::cpu
