// The quality metric applied to a DCGAN generator (models/metrics.h): what
// `gan train --eval-every` logs and `gan eval` prints. It measures 28x28
// grayscale generators against the test split of their IDX data set through
// the classifier of `gan classifier train`; it is a Fashion-MNIST feature
// distance, not Inception FID.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "models/dcgan.h"
#include "models/metrics.h"

namespace gan {

// Images for given noise [n, nz] and labels (empty when unconditional).
using GeneratorFn = std::function<Tensor(const Tensor& z, const std::vector<int64_t>& labels)>;

class GeneratorEvaluator {
 public:
  // Loads the classifier and the real features of `dataset`'s test split
  // (fashion-mnist or idx:DIR). ValueError / IoError with what to do when the
  // model is not 28x28x1, the data set has no test split, or the classifier
  // file is missing.
  GeneratorEvaluator(const DcganConfig& model, const std::string& dataset, const std::string& classifier_path,
                     int64_t samples, uint64_t seed, Device device);

  // The metric over `samples` generated images. The noise (and, for a
  // conditional model, the uniformly drawn classes) is the same at every call,
  // so numbers from different steps compare the generator, not the draw.
  GeneratorEvaluation evaluate(const GeneratorFn& generate) const;
  // The classifier evaluate() runs, in images of evaluate_generator's batch
  // size (for the memory estimate of `gan eval`).
  FashionClassifier& classifier() const { return *classifier_; }

 private:
  DcganConfig model_;
  int64_t samples_;
  uint64_t seed_;
  Device device_;
  std::unique_ptr<FashionClassifier> classifier_;
  FeatureStats real_;
};

// The test-split directory of an IDX data set spec (fashion-mnist, idx:DIR).
std::string test_split_dir(const std::string& dataset);

}  // namespace gan
