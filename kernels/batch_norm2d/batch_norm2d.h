// Batch normalisation over N, H, W for each channel of an NCHW tensor.
//
// Training: mean_c and biased var_c over the N*HW values of channel c;
//   y = (x - mean_c) * invstd_c * gamma_c + beta_c,  invstd_c = 1 / sqrt(var_c + eps)
//   running_mean = (1 - momentum) * running_mean + momentum * mean_c
//   running_var  = (1 - momentum) * running_var  + momentum * var_c * m / (m - 1)   (m = N*HW, unbiased)
// Eval: the running statistics replace the batch ones.
// Backward (training), with xhat = (x - mean) * invstd and m = N*HW:
//   dbeta_c = sum dy,  dgamma_c = sum dy * xhat
//   dx = gamma * invstd / m * (m * dy - dbeta_c - xhat * dgamma_c)
// Cost: forward reads x twice (statistics, then normalise) and writes y: ~3n
// elements; backward reads x and dy twice and writes dx: ~5n. ~10 FLOPs/element.
#pragma once

#include <cstdint>

namespace gan {

struct BatchNorm2dParams {
  int64_t N = 0, C = 0, HW = 0;
  double eps = 1e-5;
  double momentum = 0.1;
};

namespace cpu {
// save_mean/save_invstd [C] are written for the backward pass; running_mean/var
// are updated when not null.
template <typename T>
void batch_norm2d_forward_train(const T* x, const T* gamma, const T* beta, T* y, T* save_mean, T* save_invstd,
                               T* running_mean, T* running_var, const BatchNorm2dParams& p);
template <typename T>
void batch_norm2d_forward_eval(const T* x, const T* gamma, const T* beta, const T* running_mean,
                              const T* running_var, T* y, const BatchNorm2dParams& p);
template <typename T>
void batch_norm2d_backward(const T* x, const T* dy, const T* gamma, const T* save_mean, const T* save_invstd,
                          T* dx, T* dgamma, T* dbeta, const BatchNorm2dParams& p);
}  // namespace cpu

namespace cuda {
void batch_norm2d_forward_train(const float* x, const float* gamma, const float* beta, float* y, float* save_mean,
                               float* save_invstd, float* running_mean, float* running_var,
                               const BatchNorm2dParams& p);
void batch_norm2d_forward_eval(const float* x, const float* gamma, const float* beta, const float* running_mean,
                              const float* running_var, float* y, const BatchNorm2dParams& p);
void batch_norm2d_backward(const float* x, const float* dy, const float* gamma, const float* save_mean,
                          const float* save_invstd, float* dx, float* dgamma, float* dbeta,
                          const BatchNorm2dParams& p);
}  // namespace cuda

}  // namespace gan
