// The convolution ladder timed: every rung of kernels/conv/ladder/ladder.h
// (or those named by --rungs) on the gather pass of each DCGAN 64x64 layer at
// batch 128, with cuDNN as the peer.
//
//   conv2d_fwd/D1_64px..D5_64px/b128/<rung>       Conv2d forward: x -> y
//   convT_bwd_data/G1_64px..G5_64px/b128/<rung>   ConvTranspose2d backward-data: dy -> dx
//   .../cudnn                                     cuDNN's forward convolution (for convT: of
//                                                 the adjoint convolution), FMA math, no TF32
// Both are the frame's gather (kernels/conv/frame.h), the pass every rung
// implements; the names match bench_kernels_cuda's rows for the same passes.
// Rows: cuDNN and the fast rungs first, the naive rung last, so that a time
// budget (GAN_BENCH_TIME_BUDGET_S) cuts the least informative ones.
//
// Measurement: bench/common/gpu_harness.h (CUDA events around CUDA-graph
// replays, inputs cycling through enough copies to miss in L2, 7 repetitions,
// median); each rung's result is first checked against cuDNN (rel_err < 1e-3).
// The FLOP/s counter is the GFLOP/s column of docs/kernels/convolution.md's
// ladder table.
//
//   NVIDIA_TF32_OVERRIDE=0 build/bench/bench_conv_ladder_cuda --rungs=3_register_blocking,5_implicit_gemm
//       [--benchmark_filter=D2_64px] [--benchmark_out=ladder.json --benchmark_out_format=json]
// --rungs takes names from the table (an unknown one is an error that lists them).
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bench/common/bench_common.h"
#include "bench/common/cudnn_ops.h"
#include "bench/common/gpu_harness.h"
#include "core/error.h"
#include "kernels/conv/frame.h"
#include "kernels/conv/ladder/ladder.h"

namespace gan::bench {
namespace {

constexpr int64_t kBatch = 128;

// cuDNN's forward convolution for one layer, its algorithm chosen once and
// shared by the layer's rows (the reference of each rung, and the cudnn row).
struct CudnnGather {
  std::shared_ptr<CudnnConv> conv;
  std::string choice;
};

CudnnGather cudnn_gather(const ConvLayer& layer, const Conv2dParams& p) {
  static std::map<std::string, CudnnGather> cache;  // benchmark set-up only: one entry per layer
  auto it = cache.find(layer.name);
  if (it == cache.end()) {
    CudnnGather g{std::make_shared<CudnnConv>(p), ""};
    g.choice = g.conv->choose(ConvPass::Forward);
    it = cache.emplace(layer.name, std::move(g)).first;
  }
  return it->second;
}

// The gather of one layer: buffers in, w, out (conv_operands() order of the pass);
// `rung` null times cuDNN.
GpuOp gather_op(const ConvLayer& layer, const ConvLadderRung* rung) {
  const ConvPass pass = layer.transposed ? ConvPass::BackwardData : ConvPass::Forward;
  ConvFrame frame;
  ConvSizes sizes{};
  Conv2dParams cudnn_params;  // the convolution whose forward is this gather
  GpuOp op;
  if (layer.transposed) {
    const ConvTranspose2dParams p = conv_transpose2d_params(layer, kBatch);
    frame = conv_frame(p);
    sizes = conv_sizes(p);
    cudnn_params = adjoint_conv2d(p);
    op.label = describe(p);
    op.flops = static_cast<double>(p.flops());
  } else {
    const Conv2dParams p = conv2d_params(layer, kBatch);
    frame = conv_frame(p);
    sizes = conv_sizes(p);
    cudnn_params = p;
    op.label = describe(p);
    op.flops = static_cast<double>(p.flops());
  }
  op.bytes = conv_min_bytes(sizes);
  const auto operands = conv_operands(sizes, pass);
  for (size_t i = 0; i < operands.size(); ++i)
    op.buffers.push_back({operands[i].name, operands[i].count, i + 1 < operands.size() ? Role::Input : Role::Output});

  const CudnnGather cudnn = cudnn_gather(layer, cudnn_params);
  auto cudnn_launch = [conv = cudnn.conv](float* const* b) { conv->forward(b[0], b[1], b[2]); };
  if (rung == nullptr) {
    op.launch = cudnn_launch;
    op.label += "; " + cudnn.choice;
  } else {
    op.launch = [frame, gather = rung->gather](float* const* b) { gather(frame, b[1], b[0], nullptr, b[2]); };
    op.reference = cudnn_launch;
    op.label += detail::concat("; ", rung->file);
  }
  return op;
}

// The rungs to time: --rungs=a,b,... (removed from argv), or all of them.
std::vector<const ConvLadderRung*> selected_rungs(int& argc, char** argv) {
  std::vector<const ConvLadderRung*> rungs;
  constexpr std::string_view kFlag = "--rungs=";
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.substr(0, kFlag.size()) != kFlag) {
      argv[kept++] = argv[i];
      continue;
    }
    std::string_view list = arg.substr(kFlag.size());
    while (!list.empty()) {
      const size_t comma = list.find(',');
      rungs.push_back(&conv_ladder_rung(list.substr(0, comma)));
      list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    }
  }
  argc = kept;
  if (rungs.empty())
    for (const ConvLadderRung& rung : conv_ladder()) rungs.push_back(&rung);
  return rungs;
}

void register_all(const std::vector<const ConvLadderRung*>& rungs) {
  // cuDNN first, then the rungs from the top of the ladder down: rung 1 last.
  std::vector<const ConvLadderRung*> order = {nullptr};
  for (auto it = rungs.rbegin(); it != rungs.rend(); ++it) order.push_back(*it);
  for (const ConvLadderRung* rung : order)
    for (const ConvLayer& layer : dcgan64_conv_layers()) {
      const char* op = layer.transposed ? "convT_bwd_data" : "conv2d_fwd";
      register_gpu_benchmark(bench_name(op, layer.name, kBatch, rung != nullptr ? rung->name : "cudnn"),
                             [&layer, rung] { return gather_op(layer, rung); });
    }
}

void set_up_device() {
  measure_ceilings();
  add_cudnn_context();
  benchmark::AddCustomContext("backend", "cuda");
}

}  // namespace
}  // namespace gan::bench

int main(int argc, char** argv) {
  try {
    gan::bench::register_all(gan::bench::selected_rungs(argc, argv));
  } catch (const gan::Error& e) {
    std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
    return 2;
  }
  return gan::bench::run_benchmarks(
      argc, argv, {"--benchmark_repetitions=7", "--benchmark_report_aggregates_only=true", "--benchmark_min_time=0.01"},
      gan::bench::set_up_device);
}
