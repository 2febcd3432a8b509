// The CUDA convolutions (all 12 functions: forward, backward-data and
// backward-weight of conv2d and conv_transpose2d, fast and naive) against the
// CPU reference, on fresh random inputs (magnitudes in [0.1, 1], random signs),
// with every output poisoned with NaN before each run.
//
// Bound: ||gpu - ref|| / ||ref|| <= 1e-5, where ref is the CPU reference
// computed in double from the same float inputs, so the bound measures the GPU
// kernel's float32 rounding alone (about sqrt(K/2) * 6e-8 for a sum of K
// random terms: 3e-6 for the longest unsplit sums here, K = 256*16). Fast
// against naive, two float32 results: 2e-5.
//
// Shapes: every layer of the 64x64 DCGAN (nz = 100, ngf = ndf = 64) at batch
// 1, 2, 64 and 128, the 28x28 DCGAN's layers, and odd shapes (sizes that are
// no multiple of any tile, stride 2 on odd sizes, stride 3, output_padding,
// kernels smaller than the stride, channels just above a tile). Bias on every
// other shape. The GPU always runs the whole batch. Forward and backward-data
// are per image, so for batches above 3 the CPU reference is computed for
// images 0, N/2 and N-1 only (keeping the test to seconds); that every other
// element was written is checked (no NaN left), and fast and naive are
// compared on the whole output. The weight and bias gradients, which sum over
// the batch, are checked against the full CPU reference.
//
// On a GPU machine:
//   build/tests/gan_tests --gtest_filter='CudaConv*:ConvImplicitGemm*'
//   compute-sanitizer --tool memcheck  build/tests/gan_tests --gtest_filter='CudaConv.EdgeShapes'
//   compute-sanitizer --tool racecheck build/tests/gan_tests --gtest_filter='CudaConv.EdgeShapes'
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/cuda_runtime.h"
#include "kernels/conv/implicit_gemm.h"
#include "tests/kernels/conv_test_util.h"
#include "tests/kernels/cuda_test_util.h"

