// Activation functions, forward and backward.
//
// ReLU and LeakyReLU backward read the forward input x; Tanh and Sigmoid
// backward read the forward output y (their derivatives are cheapest from y).
// Cost: memory bound; forward reads n, writes n; backward reads 2n, writes n.
#pragma once

#include <cstdint>

namespace gan {

enum class Activation { Relu, LeakyRelu, Tanh, Sigmoid };

namespace cpu {
template <typename T>
void activation_forward(Activation act, const T* x, T* y, int64_t n, T negative_slope);
// saved = x for Relu/LeakyRelu, y for Tanh/Sigmoid.
template <typename T>
void activation_backward(Activation act, const T* saved, const T* dy, T* dx, int64_t n, T negative_slope);
}  // namespace cpu

namespace cuda {
void activation_forward(Activation act, const float* x, float* y, int64_t n, float negative_slope);
void activation_backward(Activation act, const float* saved, const float* dy, float* dx, int64_t n,
                         float negative_slope);
}  // namespace cuda

}  // namespace gan
