// See stb_guards.h.
#include "core/io/stb_guards.h"

#include <algorithm>
#include <cstdlib>

namespace gan::io {

// PNG layout: an 8-byte signature, then chunks of u32 length (big-endian),
// 4-byte type, `length` data bytes and a 4-byte CRC, up to IEND.
bool png_chunk_truncated(const uint8_t* data, size_t size) {
  static constexpr uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  if (size < 8 || !std::equal(kSignature, kSignature + 8, data)) return false;
  size_t pos = 8;
  while (size - pos >= 8) {
    const uint64_t length = uint64_t{data[pos]} << 24 | uint64_t{data[pos + 1]} << 16 |
                            uint64_t{data[pos + 2]} << 8 | data[pos + 3];
    if (std::equal(data + pos + 4, data + pos + 8, "IEND")) return false;
    if (length + 12 > size - pos) return true;
    pos += static_cast<size_t>(length) + 12;
  }
  return false;  // ends without IEND: stb reports that
}

// BMP layout: "BM", u32 file size, u32 reserved, u32 offset of the pixel rows,
// then the info header: u32 size 12 (OS/2: u16 width, u16 height, u16 planes,
// u16 bits per pixel) or larger (i32 width, i32 height, negative for
// top-down, u16 planes, u16 bits per pixel, ...). Rows are padded to 4 bytes;
// the last row's padding may be missing.
bool bmp_pixels_truncated(const uint8_t* data, size_t size) {
  auto u16 = [&](size_t i) { return static_cast<uint32_t>(data[i] | data[i + 1] << 8); };
  auto u32 = [&](size_t i) { return u16(i) | u16(i + 2) << 16; };
  if (size < 30 || data[0] != 'B' || data[1] != 'M') return false;
  const uint64_t offset = u32(10);
  const bool os2 = u32(14) == 12;
  const int64_t width = os2 ? int64_t{u16(18)} : int64_t{static_cast<int32_t>(u32(18))};
  const int64_t height = std::llabs(os2 ? int64_t{u16(20)} : int64_t{static_cast<int32_t>(u32(22))});
  const uint64_t bits = os2 ? u16(24) : u16(28);
  if (width <= 0 || height <= 0 || bits == 0 || bits > 32) return false;  // stb's own checks catch these
  const uint64_t row = (static_cast<uint64_t>(width) * bits + 7) / 8;
  const uint64_t stride = (static_cast<uint64_t>(width) * bits + 31) / 32 * 4;
  if (offset > size || row > size - offset) return true;
  // Rows 0..height-2 take a full stride each: compare by division (no overflow).
  return static_cast<uint64_t>(height - 1) > (size - offset - row) / stride;
}

}  // namespace gan::io
