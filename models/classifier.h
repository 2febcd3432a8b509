// A small CNN classifier for 28x28 grayscale images (Fashion-MNIST), built from
// the engine's layers. It is the feature extractor of the project's GAN
// quality metric (models/metrics.h): its penultimate layer gives the
// features whose Frechet distance compares generated and real images, and its
// predictions give the class coverage.
//
//   image [N, 1, 28, 28] in [-1, 1]   (the range a tanh generator produces)
//   Conv 3x3, width channels, pad 1        + ReLU   -> [N, w, 28, 28]
//   Conv 4x4 stride 2 pad 1, 2w channels   + ReLU   -> [N, 2w, 14, 14]
//   Conv 4x4 stride 2 pad 1, 4w channels   + ReLU   -> [N, 4w, 7, 7]
//   Flatten -> Linear(4w * 49 -> feature_dim) + ReLU -> features [N, feature_dim]
//   Linear(feature_dim -> num_classes)               -> logits [N, num_classes]
//
// With the default width 16 and 128 features: 0.44 M parameters, 7.5 MFLOP
// per image forward (width 32 quadruples the convolutions' cost for little
// accuracy on 28x28 images). Trained by `gan classifier train`
// (apps/gan/classifier.h): about 91% test accuracy after 3 epochs. Saved and
// loaded (below) in the checkpoint container.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/device.h"
#include "core/io/idx.h"
#include "core/random.h"
#include "layers/layers.h"
#include "layers/module.h"

namespace gan {

struct ClassifierConfig {
  int64_t width = 16;         // channels of the first conv; the next two have 2x and 4x
  int64_t feature_dim = 128;  // size of the penultimate (feature) layer
  int64_t num_classes = 10;

  static constexpr int64_t kImageSize = 28;
  static constexpr int64_t kChannels = 1;

  // ValueError naming the bad field.
  void validate() const;
};

class FashionClassifier : public Module {
 public:
  FashionClassifier(const ClassifierConfig& config, Rng& rng);
  // images [N, 1, 28, 28] -> logits [N, num_classes]
  Tensor forward(const Tensor& images) override;
  // images [N, 1, 28, 28] -> penultimate features [N, feature_dim] (after the ReLU)
  Tensor features(const Tensor& images);
  // Logits from features() output (so features and logits cost one pass).
  Tensor classify(const Tensor& features);

  const ClassifierConfig config;

 private:
  void check_images(const Tensor& images) const;
  std::shared_ptr<Sequential> trunk_;  // convolutions, flatten, feature layer
  std::shared_ptr<Linear> head_;
};

// Mean softmax cross-entropy of logits [N, K] against class indices in [0, K):
// mean_i (logsumexp_k logits[i, k] - logits[i, labels[i]]). Built from
// differentiable ops, stable for any logit size (each row is shifted by its
// maximum first). ShapeError / ValueError on a size mismatch or a bad label.
Tensor cross_entropy(const Tensor& logits, const std::vector<int64_t>& labels);

// ---- data and files ------------------------------------------------------------
// Images are mapped from bytes to [-1, 1] exactly as the GAN's training data,
// so generated images (tanh outputs) and real ones reach the classifier in
// the same range.

// ValueError naming `what` ("training", "test") unless `data` is a non-empty
// set of 28x28 images with one label each.
void check_classifier_data(const char* what, const io::LabeledImages& data);

// Images [first, first + count) of `data` as a float tensor [count, 1, h, w] in
// [-1, 1] on `device`.
Tensor images_to_tensor(const io::LabeledImages& data, int64_t first, int64_t count, Device device);
// The images order[first], ..., order[first + count - 1] likewise (a batch of a
// shuffled epoch).
Tensor gather_images(const io::LabeledImages& data, const std::vector<int64_t>& order, int64_t first, int64_t count,
                     Device device);

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

}  // namespace gan
