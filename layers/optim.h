// Optimizers: Adam, SGD with momentum, RMSprop. Each step is one fused kernel
// per parameter tensor (kernels/optim). Steps run outside autograd.
//
// state() exposes every per-parameter buffer by name, so a checkpoint can save
// and restore an optimizer exactly (resuming continues bit for bit).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"
#include "kernels/optim/optim.h"

namespace gan {

class Optimizer {
 public:
  explicit Optimizer(std::vector<Tensor> params);
  virtual ~Optimizer() = default;
  virtual void step() = 0;
  void zero_grad();

  // Buffers named "<kind>.<param index>" and the step count, for checkpoints.
  virtual std::vector<std::pair<std::string, Tensor>> state() = 0;
  int64_t steps() const { return steps_; }
  void set_steps(int64_t s) { steps_ = s; }
  virtual double lr() const = 0;
  virtual void set_lr(double lr) = 0;
  const std::vector<Tensor>& params() const { return params_; }

 protected:
  // A zero buffer shaped like each parameter, on its device.
  std::vector<Tensor> zeros_like_params() const;
  std::vector<Tensor> params_;
  int64_t steps_ = 0;
};

class Adam : public Optimizer {
 public:
  Adam(std::vector<Tensor> params, AdamParams hyper);
  void step() override;
  std::vector<std::pair<std::string, Tensor>> state() override;
  double lr() const override { return hyper.lr; }
  void set_lr(double lr) override { hyper.lr = lr; }
  AdamParams hyper;

 private:
  std::vector<Tensor> m_, v_;
};

class SGD : public Optimizer {
 public:
  SGD(std::vector<Tensor> params, SgdParams hyper);
  void step() override;
  std::vector<std::pair<std::string, Tensor>> state() override;
  double lr() const override { return hyper.lr; }
  void set_lr(double lr) override { hyper.lr = lr; }
  SgdParams hyper;

 private:
  std::vector<Tensor> momentum_;
};

class RMSprop : public Optimizer {
 public:
  RMSprop(std::vector<Tensor> params, RmspropParams hyper);
  void step() override;
  std::vector<std::pair<std::string, Tensor>> state() override;
  double lr() const override { return hyper.lr; }
  void set_lr(double lr) override { hyper.lr = lr; }
  RmspropParams hyper;

 private:
  std::vector<Tensor> square_avg_;
};

// Clamps every parameter into [lo, hi] in place (WGAN weight clipping).
void clamp_parameters(const std::vector<Tensor>& params, double lo, double hi);

}  // namespace gan
