// Inputs found by tests/fuzz/fuzz_image that the image loader used to mishandle,
// rebuilt here from small valid files so each case is readable, and the
// fuzzer's own inputs replayed from tests/fuzz/corpus/image/regression-*.
// Each must now be an IoError naming the file (the checks are in
// core/io/stb_guards.h and core/io/image.cpp), and valid files must still load.
#include <gtest/gtest.h>
#include <stb_image_write.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/io/atomic_file.h"
#include "core/io/image.h"
#include "core/io/png_grid.h"
#include "io_test_util.h"

using namespace gan::io;
using namespace gan::io::testing;

namespace {

using Bytes = std::vector<uint8_t>;

void append(void* ctx, void* data, int size) {
  auto* v = static_cast<Bytes*>(ctx);
  v->insert(v->end(), static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
}

// A valid 8 x 8 RGB baseline JPEG: SOI, APP0, DQT, SOF0, DHT, SOS, scan, EOI.
Bytes valid_jpeg() {
  std::vector<uint8_t> pixels(8 * 8 * 3);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i * 7);
  Bytes jpg;
  EXPECT_TRUE(stbi_write_jpg_to_func(append, &jpg, 8, 8, 3, pixels.data(), 90));
  return jpg;
}

constexpr std::array<uint8_t, 2> kSof0 = {0xFF, 0xC0};

// A DHT segment whose 16 code counts add up to 16 * 17 = 272, more than the
// 256 symbols a table can hold (stb_image 2.27 writes past its tables).
Bytes oversized_dht() {
  Bytes seg = {0xFF, 0xC4, 0x01, 0x23, 0x00};  // length 2 + 17 + 272 = 0x123; DC table 0
  seg.insert(seg.end(), 16, 17);
  seg.insert(seg.end(), 272, 0x01);
  return seg;
}

// An APP1 segment carrying `payload` (stb skips APPn payloads unread).
Bytes app1(const Bytes& payload) {
  const size_t length = payload.size() + 2;
  Bytes seg = {0xFF, 0xE1, static_cast<uint8_t>(length >> 8), static_cast<uint8_t>(length & 0xFF)};
  seg.insert(seg.end(), payload.begin(), payload.end());
  return seg;
}

void put_be32(Bytes& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + static_cast<size_t>(i)] = static_cast<uint8_t>(v >> (24 - 8 * i));
}

// A 6 x 4 RGB BMP as stb writes it: 54-byte header, bottom-up rows of
// 18 bytes padded to 20.
Bytes bmp_6x4() {
  std::vector<uint8_t> pixels(6 * 4 * 3);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i * 5);
  Bytes bmp;
  EXPECT_TRUE(stbi_write_bmp_to_func(append, &bmp, 6, 4, 3, pixels.data()));
  EXPECT_EQ(bmp.size(), 54u + 4 * 20);
  return bmp;
}

void put_le32(Bytes& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + static_cast<size_t>(i)] = static_cast<uint8_t>(v >> (8 * i));
}

constexpr size_t kBmpWidthAt = 18, kBmpHeightAt = 22;  // int32 fields of the info header

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes slice(const Bytes& b, size_t from, size_t to) {
  return Bytes(b.begin() + static_cast<std::ptrdiff_t>(from), b.begin() + static_cast<std::ptrdiff_t>(to));
}

std::string load_error(const std::string& path) {
  return io_error_message([&] { load_image(path, 3); });
}

}  // namespace

TEST(ImageFuzzRegressions, JpegHuffmanTableWithTooManyCodesIsRejected) {
  // stb_image 2.27 wrote past its tables here; JPEG now goes through
  // libjpeg-turbo, which rejects the table.
  const std::string dir = scratch_dir();
  const Bytes good = valid_jpeg();
  ASSERT_GT(good.size(), 4u);
  const Bytes soi = {0xFF, 0xD8};  // one declaration each: GCC 12 can build two
  const Bytes eoi = {0xFF, 0xD9};  // initializer lists in one declaration wrongly
  const Bytes body = slice(good, 2, good.size() - 2);  // between SOI and EOI
  const struct {
    const char* name;
    Bytes bytes;
  } bad[] = {
      {"right-after-soi.jpg", concat({soi, oversized_dht(), eoi})},
      {"after-app-segment.jpg", concat({soi, app1({1, 2, 3}), oversized_dht(), eoi})},
      // After the scan data, as between the scans of a progressive JPEG.
      {"after-the-scan.jpg", concat({soi, body, oversized_dht(), eoi})},
  };
  for (const auto& c : bad) {
    write_bytes(join(dir, c.name), c.bytes);
    const std::string msg = load_error(join(dir, c.name));
    EXPECT_NE(msg.find(c.name), std::string::npos) << msg;
    EXPECT_NE(msg.find("Huffman"), std::string::npos) << c.name << ": " << msg;
  }
  // The same bytes inside an APP segment's payload are just data.
  write_bytes(join(dir, "inside-app.jpg"), concat({soi, app1(oversized_dht()), slice(good, 2, good.size())}));
  EXPECT_EQ(load_image(join(dir, "inside-app.jpg"), 3).width, 8);
}

