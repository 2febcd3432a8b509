// Helpers for the GPU-vs-CPU parity tests. Plain C++: device memory only
// through core/cuda_runtime.h (allocate, copies), so this compiles with g++.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "core/cuda_runtime.h"
#include "kernels/common.h"

// Skips the current test unless a CUDA device can be used.
#define GAN_SKIP_WITHOUT_CUDA()                                                                         \
  do {                                                                                                 \
    if (!::gan::cuda::available())                                                                     \
      GTEST_SKIP() << "no usable CUDA device (gan::cuda::available() is false): GPU test not run";     \
  } while (0)

namespace gan::test {

using Shape = std::vector<int64_t>;

inline int64_t numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

inline StridedLayout contiguous_layout(const Shape& s) {
  StridedLayout l;
  l.rank = static_cast<int>(s.size());
  int64_t stride = 1;
  for (int d = l.rank - 1; d >= 0; --d) {
    l.shape[d] = s[static_cast<size_t>(d)];
    l.strides[d] = stride;
    stride *= l.shape[d];
  }
  return l;
}

inline std::string to_string(const Shape& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) {
    if (i > 0) r += ',';
    r += std::to_string(s[i]);
  }
  r += ']';
  return r;
}

// n values with magnitudes uniform in [lo, hi] (lo > 0: never zero) and, when
// mixed_sign, a random sign.
inline std::vector<float> random_vector(size_t n, std::mt19937& rng, float lo = 0.1f, float hi = 1.0f,
                                        bool mixed_sign = true) {
  std::uniform_real_distribution<float> mag(lo, hi);
  std::bernoulli_distribution neg(0.5);
  std::vector<float> v(n);
  for (float& x : v) x = (mixed_sign && neg(rng)) ? -mag(rng) : mag(rng);
  return v;
}

inline std::vector<float> nan_vector(size_t n) {
  return std::vector<float>(n, std::numeric_limits<float>::quiet_NaN());
}

// A float array in device memory, owned.
class DeviceBuffer {
 public:
  explicit DeviceBuffer(size_t count)
      : count_(count), ptr_(static_cast<float*>(cuda::allocate(count * sizeof(float)))) {}
  explicit DeviceBuffer(const std::vector<float>& host) : DeviceBuffer(host.size()) { upload(host); }
  ~DeviceBuffer() { cuda::deallocate(ptr_, count_ * sizeof(float)); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  float* get() const { return ptr_; }
  size_t size() const { return count_; }
  void upload(const std::vector<float>& host) {
    EXPECT_EQ(host.size(), count_);
    cuda::copy_host_to_device(ptr_, host.data(), count_ * sizeof(float));
  }
  std::vector<float> download() const {
    std::vector<float> host(count_);
    cuda::copy_device_to_host(host.data(), ptr_, count_ * sizeof(float));
    return host;
  }
  // NaN everywhere, so an element a kernel forgets to write cannot pass.
  void poison() { upload(nan_vector(count_)); }

 private:
  size_t count_;
  float* ptr_;
};

// Relative error ||got - want|| / ||want|| (absolute when want is all zero),
// and a readable failure: the first unwritten (NaN) element or the worst one.
// scale > ||want||: the error is measured against scale instead, for a result
// that cancels terms much larger than itself (a norm's dx over two values per
// channel is ~eps/var of its terms): float32 rounding of those terms, on any
// device, moves it by ~1e-7 of scale, so that is the honest yardstick.
inline ::testing::AssertionResult close(const std::vector<float>& got, const std::vector<float>& want, double tol,
                                        double scale = 0.0) {
  if (got.size() != want.size())
    return ::testing::AssertionFailure() << "size " << got.size() << ", want " << want.size();
  double num = 0.0, den = 0.0, worst = -1.0;
  size_t worst_i = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isfinite(want[i]) && !std::isfinite(got[i]))
      return ::testing::AssertionFailure() << "element " << i << " is " << got[i] << ", want " << want[i]
                                           << " (not written by the kernel, or overflow)";
    const double d = static_cast<double>(got[i]) - static_cast<double>(want[i]);
    num += d * d;
    den += static_cast<double>(want[i]) * static_cast<double>(want[i]);
    if (std::fabs(d) > worst) {
      worst = std::fabs(d);
      worst_i = i;
    }
  }
  const double ref = std::max(std::sqrt(den), scale);
  const double rel = ref > 0.0 ? std::sqrt(num) / ref : std::sqrt(num);
  if (rel <= tol) return ::testing::AssertionSuccess() << "relative error " << rel;
  return ::testing::AssertionFailure() << "relative error " << rel << " > " << tol
                                       << (ref > std::sqrt(den) ? " (of the terms' scale)" : "") << "; worst element "
                                       << worst_i << ": got " << got[worst_i] << ", want " << want[worst_i] << " (of "
                                       << got.size() << ")";
}

// The size of the terms a normalisation's dx cancels: ||gamma * invstd * dy||
// over the elements, with gamma (may be null: 1) per channel and invstd per
// statistics group (per channel for batch norm, per plane for instance norm).
inline double norm_dx_scale(const std::vector<float>& dy, const float* gamma, const std::vector<float>& invstd,
                            int64_t N, int64_t C, int64_t HW, bool per_plane) {
  double s = 0.0;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c) {
      const double k = (gamma ? gamma[c] : 1.0) * invstd[static_cast<size_t>(per_plane ? n * C + c : c)];
      for (int64_t i = 0; i < HW; ++i) {
        const double t = k * dy[static_cast<size_t>((n * C + c) * HW + i)];
        s += t * t;
      }
    }
  return std::sqrt(s);
}

}  // namespace gan::test
