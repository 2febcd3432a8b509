#include "bench/common/gpu_harness.h"

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>

#include "core/cuda/cuda_check.h"
#include "core/cuda_runtime.h"
#include "core/error.h"

namespace gan::bench {

DeviceBuffer::DeviceBuffer(int64_t count) : count_(count) {
  void* p = nullptr;
  if (count > 0) GAN_CUDA_CHECK(cudaMalloc(&p, static_cast<size_t>(count) * sizeof(float)));
  ptr_ = static_cast<float*>(p);
}

DeviceBuffer::~DeviceBuffer() {
  if (ptr_) (void)cudaFree(ptr_);  // nothing useful to do with an error while unwinding
}

DeviceBuffer::DeviceBuffer(DeviceBuffer&& other) noexcept : ptr_(other.ptr_), count_(other.count_) {
  other.ptr_ = nullptr;
  other.count_ = 0;
}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& other) noexcept {
  std::swap(ptr_, other.ptr_);
  std::swap(count_, other.count_);
  return *this;
}

std::vector<float> download(const float* src, int64_t count) {
  std::vector<float> host(static_cast<size_t>(count));
  GAN_CUDA_CHECK(cudaStreamSynchronize(gan::cuda::current_stream()));
  GAN_CUDA_CHECK(cudaMemcpy(host.data(), src, host.size() * sizeof(float), cudaMemcpyDeviceToHost));
  return host;
}

void upload(float* dst, const std::vector<float>& src) {
  GAN_CUDA_CHECK(cudaStreamSynchronize(gan::cuda::current_stream()));
  GAN_CUDA_CHECK(cudaMemcpy(dst, src.data(), src.size() * sizeof(float), cudaMemcpyHostToDevice));
}

namespace {

class Event {
 public:
  Event() { GAN_CUDA_CHECK(cudaEventCreate(&e_)); }
  ~Event() { (void)cudaEventDestroy(e_); }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  void record() { GAN_CUDA_CHECK(cudaEventRecord(e_, gan::cuda::current_stream())); }
  // Milliseconds from `start` to this event; waits for this event.
  double ms_since(const Event& start) const {
    GAN_CUDA_CHECK(cudaEventSynchronize(e_));
    float ms = 0;
    GAN_CUDA_CHECK(cudaEventElapsedTime(&ms, start.e_, e_));
    return ms;
  }

 private:
  cudaEvent_t e_ = nullptr;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

// Median of `runs` event-timed calls of f after `warmup` untimed ones, in seconds.
template <typename F>
double median_seconds(int warmup, int runs, F&& f) {
  for (int i = 0; i < warmup; ++i) f();
  Event start, stop;
  std::vector<double> t;
  for (int i = 0; i < runs; ++i) {
    start.record();
    f();
    stop.record();
    t.push_back(stop.ms_since(start) * 1e-3);
  }
  return median(t);
}

// ||a - b|| / ||b|| in double; NaN if either holds a NaN or b is all zeros.
double relative_error(const std::vector<float>& a, const std::vector<float>& b) {
  double diff = 0, ref = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = static_cast<double>(a[i]) - b[i];
    diff += d * d;
    ref += static_cast<double>(b[i]) * b[i];
  }
  return ref > 0 ? std::sqrt(diff / ref) : std::numeric_limits<double>::quiet_NaN();
}

void poison(const DeviceBuffer& b) {
  // All-ones bytes are a NaN in float32.
  GAN_CUDA_CHECK(cudaMemsetAsync(b.get(), 0xFF, static_cast<size_t>(b.count()) * sizeof(float),
                                 gan::cuda::current_stream()));
}

Ceilings g_ceilings;

// Everything a benchmark needs between its calls: Google Benchmark calls the
// function once per repetition (and a few more times to size the first one).
class Prepared {
 public:
  explicit Prepared(GpuOp op) : op_(std::move(op)) {
    allocate_and_fill();
    check();
    plan_and_capture();
  }
  ~Prepared() {
    if (exec_) (void)cudaGraphExecDestroy(exec_);
  }
  Prepared(const Prepared&) = delete;
  Prepared& operator=(const Prepared&) = delete;

  // Enqueues one replay: launches_ launches cycling through the sets.
  void replay() {
    if (exec_) {
      GAN_CUDA_CHECK(cudaGraphLaunch(exec_, gan::cuda::current_stream()));
      return;
    }
    for (int i = 0; i < launches_; ++i) op_.launch(set(i % sets_used_));
  }

