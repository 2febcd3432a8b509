// `gan classifier train`: trains the metric's Fashion-MNIST classifier and
// saves it (apps/gan/classifier.h).
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "apps/gan/classifier.h"
#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/random.h"

namespace gan::app {

CommandSpec classifier_train_spec() {
  CommandSpec c("classifier train", "Train the Fashion-MNIST classifier used by the quality metric.",
                "Trains a small CNN on the training split, reports its accuracy on the test split and saves it "
                "to --out. The metric compares generated and real images through this network's features; "
                "it is not Inception FID (see docs/losses-and-metrics.md).");
  c.add_string("data", "DIR", "directory with the Fashion-MNIST IDX files", io::kFashionMnistDir);
  c.add_int("epochs", "N", "passes over the training split", 3).at_least(1);
  c.add_int("batch-size", "N", "images per step", 64).at_least(1);
  c.add_double("lr", "X", "Adam learning rate (halved every epoch after the first)", 1e-3).at_least(0);
  c.add_int("seed", "N", "random seed (weights and shuffling)", 1).at_least(0);
  c.add_string("out", "FILE", "checkpoint file to write", "runs/classifier.ckpt");
  c.add_choice("device", {"auto", "cpu", "cuda"}, "where to train; auto uses the GPU when there is one", "auto");
  return c;
}

int cmd_classifier_train(const ParsedArgs& args) {
  ClassifierTrainSettings settings;
  settings.epochs = args.get_int("epochs");
  settings.batch_size = args.get_int("batch-size");
  settings.lr = args.get_double("lr");
  settings.seed = static_cast<uint64_t>(args.get_int("seed"));
  settings.device = parse_device(args.get_string("device"));
  const std::string& data_dir = args.get_string("data");
  const std::string& out = args.get_string("out");

  std::error_code ec;
  GAN_CHECK(std::filesystem::is_directory(data_dir, ec), IoError, "Fashion-MNIST not found: '", data_dir,
            "' is not a directory. Install Debian's copy (apt-get install dataset-fashion-mnist, files in ",
            io::kFashionMnistDir, ") or pass --data DIR with the IDX files");
  // Fail now, not after minutes of training, if the checkpoint cannot be written.
  const std::filesystem::path out_dir = std::filesystem::path(out).parent_path();
  io::check_writable_dir(out_dir.empty() ? "." : out_dir.string());

  const io::LabeledImages train = io::load_mnist_dir(data_dir, /*train=*/true);
  const io::LabeledImages test = io::load_mnist_dir(data_dir, /*train=*/false);
  std::cerr << "classifier: " << train.n << " training and " << test.n << " test images from " << data_dir
            << ", on " << settings.device.str() << "\n";

  Rng init(settings.seed);
  FashionClassifier model(ClassifierConfig{}, init);
  model.to(settings.device);
  const ClassifierTrainResult result = train_classifier(model, train, test, settings, std::cerr);

  std::ostringstream accuracy;
  accuracy << std::fixed << std::setprecision(4) << result.test_accuracy;
  save_classifier(out, model,
                  {{"test_accuracy", accuracy.str()},
                   {"epochs", std::to_string(settings.epochs)},
                   {"seed", std::to_string(settings.seed)},
                   {"dataset", data_dir}});
  std::cout << "test accuracy " << std::fixed << std::setprecision(2) << 100.0 * result.test_accuracy << "% ("
            << test.n << " images); saved " << out << "\n";
  return 0;
}

}  // namespace gan::app
