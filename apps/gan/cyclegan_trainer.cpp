#include "apps/gan/cyclegan_trainer.h"

#include <cmath>
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

void CycleGanModel::validate() const {
  GAN_CHECK(image_size >= 8 && image_size % 4 == 0, ValueError, "--image-size ", image_size,
            ": the ResNet generator needs a multiple of 4, at least 8 (e.g. 32, 128 or 256)");
  GAN_CHECK(channels == 1 || channels == 3, ValueError, "--channels must be 1 or 3, got ", channels);
  GAN_CHECK(ngf >= 1 && ndf >= 1, ValueError, "--ngf and --ndf must be positive, got ", ngf, " and ", ndf);
  GAN_CHECK(n_blocks >= 0, ValueError, "--n-blocks must be >= 0 (6 or 9 in the paper), got ", n_blocks);
  GAN_CHECK(d_layers >= 1, ValueError, "--d-layers must be at least 1 (3: 70x70 patches), got ", d_layers);
  // Each of the first d_layers convs halves the size; the two stride-1 4x4
  // convs after them each take one pixel off, so at least 3 must remain.
  GAN_CHECK(image_size >> d_layers >= 3, ValueError, "--d-layers ", d_layers, " is too deep for ", image_size,
            "x", image_size, " images (the PatchGAN's output would vanish); use fewer layers");
}

ResnetGeneratorConfig CycleGanModel::generator() const {
  ResnetGeneratorConfig g;
  g.in_channels = g.out_channels = channels;
  g.ngf = ngf;
  g.n_blocks = n_blocks;
  return g;
}

PatchDiscriminatorConfig CycleGanModel::discriminator() const {
  PatchDiscriminatorConfig d;
  d.in_channels = channels;
  d.ndf = ndf;
  d.n_layers = d_layers;
  return d;
}

std::string describe(const CycleGanModel& m) {
  std::ostringstream os;
  os << "image size " << m.image_size << ", channels " << m.channels << ", ngf " << m.ngf << ", ndf " << m.ndf << ", "
     << m.n_blocks << " ResNet blocks, PatchGAN with " << m.d_layers << " layers";
  return os.str();
}

ModelFields CycleGanModel::fields() {
  return {{"image_size", &image_size}, {"channels", &channels}, {"ngf", &ngf},
          {"ndf", &ndf},               {"n_blocks", &n_blocks}, {"d_layers", &d_layers}};
}

void put_cyclegan_meta(io::Checkpoint& ck, const CycleGanModel& m) {
  CycleGanModel copy = m;
  put_model_fields(ck, "cyclegan", copy.fields());
}

CycleGanModel cyclegan_model_from_meta(const io::Checkpoint& ck, const std::string& source) {
  CycleGanModel m;
  read_model_fields(ck, "cyclegan", source, m.fields(), [&] { m.validate(); });
  return m;
}

std::shared_ptr<ResnetGenerator> load_cyclegan_generator(const io::Checkpoint& ck, const std::string& source,
                                                         bool a_to_b, Device device, bool imported) {
  const CycleGanModel m = cyclegan_model_from_meta(ck, source);
  Rng unused(0);
  auto g = std::make_shared<ResnetGenerator>(m.generator(), unused);
  const std::string prefix = a_to_b ? "G_AB." : "G_BA.";
  if (imported)
    import_networks(ck, {{prefix, g.get()}}, source, /*require_all=*/true);
  else
    load_tensors(ck, prefix, state_tensors(*g), source);
  g->to(device);
  g->eval();
  return g;
}

// ---- training ---------------------------------------------------------------------

namespace {

// The generators' least-squares adversarial loss: mean (D(fake) - 1)^2.
Tensor lsgan_generator_loss(const Tensor& d_out) {
  return mse_loss(d_out, Tensor::full(d_out.shape(), 1.0, d_out.dtype(), d_out.device()));
}

// Positions of the identity terms in loss_names().
constexpr size_t kIdtA = 6, kIdtB = 7;

}  // namespace

