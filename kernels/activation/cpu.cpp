// CPU activations, forward and backward:
//   Relu       y = max(x, 0)                 dx = dy * (x > 0)
//   LeakyRelu  y = x > 0 ? x : slope * x     dx = dy * (x > 0 ? 1 : slope)
//   Tanh       y = tanh(x)                   dx = dy * (1 - y^2)
//   Sigmoid    y = 1 / (1 + exp(-x))         dx = dy * y * (1 - y)
// At x == 0 Relu/LeakyRelu use the x <= 0 branch (PyTorch's convention).
// Sigmoid is evaluated as exp(x) / (1 + exp(x)) for x < 0 so exp never overflows.
//
// Threads: one flat loop, parallel over elements when n > kParallelThreshold.
// Cost: memory bound; forward reads n, writes n; backward reads 2n, writes n.
#include <cmath>

#include "kernels/activation/activation.h"
#include "kernels/cpu_detail.h"

namespace gan::cpu {

namespace {

template <typename F>
void for_each_index(int64_t n, F&& f) {
#pragma omp parallel for schedule(static) if (n > detail::kParallelThreshold)
  for (int64_t i = 0; i < n; ++i) f(i);
}

template <typename T>
inline T sigmoid(T x) {
  if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
  const T e = std::exp(x);
  return e / (T(1) + e);
}

}  // namespace

template <typename T>
void activation_forward(Activation act, const T* x, T* y, int64_t n, T negative_slope) {
  switch (act) {
    case Activation::Relu:
      return for_each_index(n, [=](int64_t i) { y[i] = x[i] > T(0) ? x[i] : T(0); });
    case Activation::LeakyRelu:
      return for_each_index(n, [=](int64_t i) { y[i] = x[i] > T(0) ? x[i] : negative_slope * x[i]; });
    case Activation::Tanh:
      return for_each_index(n, [=](int64_t i) { y[i] = std::tanh(x[i]); });
    case Activation::Sigmoid:
      return for_each_index(n, [=](int64_t i) { y[i] = sigmoid(x[i]); });
  }
}

template <typename T>
void activation_backward(Activation act, const T* saved, const T* dy, T* dx, int64_t n, T negative_slope) {
  switch (act) {
    case Activation::Relu:  // saved = x
      return for_each_index(n, [=](int64_t i) { dx[i] = saved[i] > T(0) ? dy[i] : T(0); });
    case Activation::LeakyRelu:  // saved = x
      return for_each_index(n, [=](int64_t i) { dx[i] = saved[i] > T(0) ? dy[i] : negative_slope * dy[i]; });
    case Activation::Tanh:  // saved = y
      return for_each_index(n, [=](int64_t i) { dx[i] = dy[i] * (T(1) - saved[i] * saved[i]); });
    case Activation::Sigmoid:  // saved = y
      return for_each_index(n, [=](int64_t i) { dx[i] = dy[i] * saved[i] * (T(1) - saved[i]); });
  }
}

template void activation_forward<float>(Activation, const float*, float*, int64_t, float);
template void activation_forward<double>(Activation, const double*, double*, int64_t, double);
template void activation_backward<float>(Activation, const float*, const float*, float*, int64_t, float);
template void activation_backward<double>(Activation, const double*, const double*, double*, int64_t, double);

}  // namespace gan::cpu
