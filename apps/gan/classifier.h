// Training the Fashion-MNIST classifier (models/classifier.h, which also
// evaluates, saves and loads it) that the quality metric (models/metrics.h)
// uses as its feature extractor, and the `gan classifier train` command.
//
//   gan classifier train --epochs 3 --out runs/classifier.ckpt
#pragma once

#include <iosfwd>

#include "apps/gan/cli.h"
#include "core/device.h"
#include "core/io/dataset.h"  // kFashionMnistDir
#include "core/io/idx.h"
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

// Trains `model` (already on settings.device) with Adam on softmax
// cross-entropy, reshuffling every epoch, and reports the test accuracy.
// Progress and a line per epoch go to `log`. Deterministic for a seed on the
// CPU. ValueError for bad settings or data that does not fit the model.
ClassifierTrainResult train_classifier(FashionClassifier& model, const io::LabeledImages& train,
                                       const io::LabeledImages& test, const ClassifierTrainSettings& settings,
                                       std::ostream& log);

// `gan classifier train`: the options and the handler (apps/gan/cmd_classifier.cpp).
CommandSpec classifier_train_spec();
int cmd_classifier_train(const ParsedArgs& args);

}  // namespace gan::app
