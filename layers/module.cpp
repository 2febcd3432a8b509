#include "layers/module.h"

#include <cxxabi.h>

#include <cstdlib>
#include <typeinfo>

#include "core/autograd.h"
#include "core/error.h"
#include "layers/spectral_norm.h"

namespace gan {

Tensor Module::register_parameter(const std::string& name, Tensor t) {
  t.set_requires_grad(true);
  parameters_.emplace_back(name, t);
  return t;
}

Tensor Module::register_buffer(const std::string& name, Tensor t) {
  buffers_.emplace_back(name, t);
  return t;
}

std::shared_ptr<SpectralNorm> Module::register_spectral_norm(const Tensor& weight, Rng& rng) {
  for (const auto& [name, t] : buffers_)
    GAN_CHECK(name != "weight_u", ValueError, type_name(), ": spectral norm is already on");
  auto sn = std::make_shared<SpectralNorm>(weight, rng);
  register_buffer("weight_u", sn->u);
  register_buffer("weight_v", sn->v);
  return sn;
}

void Module::unregister_spectral_norm() {
  std::erase_if(buffers_, [](const NamedTensor& b) { return b.first == "weight_u" || b.first == "weight_v"; });
}

void Module::collect(const std::string& prefix, bool buffers, std::vector<NamedTensor>& out) const {
  for (const auto& [name, t] : buffers ? buffers_ : parameters_) out.emplace_back(prefix + name, t);
  for (const auto& [name, child] : children_) child->collect(prefix + name + ".", buffers, out);
}

std::vector<NamedTensor> Module::named_parameters() const {
  std::vector<NamedTensor> out;
  collect("", false, out);
  return out;
}

std::vector<NamedTensor> Module::named_buffers() const {
  std::vector<NamedTensor> out;
  collect("", true, out);
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [name, t] : named_parameters()) out.push_back(t);
  return out;
}

int64_t Module::parameter_count() const {
  int64_t n = 0;
  for (const Tensor& t : parameters()) n += t.numel();
  return n;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_) child->train(on);
}

void Module::apply(const std::function<void(Module&)>& f) {
  f(*this);
  for (auto& [name, child] : children_) child->apply(f);
}

void Module::to(Device device) {
  auto move = [&](const Tensor& t) {
    if (t.device() == device) return;
    const Tensor moved = t.detach().to(device);
    TensorImpl& impl = t.impl();
    impl.storage = moved.impl().storage;
    impl.offset = moved.impl().offset;
    impl.strides = moved.impl().strides;
    impl.grad.reset();
  };
  for (auto& [name, t] : named_parameters()) move(t);
  for (auto& [name, t] : named_buffers()) move(t);
}

void Module::zero_grad() {
  for (Tensor& t : parameters()) t.zero_grad();
}

std::string Module::type_name() const {
  // The class name without its namespace: "BatchNorm2d".
  int status = 0;
  char* demangled = abi::__cxa_demangle(typeid(*this).name(), nullptr, nullptr, &status);
  std::string name = status == 0 && demangled ? demangled : typeid(*this).name();
  std::free(demangled);
  const size_t colon = name.rfind("::");
  return colon == std::string::npos ? name : name.substr(colon + 2);
}

Tensor Sequential::forward(const Tensor& x) {
  GAN_CHECK(!anomaly_detection_enabled() || all_finite(x), NumericalError, "the input ", shape_str(x.shape()),
            " holds NaN or Inf");
  Tensor h = x;
  for (size_t i = 0; i < layers_.size(); ++i) {
    h = layers_[i]->forward(h);
    GAN_CHECK(!anomaly_detection_enabled() || all_finite(h), NumericalError, "layer ", i, " (",
              layers_[i]->type_name(), ") produced NaN or Inf in its output ", shape_str(h.shape()),
              " from a finite input");
  }
  return h;
}

}  // namespace gan
