// The safetensors reader and writer (core/io/safetensors.h): a round trip of
// every dtype, the exact bytes of a small file, and a clear IoError for each
// kind of damaged or non-conforming file.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "core/io/safetensors.h"
#include "io_test_util.h"

namespace gan::io {
namespace {

using testing::io_error_message;
using testing::join;
using testing::scratch_dir;
using testing::slurp;
using testing::write_bytes;

#define EXPECT_HAS(text, part) \
  EXPECT_NE(std::string(text).find(part), std::string::npos) << "'" << (part) << "' not in: " << (text)

// A file made of an explicit JSON header and data bytes (the header size is
// written in front), for the malformed cases.
std::vector<uint8_t> make_file(const std::string& header, const std::vector<uint8_t>& data, int64_t size_field = -1) {
  const uint64_t n = size_field < 0 ? header.size() : static_cast<uint64_t>(size_field);
  std::vector<uint8_t> out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(n >> (8 * i)));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

std::string load_error(const std::vector<uint8_t>& bytes) {
  const std::string path = join(scratch_dir(), "bad.safetensors");
  write_bytes(path, bytes);
  return io_error_message([&] { load_safetensors(path); });
}

TEST(Safetensors, RoundTripsEveryDtypeAndTheMetadata) {
  Checkpoint ck;
  ck.put_meta("model", "dcgan");
  ck.put_meta("nz", "100");
  const std::vector<float> f = {1.5f, -2.0f, 0.0f, 3.25f, 1e-30f, -7.0f};
  const std::vector<double> d = {3.141592653589793};
  const std::vector<int64_t> i = {-1, 1LL << 40};
  const std::vector<uint8_t> u = {0, 255, 7};
  ck.add("G.main.0.weight", RecordType::F32, {2, 3}, f.data(), f.size() * 4);
  ck.add("scalar", RecordType::F64, {}, d.data(), 8);
  ck.add("ids", RecordType::I64, {2}, i.data(), 16);
  ck.add("bytes", RecordType::U8, {3}, u.data(), 3);
  ck.add("empty", RecordType::F32, {0, 4}, nullptr, 0);
  const std::string path = join(scratch_dir(), "w.safetensors");
  save_safetensors(path, ck);

  const Checkpoint back = load_safetensors(path);
  EXPECT_EQ(back.metadata, ck.metadata);
  ASSERT_EQ(back.records.size(), ck.records.size());
  for (size_t k = 0; k < ck.records.size(); ++k) {
    EXPECT_EQ(back.records[k].name, ck.records[k].name);
    EXPECT_EQ(back.records[k].dtype, ck.records[k].dtype);
    EXPECT_EQ(back.records[k].shape, ck.records[k].shape);
    EXPECT_EQ(back.records[k].bytes, ck.records[k].bytes);
  }
  // The data starts 8-aligned: the header is padded with spaces.
  const std::vector<uint8_t> file = slurp(path);
  uint64_t n = 0;
  for (int b = 7; b >= 0; --b) n = (n << 8) | file[static_cast<size_t>(b)];
  EXPECT_EQ(n % 8, 0u);
  EXPECT_EQ(file.size(), 8 + n + 24 + 8 + 16 + 3);
}

TEST(Safetensors, LayoutMatchesTheFormat) {
  Checkpoint ck;
  ck.put_meta("k", "v");
  const std::vector<float> w = {1.0f, -2.0f};
  ck.add("w", RecordType::F32, {1, 2}, w.data(), 8);
  const std::string path = join(scratch_dir(), "w.safetensors");
  save_safetensors(path, ck);
  const std::string header = R"({"__metadata__":{"k":"v"},"w":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}})";
  std::string padded = header + std::string((8 - header.size() % 8) % 8, ' ');
  const std::vector<uint8_t> expected = make_file(padded, {0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0});
  EXPECT_EQ(slurp(path), expected);
}

TEST(Safetensors, ReadsHeadersOtherWritersProduce) {
  // Tensors listed out of data order and no metadata: records come in data order.
  const std::string header = R"({"b":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},)"
                             R"("a":{"dtype":"U8","shape":[],"data_offsets":[0,1]}}   )";
  const std::string path = join(scratch_dir(), "o.safetensors");
  write_bytes(path, make_file(header, {5, 6}));
  const Checkpoint ck = load_safetensors(path);
  ASSERT_EQ(ck.records.size(), 2u);
  EXPECT_EQ(ck.records[0].name, "a");
  EXPECT_TRUE(ck.records[0].shape.empty());
  EXPECT_EQ(ck.records[1].bytes, std::vector<uint8_t>{6});
  EXPECT_TRUE(ck.metadata.empty());
}

TEST(Safetensors, DamagedFilesGetClearErrors) {
  const std::string ok = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  const std::vector<uint8_t> data(8, 0);
  EXPECT_HAS(load_error({1, 2, 3}), "shorter than the 8-byte header size");
  EXPECT_HAS(load_error(make_file(ok, data, 1LL << 40)), "exceeds the format's limit");
  EXPECT_HAS(load_error(make_file(ok, data, static_cast<int64_t>(ok.size() + 9))), "truncated or corrupt: the header size says");
  EXPECT_HAS(load_error(make_file("{\"w\": [", {})), "not valid JSON");
  EXPECT_HAS(load_error(make_file("[1, 2]", {})), "a JSON array where an object is required");
  EXPECT_HAS(load_error(make_file(R"({"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}})", {0, 0, 0, 0})),
             "has dtype F16, which the engine does not read (F32, F64, I64, U8): convert it to F32");
  EXPECT_HAS(load_error(make_file(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", data)),
             "tensor 'w': data_offsets [0, 8] hold 8 bytes but shape [3] of F32 needs 12");
  EXPECT_HAS(load_error(make_file(R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", data)),
             "shape must be a non-negative integer");
  EXPECT_HAS(load_error(make_file(R"({"w":{"dtype":"F32","shape":[2]}})", data)),
             "must be an object with dtype, shape and data_offsets");
  EXPECT_HAS(load_error(make_file(ok, {0, 0, 0, 0})), "truncated or corrupt: tensor 'w' ends at data byte 8");
  EXPECT_HAS(load_error(make_file(ok, std::vector<uint8_t>(12, 0))), "4 bytes after the last tensor's data");
  EXPECT_HAS(load_error(make_file(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})", {0, 0})),
             "starts at data byte 1 where 0 was expected (a hole");
  EXPECT_HAS(load_error(make_file(R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},)"
                                  R"("b":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})",
                                  {0, 0})),
             "an overlap");
  EXPECT_HAS(load_error(make_file(R"({"__metadata__":{"k":3}})", {})), "metadata 'k' must be a string");
  const std::string missing = join(scratch_dir(), "none.safetensors");
  EXPECT_HAS(io_error_message([&] { load_safetensors(missing); }), "none.safetensors");
}

TEST(Safetensors, WriterRefusesInvalidNames) {
  Checkpoint ck;
  const float v = 0;
  ck.add("__metadata__", RecordType::F32, {1}, &v, 4);
  EXPECT_THROW(save_safetensors(join(scratch_dir(), "x.safetensors"), ck), ValueError);
  EXPECT_TRUE(is_safetensors_path("a/B.SafeTensors"));
  EXPECT_FALSE(is_safetensors_path("a.ckpt"));
}

}  // namespace
}  // namespace gan::io