CycleGanTrainer::CycleGanTrainer(const CycleGanSettings& settings)
    : TranslationTrainer(settings.recipe),
      settings_(settings),
      pool_a_(settings.pool_size, stream_seed(settings.recipe.seed, kPoolAStream)),
      pool_b_(settings.pool_size, stream_seed(settings.recipe.seed, kPoolBStream)),
      snapshot_pool_a_(pool_a_),
      snapshot_pool_b_(pool_b_) {
  settings_.model.validate();
  GAN_CHECK(settings.lambda_cycle >= 0 && settings.lambda_identity >= 0, ValueError,
            "the loss weights must be >= 0, got lambda_cycle ", settings.lambda_cycle, " and lambda_identity ",
            settings.lambda_identity);
  Rng init(stream_seed(settings.recipe.seed, kInitStream));
  g_ab_ = std::make_shared<ResnetGenerator>(settings.model.generator(), init);
  g_ba_ = std::make_shared<ResnetGenerator>(settings.model.generator(), init);
  d_a_ = std::make_shared<PatchDiscriminator>(settings.model.discriminator(), init);
  d_b_ = std::make_shared<PatchDiscriminator>(settings.model.discriminator(), init);
  for (Module* m : std::initializer_list<Module*>{g_ab_.get(), g_ba_.get(), d_a_.get(), d_b_.get()}) {
    dcgan_init(*m, init);  // the papers' N(0, 0.02)
    m->to(settings.recipe.device);
  }
  set_networks({{"G_AB", g_ab_.get()}, {"G_BA", g_ba_.get()}}, {{"D_A", d_a_.get()}, {"D_B", d_b_.get()}});
}

std::vector<std::string> CycleGanTrainer::loss_names() const {
  return {"D_A", "D_B", "G_AB", "G_BA", "cycle_A", "cycle_B", "idt_A", "idt_B"};
}

std::vector<Tensor> CycleGanTrainer::update_generators(const Tensor& a, const Tensor& b, Tensor& fake_a,
                                                       Tensor& fake_b) {
  const double lambda = settings_.lambda_cycle, lambda_idt = settings_.lambda_identity * lambda;
  const FrozenScope frozen({d_a_.get(), d_b_.get()});
  fake_b = located("G_AB forward (A to B)", [&] { return g_ab_->forward(a); });
  const Tensor rec_a = located("G_BA forward (cycle of A)", [&] { return g_ba_->forward(fake_b); });
  fake_a = located("G_BA forward (B to A)", [&] { return g_ba_->forward(b); });
  const Tensor rec_b = located("G_AB forward (cycle of B)", [&] { return g_ab_->forward(fake_a); });
  const Tensor adv_ab = lsgan_generator_loss(located("D_B forward on G_AB(A)", [&] { return d_b_->forward(fake_b); }));
  const Tensor adv_ba = lsgan_generator_loss(located("D_A forward on G_BA(B)", [&] { return d_a_->forward(fake_a); }));
  const Tensor cycle_a = l1_loss(rec_a, a), cycle_b = l1_loss(rec_b, b);
  Tensor loss_g = add(add(adv_ab, adv_ba), mul(add(cycle_a, cycle_b), lambda));
  Tensor idt_a = Tensor::zeros({}, DType::F32, a.device()), idt_b = idt_a;
  if (lambda_idt > 0) {
    // An image already in a generator's target domain should come back unchanged.
    idt_b = l1_loss(located("G_AB forward (identity on B)", [&] { return g_ab_->forward(b); }), b);
    idt_a = l1_loss(located("G_BA forward (identity on A)", [&] { return g_ba_->forward(a); }), a);
    loss_g = add(loss_g, mul(add(idt_a, idt_b), lambda_idt));
  }
  optimizer_g().zero_grad();
  located("backward through D and both generators (G update)", [&] {
    std::vector<Tensor> params = g_ab_->parameters(), more = g_ba_->parameters();
    params.insert(params.end(), more.begin(), more.end());
    dist::backward_averaged(loss_g, params);  // averaged over the ranks of a data-parallel run
    return 0;
  });
  const Tensor probe = add_probes(gradient_probe(*g_ab_), gradient_probe(*g_ba_));
  optimizer_g().step();
  return {adv_ab, adv_ba, cycle_a, cycle_b, idt_a, idt_b, probe};
}

