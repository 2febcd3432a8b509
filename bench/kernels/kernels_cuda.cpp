// GPU kernel benchmarks: the engine's hand-written CUDA kernels against cuDNN
// (and, where cuDNN has no such op, against the device's bandwidth), on the
// DCGAN 64x64 shapes at batch 64, 128 and 256.
//
//   convT_{fwd,bwd_data,bwd_weight}/G1..G5    ConvTranspose2d, generator layers
//   conv2d_{fwd,bwd_data,bwd_weight}/D1..D5   Conv2d, discriminator layers
//       impls: fast (gan::cuda::*), naive (gan::cuda::*_naive, the teaching
//       version), cudnn. Transposed convolution through cuDNN is the adjoint
//       convolution: its forward is cudnnConvolutionBackwardData, its
//       backward-data cudnnConvolutionForward, its backward-weight
//       cudnnConvolutionBackwardFilter (with x and dy swapping roles).
//   bn_{fwd_train,bwd}/C..x..x..   BatchNorm2d training forward and backward,
//       the distinct DCGAN shapes; impls: engine, cudnn
//   bce_logits, adam   engine only (cuDNN has no such op): judge them by the
//       "%limit" counter, the fraction of the copy bandwidth they reach
//   gemm/<M>x<N>x<K>_<NN|NT|TN>   matmul's two engines (GAN_CUDA_GEMM): own
//       (the implicit-GEMM kernel on a dense product) against cublas (FP32,
//       no TF32): a square product and Linear's forward and weight gradient
//       at a DCGAN-like width. Which engine is the default follows from here.
//
// With --conv-tiles, instead of all that: the implicit GEMM's tile sweep.
// Every pass of every DCGAN 64x64 layer at batch 128, as
//   <op>/<layer>/b128/fast          the production kernel: plan_gemm's tile, 64-bit indices
//   <op>/<layer>/b128/fast_i32      plan_gemm's tile, 32-bit indices (conv_gemm::fits_index32)
//   <op>/<layer>/b128/tile_<name>   each tile of conv_gemm::kAllTiles, forced, 32-bit indices
// beside cudnn: what plan_gemm's choice should be follows from here.
//
// Order of the run: BCE, Adam, gemm, batch norm, the fast and cuDNN convolutions,
// then the naive convolutions, so that a time budget (GAN_BENCH_TIME_BUDGET_S)
// cuts the least informative rows.
// Measurement (bench/common/gpu_harness.h): CUDA events around CUDA-graph
// replays, inputs cycling through enough copies to miss in L2, 7 repetitions,
// median; the ceilings (copy bandwidth and FP32 SGEMM) measured at start-up of
// the same run. Every engine result is first checked against cuDNN (or the CPU
// kernel for BCE and Adam): ||out - ref|| / ||ref|| < 1e-3, reported as rel_err.
//
//   NVIDIA_TF32_OVERRIDE=0 build/bench/bench_kernels_cuda --benchmark_out=kernels.json
//       --benchmark_out_format=json
// (bench/run_gpu.sh does this and writes the table.)
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/common/bench_common.h"
#include "bench/common/cudnn_ops.h"
#include "bench/common/gpu_harness.h"
#include "core/cuda/cuda_check.h"
#include "core/error.h"
#include "kernels/batch_norm2d/batch_norm2d.h"
#include "kernels/conv/conv.h"
#include "kernels/conv/implicit_gemm.h"
#include "kernels/loss/loss.h"
#include "kernels/matmul/matmul.h"
#include "kernels/optim/optim.h"

