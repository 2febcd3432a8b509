#include "core/io/translation_data.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "core/error.h"
#include "core/io/image.h"
#include "core/random.h"

namespace gan::io {

namespace {

namespace fs = std::filesystem;

const std::string kUnpairedLayout =
    "CycleGAN's layout: DIR/trainA/ and DIR/trainB/ holding the images of domain A and of domain B "
    "(optionally DIR/testA/ and DIR/testB/ for the sample grids), or fashion-mnist:CA,CB for two Fashion-MNIST "
    "classes";
const std::string kPairedLayout =
    "pix2pix's layout: DIR/train/ holding A|B images (the input A on the left half, the target B on the right "
    "half), optionally DIR/val/ or DIR/test/ with pairs for the sample grids";

bool is_dir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

// The image files of DIR/sub; IoError naming what is missing and the layout
// expected when the folder is absent or holds no images.
std::vector<std::string> layout_files(const std::string& dir, const std::string& sub, const std::string& layout) {
  GAN_CHECK(is_dir(dir), IoError, "--data ", dir, " is not a directory; expected ", layout);
  const fs::path folder = fs::path(dir) / sub;
  GAN_CHECK(is_dir(folder), IoError, dir, " has no ", sub, "/ folder; expected ", layout);
  try {
    return list_image_files(folder.string());
  } catch (const IoError& e) {
    throw IoError(std::string(e.what()) + " Expected " + layout);
  }
}

std::vector<std::string> first_files(std::vector<std::string> files, int64_t n) {
  if (static_cast<int64_t>(files.size()) > n) files.resize(static_cast<size_t>(n));
  return files;
}

std::string folder(const std::string& dir, const std::string& sub) { return (fs::path(dir) / sub).string(); }

// The first n images of a set (all of them when it has fewer).
ImageSet first_images(ImageSet set, int64_t n) {
  set.n = std::min(set.n, n);
  set.pixels.resize(static_cast<size_t>(set.n * set.image_bytes()));
  if (!set.labels.empty()) set.labels.resize(static_cast<size_t>(set.n));
  return set;
}

// "fashion-mnist:7,9" -> ("fashion-mnist", 7, 9); "idx:DIR:0,1" -> ("idx:DIR", 0, 1).
struct ClassSpec {
  std::string dataset;
  int64_t class_a = 0, class_b = 0;
};

ClassSpec parse_class_spec(const std::string& spec) {
  const std::string usage = "give two classes, e.g. fashion-mnist:7,9 (sneakers as A, ankle boots as B) or "
                            "idx:DIR:0,1";
  const size_t colon = spec.rfind(':');
  const bool idx = spec.rfind("idx:", 0) == 0;
  GAN_CHECK(colon != std::string::npos && !(idx && colon == 3), ValueError, "--data ", spec, ": ", usage);
  ClassSpec c;
  c.dataset = spec.substr(0, colon);
  std::istringstream in(spec.substr(colon + 1));
  char comma = 0;
  in >> c.class_a >> comma >> c.class_b;
  GAN_CHECK(in && comma == ',' && in.peek() == std::char_traits<char>::eof(), ValueError, "--data ", spec,
            ": the classes must be two numbers 0..9 separated by a comma; ", usage);
  GAN_CHECK(c.class_a >= 0 && c.class_a <= 9 && c.class_b >= 0 && c.class_b <= 9 && c.class_a != c.class_b,
            ValueError, "--data ", spec, ": the classes must be two different numbers 0..9; ", usage);
  return c;
}

// One class's images of the test split for the grids, or of the training
// split when the IDX directory has no test split.
ImageSet test_class(const std::string& dataset, int64_t label, const TranslationDataOptions& o) {
  ImageSet set;
  try {
    set = load_image_class(dataset, label, o.image_size, o.channels, /*train=*/false);
  } catch (const IoError&) {
    set = load_image_class(dataset, label, o.image_size, o.channels, /*train=*/true);
  }
  return first_images(std::move(set), o.test_images);
}

// CycleGAN's folder layout into d (its training sets and test images).
void load_unpaired_folders(const std::string& spec, const TranslationDataOptions& o, TranslationData& d) {
  if (is_dir(fs::path(spec) / "train")) {
    throw IoError(spec + " has a train/ folder but no trainA/ and trainB/: it looks like pix2pix's paired layout "
                  "(use 'gan pix2pix train'); 'gan cyclegan train' expects " + kUnpairedLayout);
  }
  const auto domain = [&](const char* train_sub, const char* test_sub, ImageSet& train, ImageSet& test) {
    const std::vector<std::string> files = layout_files(spec, train_sub, kUnpairedLayout);
    train = load_image_files(files, o.load_size, o.channels, folder(spec, train_sub), o.bad_images);
    const bool has_test = is_dir(fs::path(spec) / test_sub);
    const std::vector<std::string> shown =
        first_files(has_test ? layout_files(spec, test_sub, kUnpairedLayout) : files, o.test_images);
    test = load_image_files(shown, o.image_size, o.channels, folder(spec, has_test ? test_sub : train_sub),
                            o.bad_images);
  };
  domain("trainA", "testA", d.train_a, d.test_a);
  domain("trainB", "testB", d.train_b, d.test_b);
}

}  // namespace

std::string TranslationData::describe() const {
  if (paired) return std::to_string(train_a.n) + " pairs: A = " + train_a.source + ", B = " + train_b.source;
  return "A: " + std::to_string(train_a.n) + " images of " + train_a.source + "; B: " + std::to_string(train_b.n) +
         " images of " + train_b.source;
}

bool is_class_spec(const std::string& spec) {
  return spec.rfind("fashion-mnist", 0) == 0 || spec.rfind("idx:", 0) == 0;
}

std::string absolute_data_spec(const std::string& spec) {
  if (spec.empty() || spec.rfind("fashion-mnist", 0) == 0) return spec;
  if (spec.rfind("idx:", 0) == 0) {
    const ClassSpec c = parse_class_spec(spec);
    return absolute_spec(c.dataset) + spec.substr(c.dataset.size());
  }
  return fs::absolute(spec).lexically_normal().string();
}

DatasetIdentity data_identity(const std::string& spec) {
  if (is_class_spec(spec)) return dataset_identity(parse_class_spec(spec).dataset);
  GAN_CHECK(is_dir(spec), IoError, "the data folder ", spec, " does not exist");
  return folder_identity("folder", spec, {"trainA", "trainB", "testA", "testB", "train", "val", "test"});
}

int64_t default_load_size(int64_t image_size) {
  return static_cast<int64_t>(std::lround(static_cast<double>(image_size) * 286.0 / 256.0));
}

TranslationData load_unpaired(const std::string& spec, const TranslationDataOptions& o) {
  TranslationData d;
  if (is_class_spec(spec)) {
    const ClassSpec c = parse_class_spec(spec);
    d.train_a = load_image_class(c.dataset, c.class_a, o.load_size, o.channels);
    d.train_b = load_image_class(c.dataset, c.class_b, o.load_size, o.channels);
    d.test_a = test_class(c.dataset, c.class_a, o);
    d.test_b = test_class(c.dataset, c.class_b, o);
  } else {
    load_unpaired_folders(spec, o, d);
  }
  // The grids show the test images in pairs of columns: as many of A as of B.
  const int64_t shown = std::min(d.test_a.n, d.test_b.n);
  d.test_a = first_images(std::move(d.test_a), shown);
  d.test_b = first_images(std::move(d.test_b), shown);
  return d;
}
TranslationData load_paired(const std::string& dir, const TranslationDataOptions& o) {
  if (is_dir(fs::path(dir) / "trainA") && !is_dir(fs::path(dir) / "train")) {
    throw IoError(dir + " has trainA/ but no train/ folder: it looks like CycleGAN's unpaired layout (use 'gan "
                  "cyclegan train'); 'gan pix2pix train' expects " + kPairedLayout);
  }
  const std::vector<std::string> files = layout_files(dir, "train", kPairedLayout);
  TranslationData d;
  d.paired = true;
  ImagePairs train = load_side_by_side(files, o.load_size, o.channels, folder(dir, "train"), o.bad_images);
  std::string test_sub = "train";
  for (const char* sub : {"val", "test"})
    if (is_dir(fs::path(dir) / sub)) {
      test_sub = sub;
      break;
    }
  const std::vector<std::string> shown =
      first_files(test_sub == "train" ? files : layout_files(dir, test_sub, kPairedLayout), o.test_images);
  ImagePairs test = load_side_by_side(shown, o.image_size, o.channels, folder(dir, test_sub), o.bad_images);
  if (o.swap_halves) {
    std::swap(train.a, train.b);
    std::swap(test.a, test.b);
  }
  d.train_a = std::move(train.a);
  d.train_b = std::move(train.b);
  d.test_a = std::move(test.a);
  d.test_b = std::move(test.b);
  return d;
}

// ---- batches --------------------------------------------------------------------

TranslationBatches::TranslationBatches(const TranslationData& data, int64_t batch_size, int64_t image_size, bool flip,
                                       uint64_t seed)
    : data_(data),
      batch_size_(batch_size),
      image_size_(image_size),
      per_epoch_(batch_size > 0 ? std::max(data.train_a.n, data.train_b.n) / batch_size : 0),
      flip_(flip),
      augment_seed_(stream_seed(seed, 3)),
      order_a_(data.train_a.n, stream_seed(seed, 1)),
      order_b_(data.train_b.n, stream_seed(seed, 2)) {
  GAN_CHECK(batch_size >= 1, ValueError, "batch size must be at least 1, got ", batch_size);
  GAN_CHECK(data.train_a.n >= 1 && data.train_b.n >= 1, ValueError, "both domains need images; A has ",
            data.train_a.n, ", B has ", data.train_b.n);
  GAN_CHECK(per_epoch_ >= 1, ValueError, "the data (", data.describe(), ") has fewer images than one batch of ",
            batch_size, ": lower --batch-size");
  GAN_CHECK(data.train_a.channels == data.train_b.channels, ValueError, "domains A and B have ",
            data.train_a.channels, " and ", data.train_b.channels, " channels; give --channels");
  // Translation images are square (loaded at --load-size on each side).
  GAN_CHECK(image_size >= 1 && image_size <= data.train_a.height && data.train_a.height == data.train_b.height,
            ValueError, "the crop size ", image_size, " must be at most the load size ", data.train_a.height,
            " (and both domains loaded at one size)");
  GAN_CHECK(!data.paired || data.train_a.n == data.train_b.n, ValueError, "paired data needs as many A as B images");
}

Batch TranslationBatches::make_batch(int64_t b) const {
  const int64_t c = data_.channels(), s = image_size_, span = data_.train_a.height - s + 1;
  Batch batch;
  batch.images = Tensor::empty({batch_size_, c, s, s});
  batch.images_b = Tensor::empty({batch_size_, c, s, s});
  float* out_a = batch.images.data<float>();
  float* out_b = batch.images_b.data<float>();
  // Position p of a domain's endless sequence of permutations.
  const auto item = [](const EpochOrder& order, int64_t n, int64_t p) {
    return (*order.order(p / n))[static_cast<size_t>(p % n)];
  };
  Rng rng(stream_seed(augment_seed_, static_cast<uint64_t>(b)));
  struct Window {
    int64_t x0, y0;
    bool flip;
  };
  const auto draw = [&] {
    Window w;
    w.x0 = static_cast<int64_t>(rng.next_below(static_cast<uint64_t>(span)));
    w.y0 = static_cast<int64_t>(rng.next_below(static_cast<uint64_t>(span)));
    w.flip = flip_ && rng.next_below(2) == 1;
    return w;
  };
  for (int64_t i = 0; i < batch_size_; ++i) {
    const int64_t p = b * batch_size_ + i;
    const int64_t ia = item(order_a_, data_.train_a.n, p);
    const int64_t ib = data_.paired ? ia : item(order_b_, data_.train_b.n, p);
    const Window wa = draw();
    const Window wb = data_.paired ? wa : draw();  // a pair shares its window and flip
    image_window_to_float(data_.train_a, ia, wa.x0, wa.y0, s, wa.flip, out_a + i * c * s * s);
    image_window_to_float(data_.train_b, ib, wb.x0, wb.y0, s, wb.flip, out_b + i * c * s * s);
  }
  return batch;
}

Tensor image_set_tensor(const ImageSet& set, Device device) {
  Tensor t = Tensor::empty({set.n, set.channels, set.height, set.width});
  for (int64_t i = 0; i < set.n; ++i) image_to_float(set, i, t.data<float>() + i * set.image_bytes());
  return t.to(device);
}

}  // namespace gan::io
