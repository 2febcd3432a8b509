// CPU activations, forward and backward:
//   Relu       y = max(x, 0)                 dx = dy * (x > 0)
//   LeakyRelu  y = x > 0 ? x : slope * x     dx = dy * (x > 0 ? 1 : slope)
//   Tanh       y = tanh(x)                   dx = dy * (1 - y^2)
//   Sigmoid    y = 1 / (1 + exp(-x))         dx = dy * y * (1 - y)
// At x == 0 Relu/LeakyRelu use the x <= 0 branch (PyTorch's convention).
// Sigmoid is evaluated as exp(x) / (1 + exp(x)) for x < 0 so exp never overflows.
//
// Threads: one flat simd loop, parallel over elements when n > kParallelThreshold.
// Cost: memory bound; forward reads n, writes n; backward reads 2n, writes n.
#include <cmath>

#include "kernels/activation/activation.h"
#include "kernels/cpu_detail.h"

namespace gan::cpu {

namespace {

// y[i] = f(x[i]) and out[i] = f(a[i], b[i]): value-to-value functors in a
// flat `simd` loop, so that the piecewise-linear ones compile to vector
// compares and blends. (A branch per element costs a misprediction on about
// half of a layer's activations, whose signs are random: the scalar form made
// ReLU/LeakyReLU ~15 % of a CPU training step.) Blending computes both sides,
// which -fno-trapping-math (CMakeLists.txt) allows. `simd` also makes the loop
// correct when out is x (same index read, then written).
// Each thread copies f: its captures (the slope) then live in registers rather
// than behind the shared closure pointer, which a store to out might alias.
template <typename T, typename F>
void map1(int64_t n, const T* x, T* y, const F& f) {
#pragma omp parallel if (n > detail::kParallelThreshold)
  {
    const F local = f;
#pragma omp for simd schedule(static)
    for (int64_t i = 0; i < n; ++i) y[i] = local(x[i]);
  }
}

template <typename T, typename F>
void map2(int64_t n, const T* a, const T* b, T* out, const F& f) {
#pragma omp parallel if (n > detail::kParallelThreshold)
  {
    const F local = f;
#pragma omp for simd schedule(static)
    for (int64_t i = 0; i < n; ++i) out[i] = local(a[i], b[i]);
  }
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
    case Activation::Relu: return map1(n, x, y, [](T v) { return v > T(0) ? v : T(0); });
    case Activation::LeakyRelu:
      return map1(n, x, y, [negative_slope](T v) { return v > T(0) ? v : negative_slope * v; });
    case Activation::Tanh: return map1(n, x, y, [](T v) { return std::tanh(v); });
    case Activation::Sigmoid: return map1(n, x, y, [](T v) { return sigmoid(v); });
  }
}

template <typename T>
void activation_backward(Activation act, const T* saved, const T* dy, T* dx, int64_t n, T negative_slope) {
  switch (act) {
    case Activation::Relu:  // saved = x
      return map2(n, saved, dy, dx, [](T s, T g) { return s > T(0) ? g : T(0); });
    case Activation::LeakyRelu:  // saved = x
      return map2(n, saved, dy, dx, [negative_slope](T s, T g) { return s > T(0) ? g : negative_slope * g; });
    case Activation::Tanh:  // saved = y
      return map2(n, saved, dy, dx, [](T s, T g) { return g * (T(1) - s * s); });
    case Activation::Sigmoid:  // saved = y
      return map2(n, saved, dy, dx, [](T s, T g) { return g * s * (T(1) - s); });
  }
}

template void activation_forward<float>(Activation, const float*, float*, int64_t, float);
template void activation_forward<double>(Activation, const double*, double*, int64_t, double);
template void activation_backward<float>(Activation, const float*, const float*, float*, int64_t, float);
template void activation_backward<double>(Activation, const double*, const double*, double*, int64_t, double);

}  // namespace gan::cpu