namespace gan::bench {
namespace {

enum class ConvImpl { Fast, Naive, Cudnn };
const char* impl_name(ConvImpl i) { return i == ConvImpl::Fast ? "fast" : i == ConvImpl::Naive ? "naive" : "cudnn"; }

using Launch = std::function<void(float* const*)>;

// The implementation a benchmark times: the engine's, checked against cuDNN
// first, or cuDNN's, whose label then says what cuDNN ran.
void set_implementation(GpuOp& op, bool use_cudnn, Launch engine, Launch cudnn, const std::string& cudnn_note) {
  if (use_cudnn) {
    op.launch = std::move(cudnn);
    op.label += "; " + cudnn_note;
  } else {
    op.launch = std::move(engine);
    op.reference = std::move(cudnn);
  }
}

// The cuDNN convolution for one (layer, batch, pass), with its algorithm
// chosen. Kept between consecutive benchmarks of that triple (fast and cudnn
// are registered one after the other) so cudnnFind runs once for both.
std::shared_ptr<CudnnConv> cudnn_conv(const std::string& key, const Conv2dParams& p, ConvPass pass,
                                      std::string* choice) {
  static std::string cached_key;
  static std::shared_ptr<CudnnConv> cached;
  static std::string cached_choice;
  if (cached_key != key) {
    cached.reset();
    cached_key.clear();
    auto conv = std::make_shared<CudnnConv>(p);
    cached_choice = conv->choose(pass);
    cached = std::move(conv);
    cached_key = key;
  }
  *choice = cached_choice;
  return cached;
}

// cuDNN launch for a Conv2d pass; buffers in conv_operands() order.
Launch cudnn_conv2d_launch(std::shared_ptr<CudnnConv> conv, ConvPass pass) {
  switch (pass) {
    case ConvPass::Forward: return [conv](float* const* b) { conv->forward(b[0], b[1], b[2]); };
    case ConvPass::BackwardData: return [conv](float* const* b) { conv->backward_data(b[0], b[1], b[2]); };
    case ConvPass::BackwardWeight: return [conv](float* const* b) { conv->backward_filter(b[0], b[1], b[2]); };
  }
  throw ValueError("bench: unknown convolution pass");
}

// The same for a ConvTranspose2d pass, through its adjoint convolution.
ConvPass adjoint_pass(ConvPass pass) {
  if (pass == ConvPass::Forward) return ConvPass::BackwardData;
  if (pass == ConvPass::BackwardData) return ConvPass::Forward;
  return ConvPass::BackwardWeight;
}
Launch cudnn_conv_transpose2d_launch(std::shared_ptr<CudnnConv> conv, ConvPass pass) {
  switch (pass) {
    case ConvPass::Forward: return [conv](float* const* b) { conv->backward_data(b[0], b[1], b[2]); };
    case ConvPass::BackwardData: return [conv](float* const* b) { conv->forward(b[0], b[1], b[2]); };
    // dw of the transposed conv = cuDNN's filter gradient with x = its dy, dy = its x.
    case ConvPass::BackwardWeight: return [conv](float* const* b) { conv->backward_filter(b[1], b[0], b[2]); };
  }
  throw ValueError("bench: unknown convolution pass");
}

const ConvKernels<Conv2dParams> kConv2dFast{gan::cuda::conv2d_forward, gan::cuda::conv2d_backward_data,
                                             gan::cuda::conv2d_backward_weight};
const ConvKernels<Conv2dParams> kConv2dNaive{gan::cuda::conv2d_forward_naive, gan::cuda::conv2d_backward_data_naive,
                                              gan::cuda::conv2d_backward_weight_naive};
const ConvKernels<ConvTranspose2dParams> kConvTransposeFast{gan::cuda::conv_transpose2d_forward,
                                                            gan::cuda::conv_transpose2d_backward_data,
                                                            gan::cuda::conv_transpose2d_backward_weight};
const ConvKernels<ConvTranspose2dParams> kConvTransposeNaive{gan::cuda::conv_transpose2d_forward_naive,
                                                             gan::cuda::conv_transpose2d_backward_data_naive,
                                                             gan::cuda::conv_transpose2d_backward_weight_naive};

// One pass of one convolution: the engine's kernels checked against cuDNN, or cuDNN itself.
template <typename Params>
GpuOp conv_op(const Params& p, ConvPass pass, ConvImpl impl, const ConvKernels<Params>& engine, Launch cudnn,
              const std::string& cudnn_choice) {
  GpuOp op;
  op.label = describe(p);
  op.flops = static_cast<double>(p.flops());
  op.bytes = conv_min_bytes(conv_sizes(p));
  const auto operands = conv_operands(conv_sizes(p), pass);
  for (size_t i = 0; i < operands.size(); ++i)
    op.buffers.push_back({operands[i].name, operands[i].count, i + 1 < operands.size() ? Role::Input : Role::Output});
  set_implementation(op, impl == ConvImpl::Cudnn, [p, pass, engine](float* const* b) { engine.run(pass, b, p); },
                     std::move(cudnn), cudnn_choice);
  return op;
}

GpuOp conv_op(const ConvLayer& layer, int64_t batch, ConvPass pass, ConvImpl impl) {
  const std::string key = bench_name(pass_suffix(pass), layer.name, batch, "");
  const bool naive = impl == ConvImpl::Naive;
  std::string choice;
  if (layer.transposed) {
    const ConvTranspose2dParams p = conv_transpose2d_params(layer, batch);
    auto cudnn = cudnn_conv(key, adjoint_conv2d(p), adjoint_pass(pass), &choice);
    return conv_op(p, pass, impl, naive ? kConvTransposeNaive : kConvTransposeFast,
                   cudnn_conv_transpose2d_launch(cudnn, pass), choice);
  }
  const Conv2dParams p = conv2d_params(layer, batch);
  auto cudnn = cudnn_conv(key, p, pass, &choice);
  return conv_op(p, pass, impl, naive ? kConv2dNaive : kConv2dFast, cudnn_conv2d_launch(cudnn, pass), choice);
}

// The fast convolution with the implicit GEMM's kernel forced: a tile
// (nullopt: plan_gemm's), and 32-bit indices or the production 64-bit ones.
GpuOp conv_tile_op(const ConvLayer& layer, int64_t batch, ConvPass pass, std::optional<conv_gemm::TileKind> tile,
                   bool index32) {
  GpuOp op = conv_op(layer, batch, pass, ConvImpl::Fast);
  op.launch = [inner = std::move(op.launch), tile, index32](float* const* b) {
    const gan::cuda::ForceGemmKernel force(tile, index32);
    inner(b);
  };
  op.label += detail::concat("; ", tile ? conv_gemm::tile_name(*tile) : "plan_gemm's", " tile, ",
                             index32 ? "32-bit" : "64-bit", " indices");
  return op;
}

// Buffers: x, gamma, beta, y, save_mean, save_invstd, running_mean, running_var.
GpuOp batchnorm_forward_op(const BatchNormShape& s, int64_t batch, bool cudnn) {
  const BatchNorm2dParams p = batchnorm_params(s, batch);
  const int64_t n = p.N * p.C * p.HW, C = p.C;
  GpuOp op;
  op.label = batchnorm_label(s, batch);
  op.flops = batchnorm_forward_flops(n);
  op.bytes = batchnorm_forward_bytes(n, C);
  op.buffers = {{"x", n, Role::Input},           {"gamma", C, Role::Input},
                {"beta", C, Role::Input},        {"y", n, Role::Output},
                {"save_mean", C, Role::Output},  {"save_invstd", C, Role::Output},
                {"running_mean", C, Role::InOut}, {"running_var", C, Role::InOut, 0.5f, 1.5f}};
  auto bn = std::make_shared<CudnnBatchNorm>(p);
  set_implementation(
      op, cudnn,
      [p](float* const* b) {
        gan::cuda::batch_norm2d_forward_train(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], p);
      },
      [bn](float* const* b) { bn->forward_train(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]); },
      "cuDNN BatchNormalizationForwardTraining, SPATIAL");
  return op;
}

