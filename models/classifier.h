// A small CNN classifier for 28x28 grayscale images (Fashion-MNIST), built from
// the engine's layers. It is the feature extractor of the project's GAN
// quality metric (apps/gan/metrics.h): its penultimate layer gives the
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
// (apps/gan/classifier.h): about 91% test accuracy after 3 epochs.
#pragma once

#include <memory>
#include <vector>

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

}  // namespace gan
