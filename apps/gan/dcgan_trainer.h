// The training step of the DCGAN family (plain, conditional, any GAN loss of
// layers/gan_losses.h) and everything a run must carry across a restart.
//
// One step() is one iteration of the GAN game (Goodfellow et al. 2014, with the
// DCGAN recipe of Radford et al. 2016):
//   1. n_critic discriminator (critic) updates, each on its own real batch and
//      a batch of fakes G(z) cut from the graph with detach(); the loss is the
//      chosen GAN loss's D side, plus the gradient penalty for wgan-gp, and
//      after each update WGAN clips D's weights.
//   2. one generator update: D, just updated, looks at G(z) (not detached) and
//      G minimises the loss's G side (for bce the non-saturating
//      BCE(D(G(z)), 1)). With n_critic = 1 the fakes of the D update are
//      reused, as in the DCGAN paper's reference code; otherwise fresh noise.
// D ends in a logit or critic score, never a sigmoid.
//
// Conditional (model.num_classes > 0): every batch's class labels go to D with
// the real images, and the fakes are generated for the same labels, so both
// sides of D (and WGAN-GP's interpolates) see one class distribution.
//
// TTUR (Heusel et al. 2017): D and G may have their own learning rates
// (lr_d, lr_g; by default both --lr).
// EMA (ema_decay > 0): after every G update a moving average of G's weights
// is updated (layers/ema.h); the sample grids and generate() use it, and it
// is part of the checkpoint ("G_ema.") and of exact resumption.
//
// Random streams, all derived from the one --seed: weight init, the per-step
// noise (z and the penalty's interpolation weights), the fixed noise of the
// sample grids, and the data order (the loader's). The checkpoint stores the
// weights, BN statistics, both optimizers' state and step counts, the EMA of
// G, and the noise stream's position, so a resumed run continues exactly like
// an uninterrupted one.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "apps/gan/train_loop.h"
#include "apps/gan/train_state.h"
#include "core/io/checkpoint_format.h"
#include "core/io/dataset.h"
#include "layers/optim.h"
#include "core/random.h"
#include "layers/diff_augment.h"
#include "layers/gan_losses.h"
#include "models/dcgan.h"

namespace gan::app {

struct TrainSettings {
  DcganConfig model;
  GanLoss loss = GanLoss::BCE;
  // Adam (beta1, beta2) for every loss but wgan, which uses RMSprop (as its paper).
  double lr = 2e-4, beta1 = 0.5, beta2 = 0.999;
  // TTUR: D's and G's own learning rates; 0 = lr.
  double lr_d = 0, lr_g = 0;
  // > 0: keep an exponential moving average of G's weights with this decay
  // (ramped up, see layers/ema.h); 0: none.
  double ema_decay = 0;
  int64_t n_critic = 1;     // D updates per G update
  double clip = 0.01;       // wgan: D's weights are clamped to [-clip, clip]
  double gp_lambda = 10.0;  // wgan-gp: the penalty's weight
  // R1 on real images (layers/gan_losses.h), lazily: every r1_every-th D
  // update adds r1_every * r1_penalty. 0 = off; needs D without batch norm.
  double r1_gamma = 0.0;
  int64_t r1_every = 16;
  // DiffAugment (layers/diff_augment.h) of everything D sees, real and fake,
  // in the D and the G updates; its random numbers come from the noise stream.
  DiffAugmentPolicy augment;
  // ADA (Karras et al. 2020): > 0 makes the augmentation's probability p
  // adaptive, starting at 0: after each step p moves by +-(images seen) /
  // ada_images towards keeping r = E[sign D(x_real)], D's overfitting
  // signal, at this target (the paper's 0.6). 0 = off (p = 1).
  double ada_target = 0.0;
  int64_t ada_images = 100000;
  uint64_t seed = 1;
  Device device = Device::cpu();
  int64_t sample_count = 64;  // images in the fixed-noise sample grid (unconditional)

  // The published recipe of a loss: optimizer settings, n_critic, and whether
  // D keeps batch norm (wgan-gp: no, the penalty is per sample). The model's
  // other options are left as they are.
  static TrainSettings for_loss(GanLoss loss);
  // The learning rates in force: lr_d / lr_g, or lr where they are 0.
  double d_lr() const { return lr_d > 0 ? lr_d : lr; }
  double g_lr() const { return lr_g > 0 ? lr_g : lr; }
};

// Per-step numbers, read from the device in one copy (one sync).
struct StepStats {
  double loss_d = 0, loss_g = 0;
  // Mean D(x) and D(G(z)) in the last D update, before it: probabilities for
  // bce (D's belief that the image is real), raw critic scores otherwise.
  double d_real = 0, d_fake = 0;
  bool grads_finite = true;  // every gradient of the step was finite

  bool finite() const;
};

class DcganTrainer : public LoopTrainer {
 public:
  explicit DcganTrainer(const TrainSettings& settings);

  // Real batches a step consumes (n_critic).
  int64_t batches_per_step() const override { return settings_.n_critic; }

