// Finite-difference gradient checks in float64 on the CPU.
//
// For f: inputs -> output, the check compares autograd's gradient of
// L = sum(f(inputs) * R) (R a fixed random tensor, so every output element
// matters with a different weight) with central differences
// (L(x + h) - L(x - h)) / 2h for every element of every input.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/random.h"

namespace gan::testing {

struct GradcheckOptions {
  double step = 1e-6;
  double atol = 1e-7;  // |analytic - numeric| <= atol + rtol * |numeric|
  double rtol = 1e-5;
};

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

// Random float64 leaf with requires_grad.
inline Tensor random_input(const Shape& shape, Generator& gen, double lo = -1.0, double hi = 1.0) {
  Tensor t = Tensor::rand(shape, gen, DType::F64, Device::cpu(), lo, hi);
  t.set_requires_grad(true);
  return t;
}

inline double weighted_sum(const Fn& f, const std::vector<Tensor>& inputs, const Tensor& weights) {
  NoGradGuard no_grad;
  return sum(mul(f(inputs), weights)).item();
}

// Adds gtest failures for every mismatching element; returns the number of them.
inline int gradcheck(const Fn& f, std::vector<Tensor> inputs, const GradcheckOptions& opt = {},
                     uint64_t seed = 1234) {
  Generator gen(seed);
  Tensor out = f(inputs);
  const Tensor weights = Tensor::rand(out.shape(), gen, DType::F64, Device::cpu(), 0.5, 1.5);
  for (Tensor& in : inputs) in.zero_grad();
  sum(mul(out, weights)).backward();

  int failures = 0;
  for (size_t k = 0; k < inputs.size(); ++k) {
    Tensor& in = inputs[k];
    if (!in.requires_grad()) continue;
    const Tensor analytic = in.grad();
    std::vector<double> a = analytic.defined() ? analytic.to_vector<double>() : std::vector<double>(in.numel(), 0.0);
    double* x = in.data<double>();  // leaves are contiguous
    for (int64_t i = 0; i < in.numel(); ++i) {
      const double saved = x[i];
      x[i] = saved + opt.step;
      const double up = weighted_sum(f, inputs, weights);
      x[i] = saved - opt.step;
      const double down = weighted_sum(f, inputs, weights);
      x[i] = saved;
      const double numeric = (up - down) / (2 * opt.step);
      if (!(std::abs(a[i] - numeric) <= opt.atol + opt.rtol * std::abs(numeric))) {
        if (++failures <= 5) {
          ADD_FAILURE() << "input " << k << " element " << i << ": analytic " << a[i] << " vs numeric " << numeric;
        }
      }
    }
  }
  return failures;
}

}  // namespace gan::testing
