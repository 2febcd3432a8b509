#include "apps/gan/app.h"

#include <omp.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "apps/gan/classifier.h"
#include "apps/gan/commands.h"
#include "apps/gan/train_loop.h"
#include "layers/gan_losses.h"
#include "core/version.h"

namespace gan::app {
namespace {

const std::vector<std::string> kDevices = {"auto", "cpu", "cuda"};

CommandSpec train_spec() {
  CommandSpec c("train", "Train a DCGAN (any GAN loss, optionally class-conditional) on an image dataset.",
                "Writes to --out as it goes: checkpoint.ckpt (the whole training state), losses.csv, "
                "losses.png and samples/step_NNNNNN.png grids. Ctrl-C stops after a checkpoint; --resume "
                "continues exactly where the run stopped. Give --epochs or --steps (or neither, for the "
                "default length).");
  c.add_string("dataset", "SPEC", "fashion-mnist | idx:PATH | folder:PATH", "fashion-mnist");
  c.add_choice("device", kDevices, "where to train; auto uses the GPU when there is one", "auto");
  c.add_int("image-size", "N", "side of the square images: 28, 32 or 64; 0 = 28 on CPU, 64 on GPU", 0)
      .at_least(0);
  c.add_int("channels", "N", "image channels; 0 = from the data", 0).at_least(0);
  c.add_int("epochs", "N", "passes over the dataset; 0 = unset", 0).at_least(0);
  c.add_int("steps", "N",
            "total training steps (instead of --epochs); 0 = unset: 5000 on CPU, 5 epochs on GPU", 0)
      .at_least(0);
  c.add_int("batch-size", "N", "images per step", 64).at_least(1);
  c.add_choice("loss", gan_loss_names(),
               "GAN objective: bce (the minimax game, non-saturating G loss), wgan (weight clipping, RMSprop), "
               "wgan-gp (gradient penalty, no batch norm in the critic), hinge, lsgan (least squares)",
               "bce");
  c.add_flag("conditional", "class-conditional GAN: labels of the data set go to G and D");
  c.add_double("lr", "X", "learning rate (wgan: 5e-5, wgan-gp: 1e-4 unless given)", 2e-4).at_least(0);
  c.add_double("beta1", "X", "Adam beta1 (wgan-gp: 0 unless given)", 0.5).at_least(0).at_most(1);
  c.add_double("beta2", "X", "Adam beta2 (wgan-gp: 0.9 unless given)", 0.999).at_least(0).at_most(1);
  c.add_int("n-critic", "N", "D updates per G update; 0 = the loss's (5 for wgan and wgan-gp, else 1)", 0)
      .at_least(0);
  c.add_double("clip", "X", "wgan: clamp D's weights to [-X, X]", 0.01).at_least(0);
  c.add_double("gp-lambda", "X", "wgan-gp: weight of the gradient penalty", 10).at_least(0);
  c.add_int("nz", "N", "latent vector size", 100).at_least(1);
  c.add_int("ngf", "N", "generator feature width; 0 = 64 (32 for the 28x28 CPU model)", 0).at_least(0);
  c.add_int("ndf", "N", "discriminator feature width; 0 = 64 (32 for the 28x28 CPU model)", 0).at_least(0);
  c.add_int("seed", "N", "random seed", 1).at_least(0);
  c.add_string("out", "DIR", "run directory for checkpoints and samples", "runs/dcgan");
  c.add_int("eval-every", "N",
            "every N steps, log the Fashion-MNIST feature distance and class coverage of 28x28 samples (needs "
            "--classifier); not Inception FID. 0 = never",
            0)
      .at_least(0);
  c.add_string("classifier", "PATH", "classifier checkpoint for --eval-every (from 'gan classifier train')",
               "runs/classifier.ckpt");
  c.add_int("eval-samples", "N", "generated images per evaluation", 2000).at_least(2);
  add_loop_options(c, 1000);
  return c;
}

CommandSpec sample_spec() {
  CommandSpec c("sample", "Generate an image grid from a trained generator.");
  c.add_string("checkpoint", "PATH", "checkpoint file written by 'gan train'").required();
  c.add_int("n", "N", "number of images", 64).at_least(1);
  c.add_string("out", "FILE", "PNG file for the grid", "grid.png");
  c.add_int("seed", "N", "random seed", 1).at_least(0);
  c.add_int("class", "K",
            "conditional generators: draw class K only; -1 = one row per class (--n / classes columns)", -1)
      .at_least(-1);
  c.add_choice("device", kDevices, "where to run; auto uses the GPU when there is one", "auto");
  return c;
}

CommandSpec eval_spec() {
  CommandSpec c("eval", "Measure a trained generator: feature distance and class coverage.",
                "Generates --samples images and compares them with the test split of the run's data set through "
                "the Fashion-MNIST classifier of 'gan classifier train': the Frechet distance of the "
                "classifier's penultimate features (a Fashion-MNIST feature distance, NOT Inception FID: compare "
                "it only with other runs measured by the same classifier), and the histogram of predicted "
                "classes with its entropy (near 0: mode collapse). 28x28 grayscale generators only.");
  c.add_string("checkpoint", "PATH", "checkpoint file written by 'gan train'").required();
  c.add_string("classifier", "PATH", "classifier checkpoint from 'gan classifier train'", "runs/classifier.ckpt");
  c.add_string("dataset", "SPEC", "the real images' data set (default: the run's own): fashion-mnist | idx:DIR",
               "fashion-mnist");
  c.add_int("samples", "N", "generated images to measure", 10000).at_least(2);
  c.add_int("seed", "N", "random seed of the generated samples", 1).at_least(0);
  c.add_choice("device", kDevices, "where to run; auto uses the GPU when there is one", "auto");
  return c;
}

}  // namespace

// `gan --version`: the version, and how the CPU backend will run (what a
// benchmark report or a bug report needs to say).
std::string version_text() {
  const char* policy = std::getenv("OMP_WAIT_POLICY");
  const char* spin = std::getenv("GOMP_SPINCOUNT");
  return std::string(gan::version()) + "\nCPU backend: " + std::to_string(omp_get_max_threads()) +
         " OpenMP threads, OMP_WAIT_POLICY=" + (policy ? policy : "unset") +
         ", GOMP_SPINCOUNT=" + (spin ? spin : "unset");
}

Cli make_cli() {
  Cli cli("gan", "Train and sample GANs with a from-scratch deep-learning engine.", version_text());
  cli.add(train_spec(), cmd_train);
  cli.add(sample_spec(), cmd_sample);
  cli.add(eval_spec(), cmd_eval);
  cli.add(classifier_train_spec(), cmd_classifier_train);
  cli.add(cyclegan_train_spec(), cmd_cyclegan_train);
  cli.add(pix2pix_train_spec(), cmd_pix2pix_train);
  cli.add(translate_spec(), cmd_translate);
  return cli;
}

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string command;  // set once parsed: a handler's own UsageError points at its --help
  try {
    const Cli cli = make_cli();
    Invocation inv = cli.parse(args);
    if (!inv.handler) {
      out << inv.text;
      return 0;
    }
    command = inv.args.command();
    return inv.handler(inv.args);
  } catch (const UsageError& e) {
    const std::string cmd = e.command().empty() ? command : e.command();
    err << "gan: error: " << e.what() << "\nrun 'gan" << (cmd.empty() ? "" : " " + cmd)
        << " --help' for usage\n";
    return 2;
  } catch (const gan::Error& e) {
    err << "gan: error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    // A bug (std::logic_error from a getter) or std::bad_alloc: still a message, not an abort.
    err << "gan: internal error: " << e.what() << "\n";
    return 1;
  }
}

int run_cli(int argc, char** argv) {
  return run_cli(std::vector<std::string>(argv + (argc > 0 ? 1 : 0), argv + argc), std::cout, std::cerr);
}

}  // namespace gan::app
