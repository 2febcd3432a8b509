// What the CPU and GPU benchmark programs share: the DCGAN layer shapes they
// time (from the op-case table), the cost model (FLOPs and the fewest bytes each kernel must move),
// fixed-seed random inputs, benchmark names, and a main() with the harness's
// defaults.
//
// Names: <op>/<layer>/<batch>/<impl>, e.g. conv2d_fwd/D2_64px/b128/fast
// (batch "any" where the op has no batch, e.g. adam/G2_64px.weight/any/engine).
// bench/format_results.py parses them (it groups rows by the first three parts
// and divides cuDNN's time by each implementation's), so keep the scheme.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/batch_norm2d/batch_norm2d.h"
#include "kernels/conv/conv.h"
#include "tests/op_cases/op_cases.h"

namespace gan::bench {

// The DCGAN layers and batch-norm shapes come from the op-case table
// (tests/op_cases), the one place they are written; the tests use the same.
using op_cases::BatchNormShape;
using op_cases::conv_layer;
using op_cases::ConvLayer;
using op_cases::dcgan28_batch_norm_shapes;
using op_cases::dcgan28_conv_layers;
using op_cases::dcgan64_batch_norm_shapes;
using op_cases::dcgan64_conv_layers;

Conv2dParams conv2d_params(const ConvLayer& layer, int64_t batch);
ConvTranspose2dParams conv_transpose2d_params(const ConvLayer& layer, int64_t batch);

// The three passes of a convolution; each costs the same FLOPs and moves the
// same fewest bytes (two operand tensors read once, the third written once).
enum class ConvPass { Forward, BackwardData, BackwardWeight };
const char* pass_suffix(ConvPass pass);  // "fwd", "bwd_data", "bwd_weight"
inline constexpr ConvPass kConvPasses[] = {ConvPass::Forward, ConvPass::BackwardData, ConvPass::BackwardWeight};

// x, w, y element counts and labels ("x[128,64,32,32] w[128,64,4,4] y[128,128,16,16] s2 p1").
struct ConvSizes {
  int64_t x, w, y;
};
ConvSizes conv_sizes(const Conv2dParams& p);
ConvSizes conv_sizes(const ConvTranspose2dParams& p);
std::string describe(const Conv2dParams& p);
std::string describe(const ConvTranspose2dParams& p);
// 4 * (x + w + y): float32, each tensor touched once.
double conv_min_bytes(const ConvSizes& s);

// The three tensors of a pass in the order every benchmark passes them: the
// two it reads, then the one it writes.
//   Forward         x, w  -> y
//   BackwardData    dy, w -> dx
//   BackwardWeight  x, dy -> dw
struct ConvOperand {
  const char* name;
  int64_t count;
};
std::vector<ConvOperand> conv_operands(const ConvSizes& s, ConvPass pass);

// The three passes of one implementation of a convolution (Params is
// Conv2dParams or ConvTranspose2dParams), called without bias on buffers in
// conv_operands() order.
template <typename Params>
struct ConvKernels {
  void (*forward)(const float* x, const float* w, const float* b, float* y, const Params& p);
  void (*backward_data)(const float* dy, const float* w, float* dx, const Params& p);
  void (*backward_weight)(const float* x, const float* dy, float* dw, float* db, const Params& p);

  void run(ConvPass pass, float* const* b, const Params& p) const {
    switch (pass) {
      case ConvPass::Forward: return forward(b[0], b[1], nullptr, b[2], p);
      case ConvPass::BackwardData: return backward_data(b[0], b[1], b[2], p);
      case ConvPass::BackwardWeight: return backward_weight(b[0], b[1], b[2], nullptr, p);
    }
  }
};

BatchNorm2dParams batchnorm_params(const BatchNormShape& s, int64_t batch);
std::string batchnorm_label(const BatchNormShape& s, int64_t batch);  // "x[128,256,8,8] (after G2, D3)"

// Batch norm over n = N*C*HW elements and C channels, training mode.
//   forward:  reads x, writes y (8n bytes); per channel reads gamma, beta and
//             the running stats, writes the running stats and save_mean/invstd
//             (32C). FLOPs 5n: sum (1), sum of squares (2), one FMA to normalise.
//   backward: reads x, dy, writes dx (12n); per channel reads gamma and the
//             saved stats, writes dgamma, dbeta (20C). FLOPs 9n: dbeta (1),
//             xhat (2), dgamma (2), dx two FMAs (4).
double batchnorm_forward_bytes(int64_t n, int64_t channels);
double batchnorm_backward_bytes(int64_t n, int64_t channels);
double batchnorm_forward_flops(int64_t n);
double batchnorm_backward_flops(int64_t n);
// BCE with logits fused with its gradient: reads input and target, writes the
// gradient and one loss value: 4 * (3n + 1) bytes.
double bce_bytes(int64_t n);
// Adam: reads param, grad, m, v and writes param, m, v: 28n bytes.
double adam_bytes(int64_t n);

// n floats uniform in [low, high) from a fixed seed (the engine's Philox
// generator): the same inputs on every run, every device and every
// implementation, and never zeros.
std::vector<float> random_uniform(int64_t n, uint64_t seed, float low = -1.0f, float high = 1.0f);

// batch <= 0 writes "any".
std::string bench_name(const std::string& op, const std::string& layer, int64_t batch, const std::string& impl);
std::string shape_label(const std::vector<int64_t>& shape);  // "[128,64,32,32]"

// The work a benchmark does per iteration, as counters: "FLOP/s" and "B/s"
// (rates over the measured time; the console shows them with SI prefixes, the
// JSON holds plain numbers) and "flop" and "bytes" per iteration (plain, so the
// report can recompute anything from the median time).
void set_work_counters(benchmark::State& state, double flops, double bytes);

// main() of every benchmark program: `defaults` go before the user's flags, so
// any of them can be overridden on the command line. `before_run` runs after
// the flags are parsed and before the first benchmark (device set-up, the
// ceilings, custom context); it is skipped by --benchmark_list_tests.
int run_benchmarks(int argc, char** argv, const std::vector<std::string>& defaults, void (*before_run)());

}  // namespace gan::bench
