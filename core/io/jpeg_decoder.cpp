// See jpeg_decoder.h. libjpeg's C API reports a fatal error by calling the
// error manager's error_exit, which must not return; here it longjmps back to
// decode_jpeg's setjmp, which turns the message into an IoError. Only libjpeg's
// C frames lie between the two, and decode_jpeg creates every object that has
// a destructor before the setjmp, so the jump skips no destructor.
#include "core/io/jpeg_decoder.h"

#include <csetjmp>
#include <cstdio>  // jpeglib.h needs FILE

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
  info.out_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(&info);
  out.width = static_cast<int>(info.output_width);
  out.height = static_cast<int>(info.output_height);
  out.channels = channels;
  const size_t row_bytes = static_cast<size_t>(out.width) * static_cast<size_t>(channels);
  out.pixels.resize(row_bytes * static_cast<size_t>(out.height));
  while (info.output_scanline < info.output_height) {
    JSAMPROW row = out.pixels.data() + static_cast<size_t>(info.output_scanline) * row_bytes;
    jpeg_read_scanlines(&info, &row, 1);
  }
  jpeg_finish_decompress(&info);
  return out;
}

}  // namespace gan::io
