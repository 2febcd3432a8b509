#include "core/io/dataset.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <utility>

#include "core/error.h"
#include "core/io/idx.h"
#include "core/io/image.h"
#include "core/random.h"

namespace gan::io {

namespace {

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// Stores one HWC image (already the set's height x width) as planar CHW bytes.
void store_planar(const Image& img, uint8_t* dst) {
  const int64_t plane = static_cast<int64_t>(img.width) * img.height;
  for (int64_t c = 0; c < img.channels; ++c)
    for (int64_t i = 0; i < plane; ++i) dst[c * plane + i] = img.pixels[static_cast<size_t>(i * img.channels + c)];
}

void check_channels(int64_t channels) {
  GAN_CHECK(channels == 0 || channels == 1 || channels == 3, ValueError, "--channels must be 1 or 3, got ",
            channels);
}

// An empty set of n images of `channels` x height x width bytes.
ImageSet empty_set(int64_t n, int64_t channels, ImageSize size, std::string source) {
  ImageSet set;
  set.n = n;
  set.channels = channels;
  set.height = size.height;
  set.width = size.width;
  set.source = std::move(source);
  set.pixels.resize(static_cast<size_t>(set.n * set.image_bytes()));
  return set;
}

ImageSet from_mnist(const LabeledImages& src, const std::string& source, ImageSize size, int64_t channels) {
  check_channels(channels);
  ImageSet set = empty_set(src.n, channels == 0 ? 1 : channels, size, source);
  set.num_classes = 10;
  set.labels = src.labels;
  const int64_t plane = size.height * size.width;
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < set.n; ++i) {
    Image img;
    img.width = static_cast<int>(src.w);
    img.height = static_cast<int>(src.h);
    img.channels = 1;
    img.pixels.assign(src.pixels.begin() + i * src.h * src.w, src.pixels.begin() + (i + 1) * src.h * src.w);
    if (img.width != size.width || img.height != size.height)
      img = resize_center_crop(img, static_cast<int>(size.height), static_cast<int>(size.width));
    uint8_t* dst = set.pixels.data() + i * set.image_bytes();
    for (int64_t c = 0; c < set.channels; ++c) std::memcpy(dst + c * plane, img.pixels.data(), plane);
  }
  return set;
}

// Decodes every file through store(i, image) on all threads. Files that
// cannot be used (IoError) are collected, not thrown one by one: with
// BadImages::Refuse all of them are reported in one error (the first
// kMaxListed with their reasons, and the count), rather than one per run;
// with Skip their (index, reason) are returned in file order. An error that
// is not about a file (out of memory) is rethrown as is.
constexpr size_t kMaxListed = 10;

// "\n  reason" for the first kMaxListed of `count` reasons (reason(k) gives
// the k-th), then "\n  ... and N more": how a refusal and a skip list files.
template <typename Reason>
void list_reasons(std::ostringstream& m, size_t count, const Reason& reason) {
  for (size_t k = 0; k < std::min(count, kMaxListed); ++k) m << "\n  " << reason(k);
  if (count > kMaxListed) m << "\n  ... and " << count - kMaxListed << " more";
}

template <typename Store>
std::vector<std::pair<int64_t, std::string>> decode_each(const std::vector<std::string>& files, int64_t channels,
                                                         BadImages policy, const Store& store) {
  const auto n = static_cast<int64_t>(files.size());
  std::vector<std::pair<int64_t, std::string>> bad;  // (index, reason)
  std::exception_ptr other;
#pragma omp parallel for schedule(dynamic, 16)
  for (int64_t i = 0; i < n; ++i) {
    try {
      store(i, load_image(files[static_cast<size_t>(i)], static_cast<int>(channels)));
    } catch (const IoError& e) {
#pragma omp critical(gan_folder_error)
      bad.emplace_back(i, e.what());
    } catch (...) {
#pragma omp critical(gan_folder_error)
      if (!other) other = std::current_exception();
    }
  }
  if (other) std::rethrow_exception(other);
  std::sort(bad.begin(), bad.end());  // in file order, whatever the threads did
  if (bad.empty() || (policy == BadImages::Skip && bad.size() < files.size())) return bad;
  std::ostringstream m;
  m << bad.size() << " of " << n << " image files cannot be used:";
  list_reasons(m, bad.size(), [&](size_t k) { return bad[k].second; });
  m << (bad.size() == files.size() ? "\nnone is left to train on: replace them and run again"
                                   : "\nremove or replace them and run again, or leave them out with --skip-bad-images "
                                     "(the training commands)");
  throw IoError(m.str());
}

// Drops the images at the (sorted) bad indices, keeping the others in order,
// and records why each was left out.
void drop_images(ImageSet& set, const std::vector<std::pair<int64_t, std::string>>& bad) {
  if (bad.empty()) return;
  const auto bytes = static_cast<size_t>(set.image_bytes());
  size_t next_bad = 0;
  int64_t kept = 0;
  for (int64_t i = 0; i < set.n; ++i) {
    if (next_bad < bad.size() && bad[next_bad].first == i) {
      ++next_bad;
      continue;
    }
    if (kept != i) std::memmove(set.pixels.data() + kept * bytes, set.pixels.data() + i * bytes, bytes);
    ++kept;
  }
  set.n = kept;
  set.pixels.resize(static_cast<size_t>(kept) * bytes);
  for (const auto& [index, reason] : bad) set.skipped.push_back(reason);
}

ImageSet from_folder(const std::string& dir, ImageSize size, int64_t channels, BadImages bad) {
  const std::vector<std::string> files = list_image_files(dir);
  return load_image_files(files, size, channels, "folder " + dir + " (" + std::to_string(files.size()) + " images)",
                          bad);
}

// The images of one class: the same pixels and labels, the others left out.
LabeledImages only_class(const LabeledImages& src, int64_t label) {
  GAN_CHECK(label >= 0 && label <= 9, ValueError, "class ", label, " is outside 0..9");
  LabeledImages out;
  out.h = src.h;
  out.w = src.w;
  const size_t bytes = static_cast<size_t>(src.h * src.w);
  for (int64_t i = 0; i < src.n; ++i) {
    if (src.labels[static_cast<size_t>(i)] != label) continue;
    out.pixels.insert(out.pixels.end(), src.pixels.begin() + static_cast<std::ptrdiff_t>(i * bytes),
                      src.pixels.begin() + static_cast<std::ptrdiff_t>((i + 1) * bytes));
    out.labels.push_back(static_cast<uint8_t>(label));
    ++out.n;
  }
  return out;
}

// The IDX directory and a description of a spec that names one (fashion-mnist,
// idx:DIR); an empty directory for other specs.
std::pair<std::string, std::string> idx_source(const std::string& spec) {
  if (spec == "fashion-mnist") {
    GAN_CHECK(std::filesystem::is_directory(kFashionMnistDir), IoError, "Fashion-MNIST is not installed (",
              kFashionMnistDir, " is missing): install it with 'apt-get install dataset-fashion-mnist', "
              "or pass --dataset idx:DIR or folder:DIR");
    return {kFashionMnistDir, std::string("fashion-mnist (") + kFashionMnistDir + ")"};
  }
  if (starts_with(spec, "idx:")) {
    const std::string dir = spec.substr(4);
    GAN_CHECK(!dir.empty(), ValueError, "--dataset idx:DIR needs a directory after 'idx:'");
    return {dir, "idx " + dir};
  }
  return {};
}

// The folder a spec reads, and its kind; IoError when it does not exist.
std::pair<std::string, std::string> spec_folder(const std::string& spec) {
  const auto [idx_dir, description] = idx_source(spec);
  std::string dir = idx_dir, kind = "idx";
  if (dir.empty()) {
    dir = image_folder(spec);
    GAN_CHECK(!dir.empty(), ValueError, "unknown --dataset '", spec, "': use fashion-mnist, idx:DIR or folder:DIR");
    kind = "folder";
  }
  GAN_CHECK(std::filesystem::is_directory(dir), IoError, "the data set's folder ", dir, " does not exist");
  return {dir, kind};
}

}  // namespace

