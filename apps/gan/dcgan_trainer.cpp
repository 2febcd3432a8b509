#include "apps/gan/dcgan_trainer.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

#include "apps/gan/cli.h"  // format_number
#include "core/autograd.h"
#include "core/distributed.h"
#include "core/error.h"
#include "core/io/safetensors.h"
#include "core/ops.h"
#include "core/version.h"
#include "layers/ema.h"
#include "layers/init.h"
#include "layers/state_dict.h"

namespace gan::app {

TrainSettings TrainSettings::for_loss(GanLoss loss) {
  TrainSettings s;
  s.loss = loss;
  switch (loss) {
    case GanLoss::WGAN:  // Arjovsky et al. 2017, Algorithm 1
      s.lr = 5e-5;
      s.n_critic = 5;
      break;
    case GanLoss::WGAN_GP:  // Gulrajani et al. 2017, Algorithm 1
      s.lr = 1e-4;
      s.beta1 = 0.0;
      s.beta2 = 0.9;
      s.n_critic = 5;
      s.model.discriminator_batchnorm = false;
      break;
    case GanLoss::BCE:
    case GanLoss::Hinge:
    case GanLoss::LSGAN:
      break;  // the DCGAN recipe: Adam 2e-4, betas 0.5 / 0.999, one D update per G update
  }
  return s;
}

DcganTrainer::DcganTrainer(const TrainSettings& settings)
    : settings_(settings), noise_rng_(stream_seed(settings.seed, kNoiseStream)) {
  GAN_CHECK(settings.n_critic >= 1, ValueError, "n_critic must be at least 1, got ", settings.n_critic);
  GAN_CHECK(settings.loss != GanLoss::WGAN_GP || !settings.model.discriminator_batchnorm, ValueError,
            "wgan-gp needs a critic without batch norm (the gradient penalty is per sample)");
  GAN_CHECK(settings.lr >= 0 && settings.lr_d >= 0 && settings.lr_g >= 0, ValueError,
            "learning rates must not be negative, got lr ", settings.lr, ", lr_d ", settings.lr_d, ", lr_g ",
            settings.lr_g);
  GAN_CHECK(settings.ema_decay >= 0 && settings.ema_decay < 1, ValueError,
            "the EMA decay must be in [0, 1) (0 = no moving average), got ", settings.ema_decay);
  GAN_CHECK(settings.r1_gamma == 0.0 || !settings.model.discriminator_batchnorm, ValueError,
            "the R1 penalty needs a discriminator without batch norm (it is per sample, and batch norm has no "
            "double backward)");
  GAN_CHECK(settings.r1_every >= 1, ValueError, "r1_every must be at least 1, got ", settings.r1_every);
  GAN_CHECK(settings.ada_target == 0.0 || (settings.augment.any() && settings.ada_target > 0 &&
                                           settings.ada_target < 1 && settings.ada_images > 0),
            ValueError, "ADA needs a DiffAugment policy to adapt, a target in (0, 1) and a positive image count; got ",
            "policy ", diff_augment_name(settings.augment), ", target ", settings.ada_target, ", images ",
            settings.ada_images);
  if (settings.ada_target > 0) augment_p_ = 0.0;  // ADA starts without augmentation
  Rng init(stream_seed(settings.seed, kInitStream));
  g_ = std::make_shared<DcganGenerator>(settings.model, init);
  d_ = std::make_shared<DcganDiscriminator>(settings.model, init);
  dcgan_init(*g_, init);
  dcgan_init(*d_, init);
  g_->to(settings.device);
  d_->to(settings.device);
  opt_g_ = make_optimizer(g_->parameters(), settings_.g_lr());
  opt_d_ = make_optimizer(d_->parameters(), settings_.d_lr());
  if (settings.ema_decay > 0) {
    Rng unused(0);  // its weights are G's: the init stream stays as it was without EMA
    g_ema_ = std::make_shared<DcganGenerator>(settings.model, unused);
    g_ema_->to(settings.device);
    ema_reset(*g_ema_, *g_);
    g_ema_->eval();  // it only ever generates
  }

  // The sample grid: a conditional model shows one row per class with the same
  // noise down each column, so a column is one "style" drawn as every class.
  Rng fixed(stream_seed(settings.seed, kFixedNoiseStream));
  const int64_t classes = settings.model.num_classes, nz = settings.model.nz;
  if (classes > 0) {
    const int64_t cols = sample_grid_columns();
    const std::vector<float> column_noise = Tensor::randn({cols, nz}, fixed).to_vector<float>();
    std::vector<float> z;
    for (int64_t c = 0; c < classes; ++c) {
      z.insert(z.end(), column_noise.begin(), column_noise.end());
      fixed_labels_.insert(fixed_labels_.end(), static_cast<size_t>(cols), c);
    }
    fixed_noise_ = Tensor::from_vector(z, {classes * cols, nz}, DType::F32, settings.device);
  } else {
    fixed_noise_ = Tensor::randn({settings.sample_count, nz}, fixed, DType::F32, settings.device);
  }
}

std::unique_ptr<Optimizer> DcganTrainer::make_optimizer(const std::vector<Tensor>& params, double lr) const {
  if (settings_.loss == GanLoss::WGAN) {
    RmspropParams h;
    h.lr = lr;
    return std::make_unique<RMSprop>(params, h);
  }
  AdamParams h;
  h.lr = lr;
  h.beta1 = settings_.beta1;
  h.beta2 = settings_.beta2;
  return std::make_unique<Adam>(params, h);
}

int64_t DcganTrainer::sample_grid_columns() const {
  return settings_.model.num_classes > 0 ? 8 : static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(
                                                    settings_.sample_count))));
}

