// conv2d and conv_transpose2d ops. The two are adjoint: conv2d's gradient
// w.r.t. its input is a transposed convolution with the same weight, and vice
// versa. The fast path (grad mode off during backward) calls the backward
// kernels directly.
//
// Under create_graph every gradient is itself a recorded op, so it can be
// differentiated again (WGAN-GP differentiates the input gradient w.r.t. the
// weights). A convolution F(x, w) = y has two adjoints, both bilinear:
//   D(g, w) = dx  (backward-data)      W(x, g) = dw  (backward-weight)
// and the gradients of each of the three are the other two:
//   F(x, w):  dx = D(g, w)    dw = W(x, g)
//   D(g, w):  dg = F(r, w)    dw = W(r, g)      (r: the gradient reaching dx)
//   W(x, g):  dx = D(g, r)    dg = F(x, r)      (r: the gradient reaching dw)
// so recording D and W as ops (conv2d_input_grad, conv2d_weight_grad below)
// closes the algebra: convolutions are differentiable to any order. The bias
// gradient is a recorded sum of g over (N, H, W). conv_transpose2d(x, w) is
// D(x, w) of the convolution that maps its output back to its input, so its
// gradients are F and W of that convolution.
#include "core/ops.h"
#include "core/dispatch.h"
#include "kernels/conv/conv.h"

