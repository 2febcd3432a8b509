// dropout: the inverted-dropout op (kernels/dropout). The mask is drawn from
// the caller's Rng with the counter-based Philox stream, the same on
// the CPU and on CUDA; the backward multiplies by the saved mask with the
// differentiable mul, so it is differentiable again.
#include "core/ops.h"
#include "core/dispatch.h"
#include "core/random.h"
#include "kernels/dropout/dropout.h"

namespace gan {

GAN_KERNEL(dropout_forward)

namespace {

struct DropoutBackward : Node {
  Tensor mask;  // 1/(1-p) where kept, 0 where dropped; a constant of the graph
  explicit DropoutBackward(Tensor m) : mask(std::move(m)) {}
  const char* name() const override { return "DropoutBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override { return {mul(g, mask)}; }
};

}  // namespace

Tensor dropout(const Tensor& x_in, double p, bool training, Rng& rng) {
  const char* op = "dropout";
  detail::check_defined(op, x_in, "the input");
  GAN_CHECK(p >= 0.0 && p <= 1.0, ValueError, op, ": drop probability p must be in [0, 1], got ", p);
  if (!training || p == 0.0) return x_in;  // the identity, and no random numbers drawn
  detail::check_backend_dtype(op, x_in);
  // p == 1 drops everything; there is no finite scale, and nothing to draw.
  if (p == 1.0) return mul(x_in, 0.0);

  const Tensor x = x_in.detach().contiguous();
  DropoutParams params;
  params.n = x.numel();
  params.seed = rng.seed();
  params.counter = rng.reserve_blocks(dropout_draw::blocks_for(params.n));
  params.threshold = dropout_draw::threshold_for(p);
  params.scale = 1.0 / (1.0 - p);
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  Tensor mask = Tensor::empty(x.shape(), x.dtype(), x.device());
  if (params.n > 0) {
    kernel::dropout_forward(x, y, mask, params);
  }
  record(y, std::make_shared<DropoutBackward>(mask), {x_in});
  return y;
}

}  // namespace gan
