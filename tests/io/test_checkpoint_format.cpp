// Tests for core/io/checkpoint_format: round trips of every record type, the
// byte layout documented in docs/checkpoint-format.md, and the detection of
// truncated, corrupted, foreign and structurally invalid files.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>
#include <filesystem>

#include "core/io/checkpoint_format.h"
#include "io_test_util.h"

namespace fs = std::filesystem;
using namespace gan::io;
using namespace gan::io::testing;

namespace {

template <typename T>
std::vector<uint8_t> as_bytes(const std::vector<T>& v) {
  std::vector<uint8_t> b(v.size() * sizeof(T));
  if (!b.empty()) std::memcpy(b.data(), v.data(), b.size());
  return b;
}

Checkpoint sample_checkpoint() {
  Checkpoint ck;
  ck.put_meta("engine", "gan 0.1.0");
  ck.put_meta("step", "1200");
  ck.put_meta("empty", "");
  const std::vector<float> w = {1.5f, -2.25f, 3.0f, 0.0f, -0.0f, 1e-30f};
  const std::vector<double> d = {3.141592653589793, -1e300};
  const std::vector<int64_t> i = {-1, 0, int64_t{1} << 40, INT64_MIN};
  const std::vector<uint8_t> u = {0, 1, 254, 255, 7};
  ck.add("rng.fc.weight", RecordType::F32, {2, 3}, w.data(), w.size() * 4);
  ck.add("disc.bn.var", RecordType::F64, {2}, d.data(), d.size() * 8);
  ck.add("step", RecordType::I64, {4}, i.data(), i.size() * 8);
  ck.add("rng_state", RecordType::U8, {5}, u.data(), u.size());
  const float scalar = 0.5f;
  ck.add("scalar", RecordType::F32, {}, &scalar, 4);
  ck.add("empty", RecordType::F32, {0, 3}, nullptr, 0);
  return ck;
}

void expect_same(const Checkpoint& a, const Checkpoint& b) {
  EXPECT_EQ(a.metadata, b.metadata);
  ASSERT_EQ(a.records.size(), b.records.size());
  for (size_t k = 0; k < a.records.size(); ++k) {
    EXPECT_EQ(a.records[k].name, b.records[k].name);
    EXPECT_EQ(a.records[k].dtype, b.records[k].dtype);
    EXPECT_EQ(a.records[k].shape, b.records[k].shape);
    EXPECT_EQ(a.records[k].bytes, b.records[k].bytes);
  }
}

// Little-endian builder for hand-made files (independent of the writer).
struct Bytes {
  std::vector<uint8_t> v;
  Bytes& u8(uint8_t x) {
    v.push_back(x);
    return *this;
  }
  Bytes& u32(uint32_t x) {
    for (int k = 0; k < 4; ++k) v.push_back(static_cast<uint8_t>(x >> (8 * k)));
    return *this;
  }
  Bytes& u64(uint64_t x) {
    for (int k = 0; k < 8; ++k) v.push_back(static_cast<uint8_t>(x >> (8 * k)));
    return *this;
  }
  Bytes& str(const std::string& s) {
    u32(static_cast<uint32_t>(s.size()));
    v.insert(v.end(), s.begin(), s.end());
    return *this;
  }
  Bytes& raw(std::initializer_list<uint8_t> b) {
    v.insert(v.end(), b);
    return *this;
  }
  Bytes& header(uint32_t version = 1) {
    for (char ch : std::string("GANCKPT1")) v.push_back(static_cast<uint8_t>(ch));
    return u32(version);
  }
  // Appends the CRC32 of everything so far.
  std::vector<uint8_t> sealed() {
    Bytes out = *this;
    out.u32(static_cast<uint32_t>(crc32(0L, v.data(), static_cast<uInt>(v.size()))));
    return out.v;
  }
};

}  // namespace

