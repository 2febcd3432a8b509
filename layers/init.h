// DCGAN weight initialisation (Radford et al., 2016): every conv and
// transposed-conv weight ~ N(0, 0.02); batch-norm gamma ~ N(1, 0.02), beta = 0.
// pix2pix and CycleGAN (Isola et al., 2017; Zhu et al., 2017) initialise their
// networks the same way (their reference code's "normal" init, gain 0.02).
#pragma once

#include "core/random.h"
#include "layers/module.h"

namespace gan {

void dcgan_init(Module& model, Rng& rng);

}  // namespace gan
