// CPU kernel benchmarks: the gan::cpu reference kernels (the no-GPU path, and
// what trains the default 28x28 model) on the DCGAN shapes.
//
//   convolutions   every layer of the 28x28 DCGAN at batch 64, and three
//                  layers of the 64x64 one at batch 16 (G2, G5, D2), each pass
//   batch norm     the 28x28 model's shapes at batch 64, training forward and backward
//   BCE-with-logits, Adam   at the model's sizes and at one large size
//
// Timing: wall clock around one call (the kernels are synchronous and use
// OpenMP threads), Google Benchmark's default iteration count for
// --benchmark_min_time, repeated --benchmark_repetitions times; the report
// uses the median repetition. Inputs are fixed-seed random, filled once per
// benchmark. FLOP/s and B/s counters use the cost model in bench_common.h.
//
//   build/bench/bench_kernels_cpu --benchmark_out=cpu.json --benchmark_out_format=json
#include <omp.h>

#include <functional>
#include <string>
#include <vector>

#include "bench/common/bench_common.h"
#include "core/error.h"
#include "kernels/batch_norm2d/batch_norm2d.h"
#include "kernels/conv/conv.h"
#include "kernels/loss/loss.h"
#include "kernels/optim/optim.h"

namespace gan::bench {
namespace {

using Buffers = std::vector<std::vector<float>>;

struct CpuCase {
  std::string label;
  double flops = 0, bytes = 0;
  Buffers buffers;
  std::function<void(Buffers&)> run;
};

// Every buffer random (outputs too: the kernels overwrite them), one seed per buffer.
Buffers random_buffers(const std::vector<int64_t>& counts) {
  Buffers b;
  for (size_t i = 0; i < counts.size(); ++i) b.push_back(random_uniform(counts[i], 1000 + i));
  return b;
}

void register_cpu(const std::string& name, std::function<CpuCase()> make) {
  benchmark::RegisterBenchmark(name.c_str(),
                               [make](benchmark::State& state) {
                                 CpuCase c = make();
                                 for (auto _ : state) {
                                   c.run(c.buffers);
                                   benchmark::ClobberMemory();
                                 }
                                 state.SetLabel(c.label);
                                 set_work_counters(state, c.flops, c.bytes);
                               })
      ->UseRealTime()
      ->Unit(benchmark::kMicrosecond);
}

template <typename Params>
CpuCase conv_case(const Params& p, ConvPass pass, const ConvKernels<Params>& kernels) {
  CpuCase c;
  c.label = describe(p);
  c.flops = static_cast<double>(p.flops());
  c.bytes = conv_min_bytes(conv_sizes(p));
  std::vector<int64_t> counts;
  for (const ConvOperand& o : conv_operands(conv_sizes(p), pass)) counts.push_back(o.count);
  c.buffers = random_buffers(counts);
  c.run = [p, pass, kernels](Buffers& b) {
    std::vector<float*> ptrs;
    for (auto& buffer : b) ptrs.push_back(buffer.data());
    kernels.run(pass, ptrs.data(), p);
  };
  return c;
}

CpuCase conv_case(const ConvLayer& layer, int64_t batch, ConvPass pass) {
  if (layer.transposed) {
    const ConvTranspose2dParams p = conv_transpose2d_params(layer, batch);
    return conv_case(p, pass,
                     ConvKernels<ConvTranspose2dParams>{cpu::conv_transpose2d_forward<float>,
                                                        cpu::conv_transpose2d_backward_data<float>,
                                                        cpu::conv_transpose2d_backward_weight<float>});
  }
  return conv_case(conv2d_params(layer, batch), pass,
                   ConvKernels<Conv2dParams>{cpu::conv2d_forward<float>, cpu::conv2d_backward_data<float>,
                                             cpu::conv2d_backward_weight<float>});
}

// Buffers: x, gamma, beta, y, save_mean, save_invstd, running_mean, running_var.
CpuCase batchnorm_forward_case(const BatchNormShape& s, int64_t batch) {
  const BatchNorm2dParams p = batchnorm_params(s, batch);
  const int64_t n = p.N * p.C * p.HW, C = p.C;
  CpuCase c;
  c.label = batchnorm_label(s, batch);
  c.flops = batchnorm_forward_flops(n);
  c.bytes = batchnorm_forward_bytes(n, C);
  c.buffers = random_buffers({n, C, C, n, C, C, C, C});
  c.buffers[7] = random_uniform(C, 2000, 0.5f, 1.5f);  // a variance: positive
  c.run = [p](Buffers& b) {
    cpu::batch_norm2d_forward_train<float>(b[0].data(), b[1].data(), b[2].data(), b[3].data(), b[4].data(),
                                          b[5].data(), b[6].data(), b[7].data(), p);
  };
  return c;
}

// Buffers: x, dy, gamma, save_mean, save_invstd (from a forward pass), dx, dgamma, dbeta.
CpuCase batchnorm_backward_case(const BatchNormShape& s, int64_t batch) {
  const BatchNorm2dParams p = batchnorm_params(s, batch);
  const int64_t n = p.N * p.C * p.HW, C = p.C;
  CpuCase c;
  c.label = batchnorm_label(s, batch);
  c.flops = batchnorm_backward_flops(n);
  c.bytes = batchnorm_backward_bytes(n, C);
  c.buffers = random_buffers({n, n, C, C, C, n, C, C});
  std::vector<float> beta(static_cast<size_t>(C), 0.0f);
  std::vector<float> y(static_cast<size_t>(n));
  cpu::batch_norm2d_forward_train<float>(c.buffers[0].data(), c.buffers[2].data(), beta.data(), y.data(),
                                        c.buffers[3].data(), c.buffers[4].data(), nullptr, nullptr, p);
  c.run = [p](Buffers& b) {
    cpu::batch_norm2d_backward<float>(b[0].data(), b[1].data(), b[2].data(), b[3].data(), b[4].data(), b[5].data(),
                                     b[6].data(), b[7].data(), p);
  };
  return c;
}

// Buffers: input, target, loss (1), grad.
CpuCase bce_case(int64_t n) {
  CpuCase c;
  c.label = detail::concat("n=", n);
  c.bytes = bce_bytes(n);
  c.buffers = random_buffers({n, n, 1, n});
  c.buffers[1] = random_uniform(n, 2001, 0.0f, 1.0f);  // targets are probabilities
  c.run = [n](Buffers& b) {
    cpu::loss_forward<float>(LossKind::BCEWithLogits, b[0].data(), b[1].data(), n, b[2].data(), b[3].data());
  };
  return c;
}

// Buffers: param, grad, m, v.
CpuCase adam_case(int64_t n) {
  CpuCase c;
  c.label = detail::concat("n=", n);
  c.bytes = adam_bytes(n);
  c.buffers = random_buffers({n, n, n, n});
  c.buffers[3] = random_uniform(n, 2002, 0.0f, 1.0f);  // second moment: non-negative
  c.run = [n](Buffers& b) { cpu::adam_step<float>(b[0].data(), b[1].data(), b[2].data(), b[3].data(), n, AdamParams{}); };
  return c;
}

void register_all() {
  const int64_t batch28 = 64, batch64 = 16;
  std::vector<std::pair<const ConvLayer*, int64_t>> convs;
  for (const ConvLayer& l : dcgan28_conv_layers()) convs.emplace_back(&l, batch28);
  for (const char* name : {"G2_64px", "G5_64px", "D2_64px"}) convs.emplace_back(&conv_layer(name), batch64);
  for (const auto& [layer, batch] : convs) {
    for (ConvPass pass : kConvPasses) {
      const std::string op = detail::concat(layer->transposed ? "convT_" : "conv2d_", pass_suffix(pass));
      register_cpu(bench_name(op, layer->name, batch, "cpu"),
                   [layer = layer, batch = batch, pass] { return conv_case(*layer, batch, pass); });
    }
  }
  for (const BatchNormShape& s : dcgan28_batch_norm_shapes()) {
    register_cpu(bench_name("bn_fwd_train", s.name, batch28, "cpu"),
                 [&s, batch28] { return batchnorm_forward_case(s, batch28); });
    register_cpu(bench_name("bn_bwd", s.name, batch28, "cpu"), [&s, batch28] { return batchnorm_backward_case(s, batch28); });
  }
  // BCE: one logit per image (the DCGAN loss), and 1M elements to see the bandwidth.
  register_cpu(bench_name("bce_logits", "logits", batch28, "cpu"), [batch28] { return bce_case(batch28); });
  register_cpu(bench_name("bce_logits", "n1048576", 0, "cpu"), [] { return bce_case(int64_t{1} << 20); });
  // Adam: the 28x28 model's two largest weights, and 4M elements.
  register_cpu(bench_name("adam", "G1_28px.weight", 0, "cpu"), [] { return adam_case(100 * 128 * 7 * 7); });
  register_cpu(bench_name("adam", "G2_28px.weight", 0, "cpu"), [] { return adam_case(128 * 64 * 4 * 4); });
  register_cpu(bench_name("adam", "n4194304", 0, "cpu"), [] { return adam_case(int64_t{1} << 22); });
}

void describe_machine() {
  benchmark::AddCustomContext("omp_max_threads", std::to_string(omp_get_max_threads()));
  benchmark::AddCustomContext("backend", "cpu");
}

}  // namespace
}  // namespace gan::bench

int main(int argc, char** argv) {
  gan::bench::register_all();
  return gan::bench::run_benchmarks(
      argc, argv, {"--benchmark_repetitions=5", "--benchmark_report_aggregates_only=true", "--benchmark_min_time=0.2"},
      gan::bench::describe_machine);
}
