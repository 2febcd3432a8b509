// Sample-quality numbers for a Fashion-MNIST generator, measured with the
// project's own classifier (models/classifier.h, trained by `gan classifier
// train`).
//
// What this is NOT: Inception FID. The Frechet distance here is computed
// between Gaussians fitted to the *penultimate features of our small
// Fashion-MNIST CNN*, not to Inception-v3 pool features of ImageNet-trained
// weights. It is useful for comparing runs of this project with each other
// (lower is better, 0 for identical feature statistics), but its values are
// not comparable with published FID numbers, nor across classifiers: retrain
// the classifier and every distance changes scale.
//
//   frechet distance   ||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1^1/2 S2 S1^1/2)^1/2)
//                      between generated and real features (lower is better)
//   class coverage     histogram of predicted classes of generated images, its
//                      entropy in nats and the entropy / log(K) in [0, 1]
//                      (1: every class equally often; 0: a single class, mode
//                      collapse)
//   mean max-prob      the classifier's average confidence on generated images
//                      (close to 1: images look like some class; about 1/K:
//                      nothing recognisable)
//
// docs/losses-and-metrics.md says more about reading them.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/io/idx.h"
#include "core/tensor.h"
#include "models/classifier.h"

namespace gan {

// ---- linear algebra (double, row-major n x n) ----------------------------------

struct SymmetricEigen {
  std::vector<double> values;   // n eigenvalues, in no particular order
  std::vector<double> vectors;  // n x n: column k is the unit eigenvector of values[k]
  int sweeps = 0;               // Jacobi sweeps used
};

// Eigendecomposition A = V diag(values) V^T of a symmetric matrix by the cyclic
// Jacobi method: sweep over every off-diagonal pair (p, q), zeroing a[p][q]
// with a plane rotation, until the off-diagonal part is negligible (its
// Frobenius norm below 1e-15 of A's). Slow for large n (O(n^3) per sweep,
// typically 6-10 sweeps) but simple, accurate to rounding, and
// unconditionally convergent; the metric's matrices are at most a few hundred
// wide. ValueError if `a` is not n x n, not symmetric (relative 1e-9), or
// holds NaN/Inf.
SymmetricEigen symmetric_eigen(const std::vector<double>& a, int64_t n);

// ---- feature statistics and the Frechet distance -------------------------------

struct FeatureStats {
  int64_t count = 0;         // samples
  int64_t dim = 0;           // d
  std::vector<double> mean;  // d
  std::vector<double> cov;   // d x d, unbiased (divided by count - 1)
};

// Mean and covariance of n samples of d features, row-major [n, d]. ValueError
// for n < 2 or a size mismatch.
FeatureStats feature_statistics(const std::vector<double>& features, int64_t n, int64_t d);

// The Frechet (2-Wasserstein) distance between N(mu1, cov1) and N(mu2, cov2):
//   ||mu1 - mu2||^2 + Tr(cov1) + Tr(cov2) - 2 Tr((C1 cov2 C1)^1/2),  C1 = cov1^1/2.
// C1 cov2 C1 is symmetric positive semi-definite (and similar to cov1 cov2, so
// its square root has the same trace as (cov1 cov2)^1/2): both square roots
// come from symmetric eigendecompositions, with real eigenvalues, and the
// rounding-level negative ones are clamped to 0. No non-symmetric matrix square
// root (whose rounding errors produce complex parts) is ever formed, and
// singular covariances (fewer samples than features, dead units) are fine.
// A result within rounding of 0 is clamped to 0. ValueError on mismatched sizes.
double frechet_distance(const std::vector<double>& mu1, const std::vector<double>& cov1,
                        const std::vector<double>& mu2, const std::vector<double>& cov2);
double frechet_distance(const FeatureStats& a, const FeatureStats& b);

// ---- class coverage ------------------------------------------------------------

struct ClassCoverage {
  std::vector<int64_t> counts;    // per class
  std::vector<double> fractions;  // counts / total
  double entropy = 0.0;           // -sum p log p, natural log (nats); 0 .. log(K)
  double normalized_entropy = 0;  // entropy / log(K), in [0, 1]
};

// Histogram and entropy of predicted classes in [0, num_classes). ValueError
// for an empty list, num_classes < 2, or a class outside the range.
ClassCoverage class_coverage(const std::vector<int64_t>& predicted, int64_t num_classes);

// ---- evaluating a generator ----------------------------------------------------

// Returns `count` images [count, 1, 28, 28] in [-1, 1] (e.g. G(z) under
// NoGradGuard). Images on another device than the classifier are moved.
using ImageSource = std::function<Tensor(int64_t count)>;

struct GeneratorEvaluation {
  double frechet_distance = 0.0;  // generated vs real classifier features
  ClassCoverage coverage;         // of the generated images' predicted classes
  double mean_max_probability = 0.0;
  int64_t generated = 0, real = 0;  // sample counts behind the numbers
};

// Classifier features of real images: compute once, reuse for every evaluation.
FeatureStats real_feature_statistics(FashionClassifier& classifier, const io::LabeledImages& real,
                                     int64_t batch_size = 256);

// Draws `num_generated` images from `generate` in batches and measures them
// against the real statistics. Use the same number of generated images as
// real ones when comparing runs: the estimate is biased upwards by O(d / n).
GeneratorEvaluation evaluate_generator(FashionClassifier& classifier, const ImageSource& generate,
                                       int64_t num_generated, const FeatureStats& real, int64_t batch_size = 256);
// The same, computing the real statistics from `real` (the test split).
GeneratorEvaluation evaluate_generator(FashionClassifier& classifier, const ImageSource& generate,
                                       int64_t num_generated, const io::LabeledImages& real,
                                       int64_t batch_size = 256);

// ---- the collapse alarm ----------------------------------------------------------

// Watches the metric from one evaluation to the next and raises once, when for
// `patience` evaluations in a row the class coverage fell or the feature
// distance rose: the drift that precedes (and shows) mode collapse, early
// enough to stop or roll back a run. A single bad evaluation is noise at
// these sample sizes; a run of them is a trend. patience 0 disables it.
class CollapseAlarm {
 public:
  explicit CollapseAlarm(int patience) : patience_(patience) {}
  // Records one evaluation; returns the warning the first time the trend
  // holds, "" otherwise (and after it has been raised once).
  std::string observe(int64_t step, double frechet, double coverage);
  bool raised() const { return raised_; }

 private:
  int patience_;
  bool raised_ = false;
  bool have_last_ = false;
  double last_frechet_ = 0, last_coverage_ = 0;
  int falls_ = 0, rises_ = 0;  // consecutive evaluations with coverage down / distance up
};

// "0:12% 1:9% ..." for a log line: the share of each predicted class.
std::string format_histogram(const ClassCoverage& coverage);

}  // namespace gan
