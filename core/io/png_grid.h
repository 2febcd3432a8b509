// PNG output: sample grids (the standard way to look at what a GAN generator
// produces during training) and single images. Files are encoded in memory and
// written with write_file_atomic, so a viewer polling the file never sees a
// half-written PNG.
#pragma once

#include <string>

#include "core/io/image.h"

namespace gan::io {

// Tiles n images into one PNG. `images` is NCHW float data in [-1, 1] (values
// outside are clamped, NaN becomes -1); `channels` is 1 (grayscale PNG) or 3
// (RGB PNG). Images are placed left to right, `nrow` per row (the name follows
// torchvision's make_grid), with `padding` black pixels between and around
// them, so the PNG is
//   width  = cols * (width + padding) + padding, cols = min(nrow, n)
//   height = rows * (height + padding) + padding, rows = ceil(n / cols).
// Value v maps to round((v + 1) * 127.5): -1 -> 0, 1 -> 255.
// ValueError for bad arguments, IoError if the file cannot be written.
void write_image_grid_png(const std::string& path, const float* images, int n, int channels, int height, int width,
                          int nrow, int padding = 2);

// Writes an 8-bit image (1 to 4 channels) as PNG, atomically.
void write_png(const std::string& path, const Image& image);

}  // namespace gan::io
