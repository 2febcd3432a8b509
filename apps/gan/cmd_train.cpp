// `gan train`: the DCGAN training run (see dcgan_trainer.h for one step).
//
// A run lives in its --out directory:
//   checkpoint.ckpt   the latest full training state (atomically replaced)
//   losses.csv        step, loss_D, loss_G, D(x), D(G(z)) every --log-every steps
//   samples/          step_NNNNNN.png grids of G(fixed noise), and latest.png
// Nothing is lost when a run stops early: Ctrl-C finishes the current step and
// writes a checkpoint; --resume continues from it with the same data order and
// noise, so the result is what one uninterrupted run would have given.
#include <fcntl.h>
#include <omp.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "apps/gan/commands.h"
#include "apps/gan/csv_log.h"
#include "apps/gan/dataset.h"
#include "apps/gan/dcgan_trainer.h"
#include "apps/gan/progress.h"
#include "core/cuda_runtime.h"
#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/io/png_grid.h"

namespace gan::app {

namespace {

namespace fs = std::filesystem;

// ---- Ctrl-C: finish the step, checkpoint, exit --------------------------------------

std::atomic<bool> g_interrupted{false};

extern "C" void on_interrupt(int) {
  g_interrupted = true;
  std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C kills at once
}

class InterruptScope {
 public:
  InterruptScope() {
    g_interrupted = false;
    previous_ = std::signal(SIGINT, on_interrupt);
  }
  ~InterruptScope() { std::signal(SIGINT, previous_); }

 private:
  void (*previous_)(int);
};

// ---- the run directory --------------------------------------------------------------

// Holds an exclusive lock on DIR/.lock for the run's lifetime: two runs writing
// one directory would corrupt each other's logs.
class RunDirLock {
 public:
  explicit RunDirLock(const std::string& dir) : path_(dir + "/.lock") {
    fd_ = ::open(path_.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
    GAN_CHECK(fd_ >= 0, IoError, "cannot create ", path_, ": ", std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd_);
      throw IoError("another 'gan train' is already running in " + dir + "; wait for it or use another --out");
    }
  }
  ~RunDirLock() { ::close(fd_); }  // closing releases the lock
  RunDirLock(const RunDirLock&) = delete;
  RunDirLock& operator=(const RunDirLock&) = delete;

 private:
  std::string path_;
  int fd_ = -1;
};

// A run killed while writing leaves its temporary file behind (the complete
// file it was replacing is untouched); with the lock held, any such file is stale.
void remove_stale_temporaries(const std::string& dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(".checkpoint.ckpt.tmp.", 0) == 0 || name.rfind(".losses.csv.tmp.", 0) == 0)
      fs::remove(entry.path(), ec);
  }
}

// ---- options -----------------------------------------------------------------------

// The run's options that must not change across --resume (they fix the model,
// the data order and the optimiser), as stored in the checkpoint's metadata.
struct RunOptions {
  TrainSettings train;
  std::string dataset;
  int64_t batch_size = 64;
};

std::string format_double(double v) {
  std::ostringstream os;
  os << std::setprecision(17) << v;
  return os.str();
}

void put_run_meta(io::Checkpoint& ck, const RunOptions& o) {
  ck.put_meta("dataset", o.dataset);
  ck.put_meta("batch_size", std::to_string(o.batch_size));
  ck.put_meta("lr", format_double(o.train.adam.lr));
  ck.put_meta("beta1", format_double(o.train.adam.beta1));
  ck.put_meta("beta2", format_double(o.train.adam.beta2));
}

// Options from the command line. Model defaults depend on the device: the
// 64x64 DCGAN of the paper on a GPU, a small 28x28 one on the CPU.
RunOptions options_from_args(const ParsedArgs& a, Device device) {
  RunOptions o;
  DcganConfig& m = o.train.model;
  m.image_size = a.get_int("image-size") != 0 ? a.get_int("image-size") : (device.is_cuda() ? 64 : 28);
  m.channels = a.get_int("channels");  // 0: from the data, filled in later
  m.nz = a.get_int("nz");
  const int64_t width = device.is_cuda() || m.image_size == 64 ? 64 : 32;
  m.ngf = a.get_int("ngf") != 0 ? a.get_int("ngf") : width;
  m.ndf = a.get_int("ndf") != 0 ? a.get_int("ndf") : width;
  o.train.adam.lr = a.get_double("lr");
  o.train.adam.beta1 = a.get_double("beta1");
  o.train.adam.beta2 = a.get_double("beta2");
  o.train.seed = static_cast<uint64_t>(a.get_int("seed"));
  o.train.device = device;
  o.dataset = a.get_string("dataset");
  o.batch_size = a.get_int("batch-size");
  return o;
}

