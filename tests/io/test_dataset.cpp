// The training data path: --dataset specs, resizing, channels, and the seeded
// batch order the exact-resume guarantee rests on.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "core/error.h"
#include "core/io/dataset.h"
#include "core/io/png_grid.h"
#include "io/io_test_util.h"

namespace gan::io {
namespace {

using testing::scratch_dir;
using testing::write_bar_dataset;

TEST(Dataset, IdxDirectoryLoadsWithLabels) {
  const std::string dir = write_bar_dataset(scratch_dir() + "/data", 10);
  const ImageSet set = load_image_set("idx:" + dir, 28, 0);
  EXPECT_EQ(set.n, 10);
  EXPECT_EQ(set.channels, 1);
  EXPECT_EQ(set.height, 28);
  EXPECT_EQ(set.width, 28);
  EXPECT_EQ(set.num_classes, 10);
  ASSERT_EQ(set.labels.size(), 10u);
  EXPECT_EQ(set.labels[3], 1);
  EXPECT_EQ(set.pixels.size(), 10u * 28 * 28);
}

TEST(Dataset, ResizesAndReplicatesGrayToThreeChannels) {
  const std::string dir = write_bar_dataset(scratch_dir() + "/data", 4);
  const ImageSet set = load_image_set("idx:" + dir, 64, 3);
  EXPECT_EQ(set.height, 64);
  EXPECT_EQ(set.width, 64);
  EXPECT_EQ(set.channels, 3);
  const int64_t plane = 64 * 64;
  for (int64_t i = 0; i < 4; ++i) {
    const uint8_t* img = set.pixels.data() + i * set.image_bytes();
    EXPECT_TRUE(std::equal(img, img + plane, img + plane));
    EXPECT_TRUE(std::equal(img, img + plane, img + 2 * plane));
    EXPECT_GT(*std::max_element(img, img + plane), 200);  // the bar survived the resize
  }
}

TEST(Dataset, FolderOfImagesIsCroppedToSquares) {
  const std::string dir = scratch_dir() + "/pics";
  std::filesystem::create_directories(dir);
  // A wide and a tall RGB image, both must come out 32x32.
  for (auto [w, h] : {std::pair{48, 32}, std::pair{20, 40}}) {
    Image img;
    img.width = w;
    img.height = h;
    img.channels = 3;
    img.pixels.assign(static_cast<size_t>(w * h * 3), 100);
    write_png(dir + "/img_" + std::to_string(w) + ".png", img);
  }
  const ImageSet set = load_image_set("folder:" + dir, 32, 0);
  EXPECT_EQ(set.n, 2);
  EXPECT_EQ(set.channels, 3);
  EXPECT_TRUE(set.labels.empty());
  for (uint8_t v : set.pixels) ASSERT_EQ(v, 100);
}

// All the bad files of a folder in one error (first ten and a count), in file
// order: not one per run.
TEST(Dataset, EveryUndecodableFileIsListedAtOnce) {
  const std::string dir = scratch_dir() + "/pics";
  std::filesystem::create_directories(dir);
  Image img;
  img.width = img.height = 8;
  img.channels = 3;
  img.pixels.assign(8 * 8 * 3, 100);
  for (int i = 0; i < 20; ++i) write_png(dir + "/good_" + std::to_string(100 + i) + ".png", img);
  for (int i = 0; i < 12; ++i) std::ofstream(dir + "/bad_" + std::to_string(100 + i) + ".jpg") << "not a jpeg";
  try {
    load_image_set("folder:" + dir, 8, 0);
    FAIL() << "no error";
  } catch (const IoError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("12 of 32 image files cannot be used"), std::string::npos) << m;
    for (int i = 0; i < 10; ++i) EXPECT_NE(m.find("bad_" + std::to_string(100 + i) + ".jpg"), std::string::npos) << m;
    EXPECT_EQ(m.find("bad_110.jpg"), std::string::npos) << m;
    EXPECT_NE(m.find("... and 2 more"), std::string::npos) << m;
    EXPECT_LT(m.find("bad_100.jpg"), m.find("bad_109.jpg")) << "listed in file order";
  }
}

// --skip-bad-images: the usable files load, in file order, and the others are
// named; a folder with none usable is refused all the same.
TEST(Dataset, SkippingBadImagesKeepsTheRestInOrderAndNamesTheOthers) {
  const std::string dir = scratch_dir() + "/mixed";
  std::filesystem::create_directories(dir);
  Image img;
  img.width = img.height = 4;
  img.channels = 1;
  for (int i = 0; i < 5; ++i) {
    img.pixels.assign(16, static_cast<uint8_t>(10 * (i + 1)));  // image i is all 10 (i + 1)
    write_png(dir + "/img_" + std::to_string(2 * i) + ".png", img);
  }
  for (int i : {1, 5, 9}) std::ofstream(dir + "/img_" + std::to_string(i) + ".jpg") << "not a jpeg";
  try {
    load_image_set("folder:" + dir, 4, 1);
    FAIL() << "bad files were accepted without --skip-bad-images";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("--skip-bad-images"), std::string::npos) << e.what();
  }
  const ImageSet set = load_image_set("folder:" + dir, 4, 1, true, BadImages::Skip);
  ASSERT_EQ(set.n, 5);
  ASSERT_EQ(set.pixels.size(), 5u * 16u);
  // list_image_files sorts by name: img_0, img_2, img_4, img_6, img_8 are the good ones.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(set.pixels[static_cast<size_t>(16 * i)], 10 * (i + 1)) << i;
  ASSERT_EQ(set.skipped.size(), 3u);
  EXPECT_NE(set.skipped[0].find("img_1.jpg"), std::string::npos) << set.skipped[0];
  EXPECT_NE(set.skipped[2].find("img_9.jpg"), std::string::npos) << set.skipped[2];
  const std::string summary = skipped_summary(set);
  EXPECT_NE(summary.find("skipped 3 of 8 image files"), std::string::npos) << summary;
  EXPECT_EQ(skipped_summary(load_image_set("folder:" + dir, 4, 1, true, BadImages::Skip)), summary);

