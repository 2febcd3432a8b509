// Image decoding, resize/crop and float conversion; see image.h. PNG and BMP
// are decoded by stb_image (compiled in core/io/stb_impl.cpp) behind the checks
// of core/io/stb_guards.h; JPEG by libjpeg-turbo (core/io/jpeg_decoder.h).
#include "core/io/image.h"

#include <stb_image.h>
#include <stb_image_resize.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>

#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/io/jpeg_decoder.h"
#include "core/io/stb_guards.h"

namespace gan::io {
namespace {

namespace fs = std::filesystem;

void check_image(const Image& image, const char* what) {
  GAN_CHECK(image.width > 0 && image.height > 0 && image.channels > 0, ValueError, what, ": image is empty (",
            image.width, " x ", image.height, " x ", image.channels, ").");
  const size_t expected =
      static_cast<size_t>(image.width) * static_cast<size_t>(image.height) * static_cast<size_t>(image.channels);
  GAN_CHECK(image.pixels.size() == expected, ValueError, what, ": image of ", image.width, " x ", image.height,
            " x ", image.channels, " needs ", expected, " bytes but holds ", image.pixels.size(), ".");
}

// The same check for every format, before anything is decoded.
void check_pixel_limit(int64_t width, int64_t height, int64_t max_pixels, const std::string& what) {
  GAN_CHECK(width * height <= max_pixels, IoError, what, ": its header gives a size of ", width, " x ", height,
            " pixels, more than the limit of ", max_pixels,
            ". The header is corrupt, or the image is too large to train on: downscale it first.");
}

}  // namespace

Image load_image(const std::string& path, int channels, int64_t max_pixels) {
  GAN_CHECK(channels == 1 || channels == 3, ValueError, "cannot load '", path, "' with ", channels,
            " channels; use 1 (grayscale) or 3 (RGB).");
  const std::vector<uint8_t> bytes = read_file(path);
  const std::string what = "cannot decode image '" + path + "'";
  GAN_CHECK(bytes.size() <= static_cast<size_t>(INT_MAX), IoError, what,
            ": the file is larger than 2 GiB, which the decoder does not support.");
  if (looks_like_jpeg(bytes.data(), bytes.size())) {
    return decode_jpeg(
        bytes.data(), bytes.size(), channels,
        [&](int64_t width, int64_t height) { check_pixel_limit(width, height, max_pixels, what); }, what);
  }
  const int size = static_cast<int>(bytes.size());

  int w = 0, h = 0, file_channels = 0;
  // stbi_failure_reason() is per thread (stb uses thread_local in C++), so
  // decoding on several threads at once reports the right reason.
  auto decoder_error = [&] {
    const char* reason = stbi_failure_reason();
    return IoError(detail::concat(what, ": ", reason ? reason : "unknown error",
                                  ". The file is corrupt or not a PNG, JPEG or BMP image."));
  };
  // The header first (stb reads only that here), then the checks of
  // stb_guards.h: a file that claims far more than it holds fails before stb
  // allocates for it.
  if (!stbi_info_from_memory(bytes.data(), size, &w, &h, &file_channels)) throw decoder_error();
  check_pixel_limit(std::abs(int64_t{w}), std::abs(int64_t{h}), max_pixels, what);  // top-down BMP: h < 0
  GAN_CHECK(!png_chunk_truncated(bytes.data(), bytes.size()), IoError, what,
            ": truncated PNG: a chunk claims more bytes than the file holds. The file was cut short or is damaged.");
  GAN_CHECK(!bmp_pixels_truncated(bytes.data(), bytes.size()), IoError, what, ": truncated BMP: the ", w, " x ",
            std::abs(int64_t{h}), " pixels its header promises do not fit in its ", bytes.size(),
            " bytes. The file was cut short or is damaged.");

  std::unique_ptr<stbi_uc, void (*)(void*)> decoded(
      stbi_load_from_memory(bytes.data(), size, &w, &h, &file_channels, channels), stbi_image_free);
  if (!decoded) throw decoder_error();
  // stb accepts a BMP whose header says 0 rows; such a file holds no picture.
  GAN_CHECK(w > 0 && h > 0, IoError, what, ": its header gives a size of ", w, " x ", h,
            " pixels. The file is corrupt.");

  Image out;
  out.width = w;
  out.height = h;
  out.channels = channels;
  const size_t n = static_cast<size_t>(w) * static_cast<size_t>(h) * static_cast<size_t>(channels);
  out.pixels.assign(decoded.get(), decoded.get() + n);
  return out;
}

Image resize_center_crop(const Image& image, int size) { return resize_center_crop(image, size, size); }

Image resize_center_crop(const Image& image, int height, int width) {
  GAN_CHECK(height >= 1 && width >= 1, ValueError, "resize_center_crop: the size must be at least 1 x 1, got ",
            height, " x ", width, ".");
  check_image(image, "resize_center_crop");

  // Scaled size: the side that limits the cover (relative to the target)
  // becomes exactly its target, the other is scaled by the same factor and
  // rounded (never below its target, so the crop fits). For a square target
  // this is "the shorter side becomes the size".
  const int64_t w = image.width, h = image.height, tw = width, th = height;
  int64_t scaled_w, scaled_h;
  if (w * th <= h * tw) {  // relatively narrower (or the same shape): the width limits
    scaled_w = tw;
    scaled_h = std::max<int64_t>(th, (h * tw + w / 2) / w);
  } else {
    scaled_h = th;
    scaled_w = std::max<int64_t>(tw, (w * th + h / 2) / h);
  }
  GAN_CHECK(scaled_w * scaled_h * image.channels <= INT_MAX, ValueError, "resize_center_crop: resizing a ", w,
            " x ", h, " image to cover ", tw, " x ", th, " gives ", scaled_w, " x ", scaled_h,
            " pixels, too large to process.");

  const uint8_t* src = image.pixels.data();
  std::vector<uint8_t> scaled;
  if (scaled_w != w || scaled_h != h) {
    scaled.resize(static_cast<size_t>(scaled_w * scaled_h * image.channels));
    // Filtering runs on the stored 8-bit values (no sRGB linearization), as
    // the common PIL/torchvision pipelines do, so data sets look the same here.
    const int ok = stbir_resize_uint8(src, image.width, image.height, 0, scaled.data(), static_cast<int>(scaled_w),
                                      static_cast<int>(scaled_h), 0, image.channels);
    GAN_CHECK(ok, ValueError, "resize_center_crop: resizing a ", w, " x ", h, " image to ", scaled_w, " x ",
              scaled_h, " failed (out of memory?).");
    src = scaled.data();
  }

  // The central window; when the excess is odd the extra pixel is dropped at
  // the right/bottom edge.
  const int64_t x0 = (scaled_w - tw) / 2, y0 = (scaled_h - th) / 2;
  const size_t row_bytes = static_cast<size_t>(width) * static_cast<size_t>(image.channels);
  Image out;
  out.width = width;
  out.height = height;
  out.channels = image.channels;
  out.pixels.resize(row_bytes * static_cast<size_t>(height));
  for (int y = 0; y < height; ++y) {
    const uint8_t* row = src + ((y0 + y) * scaled_w + x0) * image.channels;
    std::memcpy(out.pixels.data() + static_cast<size_t>(y) * row_bytes, row, row_bytes);
  }
  return out;
}

void image_to_chw_float(const Image& image, float* out) {
  check_image(image, "image_to_chw_float");
  // A 256-entry table: exact endpoints (0 -> -1, 255 -> 1) and no per-pixel division.
  float table[256];
  for (int v = 0; v < 256; ++v) table[v] = static_cast<float>(v) / 127.5f - 1.0f;
  const size_t plane = static_cast<size_t>(image.width) * static_cast<size_t>(image.height);
  const size_t c_count = static_cast<size_t>(image.channels);
  for (size_t c = 0; c < c_count; ++c) {
    float* dst = out + c * plane;
    const uint8_t* src = image.pixels.data() + c;
    for (size_t i = 0; i < plane; ++i) dst[i] = table[src[i * c_count]];
  }
}

std::vector<std::string> list_image_files(const std::string& dir) {
  std::error_code ec;
  GAN_CHECK(fs::is_directory(dir, ec), IoError, "image directory '", dir,
            "' does not exist or is not a directory. Point the data path at a folder of images.");

  std::vector<std::string> files;
  fs::directory_iterator it(dir, ec);
  GAN_CHECK(!ec, IoError, "cannot list image directory '", dir, "': ", ec.message(), ".");
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    const fs::directory_entry& entry = *it;
    const std::string name = entry.path().filename().string();
    // Hidden files include the temporaries of write_file_atomic and macOS "._x.jpg" litter.
    if (name.empty() || name[0] == '.') continue;
    std::string ext = entry.path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char ch) { return std::tolower(ch); });
    if (ext != ".png" && ext != ".jpg" && ext != ".jpeg" && ext != ".bmp") continue;
    std::error_code file_ec;
    if (!entry.is_regular_file(file_ec)) continue;  // follows symlinks; skips folders named x.png
    files.push_back(entry.path().string());
  }
  GAN_CHECK(!ec, IoError, "cannot list image directory '", dir, "': ", ec.message(), ".");
  std::sort(files.begin(), files.end());
  GAN_CHECK(!files.empty(), IoError, "image directory '", dir,
            "' holds no image files (.png, .jpg, .jpeg, .bmp). Images must be directly inside it; "
            "subdirectories are not searched.");
  return files;
}

}  // namespace gan::io