  // One iteration on batches_per_step() real batches (images on any device,
  // moved to the trainer's; labels needed when conditional). Returns the
  // step's statistics as a device tensor without waiting for the device;
  // read_stats() fetches them.
  Tensor step(const std::vector<io::Batch>& batches);
  static StepStats read_stats(const Tensor& stats);
  // step() and read_stats(): loss_D, loss_G, D(x), D(G(z)) (LoopTrainer).
  StepResult train_step(const std::vector<io::Batch>& batches) override;

  // After a step whose stats were not finite: puts the trainer back to the
  // state before that step (kept in memory by every step), replays the step on
  // the same batches and noise with anomaly detection on (core/autograd.h),
  // and returns where the first NaN/Inf appeared (or that it did not
  // reproduce). The trainer is left in the state before the bad step.
  std::string locate_nonfinite(const std::vector<io::Batch>& batches) override;

  // Images of the fixed sample grid, in eval mode, no graph: for a
  // conditional model one row per class (the same noise down each column).
  Tensor sample_grid() override;
  int64_t sample_grid_columns() const override;
  // G(z) (for given labels when conditional) in eval mode, no graph: from the
  // moving average of G's weights when the run keeps one, unless `raw`.
  Tensor generate(const Tensor& z, const std::vector<int64_t>& labels = {}, bool raw = false);

  // The largest of the learning rates in force (--lr, D's, G's). Setting it
  // scales all of them by the same factor: a rollback after a NaN halves
  // both optimizers' rates, keeping TTUR's ratio.
  void set_learning_rate(double lr) override;
  double learning_rate() const override;

  int64_t steps_done() const override { return steps_; }
  const TrainSettings& settings() const { return settings_; }
  DcganGenerator& generator() { return *g_; }
  DcganDiscriminator& discriminator() { return *d_; }
  // The moving average of G (null without ema_decay).
  DcganGenerator* generator_ema() { return g_ema_.get(); }
  // The probability of each augmentation: adaptive with ada_target, else 1.
  double augment_probability() const { return augment_p_; }

  // The whole training state (see above) as a checkpoint, and back. restore()
  // checks that the checkpoint was made with the same model and loss and names
  // the first difference otherwise (IoError); it validates everything before
  // changing anything.
  io::Checkpoint save_state() const override;
  void restore_state(const io::Checkpoint& checkpoint, const std::string& source) override;

 private:
  Tensor class_codes(const std::vector<int64_t>& labels) const;  // undefined when unconditional
  Tensor run_g(const Tensor& z, const Tensor& codes);
  Tensor run_d(const Tensor& x, const Tensor& codes);
  // Recomputes the averaged G's batch-norm statistics for its current weights
  // when they changed since the last time (layers/ema.h); const because the
  // statistics are derived from the weights, a cache of them.
  void refresh_ema_statistics() const;
  std::unique_ptr<Optimizer> make_optimizer(const std::vector<Tensor>& params, double lr) const;

  // Everything a step changes, and a copy of it from before the last step.
  std::vector<Tensor> mutable_state() const;
  void save_snapshot();
  void restore_snapshot();

  TrainSettings settings_;
  Rng noise_rng_;
  std::shared_ptr<DcganGenerator> g_, g_ema_;
  mutable bool ema_statistics_stale_ = true;
  std::shared_ptr<DcganDiscriminator> d_;
  std::unique_ptr<Optimizer> opt_g_, opt_d_;
  Tensor fixed_noise_;
  std::vector<int64_t> fixed_labels_;
  int64_t steps_ = 0;
  double augment_p_ = 1.0, snapshot_augment_p_ = 1.0;
  TensorSnapshot snapshot_;
  uint64_t snapshot_noise_counter_ = 0;
  int64_t snapshot_opt_steps_[2] = {0, 0};
};

// Model options written into every checkpoint's metadata, and read back: what
// `gan sample` needs to rebuild the generator.
void put_model_meta(io::Checkpoint& checkpoint, const DcganConfig& config);
DcganConfig model_from_meta(const io::Checkpoint& checkpoint, const std::string& source);
// Whether a training checkpoint holds a moving average of G (records
// "G_ema.*", a run with --ema-decay): then `gan sample`, `gan eval` and `gan
// export` use it in place of the trained G.
bool keeps_generator_average(const io::Checkpoint& checkpoint, const std::string& source);
// "image size 28, channels 1, nz 100, ngf 32, ndf 32[, ...]" for messages.
std::string describe(const DcganConfig& config);
// --spectral-norm's values: "none", "d", "g", "both" (ValueError otherwise).
std::string spectral_norm_name(const DcganConfig& config);
void set_spectral_norm(DcganConfig& config, const std::string& name);

// The generator alone from a training checkpoint (for `gan sample` and `gan
// eval`), or from a FILE.safetensors of exported weights (its __metadata__
// gives the model options), on `device`, in eval mode: from a checkpoint, the
// moving average of its weights when it holds one (a run with --ema-decay)
// and `raw` is false, else the trained weights. `averaged` (optional) tells
// which was loaded.
std::shared_ptr<DcganGenerator> load_generator(const std::string& path, Device device, bool raw = false,
                                               bool* averaged = nullptr);

}  // namespace gan::app
