// Fuzzes the checkpoint container reader, load_checkpoint(path) (the input is
// written to a scratch file). Random bytes almost never carry a valid CRC-32,
// which would keep the fuzzer from ever seeing a file accepted, so each input
// is loaded twice: as it is, and with its last four bytes replaced by the
// correct checksum — the structural checks run either way.
// Promises checked on success: every record is consistent (non-empty unique
// name, valid type, bytes == product(shape) * element size), metadata keys are
// non-empty and unique, and the format is canonical: saving what was loaded
// reproduces the input byte for byte.
#include <zlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "core/io/atomic_file.h"
#include "core/io/checkpoint_format.h"
#include "fuzz_util.h"

namespace {

const gan::fuzz::ScratchDir& scratch() {
  static const gan::fuzz::ScratchDir dir;
  return dir;
}

void check_loaded(const gan::io::Checkpoint& ck, const std::vector<uint8_t>& file) {
  std::set<std::string> keys, names;
  for (const auto& [key, value] : ck.metadata)
    FUZZ_CHECK(!key.empty() && keys.insert(key).second, "empty or duplicate metadata key accepted");
  for (const auto& r : ck.records) {
    FUZZ_CHECK(!r.name.empty() && names.insert(r.name).second, "empty or duplicate record name accepted");
    FUZZ_CHECK(r.shape.size() <= gan::io::kCheckpointMaxRank, "record rank above kCheckpointMaxRank accepted");
    int64_t n = 1;
    for (int64_t d : r.shape) {
      FUZZ_CHECK(d >= 0, "negative dimension accepted");
      n *= d;  // the loader promised product * element size fits int64; UBSan checks that too
    }
    FUZZ_CHECK(static_cast<uint64_t>(n) * gan::io::record_type_size(r.dtype) == r.bytes.size(),
               "record bytes inconsistent with shape and type");
  }
  const std::string copy = scratch().path("resaved.ckpt");
  gan::io::save_checkpoint(copy, ck);
  FUZZ_CHECK(gan::io::read_file(copy) == file, "saving a loaded checkpoint does not reproduce the file");
}

void load(const std::vector<uint8_t>& file) {
  const std::string path = scratch().write("input.ckpt", file.data(), file.size());
  gan::fuzz::expect_typed_errors_only([&] { check_loaded(gan::io::load_checkpoint(path), file); });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> file(data, data + size);
  load(file);
  if (size >= 4) {
    const size_t body = size - 4;
    const auto crc = static_cast<uint32_t>(crc32_z(crc32_z(0L, Z_NULL, 0), file.data(), body));
    for (size_t i = 0; i < 4; ++i) file[body + i] = static_cast<uint8_t>(crc >> (8 * i));
    if (!std::equal(file.begin(), file.end(), data)) load(file);
  }
  return 0;
}