namespace gan {

GAN_KERNEL(conv2d_forward)
GAN_KERNEL(conv2d_backward_data)
GAN_KERNEL(conv2d_backward_weight)
GAN_KERNEL(conv_transpose2d_forward)
GAN_KERNEL(conv_transpose2d_backward_data)
GAN_KERNEL(conv_transpose2d_backward_weight)

// ---- the shape rules (used by both backends, the tests and the benchmarks) ----

Conv2dParams make_conv2d_params(int64_t N, int64_t C, int64_t H, int64_t W, int64_t K, int64_t R, int64_t S,
                                int64_t stride, int64_t pad) {
  GAN_CHECK(stride >= 1 && pad >= 0, ValueError, "conv2d: stride must be >= 1 and padding >= 0, got stride ", stride,
            ", padding ", pad);
  Conv2dParams p;
  p.N = N, p.C = C, p.H = H, p.W = W, p.K = K, p.R = R, p.S = S, p.stride = stride, p.pad = pad;
  const int64_t hp = H + 2 * pad - R, wp = W + 2 * pad - S;
  GAN_CHECK(hp >= 0 && wp >= 0, ShapeError, "conv2d: kernel ", R, "x", S, " is larger than the padded input ",
            shape_str({N, C, H, W}), " with padding ", pad);
  p.P = hp / stride + 1;
  p.Q = wp / stride + 1;
  return p;
}

ConvTranspose2dParams make_conv_transpose2d_params(int64_t N, int64_t C, int64_t H, int64_t W, int64_t K,
                                                   int64_t R, int64_t S, int64_t stride, int64_t pad,
                                                   int64_t output_padding) {
  GAN_CHECK(stride >= 1 && pad >= 0, ValueError, "conv_transpose2d: stride must be >= 1 and padding >= 0, got stride ",
            stride, ", padding ", pad);
  GAN_CHECK(output_padding >= 0 && output_padding < stride, ValueError,
            "conv_transpose2d: output_padding must be in [0, stride) = [0, ", stride, "), got ", output_padding);
  ConvTranspose2dParams p;
  p.N = N, p.C = C, p.H = H, p.W = W, p.K = K, p.R = R, p.S = S;
  p.stride = stride, p.pad = pad, p.output_padding = output_padding;
  p.P = (H - 1) * stride - 2 * pad + R + output_padding;
  p.Q = (W - 1) * stride - 2 * pad + S + output_padding;
  GAN_CHECK(H >= 1 && W >= 1 && p.P >= 1 && p.Q >= 1, ShapeError, "conv_transpose2d: input ",
            shape_str({N, C, H, W}), " with kernel ", R, "x", S, ", stride ", stride, ", padding ", pad,
            " gives an empty output ", p.P, "x", p.Q);
  return p;
}

namespace {

void check_conv_args(const char* op, const Tensor& x, const Tensor& w, const Tensor& b, int64_t w_in_dim,
                     int64_t out_channels) {
  detail::check_defined(op, x, "the input");
  detail::check_defined(op, w, "the weight");
  detail::check_same_device_dtype(op, {&x, &w, &b});
  GAN_CHECK(x.dim() == 4, ShapeError, op, ": input must be [N, C, H, W], got ", shape_str(x.shape()));
  GAN_CHECK(w.dim() == 4, ShapeError, op, ": weight must be 4-D, got ", shape_str(w.shape()));
  GAN_CHECK(w.shape()[w_in_dim] == x.shape()[1], ShapeError, op, ": input ", shape_str(x.shape()), " has ",
            x.shape()[1], " channels but weight ", shape_str(w.shape()), " expects ", w.shape()[w_in_dim]);
  if (b.defined()) {
    GAN_CHECK(b.dim() == 1 && b.shape()[0] == out_channels, ShapeError, op, ": bias ", shape_str(b.shape()),
              " does not match ", out_channels, " output channels of weight ", shape_str(w.shape()));
  }
}

// ---- conv2d ----

Tensor conv2d_raw(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dParams& p) {
  Tensor y = Tensor::empty({p.N, p.K, p.P, p.Q}, x.dtype(), x.device());
  if (y.numel() == 0) return y;
  kernel::conv2d_forward(x, w, b, y, p);
  return y;
}

// The backward-data kernel: dx [N, C, H, W] = D(g, w), nothing recorded.
Tensor conv2d_backward_data_raw(const Tensor& g_in, const Tensor& w_in, const Conv2dParams& p) {
  const Tensor g = g_in.detach().contiguous(), w = w_in.detach().contiguous();
  Tensor dx = Tensor::empty({p.N, p.C, p.H, p.W}, g.dtype(), g.device());
  if (dx.numel() == 0) return dx;
  kernel::conv2d_backward_data(g, w, dx, p);
  return dx;
}

// The backward-weight kernel: dw [K, C, R, S] = W(x, g) and, when db is not
// null, the bias gradient into *db. Nothing recorded.
Tensor conv2d_backward_weight_raw(const Tensor& x_in, const Tensor& g_in, const Conv2dParams& p, Tensor* db) {
  const Tensor x = x_in.detach().contiguous(), g = g_in.detach().contiguous();
  Tensor dw = Tensor::empty({p.K, p.C, p.R, p.S}, x.dtype(), x.device());
  if (db) *db = Tensor::empty({p.K}, x.dtype(), x.device());
  kernel::conv2d_backward_weight(x, g, dw, db ? *db : Tensor(), p);
  return dw;
}

Tensor conv2d_input_grad(const Tensor& g, const Tensor& w, const Conv2dParams& p);
Tensor conv2d_weight_grad(const Tensor& x, const Tensor& g, const Conv2dParams& p);

// Node of dx = D(g, w).
struct Conv2dInputGradBackward : Node {
  Conv2dParams p;
  explicit Conv2dInputGradBackward(const Conv2dParams& params) : p(params) {}
  const char* name() const override { return "Conv2dInputGradBackward"; }
  std::vector<Tensor> backward(const Tensor& r) override {
    const Tensor& g = inputs[0];
    const Tensor& w = inputs[1];
    return {needs_grad(0) ? conv2d(r, w, Tensor(), p.stride, p.pad) : Tensor(),
            needs_grad(1) ? conv2d_weight_grad(r, g, p) : Tensor()};
  }
};

// Node of dw = W(x, g).
struct Conv2dWeightGradBackward : Node {
  Conv2dParams p;
  explicit Conv2dWeightGradBackward(const Conv2dParams& params) : p(params) {}
  const char* name() const override { return "Conv2dWeightGradBackward"; }
  std::vector<Tensor> backward(const Tensor& r) override {
    const Tensor& x = inputs[0];
    const Tensor& g = inputs[1];
    return {needs_grad(0) ? conv2d_input_grad(g, r, p) : Tensor(),
            needs_grad(1) ? conv2d(x, r, Tensor(), p.stride, p.pad) : Tensor()};
  }
};

// D(g, w) as a recorded op. Unlike conv_transpose2d(g, w) it takes the input
// size from p, so a stride that does not divide H and W evenly in different
// ways (5x6 input, stride 2) still gets the right shape.
Tensor conv2d_input_grad(const Tensor& g_in, const Tensor& w_in, const Conv2dParams& p) {
  const Tensor g = g_in.contiguous(), w = w_in.contiguous();
  Tensor dx = conv2d_backward_data_raw(g, w, p);
  record(dx, std::make_shared<Conv2dInputGradBackward>(p), {g, w});
  return dx;
}

// W(x, g) as a recorded op.
Tensor conv2d_weight_grad(const Tensor& x_in, const Tensor& g_in, const Conv2dParams& p) {
  const Tensor x = x_in.contiguous(), g = g_in.contiguous();
  Tensor dw = conv2d_backward_weight_raw(x, g, p, nullptr);
  record(dw, std::make_shared<Conv2dWeightGradBackward>(p), {x, g});
  return dw;
}

// The bias gradient of either convolution as a recorded op: g summed over N, H, W.
Tensor conv_bias_grad(const Tensor& g) { return sum(g, {0, 2, 3}); }

struct Conv2dBackward : Node {
  Conv2dParams p;
  explicit Conv2dBackward(const Conv2dParams& params) : p(params) {}
  const char* name() const override { return "Conv2dBackward"; }
  std::vector<Tensor> backward(const Tensor& g_in) override {
    const Tensor& x = inputs[0];
    const Tensor& w = inputs[1];
    const bool need_x = needs_grad(0), need_w = needs_grad(1), need_b = needs_grad(2);
    const Tensor g = g_in.contiguous();
    Tensor dx, dw, db;
    if (grad_enabled()) {  // create_graph: every gradient recorded (see the top of this file)
      if (need_x) dx = conv2d_input_grad(g, w, p);
      if (need_w) dw = conv2d_weight_grad(x, g, p);
      if (need_b) db = conv_bias_grad(g);
    } else {
      if (need_x) dx = conv2d_backward_data_raw(g, w, p);
      if (need_w || need_b) {
        dw = conv2d_backward_weight_raw(x, g, p, need_b ? &db : nullptr);
        if (!need_w) dw = Tensor();
      }
    }
    std::vector<Tensor> grads{dx, dw};
    if (inputs.size() > 2) grads.push_back(db);
    return grads;
  }
};

// ---- conv_transpose2d ----

Tensor conv_transpose2d_raw(const Tensor& x, const Tensor& w, const Tensor& b, const ConvTranspose2dParams& p) {
  Tensor y = Tensor::empty({p.N, p.K, p.P, p.Q}, x.dtype(), x.device());
  if (y.numel() == 0) return y;
  kernel::conv_transpose2d_forward(x, w, b, y, p);
  return y;
}

// The backward kernels of conv_transpose2d, nothing recorded: dx [N, C, H, W]
// and dw [C, K, R, S] (and the bias gradient into *db when db is not null).
Tensor conv_transpose2d_backward_data_raw(const Tensor& g_in, const Tensor& w_in, const ConvTranspose2dParams& p) {
  const Tensor g = g_in.detach().contiguous(), w = w_in.detach().contiguous();
  Tensor dx = Tensor::empty({p.N, p.C, p.H, p.W}, g.dtype(), g.device());
  if (dx.numel() == 0) return dx;
  kernel::conv_transpose2d_backward_data(g, w, dx, p);
  return dx;
}

Tensor conv_transpose2d_backward_weight_raw(const Tensor& x_in, const Tensor& g_in, const ConvTranspose2dParams& p,
                                            Tensor* db) {
  const Tensor x = x_in.detach().contiguous(), g = g_in.detach().contiguous();
  Tensor dw = Tensor::empty({p.C, p.K, p.R, p.S}, x.dtype(), x.device());
  if (db) *db = Tensor::empty({p.K}, x.dtype(), x.device());
  kernel::conv_transpose2d_backward_weight(x, g, dw, db ? *db : Tensor(), p);
  return dw;
}

// The convolution whose backward-data is this transposed convolution: it maps
// the transposed convolution's output [N, K, P, Q] back to its input [N, C, H, W].
Conv2dParams adjoint_conv2d_params(const ConvTranspose2dParams& t) {
  Conv2dParams p;
  p.N = t.N, p.C = t.K, p.H = t.P, p.W = t.Q;
  p.K = t.C, p.R = t.R, p.S = t.S, p.stride = t.stride, p.pad = t.pad;
  p.P = t.H, p.Q = t.W;
  return p;
}

struct ConvTranspose2dBackward : Node {
  ConvTranspose2dParams p;
  explicit ConvTranspose2dBackward(const ConvTranspose2dParams& params) : p(params) {}
  const char* name() const override { return "ConvTranspose2dBackward"; }
  std::vector<Tensor> backward(const Tensor& g_in) override {
    const Tensor& x = inputs[0];
    const Tensor& w = inputs[1];
    const bool need_x = needs_grad(0), need_w = needs_grad(1), need_b = needs_grad(2);
    const Tensor g = g_in.contiguous();
    Tensor dx, dw, db;
    if (grad_enabled()) {  // create_graph: y = D(x, w) of the adjoint convolution
      if (need_x) dx = conv2d(g, w, Tensor(), p.stride, p.pad);
      if (need_w) dw = conv2d_weight_grad(g, x, adjoint_conv2d_params(p));
      if (need_b) db = conv_bias_grad(g);
    } else {
      if (need_x) dx = conv_transpose2d_backward_data_raw(g, w, p);
      if (need_w || need_b) {
        dw = conv_transpose2d_backward_weight_raw(x, g, p, need_b ? &db : nullptr);
        if (!need_w) dw = Tensor();
      }
    }
    std::vector<Tensor> grads{dx, dw};
    if (inputs.size() > 2) grads.push_back(db);
    return grads;
  }
};

}  // namespace

Tensor conv2d(const Tensor& x_in, const Tensor& w_in, const Tensor& b_in, int64_t stride, int64_t pad) {
  check_conv_args("conv2d", x_in, w_in, b_in, 1, w_in.defined() ? w_in.shape()[0] : 0);
  const Tensor x = x_in.contiguous(), w = w_in.contiguous();
  const Tensor b = b_in.defined() ? b_in.contiguous() : b_in;
  const Conv2dParams p = make_conv2d_params(x.shape()[0], x.shape()[1], x.shape()[2], x.shape()[3], w.shape()[0],
                                            w.shape()[2], w.shape()[3], stride, pad);
  Tensor y = conv2d_raw(x.detach(), w.detach(), b.defined() ? b.detach() : b, p);
  std::vector<Tensor> inputs{x, w};
  if (b.defined()) inputs.push_back(b);
  record(y, std::make_shared<Conv2dBackward>(p), inputs);
  return y;
}

Tensor conv_transpose2d(const Tensor& x_in, const Tensor& w_in, const Tensor& b_in, int64_t stride, int64_t pad,
                        int64_t output_padding) {
  check_conv_args("conv_transpose2d", x_in, w_in, b_in, 0, w_in.defined() ? w_in.shape()[1] : 0);
  const Tensor x = x_in.contiguous(), w = w_in.contiguous();
  const Tensor b = b_in.defined() ? b_in.contiguous() : b_in;
  const ConvTranspose2dParams p =
      make_conv_transpose2d_params(x.shape()[0], x.shape()[1], x.shape()[2], x.shape()[3], w.shape()[1],
                                   w.shape()[2], w.shape()[3], stride, pad, output_padding);
  Tensor y = conv_transpose2d_raw(x.detach(), w.detach(), b.defined() ? b.detach() : b, p);
  std::vector<Tensor> inputs{x, w};
  if (b.defined()) inputs.push_back(b);
  record(y, std::make_shared<ConvTranspose2dBackward>(p), inputs);
  return y;
}

}  // namespace gan
