// IDX (MNIST) reader/writer and data set directory loader; see idx.h.
// Everything read from the file is treated as untrusted: the header is checked
// before any allocation, and data is read in bounded chunks so a header that
// promises gigabytes costs memory only for bytes that are really there.
#include "core/io/idx.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <system_error>

#include "core/error.h"
#include "core/io/atomic_file.h"

namespace gan::io {
namespace {

namespace fs = std::filesystem;

constexpr uint8_t kTypeUnsignedByte = 0x08;

// Human-readable names of the IDX type codes, to make the rejection of
// unsupported ones self-explanatory.
const char* idx_type_name(uint8_t code) {
  switch (code) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
    default: return "unknown";
  }
}

std::string hex_byte(uint8_t b) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "0x%02X", b);
  return buf;
}

std::string shape_text(const std::vector<int64_t>& dims) {
  std::string s;
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? " x " : "") + std::to_string(dims[i]);
  return s;
}

// Owns a zlib file handle.
class GzReader {
 public:
  explicit GzReader(const std::string& path) : path_(path) {
    errno = 0;
    file_ = gzopen(path.c_str(), "rb");
    GAN_CHECK(file_ != nullptr, IoError, "cannot open '", path, "': ",
              errno ? std::generic_category().message(errno) : std::string("out of memory"), ".");
    gzbuffer(file_, 1 << 17);  // larger than the 8 KiB default: fewer read() calls
  }
  ~GzReader() { gzclose(file_); }
  GzReader(const GzReader&) = delete;
  GzReader& operator=(const GzReader&) = delete;

  // Reads up to n bytes into dst and returns how many arrived; fewer than n
  // means end of data (including a gzip stream that stops early). IoError for
  // a read error or corrupt compressed data.
  size_t read(uint8_t* dst, size_t n) {
    size_t got = 0;
    while (got < n) {
      // gzread takes an unsigned length; stay well inside it.
      const unsigned ask = static_cast<unsigned>(std::min<size_t>(n - got, size_t{1} << 30));
      const int r = gzread(file_, dst + got, ask);
      if (r < 0) {
        int code = 0;
        const char* msg = gzerror(file_, &code);
        throw IoError(detail::concat("cannot read '", path_, "': ",
                                     code == Z_ERRNO ? std::generic_category().message(errno) : msg,
                                     code == Z_DATA_ERROR ? " (corrupt gzip data; re-download the file)" : "",
                                     "."));
      }
      if (r == 0) break;
      got += static_cast<size_t>(r);
    }
    return got;
  }

 private:
  std::string path_;
  gzFile file_ = nullptr;
};

uint32_t load_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

void store_be32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

// The first of `names` that exists in `dir`, or IoError listing what was tried.
std::string find_in_dir(const std::string& dir, const std::vector<std::string>& names, const char* what) {
  std::error_code ec;
  for (const auto& name : names) {
    fs::path p = fs::path(dir) / name;
    if (fs::is_regular_file(p, ec)) return p.string();
  }
  std::string tried;
  for (size_t i = 0; i < names.size(); ++i) tried += (i ? " or " : "") + names[i];
  throw IoError(detail::concat("no ", what, " in '", dir, "': looked for ", tried,
                               ". Point the data path at an MNIST/Fashion-MNIST directory (the Debian package "
                               "dataset-fashion-mnist installs one in /usr/share/datasets/fashion-mnist)."));
}

}  // namespace

IdxArray read_idx(const std::string& path) {
  std::error_code ec;
  GAN_CHECK(fs::exists(path, ec), IoError, "IDX file '", path, "' does not exist.");
  GAN_CHECK(!fs::is_directory(path, ec), IoError, "'", path, "' is a directory, not an IDX file.");
  GzReader in(path);

  // Magic: 0x00 0x00 <type code> <rank>.
  uint8_t magic[4];
  const size_t magic_got = in.read(magic, 4);
  GAN_CHECK(magic_got == 4, IoError, "'", path, "' is not an IDX file: it is only ", magic_got,
            " bytes long (an IDX header needs at least 4).");
  GAN_CHECK(magic[0] == 0 && magic[1] == 0, IoError, "'", path,
            "' is not an IDX file: it starts with bytes ", hex_byte(magic[0]), " ", hex_byte(magic[1]),
            " instead of 0x00 0x00.");
  GAN_CHECK(magic[2] == kTypeUnsignedByte, IoError, "'", path, "' holds IDX element type ", hex_byte(magic[2]),
            " (", idx_type_name(magic[2]), "); only unsigned byte (0x08) IDX files, as used by MNIST, are supported.");
  const int rank = magic[3];
  GAN_CHECK(rank >= 1 && rank <= kIdxMaxRank, IoError, "'", path, "' declares ", rank,
            " dimensions; expected between 1 and ", kIdxMaxRank, ". The file is corrupt or not IDX.");

  // Dimensions: rank big-endian u32s.
  uint8_t dim_bytes[4 * kIdxMaxRank];
  const size_t dims_size = 4 * static_cast<size_t>(rank);
  const size_t dims_got = in.read(dim_bytes, dims_size);
  GAN_CHECK(dims_got == dims_size, IoError, "'", path, "' is truncated: its header needs ", dims_size,
            " bytes of dimensions but the file holds only ", dims_got, ". Re-download the file.");

  IdxArray out;
  out.dims.resize(static_cast<size_t>(rank));
  for (int i = 0; i < rank; ++i) out.dims[static_cast<size_t>(i)] = load_be32(dim_bytes + 4 * i);

  // Element count, checked step by step: each factor is < 2^32 and the running
  // product is kept <= 2^31, so the multiplication cannot overflow 64 bits.
  const bool empty = std::find(out.dims.begin(), out.dims.end(), 0) != out.dims.end();
  int64_t count = empty ? 0 : 1;
  if (!empty) {
    for (int64_t d : out.dims) {
      count *= d;
      GAN_CHECK(count <= kIdxMaxElements, IoError, "'", path, "' declares shape ", shape_text(out.dims),
                ", more than the supported 2^31 elements. The file is corrupt or not IDX.");
    }
  }

  // Data, in chunks: memory grows only as real bytes arrive.
  const size_t expected = static_cast<size_t>(count);
  constexpr size_t kChunk = size_t{16} << 20;
  size_t got = 0;
  while (got < expected) {
    const size_t want = std::min(expected - got, kChunk);
    out.data.resize(got + want);
    const size_t n = in.read(out.data.data() + got, want);
    got += n;
    if (n < want) break;
  }
  GAN_CHECK(got == expected, IoError, "'", path, "' is truncated: its header promises ", expected,
            " bytes of data (shape ", shape_text(out.dims), ") but the file holds only ", got,
            ". Re-download the file.");
  out.data.resize(got);
  return out;
}

