#include "models/metrics.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/autograd.h"
#include "core/error.h"
#include "models/classifier.h"

namespace gan {

namespace {

using Matrix = std::vector<double>;  // row-major n x n

double frobenius_squared(const Matrix& a) {
  double s = 0.0;
  for (double v : a) s += v * v;
  return s;
}

// c = a @ b for n x n matrices (i-k-j order: the inner loop is contiguous).
Matrix multiply(const Matrix& a, const Matrix& b, int64_t n) {
  Matrix c(static_cast<size_t>(n * n), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < n; ++k) {
      const double aik = a[i * n + k];
      for (int64_t j = 0; j < n; ++j) c[i * n + j] += aik * b[k * n + j];
    }
  return c;
}

// V diag(f(values)) V^T: a function of a symmetric matrix from its eigendecomposition.
Matrix from_eigen(const SymmetricEigen& e, int64_t n, const std::vector<double>& diag) {
  Matrix out(static_cast<size_t>(n * n), 0.0);
  for (int64_t k = 0; k < n; ++k) {
    for (int64_t i = 0; i < n; ++i) {
      const double vik = e.vectors[i * n + k] * diag[k];
      if (vik == 0.0) continue;
      for (int64_t j = 0; j < n; ++j) out[i * n + j] += vik * e.vectors[j * n + k];
    }
  }
  return out;
}

// (a + a^T) / 2: removes the rounding asymmetry of a product that is symmetric in exact arithmetic.
void symmetrize(Matrix& a, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = i + 1; j < n; ++j) {
      const double m = 0.5 * (a[i * n + j] + a[j * n + i]);
      a[i * n + j] = a[j * n + i] = m;
    }
}

// Sum of the square roots of the eigenvalues of a symmetric PSD matrix; eigenvalues
// that rounding made slightly negative count as 0.
double trace_sqrt_psd(const Matrix& a, int64_t n) {
  const SymmetricEigen e = symmetric_eigen(a, n);
  double s = 0.0;
  for (double v : e.values) s += std::sqrt(std::max(v, 0.0));
  return s;
}

void check_square(const char* what, const Matrix& a, int64_t n) {
  GAN_CHECK(n >= 1 && static_cast<int64_t>(a.size()) == n * n, ValueError, what, ": expected a ", n, "x", n,
            " matrix (", n * n, " values), got ", a.size(), " values");
}

}  // namespace

