#include "layers/ema.h"

#include <algorithm>

#include "core/autograd.h"
#include "core/error.h"
#include "core/ops.h"
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

}  // namespace gan
