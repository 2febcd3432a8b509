#include "models/classifier.h"

#include "core/autograd.h"
#include "core/error.h"
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

}  // namespace gan
