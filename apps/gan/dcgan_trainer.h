// The DCGAN training step and everything a run must carry across a restart.
//
// One step() is one iteration of the GAN minimax game (Goodfellow et al. 2014,
// with the DCGAN recipe of Radford et al. 2016):
//   1. D step: D sees a real batch (target 1) and a batch of fakes G(z) cut
//      from the graph with detach() (target 0); loss_D = BCE(real) + BCE(fake);
//      one Adam step on D.
//   2. G step: D, just updated, looks again at the same G(z) (not detached);
//      G minimises BCE(D(G(z)), 1), the non-saturating loss; one Adam step on G.
// Losses are BCE-with-logits: D ends in a logit, never a sigmoid.
//
// Random streams, all derived from the one --seed: weight init, the per-step
// noise, the fixed noise of the sample grids, and the data order (the
// loader's). The checkpoint stores the weights, BN statistics, both optimizers'
// moments and step counts, and the noise stream's position, so a resumed run
// continues exactly like an uninterrupted one.
#pragma once

#include <memory>
#include <string>

#include "core/io/checkpoint_format.h"
#include "core/optim.h"
#include "core/random.h"
#include "models/dcgan.h"

namespace gan::app {

struct TrainSettings {
  DcganConfig model;
  AdamParams adam;  // lr, beta1, beta2 as the DCGAN paper: 2e-4, 0.5, 0.999
  uint64_t seed = 1;
  Device device = Device::cpu();
  int64_t sample_count = 64;  // images in the fixed-noise sample grid
};

// Per-step numbers, read from the device in one copy (one sync).
struct StepStats {
  double loss_d = 0, loss_g = 0;
  double d_real = 0;  // mean D(x): D's probability that a real image is real
  double d_fake = 0;  // mean D(G(z)) in the D step, before D's update
  bool grads_finite = true;  // every gradient of the step was finite

  bool finite() const;
};

class DcganTrainer {
 public:
  explicit DcganTrainer(const TrainSettings& settings);

  // One iteration on a real batch [B, C, S, S] (any device; moved to the
  // trainer's). Returns the step's statistics as a device tensor without
  // waiting for the device; read_stats() fetches them.
  Tensor step(const Tensor& real);
  static StepStats read_stats(const Tensor& stats);

  // After a step whose stats were not finite: puts the trainer back to the
  // state before that step (kept in memory by every step), replays the step on
  // the same batch and noise with anomaly detection on (core/autograd.h), and
  // returns where the first NaN/Inf appeared (or that it did not reproduce).
  // The trainer is left in the state before the bad step.
  std::string locate_nonfinite(const Tensor& real);

  // Scales both optimizers' learning rate (a rollback after a NaN halves it).
  void set_learning_rate(double lr);

  // G(z) with the generator in eval mode (running BN statistics), no graph.
  Tensor generate(const Tensor& z);
  // The fixed noise batch of the sample grids ([sample_count, nz], on the device).
  const Tensor& fixed_noise() const { return fixed_noise_; }

  int64_t steps_done() const { return steps_; }
  const TrainSettings& settings() const { return settings_; }
  DcganGenerator& generator() { return *g_; }
  DcganDiscriminator& discriminator() { return *d_; }

  // The whole training state (see above) as a checkpoint, and back. restore()
  // checks that the checkpoint was made with the same model options and names
  // the first difference otherwise (IoError).
  io::Checkpoint save_state() const;
  void restore_state(const io::Checkpoint& checkpoint, const std::string& source);

 private:
  TrainSettings settings_;
  Generator noise_gen_;
  std::shared_ptr<DcganGenerator> g_;
  std::shared_ptr<DcganDiscriminator> d_;
  std::unique_ptr<Adam> opt_g_, opt_d_;
  // Everything a step changes, and a copy of it from before the last step.
  std::vector<Tensor> mutable_state() const;
  void save_snapshot();
  void restore_snapshot();

  Tensor fixed_noise_;
  Tensor ones_, zeros_;  // BCE targets, cached per batch size
  int64_t steps_ = 0;
  std::vector<Tensor> snapshot_;
  uint64_t snapshot_noise_counter_ = 0;
  int64_t snapshot_opt_steps_[2] = {0, 0};
};

// Model options written into every checkpoint's metadata, and read back: what
// `gan sample` needs to rebuild the generator.
void put_model_meta(io::Checkpoint& checkpoint, const DcganConfig& config);
DcganConfig model_from_meta(const io::Checkpoint& checkpoint, const std::string& source);

// The generator alone from a training checkpoint (for `gan sample`), on `device`, in eval mode.
std::shared_ptr<DcganGenerator> load_generator(const std::string& path, Device device);

// Seeds of the run's independent random streams, derived from --seed.
uint64_t stream_seed(uint64_t seed, uint64_t stream);
enum RandomStream : uint64_t { kInitStream = 1, kNoiseStream = 2, kFixedNoiseStream = 3, kDataStream = 4 };

}  // namespace gan::app
