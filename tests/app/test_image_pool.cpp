// CycleGAN's image pool (fills up, then swaps with probability 1/2,
// deterministically for a seed, and survives a checkpoint) and the learning-rate
// schedule of the image-to-image trainers (constant, then linear to 0).
#include <gtest/gtest.h>

#include <vector>

#include "apps/gan/lr_schedule.h"
#include "core/error.h"
#include "models/image_pool.h"

namespace gan::app {
namespace {

// Image k of the tests: [1, 1, 2, 2] filled with k, so a returned image says which one it is.
Tensor image(int k) { return Tensor::full({1, 1, 2, 2}, k); }
Tensor batch(int first, int n) {
  std::vector<double> v;
  for (int k = first; k < first + n; ++k) v.insert(v.end(), 4, k);
  return Tensor::from_vector(v, {n, 1, 2, 2});
}
std::vector<int> ids(const Tensor& images) {
  std::vector<int> out;
  const std::vector<float> v = images.to_vector<float>();
  for (size_t i = 0; i < v.size(); i += 4) out.push_back(static_cast<int>(v[i]));
  return out;
}

TEST(ImagePool, FillsUpToItsCapacityReturningTheNewImages) {
  ImagePool pool(50, 7);
  for (int first = 0; first < 50; first += 10) {
    EXPECT_EQ(ids(pool.query(batch(first, 10))), ids(batch(first, 10)));
    EXPECT_EQ(pool.size(), first + 10);
  }
  EXPECT_EQ(pool.generator().counter(), 0u) << "no random decision while filling";
}

TEST(ImagePool, WhenFullReturnsAStoredImageHalfTheTimeAndKeepsTheNewOne) {
  ImagePool pool(50, 7);
  pool.query(batch(0, 50));
  std::vector<bool> in_pool(5050, false);
  for (int k = 0; k < 50; ++k) in_pool[static_cast<size_t>(k)] = true;
  int old_returned = 0;
  for (int k = 50; k < 5050; ++k) {
    const int got = ids(pool.query(image(k)))[0];
    if (got == k) continue;  // the new image, passed through
    // A stored image came back, and the new one took its place.
    ASSERT_TRUE(in_pool[static_cast<size_t>(got)]) << got << " was not in the pool";
    in_pool[static_cast<size_t>(got)] = false;
    in_pool[static_cast<size_t>(k)] = true;
    ++old_returned;
  }
  EXPECT_EQ(pool.size(), 50);
  // 5000 fair coin flips: the share is 1/2 +- 0.02 (2.8 standard deviations).
  EXPECT_NEAR(old_returned / 5000.0, 0.5, 0.02);
}

TEST(ImagePool, IsDeterministicForASeedAndOffWithCapacityZero) {
  ImagePool a(5, 3), b(5, 3), c(5, 4);
  std::vector<int> from_a, from_b, from_c;
  for (int k = 0; k < 40; k += 4) {
    for (int id : ids(a.query(batch(k, 4)))) from_a.push_back(id);
    for (int id : ids(b.query(batch(k, 4)))) from_b.push_back(id);
    for (int id : ids(c.query(batch(k, 4)))) from_c.push_back(id);
  }
  EXPECT_EQ(from_a, from_b);
  EXPECT_NE(from_a, from_c) << "another seed should swap other images";
  ImagePool off(0, 3);
  EXPECT_EQ(ids(off.query(batch(0, 3))), ids(batch(0, 3)));
  EXPECT_EQ(off.size(), 0);
}

TEST(ImagePool, CheckpointRoundTripContinuesIdentically) {
  ImagePool pool(6, 9);
  pool.query(batch(0, 8));  // full, two random decisions made
  io::Checkpoint ck;
  pool.save(ck, "pool_A.");
  ImagePool restored(6, 9);
  restored.load(ck, "pool_A.", {1, 2, 2}, "test.ckpt", Device::cpu());
  EXPECT_EQ(restored.size(), 6);
  for (int k = 100; k < 130; k += 3) EXPECT_EQ(ids(restored.query(batch(k, 3))), ids(pool.query(batch(k, 3))));
  // A pool saved for other images, or holding more than the capacity, is refused unchanged.
  ImagePool small(4, 9);
  EXPECT_THROW(small.load(ck, "pool_A.", {1, 2, 2}, "test.ckpt", Device::cpu()), IoError);
  EXPECT_THROW(restored.load(ck, "pool_A.", {3, 2, 2}, "test.ckpt", Device::cpu()), IoError);
  EXPECT_EQ(small.size(), 0);
  // An empty pool saves no images and loads back empty.
  io::Checkpoint empty;
  ImagePool(6, 1).save(empty, "p.");
  EXPECT_FALSE(empty.has("p.images"));
  restored.load(empty, "p.", {1, 2, 2}, "test.ckpt", Device::cpu());
  EXPECT_EQ(restored.size(), 0);
}

TEST(LinearDecaySchedule, ConstantThenLinearlyToZero) {
  // 4 steps at the base rate, then 4 decaying: 1 - k / 5 for the k-th decaying step.
  const LinearDecaySchedule s{4, 4};
  const std::vector<double> expected = {1, 1, 1, 1, 0.8, 0.6, 0.4, 0.2, 0, 0};
  for (int64_t t = 0; t < 10; ++t) EXPECT_DOUBLE_EQ(s.factor(t), expected[static_cast<size_t>(t)]) << "step " << t;
  EXPECT_EQ(s.end(), 8);
  // The papers' 100 + 100 epochs, in steps.
  const LinearDecaySchedule paper{100, 100};
  EXPECT_DOUBLE_EQ(paper.factor(99), 1.0);
  EXPECT_DOUBLE_EQ(paper.factor(100), 1.0 - 1.0 / 101);
  EXPECT_NEAR(paper.factor(199), 1.0 / 101, 1e-15);
  // No decay.
  const LinearDecaySchedule constant{0, 0};
  EXPECT_DOUBLE_EQ(constant.factor(1000000), 1.0);
}

}  // namespace
}  // namespace gan::app
