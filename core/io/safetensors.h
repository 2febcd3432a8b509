// The safetensors file format (https://github.com/huggingface/safetensors),
// read and written with the engine's checkpoint container (Checkpoint: named,
// typed, shaped records plus string metadata) as the in-memory form, so that
// the code which maps models to named tensors (layers/state_dict.h) serves
// both formats.
//
// Layout: an 8-byte little-endian header size N, N bytes of a JSON object
// (UTF-8; trailing spaces allowed), then the raw data. The object maps each
// tensor name to {"dtype": "F32", "shape": [...], "data_offsets": [begin,
// end]} (offsets into the data, which the tensors must cover exactly, without
// holes or overlaps); the optional "__metadata__" entry maps strings to
// strings. Element data is row-major and little-endian.
//
// Loading treats the file as untrusted: every problem is an IoError naming the
// file and what is wrong, and nothing is allocated beyond the file's own size.
#pragma once

#include <string>

#include "core/io/checkpoint_format.h"

namespace gan::io {

// The largest JSON header read (the reference implementation's limit), so a
// damaged size field is reported as such rather than read as a huge header.
inline constexpr uint64_t kSafetensorsMaxHeader = 100'000'000;

// Writes the records (dtypes F32 -> "F32", F64 -> "F64", I64 -> "I64", U8 ->
// "U8") in their order, with the metadata as "__metadata__" (omitted when
// empty), atomically (write_file_atomic). The header is padded with spaces to
// a multiple of 8 bytes so that the data is aligned for readers that map it.
// ValueError for an inconsistent checkpoint (what Checkpoint::add checks) or
// a record named "__metadata__"; IoError when the file cannot be written.
void save_safetensors(const std::string& path, const Checkpoint& tensors);

// Reads and fully validates a safetensors file: records in the order of their
// data offsets, metadata in the header's order. IoError for a missing or
// short file, a header size beyond the file, JSON that does not parse or is
// not an object of the layout above, a dtype the engine cannot hold (F16,
// BF16, ...: the message says to convert to F32), offsets that disagree with
// the shape and dtype or leave holes or overlaps, and bytes after the data.
Checkpoint load_safetensors(const std::string& path);

// True when `path` ends in ".safetensors" (any case).
bool is_safetensors_path(const std::string& path);

}  // namespace gan::io
