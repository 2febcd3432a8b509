// The on-disk container for model checkpoints: named, typed, shaped byte
// records plus string metadata, protected by a CRC32. It is deliberately
// independent of the tensor code so the format can be read, written and
// tested (and fuzzed) on its own; the byte-by-byte layout is specified in
// docs/checkpoint-format.md. Loading treats the file as untrusted: every
// length is checked against the bytes actually present before anything is
// allocated, and every problem is reported as an IoError naming the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace gan::io {

// Element type of a record. The numeric values are the on-disk type codes.
enum class RecordType : uint8_t { F32 = 0, F64 = 1, I64 = 2, U8 = 3 };

// Bytes per element (4, 8, 8, 1) and a name for messages ("f32", ...).
size_t record_type_size(RecordType type);
// Converts a payload of `type` elements between the files' little-endian
// order and the host's, in place (nothing to do on little-endian hosts).
void payload_to_or_from_le(std::vector<uint8_t>& bytes, RecordType type);
const char* record_type_name(RecordType type);

// One tensor's data. `bytes` holds product(shape) elements in row-major order
// and host byte order (the file stores them little-endian; conversion happens
// on save/load if the host is big-endian). An empty shape is a scalar.
struct CheckpointRecord {
  std::string name;
  RecordType dtype = RecordType::F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;

  // product(shape); 1 for a scalar.
  int64_t numel() const;
};

struct Checkpoint {
  // Kept in insertion order, which is also the order in the file.
  std::vector<std::pair<std::string, std::string>> metadata;
  std::vector<CheckpointRecord> records;

  bool has(const std::string& name) const;
  // IoError "checkpoint has no tensor named X" if absent.
  const CheckpointRecord& get(const std::string& name) const;

  bool has_meta(const std::string& key) const;
  // IoError "checkpoint has no metadata key X" if absent.
  std::string meta(const std::string& key) const;
  // Sets a metadata value, replacing an existing one with the same key.
  void put_meta(const std::string& key, const std::string& value);

  // Appends a record copying `size` bytes from `data`. ValueError if the name
  // is empty or already used, a dimension is negative, or size does not equal
  // product(shape) * record_type_size(dtype).
  CheckpointRecord& add(const std::string& name, RecordType dtype, const std::vector<int64_t>& shape,
                        const void* data, size_t size);
  // Like add, but replaces the record of the same name if there is one
  // (keeping its position).
  CheckpointRecord& put(const std::string& name, RecordType dtype, const std::vector<int64_t>& shape,
                        const void* data, size_t size);
};

// Limits that keep a corrupt file from describing absurd structures.
inline constexpr uint32_t kCheckpointFormatVersion = 1;
inline constexpr uint32_t kCheckpointMaxRank = 32;

// Writes the checkpoint atomically (see write_file_atomic). ValueError if the
// checkpoint is inconsistent (what add() checks, or duplicate metadata keys);
// IoError if the file cannot be written.
void save_checkpoint(const std::string& path, const Checkpoint& checkpoint);

// Reads and fully validates a checkpoint. IoError for: a missing file, a file
// that is not a gan checkpoint (wrong magic), an unsupported format version,
// truncation (naming the field where the file ends), a checksum mismatch
// ("corrupt: checksum mismatch"), and structurally invalid contents (bad type
// code, byte count inconsistent with shape and type, duplicate names, ...).
Checkpoint load_checkpoint(const std::string& path);
// The same from a checkpoint file's bytes (a distributed run's ranks get
// rank 0's file this way); `path` names it in messages.
Checkpoint parse_checkpoint(const std::vector<uint8_t>& file, const std::string& path);

// A checkpoint's metadata value as an integer / double; IoError naming
// `source` (the file) when the key is absent or the value is not a number.
int64_t meta_int(const Checkpoint& checkpoint, const std::string& key, const std::string& source);
double meta_double(const Checkpoint& checkpoint, const std::string& key, const std::string& source);

}  // namespace gan::io