std::string image_folder(const std::string& spec) { return starts_with(spec, "folder:") ? spec.substr(7) : ""; }

std::string absolute_spec(const std::string& spec) {
  for (const char* prefix : {"idx:", "folder:"}) {
    const std::string p = prefix;
    if (starts_with(spec, p) && spec.size() > p.size())
      return p + std::filesystem::absolute(spec.substr(p.size())).lexically_normal().string();
  }
  return spec;
}

std::string DatasetIdentity::str() const {
  return kind + ", " + std::to_string(files) + (files == 1 ? " file" : " files") + ", fingerprint " + fingerprint;
}

std::string DatasetIdentity::meta() const { return kind + "/" + std::to_string(files) + "/" + fingerprint; }

DatasetIdentity DatasetIdentity::from_meta(const std::string& text) {
  const size_t a = text.find('/'), b = text.find('/', a == std::string::npos ? a : a + 1);
  GAN_CHECK(a != std::string::npos && b != std::string::npos && b > a + 1, IoError,
            "the checkpoint's data set identity '", text, "' is damaged");
  DatasetIdentity id{text.substr(0, a), 0, text.substr(b + 1)};
  try {
    id.files = std::stoll(text.substr(a + 1, b - a - 1));
  } catch (const std::exception&) {
    throw IoError("the checkpoint's data set identity '" + text + "' is damaged");
  }
  return id;
}

