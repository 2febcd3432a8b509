// Fuzzes the image loading path of a folder-of-images data set: load_image
// (PNG and BMP through stb_image, JPEG through libjpeg-turbo), then
// resize_center_crop and image_to_chw_float, as a data loader calls them. The
// first input byte picks the parameters (bit 0: 1 or 3 channels; bits 1-6:
// crop size 1..64); the rest is the file, written to a scratch file and read
// through the real entry point. The pixel limit is lowered to 512 x 512 so
// that no input costs more than a fraction of a second; the limit itself is
// part of what is fuzzed. libjpeg-turbo is a system library, not instrumented:
// the fuzzer gets no coverage feedback from inside it (it is fuzzed upstream),
// only from the engine's side of the JPEG path.
// Promises checked: a decoded image has positive size within the limit and
// exactly width * height * channels bytes; the crop is size x size; the floats
// lie in [-1, 1].
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/io/image.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const int channels = (data[0] & 1) ? 3 : 1;
  const int crop = 1 + ((data[0] >> 1) & 63);
  static const gan::fuzz::ScratchDir scratch;
  const std::string path = scratch.write("input.img", data + 1, size - 1);
  gan::fuzz::expect_typed_errors_only([&] {
    constexpr int64_t kMaxPixels = 512 * 512;
    const gan::io::Image image = gan::io::load_image(path, channels, kMaxPixels);
    FUZZ_CHECK(image.width > 0 && image.height > 0 && image.channels == channels, "load_image returned a bad size");
    FUZZ_CHECK(int64_t{image.width} * image.height <= kMaxPixels, "load_image exceeded its pixel limit");
    FUZZ_CHECK(image.pixels.size() == static_cast<size_t>(image.width) * static_cast<size_t>(image.height) *
                                          static_cast<size_t>(channels),
               "load_image returned the wrong number of bytes");
    const gan::io::Image square = gan::io::resize_center_crop(image, crop);
    FUZZ_CHECK(square.width == crop && square.height == crop && square.channels == channels &&
                   square.pixels.size() == static_cast<size_t>(crop * crop * channels),
               "resize_center_crop returned the wrong size");
    std::vector<float> chw(square.pixels.size());
    gan::io::image_to_chw_float(square, chw.data());
    for (float v : chw) FUZZ_CHECK(v >= -1.0f && v <= 1.0f, "image_to_chw_float left [-1, 1]");
  });
  return 0;
}
