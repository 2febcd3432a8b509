// train_dcgan: the whole GAN training loop on the engine's public API, for
// readers. It trains a small 28x28 DCGAN (Radford et al. 2016) on Fashion-MNIST
// with the standard alternating updates of Goodfellow et al. (2014):
//
//   for each step:  D step on a real batch and a generated one (BCE-with-logits)
//                   G step with the non-saturating loss (fakes labelled real)
//
// then writes a grid of samples as a PNG. The `gan` app (apps/gan) runs the
// same loop with checkpoints, resumption, metrics and more losses; this file
// keeps only the loop. Usage: example_train_dcgan --help.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/cuda_runtime.h"
#include "core/error.h"
#include "core/io/dataset.h"
#include "core/io/png_grid.h"
#include "core/ops.h"
#include "core/random.h"
#include "core/tensor.h"
#include "layers/init.h"
#include "layers/optim.h"
#include "models/dcgan.h"

using namespace gan;

namespace {

struct Options {
  int64_t steps = 200;
  std::string data = "/usr/share/datasets/fashion-mnist";
  std::string out = "dcgan_samples.png";
  int64_t batch = 64;
  int64_t log_every = 20;
  int64_t seed = 1;
};

void print_usage(std::FILE* to) {
  std::fprintf(to,
               "usage: example_train_dcgan [--steps N] [--data DIR] [--out FILE.png]\n"
               "                           [--batch-size N] [--log-every N] [--seed N]\n"
               "Trains a small 28x28 DCGAN on Fashion-MNIST and writes a grid of 64 samples.\n"
               "  --steps N      training steps (default 200)\n"
               "  --data DIR     folder with train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz]\n"
               "                 (default /usr/share/datasets/fashion-mnist)\n"
               "  --out FILE     the sample grid (default dcgan_samples.png)\n"
               "  --batch-size N images per step (default 64)\n"
               "  --log-every N  print the losses every N steps (default 20)\n"
               "  --seed N       seeds weights, batches and noise (default 1)\n"
               "Runs on the GPU when one is usable, else on the CPU.\n");
}

// A positive integer, or exit with a message naming the option.
int64_t positive(const char* option, const char* text) {
  char* end = nullptr;
  const long long v = std::strtoll(text, &end, 10);
  if (end == text || *end != '\0' || v <= 0) {
    std::fprintf(stderr, "example_train_dcgan: %s needs a positive integer, got '%s'\n", option, text);
    std::exit(2);
  }
  return v;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      print_usage(stdout);
      std::exit(0);
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "example_train_dcgan: unknown or incomplete option '%s'\n", arg.c_str());
      print_usage(stderr);
      std::exit(2);
    }
    const char* value = argv[++i];
    if (arg == "--steps") o.steps = positive("--steps", value);
    else if (arg == "--data") o.data = value;
    else if (arg == "--out") o.out = value;
    else if (arg == "--batch-size") o.batch = positive("--batch-size", value);
    else if (arg == "--log-every") o.log_every = positive("--log-every", value);
    else if (arg == "--seed") o.seed = positive("--seed", value);
    else {
      std::fprintf(stderr, "example_train_dcgan: unknown option '%s'\n", arg.c_str());
      print_usage(stderr);
      std::exit(2);
    }
  }
  return o;
}

int run(const Options& o) {
  // The data: IDX files, plain or gzip-compressed, brought to 28x28 with one
  // channel and kept as bytes (core/io/dataset.h).
  io::ImageSet set;
  try {
    set = io::load_image_set("idx:" + o.data, 28, 1);
  } catch (const IoError& e) {  // names the files it looked for; add where to get them
    std::fprintf(stderr, "example_train_dcgan: %s\n(scripts/setup.sh installs Fashion-MNIST into "
                 "/usr/share/datasets/fashion-mnist; or pass --data DIR)\n", e.what());
    return 1;
  }
  const Device device = cuda::available() ? Device::cuda() : Device::cpu();
  std::printf("%lld images, training on %s\n", static_cast<long long>(set.n), device.str().c_str());

  // One channel, nz 100 (the defaults); widths 32, not the paper's 64, so that 200 steps
  // take under a minute on two CPU cores.
  DcganConfig config;
  config.image_size = 28;
  config.ngf = 32;
  config.ndf = 32;
  Rng rng(static_cast<uint64_t>(o.seed));
  DcganGenerator g(config, rng);
  DcganDiscriminator d(config, rng);
  dcgan_init(g, rng);  // the paper's N(0, 0.02) weights
  dcgan_init(d, rng);
  g.to(device);
  d.to(device);
  // AdamParams' defaults are the paper's: lr 2e-4, beta1 0.5 (0.9 makes training oscillate).
  Adam opt_g(g.parameters(), AdamParams{});
  Adam opt_d(d.parameters(), AdamParams{});

  // Batches of a seeded shuffle of the images in [-1, 1] (the range of G's
  // tanh), each epoch in a new order, prepared ahead on a background thread.
  io::BatchLoader loader(set, o.batch, static_cast<uint64_t>(o.seed));
  const Tensor real_label = Tensor::ones({o.batch, 1}, DType::F32, device);
  const Tensor fake_label = Tensor::zeros({o.batch, 1}, DType::F32, device);
  for (int64_t step = 1; step <= o.steps; ++step) {
    const Tensor real = loader.next().images.to(device);
    const Tensor fake = g(Tensor::randn({o.batch, config.nz}, rng, DType::F32, device));

    // D step: push D(x) towards "real" and D(G(z)) towards "fake". The fakes
    // enter detached, so this backward stops at D's input and leaves G alone.
    const Tensor loss_d = bce_with_logits(d(real), real_label) + bce_with_logits(d(fake.detach()), fake_label);
    opt_d.zero_grad();
    loss_d.backward();
    opt_d.step();

    // G step, non-saturating: maximise log D(G(z)) (BCE against "real")
    // rather than minimise log(1 - D(G(z))), whose gradient vanishes while D
    // still wins easily. The gradient flows through the updated D into G; the
    // gradients it leaves on D's parameters are cleared by the next D step.
    const Tensor loss_g = bce_with_logits(d(fake), real_label);
    opt_g.zero_grad();
    loss_g.backward();
    opt_g.step();

    // item() copies to the host (and waits for the GPU): only on logging steps.
    if (step % o.log_every == 0 || step == o.steps) {
      std::printf("step %5lld  loss_D %.4f  loss_G %.4f\n", static_cast<long long>(step), loss_d.item(),
                  loss_g.item());
      std::fflush(stdout);  // show progress at once even when piped
    }
  }

  // Samples: batch norm from its running statistics (eval), no tape (no grad).
  g.eval();
  NoGradGuard no_grad;
  const int n = 64;
  const std::vector<float> images = g(Tensor::randn({n, config.nz}, rng, DType::F32, device)).to_vector<float>();
  io::write_image_grid_png(o.out, images.data(), n, 1, 28, 28, /*nrow=*/8);
  std::printf("wrote %s\n", o.out.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  try {
    return run(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "example_train_dcgan: %s\n", e.what());  // the engine's errors say what went wrong
    return 1;
  }
}