  void report(benchmark::State& state) const {
    state.SetLabel(op_.label);
    set_work_counters(state, op_.flops, op_.bytes);
    // Time the roofline allows (the larger of the two ceilings' times), as a
    // percentage of the measured time: a rate counter divides by the time.
    const double floor_s = std::max(g_ceilings.sgemm_flop_per_s > 0 ? op_.flops / g_ceilings.sgemm_flop_per_s : 0.0,
                                    g_ceilings.copy_bytes_per_s > 0 ? op_.bytes / g_ceilings.copy_bytes_per_s : 0.0);
    using benchmark::Counter;
    if (floor_s > 0) state.counters["%limit"] = Counter(100.0 * floor_s, Counter::kIsIterationInvariantRate);
    if (!std::isnan(rel_err_)) state.counters["rel_err"] = rel_err_;
    state.counters["sets"] = sets_used_;
    state.counters["launches"] = launches_;
    state.counters["graph"] = exec_ ? 1 : 0;
  }

  int launches() const { return launches_; }

 private:
  float* const* set(int s) const { return ptrs_[static_cast<size_t>(s)].data(); }

  void allocate_and_fill() {
    double set_bytes = 0;
    for (const BufferSpec& b : op_.buffers) set_bytes += 4.0 * static_cast<double>(b.count);
    cudaDeviceProp prop{};
    int device = 0;
    GAN_CUDA_CHECK(cudaGetDevice(&device));
    GAN_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
    sets_ = static_cast<int>(std::clamp(std::ceil(2.0 * prop.l2CacheSize / set_bytes), 1.0, double{kMaxSets}));
    for (int s = 0; s < sets_; ++s) {
      std::vector<float*> p;
      for (size_t i = 0; i < op_.buffers.size(); ++i) {
        const BufferSpec& spec = op_.buffers[i];
        storage_.emplace_back(spec.count);
        p.push_back(storage_.back().get());
        if (s == 0) {
          upload(p.back(), random_uniform(spec.count, 1 + i, spec.low, spec.high));
        } else {
          GAN_CUDA_CHECK(cudaMemcpyAsync(p.back(), ptrs_[0][i], static_cast<size_t>(spec.count) * sizeof(float),
                                         cudaMemcpyDeviceToDevice, gan::cuda::current_stream()));
        }
      }
      ptrs_.push_back(std::move(p));
    }
    if (op_.prepare)
      for (int s = 0; s < sets_; ++s) op_.prepare(set(s));
  }

  const DeviceBuffer& buffer(int s, size_t i) const { return storage_[static_cast<size_t>(s) * op_.buffers.size() + i]; }

  void check() {
    const size_t nb = op_.buffers.size();
    std::vector<DeviceBuffer> expected;
    if (op_.reference) {
      std::vector<float*> p;
      for (size_t i = 0; i < nb; ++i) {
        expected.emplace_back(op_.buffers[i].count);
        p.push_back(expected.back().get());
        if (op_.buffers[i].role == Role::Output)
          poison(expected.back());
        else
          GAN_CUDA_CHECK(cudaMemcpyAsync(p.back(), ptrs_[0][i], static_cast<size_t>(expected.back().count()) * 4,
                                         cudaMemcpyDeviceToDevice, gan::cuda::current_stream()));
      }
      op_.reference(p.data());
    }
    for (size_t i = 0; i < nb; ++i)
      if (op_.buffers[i].role == Role::Output) poison(buffer(0, i));
    op_.launch(set(0));
    GAN_CUDA_CHECK_LAST();
    double worst = 0;
    for (size_t i = 0; i < nb; ++i) {
      const BufferSpec& spec = op_.buffers[i];
      if (spec.role == Role::Input) continue;
      const std::vector<float> got = download(buffer(0, i).get(), spec.count);
      if (!op_.reference) {
        const bool finite = std::all_of(got.begin(), got.end(), [](float v) { return std::isfinite(v); });
        GAN_CHECK(finite, ValueError, "output ", spec.name, " has non-finite elements after one launch (",
                  op_.label, "): a kernel left it unwritten or overflowed");
        continue;
      }
      const double err = relative_error(got, download(expected[i].get(), spec.count));
      GAN_CHECK(err <= kSanityBound, ValueError, "output ", spec.name, " differs from the reference: ||out-ref||/||ref|| = ",
                err, " (bound ", kSanityBound, ") for ", op_.label);
      worst = std::max(worst, err);
    }
    if (op_.reference) rel_err_ = worst;
  }

