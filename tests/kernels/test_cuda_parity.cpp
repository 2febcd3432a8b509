// GPU kernels (gan::cuda) against the CPU reference (gan::cpu, float) on the
// same random inputs. Every output buffer is poisoned with NaN before a run, so
// an element the kernel never writes fails the comparison.
//
// Bounds, on ||gpu - cpu|| / ||cpu||:
//   1e-5  elementwise, activations, optimizers, loss gradients, gemm with K <= 1024
//   1e-4  reductions (sum_to, batch-norm statistics and everything downstream,
//         loss values, gemm with long K): float summation order differs
// Without a device (or in a CPU-only build) every test here skips.
//
// dx of a norm over two values per channel cancels to ~eps/var of its terms:
// it is measured against the terms' size (close(..., scale)), since float32
// on either device rounds them differently (the GPU fuses multiply-adds).
// On a GPU machine: bench/run_gpu.sh --sanitize (every CUDA test, then
// compute-sanitizer's memcheck with GAN_CUDA_NO_CACHING=1 and racecheck).
// (CUDA_LAUNCH_BLOCKING=1 pins an asynchronous fault to the launch that caused it.)
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/cuda/allocator_stats.h"
#include "core/cuda_runtime.h"
#include "core/error.h"
#include "tests/kernels/cuda_test_util.h"

#ifdef GAN_HAVE_CUDA
#include "kernels/activation/activation.h"
#include "kernels/batch_norm2d/batch_norm2d.h"
#include "kernels/elementwise/elementwise.h"
#include "kernels/loss/loss.h"
#include "kernels/matmul/matmul.h"
#include "kernels/optim/optim.h"
#include "kernels/reduce/reduce.h"
#endif

