// Tests for core/io/image: decoding (PNG/JPEG/BMP), rejection of corrupt
// files, resize + center crop, float conversion and directory listing.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>  // jpeglib.h needs FILE
#include <cstdlib>
#include <filesystem>
#include <random>

#include <jpeglib.h>
#include <stb_image_write.h>

#include "core/io/image.h"
#include "core/io/png_grid.h"
#include "io_test_util.h"

namespace fs = std::filesystem;
using namespace gan::io;
using namespace gan::io::testing;

namespace {

// An image whose every pixel is distinct enough to catch layout mistakes.
Image gradient(int w, int h, int c) {
  Image img;
  img.width = w;
  img.height = h;
  img.channels = c;
  img.pixels.resize(static_cast<size_t>(w * h * c));
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int k = 0; k < c; ++k)
        img.pixels[static_cast<size_t>((y * w + x) * c + k)] = static_cast<uint8_t>(x * 5 + y * 3 + k * 70);
  return img;
}

uint8_t at(const Image& img, int x, int y, int c) {
  return img.pixels[static_cast<size_t>((y * img.width + x) * img.channels + c)];
}

void append(void* ctx, void* data, int size) {
  auto* v = static_cast<std::vector<uint8_t>*>(ctx);
  v->insert(v->end(), static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
}

}  // namespace

TEST(Image, PngRoundTripKeepsPixels) {
  const std::string dir = scratch_dir();
  for (int c : {1, 3}) {
    const Image img = gradient(13, 7, c);
    const std::string path = join(dir, "img" + std::to_string(c) + ".png");
    write_png(path, img);
    const Image back = load_image(path, c);
    EXPECT_EQ(back.width, 13);
    EXPECT_EQ(back.height, 7);
    EXPECT_EQ(back.channels, c);
    EXPECT_EQ(back.pixels, img.pixels);
  }
}

TEST(Image, ChannelConversion) {
  const std::string dir = scratch_dir();
  // Gray stored as RGB comes back as the same gray, and vice versa.
  Image gray;
  gray.width = 2;
  gray.height = 1;
  gray.channels = 1;
  gray.pixels = {10, 200};
  write_png(join(dir, "g.png"), gray);
  const Image rgb = load_image(join(dir, "g.png"), 3);
  EXPECT_EQ(rgb.pixels, (std::vector<uint8_t>{10, 10, 10, 200, 200, 200}));

  Image color = gray;
  color.channels = 3;
  color.pixels = {50, 50, 50, 0, 0, 0};
  write_png(join(dir, "c.png"), color);
  EXPECT_EQ(load_image(join(dir, "c.png"), 1).pixels, (std::vector<uint8_t>{50, 0}));

  // RGBA: alpha is dropped.
  Image rgba = gray;
  rgba.channels = 4;
  rgba.pixels = {1, 2, 3, 128, 4, 5, 6, 255};
  write_png(join(dir, "a.png"), rgba);
  EXPECT_EQ(load_image(join(dir, "a.png"), 3).pixels, (std::vector<uint8_t>{1, 2, 3, 4, 5, 6}));

  EXPECT_THROW(load_image(join(dir, "a.png"), 2), gan::ValueError);
  EXPECT_THROW(load_image(join(dir, "a.png"), 4), gan::ValueError);
}

TEST(Image, BmpAndJpeg) {
  const std::string dir = scratch_dir();
  const Image img = gradient(16, 8, 3);
  std::vector<uint8_t> bmp;
  ASSERT_TRUE(stbi_write_bmp_to_func(append, &bmp, 16, 8, 3, img.pixels.data()));
  write_bytes(join(dir, "x.bmp"), bmp);
  EXPECT_EQ(load_image(join(dir, "x.bmp"), 3).pixels, img.pixels);

  // JPEG is lossy: a flat color must come back close to itself.
  Image flat = img;
  for (size_t i = 0; i < flat.pixels.size(); i += 3) {
    flat.pixels[i] = 200;
    flat.pixels[i + 1] = 100;
    flat.pixels[i + 2] = 30;
  }
  std::vector<uint8_t> jpg;
  ASSERT_TRUE(stbi_write_jpg_to_func(append, &jpg, 16, 8, 3, flat.pixels.data(), 95));
  write_bytes(join(dir, "x.jpeg"), jpg);
  const Image back = load_image(join(dir, "x.jpeg"), 3);
  ASSERT_EQ(back.pixels.size(), flat.pixels.size());
  for (size_t i = 0; i < back.pixels.size(); ++i)
    EXPECT_NEAR(back.pixels[i], flat.pixels[i], 4) << "byte " << i;
}

