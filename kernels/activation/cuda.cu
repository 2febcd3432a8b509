// CUDA activation kernels, forward and backward.
//
// Algorithm: one thread per element in a grid-stride loop (grid_for(n) blocks
// of 256 threads), template-specialised per activation so the loop body is
// branch-free; 32-bit indices when n < 2^31.
//   forward   Relu max(x,0); LeakyRelu x>0 ? x : slope*x; Tanh tanhf; Sigmoid
//             1/(1+exp(-x)), or exp(x)/(1+exp(x)) for x < 0 (as on the CPU: no
//             overflow, and the subnormal results below -87 survive)
//   backward  Relu/LeakyRelu read the forward input x (gradient 0 / slope at x <= 0),
//             Tanh dy*(1-y^2) and Sigmoid dy*y*(1-y) read the forward output y.
// Cost: memory bound; forward reads n and writes n floats (8 B/element),
// backward reads 2n and writes n (12 B/element); 1-3 FLOPs per element
// (Tanh/Sigmoid forward: one SFU exp).
#include "core/cuda/cuda_check.h"
#include "core/error.h"
#include "kernels/activation/activation.h"

namespace gan::cuda {

namespace {

template <Activation act>
__device__ __forceinline__ float forward(float x, float slope) {
  if constexpr (act == Activation::Relu) {
    return x > 0.0f ? x : 0.0f;
  } else if constexpr (act == Activation::LeakyRelu) {
    return x > 0.0f ? x : x * slope;
  } else if constexpr (act == Activation::Tanh) {
    return tanhf(x);
  } else {
    // As on the CPU: exp(x) / (1 + exp(x)) for x < 0, so exp never overflows
    // and sigmoid(x) for x in (-103, -87) is the subnormal it is, not 0.
    if (x < 0.0f) {
      const float e = expf(x);
      return e / (1.0f + e);
    }
    return 1.0f / (1.0f + expf(-x));
  }
}

template <Activation act>
__device__ __forceinline__ float backward(float saved, float dy, float slope) {
  if constexpr (act == Activation::Relu) {
    return saved > 0.0f ? dy : 0.0f;  // saved = x
  } else if constexpr (act == Activation::LeakyRelu) {
    return saved > 0.0f ? dy : dy * slope;  // saved = x
  } else if constexpr (act == Activation::Tanh) {
    return dy * (1.0f - saved * saved);  // saved = y
  } else {
    return dy * saved * (1.0f - saved);  // saved = y
  }
}

template <Activation act, typename Index>
__global__ void forward_kernel(const float* x, float* y, Index n, float slope) {
  GAN_GRID_STRIDE_LOOP(Index, i, n) y[i] = forward<act>(x[i], slope);
}

template <Activation act, typename Index>
__global__ void backward_kernel(const float* saved, const float* dy, float* dx, Index n, float slope) {
  GAN_GRID_STRIDE_LOOP(Index, i, n) dx[i] = backward<act>(saved[i], dy[i], slope);
}

template <Activation act>
void launch_forward(const float* x, float* y, int64_t n, float slope) {
  with_index_type(n, [&](auto zero) {
    using Index = decltype(zero);
    forward_kernel<act, Index>
        <<<grid_for(n), kThreadsPerBlock, 0, current_stream()>>>(x, y, static_cast<Index>(n), slope);
  });
  GAN_CUDA_CHECK_LAST();
}

template <Activation act>
void launch_backward(const float* saved, const float* dy, float* dx, int64_t n, float slope) {
  with_index_type(n, [&](auto zero) {
    using Index = decltype(zero);
    backward_kernel<act, Index>
        <<<grid_for(n), kThreadsPerBlock, 0, current_stream()>>>(saved, dy, dx, static_cast<Index>(n), slope);
  });
  GAN_CUDA_CHECK_LAST();
}

}  // namespace

void activation_forward(Activation act, const float* x, float* y, int64_t n, float negative_slope) {
  if (n <= 0) return;
  switch (act) {
    case Activation::Relu: return launch_forward<Activation::Relu>(x, y, n, negative_slope);
    case Activation::LeakyRelu: return launch_forward<Activation::LeakyRelu>(x, y, n, negative_slope);
    case Activation::Tanh: return launch_forward<Activation::Tanh>(x, y, n, negative_slope);
    case Activation::Sigmoid: return launch_forward<Activation::Sigmoid>(x, y, n, negative_slope);
  }
  throw ValueError("cuda::activation_forward: unknown Activation");
}

void activation_backward(Activation act, const float* saved, const float* dy, float* dx, int64_t n,
                         float negative_slope) {
  if (n <= 0) return;
  switch (act) {
    case Activation::Relu: return launch_backward<Activation::Relu>(saved, dy, dx, n, negative_slope);
    case Activation::LeakyRelu: return launch_backward<Activation::LeakyRelu>(saved, dy, dx, n, negative_slope);
    case Activation::Tanh: return launch_backward<Activation::Tanh>(saved, dy, dx, n, negative_slope);
    case Activation::Sigmoid: return launch_backward<Activation::Sigmoid>(saved, dy, dx, n, negative_slope);
  }
  throw ValueError("cuda::activation_backward: unknown Activation");
}

}  // namespace gan::cuda