  void plan_and_capture() {
    // Warm-up (module loading, cuDNN/cuBLAS lazy initialisation), then one
    // timed launch to size a replay. A launch that alone fills a replay (a
    // naive kernel, say) runs on set 0 only: next to its time, whether its
    // inputs come from L2 or memory is noise, and cycling would only make the
    // run long.
    op_.launch(set(0));
    Event start, stop;
    start.record();
    op_.launch(set(0));
    stop.record();
    const double one_launch = stop.ms_since(start) * 1e-3;
    if (one_launch >= kReplaySeconds) {
      sets_used_ = launches_ = 1;
    } else {
      for (int s = 1; s < sets_; ++s) op_.launch(set(s));  // warm the other sets' pages too
      start.record();
      for (int s = 0; s < sets_; ++s) op_.launch(set(s));
      stop.record();
      const double per_launch = std::max(stop.ms_since(start) * 1e-3 / sets_, 1e-7);
      const int rounds = static_cast<int>(std::ceil(kReplaySeconds / (per_launch * sets_)));
      sets_used_ = sets_;
      launches_ = sets_ * std::clamp(rounds, 1, std::max(1, kMaxLaunchesPerReplay / sets_));
    }

    const cudaStream_t stream = gan::cuda::current_stream();
    // Relaxed: the engine's scratch allocations may call cudaMalloc (legal
    // during capture) the first time a size is seen.
    GAN_CUDA_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeRelaxed));
    bool enqueued = true;
    try {
      for (int i = 0; i < launches_; ++i) op_.launch(set(i % sets_used_));
    } catch (const std::exception&) {
      enqueued = false;  // something in the op cannot be captured: time plain launches
    }
    cudaGraph_t graph = nullptr;
    const cudaError_t ended = cudaStreamEndCapture(stream, &graph);
    if (enqueued && ended == cudaSuccess && graph && cudaGraphInstantiate(&exec_, graph, 0) == cudaSuccess) {
      GAN_CUDA_CHECK(cudaGraphDestroy(graph));
    } else {
      if (graph) (void)cudaGraphDestroy(graph);
      exec_ = nullptr;
      (void)cudaGetLastError();
    }
    replay();  // first replay uploads the graph
    GAN_CUDA_CHECK(cudaStreamSynchronize(stream));
  }

  GpuOp op_;
  int sets_ = 1;       // buffer sets allocated
  int sets_used_ = 1;  // sets a replay cycles through
  int launches_ = 1;   // launches per replay, a multiple of sets_used_
  std::vector<DeviceBuffer> storage_;      // set-major: sets_ x op_.buffers.size()
  std::vector<std::vector<float*>> ptrs_;  // per set, one pointer per buffer
  double rel_err_ = std::numeric_limits<double>::quiet_NaN();
  cudaGraphExec_t exec_ = nullptr;
};

// One benchmark's set-up at a time lives here, from its first call to the
// first call of another benchmark (they run one after another). A failed
// set-up is remembered too, so the error is reported once per repetition
// without redoing the work.
struct Current {
  int id = -1;
  std::unique_ptr<Prepared> prepared;
  std::string error;
};
Current g_current;

// GAN_BENCH_TIME_BUDGET_S, if set: seconds from the first benchmark after
// which benchmarks not yet started are reported as not run, so that a run
// with a hard time limit still ends with a complete JSON file.
double time_budget_s() {
  static const double budget = [] {
    const char* v = std::getenv("GAN_BENCH_TIME_BUDGET_S");
    return v ? std::atof(v) : 0.0;
  }();
  return budget;
}

Prepared& prepared_for(int id, const std::function<GpuOp()>& make) {
  using Clock = std::chrono::steady_clock;
  static const Clock::time_point first = Clock::now();
  if (g_current.id != id) {
    g_current.prepared.reset();  // free the previous benchmark's memory first
    g_current.error.clear();
    g_current.id = id;
    const double spent = std::chrono::duration<double>(Clock::now() - first).count();
    if (time_budget_s() > 0 && spent > time_budget_s()) {
      g_current.error = detail::concat("not run: the time budget (GAN_BENCH_TIME_BUDGET_S=", time_budget_s(),
                                       " s) was spent before this benchmark");
    } else {
      try {
        g_current.prepared = std::make_unique<Prepared>(make());
      } catch (const std::exception& e) {
        g_current.error = e.what();
      }
    }
  }
  if (!g_current.prepared) throw CudaError(g_current.error);
  return *g_current.prepared;
}

