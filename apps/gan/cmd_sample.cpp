// `gan sample`: a grid of images from a trained generator.
#include <cctype>
#include <cmath>
#include <iostream>

#include "apps/gan/commands.h"
#include "apps/gan/dcgan_trainer.h"
#include "core/autograd.h"
#include "core/error.h"
#include "core/io/png_grid.h"
#include "core/random.h"

namespace gan::app {

namespace {

// G(z) in eval mode, for labels when the model is conditional.
Tensor generate(DcganGenerator& g, const Tensor& z, const std::vector<int64_t>& labels) {
  NoGradGuard no_grad;
  if (g.config.num_classes == 0) return g.forward(z);
  return g.forward(z, one_hot(labels, g.config.num_classes, z.device()));
}

}  // namespace

CommandSpec sample_spec() {
  CommandSpec c("sample", "Generate an image grid from a trained generator.");
  c.add_string("checkpoint", "PATH", "checkpoint file written by 'gan train'").required();
  c.add_int("n", "N", "number of images", 64).at_least(1);
  c.add_string("out", "FILE", "PNG file for the grid", "grid.png");
  c.add_int("seed", "N", "random seed", 1).at_least(0);
  c.add_int("class", "K",
            "conditional generators: draw class K only; -1 = one row per class (--n / classes columns)", -1)
      .at_least(-1);
  c.add_flag("no-ema", "use G's trained weights even when the checkpoint holds their moving average "
             "(a run with --ema-decay)");
  c.add_choice("device", kDeviceChoices, "where to run; auto uses the GPU when there is one", "auto");
  return c;
}

int cmd_sample(const ParsedArgs& a) {
  const Device device = parse_device(a.get_string("device"));
  const std::string out = a.get_string("out");
  std::string ending = out.size() >= 4 ? out.substr(out.size() - 4) : "";
  for (char& ch : ending) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  usage_check(ending == ".png", "--out '" + out + "': the grid is written as PNG; give a FILE.png", "sample");
  const std::string path = a.get_string("checkpoint");
  bool averaged = false;
  const auto g = load_generator(path, device, a.get_flag("no-ema"), &averaged);
  const int64_t classes = g->config.num_classes, cls = a.get_int("class");
  usage_check(cls < 0 || classes > 0,
              "--class needs a conditional generator; " + path + " holds an unconditional one", "sample");
  usage_check(cls < classes,
              "--class " + std::to_string(cls) + " is outside the generator's classes 0.." +
                  std::to_string(classes - 1),
              "sample");
  Rng noise(static_cast<uint64_t>(a.get_int("seed")));
  int64_t n = a.get_int("n"), columns = static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(n))));
  std::vector<int64_t> labels;
  Tensor z;
  if (classes > 0 && cls < 0) {
    // One row per class; the same noise down each column shows one style as every class.
    columns = std::max<int64_t>(1, n / classes);
    n = columns * classes;
    const std::vector<float> column_noise = Tensor::randn({columns, g->config.nz}, noise).to_vector<float>();
    std::vector<float> all;
    for (int64_t c = 0; c < classes; ++c) {
      all.insert(all.end(), column_noise.begin(), column_noise.end());
      labels.insert(labels.end(), static_cast<size_t>(columns), c);
    }
    z = Tensor::from_vector(all, {n, g->config.nz}, DType::F32, device);
  } else {
    z = Tensor::randn({n, g->config.nz}, noise, DType::F32, device);
    if (classes > 0) labels.assign(static_cast<size_t>(n), cls);
  }
  const Tensor images = generate(*g, z, labels).to(Device::cpu());
  io::write_image_grid_png(out, images.data<float>(), static_cast<int>(n), static_cast<int>(g->config.channels),
                           static_cast<int>(g->config.height()), static_cast<int>(g->config.width()),
                           static_cast<int>(columns));
  std::cerr << "gan sample: wrote " << n << (n == 1 ? " image" : " images") << " to " << out
            << (classes > 0 && cls < 0 ? " (one row per class)" : "")
            << (averaged ? " from the moving average of G's weights" : "") << "\n";
  return 0;
}

}  // namespace gan::app