// On --resume the checkpoint's options win; an option given on the command
// line that contradicts them is an error (silently ignoring it would mislead).
RunOptions options_from_checkpoint(const io::Checkpoint& ck, const std::string& path, const ParsedArgs& a,
                                   Device device) {
  RunOptions o = options_from_args(a, device);
  const DcganConfig saved = model_from_meta(ck, path);
  auto number = [&](const std::string& key) {
    try {
      return std::stod(ck.meta(key));
    } catch (const std::invalid_argument&) {
      throw IoError(path + ": metadata '" + key + "' is not a number: the checkpoint is damaged");
    }
  };
  auto conflict = [&](const std::string& option, const std::string& given, const std::string& stored) {
    GAN_CHECK(!a.has(option) || given == stored, UsageError,
              "--" + option + " " + given + " differs from the resumed run's " + stored + " (in " + path +
                  "); leave it out to continue the run as it was, or start a new run in another --out",
              "train");
  };
  conflict("image-size", std::to_string(o.train.model.image_size), std::to_string(saved.image_size));
  conflict("channels", std::to_string(o.train.model.channels), std::to_string(saved.channels));
  conflict("nz", std::to_string(o.train.model.nz), std::to_string(saved.nz));
  conflict("ngf", std::to_string(o.train.model.ngf), std::to_string(saved.ngf));
  conflict("ndf", std::to_string(o.train.model.ndf), std::to_string(saved.ndf));
  conflict("dataset", o.dataset, ck.meta("dataset"));
  conflict("batch-size", std::to_string(o.batch_size), ck.meta("batch_size"));
  conflict("seed", std::to_string(o.train.seed), ck.meta("seed"));
  conflict("lr", format_double(o.train.adam.lr), format_double(number("lr")));
  conflict("beta1", format_double(o.train.adam.beta1), format_double(number("beta1")));
  conflict("beta2", format_double(o.train.adam.beta2), format_double(number("beta2")));
  o.train.model = saved;
  o.dataset = ck.meta("dataset");
  o.batch_size = static_cast<int64_t>(number("batch_size"));
  o.train.seed = static_cast<uint64_t>(std::stoull(ck.meta("seed")));
  o.train.adam.lr = number("lr");
  o.train.adam.beta1 = number("beta1");
  o.train.adam.beta2 = number("beta2");
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

std::string format_stats(const StepStats& s) {
  std::ostringstream os;
  os << std::fixed << std::setprecision(3) << "loss_D " << s.loss_d << "  loss_G " << s.loss_g << "  D(x) "
     << s.d_real << "  D(G(z)) " << s.d_fake;
  return os.str();
}

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
  remove_stale_temporaries(out);
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
  run.train.model.validate();

  DcganTrainer trainer(run.train);
  if (resume) trainer.restore_state(resumed, ckpt_path);
  const int64_t start = trainer.steps_done();
  auto loader = std::make_unique<BatchLoader>(data, run.batch_size, stream_seed(run.train.seed, kDataStream), start);
  const int64_t per_epoch = loader->batches_per_epoch();
  int64_t total;
  if (by_steps) {
    total = a.get_int("steps");
  } else if (by_epochs) {
    total = a.get_int("epochs") * per_epoch;
  } else {
    // Defaults sized for the machine: ~10 minutes of the small model on 2 CPU
    // cores; 5 epochs of the 64x64 model on a GPU.
    total = device.is_cuda() ? 5 * per_epoch : 3000;
  }
  GAN_CHECK(total > start, UsageError,
            "the run in " + out + " has already done " + std::to_string(start) + " steps; ask for more with --steps " +
                "N (N > " + std::to_string(start) + ") or --epochs",
            "train");

  if (!quiet) {
    const DcganConfig& m = run.train.model;
    log << "gan train: " << data.n << " images, " << per_epoch << " batches of " << run.batch_size
        << " per epoch; DCGAN " << m.image_size << "x" << m.image_size << "x" << m.channels << " nz " << m.nz
        << " ngf " << m.ngf << " ndf " << m.ndf << " (G " << trainer.generator().parameter_count() << ", D "
        << trainer.discriminator().parameter_count() << " parameters) on " << device.str()
        << where_running(device) << "\n"
        << "gan train: " << (resume ? "resuming at step " + std::to_string(start) + ", " : "") << "training to step "
        << total << " (" << std::fixed << std::setprecision(1) << static_cast<double>(total) / per_epoch
        << " epochs); writing to " << out << "/\n";
  }

  const auto save = [&] {
    io::Checkpoint ck = trainer.save_state();
    put_run_meta(ck, run);
    io::save_checkpoint(ckpt_path, ck);
  };
  const auto write_samples = [&](int64_t step) {
    const Tensor images = trainer.generate(trainer.fixed_noise()).to(Device::cpu());
    const int n = static_cast<int>(images.shape()[0]);
    const int side = static_cast<int>(run.train.model.image_size);
    const int nrow = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(n))));
    for (const std::string& path : {step_png(samples_dir, step), samples_dir + "/latest.png"})
      io::write_image_grid_png(path, images.data<float>(), n, static_cast<int>(run.train.model.channels), side, side,
                               nrow);
  };

  const auto open_csv = [&](int64_t resume_step) {
    return std::make_unique<CsvLog>(out + "/losses.csv", std::vector<std::string>{"step", "loss_D", "loss_G", "D_x", "D_G_z"},
                                    resume_step);
  };
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
    const Batch batch = loader->next();
    // One small device-to-host copy per step: the losses and a probe of every
    // gradient, so a NaN is caught at the step it appears.
    const StepStats s = DcganTrainer::read_stats(trainer.step(batch.images));
    if (!s.finite()) {
      const std::string where = trainer.locate_nonfinite(batch.images);
      if (!rollback_on_nan || rollbacks == kMaxRollbacks) {
        throw NumericalError("training produced NaN or Inf at " + where + ". The last good checkpoint is kept in " +
                             ckpt_path +
                             (rollback_on_nan ? " (after " + std::to_string(kMaxRollbacks) + " rollbacks); try a lower --lr"
                                              : "; try a lower --lr, or --on-nan rollback"));
      }
      // Back to the last checkpoint with half the learning rate, and on from there.
      const io::Checkpoint last = io::load_checkpoint(ckpt_path);
      trainer.restore_state(last, ckpt_path);
      run.train.adam.lr /= 2;
      trainer.set_learning_rate(run.train.adam.lr);
      ++rollbacks;
      step = trainer.steps_done();
      bar.finish();
      log << "gan train: NaN/Inf at " << where << "; rolled back to step " << step << " (" << ckpt_path
          << ") with --lr halved to " << run.train.adam.lr << " (rollback " << rollbacks << " of " << kMaxRollbacks
          << ")\n";
      loader.reset();
      loader = std::make_unique<BatchLoader>(data, run.batch_size, stream_seed(run.train.seed, kDataStream), step);
      csv.reset();
      csv = open_csv(step);
      continue;
    }
    const bool last = step == total || g_interrupted;
    if (step % log_every == 0 || last) {
      csv->append(step, {s.loss_d, s.loss_g, s.d_real, s.d_fake});
      postfix = format_stats(s);
    }
    if ((sample_every > 0 && step % sample_every == 0) || last) write_samples(step);
    if ((checkpoint_every > 0 && step % checkpoint_every == 0) || last) save();
    if (!quiet) bar.update(step, postfix);
    if (g_interrupted) {
      bar.finish();
      log << "gan train: interrupted at step " << step << "; the run is saved in " << ckpt_path
          << ": continue it with the same --out and --resume\n";
      return 130;
    }
  }
  if (!quiet) {
    bar.finish();
    log << "gan train: done. samples: " << samples_dir << "/latest.png, losses: " << csv->path()
        << ", checkpoint: " << ckpt_path << "\n";
  }
  return 0;
}

}  // namespace gan::app
