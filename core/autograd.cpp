#include "core/autograd.h"

#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "core/error.h"
#include "core/ops.h"

namespace gan {

namespace {
thread_local bool t_grad_enabled = true;
thread_local bool t_anomaly_detection = false;
thread_local LeafGradHook t_leaf_grad_hook;
}  // namespace

LeafGradHookScope::LeafGradHookScope(LeafGradHook hook) : previous_(std::move(t_leaf_grad_hook)) {
  t_leaf_grad_hook = std::move(hook);
}
LeafGradHookScope::~LeafGradHookScope() { t_leaf_grad_hook = std::move(previous_); }

bool grad_enabled() { return t_grad_enabled; }
GradModeGuard::GradModeGuard(bool enabled) : previous_(t_grad_enabled) { t_grad_enabled = enabled; }
GradModeGuard::~GradModeGuard() { t_grad_enabled = previous_; }

bool anomaly_detection_enabled() { return t_anomaly_detection; }
AnomalyGuard::AnomalyGuard() : previous_(t_anomaly_detection) { t_anomaly_detection = true; }
AnomalyGuard::~AnomalyGuard() { t_anomaly_detection = previous_; }

bool all_finite(const Tensor& t) {
  if (t.numel() == 0) return true;
  NoGradGuard no_grad;
  // 0 * x is 0 for finite x and NaN for NaN or +-Inf, so the sum is finite
  // exactly when every element is: one reduction on either backend.
  return std::isfinite(sum(mul(t.detach(), 0.0)).item());
}

bool record(Tensor& out, const std::shared_ptr<Node>& node, std::vector<Tensor> inputs) {
  if (!grad_enabled()) return false;
  bool any = false;
  for (const Tensor& t : inputs) any = any || (t.defined() && t.requires_grad());
  if (!any) return false;
  node->inputs = std::move(inputs);
  out.impl().grad_fn = node;
  out.impl().requires_grad = true;
  return true;
}

namespace {

// Nodes reachable from root, ordered so that every node comes before the
// nodes of its inputs (reverse topological order of the forward pass).
std::vector<Node*> topological_order(Node* root) {
  std::vector<Node*> order;
  std::unordered_set<Node*> visited;
  // Iterative post-order DFS (graphs can be deep; no recursion).
  std::vector<std::pair<Node*, size_t>> stack{{root, 0}};
  visited.insert(root);
  while (!stack.empty()) {
    auto& [node, next] = stack.back();
    if (next < node->inputs.size()) {
      const Tensor& in = node->inputs[next++];
      if (in.defined() && in.grad_fn() && visited.insert(in.grad_fn().get()).second) {
        stack.emplace_back(in.grad_fn().get(), 0);
      }
    } else {
      order.push_back(node);
      stack.pop_back();
    }
  }
  return {order.rbegin(), order.rend()};
}

Tensor default_root_grad(const Tensor& root, const Tensor& grad) {
  if (grad.defined()) {
    GAN_CHECK(grad.shape() == root.shape(), ShapeError, "backward: gradient shape ", shape_str(grad.shape()),
              " does not match the output's shape ", shape_str(root.shape()));
    return grad;
  }
  GAN_CHECK(root.numel() == 1, AutogradError, "backward: the output has shape ", shape_str(root.shape()),
            "; pass a gradient of that shape, or call backward() on a one-element tensor such as a loss");
  return Tensor::ones(root.shape(), root.dtype(), root.device());
}

Tensor accumulate(const Tensor& sum, const Tensor& g) { return sum.defined() ? add(sum, g) : g; }

// Marks, on every node of `order`, which inputs lead to one of `targets` (a
// target itself, or a node from which a target is reachable), and returns the
// nodes with at least one such input: the only ones whose backward must run.
// Without targets (run_backward) every input that requires grad is needed:
// the marks are cleared and nothing is returned (every node runs).
std::unordered_set<const Node*> mark_needed_inputs(const std::vector<Node*>& order,
                                                   const std::vector<Tensor>* targets) {
  std::unordered_set<const Node*> useful;
  if (!targets) {
    for (Node* node : order) node->input_needed.clear();
    return useful;
  }
  std::unordered_set<const TensorImpl*> target_leaves;
  std::unordered_set<const Node*> target_nodes;
  for (const Tensor& t : *targets) {
    if (!t.defined()) continue;
    if (t.grad_fn()) {
      target_nodes.insert(t.grad_fn().get());
    } else {
      target_leaves.insert(&t.impl());
    }
  }
  // Producers come after their consumers in `order`: walk it backwards so that
  // every input's node is decided before the nodes that read it.
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    Node* node = *it;
    node->input_needed.assign(node->inputs.size(), false);
    bool any = false;
    for (size_t i = 0; i < node->inputs.size(); ++i) {
      const Tensor& in = node->inputs[i];
      if (!in.defined() || !in.requires_grad()) continue;
      const Node* producer = in.grad_fn().get();
      const bool needed = producer ? (target_nodes.count(producer) > 0 || useful.count(producer) > 0)
                                   : target_leaves.count(&in.impl()) > 0;
      node->input_needed[i] = needed;
      any = any || needed;
    }
    if (any) useful.insert(node);
  }
  return useful;
}

// The shared traversal: calls sink(input, grad) for every gradient that reaches
// a leaf input (a tensor without grad_fn that requires grad). With targets,
// only the gradients on paths to them are computed (see mark_needed_inputs).
// Returns the nodes of the graph, consumers before producers.
//
// leaf_done (optional) is called for a leaf input once every node that reads
// it has been processed (or skipped): its gradient is then final.
using LeafDone = std::function<void(const Tensor& leaf)>;

template <typename LeafSink>
std::vector<Node*> traverse(const Tensor& root, const Tensor& root_grad, bool create_graph, LeafSink&& sink,
                            const std::vector<Tensor>* targets = nullptr,
                            std::unordered_map<Node*, Tensor>* node_grads_out = nullptr,
                            const LeafDone& leaf_done = nullptr) {
  GradModeGuard mode(create_graph);
  std::unordered_map<Node*, Tensor> node_grads;
  if (!root.grad_fn()) {
    sink(root, root_grad);
    return {};
  }
  node_grads[root.grad_fn().get()] = root_grad;
  const std::vector<Node*> order = topological_order(root.grad_fn().get());
  const std::unordered_set<const Node*> useful = mark_needed_inputs(order, targets);
  const auto is_leaf_input = [](const Tensor& in) { return in.defined() && in.requires_grad() && !in.grad_fn(); };
  // Edges into each leaf that are still to be processed.
  std::unordered_map<const TensorImpl*, int> pending;
  if (leaf_done)
    for (const Node* node : order)
      for (const Tensor& in : node->inputs)
        if (is_leaf_input(in)) ++pending[&in.impl()];
  const auto node_done = [&](const Node* node) {
    if (!leaf_done) return;
    for (const Tensor& in : node->inputs)
      if (is_leaf_input(in) && --pending[&in.impl()] == 0) leaf_done(in);
  };
  for (Node* node : order) {
    auto it = node_grads.find(node);
    // No gradient reached it; or, with targets, nothing asked for lies behind
    // it (its grad stays for gradients()).
    if (it == node_grads.end() || !it->second.defined() || (targets && !useful.count(node))) {
      node_done(node);
      continue;
    }
    const Tensor grad_out = it->second;
    if (!node_grads_out) node_grads.erase(it);  // free intermediate gradients early
    std::vector<Tensor> grads = node->backward(grad_out);
    GAN_CHECK(grads.size() == node->inputs.size(), AutogradError, node->name(), " backward returned ",
              grads.size(), " gradients for ", node->inputs.size(), " inputs");
    for (size_t i = 0; i < grads.size(); ++i) {
      const Tensor& input = node->inputs[i];
      if (!node->needs_grad(i) || !grads[i].defined()) continue;
      GAN_CHECK(grads[i].shape() == input.shape(), AutogradError, node->name(), " backward produced a gradient of shape ",
                shape_str(grads[i].shape()), " for an input of shape ", shape_str(input.shape()));
      GAN_CHECK(!t_anomaly_detection || all_finite(grads[i]), NumericalError, node->name(),
                " produced a non-finite gradient (NaN or Inf) for its input ", i, " of shape ",
                shape_str(input.shape()), " from a finite incoming gradient");
      if (input.grad_fn()) {
        Tensor& slot = node_grads[input.grad_fn().get()];
        slot = accumulate(slot, grads[i]);
      } else {
        sink(input, grads[i]);
      }
    }
    node_done(node);
  }
  if (node_grads_out) *node_grads_out = std::move(node_grads);
  return order;
}

}  // namespace

