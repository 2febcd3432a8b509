// Module: a layer or model with named parameters (trained), buffers (state
// such as BN running statistics, not trained) and child modules.
//
// Parameters are Tensor handles shared with the optimizers; moving a module to
// another device swaps the storage inside those same handles, so optimizers
// and checkpoints keep seeing the right tensors.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/random.h"
#include "core/tensor.h"

namespace gan {

struct SpectralNorm;  // layers/spectral_norm.h

using NamedTensor = std::pair<std::string, Tensor>;

class Module {
 public:
  virtual ~Module() = default;
  virtual Tensor forward(const Tensor& x) = 0;
  Tensor operator()(const Tensor& x) { return forward(x); }

  // Recursive, in registration order, names like "main.3.weight".
  std::vector<NamedTensor> named_parameters() const;
  std::vector<NamedTensor> named_buffers() const;
  std::vector<Tensor> parameters() const;
  int64_t parameter_count() const;

  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  void to(Device device);
  void zero_grad();
  // The class name, for messages: "BatchNorm2d".
  std::string type_name() const;
  // Calls f on this module and every descendant (for initialisation schemes).
  void apply(const std::function<void(Module&)>& f);
  // The direct children with their names, in registration order (for graph
  // walks such as the ONNX exporter, models/onnx_export.h).
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& children() const { return children_; }

 protected:
  Tensor register_parameter(const std::string& name, Tensor t);
  Tensor register_buffer(const std::string& name, Tensor t);
  // Spectral normalisation of `weight`: its power-iteration vectors become
  // the buffers "weight_u" and "weight_v" (for the layers that offer it).
  std::shared_ptr<SpectralNorm> register_spectral_norm(const Tensor& weight, Rng& rng);
  // Drops the buffers register_spectral_norm made (when it is folded away).
  void unregister_spectral_norm();
  template <typename M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> m) {
    children_.emplace_back(name, m);
    return m;
  }

 private:
  void collect(const std::string& prefix, bool buffers, std::vector<NamedTensor>& out) const;

  std::vector<NamedTensor> parameters_;
  std::vector<NamedTensor> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

// Runs its children in order; children are named "0", "1", ...
class Sequential : public Module {
 public:
  template <typename M>
  std::shared_ptr<M> add(std::shared_ptr<M> m) {
    layers_.push_back(m);
    return register_module(std::to_string(layers_.size() - 1), std::move(m));
  }
  Tensor forward(const Tensor& x) override;
  size_t size() const { return layers_.size(); }

 private:
  std::vector<std::shared_ptr<Module>> layers_;
};

}  // namespace gan
