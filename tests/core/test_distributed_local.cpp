// What data-parallel training builds on, checked in one process: the hook that
// tells when a parameter's gradient is final (core/autograd.h), and the
// single-rank behaviour of core/distributed.h (the identity, exactly).
// tests/app/test_distributed.cpp runs the real thing under mpirun.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/distributed.h"
#include "core/ops.h"
#include "core/random.h"
#include "layers/layers.h"

namespace gan {
namespace {

Tensor param(std::vector<double> v) {
  Tensor t = Tensor::from_vector(v, {static_cast<int64_t>(v.size())});
  t.set_requires_grad(true);
  return t;
}

TEST(LeafGradHook, FiresOncePerLeafWithItsFinalGradient) {
  // w is read by two nodes; its hook must wait for both contributions.
  Tensor w = param({2.0}), b = param({1.0}), unused_path = param({5.0});
  const Tensor x = Tensor::from_vector(std::vector<double>{3.0}, {1});
  const Tensor y = add(add(mul(w, x), mul(w, w)), b);  // dy/dw = x + 2w = 7, dy/db = 1
  const Tensor loss = add(sum(y), sum(mul(unused_path, 0.0)));
  std::vector<std::pair<const TensorImpl*, double>> seen;
  {
    const LeafGradHookScope scope([&](const Tensor& leaf) { seen.emplace_back(&leaf.impl(), leaf.grad().item()); });
    loss.backward();
  }
  ASSERT_EQ(seen.size(), 3u);
  const auto grad_seen = [&](const Tensor& t) {
    for (const auto& [impl, g] : seen)
      if (impl == &t.impl()) return g;
    return -1.0;
  };
  EXPECT_DOUBLE_EQ(grad_seen(w), 7.0);
  EXPECT_DOUBLE_EQ(grad_seen(b), 1.0);
  EXPECT_DOUBLE_EQ(grad_seen(unused_path), 0.0);  // zeros, given before the hook
  // Outside the scope, no hook.
  w.zero_grad();
  loss.backward();
  EXPECT_EQ(seen.size(), 3u);
}

TEST(LeafGradHook, LastLayersParametersAreFinalBeforeTheFirstLayersGradientExists) {
  // A chain of three layers: backward reaches the last one's parameter first,
  // and its hook runs while the first layer's gradient is still to be computed
  // (what lets a bucket's all-reduce overlap the rest of backward).
  Rng rng(3);
  Linear l1(4, 4, rng), l2(4, 4, rng), l3(4, 1, rng);
  const Tensor x = Tensor::randn({2, 4}, rng);
  const Tensor loss = sum(l3.forward(relu(l2.forward(relu(l1.forward(x))))));
  std::vector<std::string> order;
  bool first_layer_had_grad_at_last_hook = true;
  {
    const LeafGradHookScope scope([&](const Tensor& leaf) {
      if (&leaf.impl() == &l3.weight.impl()) {
        order.push_back("l3");
        first_layer_had_grad_at_last_hook = l1.weight.grad().defined();
      }
      if (&leaf.impl() == &l1.weight.impl()) order.push_back("l1");
    });
    loss.backward();
  }
  ASSERT_EQ(order.size(), 2u);
  EXPECT_EQ(order[0], "l3");
  EXPECT_EQ(order[1], "l1");
  EXPECT_FALSE(first_layer_had_grad_at_last_hook);
}

TEST(DistributedLocal, OneRankIsTheIdentity) {
  // Plain `gan` (no launcher): rank 0 of 1, and nothing changes any number.
  EXPECT_EQ(dist::rank(), 0);
  EXPECT_EQ(dist::size(), 1);
  std::vector<double> v = {1.5, -2};
  dist::all_reduce_sum(v.data(), 2);
  EXPECT_EQ(v, (std::vector<double>{1.5, -2}));
  EXPECT_TRUE(dist::same_on_all_ranks(42));
  const Tensor t = Tensor::from_vector(std::vector<float>{1, 2}, {2});
  EXPECT_EQ(dist::all_reduce_sum(t).to_vector<float>(), (std::vector<float>{1, 2}));

  // backward_averaged on one rank is loss.backward(), bit for bit.
  Rng rng(5);
  Linear a(3, 2, rng), b(3, 2, rng);
  b.weight.copy_(a.weight);
  b.bias.copy_(a.bias);
  const Tensor x = Tensor::randn({4, 3}, rng);
  sum(square(a.forward(x))).backward();
  dist::backward_averaged(sum(square(b.forward(x))), b.parameters(), /*bucket_bytes=*/8);
  EXPECT_EQ(a.weight.grad().to_vector<float>(), b.weight.grad().to_vector<float>());
  EXPECT_EQ(a.bias.grad().to_vector<float>(), b.bias.grad().to_vector<float>());
}

TEST(DistributedLocal, Fnv1aSeparatesInputs) {
  const std::string a = "abc", b = "abd";
  EXPECT_NE(dist::fnv1a(a.data(), a.size()), dist::fnv1a(b.data(), b.size()));
  EXPECT_EQ(dist::fnv1a(a.data(), a.size()), dist::fnv1a(a.data(), a.size()));
}

}  // namespace
}  // namespace gan
