// The per-element rules of the binary cross-entropy losses: one definition
// that the CPU reference (kernels/loss/cpu.cpp, in double) and the CUDA kernel
// (kernels/loss/cuda.cu, in float) both evaluate, so the two devices follow
// the same rule everywhere, edges included.
//
// bce on probabilities p and targets t in [0, 1] (PyTorch's BCELoss):
//   loss     -(t * max(log p, -100) + (1 - t) * max(log(1 - p), -100))
//   dloss/dp (p - t) / max(p * (1 - p), 1e-12)
// The exact derivative -t/p + (1-t)/(1-p) = (p - t) / (p(1 - p)) has its
// denominator floored at 1e-12, so the gradient stays finite where p is 0 or 1
// exactly, or underflows: a float32 sigmoid of a logit below about -88 is
// subnormal and 1/p would overflow float32 to inf, which then poisons every
// weight through the optimizer. There the gradient saturates at |p - t| * 1e12
// instead. (Logits should go to bce_with_logits, which needs no floor.)
//
// bce_with_logits on logits x (PyTorch's BCEWithLogitsLoss):
//   loss     max(x, 0) - x * t + log1p(exp(-|x|))      (no overflow for any x)
//   dloss/dx sigmoid(x) - t, evaluated as (1 - t) - sigmoid(-x) for x >= 0 and
//            sigmoid(x) - t below, with sigmoid(-|x|) = e / (1 + e), e = exp(-|x|):
//            no cancellation (x = 50, t = 1 gives -1.9e-22, not 1 - 1 = 0).
//
// Each is a few FLOPs and one or two transcendental calls per element.
#pragma once

#include <cmath>

#include "core/host_device.h"

namespace gan::loss_rules {

// max(v, -100), keeping a NaN a NaN (std::fmax would drop it).
template <typename T>
GAN_HOST_DEVICE T clamp_log(T v) {
  return v < T(-100) ? T(-100) : v;
}

template <typename T>
GAN_HOST_DEVICE T bce(T p, T t) {
  using std::log;
  using std::log1p;
  return -(t * clamp_log(log(p)) + (T(1) - t) * clamp_log(log1p(-p)));
}

template <typename T>
GAN_HOST_DEVICE T bce_grad(T p, T t) {
  const T d = p * (T(1) - p);
  return (p - t) / (d > T(1e-12) ? d : T(1e-12));
}

template <typename T>
GAN_HOST_DEVICE T bce_with_logits(T x, T t) {
  using std::exp;
  using std::fabs;
  using std::log1p;
  return (x > T(0) ? x : T(0)) - x * t + log1p(exp(-fabs(x)));
}

template <typename T>
GAN_HOST_DEVICE T bce_with_logits_grad(T x, T t) {
  using std::exp;
  using std::fabs;
  const T e = exp(-fabs(x));
  const T sigmoid_of_minus_abs = e / (T(1) + e);
  return x >= T(0) ? (T(1) - t) - sigmoid_of_minus_abs : sigmoid_of_minus_abs - t;
}

}  // namespace gan::loss_rules
