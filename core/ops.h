// The differentiable ops: the one interface over both backends.
//
// Each op checks its arguments once (shapes, devices, dtypes: a mismatch throws
// ShapeError / DeviceError / DTypeError naming the op and the shapes), calls
// its kernels through the one dispatch point (core/dispatch.h), which picks
// kernels/<family>/cpu.cpp or cuda.cu for the tensors' device, and records an
// autograd Node when an input requires grad.
//
// core declares the ops; each kernel family defines its own, beside its
// kernels, in kernels/<family>/op.cpp (the forward and its backward Node
// together). kernels/ includes core/, never the other way round.
#pragma once

#include <vector>

#include "core/tensor.h"

namespace gan {

// ---- elementwise (NumPy broadcasting) — kernels/elementwise/op.cpp ----
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor add(const Tensor& a, double s);
Tensor sub(const Tensor& a, double s);
Tensor rsub(double s, const Tensor& a);  // s - a
Tensor mul(const Tensor& a, double s);
Tensor div(const Tensor& a, double s);
Tensor rdiv(double s, const Tensor& a);  // s / a
Tensor neg(const Tensor& a);
Tensor exp(const Tensor& a);
Tensor log(const Tensor& a);
Tensor sqrt(const Tensor& a);
Tensor abs(const Tensor& a);
Tensor square(const Tensor& a);
// sign(a): piecewise constant (zero gradient), used inside backward formulas;
// a is kept in the graph, so a leaf behind it gets zeros, not no gradient.
Tensor sign(const Tensor& a);

inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator+(const Tensor& a, double s) { return add(a, s); }
inline Tensor operator-(const Tensor& a, double s) { return sub(a, s); }
inline Tensor operator*(const Tensor& a, double s) { return mul(a, s); }
inline Tensor operator/(const Tensor& a, double s) { return div(a, s); }
inline Tensor operator+(double s, const Tensor& a) { return add(a, s); }
inline Tensor operator-(double s, const Tensor& a) { return rsub(s, a); }
inline Tensor operator*(double s, const Tensor& a) { return mul(a, s); }
inline Tensor operator/(double s, const Tensor& a) { return rdiv(s, a); }
inline Tensor operator-(const Tensor& a) { return neg(a); }

// ---- activations — kernels/activation/op.cpp ----
Tensor relu(const Tensor& x);
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.2);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);

// ---- reductions — kernels/reduce/op.cpp ----
Tensor sum(const Tensor& x);   // all elements -> shape []
Tensor mean(const Tensor& x);  // all elements -> shape []
Tensor sum(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim = false);
Tensor mean(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim = false);
// Sums x down to `shape` (x's shape broadcast from it): the adjoint of broadcasting.
Tensor sum_to(const Tensor& x, const Shape& shape);
// Broadcasts x to `shape` (materialised).
Tensor expand(const Tensor& x, const Shape& shape);

// ---- shape ops — kernels/elementwise/concat.cpp (reshape/transpose/slice are Tensor methods) ----
Tensor concat(const std::vector<Tensor>& tensors, int64_t dim);

// ---- linear algebra — kernels/matmul/op.cpp ----
Tensor matmul(const Tensor& a, const Tensor& b);  // [M,K] @ [K,N]
// x [B, in] @ w[out, in]^T + b[out] (b may be undefined)
Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b);

// ---- convolutions — kernels/conv/op.cpp ----
Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& b, int64_t stride = 1, int64_t pad = 0);
Tensor conv_transpose2d(const Tensor& x, const Tensor& w, const Tensor& b, int64_t stride = 1, int64_t pad = 0,
                        int64_t output_padding = 0);

// ---- normalisation — kernels/batch_norm2d/op.cpp ----
// Training mode normalises with batch statistics and updates running_mean/var
// (if defined) in place; eval mode uses the running statistics.
Tensor batch_norm2d(const Tensor& x, const Tensor& gamma, const Tensor& beta, const Tensor& running_mean,
                    const Tensor& running_var, bool training, double momentum = 0.1, double eps = 1e-5);

// Instance norm — kernels/instance_norm2d/op.cpp: each (n, c) plane normalised by
// its own mean and biased variance over H*W (no running statistics: training and
// eval are the same). gamma/beta [C] are both defined (affine) or both undefined.
Tensor instance_norm2d(const Tensor& x, const Tensor& gamma, const Tensor& beta, double eps = 1e-5);

// ---- padding — kernels/reflection_pad2d/op.cpp ----
// Mirror padding of every plane of [N, C, H, W] by `pad` on each side (pad < H, W).
Tensor reflection_pad2d(const Tensor& x, int64_t pad);

// ---- dropout — kernels/dropout/op.cpp ----
// training: each element is zeroed with probability p and the rest scaled by
// 1/(1-p); the mask is drawn from rng (the same mask on every device for the
// same RNG state). Not training, or p == 0: x itself, rng untouched.
Tensor dropout(const Tensor& x, double p, bool training, Rng& rng);

// ---- losses (mean over all elements) — kernels/loss/op.cpp ----
Tensor bce_loss(const Tensor& probabilities, const Tensor& targets);
Tensor bce_with_logits(const Tensor& logits, const Tensor& targets);
Tensor mse_loss(const Tensor& input, const Tensor& targets);
Tensor l1_loss(const Tensor& input, const Tensor& targets);

}  // namespace gan