Tensor DcganTrainer::class_codes(const std::vector<int64_t>& labels) const {
  if (settings_.model.num_classes == 0) return Tensor();
  return one_hot(labels, settings_.model.num_classes, settings_.device);
}

Tensor DcganTrainer::run_g(const Tensor& z, const Tensor& codes) {
  return codes.defined() ? g_->forward(z, codes) : g_->forward(z);
}

Tensor DcganTrainer::run_d(const Tensor& x, const Tensor& codes) {
  return codes.defined() ? d_->forward(x, codes) : d_->forward(x);
}

namespace {

// What the stats report as D(x) / D(G(z)): BCE's logits as probabilities,
// other losses' raw critic scores.
Tensor mean_output(GanLoss loss, const Tensor& out) {
  NoGradGuard no_grad;
  return mean(loss == GanLoss::BCE ? sigmoid(out.detach()) : out.detach()).reshape({1});
}

}  // namespace

Tensor DcganTrainer::step(const std::vector<io::Batch>& batches) {
  GAN_CHECK(static_cast<int64_t>(batches.size()) == settings_.n_critic, ValueError, "trainer step: got ",
            batches.size(), " real batches for ", settings_.n_critic, " critic updates");
  save_snapshot();
  g_->train();
  d_->train();
  const int64_t nz = settings_.model.nz;

  // What D looks at: the images themselves, or their DiffAugment.
  const auto seen = [&](const Tensor& x) {
    return settings_.augment.any() ? diff_augment(x, settings_.augment, noise_rng_, augment_p_) : x;
  };
  double real_sign_sum = 0;  // ADA: sum of sign D(x) over the step's real images
  int64_t real_seen = 0;

  // 1. n_critic D updates.
  Tensor fake, codes, loss_d, d_real, d_fake, d_probe;
  for (const io::Batch& batch : batches) {
    const Tensor real = batch.images.to(settings_.device);
    const int64_t n = real.shape()[0];
    GAN_CHECK(settings_.model.num_classes == 0 || static_cast<int64_t>(batch.labels.size()) == n, ValueError,
              "a conditional model needs the class label of every image; the data set has none (use an "
              "IDX data set such as fashion-mnist)");
    codes = class_codes(batch.labels);
    const Tensor z = rank_randn(n, nz, noise_rng_, settings_.device);
    if (settings_.n_critic == 1) {
      fake = located("generator forward", [&] { return run_g(z, codes); });  // reused by the G update
    } else {
      NoGradGuard no_grad;  // G is not being trained here
      fake = located("generator forward", [&] { return run_g(z, codes); });
    }
    d_real = located("discriminator forward on real images", [&] { return run_d(seen(real), codes); });
    d_fake = located("discriminator forward on fakes", [&] { return run_d(seen(fake.detach()), codes); });
    loss_d = discriminator_loss(settings_.loss, d_real, d_fake);
    if (settings_.ada_target > 0) {
      NoGradGuard no_grad;
      real_sign_sum += sum(sign(d_real.detach())).item();
      real_seen += n;
    }
    if (settings_.loss == GanLoss::WGAN_GP) {
      loss_d = add(loss_d, located("gradient penalty", [&] {
                     return gradient_penalty([&](const Tensor& x) { return run_d(x, codes); }, real, fake,
                                             noise_rng_, settings_.gp_lambda);
                   }));
    }
    // R1, lazily (StyleGAN2): every r1_every-th D update, scaled by r1_every.
    // Not part of loss_d as logged, so the logged losses stay comparable.
    Tensor loss_d_total = loss_d;
    if (settings_.r1_gamma > 0.0 && opt_d_->steps() % settings_.r1_every == 0) {
      loss_d_total = add(loss_d, located("R1 penalty", [&] {
                           return mul(r1_penalty([&](const Tensor& x) { return run_d(x, codes); }, real,
                                                 settings_.r1_gamma),
                                      static_cast<double>(settings_.r1_every));
                         }));
    }
    opt_d_->zero_grad();
    // Averaged over the ranks of a data-parallel run (core/distributed.h).
    located("discriminator backward (D update)", [&] {
      dist::backward_averaged(loss_d_total, d_->parameters());
      return 0;
    });
    d_probe = add_probes(d_probe, gradient_probe(*d_));
    opt_d_->step();
    if (settings_.loss == GanLoss::WGAN) clamp_parameters(d_->parameters(), -settings_.clip, settings_.clip);
  }

  // 2. One G update: the updated D on the fakes (fresh ones after several D updates).
  if (settings_.n_critic > 1) {
    const Tensor z = rank_randn(fake.shape()[0], nz, noise_rng_, settings_.device);
    fake = located("generator forward (G update)", [&] { return run_g(z, codes); });
  }
  Tensor loss_g, g_probe;
  {
    const FrozenScope frozen({d_.get()});  // D's weight gradients are not needed here
    loss_g = generator_loss(settings_.loss,
                            located("discriminator forward (G update)", [&] { return run_d(seen(fake), codes); }));
    opt_g_->zero_grad();
    located("backward through D and G (G update)", [&] {
      dist::backward_averaged(loss_g, g_->parameters());
      return 0;
    });
    g_probe = gradient_probe(*g_);
    opt_g_->step();
  }
  if (g_ema_) {
    ema_update(*g_ema_, *g_, ema_decay_at(settings_.ema_decay, steps_));
    ema_statistics_stale_ = true;
  }
  if (settings_.ada_target > 0) {
    // ADA: D too sure of the real images (r above the target) means it is
    // overfitting them: augment more; below, augment less.
    const double r = real_sign_sum / static_cast<double>(real_seen);
    const double move = static_cast<double>(real_seen) / static_cast<double>(settings_.ada_images);
    augment_p_ = std::clamp(augment_p_ + (r > settings_.ada_target ? move : -move), 0.0, 1.0);
  }
  ++steps_;

  // Detached values only: nothing below is recorded.
  return concat({loss_d.detach().reshape({1}), loss_g.detach().reshape({1}), mean_output(settings_.loss, d_real),
                 mean_output(settings_.loss, d_fake), add(d_probe, g_probe).reshape({1})},
                0);
}

