// conv2d and conv_transpose2d ops. The two are adjoint: conv2d's gradient
// w.r.t. its input is a transposed convolution with the same weight, and vice
// versa. The fast path calls the backward kernels directly; under create_graph
// the input gradient is computed with the other (recorded) op so it can be
// differentiated again, as WGAN-GP needs. Weight/bias gradients are always
// computed by the kernels and are not themselves differentiable (see
// docs/autograd.md).
#include "core/ops.h"
#include "core/ops/dispatch.h"
#include "kernels/conv2d/conv2d.h"
#include "kernels/conv_transpose2d/conv_transpose2d.h"

namespace gan {

using detail::dispatch_float;

namespace {

template <typename T>
const T* data_or_null(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

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
  if (x.device().is_cuda()) {
    GAN_ON_CUDA(cuda::conv2d_forward(x.data<float>(), w.data<float>(), data_or_null<float>(b), y.data<float>(), p));
  } else {
    dispatch_float(x.dtype(), [&](auto t) {
      using T = decltype(t);
      cpu::conv2d_forward<T>(x.data<T>(), w.data<T>(), data_or_null<T>(b), y.data<T>(), p);
    });
  }
  return y;
}

struct Conv2dBackward : Node {
  Conv2dParams p;
  explicit Conv2dBackward(const Conv2dParams& params) : p(params) {}
  const char* name() const override { return "Conv2dBackward"; }
  std::vector<Tensor> backward(const Tensor& g_in) override {
    const Tensor& x = inputs[0];
    const Tensor& w = inputs[1];
    const bool has_bias = inputs.size() > 2 && inputs[2].defined();
    const Tensor g = g_in.contiguous();
    Tensor dx, dw, db;
    if (x.requires_grad()) {
      if (grad_enabled()) {
        const int64_t output_padding = p.H + 2 * p.pad - ((p.P - 1) * p.stride + p.R);
        dx = conv_transpose2d(g, w, Tensor(), p.stride, p.pad, output_padding);
      } else {
        dx = Tensor::empty(x.shape(), x.dtype(), x.device());
        const Tensor gd = g.detach(), wd = w.detach();
        if (x.device().is_cuda()) {
          GAN_ON_CUDA(cuda::conv2d_backward_data(gd.data<float>(), wd.data<float>(), dx.data<float>(), p));
        } else {
          dispatch_float(x.dtype(), [&](auto t) {
            using T = decltype(t);
            cpu::conv2d_backward_data<T>(gd.data<T>(), wd.data<T>(), dx.data<T>(), p);
          });
        }
      }
    }
    const bool need_b = has_bias && inputs[2].requires_grad();
    if (w.requires_grad() || need_b) {
      const Tensor xd = x.detach(), gd = g.detach();
      dw = Tensor::empty(w.shape(), w.dtype(), w.device());
      if (need_b) db = Tensor::empty({p.K}, x.dtype(), x.device());
      if (x.device().is_cuda()) {
        GAN_ON_CUDA(cuda::conv2d_backward_weight(xd.data<float>(), gd.data<float>(), dw.data<float>(),
                                                 db.defined() ? db.data<float>() : nullptr, p));
      } else {
        dispatch_float(x.dtype(), [&](auto t) {
          using T = decltype(t);
          cpu::conv2d_backward_weight<T>(xd.data<T>(), gd.data<T>(), dw.data<T>(),
                                         db.defined() ? db.data<T>() : nullptr, p);
        });
      }
      if (!w.requires_grad()) dw = Tensor();
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
  if (x.device().is_cuda()) {
    GAN_ON_CUDA(cuda::conv_transpose2d_forward(x.data<float>(), w.data<float>(), data_or_null<float>(b),
                                               y.data<float>(), p));
  } else {
    dispatch_float(x.dtype(), [&](auto t) {
      using T = decltype(t);
      cpu::conv_transpose2d_forward<T>(x.data<T>(), w.data<T>(), data_or_null<T>(b), y.data<T>(), p);
    });
  }
  return y;
}

struct ConvTranspose2dBackward : Node {
  ConvTranspose2dParams p;
  explicit ConvTranspose2dBackward(const ConvTranspose2dParams& params) : p(params) {}
  const char* name() const override { return "ConvTranspose2dBackward"; }
  std::vector<Tensor> backward(const Tensor& g_in) override {
    const Tensor& x = inputs[0];
    const Tensor& w = inputs[1];
    const bool has_bias = inputs.size() > 2 && inputs[2].defined();
    const Tensor g = g_in.contiguous();
    Tensor dx, dw, db;
    if (x.requires_grad()) {
      if (grad_enabled()) {
        dx = conv2d(g, w, Tensor(), p.stride, p.pad);
      } else {
        dx = Tensor::empty(x.shape(), x.dtype(), x.device());
        const Tensor gd = g.detach(), wd = w.detach();
        if (x.device().is_cuda()) {
          GAN_ON_CUDA(cuda::conv_transpose2d_backward_data(gd.data<float>(), wd.data<float>(), dx.data<float>(), p));
        } else {
          dispatch_float(x.dtype(), [&](auto t) {
            using T = decltype(t);
            cpu::conv_transpose2d_backward_data<T>(gd.data<T>(), wd.data<T>(), dx.data<T>(), p);
          });
        }
      }
    }
    const bool need_b = has_bias && inputs[2].requires_grad();
    if (w.requires_grad() || need_b) {
      const Tensor xd = x.detach(), gd = g.detach();
      dw = Tensor::empty(w.shape(), w.dtype(), w.device());
      if (need_b) db = Tensor::empty({p.K}, x.dtype(), x.device());
      if (x.device().is_cuda()) {
        GAN_ON_CUDA(cuda::conv_transpose2d_backward_weight(xd.data<float>(), gd.data<float>(), dw.data<float>(),
                                                           db.defined() ? db.data<float>() : nullptr, p));
      } else {
        dispatch_float(x.dtype(), [&](auto t) {
          using T = decltype(t);
          cpu::conv_transpose2d_backward_weight<T>(xd.data<T>(), gd.data<T>(), dw.data<T>(),
                                                   db.defined() ? db.data<T>() : nullptr, p);
        });
      }
      if (!w.requires_grad()) dw = Tensor();
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
