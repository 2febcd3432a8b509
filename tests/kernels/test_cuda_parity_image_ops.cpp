// GPU kernels of the image-to-image ops (instance norm, reflection pad,
// dropout) against the CPU reference (float) on the same random inputs, and
// the ops themselves (instance_norm2d, reflection_pad2d, dropout, concat) on
// CUDA tensors against the same ops on the CPU, through autograd. Outputs are
// poisoned with NaN first, so an element a kernel never writes fails.
//
// Bounds, on ||gpu - cpu|| / ||cpu||:
//   0     reflection pad forward and backward (copies, and the same float
//         additions in the same order), dropout masks and outputs (the same
//         Philox words, one float multiply), concat (copies)
//   1e-5  instance norm: both sides accumulate each plane's sums in double
//         and evaluate the same float expression per element, so they differ
//         by a few float roundings (contraction to FMA on the GPU, the
//         variance as E[x^2] - mean^2 there and two-pass here).
// Without a device (or in a CPU-only build) every test here skips.
//
// On a GPU machine:
//   build/tests/gan_tests --gtest_filter='CudaParityImageOps.*'
//   compute-sanitizer --tool memcheck build/tests/gan_tests --gtest_filter='CudaParityImageOps.*'
//   compute-sanitizer --tool racecheck build/tests/gan_tests --gtest_filter='CudaParityImageOps.InstanceNorm*'
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/cuda_runtime.h"
#include "core/ops.h"
#include "core/random.h"
#include "tests/kernels/cuda_test_util.h"

#ifdef GAN_HAVE_CUDA
#include "kernels/dropout/dropout.h"
#include "kernels/instance_norm2d/instance_norm2d.h"
#include "kernels/reflection_pad2d/reflection_pad2d.h"
#endif