bool StepStats::finite() const {
  return std::isfinite(loss_d) && std::isfinite(loss_g) && std::isfinite(d_real) && std::isfinite(d_fake) &&
         grads_finite;
}

StepStats DcganTrainer::read_stats(const Tensor& stats) {
  const std::vector<double> v = stats.to_vector<double>();
  return {v.at(0), v.at(1), v.at(2), v.at(3), std::isfinite(v.at(4))};
}

std::vector<Tensor> DcganTrainer::mutable_state() const {
  std::vector<Tensor> all;
  for (const auto& named : {state_tensors(*g_), state_tensors(*d_), opt_g_->state(), opt_d_->state()})
    for (const auto& [name, t] : named) all.push_back(t);
  if (g_ema_)
    for (const auto& [name, t] : state_tensors(*g_ema_)) all.push_back(t);
  return all;
}

StepResult DcganTrainer::train_step(const std::vector<io::Batch>& batches) {
  const StepStats s = read_stats(step(batches));
  StepResult r{{s.loss_d, s.loss_g, s.d_real, s.d_fake}, s.finite()};
  if (settings_.ada_target > 0) r.values.push_back(augment_p_);  // the augment_p column
  return r;
}

void DcganTrainer::save_snapshot() {
  snapshot_.save(mutable_state());
  snapshot_noise_counter_ = noise_rng_.counter();
  snapshot_opt_steps_[0] = opt_g_->steps();
  snapshot_opt_steps_[1] = opt_d_->steps();
  snapshot_augment_p_ = augment_p_;
}

