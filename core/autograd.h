// Reverse-mode automatic differentiation on a dynamic tape.
//
// Every op that sees an input with requires_grad (while grad mode is on)
// records a Node on its output: the node keeps the op's inputs (the graph's
// edges) and whatever the op saved for its backward. backward() walks the
// nodes reachable from the root in reverse topological order, calls each
// node's backward with the gradient of its output, and routes the results to
// the input nodes or, for leaves, accumulates them into .grad.
//
// Higher order: backward functions are written with the same differentiable
// ops as the forward pass wherever that is cheap; with create_graph=true grad
// mode stays on during the backward pass, so the gradients get graphs of their
// own and can be differentiated again (docs/autograd.md has the plan and the
// ops that still need a differentiable backward).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace gan {

struct Node {
  virtual ~Node() = default;
  virtual const char* name() const = 0;
  // Gradients w.r.t. `inputs`, in order. An undefined Tensor means "no
  // gradient" (the input does not need one, or it is identically zero).
  // Backward functions compute only the gradients for which needs_grad(i).
  virtual std::vector<Tensor> backward(const Tensor& grad_output) = 0;

  // Whether backward must produce the gradient of inputs[i]: the input
  // requires grad and, during a gradients() call, lies on a path to one of the
  // tensors asked for (WGAN-GP asks for d D / d x only: no weight gradients).
  bool needs_grad(size_t i) const {
    return i < inputs.size() && inputs[i].defined() && inputs[i].requires_grad() &&
           (input_needed.empty() || input_needed[i]);
  }

  std::vector<Tensor> inputs;
  // Set by the backward traversal before it calls backward(); empty means
  // every input that requires grad is needed.
  std::vector<bool> input_needed;
};

// The node of a piecewise-constant function of its input (sign, an
// activation's derivative mask): its derivative is zero wherever it exists,
// but recording it keeps the input in the graph, so backward gives the
// leaves behind it zeros rather than no gradient (as torch does).
struct PiecewiseConstantNode : Node {
  explicit PiecewiseConstantNode(const char* label) : label_(label) {}
  const char* name() const override { return label_; }
  std::vector<Tensor> backward(const Tensor&) override { return std::vector<Tensor>(inputs.size()); }

 private:
  const char* label_;
};

// Grad mode: ops record nodes only while it is on (the default).
bool grad_enabled();

class GradModeGuard {
 public:
  explicit GradModeGuard(bool enabled);
  ~GradModeGuard();
  GradModeGuard(const GradModeGuard&) = delete;
  GradModeGuard& operator=(const GradModeGuard&) = delete;

 private:
  bool previous_;
};

// Inside its scope nothing is recorded (evaluation, sampling, optimizer steps).
class NoGradGuard : public GradModeGuard {
 public:
  NoGradGuard() : GradModeGuard(false) {}
};

// Anomaly detection: finding where a NaN or Inf first appears (`gan train`
// replays a step that went non-finite with it on). While an AnomalyGuard is
// alive, every gradient a backward node produces is checked, and so is the
// output of every layer of a Sequential (layers/module.cpp); the first
// non-finite value throws NumericalError naming the op or layer. Every check
// waits for the device: a diagnosis mode, never on in normal training.
bool anomaly_detection_enabled();

class AnomalyGuard {
 public:
  AnomalyGuard();
  ~AnomalyGuard();
  AnomalyGuard(const AnomalyGuard&) = delete;
  AnomalyGuard& operator=(const AnomalyGuard&) = delete;

 private:
  bool previous_;
};

// True when every element of t is finite (one reduction; waits for the device).
bool all_finite(const Tensor& t);

// Accumulates d(root)/d(leaf) * grad into every reachable leaf's .grad.
void run_backward(const Tensor& root, const Tensor& grad, bool create_graph);

// While a LeafGradHookScope is alive (on this thread), run_backward calls the
// hook for every leaf of the graph (a tensor without grad_fn that requires
// grad) as soon as its .grad is final for this pass: when the last node that
// reads it has been processed, long before backward ends for the early layers'
// parameters. A leaf whose gradient is identically zero gets its zeros first.
// Data-parallel training starts a bucket's all-reduce from it
// (core/distributed.h). gradients() calls no hook.
using LeafGradHook = std::function<void(const Tensor& leaf)>;
class LeafGradHookScope {
 public:
  explicit LeafGradHookScope(LeafGradHook hook);
  ~LeafGradHookScope();
  LeafGradHookScope(const LeafGradHookScope&) = delete;
  LeafGradHookScope& operator=(const LeafGradHookScope&) = delete;

 private:
  LeafGradHook previous_;
};

// Returns d(output)/d(inputs[i]) * grad_output without touching any .grad
// (what WGAN-GP's gradient penalty needs). Inputs not reached get zeros.
std::vector<Tensor> gradients(const Tensor& output, const std::vector<Tensor>& inputs,
                              const Tensor& grad_output = Tensor(), bool create_graph = false);

// Records `node` as the producer of `out` if grad mode is on and any input
// requires grad; returns whether it did. Ops call this after computing out.
bool record(Tensor& out, const std::shared_ptr<Node>& node, std::vector<Tensor> inputs);

}  // namespace gan