// A CMYK JPEG as Photoshop writes it for print: four channels, Adobe's marker,
// inks stored inverted (255 = no ink); `stored` is JCS_CMYK or JCS_YCCK.
std::vector<uint8_t> encode_cmyk_jpeg(int width, int height, const int ink[4], J_COLOR_SPACE stored) {
  jpeg_compress_struct c{};
  jpeg_error_mgr errors{};
  c.err = jpeg_std_error(&errors);
  jpeg_create_compress(&c);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&c, &buffer, &size);
  c.image_width = static_cast<JDIMENSION>(width);
  c.image_height = static_cast<JDIMENSION>(height);
  c.input_components = 4;
  c.in_color_space = JCS_CMYK;
  jpeg_set_defaults(&c);
  jpeg_set_colorspace(&c, stored);  // writes Adobe's marker
  jpeg_set_quality(&c, 95, TRUE);
  jpeg_start_compress(&c, TRUE);
  std::vector<uint8_t> row(static_cast<size_t>(width) * 4);
  for (size_t i = 0; i < row.size(); ++i) row[i] = static_cast<uint8_t>(255 - ink[i % 4]);
  while (c.next_scanline < c.image_height) {
    JSAMPROW r = row.data();
    jpeg_write_scanlines(&c, &r, 1);
  }
  jpeg_finish_compress(&c);
  std::vector<uint8_t> out(buffer, buffer + size);
  jpeg_destroy_compress(&c);
  std::free(buffer);
  return out;
}

// CMYK and YCCK JPEGs (valid files, once rejected as "corrupt") decode to the
// colour their inks make: R = (1 - C)(1 - K), G = (1 - M)(1 - K), B = (1 - Y)(1 - K).
TEST(Image, CmykAndYcckJpegsDecodeToTheirColour) {
  const std::string dir = scratch_dir();
  const int ink[4] = {0, 153, 230, 51};  // C 0, M 0.6, Y 0.9, K 0.2: a brick red
  const int rgb[3] = {204, 82, 20};
  const int gray = (299 * rgb[0] + 587 * rgb[1] + 114 * rgb[2] + 500) / 1000;
  for (const J_COLOR_SPACE stored : {JCS_CMYK, JCS_YCCK}) {
    SCOPED_TRACE(stored == JCS_CMYK ? "CMYK" : "YCCK");
    write_bytes(join(dir, "print.jpg"), encode_cmyk_jpeg(16, 8, ink, stored));
    const Image color = load_image(join(dir, "print.jpg"), 3);
    ASSERT_EQ(color.pixels.size(), 16u * 8u * 3u);
    for (size_t i = 0; i < color.pixels.size(); ++i) EXPECT_NEAR(color.pixels[i], rgb[i % 3], 4) << "byte " << i;
    const Image mono = load_image(join(dir, "print.jpg"), 1);
    ASSERT_EQ(mono.pixels.size(), 16u * 8u);
    for (size_t i = 0; i < mono.pixels.size(); ++i) EXPECT_NEAR(mono.pixels[i], gray, 4) << "pixel " << i;
  }
}

