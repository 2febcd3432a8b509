// Writes the seed corpus of the fuzz targets: a few tiny, valid inputs per
// target, made with the engine's own writers so they follow the formats
// exactly. The output is committed under tests/fuzz/corpus/; rerun after a
// format change:
//   tests/fuzz/run.sh 0 && build-fuzz/tests/fuzz/fuzz_make_seeds tests/fuzz/corpus
#include <stb_image_write.h>
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/io/checkpoint_format.h"
#include "core/io/idx.h"
#include "core/io/image.h"
#include "core/io/png_grid.h"
#include "core/io/safetensors.h"

namespace fs = std::filesystem;
using gan::io::write_file_atomic;

namespace {

void write_bytes(const fs::path& path, const std::vector<uint8_t>& bytes) {
  write_file_atomic(path.string(), bytes.data(), bytes.size());
}

// ---- idx --------------------------------------------------------------------

void idx_seeds(const fs::path& dir) {
  gan::io::IdxArray images{{3, 2, 2}, {}};
  for (int i = 0; i < 12; ++i) images.data.push_back(static_cast<uint8_t>(i * 20));
  gan::io::write_idx((dir / "images-3x2x2.idx").string(), images);
  gan::io::write_idx((dir / "labels-4.idx").string(), {{4}, {0, 9, 3, 7}});
  gan::io::write_idx((dir / "empty-0x5.idx").string(), {{0, 5}, {}});

  // The same images gzip-compressed, as the data sets ship.
  const std::vector<uint8_t> plain = gan::io::read_file((dir / "images-3x2x2.idx").string());
  const std::string gz_path = (dir / "images-3x2x2.idx.gz").string();
  gzFile gz = gzopen(gz_path.c_str(), "wb9");
  if (gz == nullptr) throw gan::IoError("cannot open " + gz_path);
  const int written = gzwrite(gz, plain.data(), static_cast<unsigned>(plain.size()));
  if (gzclose(gz) != Z_OK || written != static_cast<int>(plain.size())) throw gan::IoError("cannot write " + gz_path);
}

// ---- image: one parameter byte (bit 0: 3 channels; bits 1-6: crop size - 1), then the file --

gan::io::Image pattern(int w, int h, int c) {
  gan::io::Image img{w, h, c, {}};
  for (int i = 0; i < w * h * c; ++i) img.pixels.push_back(static_cast<uint8_t>(i * 37 + 11));
  return img;
}

void append(void* ctx, void* data, int size) {
  auto* out = static_cast<std::vector<uint8_t>*>(ctx);
  out->insert(out->end(), static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
}

uint8_t image_params(int channels, int crop) { return static_cast<uint8_t>(((crop - 1) << 1) | (channels == 3)); }

void image_seeds(const fs::path& dir) {
  const struct {
    const char* name;
    int w, h, c, channels, crop;
  } pngs[] = {{"gray-5x3.png", 5, 3, 1, 1, 2}, {"rgb-4x4.png", 4, 4, 3, 3, 4}, {"rgba-3x6.png", 3, 6, 4, 3, 5}};
  for (const auto& p : pngs) {
    const std::string tmp = (dir / ".tmp.png").string();
    gan::io::write_png(tmp, pattern(p.w, p.h, p.c));
    std::vector<uint8_t> bytes{image_params(p.channels, p.crop)};
    const std::vector<uint8_t> png = gan::io::read_file(tmp);
    bytes.insert(bytes.end(), png.begin(), png.end());
    fs::remove(tmp);
    write_bytes(dir / p.name, bytes);
  }
  const gan::io::Image rgb = pattern(6, 4, 3);
  std::vector<uint8_t> bmp{image_params(3, 3)};
  std::vector<uint8_t> jpg{image_params(1, 8)};
  if (!stbi_write_bmp_to_func(append, &bmp, rgb.width, rgb.height, 3, rgb.pixels.data()) ||
      !stbi_write_jpg_to_func(append, &jpg, rgb.width, rgb.height, 3, rgb.pixels.data(), 50))
    throw gan::IoError("stb_image_write failed");
  write_bytes(dir / "rgb-6x4.bmp", bmp);
  write_bytes(dir / "rgb-6x4.jpg", jpg);
}

// ---- checkpoint ---------------------------------------------------------------

void checkpoint_seeds(const fs::path& dir) {
  gan::io::save_checkpoint((dir / "empty.ckpt").string(), {});

  gan::io::Checkpoint ck;
  ck.put_meta("model", "dcgan");
  ck.put_meta("step", "12");
  const float w[6] = {0.5f, -1.0f, 2.0f, 0.0f, 3.25f, -0.125f};
  const double scale = 1e-3;
  const int64_t counts[2] = {7, -3};
  const uint8_t flags[3] = {1, 0, 255};
  ck.add("g.conv.weight", gan::io::RecordType::F32, {2, 3}, w, sizeof w);
  ck.add("scale", gan::io::RecordType::F64, {}, &scale, sizeof scale);
  ck.add("counts", gan::io::RecordType::I64, {2}, counts, sizeof counts);
  ck.add("flags", gan::io::RecordType::U8, {3, 1}, flags, sizeof flags);
  ck.add("empty", gan::io::RecordType::F32, {0, 4}, nullptr, 0);
  gan::io::save_checkpoint((dir / "dcgan-small.ckpt").string(), ck);
}

// ---- safetensors --------------------------------------------------------------

void safetensors_seeds(const fs::path& dir) {
  gan::io::save_safetensors((dir / "empty.safetensors").string(), {});
  gan::io::Checkpoint ck;
  ck.put_meta("model", "dcgan");
  ck.put_meta("nz", "2");
  const float w[6] = {0.5f, -1.0f, 2.0f, 0.0f, 3.25f, -0.125f};
  const int64_t ids[2] = {7, -3};
  const uint8_t flags[3] = {1, 0, 255};
  ck.add("G.main.0.weight", gan::io::RecordType::F32, {2, 3, 1, 1}, w, sizeof w);
  ck.add("ids", gan::io::RecordType::I64, {2}, ids, sizeof ids);
  ck.add("flags", gan::io::RecordType::U8, {3}, flags, sizeof flags);
  ck.add("empty", gan::io::RecordType::F32, {0}, nullptr, 0);
  gan::io::save_safetensors((dir / "dcgan-small.safetensors").string(), ck);
}

// ---- cli: arguments separated by NUL bytes -------------------------------------

void cli_seed(const fs::path& path, const std::vector<std::string>& args) {
  std::vector<uint8_t> bytes;
  for (size_t i = 0; i < args.size(); ++i) {
    if (i) bytes.push_back(0);
    bytes.insert(bytes.end(), args[i].begin(), args[i].end());
  }
  write_bytes(path, bytes);
}

void cli_seeds(const fs::path& dir) {
  cli_seed(dir / "train-options", {"train", "--batch-size", "32", "--lr=0.0002", "--device", "cpu", "--resume"});
  cli_seed(dir / "train-steps", {"train", "--steps=100", "--dataset", "idx:/data", "--beta1", "0.5", "--quiet"});
  cli_seed(dir / "sample", {"sample", "--checkpoint", "runs/dcgan/ckpt", "--n=16", "--out", "grid.png"});
  cli_seed(dir / "train-help", {"train", "--help"});
  cli_seed(dir / "version", {"--version"});
  cli_seed(dir / "typo", {"trian", "--batch", "8"});
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR   (writes CORPUS_DIR/{idx,image,checkpoint,safetensors,cli}/)\n", argv[0]);
    return 2;
  }
  const fs::path root = argv[1];
  try {
    for (const char* t : {"idx", "image", "checkpoint", "safetensors", "cli"}) fs::create_directories(root / t);
    idx_seeds(root / "idx");
    image_seeds(root / "image");
    checkpoint_seeds(root / "checkpoint");
    safetensors_seeds(root / "safetensors");
    cli_seeds(root / "cli");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz_make_seeds: %s\n", e.what());
    return 1;
  }
  return 0;
}
