// Training images for the GANs: where they come from (a --dataset spec), how
// they are held in memory, and the seeded, background batch loader.
//
// Specs:
//   fashion-mnist   Debian's dataset-fashion-mnist (IDX files in kFashionMnistDir)
//   idx:DIR         an MNIST-style directory (train-images-idx3-ubyte[.gz] + labels)
//   folder:DIR      image files (PNG, JPEG, BMP) directly inside DIR, no labels
// Images are resized (shorter side) and center-cropped to the model's size and
// kept as bytes; the loader converts each batch to floats in [-1, 1].
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/tensor.h"

namespace gan::app {

// Where Debian's dataset-fashion-mnist package puts the IDX files.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// n images of channels x size x size bytes, planar (CHW), image after image.
struct ImageSet {
  int64_t n = 0, channels = 0, size = 0;
  std::vector<uint8_t> pixels;
  std::vector<uint8_t> labels;  // one class id per image; empty when the source has none
  int64_t num_classes = 0;      // 10 for the MNIST family, 0 without labels
  std::string source;           // what was loaded, for messages and logs

  int64_t image_bytes() const { return channels * size * size; }
};

// Loads a spec (see above), resized to `size` pixels with `channels` channels
// (0: the source's own: 1 for IDX, 3 for folders; gray sources are replicated
// to 3 channels when 3 are asked for). `train` picks the training split of IDX
// data (false: the test split). IoError / ValueError with what to do.
ImageSet load_image_set(const std::string& spec, int64_t size, int64_t channels, bool train = true);

struct Batch {
  Tensor images;                // float32 [B, C, S, S] on the CPU, in [-1, 1]
  std::vector<int64_t> labels;  // B class ids, or empty
};

// Hands out batches in a seeded order: the images of epoch e are a random
// permutation that depends only on (seed, e), cut into batches of batch_size
// (the incomplete tail is dropped). Batch b of the whole run is therefore a
// pure function of (seed, b), which is what lets a resumed run see exactly the
// batches the uninterrupted run would have seen.
//
// A background thread prepares up to `prefetch` batches ahead (permutation,
// byte-to-float conversion) while the caller trains on the current one.
class BatchLoader {
 public:
  BatchLoader(const ImageSet& data, int64_t batch_size, uint64_t seed, int64_t first_batch = 0, int prefetch = 2);
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  // The next batch in order; rethrows an error of the background thread.
  Batch next();
  int64_t batches_per_epoch() const { return per_epoch_; }

  // Batch b of a run, computed directly (the background thread does the same
  // with the epoch's permutation cached).
  Batch make_batch(int64_t b) const;

 private:
  Batch make_batch(int64_t b, const std::vector<int64_t>& perm) const;
  void run();
  std::vector<int64_t> permutation(int64_t epoch) const;

  const ImageSet& data_;
  int64_t batch_size_, per_epoch_;
  uint64_t seed_;
  size_t prefetch_;

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Batch> ready_;
  std::exception_ptr error_;
  bool stop_ = false;
  int64_t next_to_make_;
  std::thread worker_;
};

}  // namespace gan::app
