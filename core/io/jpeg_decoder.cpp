// See jpeg_decoder.h. libjpeg's C API reports a fatal error by calling the
// error manager's error_exit, which must not return; here it longjmps back to
// decode_jpeg's setjmp, which turns the message into an IoError. Only libjpeg's
// C frames lie between the two, and decode_jpeg creates every object that has
// a destructor before the setjmp, so the jump skips no destructor.
#include "core/io/jpeg_decoder.h"

#include <csetjmp>
#include <cstdio>  // jpeglib.h needs FILE
#include <vector>

#include <jpeglib.h>

#include "core/error.h"

namespace gan::io {
namespace {

// The limit libjpeg-turbo's TurboJPEG API applies with TJFLAG_LIMITSCANS.
constexpr int kMaxScans = 500;

struct ErrorManager {
  jpeg_error_mgr base;  // first: libjpeg holds a jpeg_error_mgr*
  std::jmp_buf jump;
  bool too_many_scans;
};

[[noreturn]] void fatal_error(j_common_ptr info) {
  std::longjmp(reinterpret_cast<ErrorManager*>(info->err)->jump, 1);
}

// libjpeg prints the first warning to stderr by default; a warning is not a
// failure here, so nothing is printed.
void ignore_message(j_common_ptr) {}

void limit_scans(j_common_ptr info) {
  if (reinterpret_cast<j_decompress_ptr>(info)->input_scan_number > kMaxScans) {
    reinterpret_cast<ErrorManager*>(info->err)->too_many_scans = true;
    fatal_error(info);
  }
}

// Owns libjpeg's state. Destroying a zeroed struct that was never created is a no-op.
struct Decompressor {
  jpeg_decompress_struct info{};
  Decompressor() = default;
  Decompressor(const Decompressor&) = delete;
  Decompressor& operator=(const Decompressor&) = delete;
  ~Decompressor() { jpeg_destroy_decompress(&info); }
};

// One row of CMYK (4 bytes a pixel) to RGB or gray: each primary is what its
// ink and the black ink leave of the light, R = (1 - C)(1 - K) and so on (no
// colour profile: close enough to train on).
void cmyk_to_rgb_or_gray(const uint8_t* cmyk, int width, bool inverted, int channels, uint8_t* dst) {
  for (int x = 0; x < width; ++x, cmyk += 4) {
    int light[4];
    for (int i = 0; i < 4; ++i) light[i] = inverted ? cmyk[i] : 255 - cmyk[i];
    int rgb[3];
    for (int i = 0; i < 3; ++i) rgb[i] = (light[i] * light[3] + 127) / 255;
    if (channels == 1) {
      *dst++ = static_cast<uint8_t>((299 * rgb[0] + 587 * rgb[1] + 114 * rgb[2] + 500) / 1000);  // Rec. 601 luma
    } else {
      for (int i = 0; i < 3; ++i) *dst++ = static_cast<uint8_t>(rgb[i]);
    }
  }
}

}  // namespace

bool looks_like_jpeg(const uint8_t* data, size_t size) {
  return size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF;
}

Image decode_jpeg(const uint8_t* data, size_t size, int channels,
                  const std::function<void(int64_t width, int64_t height)>& check_size, const std::string& what) {
  Decompressor decompressor;
  jpeg_decompress_struct& info = decompressor.info;
  ErrorManager errors{};
  jpeg_progress_mgr progress{};
  Image out;
  std::vector<uint8_t> ink_row;  // CMYK files: one row of libjpeg's 4-channel output
  info.err = jpeg_std_error(&errors.base);
  errors.base.error_exit = fatal_error;
  errors.base.output_message = ignore_message;
  progress.progress_monitor = limit_scans;
  if (setjmp(errors.jump)) {
    char reason[JMSG_LENGTH_MAX] = "";
    if (errors.too_many_scans)
      std::snprintf(reason, sizeof reason, "more than %d scans", kMaxScans);
    else
      errors.base.format_message(reinterpret_cast<j_common_ptr>(&info), reason);
    throw IoError(detail::concat(what, ": ", reason, ". The file is corrupt or not a JPEG image."));
  }

  jpeg_create_decompress(&info);
  info.progress = &progress;
  jpeg_mem_src(&info, data, static_cast<unsigned long>(size));
  jpeg_read_header(&info, TRUE);
  check_size(info.image_width, info.image_height);
  // libjpeg converts YCbCr and grayscale to RGB or gray itself, but not the
  // printing colour spaces: CMYK and YCCK files (Photoshop's print exports)
  // come out as CMYK, converted to RGB here.
  const bool ink = info.jpeg_color_space == JCS_CMYK || info.jpeg_color_space == JCS_YCCK;
  info.out_color_space = ink ? JCS_CMYK : channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(&info);
  out.width = static_cast<int>(info.output_width);
  out.height = static_cast<int>(info.output_height);
  out.channels = channels;
  const size_t row_bytes = static_cast<size_t>(out.width) * static_cast<size_t>(channels);
  out.pixels.resize(row_bytes * static_cast<size_t>(out.height));
  if (ink) ink_row.resize(static_cast<size_t>(out.width) * 4);
  // Adobe's files (the ones with its marker: nearly all) store the inks
  // inverted, 255 = no ink; others store the ink itself.
  const bool inverted = info.saw_Adobe_marker;
  while (info.output_scanline < info.output_height) {
    uint8_t* dst = out.pixels.data() + static_cast<size_t>(info.output_scanline) * row_bytes;
    JSAMPROW row = ink ? ink_row.data() : dst;
    jpeg_read_scanlines(&info, &row, 1);
    if (ink) cmyk_to_rgb_or_gray(ink_row.data(), out.width, inverted, channels, dst);
  }
  jpeg_finish_decompress(&info);
  return out;
}

}  // namespace gan::io