namespace gan {
namespace {

#ifndef GAN_HAVE_CUDA

TEST(CudaConv, NeedsTheCudaBackend) {
  GTEST_SKIP() << "CPU-only build (configured without nvcc): the CUDA convolution tests are not compiled";
}

#else  // GAN_HAVE_CUDA

using test::close;
using test::DeviceBuffer;
using test::random_vector;

constexpr double kTolReference = 1e-5;
constexpr double kTolFastVsNaive = 2e-5;

using test::Conv2dOp;
using test::ConvCase;
using test::ConvTranspose2dOp;

// The GPU functions of each op: the fast and the naive set.
template <typename Params>
struct GpuFunctions {
  void (*forward)(const float*, const float*, const float*, float*, const Params&);
  void (*backward_data)(const float*, const float*, float*, const Params&);
  void (*backward_weight)(const float*, const float*, float*, float*, const Params&);
};

template <typename Op>
struct Gpu;
template <>
struct Gpu<Conv2dOp> {
  static constexpr GpuFunctions<Conv2dParams> kFast{cuda::conv2d_forward, cuda::conv2d_backward_data,
                                                    cuda::conv2d_backward_weight};
  static constexpr GpuFunctions<Conv2dParams> kNaive{cuda::conv2d_forward_naive, cuda::conv2d_backward_data_naive,
                                                     cuda::conv2d_backward_weight_naive};
};
template <>
struct Gpu<ConvTranspose2dOp> {
  static constexpr GpuFunctions<ConvTranspose2dParams> kFast{
      cuda::conv_transpose2d_forward, cuda::conv_transpose2d_backward_data, cuda::conv_transpose2d_backward_weight};
  static constexpr GpuFunctions<ConvTranspose2dParams> kNaive{cuda::conv_transpose2d_forward_naive,
                                                              cuda::conv_transpose2d_backward_data_naive,
                                                              cuda::conv_transpose2d_backward_weight_naive};
};

std::vector<double> to_double(const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); }
std::vector<float> to_float(const std::vector<double>& v) {
  std::vector<float> r(v.size());
  for (size_t i = 0; i < v.size(); ++i) r[i] = static_cast<float>(v[i]);
  return r;
}

// The images the per-image reference is computed for.
std::vector<int64_t> sampled_images(int64_t N) {
  if (N <= 3) {
    std::vector<int64_t> all;
    for (int64_t n = 0; n < N; ++n) all.push_back(n);
    return all;
  }
  return {0, N / 2, N - 1};
}

template <typename T>
std::vector<T> take_images(const std::vector<T>& t, int64_t image_size, const std::vector<int64_t>& images) {
  std::vector<T> r;
  for (int64_t n : images) r.insert(r.end(), t.begin() + n * image_size, t.begin() + (n + 1) * image_size);
  return r;
}

::testing::AssertionResult all_written(const std::vector<float>& v) {
  for (size_t i = 0; i < v.size(); ++i)
    if (!std::isfinite(v[i])) return ::testing::AssertionFailure() << "element " << i << " is " << v[i];
  return ::testing::AssertionSuccess();
}

// The GPU results of one implementation.
struct Results {
  std::vector<float> y, dx, dw, db;
};

template <typename Op>
Results run_gpu(const GpuFunctions<typename Op::Params>& gpu, const typename Op::Params& p, const ConvCase& c,
                const DeviceBuffer& x, const DeviceBuffer& w, const DeviceBuffer& b, const DeviceBuffer& dy) {
  DeviceBuffer y(dy.size()), dx(x.size()), dw(w.size()), db(static_cast<size_t>(p.K));
  y.poison();
  dx.poison();
  dw.poison();
  db.poison();
  gpu.forward(x.get(), w.get(), c.bias ? b.get() : nullptr, y.get(), p);
  gpu.backward_data(dy.get(), w.get(), dx.get(), p);
  gpu.backward_weight(x.get(), dy.get(), dw.get(), c.bias ? db.get() : nullptr, p);
  Results r{y.download(), dx.download(), dw.download(), {}};
  if (c.bias) r.db = db.download();
  return r;
}

template <typename Op>
void check_case(const ConvCase& c, std::mt19937& rng) {
  const typename Op::Params p = Op::params(c, c.N);
  SCOPED_TRACE(std::string(Op::kName) + " " + test::describe(c));
  const int64_t x_image = p.C * p.H * p.W, y_image = p.K * p.P * p.Q;
  const std::vector<float> x = random_vector(static_cast<size_t>(p.N * x_image), rng);
  const std::vector<float> w = random_vector(static_cast<size_t>(Op::w_size(p)), rng);
  const std::vector<float> b = random_vector(static_cast<size_t>(p.K), rng);
  const std::vector<float> dy = random_vector(static_cast<size_t>(p.N * y_image), rng);

  // CPU reference in double: per image on a sample, the batch sums in full.
  const std::vector<int64_t> images = sampled_images(p.N);
  const typename Op::Params ps = Op::params(c, static_cast<int64_t>(images.size()));
  const std::vector<double> xs = to_double(take_images(x, x_image, images));
  const std::vector<double> dys = to_double(take_images(dy, y_image, images));
  const std::vector<double> wd = to_double(w);
  const std::vector<double> bd = to_double(b);
  const std::vector<double> xd = to_double(x);
  const std::vector<double> dyd = to_double(dy);
  std::vector<double> y_ref(dys.size());
  std::vector<double> dx_ref(xs.size());
  std::vector<double> dw_ref(w.size());
  std::vector<double> db_ref(b.size());
  Op::cpu_forward(xs.data(), wd.data(), c.bias ? bd.data() : nullptr, y_ref.data(), ps);
  Op::cpu_backward_data(dys.data(), wd.data(), dx_ref.data(), ps);
  Op::cpu_backward_weight(xd.data(), dyd.data(), dw_ref.data(), db_ref.data(), p);

  const DeviceBuffer dev_x(x), dev_w(w), dev_b(b), dev_dy(dy);
  const Results fast = run_gpu<Op>(Gpu<Op>::kFast, p, c, dev_x, dev_w, dev_b, dev_dy);
  const Results naive = run_gpu<Op>(Gpu<Op>::kNaive, p, c, dev_x, dev_w, dev_b, dev_dy);
  for (const Results* r : {&fast, &naive}) {
    const char* impl = r == &fast ? "fast" : "naive";
    EXPECT_TRUE(all_written(r->y)) << impl << " forward";
    EXPECT_TRUE(close(take_images(r->y, y_image, images), to_float(y_ref), kTolReference)) << impl << " forward";
    EXPECT_TRUE(all_written(r->dx)) << impl << " backward-data";
    EXPECT_TRUE(close(take_images(r->dx, x_image, images), to_float(dx_ref), kTolReference))
        << impl << " backward-data";
    EXPECT_TRUE(close(r->dw, to_float(dw_ref), kTolReference)) << impl << " backward-weight";
    if (c.bias) {
      EXPECT_TRUE(close(r->db, to_float(db_ref), kTolReference)) << impl << " bias gradient";
    }
  }
  EXPECT_TRUE(close(fast.y, naive.y, kTolFastVsNaive)) << "fast vs naive forward";
  EXPECT_TRUE(close(fast.dx, naive.dx, kTolFastVsNaive)) << "fast vs naive backward-data";
  EXPECT_TRUE(close(fast.dw, naive.dw, kTolFastVsNaive)) << "fast vs naive backward-weight";
}

template <typename Op>
void check_cases(const std::vector<ConvCase>& cases, uint32_t seed) {
  std::mt19937 rng(seed);
  for (const ConvCase& c : cases) check_case<Op>(c, rng);
}

// A network's layers at several batch sizes, with a bias on every other shape.
std::vector<ConvCase> at_batches(const std::vector<ConvCase>& layers, const std::vector<int64_t>& batches) {
  std::vector<ConvCase> cases;
  for (int64_t n : batches)
    for (ConvCase c : layers) {
      c.N = n;
      c.bias = cases.size() % 2 == 0;
      cases.push_back(c);
    }
  return cases;
}

const std::vector<int64_t> kDcganBatches = {1, 2, 64, 128};

// N, C, H, W, K, R, S, stride, pad, output_padding, bias (N and bias set by at_batches)
const std::vector<ConvCase> kDcgan64Generator = {
    {0, 100, 1, 1, 512, 4, 4, 1, 0, 0, false},   // nz -> 4x4
    {0, 512, 4, 4, 256, 4, 4, 2, 1, 0, false},   // 4 -> 8
    {0, 256, 8, 8, 128, 4, 4, 2, 1, 0, false},   // 8 -> 16
    {0, 128, 16, 16, 64, 4, 4, 2, 1, 0, false},  // 16 -> 32
    {0, 64, 32, 32, 3, 4, 4, 2, 1, 0, false},    // 32 -> 64, RGB
};
const std::vector<ConvCase> kDcgan64Discriminator = {
    {0, 3, 64, 64, 64, 4, 4, 2, 1, 0, false},     // 64 -> 32
    {0, 64, 32, 32, 128, 4, 4, 2, 1, 0, false},   // 32 -> 16
    {0, 128, 16, 16, 256, 4, 4, 2, 1, 0, false},  // 16 -> 8
    {0, 256, 8, 8, 512, 4, 4, 2, 1, 0, false},    // 8 -> 4
    {0, 512, 4, 4, 1, 4, 4, 1, 0, 0, false},      // 4 -> 1, one logit
};

TEST(CudaConv, Dcgan64GeneratorLayers) {
  GAN_SKIP_WITHOUT_CUDA();
  check_cases<ConvTranspose2dOp>(at_batches(kDcgan64Generator, kDcganBatches), 11);
}

TEST(CudaConv, Dcgan64DiscriminatorLayers) {
  GAN_SKIP_WITHOUT_CUDA();
  check_cases<Conv2dOp>(at_batches(kDcgan64Discriminator, kDcganBatches), 12);
}

TEST(CudaConv, Dcgan28Layers) {
  GAN_SKIP_WITHOUT_CUDA();
  const std::vector<ConvCase> generator = {
      {0, 100, 1, 1, 128, 7, 7, 1, 0, 0, false},  // nz -> 7x7
      {0, 128, 7, 7, 64, 4, 4, 2, 1, 0, false},   // 7 -> 14
      {0, 64, 14, 14, 1, 4, 4, 2, 1, 0, false},   // 14 -> 28, one channel
  };
  const std::vector<ConvCase> discriminator = {
      {0, 1, 28, 28, 64, 4, 4, 2, 1, 0, false},    // 28 -> 14
      {0, 64, 14, 14, 128, 4, 4, 2, 1, 0, false},  // 14 -> 7
      {0, 128, 7, 7, 1, 7, 7, 1, 0, 0, false},     // 7 -> 1
  };
  check_cases<ConvTranspose2dOp>(at_batches(generator, {1, 64}), 21);
  check_cases<Conv2dOp>(at_batches(discriminator, {1, 64}), 22);
}

TEST(CudaConv, EdgeShapes) {
  GAN_SKIP_WITHOUT_CUDA();
  const std::vector<ConvCase> conv = {
      {3, 5, 9, 7, 6, 3, 3, 1, 1, 0, true},      // odd sizes, same padding
      {2, 5, 33, 31, 7, 3, 3, 2, 1, 0, false},   // stride 2 on odd sizes
      {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, true},      // one element
      {5, 130, 7, 7, 129, 3, 3, 1, 1, 0, true},  // channels just above the tiles
      {2, 3, 10, 11, 4, 3, 2, 3, 2, 0, false},   // stride 3, non-square kernel, unused last rows
      {3, 4, 9, 9, 5, 1, 1, 2, 0, 0, true},      // 1x1 kernel, stride 2: scatter phases without taps
      {1, 17, 5, 5, 1, 5, 5, 1, 0, 0, false},    // the dense scatter, K = 1
  };
  const std::vector<ConvCase> conv_t = {
      {2, 6, 5, 5, 4, 3, 3, 2, 1, 1, true},    // output_padding 1
      {1, 3, 4, 3, 5, 3, 2, 3, 1, 2, false},   // stride 3, output_padding 2
      {3, 4, 5, 6, 3, 1, 1, 2, 0, 1, true},    // kernel smaller than the stride
      {3, 8, 1, 1, 5, 4, 4, 2, 0, 1, false},   // 1x1 input with output_padding (not dense)
      {2, 7, 9, 9, 130, 3, 3, 1, 1, 0, true},  // 130 output channels
      {4, 33, 3, 5, 17, 5, 3, 2, 2, 1, true},  // everything odd
  };
  check_cases<Conv2dOp>(conv, 31);
  check_cases<ConvTranspose2dOp>(conv_t, 32);
  // And the small shapes the CPU-side emulation of the kernel checks (conv_test_util.h).
  check_cases<Conv2dOp>(test::conv2d_edge_cases(), 33);
  check_cases<ConvTranspose2dOp>(test::conv_transpose2d_edge_cases(), 34);
}

// Every tile the launcher can run, in 32-bit and in 64-bit indices, forced on
// the edge shapes and on two DCGAN layers (the sweep of bench_kernels_cuda
// --conv-tiles times them; whichever plan_gemm picks must be correct).
TEST(CudaConv, EveryTileAndIndexWidth) {
  GAN_SKIP_WITHOUT_CUDA();
  const std::vector<ConvCase> conv = {
      {2, 5, 33, 31, 7, 3, 3, 2, 1, 0, true},    // stride 2 on odd sizes
      {5, 130, 7, 7, 129, 3, 3, 1, 1, 0, true},  // channels just above the tiles
      {3, 4, 9, 9, 5, 1, 1, 2, 0, 0, true},      // scatter phases without taps
      {1, 17, 5, 5, 1, 5, 5, 1, 0, 0, false},    // the dense scatter
      {2, 64, 32, 32, 128, 4, 4, 2, 1, 0, false},  // D2
  };
  const std::vector<ConvCase> conv_t = {
      {4, 33, 3, 5, 17, 5, 3, 2, 2, 1, true},   // everything odd
      {2, 64, 32, 32, 3, 4, 4, 2, 1, 0, false},  // G5: M = 3
  };
  for (const conv_gemm::TileKind tile : conv_gemm::kAllTiles)
    for (const bool index32 : {false, true}) {
      SCOPED_TRACE(std::string(conv_gemm::tile_name(tile)) + (index32 ? ", 32-bit indices" : ", 64-bit indices"));
      const cuda::ForceGemmKernel force(tile, index32);
      check_cases<Conv2dOp>(conv, 35);
      check_cases<ConvTranspose2dOp>(conv_t, 36);
    }
}

// Split-K adds its partials in a fixed order: the same inputs give the same bits.
TEST(CudaConv, WeightGradientIsDeterministic) {
  GAN_SKIP_WITHOUT_CUDA();
  std::mt19937 rng(41);
  const Conv2dParams p = make_conv2d_params(64, 3, 64, 64, 64, 4, 4, 2, 1);  // long K: split
  const DeviceBuffer x(random_vector(static_cast<size_t>(p.N * p.C * p.H * p.W), rng));
  const DeviceBuffer dy(random_vector(static_cast<size_t>(p.N * p.K * p.P * p.Q), rng));
  DeviceBuffer dw1(static_cast<size_t>(p.K * p.C * p.R * p.S)), dw2(dw1.size()), db1(64), db2(64);
  cuda::conv2d_backward_weight(x.get(), dy.get(), dw1.get(), db1.get(), p);
  cuda::conv2d_backward_weight(x.get(), dy.get(), dw2.get(), db2.get(), p);
  EXPECT_EQ(dw1.download(), dw2.download());
  EXPECT_EQ(db1.download(), db2.download());
}

#endif  // GAN_HAVE_CUDA

}  // namespace
}  // namespace gan
