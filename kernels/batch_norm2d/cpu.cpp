// CPU reference of BatchNorm2d (the formulas are in batchnorm2d.h).
//
// Statistics are two-pass per channel in double (mean, then the mean of squared
// deviations), so they are exact to float rounding whatever the data's offset.
// Threads: channels in parallel; within a channel the N planes are summed in
// order, so results never depend on the thread count.
// Cost: forward reads x twice and writes y; backward reads x and dy twice
// and writes dx (see the header).
#include <cmath>

#include "kernels/batch_norm2d/batch_norm2d.h"
#include "kernels/cpu_detail.h"

namespace gan::cpu {

namespace {

// f(plane pointer offset) for each of the N planes of channel c.
template <typename F>
void for_each_plane(const BatchNorm2dParams& p, int64_t c, F&& f) {
  for (int64_t n = 0; n < p.N; ++n) f((n * p.C + c) * p.HW);
}

bool parallel_channels(const BatchNorm2dParams& p) {
  return p.C > 1 && p.N * p.C * p.HW > detail::kParallelThreshold;
}

}  // namespace

template <typename T>
void batch_norm2d_forward_train(const T* x, const T* gamma, const T* beta, T* y, T* save_mean, T* save_invstd,
                               T* running_mean, T* running_var, const BatchNorm2dParams& p) {
  const double m = static_cast<double>(p.N * p.HW);
#pragma omp parallel for schedule(static) if (parallel_channels(p))
  for (int64_t c = 0; c < p.C; ++c) {
    double sum = 0.0;
    for_each_plane(p, c, [&](int64_t off) {
      for (int64_t i = 0; i < p.HW; ++i) sum += x[off + i];
    });
    const double mean = sum / m;
    double sq = 0.0;
    for_each_plane(p, c, [&](int64_t off) {
      for (int64_t i = 0; i < p.HW; ++i) {
        const double d = x[off + i] - mean;
        sq += d * d;
      }
    });
    const double var = sq / m;  // biased: what normalises the batch
    const double invstd = 1.0 / std::sqrt(var + p.eps);
    save_mean[c] = static_cast<T>(mean);
    save_invstd[c] = static_cast<T>(invstd);
    if (running_mean) running_mean[c] = static_cast<T>((1 - p.momentum) * running_mean[c] + p.momentum * mean);
    if (running_var) {
      const double unbiased = m > 1 ? var * m / (m - 1) : var;
      running_var[c] = static_cast<T>((1 - p.momentum) * running_var[c] + p.momentum * unbiased);
    }
    const T scale = static_cast<T>(invstd * (gamma ? gamma[c] : T(1)));
    const T shift = static_cast<T>((beta ? beta[c] : T(0)) - mean * invstd * (gamma ? gamma[c] : T(1)));
    for_each_plane(p, c, [&](int64_t off) {
      for (int64_t i = 0; i < p.HW; ++i) y[off + i] = x[off + i] * scale + shift;
    });
  }
}

template <typename T>
void batch_norm2d_forward_eval(const T* x, const T* gamma, const T* beta, const T* running_mean,
                              const T* running_var, T* y, const BatchNorm2dParams& p) {
#pragma omp parallel for schedule(static) if (parallel_channels(p))
  for (int64_t c = 0; c < p.C; ++c) {
    const double invstd = 1.0 / std::sqrt(static_cast<double>(running_var[c]) + p.eps);
    const double g = gamma ? gamma[c] : 1.0;
    const T scale = static_cast<T>(invstd * g);
    const T shift = static_cast<T>((beta ? beta[c] : 0.0) - running_mean[c] * invstd * g);
    for_each_plane(p, c, [&](int64_t off) {
      for (int64_t i = 0; i < p.HW; ++i) y[off + i] = x[off + i] * scale + shift;
    });
  }
}

template <typename T>
void batch_norm2d_backward(const T* x, const T* dy, const T* gamma, const T* save_mean, const T* save_invstd,
                          T* dx, T* dgamma, T* dbeta, const BatchNorm2dParams& p) {
  const double m = static_cast<double>(p.N * p.HW);
#pragma omp parallel for schedule(static) if (parallel_channels(p))
  for (int64_t c = 0; c < p.C; ++c) {
    const double mean = save_mean[c], invstd = save_invstd[c];
    double sum_dy = 0.0, sum_dy_xhat = 0.0;
    for_each_plane(p, c, [&](int64_t off) {
      for (int64_t i = 0; i < p.HW; ++i) {
        sum_dy += dy[off + i];
        sum_dy_xhat += dy[off + i] * (x[off + i] - mean) * invstd;
      }
    });
    if (dbeta) dbeta[c] = static_cast<T>(sum_dy);
    if (dgamma) dgamma[c] = static_cast<T>(sum_dy_xhat);
    if (!dx) continue;
    // dx = gamma*invstd/m * (m*dy - sum_dy - xhat*sum_dy_xhat), as a*dy + b*x + c0
    const double k = (gamma ? gamma[c] : 1.0) * invstd / m;
    const T a = static_cast<T>(k * m);
    const T bx = static_cast<T>(-k * sum_dy_xhat * invstd);
    const T c0 = static_cast<T>(-k * sum_dy + k * sum_dy_xhat * invstd * mean);
    for_each_plane(p, c, [&](int64_t off) {
      for (int64_t i = 0; i < p.HW; ++i) dx[off + i] = a * dy[off + i] + bx * x[off + i] + c0;
    });
  }
}

#define GAN_INSTANTIATE(T)                                                                                     \
  template void batch_norm2d_forward_train<T>(const T*, const T*, const T*, T*, T*, T*, T*, T*,                 \
                                             const BatchNorm2dParams&);                                        \
  template void batch_norm2d_forward_eval<T>(const T*, const T*, const T*, const T*, const T*, T*,              \
                                            const BatchNorm2dParams&);                                         \
  template void batch_norm2d_backward<T>(const T*, const T*, const T*, const T*, const T*, T*, T*, T*,          \
                                        const BatchNorm2dParams&);
GAN_INSTANTIATE(float)
GAN_INSTANTIATE(double)
#undef GAN_INSTANTIATE

}  // namespace gan::cpu
