// Checks shared by the model tests.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "layers/module.h"

namespace gan::test {

// Every value within [-1, 1] (a Tanh output).
inline void expect_in_unit_range(const Tensor& t) {
  for (double v : t.to_vector()) ASSERT_TRUE(v >= -1.0 && v <= 1.0) << v;
}

struct MeanStd {
  double mean = 0, stddev = 0;
};

// The mean and (population) standard deviation of a tensor's values.
inline MeanStd mean_and_std(const Tensor& t) {
  const auto v = t.to_vector();
  MeanStd r;
  for (double x : v) r.mean += x;
  r.mean /= static_cast<double>(v.size());
  for (double x : v) r.stddev += (x - r.mean) * (x - r.mean);
  r.stddev = std::sqrt(r.stddev / static_cast<double>(v.size()));
  return r;
}

// After a backward pass: every parameter got a gradient, and every conv weight
// (4-D) a non-zero one. (A bias right before a normalisation gets a gradient
// that is zero up to rounding: the normalisation removes it.)
inline void expect_gradient_reaches_every_parameter(const Module& m) {
  for (const auto& [name, t] : m.named_parameters()) {
    ASSERT_TRUE(t.grad().defined()) << name;
    if (t.dim() != 4) continue;
    double norm = 0;
    for (double g : t.grad().to_vector()) norm += g * g;
    EXPECT_GT(norm, 0.0) << name;
  }
}

}  // namespace gan::test