// Buffers: x, dy, gamma, save_mean, save_invstd, dx, dgamma, dbeta. The saved
// statistics are x's, from the engine's forward pass (same meaning in cuDNN).
GpuOp batchnorm_backward_op(const BatchNormShape& s, int64_t batch, bool cudnn) {
  const BatchNorm2dParams p = batchnorm_params(s, batch);
  const int64_t n = p.N * p.C * p.HW, C = p.C;
  GpuOp op;
  op.label = batchnorm_label(s, batch);
  op.flops = batchnorm_backward_flops(n);
  op.bytes = batchnorm_backward_bytes(n, C);
  op.buffers = {{"x", n, Role::Input},         {"dy", n, Role::Input},          {"gamma", C, Role::Input},
                {"save_mean", C, Role::Input}, {"save_invstd", C, Role::Input}, {"dx", n, Role::Output},
                {"dgamma", C, Role::Output},   {"dbeta", C, Role::Output}};
  op.prepare = [p, n](float* const* b) {
    DeviceBuffer y(n);
    gan::cuda::batch_norm2d_forward_train(b[0], b[2], nullptr, y.get(), b[3], b[4], nullptr, nullptr, p);
    GAN_CUDA_CHECK(cudaStreamSynchronize(gan::cuda::current_stream()));
  };
  auto bn = std::make_shared<CudnnBatchNorm>(p);
  set_implementation(
      op, cudnn,
      [p](float* const* b) { gan::cuda::batch_norm2d_backward(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], p); },
      [bn](float* const* b) { bn->backward(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]); },
      "cuDNN BatchNormalizationBackward, SPATIAL");
  return op;
}