std::string skipped_summary(const ImageSet& set) {
  if (set.skipped.empty()) return "";
  std::ostringstream m;
  m << "skipped " << set.skipped.size() << " of " << set.n + static_cast<int64_t>(set.skipped.size())
    << " image files that cannot be used (--skip-bad-images):";
  list_reasons(m, set.skipped.size(), [&](size_t k) { return set.skipped[k]; });
  return m.str();
}

DatasetIdentity dataset_identity(const std::string& spec) {
  const auto [dir, kind] = spec_folder(spec);
  return folder_identity(kind, dir, {""});
}

DatasetIdentity folder_identity(const std::string& kind, const std::string& dir,
                                const std::vector<std::string>& subfolders) {
  std::vector<std::pair<std::string, uintmax_t>> files;
  for (const std::string& sub : subfolders) {
    const std::filesystem::path folder = std::filesystem::path(dir) / sub;
    if (!std::filesystem::is_directory(folder)) continue;
    for (const auto& entry : std::filesystem::directory_iterator(folder))
      if (entry.is_regular_file())
        files.emplace_back((sub.empty() ? "" : sub + "/") + entry.path().filename().string(), entry.file_size());
  }
  std::sort(files.begin(), files.end());
  uint64_t h = 14695981039346656037ull;  // FNV-1a, 64 bit
  const auto mix = [&h](const void* data, size_t n) {
    for (size_t i = 0; i < n; ++i) h = (h ^ static_cast<const uint8_t*>(data)[i]) * 1099511628211ull;
  };
  for (const auto& [name, size] : files) {
    mix(name.data(), name.size() + 1);  // with the '\0': "ab"+"c" differs from "a"+"bc"
    const uint64_t bytes = size;
    mix(&bytes, sizeof bytes);
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return {kind, static_cast<int64_t>(files.size()), hex};
}

ImageSet load_image_set(const std::string& spec, ImageSize size, int64_t channels, bool train, BadImages bad) {
  GAN_CHECK(size.height >= 1 && size.width >= 1, ValueError, "image size must be positive, got ", size.height, "x",
            size.width);
  const auto [idx_dir, description] = idx_source(spec);
  if (!idx_dir.empty()) return from_mnist(load_mnist_dir(idx_dir, train), description, size, channels);
  if (starts_with(spec, "folder:")) {
    const std::string dir = image_folder(spec);
    GAN_CHECK(!dir.empty(), ValueError, "--dataset folder:DIR needs a directory after 'folder:'");
    return from_folder(dir, size, channels, bad);
  }
  throw ValueError("unknown --dataset '" + spec + "': use fashion-mnist, idx:DIR (MNIST-style IDX files) or "
                   "folder:DIR (a folder of PNG/JPEG/BMP images)");
}

ImageSet load_image_class(const std::string& spec, int64_t label, int64_t size, int64_t channels, bool train) {
  GAN_CHECK(size >= 1, ValueError, "image size must be positive, got ", size);
  const auto [idx_dir, description] = idx_source(spec);
  GAN_CHECK(!idx_dir.empty(), ValueError, "selecting class ", label, " needs a labelled IDX data set "
            "(fashion-mnist or idx:DIR), not '", spec, "'");
  const LabeledImages images = only_class(load_mnist_dir(idx_dir, train), label);
  const std::string split = train ? "training" : "test";
  GAN_CHECK(images.n > 0, ValueError, "class ", label, " of ", description, " has no images in the ", split,
            " split");
  return from_mnist(images, description + ", class " + std::to_string(label) + ", " + split + " split", size,
                    channels);
}

ImageSet load_image_files(const std::vector<std::string>& files, ImageSize size, int64_t channels, std::string source,
                          BadImages bad) {
  check_channels(channels);
  GAN_CHECK(size.height >= 1 && size.width >= 1, ValueError, "image size must be positive, got ", size.height, "x",
            size.width);
  ImageSet set = empty_set(static_cast<int64_t>(files.size()), channels == 0 ? 3 : channels, size, std::move(source));
  drop_images(set, decode_each(files, set.channels, bad, [&](int64_t i, const Image& img) {
                store_planar(resize_center_crop(img, static_cast<int>(size.height), static_cast<int>(size.width)),
                             set.pixels.data() + i * set.image_bytes());
              }));
  return set;
}

ImagePairs load_side_by_side(const std::vector<std::string>& files, int64_t size, int64_t channels,
                             const std::string& source, BadImages bad) {
  check_channels(channels);
  GAN_CHECK(size >= 1, ValueError, "image size must be positive, got ", size);
  const auto n = static_cast<int64_t>(files.size());
  ImagePairs pairs{empty_set(n, channels == 0 ? 3 : channels, size, source + ", left halves (A)"),
                   empty_set(n, channels == 0 ? 3 : channels, size, source + ", right halves (B)")};
  const auto unusable = decode_each(files, pairs.a.channels, bad, [&](int64_t i, const Image& img) {
    GAN_CHECK(img.width % 2 == 0 && img.width >= 2, IoError, files[static_cast<size_t>(i)], " is ", img.width, " x ",
              img.height, " pixels: an A|B pair needs an even width (input A on the left half, target B on the "
              "right half, side by side, as pix2pix's data sets are laid out)");
    for (int half = 0; half < 2; ++half) {
      Image part;
      part.width = img.width / 2;
      part.height = img.height;
      part.channels = img.channels;
      part.pixels.resize(static_cast<size_t>(part.width * part.height * part.channels));
      const size_t row = static_cast<size_t>(part.width * part.channels);
      for (int y = 0; y < img.height; ++y)
        std::memcpy(part.pixels.data() + y * row, img.pixels.data() + (2 * y + half) * row, row);
      ImageSet& set = half == 0 ? pairs.a : pairs.b;
      store_planar(resize_center_crop(part, static_cast<int>(size)), set.pixels.data() + i * set.image_bytes());
    }
  });
  drop_images(pairs.a, unusable);
  drop_images(pairs.b, unusable);
  pairs.b.skipped.clear();  // the same files: named once, with A
  return pairs;
}

// ---- batches -------------------------------------------------------------------

EpochOrder::EpochOrder(int64_t n, uint64_t seed) : n_(n), seed_(seed) {}

std::shared_ptr<const std::vector<int64_t>> EpochOrder::order(int64_t epoch) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (epoch == cached_epoch_) return cached_;
  // Its own generator per epoch: the order of epoch e does not depend on how
  // many numbers earlier epochs used (or on a resume in between).
  Rng rng(seed_ * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(epoch) + 1);
  auto perm = std::make_shared<std::vector<int64_t>>(static_cast<size_t>(n_));
  for (int64_t i = 0; i < n_; ++i) (*perm)[static_cast<size_t>(i)] = i;
  for (int64_t i = n_ - 1; i > 0; --i)  // Fisher-Yates
    std::swap((*perm)[static_cast<size_t>(i)], (*perm)[rng.next_below(static_cast<uint64_t>(i + 1))]);
  cached_epoch_ = epoch;
  cached_ = std::move(perm);
  return cached_;
}

