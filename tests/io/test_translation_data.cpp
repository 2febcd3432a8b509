// Image-to-image data: the folder layouts (and clear errors for bad ones),
// class pairs of IDX data, the random crop and flip (identical for the two
// halves of a pix2pix pair), and a batch order that is a pure function of the
// seed and the batch index.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <tuple>

#include "core/error.h"
#include "core/io/translation_data.h"
#include "io/io_test_util.h"
#include "io/translation_layouts.h"

namespace gan::io {
namespace {

namespace fs = std::filesystem;
using testing::scratch_dir;

TranslationDataOptions small(int64_t image_size, int64_t load_size) {
  TranslationDataOptions o;
  o.image_size = image_size;
  o.load_size = load_size;
  o.test_images = 3;
  return o;
}

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(TranslationData, UnpairedFoldersLoadAtTheLoadSizeAndTestImagesAtTheModelSize) {
  const std::string dir = testing::write_unpaired_bars(scratch_dir() + "/bars", 6);
  const TranslationData d = load_unpaired(dir, small(16, 20));
  EXPECT_FALSE(d.paired);
  EXPECT_EQ(d.train_a.n, 6);
  EXPECT_EQ(d.train_b.n, 6);
  EXPECT_EQ(d.train_a.height, 20);
  EXPECT_EQ(d.channels(), 3);  // image files default to RGB
  EXPECT_EQ(d.test_a.n, 3);    // testA/ holds 4; test_images caps it
  EXPECT_EQ(d.test_b.height, 16);
  EXPECT_CONTAINS(d.test_a.source, "testA");
  EXPECT_CONTAINS(d.describe(), "trainB");
  // As many test images of A as of B (the grid's rows have one column per pair).
  fs::remove(dir + "/testB/img_100.png");
  fs::remove(dir + "/testB/img_101.png");
  const TranslationData fewer = load_unpaired(dir, small(16, 20));
  EXPECT_EQ(fewer.test_a.n, 2);
  EXPECT_EQ(fewer.test_b.n, 2);
}

TEST(TranslationData, ClassPairsOfIdxData) {
  const std::string dir = testing::write_bar_dataset(scratch_dir() + "/data", 20, 28, 7, /*test_split=*/true);
  TranslationDataOptions o = small(32, 36);
  o.channels = 0;
  const TranslationData d = load_unpaired("idx:" + dir + ":0,1", o);
  EXPECT_EQ(d.train_a.n, 10);  // the even images are class 0
  EXPECT_EQ(d.train_b.n, 10);
  EXPECT_EQ(d.channels(), 1);
  EXPECT_EQ(d.train_a.height, 36);
  for (uint8_t label : d.train_a.labels) EXPECT_EQ(label, 0);
  for (uint8_t label : d.train_b.labels) EXPECT_EQ(label, 1);
  EXPECT_CONTAINS(d.test_a.source, "test split");
  EXPECT_EQ(d.test_b.height, 32);
  // Malformed class specs say what is expected.
  for (const std::string& bad : {std::string("fashion-mnist"), "idx:" + dir, "idx:" + dir + ":3", "idx:" + dir + ":1,1",
                                "idx:" + dir + ":0,12"})
    EXPECT_CONTAINS(error_of([&] { load_unpaired(bad, o); }), "two");
}

TEST(TranslationData, BadLayoutsNameWhatIsMissingAndTheLayoutExpected) {
  const std::string root = scratch_dir();
  // No trainB/.
  const std::string only_a = root + "/only_a";
  testing::write_pngs(only_a, "trainA", 2, [](int) { Rng g(1); return testing::bar_image(12, true, g); });
  std::string e = error_of([&] { load_unpaired(only_a, small(8, 12)); });
  EXPECT_CONTAINS(e, "has no trainB/ folder");
  EXPECT_CONTAINS(e, "DIR/trainA/ and DIR/trainB/");
  // trainB/ without images.
  fs::create_directories(only_a + "/trainB");
  std::ofstream(only_a + "/trainB/notes.txt") << "no images here";
  e = error_of([&] { load_unpaired(only_a, small(8, 12)); });
  EXPECT_CONTAINS(e, "holds no image files");
  EXPECT_CONTAINS(e, "CycleGAN's layout");
  // --data that does not exist.
  EXPECT_CONTAINS(error_of([&] { load_unpaired(root + "/missing", small(8, 12)); }), "is not a directory");
  // pix2pix: no train/ folder, and CycleGAN's layout given to it.
  EXPECT_CONTAINS(error_of([&] { load_paired(root, small(32, 36)); }), "has no train/ folder");
  EXPECT_CONTAINS(error_of([&] { load_paired(only_a, small(32, 36)); }), "use 'gan cyclegan train'");
  // An A|B image of odd width names the file and the layout.
  const std::string odd = root + "/odd";
  testing::write_pngs(odd, "train", 1, [](int) { Rng g(1); return testing::bar_image(15, true, g); });
  e = error_of([&] { load_paired(odd, small(32, 36)); });
  EXPECT_CONTAINS(e, "img_100.png is 15 x 15 pixels");
  EXPECT_CONTAINS(e, "even width");
  // A pix2pix layout given to CycleGAN.
  EXPECT_CONTAINS(error_of([&] { load_unpaired(odd, small(8, 12)); }), "use 'gan pix2pix train'");
}

// The 8 x 8 window of a 12 x 12 image whose pixel (x, y) holds 10 * x + y: the
// output's top-left value and its right neighbour give the window and flip.
struct Window {
  int64_t x0, y0;
  bool flip;
  bool operator<(const Window& o) const { return std::tie(x0, y0, flip) < std::tie(o.x0, o.y0, o.flip); }
};

Window window_of(const float* image) {
  const auto at = [&](int i) { return static_cast<int64_t>(std::lround((image[i] + 1.0f) * 127.5f)); };
  const bool flip = at(1) < at(0);
  const int64_t left = flip ? at(7) : at(0);  // the window's leftmost column
  return {left / 10, left % 10, flip};
}

TEST(TranslationData, PairsShareTheirRandomCropAndFlip) {
  const std::string dir = scratch_dir() + "/pairs";
  testing::write_pngs(dir, "train", 5, [](int) {
    Image ramp;
    ramp.width = ramp.height = 12;
    ramp.channels = 1;
    for (int y = 0; y < 12; ++y)
      for (int x = 0; x < 12; ++x) ramp.pixels.push_back(static_cast<uint8_t>(10 * x + y));
    return testing::negative_pair(ramp);
  });
  TranslationDataOptions o = small(8, 12);
  o.channels = 1;
  const TranslationData d = load_paired(dir, o);
  ASSERT_TRUE(d.paired);
  const TranslationBatches batches(d, 5, 8, /*flip=*/true, 11);
  std::set<Window> windows;
  std::set<bool> flips;
  for (int64_t b = 0; b < 8; ++b) {
    const Batch batch = batches.make_batch(b);
    const std::vector<float> a = batch.images.to_vector<float>(), neg = batch.images_b.to_vector<float>();
    ASSERT_EQ(a.size(), 5u * 64);
    // B is A's negative, so with the same window and flip it is -A exactly (up to float rounding).
    for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(neg[i], -a[i], 1e-6) << "batch " << b << " value " << i;
    for (int64_t i = 0; i < 5; ++i) {
      windows.insert(window_of(a.data() + i * 64));
      flips.insert(window_of(a.data() + i * 64).flip);
    }
  }
  // 40 draws over 5 x 5 offsets and two flips: the crops really are random.
  EXPECT_GT(windows.size(), 10u);
  EXPECT_EQ(flips.size(), 2u);
  for (const Window& w : windows) {
    EXPECT_LE(w.x0, 4);
    EXPECT_LE(w.y0, 4);
  }
  // Without --flip no window is mirrored.
  const TranslationBatches unflipped(d, 5, 8, /*flip=*/false, 11);
  const std::vector<float> a = unflipped.make_batch(0).images.to_vector<float>();
  for (int64_t i = 0; i < 5; ++i) EXPECT_FALSE(window_of(a.data() + i * 64).flip);
}

TEST(TranslationData, UnpairedBatchesCoverBothDomainsEvenlyAndDependOnlyOnSeedAndIndex) {
  const std::string dir = testing::write_unpaired_bars(scratch_dir() + "/bars", 6);
  // Domain B cut to 4 images: the epoch is max(6, 4) / 2 = 3 batches.
  for (int i = 4; i < 6; ++i) fs::remove(dir + "/trainB/img_" + std::to_string(100 + i) + ".png");
  const TranslationData d = load_unpaired(dir, small(20, 20));  // no crop: images identify themselves
  const TranslationBatches batches(d, 2, 20, /*flip=*/false, 5);
  EXPECT_EQ(batches.batches_per_epoch(), 3);
  const auto index_of = [](const ImageSet& set, const std::vector<float>& image) {
    for (int64_t k = 0; k < set.n; ++k) {
      std::vector<float> ref(static_cast<size_t>(set.image_bytes()));
      image_to_float(set, k, ref.data());
      if (ref == image) return k;
    }
    return int64_t{-1};
  };
  std::vector<int> seen_a(6), seen_b(4);
  for (int64_t b = 0; b < 6; ++b) {  // 12 positions: every A twice, every B three times
    const Batch batch = batches.make_batch(b);
    for (int64_t i = 0; i < 2; ++i) {
      const int64_t ia = index_of(d.train_a, batch.images.slice(0, i, i + 1).to_vector<float>());
      const int64_t ib = index_of(d.train_b, batch.images_b.slice(0, i, i + 1).to_vector<float>());
      ASSERT_GE(ia, 0);
      ASSERT_GE(ib, 0);
      ++seen_a[static_cast<size_t>(ia)];
      ++seen_b[static_cast<size_t>(ib)];
    }
  }
  for (int c : seen_a) EXPECT_EQ(c, 2);
  for (int c : seen_b) EXPECT_EQ(c, 3);

  // Batch b depends on (seed, b) only: a loader started at batch 4 hands out
  // what a fresh source makes for 4, 5; another seed gives other batches.
  const auto source = std::make_shared<TranslationBatches>(d, 2, 16, true, 9);
  BatchLoader resumed(source, 4);
  const TranslationBatches again(d, 2, 16, true, 9), other(d, 2, 16, true, 10);
  for (int64_t b = 4; b < 6; ++b) {
    const Batch r = resumed.next();
    EXPECT_EQ(r.images.to_vector<float>(), again.make_batch(b).images.to_vector<float>()) << b;
    EXPECT_EQ(r.images_b.to_vector<float>(), again.make_batch(b).images_b.to_vector<float>()) << b;
  }
  EXPECT_NE(other.make_batch(4).images.to_vector<float>(), again.make_batch(4).images.to_vector<float>());
}

}  // namespace
}  // namespace gan::io
