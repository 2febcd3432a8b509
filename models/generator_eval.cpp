#include "models/generator_eval.h"

#include <filesystem>

#include "core/autograd.h"
#include "core/error.h"
#include "core/io/dataset.h"
#include "core/io/idx.h"
#include "core/random.h"
#include "models/classifier.h"

namespace gan {

std::string test_split_dir(const std::string& dataset) {
  if (dataset == "fashion-mnist") return io::kFashionMnistDir;
  if (dataset.rfind("idx:", 0) == 0) return dataset.substr(4);
  throw ValueError("the quality metric needs an IDX data set with a test split (fashion-mnist or idx:DIR); '" +
                   dataset + "' has none");
}

GeneratorEvaluator::GeneratorEvaluator(const DcganConfig& model, const std::string& dataset,
                                       const std::string& classifier_path, int64_t samples, uint64_t seed,
                                       Device device)
    : model_(model), samples_(samples), seed_(seed), device_(device) {
  GAN_CHECK(model.height() == 28 && model.width() == 28 && model.channels == 1, ValueError,
            "the quality metric's classifier reads 28x28 grayscale images; this model makes ", model.height(), "x",
            model.width(), "x", model.channels, " (train with --image-size 28 on a gray data set)");
  GAN_CHECK(samples >= 2, ValueError, "--eval-samples must be at least 2, got ", samples);
  GAN_CHECK(std::filesystem::exists(classifier_path), IoError, "no classifier at ", classifier_path,
            ": train one first with 'gan classifier train --out ", classifier_path, "'");
  classifier_ = load_classifier(classifier_path, device);
  real_ = real_feature_statistics(*classifier_, io::load_mnist_dir(test_split_dir(dataset), /*train=*/false));
}

GeneratorEvaluation GeneratorEvaluator::evaluate(const GeneratorFn& generate) const {
  NoGradGuard no_grad;
  Rng rng(seed_);  // the same draw at every evaluation
  return evaluate_generator(
      *classifier_,
      [&](int64_t count) {
        const Tensor z = Tensor::randn({count, model_.nz}, rng, DType::F32, device_);
        std::vector<int64_t> labels;
        for (int64_t i = 0; i < count && model_.num_classes > 0; ++i)
          labels.push_back(static_cast<int64_t>(rng.next_below(static_cast<uint64_t>(model_.num_classes))));
        return generate(z, labels);
      },
      samples_, real_);
}

}  // namespace gan
