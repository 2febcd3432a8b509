// Fuzzes the IDX reader (core/io/idx.h) through its real entry point,
// read_idx(path): the input is written to a scratch file, plain or, when it
// starts with the gzip magic, as compressed data that zlib inflates.
// Promises checked on success: rank 1..kIdxMaxRank, non-negative dimensions,
// and exactly product(dims) data bytes.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "core/io/idx.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const gan::fuzz::ScratchDir scratch;
  const std::string path = scratch.write("input.idx", data, size);
  gan::fuzz::expect_typed_errors_only([&] {
    const gan::io::IdxArray array = gan::io::read_idx(path);
    FUZZ_CHECK(!array.dims.empty() && array.dims.size() <= static_cast<size_t>(gan::io::kIdxMaxRank),
               "read_idx returned a rank outside 1..kIdxMaxRank");
    // product(dims); with a zero dimension the others may be anything (an
    // empty array of shape 4294967295 x 0 is valid).
    uint64_t count = 1;
    for (int64_t d : array.dims) FUZZ_CHECK(d >= 0 && d <= 0xFFFFFFFF, "read_idx returned a dimension outside u32");
    if (std::find(array.dims.begin(), array.dims.end(), 0) != array.dims.end()) {
      count = 0;
    } else {
      for (int64_t d : array.dims) {
        count *= static_cast<uint64_t>(d);  // <= 2^31 * 2^32: no overflow
        FUZZ_CHECK(count <= static_cast<uint64_t>(gan::io::kIdxMaxElements), "read_idx accepted over 2^31 elements");
      }
    }
    FUZZ_CHECK(count == array.data.size(), "read_idx data size differs from product(dims)");
  });
  return 0;
}
