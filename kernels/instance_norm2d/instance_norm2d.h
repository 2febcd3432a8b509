// Instance normalisation (Ulyanov et al., 2016): each (n, c) plane of an NCHW
// tensor is normalised by its own mean and variance over H*W. Unlike batch
// norm nothing couples the images of a batch, and there are no running
// statistics: training and evaluation compute the same thing (PyTorch's
// InstanceNorm2d default, track_running_stats = false, which CycleGAN uses).
//
// With m = H*W, for plane (n, c):
//   mean = sum x / m,  var = sum (x - mean)^2 / m (biased),  invstd = 1 / sqrt(var + eps)
//   xhat = (x - mean) * invstd,  y = xhat * gamma_c + beta_c   (gamma = 1, beta = 0 without affine)
// Backward, per plane, with gy = dy * gamma_c:
//   dx = invstd * (gy - mean(gy) - xhat * mean(gy * xhat))
//      = gamma_c * invstd / m * (m * dy - sum dy - xhat * sum dy * xhat)
//   dbeta_c = sum over n of (sum dy),  dgamma_c = sum over n of (sum dy * xhat)
// Cost: forward reads x twice (statistics, normalise) and writes y: ~3 elements
// of traffic per element; backward reads x and dy twice and writes dx: ~5.
// About 10 FLOPs per element either way: memory bound.
#pragma once

#include <cstdint>

namespace gan {

struct InstanceNorm2dParams {
  int64_t N = 0, C = 0, HW = 0;  // planes: N * C, each of HW contiguous values
  double eps = 1e-5;
};

namespace cpu {
// save_mean / save_invstd [N*C] are written for the backward pass. gamma and
// beta [C] may be null (affine = false).
template <typename T>
void instance_norm2d_forward(const T* x, const T* gamma, const T* beta, T* y, T* save_mean, T* save_invstd,
                             const InstanceNorm2dParams& p);
// dx, dgamma and dbeta may each be null (not wanted).
template <typename T>
void instance_norm2d_backward(const T* x, const T* dy, const T* gamma, const T* save_mean, const T* save_invstd,
                              T* dx, T* dgamma, T* dbeta, const InstanceNorm2dParams& p);
}  // namespace cpu

namespace cuda {
void instance_norm2d_forward(const float* x, const float* gamma, const float* beta, float* y, float* save_mean,
                             float* save_invstd, const InstanceNorm2dParams& p);
void instance_norm2d_backward(const float* x, const float* dy, const float* gamma, const float* save_mean,
                              const float* save_invstd, float* dx, float* dgamma, float* dbeta,
                              const InstanceNorm2dParams& p);
}  // namespace cuda

}  // namespace gan
