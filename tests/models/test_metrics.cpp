// The quality metric's mathematics: the Jacobi eigensolver, the Frechet
// distance against closed forms (and its invariance under a common rotation),
// sampled estimates converging to the true distance, class coverage, and
// evaluate_generator on a tiny classifier (identical sets -> 0, a collapsed
// generator -> zero coverage entropy).
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "core/ops.h"
#include "core/random.h"
#include "models/classifier.h"
#include "models/image_sets.h"
#include "models/metrics.h"

namespace gan {
namespace {

std::vector<double> random_symmetric(int64_t n, Rng& rng) {
  std::vector<double> a(static_cast<size_t>(n * n));
  rng.fill_uniform(a.data(), n * n, -1.0, 1.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < i; ++j) a[i * n + j] = a[j * n + i];
  return a;
}

// A random orthogonal matrix: the eigenvectors of a random symmetric one.
std::vector<double> random_orthogonal(int64_t n, Rng& rng) {
  return symmetric_eigen(random_symmetric(n, rng), n).vectors;
}

// q diag(d) q^T
std::vector<double> rotate_diagonal(const std::vector<double>& q, const std::vector<double>& d, int64_t n) {
  std::vector<double> out(static_cast<size_t>(n * n), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j)
      for (int64_t k = 0; k < n; ++k) out[i * n + j] += q[i * n + k] * d[k] * q[j * n + k];
  return out;
}

std::vector<double> diagonal(const std::vector<double>& d) {
  const int64_t n = static_cast<int64_t>(d.size());
  std::vector<double> m(static_cast<size_t>(n * n), 0.0);
  for (int64_t i = 0; i < n; ++i) m[i * n + i] = d[i];
  return m;
}

TEST(SymmetricEigen, ReconstructsRandomMatrices) {
  Rng rng(1);
  for (int64_t n : {1, 2, 3, 7, 20, 64}) {
    const std::vector<double> a = random_symmetric(n, rng);
    const SymmetricEigen e = symmetric_eigen(a, n);
    ASSERT_EQ(e.values.size(), static_cast<size_t>(n));
    EXPECT_LT(e.sweeps, 20) << "n = " << n;
    double norm = 0.0, recon = 0.0, ortho = 0.0;
    const std::vector<double> r = rotate_diagonal(e.vectors, e.values, n);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j) {
        norm += a[i * n + j] * a[i * n + j];
        recon += (r[i * n + j] - a[i * n + j]) * (r[i * n + j] - a[i * n + j]);
        double dot = 0.0;  // (V^T V)_ij
        for (int64_t k = 0; k < n; ++k) dot += e.vectors[k * n + i] * e.vectors[k * n + j];
        ortho += (dot - (i == j)) * (dot - (i == j));
      }
    EXPECT_LT(std::sqrt(recon / norm), 1e-13) << "||V diag V^T - A|| / ||A||, n = " << n;
    EXPECT_LT(std::sqrt(ortho), 1e-13) << "||V^T V - I||, n = " << n;
  }
}

TEST(SymmetricEigen, KnownSpectraAndErrors) {
  // [[2, 1], [1, 2]] has eigenvalues 1 and 3 with eigenvectors (1, -1) and (1, 1) / sqrt 2.
  SymmetricEigen e = symmetric_eigen({2, 1, 1, 2}, 2);
  std::sort(e.values.begin(), e.values.end());
  EXPECT_NEAR(e.values[0], 1.0, 1e-15);
  EXPECT_NEAR(e.values[1], 3.0, 1e-15);
  // A diagonal matrix is already decomposed: no sweep, exact values.
  e = symmetric_eigen(diagonal({4, -1, 0}), 3);
  EXPECT_EQ(e.sweeps, 0);
  EXPECT_EQ(e.values, (std::vector<double>{4, -1, 0}));
  // Repeated eigenvalues: the identity plus a rank-one term.
  e = symmetric_eigen({2, 1, 1, 1, 2, 1, 1, 1, 2}, 3);  // I + ones: 1, 1, 4
  std::sort(e.values.begin(), e.values.end());
  EXPECT_NEAR(e.values[0], 1.0, 1e-14);
  EXPECT_NEAR(e.values[1], 1.0, 1e-14);
  EXPECT_NEAR(e.values[2], 4.0, 1e-14);
  EXPECT_THROW(symmetric_eigen({1, 2, 3, 4}, 2), ValueError);  // not symmetric
  EXPECT_THROW(symmetric_eigen({1, 2, 3}, 2), ValueError);     // not 2x2
  EXPECT_THROW(symmetric_eigen({1, NAN, NAN, 1}, 2), ValueError);
}

TEST(FrechetDistance, DiagonalClosedForm) {
  // With diagonal covariances a and b the trace term is sum (sqrt a_i - sqrt b_i)^2:
  // mu diff (1, -2, 0.5) -> 1 + 4 + 0.25 = 5.25; a = (4, 1, 0.25), b = (1, 9, 0.25)
  // -> (2 - 1)^2 + (1 - 3)^2 + 0 = 5. Total 10.25.
  const std::vector<double> mu1 = {1, 0, 0.5};
  const std::vector<double> mu2 = {0, 2, 0};
  const std::vector<double> a = {4, 1, 0.25};
  const std::vector<double> b = {1, 9, 0.25};
  EXPECT_NEAR(frechet_distance(mu1, diagonal(a), mu2, diagonal(b)), 10.25, 1e-12);
  EXPECT_NEAR(frechet_distance(mu2, diagonal(b), mu1, diagonal(a)), 10.25, 1e-12);  // symmetric
  EXPECT_EQ(frechet_distance(mu1, diagonal(a), mu1, diagonal(a)), 0.0);
  // Singular covariances are fine: a point mass against N(0, I) in 2-D: 0 + (0 + 1 + 1) - 0 = 2.
  EXPECT_NEAR(frechet_distance({0, 0}, diagonal({0, 0}), {0, 0}, diagonal({1, 1})), 2.0, 1e-12);
  EXPECT_THROW(frechet_distance({0, 0}, diagonal({1, 1}), {0}, diagonal({1})), ValueError);
}

TEST(FrechetDistance, InvariantUnderACommonRotation) {
  // Rotating both Gaussians by the same orthogonal Q changes nothing; with
  // Q non-trivial the covariances are dense, so this checks the general path
  // against the diagonal closed form.
  Rng rng(2);
  const int64_t n = 6;
  const std::vector<double> q = random_orthogonal(n, rng);
  const std::vector<double> a = {3, 0.5, 1, 2, 0.1, 4};
  const std::vector<double> b = {1, 1, 0.2, 5, 0.1, 2.5};
  const std::vector<double> mu1 = {1, 2, 3, 0, 0, -1};
  const std::vector<double> mu2 = {0, 2, 1, 1, 0, 0};
  double closed = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    closed += (mu1[i] - mu2[i]) * (mu1[i] - mu2[i]) + (std::sqrt(a[i]) - std::sqrt(b[i])) * (std::sqrt(a[i]) - std::sqrt(b[i]));
  }
  std::vector<double> qmu1(n, 0.0), qmu2(n, 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < n; ++k) {
      qmu1[i] += q[i * n + k] * mu1[k];
      qmu2[i] += q[i * n + k] * mu2[k];
    }
  EXPECT_NEAR(frechet_distance(qmu1, rotate_diagonal(q, a, n), qmu2, rotate_diagonal(q, b, n)), closed, 1e-10);
  // A non-commuting pair (different rotations): compare against a 2-D case by hand.
  // cov1 = I, cov2 = [[2, 1], [1, 2]]: Tr sqrt(cov2) = sqrt 1 + sqrt 3, so FD = 2 + 4 - 2 (1 + sqrt 3).
  EXPECT_NEAR(frechet_distance({0, 0}, diagonal({1, 1}), {0, 0}, {2, 1, 1, 2}), 6 - 2 * (1 + std::sqrt(3.0)), 1e-12);
}

