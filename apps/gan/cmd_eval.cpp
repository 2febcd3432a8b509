// `gan eval`: the quality metric of a trained generator (models/generator_eval.h):
// the feature distance to real images and the class coverage of its samples.
#include <algorithm>
#include <iomanip>
#include <iostream>

#include "apps/gan/commands.h"
#include "apps/gan/dcgan_trainer.h"
#include "apps/gan/memory_estimate.h"
#include "core/autograd.h"
#include "core/io/checkpoint_format.h"
#include "models/generator_eval.h"

namespace gan::app {

CommandSpec eval_spec() {
  CommandSpec c("eval", "Measure a trained generator: feature distance and class coverage.",
                "Generates --samples images and compares them with the test split of the run's data set through "
                "the Fashion-MNIST classifier of 'gan classifier train': the Frechet distance of the "
                "classifier's penultimate features (a Fashion-MNIST feature distance, NOT Inception FID: compare "
                "it only with other runs measured by the same classifier), and the histogram of predicted "
                "classes with its entropy (near 0: mode collapse). 28x28 grayscale generators only.");
  c.add_string("checkpoint", "PATH", "checkpoint file written by 'gan train'").required();
  c.add_string("classifier", "PATH", "classifier checkpoint from 'gan classifier train'", "runs/classifier.ckpt");
  c.add_string("dataset", "SPEC",
               "the real images' data set: fashion-mnist | idx:DIR (default: the one the checkpoint was trained on, "
               "else fashion-mnist)",
               "");
  c.add_int("samples", "N", "generated images to measure", 10000).at_least(2);
  c.add_int("seed", "N", "random seed of the generated samples", 1).at_least(0);
  c.add_flag("no-ema", "measure G's trained weights even when the checkpoint holds their moving average "
             "(a run with --ema-decay)");
  c.add_choice("device", kDeviceChoices, "where to run; auto uses the GPU when there is one", "auto");
  return c;
}

int cmd_eval(const ParsedArgs& a) {
  const Device device = parse_device(a.get_string("device"));
  const std::string path = a.get_string("checkpoint");
  const io::Checkpoint ck = io::load_checkpoint(path);
  bool averaged = false;
  const auto g = load_generator(path, device, a.get_flag("no-ema"), &averaged);
  const std::string dataset = a.has("dataset")        ? a.get_string("dataset")
                              : ck.has_meta("dataset") ? ck.meta("dataset")
                                                       : "fashion-mnist";
  const GeneratorEvaluator evaluator(g->config, dataset, a.get_string("classifier"), a.get_int("samples"),
                                     static_cast<uint64_t>(a.get_int("seed")), device);
  // The samples are generated and classified in batches of 256
  // (evaluate_generator); what grows with --samples is their features, kept in
  // host memory as doubles.
  const int64_t samples = a.get_int("samples"), batch = std::min<int64_t>(samples, 256);
  FashionClassifier& classifier = evaluator.classifier();
  const std::size_t features =
      device.is_cuda() ? 0 : static_cast<std::size_t>(samples * classifier.config.feature_dim) * sizeof(double);
  const std::string setting = std::to_string(samples) + " samples in batches of " + std::to_string(batch);
  auto need = estimate_memory(
      device, batch, setting,
      [&](int64_t b) {
        NoGradGuard no_grad;
        const int64_t classes = g->config.num_classes;
        const Tensor z = Tensor::zeros({b, g->config.nz}, DType::F32, device);
        const Tensor images =
            classes == 0 ? g->forward(z)
                         : g->forward(z, one_hot(std::vector<int64_t>(static_cast<size_t>(b), 0), classes, device));
        classifier.classify(classifier.features(images));
        return ProbeSizes{};
      },
      features);
  need.parameters = module_bytes(*g) + module_bytes(classifier);  // loaded before the probe
  check_memory(need, "eval", false, std::cout);
  const GeneratorEvaluation e = evaluator.evaluate([&](const Tensor& z, const std::vector<int64_t>& labels) {
    NoGradGuard no_grad;
    const int64_t classes = g->config.num_classes;
    return classes == 0 ? g->forward(z) : g->forward(z, one_hot(labels, classes, z.device()));
  });
  std::cout << "generator: " << (averaged ? "the moving average of its weights (--no-ema: the trained ones)"
                                         : "its trained weights")
            << "\n";
  std::cout << std::fixed << std::setprecision(4) << "frechet distance (Fashion-MNIST classifier features, not "
            << "Inception FID): " << e.frechet_distance << "\n"
            << "class coverage entropy: " << e.coverage.entropy << " nats, " << e.coverage.normalized_entropy
            << " of the maximum (1 = every class equally often, 0 = one class: mode collapse)\n"
            << "mean classifier confidence: " << e.mean_max_probability << "\n"
            << "predicted classes of " << e.generated << " samples:";
  for (size_t k = 0; k < e.coverage.counts.size(); ++k) std::cout << " " << k << ":" << e.coverage.counts[k];
  std::cout << "\n";
  return 0;
}

}  // namespace gan::app
