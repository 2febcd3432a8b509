// Reader and writer for the IDX format used by MNIST and Fashion-MNIST, plus a
// loader for such a data set directory. The data sets ship gzip-compressed;
// reading goes through zlib's gz* functions, which pass uncompressed files
// through unchanged, so both forms load without a separate unpack step.
//
// IDX layout (all integers big-endian): two zero bytes, a type code byte
// (0x08 = unsigned byte, the only type MNIST uses and the only one supported
// here), a dimension count byte, one u32 per dimension, then the elements in
// row-major order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gan::io {

// An unsigned-byte IDX array: `data` holds product(dims) elements, row-major.
struct IdxArray {
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;
};

// Limits the reader enforces, so a corrupt header cannot request a huge
// allocation or an absurd shape.
inline constexpr int kIdxMaxRank = 8;
inline constexpr int64_t kIdxMaxElements = int64_t{1} << 31;

// Reads an IDX file (plain or gzip-compressed). IoError if the file is missing,
// is not IDX, uses an element type other than unsigned byte, has an absurd
// shape, or holds fewer data bytes than its header promises. Bytes after the
// data are ignored.
IdxArray read_idx(const std::string& path);

// Writes an unsigned-byte IDX file (uncompressed, atomically). ValueError if
// dims and data disagree or the shape cannot be represented in IDX.
void write_idx(const std::string& path, const IdxArray& array);

// An MNIST-style labeled image set: n images of h x w bytes (row-major,
// image after image) and n labels in 0..9.
struct LabeledImages {
  int64_t n = 0, h = 0, w = 0;
  std::vector<uint8_t> pixels;
  std::vector<uint8_t> labels;
};

// Loads the training split (train-images-idx3-ubyte, train-labels-idx1-ubyte)
// or, with train = false, the test split (t10k-*) from `dir`; each file may be
// plain or end in .gz. IoError if a file is missing (naming the names looked
// for), malformed, or if images and labels disagree in count or a label is
// outside 0..9.
LabeledImages load_mnist_dir(const std::string& dir, bool train);

}  // namespace gan::io
