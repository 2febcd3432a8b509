#include "models/classifier.h"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "core/autograd.h"
#include "core/error.h"
#include "core/io/checkpoint_format.h"
#include "core/ops.h"

namespace gan {

void ClassifierConfig::validate() const {
  GAN_CHECK(width > 0 && feature_dim > 0, ValueError, "classifier: width and feature_dim must be positive, got width ",
            width, ", feature_dim ", feature_dim);
  GAN_CHECK(num_classes >= 2, ValueError, "classifier: num_classes must be at least 2, got ", num_classes);
}

FashionClassifier::FashionClassifier(const ClassifierConfig& cfg, Rng& rng) : config(cfg) {
  config.validate();
  const int64_t w = config.width;
  trunk_ = register_module("trunk", std::make_shared<Sequential>());
  trunk_->add(std::make_shared<Conv2d>(ClassifierConfig::kChannels, w, 3, rng, 1, 1));
  trunk_->add(std::make_shared<ReLU>());
  trunk_->add(std::make_shared<Conv2d>(w, 2 * w, 4, rng, 2, 1));  // 28 -> 14
  trunk_->add(std::make_shared<ReLU>());
  trunk_->add(std::make_shared<Conv2d>(2 * w, 4 * w, 4, rng, 2, 1));  // 14 -> 7
  trunk_->add(std::make_shared<ReLU>());
  trunk_->add(std::make_shared<Flatten>());
  trunk_->add(std::make_shared<Linear>(4 * w * 7 * 7, config.feature_dim, rng));
  trunk_->add(std::make_shared<ReLU>());
  head_ = register_module("head", std::make_shared<Linear>(config.feature_dim, config.num_classes, rng));
}

void FashionClassifier::check_images(const Tensor& images) const {
  constexpr int64_t S = ClassifierConfig::kImageSize;
  GAN_CHECK(images.dim() == 4 && images.shape()[1] == ClassifierConfig::kChannels && images.shape()[2] == S &&
                images.shape()[3] == S,
            ShapeError, "classifier: images must be [N, 1, 28, 28] (Fashion-MNIST, values in [-1, 1]), got ",
            shape_str(images.shape()));
}

Tensor FashionClassifier::features(const Tensor& images) {
  check_images(images);
  return trunk_->forward(images);
}

Tensor FashionClassifier::classify(const Tensor& feats) { return head_->forward(feats); }

Tensor FashionClassifier::forward(const Tensor& images) { return classify(features(images)); }

namespace {

// max(a, b) = (a + b + |a - b|) / 2, elementwise.
Tensor maximum(const Tensor& a, const Tensor& b) { return mul(add(add(a, b), abs(sub(a, b))), 0.5); }

// The maximum of every row of x [N, K] as [N, 1], not recorded (it only shifts
// the logits, and logsumexp does not depend on the shift).
Tensor row_max(const Tensor& x) {
  NoGradGuard no_grad;
  const Tensor d = x.detach();
  Tensor m = d.slice(1, 0, 1);
  for (int64_t k = 1; k < d.shape()[1]; ++k) m = maximum(m, d.slice(1, k, k + 1));
  return m;
}

}  // namespace

Tensor cross_entropy(const Tensor& logits, const std::vector<int64_t>& labels) {
  GAN_CHECK(logits.defined() && logits.dim() == 2 && logits.shape()[0] > 0 && logits.shape()[1] > 0, ShapeError,
            "cross_entropy: logits must be [N, K] with N, K >= 1, got ",
            logits.defined() ? shape_str(logits.shape()) : std::string("an undefined tensor"));
  const int64_t n = logits.shape()[0], k = logits.shape()[1];
  GAN_CHECK(static_cast<int64_t>(labels.size()) == n, ShapeError, "cross_entropy: ", labels.size(),
            " labels for logits ", shape_str(logits.shape()), "; give one label per row");
  std::vector<double> one_hot(static_cast<size_t>(n * k), 0.0);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = labels[static_cast<size_t>(i)];
    GAN_CHECK(c >= 0 && c < k, ValueError, "cross_entropy: label ", c, " of row ", i, " is outside [0, ", k, ")");
    one_hot[static_cast<size_t>(i * k + c)] = 1.0;
  }
  const Tensor target = Tensor::from_vector(one_hot, {n, k}, logits.dtype(), logits.device());
  // logsumexp(x) - x[label] = log(sum exp(x - m)) - (x - m)[label], with m the row max: every exp <= 1.
  const Tensor shifted = sub(logits, row_max(logits));
  const Tensor log_norm = log(sum(exp(shifted), {1}, /*keepdim=*/true));  // [N, 1], >= 0
  const Tensor picked = sum(mul(shifted, target), {1}, /*keepdim=*/true);
  return mean(sub(log_norm, picked));
}

// ---- data and files ------------------------------------------------------------

namespace {

constexpr const char* kFormat = "gan-classifier";

}  // namespace