TEST(Image, CorruptFilesRaiseIoError) {
  const std::string dir = scratch_dir();
  // Random bytes.
  std::mt19937 rng(42);
  std::vector<uint8_t> noise(2000);
  for (auto& b : noise) b = static_cast<uint8_t>(rng());
  write_bytes(join(dir, "noise.png"), noise);
  std::string msg = io_error_message([&] { load_image(join(dir, "noise.png"), 3); });
  EXPECT_NE(msg.find("noise.png"), std::string::npos) << msg;
  EXPECT_NE(msg.find("cannot decode"), std::string::npos) << msg;

  // A real PNG cut at several points.
  write_png(join(dir, "good.png"), gradient(64, 64, 3));
  const auto good = slurp(join(dir, "good.png"));
  for (size_t keep : {size_t{0}, size_t{4}, size_t{8}, size_t{33}, good.size() / 2, good.size() - 13}) {
    write_bytes(join(dir, "cut.png"), std::vector<uint8_t>(good.begin(), good.begin() + keep));
    msg = io_error_message([&] { load_image(join(dir, "cut.png"), 3); });
    EXPECT_NE(msg.find("cut.png"), std::string::npos) << "kept " << keep << ": " << msg;
  }

  // A format left out of the build (GIF magic).
  write_bytes(join(dir, "anim.png"), {'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0, 0, 0});
  EXPECT_NE(io_error_message([&] { load_image(join(dir, "anim.png"), 3); }).find("anim.png"), std::string::npos);

  // Missing file.
  msg = io_error_message([&] { load_image(join(dir, "absent.png"), 3); });
  EXPECT_NE(msg.find("absent.png"), std::string::npos) << msg;
}

TEST(Image, ResizeCenterCropWithoutScaling) {
  // 40 x 20 to 20: the shorter side already matches, so this is a pure crop
  // of columns 10..29, exact to the byte.
  const Image img = gradient(40, 20, 3);
  const Image out = resize_center_crop(img, 20);
  ASSERT_EQ(out.width, 20);
  ASSERT_EQ(out.height, 20);
  ASSERT_EQ(out.channels, 3);
  for (int y = 0; y < 20; ++y)
    for (int x = 0; x < 20; ++x)
      for (int c = 0; c < 3; ++c) ASSERT_EQ(at(out, x, y, c), at(img, x + 10, y, c));

  // Square and same size: unchanged.
  const Image sq = gradient(9, 9, 1);
  EXPECT_EQ(resize_center_crop(sq, 9).pixels, sq.pixels);
}

TEST(Image, ResizeCenterCropKeepsTheCenter) {
  // 80 x 40, left and right quarters black, central half white; scaled to
  // 40 x 20 and cropped to the central 20 x 20, the white band is all that is
  // left (up to filter ringing at its two edges).
  Image wide;
  wide.width = 80;
  wide.height = 40;
  wide.channels = 1;
  wide.pixels.assign(80 * 40, 0);
  for (int y = 0; y < 40; ++y)
    for (int x = 20; x < 60; ++x) wide.pixels[static_cast<size_t>(y * 80 + x)] = 255;
  const Image out = resize_center_crop(wide, 20);
  ASSERT_EQ(out.width, 20);
  ASSERT_EQ(out.height, 20);
  for (int y = 0; y < 20; ++y)
    for (int x = 2; x < 18; ++x) ASSERT_GE(at(out, x, y, 0), 250) << x << "," << y;

  // Tall image: 30 x 90 with a red band in the middle third, to 10 x 10.
  Image tall;
  tall.width = 30;
  tall.height = 90;
  tall.channels = 3;
  tall.pixels.assign(30 * 90 * 3, 0);
  for (int y = 30; y < 60; ++y)
    for (int x = 0; x < 30; ++x) tall.pixels[static_cast<size_t>((y * 30 + x) * 3)] = 255;
  const Image t = resize_center_crop(tall, 10);
  ASSERT_EQ(t.width, 10);
  ASSERT_EQ(t.height, 10);
  for (int y = 1; y < 9; ++y)
    for (int x = 0; x < 10; ++x) {
      ASSERT_GE(at(t, x, y, 0), 245);
      ASSERT_LE(at(t, x, y, 1), 5);
    }

  // Upscaling works too.
  const Image up = resize_center_crop(gradient(5, 3, 3), 12);
  EXPECT_EQ(up.width, 12);
  EXPECT_EQ(up.height, 12);

  EXPECT_THROW(resize_center_crop(wide, 0), gan::ValueError);
  EXPECT_THROW(resize_center_crop(Image{}, 4), gan::ValueError);
}

TEST(Image, ResizeCenterCropToARectangle) {
  // 40 x 40 to height 10 x width 20: the central 40 x 20 band (rows 10..29)
  // is the 2:1 crop, halved. Rows 10..29 white, the rest black: all white.
  Image sq;
  sq.width = sq.height = 40;
  sq.channels = 1;
  sq.pixels.assign(40 * 40, 0);
  for (int y = 10; y < 30; ++y)
    for (int x = 0; x < 40; ++x) sq.pixels[static_cast<size_t>(y * 40 + x)] = 255;
  const Image wide = resize_center_crop(sq, 10, 20);
  ASSERT_EQ(wide.width, 20);
  ASSERT_EQ(wide.height, 10);
  for (int y = 1; y < 9; ++y)
    for (int x = 0; x < 20; ++x) ASSERT_GE(at(wide, x, y, 0), 245) << x << "," << y;
  // Without scaling it is a pure crop: 40 x 20 (w x h) to height 20 x width 10 keeps columns 15..24.
  const Image img = gradient(40, 20, 3);
  const Image tall = resize_center_crop(img, 20, 10);
  ASSERT_EQ(tall.width, 10);
  ASSERT_EQ(tall.height, 20);
  for (int y = 0; y < 20; ++y)
    for (int x = 0; x < 10; ++x)
      for (int c = 0; c < 3; ++c) ASSERT_EQ(at(tall, x, y, c), at(img, x + 15, y, c));
  // A square target is the square function.
  EXPECT_EQ(resize_center_crop(img, 12, 12).pixels, resize_center_crop(img, 12).pixels);
  EXPECT_THROW(resize_center_crop(img, 4, 0), gan::ValueError);
}

TEST(Image, ChwFloatLayoutAndRange) {
  Image img;
  img.width = 2;
  img.height = 1;
  img.channels = 3;
  img.pixels = {0, 255, 51, 255, 0, 204};  // pixel (0,0) = (0,255,51), (1,0) = (255,0,204)
  std::vector<float> out(6, 99.0f);
  image_to_chw_float(img, out.data());
  // Channel planes: R = {0, 255}, G = {255, 0}, B = {51, 204}.
  EXPECT_FLOAT_EQ(out[0], -1.0f);
  EXPECT_FLOAT_EQ(out[1], 1.0f);
  EXPECT_FLOAT_EQ(out[2], 1.0f);
  EXPECT_FLOAT_EQ(out[3], -1.0f);
  EXPECT_NEAR(out[4], 51 / 127.5 - 1, 1e-6);
  EXPECT_NEAR(out[5], 204 / 127.5 - 1, 1e-6);
}

TEST(Image, ListImageFiles) {
  const std::string dir = scratch_dir();
  for (const char* name : {"b.PNG", "a.jpg", "c.JpEg", "d.bmp", "notes.txt", ".hidden.png", "noext"})
    write_bytes(join(dir, name), {1});
  fs::create_directories(join(dir, "folder.png"));     // a directory with an image-like name
  write_bytes(join(dir, "folder.png/inside.png"), {1});  // not searched
  const auto files = list_image_files(dir);
  const std::vector<std::string> expected = {join(dir, "a.jpg"), join(dir, "b.PNG"), join(dir, "c.JpEg"),
                                             join(dir, "d.bmp")};
  EXPECT_EQ(files, expected);
}

TEST(Image, ListImageFilesErrors) {
  const std::string dir = scratch_dir();
  std::string msg = io_error_message([&] { list_image_files(join(dir, "absent")); });
  EXPECT_NE(msg.find("does not exist"), std::string::npos) << msg;

  write_bytes(join(dir, "readme.txt"), {1});
  msg = io_error_message([&] { list_image_files(dir); });
  EXPECT_NE(msg.find("holds no image files"), std::string::npos) << msg;
}