TEST(FrechetDistance, SampledEstimatesConverge) {
  // Samples x = mu + Q diag(sqrt a) z: the estimate from n samples approaches the
  // true distance as n grows (its bias is O(d / n)).
  Rng rng(3);
  const int64_t d = 4;
  const std::vector<double> q = random_orthogonal(d, rng);
  const std::vector<double> a = {1.0, 2.0, 0.5, 3.0};
  const std::vector<double> b = {2.0, 1.0, 0.5, 1.0};
  const std::vector<double> mu1 = {0, 0, 0, 0};
  const std::vector<double> mu2 = {1, 0, -1, 0.5};
  const double truth = frechet_distance(mu1, rotate_diagonal(q, a, d), mu2, rotate_diagonal(q, b, d));
  const auto sample = [&](const std::vector<double>& mu, const std::vector<double>& var, int64_t n) {
    std::vector<double> z(static_cast<size_t>(n * d)), x(static_cast<size_t>(n * d));
    rng.fill_normal(z.data(), n * d, 0.0, 1.0);
    for (int64_t s = 0; s < n; ++s)
      for (int64_t i = 0; i < d; ++i) {
        double v = mu[i];
        for (int64_t k = 0; k < d; ++k) v += q[i * d + k] * std::sqrt(var[k]) * z[s * d + k];
        x[s * d + i] = v;
      }
    return feature_statistics(x, n, d);
  };
  const double err_small = std::abs(frechet_distance(sample(mu1, a, 100), sample(mu2, b, 100)) - truth);
  const double err_large = std::abs(frechet_distance(sample(mu1, a, 40000), sample(mu2, b, 40000)) - truth);
  EXPECT_LT(err_large, 0.02 * truth) << "truth " << truth;
  EXPECT_LT(err_large, err_small);
}