SymmetricEigen symmetric_eigen(const std::vector<double>& input, int64_t n) {
  check_square("symmetric_eigen", input, n);
  for (double v : input) GAN_CHECK(std::isfinite(v), ValueError, "symmetric_eigen: the matrix holds ", v);
  const double scale2 = frobenius_squared(input);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = i + 1; j < n; ++j) {
      const double d = input[i * n + j] - input[j * n + i];
      GAN_CHECK(d * d <= 1e-18 * std::max(scale2, 1e-300), ValueError, "symmetric_eigen: the matrix is not symmetric (",
                "a[", i, "][", j, "] = ", input[i * n + j], ", a[", j, "][", i, "] = ", input[j * n + i], ")");
    }

  Matrix a = input;
  symmetrize(a, n);
  // The rotations are accumulated into V^T, whose rows p and q are contiguous
  // (V's columns would be strided); transposed once at the end.
  Matrix vt(static_cast<size_t>(n * n), 0.0);
  for (int64_t i = 0; i < n; ++i) vt[i * n + i] = 1.0;
  SymmetricEigen e;

  // Stop once the off-diagonal mass is ~machine precision relative to the
  // whole matrix; convergence is quadratic, so this costs one extra sweep at most.
  const double target = 1e-30 * scale2;
  constexpr int kMaxSweeps = 60;
  for (e.sweeps = 0; e.sweeps < kMaxSweeps; ++e.sweeps) {
    double off = 0.0;
    for (int64_t p = 0; p < n; ++p)
      for (int64_t q = p + 1; q < n; ++q) off += 2.0 * a[p * n + q] * a[p * n + q];
    if (off <= target) break;
    for (int64_t p = 0; p < n; ++p) {
      for (int64_t q = p + 1; q < n; ++q) {
        const double apq = a[p * n + q];
        if (apq == 0.0) continue;
        // The rotation J = [[c, s], [-s, c]] in the (p, q) plane with J^T A J zero at (p, q):
        // t = tan(angle) is the smaller root of t^2 + 2 theta t - 1 = 0, theta = (a_qq - a_pp) / (2 a_pq),
        // written so that it never divides by a difference of nearly equal numbers.
        const double theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
        const double t = (theta >= 0 ? 1.0 : -1.0) / (std::abs(theta) + std::sqrt(theta * theta + 1.0));
        const double c = 1.0 / std::sqrt(t * t + 1.0), s = t * c;
        // Diagonal: a_pp - t a_pq and a_qq + t a_pq (exact for the rotated 2x2 block).
        a[p * n + p] -= t * apq;
        a[q * n + q] += t * apq;
        a[p * n + q] = a[q * n + p] = 0.0;
        // The other entries of rows/columns p and q mix by the same rotation
        // (read from rows p and q, which are contiguous; the columns mirror them).
        double* row_p = a.data() + p * n;
        double* row_q = a.data() + q * n;
        for (int64_t r = 0; r < n; ++r) {
          if (r == p || r == q) continue;
          const double arp = row_p[r], arq = row_q[r];
          row_p[r] = a[r * n + p] = c * arp - s * arq;
          row_q[r] = a[r * n + q] = s * arp + c * arq;
        }
        // Accumulate V <- V J, i.e. rows p and q of V^T.
        double* vt_p = vt.data() + p * n;
        double* vt_q = vt.data() + q * n;
        for (int64_t r = 0; r < n; ++r) {
          const double vp = vt_p[r], vq = vt_q[r];
          vt_p[r] = c * vp - s * vq;
          vt_q[r] = s * vp + c * vq;
        }
      }
    }
  }
  e.values.resize(static_cast<size_t>(n));
  e.vectors.resize(static_cast<size_t>(n * n));
  for (int64_t i = 0; i < n; ++i) {
    e.values[i] = a[i * n + i];
    for (int64_t j = 0; j < n; ++j) e.vectors[j * n + i] = vt[i * n + j];
  }
  return e;
}

FeatureStats feature_statistics(const std::vector<double>& features, int64_t n, int64_t d) {
  GAN_CHECK(n >= 2 && d >= 1, ValueError, "feature_statistics: need at least 2 samples of at least 1 feature, got ",
            n, " x ", d);
  GAN_CHECK(static_cast<int64_t>(features.size()) == n * d, ValueError, "feature_statistics: ", features.size(),
            " values for ", n, " samples of ", d, " features");
  FeatureStats st;
  st.count = n;
  st.dim = d;
  st.mean.assign(static_cast<size_t>(d), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) st.mean[j] += features[i * d + j];
  for (double& m : st.mean) m /= static_cast<double>(n);
  // Centered sums of products (two passes: no cancellation from sum(x^2) - n mean^2).
  st.cov.assign(static_cast<size_t>(d * d), 0.0);
  std::vector<double> centered(static_cast<size_t>(d));
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < d; ++j) centered[j] = features[i * d + j] - st.mean[j];
    for (int64_t j = 0; j < d; ++j) {
      const double cj = centered[j];
      if (cj == 0.0) continue;
      for (int64_t k = j; k < d; ++k) st.cov[j * d + k] += cj * centered[k];
    }
  }
  for (int64_t j = 0; j < d; ++j)
    for (int64_t k = j; k < d; ++k) st.cov[k * d + j] = st.cov[j * d + k] /= static_cast<double>(n - 1);
  return st;
}

