// `gan train`: a DCGAN training run (see dcgan_trainer.h for one step, and
// train_loop.h for the run directory, resumption and the loop itself).
//
// losses.csv holds step, loss_D, loss_G, D_x, D_G_z every --log-every steps,
// plus augment_p with --ada-target, and frechet and class_entropy every
// --eval-every steps; the sample grids show G(fixed noise).
#include <omp.h>

#include <algorithm>
#include <charconv>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "apps/gan/commands.h"
#include "apps/gan/dcgan_trainer.h"
#include "apps/gan/memory_estimate.h"
#include "apps/gan/train_loop.h"
#include "core/distributed.h"
#include "core/error.h"
#include "core/io/dataset.h"
#include "core/io/safetensors.h"
#include "layers/state_dict.h"
#include "models/generator_eval.h"

namespace gan::app {

namespace {

// ---- options -----------------------------------------------------------------------

// Everything that fixes a run's result: the trainer's settings plus the data
// and its batching. Stored in the checkpoint; --resume reads it back.
struct RunOptions {
  TrainSettings train;
  std::string dataset;  // the spec, its folder absolute
  io::DatasetIdentity dataset_identity;
  int64_t batch_size = 64;
  bool conditional = false;
  std::string notice;  // a warning to show before training (a data set that changed)
};

void put_run_meta(io::Checkpoint& ck, const RunOptions& o) {
  ck.put_meta("dataset", o.dataset);
  ck.put_meta("dataset_identity", o.dataset_identity.meta());
  ck.put_meta("batch_size", std::to_string(o.batch_size));
}

// --image-size: "N" (square) or "HxW"; "0" picks the device's default.
// Whether the model supports the size is DcganConfig::validate's to say.
void parse_image_size(const ParsedArgs& a, Device device, DcganConfig& m) {
  const std::string text = a.get_string("image-size");
  const auto number = [&](const std::string& part) {
    int64_t v = -1;
    const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    usage_check(!part.empty() && ec == std::errc() && end == part.data() + part.size() && v >= 0,
                "--image-size expects N or HxW (height x width), e.g. 64 or 128x64; got '" + text + "'", a.command());
    return v;
  };
  const size_t x = text.find('x');
  m.image_size = number(text.substr(0, x));
  m.image_width = x == std::string::npos ? 0 : number(text.substr(x + 1));
  if (m.image_size == 0 && m.image_width == 0) m.image_size = device.is_cuda() ? 64 : 28;
  if (m.image_width == m.image_size) m.image_width = 0;  // "64x64" is 64
}

// The 28x28 model with bce trains by its own measured recipe, not the DCGAN
// paper's: G at 3.2e-3 and D at 1.2e-3, Adam beta2 0.99 and an EMA of G at
// 0.99 came to 0.47-0.49 of the paper recipe's feature distance on every
// seed at 3000 steps, and stayed ahead to 10,000 (docs/losses-and-metrics.md,
// "Results: the stabilisers"). Other sizes and losses keep their published
// recipe until they are measured. An option given keeps its value; giving
// any of the rates turns off the recipe's rates.
void apply_measured_28px_recipe(const ParsedArgs& a, TrainSettings& t) {
  const DcganConfig& m = t.model;
  if (t.loss != GanLoss::BCE || m.height() != 28 || m.width() != 28) return;
  if (!a.has("lr") && !a.has("lr-d") && !a.has("lr-g")) {
    t.lr_g = 3.2e-3;
    t.lr_d = 1.2e-3;
  }
  if (!a.has("beta2")) t.beta2 = 0.99;
  if (!a.has("ema-decay")) t.ema_decay = 0.99;
}

// Options from the command line. Model defaults depend on the device: the
// 64x64 DCGAN of the paper on a GPU, a small 28x28 one on the CPU. The
// optimizer and n_critic default to the loss's published recipe (for bce at
// 28x28, the measured one above).
RunOptions options_from_args(const ParsedArgs& a, Device device) {
  RunOptions o;
  o.train = TrainSettings::for_loss(parse_gan_loss(a.get_string("loss")));
  DcganConfig& m = o.train.model;
  parse_image_size(a, device, m);
  m.channels = a.get_int("channels");  // 0: from the data, filled in later
  m.nz = a.get_int("nz");
  const int64_t width = device.is_cuda() || std::max(m.height(), m.width()) >= 64 ? 64 : 32;
  m.ngf = a.get_int("ngf") != 0 ? a.get_int("ngf") : width;
  m.ndf = a.get_int("ndf") != 0 ? a.get_int("ndf") : width;
  if (a.has("lr")) o.train.lr = a.get_double("lr");
  o.train.lr_d = a.get_double("lr-d");
  o.train.lr_g = a.get_double("lr-g");
  o.train.ema_decay = a.get_double("ema-decay");
  usage_check(o.train.ema_decay < 1, "--ema-decay must be below 1 (0 = no moving average), got " +
                                         format_number(o.train.ema_decay), a.command());
  if (a.has("beta1")) o.train.beta1 = a.get_double("beta1");
  if (a.has("beta2")) o.train.beta2 = a.get_double("beta2");
  apply_measured_28px_recipe(a, o.train);
  if (a.get_int("n-critic") > 0) o.train.n_critic = a.get_int("n-critic");
  o.train.clip = a.get_double("clip");
  o.train.gp_lambda = a.get_double("gp-lambda");
  set_spectral_norm(m, a.get_string("spectral-norm"));
  o.train.r1_gamma = a.get_double("r1-gamma");
  o.train.r1_every = a.get_int("r1-every");
  if (o.train.r1_gamma > 0) m.discriminator_batchnorm = false;  // R1 is per sample, like wgan-gp's penalty
  o.train.augment = parse_diff_augment(a.get_string("diffaugment"));
  o.train.ada_target = a.get_double("ada-target");
  o.train.ada_images = a.get_int("ada-images");
  usage_check(o.train.ada_target == 0 || (o.train.ada_target < 1 && o.train.augment.any()),
              "--ada-target adapts the probability of --diffaugment: give a policy (e.g. --diffaugment "
              "color,translation,cutout) and a target in (0, 1) such as 0.6",
              a.command());
  o.train.seed = static_cast<uint64_t>(a.get_int("seed"));
  o.train.device = device;
  o.dataset = io::absolute_spec(a.get_string("dataset"));
  o.batch_size = a.get_int("batch-size");
  o.conditional = a.get_flag("conditional");
  return o;
}

// On --resume the checkpoint's options win; an option given on the command
// line that contradicts them is an error (silently ignoring it would mislead).
RunOptions options_from_checkpoint(const io::Checkpoint& ck, const std::string& path, const ParsedArgs& a,
                                   Device device) {
  const RunOptions given = options_from_args(a, device);
  RunOptions o = given;
  o.train = TrainSettings::for_loss(parse_gan_loss(ck.meta("loss")));
  o.train.model = model_from_meta(ck, path);
  o.train.n_critic = meta_int(ck, "n_critic", path);
  o.train.lr = meta_double(ck, "lr", path);
  // A network's rate equal to --lr is kept as 0, "follows --lr" (as when it
  // was not given); checkpoints from before TTUR and EMA have neither key.
  const auto own_rate = [&](const char* key) {
    const double r = ck.has_meta(key) ? meta_double(ck, key, path) : o.train.lr;
    return r == o.train.lr ? 0.0 : r;
  };
  o.train.lr_d = own_rate("lr_d");
  o.train.lr_g = own_rate("lr_g");
  o.train.ema_decay = ck.has_meta("ema_decay") ? meta_double(ck, "ema_decay", path) : 0.0;
  o.train.beta1 = meta_double(ck, "beta1", path);
  o.train.beta2 = meta_double(ck, "beta2", path);
  o.train.clip = meta_double(ck, "clip", path);
  o.train.gp_lambda = meta_double(ck, "gp_lambda", path);
  // Runs from before R1 have none.
  o.train.r1_gamma = ck.has_meta("r1_gamma") ? meta_double(ck, "r1_gamma", path) : 0.0;
  o.train.r1_every = ck.has_meta("r1_every") ? meta_int(ck, "r1_every", path) : given.train.r1_every;
  o.train.augment = parse_diff_augment(ck.has_meta("diff_augment") ? ck.meta("diff_augment") : "none");
  o.train.ada_target = ck.has_meta("ada_target") ? meta_double(ck, "ada_target", path) : 0.0;
  o.train.ada_images = ck.has_meta("ada_images") ? meta_int(ck, "ada_images", path) : given.train.ada_images;
  o.train.seed = static_cast<uint64_t>(meta_int(ck, "seed", path));
  o.train.device = device;
  ResumedData data = resume_data(ck, path, a, "dataset", given.dataset, io::absolute_spec, io::dataset_identity);
  o.dataset = data.spec;
  o.dataset_identity = data.identity;
  o.notice = data.notice;
  o.batch_size = meta_int(ck, "batch_size", path);
  o.conditional = o.train.model.num_classes > 0;

  const ResumeCheck check(a, path);
  const DcganConfig& gm = given.train.model;
  const DcganConfig& sm = o.train.model;
  check("image-size", gm.size_str(), sm.size_str());
  check("channels", gm.channels, sm.channels);
  check("nz", gm.nz, sm.nz);
  check("ngf", gm.ngf, sm.ngf);
  check("ndf", gm.ndf, sm.ndf);
  check("conditional", given.conditional, o.conditional);
  check("loss", std::string(gan_loss_name(given.train.loss)), std::string(gan_loss_name(o.train.loss)));
  check("n-critic", given.train.n_critic, o.train.n_critic);
  check("lr", given.train.lr, o.train.lr);
  check("lr-d", given.train.d_lr(), o.train.d_lr());
  check("lr-g", given.train.g_lr(), o.train.g_lr());
  check("ema-decay", given.train.ema_decay, o.train.ema_decay);
  check("beta1", given.train.beta1, o.train.beta1);
  check("beta2", given.train.beta2, o.train.beta2);
  check("clip", given.train.clip, o.train.clip);
  check("gp-lambda", given.train.gp_lambda, o.train.gp_lambda);
  check("spectral-norm", spectral_norm_name(gm), spectral_norm_name(sm));
  check("r1-gamma", given.train.r1_gamma, o.train.r1_gamma);
  check("r1-every", given.train.r1_every, o.train.r1_every);
  check("diffaugment", diff_augment_name(given.train.augment), diff_augment_name(o.train.augment));
  check("ada-target", given.train.ada_target, o.train.ada_target);
  check("ada-images", given.train.ada_images, o.train.ada_images);
  check("seed", given.train.seed, o.train.seed);
  check("batch-size", given.batch_size, o.batch_size);
  return o;
}

// The run's memory, measured on trainers of its model that do one step on
// blank batches (memory_estimate.h).
MemoryEstimate estimate_train_memory(const RunOptions& run) {
  const DcganConfig& m = run.train.model;
  const std::string setting = "batch " + std::to_string(run.batch_size) + " at " + m.size_str() + " px";
  // On the CPU the loader's batches count too: the one in use and the two it
  // prepares ahead, each of n_critic batches.
  const std::size_t per_batch = static_cast<std::size_t>(run.batch_size * m.channels * m.height() * m.width());
  const std::size_t loader =
      run.train.device.is_cuda() ? 0 : 3 * static_cast<std::size_t>(run.train.n_critic) * per_batch * sizeof(float);
  return estimate_memory(run.train.device, run.batch_size, setting, [&](int64_t b) {
    DcganTrainer probe(run.train);
    std::vector<io::Batch> batches(static_cast<size_t>(probe.batches_per_step()));
    for (io::Batch& batch : batches) {
      batch.images = Tensor::zeros({b, m.channels, m.height(), m.width()});
      if (run.conditional) batch.labels.assign(static_cast<size_t>(b), 0);
    }
    probe.train_step(batches);
    return training_sizes({&probe.generator(), &probe.discriminator()}, run.train.loss == GanLoss::WGAN ? 1 : 2);
  }, loader);
}

// loss_D, loss_G, D(x), D(G(z)) as the progress bar shows them.
std::string format_stats(const std::vector<double>& v, GanLoss loss) {
  std::ostringstream os;
  const bool probabilities = loss == GanLoss::BCE;
  os << std::fixed << std::setprecision(3) << "loss_D " << v.at(0) << "  loss_G " << v.at(1) << "  D(x) " << v.at(2)
     << "  D(G(z)) " << v.at(3) << (probabilities ? "" : " (scores)");
  if (v.size() > 4) os << "  augment p " << v[4];  // ADA's column
  return os.str();
}

const std::vector<std::string> kCsvColumns = {"step", "loss_D", "loss_G", "D_x", "D_G_z", "frechet", "class_entropy"};

}  // namespace

CommandSpec train_spec() {
  CommandSpec c("train", "Train a DCGAN (any GAN loss, optionally class-conditional) on an image dataset.",
                "Writes to --out as it goes: checkpoint.ckpt (the whole training state), losses.csv, "
                "losses.png and samples/step_NNNNNN.png grids. Ctrl-C stops after a checkpoint; --resume "
                "continues exactly where the run stopped. Give --epochs or --steps (or neither, for the "
                "default length).");
  c.add_string("dataset", "SPEC", "fashion-mnist | idx:PATH | folder:PATH", "fashion-mnist");
  c.add_choice("device", kDeviceChoices, "where to train; auto uses the GPU when there is one", "auto");
  c.add_string("image-size", "N|HxW",
               "image size: N for N x N, or HxW (height x width); 28, or each side a power of two from 16 to 256 "
               "(e.g. 64, 128, 128x64); 0 = 28 on CPU, 64 on GPU",
               "0");
  c.add_int("channels", "N", "image channels; 0 = from the data", 0).at_least(0);
  c.add_flag("skip-bad-images", "folder:PATH: leave out the files that cannot be decoded (and list them) instead "
             "of refusing to start");
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
  c.add_double("lr", "X",
               "learning rate (wgan: 5e-5, wgan-gp: 1e-4; bce at 28x28: G 3.2e-3 and D 1.2e-3 unless a rate is "
               "given)",
               2e-4)
      .at_least(0);
  c.add_double("lr-d", "X", "D's own learning rate (TTUR); 0 = --lr", 0).at_least(0);
  c.add_double("lr-g", "X", "G's own learning rate (TTUR); 0 = --lr", 0).at_least(0);
  c.add_double("ema-decay", "D",
               "keep a moving average of G's weights with decay D (e.g. 0.999; ramped up as min(D, (1+t)/(10+t)) "
               "at G update t); samples, 'gan sample' and 'gan eval' then use it. 0 = off (bce at 28x28: 0.99 unless "
               "given)",
               0)
      .at_least(0);
  c.add_double("beta1", "X", "Adam beta1 (wgan-gp: 0 unless given)", 0.5).at_least(0).at_most(1);
  c.add_double("beta2", "X", "Adam beta2 (wgan-gp: 0.9, bce at 28x28: 0.99 unless given)", 0.999)
      .at_least(0)
      .at_most(1);
  c.add_int("n-critic", "N", "D updates per G update; 0 = the loss's (5 for wgan and wgan-gp, else 1)", 0)
      .at_least(0);
  c.add_double("clip", "X", "wgan: clamp D's weights to [-X, X]", 0.01).at_least(0);
  c.add_double("gp-lambda", "X", "wgan-gp: weight of the gradient penalty", 10).at_least(0);
  c.add_choice("spectral-norm", {"none", "d", "g", "both"},
               "spectral normalisation of the conv layers of D, G or both (Miyato et al. 2018)", "none");
  c.add_double("r1-gamma", "X",
               "R1 penalty gamma/2 E||grad_x D(x)||^2 on real images (Mescheder et al. 2018); D then has no batch "
               "norm (the penalty is per sample, and batch norm has no double backward). 0 = off",
               0)
      .at_least(0);
  c.add_int("r1-every", "N", "apply R1 every N-th D update, scaled by N (lazy, as in StyleGAN2)", 16).at_least(1);
  c.add_string("diffaugment", "POLICY",
               "DiffAugment of every image D sees, real and fake (Zhao et al. 2020): none, or a comma-separated "
               "subset of color, translation, cutout",
               "none");
  c.add_double("ada-target", "R",
               "ADA (Karras et al. 2020): apply each --diffaugment transformation with a probability p that starts "
               "at 0 and adapts to keep E[sign D(x_real)], D's overfitting signal, at R (the paper's 0.6); losses.csv "
               "logs p. 0 = off: always augment",
               0)
      .at_least(0);
  c.add_int("ada-images", "N", "ADA: real images over which p can move from 0 to 1 (the paper: 500000)", 100000)
      .at_least(1);
  c.add_int("nz", "N", "latent vector size", 100).at_least(1);
  c.add_int("ngf", "N", "generator feature width; 0 = 64 (32 for the 28x28 CPU model)", 0).at_least(0);
  c.add_int("ndf", "N", "discriminator feature width; 0 = 64 (32 for the 28x28 CPU model)", 0).at_least(0);
  c.add_int("seed", "N", "random seed", 1).at_least(0);
  c.add_string("init-from", "FILE",
               "start from the weights in FILE.safetensors (from 'gan export' or PyTorch, names and shapes as in "
               "docs/export.md): its G.* and/or D.* tensors replace the initial ones; not with --resume");
  c.add_string("out", "DIR", "run directory for checkpoints and samples", "runs/dcgan");
  c.add_int("eval-every", "N",
            "every N steps, log the Fashion-MNIST feature distance and class coverage of 28x28 samples (needs "
            "--classifier); not Inception FID. 0 = never",
            0)
      .at_least(0);
  c.add_string("classifier", "PATH", "classifier checkpoint for --eval-every (from 'gan classifier train')",
               "runs/classifier.ckpt");
  c.add_int("eval-samples", "N", "generated images per evaluation", 2000).at_least(2);
  c.add_int("collapse-patience", "N",
            "with --eval-every: warn (once) when class coverage falls or the feature distance rises at N "
            "evaluations in a row; 0 = never",
            3)
      .at_least(0);
  add_loop_options(c, 1000);
  return c;
}

int cmd_train(const ParsedArgs& a) {
  const Device device = parse_device(a.get_string("device"));
  if (a.get_int("threads") > 0) omp_set_num_threads(static_cast<int>(a.get_int("threads")));
  check_steps_or_epochs(a);
  dist::set_sync_batch_norm(a.get_flag("sync-bn"));
  // In a distributed run rank 0 speaks for all (docs/distributed.md).
  const bool quiet = a.get_flag("quiet") || !dist::is_root();
  std::ostream& log = std::cerr;

  refuse_out_inside_data(a.get_string("out"), io::image_folder(a.get_string("dataset")), "train");
  // Empty is unset (a run's config.toml lists every option, unset ones too).
  const std::string init_from = a.get_string("init-from");
  usage_check(!(a.get_flag("resume") && a.given_on_command_line("init-from") && !init_from.empty()),
              "--init-from starts a new run; --resume continues one from its checkpoint: give one of them", "train");
  usage_check(init_from.empty() || io::is_safetensors_path(init_from),
              "--init-from '" + init_from + "': give a FILE.safetensors", "train");
  const RunDirectory dir(a.get_string("out"), a.get_flag("resume"));
  RunOptions run = dir.resuming() ? options_from_checkpoint(dir.resumed(), dir.checkpoint_path(), a, device)
                                  : options_from_args(a, device);
  if (!run.notice.empty() && dist::is_root()) log << run.notice << "\n";  // a warning: shown with --quiet too

  const DcganConfig& size = run.train.model;
  if (!quiet) log << "gan train: loading " << run.dataset << " at " << size.size_str() << "px\n";
  const io::ImageSet data =
      io::load_image_set(run.dataset, {size.height(), size.width()}, size.channels, /*train=*/true,
                         a.get_flag("skip-bad-images") ? io::BadImages::Skip : io::BadImages::Refuse);
  if (const std::string skipped = io::skipped_summary(data); !skipped.empty() && dist::is_root())
    log << "gan train: " << skipped << "\n";
  if (!dir.resuming()) run.dataset_identity = io::dataset_identity(run.dataset);  // after the load's clearer errors
  run.train.model.channels = data.channels;
  if (run.conditional) {
    GAN_CHECK(data.num_classes > 0, ValueError, "--conditional needs class labels; ", data.source,
              " has none (use fashion-mnist or idx:DIR)");
    run.train.model.num_classes = data.num_classes;
  }
  run.train.model.validate();
  {
    const dist::LocalScope alone;  // each rank measures its own memory: no collectives in the probe
    if (check_memory(estimate_train_memory(run), "train", a.get_flag("dry-run"), std::cout)) return 0;
  }

  DcganTrainer trainer(run.train);
  if (dir.resuming()) trainer.restore_state(dir.resumed(), dir.checkpoint_path());
  // On --resume the checkpoint holds the weights; an --init-from read back
  // from the run's config.toml is then moot, one typed with --resume an error.
  if (!init_from.empty() && !dir.resuming()) {
    const std::vector<std::string> loaded =
        import_networks(io::load_safetensors(init_from),
                        {{"G.", &trainer.generator()}, {"D.", &trainer.discriminator()}}, init_from, false);
    if (!quiet) {
      log << "gan train: starting from the " << (loaded.size() == 2 ? "G and D" : loaded[0].substr(0, 1))
          << " weights of " << init_from << "\n";
    }
  }
  const int64_t start = trainer.steps_done(), per_step = trainer.batches_per_step();
  const auto source =
      std::make_shared<io::ShuffledImages>(data, run.batch_size, stream_seed(run.train.seed, kDataStream));
  const int64_t steps_per_epoch = std::max<int64_t>(1, source->batches_per_epoch() / per_step);
  // Defaults sized for the machine: ~8 minutes of the small model on 2 CPU
  // cores (11 steps/s measured); 5 epochs of the 64x64 model on a GPU.
  TrainLoopOptions loop;
  loop.command = "train";
  loop.total_steps = total_steps_from_args(a, steps_per_epoch, device.is_cuda() ? 5 * steps_per_epoch : 5000);

  // The quality metric, when asked for: loaded (and checked) before training starts.
  loop.eval_every = a.get_int("eval-every");
  std::unique_ptr<GeneratorEvaluator> evaluator;
  CollapseAlarm alarm(static_cast<int>(a.get_int("collapse-patience")));
  if (loop.eval_every > 0) {
    if (!quiet) log << "gan train: loading the classifier " << a.get_string("classifier") << " for the metric\n";
    evaluator = std::make_unique<GeneratorEvaluator>(run.train.model, run.dataset, a.get_string("classifier"),
                                                     a.get_int("eval-samples"),
                                                     stream_seed(run.train.seed, kMetricStream), device);
    loop.evaluate = [&](int64_t step, const std::function<void(const std::string&)>& say) {
      const GeneratorEvaluation e = evaluator->evaluate(
          [&](const Tensor& z, const std::vector<int64_t>& labels) { return trainer.generate(z, labels); });
      if (!quiet) {
        std::ostringstream m;
        m << "gan train: step " << step << ": frechet " << e.frechet_distance << ", class coverage entropy "
          << e.coverage.normalized_entropy << " (1 = all classes equally often); classes "
          << format_histogram(e.coverage);
        say(m.str());
      }
      const std::string warning = alarm.observe(step, e.frechet_distance, e.coverage.normalized_entropy);
      if (!warning.empty()) say("gan train: " + warning);  // also with --quiet: a warning is not progress
      return std::vector<double>{e.frechet_distance, e.coverage.normalized_entropy};
    };
  }

  if (!quiet) {
    const TrainSettings& t = run.train;
    log << "gan train: " << data.n << " images, " << steps_per_epoch << " steps of " << run.batch_size
        << (per_step > 1 ? " x " + std::to_string(per_step) + " critic updates" : std::string()) << " per epoch; "
        << (t.model.num_classes > 0 ? "conditional " : "") << "DCGAN " << describe(t.model) << " (G "
        << trainer.generator().parameter_count() << ", D " << trainer.discriminator().parameter_count()
        << " parameters), loss " << gan_loss_name(t.loss) << ", " << (t.loss == GanLoss::WGAN ? "RMSprop" : "Adam")
        << (t.d_lr() == t.g_lr() ? " lr " + format_number(t.d_lr())
                                 : " lr D " + format_number(t.d_lr()) + " / G " + format_number(t.g_lr()))
        << (t.ema_decay > 0 ? ", EMA of G " + format_number(t.ema_decay) : std::string()) << ", on " << device.str()
        << where_running(device) << "\n"
        << "gan train: " << (dir.resuming() ? "resuming at step " + std::to_string(start) + ", " : "")
        << "training to step " << loop.total_steps << " (" << std::fixed << std::setprecision(1)
        << static_cast<double>(loop.total_steps) / steps_per_epoch << " epochs); writing to " << dir.path() << "/\n"
        << std::defaultfloat;
  }

  loop.log_every = a.get_int("log-every");
  loop.sample_every = a.get_int("sample-every");
  loop.checkpoint_every = a.get_int("checkpoint-every");
  loop.rollback_on_nan = a.get_string("on-nan") == "rollback";
  loop.quiet = quiet;
  loop.columns = kCsvColumns;
  if (run.train.ada_target > 0) loop.columns.insert(loop.columns.begin() + 5, "augment_p");
  loop.plot_title = std::string("gan train: ") + gan_loss_name(run.train.loss) + ", " + run.dataset;
  // config.toml records the optimizer settings in force (a loss's own recipe
  // unless given), so that --config repeats this run rather than bce's.
  ParsedArgs resolved = a;
  resolved.set("lr", run.train.lr);
  resolved.set("beta1", run.train.beta1);
  resolved.set("beta2", run.train.beta2);
  resolved.set("lr-d", run.train.lr_d);  // 0 unless D and G have their own rates
  resolved.set("lr-g", run.train.lr_g);
  resolved.set("ema-decay", run.train.ema_decay);
  loop.args = &resolved;
  loop.make_loader = [&](int64_t first) { return std::make_unique<io::BatchLoader>(source, first); };
  loop.put_run_meta = [&](io::Checkpoint& ck) { put_run_meta(ck, run); };
  loop.format_values = [&](const std::vector<double>& v) {
    return format_stats(v, run.train.loss) + (alarm.raised() ? "  COLLAPSE?" : "");
  };
  return run_train_loop(trainer, dir, loop);
}

}  // namespace gan::app
