// Synthetic labeled image sets for the classifier and metric tests.
#pragma once

#include <cstdint>
#include <vector>

#include "core/io/idx.h"
#include "core/random.h"

namespace gan::testing {

// n 28x28 images of uniform noise in [0, max_value), labels 0, 1, ..., 9, 0, ...
inline io::LabeledImages noise_images(int64_t n, double max_value, Rng& rng) {
  io::LabeledImages d;
  d.n = n;
  d.h = d.w = 28;
  std::vector<double> noise(static_cast<size_t>(n * 28 * 28));
  rng.fill_uniform(noise.data(), static_cast<int64_t>(noise.size()), 0.0, max_value);
  for (double v : noise) d.pixels.push_back(static_cast<uint8_t>(v));
  for (int64_t i = 0; i < n; ++i) d.labels.push_back(static_cast<uint8_t>(i % 10));
  return d;
}

}  // namespace gan::testing
