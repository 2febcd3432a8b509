// safetensors reading and writing (see safetensors.h); the JSON header goes
// through nlohmann::json, kept in insertion order so that a written header
// lists the metadata first and then the tensors in the model's order.
#include "core/io/safetensors.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <limits>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/io/atomic_file.h"

namespace gan::io {

namespace {

using Json = nlohmann::ordered_json;

const char* dtype_code(RecordType type) {
  switch (type) {
    case RecordType::F32: return "F32";
    case RecordType::F64: return "F64";
    case RecordType::I64: return "I64";
    case RecordType::U8: return "U8";
  }
  return "?";
}

bool record_type_of(const std::string& code, RecordType& type) {
  for (RecordType t : {RecordType::F32, RecordType::F64, RecordType::I64, RecordType::U8}) {
    if (code == dtype_code(t)) {
      type = t;
      return true;
    }
  }
  return false;
}

uint64_t read_u64_le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// A header field that is not a non-negative integer fitting int64 fails here.
int64_t as_count(const Json& v, const std::string& path, const std::string& what) {
  GAN_CHECK(v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0), IoError, path, ": ", what,
            " must be a non-negative integer, got ", v.dump());
  const uint64_t u = v.get<uint64_t>();
  GAN_CHECK(u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()), IoError, path, ": ", what,
            " is too large: ", u);
  return static_cast<int64_t>(u);
}

struct Span {
  uint64_t begin, end;
  size_t record;
};

}  // namespace

bool is_safetensors_path(const std::string& path) {
  const std::string ending = ".safetensors";
  if (path.size() < ending.size()) return false;
  for (size_t i = 0; i < ending.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(path[path.size() - ending.size() + i])) != ending[i]) return false;
  }
  return true;
}