Tensor CycleGanTrainer::step_losses(const Tensor& a, const Tensor& b) {
  // 1. Both generators, through the frozen discriminators.
  Tensor fake_a, fake_b;
  const std::vector<Tensor> g = update_generators(a, b, fake_a, fake_b);

  // 2. Both discriminators, on real images and fakes drawn through the pools.
  const Tensor pooled_b = pool_b_.query(fake_b), pooled_a = pool_a_.query(fake_a);
  const auto d_loss = [&](const std::string& name, PatchDiscriminator& d, const Tensor& real, const Tensor& pooled) {
    const Tensor on_real = located(name + " forward on real images", [&] { return d.forward(real); });
    return discriminator_loss(GanLoss::LSGAN, on_real,
                              located(name + " forward on pooled fakes", [&] { return d.forward(pooled); }));
  };
  const Tensor loss_d_b = d_loss("D_B", *d_b_, b, pooled_b), loss_d_a = d_loss("D_A", *d_a_, a, pooled_a);
  optimizer_d().zero_grad();
  located("discriminator backward (D update)", [&] {
    std::vector<Tensor> params = d_a_->parameters(), more = d_b_->parameters();
    params.insert(params.end(), more.begin(), more.end());
    dist::backward_averaged(add(loss_d_a, loss_d_b), params);
    return 0;
  });
  const Tensor d_probe = add_probes(gradient_probe(*d_a_), gradient_probe(*d_b_));
  optimizer_d().step();

  NoGradGuard no_grad;
  std::vector<Tensor> stats = {loss_d_a, loss_d_b};
  stats.insert(stats.end(), g.begin(), g.end() - 1);  // adversarial, cycle and identity terms
  stats.push_back(add_probes(g.back(), d_probe));
  for (Tensor& t : stats) t = t.detach().reshape({1});
  return concat(stats, 0);
}

void CycleGanTrainer::mark_unmeasured(std::vector<double>& values) const {
  if (settings_.lambda_identity == 0) values[kIdtA] = values[kIdtB] = std::nan("");
}

Tensor CycleGanTrainer::sample_grid() {
  GAN_CHECK(sample_a_.defined(), ValueError, "CycleGAN sample grid: set_sample_images() first");
  NoGradGuard no_grad;
  g_ab_->eval();
  g_ba_->eval();
  const Tensor fake_b = g_ab_->forward(sample_a_), fake_a = g_ba_->forward(sample_b_);
  Tensor grid = concat({sample_a_, fake_b, g_ba_->forward(fake_b), sample_b_, fake_a, g_ab_->forward(fake_a)}, 0);
  g_ab_->train();
  g_ba_->train();
  return grid;
}

void CycleGanTrainer::snapshot_extra() {
  snapshot_pool_a_ = pool_a_;  // the pools never change a stored image in place: copying the handles is enough
  snapshot_pool_b_ = pool_b_;
}

void CycleGanTrainer::restore_extra() {
  pool_a_ = snapshot_pool_a_;
  pool_b_ = snapshot_pool_b_;
}

// ---- checkpoints ------------------------------------------------------------------

Shape CycleGanTrainer::image_shape() const {
  return {settings_.model.channels, settings_.model.image_size, settings_.model.image_size};
}

void CycleGanTrainer::save_extra(io::Checkpoint& ck) const {
  put_cyclegan_meta(ck, settings_.model);
  ck.put_meta("lambda_cycle", format_number(settings_.lambda_cycle));
  ck.put_meta("lambda_identity", format_number(settings_.lambda_identity));
  ck.put_meta("pool_size", std::to_string(settings_.pool_size));
  pool_a_.save(ck, "pool_A.");
  pool_b_.save(ck, "pool_B.");
}

void CycleGanTrainer::check_extra(const io::Checkpoint& ck, const std::string& source) const {
  CycleGanModel saved = cyclegan_model_from_meta(ck, source), mine = settings_.model;
  check_same_model(saved.fields(), mine.fields(), source, describe(saved), describe(mine));
  const int64_t pool_size = meta_int(ck, "pool_size", source);
  GAN_CHECK(pool_size == settings_.pool_size, IoError, source, ": made with --pool-size ", pool_size,
            ", this run has --pool-size ", settings_.pool_size);
  pool_a_.check(ck, "pool_A.", image_shape(), source);
  pool_b_.check(ck, "pool_B.", image_shape(), source);
}

void CycleGanTrainer::load_extra(const io::Checkpoint& ck, const std::string& source) {
  pool_a_.load(ck, "pool_A.", image_shape(), source, settings_.recipe.device);
  pool_b_.load(ck, "pool_B.", image_shape(), source, settings_.recipe.device);
}

}  // namespace gan::app
