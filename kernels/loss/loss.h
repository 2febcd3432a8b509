// Pointwise losses, reduced by the mean, fused with their gradient.
//
// One pass over (input, target) writes the mean loss (one element) and, when
// grad is not null, d(mean loss)/d(input) for every element; the op layer keeps
// that gradient and scales it by the incoming gradient in backward.
//   BCE            -(t*log(p) + (1-t)*log(1-p)), logs clamped at -100 as PyTorch does;
//                  grad (p-t) / max(p(1-p), 1e-12) / n        (kernels/loss/bce.h: why the floor)
//   BCEWithLogits  max(x,0) - x*t + log1p(exp(-|x|))   (stable for any |x|); grad (sigmoid(x)-t)/n
//   MSE            (x-t)^2;  L1  |x-t| (gradient sign(x-t), 0 at 0)
// Cost: reads 2n, writes n (+1); a reduction over n.
#pragma once

#include <cstdint>

namespace gan {

enum class LossKind { BCE, BCEWithLogits, MSE, L1 };

namespace cpu {
template <typename T>
void loss_forward(LossKind kind, const T* input, const T* target, int64_t n, T* loss, T* grad);
}  // namespace cpu

namespace cuda {
// loss points to one float in device memory.
void loss_forward(LossKind kind, const float* input, const float* target, int64_t n, float* loss, float* grad);
}  // namespace cuda

}  // namespace gan