// Buffers: input (logits), target, loss (1), grad. Reference: the CPU kernel.
GpuOp bce_op(int64_t n) {
  GpuOp op;
  op.label = detail::concat("n=", n);
  op.bytes = bce_bytes(n);
  op.buffers = {{"input", n, Role::Input, -4.0f, 4.0f},
                {"target", n, Role::Input, 0.0f, 1.0f},
                {"loss", 1, Role::Output},
                {"grad", n, Role::Output}};
  op.launch = [n](float* const* b) { gan::cuda::loss_forward(LossKind::BCEWithLogits, b[0], b[1], n, b[2], b[3]); };
  op.reference = [n](float* const* b) {
    const std::vector<float> input = download(b[0], n);
    const std::vector<float> target = download(b[1], n);
    std::vector<float> loss(1);
    std::vector<float> grad(static_cast<size_t>(n));
    cpu::loss_forward<float>(LossKind::BCEWithLogits, input.data(), target.data(), n, loss.data(), grad.data());
    upload(b[2], loss);
    upload(b[3], grad);
  };
  return op;
}

// Buffers: param, grad, m, v (updated in place). Reference: the CPU kernel.
GpuOp adam_op(int64_t n) {
  GpuOp op;
  op.label = detail::concat("n=", n);
  op.bytes = adam_bytes(n);
  op.buffers = {{"param", n, Role::InOut}, {"grad", n, Role::Input}, {"m", n, Role::InOut}, {"v", n, Role::InOut, 0.0f, 1.0f}};
  op.launch = [n](float* const* b) { gan::cuda::adam_step(b[0], b[1], b[2], b[3], n, AdamParams{}); };
  op.reference = [n](float* const* b) {
    std::vector<float> param = download(b[0], n);
    std::vector<float> m = download(b[2], n);
    std::vector<float> v = download(b[3], n);
    const std::vector<float> grad = download(b[1], n);
    cpu::adam_step<float>(param.data(), grad.data(), m.data(), v.data(), n, AdamParams{});
    upload(b[0], param);
    upload(b[2], m);
    upload(b[3], v);
  };
  return op;
}

// Buffers: A, B, C. C = op(A) @ op(B) through matmul's CUDA entry point on the
// named engine (chosen around each launch: the engine is a process-wide
// setting). The own engine is checked against cuBLAS.
GpuOp gemm_op(int64_t M, int64_t N, int64_t K, bool trans_a, bool trans_b, GemmEngine engine) {
  GpuOp op;
  op.label = detail::concat("A", shape_label(trans_a ? std::vector<int64_t>{K, M} : std::vector<int64_t>{M, K}),
                            trans_a ? "^T" : "", " B",
                            shape_label(trans_b ? std::vector<int64_t>{N, K} : std::vector<int64_t>{K, N}),
                            trans_b ? "^T" : "", " C", shape_label({M, N}));
  op.flops = 2.0 * static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K);
  op.bytes = 4.0 * static_cast<double>(M * K + K * N + M * N);
  op.buffers = {{"A", M * K, Role::Input}, {"B", K * N, Role::Input}, {"C", M * N, Role::Output}};
  const auto on = [=](GemmEngine e) {
    return [=](float* const* b) {
      set_gemm_engine(e);
      gan::cuda::gemm(trans_a, trans_b, M, N, K, 1.0f, b[0], b[1], 0.0f, b[2]);
    };
  };
  set_implementation(op, engine == GemmEngine::Cublas, on(GemmEngine::Own), on(GemmEngine::Cublas),
                     "cublasSgemm, CUBLAS_PEDANTIC_MATH (FP32, no TF32)");
  return op;
}

