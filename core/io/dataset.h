// Training images for the GANs: where they come from (a --dataset spec), how
// they are held in memory, and the seeded, background batch loader.
//
// Specs:
//   fashion-mnist   Debian's dataset-fashion-mnist (IDX files in kFashionMnistDir)
//   idx:DIR         an MNIST-style directory (train-images-idx3-ubyte[.gz] + labels)
//   folder:DIR      image files (PNG, JPEG, BMP) directly inside DIR, no labels
// Images are center-cropped to the model's aspect ratio and resized to its
// height x width, and kept as bytes; the loader converts each batch to floats
// in [-1, 1].
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/tensor.h"

namespace gan::io {

// Where Debian's dataset-fashion-mnist package puts the IDX files.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// n images of channels x height x width bytes, planar (CHW), image after image.
struct ImageSet {
  int64_t n = 0, channels = 0, height = 0, width = 0;
  std::vector<uint8_t> pixels;
  std::vector<uint8_t> labels;  // one class id per image; empty when the source has none
  int64_t num_classes = 0;      // 10 for the MNIST family, 0 without labels
  std::string source;           // what was loaded, for messages and logs
  // Files left out under BadImages::Skip, each as "PATH: why", in file order.
  std::vector<std::string> skipped;

  int64_t image_bytes() const { return channels * height * width; }
};

// The height x width images are brought to; a number is a square side.
struct ImageSize {
  ImageSize(int64_t side) : height(side), width(side) {}  // NOLINT(google-explicit-constructor): 28 means 28x28
  ImageSize(int64_t h, int64_t w) : height(h), width(w) {}
  int64_t height, width;
};

// What a folder loader does with files it cannot decode: refuse, listing every
// one at once (the default), or leave them out (--skip-bad-images) and name
// them in ImageSet::skipped. A folder with no usable file is refused either way.
enum class BadImages { Refuse, Skip };

// "skipped 2 of 30 image files that cannot be used: ..." (the first ten, one
// per line), or "" when none was skipped: what a command prints.
std::string skipped_summary(const ImageSet& set);

// DIR of a folder:DIR spec; "" for any other spec.
std::string image_folder(const std::string& spec);

// The spec with its folder made absolute ("idx:data" -> "idx:/home/me/data"),
// so that a run resumed from another working directory finds its data.
std::string absolute_spec(const std::string& spec);

// What a data set is, apart from where: the kind of spec, how many files its
// folder holds and a fingerprint of their names and sizes (FNV-1a). Kept in
// checkpoints: a resumed run accepts its data at a new place when the identity
// matches, and notices a folder that changed.
struct DatasetIdentity {
  std::string kind;  // "idx" (fashion-mnist too) or "folder"
  int64_t files = 0;
  std::string fingerprint;  // 16 hex digits