TEST(FeatureStatistics, MeanAndUnbiasedCovarianceByHand) {
  // Samples (1, 2), (3, 2), (5, 8): mean (3, 4); deviations (-2, -2), (0, -2), (2, 4):
  // cov = [[8, 12], [12, 24]] / 2 = [[4, 6], [6, 12]].
  const FeatureStats st = feature_statistics({1, 2, 3, 2, 5, 8}, 3, 2);
  EXPECT_EQ(st.mean, (std::vector<double>{3, 4}));
  EXPECT_EQ(st.cov, (std::vector<double>{4, 6, 6, 12}));
  EXPECT_THROW(feature_statistics({1, 2}, 1, 2), ValueError);
  EXPECT_THROW(feature_statistics({1, 2, 3}, 2, 2), ValueError);
}

TEST(ClassCoverage, CollapsedUniformAndByHand) {
  const ClassCoverage collapsed = class_coverage(std::vector<int64_t>(500, 3), 10);
  EXPECT_EQ(collapsed.counts[3], 500);
  EXPECT_EQ(collapsed.entropy, 0.0);
  EXPECT_EQ(collapsed.normalized_entropy, 0.0);
  std::vector<int64_t> uniform;
  for (int i = 0; i < 1000; ++i) uniform.push_back(i % 10);
  const ClassCoverage u = class_coverage(uniform, 10);
  EXPECT_NEAR(u.entropy, std::log(10.0), 1e-12);
  EXPECT_NEAR(u.normalized_entropy, 1.0, 1e-12);
  EXPECT_EQ(u.fractions, std::vector<double>(10, 0.1));
  // Classes 0, 0, 1, 2 of 4: p = (1/2, 1/4, 1/4, 0), H = 1/2 ln 2 + 2 (1/4 ln 4) = 1.5 ln 2; / ln 4 = 0.75.
  const ClassCoverage c = class_coverage({0, 0, 1, 2}, 4);
  EXPECT_EQ(c.counts, (std::vector<int64_t>{2, 1, 1, 0}));
  EXPECT_NEAR(c.entropy, 1.5 * std::log(2.0), 1e-15);
  EXPECT_NEAR(c.normalized_entropy, 0.75, 1e-15);
  EXPECT_THROW(class_coverage({0, 10}, 10), ValueError);
  EXPECT_THROW(class_coverage({}, 10), ValueError);
  EXPECT_THROW(class_coverage({0}, 1), ValueError);
}