void check_classifier_data(const char* what, const io::LabeledImages& data) {
  constexpr int64_t S = ClassifierConfig::kImageSize;
  GAN_CHECK(data.n > 0, ValueError, "classifier: the ", what, " set is empty");
  GAN_CHECK(data.h == S && data.w == S, ValueError, "classifier: the ", what, " images are ", data.h, "x", data.w,
            "; the classifier takes 28x28 grayscale images (Fashion-MNIST)");
  GAN_CHECK(static_cast<int64_t>(data.pixels.size()) == data.n * data.h * data.w &&
                static_cast<int64_t>(data.labels.size()) == data.n,
            ValueError, "classifier: the ", what, " set holds ", data.pixels.size(), " pixels and ",
            data.labels.size(), " labels for ", data.n, " images");
}

Tensor gather_images(const io::LabeledImages& data, const std::vector<int64_t>& order, int64_t first, int64_t count,
                     Device device) {
  const int64_t hw = data.h * data.w;
  std::vector<float> values(static_cast<size_t>(count * hw));
  for (int64_t i = 0; i < count; ++i) {
    const uint8_t* src = data.pixels.data() + order[first + i] * hw;
    float* dst = values.data() + i * hw;
    for (int64_t j = 0; j < hw; ++j) dst[j] = static_cast<float>(src[j]) / 127.5f - 1.0f;
  }
  return Tensor::from_vector(values, {count, 1, data.h, data.w}, DType::F32, device);
}

Tensor images_to_tensor(const io::LabeledImages& data, int64_t first, int64_t count, Device device) {
  GAN_CHECK(first >= 0 && count >= 0 && first + count <= data.n, ValueError, "images_to_tensor: images [", first,
            ", ", first + count, ") are outside the ", data.n, " images of the set");
  std::vector<int64_t> order(static_cast<size_t>(count));
  std::iota(order.begin(), order.end(), first);
  return gather_images(data, order, 0, count, device);
}

double classifier_accuracy(FashionClassifier& model, const io::LabeledImages& data, int64_t batch_size) {
  check_classifier_data("evaluation", data);
  GAN_CHECK(batch_size > 0, ValueError, "classifier_accuracy: batch size must be positive, got ", batch_size);
  NoGradGuard no_grad;
  const Device device = model.parameters().front().device();
  int64_t correct = 0;
  for (int64_t first = 0; first < data.n; first += batch_size) {
    const int64_t count = std::min(batch_size, data.n - first);
    const std::vector<float> logits = model(images_to_tensor(data, first, count, device)).to_vector<float>();
    const int64_t k = model.config.num_classes;
    for (int64_t i = 0; i < count; ++i) {
      const float* row = logits.data() + i * k;
      const int64_t predicted = std::max_element(row, row + k) - row;
      correct += predicted == data.labels[static_cast<size_t>(first + i)];
    }
  }
  return static_cast<double>(correct) / static_cast<double>(data.n);
}

void save_classifier(const std::string& path, const FashionClassifier& model,
                     const std::vector<std::pair<std::string, std::string>>& metadata) {
  io::Checkpoint ck;
  ck.put_meta("format", kFormat);
  ck.put_meta("classifier.width", std::to_string(model.config.width));
  ck.put_meta("classifier.feature_dim", std::to_string(model.config.feature_dim));
  ck.put_meta("classifier.num_classes", std::to_string(model.config.num_classes));
  for (const auto& [key, value] : metadata) ck.put_meta(key, value);
  for (const auto& [name, t] : model.named_parameters()) {
    const std::vector<float> values = t.to_vector<float>();
    ck.add(name, io::RecordType::F32, t.shape(), values.data(), values.size() * sizeof(float));
  }
  io::save_checkpoint(path, ck);  // temp file + fsync + rename (core/io/atomic_file.h)
}

std::unique_ptr<FashionClassifier> load_classifier(const std::string& path, Device device) {
  const io::Checkpoint ck = io::load_checkpoint(path);
  GAN_CHECK(ck.has_meta("format") && ck.meta("format") == kFormat, IoError, "'", path,
            "' is not a classifier checkpoint (format '", ck.has_meta("format") ? ck.meta("format") : "",
            "', expected '", kFormat, "'); train one with 'gan classifier train'");
  ClassifierConfig cfg;
  cfg.width = io::meta_int(ck, "classifier.width", path);
  cfg.feature_dim = io::meta_int(ck, "classifier.feature_dim", path);
  cfg.num_classes = io::meta_int(ck, "classifier.num_classes", path);
  try {
    cfg.validate();
  } catch (const ValueError& e) {
    throw IoError("'" + path + "': " + e.what());
  }
  Rng unused(0);  // every parameter is overwritten below
  auto model = std::make_unique<FashionClassifier>(cfg, unused);
  for (const auto& [name, t] : model->named_parameters()) {
    GAN_CHECK(ck.has(name), IoError, "'", path, "' has no parameter ", name,
              "; it was not written by this version of 'gan classifier train'");
    const io::CheckpointRecord& rec = ck.get(name);
    GAN_CHECK(rec.dtype == io::RecordType::F32 && rec.shape == t.shape(), IoError, "'", path, "': parameter ", name,
              " is ", io::record_type_name(rec.dtype), shape_str(rec.shape), ", expected f32", shape_str(t.shape()));
    Tensor loaded = Tensor::empty(t.shape(), DType::F32, Device::cpu());
    std::memcpy(loaded.data<float>(), rec.bytes.data(), rec.bytes.size());
    Tensor param = t;  // the same handle: the module sees the values
    param.copy_(loaded);
  }
  model->to(device);
  model->eval();
  return model;
}

}  // namespace gan
