// Image files for training on folders of pictures: decoding (PNG and BMP via
// stb_image, JPEG via libjpeg-turbo), the resize + center-crop preprocessing
// GAN data pipelines use to get square inputs without distorting aspect ratio,
// and conversion to the CHW float layout in [-1, 1] that a tanh generator
// produces.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gan::io {

// An 8-bit image, pixels interleaved row by row (HWC): the value of channel c
// at (x, y) is pixels[(y * width + x) * channels + c].
struct Image {
  int width = 0, height = 0, channels = 0;
  std::vector<uint8_t> pixels;
};

// Images with more pixels are refused before decoding: 8192 x 8192, far above
// what GAN training crops to. A header claiming more is most likely corrupt
// (the decoder would allocate, and fill with black, whatever a 100-byte file
// claims), and decoding costs several bytes per pixel.
inline constexpr int64_t kMaxImagePixels = int64_t{1} << 26;

// Decodes a PNG, JPEG or BMP file, converting it to `channels` channels
// (1 = grayscale, 3 = RGB; alpha is dropped). IoError naming the file and the
// reason if it is missing, corrupt (including truncated PNG and BMP files,
// see core/io/stb_guards.h), in another format, or larger than max_pixels;
// ValueError if channels is not 1 or 3.
Image load_image(const std::string& path, int channels, int64_t max_pixels = kMaxImagePixels);

// Scales `image` so its shorter side becomes `size` (keeping the aspect ratio),
// then cuts out the central size x size square. ValueError if size < 1 or the
// image is empty.
Image resize_center_crop(const Image& image, int size);
// The same for a `height` x `width` result: scales the image (keeping its
// aspect ratio) just enough to cover height x width, then cuts out the centre,
// which is the centre crop to the target's aspect ratio, resized. A square
// target gives exactly what resize_center_crop(image, size) gives.
Image resize_center_crop(const Image& image, int height, int width);

// Writes the image as channels x height x width floats, mapping 0..255
// linearly to -1..1. `out` must hold channels * height * width floats.
void image_to_chw_float(const Image& image, float* out);

// The image files (.png .jpg .jpeg .bmp, any letter case) directly inside
// `dir`, as full paths sorted by name; subdirectories and hidden files (names
// starting with '.') are skipped. IoError if `dir` is missing or holds none.
std::vector<std::string> list_image_files(const std::string& dir);

}  // namespace gan::io
