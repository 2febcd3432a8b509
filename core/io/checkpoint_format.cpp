// Checkpoint container: serialization, validation and the Checkpoint helpers.
// See checkpoint_format.h and docs/checkpoint-format.md for the layout.
//
// Integers are assembled byte by byte in little-endian order rather than by
// copying structs, so the format does not depend on the compiler's padding or
// the host's byte order.
#include "core/io/checkpoint_format.h"

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <unordered_set>

#include "core/error.h"
#include "core/io/atomic_file.h"

namespace gan::io {
namespace {

constexpr char kMagic[8] = {'G', 'A', 'N', 'C', 'K', 'P', 'T', '1'};
constexpr size_t kHeaderSize = 8 + 4;  // magic + version
constexpr size_t kCrcSize = 4;

bool valid_type(RecordType t) { return static_cast<uint8_t>(t) <= static_cast<uint8_t>(RecordType::U8); }

// A record name for messages: corrupt files can hold long binary junk.
std::string quoted(const std::string& s) {
  std::string q;
  for (char ch : s.substr(0, 64)) q += (ch >= 32 && ch < 127) ? ch : '?';
  return "'" + q + (s.size() > 64 ? "...'" : "'");
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// product(shape) * element size, or -1 if a dimension is negative or the
// result does not fit in int64.
int64_t expected_bytes(const std::vector<int64_t>& shape, RecordType type) {
  int64_t n = static_cast<int64_t>(record_type_size(type));
  for (int64_t d : shape) {
    if (d < 0) return -1;
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d) return -1;
    n *= d;
  }
  return n;
}


uint32_t crc32_of(const uint8_t* data, size_t size) {
  return static_cast<uint32_t>(crc32_z(crc32_z(0L, Z_NULL, 0), data, size));
}

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08X", static_cast<unsigned>(v));
  return buf;
}

// ---- writing ----------------------------------------------------------------

class ByteWriter {
 public:
  void u8(uint8_t v) { out_.push_back(v); }
  void u32(uint32_t v) {
    for (int i = 0; i < 4; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  void u64(uint64_t v) {
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  void i64(int64_t v) { u64(static_cast<uint64_t>(v)); }  // two's complement
  void raw(const void* data, size_t size) {
    const auto* p = static_cast<const uint8_t*>(data);
    out_.insert(out_.end(), p, p + size);
  }
  void str(const std::string& s) {
    u32(static_cast<uint32_t>(s.size()));
    raw(s.data(), s.size());
  }
  std::vector<uint8_t>& bytes() { return out_; }

 private:
  std::vector<uint8_t> out_;
};

// The checks add() makes, for records built by hand; `where` names the context.
void validate_record(const CheckpointRecord& r, const std::string& where) {
  GAN_CHECK(!r.name.empty(), ValueError, where, ": a checkpoint record needs a non-empty name.");
  GAN_CHECK(r.name.size() <= std::numeric_limits<uint32_t>::max(), ValueError, where, ": record name is too long.");
  GAN_CHECK(valid_type(r.dtype), ValueError, where, ": record '", r.name, "' has invalid type code ",
            int{static_cast<uint8_t>(r.dtype)}, ".");
  GAN_CHECK(r.shape.size() <= kCheckpointMaxRank, ValueError, where, ": record '", r.name, "' has rank ",
            r.shape.size(), "; at most ", kCheckpointMaxRank, " is supported.");
  const int64_t need = expected_bytes(r.shape, r.dtype);
  GAN_CHECK(need >= 0, ValueError, where, ": record '", r.name, "' has invalid shape ", shape_text(r.shape), ".");
  GAN_CHECK(static_cast<uint64_t>(need) == r.bytes.size(), ValueError, where, ": record '", r.name, "' (",
            record_type_name(r.dtype), ", shape ", shape_text(r.shape), ") needs ", need, " bytes but holds ",
            r.bytes.size(), ".");
}

// ---- reading ----------------------------------------------------------------

// Parse failures, turned into IoError messages by load_checkpoint once it also
// knows whether the checksum matched.
struct Truncated {
  std::string field;  // where the file ends, e.g. "record 2 ('w') data"
  size_t offset;      // where the field starts
  uint64_t need;      // bytes the field needs
  size_t have;        // bytes left
};
struct Malformed {
  std::string detail;
};

class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t pos, size_t end) : data_(data), pos_(pos), end_(end) {}

  size_t pos() const { return pos_; }
  size_t remaining() const { return end_ - pos_; }

  // Throws Truncated unless n more bytes are present. Every read and every
  // allocation sized by the file goes through here first.
  void need(uint64_t n, const std::string& field) const {
    if (n > remaining()) throw Truncated{field, pos_, n, remaining()};
  }
  uint8_t u8(const std::string& field) {
    need(1, field);
    return data_[pos_++];
  }
  uint32_t u32(const std::string& field) {
    need(4, field);
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t{data_[pos_ + i]} << (8 * i);
    pos_ += 4;
    return v;
  }
  uint64_t u64(const std::string& field) {
    need(8, field);
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= uint64_t{data_[pos_ + i]} << (8 * i);
    pos_ += 8;
    return v;
  }
  int64_t i64(const std::string& field) { return static_cast<int64_t>(u64(field)); }
  std::string str(const std::string& field) {
    const uint32_t len = u32(field + " length");
    need(len, field);
    std::string s(reinterpret_cast<const char*>(data_ + pos_), len);
    pos_ += len;
    return s;
  }
  std::vector<uint8_t> raw(uint64_t n, const std::string& field) {
    need(n, field);
    std::vector<uint8_t> v(data_ + pos_, data_ + pos_ + n);
    pos_ += n;
    return v;
  }

 private:
  const uint8_t* data_;
  size_t pos_, end_;
};

// Parses everything between the header and the trailing checksum.
Checkpoint parse_body(ByteReader& in) {
  Checkpoint ck;

  const uint32_t meta_count = in.u32("metadata count");
  // Reserve only what the remaining bytes could possibly hold (an entry is at
  // least 8 bytes), so a corrupt count cannot trigger a huge allocation.
  ck.metadata.reserve(std::min<size_t>(meta_count, in.remaining() / 8));
  std::unordered_set<std::string> keys;
  for (uint32_t i = 0; i < meta_count; ++i) {
    const std::string where = "metadata entry " + std::to_string(i);
    std::string key = in.str(where + " key");
    std::string value = in.str(where + " value");
    if (key.empty()) throw Malformed{where + " has an empty key"};
    if (!keys.insert(key).second) throw Malformed{"metadata key " + quoted(key) + " appears twice"};
    ck.metadata.emplace_back(std::move(key), std::move(value));
  }

  const uint32_t record_count = in.u32("record count");
  constexpr size_t kMinRecordSize = 4 + 1 + 4 + 8;  // empty name, rank 0, no bytes
  ck.records.reserve(std::min<size_t>(record_count, in.remaining() / kMinRecordSize));
  std::unordered_set<std::string> names;
  for (uint32_t i = 0; i < record_count; ++i) {
    std::string where = "record " + std::to_string(i);
    CheckpointRecord r;
    r.name = in.str(where + " name");
    if (r.name.empty()) throw Malformed{where + " has an empty name"};
    where += " (" + quoted(r.name) + ")";
    if (!names.insert(r.name).second) throw Malformed{"tensor name " + quoted(r.name) + " appears twice"};

    const uint8_t code = in.u8(where + " type");
    r.dtype = static_cast<RecordType>(code);
    if (!valid_type(r.dtype)) throw Malformed{where + " has unknown type code " + std::to_string(code)};

    const uint32_t rank = in.u32(where + " rank");
    if (rank > kCheckpointMaxRank)
      throw Malformed{where + " has rank " + std::to_string(rank) + " (at most " +
                      std::to_string(kCheckpointMaxRank) + " is supported)"};
    in.need(uint64_t{rank} * 8, where + " dimensions");
    r.shape.resize(rank);
    for (uint32_t d = 0; d < rank; ++d) r.shape[d] = in.i64(where + " dimensions");

    const uint64_t byte_count = in.u64(where + " byte count");
    const int64_t expected = expected_bytes(r.shape, r.dtype);
    if (expected < 0) throw Malformed{where + " has invalid shape " + shape_text(r.shape)};
    // Checked before reading the bytes: a corrupt count is reported as such
    // and never sizes an allocation.
    if (byte_count != static_cast<uint64_t>(expected))
      throw Malformed{where + ": byte count " + std::to_string(byte_count) + " is inconsistent with type " +
                      record_type_name(r.dtype) + " and shape " + shape_text(r.shape) + " (which need " +
                      std::to_string(expected) + ")"};
    r.bytes = in.raw(byte_count, where + " data");
    payload_to_or_from_le(r.bytes, r.dtype);
    ck.records.push_back(std::move(r));
  }
  if (in.remaining() != 0) throw Malformed{std::to_string(in.remaining()) + " unexpected bytes after the last record"};
  return ck;
}

}  // namespace

// Payload bytes are little-endian in the file. On a big-endian host each
// element is reversed in place; on little-endian hosts (all the engine targets
// today) this compiles to nothing.
void payload_to_or_from_le(std::vector<uint8_t>& bytes, RecordType type) {
  if constexpr (std::endian::native == std::endian::big) {
    const size_t size = record_type_size(type);
    for (size_t i = 0; i + size <= bytes.size(); i += size) std::reverse(bytes.begin() + i, bytes.begin() + i + size);
  } else {
    (void)bytes;
    (void)type;
  }
}

size_t record_type_size(RecordType type) {
  switch (type) {
    case RecordType::F32: return 4;
    case RecordType::F64: return 8;
    case RecordType::I64: return 8;
    case RecordType::U8: return 1;
  }
  throw ValueError(detail::concat("invalid checkpoint record type code ", int{static_cast<uint8_t>(type)}));
}

const char* record_type_name(RecordType type) {
  switch (type) {
    case RecordType::F32: return "f32";
    case RecordType::F64: return "f64";
    case RecordType::I64: return "i64";
    case RecordType::U8: return "u8";
  }
  return "invalid";
}

int64_t CheckpointRecord::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

bool Checkpoint::has(const std::string& name) const {
  return std::any_of(records.begin(), records.end(), [&](const CheckpointRecord& r) { return r.name == name; });
}

const CheckpointRecord& Checkpoint::get(const std::string& name) const {
  for (const auto& r : records)
    if (r.name == name) return r;
  throw IoError(detail::concat("checkpoint has no tensor named '", name,
                               "'. The checkpoint was written by a different model or configuration."));
}

bool Checkpoint::has_meta(const std::string& key) const {
  return std::any_of(metadata.begin(), metadata.end(), [&](const auto& kv) { return kv.first == key; });
}

std::string Checkpoint::meta(const std::string& key) const {
  for (const auto& kv : metadata)
    if (kv.first == key) return kv.second;
  throw IoError(detail::concat("checkpoint has no metadata key '", key,
                               "'. The checkpoint was written by a different program or engine version."));
}

void Checkpoint::put_meta(const std::string& key, const std::string& value) {
  GAN_CHECK(!key.empty(), ValueError, "checkpoint metadata keys must be non-empty.");
  for (auto& kv : metadata) {
    if (kv.first == key) {
      kv.second = value;
      return;
    }
  }
  metadata.emplace_back(key, value);
}

CheckpointRecord& Checkpoint::add(const std::string& name, RecordType dtype, const std::vector<int64_t>& shape,
                                  const void* data, size_t size) {
  GAN_CHECK(!has(name), ValueError, "checkpoint already has a tensor named '", name, "'; names must be unique.");
  GAN_CHECK(data != nullptr || size == 0, ValueError, "Checkpoint::add('", name, "'): no data given.");
  CheckpointRecord r;
  r.name = name;
  r.dtype = dtype;
  r.shape = shape;
  const auto* p = static_cast<const uint8_t*>(data);
  r.bytes.assign(p, p + size);
  validate_record(r, "Checkpoint::add");
  records.push_back(std::move(r));
  return records.back();
}

CheckpointRecord& Checkpoint::put(const std::string& name, RecordType dtype, const std::vector<int64_t>& shape,
                                  const void* data, size_t size) {
  auto it = std::find_if(records.begin(), records.end(), [&](const CheckpointRecord& r) { return r.name == name; });
  if (it == records.end()) return add(name, dtype, shape, data, size);
  GAN_CHECK(data != nullptr || size == 0, ValueError, "Checkpoint::put('", name, "'): no data given.");
  CheckpointRecord r;
  r.name = name;
  r.dtype = dtype;
  r.shape = shape;
  const auto* p = static_cast<const uint8_t*>(data);
  r.bytes.assign(p, p + size);
  validate_record(r, "Checkpoint::put");
  *it = std::move(r);
  return *it;
}

void save_checkpoint(const std::string& path, const Checkpoint& checkpoint) {
  const std::string where = "cannot save checkpoint '" + path + "'";
  // Validate everything before writing, so a bad checkpoint never reaches disk.
  std::unordered_set<std::string> keys, names;
  for (const auto& [key, value] : checkpoint.metadata) {
    GAN_CHECK(!key.empty(), ValueError, where, ": a metadata key is empty.");
    GAN_CHECK(keys.insert(key).second, ValueError, where, ": metadata key '", key, "' appears twice.");
    GAN_CHECK(key.size() <= std::numeric_limits<uint32_t>::max() &&
                  value.size() <= std::numeric_limits<uint32_t>::max(),
              ValueError, where, ": metadata '", key, "' is too long.");
  }
  GAN_CHECK(checkpoint.metadata.size() <= std::numeric_limits<uint32_t>::max() &&
                checkpoint.records.size() <= std::numeric_limits<uint32_t>::max(),
            ValueError, where, ": too many entries.");
  size_t total = kHeaderSize + 8 + kCrcSize;
  for (const auto& r : checkpoint.records) {
    validate_record(r, where);
    GAN_CHECK(names.insert(r.name).second, ValueError, where, ": tensor name '", r.name, "' appears twice.");
    total += 4 + r.name.size() + 1 + 4 + 8 * r.shape.size() + 8 + r.bytes.size();
  }

  ByteWriter out;
  out.bytes().reserve(total);
  out.raw(kMagic, sizeof(kMagic));
  out.u32(kCheckpointFormatVersion);
  out.u32(static_cast<uint32_t>(checkpoint.metadata.size()));
  for (const auto& [key, value] : checkpoint.metadata) {
    out.str(key);
    out.str(value);
  }
  out.u32(static_cast<uint32_t>(checkpoint.records.size()));
  for (const auto& r : checkpoint.records) {
    out.str(r.name);
    out.u8(static_cast<uint8_t>(r.dtype));
    out.u32(static_cast<uint32_t>(r.shape.size()));
    for (int64_t d : r.shape) out.i64(d);
    out.u64(r.bytes.size());
    if constexpr (std::endian::native == std::endian::big) {
      std::vector<uint8_t> le = r.bytes;
      payload_to_or_from_le(le, r.dtype);
      out.raw(le.data(), le.size());
    } else {
      out.raw(r.bytes.data(), r.bytes.size());
    }
  }
  out.u32(crc32_of(out.bytes().data(), out.bytes().size()));
  write_file_atomic(path, out.bytes().data(), out.bytes().size());
}

Checkpoint load_checkpoint(const std::string& path) {
  return parse_checkpoint(read_file(path), path);  // IoError if missing/unreadable
}

Checkpoint parse_checkpoint(const std::vector<uint8_t>& file, const std::string& path) {
  const size_t size = file.size();
  const std::string name = "checkpoint '" + path + "'";

  GAN_CHECK(size > 0, IoError, name, " is empty (0 bytes), not a valid checkpoint. Use another checkpoint.");
  // Magic first: anything else is not ours, however long it is.
  const size_t magic_have = std::min(size, sizeof(kMagic));
  GAN_CHECK(std::memcmp(file.data(), kMagic, magic_have) == 0, IoError, "'", path,
            "' is not a gan checkpoint (it does not start with \"GANCKPT1\"). Check the path.");
  GAN_CHECK(size >= sizeof(kMagic), IoError, name, " is truncated: it ends inside the magic (", size,
            " bytes long). Use another checkpoint.");

  ByteReader header(file.data(), sizeof(kMagic), size);
  uint32_t version = 0;
  try {
    version = header.u32("format version");
  } catch (const Truncated&) {
    throw IoError(detail::concat(name, " is truncated: it ends inside the format version (", size,
                                 " bytes long). Use another checkpoint."));
  }
  GAN_CHECK(version == kCheckpointFormatVersion, IoError, name, " has unsupported format version ", version,
            "; this build reads version ", kCheckpointFormatVersion,
            ". It was written by a different engine version; load it with a matching build.");

  // The body is everything between the header and the trailing CRC. A file too
  // short to even hold the CRC gets an empty body and fails on its first field.
  const size_t body_end = size >= kHeaderSize + kCrcSize ? size - kCrcSize : kHeaderSize;
  bool crc_ok = false;
  uint32_t stored_crc = 0, computed_crc = 0;
  if (size >= kHeaderSize + kCrcSize) {
    for (size_t i = 0; i < 4; ++i) stored_crc |= uint32_t{file[body_end + i]} << (8 * i);
    computed_crc = crc32_of(file.data(), body_end);
    crc_ok = stored_crc == computed_crc;
  }

  // Parse before judging the checksum: a truncated file also fails the
  // checksum, and "ends inside record 3 data" says more than "checksum mismatch".
  ByteReader body(file.data(), kHeaderSize, body_end);
  Checkpoint ck;
  try {
    ck = parse_body(body);
  } catch (const Truncated& t) {
    throw IoError(detail::concat(name, " is truncated: it ends inside the ", t.field, " (", t.need,
                                 " bytes needed at offset ", t.offset, ", ", t.have, " left; the file is ", size,
                                 " bytes). It was cut short (interrupted copy, full disk) or is corrupt; "
                                 "use another checkpoint."));
  } catch (const Malformed& m) {
    if (!crc_ok)
      throw IoError(detail::concat(name, " is corrupt: checksum mismatch (", m.detail,
                                   "). The file was damaged after it was written; use another checkpoint."));
    throw IoError(detail::concat(name, " is malformed although its checksum matches: ", m.detail,
                                 ". It was written by a faulty writer; use another checkpoint."));
  }
  GAN_CHECK(crc_ok, IoError, name, " is corrupt: checksum mismatch (stored ", hex32(stored_crc), ", computed ",
            hex32(computed_crc), "). The file was damaged after it was written; use another checkpoint.");
  return ck;
}

int64_t meta_int(const Checkpoint& ck, const std::string& key, const std::string& source) {
  const std::string v = ck.meta(key);
  try {
    size_t used = 0;
    const long long x = std::stoll(v, &used);
    if (used == v.size()) return x;
  } catch (const std::exception&) {
  }
  throw IoError(source + ": metadata '" + key + "' is '" + v + "', not an integer: the checkpoint is damaged");
}

double meta_double(const Checkpoint& ck, const std::string& key, const std::string& source) {
  const std::string v = ck.meta(key);
  try {
    size_t used = 0;
    const double x = std::stod(v, &used);
    if (used == v.size()) return x;
  } catch (const std::exception&) {
  }
  throw IoError(source + ": metadata '" + key + "' is '" + v + "', not a number: the checkpoint is damaged");
}

}  // namespace gan::io