namespace gan {
namespace {

// Runs in every build: without a device the runtime must say so plainly.
TEST(CudaRuntime, RequireAvailableExplainsWhatToDo) {
  if (cuda::available()) {
    EXPECT_NO_THROW(cuda::require_available());
    EXPECT_FALSE(cuda::device_name().empty());
    return;
  }
  try {
    cuda::require_available();
    FAIL() << "require_available() did not throw without a device";
  } catch (const DeviceError& e) {
    EXPECT_NE(std::string(e.what()).find("--device cpu"), std::string::npos) << e.what();
  }
}

#ifndef GAN_HAVE_CUDA

TEST(CudaParity, NeedsTheCudaBackend) {
  GTEST_SKIP() << "CPU-only build (configured without nvcc): the CUDA parity tests are not compiled";
}

#else  // GAN_HAVE_CUDA

using test::close;
using test::contiguous_layout;
using test::DeviceBuffer;
using test::numel;
using test::random_vector;
using test::Shape;

constexpr double kTolElementwise = 1e-5;
constexpr double kTolReduction = 1e-4;

const Shape kDcgan = {64, 128, 16, 16};  // a DCGAN activation: 2M elements
// 1 element, odd, below/at/above the block size (256), large odd, DCGAN.
const std::vector<int64_t> kSizes = {1, 7, 255, 256, 257, 1000003, 64 * 128 * 16 * 16};

// out[i] = a op b over `out` with a and b broadcast (same rank, dims 1 or out's).
BroadcastIndexer make_broadcast(const Shape& out, const Shape& a, const Shape& b) {
  BroadcastIndexer ix;
  ix.rank = static_cast<int>(out.size());
  const StridedLayout la = contiguous_layout(a), lb = contiguous_layout(b);
  for (int d = 0; d < ix.rank; ++d) {
    ix.shape[d] = out[static_cast<size_t>(d)];
    ix.a_strides[d] = la.shape[d] == 1 ? 0 : la.strides[d];
    ix.b_strides[d] = lb.shape[d] == 1 ? 0 : lb.strides[d];
  }
  return ix;
}

const char* name(BinaryOp op) {
  switch (op) {
    case BinaryOp::Add: return "Add";
    case BinaryOp::Sub: return "Sub";
    case BinaryOp::Mul: return "Mul";
    case BinaryOp::Div: return "Div";
  }
  return "?";
}

const BinaryOp kBinaryOps[] = {BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div};

// ---- elementwise -----------------------------------------------------------------

void check_binary(BinaryOp op, const std::vector<float>& a, const std::vector<float>& b, const BroadcastIndexer& ix,
                  int64_t n, const std::string& what) {
  std::vector<float> ref(static_cast<size_t>(n));
  cpu::binary<float>(op, a.data(), b.data(), ref.data(), ix, n);
  DeviceBuffer da(a), db(b), dout(static_cast<size_t>(n));
  dout.poison();
  cuda::binary(op, da.get(), db.get(), dout.get(), ix, n);
  EXPECT_TRUE(close(dout.download(), ref, kTolElementwise)) << name(op) << " " << what;
}

TEST(CudaParity, BinarySameShape) {
  GAN_SKIP_WITHOUT_CUDA();
  std::mt19937 rng(101);
  for (int64_t n : kSizes) {
    const Shape s = n == numel(kDcgan) ? kDcgan : Shape{n};
    for (BinaryOp op : kBinaryOps) {
      const auto a = random_vector(static_cast<size_t>(n), rng);
      const auto b = random_vector(static_cast<size_t>(n), rng, 0.25f, 2.0f);  // |b| >= 0.25 for Div
      check_binary(op, a, b, make_broadcast(s, s, s), n, test::to_string(s));
    }
  }
}

TEST(CudaParity, BinaryBroadcast) {
  GAN_SKIP_WITHOUT_CUDA();
  std::mt19937 rng(102);
  struct Case {
    Shape out, a, b;
  };
  const std::vector<Case> cases = {
      {kDcgan, kDcgan, {1, 128, 1, 1}},  // + per-channel bias
      {kDcgan, {1, 128, 1, 1}, kDcgan},  // the scalar-like side first
      {{3, 4, 5}, {3, 1, 5}, {1, 4, 1}},
      {{5, 7}, {5, 7}, {1, 1}},
      {{1}, {1}, {1}},
      {{2, 3, 4, 5, 6, 7}, {2, 1, 4, 1, 6, 1}, {1, 3, 1, 5, 1, 7}},
      {{257, 33}, {1, 33}, {257, 1}},
      {{1, 1, 1}, {1, 1, 1}, {1, 1, 1}},
  };
  for (const Case& c : cases) {
    const int64_t n = numel(c.out);
    for (BinaryOp op : kBinaryOps) {
      const auto a = random_vector(static_cast<size_t>(numel(c.a)), rng);
      const auto b = random_vector(static_cast<size_t>(numel(c.b)), rng, 0.25f, 2.0f);
      check_binary(op, a, b, make_broadcast(c.out, c.a, c.b), n,
                   test::to_string(c.a) + " op " + test::to_string(c.b));
    }
  }
}

TEST(CudaParity, BinaryNonContiguousInput) {
  GAN_SKIP_WITHOUT_CUDA();
  std::mt19937 rng(103);
  for (const auto& [rows, cols] : std::vector<std::pair<int64_t, int64_t>>{{5, 7}, {300, 301}}) {
    // a is the transpose view of a [cols, rows] array; b is a contiguous [rows, cols].
    BroadcastIndexer ix;
    ix.rank = 2;
    ix.shape[0] = rows;
    ix.shape[1] = cols;
    ix.a_strides[0] = 1;
    ix.a_strides[1] = rows;
    ix.b_strides[0] = cols;
    ix.b_strides[1] = 1;
    const auto a = random_vector(static_cast<size_t>(rows * cols), rng);
    const auto b = random_vector(static_cast<size_t>(rows * cols), rng, 0.25f, 2.0f);
    for (BinaryOp op : kBinaryOps) check_binary(op, a, b, ix, rows * cols, "transposed a");
  }
}

TEST(CudaParity, BinaryScalar) {
  GAN_SKIP_WITHOUT_CUDA();
  std::mt19937 rng(104);
  for (int64_t n : kSizes) {
    const auto a = random_vector(static_cast<size_t>(n), rng, 0.25f, 2.0f);
    DeviceBuffer da(a), dout(static_cast<size_t>(n));
    for (BinaryOp op : kBinaryOps) {
      for (bool scalar_first : {false, true}) {
        const float s = -1.75f;
        std::vector<float> ref(static_cast<size_t>(n));
        cpu::binary_scalar<float>(op, a.data(), s, ref.data(), n, scalar_first);
        dout.poison();
        cuda::binary_scalar(op, da.get(), s, dout.get(), n, scalar_first);
        EXPECT_TRUE(close(dout.download(), ref, kTolElementwise))
            << name(op) << " n=" << n << " scalar_first=" << scalar_first;
      }
    }
  }
}

TEST(CudaParity, Unary) {
  GAN_SKIP_WITHOUT_CUDA();
  std::mt19937 rng(105);
  const UnaryOp ops[] = {UnaryOp::Neg, UnaryOp::Exp,  UnaryOp::Log,   UnaryOp::Sqrt,
                         UnaryOp::Abs, UnaryOp::Sign, UnaryOp::Square};
  for (int64_t n : kSizes) {
    for (UnaryOp op : ops) {
      const bool positive_only = op == UnaryOp::Log || op == UnaryOp::Sqrt;
      const auto x = random_vector(static_cast<size_t>(n), rng, 0.05f, 3.0f, !positive_only);
      std::vector<float> ref(static_cast<size_t>(n));
      cpu::unary<float>(op, x.data(), ref.data(), n);
      DeviceBuffer dx(x), dy(static_cast<size_t>(n));
      dy.poison();
      cuda::unary(op, dx.get(), dy.get(), n);
      EXPECT_TRUE(close(dy.download(), ref, kTolElementwise)) << "UnaryOp " << static_cast<int>(op) << " n=" << n;
    }
  }
}

TEST(CudaParity, Fill) {
  GAN_SKIP_WITHOUT_CUDA();
  for (int64_t n : kSizes) {
    for (float value : {0.0f, -0.0f, 3.25f}) {
      std::vector<float> ref(static_cast<size_t>(n));
      cpu::fill<float>(ref.data(), value, n);
      DeviceBuffer d(static_cast<size_t>(n));
      d.poison();
      cuda::fill(d.get(), value, n);
      EXPECT_TRUE(close(d.download(), ref, 0.0)) << "value " << value << " n=" << n;
    }
  }
}

// Copies src (a view into a buffer of src_size floats at src_offset) into dst (a
// view into a buffer of dst_size floats at dst_offset). The destination buffer
// starts with the same background on both sides, so elements outside the view
// are compared too; when the view covers the whole buffer it starts as NaN.
void check_strided_copy(const StridedLayout& src_l, size_t src_size, size_t src_offset, const StridedLayout& dst_l,
                        size_t dst_size, size_t dst_offset, std::mt19937& rng, const std::string& what) {
  const auto src = random_vector(src_size, rng);
  const size_t view = static_cast<size_t>(test::numel(Shape(src_l.shape, src_l.shape + src_l.rank)));
  const std::vector<float> background = view == dst_size ? test::nan_vector(dst_size) : random_vector(dst_size, rng);
  std::vector<float> ref = view == dst_size ? std::vector<float>(dst_size, 0.0f) : background;
  cpu::strided_copy<float>(src.data() + src_offset, src_l, ref.data() + dst_offset, dst_l);
  DeviceBuffer dsrc(src), ddst(background);
  cuda::strided_copy(dsrc.get() + src_offset, src_l, ddst.get() + dst_offset, dst_l);
  EXPECT_TRUE(close(ddst.download(), ref, 0.0)) << what;
}

TEST(CudaParity, StridedCopy) {
  GAN_SKIP_WITHOUT_CUDA();
  std::mt19937 rng(106);
  {  // transpose [65,33] -> contiguous [33,65]
    StridedLayout src = contiguous_layout({33, 65});
    src.strides[0] = 1;
    src.strides[1] = 33;
    check_strided_copy(src, 33 * 65, 0, contiguous_layout({33, 65}), 33 * 65, 0, rng, "transpose");
  }
  {  // NCHW [3,5,7,9] viewed as NHWC [3,7,9,5] -> contiguous NHWC
    StridedLayout src = contiguous_layout({3, 7, 9, 5});
    const int64_t strides[] = {5 * 7 * 9, 9, 1, 7 * 9};
    for (int d = 0; d < 4; ++d) src.strides[d] = strides[d];
    check_strided_copy(src, 3 * 5 * 7 * 9, 0, contiguous_layout({3, 7, 9, 5}), 3 * 5 * 7 * 9, 0, rng, "NCHW->NHWC");
  }
  {  // the slice [2:7, 3:17] of a [10,20] array -> contiguous
    StridedLayout src = contiguous_layout({5, 14});
    src.strides[0] = 20;
    check_strided_copy(src, 200, 2 * 20 + 3, contiguous_layout({5, 14}), 70, 0, rng, "slice source");
  }
  {  // contiguous [5,14] -> the slice [2:7, 3:17] of a [10,20] array (concat-like)
    StridedLayout dst = contiguous_layout({5, 14});
    dst.strides[0] = 20;
    check_strided_copy(contiguous_layout({5, 14}), 70, 0, dst, 200, 2 * 20 + 3, rng, "slice destination");
  }
  {  // a broadcast (expanded) source: [1,6] read as [4,6]
    StridedLayout src = contiguous_layout({4, 6});
    src.strides[0] = 0;
    check_strided_copy(src, 6, 0, contiguous_layout({4, 6}), 24, 0, rng, "expanded source");
  }
  // Contiguous on both sides (a memcpy), a large odd one, one element, a scalar.
  check_strided_copy(contiguous_layout({1000003}), 1000003, 0, contiguous_layout({1000003}), 1000003, 0, rng,
                     "contiguous");
  check_strided_copy(contiguous_layout({1, 1}), 1, 0, contiguous_layout({1, 1}), 1, 0, rng, "one element");
  check_strided_copy(contiguous_layout({}), 1, 0, contiguous_layout({}), 1, 0, rng, "rank 0");
  {  // large permute: DCGAN activations NCHW -> NHWC
    StridedLayout src = contiguous_layout({64, 16, 16, 128});
    const int64_t strides[] = {128 * 256, 16, 1, 256};
    for (int d = 0; d < 4; ++d) src.strides[d] = strides[d];
    check_strided_copy(src, static_cast<size_t>(numel(kDcgan)), 0, contiguous_layout({64, 16, 16, 128}),
                       static_cast<size_t>(numel(kDcgan)), 0, rng, "DCGAN NCHW->NHWC");
  }
}

// ---- activations -------------------------------------------------------------------

TEST(CudaParity, Activations) {
  GAN_SKIP_WITHOUT_CUDA();
  std::mt19937 rng(107);
  const Activation acts[] = {Activation::Relu, Activation::LeakyRelu, Activation::Tanh, Activation::Sigmoid};
  const float slope = 0.2f;
  for (int64_t n : kSizes) {
    const auto sz = static_cast<size_t>(n);
    for (Activation act : acts) {
      const auto x = random_vector(sz, rng, 0.01f, 4.0f);
      const auto dy = random_vector(sz, rng);
      std::vector<float> y(sz), dx(sz);
      cpu::activation_forward<float>(act, x.data(), y.data(), n, slope);
      const bool saves_input = act == Activation::Relu || act == Activation::LeakyRelu;
      const std::vector<float>& saved = saves_input ? x : y;
      cpu::activation_backward<float>(act, saved.data(), dy.data(), dx.data(), n, slope);

      DeviceBuffer dx_in(x), dsaved(saved), ddy(dy), dout(sz);
      dout.poison();
      cuda::activation_forward(act, dx_in.get(), dout.get(), n, slope);
      EXPECT_TRUE(close(dout.download(), y, kTolElementwise)) << "forward " << static_cast<int>(act) << " n=" << n;
      dout.poison();
      cuda::activation_backward(act, dsaved.get(), ddy.get(), dout.get(), n, slope);
      EXPECT_TRUE(close(dout.download(), dx, kTolElementwise)) << "backward " << static_cast<int>(act) << " n=" << n;
    }
  }
}

// ---- sum_to ------------------------------------------------------------------------

std::vector<float> gpu_sum_to(const std::vector<float>& x, const Shape& in, const Shape& out) {
  DeviceBuffer dx(x), dout(static_cast<size_t>(numel(out)));
  dout.poison();
  cuda::sum_to(dx.get(), contiguous_layout(in), dout.get(), contiguous_layout(out));
  return dout.download();
}

TEST(CudaParity, SumTo) {
  GAN_SKIP_WITHOUT_CUDA();
  std::mt19937 rng(108);
  struct Case {
    Shape in, out;
    bool positive;  // long sums of positive values stay well-conditioned in the float CPU reference
  };
  const std::vector<Case> cases = {
      {kDcgan, {1, 128, 1, 1}, false},         // per-channel (block per output, split)
      {kDcgan, {1, 1, 1, 1}, true},            // full reduction, two passes
      {{1000003}, {1}, true},                  // full, odd
      {{256, 1000}, {1, 1000}, false},         // Linear bias gradient (thread per column, split)
      {{64, 1}, {1, 1}, false},                // discriminator output
      {{1000, 33}, {1000, 1}, false},          // row sums
      {{2, 100000}, {2, 1}, false},            // few long rows (split)
      {{100000, 40}, {1, 40}, false},          // few long columns (split)
      {{7, 3}, {1, 3}, false},                 // short columns
      {{3, 4, 5, 6}, {3, 1, 5, 1}, false},     // kept/reduced interleaved
      {{5, 7, 9}, {1, 7, 1}, false},           // two reduced groups
      {{4, 5}, {4, 5}, false},                 // nothing reduced (a copy)
      {{1}, {1}, false},                       // one element
      {{6, 1, 7}, {1, 1, 7}, false},           // size-1 dims in between
      {{2, 3, 257, 255}, {2, 1, 257, 1}, false},
  };
  for (const Case& c : cases) {
    const auto x = random_vector(static_cast<size_t>(numel(c.in)), rng, 0.1f, 1.0f, !c.positive);
    std::vector<float> ref(static_cast<size_t>(numel(c.out)));
    cpu::sum_to<float>(x.data(), contiguous_layout(c.in), ref.data(), contiguous_layout(c.out));
    EXPECT_TRUE(close(gpu_sum_to(x, c.in, c.out), ref, kTolReduction))
        << test::to_string(c.in) << " -> " << test::to_string(c.out);
  }
}

TEST(CudaParity, SumToIsBitwiseDeterministic) {
  GAN_SKIP_WITHOUT_CUDA();
  std::mt19937 rng(109);
  const std::vector<std::pair<Shape, Shape>> cases = {
      {kDcgan, {1, 1, 1, 1}}, {kDcgan, {1, 128, 1, 1}}, {{100000, 40}, {1, 40}}, {{2, 100000}, {2, 1}}};
  for (const auto& [in, out] : cases) {
    const auto x = random_vector(static_cast<size_t>(numel(in)), rng);
    const auto first = gpu_sum_to(x, in, out);
    for (int run = 0; run < 3; ++run)
      EXPECT_EQ(gpu_sum_to(x, in, out), first) << test::to_string(in) << " -> " << test::to_string(out);
  }
}

// ---- gemm --------------------------------------------------------------------------

// Runs the test body with the CUDA gemm on `engine`, then restores the choice.
class GemmEngineScope {
 public:
  explicit GemmEngineScope(GemmEngine engine) : saved_(gemm_engine()) { set_gemm_engine(engine); }
  ~GemmEngineScope() { set_gemm_engine(saved_); }
  GemmEngineScope(const GemmEngineScope&) = delete;
  GemmEngineScope& operator=(const GemmEngineScope&) = delete;

