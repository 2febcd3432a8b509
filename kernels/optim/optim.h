// Optimizer updates, one fused pass per parameter tensor (in place).
//
// Adam (with bias correction, L2 weight decay added to the gradient):
//   m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g^2
//   p -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)
// SGD with momentum:  buf = momentum*buf + g;  p -= lr * buf
// RMSprop:            sq = alpha*sq + (1-alpha)*g^2;  p -= lr * g / (sqrt(sq) + eps)
// clamp (WGAN weight clipping): p = min(max(p, lo), hi)
// Cost: Adam reads p, g, m, v and writes p, m, v: 28 bytes/element in float32.
#pragma once

#include <cstdint>

namespace gan {

struct AdamParams {
  double lr = 2e-4, beta1 = 0.5, beta2 = 0.999, eps = 1e-8, weight_decay = 0.0;
  int64_t step = 1;  // 1-based, after increment
};
struct SgdParams {
  double lr = 0.01, momentum = 0.0, weight_decay = 0.0;
};
struct RmspropParams {
  double lr = 5e-5, alpha = 0.99, eps = 1e-8, weight_decay = 0.0;
};

namespace cpu {
template <typename T>
void adam_step(T* param, const T* grad, T* m, T* v, int64_t n, const AdamParams& p);
template <typename T>
void sgd_step(T* param, const T* grad, T* momentum_buf, int64_t n, const SgdParams& p);
template <typename T>
void rmsprop_step(T* param, const T* grad, T* square_avg, int64_t n, const RmspropParams& p);
template <typename T>
void clamp(T* x, int64_t n, T lo, T hi);
}  // namespace cpu

namespace cuda {
void adam_step(float* param, const float* grad, float* m, float* v, int64_t n, const AdamParams& p);
void sgd_step(float* param, const float* grad, float* momentum_buf, int64_t n, const SgdParams& p);
void rmsprop_step(float* param, const float* grad, float* square_avg, int64_t n, const RmspropParams& p);
void clamp(float* x, int64_t n, float lo, float hi);
}  // namespace cuda

}  // namespace gan
