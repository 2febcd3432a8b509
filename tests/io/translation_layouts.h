// Tiny image-to-image data sets, written as PNG files in the layouts
// core/io/translation_data.h reads: CycleGAN's trainA/ trainB/ and pix2pix's
// side-by-side A|B pairs, of bright bars on dark backgrounds.
#pragma once

#include <filesystem>
#include <string>

#include "core/io/png_grid.h"
#include "core/random.h"

namespace gan::io::testing {

// A size x size grayscale picture: a bright bar 3 pixels thick, horizontal or
// vertical, at a random position on a dark, lightly noisy background.
inline Image bar_image(int size, bool horizontal, Rng& rng) {
  Image img;
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
  for (int i = 0; i < n; ++i) write_png(dir + "/" + sub + "/img_" + std::to_string(100 + i) + ".png", make(i));
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
inline Image negative_pair(const Image& a) {
  Image pair;
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

}  // namespace gan::io::testing