void save_safetensors(const std::string& path, const Checkpoint& tensors) {
  Json header = Json::object();
  if (!tensors.metadata.empty()) {
    Json meta = Json::object();
    for (const auto& [key, value] : tensors.metadata) {
      GAN_CHECK(!meta.contains(key), ValueError, "safetensors: duplicate metadata key '", key, "'");
      meta[key] = value;
    }
    header["__metadata__"] = std::move(meta);
  }
  uint64_t offset = 0;
  for (const CheckpointRecord& r : tensors.records) {
    GAN_CHECK(!r.name.empty() && r.name != "__metadata__", ValueError, "safetensors: invalid tensor name '", r.name,
              "'");
    GAN_CHECK(!header.contains(r.name), ValueError, "safetensors: duplicate tensor name '", r.name, "'");
    GAN_CHECK(r.numel() >= 0 && r.bytes.size() == static_cast<size_t>(r.numel()) * record_type_size(r.dtype),
              ValueError, "safetensors: tensor '", r.name, "' holds ", r.bytes.size(), " bytes, its shape needs ",
              r.numel() * static_cast<int64_t>(record_type_size(r.dtype)));
    header[r.name] = {{"dtype", dtype_code(r.dtype)}, {"shape", r.shape}, {"data_offsets", {offset, offset + r.bytes.size()}}};
    offset += r.bytes.size();
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');

  std::vector<uint8_t> file(8 + text.size() + offset);
  for (int i = 0; i < 8; ++i) file[static_cast<size_t>(i)] = static_cast<uint8_t>(text.size() >> (8 * i));
  std::memcpy(file.data() + 8, text.data(), text.size());
  uint8_t* data = file.data() + 8 + text.size();
  for (const CheckpointRecord& r : tensors.records) {
    std::vector<uint8_t> bytes = r.bytes;
    payload_to_or_from_le(bytes, r.dtype);
    if (!bytes.empty()) std::memcpy(data, bytes.data(), bytes.size());
    data += bytes.size();
  }
  write_file_atomic(path, file.data(), file.size());
}

Checkpoint load_safetensors(const std::string& path) {
  const std::vector<uint8_t> file = read_file(path);
  GAN_CHECK(file.size() >= 8, IoError, path, ": not a safetensors file: ", file.size(),
            " bytes, shorter than the 8-byte header size");
  const uint64_t n = read_u64_le(file.data());
  GAN_CHECK(n <= kSafetensorsMaxHeader, IoError, path, ": not a safetensors file (or corrupt): header size ", n,
            " exceeds the format's limit of ", kSafetensorsMaxHeader, " bytes");
  GAN_CHECK(n <= file.size() - 8, IoError, path, ": truncated or corrupt: the header size says ", n,
            " bytes but only ", file.size() - 8, " follow");
  const auto* text = reinterpret_cast<const char*>(file.data() + 8);
  Json header;
  try {
    header = Json::parse(text, text + n);
  } catch (const Json::exception& e) {
    throw IoError(path + ": corrupt safetensors header (not valid JSON): " + e.what());
  }
  GAN_CHECK(header.is_object(), IoError, path, ": corrupt safetensors header: a JSON ", header.type_name(),
            " where an object is required");

  const uint8_t* data = file.data() + 8 + n;
  const uint64_t data_size = file.size() - 8 - n;
  Checkpoint out;
  std::vector<Span> spans;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      GAN_CHECK(entry.is_object(), IoError, path, ": '__metadata__' must be an object of strings");
      for (const auto& [key, value] : entry.items()) {
        GAN_CHECK(value.is_string(), IoError, path, ": metadata '", key, "' must be a string, got ", value.dump());
        out.metadata.emplace_back(key, value.get<std::string>());
      }
      continue;
    }
    const std::string where = "tensor '" + name + "'";
    GAN_CHECK(!name.empty(), IoError, path, ": a tensor has an empty name");
    GAN_CHECK(entry.is_object() && entry.contains("dtype") && entry.contains("shape") &&
                  entry.contains("data_offsets"),
              IoError, path, ": ", where, " must be an object with dtype, shape and data_offsets, got ",
              entry.dump().substr(0, 200));
    CheckpointRecord r;
    r.name = name;
    const Json& dtype = entry["dtype"];
    GAN_CHECK(dtype.is_string(), IoError, path, ": ", where, ": dtype must be a string");
    GAN_CHECK(record_type_of(dtype.get<std::string>(), r.dtype), IoError, path, ": ", where, " has dtype ",
              dtype.get<std::string>(), ", which the engine does not read (F32, F64, I64, U8): convert it to F32");
    const Json& shape = entry["shape"];
    GAN_CHECK(shape.is_array() && shape.size() <= kCheckpointMaxRank, IoError, path, ": ", where,
              ": shape must be an array of at most ", kCheckpointMaxRank, " sizes");
    uint64_t numel = 1;
    bool overflow = false;
    for (const Json& d : shape) {
      const int64_t v = as_count(d, path, where + " shape");
      r.shape.push_back(v);
      if (v != 0 && numel > std::numeric_limits<uint64_t>::max() / 8 / static_cast<uint64_t>(v)) overflow = true;
      numel *= static_cast<uint64_t>(v);
    }
    GAN_CHECK(!overflow, IoError, path, ": ", where, ": shape ", shape.dump(), " is too large");
    const Json& offsets = entry["data_offsets"];
    GAN_CHECK(offsets.is_array() && offsets.size() == 2, IoError, path, ": ", where,
              ": data_offsets must be [begin, end]");
    const auto begin = static_cast<uint64_t>(as_count(offsets[0], path, where + " data_offsets"));
    const auto end = static_cast<uint64_t>(as_count(offsets[1], path, where + " data_offsets"));
    const uint64_t bytes = numel * record_type_size(r.dtype);
    GAN_CHECK(begin <= end && end - begin == bytes, IoError, path, ": ", where, ": data_offsets [", begin, ", ", end,
              "] hold ", end >= begin ? end - begin : 0, " bytes but shape ", shape.dump(), " of ",
              dtype.get<std::string>(), " needs ", bytes);
    GAN_CHECK(end <= data_size, IoError, path, ": truncated or corrupt: ", where, " ends at data byte ", end,
              " but the file holds ", data_size, " bytes of data");
    spans.push_back({begin, end, out.records.size()});
    out.records.push_back(std::move(r));
  }
  // The format requires the tensors to tile the data exactly.
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t at = 0;
  for (const Span& s : spans) {
    GAN_CHECK(s.begin == at, IoError, path, ": corrupt: tensor '", out.records[s.record].name, "' starts at data byte ",
              s.begin, " where ", at, " was expected (", s.begin > at ? "a hole" : "an overlap", " in the data)");
    at = s.end;
  }
  GAN_CHECK(at == data_size, IoError, path, ": corrupt: ", data_size - at,
            " bytes after the last tensor's data (is the header size wrong?)");

  Checkpoint sorted;
  sorted.metadata = std::move(out.metadata);
  for (const Span& s : spans) {
    CheckpointRecord& r = out.records[s.record];
    r.bytes.assign(data + s.begin, data + s.end);
    payload_to_or_from_le(r.bytes, r.dtype);
    sorted.records.push_back(std::move(r));
  }
  return sorted;
}

}  // namespace gan::io