void run_backward(const Tensor& root, const Tensor& grad, bool create_graph) {
  GAN_CHECK(root.requires_grad(), AutogradError,
            "backward: this tensor does not require grad (no input of the ops that made it has requires_grad, "
            "or it was computed under NoGradGuard / detach())");
  const Tensor g = default_root_grad(root, grad);
  LeafDone leaf_done;
  if (t_leaf_grad_hook) {
    leaf_done = [&](const Tensor& leaf) {
      // Zeros now rather than after the traversal (below): the hook must see
      // every leaf with its final gradient.
      if (!leaf.impl().grad) leaf.impl().grad = Tensor::zeros(leaf.shape(), leaf.dtype(), leaf.device()).impl_ptr();
      t_leaf_grad_hook(leaf);
    };
  }
  const auto sink = [&](const Tensor& leaf, const Tensor& leaf_grad) {
    TensorImpl& impl = leaf.impl();
    // Out-of-place accumulation keeps gradients immutable, which is what lets
    // create_graph gradients carry their own graph.
    const Tensor sum = impl.grad ? add(Tensor(impl.grad), leaf_grad) : leaf_grad;
    impl.grad = (create_graph ? sum : sum.detach()).impl_ptr();
  };
  const std::vector<Node*> graph = traverse(root, g, create_graph, sink, nullptr, nullptr, leaf_done);
  // A leaf of the graph whose gradient is identically zero (nodes return
  // "undefined" for a zero gradient: a ReLU mask's derivative, a gradient
  // penalty's bias term) still gets one, as zeros: an optimizer must see that
  // the parameter took part (Adam moves it by its momentum), not skip it.
  for (const Node* node : graph) {
    for (const Tensor& in : node->inputs) {
      if (in.defined() && in.requires_grad() && !in.grad_fn() && !in.impl().grad) {
        in.impl().grad = Tensor::zeros(in.shape(), in.dtype(), in.device()).impl_ptr();
      }
    }
  }
}

std::vector<Tensor> gradients(const Tensor& output, const std::vector<Tensor>& inputs, const Tensor& grad_output,
                              bool create_graph) {
  GAN_CHECK(output.requires_grad(), AutogradError, "gradients: the output does not require grad");
  const Tensor g = default_root_grad(output, grad_output);
  std::unordered_map<TensorImpl*, Tensor> leaf_grads;
  std::unordered_map<Node*, Tensor> node_grads;
  traverse(
      output, g, create_graph,
      [&](const Tensor& leaf, const Tensor& leaf_grad) {
        Tensor& slot = leaf_grads[&leaf.impl()];
        slot = accumulate(slot, leaf_grad);
      },
      &inputs, &node_grads);
  std::vector<Tensor> result;
  for (const Tensor& in : inputs) {
    Tensor r;
    if (in.grad_fn()) {
      auto it = node_grads.find(in.grad_fn().get());
      if (it != node_grads.end()) r = it->second;
    } else if (auto it = leaf_grads.find(&in.impl()); it != leaf_grads.end()) {
      r = it->second;
    }
    result.push_back(r.defined() ? r : Tensor::zeros(in.shape(), in.dtype(), in.device()));
  }
  return result;
}

}  // namespace gan
