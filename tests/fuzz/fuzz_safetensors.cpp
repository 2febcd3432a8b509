// Fuzzes the safetensors reader, load_safetensors(path) (the input is written
// to a scratch file): any input either loads or is refused with a gan::Error
// (never a JSON library exception, a crash or a huge allocation).
// Promises checked on success: names are non-empty and unique, every record's
// bytes equal product(shape) * element size, and writing what was loaded
// and reading it back gives the same records and metadata.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "core/io/safetensors.h"
#include "fuzz_util.h"

namespace {

const gan::fuzz::ScratchDir& scratch() {
  static const gan::fuzz::ScratchDir dir;
  return dir;
}

void check_loaded(const gan::io::Checkpoint& ck) {
  std::set<std::string> names;
  for (const auto& r : ck.records) {
    FUZZ_CHECK(!r.name.empty() && names.insert(r.name).second, "empty or duplicate tensor name accepted");
    FUZZ_CHECK(r.shape.size() <= gan::io::kCheckpointMaxRank, "rank above kCheckpointMaxRank accepted");
    uint64_t n = 1;
    for (int64_t d : r.shape) {
      FUZZ_CHECK(d >= 0, "negative dimension accepted");
      n *= static_cast<uint64_t>(d);
    }
    FUZZ_CHECK(n * gan::io::record_type_size(r.dtype) == r.bytes.size(), "tensor bytes inconsistent with shape");
  }
  const std::string copy = scratch().path("resaved.safetensors");
  gan::io::save_safetensors(copy, ck);
  const gan::io::Checkpoint back = gan::io::load_safetensors(copy);
  FUZZ_CHECK(back.metadata == ck.metadata, "metadata changed in a save and load");
  FUZZ_CHECK(back.records.size() == ck.records.size(), "tensor count changed in a save and load");
  for (size_t i = 0; i < ck.records.size(); ++i) {
    FUZZ_CHECK(back.records[i].name == ck.records[i].name && back.records[i].shape == ck.records[i].shape &&
                   back.records[i].bytes == ck.records[i].bytes,
               "a tensor changed in a save and load");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = scratch().write("input.safetensors", data, size);
  gan::fuzz::expect_typed_errors_only([&] { check_loaded(gan::io::load_safetensors(path)); });
  return 0;
}
