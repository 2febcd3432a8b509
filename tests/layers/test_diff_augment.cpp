// DiffAugment (layers/diff_augment.h): each policy does what it says on
// random images (translation is a shift with zero fill by at most 1/8 of the
// side, cutout zeroes one rectangle of at most half the side, color is an
// affine map per image), the whole policy is differentiable (float64
// gradient check), the same random stream gives the same augmentation, the
// policy names parse and print back, and CUDA matches the CPU.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.h"
#include "gradcheck.h"
#include "layers/diff_augment.h"
#include "tests/kernels/cuda_test_util.h"

namespace gan {
namespace {

using testing::gradcheck;
using testing::random_input;

DiffAugmentPolicy only(bool color, bool translation, bool cutout) { return {color, translation, cutout}; }

TEST(DiffAugment, TranslationIsAShiftWithZeroFill) {
  Rng data(1);
  const int64_t n = 6, h = 16, w = 24;  // shifts up to 2 rows and 3 columns
  const Tensor x = Tensor::rand({n, 2, h, w}, data, DType::F64, Device::cpu(), 0.5, 1.5);  // no zeros
  Rng rng(2);
  const Tensor y = diff_augment(x, only(false, true, false), rng);
  ASSERT_EQ(y.shape(), x.shape());
  const std::vector<double> xv = x.to_vector(), yv = y.to_vector();
  int shifted = 0;
  for (int64_t i = 0; i < n; ++i) {
    bool found = false;
    for (int64_t dy = -2; dy <= 2 && !found; ++dy)
      for (int64_t dx = -3; dx <= 3 && !found; ++dx) {
        bool match = true;
        for (int64_t c = 0; c < 2 && match; ++c)
          for (int64_t r = 0; r < h && match; ++r)
            for (int64_t q = 0; q < w && match; ++q) {
              const int64_t sr = r + dy, sq = q + dx;
              const double want = sr >= 0 && sr < h && sq >= 0 && sq < w ? xv[((i * 2 + c) * h + sr) * w + sq] : 0.0;
              match = yv[((i * 2 + c) * h + r) * w + q] == want;
            }
        if (match) {
          found = true;
          shifted += dy != 0 || dx != 0;
        }
      }
    EXPECT_TRUE(found) << "image " << i << " is no shift of its input by at most (2, 3)";
  }
  EXPECT_GT(shifted, 0);  // six images, 35 shifts each: not all zero
}

TEST(DiffAugment, CutoutZeroesOneRectangleOfAtMostHalfTheSide) {
  Rng data(3);
  const int64_t n = 8, h = 12, w = 10;
  const Tensor x = Tensor::rand({n, 3, h, w}, data, DType::F64, Device::cpu(), 0.5, 1.5);
  Rng rng(4);
  const std::vector<double> xv = x.to_vector(), yv = diff_augment(x, only(false, false, true), rng).to_vector();
  for (int64_t i = 0; i < n; ++i) {
    int64_t top = h, bottom = -1, left = w, right = -1, zeros = 0;
    for (int64_t r = 0; r < h; ++r)
      for (int64_t q = 0; q < w; ++q) {
        const size_t at = static_cast<size_t>((i * 3 * h + r) * w + q);
        const bool zero = yv[at] == 0.0;
        for (int64_t c = 0; c < 3; ++c) {  // every channel alike: kept or zeroed
          const size_t ac = at + static_cast<size_t>(c * h * w);
          EXPECT_EQ(yv[ac], zero ? 0.0 : xv[ac]);
        }
        if (zero) {
          ++zeros;
          top = std::min(top, r), bottom = std::max(bottom, r), left = std::min(left, q), right = std::max(right, q);
        }
      }
    ASSERT_GT(zeros, 0) << "image " << i;
    EXPECT_EQ(zeros, (bottom - top + 1) * (right - left + 1)) << "image " << i << ": the zeros form a rectangle";
    EXPECT_LE(bottom - top + 1, 6);
    EXPECT_LE(right - left + 1, 5);
  }
}

TEST(DiffAugment, ColorIsAnAffineMapPerImage) {
  // On one channel saturation does nothing, and brightness + contrast give
  // y - mean(y) = c (x - mean(x)) with c in [0.5, 1.5].
  Rng data(5);
  const int64_t n = 5, hw = 36;
  const Tensor x = Tensor::rand({n, 1, 6, 6}, data, DType::F64, Device::cpu(), -1.0, 1.0);
  Rng rng(6);
  const std::vector<double> xv = x.to_vector(), yv = diff_augment(x, only(true, false, false), rng).to_vector();
  for (int64_t i = 0; i < n; ++i) {
    double xm = 0, ym = 0;
    for (int64_t k = 0; k < hw; ++k) xm += xv[i * hw + k] / hw, ym += yv[i * hw + k] / hw;
    const double c = (yv[i * hw] - ym) / (xv[i * hw] - xm);
    EXPECT_GE(c, 0.5 - 1e-12);
    EXPECT_LE(c, 1.5 + 1e-12);
    for (int64_t k = 0; k < hw; ++k) EXPECT_NEAR(yv[i * hw + k] - ym, c * (xv[i * hw + k] - xm), 1e-12);
  }
}

TEST(DiffAugment, EveryPolicyIsDifferentiable) {
  Rng data(7);
  Tensor x = random_input({2, 3, 8, 8}, data);
  const auto f = [](const std::vector<Tensor>& in) {
    Rng rng(8);  // the same augmentation at every evaluation
    return diff_augment(in[0], parse_diff_augment("color,translation,cutout"), rng);
  };
  EXPECT_EQ(gradcheck(f, {x}), 0);
}

TEST(DiffAugment, TheSameStreamGivesTheSameAugmentation) {
  Rng data(9);
  const Tensor x = Tensor::randn({4, 3, 16, 16}, data);
  Rng a(10), b(10), c(11);
  const DiffAugmentPolicy all = parse_diff_augment("color,translation,cutout");
  const std::vector<float> ya = diff_augment(x, all, a).to_vector<float>();
  EXPECT_EQ(ya, diff_augment(x, all, b).to_vector<float>());
  EXPECT_EQ(a.counter(), b.counter());
  EXPECT_NE(ya, diff_augment(x, all, c).to_vector<float>());
}

TEST(DiffAugment, PolicyNamesAndErrors) {
  EXPECT_FALSE(parse_diff_augment("none").any());
  EXPECT_EQ(diff_augment_name(parse_diff_augment("cutout,color")), "color,cutout");
  EXPECT_EQ(diff_augment_name(parse_diff_augment("none")), "none");
  EXPECT_THROW(parse_diff_augment("colour"), ValueError);
  EXPECT_THROW(parse_diff_augment("color,color"), ValueError);
  EXPECT_THROW(parse_diff_augment(""), ValueError);
  Rng rng(1);
  EXPECT_THROW(diff_augment(Tensor::zeros({2, 3}), parse_diff_augment("color"), rng), ShapeError);
}

// CUDA: the same stream gives the same augmentation as on the CPU (float32).
// ADA's probability: at 0 every image passes unchanged; at 1 the result is
// the plain DiffAugment with the same stream (no extra draws); in between
// each image is either unchanged or augmented, and both kinds occur; values
// outside [0, 1] are refused.
TEST(DiffAugment, ProbabilityChoosesWhichImagesAreAugmented) {
  Rng data(7);
  const int64_t n = 16;
  const Tensor x = Tensor::rand({n, 1, 8, 8}, data, DType::F64, Device::cpu(), 0.5, 1.5);
  const DiffAugmentPolicy all = only(true, true, true);
  Rng none_rng(8);
  EXPECT_EQ(diff_augment(x, all, none_rng, 0.0).to_vector(), x.to_vector());
  Rng a(9), b(9);
  EXPECT_EQ(diff_augment(x, all, a, 1.0).to_vector(), diff_augment(x, all, b).to_vector());
  EXPECT_EQ(a.counter(), b.counter());
  Rng half_rng(10);
  const std::vector<double> xv = x.to_vector(), yv = diff_augment(x, all, half_rng, 0.5).to_vector();
  int unchanged = 0;
  for (int64_t i = 0; i < n; ++i)
    unchanged += std::equal(xv.begin() + i * 64, xv.begin() + (i + 1) * 64, yv.begin() + i * 64);
  // Unchanged needs all three skipped (1/8 each): over 16 images, some but not all.
  EXPECT_GT(unchanged, 0);
  EXPECT_LT(unchanged, n);
  Rng rng(11);
  EXPECT_THROW(diff_augment(x, all, rng, 1.5), ValueError);
  EXPECT_THROW(diff_augment(x, all, rng, -0.1), ValueError);
}

TEST(DiffAugmentCuda, MatchesTheCpu) {
  GAN_SKIP_WITHOUT_CUDA();
  Rng data(12);
  const Tensor x = Tensor::randn({8, 3, 32, 32}, data);
  Rng on_cpu(13), on_cuda(13);
  const DiffAugmentPolicy all = parse_diff_augment("color,translation,cutout");
  const Tensor y_cpu = diff_augment(x, all, on_cpu);
  const Tensor y_cuda = diff_augment(x.to(Device::cuda()), all, on_cuda);
  ASSERT_TRUE(y_cuda.device().is_cuda());
  EXPECT_TRUE(test::close(y_cuda.to_vector<float>(), y_cpu.to_vector<float>(), 1e-6));
}

}  // namespace
}  // namespace gan
