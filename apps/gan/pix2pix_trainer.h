// The pix2pix training step (Isola, Zhu, Zhou, Efros, "Image-to-Image
// Translation with Conditional Adversarial Networks", CVPR 2017): a U-Net
// generator G (models/pix2pix.h) learns to turn an input a into its target b
// under a conditional PatchGAN D that judges (input, output) pairs: it sees
// the two images concatenated along the channels. One step() on a batch of
// aligned pairs (a, b), in the order of the reference code:
//   fake = G(a)                                   (dropout on: G's only noise)
//   1. D:  1/2 [BCE(D(a, b), 1) + BCE(D(a, fake), 0)]     (fake detached; the
//          paper halves D's objective so that it learns slower than G)
//   2. G:  BCE(D(a, fake), 1) + lambda_l1 * mean |fake - b|   (D frozen)
// with BCE on D's logits, averaged over the PatchGAN's grid of patches, Adam
// 2e-4 / 0.5 for both, and a LinearDecaySchedule.
//
// Normalisation: instance norm in G and D. The paper uses batch norm with
// batch size 1, which normalises each image by its own statistics, i.e.
// instance norm plus a learned scale and shift; instance norm keeps that
// per-image behaviour at any batch size, and makes the generator the same
// function in training and at translation (no running statistics).
//
// Random streams: weight init (and from it the seed of the dropout masks),
// the data order and augmentation. The checkpoint stores both networks, both
// optimizers and the dropout stream's position, so a resumed run continues
// exactly (bit for bit on the CPU).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "apps/gan/translation_trainer.h"
#include "models/cyclegan.h"
#include "models/pix2pix.h"

namespace gan::app {

// The networks' options (stored in checkpoints; `gan translate` rebuilds G).
struct Pix2PixModel {
  int64_t image_size = 256;  // a power of two >= 32: the U-Net halves it down to 1x1
  int64_t channels = 3;      // input and output images
  int64_t ngf = 64, ndf = 64;
  int64_t d_layers = 3;      // PatchGAN depth (3: 70x70 patches)
  void validate() const;     // ValueError naming the bad option
  ModelFields fields();       // the options by checkpoint metadata key
  int64_t num_downs() const;  // log2(image_size)
  UnetGeneratorConfig generator() const;
  PatchDiscriminatorConfig discriminator() const;
};

struct Pix2PixSettings {
  Pix2PixModel model;
  TranslationRecipe recipe;
  double lambda_l1 = 100.0;
};

class Pix2PixTrainer : public TranslationTrainer {
 public:
  explicit Pix2PixTrainer(const Pix2PixSettings& settings);

  // Sample grid rows: input A, G(A) (dropout off), target B.
  Tensor sample_grid() override;

  const Pix2PixSettings& settings() const { return settings_; }
  UnetGenerator& generator() { return *g_; }
  PatchDiscriminator& discriminator() { return *d_; }

 protected:
  // loss_D, loss_G (the adversarial part), L1 = mean |G(a) - b| (unweighted),
  // D_x and D_G_z: D's mean probability on real and on generated pairs,
  // before its update.
  std::vector<std::string> loss_names() const override;
  Tensor step_losses(const Tensor& a, const Tensor& b) override;
  // The model options and lambda_l1, and the dropout stream's position.
  void save_extra(io::Checkpoint& checkpoint) const override;
  void check_extra(const io::Checkpoint& checkpoint, const std::string& source) const override;
  void load_extra(const io::Checkpoint& checkpoint, const std::string& source) override;
  void snapshot_extra() override;
  void restore_extra() override;

 private:
  Pix2PixSettings settings_;
  std::shared_ptr<UnetGenerator> g_;
  std::shared_ptr<PatchDiscriminator> d_;
  uint64_t snapshot_dropout_counter_ = 0;
};

void put_pix2pix_meta(io::Checkpoint& checkpoint, const Pix2PixModel& model);
Pix2PixModel pix2pix_model_from_meta(const io::Checkpoint& checkpoint, const std::string& source);
std::string describe(const Pix2PixModel& model);

// The generator of a pix2pix checkpoint on `device`, in eval mode (dropout
// off). `imported`: a weights file, as for load_cyclegan_generator.
std::shared_ptr<UnetGenerator> load_pix2pix_generator(const io::Checkpoint& checkpoint, const std::string& source,
                                                      Device device, bool imported = false);

}  // namespace gan::app
