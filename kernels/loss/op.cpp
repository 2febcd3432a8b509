// Losses: one fused kernel pass computes the mean loss and its gradient; the
// gradient is kept and scaled by the incoming gradient in backward. Under
// create_graph the kept gradient would be a constant of the second pass (a
// silently wrong second derivative), so backward recomputes it from recorded
// ops instead; bce_loss on probabilities refuses (use bce_with_logits).
#include "core/ops.h"
#include "core/dispatch.h"
#include "kernels/loss/loss.h"

namespace gan {

GAN_KERNEL(loss_forward)

namespace {

const char* loss_name(LossKind k) {
  switch (k) {
    case LossKind::BCE: return "bce_loss";
    case LossKind::BCEWithLogits: return "bce_with_logits";
    case LossKind::MSE: return "mse_loss";
    case LossKind::L1: return "l1_loss";
  }
  return "loss";
}

struct LossBackward : Node {
  LossKind kind;
  Tensor grad_input;  // d(mean loss)/d(input), from the forward pass
  LossBackward(LossKind k, Tensor g) : kind(k), grad_input(std::move(g)) {}
  const char* name() const override { return "LossBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    // g is the gradient of a scalar: broadcasting multiplies every element.
    const Tensor gi = mul(grad_enabled() ? recorded_grad_input() : grad_input, g);
    // For MSE and L1 the loss depends on (input - target) only.
    const bool symmetric = kind == LossKind::MSE || kind == LossKind::L1;
    return {needs_grad(0) ? gi : Tensor(), needs_grad(1) && symmetric ? neg(gi) : Tensor()};
  }

  // d(mean loss)/d(input) from differentiable ops (the formulas of kernels/loss/loss.h).
  Tensor recorded_grad_input() const {
    const Tensor& x = inputs[0];
    const Tensor& t = inputs[1];
    const double inv_n = 1.0 / static_cast<double>(x.numel());
    switch (kind) {
      case LossKind::BCEWithLogits: return mul(sub(sigmoid(x), t), inv_n);
      case LossKind::MSE: return mul(sub(x, t), 2.0 * inv_n);
      case LossKind::L1: return mul(sign(sub(x, t)), inv_n);  // piecewise constant: no second derivative
      case LossKind::BCE: break;
    }
    throw AutogradError(
        "bce_loss does not support double backward (create_graph): its clamped logs have no cheap differentiable "
        "form; apply bce_with_logits to the logits instead (also more accurate)");
  }
};

Tensor pointwise_loss(LossKind kind, const Tensor& input_in, const Tensor& target_in) {
  const char* op = loss_name(kind);
  detail::check_defined(op, input_in, "the input");
  detail::check_defined(op, target_in, "the target");
  detail::check_same_device_dtype(op, {&input_in, &target_in});
  GAN_CHECK(input_in.shape() == target_in.shape(), ShapeError, op, ": input ", shape_str(input_in.shape()),
            " and target ", shape_str(target_in.shape()), " must have the same shape");
  GAN_CHECK(input_in.numel() > 0, ShapeError, op, ": empty input ", shape_str(input_in.shape()));
  GAN_CHECK(!target_in.requires_grad() || kind == LossKind::MSE || kind == LossKind::L1, ValueError, op,
            ": the target must not require grad (detach() it); only mse_loss and l1_loss differentiate it");
  const Tensor input = input_in.detach().contiguous(), target = target_in.detach().contiguous();
  Tensor loss = Tensor::empty({}, input.dtype(), input.device());
  const bool need_grad = grad_enabled() && (input_in.requires_grad() || target_in.requires_grad());
  Tensor grad = need_grad ? Tensor::empty(input.shape(), input.dtype(), input.device()) : Tensor();
  kernel::loss_forward(kind, input, target, input.numel(), loss, grad);
  if (need_grad) record(loss, std::make_shared<LossBackward>(kind, grad), {input_in, target_in});
  return loss;
}

}  // namespace

Tensor bce_loss(const Tensor& p, const Tensor& t) { return pointwise_loss(LossKind::BCE, p, t); }
Tensor bce_with_logits(const Tensor& x, const Tensor& t) { return pointwise_loss(LossKind::BCEWithLogits, x, t); }
Tensor mse_loss(const Tensor& x, const Tensor& t) { return pointwise_loss(LossKind::MSE, x, t); }
Tensor l1_loss(const Tensor& x, const Tensor& t) { return pointwise_loss(LossKind::L1, x, t); }

}  // namespace gan
