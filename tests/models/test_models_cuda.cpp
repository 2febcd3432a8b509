// Whole models on CUDA against the same models on the CPU: the output of one
// forward pass and every parameter's gradient of one backward pass. The op
// table (tests/ops/test_op_cases.cpp) checks each op alone; this checks the
// compositions the trainers run (padding into convolution into norm into
// activation...), so a failure in a train-step test can be traced to a model
// and a parameter. Skipped without a CUDA device.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/random.h"
#include "layers/init.h"
#include "models/cyclegan.h"
#include "models/dcgan.h"
#include "models/pix2pix.h"
#include "tests/kernels/cuda_test_util.h"
#include "tests/kernels/kernel_test_util.h"

namespace gan {
namespace {

using test::l2_distance;
using test::l2_norm;

// Every parameter's gradient, CUDA against the CPU, relative to its norm.
void expect_gradients_match(const std::vector<NamedTensor>& cpu_params, const std::vector<NamedTensor>& cuda_params,
                            double tol) {
  ASSERT_EQ(cpu_params.size(), cuda_params.size());
  std::vector<std::vector<double>> want, got;
  double largest = 0;  // what "rounding level" is relative to
  for (size_t i = 0; i < cpu_params.size(); ++i) {
    const Tensor& w = cpu_params[i].second.grad();
    const Tensor& g = cuda_params[i].second.grad();
    ASSERT_EQ(g.defined(), w.defined()) << cpu_params[i].first << ": a gradient on one device only";
    want.push_back(w.defined() ? w.to_vector() : std::vector<double>{});
    got.push_back(g.defined() ? g.to_vector() : std::vector<double>{});
    largest = std::max(largest, l2_norm(want.back()));
  }
  for (size_t i = 0; i < want.size(); ++i) {
    const std::string& name = cpu_params[i].first;
    if (want[i].empty()) continue;  // no gradient on either device
    const double ref = l2_norm(want[i]), err = l2_distance(got[i], want[i]);
    if (ref <= 1e-5 * largest) {
      // A bias right before a normalisation: its gradient is zero up to rounding on both devices.
      EXPECT_LE(l2_norm(got[i]), 1e-4 * largest) << name << ": rounding level on the CPU, not on CUDA";
      continue;
    }
    EXPECT_LE(err, tol * ref) << name << ": gradient relative error " << err / ref;
  }
}

// Builds Model(config) twice from the same seed, one on each device, and
// compares output and gradients for a random input of `input_shape`.
template <typename Model, typename Config>
void expect_model_matches(const Config& config, uint64_t seed, const std::vector<int64_t>& input_shape,
                          double tol) {
  Rng rng_cpu(seed), rng_cuda(seed);
  Model cpu_model(config, rng_cpu), cuda_model(config, rng_cuda);
  cuda_model.to(Device::cuda());

  Rng data(seed + 1);
  const Tensor x = Tensor::randn(input_shape, data);
  const Tensor y_cpu = cpu_model(x);
  const Tensor y_cuda = cuda_model(x.to(Device::cuda()));
  ASSERT_EQ(y_cuda.shape(), y_cpu.shape());
  const std::vector<double> out_cpu = y_cpu.to_vector(), out_cuda = y_cuda.to_vector();
  EXPECT_LE(l2_distance(out_cuda, out_cpu), tol * l2_norm(out_cpu)) << "forward output";

  // A weighted sum, so that no output element's gradient is special.
  const Tensor w = Tensor::rand(y_cpu.shape(), data, DType::F32, Device::cpu(), 0.5, 1.5);
  sum(mul(y_cpu, w)).backward();
  sum(mul(y_cuda, w.to(Device::cuda()))).backward();

  expect_gradients_match(cpu_model.named_parameters(), cuda_model.named_parameters(), tol);
}

constexpr double kTol = 1e-4;

// CycleGAN's networks at the sizes of its train-step test: 1 channel, width 4.
ResnetGeneratorConfig tiny_resnet() {
  ResnetGeneratorConfig c;
  c.in_channels = c.out_channels = 1;
  c.ngf = 4;
  c.n_blocks = 1;
  return c;
}

PatchDiscriminatorConfig tiny_patchgan() {
  PatchDiscriminatorConfig c;
  c.in_channels = 1;
  c.ndf = 4;
  c.n_layers = 2;
  return c;
}

TEST(CudaModels, ResnetGeneratorMatchesTheCpu) {
  GAN_SKIP_WITHOUT_CUDA();
  expect_model_matches<ResnetGenerator>(tiny_resnet(), 31, {2, 1, 16, 16}, kTol);
}

TEST(CudaModels, PatchDiscriminatorMatchesTheCpu) {
  GAN_SKIP_WITHOUT_CUDA();
  expect_model_matches<PatchDiscriminator>(tiny_patchgan(), 32, {2, 1, 16, 16}, kTol);
}

TEST(CudaModels, UnetGeneratorMatchesTheCpu) {
  GAN_SKIP_WITHOUT_CUDA();
  UnetGeneratorConfig c;
  c.in_channels = c.out_channels = 1;
  c.num_downs = 5;
  c.ngf = 4;
  c.use_dropout = false;  // the masks are the dropout tests' business
  expect_model_matches<UnetGenerator>(c, 33, {2, 1, 32, 32}, kTol);
}

TEST(CudaModels, DcganMatchesTheCpu) {
  GAN_SKIP_WITHOUT_CUDA();
  DcganConfig c;
  c.image_size = 28;
  c.nz = 8;
  c.ngf = c.ndf = 8;
  expect_model_matches<DcganGenerator>(c, 34, {4, 8}, kTol);
  expect_model_matches<DcganDiscriminator>(c, 35, {4, 1, 28, 28}, kTol);
}

// The whole generator objective of apps/gan/cyclegan_trainer.cpp, term by
// term (each term's gradients compared on their own, so that a difference
// names its term), then all six in one backward pass (each generator applied
// three times, fakes feeding a discriminator and the other generator: the
// gradients of one tensor's consumers accumulate): four networks built and
// initialised as the trainer does, the discriminators frozen.
TEST(CudaModels, CycleGanObjectiveTermsMatchTheCpu) {
  GAN_SKIP_WITHOUT_CUDA();
  const ResnetGeneratorConfig gc = tiny_resnet();
  const PatchDiscriminatorConfig dc = tiny_patchgan();
  struct Nets {
    ResnetGenerator g_ab, g_ba;
    PatchDiscriminator d_a, d_b;
    explicit Nets(const ResnetGeneratorConfig& g, const PatchDiscriminatorConfig& d, Rng& rng)
        : g_ab(g, rng), g_ba(g, rng), d_a(d, rng), d_b(d, rng) {
      for (Module* m : all()) dcgan_init(*m, rng);
      for (Module* m : {static_cast<Module*>(&d_a), static_cast<Module*>(&d_b)})
        for (auto& [name, t] : m->named_parameters()) t.set_requires_grad(false);
    }
    std::vector<Module*> all() { return {&g_ab, &g_ba, &d_a, &d_b}; }
    void zero_grad() {
      g_ab.zero_grad();
      g_ba.zero_grad();
    }
  };
  const auto lsgan = [](const Tensor& d_out) {
    return mse_loss(d_out, Tensor::full(d_out.shape(), 1.0, d_out.dtype(), d_out.device()));
  };
  // The six terms, in the trainer's order.
  const auto terms = [&](Nets& n, const Tensor& a, const Tensor& b) {
    const Tensor fake_b = n.g_ab(a), rec_a = n.g_ba(fake_b), fake_a = n.g_ba(b), rec_b = n.g_ab(fake_a);
    return std::vector<Tensor>{lsgan(n.d_b(fake_b)), lsgan(n.d_a(fake_a)), l1_loss(rec_a, a), l1_loss(rec_b, b),
                               l1_loss(n.g_ab(b), b), l1_loss(n.g_ba(a), a)};
  };
  const char* names[] = {"adversarial A->B", "adversarial B->A", "cycle A", "cycle B", "identity B", "identity A"};
  Rng rng_cpu(41), rng_cuda(41), data(42);
  Nets cpu(gc, dc, rng_cpu), cuda(gc, dc, rng_cuda);
  for (Module* m : cuda.all()) m->to(Device::cuda());
  const Tensor a = Tensor::rand({2, 1, 16, 16}, data, DType::F32, Device::cpu(), -1, 1);
  const Tensor b = Tensor::rand({2, 1, 16, 16}, data, DType::F32, Device::cpu(), -1, 1);
  const auto total = [](const std::vector<Tensor>& t) {
    return add(add(t[0], t[1]), add(mul(add(t[2], t[3]), 10.0), mul(add(t[4], t[5]), 5.0)));
  };
  for (size_t k = 0; k <= 6; ++k) {
    SCOPED_TRACE(k < 6 ? names[k] : "all six terms");
    cpu.zero_grad();
    cuda.zero_grad();
    const std::vector<Tensor> on_cpu = terms(cpu, a, b);
    const std::vector<Tensor> on_cuda = terms(cuda, a.to(Device::cuda()), b.to(Device::cuda()));
    const Tensor want = k < 6 ? on_cpu[k] : total(on_cpu);
    const Tensor got = k < 6 ? on_cuda[k] : total(on_cuda);
    EXPECT_NEAR(got.item(), want.item(), 1e-5 * std::abs(want.item()));
    want.backward();
    got.backward();
    expect_gradients_match(cpu.g_ab.named_parameters(), cuda.g_ab.named_parameters(), kTol);
    expect_gradients_match(cpu.g_ba.named_parameters(), cuda.g_ba.named_parameters(), kTol);
  }
}

}  // namespace
}  // namespace gan
