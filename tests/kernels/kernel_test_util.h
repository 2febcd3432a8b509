// Helpers shared by the kernel tests: seeded random arrays, error measures and a
// central finite-difference gradient.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <vector>

namespace gan::test {

// n values ~ N(mean, stddev) from a seeded generator (never all zeros).
template <typename T = double>
std::vector<T> random_normal(int64_t n, uint32_t seed, double mean = 0.0, double stddev = 1.0) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> dist(mean, stddev);
  std::vector<T> v(static_cast<size_t>(n));
  for (auto& x : v) x = static_cast<T>(dist(rng));
  return v;
}

// n values ~ U[lo, hi) from a seeded generator.
template <typename T = double>
std::vector<T> random_uniform(int64_t n, uint32_t seed, double lo, double hi) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<T> v(static_cast<size_t>(n));
  for (auto& x : v) x = static_cast<T>(dist(rng));
  return v;
}

template <typename To, typename From>
std::vector<To> cast_vec(const std::vector<From>& v) {
  return std::vector<To>(v.begin(), v.end());
}

// ||v|| and ||a - b|| (2-norms, in double; a and b of one size).
inline double l2_norm(const std::vector<double>& v) {
  double s = 0.0;
  for (double x : v) s += x * x;
  return std::sqrt(s);
}

inline double l2_distance(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0.0;
  for (size_t i = 0; i < a.size(); ++i) s += (a[i] - b[i]) * (a[i] - b[i]);
  return std::sqrt(s);
}

// ||a - b|| / ||b|| (2-norms, in double); ||a - b|| when b is all zeros.
template <typename A, typename B>
double max_rel_error(const std::vector<A>& a, const std::vector<B>& b) {
  double diff = 0.0, ref = 0.0;
  const size_t n = a.size() < b.size() ? a.size() : b.size();
  for (size_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(a[i]) - static_cast<double>(b[i]);
    diff += d * d;
    ref += static_cast<double>(b[i]) * static_cast<double>(b[i]);
  }
  if (a.size() != b.size()) return INFINITY;
  return ref > 0.0 ? std::sqrt(diff / ref) : std::sqrt(diff);
}

// Largest |a[i] - b[i]|.
template <typename A, typename B>
double max_abs_diff(const std::vector<A>& a, const std::vector<B>& b) {
  if (a.size() != b.size()) return INFINITY;
  double m = 0.0;
  for (size_t i = 0; i < a.size(); ++i)
    m = std::fmax(m, std::fabs(static_cast<double>(a[i]) - static_cast<double>(b[i])));
  return m;
}

// sum_i y[i] * dy[i]: the scalar L whose gradient w.r.t. y is dy.
inline double dot(const std::vector<double>& y, const std::vector<double>& dy) {
  double s = 0.0;
  for (size_t i = 0; i < y.size(); ++i) s += y[i] * dy[i];
  return s;
}

// Central differences of the scalar function L with respect to every element of v
// (v is perturbed in place and restored): (L(v + h e_i) - L(v - h e_i)) / 2h.
inline std::vector<double> numeric_grad(std::vector<double>& v, const std::function<double()>& L,
                                        double h = 1e-6) {
  std::vector<double> g(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    const double orig = v[i];
    v[i] = orig + h;
    const double lp = L();
    v[i] = orig - h;
    const double lm = L();
    v[i] = orig;
    g[i] = (lp - lm) / (2.0 * h);
  }
  return g;
}

}  // namespace gan::test
