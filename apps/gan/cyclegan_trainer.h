// The CycleGAN training step (Zhu, Park, Isola, Efros, "Unpaired
// Image-to-Image Translation using Cycle-Consistent Adversarial Networks",
// ICCV 2017) and everything a run must carry across a restart.
//
// Networks (models/cyclegan.h): G_AB maps domain A to B, G_BA maps B to A
// (the paper's G and F), D_A judges images of domain A, D_B of domain B
// (PatchGANs ending in raw scores). One step() on a batch of real a (domain A)
// and real b (domain B), in the order of the reference code:
//   1. generators, D frozen:
//        fake_b = G_AB(a), rec_a = G_BA(fake_b), fake_a = G_BA(b), rec_b = G_AB(fake_a)
//        adversarial (least squares): mean (D_B(fake_b) - 1)^2 + mean (D_A(fake_a) - 1)^2
//        cycle:    lambda_cycle * (|rec_a - a|_1 + |rec_b - b|_1)                  (means)
//        identity: lambda_identity * lambda_cycle * (|G_AB(b) - b|_1 + |G_BA(a) - a|_1)
//      one Adam step over both generators' parameters;
//   2. discriminators, each on its real images and a batch of fakes drawn
//      through its image pool (models/image_pool.h):
//        D_B: 1/2 [mean (D_B(b) - 1)^2 + mean D_B(pool_B(fake_b))^2]   (likewise D_A)
//      one Adam step over both discriminators' parameters.
// The least-squares terms are those of the reference code: the generator's is
// a plain mean square (weight 1 against lambda_cycle = 10), the
// discriminator's is halved, as in layers/gan_losses.h's lsgan D loss.
// The learning rate follows a LinearDecaySchedule (apps/gan/lr_schedule.h).
//
// Random streams, all derived from the one --seed: weight init, the two pools'
// decisions, and the data order and augmentation (the loader's). The
// checkpoint stores the four networks, both optimizers' moments and step
// counts, both pools' images and positions, so a resumed run continues
// exactly like an uninterrupted one (bit for bit on the CPU).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/image_pool.h"
#include "apps/gan/translation_trainer.h"
#include "core/io/checkpoint_format.h"
#include "models/cyclegan.h"

namespace gan::app {

// The networks' options (stored in checkpoints; `gan translate` rebuilds the
// generators from them).
struct CycleGanModel {
  int64_t image_size = 32;  // training crop; H and W multiples of 4 at translation
  int64_t channels = 1;     // both domains
  int64_t ngf = 32, ndf = 32;
  int64_t n_blocks = 6;     // ResNet blocks in each generator
  int64_t d_layers = 2;     // PatchGAN depth (3: the paper's 70x70 patches)
  void validate() const;    // ValueError naming the bad option
  ModelFields fields();     // the options by checkpoint metadata key
  ResnetGeneratorConfig generator() const;
  PatchDiscriminatorConfig discriminator() const;
};

struct CycleGanSettings {
  CycleGanModel model;
  TranslationRecipe recipe;  // Adam 2e-4, betas 0.5 / 0.999, as in the paper
  double lambda_cycle = 10.0;
  double lambda_identity = 0.5;  // relative to lambda_cycle (the reference code's convention)
  int64_t pool_size = 50;
};

class CycleGanTrainer : public TranslationTrainer {
 public:
  explicit CycleGanTrainer(const CycleGanSettings& settings);

  // Sample grid rows: real A, G_AB(A), G_BA(G_AB(A)), real B, G_BA(B), G_AB(G_BA(B)).
  Tensor sample_grid() override;

  const CycleGanSettings& settings() const { return settings_; }
  ResnetGenerator& generator_ab() { return *g_ab_; }
  ResnetGenerator& generator_ba() { return *g_ba_; }
  PatchDiscriminator& discriminator_a() { return *d_a_; }
  const ImagePool& pool_a() const { return pool_a_; }
  const ImagePool& pool_b() const { return pool_b_; }

 protected:
  // D_A, D_B (discriminator losses), G_AB, G_BA (adversarial losses), cycle_A
  // = |G_BA(G_AB(a)) - a|, cycle_B, idt_A = |G_BA(a) - a|, idt_B = |G_AB(b) - b|
  // (mean absolute errors, unweighted; empty when lambda_identity is 0).
  std::vector<std::string> loss_names() const override;
  Tensor step_losses(const Tensor& a, const Tensor& b) override;
  void mark_unmeasured(std::vector<double>& values) const override;
  // The model options, loss weights and pool size, and both pools.
  void save_extra(io::Checkpoint& checkpoint) const override;
  void check_extra(const io::Checkpoint& checkpoint, const std::string& source) const override;
  void load_extra(const io::Checkpoint& checkpoint, const std::string& source) override;
  void snapshot_extra() override;
  void restore_extra() override;

 private:
  Shape image_shape() const;
  // The generators' half of a step (the discriminators frozen): sets the
  // fakes for the discriminators' half and returns the adversarial, cycle and
  // identity terms, then the generators' gradient probe.
  std::vector<Tensor> update_generators(const Tensor& a, const Tensor& b, Tensor& fake_a, Tensor& fake_b);

  CycleGanSettings settings_;
  std::shared_ptr<ResnetGenerator> g_ab_, g_ba_;
  std::shared_ptr<PatchDiscriminator> d_a_, d_b_;
  ImagePool pool_a_, pool_b_;
  ImagePool snapshot_pool_a_, snapshot_pool_b_;  // before the last step
};

// The model options in checkpoint metadata (model = "cyclegan"), and back.
void put_cyclegan_meta(io::Checkpoint& checkpoint, const CycleGanModel& model);
CycleGanModel cyclegan_model_from_meta(const io::Checkpoint& checkpoint, const std::string& source);
// "image size 32, channels 1, ngf 32, ndf 32, 6 ResNet blocks, PatchGAN with 2 layers"
std::string describe(const CycleGanModel& model);

// One generator of a CycleGAN checkpoint: G_AB (a_to_b) or G_BA, on `device`,
// in eval mode. `imported`: `checkpoint` is a weights file read with
// io::load_safetensors ('gan export', or PyTorch with the names of
// docs/export.md), checked as imports are (import_networks).
std::shared_ptr<ResnetGenerator> load_cyclegan_generator(const io::Checkpoint& checkpoint, const std::string& source,
                                                         bool a_to_b, Device device, bool imported = false);

}  // namespace gan::app
