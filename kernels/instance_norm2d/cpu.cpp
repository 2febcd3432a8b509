// CPU reference of InstanceNorm2d (the formulas are in instance_norm2d.h).
//
// Statistics are two-pass per plane in double (mean, then the mean of squared
// deviations), exact to float rounding whatever the data's offset.
// Threads: planes in parallel; each plane is summed left to right by one
// thread, and the per-channel dgamma/dbeta add the N planes' partial sums in
// order n = 0, 1, ..., so results never depend on the thread count.
// Cost: forward reads x twice and writes y; backward reads x and dy twice and
// writes dx (see the header).
#include <cmath>
#include <vector>

#include "kernels/cpu_detail.h"
#include "kernels/instance_norm2d/instance_norm2d.h"

namespace gan::cpu {

namespace {

bool parallel_planes(const InstanceNorm2dParams& p) {
  return p.N * p.C > 1 && p.N * p.C * p.HW > detail::kParallelThreshold;
}

}  // namespace

template <typename T>
void instance_norm2d_forward(const T* x, const T* gamma, const T* beta, T* y, T* save_mean, T* save_invstd,
                             const InstanceNorm2dParams& p) {
  const double m = static_cast<double>(p.HW);
  const int64_t planes = p.N * p.C;
#pragma omp parallel for schedule(static) if (parallel_planes(p))
  for (int64_t plane = 0; plane < planes; ++plane) {
    const T* xp = x + plane * p.HW;
    T* yp = y + plane * p.HW;
    const int64_t c = plane % p.C;
    double sum = 0.0;
    for (int64_t i = 0; i < p.HW; ++i) sum += xp[i];
    const double mean = sum / m;
    double sq = 0.0;
    for (int64_t i = 0; i < p.HW; ++i) {
      const double d = xp[i] - mean;
      sq += d * d;
    }
    const double invstd = 1.0 / std::sqrt(sq / m + p.eps);
    save_mean[plane] = static_cast<T>(mean);
    save_invstd[plane] = static_cast<T>(invstd);
    // y = (x - mean) * (invstd * gamma) + beta: subtracting the mean first
    // keeps float accuracy when the mean is large against the spread.
    const T mean_t = static_cast<T>(mean);
    const T scale = static_cast<T>(invstd * (gamma ? gamma[c] : 1.0));
    const T shift = beta ? beta[c] : T(0);
    for (int64_t i = 0; i < p.HW; ++i) yp[i] = (xp[i] - mean_t) * scale + shift;
  }
}

template <typename T>
void instance_norm2d_backward(const T* x, const T* dy, const T* gamma, const T* save_mean, const T* save_invstd,
                              T* dx, T* dgamma, T* dbeta, const InstanceNorm2dParams& p) {
  const double m = static_cast<double>(p.HW);
  const int64_t planes = p.N * p.C;
  // Per-plane sums of dy and dy * xhat, kept for the per-channel parameter gradients.
  std::vector<double> plane_dbeta(static_cast<size_t>(planes)), plane_dgamma(static_cast<size_t>(planes));
#pragma omp parallel for schedule(static) if (parallel_planes(p))
  for (int64_t plane = 0; plane < planes; ++plane) {
    const T* xp = x + plane * p.HW;
    const T* dyp = dy + plane * p.HW;
    const double mean = save_mean[plane], invstd = save_invstd[plane];
    double sum_dy = 0.0, sum_dy_xhat = 0.0;
    for (int64_t i = 0; i < p.HW; ++i) {
      sum_dy += dyp[i];
      sum_dy_xhat += dyp[i] * (xp[i] - mean) * invstd;
    }
    plane_dbeta[static_cast<size_t>(plane)] = sum_dy;
    plane_dgamma[static_cast<size_t>(plane)] = sum_dy_xhat;
    if (!dx) continue;
    // dx = k * (m*dy - sum_dy - xhat*sum_dy_xhat) with k = gamma*invstd/m, as
    // a*dy + b*xhat + c0 (the CUDA kernel evaluates the same expression).
    const double k = (gamma ? gamma[plane % p.C] : 1.0) * invstd / m;
    const T a = static_cast<T>(k * m);
    const T b = static_cast<T>(-k * sum_dy_xhat);
    const T c0 = static_cast<T>(-k * sum_dy);
    const T mean_t = save_mean[plane], invstd_t = save_invstd[plane];
    T* dxp = dx + plane * p.HW;
    for (int64_t i = 0; i < p.HW; ++i) dxp[i] = a * dyp[i] + b * ((xp[i] - mean_t) * invstd_t) + c0;
  }
  for (int64_t c = 0; c < p.C; ++c) {
    double db = 0.0, dg = 0.0;
    for (int64_t n = 0; n < p.N; ++n) {
      db += plane_dbeta[static_cast<size_t>(n * p.C + c)];
      dg += plane_dgamma[static_cast<size_t>(n * p.C + c)];
    }
    if (dbeta) dbeta[c] = static_cast<T>(db);
    if (dgamma) dgamma[c] = static_cast<T>(dg);
  }
}

#define GAN_INSTANTIATE(T)                                                                                      \
  template void instance_norm2d_forward<T>(const T*, const T*, const T*, T*, T*, T*, const InstanceNorm2dParams&); \
  template void instance_norm2d_backward<T>(const T*, const T*, const T*, const T*, const T*, T*, T*, T*,        \
                                            const InstanceNorm2dParams&);
GAN_INSTANTIATE(float)
GAN_INSTANTIATE(double)
#undef GAN_INSTANTIATE

}  // namespace gan::cpu
