// The options of tiny CycleGAN / pix2pix runs, and the tiny data sets they
// train on (io/translation_layouts.h).
#pragma once

#include <string>
#include <vector>

#include "io/translation_layouts.h"

namespace gan::app::testing {

using io::testing::bar_image;
using io::testing::write_paired_bars;
using io::testing::write_pngs;
using io::testing::write_unpaired_bars;

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
