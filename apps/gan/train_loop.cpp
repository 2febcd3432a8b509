#include "apps/gan/train_loop.h"

#include <omp.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <limits>

#include "apps/gan/csv_log.h"
#include "apps/gan/plot.h"
#include "apps/gan/progress.h"
#include "core/cuda_runtime.h"
#include "core/distributed.h"
#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/io/png_grid.h"

namespace gan::app {

namespace {

namespace fs = std::filesystem;

std::string step_png(const std::string& dir, int64_t step) {
  std::ostringstream os;
  os << dir << "/step_" << std::setw(6) << std::setfill('0') << step << ".png";
  return os.str();
}

// How often --on-nan rollback retries before giving up.
constexpr int kMaxRollbacks = 3;

// An empty CSV field: a column not measured at this step.
constexpr double kNotMeasured = std::numeric_limits<double>::quiet_NaN();

// `dir`, once proven writable: a run that cannot save must not start.
const std::string& writable(const std::string& dir) {
  io::check_writable_dir(dir);
  return dir;
}

// <out>/config.toml: every option of the run, defaults included, for --config
// (--resume is left out: it says what to do with --out, not how to train). A
// resumed run keeps its file's values and takes this command line's (which
// --resume checked against the checkpoint); a run from before config files
// has its options in the checkpoint only, and gets none.
void write_run_config(const RunDirectory& dir, ParsedArgs args) {
  const std::string path = dir.path() + "/config.toml";
  if (dir.resuming()) {
    if (!fs::exists(path)) return;
    args.read_config(path);
  }
  const std::string text = args.config_text({"resume"});
  io::write_file_atomic(path, text.data(), text.size());
}

}  // namespace

namespace {

// Rank 0's checkpoint file on every rank: read there, broadcast, checked by all.
io::Checkpoint load_on_rank0(const std::string& path) {
  if (dist::size() == 1) return io::load_checkpoint(path);
  std::vector<uint8_t> bytes;
  if (dist::is_root()) bytes = io::read_file(path);
  dist::broadcast(bytes);
  return io::parse_checkpoint(bytes, path);
}

}  // namespace

RunDirectory::RunDirectory(const std::string& out, bool resume)
    : created_{dist::is_root() && !fs::exists(out), dist::is_root() && !fs::exists(out + "/.lock"),
               dist::is_root() && !fs::exists(out + "/samples")},
      out_(dist::is_root() ? writable(out) : out),
      resume_(resume) {
  if (!dist::is_root()) {
    if (resume_) resumed_ = load_on_rank0(checkpoint_path());
    return;
  }
  lock_.emplace(out);
  remove_stale_temporaries(out_, {"checkpoint.ckpt", "losses.csv", "config.toml"});
  const std::string ckpt = checkpoint_path();
  if (resume_) {
    GAN_CHECK(fs::exists(ckpt), IoError, "--resume: there is no checkpoint to resume in ", out_, " (looked for ", ckpt,
              ")");
    resumed_ = load_on_rank0(ckpt);
  } else {
    GAN_CHECK(!fs::exists(ckpt), IoError, out_, " already holds a training run (", ckpt,
              "): pass --resume to continue it, or choose another --out");
  }
  io::check_writable_dir(samples_dir());
}

RunDirectory::~RunDirectory() {
  if (!dist::is_root() || resume_ || fs::exists(checkpoint_path())) return;
  std::error_code ec;  // fs::remove leaves a folder that is not empty, and says so only in ec
  if (created_.samples) fs::remove(samples_dir(), ec);
  if (created_.lock) fs::remove(out_ + "/.lock", ec);
  if (created_.dir) fs::remove(out_, ec);
}

std::string where_running(Device device) {
  if (device.is_cuda()) return " (" + cuda::device_name() + ")";
  const int threads = omp_get_max_threads();
  return " with " + std::to_string(threads) + (threads == 1 ? " thread" : " threads");
}

void add_loop_options(CommandSpec& c, int64_t checkpoint_every) {
  c.add_int("sample-every", "N", "write a sample grid every N steps; 0 = only at the end", 200).at_least(0);
  c.add_int("checkpoint-every", "N", "write a checkpoint every N steps; 0 = only at the end", checkpoint_every)
      .at_least(0);
  c.add_int("log-every", "N", "append to losses.csv and refresh the shown losses every N steps", 10).at_least(1);
  c.add_flag("resume", "continue the run in --out from its checkpoint (the model and data options come from it)");
  c.add_choice("on-nan", {"stop", "rollback"},
               "when a loss or gradient becomes NaN/Inf: stop, naming the step and the layer or op where it "
               "appeared (the last checkpoint is kept), or roll back to the last checkpoint with half the "
               "learning rate (at most 3 times)",
               "stop");
  // More threads than cores only adds switching (10,000 made a step take
  // minutes, 100,000 crashed inside libgomp); 4x leaves room for SMT and odd
  // affinities.
  const int max_threads = 4 * omp_get_num_procs();
  c.add_int("threads", "N", detail::concat("CPU threads; 0 = all cores; at most ", max_threads, " (4x the cores)"), 0)
      .at_least(0)
      .at_most(max_threads);
  c.add_flag("quiet", "no progress bar, only warnings and errors");
  c.add_flag("sync-bn", "under mpirun: batch norm normalises with the statistics of the whole global batch "
             "(all-reduced per-channel sums), so N ranks of B/N match one process of B; without it each rank "
             "uses its own slice's (docs/distributed.md)");
  c.add_flag("dry-run", "load the data, measure the memory the run needs (parameters, gradients and optimizer "
             "state, activations, workspace) against what is available, print it and stop; nothing is written to "
             "--out. Every run makes this check, and refuses to start when the estimate does not fit");
}

ResumedData resume_data(const io::Checkpoint& ck, const std::string& path, const ParsedArgs& a,
                        const std::string& option, const std::string& given,
                        std::string (*absolute)(const std::string&),
                        io::DatasetIdentity (*identity)(const std::string&)) {
  ResumedData d;
  const std::string stored = ck.meta(option);
  d.spec = stored;
  if (!ck.has_meta(option + "_identity")) {
    ResumeCheck(a, path)(option, given, absolute(stored));
    d.identity = identity(stored);
    return d;
  }
  const io::DatasetIdentity was = io::DatasetIdentity::from_meta(ck.meta(option + "_identity"));
  if (a.given_on_command_line(option) && given != stored) {
    const io::DatasetIdentity here = identity(given);
    usage_check(here == was,
                "--" + option + " " + given + " is not the data set this run was trained on (" + stored +
                    "): it has " + here.str() + ", the run's had " + was.str() + "; leave --" + option +
                    " out, give the run's data at its new place, or start a new run in another --out",
                a.command());
    d.spec = given;
    d.identity = here;
    return d;
  }
  try {
    d.identity = identity(stored);
  } catch (const IoError&) {
    throw IoError("the run's data set " + stored + " is gone (" + was.str() + "); if it moved, resume with --" +
                  option + " and its new place");
  }
  if (d.identity != was)
    d.notice = "gan " + a.command() + ": warning: the data set " + stored + " changed since the run started (" +
               was.str() + "; now " + d.identity.str() + "); the run continues on what is there now";
  return d;
}

void refuse_out_inside_data(const std::string& out, const std::string& data_dir, const std::string& command) {
  if (data_dir.empty() || out.empty()) return;  // not given (a resumed run): nothing to compare
  const fs::path data = fs::absolute(data_dir).lexically_normal(), run = fs::absolute(out).lexically_normal();
  const auto [d, r] = std::mismatch(data.begin(), data.end(), run.begin(), run.end());
  const bool inside = d == data.end() || (std::next(d) == data.end() && d->empty());  // "dir/" ends in ""
  usage_check(!inside,
              "--out " + out + " is inside the data folder " + data_dir +
                  ": the run's own images (losses.png, samples) would become training images; choose an --out "
                  "outside it",
              command);
}

void check_steps_or_epochs(const ParsedArgs& a) {
  usage_check(a.get_int("steps") == 0 || a.get_int("epochs") == 0,
              "give either --steps or --epochs, not both", a.command());
}

int64_t total_steps_from_args(const ParsedArgs& a, int64_t steps_per_epoch, int64_t default_steps) {
  check_steps_or_epochs(a);
  if (a.get_int("steps") > 0) return a.get_int("steps");
  if (a.get_int("epochs") > 0) return a.get_int("epochs") * steps_per_epoch;
  return default_steps;
}

namespace {

// The loop's cadence options, kept in every checkpoint so that --resume goes
// on at the cadence the run was started with (losses.csv must not silently
// become sparser) unless the command line or --config gives them again.
struct CadenceOption {
  const char* option;  // "log-every"
  const char* meta;    // "log_every"
  int64_t TrainLoopOptions::*field;
};
constexpr CadenceOption kCadence[] = {{"log-every", "log_every", &TrainLoopOptions::log_every},
                                      {"sample-every", "sample_every", &TrainLoopOptions::sample_every},
                                      {"checkpoint-every", "checkpoint_every", &TrainLoopOptions::checkpoint_every}};

TrainLoopOptions with_resumed_cadence(const TrainLoopOptions& given, const RunDirectory& dir) {
  TrainLoopOptions o = given;
  if (!dir.resuming()) return o;
  for (const CadenceOption& c : kCadence)
    if (dir.resumed().has_meta(c.meta) && !(o.args && o.args->has(c.option)))
      o.*c.field = meta_int(dir.resumed(), c.meta, dir.checkpoint_path());
  return o;
}

}  // namespace

io::Batch rank_slice(const io::Batch& batch) {
  const int64_t ranks = dist::size();
  if (ranks == 1) return batch;
  const int64_t rows = batch.images.shape()[0], r = dist::rank();
  usage_check(rows % ranks == 0,
              "a batch of " + std::to_string(rows) + " images does not split evenly over " + std::to_string(ranks) +
                  " ranks; give a --batch-size that is a multiple of " + std::to_string(ranks) +
                  " (it is the global batch: each rank trains on batch-size / ranks)",
              "");
  const int64_t lo = rows / ranks * r, hi = rows / ranks * (r + 1);
  io::Batch mine;
  mine.images = batch.images.slice(0, lo, hi).contiguous();
  if (batch.images_b.defined()) mine.images_b = batch.images_b.slice(0, lo, hi).contiguous();
  if (!batch.labels.empty()) mine.labels.assign(batch.labels.begin() + lo, batch.labels.begin() + hi);
  return mine;
}

Tensor rank_randn(int64_t rows, int64_t cols, Rng& rng, Device device) {
  const int64_t ranks = dist::size(), r = dist::rank();
  if (ranks == 1) return Tensor::randn({rows, cols}, rng, DType::F32, device);
  const Tensor all = Tensor::randn({rows * ranks, cols}, rng);
  return all.slice(0, rows * r, rows * (r + 1)).contiguous().to(device);
}

uint64_t replicated_state_checksum(const LoopTrainer& trainer) {
  const io::Checkpoint ck = trainer.save_state();
  uint64_t hash = dist::fnv1a(nullptr, 0);
  for (const io::CheckpointRecord& r : ck.records) {
    if (r.name.find("running_") != std::string::npos) continue;  // BN statistics: per rank without --sync-bn
    hash = dist::fnv1a(r.name.data(), r.name.size(), hash);
    hash = dist::fnv1a(r.bytes.data(), r.bytes.size(), hash);
  }
  return hash;
}

namespace {

// Every rank must hold the same model; a difference is a bug (or hardware
// fault) that would otherwise go unnoticed until the results are wrong.
void check_replicas_agree(const LoopTrainer& trainer, int64_t step, const std::string& command) {
  if (dist::size() == 1) return;
  GAN_CHECK(dist::same_on_all_ranks(replicated_state_checksum(trainer)), DistributedError, "gan ", command,
            ": at step ", step, " the ranks' models differ (parameter and optimizer checksums disagree), so the "
            "gradient averaging went wrong; the last checkpoint is rank 0's. Please report this with the command "
            "line and the rank count");
}

// The step's numbers agreed by all ranks: the mean of the values, finite only
// where every rank's step was, interrupted when any rank was signalled.
void agree_across_ranks(StepResult& r, bool& interrupted) {
  if (dist::size() == 1) return;
  std::vector<double> v = r.values;
  v.push_back(r.finite ? 0.0 : 1.0);
  v.push_back(interrupted ? 1.0 : 0.0);
  std::vector<double> flags(v.end() - 2, v.end());
  v.resize(v.size() - 2);
  dist::all_reduce_sum(v.data(), static_cast<int64_t>(v.size()));
  for (double& x : v) x /= dist::size();
  dist::all_reduce_max(flags.data(), 2);
  r.values = v;
  r.finite = flags[0] == 0.0;
  interrupted = flags[1] != 0.0;
}

}  // namespace

int run_train_loop(LoopTrainer& trainer, const RunDirectory& dir, const TrainLoopOptions& options) {
  TrainLoopOptions o = with_resumed_cadence(options, dir);
  // Rank 0 speaks and writes for the run.
  const bool root = dist::is_root();
  if (!root) o.quiet = true;
  const std::string name = "gan " + o.command + ": ";
  const int64_t start = trainer.steps_done(), total = o.total_steps, per_step = trainer.batches_per_step();
  usage_check(total > start,
              "the run in " + dir.path() + " has already done " + std::to_string(start) +
                  " steps; ask for more with --steps N (N > " + std::to_string(start) + ") or --epochs",
              o.command);
  std::ostream& log = std::cerr;
  const std::string ckpt_path = dir.checkpoint_path();

  const auto save = [&](int64_t step) {
    check_replicas_agree(trainer, step, o.command);
    if (!root) return;
    io::Checkpoint ck = trainer.save_state();
    if (o.put_run_meta) o.put_run_meta(ck);
    for (const CadenceOption& c : kCadence) ck.put_meta(c.meta, std::to_string(o.*c.field));
    io::save_checkpoint(ckpt_path, ck);
  };
  const auto write_samples = [&](int64_t step) {
    if (!root) return;  // sampling runs G in eval mode: no collective, nothing the others miss
    const Tensor images = trainer.sample_grid().to(Device::cpu()).contiguous();
    const Shape& s = images.shape();
    for (const std::string& path : {step_png(dir.samples_dir(), step), dir.samples_dir() + "/latest.png"})
      io::write_image_grid_png(path, images.data<float>(), static_cast<int>(s[0]), static_cast<int>(s[1]),
                               static_cast<int>(s[2]), static_cast<int>(s[3]),
                               static_cast<int>(trainer.sample_grid_columns()));
  };
  const auto plot = [&] {
    if (root) plot_training_csv(dir.csv_path(), dir.path() + "/losses.png", o.plot_title);
  };
  const auto open_csv = [&](int64_t resume_step) {
    return root ? std::make_unique<CsvLog>(dir.csv_path(), o.columns, resume_step) : nullptr;
  };

  if (o.args && root) {  // config.toml with the cadence in force, so that --config reproduces the run
    ParsedArgs args = *o.args;
    for (const CadenceOption& c : kCadence) args.set(c.option, o.*c.field);
    write_run_config(dir, args);
  }
  std::unique_ptr<io::BatchLoader> loader = o.make_loader(start * per_step);
  auto csv = open_csv(dir.resuming() ? start : -1);
  if (!dir.resuming()) save(start);  // step 0: from now on the directory always holds a valid run
  int rollbacks = 0;
  ProgressOptions popt;
  popt.initial = start;
  ProgressBar bar(total, o.command, log, popt);
  const auto say = [&](const std::string& text) { bar.message(text); };
  InterruptScope interrupt_scope;
  std::string postfix;
  for (int64_t step = start + 1; step <= total; ++step) {
    std::vector<io::Batch> batches;
    for (int64_t i = 0; i < per_step; ++i) batches.push_back(rank_slice(loader->next()));
    // One small device-to-host copy per step: the losses and a probe of every
    // gradient, so a NaN is caught at the step it appears.
    StepResult r = trainer.train_step(batches);
    // Read once: a signal that lands after this is handled at the next step,
    // so a run never stops without the checkpoint this step writes when it stops.
    bool interrupted = InterruptScope::interrupted();
    agree_across_ranks(r, interrupted);
    if (!r.finite) {
      const std::string where = trainer.locate_nonfinite(batches);
      if (!o.rollback_on_nan || rollbacks == kMaxRollbacks) {
        throw NumericalError("training produced NaN or Inf at " + where + ". The last good checkpoint is kept in " +
                             ckpt_path +
                             (o.rollback_on_nan ? " (after " + std::to_string(kMaxRollbacks) +
                                                      " rollbacks); try a lower --lr"
                                                : "; try a lower --lr, or --on-nan rollback"));
      }
      // Back to the last checkpoint with half the learning rate, and on from there.
      trainer.restore_state(load_on_rank0(ckpt_path), ckpt_path);
      trainer.set_learning_rate(trainer.learning_rate() / 2);
      ++rollbacks;
      step = trainer.steps_done();
      std::ostringstream m;
      m << name << "NaN/Inf at " << where << "; rolled back to step " << step << " (" << ckpt_path
        << ") with --lr halved to " << trainer.learning_rate() << " (rollback " << rollbacks << " of "
        << kMaxRollbacks << ")";
      if (root) bar.message(m.str());
      loader.reset();
      loader = o.make_loader(step * per_step);
      csv.reset();
      csv = open_csv(step);
      continue;
    }
    const bool last = step == total || interrupted;
    // The evaluation runs G without a graph or batch statistics: rank 0 alone.
    const bool evaluate = root && o.evaluate && o.eval_every > 0 && (step % o.eval_every == 0 || last);
    if (step % o.log_every == 0 || last || evaluate) {
      postfix = o.format_values ? o.format_values(r.values) : "";
      if (evaluate) {
        const std::vector<double> extra = o.evaluate(step, say);
        r.values.insert(r.values.end(), extra.begin(), extra.end());
      }
      r.values.resize(o.columns.size() - 1, kNotMeasured);
      if (csv) csv->append(step, r.values);
    }
    if ((o.sample_every > 0 && step % o.sample_every == 0) || last) write_samples(step);
    if ((o.checkpoint_every > 0 && step % o.checkpoint_every == 0) || last) {
      save(step);
    } else if (step % kChecksumEvery == 0) {
      check_replicas_agree(trainer, step, o.command);
    }
    if (!o.quiet) bar.update(step, postfix);
    if (interrupted) {
      if (!o.quiet) bar.finish();  // --quiet drew no bar: no stray "N/total" line either
      plot();
      if (root)
        log << name << "interrupted (" << InterruptScope::signal_name() << ") at step " << step
          << "; the run is saved in " << ckpt_path << ": continue it with the same --out and --resume\n";
      return InterruptScope::exit_status();
    }
  }
  plot();
  if (!o.quiet) {
    bar.finish();
    log << name << "done. samples: " << dir.samples_dir() << "/latest.png, losses: " << csv->path() << " and "
        << dir.path() << "/losses.png, checkpoint: " << ckpt_path << "\n";
  }
  return 0;
}

}  // namespace gan::app
