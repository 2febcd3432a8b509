// The one translation unit that compiles the stb single-header libraries
// (Debian's libstb-dev headers; nothing is vendored). Every other file includes
// the headers for declarations only. Keeping the implementations here means the
// configuration below applies everywhere and the code is compiled once.
//
// Configuration, and why:
//  - STBI_ONLY_PNG/BMP: the engine reads PNG and BMP with stb and JPEG with
//    libjpeg-turbo (stb_image 2.27's JPEG decoder is memory-unsafe on corrupt
//    files; see core/io/jpeg_decoder.h); leaving the other decoders out
//    shrinks the attack surface for untrusted data sets.
//  - STBI_NO_STDIO / STBI_WRITE_NO_STDIO: all file access goes through
//    core/io/atomic_file (read_file, write_file_atomic) so errors carry the
//    file name and outputs are written atomically.
//  - STBI_MAX_DIMENSIONS: no training image is anywhere near 65536 pixels on a
//    side; a header claiming more is corrupt and is rejected before allocating.
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_ONLY_BMP
#define STBI_NO_STDIO
#define STBI_MAX_DIMENSIONS (1 << 16)
#include <stb_image.h>

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO
#include <stb_image_write.h>

#define STB_IMAGE_RESIZE_IMPLEMENTATION
#include <stb_image_resize.h>
