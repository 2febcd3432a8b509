// What the image-to-image trainers (CycleGAN, pix2pix) share: generators and
// discriminators updated by one Adam each (betas 0.5 / 0.999 and 2e-4 in both
// papers) on a LinearDecaySchedule, steps on batches of domain-A and domain-B
// images, the sample grid's fixed images, the snapshot taken before every
// step (to locate a NaN), and checkpoints holding every network, both
// optimizers and whatever state the derived trainer adds (CycleGAN's image
// pools, pix2pix's dropout stream).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "apps/gan/lr_schedule.h"
#include "apps/gan/train_loop.h"
#include "apps/gan/train_state.h"
#include "core/io/checkpoint_format.h"
#include "layers/optim.h"
#include "layers/module.h"

namespace gan::app {

struct TranslationRecipe {
  double lr = 2e-4, beta1 = 0.5, beta2 = 0.999;
  LinearDecaySchedule schedule;
  uint64_t seed = 1;
  Device device = Device::cpu();
};

class TranslationTrainer : public LoopTrainer {
 public:
  // The CSV columns of a step after "step": the trainer's losses, then "lr"
  // (the rate the step used).
  std::vector<std::string> columns() const;

  // One step on batch.images (domain A) and batch.images_b (domain B).
  StepResult train_step(const std::vector<io::Batch>& batches) override;
  std::string locate_nonfinite(const std::vector<io::Batch>& batches) override;

  // The fixed images of the sample grid: n of domain A and n of domain B.
  void set_sample_images(const Tensor& a, const Tensor& b);
  int64_t sample_grid_columns() const override { return sample_a_.defined() ? sample_a_.shape()[0] : 0; }

  double learning_rate() const override { return recipe_.lr; }
  void set_learning_rate(double lr) override { recipe_.lr = lr; }
  // The rate the next step will use (the schedule applied).
  double current_learning_rate() const { return recipe_.lr * recipe_.schedule.factor(steps_); }
  const TranslationRecipe& recipe() const { return recipe_; }
  int64_t steps_done() const override { return steps_; }
  // Every network: the generators, then the discriminators.
  std::vector<const Module*> networks() const;

  // The checkpoint: the derived trainer's metadata (model options, recipe),
  // seed, step, optimizer step counts, lr, betas, the schedule; records
  // "<network>.<tensor>" for every network, "optG." and "optD." for the
  // optimizers, plus the derived trainer's own. restore_state checks the
  // model and seed (IoError naming the first difference) and validates
  // everything before changing anything.
  io::Checkpoint save_state() const override;
  void restore_state(const io::Checkpoint& checkpoint, const std::string& source) override;

 protected:
  explicit TranslationTrainer(const TranslationRecipe& recipe);

  // Called by the derived constructor once its networks exist (named, e.g.
  // "G_AB"); the two optimizers cover the generators' and the discriminators'
  // parameters.
  void set_networks(const std::vector<std::pair<std::string, Module*>>& generators,
                    const std::vector<std::pair<std::string, Module*>>& discriminators);

  // One training step on a (domain A) and b (domain B), already on the
  // device, with the optimizers' rate set: the loss_names() values and then a
  // gradient probe (gradient_probe), as one device tensor.
  virtual Tensor step_losses(const Tensor& a, const Tensor& b) = 0;
  virtual std::vector<std::string> loss_names() const = 0;
  // Values computed by no step (e.g. disabled terms) become NaN: empty in the CSV.
  virtual void mark_unmeasured(std::vector<double>& values) const {}
  // The derived trainer's part of checkpoints: its metadata and state. check
  // throws IoError (naming `source`) before load changes anything.
  virtual void save_extra(io::Checkpoint& checkpoint) const = 0;
  virtual void check_extra(const io::Checkpoint& checkpoint, const std::string& source) const = 0;
  virtual void load_extra(const io::Checkpoint& checkpoint, const std::string& source) = 0;
  // The derived state a step changes besides the tensors (pool contents,
  // random positions), kept with the pre-step snapshot.
  virtual void snapshot_extra() = 0;
  virtual void restore_extra() = 0;

  Adam& optimizer_g() { return *opt_g_; }
  Adam& optimizer_d() { return *opt_d_; }
  Tensor sample_a_, sample_b_;  // on the run's device

 private:
  Tensor step(const io::Batch& batch);
  std::vector<NamedTensor> state_tensors_named() const;
  std::vector<Tensor> mutable_state() const;
  void save_snapshot();
  void restore_snapshot();

  TranslationRecipe recipe_;
  std::vector<std::pair<std::string, Module*>> networks_;
  std::unique_ptr<Adam> opt_g_, opt_d_;
  int64_t steps_ = 0;
  TensorSnapshot snapshot_;
  int64_t snapshot_opt_steps_[2] = {0, 0};
};

// A model's integer options by metadata key ("image_size", ...), pointing
// into the model: what its checkpoint metadata holds.
using ModelFields = std::vector<std::pair<const char*, int64_t*>>;

// Writes metadata "model" = `kind` and every field.
void put_model_fields(io::Checkpoint& checkpoint, const std::string& kind, const ModelFields& fields);
// IoError naming `source` unless metadata "model" is `kind`; then reads every
// field and runs `validate`, whose ValueError becomes an IoError (the stored
// options are invalid: the file is damaged).
void read_model_fields(const io::Checkpoint& checkpoint, const std::string& kind, const std::string& source,
                       const ModelFields& fields, const std::function<void()>& validate);
// IoError "made for another model (`saved`); this run asks for `mine`" unless
// the two field lists hold the same values.
void check_same_model(const ModelFields& saved_fields, const ModelFields& my_fields, const std::string& source,
                      const std::string& saved, const std::string& mine);

}  // namespace gan::app