double frechet_distance(const std::vector<double>& mu1, const std::vector<double>& cov1,
                        const std::vector<double>& mu2, const std::vector<double>& cov2) {
  const int64_t d = static_cast<int64_t>(mu1.size());
  GAN_CHECK(d >= 1 && static_cast<int64_t>(mu2.size()) == d, ValueError, "frechet_distance: means of ", mu1.size(),
            " and ", mu2.size(), " features");
  check_square("frechet_distance (first covariance)", cov1, d);
  check_square("frechet_distance (second covariance)", cov2, d);
  double mean_term = 0.0;
  for (int64_t j = 0; j < d; ++j) mean_term += (mu1[j] - mu2[j]) * (mu1[j] - mu2[j]);
  double trace = 0.0;
  for (int64_t j = 0; j < d; ++j) trace += cov1[j * d + j] + cov2[j * d + j];

  // C1 = cov1^1/2 from cov1's eigendecomposition; then M = C1 cov2 C1 (symmetric PSD).
  const SymmetricEigen e1 = symmetric_eigen(cov1, d);
  std::vector<double> root(static_cast<size_t>(d));
  for (int64_t k = 0; k < d; ++k) root[k] = std::sqrt(std::max(e1.values[k], 0.0));
  const Matrix c1 = from_eigen(e1, d, root);
  Matrix m = multiply(multiply(c1, cov2, d), c1, d);
  symmetrize(m, d);
  const double value = mean_term + trace - 2.0 * trace_sqrt_psd(m, d);
  // Equal inputs give a rounding-level residue of either sign; a distance is never negative.
  return std::max(value, 0.0);
}

double frechet_distance(const FeatureStats& a, const FeatureStats& b) {
  GAN_CHECK(a.dim == b.dim, ValueError, "frechet_distance: statistics of ", a.dim, " and ", b.dim,
            " features; compute both with the same classifier");
  return frechet_distance(a.mean, a.cov, b.mean, b.cov);
}

ClassCoverage class_coverage(const std::vector<int64_t>& predicted, int64_t num_classes) {
  GAN_CHECK(num_classes >= 2, ValueError, "class_coverage: need at least 2 classes, got ", num_classes);
  GAN_CHECK(!predicted.empty(), ValueError, "class_coverage: no predictions");
  ClassCoverage c;
  c.counts.assign(static_cast<size_t>(num_classes), 0);
  for (int64_t k : predicted) {
    GAN_CHECK(k >= 0 && k < num_classes, ValueError, "class_coverage: class ", k, " is outside [0, ", num_classes,
              ")");
    ++c.counts[static_cast<size_t>(k)];
  }
  const double total = static_cast<double>(predicted.size());
  for (int64_t count : c.counts) {
    const double p = static_cast<double>(count) / total;
    c.fractions.push_back(p);
    if (p > 0.0) c.entropy -= p * std::log(p);  // 0 log 0 = 0
  }
  c.normalized_entropy = c.entropy / std::log(static_cast<double>(num_classes));
  return c;
}

namespace {

// Features (appended to `features`, row-major) and, when `predicted` is not
// null, argmax classes and max softmax probabilities of a batch.
void describe_batch(FashionClassifier& classifier, const Tensor& images_in, std::vector<double>& features,
                    std::vector<int64_t>* predicted, double* max_prob_sum) {
  NoGradGuard no_grad;
  const Tensor images = images_in.to(classifier.parameters().front().device());
  const Tensor feats = classifier.features(images);
  const std::vector<double> f = feats.to_vector<double>();
  features.insert(features.end(), f.begin(), f.end());
  if (!predicted) return;
  const int64_t k = classifier.config.num_classes, count = images.shape()[0];
  const std::vector<double> logits = classifier.classify(feats).to_vector<double>();
  for (int64_t i = 0; i < count; ++i) {
    const double* row = logits.data() + i * k;
    const int64_t arg = std::max_element(row, row + k) - row;
    // max softmax probability = 1 / sum_j exp(x_j - x_max), stable for any logits.
    double denom = 0.0;
    for (int64_t j = 0; j < k; ++j) denom += std::exp(row[j] - row[arg]);
    predicted->push_back(arg);
    *max_prob_sum += 1.0 / denom;
  }
}

}  // namespace

