#include "layers/init.h"

#include "layers/layers.h"

namespace gan {

void dcgan_init(Module& model, Rng& rng) {
  auto normal_ = [&](Tensor& t, double mean, double stddev) {
    t.copy_(Tensor::randn(t.shape(), rng, t.dtype(), Device::cpu(), mean, stddev));
  };
  model.apply([&](Module& m) {
    if (auto* c = dynamic_cast<Conv2d*>(&m)) {
      normal_(c->weight, 0.0, 0.02);
      if (c->bias.defined()) c->bias.fill_(0.0);
    } else if (auto* t = dynamic_cast<ConvTranspose2d*>(&m)) {
      normal_(t->weight, 0.0, 0.02);
      if (t->bias.defined()) t->bias.fill_(0.0);
    } else if (auto* bn = dynamic_cast<BatchNorm2d*>(&m)) {
      normal_(bn->weight, 1.0, 0.02);
      bn->bias.fill_(0.0);
    }
  });
}

}  // namespace gan
