// Training, saving and loading the metric's classifier, and its command line.
// The training test uses a tiny synthetic problem (each class is a bright
// block at its own place) so it runs in well under a second.
#include <gtest/gtest.h>

#include <sstream>

#include "apps/gan/app.h"
#include "apps/gan/classifier.h"
#include "core/error.h"
#include "core/io/checkpoint_format.h"
#include "io/io_test_util.h"
#include "models/image_sets.h"

namespace gan::app {
namespace {

using io::testing::io_error_message;
using io::testing::join;
using io::testing::scratch_dir;

// Class k: a 7x7 block of 255 at column (k % 4) * 7, row (k / 4) * 7, on noise in [0, 64).
io::LabeledImages block_images(int64_t n, int64_t classes, Rng& rng) {
  io::LabeledImages d = testing::noise_images(n, 64.0, rng);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t k = static_cast<int64_t>(rng.next_below(static_cast<uint64_t>(classes)));
    d.labels[static_cast<size_t>(i)] = static_cast<uint8_t>(k);
    for (int64_t r = 0; r < 7; ++r)
      for (int64_t c = 0; c < 7; ++c) d.pixels[static_cast<size_t>(i * 784 + ((k / 4) * 7 + r) * 28 + (k % 4) * 7 + c)] = 255;
  }
  return d;
}

ClassifierConfig tiny_config() {
  ClassifierConfig cfg;
  cfg.width = 2;
  cfg.feature_dim = 16;
  return cfg;
}

TEST(ClassifierTraining, LearnsASeparableProblemInAFewSteps) {
  Rng data_gen(7);
  const io::LabeledImages train = block_images(160, 10, data_gen);
  const io::LabeledImages test = block_images(100, 10, data_gen);
  Rng init(3);
  FashionClassifier model(tiny_config(), init);
  const double before = classifier_accuracy(model, test);
  ClassifierTrainSettings s;
  s.epochs = 3;
  s.batch_size = 16;
  s.lr = 1e-2;
  s.progress = false;
  std::ostringstream log;
  const ClassifierTrainResult r = train_classifier(model, train, test, s, log);
  EXPECT_EQ(r.steps, 30);
  EXPECT_GE(r.test_accuracy, 0.95) << "before training: " << before;
  EXPECT_LT(before, 0.5);
  EXPECT_EQ(r.test_accuracy, classifier_accuracy(model, test));
  EXPECT_TRUE(log.str().empty());  // progress off
}

TEST(ClassifierTraining, SameSeedSameModel) {
  Rng data_gen(8);
  const io::LabeledImages train = block_images(40, 10, data_gen);
  ClassifierTrainSettings s;
  s.epochs = 1;
  s.batch_size = 8;
  s.progress = false;
  std::ostringstream log;
  std::vector<std::vector<float>> weights;
  for (int run = 0; run < 2; ++run) {
    Rng init(5);
    FashionClassifier model(tiny_config(), init);
    train_classifier(model, train, train, s, log);
    weights.push_back(model.parameters().front().to_vector<float>());
  }
  EXPECT_EQ(weights[0], weights[1]);
}

TEST(ClassifierTraining, RejectsBadInput) {
  Rng rng(9);
  FashionClassifier model(tiny_config(), rng);
  io::LabeledImages small = block_images(4, 10, rng);
  small.h = small.w = 14;
  small.pixels.resize(4 * 14 * 14);
  ClassifierTrainSettings s;
  s.progress = false;
  std::ostringstream log;
  EXPECT_THROW(train_classifier(model, small, small, s, log), ValueError);
  const io::LabeledImages ok = block_images(4, 10, rng);
  s.lr = 0;
  EXPECT_THROW(train_classifier(model, ok, ok, s, log), ValueError);
}

TEST(ClassifierCheckpoint, RoundTripAndErrors) {
  const std::string dir = scratch_dir();
  Rng rng(10);
  FashionClassifier model(tiny_config(), rng);
  const std::string path = join(dir, "classifier.ckpt");
  save_classifier(path, model, {{"test_accuracy", "0.9"}});
  const std::unique_ptr<FashionClassifier> loaded = load_classifier(path);
  EXPECT_EQ(loaded->config.width, 2);
  EXPECT_EQ(loaded->config.feature_dim, 16);
  const Tensor x = Tensor::rand({2, 1, 28, 28}, rng, DType::F32, Device::cpu(), -1.0, 1.0);
  EXPECT_EQ(model(x).to_vector(), (*loaded)(x).to_vector());
  EXPECT_EQ(io::load_checkpoint(path).meta("test_accuracy"), "0.9");

  // Another kind of checkpoint, a missing parameter, a wrong shape.
  io::Checkpoint other;
  other.put_meta("format", "gan-dcgan");
  io::save_checkpoint(join(dir, "other.ckpt"), other);
  std::string msg = io_error_message([&] { load_classifier(join(dir, "other.ckpt")); });
  EXPECT_NE(msg.find("not a classifier checkpoint"), std::string::npos) << msg;

  io::Checkpoint ck = io::load_checkpoint(path);
  io::Checkpoint missing;
  missing.metadata = ck.metadata;
  for (const auto& rec : ck.records) {
    if (rec.name != "head.bias") missing.records.push_back(rec);
  }
  io::save_checkpoint(join(dir, "missing.ckpt"), missing);
  msg = io_error_message([&] { load_classifier(join(dir, "missing.ckpt")); });
  EXPECT_NE(msg.find("head.bias"), std::string::npos) << msg;

  const float zeros[3] = {0, 0, 0};
  ck.put("head.bias", io::RecordType::F32, {3}, zeros, sizeof zeros);
  io::save_checkpoint(join(dir, "shape.ckpt"), ck);
  msg = io_error_message([&] { load_classifier(join(dir, "shape.ckpt")); });
  EXPECT_NE(msg.find("head.bias is f32[3], expected f32[10]"), std::string::npos) << msg;
}

TEST(ClassifierCommand, HelpAndMissingData) {
  std::ostringstream out, err;
  EXPECT_EQ(run_cli({"classifier", "train", "--help"}, out, err), 0);
  EXPECT_NE(out.str().find("--batch-size N"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("not Inception FID"), std::string::npos) << out.str();
  const std::string dir = scratch_dir();
  out.str("");
  err.str("");
  EXPECT_EQ(run_cli({"classifier", "train", "--data", join(dir, "nowhere"), "--out", join(dir, "c.ckpt"), "--device",
                     "cpu"},
                    out, err),
            1);
  EXPECT_NE(err.str().find("apt-get install dataset-fashion-mnist"), std::string::npos) << err.str();
  EXPECT_EQ(run_cli({"classifier", "train", "--epochs", "0"}, out, err), 2);  // a usage error
}

}  // namespace
}  // namespace gan::app
