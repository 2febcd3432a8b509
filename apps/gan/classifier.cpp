#include "apps/gan/classifier.h"

#include <cmath>
#include <iomanip>
#include <numeric>
#include <ostream>
#include <sstream>

#include "apps/gan/progress.h"
#include "core/autograd.h"
#include "core/error.h"
#include "core/random.h"
#include "layers/optim.h"

namespace gan::app {

namespace {

std::vector<int64_t> labels_of(const io::LabeledImages& data, const std::vector<int64_t>& order, int64_t first,
                               int64_t count) {
  std::vector<int64_t> labels(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) labels[static_cast<size_t>(i)] = data.labels[static_cast<size_t>(order[first + i])];
  return labels;
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

ClassifierTrainResult train_classifier(FashionClassifier& model, const io::LabeledImages& train,
                                       const io::LabeledImages& test, const ClassifierTrainSettings& s,
                                       std::ostream& log) {
  check_classifier_data("training", train);
  check_classifier_data("test", test);
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
  std::vector<int64_t> order(static_cast<size_t>(train.n));
  std::iota(order.begin(), order.end(), int64_t{0});
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

}  // namespace gan::app
