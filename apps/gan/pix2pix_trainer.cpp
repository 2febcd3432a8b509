#include "apps/gan/pix2pix_trainer.h"

#include <sstream>

#include "apps/gan/cli.h"  // format_number
#include "core/autograd.h"
#include "core/distributed.h"
#include "core/error.h"
#include "core/ops.h"
#include "layers/gan_losses.h"
#include "layers/init.h"
#include "layers/state_dict.h"

namespace gan::app {

// ---- the model --------------------------------------------------------------------

int64_t Pix2PixModel::num_downs() const {
  int64_t n = 0;
  while ((int64_t{1} << (n + 1)) <= image_size) ++n;
  return n;
}

void Pix2PixModel::validate() const {
  GAN_CHECK(image_size >= 32 && (image_size & (image_size - 1)) == 0 && image_size <= 4096, ValueError,
            "--image-size ", image_size, ": the U-Net generator needs a power of two from 32 up (it halves the "
            "image down to 1x1): e.g. 64, 128 or 256");
  GAN_CHECK(channels == 1 || channels == 3, ValueError, "--channels must be 1 or 3, got ", channels);
  GAN_CHECK(ngf >= 1 && ndf >= 1, ValueError, "--ngf and --ndf must be positive, got ", ngf, " and ", ndf);
  GAN_CHECK(d_layers >= 1 && image_size >> d_layers >= 3, ValueError, "--d-layers ", d_layers,
            " does not fit ", image_size, "x", image_size, " images: use 1 to ", num_downs() - 1);
}

UnetGeneratorConfig Pix2PixModel::generator() const {
  UnetGeneratorConfig g;
  g.in_channels = g.out_channels = channels;
  g.num_downs = num_downs();
  g.ngf = ngf;
  g.use_dropout = true;
  g.norm = Norm::Instance;
  return g;
}

PatchDiscriminatorConfig Pix2PixModel::discriminator() const {
  PatchDiscriminatorConfig d;
  d.in_channels = 2 * channels;  // (input, output) concatenated
  d.ndf = ndf;
  d.n_layers = d_layers;
  d.norm = Norm::Instance;
  return d;
}

std::string describe(const Pix2PixModel& m) {
  std::ostringstream os;
  os << "image size " << m.image_size << ", channels " << m.channels << ", ngf " << m.ngf << ", ndf " << m.ndf
     << ", U-Net with " << m.num_downs() << " downsamplings, PatchGAN with " << m.d_layers << " layers";
  return os.str();
}

ModelFields Pix2PixModel::fields() {
  return {{"image_size", &image_size}, {"channels", &channels}, {"ngf", &ngf}, {"ndf", &ndf}, {"d_layers", &d_layers}};
}

void put_pix2pix_meta(io::Checkpoint& ck, const Pix2PixModel& m) {
  Pix2PixModel copy = m;
  put_model_fields(ck, "pix2pix", copy.fields());
}

Pix2PixModel pix2pix_model_from_meta(const io::Checkpoint& ck, const std::string& source) {
  Pix2PixModel m;
  read_model_fields(ck, "pix2pix", source, m.fields(), [&] { m.validate(); });
  return m;
}

std::shared_ptr<UnetGenerator> load_pix2pix_generator(const io::Checkpoint& ck, const std::string& source,
                                                      Device device, bool imported) {
  const Pix2PixModel m = pix2pix_model_from_meta(ck, source);
  Rng unused(0);
  auto g = std::make_shared<UnetGenerator>(m.generator(), unused);
  if (imported)
    import_networks(ck, {{"G.", g.get()}}, source, /*require_all=*/true);
  else
    load_tensors(ck, "G.", state_tensors(*g), source);
  g->to(device);
  g->eval();
  return g;
}

// ---- training ---------------------------------------------------------------------

Pix2PixTrainer::Pix2PixTrainer(const Pix2PixSettings& settings)
    : TranslationTrainer(settings.recipe), settings_(settings) {
  settings_.model.validate();
  GAN_CHECK(settings.lambda_l1 >= 0, ValueError, "--lambda-l1 must be >= 0, got ", settings.lambda_l1);
  Rng init(stream_seed(settings.recipe.seed, kInitStream));
  g_ = std::make_shared<UnetGenerator>(settings.model.generator(), init);
  d_ = std::make_shared<PatchDiscriminator>(settings.model.discriminator(), init);
  for (Module* m : std::initializer_list<Module*>{g_.get(), d_.get()}) {
    dcgan_init(*m, init);  // the paper's N(0, 0.02)
    m->to(settings.recipe.device);
  }
  set_networks({{"G", g_.get()}}, {{"D", d_.get()}});
}

std::vector<std::string> Pix2PixTrainer::loss_names() const { return {"loss_D", "loss_G", "L1", "D_x", "D_G_z"}; }

Tensor Pix2PixTrainer::step_losses(const Tensor& a, const Tensor& b) {
  const Tensor fake = located("generator forward", [&] { return g_->forward(a); });

  // 1. D on real pairs and generated ones (detached: no gradient into G).
  const Tensor real_out =
      located("discriminator forward on real pairs", [&] { return d_->forward(concat({a, b}, 1)); });
  const Tensor fake_out =
      located("discriminator forward on generated pairs", [&] { return d_->forward(concat({a, fake.detach()}, 1)); });
  const Tensor loss_d = mul(discriminator_loss(GanLoss::BCE, real_out, fake_out), 0.5);
  optimizer_d().zero_grad();
  // Averaged over the ranks of a data-parallel run (core/distributed.h).
  located("discriminator backward (D update)", [&] { dist::backward_averaged(loss_d, d_->parameters()); return 0; });
  const Tensor d_probe = gradient_probe(*d_);
  optimizer_d().step();

  // 2. G through the updated, frozen D, plus the L1 distance to the target.
  Tensor adv, l1, g_probe;
  {
    const FrozenScope frozen({d_.get()});
    adv = generator_loss(GanLoss::BCE, located("discriminator forward (G update)",
                                               [&] { return d_->forward(concat({a, fake}, 1)); }));
    l1 = l1_loss(fake, b);
    const Tensor loss_g = add(adv, mul(l1, settings_.lambda_l1));
    optimizer_g().zero_grad();
    located("backward through D and G (G update)", [&] { dist::backward_averaged(loss_g, g_->parameters()); return 0; });
    g_probe = gradient_probe(*g_);
    optimizer_g().step();
  }

  NoGradGuard no_grad;
  std::vector<Tensor> stats;
  for (const Tensor& t : {loss_d, adv, l1, mean(sigmoid(real_out.detach())), mean(sigmoid(fake_out.detach())),
                          add_probes(g_probe, d_probe)})
    stats.push_back(t.detach().reshape({1}));
  return concat(stats, 0);
}

Tensor Pix2PixTrainer::sample_grid() {
  GAN_CHECK(sample_a_.defined(), ValueError, "pix2pix sample grid: set_sample_images() first");
  NoGradGuard no_grad;
  g_->eval();  // dropout off: the grid shows G's deterministic output
  Tensor grid = concat({sample_a_, g_->forward(sample_a_), sample_b_}, 0);
  g_->train();
  return grid;
}

void Pix2PixTrainer::snapshot_extra() { snapshot_dropout_counter_ = g_->dropout_generator().counter(); }

void Pix2PixTrainer::restore_extra() {
  Rng& dropout = g_->dropout_generator();
  dropout.set_state(dropout.seed(), snapshot_dropout_counter_);
}

// ---- checkpoints ------------------------------------------------------------------

void Pix2PixTrainer::save_extra(io::Checkpoint& ck) const {
  put_pix2pix_meta(ck, settings_.model);
  ck.put_meta("lambda_l1", format_number(settings_.lambda_l1));
  ck.put_meta("G.dropout_rng_counter", std::to_string(g_->dropout_generator().counter()));
}

void Pix2PixTrainer::check_extra(const io::Checkpoint& ck, const std::string& source) const {
  Pix2PixModel saved = pix2pix_model_from_meta(ck, source), mine = settings_.model;
  check_same_model(saved.fields(), mine.fields(), source, describe(saved), describe(mine));
  meta_int(ck, "G.dropout_rng_counter", source);
}

void Pix2PixTrainer::load_extra(const io::Checkpoint& ck, const std::string& source) {
  Rng& dropout = g_->dropout_generator();
  dropout.set_state(dropout.seed(), static_cast<uint64_t>(meta_int(ck, "G.dropout_rng_counter", source)));
}

}  // namespace gan::app
