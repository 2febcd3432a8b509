// The learning-rate schedule of CycleGAN and pix2pix (Zhu et al. 2017, Sec. 7.1;
// the reference code's "linear" policy), counted in steps instead of epochs:
// the base rate for the first `decay_start` steps, then a straight line down
// that reaches 0 when `decay_steps` more steps are done. The step taken with t
// steps already done uses
//   lr(t) = base * (1 - max(0, t + 1 - decay_start) / (decay_steps + 1)),
// so the last decaying step (t = decay_start + decay_steps - 1) still learns,
// at base / (decay_steps + 1), and from t = decay_start + decay_steps on the
// rate is 0. The papers' 100 + 100 epochs are decay_start = decay_steps = half
// of the run. decay_steps = 0 keeps the base rate throughout.
#pragma once

#include <algorithm>
#include <cstdint>

namespace gan::app {

struct LinearDecaySchedule {
  int64_t decay_start = 0;
  int64_t decay_steps = 0;

  // The factor on the base rate for the step taken when `steps_done` steps are done.
  double factor(int64_t steps_done) const {
    if (decay_steps <= 0) return 1.0;
    const auto decayed = static_cast<double>(std::max<int64_t>(0, steps_done + 1 - decay_start));
    return std::max(0.0, 1.0 - decayed / static_cast<double>(decay_steps + 1));
  }
  // The first step index at which the rate is 0 (none without decay).
  int64_t end() const { return decay_steps <= 0 ? INT64_MAX : decay_start + decay_steps; }
};

}  // namespace gan::app