  const std::string none = scratch_dir() + "/none-usable";
  std::filesystem::create_directories(none);
  std::ofstream(none + "/a.png") << "not a png";
  try {
    load_image_set("folder:" + none, 4, 1, true, BadImages::Skip);
    FAIL() << "a folder with no usable image was accepted";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("none is left"), std::string::npos) << e.what();
  }
}

// The pairs of pix2pix: a bad file drops the pair from both halves, named once.
TEST(Dataset, SkippingABadPairDropsBothHalves) {
  const std::string dir = scratch_dir() + "/pairs";
  std::filesystem::create_directories(dir);
  Image img;
  img.width = 8;
  img.height = 4;
  img.channels = 1;
  img.pixels.assign(32, 7);
  std::vector<std::string> files;
  for (int i = 0; i < 3; ++i) {
    files.push_back(dir + "/p" + std::to_string(i) + ".png");
    if (i == 1)
      std::ofstream(files.back()) << "broken";
    else
      write_png(files.back(), img);
  }
  const ImagePairs pairs = load_side_by_side(files, 4, 1, "pairs", BadImages::Skip);
  EXPECT_EQ(pairs.a.n, 2);
  EXPECT_EQ(pairs.b.n, 2);
  EXPECT_EQ(pairs.a.skipped.size(), 1u);
  EXPECT_TRUE(pairs.b.skipped.empty());
  EXPECT_THROW(load_side_by_side(files, 4, 1, "pairs"), IoError);
}

TEST(Dataset, BadSpecsSayWhatToDo) {
  try {
    load_image_set("cifar", 28, 0);
    FAIL() << "no error";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("fashion-mnist, idx:DIR"), std::string::npos) << e.what();
  }
  EXPECT_THROW(load_image_set("idx:" + scratch_dir() + "/missing", 28, 0), IoError);
  EXPECT_THROW(load_image_set("folder:", 28, 0), ValueError);
  const std::string dir = write_bar_dataset(scratch_dir() + "/data", 4);
  EXPECT_THROW(load_image_set("idx:" + dir, 28, 2), ValueError);
}

TEST(BatchLoader, EachEpochVisitsEveryImageOnceInASeededOrder) {
  const std::string dir = write_bar_dataset(scratch_dir() + "/data", 20);
  const ImageSet set = load_image_set("idx:" + dir, 28, 0);
  BatchLoader loader(set, 6, 42);
  EXPECT_EQ(loader.batches_per_epoch(), 3);  // 20 / 6, the tail of 2 is dropped
  // Images are told apart by their pixels (the background noise makes each unique).
  std::vector<std::set<std::vector<float>>> seen(2);
  std::vector<std::vector<std::vector<float>>> order(2);
  for (int b = 0; b < 6; ++b) {
    const Batch batch = loader.next();
    ASSERT_EQ(batch.images.shape(), (Shape{6, 1, 28, 28}));
    ASSERT_EQ(batch.labels.size(), 6u);
    for (int64_t i = 0; i < 6; ++i) {
      order[b / 3].push_back(batch.images.slice(0, i, i + 1).to_vector<float>());
      seen[b / 3].insert(order[b / 3].back());
    }
  }
  EXPECT_EQ(seen[0].size(), 18u) << "an image came twice within epoch 0";
  EXPECT_EQ(seen[1].size(), 18u) << "an image came twice within epoch 1";
  EXPECT_NE(order[0], order[1]) << "epochs 0 and 1 should be shuffled differently";
  // Values are in [-1, 1].
  const std::vector<double> v = loader.make_batch(0).images.to_vector<double>();
  EXPECT_GE(*std::min_element(v.begin(), v.end()), -1.0);
  EXPECT_LE(*std::max_element(v.begin(), v.end()), 1.0);
}

TEST(BatchLoader, BatchBIsAPureFunctionOfSeedAndB) {
  const std::string dir = write_bar_dataset(scratch_dir() + "/data", 20);
  const ImageSet set = load_image_set("idx:" + dir, 28, 0);
  BatchLoader from_start(set, 4, 9), resumed(set, 4, 9, /*first_batch=*/7), other_seed(set, 4, 10);
  std::vector<Batch> seq;
  for (int b = 0; b < 10; ++b) seq.push_back(from_start.next());
  for (int b = 7; b < 10; ++b) {
    const Batch r = resumed.next();
    EXPECT_EQ(r.images.to_vector<float>(), seq[static_cast<size_t>(b)].images.to_vector<float>()) << "batch " << b;
    EXPECT_EQ(r.labels, seq[static_cast<size_t>(b)].labels);
  }
  EXPECT_NE(other_seed.next().images.to_vector<float>(), seq[0].images.to_vector<float>());
}

TEST(BatchLoader, TooFewImagesForOneBatch) {
  const std::string dir = write_bar_dataset(scratch_dir() + "/data", 3);
  const ImageSet set = load_image_set("idx:" + dir, 28, 0);
  try {
    BatchLoader loader(set, 4, 1);
    FAIL() << "no error";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("lower --batch-size"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace gan::io
