// The training loop every training command of the `gan` app shares (`gan
// train`, `gan cyclegan train`, `gan pix2pix train`), and the run directory it
// writes into.
//
// A run lives in its --out directory:
//   checkpoint.ckpt   the latest full training state (atomically replaced)
//   losses.csv        one row of the trainer's numbers every --log-every steps
//   losses.png        those curves, drawn when the run ends or is interrupted
//   config.toml       every option of the run, for --config
//   samples/          step_NNNNNN.png sample grids, and latest.png
// Nothing is lost when a run stops early: Ctrl-C finishes the current step and
// writes a checkpoint; --resume continues from it with the same data order and
// random numbers, so the result is what one uninterrupted run would have given.
// A NaN/Inf in a loss or gradient stops the run naming the step and the layer
// or op where it appeared (or, with --on-nan rollback, returns to the last
// checkpoint with half the learning rate, at most 3 times).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "apps/gan/cli.h"
#include "apps/gan/run_dir.h"
#include "apps/gan/train_state.h"
#include "core/device.h"
#include "core/io/checkpoint_format.h"
#include "core/io/dataset.h"
#include "core/tensor.h"

namespace gan::app {

// One step's numbers, fetched from the device in one copy.
struct StepResult {
  std::vector<double> values;  // the trainer's logged columns, in order
  bool finite = true;          // every loss and every gradient of the step was finite
};

// What the loop needs from a command's trainer.
class LoopTrainer {
 public:
  virtual ~LoopTrainer() = default;
  virtual int64_t steps_done() const = 0;
  // Real batches one step consumes.
  virtual int64_t batches_per_step() const { return 1; }
  virtual StepResult train_step(const std::vector<io::Batch>& batches) = 0;
  // After a step that was not finite: where the first NaN/Inf appeared. Leaves
  // the trainer in its state before that step.
  virtual std::string locate_nonfinite(const std::vector<io::Batch>& batches) = 0;
  // The whole training state, and back (validated before anything changes).
  virtual io::Checkpoint save_state() const = 0;
  virtual void restore_state(const io::Checkpoint& checkpoint, const std::string& source) = 0;
  // The base learning rate (before any schedule); a rollback halves it.
  virtual double learning_rate() const = 0;
  virtual void set_learning_rate(double lr) = 0;
  // The images of the sample grid (NCHW in [-1, 1], any device), row by row,
  // sample_grid_columns() to a row.
  virtual Tensor sample_grid() = 0;
  virtual int64_t sample_grid_columns() const = 0;
};

// The --out directory of a training command, opened: created and proven
// writable, locked for this process (RunDirLock), stale temporaries of a killed
// run removed. A fresh run must not find a checkpoint there (IoError: pass
// --resume or choose another --out); a resumed one must (IoError otherwise),
// and it is loaded. A fresh run that ends before its first checkpoint (a bad
// option or data set found after opening) leaves nothing behind: what the
// constructor created (the folder, .lock, samples/) is removed again.
//
// In a distributed run (core/distributed.h) only rank 0 opens --out; the
// others leave it alone and, on --resume, get rank 0's checkpoint over MPI,
// so the ranks need no shared file system.
class RunDirectory {
 public:
  RunDirectory(const std::string& out, bool resume);
  ~RunDirectory();
  RunDirectory(const RunDirectory&) = delete;
  RunDirectory& operator=(const RunDirectory&) = delete;
  const std::string& path() const { return out_; }
  std::string checkpoint_path() const { return out_ + "/checkpoint.ckpt"; }
  std::string csv_path() const { return out_ + "/losses.csv"; }
  std::string samples_dir() const { return out_ + "/samples"; }
  bool resuming() const { return resume_; }
  // The checkpoint being resumed (only when resuming()).
  const io::Checkpoint& resumed() const { return resumed_; }

 private:
  struct Created {
    bool dir, lock, samples;
  };
  Created created_;  // first: it looks before the other members create anything
  std::string out_;
  std::optional<RunDirLock> lock_;  // rank 0's; the other ranks of a distributed run never touch --out
  bool resume_;
  io::Checkpoint resumed_;
};

// On --resume the checkpoint's options win; an option given on the command
// line that contradicts the stored one is a UsageError naming both (silently
// ignoring it would mislead). A --config file's values yield to the checkpoint:
// a run's config.toml keeps "0 = automatic" sizes as 0, which the checkpoint
// holds resolved.
class ResumeCheck {
 public:
  ResumeCheck(const ParsedArgs& args, std::string checkpoint_path)
      : args_(args), path_(std::move(checkpoint_path)) {}
  template <typename T>
  void operator()(const std::string& option, const T& given, const T& stored) const {
    if (!args_.given_on_command_line(option) || given == stored) return;
    throw UsageError("--" + option + " " + text(given) + " differs from the resumed run's " + text(stored) + " (in " +
                         path_ + "); leave it out to continue the run as it was, or start a new run in another --out",
                     args_.command());
  }

 private:
  // Numbers as the user writes them (0.0002, not 0.00020000000000000001).
  template <typename T>
  static std::string text(const T& v) {
    if constexpr (std::is_floating_point_v<T>) {
      return format_number(v);
    } else {
      std::ostringstream os;
      os << v;
      return os.str();
    }
  }