TEST(EvaluateGenerator, IdenticalImagesAndACollapsedGenerator) {
  Rng rng(4);
  ClassifierConfig cfg;
  cfg.width = 2;
  cfg.feature_dim = 8;
  FashionClassifier classifier(cfg, rng);
  const io::LabeledImages real = testing::noise_images(40, 256.0, rng);
  // A "generator" that replays the real images in order: the statistics are identical.
  int64_t next = 0;
  const ImageSource replay = [&](int64_t count) {
    const Tensor t = images_to_tensor(real, next, count, Device::cpu());
    next += count;
    return t;
  };
  const GeneratorEvaluation same = evaluate_generator(classifier, replay, real.n, real, /*batch_size=*/16);
  EXPECT_NEAR(same.frechet_distance, 0.0, 1e-9);
  EXPECT_EQ(same.generated, 40);
  EXPECT_EQ(same.real, 40);
  EXPECT_GT(same.mean_max_probability, 1.0 / 10 - 1e-12);
  EXPECT_LE(same.mean_max_probability, 1.0);
  // Mode collapse: one image over and over. One predicted class, coverage entropy 0,
  // and a positive distance (no spread at all against the real features).
  const Tensor first_image = images_to_tensor(real, 0, 1, Device::cpu());
  const ImageSource collapsed = [&](int64_t count) { return expand(first_image, {count, 1, 28, 28}); };
  const GeneratorEvaluation mode = evaluate_generator(classifier, collapsed, 30, real, 16);
  EXPECT_EQ(mode.coverage.entropy, 0.0);
  EXPECT_EQ(mode.coverage.normalized_entropy, 0.0);
  int64_t nonzero = 0;
  for (int64_t c : mode.coverage.counts) nonzero += c > 0;
  EXPECT_EQ(nonzero, 1);
  EXPECT_GT(mode.frechet_distance, 0.0);
  // A source returning the wrong shape is reported, not silently measured.
  const ImageSource wrong = [&](int64_t count) { return Tensor::zeros({count, 28, 28}); };
  EXPECT_THROW(evaluate_generator(classifier, wrong, 8, real, 4), ShapeError);
}

// ---- the collapse alarm ----

TEST(CollapseAlarm, RaisesOnceAfterPatienceFallsOfCoverage) {
  CollapseAlarm alarm(3);
  // Coverage 0.9, then falls three times in a row; the distance wobbles.
  EXPECT_EQ(alarm.observe(100, 50, 0.90), "");
  EXPECT_EQ(alarm.observe(200, 48, 0.85), "");
  EXPECT_EQ(alarm.observe(300, 49, 0.80), "");
  const std::string w = alarm.observe(400, 47, 0.70);
  EXPECT_NE(w.find("class coverage fell"), std::string::npos) << w;
  EXPECT_NE(w.find("step 400"), std::string::npos) << w;
  EXPECT_TRUE(alarm.raised());
  EXPECT_EQ(alarm.observe(500, 60, 0.50), "");  // once only
}

TEST(CollapseAlarm, RaisesOnRisingDistanceAndForgetsBrokenStreaks) {
  CollapseAlarm alarm(2);
  EXPECT_EQ(alarm.observe(1, 30, 0.9), "");
  EXPECT_EQ(alarm.observe(2, 31, 0.9), "");  // one rise
  EXPECT_EQ(alarm.observe(3, 29, 0.9), "");  // broken: improving again
  EXPECT_EQ(alarm.observe(4, 32, 0.9), "");
  EXPECT_FALSE(alarm.raised());
  EXPECT_NE(alarm.observe(5, 33, 0.95).find("feature distance rose"), std::string::npos);
}

TEST(CollapseAlarm, PatienceZeroNeverRaises) {
  CollapseAlarm alarm(0);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(alarm.observe(i, 10.0 * i, 1.0 - 0.1 * i), "");
  EXPECT_FALSE(alarm.raised());
}

TEST(CollapseAlarm, HistogramListsEveryClassShare) {
  EXPECT_EQ(format_histogram(class_coverage({0, 0, 1, 3}, 4)), "0:50% 1:25% 2:0% 3:25%");
}

}  // namespace
}  // namespace gan
