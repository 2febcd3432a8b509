// Tests for core/io/idx: IDX round trips (plain and gzip), rejection of
// malformed files, the MNIST directory loader, and the real Fashion-MNIST set
// when it is installed.
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <filesystem>

#include "core/io/idx.h"
#include "io_test_util.h"

namespace fs = std::filesystem;
using namespace gan::io;
using namespace gan::io::testing;

namespace {

IdxArray make_array(std::vector<int64_t> dims) {
  IdxArray a;
  a.dims = std::move(dims);
  int64_t n = 1;
  for (int64_t d : a.dims) n *= d;
  a.data.resize(static_cast<size_t>(n));
  for (size_t i = 0; i < a.data.size(); ++i) a.data[i] = static_cast<uint8_t>(i * 31 + 7);
  return a;
}

// Writes `bytes` gzip-compressed, as the data sets ship.
void write_gz(const std::string& path, const std::vector<uint8_t>& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  if (!bytes.empty()) {
    ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  }
  ASSERT_EQ(gzclose(f), Z_OK);
}

// A hand-made IDX header: 0 0 type rank, then big-endian dims.
std::vector<uint8_t> idx_header(uint8_t type, const std::vector<uint32_t>& dims) {
  std::vector<uint8_t> h = {0, 0, type, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims) {
    h.push_back(static_cast<uint8_t>(d >> 24));
    h.push_back(static_cast<uint8_t>(d >> 16));
    h.push_back(static_cast<uint8_t>(d >> 8));
    h.push_back(static_cast<uint8_t>(d));
  }
  return h;
}

}  // namespace

TEST(Idx, RoundTripPlain) {
  const std::string dir = scratch_dir();
  const IdxArray a = make_array({5, 4, 3});
  const std::string path = join(dir, "a.idx");
  write_idx(path, a);
  // The header is big-endian and exactly as the format specifies.
  const auto raw = slurp(path);
  ASSERT_EQ(raw.size(), 4u + 3 * 4 + 60);
  EXPECT_EQ(std::vector<uint8_t>(raw.begin(), raw.begin() + 16), idx_header(0x08, {5, 4, 3}));

  const IdxArray b = read_idx(path);
  EXPECT_EQ(b.dims, a.dims);
  EXPECT_EQ(b.data, a.data);
}

TEST(Idx, RoundTripGzip) {
  const std::string dir = scratch_dir();
  const IdxArray a = make_array({300, 7, 9});
  write_idx(join(dir, "plain.idx"), a);
  write_gz(join(dir, "packed.idx.gz"), slurp(join(dir, "plain.idx")));
  ASSERT_LT(fs::file_size(join(dir, "packed.idx.gz")), fs::file_size(join(dir, "plain.idx")));

  const IdxArray b = read_idx(join(dir, "packed.idx.gz"));
  EXPECT_EQ(b.dims, a.dims);
  EXPECT_EQ(b.data, a.data);
}

TEST(Idx, OneDimensionalAndEmpty) {
  const std::string dir = scratch_dir();
  const IdxArray labels = make_array({17});
  write_idx(join(dir, "l.idx"), labels);
  EXPECT_EQ(read_idx(join(dir, "l.idx")).data, labels.data);

  const IdxArray empty = make_array({0, 28, 28});
  write_idx(join(dir, "e.idx"), empty);
  const IdxArray back = read_idx(join(dir, "e.idx"));
  EXPECT_EQ(back.dims, (std::vector<int64_t>{0, 28, 28}));
  EXPECT_TRUE(back.data.empty());
}

TEST(Idx, TrailingBytesAreIgnored) {
  const std::string dir = scratch_dir();
  const IdxArray a = make_array({2, 3});
  auto bytes = idx_header(0x08, {2, 3});
  bytes.insert(bytes.end(), a.data.begin(), a.data.end());
  bytes.insert(bytes.end(), {9, 9, 9});
  write_bytes(join(dir, "t.idx"), bytes);
  EXPECT_EQ(read_idx(join(dir, "t.idx")).data, a.data);
}