  const ParsedArgs& args_;
  std::string path_;
};

// The data of a resumed run. Training commands record their data spec (its
// folder absolute) in metadata `option` ("dataset", "data") and its identity
// (core/io/dataset.h) in `option`_identity. On --resume that data is used, or the
// --`option` given with it when the spec differs but the identity matches
// (the data moved); another identity is a UsageError naming both. When the
// recorded folder is gone the IoError says to give its new place; when its
// files changed, `notice` holds a warning to show before training. A
// checkpoint from before identities were recorded needs the same spec.
// `absolute` makes a spec's folder absolute, `identity` computes a spec's
// identity (IoError when its folder does not exist).
struct ResumedData {
  std::string spec;
  io::DatasetIdentity identity;
  std::string notice;
};
ResumedData resume_data(const io::Checkpoint& checkpoint, const std::string& path, const ParsedArgs& args,
                        const std::string& option, const std::string& given_spec,
                        std::string (*absolute)(const std::string&),
                        io::DatasetIdentity (*identity)(const std::string&));

struct TrainLoopOptions {
  std::string command;  // "train", "cyclegan train": messages start "gan <command>: "
  int64_t total_steps = 0;
  int64_t log_every = 10;         // a CSV row (and the shown numbers) every N steps
  int64_t sample_every = 0;       // a sample grid every N steps; 0: only at the end
  int64_t checkpoint_every = 0;   // a checkpoint every N steps; 0: only at the end
  bool rollback_on_nan = false;
  bool quiet = false;
  // The CSV's columns: "step", the trainer's values, then the evaluation's.
  std::vector<std::string> columns;
  std::string plot_title;
  // The command's options, written to config.toml when the loop starts (see
  // write_run_config); none when null.
  const ParsedArgs* args = nullptr;
  // The run's loader, starting at batch `first` (again after a rollback).
  std::function<std::unique_ptr<io::BatchLoader>(int64_t first)> make_loader;
  // Adds the command's own options (data, batching) to every checkpoint written.
  std::function<void(io::Checkpoint&)> put_run_meta;
  // The text shown after the progress bar for a step's values.
  std::function<std::string(const std::vector<double>&)> format_values;
  // Optional: every eval_every steps and at the end, the numbers of the
  // columns after the trainer's. `say` prints a line above the progress bar.
  int64_t eval_every = 0;
  std::function<std::vector<double>(int64_t step, const std::function<void(const std::string&)>& say)> evaluate;
};

// Data-parallel runs (`mpirun -np N gan ...`, docs/distributed.md): every rank
// runs this loop on the same global batches and keeps rows [r*B/N, (r+1)*B/N)
// of each (UsageError when B does not split evenly); the trainer averages the
// gradients (dist::backward_averaged). The logged numbers are the mean over
// ranks, which for equal slices is the global batch's; ranks agree on
// NaN/Inf and on interrupts; only rank 0 writes checkpoints, CSV, samples and
// the progress bar; and every kChecksumEvery steps (and with every
// checkpoint) the ranks compare a checksum of their trained state,
// stopping with DistributedError if it differs.
inline constexpr int64_t kChecksumEvery = 50;

// The rows of `batch` that belong to this rank (all of them on one rank).
io::Batch rank_slice(const io::Batch& batch);

// `rows` x `cols` standard normal noise for this rank: the rows of the global
// draw (rows x ranks, as one process with the global batch would draw it) that
// go with this rank's slice of the batch; the generator advances by the
// global draw on every rank. On one rank exactly Tensor::randn.
Tensor rank_randn(int64_t rows, int64_t cols, Rng& rng, Device device);

// The trainer's state that all ranks must hold identically: every tensor of
// save_state() but batch norm's running statistics, which stay per rank
// without --sync-bn (rank 0's are saved).
uint64_t replicated_state_checksum(const LoopTrainer& trainer);

// Trains from trainer.steps_done() to options.total_steps: the checkpoint at
// step 0 of a fresh run, CSV rows, sample grids, checkpoints, the progress
// bar, Ctrl-C / SIGTERM / SIGHUP, NaN handling, and losses.png at the end.
// Returns the exit status: 0, or 128 + the signal after one (130 for Ctrl-C;
// see InterruptScope). UsageError when the run has
// already reached total_steps; NumericalError for a NaN it cannot roll back.
int run_train_loop(LoopTrainer& trainer, const RunDirectory& dir, const TrainLoopOptions& options);

// The options every training command reads for the loop: --sample-every,
// --checkpoint-every (default `checkpoint_every`), --log-every, --resume,
// --on-nan, --threads, --quiet, --dry-run, --sync-bn.
void add_loop_options(CommandSpec& command, int64_t checkpoint_every);

// UsageError when --out lies in (or is) the folder of training images
// `data_dir`: the run's own PNGs (losses.png, samples) would become training
// images of the next run.
void refuse_out_inside_data(const std::string& out, const std::string& data_dir, const std::string& command);

// UsageError when both --steps and --epochs are given (check it before any
// work); total_steps_from_args checks it too.
void check_steps_or_epochs(const ParsedArgs& args);
// Training steps for --steps or --epochs, or `default_steps` when neither is given.
int64_t total_steps_from_args(const ParsedArgs& args, int64_t steps_per_epoch, int64_t default_steps);

// " (NVIDIA H100 ...)" or " with 2 threads": what a run's speed depends on.
std::string where_running(Device device);

}  // namespace gan::app
