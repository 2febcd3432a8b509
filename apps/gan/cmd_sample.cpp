// `gan sample`: a grid of images from a trained generator.
#include <cctype>
#include <cmath>
#include <cstring>
#include <iostream>

#include "apps/gan/commands.h"
#include "apps/gan/dcgan_trainer.h"
#include "apps/gan/memory_estimate.h"
#include "core/autograd.h"
#include "core/error.h"
#include "core/io/png_grid.h"
#include "core/io/safetensors.h"
#include "core/random.h"

namespace gan::app {

namespace {

// G(z) in eval mode, for labels when the model is conditional.
Tensor generate(DcganGenerator& g, const Tensor& z, const std::vector<int64_t>& labels) {
  NoGradGuard no_grad;
  if (g.config.num_classes == 0) return g.forward(z);
  return g.forward(z, one_hot(labels, g.config.num_classes, z.device()));
}

// The grid of G(z) for the noise (and classes) in a safetensors file.
int sample_given_noise(DcganGenerator& g, const std::string& file, const std::string& out, Device device) {
  const io::Checkpoint in = io::load_safetensors(file);
  const int64_t nz = g.config.nz, classes = g.config.num_classes;
  GAN_CHECK(in.has("z") && in.get("z").dtype == io::RecordType::F32 && in.get("z").shape.size() == 2 &&
                in.get("z").shape[0] >= 1 && in.get("z").shape[1] == nz,
            IoError, file, ": --noise needs a tensor 'z' of f32 [n, ", nz, "] (n >= 1) for this generator",
            in.has("z") ? ", got " + std::string(io::record_type_name(in.get("z").dtype)) + " " +
                              shape_str(in.get("z").shape)
                        : std::string(", and it has none"));
  const io::CheckpointRecord& zr = in.get("z");
  const int64_t n = zr.shape[0];
  Tensor z = Tensor::empty({n, nz}, DType::F32, Device::cpu());
  std::memcpy(z.data_ptr(), zr.bytes.data(), zr.bytes.size());
  std::vector<int64_t> labels;
  if (classes > 0) {
    GAN_CHECK(in.has("class") && in.get("class").dtype == io::RecordType::I64 &&
                  in.get("class").shape == std::vector<int64_t>{n},
              IoError, file, ": this generator is conditional: --noise needs a tensor 'class' of i64 [", n, "]");
    labels.resize(static_cast<size_t>(n));
    std::memcpy(labels.data(), in.get("class").bytes.data(), labels.size() * sizeof(int64_t));
  }
  const Tensor images = generate(g, z.to(device), labels).to(Device::cpu());
  const auto columns = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(n))));
  io::write_image_grid_png(out, images.data<float>(), static_cast<int>(n), static_cast<int>(g.config.channels),
                           static_cast<int>(g.config.height()), static_cast<int>(g.config.width()), columns);
  std::cerr << "gan sample: wrote " << n << (n == 1 ? " image" : " images") << " of the noise in " << file << " to "
            << out << "\n";
  return 0;
}

}  // namespace

CommandSpec sample_spec() {
  CommandSpec c("sample", "Generate an image grid from a trained generator.");
  c.add_string("checkpoint", "PATH", "checkpoint file written by 'gan train' (or give --weights)");
  c.add_string("weights", "FILE",
               "FILE.safetensors of generator weights instead of a checkpoint: from 'gan export', or from PyTorch "
               "with the names of docs/export.md");
  c.add_int("n", "N", "number of images", 64).at_least(1);
  c.add_string("out", "FILE", "PNG file for the grid", "grid.png");
  c.add_int("seed", "N", "random seed", 1).at_least(0);
  c.add_int("class", "K",
            "conditional generators: draw class K only; -1 = one row per class (--n / classes columns)", -1)
      .at_least(-1);
  c.add_string("noise", "FILE",
               "FILE.safetensors holding the noise: 'z' f32 [n, nz] (and 'class' i64 [n] for a conditional "
               "generator), instead of --n, --seed and --class; to draw the same images as another runtime");
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
  const bool weights = !a.get_string("weights").empty();
  usage_check(weights != !a.get_string("checkpoint").empty(), "give either --checkpoint or --weights (one generator)",
              "sample");
  const std::string path = a.get_string(weights ? "weights" : "checkpoint");
  usage_check(!weights || io::is_safetensors_path(path),
              "--weights '" + path + "': give a FILE.safetensors ('gan export --format safetensors' writes one)",
              "sample");
  bool averaged = false;
  const auto g = load_generator(path, device, a.get_flag("no-ema"), &averaged);
  const int64_t classes = g->config.num_classes, cls = a.get_int("class");
  usage_check(cls < 0 || classes > 0,
              "--class needs a conditional generator; " + path + " holds an unconditional one", "sample");
  usage_check(cls < classes,
              "--class " + std::to_string(cls) + " is outside the generator's classes 0.." +
                  std::to_string(classes - 1),
              "sample");
  if (!a.get_string("noise").empty()) return sample_given_noise(*g, a.get_string("noise"), out, device);
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
  // One batch of n images, measured at two small ones (memory_estimate.h).
  const std::string setting = std::to_string(n) + " images at " + std::to_string(g->config.height()) + "x" +
                              std::to_string(g->config.width()) + " px";
  auto need = estimate_memory(device, n, setting, [&](int64_t b) {
    generate(*g, Tensor::zeros({b, g->config.nz}, DType::F32, device),
             std::vector<int64_t>(classes > 0 ? static_cast<size_t>(b) : 0, 0));
    return ProbeSizes{};
  });
  need.parameters = module_bytes(*g);  // loaded before the probe
  check_memory(need, "sample", false, std::cout);
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
