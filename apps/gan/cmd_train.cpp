// `gan train`: a DCGAN training run (see dcgan_trainer.h for one step).
//
// A run lives in its --out directory:
//   checkpoint.ckpt   the latest full training state (atomically replaced)
//   losses.csv        step, loss_D, loss_G, D_x, D_G_z every --log-every steps,
//                     plus frechet and class_entropy every --eval-every steps
//   losses.png        those curves, drawn when the run ends or is interrupted
//   samples/          step_NNNNNN.png grids of G(fixed noise), and latest.png
// Nothing is lost when a run stops early: Ctrl-C finishes the current step and
// writes a checkpoint; --resume continues from it with the same data order and
// noise, so the result is what one uninterrupted run would have given.
#include <omp.h>

#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <limits>
#include <sstream>

#include "apps/gan/commands.h"
#include "apps/gan/csv_log.h"
#include "apps/gan/dataset.h"
#include "apps/gan/dcgan_trainer.h"
#include "apps/gan/generator_eval.h"
#include "apps/gan/plot.h"
#include "apps/gan/progress.h"
#include "apps/gan/run_dir.h"
#include "core/cuda_runtime.h"
#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/io/png_grid.h"

namespace gan::app {

namespace {

namespace fs = std::filesystem;

// ---- options -----------------------------------------------------------------------

// Everything that fixes a run's result: the trainer's settings plus the data
// and its batching. Stored in the checkpoint; --resume reads it back.
struct RunOptions {
  TrainSettings train;
  std::string dataset;
  int64_t batch_size = 64;
  bool conditional = false;
};

void put_run_meta(io::Checkpoint& ck, const RunOptions& o) {
  ck.put_meta("dataset", o.dataset);
  ck.put_meta("batch_size", std::to_string(o.batch_size));
}

// Options from the command line. Model defaults depend on the device: the
// 64x64 DCGAN of the paper on a GPU, a small 28x28 one on the CPU. The
// optimizer and n_critic default to the loss's published recipe.
RunOptions options_from_args(const ParsedArgs& a, Device device) {
  RunOptions o;
  o.train = TrainSettings::for_loss(parse_gan_loss(a.get_string("loss")));
  DcganConfig& m = o.train.model;
  m.image_size = a.get_int("image-size") != 0 ? a.get_int("image-size") : (device.is_cuda() ? 64 : 28);
  m.channels = a.get_int("channels");  // 0: from the data, filled in later
  m.nz = a.get_int("nz");
  const int64_t width = device.is_cuda() || m.image_size == 64 ? 64 : 32;
  m.ngf = a.get_int("ngf") != 0 ? a.get_int("ngf") : width;
  m.ndf = a.get_int("ndf") != 0 ? a.get_int("ndf") : width;
  if (a.has("lr")) o.train.lr = a.get_double("lr");
  if (a.has("beta1")) o.train.beta1 = a.get_double("beta1");
  if (a.has("beta2")) o.train.beta2 = a.get_double("beta2");
  if (a.get_int("n-critic") > 0) o.train.n_critic = a.get_int("n-critic");
  o.train.clip = a.get_double("clip");
  o.train.gp_lambda = a.get_double("gp-lambda");
  o.train.seed = static_cast<uint64_t>(a.get_int("seed"));
  o.train.device = device;
  o.dataset = a.get_string("dataset");
  o.batch_size = a.get_int("batch-size");
  o.conditional = a.get_flag("conditional");
  return o;
}

double meta_double(const io::Checkpoint& ck, const std::string& key, const std::string& path) {
  try {
    return std::stod(ck.meta(key));
  } catch (const std::logic_error&) {
    throw IoError(path + ": metadata '" + key + "' is not a number: the checkpoint is damaged");
  }
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
  o.train.beta1 = meta_double(ck, "beta1", path);
  o.train.beta2 = meta_double(ck, "beta2", path);
  o.train.clip = meta_double(ck, "clip", path);
  o.train.gp_lambda = meta_double(ck, "gp_lambda", path);
  o.train.seed = static_cast<uint64_t>(meta_int(ck, "seed", path));
  o.train.device = device;
  o.dataset = ck.meta("dataset");
  o.batch_size = meta_int(ck, "batch_size", path);
  o.conditional = o.train.model.num_classes > 0;

  const auto check = [&](const std::string& option, const auto& mine, const auto& stored) {
    std::ostringstream m, s;
    m << std::setprecision(17) << mine;
    s << std::setprecision(17) << stored;
    GAN_CHECK(!a.has(option) || m.str() == s.str(), UsageError,
              "--" + option + " " + m.str() + " differs from the resumed run's " + s.str() + " (in " + path +
                  "); leave it out to continue the run as it was, or start a new run in another --out",
              "train");
  };
  const DcganConfig& gm = given.train.model;
  const DcganConfig& sm = o.train.model;
  check("image-size", gm.image_size, sm.image_size);
  check("channels", gm.channels, sm.channels);
  check("nz", gm.nz, sm.nz);
  check("ngf", gm.ngf, sm.ngf);
  check("ndf", gm.ndf, sm.ndf);
  check("conditional", given.conditional, o.conditional);
  check("loss", std::string(gan_loss_name(given.train.loss)), std::string(gan_loss_name(o.train.loss)));
  check("n-critic", given.train.n_critic, o.train.n_critic);
  check("lr", given.train.lr, o.train.lr);
  check("beta1", given.train.beta1, o.train.beta1);
  check("beta2", given.train.beta2, o.train.beta2);
  check("clip", given.train.clip, o.train.clip);
  check("gp-lambda", given.train.gp_lambda, o.train.gp_lambda);
  check("seed", given.train.seed, o.train.seed);
  check("dataset", given.dataset, o.dataset);
  check("batch-size", given.batch_size, o.batch_size);
  return o;
}

std::string step_png(const std::string& dir, int64_t step) {
  std::ostringstream os;
  os << dir << "/step_" << std::setw(6) << std::setfill('0') << step << ".png";
  return os.str();
}

// " (NVIDIA H100 ...)" or " with 2 threads": what the run's speed depends on.
std::string where_running(Device device) {
  if (device.is_cuda()) return " (" + cuda::device_name() + ")";
  const int threads = omp_get_max_threads();
  return " with " + std::to_string(threads) + (threads == 1 ? " thread" : " threads");
}

// How often --on-nan rollback retries before giving up.
constexpr int kMaxRollbacks = 3;

std::string format_stats(const StepStats& s, GanLoss loss) {
  std::ostringstream os;
  const bool probabilities = loss == GanLoss::BCE;
  os << std::fixed << std::setprecision(3) << "loss_D " << s.loss_d << "  loss_G " << s.loss_g << "  D(x) "
     << s.d_real << "  D(G(z)) " << s.d_fake << (probabilities ? "" : " (scores)");
  return os.str();
}

const std::vector<std::string> kCsvColumns = {"step", "loss_D", "loss_G", "D_x", "D_G_z", "frechet", "class_entropy"};
constexpr double kNotMeasured = std::numeric_limits<double>::quiet_NaN();  // an empty CSV field

}  // namespace

int cmd_train(const ParsedArgs& a) {
  const Device device = parse_device(a.get_string("device"));
  if (a.get_int("threads") > 0) omp_set_num_threads(static_cast<int>(a.get_int("threads")));
  const bool by_steps = a.get_int("steps") > 0, by_epochs = a.get_int("epochs") > 0;
  GAN_CHECK(!(by_steps && by_epochs), UsageError, "give either --steps or --epochs, not both", "train");
  const bool quiet = a.get_flag("quiet");
  std::ostream& log = std::cerr;

  // The output directory first: a run that cannot save must not start.
  const std::string out = a.get_string("out");
  io::check_writable_dir(out);
  const RunDirLock lock(out);
  remove_stale_temporaries(out, {"checkpoint.ckpt", "losses.csv"});
  const std::string ckpt_path = out + "/checkpoint.ckpt";
  const std::string samples_dir = out + "/samples";
  const bool resume = a.get_flag("resume");
  io::Checkpoint resumed;
  RunOptions run;
  if (resume) {
    GAN_CHECK(fs::exists(ckpt_path), IoError, "--resume: there is no checkpoint to resume in ", out,
              " (looked for ", ckpt_path, ")");
    resumed = io::load_checkpoint(ckpt_path);
    run = options_from_checkpoint(resumed, ckpt_path, a, device);
  } else {
    GAN_CHECK(!fs::exists(ckpt_path), IoError, out, " already holds a training run (", ckpt_path,
              "): pass --resume to continue it, or choose another --out");
    run = options_from_args(a, device);
  }
  io::check_writable_dir(samples_dir);

  if (!quiet) log << "gan train: loading " << run.dataset << " at " << run.train.model.image_size << "px\n";
  const ImageSet data = load_image_set(run.dataset, run.train.model.image_size, run.train.model.channels);
  run.train.model.channels = data.channels;
  if (run.conditional) {
    GAN_CHECK(data.num_classes > 0, ValueError, "--conditional needs class labels; ", data.source,
              " has none (use fashion-mnist or idx:DIR)");
    run.train.model.num_classes = data.num_classes;
  }
  run.train.model.validate();

  DcganTrainer trainer(run.train);
  if (resume) trainer.restore_state(resumed, ckpt_path);
  const int64_t start = trainer.steps_done(), per_step = trainer.batches_per_step();
  auto loader = std::make_unique<BatchLoader>(data, run.batch_size, stream_seed(run.train.seed, kDataStream),
                                              start * per_step);
  const int64_t steps_per_epoch = std::max<int64_t>(1, loader->batches_per_epoch() / per_step);
  int64_t total;
  if (by_steps) {
    total = a.get_int("steps");
  } else if (by_epochs) {
    total = a.get_int("epochs") * steps_per_epoch;
  } else {
    // Defaults sized for the machine: ~8 minutes of the small model on 2 CPU
    // cores (11 steps/s measured); 5 epochs of the 64x64 model on a GPU.
    total = device.is_cuda() ? 5 * steps_per_epoch : 5000;
  }
  GAN_CHECK(total > start, UsageError,
            "the run in " + out + " has already done " + std::to_string(start) + " steps; ask for more with --steps " +
                "N (N > " + std::to_string(start) + ") or --epochs",
            "train");

  // The quality metric, when asked for: loaded (and checked) before training starts.
  const int64_t eval_every = a.get_int("eval-every");
  std::unique_ptr<GeneratorEvaluator> evaluator;
  if (eval_every > 0) {
    if (!quiet) log << "gan train: loading the classifier " << a.get_string("classifier") << " for the metric\n";
    evaluator = std::make_unique<GeneratorEvaluator>(run.train.model, run.dataset, a.get_string("classifier"),
                                                     a.get_int("eval-samples"), stream_seed(run.train.seed, 5),
                                                     device);
  }

  if (!quiet) {
    const TrainSettings& t = run.train;
    log << "gan train: " << data.n << " images, " << steps_per_epoch << " steps of " << run.batch_size
        << (per_step > 1 ? " x " + std::to_string(per_step) + " critic updates" : std::string()) << " per epoch; "
        << (t.model.num_classes > 0 ? "conditional " : "") << "DCGAN " << describe(t.model) << " (G "
        << trainer.generator().parameter_count() << ", D " << trainer.discriminator().parameter_count()
        << " parameters), loss " << gan_loss_name(t.loss) << ", " << (t.loss == GanLoss::WGAN ? "RMSprop" : "Adam")
        << " lr " << t.lr << ", on " << device.str() << where_running(device) << "\n"
        << "gan train: " << (resume ? "resuming at step " + std::to_string(start) + ", " : "") << "training to step "
        << total << " (" << std::fixed << std::setprecision(1) << static_cast<double>(total) / steps_per_epoch
        << " epochs); writing to " << out << "/\n"
        << std::defaultfloat;
  }

  const auto save = [&] {
    io::Checkpoint ck = trainer.save_state();
    put_run_meta(ck, run);
    io::save_checkpoint(ckpt_path, ck);
  };
  const auto write_samples = [&](int64_t step) {
    const Tensor images = trainer.sample_grid().to(Device::cpu());
    const int n = static_cast<int>(images.shape()[0]);
    const int side = static_cast<int>(run.train.model.image_size);
    for (const std::string& path : {step_png(samples_dir, step), samples_dir + "/latest.png"})
      io::write_image_grid_png(path, images.data<float>(), n, static_cast<int>(run.train.model.channels), side, side,
                               static_cast<int>(trainer.sample_grid_columns()));
  };
  const auto plot = [&] {
    plot_training_csv(out + "/losses.csv", out + "/losses.png",
                      std::string("gan train: ") + gan_loss_name(run.train.loss) + ", " + run.dataset);
  };
  const auto open_csv = [&](int64_t resume_step) { return std::make_unique<CsvLog>(out + "/losses.csv", kCsvColumns, resume_step); };

  auto csv = open_csv(resume ? start : -1);
  if (!resume) save();  // step 0: from now on the directory always holds a valid run
  const int64_t sample_every = a.get_int("sample-every"), checkpoint_every = a.get_int("checkpoint-every");
  const int64_t log_every = a.get_int("log-every");
  const bool rollback_on_nan = a.get_string("on-nan") == "rollback";
  int rollbacks = 0;
  ProgressOptions popt;
  popt.initial = start;
  ProgressBar bar(total, "train", log, popt);
  InterruptScope interrupt_scope;
  std::string postfix;
  for (int64_t step = start + 1; step <= total; ++step) {
    std::vector<Batch> batches;
    for (int64_t i = 0; i < per_step; ++i) batches.push_back(loader->next());
    // One small device-to-host copy per step: the losses and a probe of every
    // gradient, so a NaN is caught at the step it appears.
    const StepStats s = DcganTrainer::read_stats(trainer.step(batches));
    if (!s.finite()) {
      const std::string where = trainer.locate_nonfinite(batches);
      if (!rollback_on_nan || rollbacks == kMaxRollbacks) {
        throw NumericalError("training produced NaN or Inf at " + where + ". The last good checkpoint is kept in " +
                             ckpt_path +
                             (rollback_on_nan ? " (after " + std::to_string(kMaxRollbacks) + " rollbacks); try a lower --lr"
                                              : "; try a lower --lr, or --on-nan rollback"));
      }
      // Back to the last checkpoint with half the learning rate, and on from there.
      trainer.restore_state(io::load_checkpoint(ckpt_path), ckpt_path);
      run.train.lr /= 2;
      trainer.set_learning_rate(run.train.lr);
      ++rollbacks;
      step = trainer.steps_done();
      std::ostringstream m;
      m << "gan train: NaN/Inf at " << where << "; rolled back to step " << step << " (" << ckpt_path
        << ") with --lr halved to " << run.train.lr << " (rollback " << rollbacks << " of " << kMaxRollbacks << ")";
      bar.message(m.str());
      loader.reset();
      loader = std::make_unique<BatchLoader>(data, run.batch_size, stream_seed(run.train.seed, kDataStream),
                                             step * per_step);
      csv.reset();
      csv = open_csv(step);
      continue;
    }
    const bool last = step == total || InterruptScope::interrupted();
    const bool evaluate = evaluator && (step % eval_every == 0 || last);
    if (step % log_every == 0 || last || evaluate) {
      double frechet = kNotMeasured, entropy = kNotMeasured;
      if (evaluate) {
        const GeneratorEvaluation e = evaluator->evaluate(
            [&](const Tensor& z, const std::vector<int64_t>& labels) { return trainer.generate(z, labels); });
        frechet = e.frechet_distance;
        entropy = e.coverage.normalized_entropy;
        if (!quiet) {
          std::ostringstream m;
          m << "gan train: step " << step << ": frechet " << frechet << ", class coverage entropy " << entropy
            << " (1 = all classes equally often)";
          bar.message(m.str());
        }
      }
      csv->append(step, {s.loss_d, s.loss_g, s.d_real, s.d_fake, frechet, entropy});
      postfix = format_stats(s, run.train.loss);
    }
    if ((sample_every > 0 && step % sample_every == 0) || last) write_samples(step);
    if ((checkpoint_every > 0 && step % checkpoint_every == 0) || last) save();
    if (!quiet) bar.update(step, postfix);
    if (InterruptScope::interrupted()) {
      bar.finish();
      plot();
      log << "gan train: interrupted at step " << step << "; the run is saved in " << ckpt_path
          << ": continue it with the same --out and --resume\n";
      return kInterruptedStatus;
    }
  }
  plot();
  if (!quiet) {
    bar.finish();
    log << "gan train: done. samples: " << samples_dir << "/latest.png, losses: " << csv->path() << " and "
        << out << "/losses.png, checkpoint: " << ckpt_path << "\n";
  }
  return 0;
}

}  // namespace gan::app