  std::string str() const;                                     // "idx, 4 files, fingerprint 0123456789abcdef"
  std::string meta() const;                                    // "idx/4/0123456789abcdef", for checkpoints
  static DatasetIdentity from_meta(const std::string& text);  // IoError when damaged
  bool operator==(const DatasetIdentity&) const = default;
};
// IoError when the spec's folder does not exist; ValueError for an unknown spec.
DatasetIdentity dataset_identity(const std::string& spec);
// The identity of the files directly inside DIR/SUB for each SUB of
// `subfolders` that exists ("" is DIR itself), named "SUB/NAME".
DatasetIdentity folder_identity(const std::string& kind, const std::string& dir,
                                const std::vector<std::string>& subfolders);

// Loads a spec (see above), resized to `size` with `channels` channels
// (0: the source's own: 1 for IDX, 3 for folders; gray sources are replicated
// to 3 channels when 3 are asked for). `train` picks the training split of IDX
// data (false: the test split). IoError / ValueError with what to do.
ImageSet load_image_set(const std::string& spec, ImageSize size, int64_t channels, bool train = true,
                        BadImages bad = BadImages::Refuse);

// The images of class `label` of an IDX data set (fashion-mnist or idx:DIR),
// otherwise like load_image_set. ValueError for another kind of spec, a label
// outside 0..9, or a class without images.
ImageSet load_image_class(const std::string& spec, int64_t label, int64_t size, int64_t channels, bool train = true);

// Image files (any mix of PNG, JPEG, BMP), each center-cropped to the aspect
// ratio of `size` and resized to it, decoded on all threads. `source`
// describes them in messages.
ImageSet load_image_files(const std::vector<std::string>& files, ImageSize size, int64_t channels, std::string source,
                          BadImages bad = BadImages::Refuse);

// pix2pix's aligned pairs: every file holds the input A in its left half and
// the target B in its right half. Each half is resized and center-cropped to
// `size` like a folder image, so a.n == b.n and image i of `a` goes with image
// i of `b`. IoError naming a file whose width is odd, and the layout expected.
struct ImagePairs {
  ImageSet a, b;
};
ImagePairs load_side_by_side(const std::vector<std::string>& files, int64_t size, int64_t channels,
                             const std::string& source, BadImages bad = BadImages::Refuse);

struct Batch {
  Tensor images;                // float32 [B, C, H, W] on the CPU, in [-1, 1]
  std::vector<int64_t> labels;  // B class ids, or empty
  // Image-to-image translation: the domain-B images [B, C, S, S] that go with
  // `images` (domain A): the aligned targets for pix2pix, independent draws
  // for CycleGAN. Undefined for the single-set GANs.
  Tensor images_b;
};

// Where a loader's batches come from. Batch b of a run must be a pure function
// of b (and of what the source was built with, such as a seed): that is what
// lets a resumed run see exactly the batches the uninterrupted run would have
// seen. make_batch may be called from several threads at once.
class BatchSource {
 public:
  virtual ~BatchSource() = default;
  virtual int64_t batches_per_epoch() const = 0;
  virtual Batch make_batch(int64_t b) const = 0;
};

// The seeded shuffles of n items: the order of epoch e is a permutation that
// depends only on (seed, e), not on how many numbers earlier epochs used or on
// a resume in between. The latest epoch's order is cached (thread-safe).
class EpochOrder {
 public:
  EpochOrder(int64_t n, uint64_t seed);
  std::shared_ptr<const std::vector<int64_t>> order(int64_t epoch) const;

 private:
  int64_t n_;
  uint64_t seed_;
  mutable std::mutex mutex_;
  mutable int64_t cached_epoch_ = -1;
  mutable std::shared_ptr<const std::vector<int64_t>> cached_;
};

// Image `index` of `set` as floats in [-1, 1] (channels x crop x crop, planar):
// the crop x crop window whose top-left corner is (x0, y0), mirrored left to
// right when `flip`.
void image_window_to_float(const ImageSet& set, int64_t index, int64_t x0, int64_t y0, int64_t crop, bool flip,
                           float* out);
// The whole image `index` (channels x height x width).
void image_to_float(const ImageSet& set, int64_t index, float* out);

// The images of one set (with their labels) in a seeded order: each epoch is an
// EpochOrder permutation cut into batches of batch_size (the incomplete tail
// is dropped). `data` must outlive the source.
class ShuffledImages : public BatchSource {
 public:
  ShuffledImages(const ImageSet& data, int64_t batch_size, uint64_t seed);
  int64_t batches_per_epoch() const override { return per_epoch_; }
  Batch make_batch(int64_t b) const override;

 private:
  const ImageSet& data_;
  int64_t batch_size_, per_epoch_;
  EpochOrder order_;
};

// Hands out the batches of a BatchSource in order, from `first_batch` on. A
// background thread prepares up to `prefetch` batches ahead (shuffling,
// cropping, byte-to-float conversion) while the caller trains on the current one.
class BatchLoader {
 public:
  // The DCGAN data: ShuffledImages(data, batch_size, seed).
  BatchLoader(const ImageSet& data, int64_t batch_size, uint64_t seed, int64_t first_batch = 0, int prefetch = 2);
  explicit BatchLoader(std::shared_ptr<const BatchSource> source, int64_t first_batch = 0, int prefetch = 2);
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  // The next batch in order; rethrows an error of the background thread.
  Batch next();
  int64_t batches_per_epoch() const { return source_->batches_per_epoch(); }

  // Batch b of the run, computed directly (what the background thread does).
  Batch make_batch(int64_t b) const { return source_->make_batch(b); }

 private:
  void run();

  std::shared_ptr<const BatchSource> source_;
  size_t prefetch_;

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Batch> ready_;
  std::exception_ptr error_;
  bool stop_ = false;
  int64_t next_to_make_;
  std::thread worker_;
};

}  // namespace gan::io