void DcganTrainer::restore_snapshot() {
  snapshot_.restore(mutable_state());
  noise_rng_.set_state(noise_rng_.seed(), snapshot_noise_counter_);
  opt_g_->set_steps(snapshot_opt_steps_[0]);
  opt_d_->set_steps(snapshot_opt_steps_[1]);
  augment_p_ = snapshot_augment_p_;
  ema_statistics_stale_ = true;
  --steps_;
}

std::string DcganTrainer::locate_nonfinite(const std::vector<io::Batch>& batches) {
  GAN_CHECK(!snapshot_.empty() && steps_ > 0, ValueError, "locate_nonfinite: no step to replay");
  restore_snapshot();
  const int64_t bad_step = steps_ + 1;
  const std::string where =
      locate_nonfinite_step(bad_step, {{"generator", g_.get()}, {"discriminator", d_.get()}}, [&] {
        const StepStats s = read_stats(step(batches));
        return s.finite() ? std::string()
                          : "loss_D " + std::to_string(s.loss_d) + ", loss_G " + std::to_string(s.loss_g);
      });
  if (steps_ == bad_step) restore_snapshot();
  return where;
}

void DcganTrainer::refresh_ema_statistics() const {
  if (!ema_statistics_stale_) return;
  // 16 x 64 draws of a stream of their own: the same weights always get the
  // same statistics, so an interrupted and resumed run stays exact. Batch 64
  // keeps the memory below a training step's at any image size.
  constexpr int64_t kBatches = 16, kBatch = 64;
  Rng rng(stream_seed(settings_.seed, kEmaStatisticsStream));
  const int64_t classes = settings_.model.num_classes;
  std::vector<int64_t> labels;
  for (int64_t i = 0; classes > 0 && i < kBatch; ++i) labels.push_back(i % classes);
  const Tensor codes = class_codes(labels);
  recompute_batch_norm_statistics(*g_ema_, kBatches, [&] {
    const Tensor z = Tensor::randn({kBatch, settings_.model.nz}, rng, DType::F32, settings_.device);
    if (codes.defined()) g_ema_->forward(z, codes);
    else g_ema_->forward(z);
  });
  ema_statistics_stale_ = false;
}

