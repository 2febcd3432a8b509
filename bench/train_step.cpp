// End-to-end: one whole DCGAN training iteration in the engine, exactly as
// `gan train` runs it (apps/gan/dcgan_trainer.h: D step on a real and a
// detached fake batch, G step with the non-saturating loss, Adam on both, and
// the one device-to-host copy of the step's statistics), on a batch that
// already sits on the device (data loading is a background thread in the app).
// The PyTorch peer is bench/pytorch_dcgan.py: same model, loss, optimizer and
// batch. Counter images_per_s = batch / time.
//
//   train_step/dcgan64/b128/cuda   the paper's 64x64 RGB model (nz 100, ngf = ndf = 64)
//   train_step/dcgan28/b64/cpu     the CPU default (28x28, ngf = ndf = 32), and ngf 64
#include <benchmark/benchmark.h>
#include <omp.h>

#include <chrono>
#include <string>

#include "apps/gan/dcgan_trainer.h"
#include "bench/common/bench_common.h"
#include "core/cuda_runtime.h"
#include "core/random.h"

namespace gan::bench {
namespace {

struct StepCase {
  std::string name;
  int64_t image_size, channels, width, batch;
  bool cuda;
};

void time_steps(benchmark::State& state, const StepCase& c) {
  if (c.cuda && !cuda::available()) {
    state.SkipWithError("no usable CUDA device");
    return;
  }
  app::TrainSettings s;
  s.model.image_size = c.image_size;
  s.model.channels = c.channels;
  s.model.ngf = s.model.ndf = c.width;
  s.device = c.cuda ? Device::cuda() : Device::cpu();
  app::DcganTrainer trainer(s);
  Rng rng(7);
  const std::vector<io::Batch> real = {
      {Tensor::rand({c.batch, c.channels, c.image_size, c.image_size}, rng, DType::F32, s.device, -1, 1), {}, {}}};
  for (int i = 0; i < 3; ++i) app::DcganTrainer::read_stats(trainer.step(real));  // warm-up: allocator, cuBLAS
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    const app::StepStats stats = app::DcganTrainer::read_stats(trainer.step(real));  // waits for the device
    state.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    benchmark::DoNotOptimize(stats);
  }
  state.counters["images_per_s"] =
      benchmark::Counter(static_cast<double>(c.batch), benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(c.cuda ? cuda::device_name() : std::to_string(omp_get_max_threads()) + " threads");
}

void register_all() {
  const StepCase cases[] = {
      {"train_step/dcgan64/b128/cuda", 64, 3, 64, 128, true},
      {"train_step/dcgan28/b64/cpu", 28, 1, 32, 64, false},
      {"train_step/dcgan28_ngf64/b64/cpu", 28, 1, 64, 64, false},
  };
  for (const StepCase& c : cases)
    benchmark::RegisterBenchmark(c.name.c_str(), [c](benchmark::State& st) { time_steps(st, c); })
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond);
}

void describe_run() { benchmark::AddCustomContext("omp_max_threads", std::to_string(omp_get_max_threads())); }

}  // namespace
}  // namespace gan::bench

int main(int argc, char** argv) {
  gan::bench::register_all();
  return gan::bench::run_benchmarks(
      argc, argv, {"--benchmark_repetitions=5", "--benchmark_report_aggregates_only=true", "--benchmark_min_time=1"},
      gan::bench::describe_run);
}
