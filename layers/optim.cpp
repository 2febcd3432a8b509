#include "layers/optim.h"

#include "core/autograd.h"
#include "core/error.h"
#include "core/dispatch.h"

namespace gan {

GAN_KERNEL(adam_step)
GAN_KERNEL(clamp)
GAN_KERNEL(rmsprop_step)
GAN_KERNEL(sgd_step)

Optimizer::Optimizer(std::vector<Tensor> params) : params_(std::move(params)) {
  for (const Tensor& p : params_) {
    GAN_CHECK(p.defined() && p.is_leaf() && p.requires_grad(), ValueError,
              "optimizer: every parameter must be a leaf tensor with requires_grad");
    GAN_CHECK(p.is_contiguous(), ValueError, "optimizer: parameter ", shape_str(p.shape()), " is not contiguous");
  }
}

void Optimizer::zero_grad() {
  for (Tensor& p : params_) p.zero_grad();
}

std::vector<Tensor> Optimizer::zeros_like_params() const {
  std::vector<Tensor> out;
  for (const Tensor& p : params_) out.push_back(Tensor::zeros(p.shape(), p.dtype(), p.device()));
  return out;
}

namespace {

// The parameter's gradient as a contiguous tensor on its device, or undefined.
Tensor grad_of(const Tensor& p) {
  Tensor g = p.grad();
  if (!g.defined()) return g;
  GAN_CHECK(g.device() == p.device(), DeviceError, "optimizer: gradient of ", shape_str(p.shape()), " is on ",
            g.device().str(), " but the parameter is on ", p.device().str());
  return g.is_contiguous() ? g : g.contiguous();
}

// Buffers live on the parameter's device: lazily re-home them if the model moved.
void follow_device(Tensor& buffer, const Tensor& p) {
  if (buffer.device() != p.device()) buffer = buffer.to(p.device());
}

std::vector<std::pair<std::string, Tensor>> named(const char* kind, const std::vector<Tensor>& buffers) {
  std::vector<std::pair<std::string, Tensor>> out;
  for (size_t i = 0; i < buffers.size(); ++i) out.emplace_back(std::string(kind) + "." + std::to_string(i), buffers[i]);
  return out;
}

}  // namespace

Adam::Adam(std::vector<Tensor> params, AdamParams h) : Optimizer(std::move(params)), hyper(h) {
  m_ = zeros_like_params();
  v_ = zeros_like_params();
}

void Adam::step() {
  NoGradGuard no_grad;
  ++steps_;
  AdamParams h = hyper;
  h.step = steps_;
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    const Tensor g = grad_of(p);
    if (!g.defined()) continue;
    follow_device(m_[i], p);
    follow_device(v_[i], p);
    kernel::adam_step(p, g, m_[i], v_[i], p.numel(), h);
  }
}

std::vector<std::pair<std::string, Tensor>> Adam::state() {
  auto out = named("adam_m", m_);
  for (auto& kv : named("adam_v", v_)) out.push_back(kv);
  return out;
}

SGD::SGD(std::vector<Tensor> params, SgdParams h) : Optimizer(std::move(params)), hyper(h) {
  momentum_ = zeros_like_params();
}

void SGD::step() {
  NoGradGuard no_grad;
  ++steps_;
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    const Tensor g = grad_of(p);
    if (!g.defined()) continue;
    follow_device(momentum_[i], p);
    kernel::sgd_step(p, g, momentum_[i], p.numel(), hyper);
  }
}

std::vector<std::pair<std::string, Tensor>> SGD::state() { return named("sgd_momentum", momentum_); }

RMSprop::RMSprop(std::vector<Tensor> params, RmspropParams h) : Optimizer(std::move(params)), hyper(h) {
  square_avg_ = zeros_like_params();
}

void RMSprop::step() {
  NoGradGuard no_grad;
  ++steps_;
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    const Tensor g = grad_of(p);
    if (!g.defined()) continue;
    follow_device(square_avg_[i], p);
    kernel::rmsprop_step(p, g, square_avg_[i], p.numel(), hyper);
  }
}

std::vector<std::pair<std::string, Tensor>> RMSprop::state() { return named("rmsprop_sq", square_avg_); }

void clamp_parameters(const std::vector<Tensor>& params, double lo, double hi) {
  for (const Tensor& p : params) {
    kernel::clamp(p, p.numel(), lo, hi);
  }
}

}  // namespace gan