void run_gpu_benchmark(benchmark::State& state, int id, const std::function<GpuOp()>& make) {
  try {
    Prepared& op = prepared_for(id, make);
    Event start, stop;
    while (state.KeepRunningBatch(op.launches())) {
      start.record();
      op.replay();
      stop.record();
      state.SetIterationTime(stop.ms_since(start) * 1e-3);
    }
    op.report(state);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

}  // namespace

void register_gpu_benchmark(const std::string& name, std::function<GpuOp()> make) {
  static int next_id = 0;
  const int id = next_id++;
  benchmark::RegisterBenchmark(name.c_str(),
                               [id, make = std::move(make)](benchmark::State& s) { run_gpu_benchmark(s, id, make); })
      ->UseManualTime()
      ->Unit(benchmark::kMicrosecond);
}

const Ceilings& measure_ceilings() {
  gan::cuda::require_available();
  // Free the last benchmark's buffers and graph while the CUDA runtime is
  // still up (registered after the runtime started, so it runs before its teardown).
  std::atexit([] { g_current = Current{}; });
  const cudaStream_t stream = gan::cuda::current_stream();
  int device = 0, driver = 0, runtime = 0;
  cudaDeviceProp prop{};
  GAN_CUDA_CHECK(cudaGetDevice(&device));
  GAN_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  GAN_CUDA_CHECK(cudaDriverGetVersion(&driver));
  GAN_CUDA_CHECK(cudaRuntimeGetVersion(&runtime));

  // Copy: 1 GiB device to device, far beyond any L2; random contents (a
  // 16 MiB random block repeated), never zeros.
  const int64_t copy_count = int64_t{1} << 28, block = int64_t{1} << 22;
  DeviceBuffer src(copy_count), dst(copy_count);
  upload(src.get(), random_uniform(block, 7));
  for (int64_t off = block; off < copy_count; off += block)
    GAN_CUDA_CHECK(cudaMemcpyAsync(src.get() + off, src.get(), block * sizeof(float), cudaMemcpyDeviceToDevice, stream));
  const double copy_s = median_seconds(3, 21, [&] {
    GAN_CUDA_CHECK(cudaMemcpyAsync(dst.get(), src.get(), static_cast<size_t>(copy_count) * sizeof(float),
                                   cudaMemcpyDeviceToDevice, stream));
  });
  g_ceilings.copy_bytes_per_s = 2.0 * 4.0 * static_cast<double>(copy_count) / copy_s;

  // SGEMM: 8192^3 in pedantic FP32 (no TF32, no reduced-precision tricks),
  // A and B random (the copy source and its tail), C = A * B.
  const int n = 8192;
  const int64_t nn = int64_t{n} * n;
  DeviceBuffer c(nn);
  cublasHandle_t handle = nullptr;
  GAN_CUBLAS_CHECK(cublasCreate(&handle));
  GAN_CUBLAS_CHECK(cublasSetStream(handle, stream));
  GAN_CUBLAS_CHECK(cublasSetMathMode(handle, CUBLAS_PEDANTIC_MATH));
  const float one = 1.0f, zero = 0.0f;
  const float* a = src.get();
  const float* b = src.get() + (copy_count - nn);
  const double gemm_s = median_seconds(2, 11, [&] {
    GAN_CUBLAS_CHECK(cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &one, a, n, b, n, &zero, c.get(), n));
  });
  int cublas_version = 0;
  GAN_CUBLAS_CHECK(cublasGetVersion(handle, &cublas_version));
  GAN_CUBLAS_CHECK(cublasDestroy(handle));
  g_ceilings.sgemm_flop_per_s = 2.0 * n * static_cast<double>(nn) / gemm_s;

  using benchmark::AddCustomContext;
  AddCustomContext("gpu_name", prop.name);
  AddCustomContext("gpu_compute_capability", detail::concat(prop.major, ".", prop.minor));
  AddCustomContext("gpu_sms", std::to_string(prop.multiProcessorCount));
  AddCustomContext("gpu_l2_bytes", std::to_string(prop.l2CacheSize));
  AddCustomContext("gpu_memory_bytes", std::to_string(prop.totalGlobalMem));
  AddCustomContext("cuda_driver_version", std::to_string(driver));
  AddCustomContext("cuda_runtime_version", std::to_string(runtime));
  AddCustomContext("cublas_version", std::to_string(cublas_version));
  AddCustomContext("ceiling_copy_bytes_per_s", detail::concat(g_ceilings.copy_bytes_per_s));
  AddCustomContext("ceiling_copy_what", "cudaMemcpyAsync device-to-device of 1 GiB, (read + written bytes) / "
                                        "median time of 21 after 3 warm-ups");
  AddCustomContext("ceiling_sgemm_flop_per_s", detail::concat(g_ceilings.sgemm_flop_per_s));
  AddCustomContext("ceiling_sgemm_what", "cublasSgemm 8192x8192x8192, CUBLAS_PEDANTIC_MATH (FP32, no TF32), "
                                         "2*n^3 / median time of 11 after 2 warm-ups");
  AddCustomContext("timing", "CUDA events around a CUDA-graph replay of back-to-back launches cycling through "
                             "enough input sets to miss in L2; time per launch; median of repetitions");
  std::fprintf(stderr, "%s: copy %.0f GB/s, SGEMM %.1f TFLOP/s (the ceilings of this run)\n", prop.name,
               g_ceilings.copy_bytes_per_s * 1e-9, g_ceilings.sgemm_flop_per_s * 1e-12);
  return g_ceilings;
}

}  // namespace gan::bench
