// Tiny image-to-image data sets for the CycleGAN / pix2pix tests, written as
// PNG files in the layouts the commands read, and the options of tiny runs.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/io/png_grid.h"
#include "core/random.h"

namespace gan::app::testing {

// A size x size grayscale picture: a bright bar 3 pixels thick, horizontal or
// vertical, at a random position on a dark, lightly noisy background.
inline io::Image bar_image(int size, bool horizontal, Rng& rng) {
  io::Image img;
  img.width = img.height = size;
  img.channels = 1;
  img.pixels.resize(static_cast<size_t>(size * size));
  const int at = 2 + static_cast<int>(rng.next_below(static_cast<uint64_t>(size - 6)));
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) {
      const bool on = horizontal ? (y >= at && y < at + 3) : (x >= at && x < at + 3);
      const auto noise = static_cast<uint8_t>(rng.next_below(20));
      img.pixels[static_cast<size_t>(y * size + x)] = on ? static_cast<uint8_t>(235 + noise) : noise;
    }
  return img;
}

// DIR/<sub>/img_<i>.png for i < n, each from make(i).
template <typename Make>
void write_pngs(const std::string& dir, const std::string& sub, int n, Make&& make) {
  std::filesystem::create_directories(dir + "/" + sub);
  for (int i = 0; i < n; ++i) io::write_png(dir + "/" + sub + "/img_" + std::to_string(100 + i) + ".png", make(i));
}

// CycleGAN's layout: trainA/ horizontal bars, trainB/ vertical bars (n each),
// testA/ and testB/ with 4 each.
inline std::string write_unpaired_bars(const std::string& dir, int n, int size = 20, uint64_t seed = 3) {
  Rng rng(seed);
  write_pngs(dir, "trainA", n, [&](int) { return bar_image(size, true, rng); });
  write_pngs(dir, "trainB", n, [&](int) { return bar_image(size, false, rng); });
  write_pngs(dir, "testA", 4, [&](int) { return bar_image(size, true, rng); });
  write_pngs(dir, "testB", 4, [&](int) { return bar_image(size, false, rng); });
  return dir;
}

// The A|B pair of an image: A on the left, its negative on the right.
inline io::Image negative_pair(const io::Image& a) {
  io::Image pair;
  pair.width = 2 * a.width;
  pair.height = a.height;
  pair.channels = a.channels;
  for (int y = 0; y < a.height; ++y) {
    const auto row = a.pixels.begin() + static_cast<std::ptrdiff_t>(y * a.width * a.channels);
    pair.pixels.insert(pair.pixels.end(), row, row + a.width * a.channels);
    for (int i = 0; i < a.width * a.channels; ++i) pair.pixels.push_back(static_cast<uint8_t>(255 - row[i]));
  }
  return pair;
}

// pix2pix's layout: train/ (n pairs) and val/ (4 pairs) of bar | negative.
inline std::string write_paired_bars(const std::string& dir, int n, int size, uint64_t seed = 5) {
  Rng rng(seed);
  write_pngs(dir, "train", n, [&](int i) { return negative_pair(bar_image(size, i % 2 == 0, rng)); });
  write_pngs(dir, "val", 4, [&](int i) { return negative_pair(bar_image(size, i % 2 == 0, rng)); });
  return dir;
}

// A tiny, fast CycleGAN run: 16 px crops of 20 px images, 4-wide networks with
// one ResNet block, batches of 2, a pool of 4 (full after two steps, so its
// random swaps happen within a few steps).
inline std::vector<std::string> tiny_cyclegan_args(const std::string& data, const std::string& out, int64_t steps) {
  return {"cyclegan", "train", "--data", data,   "--out", out,          "--steps", std::to_string(steps),
          "--image-size", "16", "--load-size", "20", "--ngf", "4",     "--ndf",   "4",
          "--n-blocks", "1",   "--batch-size", "2", "--pool-size", "4", "--sample-count", "3",
          "--device", "cpu",   "--log-every", "1",  "--sample-every", "0", "--quiet"};
}

// A tiny pix2pix run at 64 px (the smallest U-Net with a dropout block).
inline std::vector<std::string> tiny_pix2pix_args(const std::string& data, const std::string& out, int64_t steps) {
  return {"pix2pix", "train", "--data", data, "--out", out, "--steps", std::to_string(steps),
          "--image-size", "64", "--load-size", "68", "--ngf", "4", "--ndf", "4",
          "--batch-size", "2", "--sample-count", "2", "--device", "cpu", "--log-every", "1",
          "--sample-every", "0", "--quiet"};
}

}  // namespace gan::app::testing
