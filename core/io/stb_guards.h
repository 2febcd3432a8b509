// Checks that PNG and BMP files get before stb_image decodes them, for
// problems the decoder (Debian 12 ships stb_image 2.27) does not catch itself.
// Found by fuzzing load_image (tests/fuzz/fuzz_image.cpp); regression tests in
// tests/io/test_image_fuzz_regressions.cpp. Each takes the whole file and is
// silent about anything else that is wrong with it: stb reports that.
#pragma once

#include <cstddef>
#include <cstdint>

namespace gan::io {

// True for a PNG with a chunk (before IEND) that claims more bytes than the
// file has left. stb would first grow its buffer to the claimed size: up to
// 2 GiB for a few bytes of file.
bool png_chunk_truncated(const uint8_t* data, size_t size);

// True for a BMP whose pixel rows, as its header places and sizes them, end
// past the end of the file. stb pads missing rows with black, so a cut file,
// or a 100-byte header claiming a large image, would "decode".
bool bmp_pixels_truncated(const uint8_t* data, size_t size);

}  // namespace gan::io
