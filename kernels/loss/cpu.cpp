// CPU losses, reduced by the mean, fused with d(mean loss)/d(input):
//   BCE, BCEWithLogits  the rules of kernels/loss/bce.h (shared with CUDA), / n
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
#include "kernels/loss/bce.h"
#include "kernels/loss/loss.h"

namespace gan::cpu {

namespace {

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
        g = loss_rules::bce_grad(p, t);
        return loss_rules::bce(p, t);
      });
    case LossKind::BCEWithLogits:
      return mean_loss(input, target, n, loss, grad, [](double x, double t, double& g) {
        g = loss_rules::bce_with_logits_grad(x, t);
        return loss_rules::bce_with_logits(x, t);
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
