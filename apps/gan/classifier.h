// Training, evaluating, saving and loading the Fashion-MNIST classifier
// (models/classifier.h) that the quality metric (apps/gan/metrics.h) uses as
// its feature extractor, and the `gan classifier train` command.
//
//   gan classifier train --epochs 3 --out runs/classifier.ckpt
//
// Images are mapped from bytes to [-1, 1] exactly as the GAN's training data,
// so generated images (tanh outputs) and real ones reach the classifier in
// the same range.
#pragma once

#include <iosfwd>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "apps/gan/cli.h"
#include "apps/gan/dataset.h"  // kFashionMnistDir
#include "core/device.h"
#include "core/io/idx.h"
#include "core/tensor.h"
#include "models/classifier.h"

namespace gan::app {

struct ClassifierTrainSettings {
  int64_t epochs = 3;
  int64_t batch_size = 64;
  double lr = 1e-3;  // Adam (beta1 0.9, beta2 0.999), halved after every epoch past the first
  uint64_t seed = 1;  // initial weights and the shuffling order
  Device device = Device::cpu();
  bool progress = true;  // a progress bar on `log`
};

struct ClassifierTrainResult {
  double test_accuracy = 0.0;    // fraction of the test split classified correctly
  double last_epoch_loss = 0.0;  // mean training cross-entropy of the last epoch
  int64_t steps = 0;
};

// Images [first, first + count) of `data` as a float tensor [count, 1, h, w] in
// [-1, 1] on `device`.
Tensor images_to_tensor(const io::LabeledImages& data, int64_t first, int64_t count, Device device);

// Trains `model` (already on settings.device) with Adam on softmax
// cross-entropy, reshuffling every epoch, and reports the test accuracy.
// Progress and a line per epoch go to `log`. Deterministic for a seed on the
// CPU. ValueError for bad settings or data that does not fit the model.
ClassifierTrainResult train_classifier(FashionClassifier& model, const io::LabeledImages& train,
                                       const io::LabeledImages& test, const ClassifierTrainSettings& settings,
                                       std::ostream& log);

// Fraction of `data` whose argmax prediction equals its label.
double classifier_accuracy(FashionClassifier& model, const io::LabeledImages& data, int64_t batch_size = 256);

// Saves the model's parameters and its configuration in the checkpoint
// container (docs/checkpoint-format.md), written atomically; `metadata` is
// added as is (e.g. the test accuracy). Keys: format = "gan-classifier",
// classifier.width, classifier.feature_dim, classifier.num_classes; records:
// the parameters by name (f32).
void save_classifier(const std::string& path, const FashionClassifier& model,
                     const std::vector<std::pair<std::string, std::string>>& metadata = {});

// Rebuilds a classifier from save_classifier's file, on `device`. IoError
// naming the file when it is not a classifier checkpoint or a parameter is
// missing or has the wrong shape.
std::unique_ptr<FashionClassifier> load_classifier(const std::string& path, Device device = Device::cpu());

// `gan classifier train`: the options and the handler (apps/gan/cmd_classifier.cpp).
CommandSpec classifier_train_spec();
int cmd_classifier_train(const ParsedArgs& args);

}  // namespace gan::app