void image_window_to_float(const ImageSet& set, int64_t index, int64_t x0, int64_t y0, int64_t crop, bool flip,
                           float* out) {
  const uint8_t* image = set.pixels.data() + index * set.image_bytes();
  for (int64_t c = 0; c < set.channels; ++c)
    for (int64_t y = 0; y < crop; ++y) {
      const uint8_t* row = image + (c * set.height + y0 + y) * set.width + x0;
      float* dst = out + (c * crop + y) * crop;
      for (int64_t x = 0; x < crop; ++x) dst[x] = static_cast<float>(row[flip ? crop - 1 - x : x]) / 127.5f - 1.0f;
    }
}

void image_to_float(const ImageSet& set, int64_t index, float* out) {
  const uint8_t* image = set.pixels.data() + index * set.image_bytes();
  for (int64_t i = 0; i < set.image_bytes(); ++i) out[i] = static_cast<float>(image[i]) / 127.5f - 1.0f;
}

ShuffledImages::ShuffledImages(const ImageSet& data, int64_t batch_size, uint64_t seed)
    : data_(data),
      batch_size_(batch_size),
      per_epoch_(batch_size > 0 ? data.n / batch_size : 0),
      order_(data.n, seed) {
  GAN_CHECK(batch_size >= 1, ValueError, "batch size must be at least 1, got ", batch_size);
  GAN_CHECK(per_epoch_ >= 1, ValueError, "the data set (", data.source, ") has ", data.n,
            " images, fewer than one batch of ", batch_size, ": lower --batch-size");
}

