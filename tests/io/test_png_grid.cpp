// Tests for core/io/png_grid: grid geometry, value mapping [-1,1] -> [0,255]
// with clamping, channel handling and argument checks.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>

#include "core/io/image.h"
#include "core/io/png_grid.h"
#include "io_test_util.h"

namespace fs = std::filesystem;
using namespace gan::io;
using namespace gan::io::testing;

namespace {

uint8_t at(const Image& img, int x, int y, int c = 0) {
  return img.pixels[static_cast<size_t>((y * img.width + x) * img.channels + c)];
}

}  // namespace

TEST(PngGrid, GeometryAndValueMapping) {
  const std::string dir = scratch_dir();
  // 5 grayscale images of 4 x 6 (h x w), 3 per row, padding 2:
  // width 3 * (6 + 2) + 2 = 26, height 2 * (4 + 2) + 2 = 14.
  const int n = 5, h = 4, w = 6;
  const float fill[n] = {-1.0f, 1.0f, 0.0f, 7.0f, -3.0f};  // 7 and -3 are clamped
  std::vector<float> images(static_cast<size_t>(n * h * w));
  for (int i = 0; i < n; ++i)
    for (int p = 0; p < h * w; ++p) images[static_cast<size_t>(i * h * w + p)] = fill[i];
  const std::string path = join(dir, "grid.png");
  write_image_grid_png(path, images.data(), n, 1, h, w, /*nrow=*/3);

  const Image g = load_image(path, 1);
  ASSERT_EQ(g.width, 26);
  ASSERT_EQ(g.height, 14);
  const uint8_t expected[n] = {0, 255, 128, 255, 0};
  for (int i = 0; i < n; ++i) {
    const int left = 2 + (i % 3) * (w + 2), top = 2 + (i / 3) * (h + 2);
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) ASSERT_EQ(at(g, left + x, top + y), expected[i]) << "image " << i;
  }
  // Padding, and the empty sixth cell, are black... which image 0 and 4 are
  // too, so set them apart by checking a cell next to white image 1.
  EXPECT_EQ(at(g, 2 + 8 - 1, 3), 0);   // gap between image 0 and image 1
  EXPECT_EQ(at(g, 2 + 8 + 6, 3), 0);   // gap right of image 1
  EXPECT_EQ(at(g, 2 + 8 + 2, 1), 0);   // top border above image 1
  EXPECT_EQ(at(g, 2 + 16 + 2, 10), 0);  // empty sixth cell
}

TEST(PngGrid, RgbChannelsAndLayout) {
  const std::string dir = scratch_dir();
  // Two 2 x 3 RGB images side by side without padding. Image 0 has R=-1,
  // G=0, B=1; image 1 has a horizontal ramp in R to check NCHW indexing.
  const int h = 2, w = 3, c = 3;
  std::vector<float> images(static_cast<size_t>(2 * c * h * w), 0.0f);
  for (int p = 0; p < h * w; ++p) {
    images[static_cast<size_t>(0 * h * w + p)] = -1.0f;
    images[static_cast<size_t>(1 * h * w + p)] = 0.0f;
    images[static_cast<size_t>(2 * h * w + p)] = 1.0f;
  }
  float* second = images.data() + c * h * w;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) second[y * w + x] = -1.0f + static_cast<float>(x);  // -1, 0, 1
  write_image_grid_png(join(dir, "rgb.png"), images.data(), 2, c, h, w, /*nrow=*/8, /*padding=*/0);

  const Image g = load_image(join(dir, "rgb.png"), 3);
  ASSERT_EQ(g.width, 6);  // only 2 images: the row is 2 wide, not 8
  ASSERT_EQ(g.height, 2);
  EXPECT_EQ(at(g, 0, 0, 0), 0);
  EXPECT_EQ(at(g, 0, 0, 1), 128);
  EXPECT_EQ(at(g, 0, 0, 2), 255);
  EXPECT_EQ(at(g, 3, 1, 0), 0);
  EXPECT_EQ(at(g, 4, 1, 0), 128);
  EXPECT_EQ(at(g, 5, 1, 0), 255);
  EXPECT_EQ(at(g, 5, 1, 1), 128);
}

TEST(PngGrid, NanAndRounding) {
  const std::string dir = scratch_dir();
  const float vals[4] = {std::numeric_limits<float>::quiet_NaN(), -1.0f + 1.0f / 127.5f, 0.999f, -0.5f};
  write_image_grid_png(join(dir, "v.png"), vals, 1, 1, 1, 4, 1, 0);
  const Image g = load_image(join(dir, "v.png"), 1);
  EXPECT_EQ(g.pixels, (std::vector<uint8_t>{0, 1, 255, 64}));
}

TEST(PngGrid, RejectsBadArguments) {
  const std::string dir = scratch_dir();
  const std::string path = join(dir, "x.png");
  std::vector<float> img(2 * 3 * 4 * 4, 0.0f);
  EXPECT_THROW(write_image_grid_png(path, img.data(), 0, 3, 4, 4, 8), gan::ValueError);
  EXPECT_THROW(write_image_grid_png(path, img.data(), 2, 2, 4, 4, 8), gan::ValueError);
  EXPECT_THROW(write_image_grid_png(path, img.data(), 2, 3, 0, 4, 8), gan::ValueError);
  EXPECT_THROW(write_image_grid_png(path, img.data(), 2, 3, 4, 4, 0), gan::ValueError);
  EXPECT_THROW(write_image_grid_png(path, img.data(), 2, 3, 4, 4, 8, -1), gan::ValueError);
  EXPECT_THROW(write_image_grid_png(path, nullptr, 2, 3, 4, 4, 8), gan::ValueError);
  EXPECT_FALSE(fs::exists(path));
}

TEST(PngGrid, UnwritableTargetIsIoError) {
  const std::string dir = scratch_dir();
  std::vector<float> img(16, 0.0f);
  const std::string path = join(dir, "missing/grid.png");
  const std::string msg = io_error_message([&] { write_image_grid_png(path, img.data(), 1, 1, 4, 4, 1); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
}

TEST(PngGrid, WritePngValidates) {
  const std::string dir = scratch_dir();
  Image bad;
  bad.width = 2;
  bad.height = 2;
  bad.channels = 3;
  bad.pixels.resize(11);
  EXPECT_THROW(write_png(join(dir, "bad.png"), bad), gan::ValueError);
  bad.channels = 5;
  bad.pixels.resize(20);
  EXPECT_THROW(write_png(join(dir, "bad.png"), bad), gan::ValueError);
  EXPECT_FALSE(fs::exists(join(dir, "bad.png")));
}
