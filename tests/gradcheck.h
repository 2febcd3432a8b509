// Finite-difference gradient checks in float64 on the CPU.
//
// For f: inputs -> output, the check compares autograd's gradient of
// L = sum(f(inputs) * R) (R a fixed random tensor, so every output element
// matters with a different weight) with central differences
// (L(x + h) - L(x - h)) / 2h for every element of every input.
//
// gradcheck_scalar does the same for a function that returns a scalar itself
// and may run backward passes inside (a gradient penalty, a function of an
// input gradient): it is what the double-backward tests use.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
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
  // Check at most this many evenly spaced elements of each input (0: all),
  // for functions that are expensive to evaluate.
  int64_t max_elements = 0;
};

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

// Random float64 leaf with requires_grad.
inline Tensor random_input(const Shape& shape, Rng& rng, double lo = -1.0, double hi = 1.0) {
  Tensor t = Tensor::rand(shape, rng, DType::F64, Device::cpu(), lo, hi);
  t.set_requires_grad(true);
  return t;
}

// Offset from t.data() of the element with row-major (logical) index i.
inline int64_t storage_offset(const Tensor& t, int64_t i) {
  int64_t offset = 0;
  for (int64_t d = t.dim() - 1; d >= 0; --d) {
    const int64_t extent = t.shape()[static_cast<size_t>(d)];
    offset += (i % extent) * t.strides()[static_cast<size_t>(d)];
    i /= extent;
  }
  return offset;
}

inline double weighted_sum(const Fn& f, const std::vector<Tensor>& inputs, const Tensor& weights) {
  NoGradGuard no_grad;
  return sum(mul(f(inputs), weights)).item();
}

// Compares analytic[k] (one gradient per input, undefined = zero) with central
// differences of `eval` for the elements of every input that requires grad
// (every element, or opt.max_elements of each, evenly spaced). Adds gtest
// failures for the first mismatches; returns the number of them.
inline int compare_with_central_differences(std::vector<Tensor>& inputs, const std::vector<Tensor>& analytic,
                                            const std::function<double()>& eval, const GradcheckOptions& opt) {
  int failures = 0;
  for (size_t k = 0; k < inputs.size(); ++k) {
    Tensor& in = inputs[k];
    if (!in.requires_grad()) continue;
    const std::vector<double> a =
        analytic[k].defined() ? analytic[k].to_vector<double>() : std::vector<double>(in.numel(), 0.0);
    double* base = in.data<double>();
    const int64_t every =
        opt.max_elements > 0 ? std::max<int64_t>(1, (in.numel() + opt.max_elements - 1) / opt.max_elements) : 1;
    for (int64_t i = 0; i < in.numel(); i += every) {
      double& x = base[storage_offset(in, i)];  // logical element i, also of a non-contiguous view
      const double saved = x;
      x = saved + opt.step;
      const double up = eval();
      x = saved - opt.step;
      const double down = eval();
      x = saved;
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

// Adds gtest failures for every mismatching element; returns the number of them.
inline int gradcheck(const Fn& f, std::vector<Tensor> inputs, const GradcheckOptions& opt = {},
                     uint64_t seed = 1234) {
  Rng rng(seed);
  Tensor out = f(inputs);
  const Tensor weights = Tensor::rand(out.shape(), rng, DType::F64, Device::cpu(), 0.5, 1.5);
  for (Tensor& in : inputs) in.zero_grad();
  sum(mul(out, weights)).backward();
  std::vector<Tensor> analytic;
  for (const Tensor& in : inputs) analytic.push_back(in.requires_grad() ? in.grad() : Tensor());
  return compare_with_central_differences(inputs, analytic, [&] { return weighted_sum(f, inputs, weights); }, opt);
}

using ScalarFn = std::function<Tensor(const std::vector<Tensor>&)>;

// Compares gradients(f(inputs), inputs) with central differences of f, for every
// element of every input that requires grad. f runs with grad mode on during the
// differences too (it may call gradients() itself); it must be deterministic
// (draw its random numbers from a Rng it seeds itself). A result that does
// not require grad (f does not depend on the inputs through a recorded graph)
// has analytic gradient zero. Returns the number of mismatching elements.
inline int gradcheck_scalar(const ScalarFn& f, std::vector<Tensor> inputs, const GradcheckOptions& opt = {}) {
  const Tensor out = f(inputs);
  if (out.numel() != 1) {
    ADD_FAILURE() << "gradcheck_scalar: f returned shape " << shape_str(out.shape()) << ", not a scalar";
    return 1;
  }
  const std::vector<Tensor> analytic = out.requires_grad() ? gradients(out, inputs) : std::vector<Tensor>(inputs.size());
  return compare_with_central_differences(inputs, analytic, [&] { return f(inputs).item(); }, opt);
}

}  // namespace gan::testing
