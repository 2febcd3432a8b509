// CUDA optimizer updates: fused, in place, one pass per parameter tensor.
//
// Algorithm: one thread per parameter in a grid-stride loop (grid_for(n)
// blocks of 256 threads); each thread reads its parameter, gradient and state,
// and writes parameter and state back. Scalars that do not depend on the
// element (Adam's bias corrections 1-b1^t and 1-b2^t, 1-b1, 1-b2, ...) are
// computed once on the host in double and passed as float.
//   Adam     g += wd*p; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
//            p -= lr * (m / bc1) / (sqrt(v / bc2) + eps)
//   SGD      g += wd*p; buf = momentum buf + g; p -= lr buf   (momentum 0 or no buffer:
//            p -= lr g, the buffer untouched)
//   RMSprop  g += wd*p; sq = alpha sq + (1-alpha) g^2; p -= lr g / (sqrt(sq) + eps)
//   clamp    p = min(max(p, lo), hi)
// Cost (float32): Adam reads p, g, m, v and writes p, m, v: 28 B/element,
// ~15 FLOPs (one sqrt); SGD 20 B (with momentum), RMSprop 20 B, clamp 8 B.
#include <cmath>

#include "core/cuda/cuda_check.h"
#include "kernels/optim/optim.h"

namespace gan::cuda {

namespace {

struct AdamScalars {
  float lr, beta1, beta2, one_minus_beta1, one_minus_beta2, bias_correction1, bias_correction2, eps, weight_decay;
};

template <typename Index>
__global__ void adam_kernel(float* param, const float* grad, float* m, float* v, Index n, AdamScalars s) {
  GAN_GRID_STRIDE_LOOP(Index, i, n) {
    const float p = param[i];
    const float g = grad[i] + s.weight_decay * p;
    const float mi = s.beta1 * m[i] + s.one_minus_beta1 * g;
    const float vi = s.beta2 * v[i] + s.one_minus_beta2 * g * g;
    m[i] = mi;
    v[i] = vi;
    const float m_hat = mi / s.bias_correction1;
    const float v_hat = vi / s.bias_correction2;
    param[i] = p - s.lr * m_hat / (sqrtf(v_hat) + s.eps);
  }
}

template <typename Index>
__global__ void sgd_kernel(float* param, const float* grad, float* buf, Index n, float lr, float momentum,
                           float weight_decay) {
  GAN_GRID_STRIDE_LOOP(Index, i, n) {
    const float p = param[i];
    float g = grad[i] + weight_decay * p;
    if (buf != nullptr) {  // null when momentum == 0 (see sgd_step)
      g = momentum * buf[i] + g;
      buf[i] = g;
    }
    param[i] = p - lr * g;
  }
}

template <typename Index>
__global__ void rmsprop_kernel(float* param, const float* grad, float* square_avg, Index n, float lr, float alpha,
                               float one_minus_alpha, float eps, float weight_decay) {
  GAN_GRID_STRIDE_LOOP(Index, i, n) {
    const float p = param[i];
    const float g = grad[i] + weight_decay * p;
    const float sq = alpha * square_avg[i] + one_minus_alpha * g * g;
    square_avg[i] = sq;
    param[i] = p - lr * g / (sqrtf(sq) + eps);
  }
}

template <typename Index>
__global__ void clamp_kernel(float* x, Index n, float lo, float hi) {
  GAN_GRID_STRIDE_LOOP(Index, i, n) {
    // std::min(std::max(v, lo), hi), NaN behaviour included.
    const float v = x[i];
    const float above = v < lo ? lo : v;
    x[i] = hi < above ? hi : above;
  }
}

}  // namespace

void adam_step(float* param, const float* grad, float* m, float* v, int64_t n, const AdamParams& p) {
  if (n <= 0) return;
  const double t = static_cast<double>(p.step);
  AdamScalars s{};
  s.lr = static_cast<float>(p.lr);
  s.beta1 = static_cast<float>(p.beta1);
  s.beta2 = static_cast<float>(p.beta2);
  s.one_minus_beta1 = static_cast<float>(1.0 - p.beta1);
  s.one_minus_beta2 = static_cast<float>(1.0 - p.beta2);
  s.bias_correction1 = static_cast<float>(1.0 - std::pow(p.beta1, t));
  s.bias_correction2 = static_cast<float>(1.0 - std::pow(p.beta2, t));
  s.eps = static_cast<float>(p.eps);
  s.weight_decay = static_cast<float>(p.weight_decay);
  with_index_type(n, [&](auto zero) {
    using Index = decltype(zero);
    adam_kernel<Index><<<grid_for(n), kThreadsPerBlock, 0, current_stream()>>>(param, grad, m, v,
                                                                               static_cast<Index>(n), s);
  });
  GAN_CUDA_CHECK_LAST();
}

void sgd_step(float* param, const float* grad, float* momentum_buf, int64_t n, const SgdParams& p) {
  if (n <= 0) return;
  // Momentum 0 is plain SGD: the buffer is neither read nor written (as in PyTorch).
  float* buf = p.momentum != 0.0 ? momentum_buf : nullptr;
  with_index_type(n, [&](auto zero) {
    using Index = decltype(zero);
    sgd_kernel<Index><<<grid_for(n), kThreadsPerBlock, 0, current_stream()>>>(
        param, grad, buf, static_cast<Index>(n), static_cast<float>(p.lr), static_cast<float>(p.momentum),
        static_cast<float>(p.weight_decay));
  });
  GAN_CUDA_CHECK_LAST();
}

void rmsprop_step(float* param, const float* grad, float* square_avg, int64_t n, const RmspropParams& p) {
  if (n <= 0) return;
  with_index_type(n, [&](auto zero) {
    using Index = decltype(zero);
    rmsprop_kernel<Index><<<grid_for(n), kThreadsPerBlock, 0, current_stream()>>>(
        param, grad, square_avg, static_cast<Index>(n), static_cast<float>(p.lr), static_cast<float>(p.alpha),
        static_cast<float>(1.0 - p.alpha), static_cast<float>(p.eps), static_cast<float>(p.weight_decay));
  });
  GAN_CUDA_CHECK_LAST();
}

void clamp(float* x, int64_t n, float lo, float hi) {
  if (n <= 0) return;
  with_index_type(n, [&](auto zero) {
    using Index = decltype(zero);
    clamp_kernel<Index><<<grid_for(n), kThreadsPerBlock, 0, current_stream()>>>(x, static_cast<Index>(n), lo, hi);
  });
  GAN_CUDA_CHECK_LAST();
}

}  // namespace gan::cuda