FeatureStats real_feature_statistics(FashionClassifier& classifier, const io::LabeledImages& real,
                                     int64_t batch_size) {
  GAN_CHECK(batch_size >= 1, ValueError, "real_feature_statistics: batch size must be >= 1, got ", batch_size);
  std::vector<double> features;
  for (int64_t first = 0; first < real.n; first += batch_size) {
    const int64_t count = std::min(batch_size, real.n - first);
    describe_batch(classifier, images_to_tensor(real, first, count, Device::cpu()), features, nullptr, nullptr);
  }
  return feature_statistics(features, real.n, classifier.config.feature_dim);
}

GeneratorEvaluation evaluate_generator(FashionClassifier& classifier, const ImageSource& generate,
                                       int64_t num_generated, const FeatureStats& real, int64_t batch_size) {
  GAN_CHECK(num_generated >= 2 && batch_size >= 1, ValueError,
            "evaluate_generator: need at least 2 generated images and a batch size >= 1, got ", num_generated, " and ",
            batch_size);
  std::vector<double> features;
  std::vector<int64_t> predicted;
  double max_prob_sum = 0.0;
  for (int64_t done = 0; done < num_generated;) {
    const int64_t count = std::min(batch_size, num_generated - done);
    const Tensor images = generate(count);
    GAN_CHECK(images.defined() && images.dim() == 4 && images.shape()[0] == count, ShapeError,
              "evaluate_generator: the image source returned ",
              images.defined() ? shape_str(images.shape()) : std::string("an undefined tensor"), " for ", count,
              " images; expected [", count, ", 1, 28, 28]");
    describe_batch(classifier, images, features, &predicted, &max_prob_sum);
    done += count;
  }
  GeneratorEvaluation ev;
  ev.frechet_distance = frechet_distance(feature_statistics(features, num_generated, classifier.config.feature_dim), real);
  ev.coverage = class_coverage(predicted, classifier.config.num_classes);
  ev.mean_max_probability = max_prob_sum / static_cast<double>(num_generated);
  ev.generated = num_generated;
  ev.real = real.count;
  return ev;
}

GeneratorEvaluation evaluate_generator(FashionClassifier& classifier, const ImageSource& generate,
                                       int64_t num_generated, const io::LabeledImages& real, int64_t batch_size) {
  return evaluate_generator(classifier, generate, num_generated, real_feature_statistics(classifier, real, batch_size),
                            batch_size);
}

// ---- the collapse alarm ----------------------------------------------------------

std::string CollapseAlarm::observe(int64_t step, double frechet, double coverage) {
  if (patience_ <= 0 || raised_) return "";
  if (have_last_) {
    falls_ = coverage < last_coverage_ ? falls_ + 1 : 0;
    rises_ = frechet > last_frechet_ ? rises_ + 1 : 0;
  }
  have_last_ = true;
  last_frechet_ = frechet, last_coverage_ = coverage;
  if (falls_ < patience_ && rises_ < patience_) return "";
  raised_ = true;
  std::ostringstream m;
  m << "WARNING: possible mode collapse: " << (falls_ >= patience_ ? "class coverage fell" : "the feature distance rose")
    << " at each of the last " << patience_ << " evaluations (up to step " << step << ": coverage " << coverage
    << ", frechet " << frechet << "). Look at the latest samples; consider stopping and resuming from an earlier "
    << "checkpoint with a lower --lr, or --spectral-norm d / --r1-gamma";
  return m.str();
}

std::string format_histogram(const ClassCoverage& coverage) {
  std::ostringstream m;
  for (size_t k = 0; k < coverage.fractions.size(); ++k)
    m << (k ? " " : "") << k << ":" << static_cast<int>(std::lround(100 * coverage.fractions[k])) << "%";
  return m.str();
}

}  // namespace gan
