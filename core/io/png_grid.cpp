// PNG sample grids and single PNGs; see png_grid.h.
#include "core/io/png_grid.h"

#include <stb_image_write.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/error.h"
#include "core/io/atomic_file.h"

namespace gan::io {
namespace {

// stb_image_write callback: appends each encoded chunk to a byte vector.
void append_to_vector(void* context, void* data, int size) {
  auto* out = static_cast<std::vector<uint8_t>*>(context);
  const auto* bytes = static_cast<const uint8_t*>(data);
  out->insert(out->end(), bytes, bytes + size);
}

// Encodes interleaved 8-bit pixels as PNG and writes the file atomically.
void encode_and_write_png(const std::string& path, int width, int height, int channels, const uint8_t* pixels) {
  std::vector<uint8_t> png;
  const int ok = stbi_write_png_to_func(append_to_vector, &png, width, height, channels, pixels, width * channels);
  GAN_CHECK(ok && !png.empty(), IoError, "cannot write '", path, "': PNG encoding of a ", width, " x ", height,
            " image failed (out of memory?).");
  write_file_atomic(path, png.data(), png.size());
}

// [-1, 1] -> 0..255 with rounding; clamps out-of-range values, NaN -> 0.
uint8_t to_byte(float v) {
  if (!(v > -1.0f)) return 0;  // also catches NaN
  if (v >= 1.0f) return 255;
  return static_cast<uint8_t>(std::lround((static_cast<double>(v) + 1.0) * 127.5));
}

}  // namespace

void write_image_grid_png(const std::string& path, const float* images, int n, int channels, int height, int width,
                          int nrow, int padding) {
  GAN_CHECK(images != nullptr, ValueError, "write_image_grid_png('", path, "'): no image data given.");
  GAN_CHECK(n >= 1, ValueError, "write_image_grid_png('", path, "'): need at least one image, got n = ", n, ".");
  GAN_CHECK(channels == 1 || channels == 3, ValueError, "write_image_grid_png('", path,
            "'): images must have 1 or 3 channels, got ", channels, ".");
  GAN_CHECK(height >= 1 && width >= 1, ValueError, "write_image_grid_png('", path, "'): image size ", height,
            " x ", width, " is empty.");
  GAN_CHECK(nrow >= 1, ValueError, "write_image_grid_png('", path, "'): nrow (images per row) must be >= 1, got ",
            nrow, ".");
  GAN_CHECK(padding >= 0, ValueError, "write_image_grid_png('", path, "'): padding must be >= 0, got ", padding,
            ".");

  const int64_t cols = std::min(nrow, n);
  const int64_t rows = (n + cols - 1) / cols;
  const int64_t grid_w = cols * (int64_t{width} + padding) + padding;
  const int64_t grid_h = rows * (int64_t{height} + padding) + padding;
  // stb takes int sizes and strides; keep the whole buffer addressable by int.
  GAN_CHECK(grid_w * grid_h * channels <= INT_MAX, ValueError, "write_image_grid_png('", path, "'): a grid of ",
            grid_w, " x ", grid_h, " pixels is too large for one PNG; write fewer or smaller images.");

  std::vector<uint8_t> grid(static_cast<size_t>(grid_w * grid_h * channels), 0);  // padding stays black
  const int64_t plane = int64_t{height} * width;
  for (int64_t i = 0; i < n; ++i) {
    const float* img = images + i * channels * plane;
    const int64_t left = padding + (i % cols) * (width + padding);
    const int64_t top = padding + (i / cols) * (height + padding);
    for (int64_t y = 0; y < height; ++y) {
      uint8_t* dst = grid.data() + ((top + y) * grid_w + left) * channels;
      for (int64_t x = 0; x < width; ++x)
        for (int64_t c = 0; c < channels; ++c) dst[x * channels + c] = to_byte(img[c * plane + y * width + x]);
    }
  }
  encode_and_write_png(path, static_cast<int>(grid_w), static_cast<int>(grid_h), channels, grid.data());
}

void write_png(const std::string& path, const Image& image) {
  GAN_CHECK(image.width >= 1 && image.height >= 1, ValueError, "write_png('", path, "'): image size ", image.width,
            " x ", image.height, " is empty.");
  GAN_CHECK(image.channels >= 1 && image.channels <= 4, ValueError, "write_png('", path,
            "'): PNG images have 1 to 4 channels, got ", image.channels, ".");
  const int64_t bytes = int64_t{image.width} * image.height * image.channels;
  GAN_CHECK(bytes <= INT_MAX, ValueError, "write_png('", path, "'): a ", image.width, " x ", image.height,
            " image is too large for the PNG encoder.");
  GAN_CHECK(image.pixels.size() == static_cast<size_t>(bytes), ValueError, "write_png('", path, "'): a ",
            image.width, " x ", image.height, " x ", image.channels, " image needs ", bytes, " bytes but holds ",
            image.pixels.size(), ".");
  encode_and_write_png(path, image.width, image.height, image.channels, image.pixels.data());
}

}  // namespace gan::io