Batch ShuffledImages::make_batch(int64_t b) const {
  const std::shared_ptr<const std::vector<int64_t>> perm = order_.order(b / per_epoch_);
  const int64_t first = (b % per_epoch_) * batch_size_;
  Batch batch;
  batch.images = Tensor::empty({batch_size_, data_.channels, data_.height, data_.width});
  float* out = batch.images.data<float>();
  for (int64_t i = 0; i < batch_size_; ++i) {
    const int64_t idx = (*perm)[static_cast<size_t>(first + i)];
    image_to_float(data_, idx, out + i * data_.image_bytes());
    if (!data_.labels.empty()) batch.labels.push_back(data_.labels[static_cast<size_t>(idx)]);
  }
  return batch;
}

BatchLoader::BatchLoader(const ImageSet& data, int64_t batch_size, uint64_t seed, int64_t first_batch, int prefetch)
    : BatchLoader(std::make_shared<ShuffledImages>(data, batch_size, seed), first_batch, prefetch) {}

BatchLoader::BatchLoader(std::shared_ptr<const BatchSource> source, int64_t first_batch, int prefetch)
    : source_(std::move(source)), prefetch_(static_cast<size_t>(std::max(1, prefetch))), next_to_make_(first_batch) {
  GAN_CHECK(source_ && source_->batches_per_epoch() >= 1, ValueError, "BatchLoader: the source has no batches");
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

void BatchLoader::run() {
  try {
    while (true) {
      int64_t b;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [&] { return stop_ || ready_.size() < prefetch_; });
        if (stop_) return;
        b = next_to_make_++;
      }
      Batch batch = source_->make_batch(b);
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

}  // namespace gan::io
