// Op benchmarks: every case of the op-case table (tests/op_cases) marked
// kBench, through the public ops (argument checks, dispatch, allocation, the
// tape), on the CPU and, when a GPU is usable, on CUDA. The table is the one
// place these shapes are written; the parity tests run the same cases.
//
//   <family>_fwd/<case>/any/<device>       the op with no tape (NoGradGuard)
//   <family>_fwd_bwd/<case>/any/<device>   the op with the tape, then the
//                                          backward of sum(out * R), R fixed random
//
// Timing: wall clock per iteration; on CUDA each iteration ends with a device
// synchronize, so a time includes the host's dispatch and launch overhead (what
// a training step pays per op). The kernel benchmarks (bench/kernels/) time the
// kernels alone, with CUDA events around graph replays.
// Counters (bench_common.h): FLOPs are the case's forward FLOPs, times 3 with
// the backward for the products (conv and matmul: the backward is two more
// products of the same size), none for memory-bound ops; bytes are the fewest
// the pass must move: every input and the output once (op_cases::min_bytes),
// twice that with the backward (it reads the output's gradient and writes one
// per input).
//
//   build/bench/bench_op_cases --benchmark_filter=/cuda
#include <omp.h>

#include <functional>
#include <string>
#include <vector>

#include "bench/common/bench_common.h"
#include "core/autograd.h"
#include "core/cuda_runtime.h"
#include "core/ops.h"
#include "tests/op_cases/op_cases.h"

namespace gan::bench {
namespace {

using op_cases::OpCase;

// Inputs drawn once per benchmark from a seed of the case's id, on the device.
std::vector<Tensor> make_inputs(const OpCase& c, Device device) {
  Rng rng(std::hash<std::string>{}(c.id()));
  std::vector<Tensor> inputs;
  for (const op_cases::Input& in : c.inputs) inputs.push_back(op_cases::make_input(in, rng, DType::F32, device));
  return inputs;
}

void wait_for(Device device) {
  if (device.is_cuda()) cuda::synchronize();
}

bool is_product(const OpCase& c) { return c.family == "conv" || c.family == "matmul"; }

void register_case(const OpCase& c, Device device, bool with_backward) {
  const std::string op = c.family + (with_backward ? "_fwd_bwd" : "_fwd");
  benchmark::RegisterBenchmark(
      bench_name(op, c.name, 0, device.is_cuda() ? "cuda" : "cpu").c_str(),
      [c, device, with_backward](benchmark::State& state) {
        std::vector<Tensor> inputs = make_inputs(c, device);
        Shape out_shape;
        Tensor weights;
        {
          NoGradGuard no_grad;
          out_shape = c.run(inputs).shape();
          Rng rng(7);
          weights = Tensor::rand(out_shape, rng, DType::F32, device, 0.5, 1.5);
        }
        for (auto _ : state) {
          if (with_backward) {
            const Tensor out = c.run(inputs);
            if (out.requires_grad()) out.backward(weights);
            for (Tensor& in : inputs) in.zero_grad();  // no accumulation into last iteration's gradient
          } else {
            NoGradGuard no_grad;
            benchmark::DoNotOptimize(c.run(inputs));
          }
          wait_for(device);
        }
        const double bytes = op_cases::min_bytes(c, out_shape);
        const double flops = is_product(c) ? c.flops : 0.0;
        set_work_counters(state, with_backward ? 3 * flops : flops, with_backward ? 2 * bytes : bytes);
        std::string label;
        for (const op_cases::Input& in : c.inputs) label.append(shape_label(in.shape)).append(" ");
        state.SetLabel(label.append("-> ").append(shape_label(out_shape)));
      })
      ->UseRealTime()
      ->Unit(benchmark::kMicrosecond);
}

void register_all() {
  std::vector<Device> devices = {Device::cpu()};
  if (cuda::available()) devices.push_back(Device::cuda());
  for (const OpCase& c : op_cases::cases_for(op_cases::kBench))
    for (const Device& device : devices)
      for (bool with_backward : {false, true}) register_case(c, device, with_backward);
}

void describe_machine() {
  benchmark::AddCustomContext("omp_max_threads", std::to_string(omp_get_max_threads()));
  benchmark::AddCustomContext("cuda_device", cuda::available() ? cuda::device_name() : "none");
}

}  // namespace
}  // namespace gan::bench

int main(int argc, char** argv) {
  gan::bench::register_all();
  return gan::bench::run_benchmarks(
      argc, argv, {"--benchmark_repetitions=3", "--benchmark_report_aggregates_only=true", "--benchmark_min_time=0.1"},
      gan::bench::describe_machine);
}
