#include "layers/ema.h"

#include <algorithm>

#include "core/autograd.h"
#include "core/distributed.h"
#include "core/error.h"
#include "core/ops.h"
#include "layers/layers.h"
#include "layers/state_dict.h"

namespace gan {

namespace {

// The pairs (average's tensor, source's tensor), checked to correspond.
std::vector<std::pair<Tensor, Tensor>> paired(const Module& average, const Module& source) {
  const std::vector<NamedTensor> a = state_tensors(average), s = state_tensors(source);
  GAN_CHECK(a.size() == s.size(), ShapeError, "EMA: the average has ", a.size(), " tensors, the trained module ",
            s.size(), ": they must be the same model");
  std::vector<std::pair<Tensor, Tensor>> out;
  for (size_t i = 0; i < a.size(); ++i) {
    GAN_CHECK(a[i].first == s[i].first && a[i].second.shape() == s[i].second.shape(), ShapeError,
              "EMA: tensor ", i, " is '", a[i].first, "' ", shape_str(a[i].second.shape()), " in the average but '",
              s[i].first, "' ", shape_str(s[i].second.shape()), " in the trained module: they must be the same model");
    out.emplace_back(a[i].second, s[i].second.detach());
  }
  return out;
}

}  // namespace

double ema_decay_at(double decay, int64_t step) {
  GAN_CHECK(decay >= 0 && decay < 1, ValueError, "EMA decay must be in [0, 1), got ", decay);
  GAN_CHECK(step >= 0, ValueError, "EMA step must be >= 0, got ", step);
  const double t = static_cast<double>(step);
  return std::min(decay, (1 + t) / (10 + t));
}

void ema_update(Module& average, const Module& source, double d) {
  NoGradGuard no_grad;
  for (auto& [avg, src] : paired(average, source)) avg.copy_(add(mul(avg, d), mul(src, 1 - d)));
}

void ema_reset(Module& average, const Module& source) {
  NoGradGuard no_grad;
  for (auto& [avg, src] : paired(average, source)) avg.copy_(src);
}

void recompute_batch_norm_statistics(Module& model, int64_t batches, const std::function<void()>& forward_batch) {
  GAN_CHECK(batches > 0, ValueError, "recomputing batch-norm statistics needs at least one batch, got ", batches);
  std::vector<BatchNorm2d*> norms;
  model.apply([&](Module& m) {
    if (auto* bn = dynamic_cast<BatchNorm2d*>(&m)) norms.push_back(bn);
  });
  if (norms.empty()) return;
  // Puts back the mode and the momenta however the passes end.
  struct Restore {
    Module& model;
    bool was_training;
    std::vector<std::pair<BatchNorm2d*, double>> momenta;
    ~Restore() {
      for (auto& [bn, momentum] : momenta) bn->momentum = momentum;
      model.train(was_training);
    }
  } restore{model, model.is_training(), {}};
  for (BatchNorm2d* bn : norms) restore.momenta.emplace_back(bn, bn->momentum);
  NoGradGuard no_grad;
  dist::LocalScope alone;  // this rank's batches only: no --sync-bn all-reduce
  // Only the batch norms train: in training mode a spectral-norm layer would
  // step its power iteration (its u and v are state, and exact resume needs
  // them untouched by how often the statistics were refreshed).
  model.eval();
  for (BatchNorm2d* bn : norms) bn->train();
  // running <- (1 - 1/(k+1)) running + 1/(k+1) batch_k is the mean of the
  // first k+1 batches' statistics; k = 0 replaces what the buffers held.
  for (int64_t k = 0; k < batches; ++k) {
    for (BatchNorm2d* bn : norms) bn->momentum = 1.0 / static_cast<double>(k + 1);
    forward_batch();
  }
}

}  // namespace gan
