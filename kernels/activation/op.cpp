// Activation ops. The backward pass uses the fused backward kernel; under
// create_graph (grad mode on during backward) it switches to a composite of
// differentiable ops so that second derivatives flow (WGAN-GP).
#include "core/ops.h"
#include "core/dispatch.h"
#include "kernels/activation/activation.h"

namespace gan {

GAN_KERNEL(activation_backward)
GAN_KERNEL(activation_forward)

namespace {

const char* act_name(Activation a) {
  switch (a) {
    case Activation::Relu: return "relu";
    case Activation::LeakyRelu: return "leaky_relu";
    case Activation::Tanh: return "tanh";
    case Activation::Sigmoid: return "sigmoid";
  }
  return "activation";
}

Tensor act_forward(Activation act, const Tensor& x, double slope) {
  detail::check_defined(act_name(act), x, "the input");
  detail::check_backend_dtype(act_name(act), x);
  const Tensor src = x.is_contiguous() ? x.detach() : x.detach().contiguous();
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  if (y.numel() == 0) return y;
  kernel::activation_forward(act, src, y, y.numel(), slope);
  return y;
}

// dx = dy * f'(saved) through the fused kernel (not recorded).
Tensor act_backward_kernel(Activation act, const Tensor& saved, const Tensor& dy_in, double slope) {
  const Tensor dy = dy_in.is_contiguous() ? dy_in.detach() : dy_in.detach().contiguous();
  const Tensor s = saved.is_contiguous() ? saved.detach() : saved.detach().contiguous();
  Tensor dx = Tensor::empty(s.shape(), s.dtype(), s.device());
  if (dx.numel() == 0) return dx;
  kernel::activation_backward(act, s, dy, dx, dx.numel(), slope);
  return dx;
}

struct ActivationBackward : Node {
  Activation act;
  double slope;
  Tensor output;  // detached forward output (tanh/sigmoid): no reference cycle
  ActivationBackward(Activation a, double s, Tensor y) : act(a), slope(s), output(std::move(y)) {}
  const char* name() const override {
    switch (act) {
      case Activation::Relu: return "ReluBackward";
      case Activation::LeakyRelu: return "LeakyReluBackward";
      case Activation::Tanh: return "TanhBackward";
      case Activation::Sigmoid: return "SigmoidBackward";
    }
    return "ActivationBackward";
  }
  std::vector<Tensor> backward(const Tensor& g) override {
    const Tensor& x = inputs[0];
    if (!grad_enabled()) {
      const bool uses_output = act == Activation::Tanh || act == Activation::Sigmoid;
      return {act_backward_kernel(act, uses_output ? output : x, g, slope)};
    }
    // create_graph: the same derivative from differentiable ops on the input.
    switch (act) {
      case Activation::Relu:
      case Activation::LeakyRelu: {
        // f' is piecewise constant: a mask with zero derivative of its own.
        Tensor mask = act_backward_kernel(act, x, Tensor::ones(x.shape(), x.dtype(), x.device()), slope);
        record(mask, std::make_shared<PiecewiseConstantNode>("ActivationMaskBackward"), {x});
        return {mul(g, mask)};
      }
      case Activation::Tanh: {
        const Tensor t = tanh(x);
        return {mul(g, rsub(1.0, square(t)))};
      }
      case Activation::Sigmoid: {
        const Tensor s = sigmoid(x);
        return {mul(g, mul(s, rsub(1.0, s)))};
      }
    }
    return {Tensor()};
  }
};

Tensor activation(Activation act, const Tensor& x, double slope) {
  Tensor y = act_forward(act, x, slope);
  if (grad_enabled() && x.requires_grad()) {
    const bool uses_output = act == Activation::Tanh || act == Activation::Sigmoid;
    record(y, std::make_shared<ActivationBackward>(act, slope, uses_output ? y.detach() : Tensor()), {x});
  }
  return y;
}

}  // namespace

Tensor relu(const Tensor& x) { return activation(Activation::Relu, x, 0.0); }
Tensor leaky_relu(const Tensor& x, double negative_slope) {
  return activation(Activation::LeakyRelu, x, negative_slope);
}
Tensor tanh(const Tensor& x) { return activation(Activation::Tanh, x, 0.0); }
Tensor sigmoid(const Tensor& x) { return activation(Activation::Sigmoid, x, 0.0); }

}  // namespace gan
