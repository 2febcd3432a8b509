#include "apps/gan/classifier.h"

#include <cmath>
#include <cstring>
#include <iomanip>
#include <numeric>
#include <ostream>
#include <sstream>

#include "apps/gan/progress.h"
#include "core/autograd.h"
#include "core/error.h"
#include "core/io/checkpoint_format.h"
#include "layers/optim.h"
#include "core/random.h"

namespace gan::app {

namespace {

constexpr const char* kFormat = "gan-classifier";

void check_data(const char* what, const io::LabeledImages& data) {
  constexpr int64_t S = ClassifierConfig::kImageSize;
  GAN_CHECK(data.n > 0, ValueError, "classifier: the ", what, " set is empty");
  GAN_CHECK(data.h == S && data.w == S, ValueError, "classifier: the ", what, " images are ", data.h, "x", data.w,
            "; the classifier takes 28x28 grayscale images (Fashion-MNIST)");
  GAN_CHECK(static_cast<int64_t>(data.pixels.size()) == data.n * data.h * data.w &&
                static_cast<int64_t>(data.labels.size()) == data.n,
            ValueError, "classifier: the ", what, " set holds ", data.pixels.size(), " pixels and ",
            data.labels.size(), " labels for ", data.n, " images");
}

std::vector<int64_t> labels_of(const io::LabeledImages& data, const std::vector<int64_t>& order, int64_t first,
                               int64_t count) {
  std::vector<int64_t> labels(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) labels[static_cast<size_t>(i)] = data.labels[static_cast<size_t>(order[first + i])];
  return labels;
}

// The images order[first .. first + count) as [count, 1, h, w] in [-1, 1].
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

std::vector<int64_t> identity_order(int64_t n) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t{0});
  return order;
}

// Fisher-Yates with the engine's generator: the same order on every machine.
void shuffle(std::vector<int64_t>& order, Rng& rng) {
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.next_below(i)]);
}

std::string fixed(double v, int digits) {
  std::ostringstream os;
  os << std::fixed << std::setprecision(digits) << v;
  return os.str();
}

}  // namespace

Tensor images_to_tensor(const io::LabeledImages& data, int64_t first, int64_t count, Device device) {
  GAN_CHECK(first >= 0 && count >= 0 && first + count <= data.n, ValueError, "images_to_tensor: images [", first,
            ", ", first + count, ") are outside the ", data.n, " images of the set");
  std::vector<int64_t> order(static_cast<size_t>(count));
  std::iota(order.begin(), order.end(), first);
  return gather_images(data, order, 0, count, device);
}

double classifier_accuracy(FashionClassifier& model, const io::LabeledImages& data, int64_t batch_size) {
  check_data("evaluation", data);
  GAN_CHECK(batch_size > 0, ValueError, "classifier_accuracy: batch size must be positive, got ", batch_size);
  NoGradGuard no_grad;
  const std::vector<int64_t> order = identity_order(data.n);
  const Device device = model.parameters().front().device();
  int64_t correct = 0;
  for (int64_t first = 0; first < data.n; first += batch_size) {
    const int64_t count = std::min(batch_size, data.n - first);
    const std::vector<float> logits = model(gather_images(data, order, first, count, device)).to_vector<float>();
    const int64_t k = model.config.num_classes;
    for (int64_t i = 0; i < count; ++i) {
      const float* row = logits.data() + i * k;
      const int64_t predicted = std::max_element(row, row + k) - row;
      correct += predicted == data.labels[static_cast<size_t>(first + i)];
    }
  }
  return static_cast<double>(correct) / static_cast<double>(data.n);
}

ClassifierTrainResult train_classifier(FashionClassifier& model, const io::LabeledImages& train,
                                       const io::LabeledImages& test, const ClassifierTrainSettings& s,
                                       std::ostream& log) {
  check_data("training", train);
  check_data("test", test);
  GAN_CHECK(s.epochs >= 1 && s.batch_size >= 1 && s.lr > 0.0, ValueError,
            "train_classifier: epochs and batch size must be >= 1 and lr > 0, got epochs ", s.epochs, ", batch size ",
            s.batch_size, ", lr ", s.lr);
  for (uint8_t label : train.labels) {
    GAN_CHECK(label < model.config.num_classes, ValueError, "train_classifier: label ", int{label},
              " does not fit a classifier with ", model.config.num_classes, " classes");
  }
  model.train();
  AdamParams hyper;
  hyper.lr = s.lr;
  hyper.beta1 = 0.9;
  hyper.beta2 = 0.999;
  Adam optimizer(model.parameters(), hyper);
  Rng shuffle_gen(s.seed ^ 0x5eedf00dULL);  // apart from the initialisation's stream

  const int64_t steps_per_epoch = (train.n + s.batch_size - 1) / s.batch_size;
  std::ostringstream discard;  // where the bars go when progress is off
  ClassifierTrainResult result;
  std::vector<int64_t> order = identity_order(train.n);
  for (int64_t epoch = 0; epoch < s.epochs; ++epoch) {
    // A step decay: the first epoch at full rate, then half as much each epoch.
    optimizer.hyper.lr = s.lr * std::pow(0.5, static_cast<double>(epoch));
    shuffle(order, shuffle_gen);
    const std::string label = "epoch " + std::to_string(epoch + 1) + "/" + std::to_string(s.epochs);
    ProgressBar bar(steps_per_epoch, label, s.progress ? log : discard);
    double loss_sum = 0.0;
    for (int64_t b = 0; b < steps_per_epoch; ++b) {
      const int64_t first = b * s.batch_size, count = std::min(s.batch_size, train.n - first);
      const Tensor images = gather_images(train, order, first, count, s.device);
      optimizer.zero_grad();
      const Tensor loss = cross_entropy(model(images), labels_of(train, order, first, count));
      loss.backward();
      optimizer.step();
      const double value = loss.item();  // a sync per step: negligible next to the step itself
      GAN_CHECK(std::isfinite(value), ValueError, "train_classifier: the loss became ", value, " at epoch ",
                epoch + 1, " step ", b + 1, "; lower the learning rate");
      loss_sum += value;
      ++result.steps;
      bar.update(b + 1, "loss " + fixed(value, 3));
    }
    bar.finish();
    result.last_epoch_loss = loss_sum / static_cast<double>(steps_per_epoch);
    if (s.progress) log << label << ": mean training loss " << fixed(result.last_epoch_loss, 4) << "\n";
  }
  model.eval();
  result.test_accuracy = classifier_accuracy(model, test);
  return result;
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
  const auto meta_int = [&](const std::string& key) {
    const std::string text = ck.meta(key);
    try {
      size_t used = 0;
      const int64_t v = std::stoll(text, &used);
      if (used == text.size()) return v;
    } catch (const std::exception&) {
    }
    throw IoError("'" + path + "': metadata " + key + " = '" + text + "' is not an integer");
  };
  ClassifierConfig cfg;
  cfg.width = meta_int("classifier.width");
  cfg.feature_dim = meta_int("classifier.feature_dim");
  cfg.num_classes = meta_int("classifier.num_classes");
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

}  // namespace gan::app