TEST(CheckpointFormat, RoundTripAllTypes) {
  const std::string dir = scratch_dir();
  const Checkpoint ck = sample_checkpoint();
  const std::string path = join(dir, "model.ckpt");
  save_checkpoint(path, ck);
  const Checkpoint back = load_checkpoint(path);
  expect_same(ck, back);

  EXPECT_EQ(back.meta("step"), "1200");
  EXPECT_EQ(back.meta("empty"), "");
  EXPECT_TRUE(back.has("rng_state"));
  const CheckpointRecord& w = back.get("rng.fc.weight");
  EXPECT_EQ(w.numel(), 6);
  float first;
  std::memcpy(&first, w.bytes.data(), 4);
  EXPECT_EQ(first, 1.5f);
  EXPECT_EQ(back.get("scalar").numel(), 1);
  EXPECT_EQ(back.get("empty").numel(), 0);
  EXPECT_EQ(fs::directory_iterator(dir)->path().filename(), "model.ckpt");  // no temporaries
}

TEST(CheckpointFormat, LayoutMatchesSpec) {
  const std::string dir = scratch_dir();
  Checkpoint ck;
  ck.put_meta("k", "vv");
  const std::vector<float> w = {1.0f, -2.0f};
  ck.add("w", RecordType::F32, {1, 2}, w.data(), 8);
  save_checkpoint(join(dir, "c.ckpt"), ck);

  Bytes expected;
  expected.header().u32(1).str("k").str("vv").u32(1);
  expected.str("w").u8(0).u32(2).u64(1).u64(2).u64(8);
  expected.raw({0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0});  // 1.0f, -2.0f little-endian
  const auto file = slurp(join(dir, "c.ckpt"));
  EXPECT_EQ(file, expected.sealed());
  // The example in docs/checkpoint-format.md, CRC included.
  ASSERT_EQ(file.size(), 77u);
  EXPECT_EQ(std::vector<uint8_t>(file.end() - 4, file.end()), (std::vector<uint8_t>{0x1C, 0x9F, 0xAA, 0x88}));
}

TEST(CheckpointFormat, HelpersAndLookupErrors) {
  Checkpoint ck = sample_checkpoint();
  EXPECT_THROW(ck.add("step", RecordType::U8, {1}, "x", 1), gan::ValueError);      // duplicate
  EXPECT_THROW(ck.add("new", RecordType::F32, {2, 2}, "abcd", 4), gan::ValueError);  // 4 != 16
  EXPECT_THROW(ck.add("neg", RecordType::U8, {-1}, nullptr, 0), gan::ValueError);
  EXPECT_THROW(ck.add("", RecordType::U8, {1}, "x", 1), gan::ValueError);

  const uint8_t two[2] = {9, 8};
  const size_t count = ck.records.size();
  ck.put("step", RecordType::U8, {2}, two, 2);  // replaces in place
  EXPECT_EQ(ck.records.size(), count);
  EXPECT_EQ(ck.records[2].name, "step");
  EXPECT_EQ(ck.get("step").dtype, RecordType::U8);
  ck.put("extra", RecordType::U8, {2}, two, 2);  // appends
  EXPECT_EQ(ck.records.back().name, "extra");

  ck.put_meta("step", "1300");
  EXPECT_EQ(ck.meta("step"), "1300");
  EXPECT_EQ(ck.metadata.size(), 3u);

  std::string msg = io_error_message([&] { ck.get("rng.missing"); });
  EXPECT_NE(msg.find("checkpoint has no tensor named 'rng.missing'"), std::string::npos) << msg;
  msg = io_error_message([&] { ck.meta("nope"); });
  EXPECT_NE(msg.find("checkpoint has no metadata key 'nope'"), std::string::npos) << msg;

  EXPECT_EQ(record_type_size(RecordType::F64), 8u);
  EXPECT_STREQ(record_type_name(RecordType::I64), "i64");
}

TEST(CheckpointFormat, SaveRejectsInconsistentCheckpoints) {
  const std::string dir = scratch_dir();
  const std::string path = join(dir, "bad.ckpt");
  Checkpoint ck = sample_checkpoint();
  ck.records[0].bytes.pop_back();  // edited by hand behind add()'s back
  EXPECT_THROW(save_checkpoint(path, ck), gan::ValueError);

  ck = sample_checkpoint();
  ck.records[1].name = ck.records[0].name;
  EXPECT_THROW(save_checkpoint(path, ck), gan::ValueError);

  ck = sample_checkpoint();
  ck.metadata.emplace_back("step", "again");
  EXPECT_THROW(save_checkpoint(path, ck), gan::ValueError);
  EXPECT_FALSE(fs::exists(path));
}

