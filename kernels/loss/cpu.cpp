// CPU losses, reduced by the mean, fused with d(mean loss)/d(input):
//   BCE            l = -(t*max(log p, -100) + (1-t)*max(log(1-p), -100))
//                  g = (-t/p [log p >= -100] + (1-t)/(1-p) [log(1-p) >= -100]) / n
//                  (the exact derivative of the clamped loss: a clamped log
//                  contributes 0, so p = 0 or 1 gives a finite gradient; a NaN p
//                  gives a NaN loss). log(1-p) is evaluated as log1p(-p).
//   BCEWithLogits  l = max(x,0) - x*t + log1p(exp(-|x|))    g = (sigmoid(x) - t) / n
//                  (sigmoid(x) - t evaluated as (1-t) - sigmoid(-x) for x >= 0: no cancellation)
//   MSE            l = (x-t)^2                              g = 2 (x-t) / n
//   L1             l = |x-t|                                g = sign(x-t) / n   (0 at x == t)
// Every element's loss and gradient are computed in double; the gradient is
// rounded to T when stored, the sum is kept in double and divided by n at the end.
//
// Threads: deterministic_sum cuts [0, n) into fixed blocks (in parallel when n
// is large) and adds the block sums in block order, so the loss does not depend
// on the number of threads. Cost: reads 2n, writes n + 1; ~10 FLOPs and one or
// two libm calls per element.
#include <cmath>

#include "kernels/cpu_detail.h"
#include "kernels/loss/loss.h"

namespace gan::cpu {

namespace {

// sigmoid(x) - t without cancellation: with e = exp(-|x|), sigmoid(-|x|) = e / (1 + e) is
// computed directly and sigmoid(x) - t = (1 - t) - sigmoid(-x) for x >= 0, so x = 50, t = 1
// gives -1.9e-22 rather than 1 - 1 = 0.
inline double sigmoid_minus(double x, double t) {
  const double e = std::exp(-std::fabs(x));
  const double s_neg = e / (1.0 + e);  // sigmoid(-|x|)
  return x >= 0.0 ? (1.0 - t) - s_neg : s_neg - t;
}

// loss = mean of elem(x, t); elem returns the element's loss and sets its unscaled gradient.
template <typename T, typename Elem>
void mean_loss(const T* input, const T* target, int64_t n, T* loss, T* grad, Elem elem) {
  const double dn = static_cast<double>(n);
  const double sum = detail::deterministic_sum(n, [&](int64_t i) {
    double g = 0.0;
    const double l = elem(static_cast<double>(input[i]), static_cast<double>(target[i]), g);
    if (grad) grad[i] = static_cast<T>(g / dn);
    return l;
  });
  *loss = static_cast<T>(sum / dn);
}

}  // namespace

template <typename T>
void loss_forward(LossKind kind, const T* input, const T* target, int64_t n, T* loss, T* grad) {
  switch (kind) {
    case LossKind::BCE:
      return mean_loss(input, target, n, loss, grad, [](double p, double t, double& g) {
        constexpr double kMinLog = -100.0;
        const double log_p = std::log(p), log_1mp = std::log1p(-p);
        double l = 0.0;
        g = 0.0;
        if (log_p < kMinLog) {  // written so that a NaN p gives a NaN loss, not a clamped one
          l -= t * kMinLog;
        } else {
          l -= t * log_p;
          g -= t / p;
        }
        if (log_1mp < kMinLog) {
          l -= (1.0 - t) * kMinLog;
        } else {
          l -= (1.0 - t) * log_1mp;
          g += (1.0 - t) / (1.0 - p);
        }
        return l;
      });
    case LossKind::BCEWithLogits:
      return mean_loss(input, target, n, loss, grad, [](double x, double t, double& g) {
        g = sigmoid_minus(x, t);
        return std::fmax(x, 0.0) - x * t + std::log1p(std::exp(-std::fabs(x)));
      });
    case LossKind::MSE:
      return mean_loss(input, target, n, loss, grad, [](double x, double t, double& g) {
        const double d = x - t;
        g = 2.0 * d;
        return d * d;
      });
    case LossKind::L1:
      return mean_loss(input, target, n, loss, grad, [](double x, double t, double& g) {
        const double d = x - t;
        g = d > 0.0 ? 1.0 : (d < 0.0 ? -1.0 : 0.0);
        return std::fabs(d);
      });
  }
}

template void loss_forward<float>(LossKind, const float*, const float*, int64_t, float*, float*);
template void loss_forward<double>(LossKind, const double*, const double*, int64_t, double*, double*);

}  // namespace gan::cpu