// An 8 x 8 gray progressive JPEG whose DC scan is repeated `scans` times (from
// the second on, libjpeg warns about the progression and goes on): one
// 1-bit Huffman code for "no change", so each scan's data is one zero byte.
Bytes progressive_jpeg(int scans) {
  Bytes jpg = {0xFF, 0xD8};
  const Bytes dqt = {0xFF, 0xDB, 0x00, 0x43, 0x00};  // table 0, 64 ones follow
  jpg.insert(jpg.end(), dqt.begin(), dqt.end());
  jpg.insert(jpg.end(), 64, 1);
  const Bytes sof2 = {0xFF, 0xC2, 0x00, 0x0B, 8, 0x00, 8, 0x00, 8, 1, 1, 0x11, 0};  // 8 x 8, 1 component
  const Bytes dht = {0xFF, 0xC4, 0x00, 0x14, 0x00, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00};
  jpg.insert(jpg.end(), sof2.begin(), sof2.end());
  jpg.insert(jpg.end(), dht.begin(), dht.end());
  const Bytes dc_scan = {0xFF, 0xDA, 0x00, 0x08, 1, 1, 0x00, 0, 0, 0x00, 0x00};  // header, then one data byte
  for (int i = 0; i < scans; ++i) jpg.insert(jpg.end(), dc_scan.begin(), dc_scan.end());
  jpg.push_back(0xFF);
  jpg.push_back(0xD9);
  return jpg;
}

TEST(ImageFuzzRegressions, JpegWithTooManyScansIsRejected) {
  // Each scan of a progressive JPEG is a pass over the whole image: thousands
  // of them in a small file would take minutes. libjpeg-turbo's own limit is 500.
  const std::string dir = scratch_dir();
  write_bytes(join(dir, "3-scans.jpg"), progressive_jpeg(3));
  const Image ok = load_image(join(dir, "3-scans.jpg"), 1);
  EXPECT_EQ(ok.width, 8);
  EXPECT_EQ(ok.height, 8);
  write_bytes(join(dir, "600-scans.jpg"), progressive_jpeg(600));
  const std::string msg = load_error(join(dir, "600-scans.jpg"));
  EXPECT_NE(msg.find("600-scans.jpg"), std::string::npos) << msg;
  EXPECT_NE(msg.find("more than 500 scans"), std::string::npos) << msg;
}

TEST(ImageFuzzRegressions, TruncatedPngChunkIsRejected) {
  const std::string dir = scratch_dir();
  write_png(join(dir, "good.png"), Image{5, 3, 1, Bytes(15, 99)});
  const Bytes good = read_file(join(dir, "good.png"));
  // The chunk after IHDR (8-byte signature + 25-byte IHDR) is the image data.
  // A length field of ~2 GiB made stb grow its buffer to that size first.
  Bytes huge = good;
  put_be32(huge, 33, 0x7FFFFFF0);
  const struct {
    const char* name;
    Bytes bytes;
  } bad[] = {{"huge-chunk.png", huge}, {"cut-in-data.png", slice(good, 0, 45)}};
  for (const auto& c : bad) {
    write_bytes(join(dir, c.name), c.bytes);
    const std::string msg = load_error(join(dir, c.name));
    EXPECT_NE(msg.find(c.name), std::string::npos) << msg;
    EXPECT_NE(msg.find("truncated PNG"), std::string::npos) << c.name << ": " << msg;
  }
  // Bytes after IEND do not matter.
  write_bytes(join(dir, "trailing.png"), concat({good, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}}));
  EXPECT_EQ(load_image(join(dir, "trailing.png"), 1).pixels, Bytes(15, 99));
}

TEST(ImageFuzzRegressions, TruncatedBmpIsRejected) {
  const std::string dir = scratch_dir();
  const Bytes good = bmp_6x4();
  // stb pads missing rows with black: a cut file, or a small file whose header
  // claims 1536 x 8304 pixels (38 MB decoded from 300 bytes, found as a fuzzer
  // timeout), used to load.
  Bytes huge = good;
  put_le32(huge, kBmpWidthAt, 1536);
  put_le32(huge, kBmpHeightAt, 8304);
  Bytes top_down = good;  // a negative height: rows stored top to bottom
  put_le32(top_down, kBmpHeightAt, static_cast<uint32_t>(-4));
  const struct {
    const char* name;
    Bytes bytes;
  } bad[] = {{"cut-row.bmp", slice(good, 0, good.size() - 20)},
             {"cut-header.bmp", slice(good, 0, 40)},
             {"huge-header.bmp", huge},
             {"top-down-cut.bmp", slice(top_down, 0, top_down.size() - 20)}};
  for (const auto& c : bad) {
    write_bytes(join(dir, c.name), c.bytes);
    const std::string msg = load_error(join(dir, c.name));
    EXPECT_NE(msg.find(c.name), std::string::npos) << msg;
    EXPECT_NE(msg.find("truncated BMP"), std::string::npos) << c.name << ": " << msg;
  }

  // Still valid: the last row without its padding, and a top-down file.
  const Bytes unpadded = slice(good, 0, good.size() - 2);
  for (const auto& [name, bytes] : {std::pair{"unpadded.bmp", unpadded}, std::pair{"top-down.bmp", top_down}}) {
    write_bytes(join(dir, name), bytes);
    const Image img = load_image(join(dir, name), 3);
    EXPECT_EQ(img.width, 6) << name;
    EXPECT_EQ(img.height, 4) << name;
  }
}

