// How the GPU benchmarks measure (bench/kernels/kernels_cuda.cpp and any
// later *_cuda.cpp program).
//
// A benchmark describes one operation (GpuOp): its buffers, a launch function,
// its FLOPs and fewest bytes, and optionally a reference that computes the same
// outputs another way (cuDNN, or the CPU kernel). Set-up, once per benchmark
// and outside the timing:
//   1. Buffers: a fixed-seed random fill on the host, uploaded once (never
//      zeros). When one set of buffers is smaller than twice the GPU's L2, the
//      set is cloned so that consecutive launches cycle through at least that
//      much memory and miss in L2 (at most kMaxSets sets): the numbers are for
//      data coming from device memory, as the bytes formula assumes.
//   2. Check: the outputs are poisoned (NaN), the op runs once and every output
//      must be finite; with a reference, ||out - ref|| / ||ref|| must be under
//      kSanityBound (the correctness tests are tests/; this only keeps a broken
//      or mis-wired kernel out of the table). The error is reported as the
//      "rel_err" counter.
//   3. Warm-up, then a CUDA graph of L back-to-back launches (L a multiple of
//      the number of sets, chosen so one replay lasts about kReplaySeconds) is
//      captured: replaying it hides the host's launch latency, which for a few
//      microsecond kernel would otherwise be part of the time. A launch that
//      alone lasts kReplaySeconds or more is replayed alone, on set 0 (its
//      inputs' trip from memory is noise next to its time). If the op cannot
//      be captured, plain launches are timed instead (counter graph = 0).
// GAN_BENCH_TIME_BUDGET_S (seconds, optional): benchmarks that would start
// after it is spent are reported as errors ("not run") instead, so a run
// under a hard time limit still ends with complete JSON.
// Timing: each replay is bracketed by CUDA events and counted as L
// iterations of L launches' event time (Google Benchmark's manual time), so
// "Time" is the mean per launch within a repetition; the harness's defaults
// run 7 repetitions and report their median.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "bench/common/bench_common.h"

namespace gan::bench {

// float buffer from cudaMalloc (benchmark memory stays out of the engine's
// caching allocator, so it never changes what the engine's kernels get).
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(int64_t count);
  ~DeviceBuffer();
  DeviceBuffer(DeviceBuffer&& other) noexcept;
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  float* get() const { return ptr_; }
  int64_t count() const { return count_; }

 private:
  float* ptr_ = nullptr;
  int64_t count_ = 0;
};

// Synchronous copies (set-up and checks only).
std::vector<float> download(const float* src, int64_t count);
void upload(float* dst, const std::vector<float>& src);

enum class Role {
  Input,   // read by the op
  Output,  // written by the op: poisoned before the check, then compared
  InOut,   // updated in place: compared after one launch from the same start
};

struct BufferSpec {
  std::string name;
  int64_t count;
  Role role;
  float low = -1.0f, high = 1.0f;  // the uniform fill's range
};

struct GpuOp {
  std::string label;  // shown with the result: shapes, and cuDNN's algorithm
  double flops = 0;   // per launch; 0 where FLOPs mean nothing (BCE, Adam)
  double bytes = 0;   // fewest bytes per launch (bench_common.h has the formulas)
  std::vector<BufferSpec> buffers;
  // Each gets one pointer per BufferSpec, in order. launch only enqueues work
  // on gan::cuda::current_stream(); prepare and reference may synchronise.
  std::function<void(float* const*)> launch;
  std::function<void(float* const*)> prepare;    // optional, once per set after the fill
  std::function<void(float* const*)> reference;  // optional: writes the expected outputs
};

inline constexpr double kSanityBound = 1e-3;
inline constexpr double kReplaySeconds = 1e-3;
inline constexpr int kMaxLaunchesPerReplay = 1024;
inline constexpr int kMaxSets = 64;

// Registers `name`, timed as above. `make` runs at the benchmark's first call
// (never at registration, so listing the benchmarks needs no GPU).
void register_gpu_benchmark(const std::string& name, std::function<GpuOp()> make);

// The two ceilings of this device, measured in the same run: a large
// device-to-device cudaMemcpy (bytes read + bytes written over the time) and a
// large cuBLAS SGEMM in pedantic FP32 (no TF32). Each is the median of
// repeated event-timed runs after a warm-up.
struct Ceilings {
  double copy_bytes_per_s = 0;
  double sgemm_flop_per_s = 0;
};
// Measures them, stores them for the "%limit" counter and records them, the
// device and the library versions in the benchmark context (the JSON's
// "context"). Call once, before running the benchmarks.
const Ceilings& measure_ceilings();

}  // namespace gan::bench