namespace gan {
namespace {

using test::close;
using test::numel;
using test::random_vector;
using test::Shape;

constexpr double kTolNorm = 1e-5;

#ifdef GAN_HAVE_CUDA

using test::DeviceBuffer;

// ---- instance norm (kernels) --------------------------------------------------------

// CycleGAN's largest planes (stem: 64 x 256 x 256, batch 1) and its residual
// blocks (256 x 64 x 64); a batch; planes below, at and above a warp and the
// 512-thread block; U-Net's 2x2 planes.
const std::vector<Shape> kNormShapes = {{1, 64, 256, 256}, {1, 256, 64, 64}, {4, 8, 16, 16}, {2, 3, 5, 7},
                                        {3, 5, 1, 2},      {1, 2, 33, 31},   {2, 4, 2, 2},   {2, 3, 23, 23}};

InstanceNorm2dParams norm_params(const Shape& s) {
  InstanceNorm2dParams p;
  p.N = s[0];
  p.C = s[1];
  p.HW = s[2] * s[3];
  p.eps = 1e-5;
  return p;
}

struct NormInputs {
  std::vector<float> x, dy, gamma, beta;
};

NormInputs norm_inputs(const Shape& s, std::mt19937& rng) {
  NormInputs in;
  in.x = random_vector(static_cast<size_t>(numel(s)), rng, 0.1f, 2.0f);
  for (float& v : in.x) v += 0.5f;  // a non-zero mean
  in.dy = random_vector(in.x.size(), rng);
  in.gamma = random_vector(static_cast<size_t>(s[1]), rng, 0.5f, 1.5f);
  in.beta = random_vector(static_cast<size_t>(s[1]), rng);
  return in;
}

TEST(CudaParityImageOps, InstanceNormForward) {
  GAN_SKIP_WITHOUT_CUDA();
  std::mt19937 rng(201);
  for (const Shape& s : kNormShapes) {
    for (bool affine : {true, false}) {
      const InstanceNorm2dParams p = norm_params(s);
      const NormInputs in = norm_inputs(s, rng);
      const size_t n = in.x.size(), planes = static_cast<size_t>(p.N * p.C);
      const float* gamma = affine ? in.gamma.data() : nullptr;
      const float* beta = affine ? in.beta.data() : nullptr;
      std::vector<float> y(n), mean(planes), invstd(planes);
      cpu::instance_norm2d_forward<float>(in.x.data(), gamma, beta, y.data(), mean.data(), invstd.data(), p);

      DeviceBuffer dx(in.x), dg(in.gamma), db(in.beta), dy(n), dmean(planes), dinvstd(planes);
      dy.poison();
      dmean.poison();
      dinvstd.poison();
      cuda::instance_norm2d_forward(dx.get(), affine ? dg.get() : nullptr, affine ? db.get() : nullptr, dy.get(),
                                    dmean.get(), dinvstd.get(), p);
      const std::string what = test::to_string(s) + (affine ? " affine" : " plain");
      EXPECT_TRUE(close(dy.download(), y, kTolNorm)) << "y " << what;
      EXPECT_TRUE(close(dmean.download(), mean, kTolNorm)) << "save_mean " << what;
      EXPECT_TRUE(close(dinvstd.download(), invstd, kTolNorm)) << "save_invstd " << what;
    }
  }
}

TEST(CudaParityImageOps, InstanceNormBackward) {
  GAN_SKIP_WITHOUT_CUDA();
  std::mt19937 rng(202);
  for (const Shape& s : kNormShapes) {
    for (bool affine : {true, false}) {
      const InstanceNorm2dParams p = norm_params(s);
      const NormInputs in = norm_inputs(s, rng);
      const size_t n = in.x.size(), planes = static_cast<size_t>(p.N * p.C), C = static_cast<size_t>(p.C);
      const float* gamma = affine ? in.gamma.data() : nullptr;
      // The saved statistics come from the CPU forward; both sides use them.
      std::vector<float> y(n), mean(planes), invstd(planes), dx(n), dgamma(C), dbeta(C);
      cpu::instance_norm2d_forward<float>(in.x.data(), gamma, nullptr, y.data(), mean.data(), invstd.data(), p);
      cpu::instance_norm2d_backward<float>(in.x.data(), in.dy.data(), gamma, mean.data(), invstd.data(), dx.data(),
                                           dgamma.data(), dbeta.data(), p);

      DeviceBuffer d_x(in.x), d_dy(in.dy), d_g(in.gamma), d_mean(mean), d_invstd(invstd), d_dx(n), d_dg(C),
          d_db(C);
      d_dx.poison();
      d_dg.poison();
      d_db.poison();
      cuda::instance_norm2d_backward(d_x.get(), d_dy.get(), affine ? d_g.get() : nullptr, d_mean.get(),
                                     d_invstd.get(), d_dx.get(), d_dg.get(), d_db.get(), p);
      const std::string what = test::to_string(s) + (affine ? " affine" : " plain");
      // dx against the size of its terms: over two values per plane it cancels to ~eps/var of them.
      const double scale = test::norm_dx_scale(in.dy, gamma, invstd, p.N, p.C, p.HW, true);
      EXPECT_TRUE(close(d_dx.download(), dx, kTolNorm, scale)) << "dx " << what;
      EXPECT_TRUE(close(d_dg.download(), dgamma, kTolNorm)) << "dgamma " << what;
      EXPECT_TRUE(close(d_db.download(), dbeta, kTolNorm)) << "dbeta " << what;

      // Only dx (no parameter gradients: no scratch, no second kernel), and only
      // the parameter gradients (no dx): the same values, bit for bit.
      DeviceBuffer dx_only(n), dg_only(C), db_only(C);
      dx_only.poison();
      cuda::instance_norm2d_backward(d_x.get(), d_dy.get(), affine ? d_g.get() : nullptr, d_mean.get(),
                                     d_invstd.get(), dx_only.get(), nullptr, nullptr, p);
      EXPECT_EQ(dx_only.download(), d_dx.download()) << what;
      dg_only.poison();
      db_only.poison();
      cuda::instance_norm2d_backward(d_x.get(), d_dy.get(), affine ? d_g.get() : nullptr, d_mean.get(),
                                     d_invstd.get(), nullptr, dg_only.get(), db_only.get(), p);
      EXPECT_EQ(dg_only.download(), d_dg.download()) << what;
      EXPECT_EQ(db_only.download(), d_db.download()) << what;
    }
  }
}

TEST(CudaParityImageOps, InstanceNormIsBitwiseDeterministic) {
  GAN_SKIP_WITHOUT_CUDA();
  std::mt19937 rng(203);
  const Shape s = {8, 16, 64, 64};
  const InstanceNorm2dParams p = norm_params(s);
  const NormInputs in = norm_inputs(s, rng);
  const size_t n = in.x.size(), planes = static_cast<size_t>(p.N * p.C), C = static_cast<size_t>(p.C);
  DeviceBuffer x(in.x), dy(in.dy), g(in.gamma), b(in.beta), y(n), mean(planes), invstd(planes), dx(n), dg(C), db(C);
  auto run = [&] {
    cuda::instance_norm2d_forward(x.get(), g.get(), b.get(), y.get(), mean.get(), invstd.get(), p);
    cuda::instance_norm2d_backward(x.get(), dy.get(), g.get(), mean.get(), invstd.get(), dx.get(), dg.get(), db.get(),
                                   p);
    std::vector<float> all = y.download();
    for (const DeviceBuffer* buf : {&dx, &dg, &db}) {
      const auto v = buf->download();
      all.insert(all.end(), v.begin(), v.end());
    }
    return all;
  };
  const auto first = run();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(run(), first);
}

// ---- reflection pad (kernels) ------------------------------------------------------

TEST(CudaParityImageOps, ReflectionPad) {
  GAN_SKIP_WITHOUT_CUDA();
  std::mt19937 rng(204);
  struct Case {
    Shape s;
    int64_t pad;
  };
  const std::vector<Case> cases = {{{1, 3, 256, 256}, 3}, {{1, 256, 64, 64}, 1}, {{2, 3, 5, 7}, 4},
                                   {{3, 2, 4, 4}, 3},     {{1, 1, 2, 2}, 1},     {{2, 4, 3, 1}, 0},
                                   {{4, 64, 35, 17}, 2}};
  for (const Case& c : cases) {
    ReflectionPad2dParams p;
    p.planes = c.s[0] * c.s[1];
    p.H = c.s[2];
    p.W = c.s[3];
    p.pad = c.pad;
    const auto n_in = static_cast<size_t>(numel(c.s)), n_out = static_cast<size_t>(p.planes * p.out_h() * p.out_w());
    const auto x = random_vector(n_in, rng), dy = random_vector(n_out, rng);
    std::vector<float> y(n_out), dx(n_in);
    cpu::reflection_pad2d_forward<float>(x.data(), y.data(), p);
    cpu::reflection_pad2d_backward<float>(dy.data(), dx.data(), p);

    DeviceBuffer d_x(x), d_dy(dy), d_y(n_out), d_dx(n_in);
    d_y.poison();
    d_dx.poison();
    cuda::reflection_pad2d_forward(d_x.get(), d_y.get(), p);
    cuda::reflection_pad2d_backward(d_dy.get(), d_dx.get(), p);
    const std::string what = test::to_string(c.s) + " pad " + std::to_string(c.pad);
    EXPECT_TRUE(close(d_y.download(), y, 0.0)) << "forward " << what;
    EXPECT_TRUE(close(d_dx.download(), dx, 0.0)) << "backward " << what;
  }
}

// ---- dropout (kernel) --------------------------------------------------------------

TEST(CudaParityImageOps, DropoutMaskIsTheCpuMask) {
  GAN_SKIP_WITHOUT_CUDA();
  std::mt19937 rng(205);
  // Counters near 2^32 make the blocks carry into the counter's second word;
  // the seed's high word is set too.
  const std::vector<uint64_t> counters = {0, 12345, 0xFFFFFFFFull - 2};
  for (int64_t n : {int64_t{1}, int64_t{7}, int64_t{1000003}, int64_t{64 * 128 * 16 * 16}}) {
    for (double p : {0.5, 0.1, 0.9}) {
      for (uint64_t counter : counters) {
        DropoutParams d;
        d.n = n;
        d.seed = 0x1234567890abcdefull;
        d.counter = counter;
        d.threshold = dropout_draw::threshold_for(p);
        d.scale = 1.0 / (1.0 - p);
        const auto x = random_vector(static_cast<size_t>(n), rng);
        std::vector<float> y(x.size()), mask(x.size());
        cpu::dropout_forward<float>(x.data(), y.data(), mask.data(), d);
        DeviceBuffer d_x(x), d_y(x.size()), d_mask(x.size());
        d_y.poison();
        d_mask.poison();
        cuda::dropout_forward(d_x.get(), d_y.get(), d_mask.get(), d);
        const std::string what = "n=" + std::to_string(n) + " p=" + std::to_string(p) + " counter=" +
                                 std::to_string(counter);
        EXPECT_EQ(d_mask.download(), mask) << what;
        EXPECT_EQ(d_y.download(), y) << what;
      }
    }
  }
}

TEST(CudaParityImageOps, EmptyInputsLaunchNothing) {
  GAN_SKIP_WITHOUT_CUDA();
  InstanceNorm2dParams np;
  np.N = 0;
  np.C = 3;
  np.HW = 4;
  ReflectionPad2dParams rp;
  rp.planes = 0;
  rp.H = rp.W = 4;
  rp.pad = 1;
  DropoutParams dp;
  dp.n = 0;
  EXPECT_NO_THROW({
    cuda::instance_norm2d_forward(nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, np);
    cuda::instance_norm2d_backward(nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, np);
    cuda::reflection_pad2d_forward(nullptr, nullptr, rp);
    cuda::reflection_pad2d_backward(nullptr, nullptr, rp);
    cuda::dropout_forward(nullptr, nullptr, nullptr, dp);
    cuda::synchronize();
  });
}

#endif  // GAN_HAVE_CUDA

// ---- the ops on CUDA tensors, through autograd ----------------------------------------
// These use only the Tensor API, so they compile in every build.

// Runs f on CPU copies and on CUDA copies of the inputs (leaves with
// requires_grad), backpropagates sum(f(inputs) * w) on both, and compares the
// outputs and every input's gradient with the bound `tol`.
void expect_op_parity(const std::function<Tensor(const std::vector<Tensor>&)>& f, const std::vector<Shape>& shapes,
                      double tol, uint64_t seed, const std::string& what) {
  Rng rng(seed);
  std::vector<Tensor> cpu_in, gpu_in;
  for (const Shape& s : shapes) {
    Tensor t = Tensor::randn(s, rng);
    cpu_in.push_back(t.clone().set_requires_grad(true));
    gpu_in.push_back(t.to(Device::cuda()).set_requires_grad(true));
  }
  const Tensor cpu_out = f(cpu_in), gpu_out = f(gpu_in);
  const Tensor w = Tensor::randn(cpu_out.shape(), rng);
  sum(mul(cpu_out, w)).backward();
  sum(mul(gpu_out, w.to(Device::cuda()))).backward();
  EXPECT_TRUE(close(gpu_out.to_vector<float>(), cpu_out.to_vector<float>(), tol)) << "output " << what;
  for (size_t k = 0; k < shapes.size(); ++k) {
    ASSERT_TRUE(gpu_in[k].grad().defined()) << what << " input " << k;
    EXPECT_TRUE(close(gpu_in[k].grad().to_vector<float>(), cpu_in[k].grad().to_vector<float>(), tol))
        << "gradient of input " << k << ", " << what;
  }
}

TEST(CudaParityImageOps, ConcatOfChannelsOp) {
  GAN_SKIP_WITHOUT_CUDA();
  // U-Net skips: [N, C1, H, W] ++ [N, C2, H, W] along channels (a strided
  // window of the output per input), and a non-contiguous input.
  expect_op_parity([](const std::vector<Tensor>& t) { return concat({t[0], t[1]}, 1); },
                   {{2, 64, 32, 32}, {2, 64, 32, 32}}, 0.0, 206, "skip 64+64");
  expect_op_parity([](const std::vector<Tensor>& t) { return concat({t[0], t[1].transpose(2, 3), t[2]}, 1); },
                   {{3, 1, 5, 7}, {3, 2, 7, 5}, {3, 3, 5, 7}}, 0.0, 207, "three inputs, one transposed");
}

TEST(CudaParityImageOps, InstanceNormOp) {
  GAN_SKIP_WITHOUT_CUDA();
  expect_op_parity([](const std::vector<Tensor>& t) { return instance_norm2d(t[0], t[1], t[2]); },
                   {{2, 8, 16, 16}, {8}, {8}}, kTolNorm, 208, "affine");
  expect_op_parity([](const std::vector<Tensor>& t) { return instance_norm2d(t[0], Tensor(), Tensor()); },
                   {{1, 16, 64, 64}}, kTolNorm, 209, "plain");
}

TEST(CudaParityImageOps, ReflectionPadOp) {
  GAN_SKIP_WITHOUT_CUDA();
  expect_op_parity([](const std::vector<Tensor>& t) { return reflection_pad2d(t[0], 3); }, {{2, 3, 32, 24}}, 0.0,
                   210, "pad 3");
}

// The same RNG state gives the same mask on both devices, and both
// advance the generator by the same number of blocks.
TEST(CudaParityImageOps, DropoutOpSameMaskOnBothDevices) {
  GAN_SKIP_WITHOUT_CUDA();
  Rng cpu_gen(77), gpu_gen(77);
  const Shape s = {4, 64, 32, 32};
  for (int step = 0; step < 3; ++step) {
    expect_op_parity(
        [&](const std::vector<Tensor>& t) {
          return dropout(t[0], 0.5, true, t[0].device().is_cuda() ? gpu_gen : cpu_gen);
        },
        {s}, 0.0, 211 + static_cast<uint64_t>(step), "step " + std::to_string(step));
    EXPECT_EQ(gpu_gen.counter(), cpu_gen.counter());
  }
  EXPECT_EQ(cpu_gen.counter(), 3 * static_cast<uint64_t>(numel(s) / 4));
}

}  // namespace
}  // namespace gan