void write_idx(const std::string& path, const IdxArray& array) {
  const size_t rank = array.dims.size();
  GAN_CHECK(rank >= 1 && rank <= static_cast<size_t>(kIdxMaxRank), ValueError, "cannot write IDX file '", path,
            "': rank ", rank, " is outside 1..", kIdxMaxRank, ".");
  int64_t count = 1;
  for (int64_t d : array.dims) {
    GAN_CHECK(d >= 0 && d <= int64_t{std::numeric_limits<uint32_t>::max()}, ValueError,
              "cannot write IDX file '", path, "': dimension ", d, " does not fit IDX's u32 sizes.");
    // Checked as for reading; a zero dimension makes the product 0 and stops growth.
    count *= d;
    GAN_CHECK(count <= kIdxMaxElements, ValueError, "cannot write IDX file '", path, "': shape ",
              shape_text(array.dims), " has more than 2^31 elements.");
  }
  GAN_CHECK(static_cast<size_t>(count) == array.data.size(), ValueError, "cannot write IDX file '", path,
            "': shape ", shape_text(array.dims), " needs ", count, " bytes but ", array.data.size(), " were given.");

  std::vector<uint8_t> bytes(4 + 4 * rank + array.data.size());
  bytes[0] = 0;
  bytes[1] = 0;
  bytes[2] = kTypeUnsignedByte;
  bytes[3] = static_cast<uint8_t>(rank);
  for (size_t i = 0; i < rank; ++i) store_be32(bytes.data() + 4 + 4 * i, static_cast<uint32_t>(array.dims[i]));
  std::copy(array.data.begin(), array.data.end(), bytes.begin() + static_cast<std::ptrdiff_t>(4 + 4 * rank));
  write_file_atomic(path, bytes.data(), bytes.size());
}

LabeledImages load_mnist_dir(const std::string& dir, bool train) {
  std::error_code ec;
  GAN_CHECK(fs::is_directory(dir, ec), IoError, "data directory '", dir,
            "' does not exist or is not a directory. Point the data path at an MNIST/Fashion-MNIST directory.");
  const std::string prefix = train ? "train" : "t10k";
  const char* split = train ? "training" : "test";
  const std::string images_base = prefix + "-images-idx3-ubyte";
  const std::string labels_base = prefix + "-labels-idx1-ubyte";
  const std::string images_path =
      find_in_dir(dir, {images_base, images_base + ".gz"}, train ? "MNIST training images" : "MNIST test images");
  const std::string labels_path =
      find_in_dir(dir, {labels_base, labels_base + ".gz"}, train ? "MNIST training labels" : "MNIST test labels");

  IdxArray images = read_idx(images_path);
  IdxArray labels = read_idx(labels_path);
  GAN_CHECK(images.dims.size() == 3, IoError, "'", images_path, "' has shape ", shape_text(images.dims),
            "; MNIST images must be 3-dimensional (count x height x width).");
  GAN_CHECK(labels.dims.size() == 1, IoError, "'", labels_path, "' has shape ", shape_text(labels.dims),
            "; MNIST labels must be 1-dimensional (count).");
  GAN_CHECK(images.dims[0] > 0 && images.dims[1] > 0 && images.dims[2] > 0, IoError, "'", images_path,
            "' holds no pixels (shape ", shape_text(images.dims), ").");
  GAN_CHECK(images.dims[0] == labels.dims[0], IoError, "the ", split, " images and labels in '", dir,
            "' disagree: '", images_path, "' holds ", images.dims[0], " images but '", labels_path, "' holds ",
            labels.dims[0], " labels. The files come from different data sets or one is damaged.");
  for (size_t i = 0; i < labels.data.size(); ++i) {
    GAN_CHECK(labels.data[i] < 10, IoError, "'", labels_path, "' has label ", int{labels.data[i]}, " at index ", i,
              "; MNIST labels must be 0..9. The file is corrupt.");
  }

  LabeledImages out;
  out.n = images.dims[0];
  out.h = images.dims[1];
  out.w = images.dims[2];
  out.pixels = std::move(images.data);
  out.labels = std::move(labels.data);
  return out;
}

}  // namespace gan::io