TEST(CheckpointFormat, MissingFile) {
  const std::string dir = scratch_dir();
  const std::string path = join(dir, "absent.ckpt");
  const std::string msg = io_error_message([&] { load_checkpoint(path); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("No such file"), std::string::npos) << msg;
}

TEST(CheckpointFormat, TruncatedAtEveryOffset) {
  const std::string dir = scratch_dir();
  save_checkpoint(join(dir, "full.ckpt"), sample_checkpoint());
  const auto full = slurp(join(dir, "full.ckpt"));
  const std::string path = join(dir, "cut.ckpt");
  for (size_t keep = 0; keep < full.size(); ++keep) {
    write_bytes(path, std::vector<uint8_t>(full.begin(), full.begin() + keep));
    const std::string msg = io_error_message([&] { load_checkpoint(path); });
    if (keep == 0) {
      EXPECT_NE(msg.find("empty"), std::string::npos) << msg;
    } else {
      EXPECT_NE(msg.find("truncated"), std::string::npos) << "kept " << keep << ": " << msg;
    }
  }
}

TEST(CheckpointFormat, TruncationNamesTheField) {
  const std::string dir = scratch_dir();
  Checkpoint ck;
  ck.put_meta("k", "v");
  const std::vector<float> w(100, 1.0f);
  ck.add("layer.w", RecordType::F32, {10, 10}, w.data(), 400);
  save_checkpoint(join(dir, "full.ckpt"), ck);
  const auto full = slurp(join(dir, "full.ckpt"));
  const std::string path = join(dir, "cut.ckpt");
  auto message_at = [&](size_t keep) {
    write_bytes(path, std::vector<uint8_t>(full.begin(), full.begin() + keep));
    return io_error_message([&] { load_checkpoint(path); });
  };
  EXPECT_NE(message_at(4).find("magic"), std::string::npos);
  EXPECT_NE(message_at(10).find("format version"), std::string::npos);
  EXPECT_NE(message_at(14).find("metadata count"), std::string::npos);
  EXPECT_NE(message_at(full.size() - 100).find("record 0 ('layer.w') data"), std::string::npos)
      << message_at(full.size() - 100);
  // Header 12 + meta count 4 + entry 10 + record count 4 = 30; record name at 30..40.
  EXPECT_NE(message_at(30 + 4 + 4 + 3).find("record 0 name"), std::string::npos) << message_at(41);
}

TEST(CheckpointFormat, FlippedByteIsChecksumError) {
  const std::string dir = scratch_dir();
  save_checkpoint(join(dir, "good.ckpt"), sample_checkpoint());
  const auto good = slurp(join(dir, "good.ckpt"));
  const std::string path = join(dir, "flipped.ckpt");

  // A flip inside tensor data and one in the stored CRC itself.
  for (size_t pos : {good.size() - 20, good.size() - 2}) {
    auto bad = good;
    bad[pos] ^= 0x01;
    write_bytes(path, bad);
    const std::string msg = io_error_message([&] { load_checkpoint(path); });
    EXPECT_NE(msg.find("corrupt: checksum mismatch"), std::string::npos) << "pos " << pos << ": " << msg;
  }

  // Every single-byte flip anywhere is caught (as some IoError: a flip in a
  // length field may read as truncation or an inconsistent byte count).
  for (size_t pos = 0; pos < good.size(); ++pos) {
    auto bad = good;
    bad[pos] ^= 0x40;
    write_bytes(path, bad);
    const std::string msg = io_error_message([&] { load_checkpoint(path); });
    EXPECT_FALSE(msg.empty()) << "flip at " << pos << " went unnoticed";
  }
}

TEST(CheckpointFormat, WrongMagicAndVersion) {
  const std::string dir = scratch_dir();
  const std::string path = join(dir, "x.ckpt");
  write_bytes(path, {'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});  // a zip file
  EXPECT_NE(io_error_message([&] { load_checkpoint(path); }).find("not a gan checkpoint"), std::string::npos);
  write_bytes(path, {'G', 'A', 'N'});  // a prefix of the magic: a cut-off checkpoint
  EXPECT_NE(io_error_message([&] { load_checkpoint(path); }).find("truncated"), std::string::npos);
  write_bytes(path, {'G', 'X'});
  EXPECT_NE(io_error_message([&] { load_checkpoint(path); }).find("not a gan checkpoint"), std::string::npos);

  write_bytes(path, Bytes().header(2).u32(0).u32(0).sealed());
  const std::string msg = io_error_message([&] { load_checkpoint(path); });
  EXPECT_NE(msg.find("unsupported format version 2"), std::string::npos) << msg;
}

TEST(CheckpointFormat, MinimalValidFile) {
  const std::string dir = scratch_dir();
  const std::string path = join(dir, "min.ckpt");
  write_bytes(path, Bytes().header().u32(0).u32(0).sealed());
  const Checkpoint ck = load_checkpoint(path);
  EXPECT_TRUE(ck.metadata.empty());
  EXPECT_TRUE(ck.records.empty());
}

// Structurally invalid files with a correct checksum (as a buggy writer would
// produce) and absurd sizes: each must fail cleanly, without allocating
// anything like the sizes the file claims.
TEST(CheckpointFormat, InconsistentOrAbsurdContents) {
  const std::string dir = scratch_dir();
  const std::string path = join(dir, "x.ckpt");
  auto message_for = [&](const std::vector<uint8_t>& bytes) {
    write_bytes(path, bytes);
    return io_error_message([&] { load_checkpoint(path); });
  };
  auto one_record = [](uint8_t type, std::vector<uint64_t> dims, uint64_t byte_count) {
    Bytes b;
    b.header().u32(0).u32(1).str("t").u8(type).u32(static_cast<uint32_t>(dims.size()));
    for (uint64_t d : dims) b.u64(d);
    return b.u64(byte_count);
  };

  // Byte count inconsistent with shape and type (f32 [2, 3] needs 24).
  std::string msg = message_for(one_record(0, {2, 3}, 20).raw({0, 0, 0, 0, 0}).sealed());
  EXPECT_NE(msg.find("inconsistent"), std::string::npos) << msg;
  EXPECT_NE(msg.find("malformed"), std::string::npos) << msg;  // checksum fine: a writer bug

  // A huge byte count matching a huge shape: the data is simply not there.
  msg = message_for(one_record(3, {uint64_t{1} << 40}, uint64_t{1} << 40).sealed());
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;

  // Shape whose element count overflows 64 bits, and a negative dimension.
  msg = message_for(one_record(1, {uint64_t{1} << 40, uint64_t{1} << 40}, 0).sealed());
  EXPECT_NE(msg.find("invalid shape"), std::string::npos) << msg;
  msg = message_for(one_record(3, {~uint64_t{0}}, 0).sealed());
  EXPECT_NE(msg.find("invalid shape"), std::string::npos) << msg;

  // Unknown type code.
  msg = message_for(one_record(9, {1}, 1).raw({0}).sealed());
  EXPECT_NE(msg.find("unknown type code 9"), std::string::npos) << msg;

  // Absurd rank.
  msg = message_for(Bytes().header().u32(0).u32(1).str("t").u8(0).u32(0xFFFFFFFFu).sealed());
  EXPECT_NE(msg.find("rank"), std::string::npos) << msg;

  // Absurd counts and string lengths.
  msg = message_for(Bytes().header().u32(0xFFFFFFFFu).sealed());
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
  msg = message_for(Bytes().header().u32(0).u32(0xFFFFFFFFu).sealed());
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
  msg = message_for(Bytes().header().u32(1).u32(0xFFFFFFFFu).sealed());
  EXPECT_NE(msg.find("metadata entry 0 key"), std::string::npos) << msg;

  // Duplicate names, empty names, trailing bytes.
  Bytes dup;
  dup.header().u32(0).u32(2);
  for (int k = 0; k < 2; ++k) dup.str("same").u8(3).u32(1).u64(1).u64(1).u8(0);
  msg = message_for(dup.sealed());
  EXPECT_NE(msg.find("appears twice"), std::string::npos) << msg;
  msg = message_for(Bytes().header().u32(0).u32(1).str("").u8(3).u32(0).u64(1).u8(0).sealed());
  EXPECT_NE(msg.find("empty name"), std::string::npos) << msg;
  msg = message_for(Bytes().header().u32(0).u32(0).raw({1, 2, 3}).sealed());
  EXPECT_NE(msg.find("3 unexpected bytes"), std::string::npos) << msg;
}