Tensor DcganTrainer::generate(const Tensor& z, const std::vector<int64_t>& labels, bool raw) {
  NoGradGuard no_grad;
  const Tensor codes = class_codes(labels), noise = z.to(settings_.device);
  if (g_ema_ && !raw) {
    refresh_ema_statistics();
    return codes.defined() ? g_ema_->forward(noise, codes) : g_ema_->forward(noise);
  }
  g_->eval();
  Tensor images = run_g(noise, codes);
  g_->train();
  return images;
}

Tensor DcganTrainer::sample_grid() { return generate(fixed_noise_, fixed_labels_); }

double DcganTrainer::learning_rate() const { return std::max({settings_.lr, settings_.lr_d, settings_.lr_g}); }

void DcganTrainer::set_learning_rate(double lr) {
  const double top = learning_rate();
  if (top == 0) return;  // nothing trains: no rate to scale
  // The largest rate becomes exactly `lr`; the others keep their ratio to it
  // (0, "use lr", stays 0).
  const auto scaled = [&](double r) { return r == top ? lr : r * (lr / top); };
  settings_.lr = scaled(settings_.lr);
  settings_.lr_d = scaled(settings_.lr_d);
  settings_.lr_g = scaled(settings_.lr_g);
  opt_g_->set_lr(settings_.g_lr());
  opt_d_->set_lr(settings_.d_lr());
}

// ---- checkpoints ------------------------------------------------------------------

std::string describe(const DcganConfig& c) {
  std::ostringstream os;
  os << "image size " << c.size_str() << ", channels " << c.channels << ", nz " << c.nz << ", ngf " << c.ngf
     << ", ndf " << c.ndf << (c.discriminator_batchnorm ? "" : ", no batch norm in D");
  if (c.spectral_norm_d || c.spectral_norm_g)
    os << ", spectral norm in " << (c.spectral_norm_d && c.spectral_norm_g ? "G and D" : c.spectral_norm_d ? "D" : "G");
  if (c.num_classes > 0) os << ", conditional on " << c.num_classes << " classes";
  return os.str();
}

void put_model_meta(io::Checkpoint& ck, const DcganConfig& c) {
  ck.put_meta("model", "dcgan");
  // image_size only for square images: an engine from before rectangles reads
  // those, and refuses the others rather than building the wrong model.
  if (c.height() == c.width()) ck.put_meta("image_size", std::to_string(c.image_size));
  ck.put_meta("image_height", std::to_string(c.height()));
  ck.put_meta("image_width", std::to_string(c.width()));
  ck.put_meta("channels", std::to_string(c.channels));
  ck.put_meta("nz", std::to_string(c.nz));
  ck.put_meta("ngf", std::to_string(c.ngf));
  ck.put_meta("ndf", std::to_string(c.ndf));
  ck.put_meta("discriminator_batchnorm", c.discriminator_batchnorm ? "1" : "0");
  ck.put_meta("num_classes", std::to_string(c.num_classes));
  ck.put_meta("spectral_norm", spectral_norm_name(c));
}

std::string spectral_norm_name(const DcganConfig& c) {
  return c.spectral_norm_d && c.spectral_norm_g ? "both" : c.spectral_norm_d ? "d" : c.spectral_norm_g ? "g" : "none";
}

void set_spectral_norm(DcganConfig& c, const std::string& name) {
  GAN_CHECK(name == "none" || name == "d" || name == "g" || name == "both", ValueError, "spectral norm '", name,
            "': expected none, d, g or both");
  c.spectral_norm_d = name == "d" || name == "both";
  c.spectral_norm_g = name == "g" || name == "both";
}

bool keeps_generator_average(const io::Checkpoint& ck, const std::string& source) {
  return ck.has_meta("ema_decay") && meta_double(ck, "ema_decay", source) > 0;
}

