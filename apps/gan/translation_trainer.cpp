#include "apps/gan/translation_trainer.h"

#include <cmath>
#include <sstream>

#include "apps/gan/cli.h"  // format_number
#include "core/autograd.h"
#include "core/error.h"
#include "core/version.h"
#include "layers/state_dict.h"

namespace gan::app {

namespace {

std::vector<Tensor> parameters_of(const std::vector<std::pair<std::string, Module*>>& networks) {
  std::vector<Tensor> all;
  for (const auto& [name, m] : networks)
    for (const Tensor& p : m->parameters()) all.push_back(p);
  return all;
}

}  // namespace

void put_model_fields(io::Checkpoint& ck, const std::string& kind, const ModelFields& fields) {
  ck.put_meta("model", kind);
  for (const auto& [key, value] : fields) ck.put_meta(key, std::to_string(*value));
}

void read_model_fields(const io::Checkpoint& ck, const std::string& kind, const std::string& source,
                       const ModelFields& fields, const std::function<void()>& validate) {
  GAN_CHECK(ck.has_meta("model") && ck.meta("model") == kind, IoError, source, ": not a ", kind,
            " checkpoint (metadata 'model' is ", ck.has_meta("model") ? ck.meta("model") : "missing", ")");
  for (const auto& [key, value] : fields) *value = meta_int(ck, key, source);
  try {
    validate();
  } catch (const ValueError& e) {
    throw IoError(source + ": the model options stored in the checkpoint are invalid: " + e.what());
  }
}

void check_same_model(const ModelFields& saved_fields, const ModelFields& my_fields, const std::string& source,
                      const std::string& saved, const std::string& mine) {
  bool same = saved_fields.size() == my_fields.size();
  for (size_t i = 0; same && i < saved_fields.size(); ++i) same = *saved_fields[i].second == *my_fields[i].second;
  GAN_CHECK(same, IoError, source, ": made for another model (", saved, "); this run asks for ", mine);
}

TranslationTrainer::TranslationTrainer(const TranslationRecipe& recipe) : recipe_(recipe) {}

std::vector<const Module*> TranslationTrainer::networks() const {
  std::vector<const Module*> all;
  for (const auto& [name, m] : networks_) all.push_back(m);
  return all;
}

void TranslationTrainer::set_networks(const std::vector<std::pair<std::string, Module*>>& generators,
                                      const std::vector<std::pair<std::string, Module*>>& discriminators) {
  networks_ = generators;
  networks_.insert(networks_.end(), discriminators.begin(), discriminators.end());
  AdamParams h;
  h.lr = recipe_.lr;
  h.beta1 = recipe_.beta1;
  h.beta2 = recipe_.beta2;
  opt_g_ = std::make_unique<Adam>(parameters_of(generators), h);
  opt_d_ = std::make_unique<Adam>(parameters_of(discriminators), h);
}

std::vector<std::string> TranslationTrainer::columns() const {
  std::vector<std::string> names = loss_names();
  names.push_back("lr");
  return names;
}

Tensor TranslationTrainer::step(const io::Batch& batch) {
  GAN_CHECK(batch.images.defined() && batch.images_b.defined(), ValueError,
            "an image-to-image step needs images of both domains (Batch::images and images_b)");
  save_snapshot();
  const double lr = current_learning_rate();
  opt_g_->set_lr(lr);
  opt_d_->set_lr(lr);
  const Tensor stats = step_losses(batch.images.to(recipe_.device), batch.images_b.to(recipe_.device));
  ++steps_;
  return stats;
}

StepResult TranslationTrainer::train_step(const std::vector<io::Batch>& batches) {
  GAN_CHECK(batches.size() == 1, ValueError, "an image-to-image step takes one batch, got ", batches.size());
  const double lr = current_learning_rate();
  std::vector<double> v = step(batches[0]).to_vector<double>();  // the losses, then the gradient probe
  StepResult r;
  for (double x : v) r.finite = r.finite && std::isfinite(x);
  v.back() = lr;  // the probe is not logged; the rate the step used is
  mark_unmeasured(v);
  r.values = std::move(v);
  return r;
}

std::vector<NamedTensor> TranslationTrainer::state_tensors_named() const {
  std::vector<NamedTensor> all;
  for (const auto& [network, m] : networks_)
    for (auto& [name, t] : state_tensors(*m)) all.emplace_back(network + "." + name, t);
  for (auto& [name, t] : opt_g_->state()) all.emplace_back("optG." + name, t);
  for (auto& [name, t] : opt_d_->state()) all.emplace_back("optD." + name, t);
  return all;
}

std::vector<Tensor> TranslationTrainer::mutable_state() const {
  std::vector<Tensor> all;
  for (const auto& [name, t] : state_tensors_named()) all.push_back(t);
  return all;
}

void TranslationTrainer::save_snapshot() {
  snapshot_.save(mutable_state());
  snapshot_opt_steps_[0] = opt_g_->steps();
  snapshot_opt_steps_[1] = opt_d_->steps();
  snapshot_extra();
}

void TranslationTrainer::restore_snapshot() {
  snapshot_.restore(mutable_state());
  opt_g_->set_steps(snapshot_opt_steps_[0]);
  opt_d_->set_steps(snapshot_opt_steps_[1]);
  restore_extra();
  --steps_;
}

std::string TranslationTrainer::locate_nonfinite(const std::vector<io::Batch>& batches) {
  GAN_CHECK(!snapshot_.empty() && steps_ > 0 && batches.size() == 1, ValueError,
            "locate_nonfinite: no step to replay");
  restore_snapshot();
  const int64_t bad_step = steps_ + 1;
  std::vector<std::pair<std::string, const Module*>> modules(networks_.begin(), networks_.end());
  const std::string where = locate_nonfinite_step(bad_step, modules, [&] {
    const std::vector<double> v = step(batches[0]).to_vector<double>();
    const std::vector<std::string> names = loss_names();
    std::ostringstream os;
    bool finite = true;
    for (size_t i = 0; i < names.size(); ++i) {
      finite = finite && std::isfinite(v[i]);
      os << (i ? ", " : "") << names[i] << " " << v[i];
    }
    return finite ? std::string() : os.str();
  });
  if (steps_ == bad_step) restore_snapshot();
  return where;
}

void TranslationTrainer::set_sample_images(const Tensor& a, const Tensor& b) {
  GAN_CHECK(a.dim() == 4 && b.dim() == 4 && a.shape()[0] == b.shape()[0] && a.shape()[0] >= 1, ShapeError,
            "sample images: A ", shape_str(a.shape()), " and B ", shape_str(b.shape()),
            " must both be [n, C, H, W] with the same n");
  sample_a_ = a.to(recipe_.device);
  sample_b_ = b.to(recipe_.device);
}

io::Checkpoint TranslationTrainer::save_state() const {
  io::Checkpoint ck;
  save_extra(ck);
  ck.put_meta("engine_version", version());
  ck.put_meta("seed", std::to_string(recipe_.seed));
  ck.put_meta("step", std::to_string(steps_));
  ck.put_meta("optG.steps", std::to_string(opt_g_->steps()));
  ck.put_meta("optD.steps", std::to_string(opt_d_->steps()));
  // lr reflects any --on-nan rollback halving.
  for (const auto& [key, value] :
       {std::pair{"lr", recipe_.lr}, {"beta1", recipe_.beta1}, {"beta2", recipe_.beta2}})
    ck.put_meta(key, format_number(value));
  ck.put_meta("decay_start", std::to_string(recipe_.schedule.decay_start));
  ck.put_meta("decay_steps", std::to_string(recipe_.schedule.decay_steps));
  save_tensors(ck, "", state_tensors_named());
  return ck;
}

void TranslationTrainer::restore_state(const io::Checkpoint& ck, const std::string& source) {
  const uint64_t seed = static_cast<uint64_t>(meta_int(ck, "seed", source));
  GAN_CHECK(seed == recipe_.seed, IoError, source, ": made with --seed ", seed, ", this run has --seed ",
            recipe_.seed, "; resume with the same seed");
  // Validate everything before copying anything: a bad checkpoint leaves the trainer as it was.
  check_extra(ck, source);
  const std::vector<NamedTensor> state = state_tensors_named();
  check_tensors(ck, "", state, source);
  const int64_t opt_g_steps = meta_int(ck, "optG.steps", source), opt_d_steps = meta_int(ck, "optD.steps", source);
  const int64_t steps = meta_int(ck, "step", source);
  load_tensors(ck, "", state, source);
  load_extra(ck, source);
  opt_g_->set_steps(opt_g_steps);
  opt_d_->set_steps(opt_d_steps);
  steps_ = steps;
}

}  // namespace gan::app