TEST(Idx, TruncatedDataSaysExpectedAndGot) {
  const std::string dir = scratch_dir();
  const IdxArray a = make_array({10, 4, 4});  // 160 data bytes
  write_idx(join(dir, "full.idx"), a);
  auto bytes = slurp(join(dir, "full.idx"));
  bytes.resize(bytes.size() - 60);  // 100 data bytes left
  const std::string path = join(dir, "cut.idx");
  write_bytes(path, bytes);
  std::string msg = io_error_message([&] { read_idx(path); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
  EXPECT_NE(msg.find("160"), std::string::npos) << msg;
  EXPECT_NE(msg.find("100"), std::string::npos) << msg;

  // Cut inside the dimensions.
  bytes.resize(9);
  write_bytes(path, bytes);
  msg = io_error_message([&] { read_idx(path); });
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;

  // Cut inside the magic.
  bytes.resize(3);
  write_bytes(path, bytes);
  msg = io_error_message([&] { read_idx(path); });
  EXPECT_NE(msg.find("not an IDX file"), std::string::npos) << msg;
}

TEST(Idx, TruncatedGzip) {
  const std::string dir = scratch_dir();
  const IdxArray a = make_array({50, 10, 10});
  write_idx(join(dir, "full.idx"), a);
  auto raw = slurp(join(dir, "full.idx"));

  // A complete gzip stream holding a cut IDX file.
  std::vector<uint8_t> cut(raw.begin(), raw.begin() + 1000);
  write_gz(join(dir, "short.idx.gz"), cut);
  std::string msg = io_error_message([&] { read_idx(join(dir, "short.idx.gz")); });
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;

  // A gzip stream that itself stops half way (an interrupted download).
  write_gz(join(dir, "whole.idx.gz"), raw);
  auto gz = slurp(join(dir, "whole.idx.gz"));
  gz.resize(gz.size() / 2);
  write_bytes(join(dir, "half.idx.gz"), gz);
  msg = io_error_message([&] { read_idx(join(dir, "half.idx.gz")); });
  EXPECT_NE(msg.find("half.idx.gz"), std::string::npos) << msg;
}

TEST(Idx, CorruptGzipData) {
  const std::string dir = scratch_dir();
  const IdxArray a = make_array({50, 10, 10});
  write_idx(join(dir, "full.idx"), a);
  write_gz(join(dir, "whole.idx.gz"), slurp(join(dir, "full.idx")));
  auto gz = slurp(join(dir, "whole.idx.gz"));
  for (size_t i = 20; i < gz.size() - 8; i += 3) gz[i] ^= 0x5A;  // scramble the deflate stream
  write_bytes(join(dir, "bad.idx.gz"), gz);
  const std::string msg = io_error_message([&] { read_idx(join(dir, "bad.idx.gz")); });
  EXPECT_NE(msg.find("bad.idx.gz"), std::string::npos) << msg;
}

TEST(Idx, BadMagic) {
  const std::string dir = scratch_dir();
  const std::string path = join(dir, "bad.idx");
  auto bytes = idx_header(0x08, {3});
  bytes.insert(bytes.end(), {1, 2, 3});
  bytes[0] = 0x89;  // e.g. a PNG renamed by mistake
  write_bytes(path, bytes);
  const std::string msg = io_error_message([&] { read_idx(path); });
  EXPECT_NE(msg.find("not an IDX file"), std::string::npos) << msg;
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
}

TEST(Idx, UnsupportedTypeIsNamed) {
  const std::string dir = scratch_dir();
  const std::string path = join(dir, "float.idx");
  auto bytes = idx_header(0x0D, {2});
  bytes.resize(bytes.size() + 8);
  write_bytes(path, bytes);
  const std::string msg = io_error_message([&] { read_idx(path); });
  EXPECT_NE(msg.find("0x0D"), std::string::npos) << msg;
  EXPECT_NE(msg.find("float32"), std::string::npos) << msg;
  EXPECT_NE(msg.find("0x08"), std::string::npos) << msg;
}

TEST(Idx, BadRank) {
  const std::string dir = scratch_dir();
  const std::string path = join(dir, "rank.idx");
  write_bytes(path, {0, 0, 8, 0});
  EXPECT_NE(io_error_message([&] { read_idx(path); }).find("0 dimensions"), std::string::npos);
  write_bytes(path, {0, 0, 8, 200});
  EXPECT_NE(io_error_message([&] { read_idx(path); }).find("200 dimensions"), std::string::npos);
}

TEST(Idx, AbsurdShapeRejectedWithoutAllocating) {
  const std::string dir = scratch_dir();
  const std::string path = join(dir, "huge.idx");
  // 2^32-1 cubed: would overflow 64 bits if multiplied naively.
  write_bytes(path, idx_header(0x08, {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu}));
  std::string msg = io_error_message([&] { read_idx(path); });
  EXPECT_NE(msg.find("2^31"), std::string::npos) << msg;

  // Just over the limit: 65537 x 32768 = 2^31 + 2^15 elements.
  write_bytes(path, idx_header(0x08, {65537, 32768}));
  msg = io_error_message([&] { read_idx(path); });
  EXPECT_NE(msg.find("2^31"), std::string::npos) << msg;

  // Within the limit but the file is tiny: reported as truncated, and only
  // the bytes really present are buffered (no 1 GiB allocation up front).
  write_bytes(path, idx_header(0x08, {1u << 30}));
  msg = io_error_message([&] { read_idx(path); });
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
  EXPECT_NE(msg.find("1073741824"), std::string::npos) << msg;
}

TEST(Idx, MissingFile) {
  const std::string dir = scratch_dir();
  const std::string path = join(dir, "nope.idx.gz");
  const std::string msg = io_error_message([&] { read_idx(path); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("does not exist"), std::string::npos) << msg;
}

TEST(Idx, WriteRejectsInconsistentArrays) {
  const std::string dir = scratch_dir();
  IdxArray a = make_array({2, 3});
  a.data.pop_back();
  EXPECT_THROW(write_idx(join(dir, "x.idx"), a), gan::ValueError);
  IdxArray no_dims;
  EXPECT_THROW(write_idx(join(dir, "x.idx"), no_dims), gan::ValueError);
  IdxArray negative;
  negative.dims = {-1};
  EXPECT_THROW(write_idx(join(dir, "x.idx"), negative), gan::ValueError);
  EXPECT_FALSE(fs::exists(join(dir, "x.idx")));
}

// ---- load_mnist_dir -------------------------------------------------------------

namespace {

// Writes an MNIST-style split into dir: images plain, labels gzip-compressed
// (so both paths of the loader are exercised).
void write_split(const std::string& dir, const std::string& prefix, int64_t n_images, int64_t n_labels,
                 uint8_t bad_label_at_end = 0) {
  write_idx(join(dir, prefix + "-images-idx3-ubyte"), make_array({n_images, 4, 3}));
  IdxArray labels;
  labels.dims = {n_labels};
  for (int64_t i = 0; i < n_labels; ++i) labels.data.push_back(static_cast<uint8_t>(i % 10));
  if (bad_label_at_end) labels.data.back() = bad_label_at_end;
  write_idx(join(dir, "tmp.idx"), labels);
  write_gz(join(dir, prefix + "-labels-idx1-ubyte.gz"), slurp(join(dir, "tmp.idx")));
  fs::remove(join(dir, "tmp.idx"));
}

}  // namespace

TEST(MnistDir, LoadsBothSplits) {
  const std::string dir = scratch_dir();
  write_split(dir, "train", 12, 12);
  write_split(dir, "t10k", 5, 5);

  const LabeledImages train = load_mnist_dir(dir, true);
  EXPECT_EQ(train.n, 12);
  EXPECT_EQ(train.h, 4);
  EXPECT_EQ(train.w, 3);
  EXPECT_EQ(train.pixels, make_array({12, 4, 3}).data);
  ASSERT_EQ(train.labels.size(), 12u);
  EXPECT_EQ(train.labels[11], 1);

  const LabeledImages test = load_mnist_dir(dir, false);
  EXPECT_EQ(test.n, 5);
  EXPECT_EQ(test.labels.size(), 5u);
}

TEST(MnistDir, CountMismatchNamesBothFiles) {
  const std::string dir = scratch_dir();
  write_split(dir, "train", 12, 11);
  const std::string msg = io_error_message([&] { load_mnist_dir(dir, true); });
  EXPECT_NE(msg.find("train-images-idx3-ubyte"), std::string::npos) << msg;
  EXPECT_NE(msg.find("train-labels-idx1-ubyte.gz"), std::string::npos) << msg;
  EXPECT_NE(msg.find("12 images"), std::string::npos) << msg;
  EXPECT_NE(msg.find("11 labels"), std::string::npos) << msg;
}

TEST(MnistDir, LabelOutOfRange) {
  const std::string dir = scratch_dir();
  write_split(dir, "train", 6, 6, /*bad_label_at_end=*/10);
  const std::string msg = io_error_message([&] { load_mnist_dir(dir, true); });
  EXPECT_NE(msg.find("label 10 at index 5"), std::string::npos) << msg;
}

TEST(MnistDir, WrongRank) {
  const std::string dir = scratch_dir();
  write_idx(join(dir, "train-images-idx3-ubyte"), make_array({12, 12}));
  write_idx(join(dir, "train-labels-idx1-ubyte"), make_array({12}));
  const std::string msg = io_error_message([&] { load_mnist_dir(dir, true); });
  EXPECT_NE(msg.find("3-dimensional"), std::string::npos) << msg;
}

TEST(MnistDir, MissingFilesListWhatWasTried) {
  const std::string dir = scratch_dir();
  std::string msg = io_error_message([&] { load_mnist_dir(dir, false); });
  EXPECT_NE(msg.find("t10k-images-idx3-ubyte"), std::string::npos) << msg;
  EXPECT_NE(msg.find("t10k-images-idx3-ubyte.gz"), std::string::npos) << msg;

  write_split(dir, "train", 3, 3);
  fs::remove(join(dir, "train-labels-idx1-ubyte.gz"));
  msg = io_error_message([&] { load_mnist_dir(dir, true); });
  EXPECT_NE(msg.find("train-labels-idx1-ubyte or train-labels-idx1-ubyte.gz"), std::string::npos) << msg;

  msg = io_error_message([&] { load_mnist_dir(join(dir, "absent"), true); });
  EXPECT_NE(msg.find("does not exist"), std::string::npos) << msg;
}

TEST(MnistDir, RealFashionMnist) {
  const std::string dir = "/usr/share/datasets/fashion-mnist";
  if (!fs::is_directory(dir)) GTEST_SKIP() << dir << " not installed (Debian package dataset-fashion-mnist)";
  const LabeledImages train = load_mnist_dir(dir, true);
  EXPECT_EQ(train.n, 60000);
  EXPECT_EQ(train.h, 28);
  EXPECT_EQ(train.w, 28);
  EXPECT_EQ(train.pixels.size(), size_t{60000} * 28 * 28);
  ASSERT_EQ(train.labels.size(), 60000u);
  // Fashion-MNIST's training split is balanced: 6000 images per class.
  std::array<int, 10> per_class{};
  for (uint8_t l : train.labels) {
    ASSERT_LT(l, 10);
    ++per_class[l];
  }
  for (int c = 0; c < 10; ++c) EXPECT_EQ(per_class[static_cast<size_t>(c)], 6000) << "class " << c;
  // Real images: not all blank, and they use the full byte range.
  uint8_t lo = 255, hi = 0;
  for (size_t i = 0; i < 28 * 28 * 100; ++i) {
    lo = std::min(lo, train.pixels[i]);
    hi = std::max(hi, train.pixels[i]);
  }
  EXPECT_EQ(lo, 0);
  EXPECT_EQ(hi, 255);

  const LabeledImages test = load_mnist_dir(dir, false);
  EXPECT_EQ(test.n, 10000);
}