 private:
  GemmEngine saved_;
};

void check_gemm_against_cpu(GemmEngine engine) {
  const GemmEngineScope scope(engine);
  std::mt19937 rng(110);
  struct Case {
    int64_t M, N, K;
  };
  const std::vector<Case> cases = {
      {1, 1, 1}, {7, 5, 3}, {129, 65, 257}, {64, 16384, 100} /* DCGAN G: z -> 4x4x1024 */,
      {64, 1, 8192} /* DCGAN D head */, {33, 1, 1}, {1, 300, 17}};
  for (const Case& c : cases) {
    const double tol = c.K > 1024 ? kTolReduction : kTolElementwise;
    for (bool ta : {false, true}) {
      for (bool tb : {false, true}) {
        for (float beta : {0.0f, 0.5f}) {
          for (float alpha : {1.0f, 1.5f}) {
            const auto A = random_vector(static_cast<size_t>(c.M * c.K), rng);
            const auto B = random_vector(static_cast<size_t>(c.K * c.N), rng);
            const size_t mn = static_cast<size_t>(c.M * c.N);
            // beta == 0: C must not be read. The GPU gets NaN; the CPU gets zeros
            // (whether it reads C then is the CPU kernel's business, not this test's).
            const std::vector<float> C0 = beta == 0.0f ? std::vector<float>(mn, 0.0f) : random_vector(mn, rng);
            std::vector<float> ref = C0;
            cpu::gemm<float>(ta, tb, c.M, c.N, c.K, alpha, A.data(), B.data(), beta, ref.data());
            DeviceBuffer dA(A), dB(B), dC(beta == 0.0f ? test::nan_vector(mn) : C0);
            cuda::gemm(ta, tb, c.M, c.N, c.K, alpha, dA.get(), dB.get(), beta, dC.get());
            EXPECT_TRUE(close(dC.download(), ref, tol))
                << gemm_engine_name(engine) << ": M=" << c.M << " N=" << c.N << " K=" << c.K << " ta=" << ta
                << " tb=" << tb << " alpha=" << alpha << " beta=" << beta;
          }
        }
      }
    }
  }
}

void check_gemm_with_empty_k(GemmEngine engine) {
  const GemmEngineScope scope(engine);
  std::mt19937 rng(111);
  const auto C0 = random_vector(12, rng);
  DeviceBuffer dC(C0);
  cuda::gemm(false, false, 3, 4, 0, 1.0f, nullptr, nullptr, 0.5f, dC.get());
  std::vector<float> want(12);
  for (size_t i = 0; i < 12; ++i) want[i] = 0.5f * C0[i];
  EXPECT_TRUE(close(dC.download(), want, 0.0));
  dC.poison();
  cuda::gemm(false, false, 3, 4, 0, 1.0f, nullptr, nullptr, 0.0f, dC.get());
  EXPECT_TRUE(close(dC.download(), std::vector<float>(12, 0.0f), 0.0));
}

// The project's own gemm (GAN_CUDA_GEMM=own: no cuBLAS in a training step).
TEST(CudaParity, Gemm) {
  GAN_SKIP_WITHOUT_CUDA();
  check_gemm_against_cpu(GemmEngine::Own);
}

TEST(CudaParity, GemmWithEmptyK) {
  GAN_SKIP_WITHOUT_CUDA();
  check_gemm_with_empty_k(GemmEngine::Own);
}

// The cuBLAS engine, the default (GAN_CUDA_GEMM=cublas).
TEST(CudaParity, GemmCublas) {
  GAN_SKIP_WITHOUT_CUDA();
  check_gemm_against_cpu(GemmEngine::Cublas);
}

TEST(CudaParity, GemmCublasWithEmptyK) {
  GAN_SKIP_WITHOUT_CUDA();
  check_gemm_with_empty_k(GemmEngine::Cublas);
}

// ---- batchnorm2d -------------------------------------------------------------------

const std::vector<Shape> kBnShapes = {kDcgan, {2, 3, 5, 7}, {1, 1, 1, 2}, {3, 4, 1, 1}, {5, 2, 3, 3}, {16, 64, 4, 4}};

BatchNorm2dParams bn_params(const Shape& s) {
  BatchNorm2dParams p;
  p.N = s[0];
  p.C = s[1];
  p.HW = s[2] * s[3];
  p.eps = 1e-5;
  p.momentum = 0.1;
  return p;
}

TEST(CudaParity, BatchNormForwardTrain) {
  GAN_SKIP_WITHOUT_CUDA();
  std::mt19937 rng(112);
  for (const Shape& s : kBnShapes) {
    const BatchNorm2dParams p = bn_params(s);
    const auto n = static_cast<size_t>(numel(s)), C = static_cast<size_t>(p.C);
    auto x = random_vector(n, rng, 0.1f, 2.0f);
    for (size_t i = 0; i < n; ++i) x[i] += 0.5f;  // a non-zero mean
    const auto gamma = random_vector(C, rng, 0.5f, 1.5f), beta = random_vector(C, rng);
    const auto rm0 = random_vector(C, rng), rv0 = random_vector(C, rng, 0.5f, 1.5f, false);
    std::vector<float> y(n), mean(C), invstd(C), rm = rm0, rv = rv0;
    cpu::batch_norm2d_forward_train<float>(x.data(), gamma.data(), beta.data(), y.data(), mean.data(), invstd.data(),
                                          rm.data(), rv.data(), p);

    DeviceBuffer dx(x), dg(gamma), db(beta), dy(n), dmean(C), dinvstd(C), drm(rm0), drv(rv0);
    dy.poison();
    dmean.poison();
    dinvstd.poison();
    cuda::batch_norm2d_forward_train(dx.get(), dg.get(), db.get(), dy.get(), dmean.get(), dinvstd.get(), drm.get(),
                                    drv.get(), p);
    const std::string what = test::to_string(s);
    EXPECT_TRUE(close(dy.download(), y, kTolReduction)) << "y " << what;
    EXPECT_TRUE(close(dmean.download(), mean, kTolReduction)) << "save_mean " << what;
    EXPECT_TRUE(close(dinvstd.download(), invstd, kTolReduction)) << "save_invstd " << what;
    EXPECT_TRUE(close(drm.download(), rm, kTolReduction)) << "running_mean " << what;
    EXPECT_TRUE(close(drv.download(), rv, kTolReduction)) << "running_var " << what;
  }
}

TEST(CudaParity, BatchNormForwardEval) {
  GAN_SKIP_WITHOUT_CUDA();
  std::mt19937 rng(113);
  for (const Shape& s : kBnShapes) {
    const BatchNorm2dParams p = bn_params(s);
    const auto n = static_cast<size_t>(numel(s)), C = static_cast<size_t>(p.C);
    const auto x = random_vector(n, rng, 0.1f, 2.0f);
    const auto gamma = random_vector(C, rng, 0.5f, 1.5f), beta = random_vector(C, rng);
    const auto rm = random_vector(C, rng), rv = random_vector(C, rng, 0.5f, 1.5f, false);
    std::vector<float> y(n);
    cpu::batch_norm2d_forward_eval<float>(x.data(), gamma.data(), beta.data(), rm.data(), rv.data(), y.data(), p);
    DeviceBuffer dx(x), dg(gamma), db(beta), drm(rm), drv(rv), dy(n);
    dy.poison();
    cuda::batch_norm2d_forward_eval(dx.get(), dg.get(), db.get(), drm.get(), drv.get(), dy.get(), p);
    EXPECT_TRUE(close(dy.download(), y, kTolElementwise)) << test::to_string(s);
  }
}

TEST(CudaParity, BatchNormBackward) {
  GAN_SKIP_WITHOUT_CUDA();
  std::mt19937 rng(114);
  for (const Shape& s : kBnShapes) {
    const BatchNorm2dParams p = bn_params(s);
    const auto n = static_cast<size_t>(numel(s)), C = static_cast<size_t>(p.C);
    const auto x = random_vector(n, rng, 0.1f, 2.0f), dy = random_vector(n, rng);
    const auto gamma = random_vector(C, rng, 0.5f, 1.5f), beta = random_vector(C, rng);
    // The saved statistics come from the CPU forward, and both sides use them.
    std::vector<float> y(n), mean(C), invstd(C);
    cpu::batch_norm2d_forward_train<float>(x.data(), gamma.data(), beta.data(), y.data(), mean.data(), invstd.data(),
                                          nullptr, nullptr, p);
    std::vector<float> dx(n), dgamma(C), dbeta(C);
    cpu::batch_norm2d_backward<float>(x.data(), dy.data(), gamma.data(), mean.data(), invstd.data(), dx.data(),
                                     dgamma.data(), dbeta.data(), p);

    DeviceBuffer d_x(x), d_dy(dy), d_g(gamma), d_mean(mean), d_invstd(invstd), d_dx(n), d_dg(C), d_db(C);
    d_dx.poison();
    d_dg.poison();
    d_db.poison();
    cuda::batch_norm2d_backward(d_x.get(), d_dy.get(), d_g.get(), d_mean.get(), d_invstd.get(), d_dx.get(),
                               d_dg.get(), d_db.get(), p);
    const std::string what = test::to_string(s);
    // dx against the size of its terms: over two values per channel it cancels to ~eps/var of them.
    const double scale = test::norm_dx_scale(dy, gamma.data(), invstd, p.N, p.C, p.HW, false);
    EXPECT_TRUE(close(d_dx.download(), dx, kTolReduction, scale)) << "dx " << what;
    EXPECT_TRUE(close(d_dg.download(), dgamma, kTolReduction)) << "dgamma " << what;
    EXPECT_TRUE(close(d_db.download(), dbeta, kTolReduction)) << "dbeta " << what;
  }
}

// GPU only: null gamma/beta (affine = false) behaves as gamma = 1, beta = 0.
TEST(CudaParity, BatchNormWithoutAffineMatchesUnitAffine) {
  GAN_SKIP_WITHOUT_CUDA();
  std::mt19937 rng(115);
  const Shape s = {4, 3, 5, 5};
  const BatchNorm2dParams p = bn_params(s);
  const auto n = static_cast<size_t>(numel(s)), C = static_cast<size_t>(p.C);
  const auto x = random_vector(n, rng), dy = random_vector(n, rng);
  DeviceBuffer d_x(x), d_dy(dy), ones(std::vector<float>(C, 1.0f)), zeros(std::vector<float>(C, 0.0f));
  DeviceBuffer y1(n), y2(n), mean(C), invstd(C), dx1(n), dx2(n);
  cuda::batch_norm2d_forward_train(d_x.get(), ones.get(), zeros.get(), y1.get(), mean.get(), invstd.get(), nullptr,
                                  nullptr, p);
  cuda::batch_norm2d_forward_train(d_x.get(), nullptr, nullptr, y2.get(), mean.get(), invstd.get(), nullptr, nullptr,
                                  p);
  EXPECT_EQ(y1.download(), y2.download());
  cuda::batch_norm2d_backward(d_x.get(), d_dy.get(), ones.get(), mean.get(), invstd.get(), dx1.get(), nullptr,
                             nullptr, p);
  cuda::batch_norm2d_backward(d_x.get(), d_dy.get(), nullptr, mean.get(), invstd.get(), dx2.get(), nullptr, nullptr,
                             p);
  EXPECT_EQ(dx1.download(), dx2.download());
}

// ---- losses ------------------------------------------------------------------------

struct LossInputs {
  std::vector<float> input, target;
};

LossInputs loss_inputs(LossKind kind, size_t n, std::mt19937& rng, bool hard_labels) {
  LossInputs r;
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  switch (kind) {
    case LossKind::BCE: r.input = random_vector(n, rng, 0.02f, 0.98f, false); break;
    case LossKind::BCEWithLogits: r.input = random_vector(n, rng, 0.01f, 8.0f); break;
    default: r.input = random_vector(n, rng, 0.01f, 2.0f); break;
  }
  r.target.resize(n);
  for (float& t : r.target) t = hard_labels ? (unit(rng) < 0.5f ? 0.0f : 1.0f) : unit(rng);
  return r;
}

TEST(CudaParity, Losses) {
  GAN_SKIP_WITHOUT_CUDA();
  std::mt19937 rng(116);
  const LossKind kinds[] = {LossKind::BCE, LossKind::BCEWithLogits, LossKind::MSE, LossKind::L1};
  for (int64_t n : {int64_t{1}, int64_t{7}, int64_t{64}, int64_t{257}, int64_t{4096}, int64_t{1000003}}) {
    const auto sz = static_cast<size_t>(n);
    for (LossKind kind : kinds) {
      for (bool hard : {false, true}) {
        const LossInputs in = loss_inputs(kind, sz, rng, hard);
        float ref_loss = 0.0f;
        std::vector<float> ref_grad(sz);
        cpu::loss_forward<float>(kind, in.input.data(), in.target.data(), n, &ref_loss, ref_grad.data());

        DeviceBuffer d_in(in.input), d_t(in.target), d_loss(1), d_grad(sz);
        d_loss.poison();
        d_grad.poison();
        cuda::loss_forward(kind, d_in.get(), d_t.get(), n, d_loss.get(), d_grad.get());
        const std::string what = "LossKind " + std::to_string(static_cast<int>(kind)) + " n=" + std::to_string(n) +
                                 (hard ? " hard labels" : " soft labels");
        EXPECT_TRUE(close(d_loss.download(), {ref_loss}, kTolReduction)) << "loss " << what;
        EXPECT_TRUE(close(d_grad.download(), ref_grad, kTolElementwise)) << "grad " << what;
        // Without a gradient buffer: the same loss, bit for bit.
        DeviceBuffer d_loss2(1);
        d_loss2.poison();
        cuda::loss_forward(kind, d_in.get(), d_t.get(), n, d_loss2.get(), nullptr);
        EXPECT_EQ(d_loss2.download(), d_loss.download()) << what;
      }
    }
  }
}

TEST(CudaParity, LossIsBitwiseDeterministic) {
  GAN_SKIP_WITHOUT_CUDA();
  std::mt19937 rng(117);
  const size_t n = 1 << 21;
  const LossInputs in = loss_inputs(LossKind::BCEWithLogits, n, rng, false);
  DeviceBuffer d_in(in.input), d_t(in.target), d_loss(1);
  cuda::loss_forward(LossKind::BCEWithLogits, d_in.get(), d_t.get(), static_cast<int64_t>(n), d_loss.get(), nullptr);
  const auto first = d_loss.download();
  for (int run = 0; run < 3; ++run) {
    cuda::loss_forward(LossKind::BCEWithLogits, d_in.get(), d_t.get(), static_cast<int64_t>(n), d_loss.get(),
                       nullptr);
    EXPECT_EQ(d_loss.download(), first);
  }
}

// ---- optimizers --------------------------------------------------------------------

const std::vector<int64_t> kParamSizes = {1, 7, 257, 1000003};

TEST(CudaParity, Adam) {
  GAN_SKIP_WITHOUT_CUDA();
  std::mt19937 rng(118);
  for (int64_t n : kParamSizes) {
    for (double wd : {0.0, 0.01}) {
      const auto sz = static_cast<size_t>(n);
      std::vector<float> p = random_vector(sz, rng), m(sz, 0.0f), v(sz, 0.0f);
      DeviceBuffer dp(p), dm(m), dv(v);
      AdamParams ap;
      ap.lr = 0.01;  // large enough that the update is visible at 1e-5
      ap.weight_decay = wd;
      for (int64_t step = 1; step <= 3; ++step) {
        ap.step = step;
        const auto g = random_vector(sz, rng);
        cpu::adam_step<float>(p.data(), g.data(), m.data(), v.data(), n, ap);
        DeviceBuffer dg(g);
        cuda::adam_step(dp.get(), dg.get(), dm.get(), dv.get(), n, ap);
      }
      const std::string what = "n=" + std::to_string(n) + " wd=" + std::to_string(wd);
      EXPECT_TRUE(close(dp.download(), p, kTolElementwise)) << "param " << what;
      EXPECT_TRUE(close(dm.download(), m, kTolElementwise)) << "m " << what;
      EXPECT_TRUE(close(dv.download(), v, kTolElementwise)) << "v " << what;
    }
  }
}

TEST(CudaParity, Sgd) {
  GAN_SKIP_WITHOUT_CUDA();
  std::mt19937 rng(119);
  for (int64_t n : kParamSizes) {
    for (double momentum : {0.0, 0.9}) {
      const auto sz = static_cast<size_t>(n);
      std::vector<float> p = random_vector(sz, rng), buf(sz, 0.0f);
      DeviceBuffer dp(p), dbuf(buf);
      SgdParams sp;
      sp.lr = 0.05;
      sp.momentum = momentum;
      sp.weight_decay = 0.001;
      for (int step = 0; step < 3; ++step) {
        const auto g = random_vector(sz, rng);
        cpu::sgd_step<float>(p.data(), g.data(), buf.data(), n, sp);
        DeviceBuffer dg(g);
        cuda::sgd_step(dp.get(), dg.get(), dbuf.get(), n, sp);
      }
      const std::string what = "n=" + std::to_string(n) + " momentum=" + std::to_string(momentum);
      EXPECT_TRUE(close(dp.download(), p, kTolElementwise)) << "param " << what;
      if (momentum != 0.0) {  // with momentum 0 the buffer's content is unspecified
        EXPECT_TRUE(close(dbuf.download(), buf, kTolElementwise)) << "momentum buffer " << what;
      }
    }
  }
}

TEST(CudaParity, Rmsprop) {
  GAN_SKIP_WITHOUT_CUDA();
  std::mt19937 rng(120);
  for (int64_t n : kParamSizes) {
    const auto sz = static_cast<size_t>(n);
    std::vector<float> p = random_vector(sz, rng), sq(sz, 0.0f);
    DeviceBuffer dp(p), dsq(sq);
    RmspropParams rp;
    rp.lr = 0.01;
    rp.weight_decay = 0.001;
    for (int step = 0; step < 3; ++step) {
      const auto g = random_vector(sz, rng);
      cpu::rmsprop_step<float>(p.data(), g.data(), sq.data(), n, rp);
      DeviceBuffer dg(g);
      cuda::rmsprop_step(dp.get(), dg.get(), dsq.get(), n, rp);
    }
    EXPECT_TRUE(close(dp.download(), p, kTolElementwise)) << "param n=" << n;
    EXPECT_TRUE(close(dsq.download(), sq, kTolElementwise)) << "square_avg n=" << n;
  }
}

TEST(CudaParity, Clamp) {
  GAN_SKIP_WITHOUT_CUDA();
  std::mt19937 rng(121);
  for (int64_t n : kParamSizes) {
    auto x = random_vector(static_cast<size_t>(n), rng, 0.001f, 0.05f);
    DeviceBuffer dx(x);
    cpu::clamp<float>(x.data(), n, -0.01f, 0.01f);
    cuda::clamp(dx.get(), n, -0.01f, 0.01f);
    EXPECT_TRUE(close(dx.download(), x, 0.0)) << "n=" << n;
  }
}

// ---- n == 0 and the runtime ----------------------------------------------------------

TEST(CudaParity, EmptyInputsLaunchNothing) {
  GAN_SKIP_WITHOUT_CUDA();
  BroadcastIndexer ix;
  ix.rank = 1;
  EXPECT_NO_THROW({
    cuda::binary(BinaryOp::Add, nullptr, nullptr, nullptr, ix, 0);
    cuda::binary_scalar(BinaryOp::Mul, nullptr, 2.0f, nullptr, 0, false);
    cuda::unary(UnaryOp::Exp, nullptr, nullptr, 0);
    cuda::fill(nullptr, 1.0f, 0);
    cuda::strided_copy(nullptr, contiguous_layout({0, 3}), nullptr, contiguous_layout({0, 3}));
    cuda::activation_forward(Activation::Tanh, nullptr, nullptr, 0, 0.0f);
    cuda::activation_backward(Activation::Relu, nullptr, nullptr, nullptr, 0, 0.0f);
    cuda::sum_to(nullptr, contiguous_layout({0, 3}), nullptr, contiguous_layout({0, 1}));
    cuda::gemm(false, false, 0, 5, 3, 1.0f, nullptr, nullptr, 0.0f, nullptr);
    cuda::adam_step(nullptr, nullptr, nullptr, nullptr, 0, AdamParams{});
    cuda::sgd_step(nullptr, nullptr, nullptr, 0, SgdParams{});
    cuda::rmsprop_step(nullptr, nullptr, nullptr, 0, RmspropParams{});
    cuda::clamp(nullptr, 0, -1.0f, 1.0f);
    BatchNorm2dParams bp;
    bp.N = 0;
    bp.C = 3;
    bp.HW = 4;
    cuda::batch_norm2d_forward_eval(nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, bp);
    cuda::synchronize();
  });
  // A reduction over an empty axis is zero; the mean of no elements is NaN.
  DeviceBuffer out(3);
  out.poison();
  cuda::sum_to(nullptr, contiguous_layout({0, 3}), out.get(), contiguous_layout({1, 3}));
  EXPECT_EQ(out.download(), std::vector<float>(3, 0.0f));
  DeviceBuffer loss(1);
  cuda::loss_forward(LossKind::MSE, nullptr, nullptr, 0, loss.get(), nullptr);
  EXPECT_TRUE(std::isnan(loss.download()[0]));
}

TEST(CudaAllocator, FreeThenAllocateTheSameSizeCallsCudaMallocOnce) {
  GAN_SKIP_WITHOUT_CUDA();
  if (!cuda::caching_enabled()) GTEST_SKIP() << "GAN_CUDA_NO_CACHING=1: the cache is off";
  cuda::empty_cache();
  const size_t bytes = 3 * 1000 * 1000 + 17;
  const auto before = cuda::allocator_stats();
  void* p = cuda::allocate(bytes);
  cuda::deallocate(p, bytes);
  void* q = cuda::allocate(bytes);
  cuda::deallocate(q, bytes);
  const auto after = cuda::allocator_stats();
  EXPECT_EQ(p, q);
  EXPECT_EQ(after.num_cuda_malloc - before.num_cuda_malloc, 1u);
  EXPECT_EQ(after.num_cache_hits - before.num_cache_hits, 1u);
  EXPECT_EQ(after.bytes_in_use, before.bytes_in_use);
  EXPECT_GE(after.bytes_cached, bytes);
  cuda::empty_cache();
  EXPECT_EQ(cuda::allocator_stats().bytes_cached, 0u);
}

TEST(CudaAllocator, AbsurdAllocationThrowsOutOfMemoryNamingTheSize) {
  GAN_SKIP_WITHOUT_CUDA();
  const size_t absurd = size_t{1} << 50;  // 1 PiB
  try {
    void* p = cuda::allocate(absurd);
    cuda::deallocate(p, absurd);
    FAIL() << "allocating 1 PiB did not throw";
  } catch (const OutOfMemoryError& e) {
    const std::string msg = e.what();
    // The size asked for, the device's free memory, and what to do about it.
    EXPECT_NE(msg.find(std::to_string(absurd) + " bytes"), std::string::npos) << msg;
    EXPECT_NE(msg.find("1.00 PiB"), std::string::npos) << msg;
    EXPECT_NE(msg.find(" free of "), std::string::npos) << msg;
    EXPECT_EQ(msg.find("unknown free/total memory"), std::string::npos) << msg;
    // The engine's advice is generic (the app adds the command's own options).
    EXPECT_NE(msg.find("use smaller batches"), std::string::npos) << msg;
  }
  // The failure leaves no error behind: kernels and copies still work.
  DeviceBuffer d(std::vector<float>{1.0f, 2.0f, 3.0f});
  cuda::fill(d.get(), 4.0f, 3);
  EXPECT_EQ(d.download(), std::vector<float>(3, 4.0f));
}

#endif  // GAN_HAVE_CUDA

}  // namespace
}  // namespace gan
