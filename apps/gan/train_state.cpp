#include "apps/gan/train_state.h"

#include <iomanip>
#include <sstream>

#include "core/autograd.h"
#include "core/ops.h"
#include "layers/state_dict.h"

namespace gan::app {

Tensor add_probes(const Tensor& a, const Tensor& b) {
  if (!a.defined()) return b;
  if (!b.defined()) return a;
  NoGradGuard no_grad;
  return add(a, b);
}

Tensor gradient_probe(const Module& m) {
  NoGradGuard no_grad;
  Tensor probe;
  for (const Tensor& p : m.parameters()) {
    const Tensor g = p.grad();
    if (g.defined()) probe = add_probes(probe, sum(mul(g, 0.0)));
  }
  return probe;
}

FrozenScope::FrozenScope(std::vector<Module*> modules) : modules_(std::move(modules)) {
  for (Module* m : modules_)
    for (Tensor p : m->parameters()) p.set_requires_grad(false);
}

FrozenScope::~FrozenScope() {
  for (Module* m : modules_)
    for (Tensor p : m->parameters()) p.set_requires_grad(true);
}

void TensorSnapshot::save(const std::vector<Tensor>& state) {
  NoGradGuard no_grad;
  if (copies_.size() != state.size()) {
    copies_.clear();
    for (const Tensor& t : state) copies_.push_back(Tensor::empty(t.shape(), t.dtype(), t.device()));
  }
  for (size_t i = 0; i < state.size(); ++i) copies_[i].copy_(state[i]);
}

void TensorSnapshot::restore(const std::vector<Tensor>& state) const {
  GAN_CHECK(state.size() == copies_.size(), ValueError, "TensorSnapshot::restore: ", state.size(),
            " tensors given, ", copies_.size(), " saved");
  NoGradGuard no_grad;
  for (size_t i = 0; i < state.size(); ++i) {
    Tensor target = state[i];  // a handle: copy_ writes into the shared tensor
    target.copy_(copies_[i]);
  }
}

std::string locate_nonfinite_step(int64_t bad_step, const std::vector<std::pair<std::string, const Module*>>& modules,
                                  const std::function<std::string()>& replay) {
  const std::string step = "step " + std::to_string(bad_step);
  for (const auto& [module_name, module] : modules)
    for (const auto& [name, t] : state_tensors(*module))
      if (!all_finite(t)) return step + " began with NaN/Inf in " + module_name + " tensor " + name;
  try {
    AnomalyGuard anomaly;
    const std::string losses = replay();
    if (losses.empty()) return "the replay of " + step + " did not reproduce it";
    return step + ": a loss was non-finite though every layer output and gradient was finite (" + losses + ")";
  } catch (const NumericalError& e) {
    return step + ", " + e.what();
  }
}

}  // namespace gan::app