DcganConfig model_from_meta(const io::Checkpoint& ck, const std::string& source) {
  GAN_CHECK(ck.has_meta("model") && ck.meta("model") == "dcgan", IoError, source,
            ": not a DCGAN checkpoint (metadata 'model' is ", ck.has_meta("model") ? ck.meta("model") : "missing",
            ")");
  DcganConfig c;
  // Checkpoints from before rectangular images have image_size alone.
  const bool has_hw = ck.has_meta("image_height");
  c.image_size = meta_int(ck, has_hw ? "image_height" : "image_size", source);
  if (has_hw) c.image_width = meta_int(ck, "image_width", source);
  c.channels = meta_int(ck, "channels", source);
  c.nz = meta_int(ck, "nz", source);
  c.ngf = meta_int(ck, "ngf", source);
  c.ndf = meta_int(ck, "ndf", source);
  c.discriminator_batchnorm = meta_int(ck, "discriminator_batchnorm", source) != 0;
  c.num_classes = meta_int(ck, "num_classes", source);
  // Checkpoints from before spectral norm have none.
  if (ck.has_meta("spectral_norm")) {
    try {
      set_spectral_norm(c, ck.meta("spectral_norm"));
    } catch (const ValueError& e) {
      throw IoError(source + ": " + e.what());
    }
  }
  try {
    c.validate();
  } catch (const ValueError& e) {
    throw IoError(source + ": the model options stored in the checkpoint are invalid: " + e.what());
  }
  return c;
}

io::Checkpoint DcganTrainer::save_state() const {
  io::Checkpoint ck;
  put_model_meta(ck, settings_.model);
  ck.put_meta("engine_version", version());
  ck.put_meta("seed", std::to_string(settings_.seed));
  ck.put_meta("step", std::to_string(steps_));
  ck.put_meta("noise_rng_counter", std::to_string(noise_rng_.counter()));
  ck.put_meta("optG.steps", std::to_string(opt_g_->steps()));
  ck.put_meta("optD.steps", std::to_string(opt_d_->steps()));
  // The training recipe (lr reflects any --on-nan rollback halving).
  ck.put_meta("loss", gan_loss_name(settings_.loss));
  ck.put_meta("n_critic", std::to_string(settings_.n_critic));
  ck.put_meta("r1_every", std::to_string(settings_.r1_every));
  ck.put_meta("diff_augment", diff_augment_name(settings_.augment));
  ck.put_meta("ada_images", std::to_string(settings_.ada_images));
  ck.put_meta("augment_p", format_number(augment_p_));  // shortest round-trip: resume is exact
  for (const auto& [key, value] : {std::pair{"lr", settings_.lr}, {"lr_d", settings_.d_lr()},
                                   {"lr_g", settings_.g_lr()}, {"beta1", settings_.beta1},
                                   {"beta2", settings_.beta2}, {"clip", settings_.clip},
                                   {"gp_lambda", settings_.gp_lambda}, {"ema_decay", settings_.ema_decay},
                                   {"r1_gamma", settings_.r1_gamma}, {"ada_target", settings_.ada_target}})
    ck.put_meta(key, format_number(value));
  save_tensors(ck, "G.", state_tensors(*g_));
  if (g_ema_) {
    refresh_ema_statistics();  // the file's statistics are those gan sample and gan eval should use
    save_tensors(ck, "G_ema.", state_tensors(*g_ema_));
  }
  save_tensors(ck, "D.", state_tensors(*d_));
  save_tensors(ck, "optG.", opt_g_->state());
  save_tensors(ck, "optD.", opt_d_->state());
  return ck;
}