TEST(ImageFuzzRegressions, PixelLimitIsCheckedBeforeDecoding) {
  const std::string dir = scratch_dir();
  Image img{64, 48, 3, std::vector<uint8_t>(64 * 48 * 3, 7)};
  write_png(join(dir, "64x48.png"), img);
  EXPECT_EQ(load_image(join(dir, "64x48.png"), 3, 64 * 48).width, 64);
  std::string msg = io_error_message([&] { load_image(join(dir, "64x48.png"), 3, 64 * 48 - 1); });
  EXPECT_NE(msg.find("64 x 48 pixels, more than the limit of 3071"), std::string::npos) << msg;

  // A PNG header claiming 10000 x 10000 (stb itself would allocate up to
  // 2^30 bytes) in front of a few bytes of data: refused under the default
  // limit, before anything is allocated.
  Bytes png = read_file(join(dir, "64x48.png"));
  put_be32(png, 16, 10000);  // IHDR width and height, big-endian, after the
  put_be32(png, 20, 10000);  // 8-byte signature and the chunk's length and type
  write_bytes(join(dir, "huge.png"), png);
  msg = io_error_message([&] { load_image(join(dir, "huge.png"), 3); });
  EXPECT_NE(msg.find("10000 x 10000 pixels, more than the limit of " + std::to_string(kMaxImagePixels)),
            std::string::npos)
      << msg;

  // The same for a JPEG: its frame header (SOF0) claims 10000 x 10000.
  Bytes jpg = valid_jpeg();
  const auto sof = std::search(jpg.begin(), jpg.end(), kSof0.begin(), kSof0.end());
  ASSERT_NE(sof, jpg.end());
  const size_t at = static_cast<size_t>(sof - jpg.begin());  // FF C0, length, precision, height, width
  jpg[at + 5] = jpg[at + 7] = 10000 >> 8;
  jpg[at + 6] = jpg[at + 8] = 10000 & 0xFF;
  write_bytes(join(dir, "huge.jpg"), jpg);
  msg = io_error_message([&] { load_image(join(dir, "huge.jpg"), 3); });
  EXPECT_NE(msg.find("10000 x 10000 pixels, more than the limit"), std::string::npos) << msg;
}

TEST(ImageFuzzRegressions, BmpWithZeroRowsIsRejected) {
  const std::string dir = scratch_dir();
  // stb decoded a 6 x 0 "image" and load_image returned it.
  Bytes bmp = bmp_6x4();
  put_le32(bmp, kBmpHeightAt, 0);
  write_bytes(join(dir, "zero-rows.bmp"), bmp);
  const std::string msg = load_error(join(dir, "zero-rows.bmp"));
  EXPECT_NE(msg.find("zero-rows.bmp"), std::string::npos) << msg;
  EXPECT_NE(msg.find("6 x 0 pixels"), std::string::npos) << msg;
}

// Every input the fuzzer ever failed on (kept in its seed corpus) is rejected
// with an IoError or decodes; under scripts/test_sanitizers.sh, also without
// any memory error. The first byte of a fuzz input picks the channels.
TEST(ImageFuzzRegressions, FuzzerFindingsReplay) {
  const std::string dir = scratch_dir();
  const std::filesystem::path corpus =
      std::filesystem::path(__FILE__).parent_path().parent_path() / "fuzz" / "corpus" / "image";
  int replayed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(corpus)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("regression-", 0) != 0) continue;
    const Bytes input = read_file(entry.path().string());
    ASSERT_FALSE(input.empty()) << name;
    const std::string path = join(dir, name);
    write_bytes(path, slice(input, 1, input.size()));
    for (int channels : {1, 3}) {
      try {
        const Image img = load_image(path, channels);
        EXPECT_GT(img.width, 0) << name;
      } catch (const gan::IoError& e) {
        EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
      }
    }
    ++replayed;
  }
  EXPECT_GE(replayed, 6) << "regression inputs missing from " << corpus;
}
