// JPEG decoding for load_image, through libjpeg-turbo (Debian's
// libjpeg62-turbo) rather than stb_image: stb_image 2.27, the version Debian 12
// ships, reads and writes out of bounds on corrupt JPEGs (Huffman tables with
// too many codes, invalid codes, DC overflow; found by tests/fuzz/fuzz_image),
// too many ways to guard against from outside. libjpeg-turbo is hardened,
// fuzzed upstream, and gets security updates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "core/io/image.h"

namespace gan::io {

// True if the bytes start like a JPEG file: an SOI marker, then another marker.
bool looks_like_jpeg(const uint8_t* data, size_t size);

// Decodes to 1 (gray) or 3 (RGB) channels. check_size(width, height) sees the
// header's size before any pixel memory is allocated and throws to refuse it.
// IoError, starting with `what`, with libjpeg's reason for a corrupt file, an
// unsupported one (CMYK), or one with more than 500 scans (a progressive JPEG
// built to take minutes). Warnings do not fail: extra bytes between segments,
// or data cut short, whose missing part decodes as gray, as in most decoders.
Image decode_jpeg(const uint8_t* data, size_t size, int channels,
                  const std::function<void(int64_t width, int64_t height)>& check_size, const std::string& what);

}  // namespace gan::io