void DcganTrainer::restore_state(const io::Checkpoint& ck, const std::string& source) {
  const DcganConfig saved = model_from_meta(ck, source);
  const DcganConfig& mine = settings_.model;
  GAN_CHECK(saved.height() == mine.height() && saved.width() == mine.width() && saved.channels == mine.channels &&
                saved.nz == mine.nz && saved.ngf == mine.ngf && saved.ndf == mine.ndf &&
                saved.discriminator_batchnorm == mine.discriminator_batchnorm &&
                saved.num_classes == mine.num_classes && saved.spectral_norm_d == mine.spectral_norm_d &&
                saved.spectral_norm_g == mine.spectral_norm_g,
            IoError, source, ": made for another model (", describe(saved), "); this run asks for ", describe(mine));
  GAN_CHECK(ck.has_meta("loss") && ck.meta("loss") == gan_loss_name(settings_.loss) &&
                meta_int(ck, "n_critic", source) == settings_.n_critic,
            IoError, source, ": made with --loss ", ck.has_meta("loss") ? ck.meta("loss") : "?", " and n_critic ",
            ck.has_meta("n_critic") ? ck.meta("n_critic") : "?", "; this run uses --loss ",
            gan_loss_name(settings_.loss), " and n_critic ", settings_.n_critic);
  const uint64_t seed = static_cast<uint64_t>(meta_int(ck, "seed", source));
  GAN_CHECK(seed == settings_.seed, IoError, source, ": made with --seed ", seed, ", this run has --seed ",
            settings_.seed, "; resume with the same seed");
  const double ema_decay = ck.has_meta("ema_decay") ? meta_double(ck, "ema_decay", source) : 0.0;
  GAN_CHECK(ema_decay == settings_.ema_decay, IoError, source, ": made with --ema-decay ", format_number(ema_decay),
            ", this run has --ema-decay ", format_number(settings_.ema_decay), "; resume with the same");
  // Validate everything before copying anything: a bad checkpoint leaves the trainer as it was.
  check_tensors(ck, "G.", state_tensors(*g_), source);
  if (g_ema_) check_tensors(ck, "G_ema.", state_tensors(*g_ema_), source);
  check_tensors(ck, "D.", state_tensors(*d_), source);
  check_tensors(ck, "optG.", opt_g_->state(), source);
  check_tensors(ck, "optD.", opt_d_->state(), source);
  const int64_t opt_g_steps = meta_int(ck, "optG.steps", source), opt_d_steps = meta_int(ck, "optD.steps", source);
  const int64_t steps = meta_int(ck, "step", source);
  const auto noise_counter = static_cast<uint64_t>(meta_int(ck, "noise_rng_counter", source));
  // Runs from before ADA augment always (or not at all).
  const double augment_p = ck.has_meta("augment_p") ? meta_double(ck, "augment_p", source) : 1.0;
  load_tensors(ck, "G.", state_tensors(*g_), source);
  if (g_ema_) load_tensors(ck, "G_ema.", state_tensors(*g_ema_), source);
  load_tensors(ck, "D.", state_tensors(*d_), source);
  load_tensors(ck, "optG.", opt_g_->state(), source);
  load_tensors(ck, "optD.", opt_d_->state(), source);
  opt_g_->set_steps(opt_g_steps);
  opt_d_->set_steps(opt_d_steps);
  steps_ = steps;
  augment_p_ = augment_p;
  ema_statistics_stale_ = true;
  noise_rng_.set_state(stream_seed(settings_.seed, kNoiseStream), noise_counter);
}

std::shared_ptr<DcganGenerator> load_generator(const std::string& path, Device device, bool raw, bool* averaged) {
  const bool weights = io::is_safetensors_path(path);
  const io::Checkpoint ck = weights ? io::load_safetensors(path) : io::load_checkpoint(path);
  GAN_CHECK(!weights || ck.has_meta("model"), IoError, path,
            ": its header has no model options (__metadata__ with model = dcgan, image_size, channels, nz, ngf, "
            "ndf, num_classes, discriminator_batchnorm); 'gan export' writes them, and so does save_gan_safetensors "
            "of bench/pytorch_gan_models.py");
  const DcganConfig config = model_from_meta(ck, path);
  Rng unused(0);
  auto g = std::make_shared<DcganGenerator>(config, unused);
  const bool use_ema = !weights && !raw && keeps_generator_average(ck, path);
  if (weights) {
    import_networks(ck, {{"G.", g.get()}}, path, /*require_all=*/true);
  } else {
    load_tensors(ck, use_ema ? "G_ema." : "G.", state_tensors(*g), path);
  }
  if (averaged) *averaged = use_ema;
  g->to(device);
  g->eval();
  return g;
}

}  // namespace gan::app
