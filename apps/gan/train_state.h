// What the trainers of the `gan` app (DCGAN, CycleGAN, pix2pix) share about
// the state a training step changes: the seeds of a run's independent random
// streams, metadata values in checkpoints, the copy of the state taken before
// every step, and finding where a step that produced NaN/Inf went wrong.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/io/checkpoint_format.h"
#include "core/random.h"
#include "core/tensor.h"
#include "layers/module.h"

namespace gan::app {

// The streams of the app's runs, each seeded by stream_seed(--seed, stream)
// (core/random.h): weight init, per-step noise (z, the penalty's
// interpolation weights), the sample grid's fixed noise, the data order and
// augmentation, the quality metric's draws, CycleGAN's image pools, and the
// noise that recomputes the averaged G's batch-norm statistics.
enum RandomStream : uint64_t {
  kInitStream = 1,
  kNoiseStream = 2,
  kFixedNoiseStream = 3,
  kDataStream = 4,
  kMetricStream = 5,
  kPoolAStream = 6,
  kPoolBStream = 7,
  kEmaStatisticsStream = 8,
};

// Runs f; a NumericalError from anomaly detection gets `where` in front, so
// the message says which network and pass it came from.
template <typename F>
auto located(const std::string& where, F&& f) {
  try {
    return f();
  } catch (const NumericalError& e) {
    throw NumericalError(where + ": " + e.what());
  }
}

// sum over the module's parameters of sum(0 * grad): 0 when every gradient is
// finite, NaN as soon as one element anywhere is NaN or Inf. Stays on the
// device (read together with a step's losses); undefined without gradients.
Tensor gradient_probe(const Module& module);
// a + b for probes that may be undefined.
Tensor add_probes(const Tensor& a, const Tensor& b);

// Holds networks fixed while another one trains through them (the
// discriminators during a generator update): their parameters stop requiring
// gradients, so backward does no weight-gradient work for them, until the
// scope ends, also by an exception.
class FrozenScope {
 public:
  explicit FrozenScope(std::vector<Module*> modules);
  ~FrozenScope();
  FrozenScope(const FrozenScope&) = delete;
  FrozenScope& operator=(const FrozenScope&) = delete;

 private:
  std::vector<Module*> modules_;
};

// Copies of a trainer's mutable tensors (weights, buffers, optimizer moments),
// taken before every step so that a step that went non-finite can be undone
// and replayed. The copies are allocated once, on the tensors' devices.
class TensorSnapshot {
 public:
  void save(const std::vector<Tensor>& state);
  // Copies back into the same list of tensors that save() was given.
  void restore(const std::vector<Tensor>& state) const;
  bool empty() const { return copies_.empty(); }

 private:
  std::vector<Tensor> copies_;
};

// Where step `bad_step` went non-finite. Call it with the trainer put back in
// its state before that step: it names the first tensor of `modules` (name,
// module) that already holds NaN/Inf; otherwise it runs `replay` (the step
// again, on the same data and noise) with anomaly detection on and returns the
// first layer or op that produced a non-finite value. `replay` returns "" when
// its losses came out finite, else a description of them.
std::string locate_nonfinite_step(int64_t bad_step, const std::vector<std::pair<std::string, const Module*>>& modules,
                                  const std::function<std::string()>& replay);

}  // namespace gan::app
