#include "apps/gan/dcgan_trainer.h"

#include <cmath>

#include "core/autograd.h"
#include "core/error.h"
#include "core/ops.h"
#include "core/version.h"
#include "layers/init.h"
#include "layers/state_dict.h"

namespace gan::app {

uint64_t stream_seed(uint64_t seed, uint64_t stream) {
  // SplitMix64 finaliser over (seed, stream): nearby seeds give unrelated streams.
  uint64_t z = seed + stream * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

DcganTrainer::DcganTrainer(const TrainSettings& settings)
    : settings_(settings), noise_gen_(stream_seed(settings.seed, kNoiseStream)) {
  Generator init(stream_seed(settings.seed, kInitStream));
  g_ = std::make_shared<DcganGenerator>(settings.model, init);
  d_ = std::make_shared<DcganDiscriminator>(settings.model, init);
  dcgan_init(*g_, init);
  dcgan_init(*d_, init);
  g_->to(settings.device);
  d_->to(settings.device);
  opt_g_ = std::make_unique<Adam>(g_->parameters(), settings.adam);
  opt_d_ = std::make_unique<Adam>(d_->parameters(), settings.adam);
  Generator fixed(stream_seed(settings.seed, kFixedNoiseStream));
  fixed_noise_ = Tensor::randn({settings.sample_count, settings.model.nz}, fixed, DType::F32, settings.device);
}

namespace {

// Runs f; a NumericalError from anomaly detection gets `where` in front, so the
// message says which network and pass it came from.
template <typename F>
auto located(const char* where, F&& f) {
  try {
    return f();
  } catch (const NumericalError& e) {
    throw NumericalError(std::string(where) + ": " + e.what());
  }
}

// sum over the parameters of sum(0 * grad): 0 for finite gradients, NaN as soon
// as one element anywhere is NaN or Inf. Device-side, read with the other stats.
Tensor gradient_probe(const Module& m) {
  NoGradGuard no_grad;
  Tensor probe;
  for (const Tensor& p : m.parameters()) {
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    const Tensor term = sum(mul(g, 0.0));
    probe = probe.defined() ? add(probe, term) : term;
  }
  return probe;
}

}  // namespace

Tensor DcganTrainer::step(const Tensor& real_in) {
  save_snapshot();
  const Tensor real = real_in.to(settings_.device);
  const int64_t batch = real.shape()[0];
  if (!ones_.defined() || ones_.shape()[0] != batch) {
    ones_ = Tensor::ones({batch, 1}, DType::F32, settings_.device);
    zeros_ = Tensor::zeros({batch, 1}, DType::F32, settings_.device);
  }
  g_->train();
  d_->train();
  const Tensor z = Tensor::randn({batch, settings_.model.nz}, noise_gen_, DType::F32, settings_.device);
  const Tensor fake = located("generator forward", [&] { return g_->forward(z); });

  // 1. D step: real -> 1, detached fake -> 0.
  const Tensor d_real = located("discriminator forward on real images", [&] { return d_->forward(real); });
  const Tensor d_fake = located("discriminator forward on fakes", [&] { return d_->forward(fake.detach()); });
  const Tensor loss_d = bce_with_logits(d_real, ones_) + bce_with_logits(d_fake, zeros_);
  opt_d_->zero_grad();
  located("discriminator backward (D step)", [&] { loss_d.backward(); return 0; });
  const Tensor d_probe = gradient_probe(*d_);
  opt_d_->step();

  // 2. G step: the updated D on the same fakes, non-saturating loss.
  const Tensor loss_g =
      bce_with_logits(located("discriminator forward (G step)", [&] { return d_->forward(fake); }), ones_);
  opt_g_->zero_grad();
  located("backward through D and G (G step)", [&] { loss_g.backward(); return 0; });
  const Tensor g_probe = gradient_probe(*g_);
  opt_g_->step();
  ++steps_;

  // Detached values only: nothing below is recorded.
  return concat({loss_d.detach().reshape({1}), loss_g.detach().reshape({1}), mean(sigmoid(d_real.detach())).reshape({1}),
                 mean(sigmoid(d_fake.detach())).reshape({1}), add(d_probe, g_probe).reshape({1})},
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
  return all;
}

void DcganTrainer::save_snapshot() {
  NoGradGuard no_grad;
  const std::vector<Tensor> state = mutable_state();
  if (snapshot_.empty())
    for (const Tensor& t : state) snapshot_.push_back(Tensor::empty(t.shape(), t.dtype(), t.device()));
  for (size_t i = 0; i < state.size(); ++i) snapshot_[i].copy_(state[i]);
  snapshot_noise_counter_ = noise_gen_.counter();
  snapshot_opt_steps_[0] = opt_g_->steps();
  snapshot_opt_steps_[1] = opt_d_->steps();
}

void DcganTrainer::restore_snapshot() {
  NoGradGuard no_grad;
  std::vector<Tensor> state = mutable_state();
  for (size_t i = 0; i < state.size(); ++i) state[i].copy_(snapshot_[i]);
  noise_gen_.set_state(noise_gen_.seed(), snapshot_noise_counter_);
  opt_g_->set_steps(snapshot_opt_steps_[0]);
  opt_d_->set_steps(snapshot_opt_steps_[1]);
  --steps_;
}

std::string DcganTrainer::locate_nonfinite(const Tensor& real) {
  GAN_CHECK(!snapshot_.empty() && steps_ > 0, ValueError, "locate_nonfinite: no step to replay");
  restore_snapshot();
  const int64_t bad_step = steps_ + 1;
  for (const auto& [name, t] : state_tensors(*g_))
    if (!all_finite(t)) return "step " + std::to_string(bad_step) + " began with NaN/Inf in generator tensor " + name;
  for (const auto& [name, t] : state_tensors(*d_))
    if (!all_finite(t))
      return "step " + std::to_string(bad_step) + " began with NaN/Inf in discriminator tensor " + name;
  std::string where = "the replay of step " + std::to_string(bad_step) + " did not reproduce it";
  try {
    AnomalyGuard anomaly;
    const StepStats s = read_stats(step(real));
    if (!s.finite())
      where = "step " + std::to_string(bad_step) + ": a loss was non-finite though every layer output and gradient "
              "was finite (loss_D " + std::to_string(s.loss_d) + ", loss_G " + std::to_string(s.loss_g) + ")";
  } catch (const NumericalError& e) {
    where = "step " + std::to_string(bad_step) + ", " + e.what();
  }
  if (steps_ == bad_step) restore_snapshot();
  return where;
}

void DcganTrainer::set_learning_rate(double lr) {
  settings_.adam.lr = lr;
  opt_g_->hyper.lr = lr;
  opt_d_->hyper.lr = lr;
}

Tensor DcganTrainer::generate(const Tensor& z) {
  NoGradGuard no_grad;
  g_->eval();
  Tensor images = g_->forward(z.to(settings_.device));
  g_->train();
  return images;
}

// ---- checkpoints ------------------------------------------------------------------

void put_model_meta(io::Checkpoint& ck, const DcganConfig& c) {
  ck.put_meta("model", "dcgan");
  ck.put_meta("image_size", std::to_string(c.image_size));
  ck.put_meta("channels", std::to_string(c.channels));
  ck.put_meta("nz", std::to_string(c.nz));
  ck.put_meta("ngf", std::to_string(c.ngf));
  ck.put_meta("ndf", std::to_string(c.ndf));
  ck.put_meta("discriminator_batchnorm", c.discriminator_batchnorm ? "1" : "0");
}

namespace {

int64_t meta_int(const io::Checkpoint& ck, const std::string& key, const std::string& source) {
  const std::string v = ck.meta(key);
  try {
    size_t used = 0;
    const long long x = std::stoll(v, &used);
    if (used == v.size()) return x;
  } catch (const std::exception&) {
  }
  throw IoError(source + ": metadata '" + key + "' is '" + v + "', not an integer: the checkpoint is damaged");
}

}  // namespace

DcganConfig model_from_meta(const io::Checkpoint& ck, const std::string& source) {
  GAN_CHECK(ck.has_meta("model") && ck.meta("model") == "dcgan", IoError, source,
            ": not a DCGAN checkpoint (metadata 'model' is ", ck.has_meta("model") ? ck.meta("model") : "missing",
            ")");
  DcganConfig c;
  c.image_size = meta_int(ck, "image_size", source);
  c.channels = meta_int(ck, "channels", source);
  c.nz = meta_int(ck, "nz", source);
  c.ngf = meta_int(ck, "ngf", source);
  c.ndf = meta_int(ck, "ndf", source);
  c.discriminator_batchnorm = meta_int(ck, "discriminator_batchnorm", source) != 0;
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
  ck.put_meta("noise_rng_counter", std::to_string(noise_gen_.counter()));
  ck.put_meta("optG.steps", std::to_string(opt_g_->steps()));
  ck.put_meta("optD.steps", std::to_string(opt_d_->steps()));
  save_tensors(ck, "G.", state_tensors(*g_));
  save_tensors(ck, "D.", state_tensors(*d_));
  save_tensors(ck, "optG.", opt_g_->state());
  save_tensors(ck, "optD.", opt_d_->state());
  return ck;
}

void DcganTrainer::restore_state(const io::Checkpoint& ck, const std::string& source) {
  const DcganConfig saved = model_from_meta(ck, source);
  const DcganConfig& mine = settings_.model;
  GAN_CHECK(saved.image_size == mine.image_size && saved.channels == mine.channels && saved.nz == mine.nz &&
                saved.ngf == mine.ngf && saved.ndf == mine.ndf &&
                saved.discriminator_batchnorm == mine.discriminator_batchnorm,
            IoError, source, ": made for another model (image size ", saved.image_size, ", channels ",
            saved.channels, ", nz ", saved.nz, ", ngf ", saved.ngf, ", ndf ", saved.ndf,
            "); this run asks for image size ", mine.image_size, ", channels ", mine.channels, ", nz ", mine.nz,
            ", ngf ", mine.ngf, ", ndf ", mine.ndf);
  const uint64_t seed = static_cast<uint64_t>(meta_int(ck, "seed", source));
  GAN_CHECK(seed == settings_.seed, IoError, source, ": made with --seed ", seed, ", this run has --seed ",
            settings_.seed, "; resume with the same seed");
  // Validate everything before copying anything: a bad checkpoint leaves the trainer as it was.
  check_tensors(ck, "G.", state_tensors(*g_), source);
  check_tensors(ck, "D.", state_tensors(*d_), source);
  check_tensors(ck, "optG.", opt_g_->state(), source);
  check_tensors(ck, "optD.", opt_d_->state(), source);
  const int64_t opt_g_steps = meta_int(ck, "optG.steps", source), opt_d_steps = meta_int(ck, "optD.steps", source);
  const int64_t steps = meta_int(ck, "step", source);
  const auto noise_counter = static_cast<uint64_t>(meta_int(ck, "noise_rng_counter", source));
  load_tensors(ck, "G.", state_tensors(*g_), source);
  load_tensors(ck, "D.", state_tensors(*d_), source);
  load_tensors(ck, "optG.", opt_g_->state(), source);
  load_tensors(ck, "optD.", opt_d_->state(), source);
  opt_g_->set_steps(opt_g_steps);
  opt_d_->set_steps(opt_d_steps);
  steps_ = steps;
  noise_gen_.set_state(stream_seed(settings_.seed, kNoiseStream), noise_counter);
}

std::shared_ptr<DcganGenerator> load_generator(const std::string& path, Device device) {
  const io::Checkpoint ck = io::load_checkpoint(path);
  const DcganConfig config = model_from_meta(ck, path);
  Generator unused(0);
  auto g = std::make_shared<DcganGenerator>(config, unused);
  load_tensors(ck, "G.", state_tensors(*g), path);
  g->to(device);
  g->eval();
  return g;
}

}  // namespace gan::app