// Order: the cheap benchmarks first and the naive convolutions last, so that
// a run cut short by GAN_BENCH_TIME_BUDGET_S loses the least informative rows.
// (bench/format_results.py puts the rows back in layer order.)
void register_all() {
  const int64_t batches[] = {64, 128, 256};
  // BCE: one logit per image (what DCGAN computes; launch-bound), and 64M
  // elements to see the bandwidth.
  for (int64_t batch : batches)
    register_gpu_benchmark(bench_name("bce_logits", "logits", batch, "engine"), [batch] { return bce_op(batch); });
  register_gpu_benchmark(bench_name("bce_logits", "n67108864", 0, "engine"), [] { return bce_op(int64_t{1} << 26); });
  // Adam: one launch per parameter tensor; the DCGAN 64x64 weight sizes, and
  // 64M elements for the bandwidth.
  for (const char* name : {"G5_64px", "G4_64px", "G3_64px", "G1_64px", "G2_64px"}) {
    const ConvLayer& l = conv_layer(name);
    const int64_t n = l.in_channels * l.out_channels * l.kernel * l.kernel;
    register_gpu_benchmark(bench_name("adam", detail::concat(name, ".weight"), 0, "engine"), [n] { return adam_op(n); });
  }
  register_gpu_benchmark(bench_name("adam", "n67108864", 0, "engine"), [] { return adam_op(int64_t{1} << 26); });
  // gemm: a square product, then Linear at batch 256 from 1024 to 4096
  // features: forward y = x W^T (NT) and the weight gradient dW = dy^T x (TN).
  struct GemmShape {
    const char* layout;
    int64_t M, N, K;
    bool trans_a, trans_b;
  };
  for (const GemmShape& g : {GemmShape{"NN", 4096, 4096, 4096, false, false},
                             GemmShape{"NT", 256, 4096, 1024, false, true},
                             GemmShape{"TN", 4096, 1024, 256, true, false}}) {
    for (GemmEngine engine : {GemmEngine::Own, GemmEngine::Cublas}) {
      register_gpu_benchmark(bench_name("gemm", detail::concat(g.M, "x", g.N, "x", g.K, "_", g.layout), 0,
                                        gemm_engine_name(engine)),
                             [g, engine] { return gemm_op(g.M, g.N, g.K, g.trans_a, g.trans_b, engine); });
    }
  }
  for (const BatchNormShape& s : dcgan64_batch_norm_shapes()) {
    for (int64_t batch : batches)
      for (bool cudnn : {false, true})
        register_gpu_benchmark(bench_name("bn_fwd_train", s.name, batch, cudnn ? "cudnn" : "engine"),
                               [&s, batch, cudnn] { return batchnorm_forward_op(s, batch, cudnn); });
    for (int64_t batch : batches)
      for (bool cudnn : {false, true})
        register_gpu_benchmark(bench_name("bn_bwd", s.name, batch, cudnn ? "cudnn" : "engine"),
                               [&s, batch, cudnn] { return batchnorm_backward_op(s, batch, cudnn); });
  }
  for (ConvImpl impl_group : {ConvImpl::Fast, ConvImpl::Naive}) {
    for (const ConvLayer& layer : dcgan64_conv_layers()) {
      for (ConvPass pass : kConvPasses) {
        const std::string op = detail::concat(layer.transposed ? "convT_" : "conv2d_", pass_suffix(pass));
        for (int64_t batch : batches) {
          // fast and cudnn together (they share cuDNN's algorithm search), naive in the second round.
          const std::vector<ConvImpl> impls =
              impl_group == ConvImpl::Fast ? std::vector<ConvImpl>{ConvImpl::Fast, ConvImpl::Cudnn}
                                           : std::vector<ConvImpl>{ConvImpl::Naive};
          for (ConvImpl impl : impls)
            register_gpu_benchmark(bench_name(op, layer.name, batch, impl_name(impl)),
                                   [&layer, batch, pass, impl] { return conv_op(layer, batch, pass, impl); });
        }
      }
    }
  }
}

// The tile sweep (--conv-tiles): see the top of the file.
void register_conv_tiles() {
  static constexpr int64_t kBatch = 128;
  for (const ConvLayer& layer : dcgan64_conv_layers())
    for (ConvPass pass : kConvPasses) {
      const std::string op = detail::concat(layer.transposed ? "convT_" : "conv2d_", pass_suffix(pass));
      const auto add = [&](const std::string& impl, std::optional<conv_gemm::TileKind> tile, bool index32) {
        register_gpu_benchmark(bench_name(op, layer.name, kBatch, impl), [&layer, pass, tile, index32] {
          return conv_tile_op(layer, kBatch, pass, tile, index32);
        });
      };
      register_gpu_benchmark(bench_name(op, layer.name, kBatch, "cudnn"),
                             [&layer, pass] { return conv_op(layer, kBatch, pass, ConvImpl::Cudnn); });
      add("fast", std::nullopt, false);
      add("fast_i32", std::nullopt, true);
      for (conv_gemm::TileKind tile : conv_gemm::kAllTiles)
        add(detail::concat("tile_", conv_gemm::tile_name(tile)), tile, true);
    }
}

// Removes `flag` from argv; whether it was there.
bool take_flag(int& argc, char** argv, std::string_view flag) {
  for (int i = 1; i < argc; ++i)
    if (argv[i] == flag) {
      for (int j = i; j + 1 < argc; ++j) argv[j] = argv[j + 1];
      --argc;
      return true;
    }
  return false;
}

void set_up_device() {
  measure_ceilings();
  add_cudnn_context();
  benchmark::AddCustomContext("backend", "cuda");
}

}  // namespace
}  // namespace gan::bench

int main(int argc, char** argv) {
  if (gan::bench::take_flag(argc, argv, "--conv-tiles"))
    gan::bench::register_conv_tiles();
  else
    gan::bench::register_all();
  return gan::bench::run_benchmarks(
      argc, argv, {"--benchmark_repetitions=7", "--benchmark_report_aggregates_only=true", "--benchmark_min_time=0.01"},
      gan::bench::set_up_device);
}
