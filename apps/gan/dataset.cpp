#include "apps/gan/dataset.h"

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "core/error.h"
#include "core/io/idx.h"
#include "core/io/image.h"
#include "core/random.h"

namespace gan::app {

namespace {

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// Stores one HWC image (already size x size) as planar CHW bytes.
void store_planar(const io::Image& img, uint8_t* dst) {
  const int64_t plane = static_cast<int64_t>(img.width) * img.height;
  for (int64_t c = 0; c < img.channels; ++c)
    for (int64_t i = 0; i < plane; ++i) dst[c * plane + i] = img.pixels[static_cast<size_t>(i * img.channels + c)];
}

ImageSet from_mnist(const io::LabeledImages& src, const std::string& source, int64_t size, int64_t channels) {
  GAN_CHECK(channels == 0 || channels == 1 || channels == 3, ValueError, "--channels must be 1 or 3, got ",
            channels);
  ImageSet set;
  set.n = src.n;
  set.channels = channels == 0 ? 1 : channels;
  set.size = size;
  set.num_classes = 10;
  set.labels = src.labels;
  set.source = source;
  set.pixels.resize(static_cast<size_t>(set.n * set.image_bytes()));
  const int64_t plane = size * size;
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < set.n; ++i) {
    io::Image img;
    img.width = static_cast<int>(src.w);
    img.height = static_cast<int>(src.h);
    img.channels = 1;
    img.pixels.assign(src.pixels.begin() + i * src.h * src.w, src.pixels.begin() + (i + 1) * src.h * src.w);
    if (img.width != size || img.height != size) img = io::resize_center_crop(img, static_cast<int>(size));
    uint8_t* dst = set.pixels.data() + i * set.image_bytes();
    for (int64_t c = 0; c < set.channels; ++c) std::memcpy(dst + c * plane, img.pixels.data(), plane);
  }
  return set;
}

ImageSet from_folder(const std::string& dir, int64_t size, int64_t channels) {
  GAN_CHECK(channels == 0 || channels == 1 || channels == 3, ValueError, "--channels must be 1 or 3, got ",
            channels);
  const std::vector<std::string> files = io::list_image_files(dir);
  ImageSet set;
  set.n = static_cast<int64_t>(files.size());
  set.channels = channels == 0 ? 3 : channels;
  set.size = size;
  set.source = "folder " + dir + " (" + std::to_string(set.n) + " images)";
  set.pixels.resize(static_cast<size_t>(set.n * set.image_bytes()));
  std::exception_ptr error;
#pragma omp parallel for schedule(dynamic, 16)
  for (int64_t i = 0; i < set.n; ++i) {
    try {
      const io::Image img = io::resize_center_crop(
          io::load_image(files[static_cast<size_t>(i)], static_cast<int>(set.channels)), static_cast<int>(size));
      store_planar(img, set.pixels.data() + i * set.image_bytes());
    } catch (...) {
#pragma omp critical(gan_folder_error)
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
  return set;
}

}  // namespace

ImageSet load_image_set(const std::string& spec, int64_t size, int64_t channels, bool train) {
  GAN_CHECK(size >= 1, ValueError, "image size must be positive, got ", size);
  if (spec == "fashion-mnist") {
    GAN_CHECK(std::filesystem::is_directory(kFashionMnistDir), IoError, "Fashion-MNIST is not installed (",
              kFashionMnistDir, " is missing): install it with 'apt-get install dataset-fashion-mnist', "
              "or pass --dataset idx:DIR or folder:DIR");
    return from_mnist(io::load_mnist_dir(kFashionMnistDir, train),
                      std::string("fashion-mnist (") + kFashionMnistDir + ")", size, channels);
  }
  if (starts_with(spec, "idx:")) {
    const std::string dir = spec.substr(4);
    GAN_CHECK(!dir.empty(), ValueError, "--dataset idx:DIR needs a directory after 'idx:'");
    return from_mnist(io::load_mnist_dir(dir, train), "idx " + dir, size, channels);
  }
  if (starts_with(spec, "folder:")) {
    const std::string dir = spec.substr(7);
    GAN_CHECK(!dir.empty(), ValueError, "--dataset folder:DIR needs a directory after 'folder:'");
    return from_folder(dir, size, channels);
  }
  throw ValueError("unknown --dataset '" + spec + "': use fashion-mnist, idx:DIR (MNIST-style IDX files) or "
                   "folder:DIR (a folder of PNG/JPEG/BMP images)");
}

// ---- BatchLoader ---------------------------------------------------------------

BatchLoader::BatchLoader(const ImageSet& data, int64_t batch_size, uint64_t seed, int64_t first_batch, int prefetch)
    : data_(data),
      batch_size_(batch_size),
      per_epoch_(batch_size > 0 ? data.n / batch_size : 0),
      seed_(seed),
      prefetch_(static_cast<size_t>(std::max(1, prefetch))),
      next_to_make_(first_batch) {
  GAN_CHECK(batch_size >= 1, ValueError, "batch size must be at least 1, got ", batch_size);
  GAN_CHECK(per_epoch_ >= 1, ValueError, "the data set (", data.source, ") has ", data.n,
            " images, fewer than one batch of ", batch_size, ": lower --batch-size");
  worker_ = std::thread([this] { run(); });
}

BatchLoader::~BatchLoader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

std::vector<int64_t> BatchLoader::permutation(int64_t epoch) const {
  // Its own generator per epoch: the order of epoch e does not depend on how
  // many numbers earlier epochs used (or on a resume in between).
  Generator gen(seed_ * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(epoch) + 1);
  std::vector<int64_t> perm(static_cast<size_t>(data_.n));
  for (int64_t i = 0; i < data_.n; ++i) perm[static_cast<size_t>(i)] = i;
  for (int64_t i = data_.n - 1; i > 0; --i)  // Fisher-Yates
    std::swap(perm[static_cast<size_t>(i)], perm[gen.next_below(static_cast<uint64_t>(i + 1))]);
  return perm;
}

Batch BatchLoader::make_batch(int64_t b) const { return make_batch(b, permutation(b / per_epoch_)); }

Batch BatchLoader::make_batch(int64_t b, const std::vector<int64_t>& perm) const {
  const int64_t first = (b % per_epoch_) * batch_size_;
  const int64_t bytes = data_.image_bytes();
  Batch batch;
  batch.images = Tensor::empty({batch_size_, data_.channels, data_.size, data_.size});
  float* out = batch.images.data<float>();
  for (int64_t i = 0; i < batch_size_; ++i) {
    const int64_t idx = perm[static_cast<size_t>(first + i)];
    const uint8_t* src = data_.pixels.data() + idx * bytes;
    for (int64_t k = 0; k < bytes; ++k) out[i * bytes + k] = static_cast<float>(src[k]) / 127.5f - 1.0f;
    if (!data_.labels.empty()) batch.labels.push_back(data_.labels[static_cast<size_t>(idx)]);
  }
  return batch;
}

void BatchLoader::run() {
  int64_t perm_epoch = -1;
  std::vector<int64_t> perm;
  try {
    while (true) {
      int64_t b;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [&] { return stop_ || ready_.size() < prefetch_; });
        if (stop_) return;
        b = next_to_make_++;
      }
      if (b / per_epoch_ != perm_epoch) {
        perm_epoch = b / per_epoch_;
        perm = permutation(perm_epoch);
      }
      Batch batch = make_batch(b, perm);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        ready_.push_back(std::move(batch));
      }
      cv_.notify_all();
    }
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    error_ = std::current_exception();
    cv_.notify_all();
  }
}

Batch BatchLoader::next() {
  std::unique_lock<std::mutex> lock(mutex_);
  cv_.wait(lock, [&] { return !ready_.empty() || error_; });
  if (ready_.empty()) std::rethrow_exception(error_);
  Batch batch = std::move(ready_.front());
  ready_.pop_front();
  lock.unlock();
  cv_.notify_all();
  return batch;
}

}  // namespace gan::app
